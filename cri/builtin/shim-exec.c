/* ExecSync and interactive exec. The shim points its pid_for_children at
 * the container's PID namespace, forks, and points it back, so the exec'd
 * process is the shim's own child (exact exit status, no middleman) inside
 * the container's PID and mount namespaces, cgroup and security settings.
 * Output is captured up to max_output per stream; a timeout kills it. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cri/builtin/security.h"
#include "cri/builtin/shim.h"
#include "lib/base64.h"
#include "lib/cleanup.h"

#define EXEC_MAX_OUTPUT (16u << 20)
#define EXEC_MAX_ARGS 4096

static void exec_free(struct shim_exec *x)
{
        dh_watch_remove(x->out_w);
        dh_watch_remove(x->err_w);
        dh_watch_remove(x->pty_w);
        dh_watch_remove(x->in_w);
        for (int *fd = &x->pty_master; fd <= &x->client_out; fd++)
                if (*fd >= 0)
                        close(*fd);
        dh_timer_cancel(x->timer);
        if (x->out_fd >= 0)
                close(x->out_fd);
        if (x->err_fd >= 0)
                close(x->err_fd);
        dh_buf_free(&x->out);
        dh_buf_free(&x->err);
        free(x);
}

static void exec_unlink(struct shim *s, struct shim_exec *x)
{
        for (struct shim_exec **p = &s->execs; *p; p = &(*p)->next) {
                if (*p == x) {
                        *p = x->next;
                        return;
                }
        }
}

/* Appends up to the buffer's limit; the rest is read and dropped so the
 * process never blocks on a full pipe. */
static void exec_read(struct shim_exec *x, int fd, struct dh_buf *b, bool *trunc)
{
        char chunk[65536];
        for (int i = 0; i < 16; i++) {
                ssize_t n = read(fd, chunk, sizeof chunk);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        if (n == 0 || errno != EAGAIN) {
                                struct dh_watch **w = fd == x->out_fd ? &x->out_w : &x->err_w;
                                dh_watch_remove(*w);
                                *w = NULL;
                        }
                        return;
                }
                size_t room = b->max - b->len;
                size_t take = (size_t)n < room ? (size_t)n : room;
                if (take < (size_t)n)
                        *trunc = true;
                dh_buf_append(b, chunk, take, NULL);
        }
}

static void on_exec_out(struct dh_loop *l, int fd, uint32_t ev, void *ud)
{
        (void)l;
        (void)ev;
        struct shim_exec *x = ud;
        exec_read(x, fd, fd == x->out_fd ? &x->out : &x->err, fd == x->out_fd ? &x->out_trunc : &x->err_trunc);
}

/* pty master → the client's stdout. Blocking writes: it is the client's
 * terminal, and O_NONBLOCK would change its file description for it too. */
static void pty_drain(struct shim_exec *x)
{
        char buf[16384];
        for (int i = 0; i < 64 && x->pty_master >= 0; i++) {
                ssize_t n = read(x->pty_master, buf, sizeof buf);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        if (n == 0 || errno != EAGAIN) { /* EIO: every slave closed */
                                dh_watch_remove(x->pty_w);
                                x->pty_w = NULL;
                        }
                        return;
                }
                for (ssize_t off = 0; off < n;) {
                        ssize_t w = write(x->client_out, buf + off, (size_t)(n - off));
                        if (w < 0 && errno == EINTR)
                                continue;
                        if (w <= 0)
                                return; /* the client's terminal is gone; output is dropped */
                        off += w;
                }
        }
}

static void on_pty(struct dh_loop *l, int fd, uint32_t ev, void *ud)
{
        (void)l;
        (void)fd;
        (void)ev;
        pty_drain(ud);
}

/* The client's stdin → the pty master (keystrokes: small, never blocks long). */
static void on_client_in(struct dh_loop *l, int fd, uint32_t ev, void *ud)
{
        (void)l;
        (void)ev;
        struct shim_exec *x = ud;
        char buf[4096];
        ssize_t n = read(fd, buf, sizeof buf);
        if (n <= 0 && !(n < 0 && (errno == EINTR || errno == EAGAIN))) {
                dh_watch_remove(x->in_w); /* stdin closed: the process keeps its tty */
                x->in_w = NULL;
                return;
        }
        for (ssize_t off = 0; n > 0 && off < n;) {
                ssize_t w = write(x->pty_master, buf + off, (size_t)(n - off));
                if (w < 0 && errno == EAGAIN) {
                        poll(&(struct pollfd){ .fd = x->pty_master, .events = POLLOUT }, 1, 100);
                        continue;
                }
                if (w <= 0)
                        return;
                off += w;
        }
}

static void exec_finish(struct shim *s, struct shim_exec *x)
{
        pty_drain(x);
        if (x->out_fd >= 0 && x->out_w)
                exec_read(x, x->out_fd, &x->out, &x->out_trunc);
        if (x->err_fd >= 0 && x->err_w)
                exec_read(x, x->err_fd, &x->err, &x->err_trunc);
        int code = WIFEXITED(x->status) ? WEXITSTATUS(x->status) : 128 + WTERMSIG(x->status);
        /* Output is arbitrary bytes; JSON strings are not: base64. */
        char *out = dh_base64_encode(x->out.data ? x->out.data : "", x->out.len);
        char *errs = dh_base64_encode(x->err.data ? x->err.data : "", x->err.len);
        json_t *reply = out && errs ? json_pack("{sbsisssssbsbsb}", "ok", 1, "exit_code", code,
                                                "stdout", out, "stderr", errs, "stdout_truncated",
                                                x->out_trunc, "stderr_truncated", x->err_trunc,
                                                "timed_out", x->timed_out)
                                    : NULL;
        free(out);
        free(errs);
        shim_reply(x->conn, reply ? reply : json_pack("{sbsiss}", "ok", 0, "errno", ENOMEM, "error",
                                                      "out of memory encoding exec output"));
        exec_unlink(s, x);
        exec_free(x);
}

bool shim_exec_reaped(struct shim *s, pid_t pid, int status)
{
        for (struct shim_exec *x = s->execs; x; x = x->next) {
                if (x->pid == pid) {
                        x->status = status;
                        x->exited = true;
                        exec_finish(s, x);
                        return true;
                }
        }
        return false;
}

void shim_exec_conn_gone(struct shim *s, struct shim_conn *c)
{
        for (struct shim_exec *x = s->execs; x; x = x->next)
                if (x->conn == c)
                        x->conn = NULL;
}

void shim_exec_free_all(struct shim *s)
{
        while (s->execs) {
                struct shim_exec *x = s->execs;
                s->execs = x->next;
                exec_free(x);
        }
}

static void on_exec_timeout(struct dh_loop *l, void *ud)
{
        (void)l;
        struct shim_exec *x = ud;
        x->timer = NULL;
        x->timed_out = true;
        kill(x->pid, SIGKILL);
}

struct exec_req {
        struct shim_container *c;
        char **argv;
        size_t argc;
        int64_t timeout_s;
        size_t max_output;
        int stdio[3];
        bool tty;
        struct winsize ws;
};

static int parse_req(struct shim *s, json_t *req, struct exec_req *r, struct dh_err **err)
{
        const char *id = json_string_value(json_object_get(req, "id"));
        r->c = id ? shim_container_find(s, id) : NULL;
        if (!r->c)
                return dh_err_set(err, ENOENT, "container %.12s not found", id ? id : "");
        if (r->c->status.state != RT_CONTAINER_RUNNING || r->c->pid <= 0)
                return dh_err_set(err, EINVAL, "container %.12s is not running", id);
        json_t *cmd = json_object_get(req, "cmd");
        r->argc = json_array_size(cmd);
        if (r->argc == 0 || r->argc > EXEC_MAX_ARGS)
                return dh_err_set(err, EINVAL, "exec: cmd must have 1 to %d elements", EXEC_MAX_ARGS);
        r->argv = calloc(r->argc + 1, sizeof *r->argv);
        if (!r->argv)
                return dh_err_set(err, ENOMEM, "out of memory");
        for (size_t i = 0; i < r->argc; i++) {
                r->argv[i] = (char *)json_string_value(json_array_get(cmd, i));
                if (!r->argv[i])
                        return dh_err_set(err, EINVAL, "exec: cmd[%zu] is not a string", i);
        }
        r->timeout_s = json_integer_value(json_object_get(req, "timeout"));
        r->tty = json_is_true(json_object_get(req, "tty"));
        r->ws.ws_row = (unsigned short)json_integer_value(json_object_get(req, "rows"));
        r->ws.ws_col = (unsigned short)json_integer_value(json_object_get(req, "cols"));
        json_int_t mo = json_integer_value(json_object_get(req, "max_output"));
        r->max_output = mo > 0 && (size_t)mo < EXEC_MAX_OUTPUT ? (size_t)mo : EXEC_MAX_OUTPUT;
        return 0;
}

/* Failures before exec go to the process's own stderr, with the exit codes
 * a shell would use (126 cannot run, 127 not found). */
static _Noreturn void exec_fail(int code, const char *step, const char *msg)
{
        dprintf(2, "deckhand: exec: %s: %s\n", step, msg);
        _exit(code == ENOENT ? 127 : 126);
}

static _Noreturn void exec_child(struct shim *s, struct exec_req *r, int mnt_fd,
                                 struct rt_security_prep *prep)
{
        struct shim_container *c = r->c;
        struct dh_err *e = NULL;
        shim_child_default_signals();
        for (int i = 0; i < 3; i++)
                if (dup2(r->stdio[i], i) < 0)
                        _exit(126);
        /* With a tty the pty slave becomes the controlling terminal of a new
         * session, so job control and ^C work as in a login shell. */
        if (r->tty && (setsid() < 0 || ioctl(0, TIOCSCTTY, 0) < 0))
                exec_fail(errno, "tty", strerror(errno));
        /* The cgroup is joined through the host's /sys, before entering the
         * container's mount namespace where it is not writable. */
        if (cg_enter_self(s->cg, c->plan.cgroup_path, &e) < 0)
                exec_fail(e->code, "cgroup", e->msg);
        if (setns(mnt_fd, CLONE_NEWNS) < 0)
                exec_fail(errno, "enter mount namespace", strerror(errno));
        if (chdir(c->plan.cwd ? c->plan.cwd : "/") < 0 && chdir("/") < 0)
                exec_fail(errno, "chdir", strerror(errno));
        if (rt_security_apply_prepared(&c->plan, prep, &e) < 0)
                exec_fail(e->code, "security", e->msg);
        rt_close_fds(3);
        char **envp = calloc(c->plan.env.n + 1, sizeof *envp);
        for (size_t i = 0; envp && i < c->plan.env.n; i++) {
                envp[i] = c->plan.env.v[i];
                if (strncmp(envp[i], "PATH=", 5) == 0)
                        setenv("PATH", envp[i] + 5, 1);
        }
        execvpe(r->argv[0], r->argv, envp ? envp : (char *[]){ NULL });
        int saved = errno;
        char msg[512];
        snprintf(msg, sizeof msg, "\"%s\": %s", r->argv[0], strerror(saved));
        exec_fail(saved, "exec", msg);
}

/* Forks the exec'd process into the container's PID namespace. */
static pid_t fork_in_container(struct shim *s, struct exec_req *r, struct dh_err **err)
{
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/ns/pid", (int)r->c->pid);
        _cleanup_close_ int pid_fd = open(path, O_RDONLY | O_CLOEXEC);
        snprintf(path, sizeof path, "/proc/%d/ns/mnt", (int)r->c->pid);
        _cleanup_close_ int mnt_fd = open(path, O_RDONLY | O_CLOEXEC);
        _cleanup_close_ int own_fd = open("/proc/self/ns/pid_for_children", O_RDONLY | O_CLOEXEC);
        if (pid_fd < 0 || mnt_fd < 0 || own_fd < 0)
                return dh_err_errno(err, errno, "open namespaces of container %.12s", r->c->id);
        struct rt_security_prep prep = { 0 };
        if (rt_security_prepare(&r->c->plan, &prep, err) < 0)
                return -1;
        /* Only our future children are affected, and we switch back at once. */
        if (setns(pid_fd, CLONE_NEWPID) < 0) {
                rt_security_prep_release(&prep);
                return dh_err_errno(err, errno, "enter PID namespace");
        }
        pid_t pid = fork();
        if (pid == 0)
                exec_child(s, r, mnt_fd, &prep);
        int saved = errno;
        if (setns(own_fd, CLONE_NEWPID) < 0) {
                /* Cannot happen for our own namespace; if it did, later
                 * containers would start in the wrong one: stop here. */
                abort();
        }
        rt_security_prep_release(&prep);
        return pid < 0 ? dh_err_errno(err, saved, "fork exec process") : pid;
}

/* A pty for a tty exec: the slave is the process's stdio; the master and
 * the client's stdin/stdout stay with the shim, which copies between them. */
static int exec_pty(struct shim_exec *x, struct exec_req *r, const int *fds, struct dh_err **err)
{
        x->pty_master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
        char name[64];
        if (x->pty_master < 0 || grantpt(x->pty_master) < 0 || unlockpt(x->pty_master) < 0 ||
            ptsname_r(x->pty_master, name, sizeof name) != 0)
                return dh_err_errno(err, errno, "allocate pty");
        if (r->ws.ws_row && r->ws.ws_col)
                ioctl(x->pty_master, TIOCSWINSZ, &r->ws);
        int slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (slave < 0)
                return dh_err_errno(err, errno, "open %s", name);
        r->stdio[0] = slave;
        r->stdio[1] = fcntl(slave, F_DUPFD_CLOEXEC, 3);
        r->stdio[2] = fcntl(slave, F_DUPFD_CLOEXEC, 3);
        x->client_in = fcntl(fds[0], F_DUPFD_CLOEXEC, 3);
        x->client_out = fcntl(fds[1], F_DUPFD_CLOEXEC, 3);
        if (r->stdio[1] < 0 || r->stdio[2] < 0 || x->client_in < 0 || x->client_out < 0)
                return dh_err_errno(err, errno, "dup tty fds");
        fcntl(x->pty_master, F_SETFL, O_NONBLOCK);
        return 0;
}

static int exec_pipes(struct shim_exec *x, struct exec_req *r, const int *fds, int nfds,
                      struct dh_err **err)
{
        if (nfds == 3 && r->tty)
                return exec_pty(x, r, fds, err);
        if (nfds == 3) { /* interactive: the client's own fds */
                for (int i = 0; i < 3; i++)
                        r->stdio[i] = fds[i];
                return 0;
        }
        int out[2], errp[2];
        r->stdio[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (r->stdio[0] < 0 || pipe2(out, O_CLOEXEC) < 0)
                return dh_err_errno(err, errno, "exec pipes");
        if (pipe2(errp, O_CLOEXEC) < 0) {
                close(out[0]);
                close(out[1]);
                return dh_err_errno(err, errno, "exec pipes");
        }
        x->out_fd = out[0];
        x->err_fd = errp[0];
        r->stdio[1] = out[1];
        r->stdio[2] = errp[1];
        fcntl(x->out_fd, F_SETFL, O_NONBLOCK);
        fcntl(x->err_fd, F_SETFL, O_NONBLOCK);
        return 0;
}

static int exec_watch(struct shim *s, struct shim_exec *x, const struct exec_req *r, struct dh_err **err)
{
        if (x->pty_master >= 0) {
                x->pty_w = dh_loop_watch(s->loop, x->pty_master, EPOLLIN, on_pty, x, err);
                x->in_w = x->pty_w ? dh_loop_watch(s->loop, x->client_in, EPOLLIN, on_client_in, x, err) : NULL;
                if (!x->in_w)
                        return -EIO;
        }
        if (x->out_fd >= 0) {
                x->out_w = dh_loop_watch(s->loop, x->out_fd, EPOLLIN, on_exec_out, x, err);
                x->err_w = x->out_w ? dh_loop_watch(s->loop, x->err_fd, EPOLLIN, on_exec_out, x, err) : NULL;
                if (!x->err_w)
                        return -EIO;
        }
        if (r->timeout_s > 0)
                x->timer = dh_loop_timer(s->loop, (uint64_t)r->timeout_s * 1000, on_exec_timeout, x, err);
        return r->timeout_s > 0 && !x->timer ? -ENOMEM : 0;
}

int shim_exec_begin(struct shim *s, struct shim_conn *c, json_t *req, const int *fds, int nfds,
                    struct dh_err **err)
{
        struct exec_req r = { .stdio = { -1, -1, -1 } };
        struct shim_exec *x = calloc(1, sizeof *x);
        if (!x)
                return dh_err_set(err, ENOMEM, "out of memory");
        *x = (struct shim_exec){ .shim = s, .conn = c, .out_fd = -1, .err_fd = -1, .pty_master = -1,
                                 .client_in = -1, .client_out = -1 };
        int rc = parse_req(s, req, &r, err);
        if (rc == 0)
                rc = exec_pipes(x, &r, fds, nfds, err);
        dh_buf_init(&x->out, r.max_output);
        dh_buf_init(&x->err, r.max_output);
        if (rc == 0) {
                pid_t pid = fork_in_container(s, &r, err);
                rc = pid < 0 ? -1 : 0;
                x->pid = pid;
        }
        /* Our ends of the child's stdio (pipes or pty slaves) go, so EOF and
         * EIO come when it exits; the client's own fds are closed by the caller. */
        if (nfds != 3 || r.tty)
                for (int i = 0; i < 3; i++)
                        if (r.stdio[i] >= 0)
                                close(r.stdio[i]);
        if (rc == 0)
                rc = exec_watch(s, x, &r, err);
        free(r.argv);
        if (rc < 0) {
                if (x->pid > 0)
                        kill(x->pid, SIGKILL);
                exec_free(x);
                return -1;
        }
        x->next = s->execs;
        s->execs = x;
        return 0;
}
