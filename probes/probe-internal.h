/* The state of one probe in flight, shared by the handler files
 * (probes/http.c, tcp.c, exec.c, grpc.c) and the dispatcher (probes/probe.c). */
#pragma once
#include <sys/types.h>

#include "lib/child.h"
#include "probes/probe.h"

enum probe_op_kind { OP_IMMEDIATE, OP_HTTP, OP_TCP, OP_EXEC, OP_GRPC };

struct probe_op {
        struct probe_ctx *ctx;
        probe_done_fn done;
        void *ud;
        enum probe_op_kind kind;
        int64_t timeout_ms;
        struct dh_timer *timer; /* the timeout, or the immediate delivery */
        enum probe_result result;
        char *output;           /* a result decided before done runs */

        /* httpGet and grpc */
        struct dh_http_xfer *xfer;
        char *url, *first_host, *host_header, *user_agent, *accept;
        char **headers;
        size_t nheaders;
        int redirects;
        bool lifecycle;
        uint64_t deadline_ms;
        struct dh_buf body;
        bool body_full;

        /* tcpSocket (and grpc's addr) */
        int fd;
        struct dh_watch *watch;
        char *addr; /* "host:port" as Go prints it */

        /* grpc */
        uint8_t *grpc_req; /* the framed HealthCheckRequest */
        size_t grpc_req_len;
        int attempts;      /* connections tried */

        /* exec */
        struct dh_child *child;
        char *command; /* the command joined by spaces, for the timeout message */
};

/* Delivers result and output (copied) to done, then frees op. */
void probe_finish(struct probe_op *op, enum probe_result r, const char *output);
/* The same from the loop, for results known before anything started
 * (any I/O of op is stopped first). < 0: nothing scheduled, err set. */
int probe_finish_later(struct probe_op *op, enum probe_result r, const char *output, struct dh_err **err);
/* "host:port", bracketing IPv6 literals (net.JoinHostPort). */
char *probe_join_host_port(const char *host, int port);
/* Appends s quoted as Go's %q does. */
void probe_go_quote(struct dh_buf *b, const char *s);

/* Handlers: 0 when the probe is under way (or its outcome scheduled);
 * < 0 (err set) when nothing could start, and the caller frees op. */
int probe_http_start(struct probe_op *op, const struct probe_target *t, struct dh_err **err);
int probe_tcp_start(struct probe_op *op, const struct probe_target *t, struct dh_err **err);
int probe_exec_start(struct probe_op *op, const struct probe_target *t, struct dh_err **err);
int probe_grpc_start(struct probe_op *op, const struct probe_target *t, struct dh_err **err);
void probe_http_free(struct probe_op *op);
/* dh_http's sink for httpGet and grpc responses: keeps the first
 * op->body.max bytes, then stops the transfer (the answer is known; the
 * kubelet does not drain big bodies either). */
int probe_body_sink(void *ud, const void *data, size_t len, struct dh_err **err);
void probe_tcp_free(struct probe_op *op);
void probe_exec_free(struct probe_op *op);
void probe_grpc_free(struct probe_op *op);

/* gRPC framing and the health answer (probes/grpc.c), pure functions. */
#define PROBE_GRPC_PREFIX 5      /* compressed flag, 4-byte big-endian length */
#define PROBE_GRPC_MSG_MAX 4096  /* the largest HealthCheckResponse read */
/* The length-prefixed HealthCheckRequest{service} into *out (caller
 * frees); -ENOMEM or -E2BIG. */
int probe_grpc_frame_request(const char *service, uint8_t **out, size_t *len);
/* Go's codes.Code names ("Unavailable"; "Code(42)" in buf otherwise). */
const char *probe_grpc_code_name(int code, char *buf, size_t size);
/* Appends grpc-message's percent-decoded text to out. */
void probe_grpc_decode_message(const char *in, struct dh_buf *out);
/* What a Check call got back. */
struct probe_grpc_reply {
        long http_status;
        const char *content_type, *grpc_status, *grpc_message; /* NULL when absent */
        const uint8_t *body;
        size_t body_len;
        bool truncated; /* the body went on past what was kept */
};
/* kubelet's result and message (appended to out) for a reply. */
enum probe_result probe_grpc_evaluate(const struct probe_grpc_reply *r, int64_t timeout_ms, struct dh_buf *out);
