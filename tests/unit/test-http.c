/* lib/http against a loopback server the test starts: request bodies and
 * headers, custom methods, the overall timeout, Location, error bodies and
 * the header and body limits, captured headers, HTTP/2 prior knowledge
 * against an HTTP/1 server; and the URL helpers redirects use. */
#include <errno.h>

#include "lib/http.h"
#include "lib/loop.h"
#include "test.h"
#include "testhttpd.h"

static void routes(int fd, const struct testhttpd_req *r)
{
        if (strcmp(r->path, "/echo") == 0) {
                char *b = NULL;
                if (asprintf(&b, "%s\n%s%.*s", r->method, r->head, (int)r->body_len, r->body) < 0)
                        return;
                testhttpd_respond(fd, 200, "Content-Type: text/plain\r\n", b);
                free(b);
        } else if (strcmp(r->path, "/captured") == 0) {
                testhttpd_respond(fd, 200, "Grpc-Status: 7\r\nX-Twice: a\r\nx-twice:  b \r\n", "c");
        } else if (strcmp(r->path, "/slow") == 0) {
                sleep(10);
                testhttpd_respond(fd, 200, NULL, "late");
        } else if (strcmp(r->path, "/redir") == 0) {
                testhttpd_respond(fd, 302, "Location: /elsewhere?x=1\r\n", "moved");
        } else if (strcmp(r->path, "/missing") == 0) {
                testhttpd_respond(fd, 404, NULL, "no such thing");
        } else if (strcmp(r->path, "/bigheaders") == 0) {
                testhttpd_printf(fd, "HTTP/1.1 200 OK\r\n");
                for (int i = 0; i < 1000; i++)
                        testhttpd_printf(fd, "X-Filler-%d: %0100d\r\n", i, 0);
                testhttpd_printf(fd, "Content-Length: 2\r\n\r\nok");
        } else if (strcmp(r->path, "/big") == 0) {
                testhttpd_printf(fd, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n", 100 * 1024);
                char chunk[1024];
                memset(chunk, 'b', sizeof chunk);
                for (int i = 0; i < 100; i++)
                        testhttpd_write(fd, chunk, sizeof chunk);
        } else {
                testhttpd_respond(fd, 500, NULL, "unknown route");
        }
}

struct result {
        bool done;
        long status;
        char *body, *location, *content_type;
        int err_code;
        char *err_msg;
        char *captured[3];
        bool connected;
};

static void on_done(void *ud, struct dh_http_resp *resp, struct dh_err *err)
{
        struct result *r = ud;
        r->done = true;
        r->status = resp->status;
        r->body = resp->body.data ? strdup(resp->body.data) : NULL;
        r->location = resp->location ? strdup(resp->location) : NULL;
        r->content_type = resp->content_type ? strdup(resp->content_type) : NULL;
        r->err_code = err ? err->code : 0;
        r->err_msg = err ? strdup(err->msg) : NULL;
        for (int i = 0; i < 3; i++)
                r->captured[i] = resp->captured[i] ? strdup(resp->captured[i]) : NULL;
        r->connected = resp->connected;
}

static void result_free(struct result *r)
{
        free(r->body);
        free(r->location);
        free(r->content_type);
        free(r->err_msg);
        for (int i = 0; i < 3; i++)
                free(r->captured[i]);
}

static void on_poll(struct dh_loop *l, void *ud)
{
        struct result *r = ud;
        if (r->done)
                dh_loop_quit(l, 0);
        else if (!dh_loop_timer(l, 5, on_poll, r, NULL))
                dh_loop_quit(l, 1);
}

static void on_guard(struct dh_loop *l, void *ud)
{
        (void)ud;
        dh_loop_quit(l, 2);
}

static struct testhttpd srv;
static char url_buf[256];

static const char *url(const char *path)
{
        snprintf(url_buf, sizeof url_buf, "http://127.0.0.1:%d%s", srv.port, path);
        return url_buf;
}

/* One transfer through a fresh engine, bounded by a 5 s guard. */
static void run(struct dh_http_req *req, struct result *out)
{
        *out = (struct result){ 0 };
        struct dh_loop *loop = NULL;
        struct dh_http *h = NULL;
        struct dh_err *e = NULL;
        CHECK_INT(dh_loop_new(&loop, &e), 0);
        CHECK_INT(dh_http_new(loop, &h, &e), 0);
        if (!loop || !h) {
                dh_err_free(e);
                dh_loop_free(loop);
                return;
        }
        struct dh_http_xfer *x = dh_http_start(h, req, on_done, out, &e);
        CHECK(x != NULL);
        struct dh_timer *guard = dh_loop_timer(loop, 5000, on_guard, NULL, &e);
        if (x && dh_loop_timer(loop, 1, on_poll, out, &e))
                CHECK_INT(dh_loop_run(loop), 0);
        dh_timer_cancel(guard);
        dh_err_free(e);
        dh_http_free(h);
        dh_loop_free(loop);
        CHECK(out->done);
}

TEST(captured_headers_and_connected)
{
        const char *names[] = { "grpc-status", "X-Twice", "x-absent" };
        struct dh_http_req req = { .url = url("/captured"), .max_body = 64, .capture = names, .ncapture = 3 };
        struct result r;
        run(&req, &r);
        CHECK_INT(r.status, 200);
        CHECK_STR(r.captured[0], "7");
        CHECK_STR(r.captured[1], "b"); /* the last one, trimmed */
        CHECK(r.captured[2] == NULL);
        CHECK(r.connected);
        result_free(&r);

        /* too many names: refused at the start */
        const char *five[] = { "a", "b", "c", "d", "e" };
        struct dh_http_req many = { .url = url("/captured"), .capture = five, .ncapture = 5 };
        struct dh_loop *loop = NULL;
        struct dh_http *h = NULL;
        struct dh_err *e = NULL;
        CHECK_INT(dh_loop_new(&loop, NULL), 0);
        CHECK_INT(dh_http_new(loop, &h, NULL), 0);
        CHECK(dh_http_start(h, &many, on_done, &r, &e) == NULL);
        CHECK_INT(e ? e->code : 0, DH_ELIMIT);
        dh_err_free(e);
        dh_http_free(h);
        dh_loop_free(loop);
}

TEST(http2_prior_knowledge_against_http1_and_no_connection)
{
        /* an HTTP/1 server does not speak h2c: an error, not a hang */
        struct dh_http_req req = { .url = url("/captured"), .method = "POST", .body = "x", .body_len = 1,
                                   .max_body = 64, .http2_prior_knowledge = true, .fresh_connection = true,
                                   .timeout_ms = 3000 };
        struct result r;
        run(&req, &r);
        CHECK(r.err_code != 0);
        CHECK(r.err_code != ETIMEDOUT);
        CHECK(r.connected);
        CHECK_INT(r.status, 0);
        result_free(&r);

        /* a closed port: refused, never connected */
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t alen = sizeof a;
        CHECK(bind(fd, (struct sockaddr *)&a, sizeof a) == 0 && getsockname(fd, (struct sockaddr *)&a, &alen) == 0);
        close(fd);
        char u[64];
        snprintf(u, sizeof u, "http://127.0.0.1:%d/", ntohs(a.sin_port));
        struct dh_http_req closed = { .url = u, .max_body = 64, .http2_prior_knowledge = true };
        run(&closed, &r);
        CHECK_INT(r.err_code, ECONNREFUSED);
        CHECK(!r.connected);
        result_free(&r);
}

TEST(post_with_body_and_headers)
{
        const char *hdrs[] = { "X-Probe-Test: one", "X-Other: two" };
        struct dh_http_req req = { .url = url("/echo"), .method = "POST", .body = "hello=world",
                                   .body_len = 11, .content_type = "application/x-www-form-urlencoded",
                                   .accept = "text/plain", .user_agent = "tester/1",
                                   .authorization = "Bearer abc", .headers = hdrs, .nheaders = 2,
                                   .max_body = 4096 };
        struct result r;
        run(&req, &r);
        CHECK_INT(r.err_code, 0);
        CHECK_INT(r.status, 200);
        CHECK_STR(r.content_type, "text/plain");
        CHECK(r.body && strncmp(r.body, "POST\nPOST /echo HTTP/1.1\r\n", 26) == 0);
        CHECK_CONTAINS(r.body, "\r\nX-Probe-Test: one\r\n");
        CHECK_CONTAINS(r.body, "\r\nX-Other: two\r\n");
        CHECK_CONTAINS(r.body, "\r\nUser-Agent: tester/1\r\n");
        CHECK_CONTAINS(r.body, "\r\nAccept: text/plain\r\n");
        CHECK_CONTAINS(r.body, "\r\nAuthorization: Bearer abc\r\n");
        CHECK_CONTAINS(r.body, "\r\nContent-Type: application/x-www-form-urlencoded\r\n");
        CHECK_CONTAINS(r.body, "\r\nContent-Length: 11\r\n");
        CHECK(r.body && strlen(r.body) > 11 && strcmp(r.body + strlen(r.body) - 11, "hello=world") == 0);
        result_free(&r);
}

TEST(custom_method_and_default_user_agent)
{
        struct dh_http_req req = { .url = url("/echo"), .method = "PURGE", .max_body = 4096 };
        struct result r;
        run(&req, &r);
        CHECK_INT(r.status, 200);
        CHECK(r.body && strncmp(r.body, "PURGE\nPURGE /echo HTTP/1.1\r\n", 28) == 0);
        CHECK_CONTAINS(r.body, "\r\nUser-Agent: deckhand/");
        result_free(&r);
}

TEST(timeout_ends_the_transfer)
{
        struct dh_http_req req = { .url = url("/slow"), .timeout_ms = 200, .max_body = 4096 };
        struct result r;
        uint64_t t0 = dh_now_ms();
        run(&req, &r);
        uint64_t took = dh_now_ms() - t0;
        CHECK_INT(r.err_code, ETIMEDOUT);
        CHECK_CONTAINS(r.err_msg, "GET http://127.0.0.1:");
        CHECK(took >= 190 && took < 4000);
        result_free(&r);
}

TEST(location_is_reported_without_following)
{
        struct dh_http_req req = { .url = url("/redir"), .max_body = 4096 };
        struct result r;
        run(&req, &r);
        CHECK_INT(r.err_code, 0);
        CHECK_INT(r.status, 302);
        CHECK_STR(r.location, "/elsewhere?x=1");
        CHECK_STR(r.body, "moved"); /* an error body is summarized */
        result_free(&r);
}

TEST(error_bodies_kept_and_limited)
{
        struct dh_http_req req = { .url = url("/missing"), .max_body = 4096, .keep_error_body = true };
        struct result r;
        run(&req, &r);
        CHECK_INT(r.err_code, 0);
        CHECK_INT(r.status, 404);
        CHECK_STR(r.body, "no such thing");
        result_free(&r);
        /* kept like a 2xx body: its limit is max_body */
        req.max_body = 4;
        run(&req, &r);
        CHECK_INT(r.err_code, DH_ELIMIT);
        CHECK_CONTAINS(r.err_msg, "response body exceeds 4 bytes");
        result_free(&r);
}

TEST(header_limit)
{
        struct dh_http_req req = { .url = url("/bigheaders"), .max_body = 4096 };
        struct result r;
        run(&req, &r);
        CHECK_INT(r.err_code, DH_ELIMIT);
        CHECK_CONTAINS(r.err_msg, "response headers exceed");
        result_free(&r);
}

TEST(body_limit)
{
        struct dh_http_req req = { .url = url("/big"), .max_body = 200 * 1024 };
        struct result r;
        run(&req, &r);
        CHECK_INT(r.err_code, 0);
        CHECK(r.body && strlen(r.body) == 100 * 1024);
        result_free(&r);
        req.max_body = 1000;
        run(&req, &r);
        CHECK_INT(r.err_code, DH_ELIMIT);
        CHECK_CONTAINS(r.err_msg, "response body exceeds 1000 bytes");
        result_free(&r);
}

TEST(url_helpers)
{
        char *s = NULL;
        struct dh_err *e = NULL;
        CHECK_INT(dh_http_url_resolve("http://10.0.0.1:8080/a/b?q=1", "/c", &s, &e), 0);
        CHECK_STR(s, "http://10.0.0.1:8080/c");
        free(s);
        CHECK_INT(dh_http_url_resolve("http://10.0.0.1:8080/a/b", "c?d=1", &s, &e), 0);
        CHECK_STR(s, "http://10.0.0.1:8080/a/c?d=1");
        free(s);
        CHECK_INT(dh_http_url_resolve("http://10.0.0.1/a", "https://example.com:9/x", &s, &e), 0);
        CHECK_STR(s, "https://example.com:9/x");
        free(s);
        CHECK_INT(dh_http_url_host("http://[::1]:80/x", &s, &e), 0);
        CHECK_STR(s, "[::1]");
        free(s);
        CHECK_INT(dh_http_url_host("https://Example.com:443/", &s, &e), 0);
        CHECK_STR(s, "Example.com");
        free(s);
        CHECK(dh_http_url_host("not a url", &s, &e) < 0);
        CHECK(e != NULL);
        dh_err_free(e);
}

static void quit_with(struct dh_loop *l, void *ud)
{
        dh_loop_quit(l, *(int *)ud);
}

TEST(loop_runs_again_after_quit)
{
        struct dh_loop *l = NULL;
        CHECK_INT(dh_loop_new(&l, NULL), 0);
        int one = 1, two = 2;
        dh_loop_timer(l, 1, quit_with, &one, NULL);
        CHECK_INT(dh_loop_run(l), 1);
        uint64_t t0 = dh_now_ms();
        dh_loop_timer(l, 30, quit_with, &two, NULL);
        CHECK_INT(dh_loop_run(l), 2);
        CHECK(dh_now_ms() - t0 >= 29);
        dh_loop_free(l);
}

static void __attribute__((constructor(200))) start_server(void)
{
        if (testhttpd_start(&srv, routes) < 0)
                exit(1);
}

static void __attribute__((destructor)) stop_server(void)
{
        testhttpd_stop(&srv);
}

TEST_MAIN()
