/* Directory-fd helpers, mount checks and the memory-backed volume size
 * shared by the volume code (volumes-internal.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "agent/volumes-internal.h"
#include "lib/cleanup.h"

const char *vol_fdpath(struct vol_fdpath *p, int fd)
{
        snprintf(p->s, sizeof p->s, "/proc/self/fd/%d", fd);
        return p->s;
}

bool vol_is_component(const char *s)
{
        return s && *s && !strchr(s, '/') && strcmp(s, ".") != 0 && strcmp(s, "..") != 0;
}

int vol_opendirat(int dirfd, const char *name, int *fd_out, struct dh_err **err)
{
        int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
                if (errno == ENOENT)
                        return -ENOENT;
                return dh_err_errno(err, errno, "open \"%s\"", name);
        }
        *fd_out = fd;
        return 0;
}

int vol_mkdirat(int dirfd, const char *name, mode_t mode, bool exact_mode, int *fd_out,
                struct dh_err **err)
{
        if (!vol_is_component(name))
                return dh_err_set(err, EINVAL, "\"%s\": not a single path component", name);
        if (mkdirat(dirfd, name, mode) < 0 && errno != EEXIST)
                return dh_err_errno(err, errno, "mkdir \"%s\"", name);
        _cleanup_close_ int fd = -1;
        int r = vol_opendirat(dirfd, name, &fd, err);
        if (r == -ENOENT)
                return dh_err_errno(err, ENOENT, "open \"%s\"", name);
        if (r < 0)
                return r;
        struct stat st;
        if (fstat(fd, &st) < 0)
                return dh_err_errno(err, errno, "stat \"%s\"", name);
        if (exact_mode && (st.st_mode & 07777) != mode && fchmod(fd, mode) < 0)
                return dh_err_errno(err, errno, "chmod \"%s\"", name);
        *fd_out = TAKE_FD(fd);
        return 0;
}

static int mnt_id_of(int dirfd, const char *name, int flags, uint64_t *id, bool *has)
{
        struct statx stx;
        if (statx(dirfd, name, flags | AT_SYMLINK_NOFOLLOW, STATX_MNT_ID | STATX_INO, &stx) < 0)
                return -errno;
        *has = (stx.stx_mask & STATX_MNT_ID) != 0;
        *id = *has ? stx.stx_mnt_id : ((uint64_t)stx.stx_dev_major << 32 | stx.stx_dev_minor);
        return 0;
}

int vol_mount_state(int fd, bool *is_mount, bool *is_tmpfs, struct dh_err **err)
{
        uint64_t self, parent;
        bool has_self, has_parent;
        int r = mnt_id_of(fd, "", AT_EMPTY_PATH, &self, &has_self);
        if (r == 0)
                r = mnt_id_of(fd, "..", 0, &parent, &has_parent);
        if (r < 0)
                return dh_err_errno(err, -r, "statx");
        struct statfs sfs;
        if (fstatfs(fd, &sfs) < 0)
                return dh_err_errno(err, errno, "statfs");
        *is_mount = self != parent || has_self != has_parent;
        *is_tmpfs = sfs.f_type == TMPFS_MAGIC;
        return 0;
}

int vol_umount_at(int dirfd, const char *name, struct dh_err **err)
{
        if (!vol_is_component(name))
                return dh_err_set(err, EINVAL, "\"%s\": not a single path component", name);
        char path[64 + NAME_MAX];
        snprintf(path, sizeof path, "/proc/self/fd/%d/%s", dirfd, name);
        /* Safe: dirfd is a directory of ours and name one component that
         * is not followed if it is a symlink; no fd is kept on the mount,
         * which would make it busy. */
        if (umount2(path, UMOUNT_NOFOLLOW) < 0)
                return dh_err_errno(err, errno, "unmount \"%s\"", name);
        return 0;
}

static bool container_memory_limit(const struct pod_container *c, int64_t *out)
{
        for (size_t i = 0; i < c->resources.limits.n; i++) {
                const struct pod_resource *r = &c->resources.limits.v[i];
                if (r->name && strcmp(r->name, "memory") == 0) {
                        *out = pod_quantity_value(&r->q);
                        return true;
                }
        }
        return false;
}

static bool is_sidecar(const struct pod_container *c)
{
        return c->restartPolicy && strcmp(c->restartPolicy, "Always") == 0;
}

/* The pod cgroup's memory limit as ResourceConfigForPod computes it: the
 * regular containers and sidecars together, or an init container plus the
 * sidecars started before it if that is more, plus the overhead. 0 when
 * any container declares no memory limit. */
static int64_t pod_memory_limit(const struct pod *pod)
{
        int64_t sum = 0, sidecars = 0, init_max = 0, v;
        const struct pod_spec *s = &pod->spec;
        for (size_t i = 0; i < s->initContainers.n; i++) {
                const struct pod_container *c = &s->initContainers.v[i];
                if (!container_memory_limit(c, &v))
                        return 0;
                if (is_sidecar(c))
                        sidecars += v;
                else if (v + sidecars > init_max)
                        init_max = v + sidecars;
        }
        for (size_t i = 0; i < s->containers.n; i++) {
                if (!container_memory_limit(&s->containers.v[i], &v))
                        return 0;
                sum += v;
        }
        sum += sidecars;
        if (init_max > sum)
                sum = init_max;
        for (size_t i = 0; i < s->overhead.n; i++)
                if (s->overhead.v[i].name && strcmp(s->overhead.v[i].name, "memory") == 0)
                        sum += pod_quantity_value(&s->overhead.v[i].q);
        return sum;
}

int64_t vol_memory_size(const struct pod *pod, const struct agent_node_alloc *node,
                        const struct pod_quantity *size_limit)
{
        int64_t size = node && node->memory > 0 ? node->memory : 0;
        int64_t pod_limit = pod_memory_limit(pod);
        if (pod_limit > 0 && (size == 0 || pod_limit <= size))
                size = pod_limit;
        int64_t v = size_limit && size_limit->set ? pod_quantity_value(size_limit) : 0;
        if (v > 0 && (size == 0 || v <= size))
                size = v;
        return size;
}

int vol_tmpfs_ensure(int dirfd, int64_t size, struct dh_err **err)
{
        bool is_mount, is_tmpfs;
        int r = vol_mount_state(dirfd, &is_mount, &is_tmpfs, err);
        if (r < 0)
                return r;
        if (is_mount && is_tmpfs)
                return 0; /* already set up: an agent restart keeps the data */
        char opts[48] = "";
        if (size > 0)
                snprintf(opts, sizeof opts, "size=%lld", (long long)size);
        struct vol_fdpath p;
        /* Safe: dirfd is a directory we created and opened O_NOFOLLOW under
         * the pod directory; the magic link cannot be redirected. */
        if (mount("tmpfs", vol_fdpath(&p, dirfd), "tmpfs", 0, opts[0] ? opts : NULL) < 0)
                return dh_err_errno(err, errno, "mount tmpfs");
        return 0;
}

int agent_node_alloc_host(struct agent_node_alloc *out, struct dh_err **err)
{
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
        if (cpus <= 0 || pages <= 0 || page <= 0)
                return dh_err_errno(err, errno ? errno : EINVAL, "node capacity: sysconf");
        *out = (struct agent_node_alloc){
                .cpu_milli = (int64_t)cpus * 1000,
                .memory = (int64_t)pages * (int64_t)page,
        };
        struct statfs sfs;
        if (statfs("/", &sfs) == 0)
                out->ephemeral_storage = (int64_t)sfs.f_blocks * (int64_t)sfs.f_frsize;
        return 0;
}
