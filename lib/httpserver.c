/* The loop-driven HTTP server (lib/httpserver.h) on libwebsockets (lws).
 *
 * Debian builds lws 4.1 without LWS_WITH_EXTERNAL_POLL: the ADD/DEL/
 * CHANGE_MODE_POLL_FD callbacks never come, so lws's wishes (POLLOUT
 * while a write is partial, POLLIN off for flow control) could not be
 * mirrored into our epoll set. It does take a libuv loop as a "foreign"
 * event loop, and a libuv loop is made to be embedded: our loop watches
 * its epoll fd (uv_backend_fd), uv_run(UV_RUN_NOWAIT) does whatever is
 * ready, and uv_backend_timeout says when lws's timers (idle connections)
 * next need a run: an idle server does not wake the loop. No threads,
 * nothing blocks.
 *
 * The listening socket is ours (close-on-exec, errors naming address and
 * port, the ephemeral port known). We accept (accept4, close-on-exec) up
 * to max_connections, past which the listener is not watched and
 * connections wait in its backlog; we wait for each connection's first
 * request head ourselves, peeking (see struct pending), then hand the
 * connection to lws (lws_adopt_socket_vhost), which parses heads in a
 * header table of memory_limit bytes, keeps connections alive, and times
 * out idle ones. Each request gets one reply from the handler: head, then
 * body. Plain HTTP: lws is not asked for SSL global init, and its fd
 * table is sized for max_connections, not for RLIMIT_NOFILE. */
#include "lib/httpserver.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libwebsockets.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include "lib/cleanup.h"
#include "lib/log.h"

#define LISTEN_BACKLOG 64
/* Fds lws keeps besides the connections (its cancel pipe), and a margin. */
#define LWS_EXTRA_FDS 4
/* lws's header table size is an unsigned short. */
#define MAX_HEAD_BYTES 65535u
/* Room for the status line and our few headers. */
#define HEAD_BUF 512
/* After accept4 fails for want of fds or memory, wait this long. */
#define ACCEPT_RETRY_MS 1000

struct dh_httpserver {
        struct dh_loop *loop;
        uv_loop_t uv;
        bool uv_ready;
        struct lws_context *ctx;
        struct lws_vhost *vh;
        int listen_fd;
        struct dh_watch *listen_watch;
        bool listening; /* the listen watch wants EPOLLIN */
        struct dh_watch *uv_watch;
        struct dh_timer *timer;
        struct dh_timer *accept_retry;
        dh_http_handler_fn handler;
        void *ud;
        unsigned max_connections;
        unsigned connections; /* waiting for their head, or lws's */
        struct pending *pending;
        char *peek; /* head_limit bytes, for the pending connections */
        size_t head_limit;
        unsigned timeout_s;
        uint16_t port;
};

/* Per connection (lws's per-session data): the reply's body waiting for
 * the socket to be writable, after LWS_PRE bytes lws may use. */
struct session {
        unsigned char *buf;
        size_t len;
        bool close_after;
};

static const char *const method_names[] = {
        [LWSHUMETH_GET] = "GET",         [LWSHUMETH_POST] = "POST",
        [LWSHUMETH_OPTIONS] = "OPTIONS", [LWSHUMETH_PUT] = "PUT",
        [LWSHUMETH_PATCH] = "PATCH",     [LWSHUMETH_DELETE] = "DELETE",
        [LWSHUMETH_CONNECT] = "CONNECT", [LWSHUMETH_HEAD] = "HEAD",
};

static void session_free(struct session *ss)
{
        free(ss->buf);
        ss->buf = NULL;
        ss->len = 0;
}

/* Writes the head; the body (taken, may be NULL) goes when writable. */
static int send_reply(struct lws *wsi, struct session *ss, unsigned status, const char *type,
                      char *body, size_t len, bool head_only, bool close_after)
{
        unsigned char head[LWS_PRE + HEAD_BUF];
        unsigned char *start = head + LWS_PRE, *p = start, *end = head + sizeof head;
        static const char nosniff[] = "nosniff", close[] = "close";
        int bad = lws_add_http_common_headers(wsi, status | LWSAHH_FLAG_NO_SERVER_NAME,
                                              type ? type : "text/plain; charset=utf-8", len, &p, end) ||
                  lws_add_http_header_by_name(wsi, (const unsigned char *)"x-content-type-options:",
                                              (const unsigned char *)nosniff, sizeof nosniff - 1, &p,
                                              end) ||
                  (close_after &&
                   lws_add_http_header_by_token(wsi, WSI_TOKEN_CONNECTION, (const unsigned char *)close,
                                                sizeof close - 1, &p, end)) ||
                  lws_finalize_write_http_header(wsi, start, &p, end);
        if (bad) {
                free(body);
                return -1;
        }
        session_free(ss);
        ss->close_after = close_after;
        if (head_only || !len) {
                free(body);
                return close_after || lws_http_transaction_completed(wsi) ? -1 : 0;
        }
        ss->buf = malloc(LWS_PRE + len);
        if (!ss->buf) {
                free(body);
                return -1;
        }
        memcpy(ss->buf + LWS_PRE, body, len);
        ss->len = len;
        free(body);
        lws_callback_on_writable(wsi);
        return 0;
}

static int send_text(struct lws *wsi, struct session *ss, unsigned status, const char *text,
                     bool close_after)
{
        char *body = strdup(text);
        return body ? send_reply(wsi, ss, status, NULL, body, strlen(text), false, close_after) : -1;
}

static bool has_body(struct lws *wsi)
{
        char len[32];
        if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0)
                return true;
        if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH) <= 0)
                return false;
        return lws_hdr_copy(wsi, len, sizeof len, WSI_TOKEN_HTTP_CONTENT_LENGTH) < 0 ||
               strcmp(len, "0") != 0;
}

static int on_http(struct dh_httpserver *s, struct lws *wsi, struct session *ss, const char *path)
{
        char *uri;
        int urilen;
        int m = lws_http_get_uri_and_method(wsi, &uri, &urilen);
        if (m < 0 || m >= (int)(sizeof method_names / sizeof *method_names) || !method_names[m])
                return send_text(wsi, ss, HTTP_STATUS_NOT_IMPLEMENTED, "method not supported\n", true);
        /* Nothing here reads bodies: refuse, and close rather than read
         * the body as the next request. */
        if (has_body(wsi))
                return send_text(wsi, ss, HTTP_STATUS_REQ_ENTITY_TOO_LARGE,
                                 "request bodies are not accepted\n", true);
        struct dh_http_request req = { .method = method_names[m], .path = path };
        struct dh_http_reply rep = { .status = 500 };
        s->handler(s->ud, &req, &rep);
        if (rep.len > DH_HTTPSERVER_MAX_BODY || (rep.len && !rep.body)) {
                free(rep.body);
                return send_text(wsi, ss, HTTP_STATUS_INTERNAL_SERVER_ERROR, "reply too large\n", false);
        }
        return send_reply(wsi, ss, rep.status, rep.content_type, rep.body, rep.len,
                          m == LWSHUMETH_HEAD, false);
}

static int on_writable(struct lws *wsi, struct session *ss)
{
        if (!ss->buf)
                return 0; /* nothing of ours to write */
        /* lws keeps what the socket does not take and writes it first. */
        int n = lws_write(wsi, ss->buf + LWS_PRE, ss->len, LWS_WRITE_HTTP_FINAL);
        session_free(ss);
        if (n < 0)
                return -1;
        return ss->close_after || lws_http_transaction_completed(wsi) ? -1 : 0;
}

static void drop_connection(struct dh_httpserver *s);

static int on_lws(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                  size_t len)
{
        (void)len;
        struct session *ss = user;
        struct lws_context *ctx = lws_get_context(wsi);
        struct dh_httpserver *s = ctx ? lws_context_user(ctx) : NULL;
        switch (reason) {
        case LWS_CALLBACK_HTTP:
                return on_http(s, wsi, ss, in);
        case LWS_CALLBACK_HTTP_BODY:
                return -1; /* unreachable: bodies are refused above */
        case LWS_CALLBACK_HTTP_WRITEABLE:
                return on_writable(wsi, ss);
        case LWS_CALLBACK_CLOSED_HTTP:
        case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
                if (ss)
                        session_free(ss);
                return 0;
        case LWS_CALLBACK_WSI_DESTROY:
                if (s && lws_get_opaque_user_data(wsi) == s)
                        drop_connection(s);
                return 0;
        default:
                return 0;
        }
}

static const struct lws_protocols protocols[] = {
        { .name = "http", .callback = on_lws, .per_session_data_size = sizeof(struct session) },
        { 0 },
};

static void run_lws(struct dh_httpserver *s);

static void on_timer(struct dh_loop *l, void *ud)
{
        (void)l;
        struct dh_httpserver *s = ud;
        s->timer = NULL;
        run_lws(s);
}

static void on_uv_fd(struct dh_loop *l, int fd, uint32_t events, void *ud)
{
        (void)l;
        (void)fd;
        (void)events;
        run_lws(ud);
}

/* Does whatever libuv (and so lws) has ready, then asks when next. */
static void run_lws(struct dh_httpserver *s)
{
        uv_run(&s->uv, UV_RUN_NOWAIT);
        dh_timer_cancel(s->timer);
        s->timer = NULL;
        int ms = uv_backend_timeout(&s->uv);
        if (ms >= 0)
                /* On ENOMEM no timer: lws's timeouts then wait for the
                 * next event. */
                s->timer = dh_loop_timer(s->loop, (uint64_t)ms, on_timer, s, NULL);
}

static void set_listening(struct dh_httpserver *s, bool on)
{
        /* epoll_ctl MOD on a watched fd fails only without memory; then
         * the listener stays as it was. */
        if (s->listen_watch && s->listening != on &&
            dh_watch_events(s->listen_watch, on ? EPOLLIN : 0, NULL) == 0)
                s->listening = on;
}

/* Called from lws callbacks too, so it only re-enables the watch: the
 * accepting happens in the loop's next round, outside uv_run. */
static void listen_resume(struct dh_httpserver *s)
{
        if (s->connections < s->max_connections && !s->accept_retry)
                set_listening(s, true);
}

static void on_accept_retry(struct dh_loop *l, void *ud)
{
        (void)l;
        struct dh_httpserver *s = ud;
        s->accept_retry = NULL;
        listen_resume(s);
}

static void drop_connection(struct dh_httpserver *s)
{
        s->connections--;
        listen_resume(s);
}

/* Hands a connection whose head has come to lws, counted until its wsi
 * goes (WSI_DESTROY). */
static void adopt(struct dh_httpserver *s, int fd)
{
        struct lws *wsi = lws_adopt_socket_vhost(s->vh, fd);
        if (!wsi) {
                drop_connection(s); /* lws has closed fd */
                return;
        }
        lws_set_opaque_user_data(wsi, s);
        run_lws(s); /* libuv adds the fd to its epoll set in a run */
}

/* The first request's head is waited for here, not in lws: lws 4.1 drops
 * a connection whose head outgrows its header table without a word, and
 * logs that as its own error. Peeking leaves the bytes in the socket for
 * lws to read; a head that does not fit in memory_limit bytes gets 414
 * (the request line alone does not fit) or 431, as from net/http. */
struct pending {
        struct dh_httpserver *s;
        struct pending *next;
        int fd;
        struct dh_watch *watch;
        struct dh_timer *timer;
};

/* Unlinks and frees p; returns its fd. */
static int pending_take(struct pending *p)
{
        struct pending **pp = &p->s->pending;
        while (*pp != p)
                pp = &(*pp)->next;
        *pp = p->next;
        dh_watch_remove(p->watch);
        dh_timer_cancel(p->timer);
        int fd = p->fd;
        free(p);
        return fd;
}

static void pending_drop(struct pending *p)
{
        struct dh_httpserver *s = p->s;
        close(pending_take(p));
        drop_connection(s);
}

/* Reads what the client sent (up to a bound), answers, closes: reading
 * first lets the close end in FIN, not in a reset that could overtake
 * the reply. */
static void refuse(struct pending *p, const char *status_line)
{
        char reply[256];
        int n = snprintf(reply, sizeof reply,
                         "HTTP/1.1 %s\r\nContent-Type: text/plain; charset=utf-8\r\n"
                         "X-Content-Type-Options: nosniff\r\nContent-Length: 0\r\n"
                         "Connection: close\r\n\r\n",
                         status_line);
        for (int i = 0; i < 8 && recv(p->fd, p->s->peek, p->s->head_limit, MSG_DONTWAIT) > 0; i++)
                ;
        if (send(p->fd, reply, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) == n)
                shutdown(p->fd, SHUT_WR);
        pending_drop(p);
}

/* lws parses only these methods (and answers others with an HTML 403). */
static bool known_method(const char *head, size_t len)
{
        size_t n = strcspn(head, " ");
        for (size_t i = 0; n < len && i < sizeof method_names / sizeof *method_names; i++)
                if (method_names[i] && strlen(method_names[i]) == n && !memcmp(head, method_names[i], n))
                        return true;
        return false;
}

static void on_pending_readable(struct dh_loop *l, int fd, uint32_t events, void *ud)
{
        (void)l;
        (void)events;
        struct pending *p = ud;
        struct dh_httpserver *s = p->s;
        ssize_t n = recv(fd, s->peek, s->head_limit - 1, MSG_PEEK | MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return;
        if (n <= 0) { /* closed before a request, or an error */
                pending_drop(p);
                return;
        }
        s->peek[n] = '\0';
        if (memmem(s->peek, (size_t)n, "\r\n\r\n", 4)) {
                if (known_method(s->peek, (size_t)n))
                        adopt(s, pending_take(p));
                else
                        refuse(p, "501 Not Implemented");
        } else if ((size_t)n >= s->head_limit - 1) {
                refuse(p, memmem(s->peek, (size_t)n, "\r\n", 2) ? "431 Request Header Fields Too Large"
                                                                : "414 URI Too Long");
        }
        /* else: more to come; edge-triggered, so the bytes left in the
         * socket do not wake us again until others arrive. */
}

static void on_pending_timeout(struct dh_loop *l, void *ud)
{
        (void)l;
        struct pending *p = ud;
        p->timer = NULL;
        pending_drop(p);
}

static void wait_for_head(struct dh_httpserver *s, int fd)
{
        struct pending *p = calloc(1, sizeof *p);
        if (p) {
                *p = (struct pending){ .s = s, .fd = fd, .next = s->pending };
                p->watch = dh_loop_watch(s->loop, fd, EPOLLIN | EPOLLRDHUP | EPOLLET,
                                         on_pending_readable, p, NULL);
                p->timer = dh_loop_timer(s->loop, (uint64_t)s->timeout_s * 1000, on_pending_timeout,
                                         p, NULL);
        }
        if (!p || !p->watch || !p->timer) { /* out of memory: as if refused */
                if (p) {
                        dh_watch_remove(p->watch);
                        dh_timer_cancel(p->timer);
                        free(p);
                }
                close(fd);
                drop_connection(s);
                return;
        }
        s->pending = p;
}

static void on_listen(struct dh_loop *l, int fd, uint32_t events, void *ud)
{
        (void)l;
        (void)events;
        struct dh_httpserver *s = ud;
        while (s->connections < s->max_connections) {
                int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
                if (c >= 0) {
                        s->connections++;
                        wait_for_head(s, c);
                        continue;
                }
                if (errno == EINTR || errno == ECONNABORTED)
                        continue;
                if (errno != EAGAIN) { /* EMFILE, ENOBUFS...: not at once again */
                        set_listening(s, false);
                        if (!s->accept_retry)
                                s->accept_retry = dh_loop_timer(s->loop, ACCEPT_RETRY_MS,
                                                                on_accept_retry, s, NULL);
                }
                break;
        }
        if (s->connections >= s->max_connections)
                set_listening(s, false);
}

static int listen_socket(const char *address, uint16_t port, int *fd_out, uint16_t *port_out,
                         struct dh_err **err)
{
        struct sockaddr_storage ss = { 0 };
        socklen_t len;
        struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
        struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
        bool ipv6 = strchr(address, ':') != NULL;
        if (!ipv6 && inet_pton(AF_INET, address, &v4->sin_addr) == 1) {
                v4->sin_family = AF_INET;
                v4->sin_port = htons(port);
                len = sizeof *v4;
        } else if (ipv6 && inet_pton(AF_INET6, address, &v6->sin6_addr) == 1) {
                v6->sin6_family = AF_INET6;
                v6->sin6_port = htons(port);
                len = sizeof *v6;
        } else {
                return dh_err_set(err, DH_EINVAL_INPUT, "%s: not a numeric IP address", address);
        }
        _cleanup_close_ int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        int one = 1;
        if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
            (ipv6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) < 0) ||
            bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, LISTEN_BACKLOG) < 0 ||
            getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
                return dh_err_errno(err, errno, "listen on %s%s%s:%u", ipv6 ? "[" : "", address,
                                    ipv6 ? "]" : "", port);
        *port_out = ntohs(ipv6 ? v6->sin6_port : v4->sin_port);
        *fd_out = TAKE_FD(fd);
        return 0;
}

/* lws 4.1 logs some of its peers' doings as errors (a head too large for
 * its table, a reset connection): at the default verbosity they would
 * let any client fill the log, so they come out at -v=4. */
static void lws_log_emit(int level, const char *line)
{
        if (dh_log_verbosity < 4)
                return;
        char text[512];
        snprintf(text, sizeof text, "%.*s", (int)strcspn(line, "\n"), line);
        log_vs(4, "libwebsockets", "level", LOG_INT(level), "line", text);
}

static int start_lws(struct dh_httpserver *s, struct dh_err **err)
{
        void *loops[] = { &s->uv };
        struct lws_context_creation_info info = {
                .port = CONTEXT_PORT_NO_LISTEN_SERVER, /* we accept, lws adopts */
                .protocols = protocols,
                /* Plain HTTP: no LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT. */
                .options = LWS_SERVER_OPTION_LIBUV,
                .foreign_loops = loops,
                .pcontext = &s->ctx, /* NULLed when destruction completes */
                .user = s,
                /* Its fd table sized for us, not for RLIMIT_NOFILE. */
                .fd_limit_per_thread = s->max_connections + LWS_EXTRA_FDS,
                /* A head that fit in head_limit raw bytes fits lws's table. */
                .max_http_header_data = (unsigned short)s->head_limit,
                .max_http_header_pool = (unsigned short)s->max_connections,
                .timeout_secs = s->timeout_s,
                .timeout_secs_ah_idle = s->timeout_s,
                .keepalive_timeout = (int)s->timeout_s,
                .gid = -1,
                .uid = -1,
        };
        lws_set_log_level(LLL_ERR, lws_log_emit);
        if (uv_loop_init(&s->uv) != 0)
                return dh_err_set(err, EIO, "HTTP server on port %u: libuv loop", s->port);
        s->uv_ready = true;
        s->ctx = lws_create_context(&info);
        if (!s->ctx)
                /* The usual cause: its libuv plugin is loaded at run time. */
                return dh_err_set(err, EIO,
                                  "HTTP server on port %u: libwebsockets did not start "
                                  "(is its libuv plugin, libwebsockets-evlib-uv, installed?)",
                                  s->port);
        s->vh = lws_get_vhost_by_name(s->ctx, "default");
        if (!s->vh)
                return dh_err_set(err, EIO, "HTTP server on port %u: no libwebsockets vhost", s->port);
        return 0;
}

int dh_httpserver_open(const struct dh_httpserver_options *o, struct dh_httpserver **out,
                       struct dh_err **err)
{
        int fd = -1;
        uint16_t port = 0;
        if (listen_socket(o->address, o->port, &fd, &port, err) < 0)
                return -1;
        struct dh_httpserver *s = calloc(1, sizeof *s);
        if (!s) {
                close(fd);
                return dh_err_set(err, ENOMEM, "out of memory");
        }
        *s = (struct dh_httpserver){
                .loop = o->loop, .listen_fd = fd, .handler = o->handler, .ud = o->ud, .port = port,
                .max_connections = o->max_connections ? o->max_connections
                                                      : DH_HTTPSERVER_MAX_CONNECTIONS,
        };
        size_t head = o->memory_limit ? o->memory_limit : DH_HTTPSERVER_MEMORY_LIMIT;
        s->head_limit = head > MAX_HEAD_BYTES ? MAX_HEAD_BYTES : head;
        s->timeout_s = o->timeout_s ? o->timeout_s : DH_HTTPSERVER_TIMEOUT_S;
        s->peek = malloc(s->head_limit);
        if (!s->peek) {
                dh_httpserver_close(s);
                return dh_err_set(err, ENOMEM, "out of memory");
        }
        if (start_lws(s, err) < 0 ||
            !(s->uv_watch = dh_loop_watch(o->loop, uv_backend_fd(&s->uv), EPOLLIN, on_uv_fd, s, err)) ||
            !(s->listen_watch = dh_loop_watch(o->loop, fd, EPOLLIN, on_listen, s, err))) {
                dh_httpserver_close(s);
                return -1;
        }
        s->listening = true;
        run_lws(s); /* arms lws's first timer */
        *out = s;
        return 0;
}

uint16_t dh_httpserver_port(const struct dh_httpserver *s)
{
        return s->port;
}

/* With a foreign loop lws 4.1 stops in two steps: the first destroy
 * closes its libuv handles, whose close callbacks run in the loop; once
 * they did, a second destroy frees the context (and s->ctx is NULLed
 * through pcontext). Bounded: close callbacks need one run each. */
static void stop_lws(struct dh_httpserver *s)
{
        for (int step = 0; s->ctx && step < 2; step++) {
                lws_context_destroy(s->ctx);
                for (int i = 0; s->ctx && uv_loop_alive(&s->uv) && i < 64; i++)
                        uv_run(&s->uv, UV_RUN_NOWAIT);
        }
        if (s->uv_ready) {
                uv_run(&s->uv, UV_RUN_NOWAIT);
                uv_loop_close(&s->uv);
        }
}

void dh_httpserver_close(struct dh_httpserver *s)
{
        if (!s)
                return;
        dh_watch_remove(s->listen_watch);
        dh_watch_remove(s->uv_watch);
        dh_timer_cancel(s->timer);
        dh_timer_cancel(s->accept_retry);
        s->listen_watch = NULL; /* lws callbacks during the destroy must not re-arm it */
        while (s->pending)
                close(pending_take(s->pending));
        stop_lws(s);
        close(s->listen_fd);
        free(s->peek);
        free(s);
}
