/* Lifecycle hooks: see probes/hook.h. */
#include "probes/hook.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/buf.h"
#include "lib/cleanup.h"
#include "lib/http.h"
#include "lib/loop.h"
#include "probes/probe-internal.h"

#define HOOK_MSG_MAX (PROBE_OUTPUT_MAX + 4096)

/* "<Kind> lifecycle hook (<what>) for Container "c" in Pod "p" failed - error: " */
static void msg_head(struct dh_buf *b, const char *kind, const char *what, const struct probe_hook *h)
{
        dh_buf_printf(b, NULL, "%s lifecycle hook (%s) for Container ", kind, what);
        probe_go_quote(b, h->container->name ? h->container->name : "");
        dh_buf_puts(b, " in Pod ", NULL);
        probe_go_quote(b, h->pod ? h->pod : "");
        dh_buf_puts(b, " failed - error: ", NULL);
}

static int take_msg(struct dh_buf *b, char **msg, struct dh_err **err)
{
        if (!b->data || !(*msg = dh_buf_steal(b)))
                return dh_err_set(err, ENOMEM, "out of memory");
        return 1;
}

/* Go's %v of a []string: "[a b c]"; strings joined by spaces. */
static void join(struct dh_buf *b, const struct dh_strv *v)
{
        for (size_t i = 0; i < v->n; i++) {
                if (i)
                        dh_buf_puts(b, " ", NULL);
                dh_buf_puts(b, v->v[i], NULL);
        }
}

static int run_exec(const struct probe_hook_ctx *ctx, const struct probe_hook *h, char **msg,
                    struct dh_err **err)
{
        const struct dh_strv *cmd = &h->handler->exec->command;
        struct probe_exec_result res = { 0 };
        _cleanup_err_ struct dh_err *e = NULL;
        dh_buf_init(&res.output, PROBE_OUTPUT_MAX);
        int r = ctx->exec ? ctx->exec(ctx->exec_ud, h->container_id, cmd, h->timeout_ms, &res, &e)
                          : dh_err_set(&e, ENOSYS, "no exec runner");
        if (r == 0 && !res.timed_out && res.exit_code == 0) {
                dh_buf_free(&res.output);
                return 0;
        }
        struct dh_buf b, what;
        dh_buf_init(&b, HOOK_MSG_MAX);
        dh_buf_init(&what, HOOK_MSG_MAX);
        dh_buf_puts(&what, "[", NULL);
        join(&what, cmd);
        dh_buf_puts(&what, "]", NULL);
        msg_head(&b, "Exec", what.data ? what.data : "", h);
        dh_buf_free(&what);
        if (r < 0) {
                dh_buf_puts(&b, e->msg, NULL);
        } else {
                dh_buf_puts(&b, "command '", NULL);
                join(&b, cmd);
                if (res.timed_out)
                        dh_buf_puts(&b, "' timed out", NULL);
                else
                        dh_buf_printf(&b, NULL, "' exited with %d: ", (int)res.exit_code);
        }
        dh_buf_puts(&b, ", message: ", NULL);
        probe_go_quote(&b, r == 0 && res.output.data ? res.output.data : "");
        dh_buf_free(&res.output);
        return take_msg(&b, msg, err);
}

struct http_wait {
        struct dh_loop *loop;
        enum probe_result result;
        char *output;
        bool done;
};

static void http_done(void *ud, const struct probe_outcome *o)
{
        struct http_wait *w = ud;
        w->result = o->result;
        w->output = strdup(o->output);
        w->done = true;
        dh_loop_quit(w->loop, 0);
}

static int run_http(const struct probe_hook_ctx *ctx, const struct probe_hook *h, char **msg,
                    struct dh_err **err)
{
        struct dh_loop *loop = NULL;
        struct dh_http *http = NULL;
        if (dh_loop_new(&loop, err) < 0)
                return -1;
        if (dh_http_new(loop, &http, err) < 0) {
                dh_loop_free(loop);
                return -1;
        }
        struct probe_ctx pc = { .loop = loop, .http = http, .kube_version = ctx->kube_version };
        struct pod_probe spec = { .httpGet = h->handler->httpGet };
        struct probe_target t = {
                .spec = &spec, .ports = h->container->ports.v, .nports = h->container->ports.n,
                .pod_ip = h->pod_ip, .container_id = h->container_id,
                .timeout_ms = h->timeout_ms > 0 ? h->timeout_ms : 1, .lifecycle = true,
        };
        struct http_wait w = { .loop = loop };
        int ret = -1;
        if (probe_run(&pc, &t, http_done, &w, err)) {
                dh_loop_run(loop);
                ret = w.done && w.output ? 0 : dh_err_set(err, ENOMEM, "out of memory");
        }
        dh_http_free(http);
        dh_loop_free(loop);
        if (ret < 0 || w.result == PROBE_SUCCESS || w.result == PROBE_WARNING) {
                free(w.output);
                return ret;
        }
        struct dh_buf b;
        dh_buf_init(&b, HOOK_MSG_MAX);
        const char *path = h->handler->httpGet->path ? h->handler->httpGet->path : "";
        msg_head(&b, "HTTP", path, h);
        dh_buf_puts(&b, w.output, NULL);
        free(w.output);
        return take_msg(&b, msg, err);
}

/* Sleeps the handler's seconds, cut short at the hook's timeout. */
static int run_sleep(const struct probe_hook *h)
{
        int64_t ms = h->handler->sleep->seconds.v * 1000;
        if (h->timeout_ms > 0 && ms > h->timeout_ms)
                ms = h->timeout_ms;
        struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000 };
        while (ms > 0 && nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
        return 0;
}

int probe_hook_run(const struct probe_hook_ctx *ctx, const struct probe_hook *h, char **msg,
                   struct dh_err **err)
{
        const struct pod_lifecycle_handler *hd = h->handler;
        *msg = NULL;
        if (hd->exec)
                return run_exec(ctx, h, msg, err);
        if (hd->httpGet)
                return run_http(ctx, h, msg, err);
        if (hd->sleep)
                return run_sleep(h);
        struct dh_buf b;
        dh_buf_init(&b, 1024);
        dh_buf_puts(&b, "Cannot run handler: invalid handler: ", NULL);
        dh_buf_puts(&b, hd->tcpSocket ? "tcpSocket is not supported in lifecycle hooks"
                                      : "no action given", NULL);
        return take_msg(&b, msg, err);
}
