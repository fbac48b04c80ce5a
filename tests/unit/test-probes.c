/* One probe at a time against real things on loopback: an HTTP server the
 * test forks (statuses, same- and other-host redirects, slow and big
 * answers, an echo of the request), TCP listeners, a closed port, a
 * listener whose backlog is full (SYNs dropped: the black hole), an exec
 * runner that exits, prints, sleeps or fails as told, and grpc probes that
 * find no gRPC server. */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/http.h"
#include "lib/loop.h"
#include "lib/parse.h"
#include "probes/probe.h"
#include "test.h"
#include "testhttpd.h"

static struct testhttpd srv;

/* A number the test itself put in a path or a command; -1 if it is not. */
static int num(const char *s, int max)
{
        int64_t v = -1;
        struct dh_err *e = NULL;
        if (dh_parse_i64(s, 0, max, &v, "test number", &e) < 0)
                v = -1;
        dh_err_free(e);
        return (int)v;
}

static void routes(int fd, const struct testhttpd_req *r)
{
        char hdr[256];
        if (strcmp(r->path, "/ok") == 0) {
                testhttpd_respond(fd, 200, NULL, "healthy");
        } else if (strncmp(r->path, "/status/", 8) == 0) {
                int st = num(r->path + 8, 999);
                char body[64];
                snprintf(body, sizeof body, "body %d", st);
                testhttpd_respond(fd, st, NULL, body);
        } else if (strncmp(r->path, "/same/", 6) == 0) {
                int n = num(r->path + 6, 100);
                snprintf(hdr, sizeof hdr, "Location: /same/%d\r\n", n - 1);
                if (n > 0)
                        testhttpd_respond(fd, 302, hdr, "again");
                else
                        testhttpd_respond(fd, 200, NULL, "arrived");
        } else if (strcmp(r->path, "/abs-same") == 0) {
                snprintf(hdr, sizeof hdr, "Location: http://127.0.0.1:%d/ok\r\n", srv.port);
                testhttpd_respond(fd, 301, hdr, "");
        } else if (strcmp(r->path, "/other") == 0) {
                snprintf(hdr, sizeof hdr, "Location: http://localhost:%d/ok\r\n", srv.port);
                testhttpd_respond(fd, 302, hdr, "go elsewhere");
        } else if (strcmp(r->path, "/loop") == 0) {
                testhttpd_respond(fd, 307, "Location: /loop\r\n", "");
        } else if (strcmp(r->path, "/to-echo") == 0) {
                testhttpd_respond(fd, 302, "Location: /echo\r\n", "");
        } else if (strcmp(r->path, "/abs-echo") == 0) {
                snprintf(hdr, sizeof hdr, "Location: http://127.0.0.1:%d/echo\r\n", srv.port);
                testhttpd_respond(fd, 302, hdr, "");
        } else if (strcmp(r->path, "/echo") == 0) {
                testhttpd_respond(fd, 200, NULL, r->head);
        } else if (strcmp(r->path, "/slow") == 0) {
                sleep(10);
                testhttpd_respond(fd, 200, NULL, "late");
        } else if (strcmp(r->path, "/big") == 0 || strcmp(r->path, "/big-error") == 0) {
                int st = strcmp(r->path, "/big") == 0 ? 200 : 500;
                testhttpd_printf(fd, "HTTP/1.1 %d X\r\nContent-Length: %d\r\n\r\n", st, 1024 * 1024);
                char chunk[4096];
                memset(chunk, 'z', sizeof chunk);
                for (int i = 0; i < 256; i++)
                        testhttpd_write(fd, chunk, sizeof chunk);
        } else {
                testhttpd_respond(fd, 404, NULL, "no route");
        }
}

/* --- an exec runner: argv is ["exit", code, output] or ["sleep", ms,
 * pidfile], ["error"], ["timedout"], ["bigout"] --- */
static int fake_exec(void *ud, const char *id, const struct dh_strv *cmd, int64_t timeout_ms,
                     struct probe_exec_result *out, struct dh_err **err)
{
        (void)ud;
        (void)timeout_ms;
        if (strcmp(id, "c1") != 0)
                return dh_err_set(err, ENOENT, "unexpected container %s", id);
        const char *what = cmd->n ? cmd->v[0] : "";
        if (strcmp(what, "exit") == 0 && cmd->n == 3) {
                out->exit_code = num(cmd->v[1], 255);
                probe_output_append(&out->output, cmd->v[2], strlen(cmd->v[2]));
        } else if (strcmp(what, "sleep") == 0 && cmd->n == 3) {
                FILE *f = fopen(cmd->v[2], "we");
                if (f) {
                        fprintf(f, "%d\n", (int)getpid());
                        fclose(f);
                }
                usleep((useconds_t)num(cmd->v[1], 60000) * 1000);
                probe_output_append(&out->output, "woke", 4);
        } else if (strcmp(what, "timedout") == 0) {
                out->timed_out = true;
        } else if (strcmp(what, "bigout") == 0) {
                char chunk[1000];
                memset(chunk, 'o', sizeof chunk);
                for (int i = 0; i < 50; i++)
                        probe_output_append(&out->output, chunk, sizeof chunk);
        } else {
                return dh_err_set(err, EIO, "runtime says no");
        }
        return 0;
}

/* --- running one probe --- */
struct env {
        struct dh_loop *loop;
        struct dh_http *http;
        struct probe_ctx ctx;
};

struct got {
        bool done;
        enum probe_result r;
        char *out;
};

static void on_done(void *ud, const struct probe_outcome *o)
{
        struct got *g = ud;
        g->done = true;
        g->r = o->result;
        g->out = strdup(o->output);
}

static void quit_when_done(struct dh_loop *l, void *ud)
{
        struct got *g = ud;
        if (g->done || !dh_loop_timer(l, 2, quit_when_done, g, NULL))
                dh_loop_quit(l, 0);
}

static void on_guard(struct dh_loop *l, void *ud)
{
        (void)ud;
        dh_loop_quit(l, 1);
}

static bool env_init(struct env *e)
{
        *e = (struct env){ 0 };
        if (dh_loop_new(&e->loop, NULL) < 0 || dh_http_new(e->loop, &e->http, NULL) < 0)
                return false;
        e->ctx = (struct probe_ctx){ .loop = e->loop, .http = e->http, .exec = fake_exec };
        return true;
}

static void env_free(struct env *e)
{
        dh_http_free(e->http);
        dh_loop_free(e->loop);
}

/* Runs the loop until g is done, at most 8 s. */
static void wait_for(struct env *e, struct got *g)
{
        struct dh_timer *guard = dh_loop_timer(e->loop, 8000, on_guard, NULL, NULL);
        dh_loop_timer(e->loop, 0, quit_when_done, g, NULL);
        dh_loop_run(e->loop);
        dh_timer_cancel(guard);
}

static struct got run(struct probe_target *t)
{
        struct env e;
        struct got g = { 0 };
        if (!env_init(&e)) {
                TEST_FAIL_("%s", "env_init");
                return g;
        }
        if (!t->container_id)
                t->container_id = "c1";
        if (!t->pod_ip)
                t->pod_ip = "127.0.0.1";
        struct dh_err *err = NULL;
        struct probe_op *op = probe_run(&e.ctx, t, on_done, &g, &err);
        if (!op) {
                TEST_FAIL_("probe_run: %s", err ? err->msg : "?");
                dh_err_free(err);
        } else {
                wait_for(&e, &g);
        }
        env_free(&e);
        if (!g.done)
                TEST_FAIL_("%s", "probe never finished");
        return g;
}

static struct got http_probe(const char *path, int timeout_ms)
{
        struct pod_http_get hg = { .path = (char *)path, .port = { .kind = DH_INTSTR_INT, .i = srv.port } };
        struct pod_probe p = { .httpGet = &hg };
        struct probe_target t = { .spec = &p, .timeout_ms = timeout_ms };
        return run(&t);
}

#define EXPECT(g, res, text)                                                          \
        do {                                                                          \
                struct got g_ = (g);                                                  \
                CHECK_STR(probe_result_name(g_.r), probe_result_name(res));           \
                CHECK_STR(g_.out, text);                                              \
                free(g_.out);                                                         \
        } while (0)

#define EXPECT_HAS(g, res, text)                                                      \
        do {                                                                          \
                struct got g_ = (g);                                                  \
                CHECK_STR(probe_result_name(g_.r), probe_result_name(res));           \
                CHECK_CONTAINS(g_.out, text);                                         \
                free(g_.out);                                                         \
        } while (0)

TEST(http_statuses)
{
        EXPECT(http_probe("/ok", 2000), PROBE_SUCCESS, "healthy");
        EXPECT(http_probe("/status/204", 2000), PROBE_SUCCESS, "");
        EXPECT(http_probe("/status/299", 2000), PROBE_SUCCESS, "body 299");
        EXPECT(http_probe("/status/400", 2000), PROBE_FAILURE, "HTTP probe failed with statuscode: 400");
        EXPECT(http_probe("/status/503", 2000), PROBE_FAILURE, "HTTP probe failed with statuscode: 503");
        /* a 3xx that is not followed still counts, with a warning */
        EXPECT(http_probe("/status/304", 2000), PROBE_WARNING, "Probe terminated redirects, Response body: ");
        EXPECT(http_probe("/status/301", 2000), PROBE_WARNING,
               "Probe terminated redirects, Response body: body 301");
        /* a path without its slash gets one, as url.URL prints it */
        EXPECT(http_probe("ok", 2000), PROBE_SUCCESS, "healthy");
}

/* Host names: libcurl resolves them with c-ares, inside the loop, not on
 * a thread per lookup; a name only a private /etc/hosts knows (bound over
 * the real one in a mount namespace of a child) reaches the server. */
TEST(http_host_name_resolved_in_the_loop)
{
        const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
        CHECK(v->ares != NULL);
        CHECK((v->features & CURL_VERSION_ASYNCHDNS) != 0);
        pid_t pid = fork();
        if (pid == 0) {
                char hosts[] = "/tmp/dh-test-hosts-XXXXXX";
                int fd = mkstemp(hosts);
                const char line[] = "127.0.0.1 probe-target.deckhand.test\n";
                bool ok = fd >= 0 && write(fd, line, sizeof line - 1) == (ssize_t)(sizeof line - 1) &&
                          unshare(CLONE_NEWNS) == 0 &&
                          mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0 &&
                          mount(hosts, "/etc/hosts", NULL, MS_BIND, NULL) == 0;
                unlink(hosts);
                if (!ok)
                        _exit(2);
                struct pod_http_get hg = { .host = (char *)"probe-target.deckhand.test",
                                           .path = (char *)"/ok",
                                           .port = { .kind = DH_INTSTR_INT, .i = srv.port } };
                struct pod_probe p = { .httpGet = &hg };
                struct probe_target t = { .spec = &p, .timeout_ms = 2000 };
                struct got g = run(&t);
                _exit(g.r == PROBE_SUCCESS && g.out && strcmp(g.out, "healthy") == 0 ? 0 : 1);
        }
        int status = -1;
        CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
        CHECK_INT(WIFEXITED(status) ? WEXITSTATUS(status) : -1, 0);
}

TEST(http_redirects)
{
        EXPECT(http_probe("/same/3", 2000), PROBE_SUCCESS, "arrived");
        EXPECT(http_probe("/abs-same", 2000), PROBE_SUCCESS, "healthy");
        /* nine redirects are followed, the tenth is refused */
        EXPECT(http_probe("/same/9", 2000), PROBE_SUCCESS, "arrived");
        EXPECT(http_probe("/same/10", 2000), PROBE_FAILURE, "Get \"/same/0\": stopped after 10 redirects");
        EXPECT(http_probe("/loop", 2000), PROBE_FAILURE, "Get \"/loop\": stopped after 10 redirects");
        /* to another host: not followed, a success with a warning */
        EXPECT(http_probe("/other", 2000), PROBE_WARNING,
               "Probe terminated redirects, Response body: go elsewhere");
}

TEST(http_request_headers)
{
        struct pod_http_header hs[] = {
                { .name = (char *)"x-custom-thing", .value = (char *)"v1" },
                { .name = (char *)"X-Custom-Thing", .value = (char *)"v2" },
                { .name = (char *)"X-Empty", .value = (char *)"" },
                { .name = (char *)"host", .value = (char *)"probe.example" },
        };
        struct pod_http_get hg = { .path = (char *)"/echo", .port = { .kind = DH_INTSTR_INT, .i = srv.port } };
        hg.httpHeaders.v = hs;
        hg.httpHeaders.n = 4;
        struct pod_probe p = { .httpGet = &hg };
        struct probe_target t = { .spec = &p, .timeout_ms = 2000 };
        struct got g = run(&t);
        CHECK_INT(g.r, PROBE_SUCCESS);
        CHECK(g.out && strncmp(g.out, "GET /echo HTTP/1.1\r\n", 20) == 0);
        CHECK_CONTAINS(g.out, "\r\nUser-Agent: kube-probe/" PROBE_KUBE_VERSION "\r\n");
        CHECK_CONTAINS(g.out, "\r\nAccept: */*\r\n");
        CHECK_CONTAINS(g.out, "\r\nConnection: close\r\n");
        CHECK_CONTAINS(g.out, "\r\nX-Custom-Thing: v1\r\nX-Custom-Thing: v2\r\n");
        CHECK_CONTAINS(g.out, "\r\nX-Empty:");
        CHECK_CONTAINS(g.out, "Host: probe.example\r\n");
        CHECK(g.out && !strstr(g.out, "Host: 127.0.0.1"));
        free(g.out);

        /* a relative redirect keeps the Host override, an absolute one drops it */
        hg.path = (char *)"/to-echo";
        g = run(&t);
        CHECK_CONTAINS(g.out, "Host: probe.example\r\n");
        free(g.out);
        hg.path = (char *)"/abs-echo";
        g = run(&t);
        CHECK_CONTAINS(g.out, "Host: 127.0.0.1:");
        free(g.out);

        /* User-Agent and Accept given: theirs; an empty Accept: none */
        struct pod_http_header hs2[] = {
                { .name = (char *)"User-Agent", .value = (char *)"mine/2" },
                { .name = (char *)"accept", .value = (char *)"" },
        };
        hg.path = (char *)"/echo";
        hg.httpHeaders.v = hs2;
        hg.httpHeaders.n = 2;
        g = run(&t);
        CHECK_CONTAINS(g.out, "\r\nUser-Agent: mine/2\r\n");
        CHECK(g.out && !strstr(g.out, "kube-probe"));
        CHECK(g.out && !strstr(g.out, "Accept"));
        free(g.out);
        hs2[1].value = (char *)"application/json";
        g = run(&t);
        CHECK_CONTAINS(g.out, "\r\nAccept: application/json\r\n");
        CHECK(g.out && !strstr(g.out, "*/*"));
        free(g.out);
}

TEST(http_big_bodies_and_timeouts)
{
        struct got g = http_probe("/big", 3000);
        CHECK_INT(g.r, PROBE_SUCCESS);
        CHECK(g.out && strlen(g.out) == PROBE_OUTPUT_MAX);
        free(g.out);
        EXPECT(http_probe("/big-error", 3000), PROBE_FAILURE, "HTTP probe failed with statuscode: 500");

        uint64_t t0 = dh_now_ms();
        g = http_probe("/slow", 300);
        uint64_t took = dh_now_ms() - t0;
        CHECK_INT(g.r, PROBE_FAILURE);
        CHECK_CONTAINS(g.out, "/slow\": context deadline exceeded");
        CHECK(took >= 290 && took < 3000);
        free(g.out);
}

TEST(http_ports_and_errors)
{
        struct pod_container_port ports[] = {
                { .name = (char *)"metrics", .containerPort = { .set = true, .v = 1 } },
                { .name = (char *)"web", .containerPort = { .set = true, .v = srv.port } },
        };
        struct pod_http_get hg = { .path = (char *)"/ok", .port = { .kind = DH_INTSTR_STR, .s = (char *)"web" } };
        struct pod_probe p = { .httpGet = &hg };
        struct probe_target t = { .spec = &p, .ports = ports, .nports = 2, .timeout_ms = 2000 };
        EXPECT(run(&t), PROBE_SUCCESS, "healthy");
        hg.port.s = (char *)"nope";
        EXPECT(run(&t), PROBE_UNKNOWN, "port \"nope\" not found");
        hg.port = (struct dh_intstr){ .kind = DH_INTSTR_INT, .i = 70000 };
        EXPECT(run(&t), PROBE_UNKNOWN, "invalid port number: 70000");

        /* nothing listens on a port just closed */
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t alen = sizeof a;
        CHECK(bind(fd, (struct sockaddr *)&a, sizeof a) == 0 && getsockname(fd, (struct sockaddr *)&a, &alen) == 0);
        close(fd);
        hg.port.i = ntohs(a.sin_port);
        EXPECT_HAS(run(&t), PROBE_FAILURE, "Get \"http://127.0.0.1:");

        /* HTTPS against a plain HTTP server: a TLS failure, not a hang */
        hg.port.i = srv.port;
        hg.scheme = (char *)"HTTPS";
        EXPECT_HAS(run(&t), PROBE_FAILURE, "Get \"https://127.0.0.1:");
}

static int closed_port(void)
{
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t alen = sizeof a;
        CHECK(bind(fd, (struct sockaddr *)&a, sizeof a) == 0 && getsockname(fd, (struct sockaddr *)&a, &alen) == 0);
        close(fd);
        return ntohs(a.sin_port);
}

/* Without a gRPC server: what cannot connect waits out the timeout, as
 * grpc-go's blocking dial does, and fails in kubelet's words. (A real
 * gRPC server: tests/integration/grpc-probe.sh.) */
TEST(grpc_without_a_grpc_server)
{
        struct pod_grpc_action gr = { .port = { .set = true, .v = closed_port() } };
        struct pod_probe p = { .grpc = &gr };
        struct probe_target t = { .spec = &p, .timeout_ms = 300 };
        char want[160];
        snprintf(want, sizeof want,
                 "timeout: failed to connect service \"127.0.0.1:%d\" within 300ms: context deadline exceeded",
                 (int)gr.port.v);
        uint64_t t0 = dh_now_ms();
        EXPECT(run(&t), PROBE_FAILURE, want);
        uint64_t took = dh_now_ms() - t0;
        CHECK(took >= 290 && took < 2000);

        /* an HTTP/1 server does not speak h2c: grpc-go never gets a transport */
        gr.port.v = srv.port;
        snprintf(want, sizeof want,
                 "timeout: failed to connect service \"127.0.0.1:%d\" within 300ms: context deadline exceeded",
                 srv.port);
        EXPECT(run(&t), PROBE_FAILURE, want);

        /* IPv6 addresses are bracketed as net.JoinHostPort does */
        gr.port.v = 1;
        t.pod_ip = "::1";
        EXPECT(run(&t), PROBE_FAILURE,
               "timeout: failed to connect service \"[::1]:1\" within 300ms: context deadline exceeded");

        /* no port, no IP: the probe cannot run */
        gr.port.v = 0;
        t.pod_ip = "127.0.0.1";
        EXPECT(run(&t), PROBE_UNKNOWN, "invalid port number: 0");
        gr.port.v = 9000;
        t.pod_ip = "";
        EXPECT(run(&t), PROBE_UNKNOWN, "the pod has no IP address to probe");
}

/* A listener that never accepts, its backlog full: the kernel drops
 * further SYNs, so a connect neither succeeds nor fails. */
static int black_hole(int *port, int fillers[4])
{
        int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t alen = sizeof a;
        if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof a) < 0 || listen(l, 0) < 0 ||
            getsockname(l, (struct sockaddr *)&a, &alen) < 0)
                return -1;
        for (int i = 0; i < 4; i++) {
                fillers[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
                connect(fillers[i], (struct sockaddr *)&a, sizeof a);
        }
        *port = ntohs(a.sin_port);
        return l;
}

TEST(grpc_black_hole)
{
        int fillers[4], port = 0;
        int l = black_hole(&port, fillers);
        CHECK(l >= 0);
        struct pod_grpc_action gr = { .port = { .set = true, .v = port } };
        struct pod_probe p = { .grpc = &gr };
        struct probe_target t = { .spec = &p, .timeout_ms = 300 };
        char want[160];
        snprintf(want, sizeof want,
                 "timeout: failed to connect service \"127.0.0.1:%d\" within 300ms: context deadline exceeded", port);
        EXPECT(run(&t), PROBE_FAILURE, want);
        for (int i = 0; i < 4; i++)
                close(fillers[i]);
        close(l);
}

TEST(tcp_open_closed_and_black_hole)
{
        int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t alen = sizeof a;
        CHECK(bind(l, (struct sockaddr *)&a, sizeof a) == 0 && listen(l, 16) == 0 &&
              getsockname(l, (struct sockaddr *)&a, &alen) == 0);
        int port = ntohs(a.sin_port);
        struct pod_container_port ports[] = { { .name = (char *)"tcp", .containerPort = { .set = true, .v = port } } };
        struct pod_tcp_socket ts = { .port = { .kind = DH_INTSTR_STR, .s = (char *)"tcp" } };
        struct pod_probe p = { .tcpSocket = &ts };
        struct probe_target t = { .spec = &p, .ports = ports, .nports = 1, .timeout_ms = 2000 };
        EXPECT(run(&t), PROBE_SUCCESS, "");
        close(l);

        char want[128];
        snprintf(want, sizeof want, "dial tcp 127.0.0.1:%d: connect: connection refused", port);
        EXPECT(run(&t), PROBE_FAILURE, want);

        int fillers[4];
        int bh = black_hole(&port, fillers);
        CHECK(bh >= 0);
        ports[0].containerPort.v = port;
        t.timeout_ms = 300;
        uint64_t t0 = dh_now_ms();
        snprintf(want, sizeof want, "dial tcp 127.0.0.1:%d: i/o timeout", port);
        EXPECT(run(&t), PROBE_FAILURE, want);
        uint64_t took = dh_now_ms() - t0;
        CHECK(took >= 290 && took < 3000);

        /* an HTTP probe into the same hole times out the same way */
        struct pod_http_get hg = { .path = (char *)"/", .port = { .kind = DH_INTSTR_INT, .i = port } };
        struct pod_probe hp = { .httpGet = &hg };
        struct probe_target ht = { .spec = &hp, .timeout_ms = 300 };
        EXPECT_HAS(run(&ht), PROBE_FAILURE, "context deadline exceeded");
        for (int i = 0; i < 4; i++)
                close(fillers[i]);
        close(bh);

        /* names would need a blocking lookup */
        ts.host = (char *)"localhost";
        ts.port = (struct dh_intstr){ .kind = DH_INTSTR_INT, .i = 80 };
        EXPECT(run(&t), PROBE_FAILURE, "dial tcp localhost:80: host must be an IP address for tcpSocket probes");
        /* IPv6 literals are bracketed as Go joins them */
        ts.host = (char *)"::1";
        t.timeout_ms = 2000;
        snprintf(want, sizeof want, "dial tcp [::1]:80: connect: ");
        EXPECT_HAS(run(&t), PROBE_FAILURE, want);
}

static struct got exec_probe(const char *const *argv, size_t n, int timeout_ms)
{
        struct pod_exec_action ex = { .command = { .v = (char **)argv, .n = n } };
        struct pod_probe p = { .exec = &ex };
        struct probe_target t = { .spec = &p, .timeout_ms = timeout_ms };
        return run(&t);
}

TEST(exec_exit_codes_and_output)
{
        const char *ok[] = { "exit", "0", "all good" };
        EXPECT(exec_probe(ok, 3, 2000), PROBE_SUCCESS, "all good");
        const char *bad[] = { "exit", "3", "it broke\n" };
        EXPECT(exec_probe(bad, 3, 2000), PROBE_FAILURE, "it broke\n");
        const char *big[] = { "bigout" };
        struct got g = exec_probe(big, 1, 2000);
        CHECK_INT(g.r, PROBE_SUCCESS);
        CHECK(g.out && strlen(g.out) == PROBE_OUTPUT_MAX);
        free(g.out);
        const char *err[] = { "error" };
        EXPECT(exec_probe(err, 1, 2000), PROBE_UNKNOWN, "runtime says no");
        const char *rt_timeout[] = { "timedout" };
        EXPECT(exec_probe(rt_timeout, 1, 2000), PROBE_FAILURE, "command \"timedout\" timed out");
}

static pid_t read_pid(const char *path)
{
        FILE *f = fopen(path, "re");
        int pid = 0;
        if (f) {
                if (fscanf(f, "%d", &pid) != 1)
                        pid = 0;
                fclose(f);
        }
        return pid;
}

TEST(exec_timeout_kills_the_helper)
{
        char *dir = test_mkdtemp("probes");
        char pidfile[512];
        snprintf(pidfile, sizeof pidfile, "%s/pid", dir);
        const char *slow[] = { "sleep", "20000", pidfile };
        uint64_t t0 = dh_now_ms();
        struct got g = exec_probe(slow, 3, 300);
        uint64_t took = dh_now_ms() - t0;
        CHECK_INT(g.r, PROBE_FAILURE);
        char want[700];
        snprintf(want, sizeof want, "command \"sleep 20000 %s\" timed out", pidfile);
        CHECK_STR(g.out, want);
        CHECK(took >= 290 && took < 3000);
        free(g.out);
        pid_t pid = read_pid(pidfile);
        CHECK(pid > 0);
        /* killed and reaped: the pid names nothing now */
        CHECK(pid > 0 && kill(pid, 0) < 0 && errno == ESRCH);
        test_rmtree(dir);
}

TEST(exec_cancel_kills_the_helper)
{
        char *dir = test_mkdtemp("probes");
        char pidfile[512];
        snprintf(pidfile, sizeof pidfile, "%s/pid", dir);
        const char *slow[] = { "sleep", "20000", pidfile };
        struct pod_exec_action ex = { .command = { .v = (char **)slow, .n = 3 } };
        struct pod_probe p = { .exec = &ex };
        struct probe_target t = { .spec = &p, .timeout_ms = 10000, .container_id = "c1" };
        struct env e;
        CHECK(env_init(&e));
        struct got g = { 0 };
        struct probe_op *op = probe_run(&e.ctx, &t, on_done, &g, NULL);
        CHECK(op != NULL);
        pid_t pid = 0;
        uint64_t deadline = dh_now_ms() + 5000;
        while ((pid = read_pid(pidfile)) <= 0 && dh_now_ms() < deadline)
                usleep(5000);
        CHECK(pid > 0);
        probe_cancel(op);
        CHECK(pid > 0 && kill(pid, 0) < 0 && errno == ESRCH);
        /* done never runs for a cancelled probe */
        struct dh_timer *stop = dh_loop_timer(e.loop, 50, on_guard, NULL, NULL);
        (void)stop;
        dh_loop_run(e.loop);
        CHECK(!g.done);
        env_free(&e);
        test_rmtree(dir);
}

/* A grpc probe cancelled while it waits to dial again, and one cancelled
 * with its request in flight (a black hole): nothing runs afterwards. */
TEST(grpc_cancel)
{
        struct pod_grpc_action gr = { .port = { .set = true, .v = closed_port() } };
        struct pod_probe p = { .grpc = &gr };
        struct probe_target t = { .spec = &p, .timeout_ms = 5000, .pod_ip = "127.0.0.1" };
        int fillers[4], port = 0;
        int l = black_hole(&port, fillers);
        CHECK(l >= 0);
        for (int i = 0; i < 2; i++) {
                struct env e;
                CHECK(env_init(&e));
                struct got g = { 0 };
                if (i == 1)
                        gr.port.v = port;
                struct probe_op *op = probe_run(&e.ctx, &t, on_done, &g, NULL);
                CHECK(op != NULL);
                struct dh_timer *stop = dh_loop_timer(e.loop, 200, on_guard, NULL, NULL);
                (void)stop;
                dh_loop_run(e.loop); /* refused and waiting to redial / connecting */
                CHECK(!g.done);
                probe_cancel(op);
                stop = dh_loop_timer(e.loop, 1200, on_guard, NULL, NULL);
                dh_loop_run(e.loop); /* past the redial */
                CHECK(!g.done);
                env_free(&e);
        }
        for (int i = 0; i < 4; i++)
                close(fillers[i]);
        close(l);
}

TEST(no_runner_and_no_handler)
{
        struct env e;
        CHECK(env_init(&e));
        e.ctx.exec = NULL;
        const char *argv[] = { "true" };
        struct pod_exec_action ex = { .command = { .v = (char **)argv, .n = 1 } };
        struct pod_probe p = { .exec = &ex };
        struct probe_target t = { .spec = &p, .container_id = "c1" };
        struct got g = { 0 };
        CHECK(probe_run(&e.ctx, &t, on_done, &g, NULL) != NULL);
        CHECK(!g.done); /* never from inside probe_run */
        wait_for(&e, &g);
        CHECK_INT(g.r, PROBE_UNKNOWN);
        CHECK_STR(g.out, "no exec runner for exec probes");
        free(g.out);
        struct pod_probe none = { 0 };
        t.spec = &none;
        g = (struct got){ 0 };
        CHECK(probe_run(&e.ctx, &t, on_done, &g, NULL) != NULL);
        wait_for(&e, &g);
        CHECK_INT(g.r, PROBE_UNKNOWN);
        free(g.out);
        env_free(&e);
}

static void __attribute__((constructor(200))) start_server(void)
{
        signal(SIGPIPE, SIG_IGN);
        if (testhttpd_start(&srv, routes) < 0)
                exit(1);
}

static void __attribute__((destructor)) stop_server(void)
{
        testhttpd_stop(&srv);
}

TEST_MAIN()
