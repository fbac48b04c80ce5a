/* The agent's local API (agent/localapi.h): responses, limits, and a live
 * socket driven by the loop. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent/localapi.h"
#include "tests/unit/test.h"

static json_t *fake_pods(void *ud)
{
        (void)ud;
        return json_pack("{s:s, s:s, s:[{s:{s:s}}]}", "kind", "PodList", "apiVersion", "v1",
                         "items", "metadata", "name", "web-node1");
}

static json_t *json_of(const char *s, size_t len)
{
        return json_loadb(s, len, 0, NULL);
}

TEST(pods_request_gets_the_list)
{
        struct agent_localapi_options o = { .pods = fake_pods };
        size_t len = 0;
        char *r = agent_localapi_respond(&o, "pods", &len);
        CHECK(r && len > 0 && r[len - 1] == '\n');
        json_t *j = r ? json_of(r, len) : NULL;
        CHECK_STR(json_string_value(json_object_get(j, "kind")), "PodList");
        json_decref(j);
        free(r);
}

TEST(unknown_request_gets_a_status)
{
        struct agent_localapi_options o = { .pods = fake_pods };
        size_t len = 0;
        char *r = agent_localapi_respond(&o, "secrets", &len);
        json_t *j = r ? json_of(r, len) : NULL;
        CHECK_STR(json_string_value(json_object_get(j, "kind")), "Status");
        CHECK_INT(json_integer_value(json_object_get(j, "code")), 400);
        json_decref(j);
        free(r);
}

TEST(response_over_the_limit_is_a_failure)
{
        struct agent_localapi_options o = { .pods = fake_pods, .response_max = 20 };
        size_t len = 0;
        char *r = agent_localapi_respond(&o, "pods", &len);
        json_t *j = r ? json_of(r, len) : NULL;
        CHECK_INT(json_integer_value(json_object_get(j, "code")), 500);
        CHECK_CONTAINS(json_string_value(json_object_get(j, "message")), "too large");
        json_decref(j);
        free(r);
}

static int client(const char *path)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
                close(fd);
                return -1;
        }
        return fd;
}

static void quit(struct dh_loop *l, void *ud)
{
        (void)ud;
        dh_loop_quit(l, 0);
}

/* Runs the loop for ms milliseconds. */
static void run_for(struct dh_loop *l, uint64_t ms)
{
        CHECK(dh_loop_timer(l, ms, quit, NULL, NULL) != NULL);
        CHECK_INT(dh_loop_run(l), 0);
}

static ssize_t read_all(int fd, char *buf, size_t size)
{
        size_t len = 0;
        for (;;) {
                ssize_t n = recv(fd, buf + len, size - 1 - len, MSG_DONTWAIT);
                if (n <= 0) {
                        buf[len] = '\0';
                        return n < 0 && errno != EAGAIN ? -1 : (ssize_t)len;
                }
                len += (size_t)n;
        }
}

TEST(live_socket_limits)
{
        char *dir = test_mkdtemp("localapi");
        char path[256], buf[4096];
        snprintf(path, sizeof path, "%s/agent.sock", dir);
        struct dh_loop *l = NULL;
        CHECK_INT(dh_loop_new(&l, NULL), 0);
        struct agent_localapi_options o = {
                .loop = l, .path = path, .pods = fake_pods, .max_conns = 1, .timeout_ms = 100,
        };
        struct agent_localapi *a = NULL;
        CHECK_INT(agent_localapi_open(&o, &a, NULL), 0);
        struct stat st;
        CHECK_INT(stat(path, &st), 0);
        CHECK_INT(st.st_mode & 07777, 0600);

        /* One answered request. */
        int c = client(path);
        CHECK(c >= 0);
        CHECK_INT(write(c, "pods\n", 5), 5);
        run_for(l, 50);
        CHECK(read_all(c, buf, sizeof buf) > 0);
        CHECK_CONTAINS(buf, "web-node1");
        close(c);
        run_for(l, 10);

        /* Over the cap: the second connection is closed unanswered; the
         * first, silent, times out. */
        int c1 = client(path), c2 = client(path);
        CHECK(c1 >= 0 && c2 >= 0);
        CHECK_INT(write(c2, "pods\n", 5), 5);
        run_for(l, 30);
        CHECK(read_all(c2, buf, sizeof buf) <= 0);
        run_for(l, 150);
        CHECK_INT(read_all(c1, buf, sizeof buf), 0);
        close(c1);
        close(c2);

        agent_localapi_close(a);
        CHECK(access(path, F_OK) < 0);
        dh_loop_free(l);
        test_rmtree(dir);
}

TEST_MAIN()
