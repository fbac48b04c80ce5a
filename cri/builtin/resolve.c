/* Path resolution confined to a container root (resolve.h). openat2(2)
 * with RESOLVE_IN_ROOT does it in the kernel when nothing has to be
 * created; otherwise a walk opens one component at a time with
 * O_PATH|O_NOFOLLOW, keeps an fd per directory level (so ".." pops an fd
 * instead of looking up "..", which a concurrent rename could move outside
 * the root), and re-resolves each symlink's text under the root itself. */
#include "cri/builtin/resolve.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/cleanup.h"

#define CREATING (RT_RESOLVE_CREATE_DIR | RT_RESOLVE_CREATE_FILE)

struct walk {
        int rootfd;                      /* not owned */
        int flags;
        int depth;                       /* fds in stack */
        int links;                       /* symlinks followed so far */
        size_t pos;                      /* next unread byte of rest */
        int stack[RT_RESOLVE_MAX_DEPTH]; /* owned fds of the directories below the root */
        char rest[PATH_MAX];             /* the path still to resolve */
};

static int walk_top(const struct walk *w)
{
        return w->depth ? w->stack[w->depth - 1] : w->rootfd;
}

static void walk_reset(struct walk *w)
{
        while (w->depth > 0)
                close(w->stack[--w->depth]);
}

/* Copies the next component to comp. Returns 1, or 0 at the end. */
static int walk_next(struct walk *w, char comp[NAME_MAX + 1], bool *last, struct dh_err **err)
{
        const char *s = w->rest + w->pos;
        while (*s == '/')
                s++;
        size_t n = strcspn(s, "/");
        if (n == 0)
                return 0;
        if (n > NAME_MAX)
                return dh_err_set(err, ENAMETOOLONG, "resolve in rootfs: \"%.*s...\": file name too long",
                                  32, s);
        memcpy(comp, s, n);
        comp[n] = '\0';
        s += n;
        w->pos = (size_t)(s - w->rest);
        while (*s == '/')
                s++;
        *last = *s == '\0';
        return 1;
}

/* procfs magic links (/proc/<pid>/root, fd/N, exe, ns/...) read as absolute
 * paths or "type:[inode]"; refuse them as RESOLVE_NO_MAGICLINKS does. Plain
 * procfs symlinks (/proc/self -> "1") are relative names. */
static bool is_magic_link(int linkfd, const char *target)
{
        struct statfs sfs;
        if (fstatfs(linkfd, &sfs) < 0 || sfs.f_type != PROC_SUPER_MAGIC)
                return false;
        return target[0] == '/' || strchr(target, ':') != NULL;
}

/* Replaces the consumed part of the path with the link's text. */
static int walk_follow(struct walk *w, int linkfd, const char *comp, struct dh_err **err)
{
        if (++w->links > RT_RESOLVE_MAX_LINKS)
                return dh_err_set(err, ELOOP, "resolve in rootfs: \"%s\": too many levels of symbolic links",
                                  comp);
        char target[PATH_MAX];
        ssize_t n = readlinkat(linkfd, "", target, sizeof target);
        if (n < 0)
                return dh_err_errno(err, errno, "resolve in rootfs: \"%s\": readlink", comp);
        if ((size_t)n >= sizeof target)
                return dh_err_set(err, ENAMETOOLONG, "resolve in rootfs: \"%s\": link target too long", comp);
        target[n] = '\0';
        if (n == 0)
                return dh_err_set(err, ENOENT, "resolve in rootfs: \"%s\": empty symbolic link", comp);
        if (is_magic_link(linkfd, target))
                return dh_err_set(err, ELOOP, "resolve in rootfs: \"%s\": refusing to follow a procfs magic link",
                                  comp);
        char joined[PATH_MAX];
        int len = snprintf(joined, sizeof joined, "%s/%s", target, w->rest + w->pos);
        if (len < 0 || (size_t)len >= sizeof joined)
                return dh_err_set(err, ENAMETOOLONG, "resolve in rootfs: \"%s\": path too long after the link",
                                  comp);
        memcpy(w->rest, joined, (size_t)len + 1);
        w->pos = 0;
        if (target[0] == '/')
                walk_reset(w); /* absolute links restart at the root, not the host's "/" */
        return 0;
}

/* Creates a missing component (a directory, or for the last one an empty
 * file when asked) under the current directory fd and opens it. */
static int walk_create(struct walk *w, const char *comp, bool last, struct dh_err **err)
{
        int dir = walk_top(w);
        if (last && (w->flags & RT_RESOLVE_CREATE_FILE)) {
                int f = openat(dir, comp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY,
                               0644);
                if (f < 0 && errno != EEXIST)
                        return dh_err_errno(err, errno, "resolve in rootfs: \"%s\": create", comp);
                if (f >= 0)
                        close(f);
        } else if (mkdirat(dir, comp, 0755) < 0 && errno != EEXIST) {
                return dh_err_errno(err, errno, "resolve in rootfs: \"%s\": mkdir", comp);
        }
        /* Opened again with O_NOFOLLOW: if a symlink raced in, the walk sees it as one. */
        int fd = openat(dir, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return dh_err_errno(err, errno, "resolve in rootfs: \"%s\"", comp);
        return fd;
}

static int walk_open(struct walk *w, const char *comp, bool last, struct dh_err **err)
{
        int fd = openat(walk_top(w), comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (fd >= 0)
                return fd;
        if (errno == ENOENT && (w->flags & CREATING))
                return walk_create(w, comp, last, err);
        return dh_err_errno(err, errno, "resolve in rootfs: \"%s\"", comp);
}

/* One component: returns 1 when it was the result (*fd_out set), else 0. */
static int walk_step(struct walk *w, const char *comp, bool last, int *fd_out, struct dh_err **err)
{
        if (strcmp(comp, ".") == 0)
                return 0;
        if (strcmp(comp, "..") == 0) {
                if (w->depth > 0) /* at the root ".." stays at the root */
                        close(w->stack[--w->depth]);
                return 0;
        }
        _cleanup_close_ int fd = walk_open(w, comp, last, err);
        if (fd < 0)
                return fd;
        struct stat st;
        if (fstat(fd, &st) < 0)
                return dh_err_errno(err, errno, "resolve in rootfs: \"%s\": stat", comp);
        if (S_ISLNK(st.st_mode))
                return walk_follow(w, fd, comp, err);
        if (last) {
                *fd_out = TAKE_FD(fd);
                return 1;
        }
        if (!S_ISDIR(st.st_mode))
                return dh_err_set(err, ENOTDIR, "resolve in rootfs: \"%s\": not a directory", comp);
        if (w->depth >= RT_RESOLVE_MAX_DEPTH)
                return dh_err_set(err, DH_ELIMIT, "resolve in rootfs: more than %d directory levels",
                                  RT_RESOLVE_MAX_DEPTH);
        w->stack[w->depth++] = TAKE_FD(fd);
        return 0;
}

static int walk_run(struct walk *w, int *fd_out, struct dh_err **err)
{
        char comp[NAME_MAX + 1];
        bool last = false;
        int r;
        while ((r = walk_next(w, comp, &last, err)) > 0) {
                r = walk_step(w, comp, last, fd_out, err);
                if (r != 0)
                        return r < 0 ? r : 0;
        }
        if (r < 0)
                return r;
        /* The path ended in a directory already on the stack ("/", "a/.."). */
        int fd = fcntl(walk_top(w), F_DUPFD_CLOEXEC, 3);
        if (fd < 0)
                return dh_err_errno(err, errno, "resolve in rootfs: dup");
        *fd_out = fd;
        return 0;
}

static int resolve_walk(int rootfd, const char *path, int flags, int *fd_out, struct dh_err **err)
{
        struct walk w = { .rootfd = rootfd, .flags = flags };
        memcpy(w.rest, path, strlen(path) + 1);
        int r = walk_run(&w, fd_out, err);
        walk_reset(&w);
        return r;
}

/* The kernel's own confined lookup: 0, or -errno. */
static int resolve_openat2(int rootfd, const char *path, int *fd_out)
{
        struct open_how how = {
                .flags = O_PATH | O_CLOEXEC,
                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
        };
        /* EAGAIN means a rename elsewhere raced the lookup; the kernel asks us to retry. */
        for (int i = 0; i < 16; i++) {
                long fd = syscall(SYS_openat2, rootfd, path, &how, sizeof how);
                if (fd >= 0) {
                        *fd_out = (int)fd;
                        return 0;
                }
                if (errno != EAGAIN)
                        return -errno;
        }
        return -EAGAIN;
}

int rt_resolve_in_root(int rootfd, const char *path, int flags, int *fd_out, struct dh_err **err)
{
        if (!path || !*path)
                return dh_err_set(err, EINVAL, "resolve in rootfs: empty path");
        if (strlen(path) >= PATH_MAX)
                return dh_err_set(err, ENAMETOOLONG, "resolve in rootfs: path too long");
        if (!(flags & RT_RESOLVE_NO_OPENAT2)) {
                int fd = -1;
                int r = resolve_openat2(rootfd, path, &fd);
                if (r == 0) {
                        *fd_out = fd;
                        return 0;
                }
                /* Fall back to the walk to create what is missing, or when the
                 * kernel (or a seccomp filter) lacks openat2. */
                bool walk = (r == -ENOENT && (flags & CREATING)) || r == -ENOSYS || r == -EPERM ||
                            r == -EAGAIN || r == -EXDEV || r == -E2BIG;
                if (!walk)
                        return dh_err_errno(err, -r, "resolve in rootfs: \"%s\"", path);
        }
        return resolve_walk(rootfd, path, flags, fd_out, err);
}

int rt_resolve_parent(int rootfd, const char *path, int flags, int *dirfd_out, char *leaf,
                      size_t leaf_size, struct dh_err **err)
{
        size_t len = path ? strlen(path) : 0;
        while (len > 1 && path[len - 1] == '/')
                len--;
        if (len == 0)
                return dh_err_set(err, EINVAL, "resolve in rootfs: empty path");
        if (len >= PATH_MAX)
                return dh_err_set(err, ENAMETOOLONG, "resolve in rootfs: path too long");
        char dir[PATH_MAX];
        memcpy(dir, path, len);
        dir[len] = '\0';
        char *slash = strrchr(dir, '/');
        const char *name = slash ? slash + 1 : dir;
        if (!*name || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
                return dh_err_set(err, EINVAL, "resolve in rootfs: \"%s\": does not name a file", path);
        size_t name_len = strlen(name);
        if (name_len >= leaf_size || name_len > NAME_MAX)
                return dh_err_set(err, ENAMETOOLONG, "resolve in rootfs: \"%s\": file name too long", path);
        char name_copy[NAME_MAX + 1];
        memcpy(name_copy, name, name_len + 1);
        const char *parent = ".";
        if (slash) {
                *slash = '\0';
                parent = dir[0] ? dir : "/";
        }
        int pflags = (flags & RT_RESOLVE_NO_OPENAT2) | ((flags & CREATING) ? RT_RESOLVE_CREATE_DIR : 0);
        int fd = -1;
        int r = rt_resolve_in_root(rootfd, parent, pflags, &fd, err);
        if (r < 0)
                return r;
        memcpy(leaf, name_copy, name_len + 1);
        *dirfd_out = fd;
        return 0;
}
