/* Inside the assembled rootfs (rootfs.h): the plan's mounts in order, the
 * cgroup mount as the host's hierarchy allows, /dev's nodes and links, and
 * after pivot_root the read-only and masked paths. Every destination is
 * resolved under the root fd (resolve.h) and mounted onto that fd. */
#include "cri/builtin/rootfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cri/builtin/resolve.h"
#include "lib/cleanup.h"

#define ATTR_MS (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME | \
                 MS_RELATIME | MS_STRICTATIME)
/* Entries of the host's /sys/fs/cgroup we look at: a v1 host has ~15. */
#define CGROUP_MAX_ENTRIES 64

/* Hands a local error to the caller's *err (the first error wins). */
static int pass_err(struct dh_err **err, struct dh_err **local)
{
        int code = (*local)->code;
        if (err && !*err)
                *err = TAKE_PTR(*local);
        return -code;
}

static bool is_bind(const struct rt_plan_mount *m)
{
        return (m->type && strcmp(m->type, "bind") == 0) || (m->flags & MS_BIND);
}

static uint64_t propagation_of(const struct rt_plan_mount *m)
{
        return m->propagation ? m->propagation : MS_PRIVATE | MS_REC;
}

/* The destination, created as asked (create: what a missing last component
 * becomes), never the container's root itself. */
static int dest_open(int rootfd, const struct rt_plan_mount *m, int create, int *fd_out, struct dh_err **err)
{
        _cleanup_close_ int fd = -1;
        int r = rt_resolve_in_root(rootfd, m->destination, m->mkdir_dest ? create : 0, &fd, err);
        if (r < 0)
                return r;
        struct stat a, b;
        if (fstat(fd, &a) < 0 || fstat(rootfd, &b) < 0)
                return dh_err_errno(err, errno, "stat");
        if (a.st_dev == b.st_dev && a.st_ino == b.st_ino)
                return dh_err_set(err, EINVAL, "refusing to mount over the container's root");
        *fd_out = TAKE_FD(fd);
        return 0;
}

static int apply_bind(int rootfd, const struct rt_plan_mount *m, int tree, struct dh_err **err)
{
        _cleanup_close_ int src = -1, dst = -1, own = -1;
        if (tree < 0) {
                if (!m->source)
                        return dh_err_set(err, EINVAL, "bind mount without a source");
                /* The host path is opened once; everything after uses this fd. */
                src = open(m->source, O_PATH | O_CLOEXEC);
                if (src < 0)
                        return dh_err_errno(err, errno, "source \"%s\"", m->source);
        }
        struct stat st;
        if (fstat(tree >= 0 ? tree : src, &st) < 0)
                return dh_err_errno(err, errno, "source \"%s\": stat", m->source);
        int create = S_ISDIR(st.st_mode) ? RT_RESOLVE_CREATE_DIR : RT_RESOLVE_CREATE_FILE;
        int r = dest_open(rootfd, m, create, &dst, err);
        if (r < 0)
                return r;
        struct rt_mnt_target t = { rootfd, m->destination, dst };
        r = tree >= 0 ? rt_mnt_attach(tree, &t, err) : rt_mnt_bind(src, &t, m->flags & MS_REC, &own, err);
        int mnt = tree >= 0 ? tree : own;
        bool rro = m->flags & RT_MOUNT_RRO;
        uint64_t attrs = (m->flags & ATTR_MS) | (rro ? MS_RDONLY : 0);
        if (r == 0 && attrs)
                r = rt_mnt_setattr(mnt, attrs, rro, err);
        if (r == 0)
                r = rt_mnt_propagation(mnt, propagation_of(m), err);
        return r;
}

static int apply_fs(int rootfd, const struct rt_plan_mount *m, struct dh_err **err)
{
        _cleanup_close_ int dst = -1, mnt = -1;
        int r = dest_open(rootfd, m, RT_RESOLVE_CREATE_DIR, &dst, err);
        if (r < 0)
                return r;
        struct rt_mnt_target t = { rootfd, m->destination, dst };
        r = rt_mnt_fs(m->type, m->source ? m->source : m->type, m->data, m->flags, &t, &mnt, err);
        if (r == 0)
                r = rt_mnt_propagation(mnt, propagation_of(m), err);
        return r;
}

/* The container's own cgroup directory under one host hierarchy: *fd_out
 * is -1 when the plan names none or it does not exist (yet). */
static int cgroup_dir(const struct rt_container_plan *p, int hierarchy, int *fd_out, struct dh_err **err)
{
        *fd_out = -1;
        if (!p->cgroup_path || !*p->cgroup_path)
                return 0;
        _cleanup_err_ struct dh_err *e = NULL;
        int r = rt_resolve_in_root(hierarchy, p->cgroup_path, 0, fd_out, &e);
        if (r == -ENOENT)
                return 0;
        return r < 0 ? pass_err(err, &e) : 0;
}

/* One entry of a v1 host's /sys/fs/cgroup: comount symlinks are copied,
 * each hierarchy gets a directory with the container's cgroup bound in. */
static int cgroup_v1_entry(const struct rt_container_plan *p, const struct rt_plan_mount *m, int host,
                           const char *name, int tmp, struct dh_err **err)
{
        struct stat st;
        if (fstatat(host, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return dh_err_errno(err, errno, "/sys/fs/cgroup/%s", name);
        if (S_ISLNK(st.st_mode)) {
                char target[NAME_MAX + 1];
                ssize_t n = readlinkat(host, name, target, sizeof target - 1);
                if (n < 0)
                        return dh_err_errno(err, errno, "/sys/fs/cgroup/%s: readlink", name);
                target[n] = '\0';
                if (symlinkat(target, tmp, name) < 0 && errno != EEXIST)
                        return dh_err_errno(err, errno, "symlink %s", name);
                return 0;
        }
        _cleanup_close_ int h = openat(host, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        struct statfs sfs;
        if (h < 0 || fstatfs(h, &sfs) < 0 || (sfs.f_type != CGROUP_SUPER_MAGIC && sfs.f_type != CGROUP2_SUPER_MAGIC))
                return 0; /* not a hierarchy */
        if (mkdirat(tmp, name, 0755) < 0 && errno != EEXIST)
                return dh_err_errno(err, errno, "mkdir %s", name);
        _cleanup_close_ int src = -1;
        if (cgroup_dir(p, h, &src, err) < 0)
                return dh_err_prefix(err, "/sys/fs/cgroup/%s", name);
        if (src < 0)
                return 0; /* left empty rather than showing the host's whole tree */
        _cleanup_close_ int dst = openat(tmp, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (dst < 0)
                return dh_err_errno(err, errno, "open %s", name);
        struct rt_mnt_target t = { tmp, name, dst };
        _cleanup_close_ int mnt = -1;
        int r = rt_mnt_bind(src, &t, false, &mnt, err);
        if (r == 0 && (m->flags & ATTR_MS))
                r = rt_mnt_setattr(mnt, m->flags & ATTR_MS, false, err);
        return r < 0 ? dh_err_prefix(err, "%s", name) : 0;
}

/* runc's v1 layout: a tmpfs holding one bind per hierarchy. */
static int cgroup_v1(const struct rt_container_plan *p, const struct rt_plan_mount *m,
                     const struct rt_mnt_target *t, struct dh_err **err)
{
        _cleanup_close_ int tmp = -1;
        uint64_t flags = m->flags & ATTR_MS & ~(uint64_t)MS_RDONLY;
        int r = rt_mnt_fs("tmpfs", "cgroup", "mode=755", flags, t, &tmp, err);
        if (r < 0)
                return r;
        int hostfd = open("/sys/fs/cgroup", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *d = hostfd >= 0 ? fdopendir(hostfd) : NULL;
        if (!d) {
                r = dh_err_errno(err, errno, "open the host's /sys/fs/cgroup");
                if (hostfd >= 0)
                        close(hostfd);
                return r;
        }
        struct dirent *de;
        for (int i = 0; r == 0 && i < CGROUP_MAX_ENTRIES && (de = readdir(d)); i++)
                if (de->d_name[0] != '.')
                        r = cgroup_v1_entry(p, m, dirfd(d), de->d_name, tmp, err);
        closedir(d);
        if (r == 0 && (m->flags & MS_RDONLY))
                r = rt_mnt_setattr(tmp, MS_RDONLY, false, err);
        if (r == 0)
                r = rt_mnt_propagation(tmp, propagation_of(m), err);
        return r;
}

/* v2: the container's cgroup directory bound in; without one, a cgroup2
 * mount (the container's view when the shim gave it a cgroup namespace). */
static int cgroup_v2(const struct rt_container_plan *p, const struct rt_plan_mount *m,
                     const struct rt_mnt_target *t, struct dh_err **err)
{
        _cleanup_close_ int host = open("/sys/fs/cgroup", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (host < 0)
                return dh_err_errno(err, errno, "open the host's /sys/fs/cgroup");
        _cleanup_close_ int src = -1, mnt = -1;
        int r = cgroup_dir(p, host, &src, err);
        if (r < 0)
                return r;
        if (src >= 0) {
                r = rt_mnt_bind(src, t, false, &mnt, err);
                if (r == 0 && (m->flags & ATTR_MS))
                        r = rt_mnt_setattr(mnt, m->flags & ATTR_MS, false, err);
        } else {
                r = rt_mnt_fs("cgroup2", "cgroup2", m->data, m->flags, t, &mnt, err);
        }
        return r < 0 ? r : rt_mnt_propagation(mnt, propagation_of(m), err);
}

/* Type "cgroup" means "the container's cgroups, as the host has them". */
static int apply_cgroup(const struct rt_container_plan *p, int rootfd, const struct rt_plan_mount *m,
                        struct dh_err **err)
{
        struct statfs sfs;
        if (statfs("/sys/fs/cgroup", &sfs) < 0)
                return dh_err_errno(err, errno, "the host's /sys/fs/cgroup");
        _cleanup_close_ int dst = -1;
        int r = dest_open(rootfd, m, RT_RESOLVE_CREATE_DIR, &dst, err);
        if (r < 0)
                return r;
        struct rt_mnt_target t = { rootfd, m->destination, dst };
        if (sfs.f_type == CGROUP2_SUPER_MAGIC)
                return cgroup_v2(p, m, &t, err);
        if (sfs.f_type == TMPFS_MAGIC)
                return cgroup_v1(p, m, &t, err);
        return dh_err_set(err, ENODEV, "no cgroup hierarchy at the host's /sys/fs/cgroup");
}

int rt_mounts_apply(const struct rt_container_plan *p, int rootfd, const int *trees, struct dh_err **err)
{
        for (size_t i = 0; i < p->mounts.n; i++) {
                const struct rt_plan_mount *m = &p->mounts.v[i];
                int r;
                if (!m->destination || !*m->destination)
                        return dh_err_set(err, EINVAL, "mount #%zu: no destination", i);
                if (is_bind(m))
                        r = apply_bind(rootfd, m, trees ? trees[i] : -1, err);
                else if (!m->type)
                        r = dh_err_set(err, EINVAL, "no filesystem type");
                else if (strcmp(m->type, "cgroup") == 0)
                        r = apply_cgroup(p, rootfd, m, err);
                else
                        r = apply_fs(rootfd, m, err);
                if (r < 0)
                        return dh_err_prefix(err, "mount \"%s\"", m->destination);
        }
        return 0;
}

/* --- /dev --- */

static const struct {
        const char *name;
        unsigned int major, minor;
} default_devices[] = {
        { "null", 1, 3 }, { "zero", 1, 5 }, { "full", 1, 7 },
        { "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 },
};

static const struct {
        const char *name, *target;
} dev_links[] = {
        { "fd", "/proc/self/fd" },         { "stdin", "/proc/self/fd/0" }, { "stdout", "/proc/self/fd/1" },
        { "stderr", "/proc/self/fd/2" },   { "ptmx", "pts/ptmx" },
};

/* mknod with the exact mode and owner; an existing node of the same kind
 * and number is fine (a /dev bound from elsewhere, a re-run). */
static int make_node(int dir, const char *name, mode_t type, uint32_t perm, dev_t dev, uid_t uid, gid_t gid,
                     struct dh_err **err)
{
        mode_t old = umask(0); /* single-threaded child: the plan's mode, not umask's */
        /* Safe: created in a directory fd resolved inside the root; mknodat never follows the name. */
        int r = mknodat(dir, name, type | (perm & 07777), dev);
        int e = errno;
        umask(old);
        if (r < 0 && e == EEXIST) {
                struct stat st;
                if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && (st.st_mode & S_IFMT) == type &&
                    (type == S_IFIFO || st.st_rdev == dev))
                        return 0;
                return dh_err_set(err, EEXIST, "exists and is not the expected device");
        }
        if (r < 0)
                return dh_err_errno(err, e, "mknod");
        /* AT_SYMLINK_NOFOLLOW: chown the node itself, never a symlink swapped in. */
        if (fchownat(dir, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
                return dh_err_errno(err, errno, "chown");
        return 0;
}

/* Where mknod is not allowed (a user namespace), bind the host's node onto
 * an empty file, as runc does. */
static int bind_host_device(int rootfd, const char *name, struct dh_err **err)
{
        char host[32], dest[32];
        snprintf(host, sizeof host, "/dev/%s", name);
        snprintf(dest, sizeof dest, "/dev/%s", name);
        _cleanup_close_ int src = open(host, O_PATH | O_CLOEXEC), dst = -1;
        if (src < 0)
                return dh_err_errno(err, errno, "open the host's %s", host);
        int r = rt_resolve_in_root(rootfd, dest, RT_RESOLVE_CREATE_FILE, &dst, err);
        struct rt_mnt_target t = { rootfd, dest, dst };
        return r < 0 ? r : rt_mnt_bind(src, &t, false, NULL, err);
}

static int default_device(int rootfd, int devfd, size_t i, struct dh_err **err)
{
        const char *name = default_devices[i].name;
        dev_t dev = makedev(default_devices[i].major, default_devices[i].minor);
        _cleanup_err_ struct dh_err *e = NULL;
        int r = make_node(devfd, name, S_IFCHR, 0666, dev, 0, 0, &e);
        if (r == -EPERM) {
                dh_err_clear(&e);
                r = bind_host_device(rootfd, name, &e);
        }
        return r < 0 ? pass_err(err, &e) : 0;
}

static int plan_device(int rootfd, const struct rt_plan_device *d, struct dh_err **err)
{
        mode_t type = d->type == 'b' ? S_IFBLK : d->type == 'p' ? S_IFIFO :
                      (d->type == 'c' || d->type == 'u') ? S_IFCHR : 0;
        if (!type)
                return dh_err_set(err, EINVAL, "unknown device type '%c'", d->type ? d->type : '?');
        if (d->major < 0 || d->major > 0xfff || d->minor < 0 || d->minor > 0xfffff)
                return dh_err_set(err, EINVAL, "device number %lld:%lld out of range", (long long)d->major,
                                  (long long)d->minor);
        char leaf[NAME_MAX + 1];
        _cleanup_close_ int dir = -1;
        int r = rt_resolve_parent(rootfd, d->path, RT_RESOLVE_CREATE_DIR, &dir, leaf, sizeof leaf, err);
        if (r < 0)
                return r;
        dev_t dev = makedev((unsigned int)d->major, (unsigned int)d->minor);
        return make_node(dir, leaf, type, d->mode ? d->mode : 0666, dev, d->uid, d->gid, err);
}

static int dev_link(int devfd, const char *name, const char *target, struct dh_err **err)
{
        struct stat st;
        /* A ptmx node from the image would bypass the container's own devpts. */
        if (strcmp(name, "ptmx") == 0 && fstatat(devfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
            !S_ISLNK(st.st_mode) && !S_ISDIR(st.st_mode) && unlinkat(devfd, name, 0) < 0)
                return dh_err_errno(err, errno, "/dev/%s: unlink", name);
        if (symlinkat(target, devfd, name) < 0 && errno != EEXIST)
                return dh_err_errno(err, errno, "/dev/%s: symlink", name);
        return 0;
}

/* runc's needsSetupDev: a /dev bound from elsewhere is left as it is. */
static bool dev_is_bound(const struct rt_container_plan *p)
{
        for (size_t i = 0; i < p->mounts.n; i++)
                if (is_bind(&p->mounts.v[i]) && p->mounts.v[i].destination &&
                    strcmp(p->mounts.v[i].destination, "/dev") == 0)
                        return true;
        return false;
}

int rt_dev_setup(const struct rt_container_plan *p, int rootfd, struct dh_err **err)
{
        if (dev_is_bound(p))
                return 0;
        _cleanup_close_ int dev = -1;
        if (rt_resolve_in_root(rootfd, "/dev", RT_RESOLVE_CREATE_DIR, &dev, err) < 0)
                return dh_err_prefix(err, "/dev");
        for (size_t i = 0; i < DH_ARRAY_SIZE(default_devices); i++)
                if (default_device(rootfd, dev, i, err) < 0)
                        return dh_err_prefix(err, "device \"/dev/%s\"", default_devices[i].name);
        for (size_t i = 0; i < p->devices.n; i++)
                if (plan_device(rootfd, &p->devices.v[i], err) < 0)
                        return dh_err_prefix(err, "device \"%s\"", p->devices.v[i].path);
        for (size_t i = 0; i < DH_ARRAY_SIZE(dev_links); i++) {
                int r = dev_link(dev, dev_links[i].name, dev_links[i].target, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* --- masked and read-only paths --- */

/* Resolves path under root: 1 and *fd, 0 when it does not exist, or < 0. */
static int open_existing(int root, const char *path, int *fd, struct dh_err **err)
{
        _cleanup_err_ struct dh_err *e = NULL;
        int r = rt_resolve_in_root(root, path, 0, fd, &e);
        if (r == -ENOENT)
                return 0;
        return r < 0 ? pass_err(err, &e) : 1;
}

static int readonly_one(int root, const char *path, struct dh_err **err)
{
        _cleanup_close_ int fd = -1, mnt = -1;
        int r = open_existing(root, path, &fd, err);
        if (r <= 0)
                return r;
        struct rt_mnt_target t = { root, path, fd };
        /* Bound onto itself, then the bind made read-only: the rest of /proc stays as it was. */
        r = rt_mnt_bind(fd, &t, true, &mnt, err);
        return r < 0 ? r : rt_mnt_setattr(mnt, MS_RDONLY, false, err);
}

static int mask_one(int root, int devnull, const char *path, struct dh_err **err)
{
        _cleanup_close_ int fd = -1;
        int r = open_existing(root, path, &fd, err);
        if (r <= 0)
                return r;
        struct stat st;
        if (fstat(fd, &st) < 0)
                return dh_err_errno(err, errno, "stat");
        struct rt_mnt_target t = { root, path, fd };
        if (S_ISDIR(st.st_mode))
                return rt_mnt_fs("tmpfs", "tmpfs", "mode=555",
                                 MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, &t, NULL, err);
        return rt_mnt_bind(devnull, &t, false, NULL, err);
}

int rt_paths_readonly(const struct dh_strv *paths, int rootfd, struct dh_err **err)
{
        for (size_t i = 0; i < paths->n; i++)
                if (readonly_one(rootfd, paths->v[i], err) < 0)
                        return dh_err_prefix(err, "readonly path \"%s\"", paths->v[i]);
        return 0;
}

int rt_paths_mask(const struct dh_strv *paths, int rootfd, int devnull, struct dh_err **err)
{
        for (size_t i = 0; i < paths->n; i++)
                if (mask_one(rootfd, devnull, paths->v[i], err) < 0)
                        return dh_err_prefix(err, "masked path \"%s\"", paths->v[i]);
        return 0;
}
