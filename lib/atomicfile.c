/* Crash-safe file replacement, mkdir -p and a mount-safe rm -rf. */
#include "lib/atomicfile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/fileio.h"

/* Attempts at finding an unused temp name before giving up. */
#define TMP_TRIES 64

static bool valid_name(const char *name)
{
        return name && *name && !strchr(name, '/') && strcmp(name, ".") != 0 &&
               strcmp(name, "..") != 0;
}

static uint64_t tmp_suffix(void)
{
        uint64_t v = 0;
        if (getrandom(&v, sizeof v, GRND_NONBLOCK) == (ssize_t)sizeof v)
                return v;
        /* No entropy yet (early boot): pid and clock are unique enough,
         * O_EXCL catches the rest. */
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ((uint64_t)getpid() << 32) ^ (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20);
}

/* Creates a new temp file next to name; the name is kept short enough for
 * NAME_MAX whatever the length of name. */
static int open_tmp(int dirfd, const char *name, mode_t mode, char *tmp, size_t size,
                    const char *what, struct dh_err **err)
{
        for (int i = 0; i < TMP_TRIES; i++) {
                snprintf(tmp, size, ".%.200s.%016llx.tmp", name,
                         (unsigned long long)tmp_suffix());
                int fd = openat(dirfd, tmp,
                                O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY,
                                mode & 07777);
                if (fd >= 0)
                        return fd;
                if (errno != EEXIST)
                        return dh_err_errno(err, errno, "%s: create temp file", what);
        }
        return dh_err_set(err, EEXIST, "%s: no unused temp file name after %d tries", what,
                          TMP_TRIES);
}

/* fsync needs a readable fd; dirfd may be AT_FDCWD or O_PATH. */
static int sync_dir(int dirfd)
{
        _cleanup_close_ int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        return fsync(fd) < 0 ? -errno : 0;
}

/* Fills the temp file and makes its content durable. */
static int fill_tmp(int fd, const void *data, size_t len, mode_t mode, const char *what,
                    struct dh_err **err)
{
        /* fchmod: the mode must be exact, not whatever the umask left. */
        if (fchmod(fd, mode & 07777) < 0)
                return dh_err_errno(err, errno, "%s: chmod temp file", what);
        int r = dh_write_all(fd, data, len);
        if (r < 0)
                return dh_err_errno(err, -r, "%s: write", what);
        if (fsync(fd) < 0)
                return dh_err_errno(err, errno, "%s: fsync", what);
        return 0;
}

static int write_atomic(int dirfd, const char *name, const void *data, size_t len,
                        mode_t mode, const char *what, struct dh_err **err)
{
        if (!valid_name(name))
                return dh_err_set(err, EINVAL, "%s: not a file name", what);
        char tmp[NAME_MAX + 1];
        int fd = open_tmp(dirfd, name, mode, tmp, sizeof tmp, what, err);
        if (fd < 0)
                return fd;
        int r = fill_tmp(fd, data, len, mode, what, err);
        /* close can report a deferred write error (NFS): it counts. */
        if (close(fd) < 0 && r == 0)
                r = dh_err_errno(err, errno, "%s: close", what);
        /* renameat replaces a symlink at name itself, never its target. */
        if (r == 0 && renameat(dirfd, tmp, dirfd, name) < 0)
                r = dh_err_errno(err, errno, "%s: rename into place", what);
        if (r < 0) {
                unlinkat(dirfd, tmp, 0);
                return r;
        }
        r = sync_dir(dirfd);
        if (r < 0)
                return dh_err_errno(err, -r, "%s: fsync directory", what);
        return 0;
}

int dh_write_file_atomic(int dirfd, const char *name, const void *data, size_t len,
                         mode_t mode, struct dh_err **err)
{
        return write_atomic(dirfd, name, data, len, mode, name ? name : "(null)", err);
}

int dh_write_file_atomic_path(const char *path, const void *data, size_t len,
                              mode_t mode, struct dh_err **err)
{
        if (!path || !*path)
                return dh_err_set(err, EINVAL, "write file: empty path");
        const char *slash = strrchr(path, '/');
        _cleanup_free_ char *dir = NULL;
        if (slash)
                dir = slash == path ? strdup("/") : strndup(path, (size_t)(slash - path));
        else
                dir = strdup(".");
        if (!dir)
                return dh_err_set(err, ENOMEM, "%s: out of memory", path);
        _cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return dh_err_errno(err, errno, "%s: open directory", path);
        return write_atomic(dfd, slash ? slash + 1 : path, data, len, mode, path, err);
}

static int mkdir_one(const char *path, mode_t mode, struct dh_err **err)
{
        if (mkdir(path, mode) == 0)
                return 0;
        if (errno != EEXIST)
                return dh_err_errno(err, errno, "%s: mkdir", path);
        struct stat st;
        if (stat(path, &st) < 0)
                return dh_err_errno(err, errno, "%s: stat", path);
        if (!S_ISDIR(st.st_mode))
                return dh_err_set(err, ENOTDIR, "%s: exists and is not a directory", path);
        return 0;
}

int dh_mkdir_p(const char *path, mode_t mode, struct dh_err **err)
{
        if (!path || !*path)
                return dh_err_set(err, EINVAL, "mkdir: empty path");
        size_t n = strlen(path);
        if (n >= PATH_MAX)
                return dh_err_set(err, ENAMETOOLONG, "mkdir: path of %zu bytes is too long", n);
        char buf[PATH_MAX];
        memcpy(buf, path, n + 1);
        for (char *p = buf + 1;; p++) {
                if (*p != '/' && *p != '\0')
                        continue;
                char c = *p;
                *p = '\0';
                /* Skip empty components ("a//b", trailing '/'). */
                if (p[-1] != '/') {
                        int r = mkdir_one(buf, mode, err);
                        if (r < 0)
                                return r;
                }
                if (c == '\0')
                        return 0;
                *p = c;
        }
}

/* What identifies a directory and the mount it is on. st_dev alone misses
 * a bind mount of the same file system, so the mount id is compared too
 * where the kernel has it (5.8+). */
struct fs_id {
        uint32_t dev_major, dev_minor;
        uint64_t ino, mnt_id;
        bool has_mnt_id;
        mode_t mode;
};

static int get_id(int dfd, const char *name, int flags, struct fs_id *id)
{
        struct statx stx;
        if (statx(dfd, name, flags, STATX_TYPE | STATX_INO | STATX_MNT_ID, &stx) < 0)
                return -errno;
        *id = (struct fs_id){
                .dev_major = stx.stx_dev_major,
                .dev_minor = stx.stx_dev_minor,
                .ino = stx.stx_ino,
                .mnt_id = stx.stx_mnt_id,
                .has_mnt_id = (stx.stx_mask & STATX_MNT_ID) != 0,
                .mode = stx.stx_mode,
        };
        return 0;
}

static bool same_mount(const struct fs_id *a, const struct fs_id *b)
{
        if (a->dev_major != b->dev_major || a->dev_minor != b->dev_minor)
                return false;
        return !(a->has_mnt_id && b->has_mnt_id) || a->mnt_id == b->mnt_id;
}

static int rm_entry(int dfd, const char *name, const struct fs_id *parent, unsigned depth,
                    const char *path, struct dh_err **err);

/* Removes everything inside dfd/name, which was checked to be id. Keeps
 * going after an error so that as much as possible is removed; returns the
 * first error. */
static int rm_children(int dfd, const char *name, const struct fs_id *id, unsigned depth,
                       const char *path, struct dh_err **err)
{
        /* O_NOFOLLOW|O_DIRECTORY: a directory swapped for a symlink since
         * the statx fails here instead of being followed. */
        int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? 0 : dh_err_errno(err, errno, "%s: open", path);
        struct fs_id now;
        int r = get_id(fd, "", AT_EMPTY_PATH, &now);
        if (r < 0 || now.ino != id->ino || !same_mount(&now, id)) {
                close(fd);
                return r < 0 ? dh_err_errno(err, -r, "%s: stat", path)
                             : dh_err_set(err, EXDEV, "%s: changed while being removed", path);
        }
        DIR *d = fdopendir(fd);
        if (!d) {
                r = dh_err_errno(err, errno, "%s: opendir", path);
                close(fd);
                return r;
        }
        int ret = 0;
        for (;;) {
                errno = 0;
                struct dirent *de = readdir(d);
                if (!de) {
                        if (errno && ret == 0)
                                ret = dh_err_errno(err, errno, "%s: readdir", path);
                        break;
                }
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                char *child = NULL;
                if (asprintf(&child, "%s/%s", path, de->d_name) < 0) {
                        ret = ret ? ret : dh_err_set(err, ENOMEM, "%s: out of memory", path);
                        break;
                }
                r = rm_entry(dirfd(d), de->d_name, id, depth + 1, child, err);
                free(child);
                if (r < 0 && ret == 0)
                        ret = r;
        }
        closedir(d);
        return ret;
}

static int rm_entry(int dfd, const char *name, const struct fs_id *parent, unsigned depth,
                    const char *path, struct dh_err **err)
{
        struct fs_id id;
        /* AT_NO_AUTOMOUNT: looking at an automount point must not mount it. */
        int r = get_id(dfd, name, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT, &id);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return dh_err_errno(err, -r, "%s: stat", path);
        if (!S_ISDIR(id.mode)) {
                /* Symlinks land here: the link goes, its target stays. */
                if (unlinkat(dfd, name, 0) < 0 && errno != ENOENT)
                        return dh_err_errno(err, errno, "%s: unlink", path);
                return 0;
        }
        if (!same_mount(&id, parent))
                return dh_err_set(err, EXDEV, "%s: is a mount point, refusing to remove across it",
                                  path);
        if (depth >= DH_RM_RF_MAX_DEPTH)
                return dh_err_set(err, DH_ELIMIT, "%s: nested deeper than %d directories", path,
                                  DH_RM_RF_MAX_DEPTH);
        r = rm_children(dfd, name, &id, depth, path, err);
        if (unlinkat(dfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT) {
                /* A child's error already says why it is not empty. */
                if (r < 0)
                        return r;
                return dh_err_errno(err, errno, "%s: rmdir", path);
        }
        return r;
}

int dh_rm_rf_at(int dirfd, const char *name, struct dh_err **err)
{
        if (!name || !*name)
                return dh_err_set(err, EINVAL, "remove: empty path");
        const char *slash = strrchr(name, '/');
        const char *base = slash ? slash + 1 : name;
        if (!valid_name(base))
                return dh_err_set(err, EINVAL, "%s: refusing to remove", name);
        _cleanup_close_ int pfd = -1;
        if (slash) {
                _cleanup_free_ char *dir = slash == name ? strdup("/")
                                                         : strndup(name, (size_t)(slash - name));
                if (!dir)
                        return dh_err_set(err, ENOMEM, "%s: out of memory", name);
                pfd = openat(dirfd, dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
                if (pfd < 0)
                        return errno == ENOENT ? 0 : dh_err_errno(err, errno, "%s: open", dir);
        }
        int dfd = slash ? pfd : dirfd;
        struct fs_id parent;
        int r = get_id(dfd, "", AT_EMPTY_PATH, &parent);
        if (r < 0)
                return dh_err_errno(err, -r, "%s: stat parent directory", name);
        return rm_entry(dfd, base, &parent, 0, name, err);
}
