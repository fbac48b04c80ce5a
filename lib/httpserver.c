/* The loop-driven HTTP server (lib/httpserver.h) on libmicrohttpd: our
 * own listening socket (close-on-exec, errors we can name), MHD in
 * MHD_USE_EPOLL mode without its polling thread, its epoll fd watched by
 * the loop and its timeout kept as a loop timer. */
#include "lib/httpserver.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/cleanup.h"

#define LISTEN_BACKLOG 64

struct dh_httpserver {
        struct dh_loop *loop;
        struct MHD_Daemon *d;
        struct dh_watch *watch;
        struct dh_timer *timer;
        dh_http_handler_fn handler;
        void *ud;
        uint16_t port;
};

/* Queues a reply; takes body (malloc'd or NULL). */
static enum MHD_Result queue(struct MHD_Connection *c, unsigned status, const char *type,
                             char *body, size_t len)
{
        struct MHD_Response *r = body ? MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE)
                                      : MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
        if (!r) {
                free(body);
                return MHD_NO; /* MHD closes the connection */
        }
        enum MHD_Result ok = MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                                                     type ? type : "text/plain; charset=utf-8");
        if (ok == MHD_YES)
                ok = MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
        if (ok == MHD_YES)
                ok = MHD_queue_response(c, status, r);
        MHD_destroy_response(r);
        return ok;
}

static enum MHD_Result queue_text(struct MHD_Connection *c, unsigned status, const char *text)
{
        char *body = strdup(text);
        return body ? queue(c, status, NULL, body, strlen(body)) : MHD_NO;
}

static bool has_body(struct MHD_Connection *c)
{
        const char *len = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        return MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING) ||
               (len && strcmp(len, "0") != 0);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **req_cls)
{
        (void)version;
        (void)upload_data;
        static int seen_headers;
        struct dh_httpserver *s = cls;
        if (!*req_cls) { /* the headers are in; a body would follow */
                *req_cls = &seen_headers;
                if (has_body(c)) /* MHD closes the connection after this reply */
                        return queue_text(c, MHD_HTTP_CONTENT_TOO_LARGE, "request bodies are not accepted\n");
                return MHD_YES;
        }
        if (*upload_data_size) { /* unreachable: bodies are refused above */
                *upload_data_size = 0;
                return MHD_YES;
        }
        struct dh_http_request req = { .method = method, .path = url };
        struct dh_http_reply rep = { .status = 500 };
        s->handler(s->ud, &req, &rep);
        if (rep.len > DH_HTTPSERVER_MAX_BODY || (rep.len && !rep.body)) {
                free(rep.body);
                return queue_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "reply too large\n");
        }
        return queue(c, rep.status, rep.content_type, rep.body, rep.len);
}

static void run_and_rearm(struct dh_httpserver *s);

static void on_timer(struct dh_loop *l, void *ud)
{
        (void)l;
        struct dh_httpserver *s = ud;
        s->timer = NULL;
        run_and_rearm(s);
}

static void on_epoll(struct dh_loop *l, int fd, uint32_t events, void *ud)
{
        (void)l;
        (void)fd;
        (void)events;
        run_and_rearm(ud);
}

/* MHD_run does whatever is ready; MHD_get_timeout says when it next has
 * something to do without an event (an idle connection to time out, a
 * connection with buffered data: 0). */
static void run_and_rearm(struct dh_httpserver *s)
{
        MHD_run(s->d);
        /* At the connection limit MHD takes its listener out of its epoll
         * set, and puts it back at the start of a run once closed
         * connections were cleaned up; but a run leaves them to be
         * cleaned up later, and nothing would wake us for that. So: ask
         * for the connection count, which cleans up (external-loop mode),
         * and run again, which puts the listener back and accepts what
         * waited in the backlog. (A connection accepted and closed within
         * that second run can still leave the listener out until the next
         * event or idle timeout, at most timeout_s.) */
        MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
        MHD_run(s->d);
        dh_timer_cancel(s->timer);
        s->timer = NULL;
        MHD_UNSIGNED_LONG_LONG ms;
        if (MHD_get_timeout(s->d, &ms) == MHD_YES)
                /* On ENOMEM no timer: idle connections then wait for the
                 * next event to be timed out. */
                s->timer = dh_loop_timer(s->loop, (uint64_t)ms, on_timer, s, NULL);
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
        *s = (struct dh_httpserver){ .loop = o->loop, .handler = o->handler, .ud = o->ud, .port = port };
        unsigned flags = MHD_USE_EPOLL | (strchr(o->address, ':') ? MHD_USE_IPv6 : 0);
        /* MHD owns fd from here (it closes it at stop, or on failure). */
        s->d = MHD_start_daemon(
                flags, 0, NULL, NULL, on_request, s, MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
                MHD_OPTION_CONNECTION_LIMIT,
                (unsigned)(o->max_connections ? o->max_connections : DH_HTTPSERVER_MAX_CONNECTIONS),
                MHD_OPTION_CONNECTION_MEMORY_LIMIT,
                (size_t)(o->memory_limit ? o->memory_limit : DH_HTTPSERVER_MEMORY_LIMIT),
                MHD_OPTION_CONNECTION_TIMEOUT,
                (unsigned)(o->timeout_s ? o->timeout_s : DH_HTTPSERVER_TIMEOUT_S),
                MHD_OPTION_END);
        if (!s->d) {
                free(s);
                return dh_err_set(err, EIO, "HTTP server on port %u: libmicrohttpd did not start",
                                  port);
        }
        const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_EPOLL_FD);
        if (!info || !(s->watch = dh_loop_watch(o->loop, info->epoll_fd, EPOLLIN, on_epoll, s, err))) {
                dh_httpserver_close(s);
                return info ? -1 : dh_err_set(err, EIO, "HTTP server: no epoll fd");
        }
        *out = s;
        return 0;
}

uint16_t dh_httpserver_port(const struct dh_httpserver *s)
{
        return s->port;
}

void dh_httpserver_close(struct dh_httpserver *s)
{
        if (!s)
                return;
        dh_watch_remove(s->watch);
        dh_timer_cancel(s->timer);
        MHD_stop_daemon(s->d);
        free(s);
}
