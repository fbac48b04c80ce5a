/* The container's side of creation: runs in the child the shim cloned into
 * a new mount (and maybe PID) namespace. It builds the filesystem, says
 * "ready", waits for "start", then applies the security settings and execs.
 * Every failure is written back to the shim as "E<errno> <step>: <message>"
 * on the control socket, which is close-on-exec: EOF after "start" means the
 * exec succeeded. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cri/builtin/rootfs.h"
#include "cri/builtin/security.h"
#include "cri/builtin/shim.h"

/* fork() with namespace flags: the child continues here on a copy of the
 * stack (no CLONE_VM), like bubblewrap's raw_clone. */
pid_t shim_clone(unsigned long flags)
{
        return (pid_t)syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, NULL);
}

static _Noreturn void child_fail(int ctl_fd, int code, const char *step, const char *msg)
{
        char buf[4096];
        int n = snprintf(buf, sizeof buf, "E%d %s: %s", code, step, msg ? msg : strerror(code));
        if (n > 0 && write(ctl_fd, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1) < 0)
                _exit(127);
        _exit(127);
}

static _Noreturn void child_fail_err(int ctl_fd, const char *step, struct dh_err *e)
{
        child_fail(ctl_fd, e ? e->code : EIO, step, e ? e->msg : NULL);
}

static void child_stdio(const struct rt_container_plan *p, int ctl_fd, int stdio[3])
{
        for (int i = 0; i < 3; i++)
                if (stdio[i] != i && dup2(stdio[i], i) < 0)
                        child_fail(ctl_fd, errno, "stdio", NULL);
        if (p->tty) {
                /* The pty slave becomes the controlling terminal of a new session. */
                if (setsid() < 0 || ioctl(0, TIOCSCTTY, 0) < 0)
                        child_fail(ctl_fd, errno, "tty", NULL);
        }
}

static const char *env_get(const struct dh_strv *env, const char *key)
{
        size_t kl = strlen(key);
        for (size_t i = env->n; i-- > 0;)
                if (strncmp(env->v[i], key, kl) == 0 && env->v[i][kl] == '=')
                        return env->v[i] + kl + 1;
        return NULL;
}

/* execvpe with the container's PATH, reporting the last real error. */
static _Noreturn void child_exec(const struct rt_container_plan *p, int ctl_fd)
{
        char **envp = calloc(p->env.n + 1, sizeof *envp);
        char **argv = calloc(p->argv.n + 1, sizeof *argv);
        if (!envp || !argv)
                child_fail(ctl_fd, ENOMEM, "exec", NULL);
        for (size_t i = 0; i < p->env.n; i++)
                envp[i] = p->env.v[i];
        for (size_t i = 0; i < p->argv.n; i++)
                argv[i] = p->argv.v[i];
        const char *path = env_get(&p->env, "PATH");
        if (path)
                setenv("PATH", path, 1); /* execvpe searches the caller's PATH */
        execvpe(argv[0], argv, envp);
        char msg[512];
        snprintf(msg, sizeof msg, "exec \"%s\": %s", argv[0], strerror(errno));
        child_fail(ctl_fd, errno, "start", msg);
}

/* The kernel's struct sigaction: glibc's sigaction() refuses the two
 * real-time signals it keeps for itself (32 and 33), which a parent may
 * still have set to ignored. */
struct kernel_sigaction {
        void (*handler)(int);
        unsigned long flags;
        void (*restorer)(void);
        uint64_t mask;
};

void shim_child_default_signals(void)
{
        const struct kernel_sigaction dfl = { .handler = SIG_DFL };
        for (int sig = 1; sig <= 64; sig++)
                if (sig != SIGKILL && sig != SIGSTOP)
                        syscall(SYS_rt_sigaction, sig, &dfl, NULL, sizeof dfl.mask);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
}

_Noreturn void shim_child_main(const struct rt_container_plan *p, const struct cg_layout *cg,
                               struct rt_security_prep *prep, int ctl_fd, int stdio[3])
{
        struct dh_err *e = NULL;
        /* First, while /sys/fs/cgroup is still the host's: the child moves
         * itself (see cg_enter_self for why not the shim). */
        if (cg_enter_self(cg, p->cgroup_path, &e) < 0)
                child_fail_err(ctl_fd, "cgroup", e);
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* die with the shim before exec */
        shim_child_default_signals();
        child_stdio(p, ctl_fd, stdio);
        if (rt_rootfs_setup(p, &e) < 0)
                child_fail_err(ctl_fd, "rootfs", e);
        char c = 'R';
        if (write(ctl_fd, &c, 1) != 1)
                _exit(127);
        ssize_t n;
        do {
                n = read(ctl_fd, &c, 1);
        } while (n < 0 && errno == EINTR);
        if (n != 1 || c != 'S')
                _exit(127); /* removed before being started */
        prctl(PR_SET_PDEATHSIG, 0); /* a running container outlives its shim */
        if (rt_security_apply_prepared(p, prep, &e) < 0)
                child_fail_err(ctl_fd, "security", e);
        /* Keep only stdio and the control socket (moved to fd 3, still
         * close-on-exec) so no inherited fd reaches the container. */
        if (ctl_fd != 3) {
                if (dup3(ctl_fd, 3, O_CLOEXEC) < 0)
                        child_fail(ctl_fd, errno, "start", "dup control socket");
                ctl_fd = 3;
        }
        rt_close_fds(4);
        child_exec(p, ctl_fd);
}
