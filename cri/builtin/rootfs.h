/* The container's filesystem, applied in the shim's child before exec:
 * rootfs assembly (bind of a plain directory, or overlayfs over image
 * layers), the plan's mounts, /dev, pivot_root, masked and read-only paths,
 * a read-only root and the working directory. Runs as root, single-threaded,
 * in a fresh mount namespace; never touches the host's mount table.
 *
 * rootfs.c: rt_rootfs_setup, assembly, pivot and the mount primitives;
 * mounts.c: the plan's mounts, devices and /dev, masked/read-only paths. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "cri/builtin/plan.h"
#include "lib/err.h"

/* Extra bit for rt_plan_mount.flags, above the kernel's 32 MS_* bits: a
 * read-only bind is made read-only recursively, submounts included (CRI
 * recursive_read_only, "rro"). Needs mount_setattr(2), Linux 5.12. */
#define RT_MOUNT_RRO (1ULL << 32)

/* defaults.c (pure, for the plan builder): appends containerd's default
 * mounts to p->mounts: /proc, /dev (tmpfs), /dev/pts, /dev/shm (a tmpfs, or
 * a bind of shm_source, the sandbox's shm, when non-NULL), /dev/mqueue,
 * /sys and /sys/fs/cgroup (read-only unless privileged). On failure
 * p->mounts is unchanged. The masked/read-only path tables it goes with,
 * rt_default_masked_paths and rt_default_readonly_paths, are declared in
 * plan.h and end with NULL. */
int rt_plan_default_mounts(struct rt_container_plan *p, bool privileged, const char *shm_source,
                           struct dh_err **err);

/* Everything, in order: make the whole mount tree MS_SLAVE|MS_REC, assemble
 * the rootfs at p->rootfs.mountpoint, apply p->mounts, create /dev's nodes
 * and links (plus p->devices), pivot_root into it, apply readonly_paths then
 * masked_paths, create/enter the working directory, and remount the root
 * read-only when p->rootfs.readonly. Call it in the child, in its new mount
 * (and PID, for a fresh /proc) namespace. Errors name the step and path:
 * `mount "/data": resolve in rootfs: "data": ...`, `pivot_root: ...`.
 * Enter the container's cgroup first if /sys/fs/cgroup on a cgroup v1 host
 * should show it (see mounts.c). */
int rt_rootfs_setup(const struct rt_container_plan *p, struct dh_err **err);

/* --- the pieces, for the shim's finer control and for tests --- */

/* Mounts the rootfs at r->mountpoint (created if missing): r->dir bound
 * there; one lower without upper bound there (read-only only); else
 * overlayfs (upper and work created). Errors start with "rootfs: ". */
int rt_rootfs_assemble(const struct rt_plan_rootfs *r, struct dh_err **err);
/* runc's pivot_root(".", ".") dance into rootfd; leaves cwd at "/". */
int rt_rootfs_pivot(int rootfd, struct dh_err **err);

/* Where a mount goes: an O_PATH fd on the resolved target, plus how to
 * resolve it again (mount(2) cannot hand back the mount it made). */
struct rt_mnt_target {
        int dirfd;        /* root the path is resolved under; -1: path is a trusted host path */
        const char *path; /* the destination, for lookups and messages */
        int fd;           /* O_PATH fd on the target */
};

/* Mount primitives: the new mount API (fsopen/fsmount, open_tree,
 * move_mount onto the target fd, mount_setattr) where the kernel has it,
 * else mount(2) onto "/proc/self/fd/N" so the kernel follows the fd to the
 * exact inode that was resolved. On success *mnt_out (if non-NULL) is an
 * fd on the root of the new mount, for rt_mnt_setattr/rt_mnt_propagation. */
int rt_mnt_fs(const char *type, const char *source, const char *data, uint64_t flags,
              const struct rt_mnt_target *t, int *mnt_out, struct dh_err **err);
int rt_mnt_bind(int srcfd, const struct rt_mnt_target *t, bool recursive, int *mnt_out,
                struct dh_err **err);
/* Attaches a detached tree from open_tree(OPEN_TREE_CLONE) at t. */
int rt_mnt_attach(int tree, const struct rt_mnt_target *t, struct dh_err **err);
/* Adds MS_RDONLY/MS_NOSUID/MS_NODEV/MS_NOEXEC and atime flags to the mount
 * rooted at mnt, keeping the ones it has; recursive needs mount_setattr. */
int rt_mnt_setattr(int mnt, uint64_t flags, bool recursive, struct dh_err **err);
/* MS_PRIVATE/MS_SLAVE/MS_SHARED, recursive with MS_REC. */
int rt_mnt_propagation(int mnt, uint64_t propagation, struct dh_err **err);
/* Tests: use only mount(2), as on kernels without the new mount API. */
void rt_mnt_force_legacy(bool on);

/* mounts.c, all before pivot_root with rootfd the assembled root. trees[i]
 * (or -1) is a detached clone of bind mount i made before the tree became
 * slave, so a Bidirectional mount stays a peer of the host's. */
int rt_mounts_apply(const struct rt_container_plan *p, int rootfd, const int *trees,
                    struct dh_err **err);
/* Nodes null, zero, full, random, urandom, tty and p->devices; links fd,
 * stdin, stdout, stderr, ptmx. Skipped when /dev is a bind mount. */
int rt_dev_setup(const struct rt_container_plan *p, int rootfd, struct dh_err **err);
/* After pivot_root, rootfd = "/": bind each path onto itself read-only /
 * hide each path (devnull, an fd on the container's /dev/null, over files; an
 * empty read-only tmpfs over directories). Missing paths are skipped. */
int rt_paths_readonly(const struct dh_strv *paths, int rootfd, struct dh_err **err);
int rt_paths_mask(const struct dh_strv *paths, int rootfd, int devnull, struct dh_err **err);
