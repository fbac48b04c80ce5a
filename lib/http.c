/* curl multi inside the dh_loop: curl tells us which sockets to watch
 * (CURLMOPT_SOCKETFUNCTION -> dh_loop_watch) and when to time out
 * (CURLMOPT_TIMERFUNCTION -> dh_loop_timer); events go back through
 * curl_multi_socket_action and finished transfers are collected with
 * curl_multi_info_read. No threads, no blocking. Every transfer has a
 * connect timeout, a low-speed limit, bounded headers and a bounded (or
 * streamed) body. */
#include "lib/http.h"

#include <curl/curl.h>
#include <errno.h>
#include <openssl/ssl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "lib/cleanup.h"

#define CONNECT_TIMEOUT_S 30L
#define LOW_SPEED_BYTES 1024L /* per second ... */
#define LOW_SPEED_TIME_S 60L  /* ... for this long, or the transfer fails */
#define MAX_REDIRECTS 5L

struct sock {
        struct dh_http *h;
        struct dh_watch *w;
        struct sock *next, **pprev;
};

struct dh_http {
        struct dh_loop *loop;
        CURLM *multi;
        struct dh_timer *timer;
        struct dh_http_xfer *xfers;
        struct sock *socks;
};

struct dh_http_xfer {
        struct dh_http *h;
        CURL *easy;
        struct curl_slist *hdrs;
        char *url;
        char *method;  /* for messages */
        char *body;    /* a copy of the request body */
        bool keep_error_body;
        dh_http_done_fn done;
        void *ud;
        dh_http_sink_fn sink;
        void *sink_ud;
        size_t max_body, header_bytes;
        char *capture[DH_HTTP_CAPTURE_MAX]; /* names of response headers to keep */
        size_t ncapture;
        struct dh_http_resp resp;
        struct dh_err *err; /* from a sink or a limit */
        char errbuf[CURL_ERROR_SIZE];
        struct dh_http_xfer *next, **pprev;
};

const char *dh_http_reason(long status)
{
        switch (status) {
        case 200: return "200 OK";
        case 206: return "206 Partial Content";
        case 301: return "301 Moved Permanently";
        case 302: return "302 Found";
        case 307: return "307 Temporary Redirect";
        case 400: return "400 Bad Request";
        case 401: return "401 Unauthorized";
        case 403: return "403 Forbidden";
        case 404: return "404 Not Found";
        case 405: return "405 Method Not Allowed";
        case 429: return "429 Too Many Requests";
        case 500: return "500 Internal Server Error";
        case 502: return "502 Bad Gateway";
        case 503: return "503 Service Unavailable";
        case 504: return "504 Gateway Timeout";
        default: return NULL;
        }
}

static void sock_free(struct sock *k)
{
        dh_watch_remove(k->w);
        *k->pprev = k->next;
        if (k->next)
                k->next->pprev = k->pprev;
        free(k);
}

static void check_done(struct dh_http *h);

static void on_io(struct dh_loop *l, int fd, uint32_t events, void *ud)
{
        (void)l;
        struct dh_http *h = ((struct sock *)ud)->h; /* ud may be freed by the action */
        int flags = (events & EPOLLIN ? CURL_CSELECT_IN : 0) | (events & EPOLLOUT ? CURL_CSELECT_OUT : 0) |
                    (events & (EPOLLERR | EPOLLHUP) ? CURL_CSELECT_ERR : 0);
        int running = 0;
        curl_multi_socket_action(h->multi, fd, flags, &running);
        check_done(h);
}

static int on_socket(CURL *e, curl_socket_t s, int what, void *userp, void *socketp)
{
        (void)e;
        struct dh_http *h = userp;
        struct sock *k = socketp;
        if (what == CURL_POLL_REMOVE) {
                if (k) {
                        curl_multi_assign(h->multi, s, NULL);
                        sock_free(k);
                }
                return 0;
        }
        uint32_t ev = (what & CURL_POLL_IN ? EPOLLIN : 0u) | (what & CURL_POLL_OUT ? EPOLLOUT : 0u);
        if (k)
                return dh_watch_events(k->w, ev, NULL) < 0 ? -1 : 0;
        k = calloc(1, sizeof *k);
        if (!k)
                return -1;
        k->h = h;
        k->w = dh_loop_watch(h->loop, s, ev, on_io, k, NULL);
        if (!k->w) {
                free(k);
                return -1;
        }
        k->next = h->socks;
        if (k->next)
                k->next->pprev = &k->next;
        k->pprev = &h->socks;
        h->socks = k;
        curl_multi_assign(h->multi, s, k);
        return 0;
}

static void on_timeout(struct dh_loop *l, void *ud)
{
        (void)l;
        struct dh_http *h = ud;
        h->timer = NULL;
        int running = 0;
        curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
        check_done(h);
}

static int on_timer(CURLM *m, long timeout_ms, void *userp)
{
        (void)m;
        struct dh_http *h = userp;
        dh_timer_cancel(h->timer);
        h->timer = NULL;
        if (timeout_ms < 0)
                return 0;
        h->timer = dh_loop_timer(h->loop, (uint64_t)timeout_ms, on_timeout, h, NULL);
        return h->timer ? 0 : -1;
}

/* OpenSSL is set up before curl does it: without reading openssl.cnf
 * (deckhand's TLS settings are its own, as Go's are for the kubelet) and
 * without the error strings of every libcrypto module, whose tables cost
 * the process about 0.8 MB; TLS failures still read as OpenSSL words them
 * ("wrong version number", "certificate verify failed"): libssl's strings
 * are loaded, and curl explains certificate errors itself. OpenSSL does
 * this once per process, whichever call comes first. */
static void init_openssl_lean(void)
{
        OPENSSL_init_ssl(OPENSSL_INIT_NO_LOAD_CONFIG | OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS |
                                 OPENSSL_INIT_LOAD_SSL_STRINGS,
                         NULL);
}

int dh_http_new(struct dh_loop *loop, struct dh_http **out, struct dh_err **err)
{
        init_openssl_lean();
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
                return dh_err_set(err, EIO, "curl_global_init failed");
        struct dh_http *h = calloc(1, sizeof *h);
        if (!h) {
                curl_global_cleanup();
                return dh_err_set(err, ENOMEM, "out of memory");
        }
        h->loop = loop;
        h->multi = curl_multi_init();
        if (!h->multi) {
                free(h);
                curl_global_cleanup();
                return dh_err_set(err, ENOMEM, "curl_multi_init failed");
        }
        curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
        curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
        curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, on_timer);
        curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
        *out = h;
        return 0;
}

static void resp_free(struct dh_http_resp *r)
{
        free(r->content_type);
        free(r->www_authenticate);
        free(r->location);
        for (size_t i = 0; i < DH_HTTP_CAPTURE_MAX; i++)
                free(r->captured[i]);
        dh_buf_free(&r->body);
}

static void xfer_free(struct dh_http_xfer *x)
{
        if (x->pprev) {
                *x->pprev = x->next;
                if (x->next)
                        x->next->pprev = x->pprev;
        }
        curl_multi_remove_handle(x->h->multi, x->easy);
        curl_easy_cleanup(x->easy);
        curl_slist_free_all(x->hdrs);
        resp_free(&x->resp);
        dh_err_free(x->err);
        free(x->url);
        free(x->method);
        free(x->body);
        for (size_t i = 0; i < x->ncapture; i++)
                free(x->capture[i]);
        free(x);
}

void dh_http_cancel(struct dh_http_xfer *x)
{
        if (x)
                xfer_free(x);
}

void dh_http_free(struct dh_http *h)
{
        if (!h)
                return;
        while (h->xfers)
                xfer_free(h->xfers);
        curl_multi_cleanup(h->multi);
        while (h->socks)
                sock_free(h->socks);
        dh_timer_cancel(h->timer);
        free(h);
        curl_global_cleanup();
}

static int curl_code_errno(CURLcode c)
{
        switch (c) {
        case CURLE_COULDNT_CONNECT: return ECONNREFUSED;
        case CURLE_OPERATION_TIMEDOUT: return ETIMEDOUT;
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_RESOLVE_PROXY: return EHOSTUNREACH;
        case CURLE_TOO_MANY_REDIRECTS: return ELOOP;
        case CURLE_OUT_OF_MEMORY: return ENOMEM;
        case CURLE_SSL_CONNECT_ERROR:
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CACERT_BADFILE: return EPROTO;
        default: return EIO;
        }
}

static void finish(struct dh_http_xfer *x, CURLcode result)
{
        struct dh_err *err = TAKE_PTR(x->err);
        if (err) {
                dh_err_prefix(&err, "%s %s", x->method, x->url);
        } else if (result != CURLE_OK) {
                dh_err_set(&err, curl_code_errno(result), "%s %s: %s", x->method, x->url,
                           x->errbuf[0] ? x->errbuf : curl_easy_strerror(result));
        }
        long status = 0;
        curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
        x->resp.status = status;
        x->resp.url = x->url;
        curl_off_t connect_us = 0;
        curl_easy_getinfo(x->easy, CURLINFO_CONNECT_TIME_T, &connect_us);
        x->resp.connected = connect_us > 0;
        /* Out of curl before the callback, so it may start new transfers. */
        curl_multi_remove_handle(x->h->multi, x->easy);
        *x->pprev = x->next;
        if (x->next)
                x->next->pprev = x->pprev;
        x->pprev = NULL;
        x->done(x->ud, &x->resp, err);
        dh_err_free(err);
        xfer_free(x);
}

static void check_done(struct dh_http *h)
{
        CURLMsg *m;
        int left;
        while ((m = curl_multi_info_read(h->multi, &left))) {
                if (m->msg != CURLMSG_DONE)
                        continue;
                struct dh_http_xfer *x = NULL;
                curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
                if (x)
                        finish(x, m->data.result);
        }
}

static bool is_2xx(struct dh_http_xfer *x)
{
        long st = 0;
        curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &st);
        return st >= 200 && st < 300;
}

static size_t on_body(char *p, size_t sz, size_t n, void *ud)
{
        struct dh_http_xfer *x = ud;
        size_t len = sz * n;
        if (!is_2xx(x) && !x->keep_error_body) {
                /* error bodies are only summarized: keep their start */
                size_t room = x->resp.body.max - x->resp.body.len;
                dh_buf_append(&x->resp.body, p, len < room ? len : room, NULL);
                return len;
        }
        if (x->sink && is_2xx(x)) {
                if (x->sink(x->sink_ud, p, len, &x->err) < 0)
                        return 0;
                x->resp.streamed += (int64_t)len;
                return len;
        }
        if (x->resp.body.max != x->max_body) {
                dh_buf_free(&x->resp.body);
                dh_buf_init(&x->resp.body, x->max_body);
        }
        if (dh_buf_append(&x->resp.body, p, len, NULL) < 0) {
                dh_err_set(&x->err, DH_ELIMIT, "response body exceeds %zu bytes", x->max_body);
                return 0;
        }
        return len;
}

static char *header_value(const char *line, size_t n, const char *name)
{
        size_t k = strlen(name);
        if (n <= k || strncasecmp(line, name, k) != 0 || line[k] != ':')
                return NULL;
        const char *v = line + k + 1, *end = line + n;
        while (v < end && (*v == ' ' || *v == '\t'))
                v++;
        while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
                end--;
        return strndup(v, (size_t)(end - v));
}

static size_t on_header(char *p, size_t sz, size_t n, void *ud)
{
        struct dh_http_xfer *x = ud;
        size_t len = sz * n;
        x->header_bytes += len;
        if (x->header_bytes > DH_HTTP_HEADERS_MAX) {
                dh_err_set(&x->err, DH_ELIMIT, "response headers exceed %d bytes", DH_HTTP_HEADERS_MAX);
                return 0;
        }
        if (len >= 5 && strncmp(p, "HTTP/", 5) == 0) {
                /* a new response (after a redirect or a 100): forget the last */
                resp_free(&x->resp);
                x->resp = (struct dh_http_resp){ 0 };
                dh_buf_init(&x->resp.body, x->keep_error_body ? x->max_body : DH_HTTP_ERRBODY_MAX);
                return len;
        }
        char *v = NULL;
        for (size_t i = 0; i < x->ncapture; i++) {
                if ((v = header_value(p, len, x->capture[i]))) {
                        free(x->resp.captured[i]);
                        x->resp.captured[i] = v;
                }
        }
        v = header_value(p, len, "Content-Type");
        if (v) {
                free(x->resp.content_type);
                x->resp.content_type = v;
        } else if ((v = header_value(p, len, "Location"))) {
                free(x->resp.location);
                x->resp.location = v;
        } else if ((v = header_value(p, len, "WWW-Authenticate"))) {
                if (x->resp.www_authenticate) {
                        char *j = NULL;
                        if (asprintf(&j, "%s, %s", x->resp.www_authenticate, v) < 0)
                                j = NULL;
                        free(v);
                        v = j;
                        free(x->resp.www_authenticate);
                }
                x->resp.www_authenticate = v;
        }
        return len;
}

/* Sockets are born close-on-exec, like every other fd. */
static curl_socket_t open_socket(void *ud, curlsocktype purpose, struct curl_sockaddr *a)
{
        (void)ud;
        (void)purpose;
        return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

static int add_header(struct dh_http_xfer *x, const char *name, const char *value)
{
        if (!value)
                return 0;
        _cleanup_free_ char *line = NULL;
        if (asprintf(&line, "%s: %s", name, value) < 0)
                return -ENOMEM;
        struct curl_slist *l = curl_slist_append(x->hdrs, line);
        if (!l)
                return -ENOMEM;
        x->hdrs = l;
        return 0;
}

static void set_options(struct dh_http_xfer *x, const struct dh_http_req *req)
{
        CURL *e = x->easy;
        curl_easy_setopt(e, CURLOPT_URL, x->url);
        curl_easy_setopt(e, CURLOPT_PRIVATE, x);
        curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
        curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
        curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
        curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, open_socket);
        curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT_S);
        curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, LOW_SPEED_BYTES);
        curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, LOW_SPEED_TIME_S);
        curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
        /* curl sends a custom Authorization header only to the first host
         * of a redirect chain (CURLOPT_UNRESTRICTED_AUTH stays off), so
         * storage redirects never see registry credentials. */
        curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, req->follow ? 1L : 0L);
        curl_easy_setopt(e, CURLOPT_MAXREDIRS, MAX_REDIRECTS);
        curl_easy_setopt(e, CURLOPT_UNRESTRICTED_AUTH, 0L);
        curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->hdrs);
        if (req->insecure) {
                curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
                curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
        }
        if (req->ca_file)
                curl_easy_setopt(e, CURLOPT_CAINFO, req->ca_file);
        if (req->cert_file)
                curl_easy_setopt(e, CURLOPT_SSLCERT, req->cert_file);
        if (req->key_file)
                curl_easy_setopt(e, CURLOPT_SSLKEY, req->key_file);
        if (req->timeout_ms > 0)
                curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)req->timeout_ms);
        if (req->http2_prior_knowledge)
                curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE);
        if (req->fresh_connection) {
                curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
                curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
        }
        if (x->body) {
                curl_easy_setopt(e, CURLOPT_POSTFIELDS, x->body);
                curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
        }
        if (strcmp(x->method, "GET") != 0 || x->body)
                curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, x->method);
        if (strcmp(x->method, "HEAD") == 0)
                curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
}

static int add_headers(struct dh_http_xfer *x, const struct dh_http_req *req)
{
        if (req->nheaders > DH_HTTP_REQ_HEADERS_MAX)
                return -E2BIG;
        for (size_t i = 0; i < req->nheaders; i++) {
                struct curl_slist *l = curl_slist_append(x->hdrs, req->headers[i]);
                if (!l)
                        return -ENOMEM;
                x->hdrs = l;
        }
        int r = add_header(x, "Accept", req->accept);
        if (r == 0)
                r = add_header(x, "Content-Type", req->content_type);
        if (r == 0)
                r = add_header(x, "Authorization", req->authorization);
        if (r == 0)
                r = add_header(x, "User-Agent", req->user_agent ? req->user_agent : "deckhand/" DH_VERSION);
        return r;
}

static int copy_capture(struct dh_http_xfer *x, const struct dh_http_req *req)
{
        if (req->ncapture > DH_HTTP_CAPTURE_MAX)
                return -E2BIG;
        for (size_t i = 0; i < req->ncapture; i++) {
                if (!(x->capture[i] = strdup(req->capture[i])))
                        return -ENOMEM;
                x->ncapture = i + 1;
        }
        return 0;
}

struct dh_http_xfer *dh_http_start(struct dh_http *h, const struct dh_http_req *req,
                                   dh_http_done_fn done, void *ud, struct dh_err **err)
{
        struct dh_http_xfer *x = calloc(1, sizeof *x);
        if (!x) {
                dh_err_set(err, ENOMEM, "out of memory");
                return NULL;
        }
        *x = (struct dh_http_xfer){ .h = h, .done = done, .ud = ud, .sink = req->sink,
                                    .sink_ud = req->sink_ud, .max_body = req->max_body,
                                    .keep_error_body = req->keep_error_body };
        dh_buf_init(&x->resp.body, req->keep_error_body ? req->max_body : DH_HTTP_ERRBODY_MAX);
        x->url = strdup(req->url);
        x->method = strdup(req->method ? req->method : "GET");
        if (req->body && (x->body = malloc(req->body_len ? req->body_len : 1)))
                memcpy(x->body, req->body, req->body_len);
        x->easy = curl_easy_init();
        int r = !x->url || !x->method || (req->body && !x->body) || !x->easy ? -ENOMEM : add_headers(x, req);
        if (r == 0)
                r = copy_capture(x, req);
        if (r < 0) {
                xfer_free(x);
                if (r == -E2BIG)
                        dh_err_set(err, DH_ELIMIT, "more than %d request headers or %d captured ones",
                                   DH_HTTP_REQ_HEADERS_MAX, DH_HTTP_CAPTURE_MAX);
                else
                        dh_err_set(err, ENOMEM, "out of memory");
                return NULL;
        }
        set_options(x, req);
        CURLMcode mc = curl_multi_add_handle(h->multi, x->easy);
        if (mc != CURLM_OK) {
                dh_err_set(err, EIO, "%s %s: %s", x->method, x->url, curl_multi_strerror(mc));
                xfer_free(x);
                return NULL;
        }
        x->next = h->xfers;
        if (x->next)
                x->next->pprev = &x->next;
        x->pprev = &h->xfers;
        h->xfers = x;
        return x;
}

/* curl's URL parser, so redirects resolve exactly as curl would follow them. */
int dh_http_url_resolve(const char *base, const char *ref, char **out, struct dh_err **err)
{
        CURLU *u = curl_url();
        if (!u)
                return dh_err_set(err, ENOMEM, "out of memory");
        char *s = NULL;
        CURLUcode c = curl_url_set(u, CURLUPART_URL, base, 0);
        if (c == CURLUE_OK)
                c = curl_url_set(u, CURLUPART_URL, ref, 0);
        if (c == CURLUE_OK)
                c = curl_url_get(u, CURLUPART_URL, &s, 0);
        curl_url_cleanup(u);
        if (c != CURLUE_OK)
                return dh_err_set(err, EINVAL, "URL \"%s\" relative to \"%s\": %s", ref, base,
                                  curl_url_strerror(c));
        *out = strdup(s);
        curl_free(s);
        return *out ? 0 : dh_err_set(err, ENOMEM, "out of memory");
}

int dh_http_url_host(const char *url, char **out, struct dh_err **err)
{
        CURLU *u = curl_url();
        if (!u)
                return dh_err_set(err, ENOMEM, "out of memory");
        char *s = NULL;
        CURLUcode c = curl_url_set(u, CURLUPART_URL, url, 0);
        if (c == CURLUE_OK)
                c = curl_url_get(u, CURLUPART_HOST, &s, 0);
        curl_url_cleanup(u);
        if (c != CURLUE_OK)
                return dh_err_set(err, EINVAL, "URL \"%s\": %s", url, curl_url_strerror(c));
        *out = strdup(s);
        curl_free(s);
        return *out ? 0 : dh_err_set(err, ENOMEM, "out of memory");
}
