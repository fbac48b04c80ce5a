/* One probe execution (kubelet's prober.runProbe and pkg/probe) as an
 * asynchronous operation on the dh_loop: httpGet through dh_http, tcpSocket
 * as a non-blocking connect, exec in a forked helper that calls the
 * agent's (blocking) exec callback, grpc as one HTTP/2 request through
 * dh_http (grpc.health.v1 Health/Check). The result always comes
 * back through the done callback, from the loop, never from probe_run
 * itself. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "lib/err.h"
#include "lib/http.h"
#include "lib/loop.h"
#include "pod/types.h"

/* Kept of a probe's output (an HTTP body, an exec's combined output), as
 * kubelet keeps 10 KiB. */
#define PROBE_OUTPUT_MAX (10 * 1024)
/* Redirects to the same host an httpGet probe follows (Go's client). */
#define PROBE_HTTP_MAX_REDIRECTS 10
/* The Kubernetes minor version in the default User-Agent, kube-probe/<v>. */
#define PROBE_KUBE_VERSION "1.31"

enum probe_result {
        PROBE_UNKNOWN, /* the probe could not run (bad port, no runner...): "errored" */
        PROBE_SUCCESS,
        PROBE_FAILURE,
        PROBE_WARNING, /* a success with something to report (a redirect to another host) */
};
const char *probe_result_name(enum probe_result r);

struct probe_outcome {
        enum probe_result result;
        char *output; /* never NULL; at most PROBE_OUTPUT_MAX bytes of payload plus a message */
};

/* What an exec probe's runner reports: the exit code and the combined
 * stdout+stderr (a buffer bounded at PROBE_OUTPUT_MAX; append with
 * probe_output_append, which truncates instead of failing). */
struct probe_exec_result {
        int32_t exit_code;
        bool timed_out; /* the runtime gave up waiting for the command */
        struct dh_buf output;
};
void probe_output_append(struct dh_buf *b, const void *p, size_t n);

/* Runs cmd in the container, BLOCKING (rt_ops->exec_sync). It is called in
 * a forked child of the agent, so it may block and must not touch the
 * agent's loop; < 0 (with err) means the command could not be run. */
typedef int (*probe_exec_fn)(void *ud, const char *container_id, const struct dh_strv *cmd,
                             int64_t timeout_ms, struct probe_exec_result *out, struct dh_err **err);

struct probe_ctx {
        struct dh_loop *loop;
        struct dh_http *http;     /* for httpGet and grpc probes */
        probe_exec_fn exec;       /* for exec probes; NULL: they report an error */
        void *exec_ud;
        const char *kube_version; /* "<major>.<minor>" for the User-Agent; NULL: PROBE_KUBE_VERSION */
};

/* Everything one probe needs; probe_run copies what it keeps. */
struct probe_target {
        const struct pod_probe *spec;       /* the handler (timeoutSeconds too, unless timeout_ms) */
        const struct pod_container_port *ports; /* the container's, for named ports */
        size_t nports;
        const char *pod_ip;                 /* default host of httpGet and tcpSocket, grpc's host */
        const char *container_id;           /* for exec */
        int64_t timeout_ms;                 /* > 0 overrides spec->timeoutSeconds */
        /* A lifecycle hook's httpGet (lifecycle/handlers.go): User-Agent
         * kube-lifecycle/<v>, and any response is a success; only a
         * transport error fails. */
        bool lifecycle;
};

struct probe_op;
/* outcome is valid during the call only; op is gone once it runs. */
typedef void (*probe_done_fn)(void *ud, const struct probe_outcome *outcome);

/* Starts one probe. Returns NULL (err set) only when nothing could be
 * started (out of memory); every other problem, a bad port included, is
 * an outcome delivered to done. */
struct probe_op *probe_run(struct probe_ctx *ctx, const struct probe_target *t, probe_done_fn done,
                           void *ud, struct dh_err **err);
/* Stops a probe without calling done (kills an exec helper); accepts NULL. */
void probe_cancel(struct probe_op *op);

/* kubelet's ResolveContainerPort: an int port, or a named container port. */
int probe_resolve_port(const struct dh_intstr *port, const struct pod_container_port *ports,
                       size_t nports, int *out, struct dh_err **err);
