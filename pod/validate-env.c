/* Container env and envFrom (ValidateEnv, ValidateEnvFrom) and the
 * downward-API selectors they share with downwardAPI volumes: fieldRef
 * paths, resourceFieldRef resources and divisors, configMap and secret
 * key references. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "pod/validate-internal.h"

/* validEnvDownwardAPIFieldPathExpressions, sorted as upstream lists them. */
const char *const pod_v_env_field_paths[] = {
        "metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName",
        "spec.serviceAccountName", "status.hostIP", "status.hostIPs", "status.podIP",
        "status.podIPs", NULL,
};

/* validVolumeDownwardAPIFieldPathExpressions. */
const char *const pod_v_volume_field_paths[] = {
        "metadata.annotations", "metadata.labels", "metadata.name", "metadata.namespace",
        "metadata.uid", NULL,
};

/* Every label ConvertDownwardAPIFieldLabel knows for v1 pods. */
static const char *const convertible_labels[] = {
        "metadata.annotations", "metadata.labels", "metadata.name", "metadata.namespace",
        "metadata.uid", "spec.nodeName", "spec.restartPolicy", "spec.serviceAccountName",
        "spec.schedulerName", "status.phase", "status.hostIP", "status.hostIPs", "status.podIP",
        "status.podIPs", "spec.host", NULL,
};

static const char *const resource_paths[] = {
        "limits.cpu", "limits.ephemeral-storage", "limits.memory", "requests.cpu",
        "requests.ephemeral-storage", "requests.memory", NULL,
};

static const char *const cpu_divisors[] = { "1m", "1", NULL };
static const char *const byte_divisors[] = {
        "1", "1k", "1M", "1G", "1T", "1P", "1E", "1Ki", "1Mi", "1Gi", "1Ti", "1Pi", "1Ei", NULL,
};

/* fieldpath.SplitMaybeSubscriptedPath: "metadata.labels['x']" is
 * ("metadata.labels", "x"). path and sub are copies the caller frees. */
static bool split_subscript(const char *fp, char **path, char **sub)
{
        size_t n = strlen(fp);
        if (n < 2 || strcmp(fp + n - 2, "']") != 0)
                return false;
        const char *open = strstr(fp, "['");
        if (!open || open == fp || open + 2 > fp + n - 2)
                return false;
        *path = strndup(fp, (size_t)(open - fp));
        *sub = strndup(open + 2, (size_t)(fp + n - 2 - (open + 2)));
        return *path && *sub;
}

static void convert_error(struct pod_vctx *c, const char *fp, const char *why, const char *arg)
{
        char detail[1200];
        snprintf(detail, sizeof detail, "error converting fieldPath: %s%s", why, arg);
        pod_v_invalid(c, "fieldPath", fp, detail);
}

/* validateObjectFieldSelector, at the fieldRef. */
void pod_validate_object_field_selector(struct pod_vctx *c,
                                        const struct pod_object_field_selector *fs,
                                        const char *const *paths)
{
        if (!pod_v_set(fs->apiVersion)) {
                pod_v_required(c, "apiVersion", NULL);
                return;
        }
        if (!pod_v_set(fs->fieldPath)) {
                pod_v_required(c, "fieldPath", NULL);
                return;
        }
        const char *fp = fs->fieldPath;
        _cleanup_free_ char *path = NULL, *sub = NULL;
        bool subscripted = split_subscript(fp, &path, &sub);
        const char *why = NULL, *arg = fp;
        if (strcmp(fs->apiVersion, "v1") != 0) {
                why = "unsupported pod version: ";
                arg = fs->apiVersion;
        } else if (subscripted && strcmp(path, "metadata.annotations") != 0 &&
                   strcmp(path, "metadata.labels") != 0) {
                why = "field label does not support subscript: ";
        } else if (!subscripted && !pod_v_in(fp, convertible_labels)) {
                why = "field label not supported: ";
        }
        if (why) {
                convert_error(c, fp, why, arg);
                return;
        }
        struct pod_msgs msgs;
        if (subscripted) {
                if (strcmp(path, "metadata.annotations") == 0)
                        for (char *p = sub; *p; p++)
                                *p = (char)tolower((unsigned char)*p);
                pod_is_qualified_name(sub, &msgs);
                pod_v_msgs(c, NULL, sub, &msgs);
                return;
        }
        const char *internal = strcmp(fp, "spec.host") == 0 ? "spec.nodeName" : fp;
        if (!pod_v_in(internal, paths))
                pod_v_not_supported(c, "fieldPath", internal, paths);
}

static bool has_prefix(const char *s, const char *prefix)
{
        return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* validateContainerResourceDivisor: the unit must be one a value can be
 * expressed in exactly. */
static void divisor(struct pod_vctx *c, const char *res, const struct pod_quantity *d)
{
        if (!d->set || pod_quantity_is_zero(d))
                return;
        char buf[POD_QTY_FORMAT_MAX];
        const char *s = pod_v_qty(d, buf, sizeof buf);
        static const char bytes[] = "only divisor's values 1, 1k, 1M, 1G, 1T, 1P, 1E, 1Ki, 1Mi, "
                                    "1Gi, 1Ti, 1Pi, 1Ei are supported with the ";
        char msg[256];
        const char *what = NULL;
        if (strcmp(res, "limits.cpu") == 0 || strcmp(res, "requests.cpu") == 0) {
                if (!pod_v_in(s, cpu_divisors))
                        pod_v_invalid(c, "divisor", res,
                                      "only divisor's values 1m and 1 are supported with the cpu resource");
        } else if (strcmp(res, "limits.memory") == 0 || strcmp(res, "requests.memory") == 0) {
                what = "memory resource";
        } else if (strcmp(res, "limits.ephemeral-storage") == 0 ||
                   strcmp(res, "requests.ephemeral-storage") == 0) {
                what = "local ephemeral storage resource";
        }
        if (what && !pod_v_in(s, byte_divisors)) {
                snprintf(msg, sizeof msg, "%s%s", bytes, what);
                pod_v_invalid(c, "divisor", res, msg);
        }
        if ((has_prefix(res, "requests.hugepages-") || has_prefix(res, "limits.hugepages-")) &&
            !pod_v_in(s, byte_divisors)) {
                snprintf(msg, sizeof msg, "%shugepages resource", bytes);
                pod_v_invalid(c, "divisor", res, msg);
        }
}

/* validateContainerResourceFieldSelector, at the resourceFieldRef. */
void pod_validate_resource_field_selector(struct pod_vctx *c,
                                          const struct pod_resource_field_selector *fs,
                                          bool volume)
{
        const char *res = pod_v_s(fs->resource);
        if (volume && !pod_v_set(fs->containerName))
                pod_v_required(c, "containerName", NULL);
        else if (!*res)
                pod_v_required(c, "resource", NULL);
        else if (!pod_v_in(res, resource_paths) && !has_prefix(res, "requests.hugepages-") &&
                 !has_prefix(res, "limits.hugepages-"))
                pod_v_not_supported(c, "resource", res, resource_paths);
        divisor(c, res, &fs->divisor);
}

/* validateConfigMapKeySelector / validateSecretKeySelector. */
static void key_selector(struct pod_vctx *c, const struct pod_key_selector *k)
{
        pod_v_dns_subdomain(c, "name", pod_v_s(k->name));
        struct pod_msgs msgs;
        if (!pod_v_set(k->key)) {
                pod_v_required(c, "key", NULL);
        } else {
                pod_is_config_map_key(k->key, &msgs);
                pod_v_msgs(c, "key", k->key, &msgs);
        }
}

static void value_from(struct pod_vctx *c, const struct pod_env_var *ev)
{
        const struct pod_env_var_source *vf = ev->valueFrom;
        size_t n = 0, m;
        if (vf->fieldRef) {
                n++;
                m = dh_path_field(&c->path, "fieldRef");
                pod_validate_object_field_selector(c, vf->fieldRef, pod_v_env_field_paths);
                dh_path_pop(&c->path, m);
        }
        if (vf->resourceFieldRef) {
                n++;
                m = dh_path_field(&c->path, "resourceFieldRef");
                pod_validate_resource_field_selector(c, vf->resourceFieldRef, false);
                dh_path_pop(&c->path, m);
        }
        const struct pod_key_selector *keys[] = { vf->configMapKeyRef, vf->secretKeyRef };
        const char *names[] = { "configMapKeyRef", "secretKeyRef" };
        for (size_t i = 0; i < 2; i++) {
                if (!keys[i])
                        continue;
                n++;
                m = dh_path_field(&c->path, names[i]);
                key_selector(c, keys[i]);
                dh_path_pop(&c->path, m);
        }
        if (n == 0)
                pod_v_invalid(c, NULL, "", "must specify one of: `fieldRef`, `resourceFieldRef`, "
                                           "`configMapKeyRef` or `secretKeyRef`");
        else if (pod_v_set(ev->value))
                pod_v_invalid(c, NULL, "", "may not be specified when `value` is not empty");
        else if (n > 1)
                pod_v_invalid(c, NULL, "", "may not have more than one field specified at a time");
}

void pod_validate_env(struct pod_vctx *c, const struct pod_container *ctr)
{
        struct pod_msgs msgs;
        size_t m = dh_path_field(&c->path, "env");
        for (size_t i = 0; i < ctr->env.n; i++) {
                const struct pod_env_var *ev = &ctr->env.v[i];
                size_t mi = dh_path_index(&c->path, i);
                if (!pod_v_set(ev->name)) {
                        pod_v_required(c, "name", NULL);
                } else {
                        pod_is_env_var_name(ev->name, &msgs);
                        pod_v_msgs(c, "name", ev->name, &msgs);
                }
                if (ev->valueFrom) {
                        size_t mv = dh_path_field(&c->path, "valueFrom");
                        value_from(c, ev);
                        dh_path_pop(&c->path, mv);
                }
                dh_path_pop(&c->path, mi);
        }
        dh_path_pop(&c->path, m);
}

/* configMapRef / secretRef: a name, which may end in '-' like a prefix. */
static void env_source_ref(struct pod_vctx *c, const char *field,
                           const struct pod_env_source_ref *r)
{
        size_t m = dh_path_field(&c->path, field);
        struct pod_msgs msgs;
        if (!pod_v_set(r->name)) {
                pod_v_required(c, "name", NULL);
        } else {
                pod_name_is_dns_subdomain(r->name, true, &msgs);
                pod_v_msgs(c, "name", r->name, &msgs);
        }
        dh_path_pop(&c->path, m);
}

void pod_validate_env_from(struct pod_vctx *c, const struct pod_container *ctr)
{
        struct pod_msgs msgs;
        size_t m = dh_path_field(&c->path, "envFrom");
        for (size_t i = 0; i < ctr->envFrom.n; i++) {
                const struct pod_env_from *ef = &ctr->envFrom.v[i];
                size_t mi = dh_path_index(&c->path, i);
                if (pod_v_set(ef->prefix)) {
                        pod_is_env_var_name(ef->prefix, &msgs);
                        pod_v_msgs(c, "prefix", ef->prefix, &msgs);
                }
                if (ef->configMapRef)
                        env_source_ref(c, "configMapRef", ef->configMapRef);
                if (ef->secretRef)
                        env_source_ref(c, "secretRef", ef->secretRef);
                dh_path_pop(&c->path, mi);
                /* Reported at envFrom itself, as upstream does. */
                if (!ef->configMapRef && !ef->secretRef)
                        pod_v_invalid(c, NULL, "", "must specify one of: `configMapRef` or `secretRef`");
                else if (ef->configMapRef && ef->secretRef)
                        pod_v_invalid(c, NULL, "", "may not have more than one field specified at a time");
        }
        dh_path_pop(&c->path, m);
}
