/* metadata validation: ValidateObjectMeta (names, namespace, labels,
 * annotations, owner references, finalizers) and the Pod-specific
 * annotation rules of ValidatePodSpecificAnnotations. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "pod/validate-internal.h"

#define ANNOTATIONS_MAX_BYTES (256 * 1024)

static const char seccomp_prefix[] = "container.seccomp.security.alpha.kubernetes.io/";
static const char apparmor_prefix[] = "container.apparmor.security.beta.kubernetes.io/";

static void names(struct pod_vctx *c)
{
        const struct pod_meta *m = &c->pod->metadata;
        struct pod_msgs msgs;
        if (pod_v_set(m->generateName)) {
                pod_name_is_dns_subdomain(m->generateName, true, &msgs);
                pod_v_msgs(c, "generateName", m->generateName, &msgs);
        }
        if (!pod_v_set(m->name)) {
                pod_v_required(c, "name", "name or generateName is required");
        } else {
                pod_name_is_dns_subdomain(m->name, false, &msgs);
                pod_v_msgs(c, "name", m->name, &msgs);
        }
        /* Upstream requires a namespace (the request supplies one); a
         * manifest without one lands in "default", so only a given
         * namespace is checked. */
        if (pod_v_set(m->namespace)) {
                pod_name_is_dns_label(m->namespace, false, &msgs);
                pod_v_msgs(c, "namespace", m->namespace, &msgs);
        }
}

static void annotations(struct pod_vctx *c)
{
        const struct dh_strmap *a = &c->pod->metadata.annotations;
        size_t total = 0;
        struct pod_msgs msgs;
        for (size_t i = 0; i < a->n; i++) {
                /* Qualified-name rules, except that case does not matter. */
                _cleanup_free_ char *lower = strdup(pod_v_s(a->v[i].key));
                for (char *p = lower; p && *p; p++)
                        *p = (char)tolower((unsigned char)*p);
                pod_is_qualified_name(lower ? lower : "", &msgs);
                pod_v_msgs(c, "annotations", a->v[i].key, &msgs);
                total += strlen(pod_v_s(a->v[i].key)) + strlen(pod_v_s(a->v[i].value));
        }
        if (total > ANNOTATIONS_MAX_BYTES) {
                size_t m = dh_path_field(&c->path, "annotations");
                dh_ferr_add(c->errs, DH_FERR_TOO_LONG, dh_path_str(&c->path), NULL,
                            "may not be more than 262144 bytes");
                dh_path_pop(&c->path, m);
        }
}

/* schema.FromAPIVersionAndKind(...).Version: "" unless apiVersion is
 * "<version>" or "<group>/<version>". */
static const char *api_version_version(const char *av)
{
        const char *slash = strchr(av, '/');
        if (!slash)
                return av;
        return strchr(slash + 1, '/') ? "" : slash + 1;
}

static void owner_references(struct pod_vctx *c)
{
        const struct pod_meta *m = &c->pod->metadata;
        size_t mark = dh_path_field(&c->path, "ownerReferences");
        _cleanup_free_ char *first_controller = NULL;
        for (size_t i = 0; i < m->ownerReferences.n; i++) {
                const struct pod_owner_ref *r = &m->ownerReferences.v[i];
                if (!*api_version_version(pod_v_s(r->apiVersion)))
                        pod_v_invalid(c, "apiVersion", r->apiVersion, "version must not be empty");
                if (!pod_v_set(r->kind))
                        pod_v_invalid(c, "kind", r->kind, "must not be empty");
                if (!pod_v_set(r->name))
                        pod_v_invalid(c, "name", r->name, "must not be empty");
                if (!pod_v_set(r->uid))
                        pod_v_invalid(c, "uid", r->uid, "must not be empty");
                if (!r->controller.set || !r->controller.v)
                        continue;
                char cur[600];
                snprintf(cur, sizeof cur, "%s/%s", pod_v_s(r->kind), pod_v_s(r->name));
                if (!first_controller) {
                        first_controller = strdup(cur);
                        continue;
                }
                char detail[1400];
                snprintf(detail, sizeof detail,
                         "Only one reference can have Controller set to true. Found \"true\" in "
                         "references for %s and %s", first_controller, cur);
                pod_v_invalid_raw(c, NULL, "[...]", detail);
        }
        dh_path_pop(&c->path, mark);
}

static void finalizers(struct pod_vctx *c)
{
        static const char *const standard[] = { "kubernetes", "orphan", "foregroundDeletion", NULL };
        const struct dh_strv *f = &c->pod->metadata.finalizers;
        bool orphan = false, foreground = false;
        struct pod_msgs msgs;
        size_t mark = dh_path_field(&c->path, "finalizers");
        for (size_t i = 0; i < f->n; i++) {
                pod_is_qualified_name(f->v[i], &msgs);
                pod_v_msgs(c, NULL, f->v[i], &msgs);
                orphan = orphan || strcmp(pod_v_s(f->v[i]), "orphan") == 0;
                foreground = foreground || strcmp(pod_v_s(f->v[i]), "foregroundDeletion") == 0;
        }
        if (orphan && foreground) {
                _cleanup_free_ char *list = pod_v_render_strv(f);
                pod_v_invalid_raw(c, NULL, list,
                                  "finalizer orphan and foregroundDeletion cannot be both set");
        }
        for (size_t i = 0; i < f->n; i++) {
                if (strchr(pod_v_s(f->v[i]), '/') || pod_v_in(f->v[i], standard))
                        continue;
                size_t mi = dh_path_index(&c->path, i);
                pod_v_invalid(c, NULL, f->v[i],
                              "name is neither a standard finalizer name nor is it fully qualified");
                dh_path_pop(&c->path, mi);
        }
        dh_path_pop(&c->path, mark);
}

/* ValidateObjectMeta, at "metadata". */
void pod_validate_meta(struct pod_vctx *c)
{
        const struct pod_meta *m = &c->pod->metadata;
        names(c);
        if (m->generation.set)
                pod_v_nonneg(c, "generation", m->generation.v);
        pod_v_labels(c, "labels", &m->labels);
        annotations(c);
        owner_references(c);
        finalizers(c);
}

/* GetDeletionCostFromPodAnnotations: a decimal int32 with no '+' and no
 * leading zeros. */
static bool is_deletion_cost(const char *v)
{
        if (!*v || !(v[0] == '-' || strcmp(v, "0") == 0 || (v[0] >= '1' && v[0] <= '9')))
                return false;
        bool neg = v[0] == '-';
        const char *p = v + neg;
        if (!*p)
                return false;
        int64_t n = 0;
        for (; *p; p++) {
                if (*p < '0' || *p > '9')
                        return false;
                n = n * 10 + (*p - '0');
                if (n > (int64_t)INT32_MAX + 1)
                        return false;
        }
        return neg ? n <= (int64_t)INT32_MAX + 1 : n <= INT32_MAX;
}

/* ValidateSeccompProfile for the deprecated seccomp annotations. */
static void seccomp_annotation(struct pod_vctx *c, const char *key, const char *v)
{
        if (strcmp(v, "runtime/default") == 0 || strcmp(v, "docker/default") == 0 ||
            strcmp(v, "unconfined") == 0)
                return;
        size_t m = dh_path_field(&c->path, key);
        if (strncmp(v, "localhost/", 10) == 0)
                pod_v_local_descending_path(c, NULL, v + 10);
        else
                pod_v_invalid(c, NULL, v, "must be a valid seccomp profile");
        dh_path_pop(&c->path, m);
}

/* Every container name in the pod, of any kind. */
static void container_names(const struct pod_spec *s, struct pod_v_index *x)
{
        const struct pod_container *lists[] = { s->initContainers.v, s->containers.v,
                                                s->ephemeralContainers.v };
        size_t counts[] = { s->initContainers.n, s->containers.n, s->ephemeralContainers.n };
        for (size_t l = 0; l < 3; l++)
                for (size_t i = 0; i < counts[l]; i++)
                        pod_v_index_add(x, lists[l][i].name, i);
}

static void apparmor_annotation(struct pod_vctx *c, const char *key, const char *v,
                                const struct pod_v_index *containers)
{
        const char *container = key + sizeof apparmor_prefix - 1;
        size_t m = dh_path_key(&c->path, key);
        if (!pod_v_index_has(containers, container))
                pod_v_invalid(c, NULL, container, "container not found");
        if (*v && strcmp(v, "runtime/default") != 0 && strcmp(v, "unconfined") != 0 &&
            strncmp(v, "localhost/", 10) != 0) {
                _cleanup_free_ char *q = dh_quote(v);
                char detail[400];
                snprintf(detail, sizeof detail, "invalid AppArmor profile name: %s", q ? q : "");
                pod_v_invalid(c, NULL, v, detail);
        }
        dh_path_pop(&c->path, m);
}

/* ValidatePodSpecificAnnotations, at "metadata". */
void pod_validate_pod_annotations(struct pod_vctx *c)
{
        const struct dh_strmap *a = &c->pod->metadata.annotations;
        size_t mark = dh_path_field(&c->path, "annotations");
        const char *mirror = dh_strmap_get(a, "kubernetes.io/config.mirror");
        if (mirror && !pod_v_set(c->pod->spec.nodeName)) {
                size_t m = dh_path_key(&c->path, "kubernetes.io/config.mirror");
                pod_v_invalid(c, NULL, mirror, "must set spec.nodeName if mirror pod annotation is set");
                dh_path_pop(&c->path, m);
        }
        const char *cost = dh_strmap_get(a, "controller.kubernetes.io/pod-deletion-cost");
        if (cost && !is_deletion_cost(cost)) {
                size_t m = dh_path_key(&c->path, "controller.kubernetes.io/pod-deletion-cost");
                pod_v_invalid(c, NULL, cost, "must be a 32bit integer");
                dh_path_pop(&c->path, m);
        }
        const char *pod_seccomp = dh_strmap_get(a, "seccomp.security.alpha.kubernetes.io/pod");
        if (pod_seccomp)
                seccomp_annotation(c, "seccomp.security.alpha.kubernetes.io/pod", pod_seccomp);
        for (size_t i = 0; i < a->n; i++)
                if (strncmp(pod_v_s(a->v[i].key), seccomp_prefix, sizeof seccomp_prefix - 1) == 0)
                        seccomp_annotation(c, a->v[i].key, pod_v_s(a->v[i].value));
        struct pod_v_index containers = { 0 };
        for (size_t i = 0; i < a->n; i++) {
                if (strncmp(pod_v_s(a->v[i].key), apparmor_prefix, sizeof apparmor_prefix - 1) != 0)
                        continue;
                if (!containers.n)
                        container_names(&c->pod->spec, &containers);
                apparmor_annotation(c, a->v[i].key, pod_v_s(a->v[i].value), &containers);
        }
        pod_v_index_free(&containers);
        dh_path_pop(&c->path, mark);
}
