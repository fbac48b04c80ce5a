/* httpGet probes (pkg/probe/http): a GET through dh_http to
 * scheme://host:port/path (host defaults to the pod IP, TLS unverified),
 * with the probe's headers, User-Agent kube-probe/<major>.<minor> and
 * Accept (any type) unless given (an empty Accept removes it), Host from a Host
 * header, no keep-alive. Redirects are handled here, as Go's client with
 * kubelet's redirect checker does: same-host redirects are followed (the
 * tenth is an error), a redirect to another host ends the probe with the
 * 3xx as a warning. 200-399 succeed (3xx with a warning); the output is
 * the body's first 10 KiB, read no further. One timeout covers the whole
 * chain. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/cleanup.h"
#include "probes/probe-internal.h"

static void free_headers(struct probe_op *op)
{
        for (size_t i = 0; i < op->nheaders; i++)
                free(op->headers[i]);
        free(op->headers);
        op->headers = NULL;
        op->nheaders = 0;
}

void probe_http_free(struct probe_op *op)
{
        dh_http_cancel(op->xfer);
        op->xfer = NULL;
        free(op->url);
        free(op->first_host);
        free(op->host_header);
        free(op->user_agent);
        free(op->accept);
        free_headers(op);
        dh_buf_free(&op->body);
}

/* Go's CanonicalMIMEHeaderKey for token names: "x-custom-thing" ->
 * "X-Custom-Thing"; names with other characters stay as they are. */
static void canonical_name(char *s)
{
        for (const char *p = s; *p; p++)
                if (!isalnum((unsigned char)*p) && !strchr("!#$%&'*+-.^_`|~", *p))
                        return;
        bool upper = true;
        for (char *p = s; *p; p++) {
                *p = (char)(upper ? toupper((unsigned char)*p) : tolower((unsigned char)*p));
                upper = *p == '-';
        }
}

static int push_header(struct probe_op *op, const char *name, const char *value)
{
        if (op->nheaders >= DH_HTTP_REQ_HEADERS_MAX - 2) /* room for Host and Connection */
                return -E2BIG;
        char **v = realloc(op->headers, (op->nheaders + 1) * sizeof *v);
        if (!v)
                return -ENOMEM;
        op->headers = v;
        /* curl drops "Name:" (it means "remove"); "Name;" sends it empty. */
        int n = *value ? asprintf(&v[op->nheaders], "%s: %s", name, value)
                       : asprintf(&v[op->nheaders], "%s;", name);
        if (n < 0)
                return -ENOMEM;
        op->nheaders++;
        return 0;
}

/* kubelet's header rules: User-Agent and Accept defaults, Host as the
 * request's host, every other header as given (repeats kept). */
static int build_headers(struct probe_op *op, const struct pod_http_get *hg, const char *kube_version,
                         const char *agent)
{
        bool accept_given = false;
        for (size_t i = 0; i < hg->httpHeaders.n; i++) {
                const struct pod_http_header *h = &hg->httpHeaders.v[i];
                _cleanup_free_ char *name = strdup(h->name ? h->name : "");
                const char *value = h->value ? h->value : "";
                if (!name)
                        return -ENOMEM;
                canonical_name(name);
                char **first = NULL;
                if (strcmp(name, "User-Agent") == 0)
                        first = &op->user_agent;
                else if (strcmp(name, "Host") == 0)
                        first = &op->host_header;
                else if (strcmp(name, "Accept") == 0 && *value)
                        first = &op->accept;
                if (strcmp(name, "Accept") == 0)
                        accept_given = true;
                if (first) {
                        if (!*first && !(*first = strdup(value)))
                                return -ENOMEM;
                        continue;
                }
                if (strcmp(name, "Accept") == 0) /* given but empty: no Accept at all */
                        continue;
                int r = push_header(op, name, value);
                if (r < 0)
                        return r;
        }
        if (!op->user_agent && asprintf(&op->user_agent, "kube-%s/%s", agent, kube_version) < 0) {
                op->user_agent = NULL;
                return -ENOMEM;
        }
        if (accept_given && !op->accept) {
                /* curl sends its own Accept unless told "Accept:" */
                char **v = realloc(op->headers, (op->nheaders + 1) * sizeof *v);
                if (!v || !(v[op->nheaders] = strdup("Accept:"))) {
                        if (v)
                                op->headers = v;
                        return -ENOMEM;
                }
                op->headers = v;
                op->nheaders++;
        } else if (!accept_given && !(op->accept = strdup("*/*"))) {
                return -ENOMEM;
        }
        return push_header(op, "Connection", "close");
}

static int start_xfer(struct probe_op *op, struct dh_err **err);

/* "Get \"<url>\": <why>", as Go's url.Error prints. */
static void fail_transport(struct probe_op *op, const struct dh_err *e)
{
        struct dh_buf b;
        dh_buf_init(&b, 4096);
        dh_buf_puts(&b, "Get ", NULL);
        probe_go_quote(&b, op->url);
        if (e->code == ETIMEDOUT) {
                dh_buf_puts(&b, ": context deadline exceeded (Client.Timeout exceeded while awaiting headers)",
                            NULL);
        } else {
                /* dh_http says "GET <url>: <curl's reason>" */
                const char *why = e->msg;
                size_t ul = strlen(op->url);
                if (strncmp(why, "GET ", 4) == 0 && strncmp(why + 4, op->url, ul) == 0 &&
                    strncmp(why + 4 + ul, ": ", 2) == 0)
                        why += 4 + ul + 2;
                dh_buf_printf(&b, NULL, ": %s", why);
        }
        probe_finish(op, PROBE_FAILURE, b.data ? b.data : "HTTP probe failed");
        dh_buf_free(&b);
}

static void finish_status(struct probe_op *op, long status, const struct dh_buf *error_body)
{
        const struct dh_buf *body = status >= 200 && status < 300 ? &op->body : error_body;
        char head[128];
        size_t n = body->data ? body->len : 0;
        if (op->lifecycle) { /* a hook: the response itself is success */
                snprintf(head, sizeof head, "HTTP status %ld", status);
                probe_finish(op, PROBE_SUCCESS, head);
                return;
        }
        if (n > PROBE_OUTPUT_MAX)
                n = PROBE_OUTPUT_MAX;
        if (status >= 200 && status < 300) {
                probe_finish(op, PROBE_SUCCESS, body->data ? body->data : "");
        } else if (status >= 300 && status < 400) {
                struct dh_buf b;
                dh_buf_init(&b, PROBE_OUTPUT_MAX + 128);
                dh_buf_puts(&b, "Probe terminated redirects, Response body: ", NULL);
                if (n)
                        dh_buf_append(&b, body->data, n, NULL);
                probe_finish(op, PROBE_WARNING, b.data);
                dh_buf_free(&b);
        } else {
                snprintf(head, sizeof head, "HTTP probe failed with statuscode: %ld", status);
                probe_finish(op, PROBE_FAILURE, head);
        }
}

static bool is_redirect(long s)
{
        return s == 301 || s == 302 || s == 303 || s == 307 || s == 308;
}

/* Follows a same-host redirect; false when the response is the result. */
static bool follow(struct probe_op *op, const char *location)
{
        _cleanup_free_ char *next = NULL, *host = NULL;
        _cleanup_err_ struct dh_err *e = NULL;
        if (dh_http_url_resolve(op->url, location, &next, &e) < 0 || dh_http_url_host(next, &host, &e) < 0) {
                struct dh_buf b;
                dh_buf_init(&b, 4096);
                dh_buf_puts(&b, "Get ", NULL);
                probe_go_quote(&b, location);
                dh_buf_printf(&b, NULL, ": %s", e->msg);
                probe_finish(op, PROBE_FAILURE, b.data ? b.data : "bad redirect");
                dh_buf_free(&b);
                return true;
        }
        if (strcasecmp(host, op->first_host) != 0)
                return false; /* another host: this response is the answer */
        if (op->redirects + 1 >= PROBE_HTTP_MAX_REDIRECTS) {
                struct dh_buf b;
                dh_buf_init(&b, 4096);
                dh_buf_puts(&b, "Get ", NULL);
                probe_go_quote(&b, location);
                dh_buf_printf(&b, NULL, ": stopped after %d redirects", PROBE_HTTP_MAX_REDIRECTS);
                probe_finish(op, PROBE_FAILURE, b.data ? b.data : "too many redirects");
                dh_buf_free(&b);
                return true;
        }
        op->redirects++;
        /* Go keeps a custom Host only through relative redirects. */
        if (strstr(location, "://")) {
                free(op->host_header);
                op->host_header = NULL;
        }
        free(op->url);
        op->url = TAKE_PTR(next);
        dh_buf_free(&op->body);
        dh_buf_init(&op->body, PROBE_OUTPUT_MAX);
        op->body_full = false;
        if (start_xfer(op, &e) < 0)
                probe_finish(op, PROBE_UNKNOWN, e->msg);
        return true;
}

static void on_done(void *ud, struct dh_http_resp *resp, struct dh_err *err)
{
        struct probe_op *op = ud;
        op->xfer = NULL; /* dh_http frees it after this call */
        if (err && !op->body_full) {
                fail_transport(op, err);
                return;
        }
        if (is_redirect(resp->status) && resp->location && follow(op, resp->location))
                return;
        finish_status(op, resp->status, &resp->body);
}

static int start_xfer(struct probe_op *op, struct dh_err **err)
{
        uint64_t now = dh_now_ms();
        if (now >= op->deadline_ms) {
                struct dh_err e = { .code = ETIMEDOUT, .msg = (char *)"timeout" };
                fail_transport(op, &e);
                return 0;
        }
        const char *hdrs[DH_HTTP_REQ_HEADERS_MAX];
        size_t n = 0;
        for (size_t i = 0; i < op->nheaders; i++)
                hdrs[n++] = op->headers[i];
        _cleanup_free_ char *host = NULL;
        if (op->host_header) {
                if (asprintf(&host, "Host: %s", op->host_header) < 0)
                        return dh_err_set(err, ENOMEM, "out of memory");
                hdrs[n++] = host;
        }
        struct dh_http_req req = {
                .url = op->url, .accept = op->accept, .user_agent = op->user_agent, .headers = hdrs,
                .nheaders = n, .insecure = true, .timeout_ms = (int64_t)(op->deadline_ms - now),
                .max_body = PROBE_OUTPUT_MAX, .sink = probe_body_sink, .sink_ud = op,
        };
        op->xfer = dh_http_start(op->ctx->http, &req, on_done, op, err);
        return op->xfer ? 0 : -1;
}

static char *probe_url(const char *scheme, const char *host, int port, const char *path)
{
        _cleanup_free_ char *hp = probe_join_host_port(host, port);
        char *u = NULL;
        const char *sep = path[0] && path[0] != '/' ? "/" : "";
        if (!hp || asprintf(&u, "%s://%s%s%s", scheme, hp, sep, path) < 0)
                return NULL;
        return u;
}

int probe_http_start(struct probe_op *op, const struct probe_target *t, struct dh_err **err)
{
        op->kind = OP_HTTP;
        dh_buf_init(&op->body, PROBE_OUTPUT_MAX);
        const struct pod_http_get *hg = t->spec->httpGet;
        if (!op->ctx->http)
                return probe_finish_later(op, PROBE_UNKNOWN, "no HTTP engine for httpGet probes", err);
        int port = 0;
        _cleanup_err_ struct dh_err *perr = NULL;
        if (probe_resolve_port(&hg->port, t->ports, t->nports, &port, &perr) < 0)
                return probe_finish_later(op, PROBE_UNKNOWN, perr->msg, err);
        const char *host = hg->host && *hg->host ? hg->host : t->pod_ip;
        if (!host || !*host)
                return probe_finish_later(op, PROBE_UNKNOWN, "the pod has no IP address to probe", err);
        const char *scheme = hg->scheme && strcasecmp(hg->scheme, "HTTPS") == 0 ? "https" : "http";
        op->url = probe_url(scheme, host, port, hg->path ? hg->path : "");
        if (!op->url)
                return dh_err_set(err, ENOMEM, "out of memory");
        if (dh_http_url_host(op->url, &op->first_host, &perr) < 0)
                return probe_finish_later(op, PROBE_FAILURE, perr->msg, err);
        op->lifecycle = t->lifecycle;
        int r = build_headers(op, hg, op->ctx->kube_version ? op->ctx->kube_version : PROBE_KUBE_VERSION,
                              t->lifecycle ? "lifecycle" : "probe");
        if (r == -E2BIG)
                return probe_finish_later(op, PROBE_UNKNOWN, "too many httpHeaders", err);
        if (r < 0)
                return dh_err_set(err, ENOMEM, "out of memory");
        op->deadline_ms = dh_now_ms() + (uint64_t)op->timeout_ms;
        return start_xfer(op, err);
}
