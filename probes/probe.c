/* Probe dispatch: picks the handler, resolves the port (kubelet's
 * ResolveContainerPort), and delivers every outcome from the loop. The
 * handlers live in probes/http.c, tcp.c, exec.c and grpc.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "probes/probe-internal.h"

const char *probe_result_name(enum probe_result r)
{
        switch (r) {
        case PROBE_SUCCESS: return "success";
        case PROBE_FAILURE: return "failure";
        case PROBE_WARNING: return "warning";
        default: return "unknown";
        }
}

int probe_body_sink(void *ud, const void *data, size_t len, struct dh_err **err)
{
        struct probe_op *op = ud;
        probe_output_append(&op->body, data, len);
        if (op->body.len < op->body.max)
                return 0;
        op->body_full = true;
        return dh_err_set(err, DH_ELIMIT, "body limit reached");
}

void probe_output_append(struct dh_buf *b, const void *p, size_t n)
{
        size_t room = b->max - b->len;
        dh_buf_append(b, p, n < room ? n : room, NULL);
}

char *probe_join_host_port(const char *host, int port)
{
        char *s = NULL;
        bool v6 = strchr(host, ':') != NULL;
        if (asprintf(&s, v6 ? "[%s]:%d" : "%s:%d", host, port) < 0)
                return NULL;
        return s;
}

void probe_go_quote(struct dh_buf *b, const char *s)
{
        dh_buf_puts(b, "\"", NULL);
        for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
                switch (*p) {
                case '"': dh_buf_puts(b, "\\\"", NULL); break;
                case '\\': dh_buf_puts(b, "\\\\", NULL); break;
                case '\n': dh_buf_puts(b, "\\n", NULL); break;
                case '\t': dh_buf_puts(b, "\\t", NULL); break;
                case '\r': dh_buf_puts(b, "\\r", NULL); break;
                default:
                        if (*p < 0x20 || *p == 0x7f)
                                dh_buf_printf(b, NULL, "\\x%02x", *p);
                        else
                                dh_buf_append(b, p, 1, NULL);
                }
        }
        dh_buf_puts(b, "\"", NULL);
}

int probe_resolve_port(const struct dh_intstr *port, const struct pod_container_port *ports,
                       size_t nports, int *out, struct dh_err **err)
{
        int64_t v = -1;
        if (port->kind == DH_INTSTR_INT) {
                v = port->i;
        } else if (port->kind == DH_INTSTR_STR && port->s) {
                size_t i = 0;
                while (i < nports && !(ports[i].name && strcmp(ports[i].name, port->s) == 0))
                        i++;
                if (i == nports)
                        return dh_err_set(err, DH_EINVAL_INPUT, "port \"%s\" not found", port->s);
                v = ports[i].containerPort.set ? ports[i].containerPort.v : 0;
        } else {
                return dh_err_set(err, DH_EINVAL_INPUT, "intOrString had no kind");
        }
        if (v <= 0 || v >= 65536)
                return dh_err_set(err, DH_EINVAL_INPUT, "invalid port number: %lld", (long long)v);
        *out = (int)v;
        return 0;
}

static void op_free(struct probe_op *op)
{
        dh_timer_cancel(op->timer);
        switch (op->kind) {
        case OP_HTTP: probe_http_free(op); break;
        case OP_TCP: probe_tcp_free(op); break;
        case OP_EXEC: probe_exec_free(op); break;
        case OP_GRPC: probe_grpc_free(op); break;
        case OP_IMMEDIATE: break;
        }
        free(op->output);
        free(op);
}

void probe_cancel(struct probe_op *op)
{
        if (op)
                op_free(op);
}

void probe_finish(struct probe_op *op, enum probe_result r, const char *output)
{
        /* output may live in op: copied before op goes, so done may start
         * the next probe with this one's fds and memory already released */
        _cleanup_free_ char *copy = strdup(output ? output : "");
        probe_done_fn done = op->done;
        void *ud = op->ud;
        op_free(op);
        struct probe_outcome o = { .result = r, .output = copy ? copy : (char *)"" };
        done(ud, &o);
}

static void on_later(struct dh_loop *l, void *ud)
{
        (void)l;
        struct probe_op *op = ud;
        op->timer = NULL;
        char *out = TAKE_PTR(op->output);
        probe_finish(op, op->result, out);
        free(out);
}

int probe_finish_later(struct probe_op *op, enum probe_result r, const char *output, struct dh_err **err)
{
        dh_timer_cancel(op->timer);
        op->timer = NULL;
        free(op->output);
        op->result = r;
        op->output = strdup(output ? output : "");
        if (!op->output)
                return dh_err_set(err, ENOMEM, "out of memory");
        op->timer = dh_loop_timer(op->ctx->loop, 0, on_later, op, err);
        return op->timer ? 0 : -1;
}

static int64_t timeout_of(const struct probe_target *t)
{
        if (t->timeout_ms > 0)
                return t->timeout_ms;
        const struct dh_opt_i64 *s = &t->spec->timeoutSeconds;
        return (s->set && s->v > 0 ? s->v : 1) * 1000;
}

struct probe_op *probe_run(struct probe_ctx *ctx, const struct probe_target *t, probe_done_fn done,
                           void *ud, struct dh_err **err)
{
        struct probe_op *op = calloc(1, sizeof *op);
        if (!op) {
                dh_err_set(err, ENOMEM, "out of memory");
                return NULL;
        }
        *op = (struct probe_op){ .ctx = ctx, .done = done, .ud = ud, .fd = -1,
                                 .timeout_ms = timeout_of(t) };
        const struct pod_probe *p = t->spec;
        int r;
        if (p->exec) {
                r = probe_exec_start(op, t, err);
        } else if (p->httpGet) {
                r = probe_http_start(op, t, err);
        } else if (p->tcpSocket) {
                r = probe_tcp_start(op, t, err);
        } else if (p->grpc) {
                r = probe_grpc_start(op, t, err);
        } else {
                r = probe_finish_later(op, PROBE_UNKNOWN, "missing probe handler", err);
        }
        if (r < 0) {
                op_free(op);
                return NULL;
        }
        return op;
}
