/* pod_validate(): ValidatePodCreate of k8s.io/kubernetes
 * pkg/apis/core/validation, run on a defaulted Pod. This file holds the
 * top-level order of checks and the spec-level scalar rules; the other
 * pod/validate-*.c files hold the rest, by topic. Errors come out in
 * upstream's order, with map entries in document order where Go iterates a
 * map; identical lines are reported once, as the API server's aggregate
 * does.
 *
 * Baseline: Kubernetes 1.33 with its default feature gates (relaxed DNS
 * search names, zero-second sleep hooks allowed). Deliberate differences
 * are noted where they are made. */
#include <stdlib.h>
#include <string.h>

#include "pod/validate-internal.h"

/* --- spec-level rules --- */

static const char *const restart_policies[] = { "Always", "OnFailure", "Never", NULL };
static const char *const dns_policies[] = { "ClusterFirstWithHostNet", "ClusterFirst", "Default",
                                            "None", NULL };
static const char *const preemption_policies[] = { "PreemptLowerPriority", "Never", NULL };

/* validatePodHostNetworkDeps: for a Pod, hostPort must equal containerPort. */
static void host_network_deps(struct pod_vctx *c)
{
        const struct pod_spec *s = &c->pod->spec;
        if (!s->hostNetwork.set || !s->hostNetwork.v)
                return;
        size_t m = dh_path_field(&c->path, "containers");
        for (size_t i = 0; i < s->containers.n; i++) {
                size_t mi = dh_path_index(&c->path, i);
                size_t mp = dh_path_field(&c->path, "ports");
                for (size_t j = 0; j < s->containers.v[i].ports.n; j++) {
                        const struct pod_container_port *p = &s->containers.v[i].ports.v[j];
                        int64_t hp = p->hostPort.set ? p->hostPort.v : 0;
                        int64_t cp = p->containerPort.set ? p->containerPort.v : 0;
                        size_t mj = dh_path_index(&c->path, j);
                        if (hp != cp)
                                pod_v_invalid_int(c, "hostPort", hp,
                                                  "must match `containerPort` when `hostNetwork` is true");
                        dh_path_pop(&c->path, mj);
                }
                dh_path_pop(&c->path, mp);
                dh_path_pop(&c->path, mi);
        }
        dh_path_pop(&c->path, m);
}

static void name_fields(struct pod_vctx *c)
{
        const struct pod_spec *s = &c->pod->spec;
        /* The deprecated serviceAccount stands in for an empty
         * serviceAccountName, as the v1 conversion copies it over. */
        const char *sa = pod_v_set(s->serviceAccountName) ? s->serviceAccountName : s->serviceAccount;
        if (pod_v_set(sa))
                pod_v_dns_subdomain(c, "serviceAccountName", sa);
        if (pod_v_set(s->nodeName))
                pod_v_dns_subdomain(c, "nodeName", s->nodeName);
        if (s->activeDeadlineSeconds.set &&
            (s->activeDeadlineSeconds.v < 1 || s->activeDeadlineSeconds.v > INT32_MAX))
                pod_v_invalid_int(c, "activeDeadlineSeconds", s->activeDeadlineSeconds.v,
                                  "must be between 1 and 2147483647, inclusive");
        if (pod_v_set(s->hostname))
                pod_v_dns_label(c, "hostname", s->hostname);
        if (pod_v_set(s->subdomain))
                pod_v_dns_label(c, "subdomain", s->subdomain);
}

static void class_fields(struct pod_vctx *c)
{
        const struct pod_spec *s = &c->pod->spec;
        if (pod_v_set(s->priorityClassName))
                pod_v_dns_subdomain(c, "priorityClassName", s->priorityClassName);
        if (s->runtimeClassName)
                pod_v_dns_subdomain(c, "runtimeClassName", s->runtimeClassName);
        if (s->preemptionPolicy)
                pod_v_enum(c, "preemptionPolicy", s->preemptionPolicy, preemption_policies);
}

/* Upstream requires the field (defaulting sets 30) and, rather than
 * rejecting a negative value, the registry later raises it to 1; deckhand
 * has no such later step, so a negative grace period is an error here. */
static void grace_period(struct pod_vctx *c)
{
        const struct dh_opt_i64 *g = &c->pod->spec.terminationGracePeriodSeconds;
        if (!g->set)
                pod_v_required(c, "terminationGracePeriodSeconds", NULL);
        else
                pod_v_nonneg(c, "terminationGracePeriodSeconds", g->v);
}

/* ValidatePodSpec, in its order. */
static void validate_spec(struct pod_vctx *c)
{
        const struct pod_spec *s = &c->pod->spec;
        grace_period(c);
        struct pod_v_index usable = { 0 };
        pod_validate_volumes(c, &usable);
        c->volumes = &usable;
        pod_validate_containers(c);
        pod_validate_init_containers(c);
        pod_validate_ephemeral_containers(c);
        host_network_deps(c);
        pod_v_enum(c, "restartPolicy", s->restartPolicy, restart_policies);
        pod_v_enum(c, "dnsPolicy", s->dnsPolicy, dns_policies);
        pod_v_labels(c, "nodeSelector", &s->nodeSelector);
        pod_validate_pod_security(c);
        pod_validate_affinity(c);
        pod_validate_dns_config(c);
        pod_validate_readiness_gates(c);
        pod_validate_host_users(c);
        name_fields(c);
        pod_validate_tolerations(c);
        pod_validate_host_aliases(c);
        class_fields(c);
        pod_validate_overhead(c);
        pod_validate_os(c);
        c->volumes = NULL;
        pod_v_index_free(&usable);
}

static bool same_str(const char *a, const char *b)
{
        return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static bool same_ferr(const struct dh_ferr *a, const struct dh_ferr *b)
{
        return a->type == b->type && same_str(a->field, b->field) &&
               same_str(a->value, b->value) && same_str(a->detail, b->detail);
}

/* ToAggregate() drops repeated messages; so do we, keeping the first. */
static void dedupe(struct dh_ferrs *e, size_t first)
{
        size_t out = first;
        for (size_t i = first; i < e->n; i++) {
                bool seen = false;
                for (size_t j = first; j < out && !seen; j++)
                        seen = same_ferr(&e->v[j], &e->v[i]);
                if (seen) {
                        free(e->v[i].field);
                        free(e->v[i].value);
                        free(e->v[i].detail);
                } else {
                        e->v[out++] = e->v[i];
                }
        }
        e->n = out;
}

void pod_validate(const struct pod *p, struct dh_ferrs *errs)
{
        if (!p)
                return;
        size_t first = errs->n;
        struct pod_vctx c = { .pod = p, .errs = errs };
        size_t m = dh_path_field(&c.path, "metadata");
        pod_validate_meta(&c);
        pod_validate_pod_annotations(&c);
        dh_path_pop(&c.path, m);

        m = dh_path_field(&c.path, "spec");
        validate_spec(&c);
        pod_validate_sa_token_sources(&c);
        pod_validate_images_only_for_pod(&c);
        if (p->spec.ephemeralContainers.n)
                pod_v_forbidden(&c, "ephemeralContainers", "cannot be set on create");
        dh_path_pop(&c.path, m);
        dedupe(errs, first);
}
