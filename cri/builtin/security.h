/* Process security of a container's init, applied in the shim's child
 * right before execve: user and groups, capabilities, no_new_privs,
 * seccomp (security.c, seccomp.c), plus the CRI capability arithmetic the
 * plan builder uses (caps.c). The child is root, single-threaded, and has
 * already pivot_root'ed: "/" is the container's root.
 *
 * Non-root containers: like containerd + runc, the plan's effective and
 * permitted sets are applied as given (with PR_SET_KEEPCAPS across the
 * uid change); the kernel then recomputes them at execve, so a process
 * running as uid != 0 starts with CapEff = CapPrm = CapAmb (empty unless
 * ambient capabilities were asked for), CapBnd = the plan's bounding set
 * and CapInh = the plan's inheritable set. containerd's WithCapabilities
 * sets bounding/effective/permitted alike whatever the uid; moby empties
 * effective/permitted for non-root before exec (moby#36587), a change
 * containerd declined (containerd/cri#1397, containerd#4669). The only
 * visible difference is the execve permission check itself, which
 * therefore still sees CAP_DAC_OVERRIDE here, as under containerd. */
#pragma once
#include <linux/filter.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cri/builtin/plan.h"
#include "lib/err.h"

/* The container's capability set from a base (rt_default_caps()) and the
 * CRI add/drop lists, with containerd's semantics: names with or without
 * "CAP_", any case; "ALL" in add grants all, "ALL" in drop clears all and
 * then the named adds apply, then the named drops; privileged → all
 * capabilities deckhand knows (bits 0..RT_CAP_LAST; the shim keeps those
 * it holds itself). An unknown name sets *err and returns 0. */
uint64_t rt_caps_compute(uint64_t base, const struct dh_strv *add, const struct dh_strv *drop,
                         bool privileged, struct dh_err **err);

/* The ids the process will run with. gids are the supplementary groups
 * given to setgroups(): the primary gid first (as containerd does), then
 * the plan's additional gids, then the user's groups from /etc/group. */
struct rt_user_ids {
        uint32_t uid, gid;
        uint32_t *gids;
        size_t n_gids;
};

/* Resolves the plan's user against root_fd's etc/passwd and etc/group
 * (read by us, never NSS: bounded to 1 MiB and 64 KiB lines, missing files
 * tolerated the way runc's user package does: numeric ids need no entry).
 * Without u->lookup the plan's numeric ids are taken as they are. */
int rt_user_resolve(int root_fd, const struct rt_plan_user *u, struct rt_user_ids *out,
                    struct dh_err **err);
void rt_user_ids_free(struct rt_user_ids *ids);

/* Builds, without loading, the filter for kind: RuntimeDefault is
 * containerd's default profile (caps: the container's capability set,
 * which enables the capability-conditional syscalls exactly as containerd
 * does from the bounding set); Localhost reads the OCI seccomp JSON at
 * profile_path; Unconfined builds nothing (*out = NULL). The filter never
 * sets no_new_privs by itself: that is the plan's decision. */
int rt_seccomp_build(enum rt_plan_seccomp_kind kind, const char *profile_path, uint64_t caps,
                     scmp_filter_ctx *out, struct dh_err **err);
/* rt_seccomp_build, then loads the filter into the calling process. */
int rt_seccomp_load(enum rt_plan_seccomp_kind kind, const char *profile_path, uint64_t caps,
                    struct dh_err **err);

/* Whatever must be read from the host before pivot_root: the Localhost
 * profile lives on the host, so the shim builds the filter before it
 * pivots (or before it clones the child, which inherits the memory). */
/* A prepared seccomp filter as raw BPF: compiling a profile with
 * libseccomp costs milliseconds, loading the result costs microseconds, so
 * the shim prepares before cloning (RuntimeDefault programs are cached per
 * capability set) and the container's child only loads. */
struct rt_security_prep {
        struct sock_filter *bpf; /* NULL: nothing to load */
        unsigned short len;      /* instructions */
        bool built;
};
int rt_security_prepare(const struct rt_container_plan *p, struct rt_security_prep *prep,
                        struct dh_err **err);
/* Compiles the plan's filter (cached per profile in this process) and
 * stores it in p->seccomp_bpf, for the shim to load as is. */
int rt_security_attach_bpf(struct rt_container_plan *p, struct dh_err **err);
void rt_security_prep_release(struct rt_security_prep *prep);

/* Applies the plan's process security in runc's order: resolve the user,
 * mark inherited fds >= 3 close-on-exec, [seccomp here when no_new_privs
 * is off: installing a filter without NNP needs CAP_SYS_ADMIN, so it must
 * happen before the capabilities are dropped], drop the bounding set,
 * KEEPCAPS + setgroups/setresgid/setresuid, capset, ambient, no_new_privs,
 * [seccomp here when no_new_privs is on, so the fewest syscalls run under
 * it]. prep may be NULL (or not built): the filter is then built here,
 * which is fine unless a Localhost profile is unreachable after
 * pivot_root. On failure the process is half-configured: the caller must
 * not exec and should _exit. */
int rt_security_apply_prepared(const struct rt_container_plan *p, struct rt_security_prep *prep,
                               struct dh_err **err);
int rt_security_apply(const struct rt_container_plan *p, struct dh_err **err);

/* Marks every fd >= from close-on-exec (close_range(CLOSE_RANGE_CLOEXEC),
 * or a walk of /proc/self/fd on old kernels), so the fds the caller still
 * needs (an error pipe to the shim) work until execve and nothing leaks
 * past it. Returns 0 or -errno. */
int rt_close_fds(int from);
