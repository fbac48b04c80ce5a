/* Container resources and pod overhead (validateResourceRequirements):
 * resource names (standard, hugepages-<size> or fully qualified extended
 * resources), non-negative and integer quantities, requests within limits
 * (equal for extended resources and hugepages), hugepages in whole pages
 * and never without cpu or memory. Quantities print as Quantity.String(). */
#include <stdio.h>
#include <string.h>

#include "pod/validate-internal.h"

static const char *const standard_resources[] = {
        "cpu", "memory", "ephemeral-storage", "requests.cpu", "requests.memory",
        "requests.ephemeral-storage", "limits.cpu", "limits.memory", "limits.ephemeral-storage",
        "pods", "resourcequotas", "services", "replicationcontrollers", "secrets", "configmaps",
        "persistentvolumeclaims", "storage", "requests.storage", "services.nodeports",
        "services.loadbalancers", NULL,
};
static const char *const container_resources[] = { "cpu", "memory", "ephemeral-storage", NULL };
static const char *const integer_resources[] = {
        "pods", "resourcequotas", "services", "replicationcontrollers", "secrets", "configmaps",
        "persistentvolumeclaims", "services.nodeports", "services.loadbalancers", NULL,
};

static bool has_prefix(const char *s, const char *prefix)
{
        return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool is_hugepages(const char *name)
{
        return has_prefix(name, "hugepages-");
}

/* In the kubernetes.io/ namespace; unprefixed names implicitly are. */
static bool is_native(const char *name)
{
        return !strchr(name, '/') || strstr(name, "kubernetes.io/");
}

static bool is_extended(const char *name)
{
        if (is_native(name) || has_prefix(name, "requests."))
                return false;
        char quota[600];
        if ((size_t)snprintf(quota, sizeof quota, "requests.%s", name) >= sizeof quota)
                return false;
        struct pod_msgs msgs;
        pod_is_qualified_name(quota, &msgs);
        return msgs.n == 0;
}

static bool overcommit_allowed(const char *name)
{
        return is_native(name) && !is_hugepages(name);
}

/* validateContainerResourceName, at limits[name] or requests[name]. */
static void resource_name(struct pod_vctx *c, const char *name)
{
        struct pod_msgs msgs;
        pod_is_qualified_name(name, &msgs);
        pod_v_msgs(c, NULL, name, &msgs);
        bool bare = !strchr(name, '/');
        if (!msgs.n && bare && !pod_v_in(name, standard_resources) && !is_hugepages(name) &&
            !has_prefix(name, "requests.hugepages-"))
                pod_v_invalid(c, NULL, name, "must be a standard resource type or fully qualified");
        if (bare && !pod_v_in(name, container_resources) && !is_hugepages(name))
                pod_v_invalid(c, NULL, name, "must be a standard resource for containers");
        else if (!bare && !is_native(name) && !is_extended(name))
                pod_v_invalid(c, NULL, name, "doesn't follow extended resource name standard");
}

/* ValidateResourceQuantityValue. */
static void quantity_value(struct pod_vctx *c, const char *name, const struct pod_quantity *q)
{
        char buf[POD_QTY_FORMAT_MAX];
        if (q->nano < 0)
                pod_v_invalid(c, NULL, pod_v_qty(q, buf, sizeof buf), "must be greater than or equal to 0");
        if ((pod_v_in(name, integer_resources) || is_extended(name)) &&
            pod_quantity_milli(q) % 1000 != 0)
                pod_v_invalid_raw(c, NULL, pod_v_qty(q, buf, sizeof buf), "must be an integer");
}

/* IsHugePageResourceValueDivisible: a whole number of pages. */
static void hugepages_value(struct pod_vctx *c, const char *name, const struct pod_quantity *q)
{
        if (!is_hugepages(name))
                return;
        struct pod_quantity page;
        bool ok = pod_quantity_parse(name + strlen("hugepages-"), &page, NULL) == 0 &&
                  page.nano > 0 && pod_quantity_milli(&page) % 1000 == 0 &&
                  pod_quantity_value(q) % pod_quantity_value(&page) == 0;
        if (ok)
                return;
        char buf[POD_QTY_FORMAT_MAX], detail[POD_QTY_FORMAT_MAX + 600];
        pod_v_qty(q, buf, sizeof buf);
        snprintf(detail, sizeof detail, "%s is not positive integer multiple of %s", buf, name);
        pod_v_invalid(c, NULL, buf, detail);
}

static const struct pod_resource *find(const struct pod_resource_list *l, const char *name)
{
        for (size_t i = 0; i < l->n; i++)
                if (strcmp(pod_v_s(l->v[i].name), name) == 0)
                        return &l->v[i];
        return NULL;
}

static bool cpu_or_memory(const char *name)
{
        return strcmp(name, "cpu") == 0 || strcmp(name, "memory") == 0;
}

static void request_vs_limit(struct pod_vctx *c, const struct pod_resources *r,
                             const struct pod_resource *req)
{
        const char *name = pod_v_s(req->name);
        const struct pod_resource *lim = find(&r->limits, name);
        if (!lim) {
                if (!overcommit_allowed(name))
                        pod_v_required(c, "limits", "Limit must be set for non overcommitable resources");
                return;
        }
        int cmp = pod_quantity_cmp(&req->q, &lim->q);
        const char *how = NULL;
        if (cmp != 0 && !overcommit_allowed(name))
                how = "equal to";
        else if (cmp > 0)
                how = "less than or equal to";
        if (!how)
                return;
        char rq[POD_QTY_FORMAT_MAX], lq[POD_QTY_FORMAT_MAX], detail[POD_QTY_FORMAT_MAX + 700];
        snprintf(detail, sizeof detail, "must be %s %s limit of %s", how, name,
                 pod_v_qty(&lim->q, lq, sizeof lq));
        pod_v_invalid(c, "requests", pod_v_qty(&req->q, rq, sizeof rq), detail);
}

static bool one_resource(struct pod_vctx *c, const char *list, const struct pod_resource *res)
{
        const char *name = pod_v_s(res->name);
        size_t m = dh_path_field(&c->path, list);
        dh_path_key(&c->path, name);
        resource_name(c, name);
        quantity_value(c, name, &res->q);
        dh_path_pop(&c->path, m);
        return cpu_or_memory(name);
}

static void hugepages_at(struct pod_vctx *c, const char *list, const struct pod_resource *res)
{
        size_t m = dh_path_field(&c->path, list);
        dh_path_key(&c->path, pod_v_s(res->name));
        hugepages_value(c, pod_v_s(res->name), &res->q);
        dh_path_pop(&c->path, m);
}

/* validateResourceRequirements, at the requirements' own path. */
static void requirements(struct pod_vctx *c, const struct pod_resources *r)
{
        bool cpu_mem = false, huge = false;
        for (size_t i = 0; i < r->limits.n; i++) {
                cpu_mem = one_resource(c, "limits", &r->limits.v[i]) || cpu_mem;
                hugepages_at(c, "limits", &r->limits.v[i]);
                huge = huge || is_hugepages(pod_v_s(r->limits.v[i].name));
        }
        for (size_t i = 0; i < r->requests.n; i++) {
                cpu_mem = one_resource(c, "requests", &r->requests.v[i]) || cpu_mem;
                request_vs_limit(c, r, &r->requests.v[i]);
                hugepages_at(c, "requests", &r->requests.v[i]);
                huge = huge || is_hugepages(pod_v_s(r->requests.v[i].name));
        }
        if (huge && !cpu_mem)
                pod_v_forbidden(c, NULL, "HugePages require cpu or memory");
}

void pod_validate_resources(struct pod_vctx *c, const struct pod_resources *r)
{
        requirements(c, r);
}

/* validateOverhead: the overhead is checked as if it were limits, and
 * reported as "spec.overhead.limits[...]" like upstream does. */
void pod_validate_overhead(struct pod_vctx *c)
{
        const struct pod_resource_list *o = &c->pod->spec.overhead;
        if (!o->n)
                return;
        struct pod_resources r = { .limits = *o };
        size_t m = dh_path_field(&c->path, "overhead");
        requirements(c, &r);
        dh_path_pop(&c->path, m);
}
