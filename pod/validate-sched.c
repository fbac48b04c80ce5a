/* Scheduling and name-resolution settings: node affinity terms and their
 * operators, tolerations, dnsConfig (and dnsPolicy None), hostAliases and
 * readiness gates. Pod (anti-)affinity is kept as raw JSON for the
 * scheduler and not checked here. */
#include <stdio.h>
#include <string.h>

#include "lib/cleanup.h"
#include "pod/validate-internal.h"

#define MAX_NAMESERVERS 3
#define MAX_SEARCHES 32
#define MAX_SEARCH_CHARS 2048

static const char *const toleration_ops[] = { "Equal", "Exists", NULL };
static const char *const taint_effects[] = { "NoSchedule", "PreferNoSchedule", "NoExecute", NULL };

static bool is(const char *v, const char *want)
{
        return strcmp(pod_v_s(v), want) == 0;
}

/* ValidateNodeSelectorRequirement, at matchExpressions[j]. */
static void requirement(struct pod_vctx *c, const struct pod_node_selector_req *r, bool any_value)
{
        const char *op = pod_v_s(r->operator);
        if (is(op, "In") || is(op, "NotIn")) {
                if (r->values.n == 0)
                        pod_v_required(c, "values", "must be specified when `operator` is 'In' or 'NotIn'");
        } else if (is(op, "Exists") || is(op, "DoesNotExist")) {
                if (r->values.n > 0)
                        pod_v_forbidden(c, "values",
                                        "may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
        } else if (is(op, "Gt") || is(op, "Lt")) {
                if (r->values.n != 1)
                        pod_v_required(c, "values",
                                       "must be specified single value when `operator` is 'Lt' or 'Gt'");
        } else {
                pod_v_invalid(c, "operator", op, "not a valid selector operator");
        }
        struct pod_msgs msgs;
        pod_is_qualified_name(r->key, &msgs);
        pod_v_msgs(c, "key", r->key, &msgs);
        if (any_value)
                return;
        size_t m = dh_path_field(&c->path, "values");
        for (size_t i = 0; i < r->values.n; i++) {
                size_t mi = dh_path_index(&c->path, i);
                pod_is_label_value(r->values.v[i], &msgs);
                pod_v_msgs(c, NULL, r->values.v[i], &msgs);
                dh_path_pop(&c->path, mi);
        }
        dh_path_pop(&c->path, m);
}

/* ValidateNodeFieldSelectorRequirement, at matchFields[j]. */
static void field_requirement(struct pod_vctx *c, const struct pod_node_selector_req *r)
{
        if (is(r->operator, "In") || is(r->operator, "NotIn")) {
                if (r->values.n != 1)
                        pod_v_required(c, "values", "must be only one value when `operator` is 'In' or "
                                                    "'NotIn' for node field selector");
        } else {
                pod_v_invalid(c, "operator", r->operator, "not a valid selector operator");
        }
        if (!is(r->key, "metadata.name")) {
                pod_v_invalid(c, "key", r->key, "not a valid field selector key");
                return;
        }
        size_t m = dh_path_field(&c->path, "values");
        for (size_t i = 0; i < r->values.n; i++) {
                size_t mi = dh_path_index(&c->path, i);
                pod_v_dns_subdomain(c, NULL, r->values.v[i]);
                dh_path_pop(&c->path, mi);
        }
        dh_path_pop(&c->path, m);
}

static void term(struct pod_vctx *c, const struct pod_node_selector_term *t, bool any_value)
{
        size_t m = dh_path_field(&c->path, "matchExpressions");
        for (size_t j = 0; j < t->matchExpressions.n; j++) {
                size_t mj = dh_path_index(&c->path, j);
                requirement(c, &t->matchExpressions.v[j], any_value);
                dh_path_pop(&c->path, mj);
        }
        dh_path_pop(&c->path, m);
        m = dh_path_field(&c->path, "matchFields");
        for (size_t j = 0; j < t->matchFields.n; j++) {
                size_t mj = dh_path_index(&c->path, j);
                field_requirement(c, &t->matchFields.v[j]);
                dh_path_pop(&c->path, mj);
        }
        dh_path_pop(&c->path, m);
}

static void required_terms(struct pod_vctx *c, const struct pod_node_selector *ns)
{
        size_t m = dh_path_field(&c->path, "requiredDuringSchedulingIgnoredDuringExecution");
        if (ns->nodeSelectorTerms.n == 0)
                pod_v_required(c, "nodeSelectorTerms", "must have at least one node selector term");
        size_t mt = dh_path_field(&c->path, "nodeSelectorTerms");
        for (size_t i = 0; i < ns->nodeSelectorTerms.n; i++) {
                size_t mi = dh_path_index(&c->path, i);
                term(c, &ns->nodeSelectorTerms.v[i], false);
                dh_path_pop(&c->path, mi);
        }
        dh_path_pop(&c->path, mt);
        dh_path_pop(&c->path, m);
}

/* Preferred terms may name label values that do not exist yet. */
static void preferred_terms(struct pod_vctx *c, const struct pod_node_affinity *na)
{
        size_t m = dh_path_field(&c->path, "preferredDuringSchedulingIgnoredDuringExecution");
        for (size_t i = 0; i < na->preferredDuringSchedulingIgnoredDuringExecution.n; i++) {
                const struct pod_preferred_term *p = &na->preferredDuringSchedulingIgnoredDuringExecution.v[i];
                size_t mi = dh_path_index(&c->path, i);
                int64_t w = p->weight.set ? p->weight.v : 0;
                if (w <= 0 || w > 100)
                        pod_v_invalid_int(c, "weight", w, "must be in the range 1-100");
                size_t mp = dh_path_field(&c->path, "preference");
                term(c, &p->preference, true);
                dh_path_pop(&c->path, mp);
                dh_path_pop(&c->path, mi);
        }
        dh_path_pop(&c->path, m);
}

void pod_validate_affinity(struct pod_vctx *c)
{
        const struct pod_affinity *a = c->pod->spec.affinity;
        if (!a || !a->nodeAffinity)
                return;
        size_t m = dh_path_field(&c->path, "affinity");
        dh_path_field(&c->path, "nodeAffinity");
        if (a->nodeAffinity->requiredDuringSchedulingIgnoredDuringExecution)
                required_terms(c, a->nodeAffinity->requiredDuringSchedulingIgnoredDuringExecution);
        if (a->nodeAffinity->preferredDuringSchedulingIgnoredDuringExecution.n)
                preferred_terms(c, a->nodeAffinity);
        dh_path_pop(&c->path, m);
}

static void toleration(struct pod_vctx *c, const struct pod_toleration *t)
{
        struct pod_msgs msgs;
        const char *op = pod_v_s(t->operator);
        if (pod_v_set(t->key)) {
                pod_is_qualified_name(t->key, &msgs);
                pod_v_msgs(c, "key", t->key, &msgs);
        } else if (!is(op, "Exists")) {
                pod_v_invalid(c, "operator", op, "operator must be Exists when `key` is empty, "
                                                 "which means \"match all values and all keys\"");
        }
        if (t->tolerationSeconds.set && !is(t->effect, "NoExecute"))
                pod_v_invalid(c, "effect", t->effect,
                              "effect must be 'NoExecute' when `tolerationSeconds` is set");
        if (!*op || is(op, "Equal")) {
                /* Upstream joins the label-value messages with ";". */
                pod_is_label_value(t->value, &msgs);
                char joined[POD_MSGS_MAX * (POD_MSG_LEN + 1)] = "";
                size_t len = 0;
                for (size_t i = 0; i < msgs.n && len < sizeof joined; i++)
                        len += (size_t)snprintf(joined + len, sizeof joined - len, "%s%s",
                                                i ? ";" : "", msgs.v[i]);
                if (msgs.n)
                        pod_v_invalid(c, "operator", t->value, joined);
        } else if (is(op, "Exists")) {
                if (pod_v_set(t->value))
                        pod_v_invalid(c, "operator", t->value,
                                      "value must be empty when `operator` is 'Exists'");
        } else {
                pod_v_not_supported(c, "operator", op, toleration_ops);
        }
        if (pod_v_set(t->effect) && !pod_v_in(t->effect, taint_effects))
                pod_v_not_supported(c, "effect", t->effect, taint_effects);
}

void pod_validate_tolerations(struct pod_vctx *c)
{
        const struct pod_spec *s = &c->pod->spec;
        size_t m = dh_path_field(&c->path, "tolerations");
        for (size_t i = 0; i < s->tolerations.n; i++) {
                size_t mi = dh_path_index(&c->path, i);
                toleration(c, &s->tolerations.v[i]);
                dh_path_pop(&c->path, mi);
        }
        dh_path_pop(&c->path, m);
}

static void searches(struct pod_vctx *c, const struct dh_strv *v)
{
        size_t chars = v->n ? v->n - 1 : 0;
        for (size_t i = 0; i < v->n; i++)
                chars += strlen(pod_v_s(v->v[i]));
        if (v->n > MAX_SEARCHES || chars > MAX_SEARCH_CHARS) {
                _cleanup_free_ char *list = pod_v_render_strv(v);
                if (v->n > MAX_SEARCHES)
                        pod_v_invalid_raw(c, "searches", list, "must not have more than 32 search paths");
                if (chars > MAX_SEARCH_CHARS)
                        pod_v_invalid_raw(c, "searches", list, "must not have more than 2048 characters "
                                                               "(including spaces) in the search list");
        }
        size_t m = dh_path_field(&c->path, "searches");
        struct pod_msgs msgs;
        for (size_t i = 0; i < v->n; i++) {
                const char *s = pod_v_s(v->v[i]);
                if (strcmp(s, ".") == 0)
                        continue;
                _cleanup_free_ char *trimmed = strdup(s);
                size_t n = trimmed ? strlen(trimmed) : 0;
                if (n && trimmed[n - 1] == '.')
                        trimmed[n - 1] = '\0';
                pod_is_dns1123_subdomain_underscore(trimmed, &msgs);
                size_t mi = dh_path_index(&c->path, i);
                pod_v_msgs(c, NULL, trimmed, &msgs);
                dh_path_pop(&c->path, mi);
        }
        dh_path_pop(&c->path, m);
}

static void dns_config(struct pod_vctx *c, const struct pod_dns_config *d)
{
        if (d->nameservers.n > MAX_NAMESERVERS) {
                _cleanup_free_ char *list = pod_v_render_strv(&d->nameservers);
                pod_v_invalid_raw(c, "nameservers", list, "must not have more than 3 nameservers");
        }
        size_t m = dh_path_field(&c->path, "nameservers");
        for (size_t i = 0; i < d->nameservers.n; i++) {
                size_t mi = dh_path_index(&c->path, i);
                if (!pod_is_valid_ip(d->nameservers.v[i]))
                        pod_v_invalid(c, NULL, d->nameservers.v[i], POD_IP_MSG);
                dh_path_pop(&c->path, mi);
        }
        dh_path_pop(&c->path, m);
        searches(c, &d->searches);
        m = dh_path_field(&c->path, "options");
        for (size_t i = 0; i < d->options.n; i++) {
                size_t mi = dh_path_index(&c->path, i);
                if (!pod_v_set(d->options.v[i].name))
                        pod_v_required(c, NULL, "must not be empty");
                dh_path_pop(&c->path, mi);
        }
        dh_path_pop(&c->path, m);
}

/* validatePodDNSConfig, at the spec. */
void pod_validate_dns_config(struct pod_vctx *c)
{
        const struct pod_spec *s = &c->pod->spec;
        const struct pod_dns_config *d = s->dnsConfig;
        if (is(s->dnsPolicy, "None")) {
                if (!d) {
                        pod_v_required(c, "dnsConfig", "must provide `dnsConfig` when `dnsPolicy` is None");
                        return;
                }
                if (d->nameservers.n == 0) {
                        pod_v_required(c, "dnsConfig.nameservers",
                                       "must provide at least one DNS nameserver when `dnsPolicy` is None");
                        return;
                }
        }
        if (!d)
                return;
        size_t m = dh_path_field(&c->path, "dnsConfig");
        dns_config(c, d);
        dh_path_pop(&c->path, m);
}

void pod_validate_host_aliases(struct pod_vctx *c)
{
        const struct pod_spec *s = &c->pod->spec;
        size_t m = dh_path_field(&c->path, "hostAliases");
        for (size_t i = 0; i < s->hostAliases.n; i++) {
                const struct pod_host_alias *h = &s->hostAliases.v[i];
                size_t mi = dh_path_index(&c->path, i);
                if (!pod_is_valid_ip(h->ip))
                        pod_v_invalid(c, "ip", h->ip, POD_IP_MSG);
                size_t mh = dh_path_field(&c->path, "hostnames");
                for (size_t j = 0; j < h->hostnames.n; j++) {
                        size_t mj = dh_path_index(&c->path, j);
                        pod_v_dns_subdomain(c, NULL, h->hostnames.v[j]);
                        dh_path_pop(&c->path, mj);
                }
                dh_path_pop(&c->path, mh);
                dh_path_pop(&c->path, mi);
        }
        dh_path_pop(&c->path, m);
}

void pod_validate_readiness_gates(struct pod_vctx *c)
{
        const struct pod_spec *s = &c->pod->spec;
        struct pod_msgs msgs;
        size_t m = dh_path_field(&c->path, "readinessGates");
        for (size_t i = 0; i < s->readinessGates.n; i++) {
                const char *ct = s->readinessGates.v[i].conditionType;
                size_t mi = dh_path_index(&c->path, i);
                pod_is_qualified_name(ct, &msgs);
                pod_v_msgs(c, "conditionType", ct, &msgs);
                dh_path_pop(&c->path, mi);
        }
        dh_path_pop(&c->path, m);
}
