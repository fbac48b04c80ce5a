/* The container's root filesystem (rootfs.h): the mount primitives every
 * step uses, assembling the rootfs (bind or overlayfs), pivot_root, and
 * rt_rootfs_setup, which runs the whole sequence in the shim's child. */
#include "cri/builtin/rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cri/builtin/resolve.h"
#include "lib/buf.h"
#include "lib/cleanup.h"

/* The per-mount MS_* flags that mount_setattr(2) also knows. */
#define ATTR_MS (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME | \
                 MS_RELATIME | MS_STRICTATIME)
#define ATIME_MS (MS_NOATIME | MS_RELATIME | MS_STRICTATIME)
/* fs_new's "the kernel has no fsopen", distinct from any -errno. */
#define NEW_API_MISSING 1

/* A test switch, not per-object state: which kernel API this process uses. */
static bool legacy_only;

void rt_mnt_force_legacy(bool on)
{
        legacy_only = on;
}

struct fdpath {
        char s[32];
};

static const char *fdpath(struct fdpath *b, int fd)
{
        snprintf(b->s, sizeof b->s, "/proc/self/fd/%d", fd);
        return b->s;
}

static unsigned int ms_to_attr(uint64_t f)
{
        unsigned int a = 0;
        if (f & MS_RDONLY)
                a |= MOUNT_ATTR_RDONLY;
        if (f & MS_NOSUID)
                a |= MOUNT_ATTR_NOSUID;
        if (f & MS_NODEV)
                a |= MOUNT_ATTR_NODEV;
        if (f & MS_NOEXEC)
                a |= MOUNT_ATTR_NOEXEC;
        if (f & MS_NODIRATIME)
                a |= MOUNT_ATTR_NODIRATIME;
        if (f & MS_NOATIME)
                a |= MOUNT_ATTR_NOATIME;
        else if (f & MS_STRICTATIME)
                a |= MOUNT_ATTR_STRICTATIME;
        return a; /* MS_RELATIME is MOUNT_ATTR_RELATIME, 0 */
}

/* An fsopen failure, with the filesystem's own explanation when it left
 * one in the context's message log ("e tmpfs: Unknown parameter 'x'"). */
static int fs_fail(int fs, int code, const char *what, struct dh_err **err)
{
        char log[256];
        ssize_t n = read(fs, log, sizeof log - 1);
        if (n <= 2)
                return dh_err_errno(err, code, "%s", what);
        log[n] = '\0';
        log[strcspn(log, "\n")] = '\0';
        return dh_err_set(err, code, "%s: %s (%s)", what, strerror(code), log + 2);
}

/* "mode=755,size=65536k,newinstance": one fsconfig call per option. */
static int fs_config(int fs, const char *data, struct dh_err **err)
{
        if (!data || !*data)
                return 0;
        char buf[4096];
        size_t len = strlen(data);
        if (len >= sizeof buf)
                return dh_err_set(err, DH_ELIMIT, "mount options longer than %zu bytes", sizeof buf - 1);
        memcpy(buf, data, len + 1);
        for (char *opt = buf, *next; opt; opt = next) {
                next = strchr(opt, ',');
                if (next)
                        *next++ = '\0';
                if (!*opt)
                        continue;
                char *eq = strchr(opt, '=');
                int r;
                if (eq) {
                        *eq = '\0';
                        r = fsconfig(fs, FSCONFIG_SET_STRING, opt, eq + 1, 0);
                } else {
                        r = fsconfig(fs, FSCONFIG_SET_FLAG, opt, NULL, 0);
                }
                if (r < 0)
                        return fs_fail(fs, errno, opt, err);
        }
        return 0;
}

static int fs_create(int fs, uint64_t flags, int *mfd, struct dh_err **err)
{
        if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
                return fs_fail(fs, errno, "create", err);
        int m = fsmount(fs, FSMOUNT_CLOEXEC, ms_to_attr(flags));
        if (m < 0)
                return fs_fail(fs, errno, "fsmount", err);
        *mfd = m;
        return 0;
}

/* A detached new filesystem: 0, NEW_API_MISSING, or an error. */
static int fs_new(const char *type, const char *source, const char *data, uint64_t flags, int *mfd,
                  struct dh_err **err)
{
        _cleanup_close_ int fs = fsopen(type, FSOPEN_CLOEXEC);
        if (fs < 0 && errno == ENOSYS)
                return NEW_API_MISSING;
        if (fs < 0)
                return dh_err_errno(err, errno, "fsopen \"%s\"", type);
        if (source && *source && fsconfig(fs, FSCONFIG_SET_STRING, "source", source, 0) < 0)
                return fs_fail(fs, errno, "source", err);
        int r = fs_config(fs, data, err);
        return r < 0 ? r : fs_create(fs, flags, mfd, err);
}

/* mount(2) cannot return the mount it made: look the target up again. */
static int reopen(const struct rt_mnt_target *t, int *out, struct dh_err **err)
{
        if (t->dirfd >= 0)
                return rt_resolve_in_root(t->dirfd, t->path, 0, out, err);
        int fd = open(t->path, O_PATH | O_CLOEXEC);
        if (fd < 0)
                return dh_err_errno(err, errno, "open \"%s\"", t->path);
        *out = fd;
        return 0;
}

int rt_mnt_attach(int tree, const struct rt_mnt_target *t, struct dh_err **err)
{
        /* Safe: lands exactly on the fd resolved inside the root; no path is looked up. */
        if (move_mount(tree, "", t->fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                return dh_err_errno(err, errno, "move_mount");
        return 0;
}

int rt_mnt_fs(const char *type, const char *source, const char *data, uint64_t flags,
              const struct rt_mnt_target *t, int *mnt_out, struct dh_err **err)
{
        if (!legacy_only) {
                _cleanup_close_ int m = -1;
                int r = fs_new(type, source, data, flags, &m, err);
                if (r == 0)
                        r = rt_mnt_attach(m, t, err);
                if (r == 0 && mnt_out)
                        *mnt_out = TAKE_FD(m);
                if (r != NEW_API_MISSING)
                        return r;
        }
        struct fdpath tp;
        /* Safe: the kernel follows /proc/self/fd/N to the inode resolved inside the root. */
        if (mount(source, fdpath(&tp, t->fd), type, (unsigned long)(flags & ATTR_MS), data) < 0)
                return dh_err_errno(err, errno, "mount %s", type);
        return mnt_out ? reopen(t, mnt_out, err) : 0;
}

int rt_mnt_bind(int srcfd, const struct rt_mnt_target *t, bool recursive, int *mnt_out,
                struct dh_err **err)
{
        if (!legacy_only) {
                unsigned int fl = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH;
                _cleanup_close_ int tree = open_tree(srcfd, "", fl | (recursive ? AT_RECURSIVE : 0));
                if (tree >= 0) {
                        int r = rt_mnt_attach(tree, t, err);
                        if (r == 0 && mnt_out)
                                *mnt_out = TAKE_FD(tree);
                        return r;
                }
                if (errno != ENOSYS)
                        return dh_err_errno(err, errno, "open_tree");
        }
        struct fdpath sp, tp;
        /* Safe: both ends are fds we opened; the kernel follows them, not paths. */
        if (mount(fdpath(&sp, srcfd), fdpath(&tp, t->fd), NULL, MS_BIND | (recursive ? MS_REC : 0), NULL) < 0)
                return dh_err_errno(err, errno, "bind mount");
        return mnt_out ? reopen(t, mnt_out, err) : 0;
}

/* MS_REMOUNT|MS_BIND replaces all per-mount flags: carry the current ones. */
static int remount_legacy(int mnt, uint64_t flags, struct dh_err **err)
{
        struct statvfs sv;
        if (fstatvfs(mnt, &sv) < 0)
                return dh_err_errno(err, errno, "statvfs");
        static const struct { unsigned long st, ms; } keep[] = {
                { ST_RDONLY, MS_RDONLY }, { ST_NOSUID, MS_NOSUID }, { ST_NODEV, MS_NODEV },
                { ST_NOEXEC, MS_NOEXEC }, { ST_NOATIME, MS_NOATIME }, { ST_NODIRATIME, MS_NODIRATIME },
                { ST_RELATIME, MS_RELATIME },
        };
        unsigned long ms = (unsigned long)(flags & ATTR_MS);
        for (size_t i = 0; i < DH_ARRAY_SIZE(keep); i++)
                if ((sv.f_flag & keep[i].st) && !((keep[i].ms & ATIME_MS) && (flags & ATIME_MS)))
                        ms |= keep[i].ms;
        struct fdpath mp;
        /* Safe: changes flags of the one mount the fd is on. */
        if (mount(NULL, fdpath(&mp, mnt), NULL, MS_REMOUNT | MS_BIND | ms, NULL) < 0)
                return dh_err_errno(err, errno, "remount");
        return 0;
}

int rt_mnt_setattr(int mnt, uint64_t flags, bool recursive, struct dh_err **err)
{
        if (!legacy_only) {
                struct mount_attr a = { .attr_set = ms_to_attr(flags) };
                if (flags & ATIME_MS)
                        a.attr_clr = MOUNT_ATTR__ATIME;
                if (mount_setattr(mnt, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &a, sizeof a) == 0)
                        return 0;
                if (errno != ENOSYS)
                        return dh_err_errno(err, errno, "mount_setattr");
        }
        if (recursive)
                return dh_err_set(err, ENOSYS, "recursive read-only needs mount_setattr (Linux 5.12)");
        return remount_legacy(mnt, flags, err);
}

int rt_mnt_propagation(int mnt, uint64_t propagation, struct dh_err **err)
{
        uint64_t type = propagation & (MS_PRIVATE | MS_SLAVE | MS_SHARED | MS_UNBINDABLE);
        bool rec = propagation & MS_REC;
        if (!type)
                return 0;
        if (!legacy_only) {
                struct mount_attr a = { .propagation = type };
                if (mount_setattr(mnt, "", AT_EMPTY_PATH | (rec ? AT_RECURSIVE : 0), &a, sizeof a) == 0)
                        return 0;
                if (errno != ENOSYS)
                        return dh_err_errno(err, errno, "set propagation");
        }
        struct fdpath mp;
        /* Safe: changes propagation of mounts inside our own namespace only. */
        if (mount(NULL, fdpath(&mp, mnt), NULL, (unsigned long)type | (rec ? MS_REC : 0), NULL) < 0)
                return dh_err_errno(err, errno, "set propagation");
        return 0;
}

/* --- assembling the rootfs --- */

/* mkdir -p for trusted host paths (the agent's per-container directory). */
static int mkdir_p(const char *path, struct dh_err **err)
{
        char buf[PATH_MAX];
        size_t len = strlen(path);
        if (len == 0 || len >= sizeof buf)
                return dh_err_set(err, ENAMETOOLONG, "mkdir \"%s\": bad length", path);
        memcpy(buf, path, len + 1);
        for (char *p = buf + 1;; p++) {
                if (*p != '/' && *p != '\0')
                        continue;
                char c = *p;
                *p = '\0';
                if (mkdir(buf, 0755) < 0 && errno != EEXIST)
                        return dh_err_errno(err, errno, "mkdir \"%s\"", buf);
                *p = c;
                if (!c)
                        return 0;
        }
}

static int rootfs_bind(const char *dir, const char *mountpoint, struct dh_err **err)
{
        _cleanup_close_ int src = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (src < 0)
                return dh_err_errno(err, errno, "rootfs: open \"%s\"", dir);
        _cleanup_close_ int dst = open(mountpoint, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dst < 0)
                return dh_err_errno(err, errno, "rootfs: open \"%s\"", mountpoint);
        struct rt_mnt_target t = { -1, mountpoint, dst };
        _cleanup_close_ int m = -1;
        /* Safe: a trusted host path, in our own mount namespace whose tree is slave. */
        int r = rt_mnt_bind(src, &t, true, &m, err);
        /* Private: host mounts appearing under the image directory stay out. */
        if (r == 0)
                r = rt_mnt_propagation(m, MS_PRIVATE, err);
        return r < 0 ? dh_err_prefix(err, "rootfs: bind \"%s\"", dir) : 0;
}

static int overlay_options(const struct rt_plan_rootfs *r, struct dh_buf *b, struct dh_err **err)
{
        /* Escaping differs across kernels; layer paths are ours, so refuse rather than escape. */
        const char *bad = ",:\\";
        for (size_t i = 0; i < r->lower.n; i++)
                if (r->lower.v[i][0] != '/' || strpbrk(r->lower.v[i], bad))
                        return dh_err_set(err, EINVAL, "rootfs: layer \"%s\": not absolute or contains one of %s",
                                          r->lower.v[i], bad);
        if (r->upper && (strpbrk(r->upper, bad) || strpbrk(r->work, bad)))
                return dh_err_set(err, EINVAL, "rootfs: upper or work directory contains one of %s", bad);
        int rc = dh_buf_puts(b, "lowerdir=", err);
        for (size_t i = 0; rc == 0 && i < r->lower.n; i++)
                rc = dh_buf_printf(b, err, "%s%s", i ? ":" : "", r->lower.v[i]);
        if (rc == 0 && r->upper)
                rc = dh_buf_printf(b, err, ",upperdir=%s,workdir=%s", r->upper, r->work);
        return rc;
}

/* Options past a page: one fsconfig("lowerdir+") per layer (Linux 6.8). */
static int overlay_by_layer(const struct rt_plan_rootfs *r, struct dh_err **err)
{
        _cleanup_close_ int fs = fsopen("overlay", FSOPEN_CLOEXEC);
        if (fs < 0)
                return dh_err_errno(err, errno, "fsopen overlay");
        for (size_t i = 0; i < r->lower.n; i++)
                if (fsconfig(fs, FSCONFIG_SET_STRING, "lowerdir+", r->lower.v[i], 0) < 0)
                        return fs_fail(fs, errno, "lowerdir+", err);
        if (r->upper && fsconfig(fs, FSCONFIG_SET_STRING, "upperdir", r->upper, 0) < 0)
                return fs_fail(fs, errno, "upperdir", err);
        if (r->upper && fsconfig(fs, FSCONFIG_SET_STRING, "workdir", r->work, 0) < 0)
                return fs_fail(fs, errno, "workdir", err);
        _cleanup_close_ int m = -1, dst = open(r->mountpoint, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dst < 0)
                return dh_err_errno(err, errno, "open \"%s\"", r->mountpoint);
        int rc = fs_create(fs, 0, &m, err);
        struct rt_mnt_target t = { -1, r->mountpoint, dst };
        return rc < 0 ? rc : rt_mnt_attach(m, &t, err);
}

static int rootfs_overlay(const struct rt_plan_rootfs *r, struct dh_err **err)
{
        if (r->upper && !r->work)
                return dh_err_set(err, EINVAL, "rootfs: overlay upper directory without a work directory");
        if (r->upper && (mkdir_p(r->upper, err) < 0 || mkdir_p(r->work, err) < 0))
                return dh_err_prefix(err, "rootfs");
        struct dh_buf b;
        dh_buf_init(&b, 1 << 20);
        int rc = overlay_options(r, &b, err);
        long page = sysconf(_SC_PAGESIZE);
        if (rc == 0 && (long)b.len < page) {
                /* Safe: trusted host paths, mounted in our own slave mount namespace. */
                if (mount("overlay", r->mountpoint, "overlay", 0, b.data) < 0)
                        rc = dh_err_errno(err, errno, "rootfs: mount overlay (%zu layers)", r->lower.n);
        } else if (rc == 0 && legacy_only) {
                rc = dh_err_set(err, DH_ELIMIT,
                                "rootfs: overlay options are %zu bytes, over mount(2)'s limit of a %ld-byte page "
                                "(%zu layers); this kernel lacks the new mount API",
                                b.len, page, r->lower.n);
        } else if (rc == 0 && overlay_by_layer(r, err) < 0) {
                rc = dh_err_prefix(err, "rootfs: mount overlay (%zu layers, %zu bytes of options)", r->lower.n,
                                   b.len);
        }
        dh_buf_free(&b);
        return rc;
}

int rt_rootfs_assemble(const struct rt_plan_rootfs *r, struct dh_err **err)
{
        if (!r->mountpoint || r->mountpoint[0] != '/')
                return dh_err_set(err, EINVAL, "rootfs: the mountpoint must be an absolute path");
        if (mkdir_p(r->mountpoint, err) < 0)
                return dh_err_prefix(err, "rootfs");
        if (r->dir)
                return rootfs_bind(r->dir, r->mountpoint, err);
        if (r->lower.n == 0)
                return dh_err_set(err, EINVAL, "rootfs: neither a directory nor image layers");
        if (!r->upper && !r->readonly)
                return dh_err_set(err, EINVAL, "rootfs: image layers without an upper directory must be read-only");
        if (!r->upper && r->lower.n == 1) /* overlayfs wants two lowers without an upper */
                return rootfs_bind(r->lower.v[0], r->mountpoint, err);
        return rootfs_overlay(r, err);
}

int rt_rootfs_pivot(int rootfd, struct dh_err **err)
{
        _cleanup_close_ int oldroot = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (oldroot < 0)
                return dh_err_errno(err, errno, "pivot_root: open the old root");
        if (fchdir(rootfd) < 0)
                return dh_err_errno(err, errno, "pivot_root: chdir to the new root");
        /* Safe: stacks the old root on top of the new one, both in our namespace. */
        if (syscall(SYS_pivot_root, ".", ".") < 0)
                return dh_err_errno(err, errno, "pivot_root");
        /* Slave again so detaching it cannot reach the host; by fd, since
         * mount(2) on "." would name the new root below it (and turn the
         * container's shared mounts into slaves). */
        if (rt_mnt_propagation(oldroot, MS_SLAVE | MS_REC, err) < 0)
                return dh_err_prefix(err, "pivot_root: make the old root slave");
        /* umount2 looks through "." to the topmost mount: the old root. */
        if (umount2(".", MNT_DETACH) < 0)
                return dh_err_errno(err, errno, "pivot_root: unmount the old root");
        if (chdir("/") < 0)
                return dh_err_errno(err, errno, "pivot_root: chdir /");
        return 0;
}

/* --- the whole sequence --- */

/* Refuses to run in pid 1's mount namespace: making that tree slave would
 * change the host's propagation. Skipped when we are pid 1 of /proc. */
static int check_own_mntns(struct dh_err **err)
{
        char self[16];
        ssize_t n = readlink("/proc/self", self, sizeof self - 1);
        if (n == 1 && self[0] == '1')
                return 0;
        struct stat mine, init;
        if (stat("/proc/self/ns/mnt", &mine) < 0 || stat("/proc/1/ns/mnt", &init) < 0)
                return 0; /* no procfs to ask: trust the caller */
        if (mine.st_dev == init.st_dev && mine.st_ino == init.st_ino)
                return dh_err_set(err, EPERM, "refusing to set up a rootfs in pid 1's mount namespace "
                                              "(clone the child with CLONE_NEWNS)");
        return 0;
}

struct trees {
        int *v;
        size_t n;
};

static void trees_free(struct trees *t)
{
        for (size_t i = 0; i < t->n; i++)
                if (t->v[i] >= 0)
                        close(t->v[i]);
        free(t->v);
}

/* Bidirectional binds are cloned before the tree turns slave so the clone
 * stays a peer of the host's mount and mounts made inside reach the host. */
static int preclone_shared(const struct rt_container_plan *p, struct trees *t, struct dh_err **err)
{
        t->v = malloc((p->mounts.n ? p->mounts.n : 1) * sizeof *t->v);
        if (!t->v)
                return dh_err_set(err, ENOMEM, "out of memory");
        t->n = p->mounts.n;
        for (size_t i = 0; i < t->n; i++)
                t->v[i] = -1;
        for (size_t i = 0; i < t->n && !legacy_only; i++) {
                const struct rt_plan_mount *m = &p->mounts.v[i];
                bool bind = (m->type && strcmp(m->type, "bind") == 0) || (m->flags & MS_BIND);
                if (!bind || !(m->propagation & MS_SHARED) || !m->source)
                        continue;
                unsigned int fl = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | ((m->flags & MS_REC) ? AT_RECURSIVE : 0);
                t->v[i] = open_tree(AT_FDCWD, m->source, fl);
                if (t->v[i] < 0 && errno == ENOSYS)
                        break;
                if (t->v[i] < 0)
                        return dh_err_errno(err, errno, "mount \"%s\": source \"%s\"", m->destination ? m->destination : "",
                                            m->source);
        }
        return 0;
}

/* The container's /dev/null (ours: rt_dev_setup made it, or /dev is a bind
 * of the host's), for masking files. The host's own, opened before
 * pivot_root, would not do: the kernel refuses to clone a mount that has
 * left our namespace with the old root. */
static int open_devnull(int root, struct dh_err **err)
{
        _cleanup_close_ int fd = -1;
        struct stat st;
        if (rt_resolve_in_root(root, "/dev/null", 0, &fd, err) < 0)
                return dh_err_prefix(err, "/dev/null");
        if (fstat(fd, &st) < 0)
                return dh_err_errno(err, errno, "/dev/null: stat");
        if (!S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3))
                return dh_err_set(err, ENODEV, "/dev/null is not the null device");
        return TAKE_FD(fd);
}

static int enter_cwd(const struct rt_container_plan *p, int root, struct dh_err **err)
{
        const char *cwd = p->cwd && *p->cwd ? p->cwd : "/";
        _cleanup_close_ int fd = -1;
        struct stat st;
        int r = rt_resolve_in_root(root, cwd, p->create_cwd ? RT_RESOLVE_CREATE_DIR : 0, &fd, err);
        if (r == 0 && fstat(fd, &st) < 0)
                r = dh_err_errno(err, errno, "stat");
        if (r == 0 && !S_ISDIR(st.st_mode))
                r = dh_err_set(err, ENOTDIR, "not a directory");
        if (r == 0 && fchdir(fd) < 0)
                r = dh_err_errno(err, errno, "chdir");
        return r < 0 ? dh_err_prefix(err, "working directory \"%s\"", cwd) : 0;
}

/* After pivot_root: read-only and masked paths, cwd, read-only root. */
static int finish(const struct rt_container_plan *p, struct dh_err **err)
{
        _cleanup_close_ int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC), devnull = -1;
        if (root < 0)
                return dh_err_errno(err, errno, "open /");
        int r = rt_paths_readonly(&p->readonly_paths, root, err);
        if (r == 0 && p->masked_paths.n > 0) {
                devnull = open_devnull(root, err);
                r = devnull < 0 ? devnull : 0;
        }
        if (r == 0)
                r = rt_paths_mask(&p->masked_paths, root, devnull, err);
        if (r == 0)
                r = enter_cwd(p, root, err);
        if (r == 0 && p->rootfs.readonly && rt_mnt_setattr(root, MS_RDONLY, false, err) < 0)
                r = dh_err_prefix(err, "read-only rootfs");
        return r;
}

int rt_rootfs_setup(const struct rt_container_plan *p, struct dh_err **err)
{
        _cleanup_(trees_free) struct trees trees = { 0 };
        int r = check_own_mntns(err);
        if (r == 0)
                r = preclone_shared(p, &trees, err);
        if (r < 0)
                return r;
        /* Safe: our fresh namespace only; afterwards no mount we make propagates to the host. */
        if (mount(NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) < 0)
                return dh_err_errno(err, errno, "make the mount tree slave");
        r = rt_rootfs_assemble(&p->rootfs, err);
        if (r < 0)
                return r;
        _cleanup_close_ int rootfd = open(p->rootfs.mountpoint, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
                return dh_err_errno(err, errno, "rootfs: open \"%s\"", p->rootfs.mountpoint);
        r = rt_mounts_apply(p, rootfd, trees.v, err);
        if (r == 0)
                r = rt_dev_setup(p, rootfd, err);
        if (r == 0)
                r = rt_rootfs_pivot(rootfd, err);
        return r < 0 ? r : finish(p, err);
}
