/* Container process security, live: fork a child that applies a plan with
 * rt_security_apply() and execs busybox, then check what the kernel says
 * about the exec'd process (/proc/self/status: ids, capability masks,
 * NoNewPrivs, Seccomp) and what syscalls return under the filter (probed in
 * the child itself after applying, reported through a pipe). Needs root,
 * CAP_SETUID/SETGID/SETPCAP/SYS_ADMIN and /bin/busybox (busybox-static);
 * otherwise every test says loudly why it is skipped. No pivot_root here:
 * the child runs in the host's filesystem. */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/keyctl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cri/builtin/plan.h"
#include "cri/builtin/security.h"
#include "lib/cleanup.h"
#include "test.h"

#define BUSYBOX "/bin/busybox"
#define DEFAULT_CAPS UINT64_C(0x00000000a80425fb)
#define BIT(c) (UINT64_C(1) << (c))
#define CAP_SYS_ADMIN_ 21
#define CAP_NET_BIND_SERVICE_ 10

static const char *skip_reason(void)
{
        if (geteuid() != 0)
                return "needs root (setgroups/setresuid/capset/seccomp on a forked child)";
        if (access(BUSYBOX, X_OK) != 0)
                return BUSYBOX " is missing: `make deps` installs busybox-static";
        struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
        struct __user_cap_data_struct d[2] = { 0 };
        if (syscall(SYS_capget, &h, d) < 0)
                return "capget failed";
        uint32_t need = (1u << 6) | (1u << 7) | (1u << 8) | (1u << CAP_SYS_ADMIN_);
        if ((d[0].effective & need) != need)
                return "root without CAP_SETGID/SETUID/SETPCAP/SYS_ADMIN (an unprivileged container?)";
        if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) < 0)
                return "kernel without seccomp";
        if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) > 0)
                return "already under a seccomp filter, results would be the outer filter's";
        return NULL;
}

#define SKIP_UNLESS_LIVE()                                                           \
        do {                                                                         \
                const char *why_ = skip_reason();                                    \
                if (why_) {                                                          \
                        fprintf(stderr, "  SKIP test-security-live %s: %s\n", __func__, why_); \
                        return;                                                      \
                }                                                                    \
        } while (0)

/* Syscalls probed in the child after the security is applied; each
 * result is 0 or the errno. */
enum {
        P_KEYCTL,       /* denied by RuntimeDefault for everyone */
        P_MOUNT,        /* bad pointer: EFAULT if the filter lets it through, else EPERM */
        P_CLONE3,       /* ENOSYS from the filter without CAP_SYS_ADMIN */
        P_VSOCK,        /* socket(AF_VSOCK) is denied */
        P_CLONE_NEWUSER,  /* clone(CLONE_NEWUSER) without CAP_SYS_ADMIN: EPERM */
        P_MKDIR,        /* for the Localhost profile */
        P_FD50,         /* F_GETFD of inherited fd 50: present and close-on-exec? */
        P_N,
};
#define PROBE(p) (1u << (p))

struct report {
        char kind; /* 'E' apply failed, 'P' probes done */
        int val[P_N];
        char msg[512];
};

struct run {
        int status;
        char out[16384];
        struct report rep;
        bool have_rep;
};

static const char *mkdir_probe_path;

static int probe_one(int which)
{
        long r = -1;
        errno = 0;
        switch (which) {
        case P_KEYCTL:
                r = syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0);
                break;
        case P_MOUNT:
                r = syscall(SYS_mount, (void *)1, "/", NULL, 0, NULL);
                break;
        case P_CLONE3:
                r = syscall(SYS_clone3, NULL, 0);
                break;
        case P_VSOCK:
                r = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
                if (r >= 0)
                        close((int)r);
                break;
        case P_CLONE_NEWUSER:
                r = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, NULL, NULL, 0);
                if (r == 0)
                        _exit(0); /* the filter let it through: leave quietly */
                if (r > 0)
                        waitpid((pid_t)r, NULL, 0);
                break;
        case P_FD50:
                r = fcntl(50, F_GETFD);
                return r < 0 ? -errno : (int)r;
        case P_MKDIR:
                r = mkdir(mkdir_probe_path, 0700);
                if (r == 0)
                        rmdir(mkdir_probe_path);
                break;
        }
        return r < 0 ? errno : 0;
}

static _Noreturn void child(const struct rt_container_plan *p, struct rt_security_prep *prep,
                            int out_fd, int rep_fd, unsigned probes, const char *const *argv)
{
        struct report rep = { .kind = 'P' };
        if (dup2(out_fd, 1) < 0)
                _exit(120);
        struct dh_err *e = NULL;
        if (rt_security_apply_prepared(p, prep, &e) < 0) {
                rep.kind = 'E';
                snprintf(rep.msg, sizeof rep.msg, "%s", e ? e->msg : "?");
                if (write(rep_fd, &rep, sizeof rep) < 0)
                        _exit(121);
                _exit(121);
        }
        for (int i = 0; i < P_N; i++)
                if (probes & PROBE(i))
                        rep.val[i] = probe_one(i);
        if (write(rep_fd, &rep, sizeof rep) != sizeof rep)
                _exit(122);
        execv(BUSYBOX, (char *const *)argv);
        _exit(123);
}

/* Reads fd to EOF into buf, giving up after 10 s so a stuck child fails
 * the test instead of hanging it. */
static void read_all(int fd, char *buf, size_t max)
{
        size_t len = 0;
        for (;;) {
                struct pollfd pfd = { .fd = fd, .events = POLLIN };
                int r = poll(&pfd, 1, 10000);
                if (r == 0) {
                        TEST_FAIL_("%s", "child output: timed out");
                        break;
                }
                if (r < 0 && errno == EINTR)
                        continue;
                ssize_t n = read(fd, buf + len, max - 1 - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                len += (size_t)n;
                if (len == max - 1)
                        break;
        }
        buf[len] = '\0';
}

static bool run_plan(const struct rt_container_plan *p, struct rt_security_prep *prep,
                     unsigned probes, const char *const *argv, struct run *r)
{
        int out[2], rep[2];
        memset(r, 0, sizeof *r);
        if (pipe2(out, O_CLOEXEC) < 0 || pipe2(rep, O_CLOEXEC) < 0) {
                TEST_FAIL_("pipe2: %s", strerror(errno));
                return false;
        }
        fflush(NULL);
        pid_t pid = fork();
        if (pid < 0) {
                TEST_FAIL_("fork: %s", strerror(errno));
                return false;
        }
        if (pid == 0)
                child(p, prep, out[1], rep[1], probes, argv);
        close(out[1]);
        close(rep[1]);
        read_all(out[0], r->out, sizeof r->out);
        r->have_rep = read(rep[0], &r->rep, sizeof r->rep) == sizeof r->rep;
        close(out[0]);
        close(rep[0]);
        kill(pid, SIGKILL); /* no-op when it already finished; unsticks a timeout */
        if (waitpid(pid, &r->status, 0) != pid)
                TEST_FAIL_("waitpid: %s", strerror(errno));
        if (getenv("DH_TEST_VERBOSE"))
                fprintf(stderr, "--- child output ---\n%s--- probes:", r->out);
        for (int i = 0; getenv("DH_TEST_VERBOSE") && i < P_N; i++)
                fprintf(stderr, " %d%s", r->rep.val[i], i == P_N - 1 ? "\n" : "");
        if (r->have_rep && r->rep.kind == 'E') /* a failure only where success was expected */
                fprintf(stderr, "  (apply failed in the child: %s)\n", r->rep.msg);
        return r->have_rep && r->rep.kind == 'P' && WIFEXITED(r->status) && WEXITSTATUS(r->status) == 0;
}

/* The value of "Key:\t..." in /proc/<pid>/status text, or "". */
static const char *status_val(const char *status, const char *key)
{
        static char v[256];
        char k[64];
        snprintf(k, sizeof k, "\n%s:", key);
        const char *s = strstr(status, k);
        v[0] = '\0';
        if (!s)
                return v;
        s += strlen(k);
        while (*s == '\t' || *s == ' ')
                s++;
        size_t n = strcspn(s, "\n");
        while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
                n--;
        snprintf(v, sizeof v, "%.*s", (int)n, s);
        return v;
}

static const char *const cat_status[] = { BUSYBOX, "cat", "/proc/self/status", NULL };

static struct rt_container_plan base_plan(uint32_t uid, uint64_t caps)
{
        struct rt_container_plan p = { 0 };
        p.user.uid = uid;
        p.user.gid = uid;
        p.caps = (struct rt_plan_caps){ .bounding = caps, .effective = caps, .permitted = caps };
        return p;
}

static void check_caps(const char *status, const char *inh, const char *prm, const char *eff,
                       const char *bnd, const char *amb)
{
        CHECK_STR(status_val(status, "CapInh"), inh);
        CHECK_STR(status_val(status, "CapPrm"), prm);
        CHECK_STR(status_val(status, "CapEff"), eff);
        CHECK_STR(status_val(status, "CapBnd"), bnd);
        CHECK_STR(status_val(status, "CapAmb"), amb);
}

static void check_filtered(const char *status)
{
        CHECK_STR(status_val(status, "Seccomp"), "2");
        const char *f = status_val(status, "Seccomp_filters");
        if (*f) /* the line exists since Linux 5.9 */
                CHECK(strtol(f, NULL, 10) >= 1);
}

TEST(non_root_with_default_caps_nnp_and_runtime_default)
{
        SKIP_UNLESS_LIVE();
        uint32_t gids[] = { 2000, 3000 };
        struct rt_container_plan p = base_plan(1000, DEFAULT_CAPS);
        p.user.additional_gids.v = gids;
        p.user.additional_gids.n = 2;
        p.no_new_privs = true;
        p.seccomp = RT_PLAN_SECCOMP_RUNTIME_DEFAULT;
        struct run r;
        unsigned probes = PROBE(P_KEYCTL) | PROBE(P_MOUNT) | PROBE(P_CLONE3) | PROBE(P_VSOCK) |
                          PROBE(P_CLONE_NEWUSER);
        CHECK(run_plan(&p, NULL, probes, cat_status, &r));
        CHECK_STR(status_val(r.out, "Uid"), "1000\t1000\t1000\t1000");
        CHECK_STR(status_val(r.out, "Gid"), "1000\t1000\t1000\t1000");
        CHECK_STR(status_val(r.out, "Groups"), "1000 2000 3000");
        /* non-root: the kernel empties effective/permitted at execve, the
         * bounding set keeps the container's 14 */
        check_caps(r.out, "0000000000000000", "0000000000000000", "0000000000000000",
                   "00000000a80425fb", "0000000000000000");
        CHECK_STR(status_val(r.out, "NoNewPrivs"), "1");
        check_filtered(r.out);
        CHECK_INT(r.rep.val[P_KEYCTL], EPERM);
        CHECK_INT(r.rep.val[P_MOUNT], EPERM);
        CHECK_INT(r.rep.val[P_CLONE3], ENOSYS);
        CHECK_INT(r.rep.val[P_VSOCK], EPERM);
        CHECK_INT(r.rep.val[P_CLONE_NEWUSER], EPERM);
}

TEST(root_with_sys_admin_gets_the_admin_syscalls)
{
        SKIP_UNLESS_LIVE();
        /* no_new_privs off: the filter is loaded before the caps drop */
        struct rt_container_plan p = base_plan(0, DEFAULT_CAPS | BIT(CAP_SYS_ADMIN_));
        p.seccomp = RT_PLAN_SECCOMP_RUNTIME_DEFAULT;
        struct run r;
        CHECK(run_plan(&p, NULL, PROBE(P_KEYCTL) | PROBE(P_MOUNT) | PROBE(P_CLONE3), cat_status, &r));
        CHECK_STR(status_val(r.out, "Uid"), "0\t0\t0\t0");
        CHECK_STR(status_val(r.out, "Groups"), "0");
        check_caps(r.out, "0000000000000000", "00000000a82425fb", "00000000a82425fb",
                   "00000000a82425fb", "0000000000000000");
        CHECK_STR(status_val(r.out, "NoNewPrivs"), "0");
        check_filtered(r.out);
        CHECK_INT(r.rep.val[P_KEYCTL], EPERM);
        CHECK_INT(r.rep.val[P_MOUNT], EFAULT); /* reached the kernel */
        CHECK(r.rep.val[P_CLONE3] != ENOSYS);
}

TEST(root_with_default_caps)
{
        SKIP_UNLESS_LIVE();
        struct rt_container_plan p = base_plan(0, DEFAULT_CAPS);
        p.no_new_privs = true;
        p.seccomp = RT_PLAN_SECCOMP_RUNTIME_DEFAULT;
        struct run r;
        CHECK(run_plan(&p, NULL, PROBE(P_MOUNT), cat_status, &r));
        check_caps(r.out, "0000000000000000", "00000000a80425fb", "00000000a80425fb",
                   "00000000a80425fb", "0000000000000000");
        CHECK_INT(r.rep.val[P_MOUNT], EPERM);
}

TEST(ambient_caps_survive_exec_for_non_root)
{
        SKIP_UNLESS_LIVE();
        struct rt_container_plan p = base_plan(1000, DEFAULT_CAPS);
        p.caps.ambient = p.caps.inheritable = BIT(CAP_NET_BIND_SERVICE_);
        p.no_new_privs = true;
        struct run r;
        CHECK(run_plan(&p, NULL, 0, cat_status, &r));
        check_caps(r.out, "0000000000000400", "0000000000000400", "0000000000000400",
                   "00000000a80425fb", "0000000000000400");
        CHECK_STR(status_val(r.out, "Seccomp"), "0");
}

/* The test process's own masks, for the privileged case. */
static void own_status(char *buf, size_t n)
{
        int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
        ssize_t k = fd >= 0 ? read(fd, buf, n - 1) : -1;
        buf[k > 0 ? k : 0] = '\0';
        if (fd >= 0)
                close(fd);
}

TEST(privileged_gets_every_cap_the_runtime_holds)
{
        SKIP_UNLESS_LIVE();
        struct dh_err *e = NULL;
        uint64_t all = rt_caps_compute(DEFAULT_CAPS, NULL, NULL, true, &e);
        CHECK(e == NULL);
        struct rt_container_plan p = base_plan(0, all);
        p.privileged = true;
        p.seccomp = RT_PLAN_SECCOMP_UNCONFINED;
        struct run r;
        CHECK(run_plan(&p, NULL, 0, cat_status, &r));
        char self[8192], bnd[64], prm[64];
        own_status(self, sizeof self);
        snprintf(bnd, sizeof bnd, "%s", status_val(self, "CapBnd"));
        snprintf(prm, sizeof prm, "%s", status_val(self, "CapPrm"));
        check_caps(r.out, "0000000000000000", prm, prm, bnd, "0000000000000000");
        CHECK_STR(status_val(r.out, "Seccomp"), "0");
        CHECK_STR(status_val(r.out, "NoNewPrivs"), "0");
}

TEST(a_cap_the_runtime_lacks_is_an_error)
{
        SKIP_UNLESS_LIVE();
        char self[8192];
        own_status(self, sizeof self);
        uint64_t have = strtoull(status_val(self, "CapPrm"), NULL, 16);
        int missing = -1;
        for (int c = 0; c <= 40 && missing < 0; c++)
                if (!(have & BIT(c)) && prctl(PR_CAPBSET_READ, c, 0, 0, 0) >= 0)
                        missing = c;
        if (missing < 0) {
                fprintf(stderr, "  (a_cap_the_runtime_lacks_is_an_error: this runtime holds every cap, nothing to check)\n");
                return;
        }
        struct rt_container_plan p = base_plan(0, DEFAULT_CAPS | BIT(missing));
        struct run r;
        CHECK(!run_plan(&p, NULL, 0, cat_status, &r));
        CHECK(r.have_rep && r.rep.kind == 'E');
        CHECK_CONTAINS(r.rep.msg, rt_cap_name(missing));
        CHECK_CONTAINS(r.rep.msg, "the runtime does not hold it");
}

TEST(unknown_user_fails_before_anything_changes)
{
        SKIP_UNLESS_LIVE();
        struct rt_container_plan p = base_plan(0, DEFAULT_CAPS);
        p.user.lookup = (char *)"deckhand-no-such-user";
        struct run r;
        CHECK(!run_plan(&p, NULL, 0, cat_status, &r));
        CHECK(r.have_rep && r.rep.kind == 'E');
        CHECK_CONTAINS(r.rep.msg, "unable to find user deckhand-no-such-user: no matching entries in passwd file");
}

TEST(localhost_profile_blocks_mkdir_with_its_errno)
{
        SKIP_UNLESS_LIVE();
        char dir[] = "/tmp/dh-sec-live-XXXXXX";
        if (!mkdtemp(dir)) {
                TEST_FAIL_("mkdtemp: %s", strerror(errno));
                return;
        }
        chmod(dir, 0777);
        char prof[256], probe[256];
        snprintf(prof, sizeof prof, "%s/profile.json", dir);
        snprintf(probe, sizeof probe, "%s/made-by-child", dir);
        mkdir_probe_path = probe;
        static const char json[] =
                "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": ["
                "{\"names\": [\"mkdir\", \"mkdirat\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 122}]}";
        int fd = open(prof, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        CHECK(fd >= 0 && write(fd, json, sizeof json - 1) == (ssize_t)(sizeof json - 1));
        if (fd >= 0)
                close(fd);
        /* The shim's way: build from the host path first (before it would
         * pivot_root), apply later. no_new_privs off: loaded while root. */
        struct rt_container_plan p = base_plan(1000, DEFAULT_CAPS);
        p.seccomp = RT_PLAN_SECCOMP_LOCALHOST;
        p.seccomp_profile = prof;
        struct rt_security_prep prep;
        struct dh_err *e = NULL;
        CHECK_INT(rt_security_prepare(&p, &prep, &e), 0);
        if (e)
                TEST_FAIL_("%s", e->msg);
        struct run r;
        CHECK(run_plan(&p, &prep, PROBE(P_MKDIR), cat_status, &r));
        rt_security_prep_release(&prep);
        dh_err_free(e);
        CHECK_INT(r.rep.val[P_MKDIR], 122);
        CHECK_STR(status_val(r.out, "Uid"), "1000\t1000\t1000\t1000");
        CHECK_STR(status_val(r.out, "NoNewPrivs"), "0");
        check_filtered(r.out);
        /* control: without the profile the same mkdir works */
        p.seccomp = RT_PLAN_SECCOMP_UNCONFINED;
        CHECK(run_plan(&p, NULL, PROBE(P_MKDIR), cat_status, &r));
        CHECK_INT(r.rep.val[P_MKDIR], 0);
        unlink(prof);
        rmdir(probe);
        rmdir(dir);
}

TEST(inherited_fds_are_closed_before_exec)
{
        SKIP_UNLESS_LIVE();
        /* Deliberately inheritable (no O_CLOEXEC): the leak under test. */
        int leak[3] = { -1, -1, -1 };
        for (int i = 0; i < 3; i++) {
                int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
                leak[i] = fd >= 0 ? dup2(fd, 50 + i) : -1; /* dup2 drops CLOEXEC */
                if (fd >= 0)
                        close(fd);
                CHECK(leak[i] == 50 + i);
        }
        static const char *const ls[] = { BUSYBOX, "ls", "/proc/self/fd", NULL };
        struct rt_container_plan p = base_plan(1000, DEFAULT_CAPS);
        p.no_new_privs = true;
        p.seccomp = RT_PLAN_SECCOMP_RUNTIME_DEFAULT;
        struct run r;
        CHECK(run_plan(&p, NULL, PROBE(P_FD50), ls, &r));
        CHECK_INT(r.rep.val[P_FD50], FD_CLOEXEC); /* inherited, then marked */
        for (int i = 0; i < 3; i++)
                if (leak[i] >= 0)
                        close(leak[i]);
        /* 0-2 and the directory fd ls itself opened, nothing else */
        int n = 0;
        for (char *s = r.out, *end; *s; s = end) {
                long fd = strtol(s, &end, 10);
                if (end == s)
                        break;
                n++;
                if (fd > 3)
                        TEST_FAIL_("fd %ld leaked into the container", fd);
        }
        CHECK(n >= 3 && n <= 4);
}

TEST_MAIN()
