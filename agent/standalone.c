/* Standalone mode: the loop, the built-in runtime, the pod manager and
 * the static pod source wired together. The runtime's state directory and
 * shim come from DECKHAND_STATE_DIR and DECKHAND_SHIM, as for deckctl, so
 * both see the same pods. */
#include "agent/standalone.h"

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/healthz.h"
#include "agent/localapi.h"
#include "agent/podmgr.h"
#include "agent/podsource.h"
#include "cri/builtin/runtime.h"
#include "lib/cleanup.h"
#include "lib/fileio.h"
#include "lib/log.h"

#define RESOLV_CONF_MAX (64u * 1024)

static void on_add(void *ud, const struct agent_static_pod *pod)
{
        agent_podmgr_add(ud, pod);
}

static void on_update(void *ud, const struct agent_static_pod *old,
                      const struct agent_static_pod *pod)
{
        /* A new UID is a new pod (kubelet: delete plus add). */
        if (strcmp(old->pod->metadata.uid, pod->pod->metadata.uid) != 0)
                agent_podmgr_remove(ud, old->pod->metadata.uid);
        agent_podmgr_add(ud, pod);
}

static void on_remove(void *ud, const struct agent_static_pod *pod)
{
        agent_podmgr_remove(ud, pod->pod->metadata.uid);
}

static void on_error(void *ud, const char *path, const struct dh_err *err)
{
        (void)ud;
        log_errors(err->msg, "Could not process manifest file", "path", path);
}

static void on_synced(void *ud, size_t npods)
{
        (void)npods;
        agent_podmgr_sources_ready(ud);
}

static const struct agent_podsource_ops source_ops = {
        .add = on_add, .update = on_update, .remove = on_remove, .error = on_error,
        .synced = on_synced,
};

static void on_signal(struct dh_loop *l, int sig, uint32_t events, void *ud)
{
        (void)events;
        (void)ud;
        log_infos("Received a signal; exiting, leaving pods running", "signal", LOG_INT(sig));
        dh_loop_quit(l, 0);
}

/* --hostname-override, else the host name lowercased (the node name). */
static int node_name(const struct agent_config *cfg, char *buf, size_t size, struct dh_err **err)
{
        if (cfg->hostname_override && *cfg->hostname_override) {
                size_t n = strlen(cfg->hostname_override);
                if (n >= size)
                        return dh_err_set(err, DH_ELIMIT, "--hostname-override is too long");
                memcpy(buf, cfg->hostname_override, n + 1);
        } else if (gethostname(buf, size) < 0) {
                return dh_err_errno(err, errno, "gethostname");
        }
        buf[size - 1] = '\0';
        for (char *c = buf; *c; c++)
                *c = (char)tolower((unsigned char)*c);
        return 0;
}

struct standalone {
        struct dh_loop *loop;
        struct rt *rt;
        struct agent_podmgr *mgr;
        struct agent_podsource *src;
        struct agent_localapi *api;
        struct agent_healthz *healthz;
        char *resolv_conf;
        char node[256];
        struct agent_node_info info;
};

static void standalone_close(struct standalone *s)
{
        /* The runtime first: it drops pulls in flight without calling
         * back, then the manager frees what they carried. */
        agent_healthz_close(s->healthz);
        agent_localapi_close(s->api);
        agent_podsource_close(s->src);
        if (s->rt)
                s->rt->ops->close(s->rt);
        agent_podmgr_close(s->mgr);
        dh_loop_free(s->loop);
        free(s->resolv_conf);
}

static int node_info(const struct agent_config *cfg, struct standalone *s, struct dh_err **err)
{
        if (node_name(cfg, s->node, sizeof s->node, err) < 0)
                return -1;
        if (cfg->resolv_conf && *cfg->resolv_conf &&
            dh_read_file(cfg->resolv_conf, RESOLV_CONF_MAX, &s->resolv_conf, NULL, err) < 0)
                return dh_err_prefix(err, "resolvConf");
        s->info = (struct agent_node_info){
                .name = s->node,
                .resolv_conf = s->resolv_conf,
                .node_ip = cfg->node_ip,
                .cluster_dns = (const char *const *)cfg->cluster_dns.v,
                .n_cluster_dns = cfg->cluster_dns.n,
                .cluster_domain = cfg->cluster_domain,
                .pod_logs_root = cfg->pod_logs_dir,
                .seccomp_default = cfg->seccomp_default,
                .no_cpu_cfs_quota = !cfg->cpu_cfs_quota,
                .pod_pids_limit = cfg->pod_pids_limit,
                .cpu_cfs_quota_period_us = cfg->cpu_cfs_quota_period_ms * 1000,
        };
        return 0;
}

static json_t *list_pods(void *ud)
{
        return agent_podmgr_pod_list(ud);
}

/* <root-dir>/agent.sock: deckctl get pods reads the pods from it. */
static int localapi_open(const struct agent_config *cfg, struct standalone *s,
                         struct dh_err **err)
{
        char path[4096];
        int n = snprintf(path, sizeof path, "%s/%s", cfg->root_dir, AGENT_LOCALAPI_SOCKET);
        if (n < 0 || (size_t)n >= sizeof path)
                return dh_err_set(err, DH_ELIMIT, "local API socket: --root-dir is too long");
        struct agent_localapi_options o = {
                .loop = s->loop, .path = path, .pods = list_pods, .ud = s->mgr,
        };
        if (agent_localapi_open(&o, &s->api, err) < 0)
                return dh_err_prefix(err, "local API socket");
        log_infos("Serving the local API", "path", path);
        return 0;
}

static int standalone_open(const struct agent_config *cfg, struct standalone *s,
                           struct dh_err **err)
{
        static const int sigs[] = { SIGTERM, SIGINT };
        if (node_info(cfg, s, err) < 0 || dh_loop_new(&s->loop, err) < 0 ||
            dh_loop_signals(s->loop, sigs, 2, on_signal, s, err) < 0)
                return -1;
        struct rt_builtin_options o = {
                .state_dir = getenv("DECKHAND_STATE_DIR"),
                .root_dir = cfg->root_dir,
                .shim_path = getenv("DECKHAND_SHIM"),
                .loop = s->loop,
        };
        if (rt_builtin_open(&o, &s->rt, err) < 0)
                return dh_err_prefix(err, "container runtime");
        struct agent_podmgr_options po = {
                .loop = s->loop, .rt = s->rt, .root_dir = cfg->root_dir,
                .cgroup_root = cfg->cgroup_root, .node = &s->info,
        };
        if (agent_podmgr_open(&po, &s->mgr, err) < 0)
                return dh_err_prefix(err, "pod manager");
        if (localapi_open(cfg, s, err) < 0 ||
            agent_healthz_start(cfg, s->loop, s->mgr, &s->healthz, err) < 0)
                return -1;
        if (agent_podsource_open(s->loop, cfg->static_pod_path, s->node,
                                 (uint64_t)cfg->file_check_frequency_ms, &source_ops, s->mgr,
                                 &s->src, err) < 0)
                return dh_err_prefix(err, "static pod path %s", cfg->static_pod_path);
        return 0;
}

int agent_run_standalone(const struct agent_config *cfg)
{
        _cleanup_err_ struct dh_err *err = NULL;
        struct standalone s = { 0 };
        int status = 1;
        if (standalone_open(cfg, &s, &err) < 0) {
                log_errors(err->msg, "Failed to start the agent");
        } else {
                log_infos("Running static pods", "staticPodPath", cfg->static_pod_path, "node", s.node);
                status = dh_loop_run(s.loop) < 0 ? 1 : 0;
        }
        standalone_close(&s);
        return status;
}
