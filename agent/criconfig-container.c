/* The container config, after kuberuntime_container.go's
 * generateContainerConfig and newContainerLabels/newContainerAnnotations
 * (labels.go): identity, image, expanded command and args, environment,
 * the prepared mounts and devices, log path "<name>/<restartCount>.log",
 * attempt = restartCount, and the Linux part. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/criconfig-internal.h"
#include "agent/podruntime.h"
#include "lib/cleanup.h"
#include "pod/pod.h"

static const char *env_lookup(void *ud, const char *name)
{
        return cc_kvs_get(ud, name);
}

/* ExpandContainerCommandAndArgs: against the final environment. */
static int expand_all(const struct dh_strv *in, const struct rt_kvs *env, struct dh_strv *out,
                      struct dh_err **err)
{
        for (size_t i = 0; i < in->n; i++) {
                _cleanup_free_ char *v = NULL;
                if (agent_expand(in->v[i], env_lookup, (void *)env, &v, err) < 0 ||
                    cc_strv_push(out, v, err) < 0)
                        return -1;
        }
        return 0;
}

static int copy_mounts(const struct agent_container_extras *x, struct rt_container_config *c,
                       struct dh_err **err)
{
        if (x->n_mounts && !(c->mounts.v = calloc(x->n_mounts, sizeof *c->mounts.v)))
                return dh_err_set(err, ENOMEM, "out of memory");
        for (size_t i = 0; i < x->n_mounts; i++, c->mounts.n++) {
                struct rt_mount *m = &c->mounts.v[i];
                *m = x->mounts[i];
                m->container_path = m->host_path = NULL;
                if (cc_dup(&m->container_path, x->mounts[i].container_path, err) < 0 ||
                    cc_dup(&m->host_path, x->mounts[i].host_path, err) < 0) {
                        c->mounts.n++;
                        return -ENOMEM;
                }
        }
        if (x->n_devices && !(c->devices.v = calloc(x->n_devices, sizeof *c->devices.v)))
                return dh_err_set(err, ENOMEM, "out of memory");
        for (size_t i = 0; i < x->n_devices; i++, c->devices.n++) {
                struct rt_device *d = &c->devices.v[i];
                if (cc_dup(&d->container_path, x->devices[i].container_path, err) < 0 ||
                    cc_dup(&d->host_path, x->devices[i].host_path, err) < 0 ||
                    cc_dup(&d->permissions, x->devices[i].permissions, err) < 0) {
                        c->devices.n++;
                        return -ENOMEM;
                }
        }
        return 0;
}

static int annotations(const struct pod *pod, const struct pod_container *ct, bool init,
                       int32_t restart_count, struct rt_kvs *a, struct dh_err **err)
{
        char buf[32];
        snprintf(buf, sizeof buf, "%llx", (unsigned long long)agent_container_hash(ct));
        int r = cc_kvs_set(a, AGENT_ANN_CONTAINER_HASH, buf, err);
        snprintf(buf, sizeof buf, "%d", (int)restart_count);
        if (r == 0)
                r = cc_kvs_set(a, AGENT_ANN_RESTART_COUNT, buf, err);
        if (r == 0)
                r = cc_kvs_set(a, AGENT_ANN_TERMINATION_MESSAGE_PATH, ct->terminationMessagePath, err);
        if (r == 0)
                r = cc_kvs_set(a, AGENT_ANN_TERMINATION_MESSAGE_POLICY, ct->terminationMessagePolicy, err);
        if (r == 0)
                r = cc_kvs_set(a, AGENT_ANN_CONTAINER_TYPE, init ? "init" : "container", err);
        if (r == 0 && pod->metadata.deletionGracePeriodSeconds.set) {
                snprintf(buf, sizeof buf, "%lld", (long long)pod->metadata.deletionGracePeriodSeconds.v);
                r = cc_kvs_set(a, "io.kubernetes.pod.deletionGracePeriod", buf, err);
        }
        if (r == 0 && pod->spec.terminationGracePeriodSeconds.set) {
                snprintf(buf, sizeof buf, "%lld", (long long)pod->spec.terminationGracePeriodSeconds.v);
                r = cc_kvs_set(a, AGENT_ANN_TERMINATION_GRACE_PERIOD, buf, err);
        }
        return r;
}

static int identity(const struct pod *pod, const struct pod_container *ct, bool init,
                    int32_t restart_count, const struct agent_container_extras *x,
                    struct rt_container_config *c, struct dh_err **err)
{
        c->metadata.attempt = (uint32_t)restart_count;
        if (cc_dup(&c->metadata.name, ct->name, err) < 0 ||
            cc_dup(&c->image.image, x->image_ref ? x->image_ref : ct->image, err) < 0 ||
            cc_dup(&c->working_dir, ct->workingDir, err) < 0 ||
            cc_pod_labels(pod, NULL, &c->labels, err) < 0 ||
            cc_kvs_set(&c->labels, AGENT_LABEL_CONTAINER_NAME, ct->name, err) < 0 ||
            annotations(pod, ct, init, restart_count, &c->annotations, err) < 0)
                return dh_err_set(err, ENOMEM, "out of memory");
        if (asprintf(&c->log_path, "%s/%d.log", ct->name ? ct->name : "", (int)restart_count) < 0) {
                c->log_path = NULL; /* undefined after a failure */
                return dh_err_set(err, ENOMEM, "out of memory");
        }
        c->stdin = ct->stdin.v;
        c->stdin_once = ct->stdinOnce.v;
        c->tty = ct->tty.v;
        if (ct->lifecycle && ct->lifecycle->stopSignal &&
            cc_dup(&c->stop_signal, ct->lifecycle->stopSignal, err) < 0)
                return -ENOMEM;
        return 0;
}

static int build(const struct pod *pod, const struct pod_container *ct, bool init,
                 int32_t restart_count, const struct agent_node_info *node,
                 const struct agent_container_extras *x, struct rt_container_config *c,
                 struct dh_err **err)
{
        int r = identity(pod, ct, init, restart_count, x, c, err);
        if (r == 0)
                r = cc_security_context(pod, ct, node, x, &c->linux_cfg.security_context, err);
        if (r == 0)
                r = agent_container_env(pod, ct, node, x, &c->envs, err);
        if (r == 0 && (expand_all(&ct->command, &c->envs, &c->command, err) < 0 ||
                       expand_all(&ct->args, &c->envs, &c->args, err) < 0))
                r = -1;
        if (r == 0)
                r = copy_mounts(x, c, err);
        if (r == 0)
                cc_linux_resources(pod, ct, node, &c->linux_cfg.resources);
        return r;
}

int agent_container_config(const struct pod *pod, const struct pod_container *c, bool init,
                           int32_t restart_count, const struct agent_node_info *node,
                           const struct agent_container_extras *x,
                           struct rt_container_config *out, struct dh_err **err)
{
        static const struct agent_container_extras none = { 0 };
        struct rt_container_config cfg = { 0 };
        int r = build(pod, c, init, restart_count, node, x ? x : &none, &cfg, err);
        if (r < 0) {
                rt_container_config_free(&cfg);
                return dh_err_prefix(err, "pod \"%s/%s\": container \"%s\"", pod_namespace(pod),
                                     pod->metadata.name ? pod->metadata.name : "",
                                     c->name ? c->name : "");
        }
        *out = cfg;
        return 0;
}
