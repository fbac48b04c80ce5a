/* Forked helpers watched from the loop through a pidfd and a pipe. */
#include "lib/child.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/lsan_interface.h>
#endif

#include "lib/buf.h"
#include "lib/cleanup.h"

struct dh_child {
        struct dh_loop *loop;
        pid_t pid;
        int pidfd, rfd;
        struct dh_watch *wpid, *wpipe;
        struct dh_timer *timer;
        struct dh_buf report;
        bool truncated, timed_out;
        dh_child_done_fn done;
        void *done_ud;
};

pid_t dh_child_pid(const struct dh_child *c)
{
        return c->pid;
}

static void child_free(struct dh_child *c)
{
        if (c->wpid)
                dh_watch_remove(c->wpid);
        if (c->wpipe)
                dh_watch_remove(c->wpipe);
        dh_timer_cancel(c->timer);
        if (c->pidfd >= 0)
                close(c->pidfd);
        if (c->rfd >= 0)
                close(c->rfd);
        dh_buf_free(&c->report);
        free(c);
}

/* Reads what the pipe holds now; false at EOF. */
static bool drain(struct dh_child *c)
{
        char buf[4096];
        for (;;) {
                ssize_t k = read(c->rfd, buf, sizeof buf);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        return k < 0 && errno == EAGAIN;
                size_t room = c->report.max - c->report.len;
                if ((size_t)k > room)
                        c->truncated = true;
                dh_buf_append(&c->report, buf, (size_t)k < room ? (size_t)k : room, NULL);
        }
}

static void on_pipe(struct dh_loop *l, int fd, uint32_t events, void *ud)
{
        (void)l;
        (void)fd;
        (void)events;
        struct dh_child *c = ud;
        if (!drain(c)) {
                dh_watch_remove(c->wpipe); /* EOF: the pidfd tells the end */
                c->wpipe = NULL;
        }
}

static void on_exit_(struct dh_loop *l, int fd, uint32_t events, void *ud)
{
        (void)l;
        (void)fd;
        (void)events;
        struct dh_child *c = ud;
        drain(c); /* what it wrote before exiting */
        int status = 0;
        pid_t r;
        while ((r = waitpid(c->pid, &status, WNOHANG)) < 0 && errno == EINTR)
                ;
        if (r == 0)
                return; /* not yet reapable: the pidfd stays readable */
        struct dh_child_result res = {
                .wait_status = status,
                .report = c->report.data ? c->report.data : "",
                .len = c->report.len,
                .truncated = c->truncated,
                .timed_out = c->timed_out,
        };
        c->done(c->done_ud, &res);
        child_free(c);
}

static void on_timeout(struct dh_loop *l, void *ud)
{
        (void)l;
        struct dh_child *c = ud;
        c->timer = NULL;
        c->timed_out = true;
        kill(-c->pid, SIGKILL);
        kill(c->pid, SIGKILL);
}

/* A helper ends with _exit, which LeakSanitizer does not check: in the
 * sanitizer build it is checked here, so what the helper's function leaks
 * is reported (to stderr or ASAN_OPTIONS' log_path) like any exit's leak.
 * Recoverable: the helper's status stays its own. */
static void check_leaks(void)
{
#ifdef __SANITIZE_ADDRESS__
        __lsan_do_recoverable_leak_check();
#endif
}

static void __attribute__((noreturn)) run_child(pid_t parent, int wfd, dh_child_fn fn, void *ud)
{
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
                _exit(127);
        /* A group of its own, so a kill reaches whatever it starts; and
         * the signals the agent takes through signalfd unblocked. */
        setpgid(0, 0);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        signal(SIGPIPE, SIG_IGN);
        int status = fn(ud, wfd);
        check_leaks();
        _exit(status & 0xff);
}

struct dh_child *dh_child_start(struct dh_loop *loop, dh_child_fn fn, void *fn_ud, size_t max_report,
                                uint64_t timeout_ms, dh_child_done_fn done, void *done_ud,
                                struct dh_err **err)
{
        struct dh_child *c = calloc(1, sizeof *c);
        if (!c) {
                dh_err_set(err, ENOMEM, "out of memory");
                return NULL;
        }
        *c = (struct dh_child){ .loop = loop, .pidfd = -1, .rfd = -1, .done = done, .done_ud = done_ud };
        dh_buf_init(&c->report, max_report);
        int pfd[2];
        /* Only the parent's end is non-blocking: the child writes its
         * report with plain blocking writes. */
        if (pipe2(pfd, O_CLOEXEC) < 0) {
                dh_err_errno(err, errno, "pipe");
                child_free(c);
                return NULL;
        }
        c->rfd = pfd[0];
        if (fcntl(pfd[0], F_SETFL, O_NONBLOCK) < 0) {
                dh_err_errno(err, errno, "pipe");
                close(pfd[1]);
                child_free(c);
                return NULL;
        }
        pid_t parent = getpid();
        c->pid = fork();
        if (c->pid == 0) {
                close(pfd[0]);
                run_child(parent, pfd[1], fn, fn_ud);
        }
        close(pfd[1]);
        if (c->pid > 0)
                setpgid(c->pid, c->pid); /* also here, so a kill right away reaches the group */
        if (c->pid < 0) {
                dh_err_errno(err, errno, "fork");
                child_free(c);
                return NULL;
        }
        c->pidfd = (int)syscall(SYS_pidfd_open, c->pid, 0);
        if (c->pidfd < 0 || !(c->wpid = dh_loop_watch(loop, c->pidfd, EPOLLIN, on_exit_, c, err)) ||
            !(c->wpipe = dh_loop_watch(loop, c->rfd, EPOLLIN, on_pipe, c, err)) ||
            (timeout_ms && !(c->timer = dh_loop_timer(loop, timeout_ms, on_timeout, c, err)))) {
                if (c->pidfd < 0)
                        dh_err_errno(err, errno, "pidfd_open");
                dh_child_cancel(c);
                return NULL;
        }
        return c;
}

void dh_child_cancel(struct dh_child *c)
{
        if (!c)
                return;
        if (c->pid > 0) {
                kill(-c->pid, SIGKILL);
                kill(c->pid, SIGKILL);
                while (waitpid(c->pid, NULL, 0) < 0 && errno == EINTR)
                        ;
        }
        child_free(c);
}
