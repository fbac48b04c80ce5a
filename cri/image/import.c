/* Image imports (import.h): telling directories from archives, extracting
 * archives (gunzipped through zlib first when needed) into a temporary
 * directory, confined reads beneath the layout, blob copies into the store
 * and the list of imported images. The formats live in importoci.c and
 * importdocker.c, their JSON in importjson.c. */
#include "cri/image/import.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <zlib.h>

#include "cri/image/import-internal.h"
#include "cri/image/manifest.h"
#include "cri/image/ref.h"
#include "cri/image/unpack.h"
#include "lib/atomicfile.h"
#include "lib/cleanup.h"
#include "lib/fileio.h"

#define COPY_BUF (64 * 1024)

/* ---- confined file access ---- */

/* The component walk openat2 does in the kernel, for kernels without it:
 * each directory opened O_NOFOLLOW|O_DIRECTORY, so no symlink is ever
 * followed, and img_import_path_ok already ruled out "..". */
static int open_walk(int dirfd, const char *rel, int flags)
{
        int cur = dirfd;
        const char *p = rel;
        for (;;) {
                size_t n = strcspn(p, "/");
                char comp[256];
                if (n >= sizeof comp) {
                        errno = ENAMETOOLONG;
                        break;
                }
                memcpy(comp, p, n);
                comp[n] = '\0';
                bool last = !p[n];
                int fd = openat(cur, comp, last ? flags | O_NOFOLLOW : O_RDONLY | O_CLOEXEC | O_DIRECTORY | O_NOFOLLOW);
                if (cur != dirfd)
                        close(cur);
                if (fd < 0 || last)
                        return fd;
                cur = fd;
                p += n + 1;
        }
        if (cur != dirfd)
                close(cur);
        return -1;
}

static int open_beneath(int dirfd, const char *rel, int flags)
{
        struct open_how how = {
                .flags = (uint64_t)flags,
                .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
        };
        int fd = (int)syscall(SYS_openat2, dirfd, rel, &how, sizeof how);
        if (fd < 0 && (errno == ENOSYS || errno == EPERM))
                fd = open_walk(dirfd, rel, flags);
        return fd;
}

int imp_open(struct imp *im, const char *rel, int *fd_out, struct dh_err **err)
{
        if (!img_import_path_ok(rel))
                return dh_err_set(err, EINVAL, "%s: not a plain relative path", rel);
        /* O_NONBLOCK: a FIFO planted in the layout must not block us. */
        _cleanup_close_ int fd = open_beneath(im->dirfd, rel, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0 && errno == ENOENT)
                return dh_err_set(err, ENOENT, "%s: missing", rel);
        if (fd < 0 && errno == ELOOP)
                return dh_err_set(err, ELOOP, "%s: is (or is beneath) a symlink", rel);
        if (fd < 0)
                return dh_err_errno(err, errno, "%s: open", rel);
        struct stat sb;
        if (fstat(fd, &sb) < 0)
                return dh_err_errno(err, errno, "%s: stat", rel);
        if (!S_ISREG(sb.st_mode))
                return dh_err_set(err, EINVAL, "%s: not a regular file", rel);
        *fd_out = TAKE_FD(fd);
        return 0;
}

int imp_read(struct imp *im, const char *rel, size_t max, char **data, size_t *len,
             struct dh_err **err)
{
        _cleanup_close_ int fd = -1;
        int r = imp_open(im, rel, &fd, err);
        if (r < 0)
                return r;
        return dh_read_fd(fd, rel, max, data, len, err);
}

/* ---- blobs ---- */

int imp_count_blob(struct imp *im, struct dh_err **err)
{
        if (++im->blobs > IMG_IMPORT_BLOBS_MAX)
                return dh_err_set(err, DH_ELIMIT, "more than %d blobs", IMG_IMPORT_BLOBS_MAX);
        return 0;
}

/* The most this blob may still add to the import's total. */
static int64_t blob_budget(const struct imp *im)
{
        uint64_t left = im->bytes < im->max_bytes ? im->max_bytes - im->bytes : 0;
        return (int64_t)(left < im->max_blob ? left : im->max_blob);
}

static int writer_feed(struct imp *im, struct img_writer *w, int fd, struct dh_err **err)
{
        _cleanup_free_ char *buf = malloc(COPY_BUF);
        if (!buf)
                return dh_err_set(err, ENOMEM, "out of memory");
        for (;;) {
                ssize_t n = read(fd, buf, COPY_BUF);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return dh_err_errno(err, errno, "read");
                if (n == 0)
                        return 0;
                int r = img_writer_write(w, buf, (size_t)n, err);
                if (r < 0)
                        return r;
                im->bytes += (uint64_t)n;
        }
}

int imp_copy_fd(struct imp *im, int fd, const char *expected, int64_t size, char **digest_out,
                struct dh_err **err)
{
        struct img_writer *w = NULL;
        int r = img_writer_open(im->st, expected, size, blob_budget(im), &w, err);
        if (r < 0)
                return r;
        r = writer_feed(im, w, fd, err);
        if (r < 0) {
                img_writer_abort(w);
                return r;
        }
        _cleanup_free_ char *digest = NULL;
        r = img_writer_commit(w, &digest, err);
        if (r < 0)
                return r;
        if (digest_out)
                *digest_out = TAKE_PTR(digest);
        return 0;
}

int imp_store_data(struct imp *im, const void *data, size_t len, const char *expected,
                   int64_t size, char **digest_out, struct dh_err **err)
{
        struct img_writer *w = NULL;
        int r = img_writer_open(im->st, expected, size, blob_budget(im), &w, err);
        if (r == 0 && (r = img_writer_write(w, data, len, err)) < 0)
                img_writer_abort(w);
        if (r < 0)
                return r;
        im->bytes += len;
        _cleanup_free_ char *digest = NULL;
        r = img_writer_commit(w, &digest, err);
        if (r < 0)
                return r;
        if (digest_out)
                *digest_out = TAKE_PTR(digest);
        return 0;
}

/* ---- the list ---- */

static void entry_free(struct img_import_entry *e)
{
        free(e->manifest_digest);
        for (size_t i = 0; i < e->names.n; i++)
                free(e->names.v[i]);
        free(e->names.v);
        memset(e, 0, sizeof *e);
}

void img_import_list_free(struct img_import_list *l)
{
        if (!l)
                return;
        for (size_t i = 0; i < l->n; i++)
                entry_free(&l->v[i]);
        free(l->v);
        l->v = NULL;
        l->n = 0;
}

struct img_import_entry *imp_entry(struct imp *im, const char *digest, struct dh_err **err)
{
        struct img_import_list *l = &im->list;
        for (size_t i = 0; i < l->n; i++)
                if (strcmp(l->v[i].manifest_digest, digest) == 0)
                        return &l->v[i];
        if (l->n >= IMG_IMPORT_IMAGES_MAX) {
                dh_err_set(err, DH_ELIMIT, "more than %d images", IMG_IMPORT_IMAGES_MAX);
                return NULL;
        }
        struct img_import_entry *v = reallocarray(l->v, l->n + 1, sizeof *v);
        char *d = strdup(digest);
        if (v)
                l->v = v;
        if (!v || !d) {
                free(d);
                dh_err_set(err, ENOMEM, "out of memory");
                return NULL;
        }
        l->v[l->n] = (struct img_import_entry){ .manifest_digest = d };
        return &l->v[l->n++];
}

static int normalise(const char *ref, char **out, struct dh_err **err)
{
        struct img_ref r = { 0 };
        if (img_ref_parse(ref, &r, err) < 0)
                return -EINVAL;
        *out = img_ref_string(&r);
        img_ref_free(&r);
        return *out ? 0 : dh_err_set(err, ENOMEM, "out of memory");
}

int imp_add_name(struct img_import_entry *e, const char *ref, struct dh_err **err)
{
        _cleanup_free_ char *name = NULL;
        int r = normalise(ref, &name, err);
        if (r < 0)
                return r;
        for (size_t i = 0; i < e->names.n; i++)
                if (strcmp(e->names.v[i], name) == 0)
                        return 0;
        if (e->names.n >= IMG_MANIFEST_ENTRIES_MAX)
                return dh_err_set(err, DH_ELIMIT, "more than %d names for one image", IMG_MANIFEST_ENTRIES_MAX);
        char **v = reallocarray(e->names.v, e->names.n + 1, sizeof *v);
        if (!v)
                return dh_err_set(err, ENOMEM, "out of memory");
        e->names.v = v;
        v[e->names.n++] = TAKE_PTR(name);
        return 0;
}

/* Whether the override names a tag or digest itself ("x:1", "x@sha256:..."),
 * rather than only a repository. */
static bool override_has_tag(const char *o)
{
        const char *last = strrchr(o, '/');
        return strpbrk(last ? last : o, ":@") != NULL;
}

/* Whether every name of e is in the override's repository: bare tags of
 * an OCI layout already took it ("repo:1.35"), and are kept. */
static bool names_in_repo(const struct img_import_entry *e, const char *normalised_override)
{
        size_t n = strcspn(normalised_override, "@");
        const char *colon = memrchr(normalised_override, ':', n);
        const char *slash = strrchr(normalised_override, '/');
        if (colon && (!slash || colon > slash))
                n = (size_t)(colon - normalised_override);
        for (size_t i = 0; i < e->names.n; i++)
                if (strncmp(e->names.v[i], normalised_override, n) != 0 || e->names.v[i][n] != ':')
                        return false;
        return e->names.n > 0;
}

/* One image and a name_override: its names are just the override, unless
 * the override is a bare repository and the image's own tags already
 * went into it. */
static int apply_override(struct imp *im, struct dh_err **err)
{
        if (!im->name_override || im->list.n != 1)
                return 0;
        struct img_import_entry *e = &im->list.v[0];
        _cleanup_free_ char *name = NULL;
        int r = normalise(im->name_override, &name, err);
        if (r < 0)
                return dh_err_prefix(err, "name override");
        if (!override_has_tag(im->name_override) && names_in_repo(e, name))
                return 0;
        char **v = calloc(1, sizeof *v);
        if (!v)
                return dh_err_set(err, ENOMEM, "out of memory");
        for (size_t i = 0; i < e->names.n; i++)
                free(e->names.v[i]);
        free(e->names.v);
        v[0] = TAKE_PTR(name);
        e->names = (struct dh_strv){ v, 1 };
        return 0;
}

/* ---- directories ---- */

static bool has_file(int dirfd, const char *name)
{
        struct stat sb;
        return fstatat(dirfd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0;
}

static int import_dir(struct imp *im, struct dh_err **err)
{
        int r;
        if (has_file(im->dirfd, "index.json"))
                r = imp_oci(im, err);
        else if (has_file(im->dirfd, "manifest.json"))
                r = imp_docker(im, err);
        else
                return dh_err_set(err, EINVAL, "neither an OCI image layout (index.json) "
                                  "nor a docker save archive (manifest.json)");
        if (r == 0 && im->list.n == 0)
                r = dh_err_set(err, EINVAL, "no images to import");
        if (r == 0)
                r = apply_override(im, err);
        return r;
}

/* ---- archives ---- */

static int tmpfile_in(int dirfd, struct dh_err **err)
{
        int fd = openat(dirfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
        if (fd >= 0)
                return fd;
        if (errno != EOPNOTSUPP && errno != EISDIR)
                return dh_err_errno(err, errno, "temporary file");
        /* No O_TMPFILE on this file system: a named file, unlinked at once. */
        fd = openat(dirfd, ".gunzip", O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return dh_err_errno(err, errno, "temporary file");
        unlinkat(dirfd, ".gunzip", 0);
        return fd;
}

/* Inflates one buffer of input into out_fd; concatenated gzip members are
 * read as one stream, as gzip(1) does. */
static int inflate_chunk(z_stream *z, unsigned char *in, size_t n, unsigned char *out, int out_fd,
                         uint64_t *total, uint64_t max, struct dh_err **err)
{
        z->next_in = in;
        z->avail_in = (uInt)n;
        while (z->avail_in) {
                z->next_out = out;
                z->avail_out = COPY_BUF;
                int zr = inflate(z, Z_NO_FLUSH);
                if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR)
                        return dh_err_set(err, DH_EINVAL_INPUT, "gzip: %s", z->msg ? z->msg : "corrupt data");
                size_t got = COPY_BUF - z->avail_out;
                *total += got;
                if (*total > max)
                        return dh_err_set(err, DH_ELIMIT, "gzip: more than %llu bytes uncompressed",
                                          (unsigned long long)max);
                int wr = dh_write_all(out_fd, out, got);
                if (wr < 0 && dh_err_errno(err, -wr, "write temporary file") < 0)
                        return -EIO;
                if (zr == Z_STREAM_END && inflateReset(z) != Z_OK)
                        return dh_err_set(err, ENOMEM, "gzip: reset");
                if (zr == Z_BUF_ERROR && got == 0)
                        break;
        }
        return 0;
}

static int gunzip_fd(int in_fd, int out_fd, uint64_t max, struct dh_err **err)
{
        z_stream z = { 0 };
        if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
                return dh_err_set(err, ENOMEM, "gzip: init");
        _cleanup_free_ unsigned char *in = malloc(COPY_BUF), *out = malloc(COPY_BUF);
        uint64_t total = 0;
        int r = in && out ? 0 : dh_err_set(err, ENOMEM, "out of memory");
        while (r == 0) {
                ssize_t n = read(in_fd, in, COPY_BUF);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        r = dh_err_errno(err, errno, "read");
                else if (n == 0)
                        break;
                else
                        r = inflate_chunk(&z, in, (size_t)n, out, out_fd, &total, max, err);
        }
        /* A stream cut short leaves inflate mid-member; a stream that
         * ended cleanly was reset and has consumed nothing since. */
        if (r == 0 && (z.total_in != 0 || total == 0))
                r = dh_err_set(err, DH_EINVAL_INPUT, "gzip: unexpected end of data");
        inflateEnd(&z);
        if (r == 0 && lseek(out_fd, 0, SEEK_SET) < 0)
                r = dh_err_errno(err, errno, "seek temporary file");
        return r;
}

/* Extracts the archive (plain or gzipped tar) at fd into workfd. */
static int extract(int fd, int workfd, struct dh_err **err)
{
        unsigned char magic[4] = { 0 };
        ssize_t n = pread(fd, magic, sizeof magic, 0);
        if (n < 0)
                return dh_err_errno(err, errno, "read");
        struct img_unpack_limits lim;
        img_unpack_limits_default(&lim);
        _cleanup_close_ int tar_fd = -1;
        if (n >= 2 && magic[0] == 0x1f && magic[1] == 0x8b) {
                tar_fd = tmpfile_in(workfd, err);
                if (tar_fd < 0)
                        return tar_fd;
                /* Tar framing adds at most a few KiB per entry to the data. */
                uint64_t max = lim.max_total_bytes + lim.max_entries * 2048;
                int r = gunzip_fd(fd, tar_fd, max, err);
                if (r < 0)
                        return r;
        } else if (n == 4 && magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd) {
                return dh_err_set(err, ENOTSUP, "zstd-compressed archives are not supported");
        }
        int r = img_unpack_tar(tar_fd >= 0 ? tar_fd : fd, workfd, &lim, NULL, err);
        return r < 0 ? dh_err_prefix(err, "extract") : 0;
}

static int make_workdir(char **path_out, int *fd_out, struct dh_err **err)
{
        const char *tmp = secure_getenv("TMPDIR");
        _cleanup_free_ char *path = NULL;
        if (asprintf(&path, "%s/deckhand-import-XXXXXX", tmp && *tmp ? tmp : "/tmp") < 0)
                return dh_err_set(err, ENOMEM, "out of memory");
        if (!mkdtemp(path))
                return dh_err_errno(err, errno, "temporary directory in %s", tmp && *tmp ? tmp : "/tmp");
        int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0) {
                int e = errno;
                rmdir(path);
                return dh_err_errno(err, e, "%s", path);
        }
        *fd_out = fd;
        *path_out = TAKE_PTR(path);
        return 0;
}

static int import_archive(struct imp *im, int fd, struct dh_err **err)
{
        _cleanup_free_ char *work = NULL;
        _cleanup_close_ int workfd = -1;
        int r = make_workdir(&work, &workfd, err);
        if (r < 0)
                return r;
        r = extract(fd, workfd, err);
        if (r == 0) {
                im->dirfd = workfd;
                r = import_dir(im, err);
        }
        /* Best effort: a leftover temporary directory is not the import's
         * failure (the error, if any, is the import's own). */
        struct dh_err *rm_err = NULL;
        dh_rm_rf_at(AT_FDCWD, work, &rm_err);
        dh_err_free(rm_err);
        return r;
}

int img_import_path(struct img_store *st, const char *path, const char *name_override,
                    struct img_import_list *out, struct dh_err **err)
{
        struct img_unpack_limits lim;
        img_unpack_limits_default(&lim);
        struct imp im = { .st = st, .dirfd = -1, .name_override = name_override,
                          .max_bytes = lim.max_total_bytes, .max_blob = lim.max_file_size };
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        struct stat sb;
        int r;
        if (fd < 0 || fstat(fd, &sb) < 0)
                r = dh_err_errno(err, errno, "open");
        else if (S_ISDIR(sb.st_mode)) {
                im.dirfd = fd;
                r = import_dir(&im, err);
        } else if (S_ISREG(sb.st_mode))
                r = import_archive(&im, fd, err);
        else
                r = dh_err_set(err, EINVAL, "neither a directory nor a regular file");
        if (r < 0) {
                img_import_list_free(&im.list);
                return dh_err_prefix(err, "import %s", path);
        }
        *out = im.list;
        return 0;
}
