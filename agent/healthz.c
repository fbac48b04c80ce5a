/* The healthz endpoint (agent/healthz.h): the replies, pure, and the
 * server's life: open, retry while the port is taken, close. */
#include "agent/healthz.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/config.h"
#include "agent/podmgr.h"
#include "lib/log.h"

struct agent_healthz {
        struct agent_healthz_options o;
        char *address;
        struct dh_httpserver *server;
        struct dh_timer *retry;
        unsigned failures;
};

uint64_t agent_healthz_syncloop_bound_ms(int64_t sync_frequency_ms)
{
        uint64_t twice = sync_frequency_ms > 0 ? 2 * (uint64_t)sync_frequency_ms : 0;
        return twice > AGENT_HEALTHZ_MIN_SYNCLOOP_MS ? twice : AGENT_HEALTHZ_MIN_SYNCLOOP_MS;
}

static int set_body(struct dh_http_reply *out, unsigned status, const char *text)
{
        out->status = status;
        out->content_type = "text/plain; charset=utf-8";
        out->body = strdup(text);
        out->len = out->body ? strlen(text) : 0;
        return out->body ? 0 : -ENOMEM;
}

/* syncLoopHealthCheck: true when healthy, else the reason in why. */
static bool syncloop_ok(uint64_t now_ms, uint64_t last_ms, uint64_t bound_ms, char *why,
                        size_t size)
{
        if (now_ms <= last_ms || now_ms - last_ms <= bound_ms)
                return true;
        char ago[32], bound[32];
        snprintf(why, size, "sync loop took longer than expected: last relist %s ago, bound %s",
                 agent_format_duration((int64_t)(now_ms - last_ms), ago, sizeof ago),
                 agent_format_duration((int64_t)bound_ms, bound, sizeof bound));
        return false;
}

int agent_healthz_reply(const char *path, uint64_t now_ms, uint64_t last_ms, uint64_t bound_ms,
                        struct dh_http_reply *out, char *why, size_t why_size)
{
        why[0] = '\0';
        if (strcmp(path, "/healthz/ping") == 0)
                return set_body(out, 200, "ok");
        bool ok = syncloop_ok(now_ms, last_ms, bound_ms, why, why_size);
        if (strcmp(path, "/healthz") == 0)
                return ok ? set_body(out, 200, "ok")
                          : set_body(out, 500, "[+]ping ok\n[-]syncloop failed: reason withheld\n"
                                               "healthz check failed\n");
        if (strcmp(path, "/healthz/syncloop") == 0) {
                if (ok)
                        return set_body(out, 200, "ok");
                char body[512];
                snprintf(body, sizeof body, "internal server error: %s\n", why);
                return set_body(out, 500, body);
        }
        why[0] = '\0';
        return set_body(out, 404, "404 page not found\n");
}

static void on_request(void *ud, const struct dh_http_request *req, struct dh_http_reply *out)
{
        struct agent_healthz *h = ud;
        char why[256];
        if (agent_healthz_reply(req->path, dh_now_ms(), h->o.last_sync_ms(h->o.ud),
                                agent_healthz_syncloop_bound_ms(h->o.sync_frequency_ms), out, why,
                                sizeof why) < 0) {
                out->status = 500; /* the server answers an empty 500 */
                return;
        }
        if (why[0])
                log_warns("healthz check failed", "check", "syncloop", "reason", why);
}

static void try_listen(struct dh_loop *l, void *ud);

static void arm_retry(struct agent_healthz *h)
{
        _cleanup_err_ struct dh_err *err = NULL;
        h->retry = dh_loop_timer(h->o.loop, AGENT_HEALTHZ_RETRY_MS, try_listen, h, &err);
        if (!h->retry)
                log_errors(err->msg, "Failed to arm the healthz server's retry timer");
}

static void try_listen(struct dh_loop *l, void *ud)
{
        struct agent_healthz *h = ud;
        _cleanup_err_ struct dh_err *err = NULL;
        h->retry = NULL;
        struct dh_httpserver_options so = {
                .loop = l, .address = h->address, .port = h->o.port, .handler = on_request, .ud = h,
        };
        if (dh_httpserver_open(&so, &h->server, &err) == 0) {
                char url[160];
                bool v6 = strchr(h->address, ':');
                snprintf(url, sizeof url, "http://%s%s%s:%u/healthz", v6 ? "[" : "", h->address,
                         v6 ? "]" : "", h->o.port);
                log_infos("Serving healthz", "url", url);
                return;
        }
        if (err->code == DH_EINVAL_INPUT) { /* no retry mends the address */
                log_errors(err->msg, "Failed to start healthz server; running without it",
                           "healthzBindAddress", h->address);
                return;
        }
        if (h->failures++ == 0)
                log_errors(err->msg, "Failed to start healthz server; running without it, retrying",
                           "healthzBindAddress", h->address, "healthzPort", LOG_UINT(h->o.port),
                           "retryPeriodSeconds", LOG_INT(AGENT_HEALTHZ_RETRY_MS / 1000));
        else
                log_vs(2, "Failed to start healthz server", "err", err->msg);
        arm_retry(h);
}

int agent_healthz_open(const struct agent_healthz_options *o, struct agent_healthz **out,
                       struct dh_err **err)
{
        struct agent_healthz *h = calloc(1, sizeof *h);
        if (!h || !(h->address = strdup(o->address))) {
                free(h);
                return dh_err_set(err, ENOMEM, "out of memory");
        }
        h->o = *o;
        h->o.address = h->address;
        try_listen(o->loop, h);
        *out = h;
        return 0;
}

void agent_healthz_close(struct agent_healthz *h)
{
        if (!h)
                return;
        dh_timer_cancel(h->retry);
        dh_httpserver_close(h->server);
        free(h->address);
        free(h);
}

static uint64_t last_relist(void *ud)
{
        return agent_podmgr_last_relist_ms(ud);
}

int agent_healthz_start(const struct agent_config *cfg, struct dh_loop *loop,
                        struct agent_podmgr *mgr, struct agent_healthz **out,
                        struct dh_err **err)
{
        *out = NULL;
        if (cfg->healthz_port <= 0)
                return 0;
        struct agent_healthz_options o = {
                .loop = loop, .address = cfg->healthz_bind_address, .port = (uint16_t)cfg->healthz_port,
                .sync_frequency_ms = cfg->sync_frequency_ms, .last_sync_ms = last_relist, .ud = mgr,
        };
        return agent_healthz_open(&o, out, err);
}
