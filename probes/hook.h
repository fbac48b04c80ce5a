/* Lifecycle hooks (postStart, preStop) as the kubelet's handlerRunner
 * (pkg/kubelet/lifecycle/handlers.go) runs them: exec in the container
 * through the exec runner, httpGet to the pod (any response succeeds, only
 * a transport error fails; User-Agent kube-lifecycle/<v>), sleep for the
 * given seconds. tcpSocket is not a hook the kubelet runs.
 *
 * BLOCKING: probe_hook_run runs a private event loop until the handler is
 * done, so it belongs in a forked helper of the agent, never on the
 * agent's own loop. */
#pragma once
#include <stdint.h>

#include "lib/err.h"
#include "pod/types.h"
#include "probes/probe.h"

struct probe_hook {
        const char *kind;                           /* "PostStart", "PreStop": for logs only */
        const struct pod_lifecycle_handler *handler;
        const struct pod_container *container;      /* its name and ports */
        const char *pod;                            /* format.Pod: "name_namespace(uid)" */
        const char *pod_ip;                         /* default httpGet host; NULL: none */
        const char *container_id;
        int64_t timeout_ms;                         /* the whole hook; a sleep is cut short */
};

/* What the exec and httpGet handlers use: exec runs the command (the
 * agent's blocking runner), kube_version for the User-Agent. */
struct probe_hook_ctx {
        probe_exec_fn exec;
        void *exec_ud;
        const char *kube_version;
};

/* 0: the handler succeeded. 1: it failed; *msg is the kubelet's message
 * ("Exec lifecycle hook ([cmd]) for Container "c" in Pod "p" failed -
 * error: ..., message: "..."", "HTTP lifecycle hook (/path) for ...").
 * < 0: it could not be run for lack of memory or descriptors (err set). */
int probe_hook_run(const struct probe_hook_ctx *ctx, const struct probe_hook *h, char **msg,
                   struct dh_err **err);
