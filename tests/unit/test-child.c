/* Tests for lib/child.c: forked helpers reported back through the loop. */
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/child.h"
#include "test.h"

struct got {
        struct dh_loop *loop;
        bool done;
        int status;
        char report[256];
        size_t len;
        bool truncated, timed_out;
};

static void on_done(void *ud, const struct dh_child_result *r)
{
        struct got *g = ud;
        g->done = true;
        g->status = r->wait_status;
        g->len = r->len;
        snprintf(g->report, sizeof g->report, "%s", r->report);
        g->truncated = r->truncated;
        g->timed_out = r->timed_out;
        dh_loop_quit(g->loop, 0);
}

static void on_deadline(struct dh_loop *l, void *ud)
{
        (void)ud;
        dh_loop_quit(l, 1);
}

/* Runs one child to completion (or a 5 s test deadline). */
static bool run(dh_child_fn fn, void *ud, size_t max, uint64_t timeout_ms, struct got *g)
{
        memset(g, 0, sizeof *g);
        struct dh_err *err = NULL;
        if (dh_loop_new(&g->loop, &err) < 0)
                return false;
        struct dh_child *c = dh_child_start(g->loop, fn, ud, max, timeout_ms, on_done, g, &err);
        struct dh_timer *t = dh_loop_timer(g->loop, 5000, on_deadline, NULL, &err);
        if (c && t)
                dh_loop_run(g->loop);
        if (!g->done)
                dh_child_cancel(c);
        dh_timer_cancel(t);
        dh_loop_free(g->loop);
        dh_err_free(err);
        return g->done;
}

static int say_and_exit(void *ud, int fd)
{
        const char *msg = ud;
        ssize_t k = write(fd, msg, strlen(msg));
        (void)k;
        return 3;
}

static int chatter(void *ud, int fd)
{
        (void)ud;
        char buf[1000];
        memset(buf, 'x', sizeof buf);
        for (int i = 0; i < 100; i++)
                if (write(fd, buf, sizeof buf) < 0)
                        return 1;
        return 0;
}

static int __attribute__((noreturn)) hang(void *ud, int fd)
{
        (void)ud;
        (void)fd;
        for (;;)
                pause();
}

static int close_early_then_exit(void *ud, int fd)
{
        (void)ud;
        close(fd);
        usleep(200000);
        return 0;
}

TEST(report_and_exit_status_come_back)
{
        struct got g;
        char msg[] = "layer sha256:ab: digest mismatch";
        CHECK(run(say_and_exit, msg, 100, 0, &g));
        CHECK(WIFEXITED(g.status) && WEXITSTATUS(g.status) == 3);
        CHECK(strcmp(g.report, "layer sha256:ab: digest mismatch") == 0);
        CHECK(!g.truncated && !g.timed_out);
}

TEST(reports_are_bounded)
{
        struct got g;
        CHECK(run(chatter, NULL, 10, 0, &g));
        CHECK_INT(g.len, 10);
        CHECK(g.truncated);
        CHECK(WIFEXITED(g.status) && WEXITSTATUS(g.status) == 0);
}

TEST(a_timeout_kills_the_child)
{
        struct got g;
        CHECK(run(hang, NULL, 10, 100, &g));
        CHECK(g.timed_out);
        CHECK(WIFSIGNALED(g.status) && WTERMSIG(g.status) == SIGKILL);
}

TEST(the_end_is_the_exit_not_the_pipe)
{
        struct got g;
        CHECK(run(close_early_then_exit, NULL, 10, 0, &g));
        CHECK(WIFEXITED(g.status) && WEXITSTATUS(g.status) == 0);
}

TEST(cancel_reaps_without_callback)
{
        struct dh_loop *loop = NULL;
        struct dh_err *err = NULL;
        CHECK_INT(dh_loop_new(&loop, &err), 0);
        struct got g = { .loop = loop };
        struct dh_child *c = dh_child_start(loop, hang, NULL, 10, 0, on_done, &g, &err);
        CHECK(c != NULL);
        pid_t pid = c ? dh_child_pid(c) : 0;
        dh_child_cancel(c);
        CHECK(!g.done);
        CHECK(pid > 0 && kill(pid, 0) < 0); /* reaped: gone */
        dh_loop_free(loop);
}

TEST_MAIN()
