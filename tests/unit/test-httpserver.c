/* lib/httpserver: a server on 127.0.0.1, an ephemeral port, driven by the
 * loop in this process while a forked client (lib/child.h) talks raw
 * HTTP to it and reports what it got back: routing, HEAD, the largest
 * body, two requests on one connection, a head sent in pieces, refused
 * bodies, oversized heads and unknown methods, the connection limit,
 * idle timeouts, a port in use, and close-on-exec fds. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "lib/child.h"
#include "lib/httpserver.h"
#include "lib/loop.h"
#include "test.h"

static unsigned handled;

static void handler(void *ud, const struct dh_http_request *req, struct dh_http_reply *out)
{
        (void)ud;
        handled++;
        if (strcmp(req->path, "/hello") == 0) {
                out->status = 200;
                out->body = strdup("hello");
                out->len = 5;
        } else if (strcmp(req->path, "/max") == 0) {
                out->status = 200;
                out->len = DH_HTTPSERVER_MAX_BODY;
                out->body = malloc(out->len);
                if (out->body)
                        memset(out->body, 'x', out->len);
        } else if (strcmp(req->path, "/big") == 0) {
                out->status = 200;
                out->len = DH_HTTPSERVER_MAX_BODY + 1;
                out->body = calloc(1, out->len);
        } else {
                out->status = 404;
                out->content_type = "application/json";
                out->body = strdup("{}");
                out->len = 2;
        }
}

static uint16_t port;

static int connect_port(void)
{
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        struct timeval tv = { .tv_sec = 5 };
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
                close(fd);
                return -1;
        }
        return fd;
}

static void send_all(int fd, const char *s, size_t n)
{
        while (n) {
                ssize_t k = send(fd, s, n, MSG_NOSIGNAL);
                if (k <= 0)
                        return;
                s += k;
                n -= (size_t)k;
        }
}

/* Everything until EOF (or the 5 s receive timeout). */
static size_t read_all(int fd, char *buf, size_t size)
{
        size_t n = 0;
        ssize_t k;
        while (n + 1 < size && (k = recv(fd, buf + n, size - 1 - n, 0)) > 0)
                n += (size_t)k;
        buf[n] = '\0';
        return n;
}

/* One request on a fresh connection; writes "<status line>|<body>". */
static void request(int report, const char *raw, size_t len)
{
        char buf[8192];
        int fd = connect_port();
        if (fd < 0) {
                dprintf(report, "connect failed\n");
                return;
        }
        send_all(fd, raw, len);
        read_all(fd, buf, sizeof buf);
        close(fd);
        char *eol = strstr(buf, "\r\n");
        char *body = strstr(buf, "\r\n\r\n");
        size_t blen = body ? strlen(body + 4) : 0;
        if (blen && body[4 + blen - 1] == '\n') /* one line per reply */
                body[4 + blen - 1] = '\0';
        const char *type = strcasestr(buf, "\r\nContent-Type: ");
        int typelen = type ? (int)strcspn(type + 16, "\r") : 0;
        dprintf(report, "%.*s|%.*s|%s\n", eol ? (int)(eol - buf) : (int)strlen(buf), buf, typelen,
                type ? type + 16 : "", body ? body + 4 : "");
}

/* A head that comes in pieces is waited for. */
static int slow_head(void *ud, int fd)
{
        (void)ud;
        char buf[512];
        int c = connect_port();
        static const char a[] = "GET /hello HTTP/1.1\r\nHo", b[] = "st: x\r\nConnection: close\r\n\r\n";
        send_all(c, a, sizeof a - 1);
        usleep(200 * 1000);
        send_all(c, b, sizeof b - 1);
        size_t n = read_all(c, buf, sizeof buf);
        close(c);
        dprintf(fd, "%.15s\n", n ? buf : "nothing");
        return 0;
}

static void get(int report, const char *method, const char *path)
{
        char raw[512];
        int n = snprintf(raw, sizeof raw, "%s %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                         method, path);
        request(report, raw, (size_t)n);
}

struct run {
        char *report;
};

static void client_done(void *ud, const struct dh_child_result *res)
{
        struct run *r = ud;
        r->report = strdup(res->report ? res->report : "");
}

static void quit_when_done(struct dh_loop *l, void *ud)
{
        struct run *r = ud;
        if (r->report) {
                dh_loop_quit(l, 0);
                return;
        }
        dh_loop_timer(l, 10, quit_when_done, r, NULL);
}

/* Runs fn in a child while the loop serves; returns its report. */
static char *run_client(struct dh_loop *l, dh_child_fn fn)
{
        struct run r = { 0 };
        struct dh_err *err = NULL;
        struct dh_child *c = dh_child_start(l, fn, NULL, 16384, 30000, client_done, &r, &err);
        if (!c) {
                TEST_FAIL_("child: %s", err->msg);
                dh_err_free(err);
                return strdup("");
        }
        dh_loop_timer(l, 10, quit_when_done, &r, NULL);
        dh_loop_run(l);
        return r.report;
}

static struct dh_httpserver *open_server(struct dh_loop *l, unsigned max_conn, unsigned timeout_s)
{
        struct dh_httpserver_options o = {
                .loop = l, .address = "127.0.0.1", .port = 0, .max_connections = max_conn,
                .memory_limit = 8192, .timeout_s = timeout_s, .handler = handler,
        };
        struct dh_httpserver *s = NULL;
        struct dh_err *err = NULL;
        if (dh_httpserver_open(&o, &s, &err) < 0) {
                TEST_FAIL_("open: %s", err->msg);
                dh_err_free(err);
                return NULL;
        }
        port = dh_httpserver_port(s);
        return s;
}

static int routes(void *ud, int fd)
{
        (void)ud;
        get(fd, "GET", "/hello");
        get(fd, "GET", "/nope");
        get(fd, "HEAD", "/hello");
        get(fd, "GET", "/hello?x=1");
        get(fd, "GET", "/big");
        return 0;
}

TEST(routes_status_and_bodies)
{
        struct dh_loop *l = NULL;
        CHECK_INT(dh_loop_new(&l, NULL), 0);
        struct dh_httpserver *s = open_server(l, 4, 5);
        if (!s)
                return;
        CHECK(port != 0);
        handled = 0;
        char *rep = run_client(l, routes);
        CHECK_STR(rep, "HTTP/1.1 200 OK|text/plain; charset=utf-8|hello\n"
                       "HTTP/1.1 404 Not Found|application/json|{}\n"
                       "HTTP/1.1 200 OK|text/plain; charset=utf-8|\n"
                       "HTTP/1.1 200 OK|text/plain; charset=utf-8|hello\n"
                       "HTTP/1.1 500 Internal Server Error|text/plain; charset=utf-8|reply too large\n");
        CHECK_INT(handled, 5);
        free(rep);
        dh_httpserver_close(s);
        dh_loop_free(l);
}

/* The largest body, whole, to a client with a small receive buffer that
 * waits before reading. (Loopback's send buffer takes 64 KiB at once
 * here, so lws's partial-write path is not forced by this.) */
static int slow_reader(void *ud, int fd)
{
        (void)ud;
        int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int small = 4096;
        setsockopt(c, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        struct timeval tv = { .tv_sec = 5 };
        setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        if (connect(c, (struct sockaddr *)&a, sizeof a) < 0) {
                dprintf(fd, "connect failed\n");
                return 0;
        }
        static const char req[] = "GET /max HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
        send_all(c, req, sizeof req - 1);
        usleep(300 * 1000);
        size_t size = 2 * DH_HTTPSERVER_MAX_BODY;
        char *buf = malloc(size);
        size_t n = read_all(c, buf, size);
        close(c);
        char *body = strstr(buf, "\r\n\r\n");
        size_t xs = 0;
        for (char *p = body ? body + 4 : buf + n; p < buf + n && *p == 'x'; p++)
                xs++;
        dprintf(fd, "%.15s %s %zu\n", buf, strcasestr(buf, "\r\ncontent-length: 65536\r\n") ? "length" : "no length",
                xs);
        free(buf);
        return 0;
}

/* Two requests on one connection: the second is parsed by lws itself. */
static int keep_alive(void *ud, int fd)
{
        (void)ud;
        static const char two[] = "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n"
                                  "GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
        char buf[2048];
        int c = connect_port();
        send_all(c, two, sizeof two - 1);
        read_all(c, buf, sizeof buf);
        close(c);
        char *second = strstr(buf + 1, "HTTP/1.1 ");
        dprintf(fd, "%.15s then %.22s\n", buf, second ? second : "nothing");
        return 0;
}

TEST(largest_body_and_keep_alive)
{
        struct dh_loop *l = NULL;
        CHECK_INT(dh_loop_new(&l, NULL), 0);
        struct dh_httpserver *s = open_server(l, 4, 5);
        if (!s)
                return;
        char *rep = run_client(l, slow_reader);
        CHECK_STR(rep, "HTTP/1.1 200 OK length 65536\n");
        free(rep);
        rep = run_client(l, keep_alive);
        CHECK_STR(rep, "HTTP/1.1 200 OK then HTTP/1.1 404 Not Found\n");
        free(rep);
        dh_httpserver_close(s);
        dh_loop_free(l);
}

TEST(a_head_in_pieces)
{
        struct dh_loop *l = NULL;
        CHECK_INT(dh_loop_new(&l, NULL), 0);
        struct dh_httpserver *s = open_server(l, 4, 5);
        if (!s)
                return;
        char *rep = run_client(l, slow_head);
        CHECK_STR(rep, "HTTP/1.1 200 OK\n");
        free(rep);
        dh_httpserver_close(s);
        dh_loop_free(l);
}

static int oversized(void *ud, int fd)
{
        (void)ud;
        static const char post[] = "POST /hello HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                                   "Connection: close\r\n\r\nhello";
        request(fd, post, sizeof post - 1);
        static const char chunked[] = "POST /hello HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                                      "Connection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n";
        request(fd, chunked, sizeof chunked - 1);
        /* A header larger than the connection's memory (8 KiB here). */
        char *big = malloc(20000);
        int n = snprintf(big, 20000, "GET /hello HTTP/1.1\r\nHost: x\r\nX-Big: %0*d\r\n\r\n", 12000, 0);
        request(fd, big, (size_t)n);
        /* A request line longer than that. */
        n = snprintf(big, 20000, "GET /%0*d HTTP/1.1\r\nHost: x\r\n\r\n", 12000, 0);
        request(fd, big, (size_t)n);
        free(big);
        static const char odd[] = "BREW /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
        request(fd, odd, sizeof odd - 1);
        return 0;
}

TEST(bodies_and_oversized_heads_are_refused)
{
        struct dh_loop *l = NULL;
        CHECK_INT(dh_loop_new(&l, NULL), 0);
        struct dh_httpserver *s = open_server(l, 4, 5);
        if (!s)
                return;
        handled = 0;
        char *rep = run_client(l, oversized);
        char *second = strchr(rep, '\n');
        CHECK(strncmp(rep, "HTTP/1.1 413 ", 13) == 0);
        CHECK(second && strncmp(second + 1, "HTTP/1.1 413 ", 13) == 0);
        char *third = second ? strchr(second + 1, '\n') : NULL;
        CHECK(third && strncmp(third + 1, "HTTP/1.1 431 ", 13) == 0);
        char *fourth = third ? strchr(third + 1, '\n') : NULL;
        CHECK(fourth && strncmp(fourth + 1, "HTTP/1.1 414 ", 13) == 0);
        char *fifth = fourth ? strchr(fourth + 1, '\n') : NULL;
        CHECK(fifth && strncmp(fifth + 1, "HTTP/1.1 501 ", 13) == 0);
        CHECK_INT(handled, 0);
        if (test_failures_in_case)
                fprintf(stderr, "  report: %s\n", rep);
        free(rep);
        dh_httpserver_close(s);
        dh_loop_free(l);
}

/* Over the limit, a connection waits in the listener's backlog (the
 * server does not accept it) until a slot frees up. */
static int over_limit(void *ud, int fd)
{
        (void)ud;
        int idle[2];
        for (int i = 0; i < 2; i++)
                idle[i] = connect_port();
        usleep(300 * 1000); /* both accepted */
        int third = connect_port();
        static const char req[] = "GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
        send_all(third, req, sizeof req - 1);
        struct timeval one = { .tv_sec = 1 };
        setsockopt(third, SOL_SOCKET, SO_RCVTIMEO, &one, sizeof one);
        char buf[512];
        ssize_t k = recv(third, buf, sizeof buf, 0);
        dprintf(fd, "third while full: %s\n", k < 0 && errno == EAGAIN ? "waiting" : "answered");
        for (int i = 0; i < 2; i++)
                close(idle[i]);
        struct timeval five = { .tv_sec = 5 };
        setsockopt(third, SOL_SOCKET, SO_RCVTIMEO, &five, sizeof five);
        size_t n = read_all(third, buf, sizeof buf);
        close(third);
        dprintf(fd, "third then: %.15s\n", n ? buf : "nothing");
        get(fd, "GET", "/hello");
        return 0;
}

TEST(connection_limit)
{
        struct dh_loop *l = NULL;
        CHECK_INT(dh_loop_new(&l, NULL), 0);
        struct dh_httpserver *s = open_server(l, 2, 30);
        if (!s)
                return;
        char *rep = run_client(l, over_limit);
        CHECK_STR(rep, "third while full: waiting\nthird then: HTTP/1.1 200 OK\n"
                       "HTTP/1.1 200 OK|text/plain; charset=utf-8|hello\n");
        free(rep);
        dh_httpserver_close(s);
        dh_loop_free(l);
}

static int idle_client(void *ud, int fd)
{
        (void)ud;
        char buf[64];
        int c = connect_port();
        struct timeval t0, t1;
        gettimeofday(&t0, NULL);
        size_t n = read_all(c, buf, sizeof buf); /* until the server closes it */
        gettimeofday(&t1, NULL);
        close(c);
        long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_usec - t0.tv_usec) / 1000;
        dprintf(fd, "%zu %s\n", n, ms >= 500 && ms < 4500 ? "closed in time" : "not closed in time");
        return 0;
}

TEST(idle_connections_time_out)
{
        struct dh_loop *l = NULL;
        CHECK_INT(dh_loop_new(&l, NULL), 0);
        struct dh_httpserver *s = open_server(l, 2, 1);
        if (!s)
                return;
        char *rep = run_client(l, idle_client);
        CHECK_STR(rep, "0 closed in time\n");
        free(rep);
        dh_httpserver_close(s);
        dh_loop_free(l);
}

TEST(port_in_use_names_address_and_port)
{
        struct dh_loop *l = NULL;
        CHECK_INT(dh_loop_new(&l, NULL), 0);
        struct dh_httpserver *s = open_server(l, 2, 1);
        if (!s)
                return;
        char want[64];
        snprintf(want, sizeof want, "listen on 127.0.0.1:%u: ", port);
        struct dh_httpserver_options o = { .loop = l, .address = "127.0.0.1", .port = port,
                                           .handler = handler };
        struct dh_httpserver *s2 = NULL;
        struct dh_err *err = NULL;
        CHECK(dh_httpserver_open(&o, &s2, &err) < 0);
        CHECK(s2 == NULL);
        CHECK_CONTAINS(err ? err->msg : NULL, want);
        CHECK_INT(err ? err->code : 0, EADDRINUSE);
        dh_err_free(err);
        err = NULL;
        o.address = "localhost";
        CHECK(dh_httpserver_open(&o, &s2, &err) < 0);
        CHECK_CONTAINS(err ? err->msg : NULL, "localhost: not a numeric IP address");
        dh_err_free(err);
        dh_httpserver_close(s);
        dh_loop_free(l);
}

static bool fd_open(int fd)
{
        return fcntl(fd, F_GETFD) >= 0;
}

TEST(fds_are_close_on_exec_and_closed)
{
        struct dh_loop *l = NULL;
        CHECK_INT(dh_loop_new(&l, NULL), 0);
        /* libuv's process-wide signal lock pipe, made by the first loop
         * and kept, is there from the earlier tests. */
        bool before[256];
        for (int fd = 0; fd < 256; fd++)
                before[fd] = fd_open(fd);
        struct dh_httpserver *s = open_server(l, 2, 1);
        if (!s)
                return;
        int fresh = 0;
        for (int fd = 3; fd < 256; fd++) {
                if (before[fd] || !fd_open(fd))
                        continue;
                fresh++;
                if (!(fcntl(fd, F_GETFD) & FD_CLOEXEC))
                        TEST_FAIL_("fd %d is not close-on-exec", fd);
        }
        CHECK(fresh >= 2); /* the listener and libuv's epoll fd at least */
        dh_httpserver_close(s);
        for (int fd = 3; fd < 256; fd++)
                if (!before[fd] && fd_open(fd))
                        TEST_FAIL_("fd %d left open after close", fd);
        dh_loop_free(l);
}

TEST(ipv6_loopback)
{
        struct dh_loop *l = NULL;
        CHECK_INT(dh_loop_new(&l, NULL), 0);
        struct dh_httpserver_options o = { .loop = l, .address = "::1", .handler = handler };
        struct dh_httpserver *s = NULL;
        struct dh_err *err = NULL;
        if (dh_httpserver_open(&o, &s, &err) < 0) {
                /* A host without IPv6 says so; nothing else may fail. */
                CHECK_CONTAINS(err->msg, "listen on [::1]:0: ");
                CHECK(err->code == EADDRNOTAVAIL || err->code == EAFNOSUPPORT);
                fprintf(stderr, "  note: no IPv6 loopback here: %s\n", err->msg);
                dh_err_free(err);
        } else {
                CHECK(dh_httpserver_port(s) != 0);
                dh_httpserver_close(s);
        }
        dh_loop_free(l);
}

TEST_MAIN()
