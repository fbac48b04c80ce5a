/* subPath mounts made safe as the kubelet's subpath_linux.go does: the
 * path is opened beneath the volume (openat2 RESOLVE_BENEATH: no "..", no
 * absolute or escaping symlink), and that open file, not its name, is
 * bind-mounted to <pod>/volume-subpaths/<volume>/<container>/<index>. The
 * runtime then binds a mount point the container cannot swap for a
 * symlink. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "agent/volumes-internal.h"
#include "lib/atomicfile.h"
#include "lib/buf.h"
#include "lib/cleanup.h"

#define SUBPATH_DIR_PERM 0750
#define SUBPATH_FILE_PERM 0640

static int open_beneath(int dirfd, const char *path, int flags)
{
        struct open_how how = { .flags = (uint64_t)(flags | O_CLOEXEC),
                                .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS };
        long fd = syscall(SYS_openat2, dirfd, path, &how, sizeof how);
        return fd < 0 ? -1 : (int)fd;
}

static int beneath_err(struct dh_err **err, int e, const char *sub)
{
        if (e == EXDEV)
                return dh_err_set(err, EXDEV, "subPath \"%s\" is outside the volume "
                                              "(a symlink or \"..\" leads out of it)", sub);
        return dh_err_errno(err, e, "subPath \"%s\"", sub);
}

/* SafeMakeDir: the longest existing prefix is opened beneath the volume,
 * the rest created one directory at a time without following anything,
 * with the volume root's permission bits. */
static int safe_make_dir(int vol, const char *sub, mode_t perm, struct dh_err **err)
{
        char buf[PATH_MAX];
        if (snprintf(buf, sizeof buf, "%s", sub) >= (int)sizeof buf)
                return dh_err_set(err, ENAMETOOLONG, "subPath \"%s\": too long", sub);
        size_t len = strlen(buf), cut = len;
        _cleanup_close_ int cur = -1;
        for (;;) { /* find the existing prefix buf[0..cut) */
                while (cut > 0 && buf[cut - 1] == '/')
                        cut--;
                char save = buf[cut];
                buf[cut] = '\0';
                cur = cut ? open_beneath(vol, buf, O_PATH | O_DIRECTORY) : fcntl(vol, F_DUPFD_CLOEXEC, 3);
                int e = errno;
                buf[cut] = save;
                if (cur >= 0)
                        break;
                if (e != ENOENT)
                        return beneath_err(err, e, sub);
                while (cut > 0 && buf[cut - 1] != '/')
                        cut--;
        }
        for (char *comp = buf + cut; *comp;) {
                while (*comp == '/')
                        comp++;
                char *end = strchrnul(comp, '/');
                char save = *end;
                *end = '\0';
                int fd = -1;
                int r = *comp ? vol_mkdirat(cur, comp, perm, true, &fd, err) : 0;
                *end = save;
                if (r < 0)
                        return dh_err_prefix(err, "subPath \"%s\"", sub);
                if (fd >= 0) {
                        close(cur);
                        cur = fd;
                }
                comp = end;
        }
        return 0;
}

static int mnt_id(int dirfd, const char *name, uint64_t *id)
{
        struct statx stx;
        int flags = AT_SYMLINK_NOFOLLOW | (*name ? 0 : AT_EMPTY_PATH);
        if (statx(dirfd, name, flags, STATX_MNT_ID, &stx) < 0)
                return -errno;
        *id = (stx.stx_mask & STATX_MNT_ID) ? stx.stx_mnt_id
                                             : ((uint64_t)stx.stx_dev_major << 32 | stx.stx_dev_minor);
        return 0;
}

/* Whether dirfd/name is a mount point (on a mount other than dirfd's). */
static int is_mount_at(int dirfd, const char *name, bool *out)
{
        uint64_t a, b;
        int r = mnt_id(dirfd, "", &a);
        if (r == 0)
                r = mnt_id(dirfd, name, &b);
        if (r == 0)
                *out = a != b;
        return r;
}

/* The bind target, with a mount of src on it if there is none yet. */
static int bind_target(int ctr, const char *name, int src, struct dh_err **err)
{
        struct stat ss, ts;
        bool mounted = false;
        if (fstat(src, &ss) < 0)
                return dh_err_errno(err, errno, "stat the subPath");
        if (fstatat(ctr, name, &ts, AT_SYMLINK_NOFOLLOW) == 0) {
                if (is_mount_at(ctr, name, &mounted) < 0)
                        return dh_err_errno(err, errno, "statx \"%s\"", name);
                if (mounted && ts.st_dev == ss.st_dev && ts.st_ino == ss.st_ino)
                        return 0; /* bound before (agent restart) */
                if (mounted && vol_umount_at(ctr, name, err) < 0)
                        return -EBUSY;
                if (unlinkat(ctr, name, S_ISDIR(ts.st_mode) ? AT_REMOVEDIR : 0) < 0)
                        return dh_err_errno(err, errno, "remove the stale \"%s\"", name);
        }
        if (S_ISDIR(ss.st_mode)) {
                if (mkdirat(ctr, name, SUBPATH_DIR_PERM) < 0)
                        return dh_err_errno(err, errno, "mkdir \"%s\"", name);
        } else {
                /* A file is enough for any non-directory source. */
                int fd = openat(ctr, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                                SUBPATH_FILE_PERM);
                if (fd < 0)
                        return dh_err_errno(err, errno, "create \"%s\"", name);
                close(fd);
        }
        _cleanup_close_ int dst = openat(ctr, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (dst < 0)
                return dh_err_errno(err, errno, "open \"%s\"", name);
        struct vol_fdpath sp, dp;
        /* Safe: both are open fds; /proc/self/fd names exactly those files,
         * whatever happens to the paths inside the volume meanwhile. */
        if (mount(vol_fdpath(&sp, src), vol_fdpath(&dp, dst), NULL, MS_BIND, NULL) < 0) {
                int e = errno;
                unlinkat(ctr, name, S_ISDIR(ss.st_mode) ? AT_REMOVEDIR : 0);
                return dh_err_errno(err, e, "bind mount");
        }
        return 0;
}

static int target_dirs(const struct vol_subpath_req *r, int *ctr_out, struct dh_err **err)
{
        _cleanup_close_ int top = -1, vol = -1;
        int rc = vol_mkdirat(r->pod_fd, VOL_SUBPATHS_DIR, SUBPATH_DIR_PERM, false, &top, err);
        if (rc == 0)
                rc = vol_mkdirat(top, r->volume_name, SUBPATH_DIR_PERM, false, &vol, err);
        if (rc == 0)
                rc = vol_mkdirat(vol, r->container_name, SUBPATH_DIR_PERM, false, ctr_out, err);
        return rc;
}

int vol_subpath_prepare(const struct vol_subpath_req *r, char **host_path, struct dh_err **err)
{
        _cleanup_close_ int vol = open(r->volume_root, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (vol < 0)
                return dh_err_errno(err, errno, "volume path \"%s\"", r->volume_root);
        _cleanup_close_ int src = open_beneath(vol, r->subpath, O_PATH);
        if (src < 0 && errno == ENOENT) {
                /* Created now with the volume's mode, as the kubelet does,
                 * rather than later by the runtime with another. */
                struct stat st;
                if (fstat(vol, &st) < 0)
                        return dh_err_errno(err, errno, "stat the volume");
                int rc = safe_make_dir(vol, r->subpath, st.st_mode & 07777, err);
                if (rc < 0)
                        return rc;
                src = open_beneath(vol, r->subpath, O_PATH);
        }
        if (src < 0)
                return beneath_err(err, errno, r->subpath);
        _cleanup_close_ int ctr = -1;
        char idx[24];
        snprintf(idx, sizeof idx, "%zu", r->index);
        int rc = target_dirs(r, &ctr, err);
        if (rc == 0)
                rc = bind_target(ctr, idx, src, err);
        if (rc < 0)
                return rc;
        if (asprintf(host_path, "%s/" VOL_SUBPATHS_DIR "/%s/%s/%s", r->pod_dir, r->volume_name,
                     r->container_name, idx) < 0)
                return dh_err_set(err, ENOMEM, "out of memory");
        return 0;
}

/* Unmounts every <volume>/<container>/<index> under volume-subpaths. */
static void unmount_level(int dirfd, int depth, struct dh_err **err)
{
        int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *d = fd < 0 ? NULL : fdopendir(fd);
        if (!d) {
                if (fd >= 0)
                        close(fd);
                dh_err_errno(err, errno, "read " VOL_SUBPATHS_DIR);
                return;
        }
        struct dirent *de;
        while ((de = readdir(d))) {
                if (!vol_is_component(de->d_name))
                        continue;
                if (depth == 2) {
                        bool mounted = false;
                        if (is_mount_at(dirfd, de->d_name, &mounted) == 0 && mounted)
                                vol_umount_at(dirfd, de->d_name, err);
                        continue;
                }
                _cleanup_close_ int sub = -1;
                if (de->d_type == DT_DIR && vol_opendirat(dirfd, de->d_name, &sub, err) == 0)
                        unmount_level(sub, depth + 1, err);
        }
        closedir(d);
}

int vol_subpaths_clean(int pod_fd, struct dh_err **err)
{
        _cleanup_close_ int top = -1;
        int r = vol_opendirat(pod_fd, VOL_SUBPATHS_DIR, &top, err);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        struct dh_err *e = NULL;
        unmount_level(top, 0, &e);
        dh_rm_rf_at(pod_fd, VOL_SUBPATHS_DIR, &e);
        if (!e)
                return 0;
        r = -e->code;
        if (err && !*err)
                *err = e;
        else
                dh_err_free(e);
        return r;
}

/* expansion.Expand's syntax: "$(NAME)" is replaced, "$$" is "$", and
 * anything else after "$" (or an unclosed "$(") stays as written. */
static const char *env_get(const struct rt_kvs *env, const char *name, size_t len)
{
        const char *v = NULL;
        for (size_t i = 0; env && i < env->n; i++) /* the last definition wins */
                if (env->v[i].key && strlen(env->v[i].key) == len && memcmp(env->v[i].key, name, len) == 0)
                        v = env->v[i].value;
        return v;
}

static int add_missing(struct dh_strv *m, const char *name, size_t len)
{
        for (size_t i = 0; i < m->n; i++)
                if (strlen(m->v[i]) == len && memcmp(m->v[i], name, len) == 0)
                        return 0;
        char **nv = realloc(m->v, (m->n + 1) * sizeof *nv);
        if (!nv)
                return -ENOMEM;
        m->v = nv;
        if (!(m->v[m->n] = strndup(name, len)))
                return -ENOMEM;
        m->n++;
        return 0;
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

static void strv_clear(struct dh_strv *v)
{
        for (size_t i = 0; i < v->n; i++)
                free(v->v[i]);
        free(v->v);
}

static int missing_err(struct dh_strv *m, struct dh_err **err)
{
        qsort(m->v, m->n, sizeof *m->v, cmp_str);
        char list[1024] = "";
        size_t off = 0;
        for (size_t i = 0; i < m->n && off < sizeof list; i++)
                off += (size_t)snprintf(list + off, sizeof list - off, "%s%s", i ? ", " : "", m->v[i]);
        return dh_err_set(err, DH_EINVAL_INPUT, "missing value for %s", list);
}

int vol_expand_subpath_expr(const char *expr, const struct rt_kvs *env, char **out,
                            struct dh_err **err)
{
        _cleanup_(strv_clear) struct dh_strv missing = { 0 };
        _cleanup_(dh_buf_free) struct dh_buf b;
        dh_buf_init(&b, PATH_MAX); /* the result is a path */
        int r = dh_buf_puts(&b, "", err);
        for (const char *s = expr; r == 0 && *s;) {
                const char *close_p;
                if (s[0] != '$' || !s[1]) {
                        r = dh_buf_append(&b, s++, 1, err);
                } else if (s[1] == '$') {
                        r = dh_buf_append(&b, "$", 1, err);
                        s += 2;
                } else if (s[1] == '(' && (close_p = strchr(s + 2, ')'))) {
                        size_t nlen = (size_t)(close_p - s - 2);
                        const char *v = env_get(env, s + 2, nlen);
                        if ((!v || !*v) && add_missing(&missing, s + 2, nlen) < 0)
                                return dh_err_set(err, ENOMEM, "out of memory");
                        r = dh_buf_puts(&b, v ? v : "", err);
                        s = close_p + 1;
                } else {
                        r = dh_buf_append(&b, s++, 1, err);
                }
        }
        if (r < 0)
                return dh_err_prefix(err, "subPathExpr \"%s\"", expr);
        if (missing.n)
                return missing_err(&missing, err);
        *out = dh_buf_steal(&b);
        return 0;
}
