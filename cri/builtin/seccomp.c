/* Seccomp filters with libseccomp: RuntimeDefault (containerd's default
 * profile, contrib/seccomp/seccomp_default.go, as our own data table) and
 * Localhost (an OCI seccomp JSON profile, decoded with the jd tables). */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cri/builtin/security.h"
#include "lib/buf.h"
#include "lib/cleanup.h"
#include "lib/fielderr.h"
#include "lib/fileio.h"
#include "lib/jsondec.h"

#define PROFILE_MAX_BYTES (1024 * 1024)

/* ---- RuntimeDefault: containerd's allowlist, default action EPERM ---- */

static const char *const default_allow[] = {
        "accept", "accept4", "access", "adjtimex", "alarm", "bind", "brk", "cachestat",
        "capget", "capset", "chdir", "chmod", "chown", "chown32", "clock_adjtime",
        "clock_adjtime64", "clock_getres", "clock_getres_time64", "clock_gettime",
        "clock_gettime64", "clock_nanosleep", "clock_nanosleep_time64", "close",
        "close_range", "connect", "copy_file_range", "creat", "dup", "dup2", "dup3",
        "epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old", "epoll_pwait",
        "epoll_pwait2", "epoll_wait", "epoll_wait_old", "eventfd", "eventfd2", "execve",
        "execveat", "exit", "exit_group", "faccessat", "faccessat2", "fadvise64",
        "fadvise64_64", "fallocate", "fanotify_mark", "fchdir", "fchmod", "fchmodat",
        "fchmodat2", "fchown", "fchown32", "fchownat", "fcntl", "fcntl64", "fdatasync",
        "fgetxattr", "flistxattr", "flock", "fork", "fremovexattr", "fsetxattr", "fstat",
        "fstat64", "fstatat64", "fstatfs", "fstatfs64", "fsync", "ftruncate", "ftruncate64",
        "futex", "futex_requeue", "futex_time64", "futex_wait", "futex_waitv", "futex_wake",
        "futimesat", "getcpu", "getcwd", "getdents", "getdents64", "getegid", "getegid32",
        "geteuid", "geteuid32", "getgid", "getgid32", "getgroups", "getgroups32",
        "getitimer", "getpeername", "getpgid", "getpgrp", "getpid", "getppid",
        "getpriority", "getrandom", "getresgid", "getresgid32", "getresuid", "getresuid32",
        "getrlimit", "get_robust_list", "getrusage", "getsid", "getsockname", "getsockopt",
        "get_thread_area", "gettid", "gettimeofday", "getuid", "getuid32", "getxattr",
        "getxattrat", "inotify_add_watch", "inotify_init", "inotify_init1",
        "inotify_rm_watch", "io_cancel", "ioctl", "io_destroy", "io_getevents",
        "io_pgetevents", "io_pgetevents_time64", "ioprio_get", "ioprio_set", "io_setup",
        "io_submit", "ipc", "kill", "landlock_add_rule", "landlock_create_ruleset",
        "landlock_restrict_self", "lchown", "lchown32", "lgetxattr", "link", "linkat",
        "listen", "listmount", "listxattr", "listxattrat", "llistxattr", "_llseek",
        "lremovexattr", "lseek", "lsetxattr", "lsm_get_self_attr", "lsm_list_modules",
        "lsm_set_self_attr", "lstat", "lstat64", "madvise", "map_shadow_stack", "membarrier",
        "memfd_create", "memfd_secret", "mincore", "mkdir", "mkdirat", "mknod", "mknodat",
        "mlock", "mlock2", "mlockall", "mmap", "mmap2", "mprotect", "mq_getsetattr",
        "mq_notify", "mq_open", "mq_timedreceive", "mq_timedreceive_time64", "mq_timedsend",
        "mq_timedsend_time64", "mq_unlink", "mremap", "mseal", "msgctl", "msgget", "msgrcv",
        "msgsnd", "msync", "munlock", "munlockall", "munmap", "name_to_handle_at",
        "nanosleep", "newfstatat", "_newselect", "open", "openat", "openat2", "pause",
        "pidfd_open", "pidfd_send_signal", "pipe", "pipe2", "pkey_alloc", "pkey_free",
        "pkey_mprotect", "poll", "ppoll", "ppoll_time64", "prctl", "pread64", "preadv",
        "preadv2", "prlimit64", "process_mrelease", "pselect6", "pselect6_time64",
        "pwrite64", "pwritev", "pwritev2", "read", "readahead", "readlink", "readlinkat",
        "readv", "recv", "recvfrom", "recvmmsg", "recvmmsg_time64", "recvmsg",
        "remap_file_pages", "removexattr", "removexattrat", "rename", "renameat",
        "renameat2", "restart_syscall", "rmdir", "rseq", "rt_sigaction", "rt_sigpending",
        "rt_sigprocmask", "rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend",
        "rt_sigtimedwait", "rt_sigtimedwait_time64", "rt_tgsigqueueinfo",
        "sched_getaffinity", "sched_getattr", "sched_getparam", "sched_get_priority_max",
        "sched_get_priority_min", "sched_getscheduler", "sched_rr_get_interval",
        "sched_rr_get_interval_time64", "sched_setaffinity", "sched_setattr",
        "sched_setparam", "sched_setscheduler", "sched_yield", "seccomp", "select",
        "semctl", "semget", "semop", "semtimedop", "semtimedop_time64", "send", "sendfile",
        "sendfile64", "sendmmsg", "sendmsg", "sendto", "setfsgid", "setfsgid32", "setfsuid",
        "setfsuid32", "setgid", "setgid32", "setgroups", "setgroups32", "setitimer",
        "setpgid", "setpriority", "setregid", "setregid32", "setresgid", "setresgid32",
        "setresuid", "setresuid32", "setreuid", "setreuid32", "setrlimit",
        "set_robust_list", "setsid", "setsockopt", "set_thread_area", "set_tid_address",
        "setuid", "setuid32", "setxattr", "setxattrat", "shmat", "shmctl", "shmdt", "shmget",
        "shutdown", "sigaltstack", "signalfd", "signalfd4", "sigprocmask", "sigreturn",
        "socketcall", "socketpair", "splice", "stat", "stat64", "statfs", "statfs64",
        "statmount", "statx", "symlink", "symlinkat", "sync", "sync_file_range", "syncfs",
        "sysinfo", "tee", "tgkill", "time", "timer_create", "timer_delete",
        "timer_getoverrun", "timer_gettime", "timer_gettime64", "timer_settime",
        "timer_settime64", "timerfd_create", "timerfd_gettime", "timerfd_gettime64",
        "timerfd_settime", "timerfd_settime64", "times", "tkill", "truncate", "truncate64",
        "ugetrlimit", "umask", "uname", "unlink", "unlinkat", "uretprobe", "utime",
        "utimensat", "utimensat_time64", "utimes", "vfork", "vmsplice", "wait4", "waitid",
        "waitpid", "write", "writev",
        /* containerd adds these on kernels >= 4.8, which is all we run on */
        "process_vm_readv", "process_vm_writev", "ptrace",
        NULL,
};

/* Per-architecture extras, and the other ABIs the filter covers (an amd64
 * container may run i386 and x32 binaries). */
#if defined(__x86_64__)
static const uint32_t extra_arches[] = { SCMP_ARCH_X86, SCMP_ARCH_X32 };
static const char *const arch_allow[] = { "arch_prctl", "modify_ldt", NULL };
#define GO_ARCH "amd64"
#elif defined(__aarch64__)
static const uint32_t extra_arches[] = { SCMP_ARCH_ARM };
static const char *const arch_allow[] = { "arm_fadvise64_64", "arm_sync_file_range", "sync_file_range2",
                                          "breakpoint", "cacheflush", "set_tls", NULL };
#define GO_ARCH "arm64"
#elif defined(__s390x__)
static const uint32_t extra_arches[] = { SCMP_ARCH_S390 };
static const char *const arch_allow[] = { "s390_pci_mmio_read", "s390_pci_mmio_write",
                                          "s390_runtime_instr", NULL };
#define GO_ARCH "s390x"
#elif defined(__powerpc64__)
static const uint32_t extra_arches[] = { 0 };
static const char *const arch_allow[] = { "sync_file_range2", "swapcontext", NULL };
#define GO_ARCH "ppc64le"
#elif defined(__riscv)
static const uint32_t extra_arches[] = { 0 };
static const char *const arch_allow[] = { "riscv_flush_icache", "riscv_hwprobe", NULL };
#define GO_ARCH "riscv64"
#elif defined(__i386__)
static const uint32_t extra_arches[] = { 0 };
static const char *const arch_allow[] = { "modify_ldt", NULL };
#define GO_ARCH "386"
#else
static const uint32_t extra_arches[] = { 0 };
static const char *const arch_allow[] = { NULL };
#define GO_ARCH "unknown"
#endif

/* Syscalls a capability unlocks (containerd matches the bounding set). */
static const struct {
        int cap;
        const char *const names[24];
} cap_allow[] = {
        { 2 /* DAC_READ_SEARCH */, { "open_by_handle_at" } },
        { 21 /* SYS_ADMIN */, { "bpf", "clone", "clone3", "fanotify_init", "fsconfig", "fsmount",
                                "fsopen", "fspick", "lookup_dcookie", "mount", "mount_setattr",
                                "move_mount", "open_tree", "perf_event_open", "quotactl",
                                "quotactl_fd", "setdomainname", "sethostname", "setns", "syslog",
                                "umount", "umount2", "unshare" } },
        { 22 /* SYS_BOOT */, { "reboot" } },
        { 18 /* SYS_CHROOT */, { "chroot" } },
        { 16 /* SYS_MODULE */, { "delete_module", "init_module", "finit_module" } },
        { 20 /* SYS_PACCT */, { "acct" } },
        { 19 /* SYS_PTRACE */, { "kcmp", "pidfd_getfd", "process_madvise", "process_vm_readv",
                                 "process_vm_writev", "ptrace" } },
        { 17 /* SYS_RAWIO */, { "iopl", "ioperm" } },
        { 25 /* SYS_TIME */, { "settimeofday", "stime", "clock_settime", "clock_settime64" } },
        { 26 /* SYS_TTY_CONFIG */, { "vhangup" } },
        { 23 /* SYS_NICE */, { "get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node" } },
        { 34 /* SYSLOG */, { "syslog" } },
        { 39 /* BPF */, { "bpf" } },
        { 38 /* PERFMON */, { "perf_event_open" } },
};

#define CAP_SYS_ADMIN_BIT 21
#if defined(__s390x__)
#define CLONE_FLAGS_ARG 1 /* s390's clone takes the stack first */
#else
#define CLONE_FLAGS_ARG 0
#endif
#define NS_FLAGS (CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | \
                  CLONE_NEWNET | CLONE_NEWCGROUP)

/* Rules with one argument condition or a non-allow action. */
enum when { ALWAYS, WITHOUT_SYS_ADMIN };
static const struct {
        const char *name;
        enum when when;
        bool enosys; /* SCMP_ACT_ERRNO(ENOSYS) instead of allow */
        bool has_arg;
        struct scmp_arg_cmp arg;
} special[] = {
        /* personality: only the harmless personas (PER_LINUX, PER_LINUX32,
         * UNAME26 variants, and the 0xffffffff query). */
        { "personality", ALWAYS, false, true, { .arg = 0, .op = SCMP_CMP_EQ, .datum_a = 0x0 } },
        { "personality", ALWAYS, false, true, { .arg = 0, .op = SCMP_CMP_EQ, .datum_a = 0x0008 } },
        { "personality", ALWAYS, false, true, { .arg = 0, .op = SCMP_CMP_EQ, .datum_a = 0x20000 } },
        { "personality", ALWAYS, false, true, { .arg = 0, .op = SCMP_CMP_EQ, .datum_a = 0x20008 } },
        { "personality", ALWAYS, false, true, { .arg = 0, .op = SCMP_CMP_EQ, .datum_a = 0xffffffff } },
        /* vsock reaches the host or hypervisor, bypassing the pod network */
        { "socket", ALWAYS, false, true, { .arg = 0, .op = SCMP_CMP_NE, .datum_a = AF_VSOCK } },
        /* clone without CAP_SYS_ADMIN: no new namespaces */
        { "clone", WITHOUT_SYS_ADMIN, false, true,
          { .arg = CLONE_FLAGS_ARG, .op = SCMP_CMP_MASKED_EQ, .datum_a = NS_FLAGS, .datum_b = 0 } },
        /* clone3's flags are behind a pointer, so it can't be checked:
         * ENOSYS makes libc fall back to clone (moby/moby#42681). */
        { "clone3", WITHOUT_SYS_ADMIN, true, false, { 0 } },
};

/* Names this libseccomp doesn't know (newer than it) are skipped, as runc
 * does; the kernel then answers with the default action. */
static int add_rule(scmp_filter_ctx ctx, uint32_t action, const char *name, unsigned n,
                    const struct scmp_arg_cmp *args, struct dh_err **err)
{
        int nr = seccomp_syscall_resolve_name(name);
        if (nr == __NR_SCMP_ERROR)
                return 0;
        int r = seccomp_rule_add_array(ctx, action, nr, n, args);
        return r < 0 ? dh_err_errno(err, -r, "seccomp rule for \"%s\"", name) : 0;
}

static int add_list(scmp_filter_ctx ctx, const char *const *names, struct dh_err **err)
{
        for (; *names; names++)
                if (add_rule(ctx, SCMP_ACT_ALLOW, *names, 0, NULL, err) < 0)
                        return -EINVAL;
        return 0;
}

/* Attributes every filter gets: we decide no_new_privs ourselves, and we
 * want the kernel's errno from seccomp_load rather than ECANCELED. */
static int filter_new(uint32_t def, scmp_filter_ctx *out, struct dh_err **err)
{
        scmp_filter_ctx ctx = seccomp_init(def);
        if (!ctx)
                return dh_err_set(err, ENOMEM, "seccomp_init failed");
        int r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
        if (r < 0) {
                seccomp_release(ctx);
                return dh_err_errno(err, -r, "seccomp: clear the NNP attribute");
        }
        seccomp_attr_set(ctx, SCMP_FLTATR_API_SYSRAWRC, 1);
        seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2); /* binary tree: ~400 rules */
        *out = ctx;
        return 0;
}

static int add_arch(scmp_filter_ctx ctx, uint32_t arch, struct dh_err **err)
{
        if (arch == 0)
                return 0;
        int r = seccomp_arch_add(ctx, arch);
        return r < 0 && r != -EEXIST ? dh_err_errno(err, -r, "seccomp: add architecture %#x", arch) : 0;
}

static int build_default(uint64_t caps, scmp_filter_ctx *out, struct dh_err **err)
{
        scmp_filter_ctx ctx;
        if (filter_new(SCMP_ACT_ERRNO(EPERM), &ctx, err) < 0)
                return -EINVAL;
        int r = 0;
        for (size_t i = 0; r == 0 && i < DH_ARRAY_SIZE(extra_arches); i++)
                r = add_arch(ctx, extra_arches[i], err);
        if (r == 0)
                r = add_list(ctx, default_allow, err);
        if (r == 0)
                r = add_list(ctx, arch_allow, err);
        for (size_t i = 0; r == 0 && i < DH_ARRAY_SIZE(cap_allow); i++)
                if (caps & (UINT64_C(1) << cap_allow[i].cap))
                        for (size_t k = 0; r == 0 && k < 24 && cap_allow[i].names[k]; k++)
                                r = add_rule(ctx, SCMP_ACT_ALLOW, cap_allow[i].names[k], 0, NULL, err);
        bool admin = caps & (UINT64_C(1) << CAP_SYS_ADMIN_BIT);
        for (size_t i = 0; r == 0 && i < DH_ARRAY_SIZE(special); i++) {
                if (special[i].when == WITHOUT_SYS_ADMIN && admin)
                        continue;
                r = add_rule(ctx, special[i].enosys ? SCMP_ACT_ERRNO(ENOSYS) : SCMP_ACT_ALLOW,
                             special[i].name, special[i].has_arg ? 1 : 0, &special[i].arg, err);
        }
        if (r < 0) {
                seccomp_release(ctx);
                return r;
        }
        *out = ctx;
        return 0;
}

/* ---- Localhost: an OCI seccomp profile ---- */

struct sc_arg {
        struct dh_opt_i64 index, value, value_two;
        char *op;
};
struct sc_cond {
        struct dh_strv caps, arches; /* Docker's includes/excludes */
};
struct sc_syscall {
        struct dh_strv names;
        char *name; /* Docker's single-name form */
        char *action;
        struct dh_opt_i64 errno_ret;
        DH_VEC(struct sc_arg) args;
        struct sc_cond includes, excludes;
};
struct sc_profile {
        char *default_action;
        struct dh_opt_i64 default_errno_ret;
        struct dh_strv architectures, flags;
        char *listener_path;
        DH_VEC(struct sc_syscall) syscalls;
};

#define F(st, key, member, type) { key, type, offsetof(st, member) }
static const struct jd_type t_index = JD_INT(0, 5);
static const struct jd_type t_u64 = JD_INT(0, INT64_MAX);
static const struct jd_type t_errno = JD_INT(0, 65535);
static const struct jd_field arg_fields[] = {
        F(struct sc_arg, "index", index, &t_index), F(struct sc_arg, "value", value, &t_u64),
        F(struct sc_arg, "valueTwo", value_two, &t_u64), F(struct sc_arg, "op", op, &jd_string),
        { 0 },
};
static const struct jd_type t_arg = JD_OBJECT(struct sc_arg, arg_fields);
static const struct jd_type t_args = JD_ARRAY(&t_arg);
static const struct jd_field cond_fields[] = {
        F(struct sc_cond, "caps", caps, &jd_strv), F(struct sc_cond, "arches", arches, &jd_strv),
        { 0 },
};
static const struct jd_type t_cond = JD_OBJECT(struct sc_cond, cond_fields);
static const struct jd_field syscall_fields[] = {
        F(struct sc_syscall, "names", names, &jd_strv), F(struct sc_syscall, "name", name, &jd_string),
        F(struct sc_syscall, "action", action, &jd_string),
        F(struct sc_syscall, "errnoRet", errno_ret, &t_errno), F(struct sc_syscall, "args", args, &t_args),
        F(struct sc_syscall, "includes", includes, &t_cond),
        F(struct sc_syscall, "excludes", excludes, &t_cond),
        { 0 },
};
static const struct jd_type t_syscall = JD_OBJECT(struct sc_syscall, syscall_fields);
static const struct jd_type t_syscalls = JD_ARRAY(&t_syscall);
static const struct jd_field profile_fields[] = {
        F(struct sc_profile, "defaultAction", default_action, &jd_string),
        F(struct sc_profile, "defaultErrnoRet", default_errno_ret, &t_errno),
        F(struct sc_profile, "architectures", architectures, &jd_strv),
        F(struct sc_profile, "flags", flags, &jd_strv),
        F(struct sc_profile, "listenerPath", listener_path, &jd_string),
        F(struct sc_profile, "syscalls", syscalls, &t_syscalls),
        { 0 },
};
static const struct jd_type t_profile = JD_OBJECT(struct sc_profile, profile_fields);

static const char *const action_names[] = {
        "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP",
        "SCMP_ACT_ERRNO", "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW", "SCMP_ACT_LOG", NULL,
};
static const char *const op_names[] = {
        "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE",
        "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ", NULL,
};
static const enum scmp_compare op_values[] = {
        SCMP_CMP_NE, SCMP_CMP_LT, SCMP_CMP_LE, SCMP_CMP_EQ, SCMP_CMP_GE, SCMP_CMP_GT,
        SCMP_CMP_MASKED_EQ,
};
static const char *const flag_names[] = {
        "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW", NULL,
};

/* The profile builder's state: the filter, where we are in the JSON, and
 * every problem found so far (all are reported at once). */
struct pctx {
        scmp_filter_ctx ctx;
        uint64_t caps;
        uint32_t def;
        struct dh_ferrs errs;
        struct dh_path path;
};

static int name_index(const char *s, const char *const *names)
{
        for (int i = 0; s && names[i]; i++)
                if (strcmp(s, names[i]) == 0)
                        return i;
        return -1;
}

/* action (+ errnoRet) → libseccomp action; field names the JSON keys. */
static bool parse_action(struct pctx *pc, const char *field, const char *s,
                         const struct dh_opt_i64 *eno, const char *eno_field, uint32_t *out)
{
        static const uint32_t plain[] = { SCMP_ACT_KILL, SCMP_ACT_KILL_PROCESS, SCMP_ACT_KILL_THREAD,
                                          SCMP_ACT_TRAP, 0, 0, SCMP_ACT_ALLOW, SCMP_ACT_LOG };
        int i = name_index(s, action_names);
        size_t mark = dh_path_field(&pc->path, field);
        if (!s)
                dh_ferr_required(&pc->errs, &pc->path, NULL);
        else if (i < 0)
                dh_ferr_not_supported(&pc->errs, &pc->path, s, action_names);
        dh_path_pop(&pc->path, mark);
        if (i < 0)
                return false;
        uint16_t e = eno->set ? (uint16_t)eno->v : EPERM;
        if (eno->set && i != 4 && i != 5) {
                mark = dh_path_field(&pc->path, eno_field);
                dh_ferr_forbidden(&pc->errs, &pc->path, "only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take an errno");
                dh_path_pop(&pc->path, mark);
                return false;
        }
        *out = i == 4 ? SCMP_ACT_ERRNO(e) : i == 5 ? SCMP_ACT_TRACE(e) : plain[i];
        return true;
}

static void profile_attrs(struct pctx *pc, const struct sc_profile *pr)
{
        static const enum scmp_filter_attr flag_attrs[] = { SCMP_FLTATR_CTL_TSYNC, SCMP_FLTATR_CTL_LOG,
                                                            SCMP_FLTATR_CTL_SSB };
        size_t m0 = dh_path_field(&pc->path, "architectures");
        for (size_t i = 0; i < pr->architectures.n; i++) {
                const char *a = pr->architectures.v[i];
                size_t m1 = dh_path_index(&pc->path, i);
                /* "SCMP_ARCH_X86_64" → libseccomp's "x86_64" */
                char lower[32] = "";
                for (size_t k = 0; a && strncmp(a, "SCMP_ARCH_", 10) == 0 && a[10 + k] && k < 31; k++)
                        lower[k] = (char)(a[10 + k] >= 'A' && a[10 + k] <= 'Z' ? a[10 + k] + 32 : a[10 + k]);
                uint32_t arch = lower[0] ? seccomp_arch_resolve_name(lower) : 0;
                int r = arch ? seccomp_arch_add(pc->ctx, arch) : -EINVAL;
                if (!arch)
                        dh_ferr_invalid_str(&pc->errs, &pc->path, a ? a : "", "unknown architecture");
                else if (r < 0 && r != -EEXIST)
                        dh_ferr_invalid_str(&pc->errs, &pc->path, a, strerror(-r));
                dh_path_pop(&pc->path, m1);
        }
        dh_path_pop(&pc->path, m0);
        m0 = dh_path_field(&pc->path, "flags");
        for (size_t i = 0; i < pr->flags.n; i++) {
                int k = name_index(pr->flags.v[i], flag_names);
                size_t m1 = dh_path_index(&pc->path, i);
                if (k < 0)
                        dh_ferr_not_supported(&pc->errs, &pc->path, pr->flags.v[i] ? pr->flags.v[i] : "",
                                              flag_names);
                else if (seccomp_attr_set(pc->ctx, flag_attrs[k], 1) < 0)
                        dh_ferr_invalid_str(&pc->errs, &pc->path, pr->flags.v[i],
                                            "not supported by this kernel or libseccomp");
                dh_path_pop(&pc->path, m1);
        }
        dh_path_pop(&pc->path, m0);
}

/* Docker's includes/excludes.caps: includes needs every listed capability,
 * excludes matches when any is held. */
static bool caps_match(struct pctx *pc, const struct dh_strv *v, bool all)
{
        bool res = all;
        size_t m0 = dh_path_field(&pc->path, "caps");
        for (size_t i = 0; i < v->n; i++) {
                int c = rt_cap_from_name(v->v[i]);
                if (c < 0) {
                        size_t m1 = dh_path_index(&pc->path, i);
                        dh_ferr_invalid_str(&pc->errs, &pc->path, v->v[i] ? v->v[i] : "", "unknown capability");
                        dh_path_pop(&pc->path, m1);
                        continue;
                }
                bool held = pc->caps & (UINT64_C(1) << c);
                res = all ? res && held : res || held;
        }
        dh_path_pop(&pc->path, m0);
        return res;
}

/* includes/excludes.arches name Go architectures ("amd64"). */
static bool arch_match(const struct dh_strv *v, bool if_empty)
{
        if (!v->n)
                return if_empty;
        for (size_t i = 0; i < v->n; i++)
                if (v->v[i] && strcmp(v->v[i], GO_ARCH) == 0)
                        return true;
        return false;
}

static bool rule_applies(struct pctx *pc, const struct sc_syscall *s)
{
        size_t m0 = dh_path_field(&pc->path, "includes");
        bool inc = caps_match(pc, &s->includes.caps, true) && arch_match(&s->includes.arches, true);
        dh_path_pop(&pc->path, m0);
        m0 = dh_path_field(&pc->path, "excludes");
        bool exc = caps_match(pc, &s->excludes.caps, false) || arch_match(&s->excludes.arches, false);
        dh_path_pop(&pc->path, m0);
        return inc && !exc;
}

#define MAX_ARGS 32

/* args → comparisons; *split when an index repeats: libseccomp can't AND
 * two comparisons of one argument, so (like runc) each becomes its own
 * rule and they are ORed. */
static bool parse_args(struct pctx *pc, const struct sc_syscall *s, struct scmp_arg_cmp *cmp,
                       bool *split)
{
        bool ok = true;
        unsigned seen = 0;
        size_t m0 = dh_path_field(&pc->path, "args");
        for (size_t i = 0; i < s->args.n; i++) {
                const struct sc_arg *a = &s->args.v[i];
                size_t m1 = dh_path_index(&pc->path, i);
                int k = name_index(a->op, op_names);
                dh_path_field(&pc->path, a->index.set ? "op" : "index");
                if (!a->index.set || !a->op)
                        dh_ferr_required(&pc->errs, &pc->path, NULL);
                else if (k < 0)
                        dh_ferr_not_supported(&pc->errs, &pc->path, a->op, op_names);
                dh_path_pop(&pc->path, m1);
                if (!a->index.set || k < 0) {
                        ok = false;
                        continue;
                }
                cmp[i] = (struct scmp_arg_cmp){ .arg = (unsigned)a->index.v, .op = op_values[k],
                                                .datum_a = (scmp_datum_t)a->value.v,
                                                .datum_b = (scmp_datum_t)a->value_two.v };
                *split = *split || (seen & (1u << a->index.v));
                seen |= 1u << a->index.v;
        }
        dh_path_pop(&pc->path, m0);
        return ok;
}

static void add_names(struct pctx *pc, const struct sc_syscall *s, uint32_t act,
                      const struct scmp_arg_cmp *cmp, bool split)
{
        size_t n = s->names.n + (s->name ? 1 : 0);
        for (size_t j = 0; j < n; j++) {
                const char *name = j < s->names.n ? s->names.v[j] : s->name;
                int nr = name ? seccomp_syscall_resolve_name(name) : __NR_SCMP_ERROR;
                if (nr == __NR_SCMP_ERROR)
                        continue; /* unknown here: skipped, as runc does */
                int r = 0;
                if (!split)
                        r = seccomp_rule_add_array(pc->ctx, act, nr, (unsigned)s->args.n, cmp);
                for (size_t k = 0; split && r == 0 && k < s->args.n; k++)
                        r = seccomp_rule_add_array(pc->ctx, act, nr, 1, &cmp[k]);
                if (r < 0) {
                        size_t m0 = j < s->names.n ? dh_path_field(&pc->path, "names") : pc->path.len;
                        size_t m1 = j < s->names.n ? dh_path_index(&pc->path, j) : dh_path_field(&pc->path, "name");
                        dh_ferr_invalid_str(&pc->errs, &pc->path, name, strerror(-r));
                        dh_path_pop(&pc->path, m1);
                        dh_path_pop(&pc->path, m0);
                }
        }
}

static void add_syscall(struct pctx *pc, const struct sc_syscall *s, size_t idx)
{
        size_t m0 = dh_path_index(&pc->path, idx);
        struct scmp_arg_cmp cmp[MAX_ARGS];
        uint32_t act;
        bool split = false;
        if (!s->names.n && !s->name) {
                size_t m1 = dh_path_field(&pc->path, "names");
                dh_ferr_required(&pc->errs, &pc->path, NULL);
                dh_path_pop(&pc->path, m1);
        } else if (s->args.n > MAX_ARGS) {
                size_t m1 = dh_path_field(&pc->path, "args");
                dh_ferr_add(&pc->errs, DH_FERR_TOO_MANY, dh_path_str(&pc->path), NULL, "at most 32");
                dh_path_pop(&pc->path, m1);
        } else if (parse_action(pc, "action", s->action, &s->errno_ret, "errnoRet", &act) &&
                   parse_args(pc, s, cmp, &split) && rule_applies(pc, s) &&
                   act != pc->def) { /* libseccomp refuses rules repeating the default; runc skips them */
                add_names(pc, s, act, cmp, split);
        }
        dh_path_pop(&pc->path, m0);
}

static void compile(struct pctx *pc, const struct sc_profile *pr)
{
        if (pr->listener_path && *pr->listener_path) {
                size_t m = dh_path_field(&pc->path, "listenerPath");
                dh_ferr_forbidden(&pc->errs, &pc->path, "seccomp notify listeners are not supported");
                dh_path_pop(&pc->path, m);
        }
        if (!parse_action(pc, "defaultAction", pr->default_action, &pr->default_errno_ret,
                          "defaultErrnoRet", &pc->def))
                return;
        struct dh_err *e = NULL;
        if (filter_new(pc->def, &pc->ctx, &e) < 0) {
                dh_ferr_add(&pc->errs, DH_FERR_INVALID, "defaultAction", NULL, e ? e->msg : NULL);
                dh_err_free(e);
                return;
        }
        profile_attrs(pc, pr);
        size_t m0 = dh_path_field(&pc->path, "syscalls");
        for (size_t i = 0; i < pr->syscalls.n; i++)
                add_syscall(pc, &pr->syscalls.v[i], i);
        dh_path_pop(&pc->path, m0);
}

/* "seccomp profile <file>: <field error>; <field error>..." */
static int errs_to_err(const struct dh_ferrs *fe, const char *file, struct dh_err **err)
{
        struct dh_buf b;
        dh_buf_init(&b, 4096);
        for (size_t i = 0; i < fe->n && i < 8; i++) {
                _cleanup_free_ char *s = dh_ferr_format(&fe->v[i]);
                dh_buf_printf(&b, NULL, "%s%s", i ? "; " : "", s ? s : "?");
        }
        size_t shown = fe->n < 8 ? fe->n : 8;
        if (fe->n + fe->dropped > shown)
                dh_buf_printf(&b, NULL, "; and %zu more", fe->n + fe->dropped - shown);
        int r = dh_err_set(err, EINVAL, "seccomp profile %s: %s", file, b.data ? b.data : "invalid");
        dh_buf_free(&b);
        return r;
}

static int build_profile(const char *file, uint64_t caps, scmp_filter_ctx *out, struct dh_err **err)
{
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        if (dh_read_file(file, PROFILE_MAX_BYTES, &data, &len, err) < 0)
                return dh_err_prefix(err, "seccomp profile");
        json_error_t je;
        json_t *root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
        if (!root)
                return dh_err_set(err, EINVAL, "seccomp profile %s: line %d column %d: %s", file,
                                  je.line, je.column, je.text);
        if (!json_is_object(root)) {
                json_decref(root);
                return dh_err_set(err, EINVAL, "seccomp profile %s: not a JSON object", file);
        }
        struct sc_profile pr = { 0 };
        struct pctx pc = { .caps = caps };
        struct jd_ctx jc = { .errs = &pc.errs };
        jd_decode_object(&jc, root, &pr, &t_profile);
        json_decref(root);
        if (pc.errs.n == 0)
                compile(&pc, &pr);
        jd_free_object(&pr, &t_profile);
        int r = pc.errs.n || pc.errs.dropped ? errs_to_err(&pc.errs, file, err) : 0;
        dh_ferrs_free(&pc.errs);
        if (r < 0) {
                if (pc.ctx)
                        seccomp_release(pc.ctx);
                return r;
        }
        *out = pc.ctx;
        return 0;
}

int rt_seccomp_build(enum rt_plan_seccomp_kind kind, const char *profile_path, uint64_t caps,
                     scmp_filter_ctx *out, struct dh_err **err)
{
        switch (kind) {
        case RT_PLAN_SECCOMP_UNCONFINED:
                *out = NULL;
                return 0;
        case RT_PLAN_SECCOMP_RUNTIME_DEFAULT:
                return build_default(caps, out, err);
        case RT_PLAN_SECCOMP_LOCALHOST:
                if (!profile_path || !*profile_path)
                        return dh_err_set(err, EINVAL, "seccomp: Localhost profile without a path");
                return build_profile(profile_path, caps, out, err);
        }
        return dh_err_set(err, EINVAL, "seccomp: unknown profile kind %d", (int)kind);
}

int rt_seccomp_load(enum rt_plan_seccomp_kind kind, const char *profile_path, uint64_t caps,
                    struct dh_err **err)
{
        scmp_filter_ctx ctx = NULL;
        if (rt_seccomp_build(kind, profile_path, caps, &ctx, err) < 0)
                return -EINVAL;
        if (!ctx)
                return 0;
        int r = seccomp_load(ctx);
        seccomp_release(ctx);
        return r < 0 ? dh_err_errno(err, -r, "load the seccomp filter") : 0;
}
