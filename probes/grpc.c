/* grpc probes (pkg/probe/grpc): one grpc.health.v1.Health/Check call,
 * made without a gRPC library as a single HTTP/2 request through dh_http:
 * POST http://<pod IP>:<port>/grpc.health.v1.Health/Check over cleartext
 * HTTP/2 with prior knowledge (kubelet dials insecurely), content-type
 * application/grpc, te: trailers, grpc-timeout, User-Agent
 * kube-probe/<major>.<minor>, on a connection of its own. The body is one
 * length-prefixed HealthCheckRequest{service}; the answer is read from the
 * response headers, the grpc-status/grpc-message trailers (or the headers of
 * a trailers-only response) and one length-prefixed HealthCheckResponse,
 * the messages packed and unpacked by protobuf-c (grpc-health.pb-c.c).
 *
 * SERVING succeeds ("service healthy"); any other status fails ("service
 * unhealthy (responded with \"NOT_SERVING\")"); an RPC error fails with
 * kubelet's words, the status as grpc-go prints it ("rpc error: code =
 * Unavailable desc = ..."), with grpc-go's own errors for a response that
 * is not gRPC (HTTP status and content-type checks) or breaks the unary
 * rules. Like grpc-go's blocking dial, a connection that cannot be made
 * (refused, or a server that does not speak HTTP/2) is tried again with
 * grpc-go's backoff (1 s, x1.6) until the probe's timeout, which then
 * fails with "timeout: failed to connect service ... within 1s: context
 * deadline exceeded". One difference: grpc-go counts a connection as made
 * once the server's HTTP/2 SETTINGS arrived, which curl does not report,
 * so a server that accepts TCP and then stays silent times out as "health
 * rpc did not complete" here. The response body is bounded (one message of
 * at most PROBE_GRPC_MSG_MAX bytes is read). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "lib/parse.h"
#include "probes/grpc-health.pb-c.h"
#include "probes/probe-internal.h"

#define GRPC_PATH "/grpc.health.v1.Health/Check"
#define BACKOFF_BASE_MS 1000 /* grpc-go's connection backoff: 1 s, then x1.6 */

enum {
        CODE_OK = 0,
        CODE_UNKNOWN = 2,
        CODE_DEADLINE_EXCEEDED = 4,
        CODE_RESOURCE_EXHAUSTED = 8,
        CODE_UNIMPLEMENTED = 12,
        CODE_INTERNAL = 13,
        CODE_UNAVAILABLE = 14,
};

void probe_grpc_free(struct probe_op *op)
{
        dh_http_cancel(op->xfer);
        op->xfer = NULL;
        free(op->url);
        free(op->user_agent);
        free(op->addr);
        free(op->grpc_req);
        dh_buf_free(&op->body);
}

int probe_grpc_frame_request(const char *service, uint8_t **out, size_t *len)
{
        Grpc__Health__V1__HealthCheckRequest req = GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
        req.service = (char *)(service ? service : "");
        size_t n = protobuf_c_message_get_packed_size(&req.base);
        if (n > UINT32_MAX)
                return -E2BIG;
        uint8_t *b = malloc(PROBE_GRPC_PREFIX + n);
        if (!b)
                return -ENOMEM;
        b[0] = 0; /* not compressed */
        b[1] = (uint8_t)(n >> 24);
        b[2] = (uint8_t)(n >> 16);
        b[3] = (uint8_t)(n >> 8);
        b[4] = (uint8_t)n;
        protobuf_c_message_pack(&req.base, b + PROBE_GRPC_PREFIX);
        *out = b;
        *len = PROBE_GRPC_PREFIX + n;
        return 0;
}

/* Go's codes.Code.String(). */
const char *probe_grpc_code_name(int code, char *buf, size_t size)
{
        static const char *const names[] = {
                "OK", "Canceled", "Unknown", "InvalidArgument", "DeadlineExceeded", "NotFound",
                "AlreadyExists", "PermissionDenied", "ResourceExhausted", "FailedPrecondition",
                "Aborted", "OutOfRange", "Unimplemented", "Internal", "Unavailable", "DataLoss",
                "Unauthenticated",
        };
        if (code >= 0 && (size_t)code < sizeof names / sizeof names[0])
                return names[code];
        snprintf(buf, size, "Code(%d)", code);
        return buf;
}

static int hexval(char c)
{
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

/* grpc-message is percent-encoded; "%XX" becomes the byte, anything else
 * (a lone or malformed '%' included) stays as it is, as grpc-go decodes. */
void probe_grpc_decode_message(const char *in, struct dh_buf *out)
{
        size_t n = strlen(in);
        for (size_t i = 0; i < n; i++) {
                int hi, lo;
                if (in[i] == '%' && i + 2 < n && (hi = hexval(in[i + 1])) >= 0 &&
                    (lo = hexval(in[i + 2])) >= 0) {
                        char c = (char)(hi << 4 | lo);
                        dh_buf_append(out, &c, 1, NULL);
                        i += 2;
                } else {
                        dh_buf_append(out, &in[i], 1, NULL);
                }
        }
}

/* Go's http.StatusText for what a gRPC client may meet. */
static const char *status_text(long s)
{
        switch (s) {
        case 200: return "OK";
        case 204: return "No Content";
        case 301: return "Moved Permanently";
        case 302: return "Found";
        case 400: return "Bad Request";
        case 401: return "Unauthorized";
        case 403: return "Forbidden";
        case 404: return "Not Found";
        case 405: return "Method Not Allowed";
        case 408: return "Request Timeout";
        case 413: return "Request Entity Too Large";
        case 415: return "Unsupported Media Type";
        case 429: return "Too Many Requests";
        case 431: return "Request Header Fields Too Large";
        case 500: return "Internal Server Error";
        case 501: return "Not Implemented";
        case 502: return "Bad Gateway";
        case 503: return "Service Unavailable";
        case 504: return "Gateway Timeout";
        case 505: return "HTTP Version Not Supported";
        default: return "";
        }
}

/* grpc-go's HTTPStatusConvTab: the code of a response that is not gRPC. */
static int code_of_http_status(long s)
{
        switch (s) {
        case 400: return CODE_INTERNAL;
        case 401: return 16; /* Unauthenticated */
        case 403: return 7;  /* PermissionDenied */
        case 404: return CODE_UNIMPLEMENTED;
        case 429:
        case 502:
        case 503:
        case 504: return CODE_UNAVAILABLE;
        default: return CODE_UNKNOWN;
        }
}

/* "application/grpc", "application/grpc+proto", "application/grpc;...". */
static bool is_grpc_content_type(const char *ct)
{
        static const char base[] = "application/grpc";
        if (!ct || strncmp(ct, base, sizeof base - 1) != 0)
                return false;
        char c = ct[sizeof base - 1];
        return c == '\0' || c == '+' || c == ';';
}

/* kubelet's words for an RPC that ended with status code and message. */
static enum probe_result rpc_error(int code, const char *msg, int64_t timeout_ms, struct dh_buf *out)
{
        char dur[64], name[32];
        if (code == CODE_UNIMPLEMENTED) {
                dh_buf_printf(out, NULL,
                              "error: this server does not implement the grpc health protocol "
                              "(grpc.health.v1.Health): %s", msg);
        } else if (code == CODE_DEADLINE_EXCEEDED) {
                dh_buf_printf(out, NULL, "timeout: health rpc did not complete within %s",
                              dh_format_duration_ns(timeout_ms * 1000000, dur, sizeof dur));
        } else {
                dh_buf_printf(out, NULL, "error: health rpc probe failed: rpc error: code = %s desc = %s",
                              probe_grpc_code_name(code, name, sizeof name), msg);
        }
        return PROBE_FAILURE;
}

/* A response that is not gRPC: grpc-go's transport error. */
static enum probe_result not_grpc(const struct probe_grpc_reply *r, int64_t timeout_ms, struct dh_buf *out)
{
        struct dh_buf why;
        dh_buf_init(&why, 4096);
        if (r->http_status != 200)
                dh_buf_printf(&why, NULL, "unexpected HTTP status code received from server: %ld (%s)",
                              r->http_status, status_text(r->http_status));
        if (!is_grpc_content_type(r->content_type)) {
                if (why.len)
                        dh_buf_puts(&why, "; ", NULL);
                if (r->content_type) {
                        dh_buf_puts(&why, "transport: received unexpected content-type ", NULL);
                        probe_go_quote(&why, r->content_type);
                } else {
                        dh_buf_puts(&why, "malformed header: missing HTTP content-type", NULL);
                }
        }
        enum probe_result res = rpc_error(code_of_http_status(r->http_status), why.data ? why.data : "",
                                          timeout_ms, out);
        dh_buf_free(&why);
        return res;
}

static enum probe_result serving_status(const uint8_t *msg, size_t n, int64_t timeout_ms,
                                        struct dh_buf *out)
{
        ProtobufCMessage *m =
                protobuf_c_message_unpack(&grpc__health__v1__health_check_response__descriptor, NULL, n, msg);
        if (!m)
                return rpc_error(CODE_INTERNAL,
                                 "grpc: failed to unmarshal the received message: proto: cannot parse "
                                 "invalid wire-format data", timeout_ms, out);
        int status = (int)((Grpc__Health__V1__HealthCheckResponse *)m)->status;
        protobuf_c_message_free_unpacked(m, NULL);
        if (status == GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING) {
                dh_buf_puts(out, "service healthy", NULL);
                return PROBE_SUCCESS;
        }
        const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(
                &grpc__health__v1__health_check_response__serving_status__descriptor, status);
        char num[16];
        snprintf(num, sizeof num, "%d", status);
        dh_buf_puts(out, "service unhealthy (responded with ", NULL);
        probe_go_quote(out, v ? v->name : num);
        dh_buf_puts(out, ")", NULL);
        return PROBE_FAILURE;
}

enum probe_result probe_grpc_evaluate(const struct probe_grpc_reply *r, int64_t timeout_ms, struct dh_buf *out)
{
        if (r->http_status != 200 || !is_grpc_content_type(r->content_type))
                return not_grpc(r, timeout_ms, out);
        const uint8_t *b = r->body;
        size_t n = r->body_len;
        uint32_t mlen = 0;
        if (n >= PROBE_GRPC_PREFIX) {
                mlen = (uint32_t)b[1] << 24 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 8 | b[4];
                if (mlen > PROBE_GRPC_MSG_MAX) {
                        char why[96];
                        snprintf(why, sizeof why, "grpc: received message larger than max (%u vs. %d)",
                                 mlen, PROBE_GRPC_MSG_MAX);
                        return rpc_error(CODE_RESOURCE_EXHAUSTED, why, timeout_ms, out);
                }
        }
        if (!r->truncated) {
                if (!r->grpc_status) /* grpc-go: a stream ended without a status is Unknown */
                        return rpc_error(CODE_UNKNOWN, "", timeout_ms, out);
                char *end = NULL;
                errno = 0;
                long code = strtol(r->grpc_status, &end, 10);
                if (errno || end == r->grpc_status || *end || code < INT32_MIN || code > INT32_MAX) {
                        struct dh_buf why;
                        dh_buf_init(&why, 4096);
                        dh_buf_puts(&why, "transport: malformed grpc-status: ", NULL);
                        probe_go_quote(&why, r->grpc_status);
                        enum probe_result res = rpc_error(CODE_INTERNAL, why.data, timeout_ms, out);
                        dh_buf_free(&why);
                        return res;
                }
                if (code != CODE_OK) {
                        struct dh_buf msg;
                        dh_buf_init(&msg, 8192);
                        probe_grpc_decode_message(r->grpc_message ? r->grpc_message : "", &msg);
                        enum probe_result res = rpc_error((int)code, msg.data ? msg.data : "", timeout_ms, out);
                        dh_buf_free(&msg);
                        return res;
                }
        }
        if (n == 0)
                return rpc_error(CODE_INTERNAL,
                                 "cardinality violation: received no response message from non-streaming RPC",
                                 timeout_ms, out);
        if (n < PROBE_GRPC_PREFIX || n - PROBE_GRPC_PREFIX < mlen)
                return rpc_error(CODE_INTERNAL, "unexpected EOF", timeout_ms, out);
        if (b[0] == 1)
                return rpc_error(CODE_INTERNAL, "grpc: compressed flag set with identity or empty encoding",
                                 timeout_ms, out);
        if (b[0] != 0) {
                char why[64];
                snprintf(why, sizeof why, "grpc: received unexpected payload format %u", b[0]);
                return rpc_error(CODE_INTERNAL, why, timeout_ms, out);
        }
        if (n - PROBE_GRPC_PREFIX > mlen)
                return rpc_error(CODE_INTERNAL,
                                 "cardinality violation: expected <EOF> for non server-streaming RPCs, but "
                                 "received another message", timeout_ms, out);
        return serving_status(b + PROBE_GRPC_PREFIX, mlen, timeout_ms, out);
}

static void finish_buf(struct probe_op *op, enum probe_result r, struct dh_buf *b)
{
        probe_finish(op, r, b->data ? b->data : "grpc probe failed");
        dh_buf_free(b);
}

static void fail_connect(struct probe_op *op)
{
        char dur[64];
        struct dh_buf b;
        dh_buf_init(&b, 4096);
        dh_buf_puts(&b, "timeout: failed to connect service ", NULL);
        probe_go_quote(&b, op->addr);
        dh_buf_printf(&b, NULL, " within %s: context deadline exceeded",
                      dh_format_duration_ns(op->timeout_ms * 1000000, dur, sizeof dur));
        finish_buf(op, PROBE_FAILURE, &b);
}

static void fail_rpc(struct probe_op *op, int code, const char *msg)
{
        struct dh_buf b;
        dh_buf_init(&b, 8192);
        enum probe_result r = rpc_error(code, msg, op->timeout_ms, &b);
        finish_buf(op, r, &b);
}

static int start_attempt(struct probe_op *op, struct dh_err **err);

static void on_backoff(struct dh_loop *l, void *ud)
{
        (void)l;
        struct probe_op *op = ud;
        op->timer = NULL;
        _cleanup_err_ struct dh_err *e = NULL;
        if (start_attempt(op, &e) < 0)
                probe_finish(op, PROBE_UNKNOWN, e->msg);
}

/* The connection failed: dial again after grpc-go's backoff, or at the
 * deadline give up as its blocking dial does. */
static void redial_later(struct probe_op *op)
{
        uint64_t delay = BACKOFF_BASE_MS;
        for (int i = 0; i < op->attempts - 1 && delay < 120000; i++)
                delay = delay * 8 / 5;
        uint64_t now = dh_now_ms();
        if (now >= op->deadline_ms) {
                fail_connect(op);
                return;
        }
        if (now + delay > op->deadline_ms)
                delay = op->deadline_ms - now;
        _cleanup_err_ struct dh_err *e = NULL;
        op->timer = dh_loop_timer(op->ctx->loop, delay, on_backoff, op, &e);
        if (!op->timer)
                probe_finish(op, PROBE_UNKNOWN, e->msg);
}

/* "POST \"<url>\": <why>" from dh_http, less its prefix. */
static const char *transport_reason(const struct probe_op *op, const struct dh_err *e)
{
        const char *why = e->msg;
        size_t ul = strlen(op->url);
        if (strncmp(why, "POST ", 5) == 0 && strncmp(why + 5, op->url, ul) == 0 && strncmp(why + 5 + ul, ": ", 2) == 0)
                why += 5 + ul + 2;
        return why;
}

static void on_done(void *ud, struct dh_http_resp *resp, struct dh_err *err)
{
        struct probe_op *op = ud;
        op->xfer = NULL; /* dh_http frees it after this call */
        if (err && !op->body_full) {
                if (!resp->connected || resp->status == 0) {
                        /* no connection, or none that answered: grpc-go's
                         * dial is still waiting for a usable transport */
                        if (err->code == ETIMEDOUT && !resp->connected)
                                fail_connect(op);
                        else if (err->code == ETIMEDOUT)
                                fail_rpc(op, CODE_DEADLINE_EXCEEDED, "");
                        else
                                redial_later(op);
                        return;
                }
                fail_rpc(op, err->code == ETIMEDOUT ? CODE_DEADLINE_EXCEEDED : CODE_UNAVAILABLE,
                         transport_reason(op, err));
                return;
        }
        struct probe_grpc_reply r = {
                .http_status = resp->status, .content_type = resp->content_type,
                .grpc_status = resp->captured[0], .grpc_message = resp->captured[1],
                .body = (const uint8_t *)op->body.data, .body_len = op->body.len, .truncated = op->body_full,
        };
        struct dh_buf out;
        dh_buf_init(&out, PROBE_OUTPUT_MAX);
        enum probe_result res = probe_grpc_evaluate(&r, op->timeout_ms, &out);
        finish_buf(op, res, &out);
}

static int start_attempt(struct probe_op *op, struct dh_err **err)
{
        uint64_t now = dh_now_ms();
        if (now >= op->deadline_ms) {
                fail_connect(op);
                return 0;
        }
        uint64_t left = op->deadline_ms - now;
        char timeout_hdr[64];
        /* grpc-timeout takes at most 8 digits */
        if (left < 100000000)
                snprintf(timeout_hdr, sizeof timeout_hdr, "grpc-timeout: %llum", (unsigned long long)left);
        else
                snprintf(timeout_hdr, sizeof timeout_hdr, "grpc-timeout: %lluS",
                         (unsigned long long)(left / 1000));
        const char *hdrs[] = { "te: trailers", timeout_hdr, "Accept:" };
        static const char *const capture[] = { "grpc-status", "grpc-message" };
        op->attempts++;
        dh_buf_free(&op->body);
        dh_buf_init(&op->body, PROBE_GRPC_PREFIX + PROBE_GRPC_MSG_MAX + PROBE_GRPC_PREFIX);
        op->body_full = false;
        struct dh_http_req req = {
                .url = op->url, .method = "POST", .body = op->grpc_req, .body_len = op->grpc_req_len,
                .content_type = "application/grpc", .user_agent = op->user_agent, .headers = hdrs,
                .nheaders = sizeof hdrs / sizeof hdrs[0], .timeout_ms = (int64_t)left, .sink = probe_body_sink,
                .sink_ud = op, .http2_prior_knowledge = true, .fresh_connection = true,
                .capture = capture, .ncapture = sizeof capture / sizeof capture[0],
        };
        op->xfer = dh_http_start(op->ctx->http, &req, on_done, op, err);
        return op->xfer ? 0 : -1;
}

int probe_grpc_start(struct probe_op *op, const struct probe_target *t, struct dh_err **err)
{
        op->kind = OP_GRPC;
        const struct pod_grpc_action *g = t->spec->grpc;
        if (!op->ctx->http)
                return probe_finish_later(op, PROBE_UNKNOWN, "no HTTP engine for grpc probes", err);
        int64_t port = g->port.set ? g->port.v : 0;
        if (port <= 0 || port >= 65536) {
                char msg[64];
                snprintf(msg, sizeof msg, "invalid port number: %lld", (long long)port);
                return probe_finish_later(op, PROBE_UNKNOWN, msg, err);
        }
        if (!t->pod_ip || !*t->pod_ip)
                return probe_finish_later(op, PROBE_UNKNOWN, "the pod has no IP address to probe", err);
        op->addr = probe_join_host_port(t->pod_ip, (int)port);
        const char *kv = op->ctx->kube_version ? op->ctx->kube_version : PROBE_KUBE_VERSION;
        if (!op->addr)
                return dh_err_set(err, ENOMEM, "out of memory");
        if (asprintf(&op->url, "http://%s" GRPC_PATH, op->addr) < 0) {
                op->url = NULL;
                return dh_err_set(err, ENOMEM, "out of memory");
        }
        if (asprintf(&op->user_agent, "kube-probe/%s", kv) < 0) {
                op->user_agent = NULL;
                return dh_err_set(err, ENOMEM, "out of memory");
        }
        int r = probe_grpc_frame_request(g->service, &op->grpc_req, &op->grpc_req_len);
        if (r < 0)
                return dh_err_set(err, -r, "grpc request for service \"%s\"", g->service ? g->service : "");
        op->deadline_ms = dh_now_ms() + (uint64_t)op->timeout_ms;
        return start_attempt(op, err);
}
