/* A container's environment, after kubelet_pods.go's
 * makeEnvironmentVariables for a pod the kubelet has no API server for:
 * ConfigMap and Secret sources fail as they do there without a client,
 * fieldRef reads the pod (podFieldSelectorRuntimeValue,
 * fieldpath.ExtractFieldPathAsString), resourceFieldRef the container's
 * resources with unset limits defaulted to the node's allocatable
 * (defaultPodLimitsForDownwardAPI, resource.ExtractContainerResourceValue). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/criconfig-internal.h"
#include "lib/cleanup.h"
#include "pod/pod.h"

static int set_dup(char **out, const char *v, struct dh_err **err)
{
        return cc_dup(out, v ? v : "", err);
}

/* "metadata.labels['key']" -> map "metadata.labels", key; false if not
 * subscripted (SplitMaybeSubscriptedPath). */
static bool split_subscript(const char *path, char *base, size_t bsize, char *key, size_t ksize)
{
        size_t n = strlen(path);
        if (n < 2 || strcmp(path + n - 2, "']") != 0)
                return false;
        const char *open = strstr(path, "['");
        if (!open || open == path || open + 2 > path + n - 2)
                return false;
        int b = snprintf(base, bsize, "%.*s", (int)(open - path), path);
        int k = snprintf(key, ksize, "%.*s", (int)(path + n - 2 - (open + 2)), open + 2);
        return b >= 0 && (size_t)b < bsize && k >= 0 && (size_t)k < ksize;
}

static int field_ref(const struct pod *pod, const struct pod_object_field_selector *fs,
                     const struct agent_container_extras *x, char **out, struct dh_err **err)
{
        const char *p = fs->fieldPath ? fs->fieldPath : "";
        char base[64], key[320];
        if (split_subscript(p, base, sizeof base, key, sizeof key)) {
                if (strcmp(base, "metadata.annotations") == 0)
                        return set_dup(out, dh_strmap_get(&pod->metadata.annotations, key), err);
                if (strcmp(base, "metadata.labels") == 0)
                        return set_dup(out, dh_strmap_get(&pod->metadata.labels, key), err);
                return dh_err_set(err, EINVAL, "fieldPath \"%s\" does not support subscript", p);
        }
        const struct { const char *path, *value; } fields[] = {
                { "metadata.name", pod->metadata.name },
                { "metadata.namespace", pod_namespace(pod) },
                { "metadata.uid", pod->metadata.uid },
                { "spec.nodeName", pod->spec.nodeName },
                { "spec.serviceAccountName", pod->spec.serviceAccountName },
                /* One address each: the extras carry no second family. */
                { "status.hostIP", x->host_ip }, { "status.hostIPs", x->host_ip },
                { "status.podIP", x->pod_ip }, { "status.podIPs", x->pod_ip },
        };
        for (size_t i = 0; i < sizeof fields / sizeof *fields; i++)
                if (strcmp(p, fields[i].path) == 0)
                        return set_dup(out, fields[i].value, err);
        return dh_err_set(err, EINVAL, "unsupported fieldPath: %s", p);
}

static const struct pod_container *find_container(const struct pod *pod, const char *name)
{
        const struct pod_spec *s = &pod->spec;
        for (size_t i = 0; i < s->containers.n; i++)
                if (s->containers.v[i].name && strcmp(s->containers.v[i].name, name) == 0)
                        return &s->containers.v[i];
        for (size_t i = 0; i < s->initContainers.n; i++)
                if (s->initContainers.v[i].name && strcmp(s->initContainers.v[i].name, name) == 0)
                        return &s->initContainers.v[i];
        return NULL;
}

static int64_t ceil_div(int64_t a, int64_t b)
{
        if (b <= 0)
                return 0;
        return a / b + (a % b > 0 ? 1 : 0);
}

/* The limit, or the node's allocatable when the limit is unset or zero. */
static int64_t limit_or_alloc(const struct pod_container *c, const char *name, bool milli,
                              int64_t alloc)
{
        const struct pod_quantity *q = cc_resource(&c->resources.limits, name);
        if (!q || pod_quantity_is_zero(q))
                return alloc;
        return milli ? pod_quantity_milli(q) : pod_quantity_value(q);
}

static int64_t request(const struct pod_container *c, const char *name, bool milli)
{
        const struct pod_quantity *q = cc_resource(&c->resources.requests, name);
        return !q ? 0 : milli ? pod_quantity_milli(q) : pod_quantity_value(q);
}

static int resource_value(const struct pod_container *c, const char *res, const struct pod_quantity *div,
                          const struct agent_node_info *node, int64_t *v, struct dh_err **err)
{
        bool has_div = div->set && !pod_quantity_is_zero(div);
        int64_t dm = has_div ? pod_quantity_milli(div) : 1000, dv = has_div ? pod_quantity_value(div) : 1;
        if (strcmp(res, "limits.cpu") == 0)
                *v = ceil_div(limit_or_alloc(c, "cpu", true, node->allocatable_milli_cpu), dm);
        else if (strcmp(res, "requests.cpu") == 0)
                *v = ceil_div(request(c, "cpu", true), dm);
        else if (strcmp(res, "limits.memory") == 0)
                *v = ceil_div(limit_or_alloc(c, "memory", false, node->allocatable_memory), dv);
        else if (strcmp(res, "requests.memory") == 0)
                *v = ceil_div(request(c, "memory", false), dv);
        else if (strcmp(res, "limits.ephemeral-storage") == 0)
                *v = ceil_div(limit_or_alloc(c, "ephemeral-storage", false,
                                             node->allocatable_ephemeral_storage), dv);
        else if (strcmp(res, "requests.ephemeral-storage") == 0)
                *v = ceil_div(request(c, "ephemeral-storage", false), dv);
        else if (strncmp(res, "limits.hugepages-", 17) == 0)
                *v = ceil_div(limit_or_alloc(c, res + 7, false, 0), dv);
        else if (strncmp(res, "requests.hugepages-", 19) == 0)
                *v = ceil_div(request(c, res + 9, false), dv);
        else
                return dh_err_set(err, EINVAL, "unsupported container resource : %s", res);
        return 0;
}

static int resource_field_ref(const struct pod *pod, const struct pod_container *self,
                              const struct pod_resource_field_selector *fs,
                              const struct agent_node_info *node, char **out, struct dh_err **err)
{
        const struct pod_container *c = self;
        if (fs->containerName && *fs->containerName && !(c = find_container(pod, fs->containerName)))
                return dh_err_set(err, EINVAL, "container %s not found", fs->containerName);
        int64_t v = 0;
        if (resource_value(c, fs->resource ? fs->resource : "", &fs->divisor, node, &v, err) < 0)
                return -EINVAL;
        char buf[24];
        snprintf(buf, sizeof buf, "%lld", (long long)v);
        return set_dup(out, buf, err);
}

static const char *env_lookup(void *ud, const char *name)
{
        return cc_kvs_get(ud, name);
}

static int env_value(const struct pod *pod, const struct pod_container *c, const struct pod_env_var *e,
                     const struct agent_node_info *node, const struct agent_container_extras *x,
                     struct rt_kvs *env, char **out, struct dh_err **err)
{
        const struct pod_env_var_source *s = e->valueFrom;
        if ((e->value && *e->value) || !s)
                return agent_expand(e->value ? e->value : "", env_lookup, env, out, err);
        if (s->fieldRef)
                return field_ref(pod, s->fieldRef, x, out, err);
        if (s->resourceFieldRef)
                return resource_field_ref(pod, c, s->resourceFieldRef, node, out, err);
        const struct pod_key_selector *k = s->configMapKeyRef ? s->configMapKeyRef : s->secretKeyRef;
        return dh_err_set(err, EINVAL, "couldn't get %s %s/%s, no kubeClient defined",
                          s->configMapKeyRef ? "configMap" : "secret", pod_namespace(pod),
                          k && k->name ? k->name : "");
}

int agent_container_env(const struct pod *pod, const struct pod_container *c,
                        const struct agent_node_info *node, const struct agent_container_extras *x,
                        struct rt_kvs *out, struct dh_err **err)
{
        for (size_t i = 0; i < c->envFrom.n; i++) {
                const struct pod_env_from *f = &c->envFrom.v[i];
                const struct pod_env_source_ref *ref = f->configMapRef ? f->configMapRef : f->secretRef;
                return dh_err_set(err, EINVAL, "couldn't get %s %s/%s, no kubeClient defined",
                                  f->configMapRef ? "configMap" : "secret", pod_namespace(pod),
                                  ref && ref->name ? ref->name : "");
        }
        struct rt_kvs env = { 0 };
        int r = 0;
        for (size_t i = 0; r == 0 && i < c->env.n; i++) {
                const struct pod_env_var *e = &c->env.v[i];
                _cleanup_free_ char *v = NULL;
                r = env_value(pod, c, e, node, x, &env, &v, err);
                if (r == 0)
                        r = cc_kvs_set(&env, e->name ? e->name : "", v, err);
                if (r < 0)
                        dh_err_prefix(err, "env %s", e->name ? e->name : "");
        }
        if (r < 0) {
                rt_kvs_free(&env);
                return r;
        }
        *out = env;
        return 0;
}
