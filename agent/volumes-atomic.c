/* The kubelet's AtomicWriter layout (pkg/volume/util/atomic_writer.go) in
 * a volume directory: the payload lives in "..<UTC timestamp>.<random>",
 * "..data" is a symlink to it that is replaced by rename(2), and each
 * top-level name is a symlink into "..data". Readers that go through the
 * names see either the old or the new payload, never a mix. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "agent/volumes-internal.h"
#include "lib/atomicfile.h"
#include "lib/cleanup.h"
#include "lib/fileio.h"

#define DATA_LINK "..data"
#define DATA_TMP_LINK "..data_tmp"
/* Deepest payload path and most files compared in an old payload. */
#define MAX_DEPTH 32
#define MAX_FILES 4096

static int open_beneath(int dirfd, const char *path, int flags)
{
        struct open_how how = { .flags = (uint64_t)(flags | O_CLOEXEC | O_NOFOLLOW),
                                .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS };
        long fd = syscall(SYS_openat2, dirfd, path, &how, sizeof how);
        return fd < 0 ? -1 : (int)fd;
}

/* Whether f is in old exactly (content and permission bits). */
static bool same_file(int old, const struct vol_payload_file *f)
{
        _cleanup_close_ int fd = open_beneath(old, f->path, O_RDONLY | O_NOCTTY | O_NONBLOCK);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (st.st_mode & 07777) != f->mode ||
            (size_t)st.st_size != f->len)
                return false;
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        if (dh_read_fd(fd, f->path, f->len + 1, &data, &len, NULL) < 0)
                return false;
        return len == f->len && memcmp(data, f->data, len) == 0;
}

/* Regular files under dirfd, recursively; -1 past the limits. */
static long count_files(int dir_fd, int depth)
{
        if (depth > MAX_DEPTH)
                return -1;
        int fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *d = fd < 0 ? NULL : fdopendir(fd);
        if (!d) {
                if (fd >= 0)
                        close(fd);
                return -1;
        }
        long n = 0;
        struct dirent *de;
        while (n >= 0 && n <= MAX_FILES && (de = readdir(d))) {
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                if (de->d_type == DT_REG) {
                        n++;
                } else if (de->d_type == DT_DIR) {
                        _cleanup_close_ int sub = openat(dir_fd, de->d_name,
                                                         O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                        long m = sub < 0 ? -1 : count_files(sub, depth + 1);
                        n = m < 0 ? -1 : n + m;
                } else {
                        n = -1;
                }
        }
        closedir(d);
        return n > MAX_FILES ? -1 : n;
}

static bool payload_unchanged(int dirfd, const char *old_name, const struct vol_payload_file *files,
                              size_t n)
{
        _cleanup_close_ int old = openat(dirfd, old_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (old < 0 || count_files(old, 0) != (long)n)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!same_file(old, &files[i]))
                        return false;
        return true;
}

/* "..2006_01_02_15_04_05.<random>", as os.MkdirTemp with the kubelet's
 * time format; mode 0755. */
static int new_ts_dir(int dirfd, char *name, size_t size, int *fd_out, struct dh_err **err)
{
        struct timespec ts;
        struct tm tm;
        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        for (int tries = 0; tries < 16; tries++) {
                uint32_t rnd = 0;
                if (getrandom(&rnd, sizeof rnd, GRND_NONBLOCK) != sizeof rnd)
                        rnd = (uint32_t)ts.tv_nsec + (uint32_t)tries;
                char stamp[32];
                strftime(stamp, sizeof stamp, "..%Y_%m_%d_%H_%M_%S.", &tm);
                snprintf(name, size, "%s%u", stamp, rnd);
                if (mkdirat(dirfd, name, 0700) == 0)
                        return vol_mkdirat(dirfd, name, 0755, true, fd_out, err);
                if (errno != EEXIST)
                        return dh_err_errno(err, errno, "mkdir \"%s\"", name);
        }
        return dh_err_set(err, EEXIST, "no unused timestamp directory name");
}

/* Creates the directories of path (all but the last component) under
 * base and returns the last one's fd and the file's name in it. */
static int file_parent(int base, const char *path, int *dir_out, const char **leaf,
                       struct dh_err **err)
{
        _cleanup_close_ int cur = fcntl(base, F_DUPFD_CLOEXEC, 3);
        if (cur < 0)
                return dh_err_errno(err, errno, "dup");
        const char *comp = path;
        for (const char *slash; (slash = strchr(comp, '/')); comp = slash + 1) {
                char name[NAME_MAX + 1];
                if ((size_t)(slash - comp) > NAME_MAX)
                        return dh_err_set(err, ENAMETOOLONG, "\"%s\": name too long", path);
                snprintf(name, sizeof name, "%.*s", (int)(slash - comp), comp);
                int fd = -1;
                if (vol_mkdirat(cur, name, 0755, true, &fd, err) < 0)
                        return dh_err_prefix(err, "\"%s\"", path);
                close(cur);
                cur = fd;
        }
        if (!vol_is_component(comp))
                return dh_err_set(err, EINVAL, "\"%s\": not a file path", path);
        *leaf = comp;
        *dir_out = TAKE_FD(cur);
        return 0;
}

static int write_file(int ts, const struct vol_payload_file *f, struct dh_err **err)
{
        _cleanup_close_ int dir = -1;
        const char *leaf = NULL;
        int r = file_parent(ts, f->path, &dir, &leaf, err);
        if (r < 0)
                return r;
        return dh_write_file_atomic(dir, leaf, f->data, f->len, f->mode, err);
}

/* The first component of a payload path. */
static size_t top_len(const char *path)
{
        const char *s = strchr(path, '/');
        return s ? (size_t)(s - path) : strlen(path);
}

static bool in_payload(const char *name, const struct vol_payload_file *files, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (top_len(files[i].path) == strlen(name) && strncmp(files[i].path, name, strlen(name)) == 0)
                        return true;
        return false;
}

/* One symlink per top-level name into ..data (existing names are kept, as
 * createUserVisibleFiles), and the names the old payload had but the new
 * one has not are removed. */
static int visible_links(int dirfd, const struct vol_payload_file *files, size_t n,
                         struct dh_err **err)
{
        for (size_t i = 0; i < n; i++) {
                char name[NAME_MAX + 1], target[NAME_MAX + 16];
                size_t l = top_len(files[i].path);
                if (l > NAME_MAX)
                        return dh_err_set(err, ENAMETOOLONG, "\"%s\": name too long", files[i].path);
                snprintf(name, sizeof name, "%.*s", (int)l, files[i].path);
                snprintf(target, sizeof target, DATA_LINK "/%s", name);
                if (symlinkat(target, dirfd, name) < 0 && errno != EEXIST)
                        return dh_err_errno(err, errno, "symlink \"%s\"", name);
        }
        _cleanup_close_ int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *d = fd < 0 ? NULL : fdopendir(fd);
        if (!d)
                return dh_err_errno(err, errno, "read the volume directory");
        fd = -1;
        struct dirent *de;
        int r = 0;
        while (r == 0 && (de = readdir(d)))
                if (de->d_type == DT_LNK && strncmp(de->d_name, "..", 2) != 0 &&
                    !in_payload(de->d_name, files, n) && unlinkat(dirfd, de->d_name, 0) < 0)
                        r = dh_err_errno(err, errno, "remove \"%s\"", de->d_name);
        closedir(d);
        return r;
}

int vol_atomic_write(int dirfd, const struct vol_payload_file *files, size_t n,
                     struct dh_err **err)
{
        char old[NAME_MAX + 1] = "";
        ssize_t l = readlinkat(dirfd, DATA_LINK, old, sizeof old - 1);
        if (l < 0 && errno != ENOENT)
                return dh_err_errno(err, errno, "readlink " DATA_LINK);
        old[l > 0 ? l : 0] = '\0';
        if (l > 0 && (strncmp(old, "..", 2) != 0 || strchr(old, '/')))
                return dh_err_set(err, EINVAL, DATA_LINK " points at \"%s\", not a payload directory", old);
        if (l > 0 && payload_unchanged(dirfd, old, files, n))
                return 0;
        char ts_name[NAME_MAX + 1];
        _cleanup_close_ int ts = -1;
        int r = new_ts_dir(dirfd, ts_name, sizeof ts_name, &ts, err);
        for (size_t i = 0; r == 0 && i < n; i++)
                r = write_file(ts, &files[i], err);
        if (r == 0 && unlinkat(dirfd, DATA_TMP_LINK, 0) < 0 && errno != ENOENT)
                r = dh_err_errno(err, errno, "remove " DATA_TMP_LINK);
        if (r == 0 && symlinkat(ts_name, dirfd, DATA_TMP_LINK) < 0)
                r = dh_err_errno(err, errno, "symlink " DATA_TMP_LINK);
        if (r == 0 && renameat(dirfd, DATA_TMP_LINK, dirfd, DATA_LINK) < 0)
                r = dh_err_errno(err, errno, "rename " DATA_TMP_LINK " to " DATA_LINK);
        if (r < 0) {
                dh_rm_rf_at(dirfd, ts_name, NULL);
                return r;
        }
        r = visible_links(dirfd, files, n, err);
        if (r == 0 && l > 0)
                r = dh_rm_rf_at(dirfd, old, err);
        return r;
}
