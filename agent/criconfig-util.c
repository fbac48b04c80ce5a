/* Owned-list helpers for the criconfig builders, plus the namespace,
 * seccomp, group and label rules the sandbox and container configs share
 * (kuberuntime_sandbox.go, security_context.go, labels.go). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/criconfig-internal.h"
#include "agent/podruntime.h"
#include "agent/staticpod.h"
#include "lib/cleanup.h"
#include "pod/pod.h"

static int oom(struct dh_err **err)
{
        return dh_err_set(err, ENOMEM, "out of memory");
}

int cc_dup(char **dst, const char *s, struct dh_err **err)
{
        *dst = NULL;
        if (!s)
                return 0;
        *dst = strdup(s);
        return *dst ? 0 : oom(err);
}

char *cc_printf(const char *fmt, ...)
{
        char *s = NULL;
        va_list ap;
        va_start(ap, fmt);
        if (vasprintf(&s, fmt, ap) < 0)
                s = NULL;
        va_end(ap);
        return s;
}

int cc_strv_push(struct dh_strv *v, const char *s, struct dh_err **err)
{
        char **n = realloc(v->v, (v->n + 1) * sizeof *n);
        if (!n)
                return oom(err);
        v->v = n;
        if (!(n[v->n] = strdup(s)))
                return oom(err);
        v->n++;
        return 0;
}

int cc_strv_push_unique(struct dh_strv *v, const char *s, struct dh_err **err)
{
        for (size_t i = 0; i < v->n; i++)
                if (strcmp(v->v[i], s) == 0)
                        return 0;
        return cc_strv_push(v, s, err);
}

void cc_strv_free(struct dh_strv *v)
{
        for (size_t i = 0; i < v->n; i++)
                free(v->v[i]);
        free(v->v);
        *v = (struct dh_strv){ 0 };
}

const char *cc_kvs_get(const struct rt_kvs *k, const char *key)
{
        for (size_t i = 0; i < k->n; i++)
                if (strcmp(k->v[i].key, key) == 0)
                        return k->v[i].value;
        return NULL;
}

int cc_kvs_set(struct rt_kvs *k, const char *key, const char *value, struct dh_err **err)
{
        _cleanup_free_ char *val = strdup(value ? value : "");
        if (!val)
                return oom(err);
        for (size_t i = 0; i < k->n; i++)
                if (strcmp(k->v[i].key, key) == 0) {
                        free(k->v[i].value);
                        k->v[i].value = TAKE_PTR(val);
                        return 0;
                }
        struct rt_kv *n = realloc(k->v, (k->n + 1) * sizeof *n);
        if (!n)
                return oom(err);
        k->v = n;
        if (!(n[k->n].key = strdup(key)))
                return oom(err);
        n[k->n].value = TAKE_PTR(val);
        k->n++;
        return 0;
}

int cc_i64_push(void *vec, int64_t x, struct dh_err **err)
{
        DH_VEC(int64_t) *v = vec;
        int64_t *n = realloc(v->v, (v->n + 1) * sizeof *n);
        if (!n)
                return oom(err);
        v->v = n;
        n[v->n++] = x;
        return 0;
}

struct rt_namespace_options cc_namespaces_for_pod(const struct pod *pod)
{
        const struct pod_spec *s = &pod->spec;
        struct rt_namespace_options o = { .network = RT_NS_POD, .pid = RT_NS_CONTAINER,
                                          .ipc = RT_NS_POD };
        if (s->hostNetwork.v)
                o.network = RT_NS_NODE;
        if (s->hostIPC.v)
                o.ipc = RT_NS_NODE;
        if (s->hostPID.v)
                o.pid = RT_NS_NODE;
        else if (s->shareProcessNamespace.v)
                o.pid = RT_NS_POD;
        return o;
}

static int field_profile(const struct pod_seccomp_profile *p, const struct agent_node_info *node,
                         struct rt_security_profile *out, struct dh_err **err)
{
        *out = (struct rt_security_profile){ .profile_type = RT_SECCOMP_UNCONFINED };
        if (p->type && strcmp(p->type, "RuntimeDefault") == 0) {
                out->profile_type = RT_SECCOMP_RUNTIME_DEFAULT;
                return 0;
        }
        if (!p->type || strcmp(p->type, "Localhost") != 0)
                return 0;
        if (!p->localhostProfile || !*p->localhostProfile)
                return dh_err_set(err, EINVAL,
                                  "localhostProfile must be set if seccompProfile type is Localhost.");
        const char *root = node->seccomp_root ? node->seccomp_root : "/var/lib/kubelet/seccomp";
        /* filepath.Join cleans the result; validation has already refused
         * ".." and absolute names, so a plain join is the same path. */
        char *ref = NULL;
        if (asprintf(&ref, "%s/%s", root, p->localhostProfile) < 0)
                return oom(err);
        out->profile_type = RT_SECCOMP_LOCALHOST;
        out->localhost_ref = ref;
        return 0;
}

int cc_seccomp_profile(const struct pod_seccomp_profile *container,
                       const struct pod_seccomp_profile *pod, const struct agent_node_info *node,
                       struct rt_security_profile *out, struct dh_err **err)
{
        if (container)
                return field_profile(container, node, out, err);
        if (pod)
                return field_profile(pod, node, out, err);
        *out = (struct rt_security_profile){
                .profile_type = node->seccomp_default ? RT_SECCOMP_RUNTIME_DEFAULT : RT_SECCOMP_UNCONFINED,
        };
        return 0;
}

int cc_pod_groups(const struct pod *pod, void *vec, struct dh_err **err)
{
        const struct pod_pod_security_context *sc = pod->spec.securityContext;
        if (!sc)
                return 0;
        int r = 0;
        if (sc->fsGroup.set)
                r = cc_i64_push(vec, sc->fsGroup.v, err);
        for (size_t i = 0; r == 0 && i < sc->supplementalGroups.n; i++)
                r = cc_i64_push(vec, sc->supplementalGroups.v[i].v, err);
        return r;
}

int cc_pod_labels(const struct pod *pod, const struct dh_strmap *base, struct rt_kvs *out,
                  struct dh_err **err)
{
        int r = 0;
        for (size_t i = 0; r == 0 && base && i < base->n; i++)
                r = cc_kvs_set(out, base->v[i].key, base->v[i].value, err);
        if (r == 0)
                r = cc_kvs_set(out, AGENT_LABEL_POD_NAME, pod->metadata.name, err);
        if (r == 0)
                r = cc_kvs_set(out, AGENT_LABEL_POD_NAMESPACE, pod_namespace(pod), err);
        if (r == 0)
                r = cc_kvs_set(out, AGENT_LABEL_POD_UID, pod->metadata.uid, err);
        return r;
}

/* kubetypes.IsStaticPod: a config source other than the API server. */
bool cc_is_static_pod(const struct pod *pod)
{
        const char *src = dh_strmap_get(&pod->metadata.annotations, AGENT_ANN_CONFIG_SOURCE);
        return src && strcmp(src, "api") != 0;
}
