/* Layer unpacking: a streaming tar reader (ustar, GNU 'L'/'K', PAX 'x'/'g')
 * with bounded memory, and the code that applies each entry under the
 * destination directory fd without ever following a symlink or leaving the
 * directory. */
#include "cri/image/unpack.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "lib/atomicfile.h"
#include "lib/cleanup.h"
#include "lib/fileio.h"

#define BLOCK 512
#define PATHBUF (IMG_UNPACK_PATH_MAX + 1)
#define MAX_XATTRS 64
/* Metadata headers in a row before a real entry: real archives use <= 3. */
#define MAX_META_RUN 16
#define WH_PREFIX ".wh."
#define WH_OPAQUE ".wh..wh..opq"

struct xattr_rec {
        const char *name;
        const char *val;
        size_t len;
};

/* Overridable fields of an entry; flags say which a PAX/GNU header set. */
enum { OV_PATH = 1, OV_LINK = 2, OV_SIZE = 4, OV_UID = 8, OV_GID = 16, OV_MTIME = 32 };

struct tar_entry {
        char path[PATHBUF];
        char link[PATHBUF];
        char type;
        mode_t mode;
        uint64_t uid, gid, size;
        struct timespec mtime;
        unsigned dmaj, dmin;
        size_t nxattr;
        struct xattr_rec xattr[MAX_XATTRS];
        unsigned set; /* OV_* flags, for pending overrides */
};

struct unpack {
        const struct img_reader *rd;
        int dest;
        bool root;
        struct img_unpack_limits lim;
        struct img_unpack_stats st;
        uint64_t data_bytes; /* all entry data read, for max_total_bytes */
        size_t off, len;
        unsigned char buf[IMG_UNPACK_BUF_SIZE];
        char *pax;     /* local PAX data; xattr records point into it */
        char *gpax;    /* global PAX data */
        struct tar_entry e, local, global;
};

void img_unpack_limits_default(struct img_unpack_limits *lim)
{
        lim->max_entries = 1000000;
        lim->max_total_bytes = 64ULL << 30;
        lim->max_path = IMG_UNPACK_PATH_MAX;
        lim->max_file_size = 16ULL << 30;
}

/* ---- streaming reader ---- */

/* Hands out up to want bytes straight from the buffer (no copy); EOF here
 * is always a truncated archive because callers know how much must come. */
static int rd_chunk(struct unpack *u, size_t want, const unsigned char **p, size_t *n,
                    struct dh_err **err)
{
        if (u->off == u->len) {
                ssize_t k = u->rd->read(u->rd->ctx, u->buf, sizeof(u->buf), err);
                if (k < 0)
                        return k >= INT_MIN ? (int)k : -EIO;
                if (k == 0)
                        return dh_err_set(err, DH_EINVAL_INPUT, "truncated archive");
                u->off = 0;
                u->len = (size_t)k;
        }
        assert(u->len > 0 && u->len <= sizeof(u->buf));
        size_t c = u->len - u->off;
        if (c > want)
                c = want;
        *p = u->buf + u->off;
        *n = c;
        u->off += c;
        return 0;
}

/* Copies n bytes to dst, or skips them when dst is NULL. */
static int rd_get(struct unpack *u, void *dst, uint64_t n, struct dh_err **err)
{
        unsigned char *d = dst;
        while (n > 0) {
                const unsigned char *p;
                size_t c;
                int r = rd_chunk(u, n > SIZE_MAX ? SIZE_MAX : (size_t)n, &p, &c, err);
                if (r < 0)
                        return r;
                if (d) {
                        memcpy(d, p, c);
                        d += c;
                }
                n -= c;
        }
        return 0;
}

static uint64_t pad_of(uint64_t size)
{
        return (BLOCK - size % BLOCK) % BLOCK;
}

/* ---- header parsing ---- */

/* Octal (space/NUL terminated) or GNU base-256 numeric field. */
static int parse_num(const unsigned char *f, size_t n, uint64_t *out)
{
        uint64_t v = 0;
        if (f[0] & 0x80) {
                if (f[0] & 0x40)
                        return -1; /* negative */
                v = f[0] & 0x3f;
                for (size_t i = 1; i < n; i++) {
                        if (v >> 56)
                                return -1;
                        v = (v << 8) | f[i];
                }
                *out = v;
                return 0;
        }
        size_t i = 0;
        while (i < n && (f[i] == ' ' || f[i] == '\0'))
                i++;
        for (; i < n && f[i] >= '0' && f[i] <= '7'; i++) {
                if (v >> 60)
                        return -1;
                v = (v << 3) | (uint64_t)(f[i] - '0');
        }
        for (; i < n; i++)
                if (f[i] != ' ' && f[i] != '\0')
                        return -1;
        *out = v;
        return 0;
}

static bool checksum_ok(const unsigned char *h)
{
        uint64_t want;
        if (parse_num(h + 148, 8, &want) < 0)
                return false;
        /* Old tars summed signed chars; accept either, as GNU tar does. */
        uint64_t us = 0;
        int64_t ss = 0;
        for (int i = 0; i < BLOCK; i++) {
                unsigned char c = (i >= 148 && i < 156) ? ' ' : h[i];
                us += c;
                ss += (signed char)c;
        }
        return us == want || (ss >= 0 && (uint64_t)ss == want);
}

static bool all_zero(const unsigned char *h)
{
        for (int i = 0; i < BLOCK; i++)
                if (h[i])
                        return false;
        return true;
}

/* Copies a fixed-width, maybe unterminated field. */
static void field_str(char *dst, const unsigned char *f, size_t n)
{
        size_t l = strnlen((const char *)f, n);
        memcpy(dst, f, l);
        dst[l] = '\0';
}

static int parse_header(const unsigned char *h, struct tar_entry *e,
                        struct dh_err **err)
{
        uint64_t mode, dmaj, dmin, mt;
        if (!checksum_ok(h))
                return dh_err_set(err, DH_EINVAL_INPUT, "tar header checksum mismatch");
        if (parse_num(h + 100, 8, &mode) < 0 || parse_num(h + 108, 8, &e->uid) < 0 ||
            parse_num(h + 116, 8, &e->gid) < 0 || parse_num(h + 124, 12, &e->size) < 0 ||
            parse_num(h + 136, 12, &mt) < 0 || parse_num(h + 329, 8, &dmaj) < 0 ||
            parse_num(h + 337, 8, &dmin) < 0 || mt > INT64_MAX || dmaj > UINT_MAX ||
            dmin > UINT_MAX)
                return dh_err_set(err, DH_EINVAL_INPUT, "tar header: bad numeric field");
        e->mode = (mode_t)(mode & 07777);
        e->mtime = (struct timespec){ .tv_sec = (time_t)mt };
        e->dmaj = (unsigned)dmaj;
        e->dmin = (unsigned)dmin;
        e->type = h[156] ? (char)h[156] : '0';
        e->nxattr = 0;
        char name[101], prefix[156];
        field_str(name, h, 100);
        field_str(e->link, h + 157, 100);
        /* Only POSIX ustar has the prefix field; GNU keeps times there. */
        bool posix = memcmp(h + 257, "ustar\0", 6) == 0;
        prefix[0] = '\0';
        if (posix)
                field_str(prefix, h + 345, 155);
        size_t pl = strlen(prefix), nl = strlen(name);
        if (pl) {
                memcpy(e->path, prefix, pl);
                e->path[pl++] = '/';
        }
        memcpy(e->path + pl, name, nl + 1);
        return 0;
}

/* ---- PAX and GNU metadata headers ---- */

static int set_override_path(struct unpack *u, char *dst, const char *v, size_t len,
                             const char *what, struct dh_err **err)
{
        if (memchr(v, '\0', len))
                return dh_err_set(err, DH_EINVAL_INPUT, "PAX %s contains a NUL byte", what);
        if (len > u->lim.max_path)
                return dh_err_set(err, DH_ELIMIT, "PAX %s longer than max_path (%zu)", what,
                                  u->lim.max_path);
        memcpy(dst, v, len);
        dst[len] = '\0';
        return 0;
}

static int pax_num(const char *v, size_t len, uint64_t *out, long *nsec)
{
        uint64_t x = 0;
        size_t i = 0;
        if (len == 0)
                return -1;
        for (; i < len && v[i] >= '0' && v[i] <= '9'; i++) {
                if (x > (UINT64_MAX - 9) / 10)
                        return -1;
                x = x * 10 + (uint64_t)(v[i] - '0');
        }
        long ns = 0;
        int digits = 0;
        if (nsec && i < len && v[i] == '.')
                for (i++; i < len && v[i] >= '0' && v[i] <= '9'; i++)
                        if (digits++ < 9)
                                ns = ns * 10 + (v[i] - '0');
        while (nsec && digits++ < 9)
                ns *= 10;
        if (i != len || i == 0)
                return -1;
        *out = x;
        if (nsec)
                *nsec = ns;
        return 0;
}

static int pax_record(struct unpack *u, struct tar_entry *o, bool global, char *key, char *v,
                      size_t len, struct dh_err **err)
{
        uint64_t x;
        long ns;
        if (strcmp(key, "path") == 0 && !global) {
                o->set |= OV_PATH;
                return set_override_path(u, o->path, v, len, "path", err);
        }
        if (strcmp(key, "linkpath") == 0 && !global) {
                o->set |= OV_LINK;
                return set_override_path(u, o->link, v, len, "linkpath", err);
        }
        if (strncmp(key, "SCHILY.xattr.", 13) == 0 && !global) {
                if (o->nxattr == MAX_XATTRS)
                        return dh_err_set(err, DH_ELIMIT, "more than %d xattrs", MAX_XATTRS);
                o->xattr[o->nxattr++] = (struct xattr_rec){ key + 13, v, len };
                return 0;
        }
        unsigned flag = strcmp(key, "size") == 0 && !global ? OV_SIZE
                      : strcmp(key, "uid") == 0               ? OV_UID
                      : strcmp(key, "gid") == 0               ? OV_GID
                      : strcmp(key, "mtime") == 0             ? OV_MTIME
                                                              : 0;
        if (!flag)
                return 0; /* atime, uname, comments...: not needed for a layer */
        if (pax_num(v, len, &x, flag == OV_MTIME ? &ns : NULL) < 0 ||
            (flag == OV_MTIME && x > INT64_MAX))
                return dh_err_set(err, DH_EINVAL_INPUT, "PAX %s: bad number", key);
        o->set |= flag;
        if (flag == OV_SIZE)
                o->size = x;
        else if (flag == OV_UID)
                o->uid = x;
        else if (flag == OV_GID)
                o->gid = x;
        else
                o->mtime = (struct timespec){ .tv_sec = (time_t)x, .tv_nsec = ns };
        return 0;
}

/* Parses "<len> <key>=<value>\n" records in place (NUL-terminating keys
 * and values, so xattr records can point into the buffer). */
static int pax_parse(struct unpack *u, char *d, size_t n, bool global, struct dh_err **err)
{
        struct tar_entry *o = global ? &u->global : &u->local;
        size_t off = 0;
        while (off < n) {
                size_t rl = 0, i = off;
                for (; i < n && d[i] >= '0' && d[i] <= '9' && rl <= n; i++)
                        rl = rl * 10 + (size_t)(d[i] - '0');
                if (i >= n || d[i] != ' ' || rl <= i - off + 1 || rl > n - off ||
                    d[off + rl - 1] != '\n')
                        return dh_err_set(err, DH_EINVAL_INPUT, "malformed PAX record");
                char *key = d + i + 1, *end = d + off + rl - 1;
                char *eq = memchr(key, '=', (size_t)(end - key));
                if (!eq || eq == key || memchr(key, '\0', (size_t)(eq - key)))
                        return dh_err_set(err, DH_EINVAL_INPUT, "malformed PAX record");
                *eq = '\0';
                *end = '\0';
                int r = pax_record(u, o, global, key, eq + 1, (size_t)(end - eq - 1), err);
                if (r < 0)
                        return r;
                off += rl;
        }
        return 0;
}

static int read_meta(struct unpack *u, const struct tar_entry *h, struct dh_err **err)
{
        bool pax = h->type == 'x' || h->type == 'g';
        size_t max = pax ? IMG_UNPACK_PAX_MAX : u->lim.max_path + 1;
        if (h->size > max)
                return dh_err_set(err, DH_ELIMIT, "%s header of %llu bytes exceeds %s (%zu)",
                                  pax ? "PAX" : "GNU long name", (unsigned long long)h->size,
                                  pax ? "the PAX limit" : "max_path", max);
        _cleanup_free_ char *d = malloc(h->size + 1);
        if (!d)
                return dh_err_errno(err, ENOMEM, "tar metadata");
        int r = rd_get(u, d, h->size, err);
        if (r < 0 || (r = rd_get(u, NULL, pad_of(h->size), err)) < 0)
                return r;
        d[h->size] = '\0';
        if (!pax) {
                /* GNU names end at the first NUL, like GNU tar reads them. */
                bool link = h->type == 'K';
                memcpy(link ? u->local.link : u->local.path, d, strlen(d) + 1);
                u->local.set |= link ? OV_LINK : OV_PATH;
                return 0;
        }
        r = pax_parse(u, d, h->size, h->type == 'g', err);
        if (r < 0)
                return r;
        char **keep = h->type == 'g' ? &u->gpax : &u->pax;
        free(*keep);
        *keep = TAKE_PTR(d);
        return 0;
}

static void apply_overrides(struct tar_entry *e, const struct tar_entry *o)
{
        if (o->set & OV_PATH)
                memcpy(e->path, o->path, strlen(o->path) + 1);
        if (o->set & OV_LINK)
                memcpy(e->link, o->link, strlen(o->link) + 1);
        if (o->set & OV_SIZE)
                e->size = o->size;
        if (o->set & OV_UID)
                e->uid = o->uid;
        if (o->set & OV_GID)
                e->gid = o->gid;
        if (o->set & OV_MTIME)
                e->mtime = o->mtime;
        memcpy(e->xattr, o->xattr, o->nxattr * sizeof(o->xattr[0]));
        e->nxattr = o->nxattr;
}

/* Reads headers up to the next real entry into u->e. Returns 1 for an
 * entry, 0 at the end-of-archive marker. */
static int next_entry(struct unpack *u, struct dh_err **err)
{
        unsigned char h[BLOCK];
        for (int run = 0; run < MAX_META_RUN; run++) {
                int r = rd_get(u, h, BLOCK, err);
                if (r < 0)
                        return r;
                if (all_zero(h))
                        return 0;
                struct tar_entry *e = &u->e;
                if ((r = parse_header(h, e, err)) < 0)
                        return r;
                if (e->size > u->lim.max_total_bytes - u->data_bytes)
                        return dh_err_set(err, DH_ELIMIT, "layer exceeds max_total_bytes (%llu)",
                                          (unsigned long long)u->lim.max_total_bytes);
                u->data_bytes += e->size;
                if (!strchr("xgLK", e->type))
                        goto real;
                if ((r = read_meta(u, e, err)) < 0)
                        return r;
        }
        return dh_err_set(err, DH_EINVAL_INPUT, "more than %d metadata headers in a row",
                          MAX_META_RUN);
real:
        u->data_bytes -= u->e.size;
        apply_overrides(&u->e, &u->global);
        apply_overrides(&u->e, &u->local);
        u->local.set = 0;
        u->local.nxattr = 0;
        if (u->e.size > u->lim.max_total_bytes - u->data_bytes)
                return dh_err_set(err, DH_ELIMIT, "layer exceeds max_total_bytes (%llu)",
                                  (unsigned long long)u->lim.max_total_bytes);
        u->data_bytes += u->e.size;
        if (++u->st.entries > u->lim.max_entries)
                return dh_err_set(err, DH_ELIMIT, "layer exceeds max_entries (%llu)",
                                  (unsigned long long)u->lim.max_entries);
        return 1;
}

/* ---- names ---- */

/* Makes an archive name relative and checked: leading '/' stripped (as
 * Docker does), "." components and a trailing '/' dropped, ".." and empty
 * components refused, and so are more than IMG_UNPACK_DEPTH_MAX
 * components. "" means the layer root. */
static int norm_path(const char *in, char *out, struct dh_err **err)
{
        size_t o = 0;
        int depth = 0;
        while (*in == '/')
                in++;
        while (*in) {
                const char *s = strchr(in, '/');
                size_t n = s ? (size_t)(s - in) : strlen(in);
                if (n == 0)
                        return dh_err_set(err, DH_EINVAL_INPUT, "empty path component");
                if (n == 2 && in[0] == '.' && in[1] == '.')
                        return dh_err_set(err, DH_EINVAL_INPUT, "\"..\" path component");
                if (n > NAME_MAX)
                        return dh_err_set(err, DH_EINVAL_INPUT, "path component too long");
                if (!(n == 1 && in[0] == '.')) {
                        if (++depth > IMG_UNPACK_DEPTH_MAX)
                                return dh_err_set(err, DH_ELIMIT,
                                                  "path deeper than %d components",
                                                  IMG_UNPACK_DEPTH_MAX);
                        if (o)
                                out[o++] = '/';
                        memcpy(out + o, in, n);
                        o += n;
                }
                in += n;
                if (*in == '/' && *++in == '\0')
                        break; /* one trailing slash, as on directory names */
        }
        out[o] = '\0';
        return 0;
}

/* Opens the directory rel under root one component at a time with
 * O_NOFOLLOW|O_DIRECTORY: the same guarantee as openat2 RESOLVE_BENEATH|
 * RESOLVE_NO_SYMLINKS (rel has no ".." after norm_path), so a symlink
 * planted by an earlier entry fails the lookup instead of redirecting it.
 * Missing directories are created (0755) when create is set. */
static int open_dir_under(int root, const char *rel, size_t rlen, bool create, int *out,
                          struct dh_err **err)
{
        _cleanup_close_ int cur = openat(root, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (cur < 0)
                return dh_err_errno(err, errno, "open layer root");
        char comp[NAME_MAX + 1];
        size_t i = 0;
        while (i < rlen) {
                const char *s = memchr(rel + i, '/', rlen - i);
                size_t n = s ? (size_t)(s - (rel + i)) : rlen - i;
                memcpy(comp, rel + i, n);
                comp[n] = '\0';
                int fl = O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
                int fd = openat(cur, comp, fl);
                if (fd < 0 && errno == ENOENT && create) {
                        if (mkdirat(cur, comp, 0755) < 0 && errno != EEXIST)
                                return dh_err_errno(err, errno, "mkdir \"%.*s\"",
                                                    (int)(i + n), rel);
                        fd = openat(cur, comp, fl);
                }
                if (fd < 0)
                        return dh_err_errno(err, errno, "parent \"%.*s\"",
                                            (int)(i + n), rel);
                close(cur);
                cur = fd;
                i += n + 1;
        }
        *out = TAKE_FD(cur);
        return 0;
}

/* Splits a normalized non-empty path into its parent (opened) and leaf. */
static int open_parent(int root, const char *path, bool create, int *dfd, const char **leaf,
                       struct dh_err **err)
{
        const char *slash = strrchr(path, '/');
        *leaf = slash ? slash + 1 : path;
        return open_dir_under(root, path, slash ? (size_t)(slash - path) : 0, create, dfd, err);
}

/* ---- applying entries ---- */

static bool xattr_allowed(const struct unpack *u, const char *name)
{
        if (strncmp(name, "user.", 5) == 0)
                return true;
        /* trusted.overlay.* (redirect, metacopy, opaque...) steers overlayfs
         * lookups across layers: only whiteouts may produce it. */
        if (strncmp(name, "trusted.overlay.", 16) == 0)
                return false;
        if (strncmp(name, "trusted.", 8) == 0)
                return u->root;
        /* Host security labels must not leak into images; file capabilities
         * are part of the image. */
        return strcmp(name, "security.capability") == 0;
}

static int set_xattrs(const struct unpack *u, int fd, struct dh_err **err)
{
        for (size_t i = 0; i < u->e.nxattr; i++) {
                const struct xattr_rec *x = &u->e.xattr[i];
                if (!xattr_allowed(u, x->name))
                        continue;
                if (fsetxattr(fd, x->name, x->val, x->len, 0) < 0 && errno != ENOTSUP)
                        return dh_err_errno(err, errno, "set xattr %s", x->name);
        }
        return 0;
}

/* Metadata of a regular file or directory we hold open. chown first: it
 * clears set-id bits that the chmod then restores. */
static int set_meta_fd(const struct unpack *u, int fd, struct dh_err **err)
{
        const struct tar_entry *e = &u->e;
        if (u->root && fchown(fd, (uid_t)e->uid, (gid_t)e->gid) < 0)
                return dh_err_errno(err, errno, "chown");
        if (fchmod(fd, e->mode) < 0)
                return dh_err_errno(err, errno, "chmod");
        int r = set_xattrs(u, fd, err);
        if (r < 0)
                return r;
        struct timespec ts[2] = { e->mtime, e->mtime };
        if (futimens(fd, ts) < 0)
                return dh_err_errno(err, errno, "set mtime");
        return 0;
}

/* Metadata of a node we just created at dfd/leaf (symlink, device, fifo);
 * nothing here follows a symlink. */
static int set_meta_at(const struct unpack *u, int dfd, const char *leaf, bool lnk,
                       struct dh_err **err)
{
        const struct tar_entry *e = &u->e;
        if (u->root && fchownat(dfd, leaf, (uid_t)e->uid, (gid_t)e->gid, AT_SYMLINK_NOFOLLOW) < 0)
                return dh_err_errno(err, errno, "chown");
        /* AT_SYMLINK_NOFOLLOW: a swapped-in symlink fails instead of
         * redirecting the chmod. */
        if (!lnk && fchmodat(dfd, leaf, e->mode, AT_SYMLINK_NOFOLLOW) < 0)
                return dh_err_errno(err, errno, "chmod");
        struct timespec ts[2] = { e->mtime, e->mtime };
        if (utimensat(dfd, leaf, ts, AT_SYMLINK_NOFOLLOW) < 0)
                return dh_err_errno(err, errno, "set mtime");
        return 0;
}

static int make_file(struct unpack *u, int dfd, const char *leaf, struct dh_err **err)
{
        uint64_t n = u->e.size;
        if (n > u->lim.max_file_size)
                return dh_err_set(err, DH_ELIMIT, "size %llu exceeds max_file_size (%llu)",
                                  (unsigned long long)n,
                                  (unsigned long long)u->lim.max_file_size);
        _cleanup_close_ int fd = openat(dfd, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
                                        O_CLOEXEC, 0600);
        if (fd < 0)
                return dh_err_errno(err, errno, "create");
        while (n > 0) {
                const unsigned char *p;
                size_t c;
                int r = rd_chunk(u, n > SIZE_MAX ? SIZE_MAX : (size_t)n, &p, &c, err);
                if (r < 0)
                        return r;
                if ((r = dh_write_all(fd, p, c)) < 0)
                        return dh_err_errno(err, -r, "write");
                n -= c;
        }
        u->st.bytes += u->e.size;
        u->e.size = 0; /* consumed: the caller skips only the padding */
        return set_meta_fd(u, fd, err);
}

/* The mtime set here changes again when children are created; overlay
 * lower layers do not depend on directory mtimes, and fixing them up at the
 * end would need memory proportional to the archive. */
static int make_dir(struct unpack *u, int dfd, const char *leaf, struct dh_err **err)
{
        if (mkdirat(dfd, leaf, 0700) < 0 && errno != EEXIST)
                return dh_err_errno(err, errno, "mkdir");
        _cleanup_close_ int fd = openat(dfd, leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
                                        O_CLOEXEC);
        if (fd < 0)
                return dh_err_errno(err, errno, "open directory");
        return set_meta_fd(u, fd, err);
}

static int make_link(struct unpack *u, int dfd, const char *leaf, struct dh_err **err)
{
        char target[PATHBUF];
        const char *tleaf;
        _cleanup_close_ int tdfd = -1;
        int r = norm_path(u->e.link, target, err);
        if (r < 0)
                return dh_err_prefix(err, "hard link target \"%s\"", u->e.link);
        if (!target[0])
                return dh_err_set(err, DH_EINVAL_INPUT, "hard link to the layer root");
        r = open_parent(u->dest, target, false, &tdfd, &tleaf, err);
        if (r < 0)
                return dh_err_prefix(err, "hard link target \"%s\"", u->e.link);
        /* flags 0: a symlink target is linked itself, never followed */
        if (linkat(tdfd, tleaf, dfd, leaf, 0) < 0)
                return dh_err_errno(err, errno, "hard link to \"%s\"", u->e.link);
        return 0;
}

static int make_node(struct unpack *u, int dfd, const char *leaf, struct dh_err **err)
{
        const struct tar_entry *e = &u->e;
        mode_t fmt = e->type == '3' ? S_IFCHR : e->type == '4' ? S_IFBLK : S_IFIFO;
        if (fmt != S_IFIFO && !u->root) {
                u->st.skipped_devices++;
                return 0;
        }
        if (mknodat(dfd, leaf, fmt | 0600, makedev(e->dmaj, e->dmin)) < 0)
                return dh_err_errno(err, errno, "mknod");
        return set_meta_at(u, dfd, leaf, false, err);
}

/* An OCI whiteout becomes what overlayfs understands: a 0/0 char device
 * for ".wh.<name>", the opaque xattr on the directory for ".wh..wh..opq". */
static int make_whiteout(struct unpack *u, int dfd, const char *leaf, struct dh_err **err)
{
        if (strcmp(leaf, WH_OPAQUE) == 0) {
                _cleanup_close_ int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (fd < 0)
                        return dh_err_errno(err, errno, "open opaque directory");
                if (fsetxattr(fd, "trusted.overlay.opaque", "y", 1, 0) < 0)
                        return dh_err_errno(err, errno, "set opaque xattr");
                u->st.whiteouts++;
                return 0;
        }
        const char *name = leaf + strlen(WH_PREFIX);
        if (strncmp(name, WH_PREFIX, strlen(WH_PREFIX)) == 0)
                return 0; /* other ".wh..wh." markers (aufs internals): ignored */
        if (!name[0] || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
                return dh_err_set(err, DH_EINVAL_INPUT, "bad whiteout name");
        int r = dh_rm_rf_at(dfd, name, err);
        if (r < 0)
                return r;
        if (mknodat(dfd, name, S_IFCHR | 0600, makedev(0, 0)) < 0)
                return dh_err_errno(err, errno, "mknod whiteout");
        u->st.whiteouts++;
        return 0;
}

/* Clears the way for a new node at dfd/leaf: an existing directory stays
 * when a directory is coming, anything else (symlinks included) is
 * removed, never followed. */
static int clear_leaf(struct unpack *u, int dfd, const char *leaf, struct dh_err **err)
{
        struct stat st;
        if (fstatat(dfd, leaf, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : dh_err_errno(err, errno, "stat");
        if (u->e.type == '5' && S_ISDIR(st.st_mode))
                return 0;
        return dh_rm_rf_at(dfd, leaf, err);
}

static int apply_at(struct unpack *u, int dfd, const char *leaf, struct dh_err **err)
{
        if (strncmp(leaf, WH_PREFIX, strlen(WH_PREFIX)) == 0)
                return make_whiteout(u, dfd, leaf, err);
        int r = clear_leaf(u, dfd, leaf, err);
        if (r < 0)
                return r;
        switch (u->e.type) {
        case '0':
        case '7':
                return make_file(u, dfd, leaf, err);
        case '5':
                return make_dir(u, dfd, leaf, err);
        case '1':
                return make_link(u, dfd, leaf, err);
        case '2':
                /* The target is data for the container's view: stored as is. */
                if (symlinkat(u->e.link, dfd, leaf) < 0)
                        return dh_err_errno(err, errno, "symlink");
                return set_meta_at(u, dfd, leaf, true, err);
        case '3':
        case '4':
        case '6':
                return make_node(u, dfd, leaf, err);
        }
        return dh_err_set(err, DH_EINVAL_INPUT, "unsupported entry type '%c'", u->e.type);
}

static int apply_entry(struct unpack *u, struct dh_err **err)
{
        char path[PATHBUF];
        const char *leaf;
        _cleanup_close_ int dfd = -1;
        if (strlen(u->e.path) > u->lim.max_path)
                return dh_err_set(err, DH_ELIMIT, "path longer than max_path (%zu)",
                                  u->lim.max_path);
        int r = norm_path(u->e.path, path, err);
        if (r < 0)
                return r;
        /* (uid_t)-1 would mean "unchanged" to chown; larger ids truncate */
        if (u->e.uid >= UINT32_MAX || u->e.gid >= UINT32_MAX)
                return dh_err_set(err, DH_EINVAL_INPUT, "uid/gid out of range");
        if (!path[0]) {
                /* "./" itself: the layer root is the caller's, leave it */
                if (u->e.type == '5')
                        return 0;
                return dh_err_set(err, DH_EINVAL_INPUT, "non-directory at the layer root");
        }
        r = open_parent(u->dest, path, true, &dfd, &leaf, err);
        if (r < 0)
                return r;
        return apply_at(u, dfd, leaf, err);
}

int img_unpack_tar_reader(const struct img_reader *rd, int dest_dirfd,
                          const struct img_unpack_limits *lim, struct img_unpack_stats *st,
                          struct dh_err **err)
{
        _cleanup_free_ struct unpack *u = calloc(1, sizeof(*u));
        if (!u)
                return dh_err_errno(err, ENOMEM, "unpack layer");
        u->rd = rd;
        u->dest = dest_dirfd;
        u->root = geteuid() == 0;
        if (lim)
                u->lim = *lim;
        else
                img_unpack_limits_default(&u->lim);
        if (u->lim.max_path > IMG_UNPACK_PATH_MAX)
                u->lim.max_path = IMG_UNPACK_PATH_MAX;
        int r;
        while ((r = next_entry(u, err)) > 0) {
                uint64_t size = u->e.size;
                r = apply_entry(u, err);
                if (r < 0) {
                        dh_err_prefix(err, "layer entry \"%s\"", u->e.path);
                        break;
                }
                /* make_file consumed its data; other types' data is skipped */
                if ((r = rd_get(u, NULL, u->e.size + pad_of(size), err)) < 0)
                        break;
        }
        free(u->pax);
        free(u->gpax);
        if (r < 0)
                return dh_err_prefix(err, "unpack layer");
        if (st)
                *st = u->st;
        return 0;
}

static ssize_t fd_read(void *ctx, void *buf, size_t n, struct dh_err **err)
{
        ssize_t k;
        do
                k = read(*(const int *)ctx, buf, n);
        while (k < 0 && errno == EINTR);
        if (k < 0)
                return dh_err_errno(err, errno, "read layer");
        return k;
}

int img_unpack_tar(int tar_fd, int dest_dirfd, const struct img_unpack_limits *lim,
                   struct img_unpack_stats *st, struct dh_err **err)
{
        const struct img_reader rd = { fd_read, &tar_fd };
        return img_unpack_tar_reader(&rd, dest_dirfd, lim, st, err);
}
