/* exec probes (pkg/probe/exec): the command runs in the container through
 * the agent's exec callback, which blocks (rt_ops->exec_sync), so it is
 * called in a forked helper in its own process group that reports back
 * over a pipe the loop watches: a header (how it ended, the exit code)
 * then the combined output, at most PROBE_OUTPUT_MAX bytes. Exit 0
 * succeeds, any other code fails with the output; the parent kills the
 * helper when the probe's timeout passes, which fails the probe with
 * kubelet's `command "<cmd>" timed out`. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "probes/probe-internal.h"

enum { REPLY_EXITED = 'X', REPLY_TIMED_OUT = 'T', REPLY_ERROR = 'E' };
struct reply_head {
        char kind;
        int32_t exit_code;
} __attribute__((packed));
#define REPLY_MAX (sizeof(struct reply_head) + PROBE_OUTPUT_MAX + 1024)

static void reap(struct probe_op *op, bool kill_first)
{
        if (op->pid <= 0)
                return;
        if (kill_first) {
                /* the helper and anything it started */
                kill(-op->pid, SIGKILL);
                kill(op->pid, SIGKILL);
        }
        while (waitpid(op->pid, NULL, 0) < 0 && errno == EINTR)
                ;
        op->pid = 0;
}

void probe_exec_free(struct probe_op *op)
{
        dh_watch_remove(op->watch);
        op->watch = NULL;
        if (op->pipe_fd >= 0)
                close(op->pipe_fd);
        op->pipe_fd = -1;
        reap(op, true);
        dh_buf_free(&op->reply);
        free(op->command);
}

static void write_all(int fd, const void *p, size_t n)
{
        const char *c = p;
        while (n > 0) {
                ssize_t k = write(fd, c, n);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        return;
                c += k;
                n -= (size_t)k;
        }
}

static void __attribute__((noreturn)) helper(struct probe_op *op, const struct probe_target *t, int wfd)
{
        struct probe_exec_result res = { 0 };
        dh_buf_init(&res.output, PROBE_OUTPUT_MAX);
        struct dh_err *e = NULL;
        int r = op->ctx->exec(op->ctx->exec_ud, t->container_id, &t->spec->exec->command, op->timeout_ms,
                              &res, &e);
        struct reply_head h = { .kind = r < 0 ? REPLY_ERROR : res.timed_out ? REPLY_TIMED_OUT : REPLY_EXITED,
                                .exit_code = res.exit_code };
        write_all(wfd, &h, sizeof h);
        if (r < 0) {
                const char *m = e && e->msg ? e->msg : "exec failed";
                write_all(wfd, m, strlen(m));
        } else if (res.output.len) {
                write_all(wfd, res.output.data, res.output.len);
        }
        _exit(0);
}

static void timed_out(struct probe_op *op)
{
        struct dh_buf b;
        dh_buf_init(&b, 8192);
        dh_buf_puts(&b, "command ", NULL);
        probe_go_quote(&b, op->command ? op->command : "");
        dh_buf_puts(&b, " timed out", NULL);
        probe_finish(op, PROBE_FAILURE, b.data ? b.data : "command timed out");
        dh_buf_free(&b);
}

static void on_timeout(struct dh_loop *l, void *ud)
{
        (void)l;
        struct probe_op *op = ud;
        op->timer = NULL;
        reap(op, true);
        timed_out(op);
}

static void finished(struct probe_op *op)
{
        /* EOF: the helper has written everything and is exiting. */
        reap(op, false);
        struct reply_head h;
        if (op->reply.len < sizeof h) {
                probe_finish(op, PROBE_UNKNOWN, "exec probe helper exited without a result");
                return;
        }
        memcpy(&h, op->reply.data, sizeof h);
        const char *out = op->reply.data + sizeof h;
        if (h.kind == REPLY_ERROR)
                probe_finish(op, PROBE_UNKNOWN, out);
        else if (h.kind == REPLY_TIMED_OUT)
                timed_out(op);
        else
                probe_finish(op, h.exit_code == 0 ? PROBE_SUCCESS : PROBE_FAILURE, out);
}

static void on_pipe(struct dh_loop *l, int fd, uint32_t events, void *ud)
{
        (void)l;
        (void)events;
        struct probe_op *op = ud;
        char buf[4096];
        for (;;) {
                ssize_t k = read(fd, buf, sizeof buf);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0 && errno == EAGAIN)
                        return;
                if (k <= 0)
                        break;
                probe_output_append(&op->reply, buf, (size_t)k); /* the rest is dropped */
        }
        finished(op);
}

static char *join_command(const struct dh_strv *cmd)
{
        struct dh_buf b;
        dh_buf_init(&b, 4096);
        for (size_t i = 0; i < cmd->n; i++) {
                if (i)
                        probe_output_append(&b, " ", 1);
                probe_output_append(&b, cmd->v[i], strlen(cmd->v[i]));
        }
        if (!b.data)
                return strdup("");
        return dh_buf_steal(&b);
}

int probe_exec_start(struct probe_op *op, const struct probe_target *t, struct dh_err **err)
{
        op->kind = OP_EXEC;
        dh_buf_init(&op->reply, REPLY_MAX);
        if (!op->ctx->exec)
                return probe_finish_later(op, PROBE_UNKNOWN, "no exec runner for exec probes", err);
        if (!t->container_id || !*t->container_id)
                return probe_finish_later(op, PROBE_UNKNOWN, "no container to exec in", err);
        op->command = join_command(&t->spec->exec->command);
        if (!op->command)
                return dh_err_set(err, ENOMEM, "out of memory");
        int pfd[2];
        if (pipe2(pfd, O_CLOEXEC | O_NONBLOCK) < 0)
                return dh_err_errno(err, errno, "pipe");
        pid_t parent = getpid();
        pid_t pid = fork();
        if (pid < 0) {
                int e = errno;
                close(pfd[0]);
                close(pfd[1]);
                return dh_err_errno(err, e, "fork");
        }
        if (pid == 0) {
                /* The helper must not outlive the agent, and the signals the
                 * agent takes through signalfd are blocked: unblock them. */
                if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
                        _exit(1);
                setpgid(0, 0);
                sigset_t none;
                sigemptyset(&none);
                sigprocmask(SIG_SETMASK, &none, NULL);
                signal(SIGPIPE, SIG_IGN);
                close(pfd[0]);
                int wfd = pfd[1];
                if (fcntl(wfd, F_SETFL, 0) < 0) /* blocking writes */
                        _exit(1);
                helper(op, t, wfd);
        }
        setpgid(pid, pid); /* also here, so a kill right away reaches the group */
        close(pfd[1]);
        op->pid = pid;
        op->pipe_fd = pfd[0];
        op->watch = dh_loop_watch(op->ctx->loop, op->pipe_fd, EPOLLIN, on_pipe, op, err);
        if (!op->watch)
                return -1; /* the caller frees op, which kills and reaps */
        op->timer = dh_loop_timer(op->ctx->loop, (uint64_t)op->timeout_ms, on_timeout, op, err);
        return op->timer ? 0 : -1;
}
