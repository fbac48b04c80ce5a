/* The content-addressed blob store: sha256 blobs verified on write, written
 * through ingest files so that a crash never leaves a partial blob under
 * blobs/. Everything is reached through directory fds with names built
 * only from validated digests or our own random ingest names. */
#include "cri/image/store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/atomicfile.h"
#include "lib/cleanup.h"
#include "lib/dirlist.h"
#include "lib/fileio.h"
#include "lib/sha256.h"

#define DIGEST_PREFIX "sha256:"
#define PREFIX_LEN (sizeof(DIGEST_PREFIX) - 1)
#define HEX_LEN 64
#define DIGEST_LEN (PREFIX_LEN + HEX_LEN)
#define INGEST_NAME_LEN 32
#define INGEST_MAX 10000
#define INGEST_TRIES 16

struct img_store {
        char *root;
        int blobs_fd;  /* <root>/blobs/sha256 */
        int ingest_fd; /* <root>/ingest */
};

struct img_writer {
        struct img_store *s;
        int fd;
        char name[INGEST_NAME_LEN + 1]; /* in ingest/ */
        char label[DIGEST_LEN + 16];    /* "blob sha256:..." or "new blob (ingest <name>)" */
        char expected[HEX_LEN + 1];     /* "" when unknown */
        int64_t expected_size;
        int64_t limit;
        int64_t written;
        bool failed;
        struct dh_sha256 md;
};

static bool is_hex_name(const char *s)
{
        for (size_t i = 0; i < HEX_LEN; i++)
                if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
                        return false;
        return s[HEX_LEN] == '\0';
}

bool img_digest_valid(const char *digest)
{
        return digest && strncmp(digest, DIGEST_PREFIX, PREFIX_LEN) == 0 &&
               strnlen(digest, DIGEST_LEN + 1) == DIGEST_LEN && is_hex_name(digest + PREFIX_LEN);
}

/* The file name of a digest, or NULL with the error set: the only way a
 * digest becomes a path. */
static const char *blob_name(const char *digest, struct dh_err **err)
{
        if (!img_digest_valid(digest)) {
                dh_err_set(err, DH_EINVAL_INPUT, "invalid blob digest \"%.100s\"",
                           digest ? digest : "(null)");
                return NULL;
        }
        return digest + PREFIX_LEN;
}

static int open_subdir(int dirfd, const char *name, const char *root, struct dh_err **err)
{
        if (mkdirat(dirfd, name, 0755) < 0 && errno != EEXIST)
                return dh_err_errno(err, errno, "image store %s: mkdir %s", root, name);
        int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return dh_err_errno(err, errno, "image store %s: open %s", root, name);
        return fd;
}

static bool is_ingest_candidate(int dirfd, const struct dirent *de, void *ud)
{
        (void)dirfd;
        (void)ud;
        return de->d_type == DT_REG || de->d_type == DT_LNK || de->d_type == DT_UNKNOWN;
}

/* Removes one stale ingest file unless a live writer holds its lock. The
 * unlink happens while we hold the lock, so a writer that locks the file
 * after us sees st_nlink == 0 and starts over with a new name. */
static int remove_stale(int dirfd, const char *name, const char *root, struct dh_err **err)
{
        _cleanup_close_ int fd =
                openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0) {
                if (errno == ENOENT)
                        return 0;
                /* A symlink is never ours to follow; drop the name. */
                if (errno == ELOOP && unlinkat(dirfd, name, 0) == 0)
                        return 0;
                return dh_err_errno(err, errno, "image store %s: ingest %s", root, name);
        }
        struct stat st;
        if (fstat(fd, &st) < 0)
                return dh_err_errno(err, errno, "image store %s: ingest %s", root, name);
        if (!S_ISREG(st.st_mode))
                return 0;
        if (flock(fd, LOCK_EX | LOCK_NB) < 0)
                return errno == EWOULDBLOCK ? 0
                                            : dh_err_errno(err, errno, "image store %s: lock ingest %s",
                                                           root, name);
        if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
                return dh_err_errno(err, errno, "image store %s: remove ingest %s", root, name);
        return 0;
}

static int clean_ingest(struct img_store *s, struct dh_err **err)
{
        struct dh_names names = { 0 };
        int r = dh_list_dir(s->ingest_fd, "ingest", is_ingest_candidate, NULL, INGEST_MAX, false,
                            &names, err);
        if (r < 0)
                return dh_err_prefix(err, "image store %s", s->root);
        for (size_t i = 0; i < names.n && r == 0; i++)
                r = remove_stale(s->ingest_fd, names.v[i], s->root, err);
        dh_names_free(&names);
        return r;
}

static int store_dirs(struct img_store *s, struct dh_err **err)
{
        _cleanup_close_ int root_fd =
                open(s->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (root_fd < 0)
                return dh_err_errno(err, errno, "image store %s", s->root);
        _cleanup_close_ int blobs = open_subdir(root_fd, "blobs", s->root, err);
        if (blobs < 0)
                return blobs;
        s->blobs_fd = open_subdir(blobs, "sha256", s->root, err);
        if (s->blobs_fd < 0)
                return s->blobs_fd;
        s->ingest_fd = open_subdir(root_fd, "ingest", s->root, err);
        return s->ingest_fd < 0 ? s->ingest_fd : 0;
}

int img_store_open(const char *root, struct img_store **out, struct dh_err **err)
{
        int r = dh_mkdir_p(root, 0755, err);
        if (r < 0)
                return dh_err_prefix(err, "image store %s", root);
        struct img_store *s = calloc(1, sizeof *s);
        if (!s || !(s->root = strdup(root))) {
                free(s);
                return dh_err_errno(err, ENOMEM, "image store %s", root);
        }
        s->blobs_fd = s->ingest_fd = -1;
        r = store_dirs(s, err);
        if (r == 0)
                r = clean_ingest(s, err);
        if (r < 0) {
                img_store_close(s);
                return r;
        }
        *out = s;
        return 0;
}

void img_store_close(struct img_store *s)
{
        if (!s)
                return;
        int saved = errno;
        if (s->blobs_fd >= 0)
                close(s->blobs_fd);
        if (s->ingest_fd >= 0)
                close(s->ingest_fd);
        free(s->root);
        free(s);
        errno = saved;
}

static int random_name(char *buf, size_t size)
{
        unsigned char raw[INGEST_NAME_LEN / 2];
        if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw)
                return -1;
        static const char hex[] = "0123456789abcdef";
        for (size_t i = 0; i < sizeof raw && 2 * i + 2 < size; i++) {
                buf[2 * i] = hex[raw[i] >> 4];
                buf[2 * i + 1] = hex[raw[i] & 15];
        }
        buf[2 * sizeof raw] = '\0';
        return 0;
}

/* Creates and locks a fresh ingest file. The lock tells img_store_open()
 * (ours or another process's) that the file is live; a file removed by a
 * cleaner between our create and our lock shows up as st_nlink == 0. */
static int create_ingest(struct img_writer *w, struct dh_err **err)
{
        for (int i = 0; i < INGEST_TRIES; i++) {
                if (random_name(w->name, sizeof w->name) < 0)
                        return dh_err_errno(err, errno, "%s: getrandom", w->label);
                int fd = openat(w->s->ingest_fd, w->name,
                                O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
                if (fd < 0 && errno == EEXIST)
                        continue;
                if (fd < 0)
                        return dh_err_errno(err, errno, "%s: create ingest %s", w->label,
                                            w->name);
                struct stat st;
                if (flock(fd, LOCK_EX) == 0 && fstat(fd, &st) == 0 && st.st_nlink > 0) {
                        w->fd = fd;
                        if (!w->expected[0])
                                snprintf(w->label, sizeof w->label, "new blob (ingest %s)",
                                         w->name);
                        return 0;
                }
                close(fd);
        }
        return dh_err_set(err, EAGAIN, "%s: could not create an ingest file", w->label);
}

static int writer_init(struct img_writer *w, const char *expected_digest, int64_t expected_size,
                       int64_t max_size, struct dh_err **err)
{
        if (expected_digest) {
                const char *hex = blob_name(expected_digest, err);
                if (!hex)
                        return -DH_EINVAL_INPUT;
                memcpy(w->expected, hex, HEX_LEN + 1);
                snprintf(w->label, sizeof w->label, "blob %s", expected_digest);
        } else {
                snprintf(w->label, sizeof w->label, "new blob");
        }
        if (max_size < 0 || expected_size < -1)
                return dh_err_set(err, EINVAL, "%s: invalid size limits", w->label);
        if (expected_size > max_size)
                return dh_err_set(err, DH_ELIMIT, "%s: size %lld exceeds the limit of %lld bytes",
                                  w->label, (long long)expected_size, (long long)max_size);
        w->expected_size = expected_size;
        w->limit = expected_size >= 0 ? expected_size : max_size;
        dh_sha256_init(&w->md);
        return create_ingest(w, err);
}

static void writer_free(struct img_writer *w)
{
        if (w->fd >= 0)
                close(w->fd);
        free(w);
}

int img_writer_open(struct img_store *s, const char *expected_digest, int64_t expected_size,
                    int64_t max_size, struct img_writer **out, struct dh_err **err)
{
        struct img_writer *w = calloc(1, sizeof *w);
        if (!w)
                return dh_err_errno(err, ENOMEM, "blob %.100s", expected_digest ? expected_digest : "");
        w->s = s;
        w->fd = -1;
        int r = writer_init(w, expected_digest, expected_size, max_size, err);
        if (r < 0) {
                writer_free(w);
                return r;
        }
        *out = w;
        return 0;
}

int img_writer_write(struct img_writer *w, const void *data, size_t len, struct dh_err **err)
{
        if (w->failed)
                return dh_err_set(err, EINVAL, "%s: write after an earlier failure", w->label);
        if (len > (uint64_t)(w->limit - w->written)) {
                w->failed = true;
                return dh_err_set(err, DH_ELIMIT, "%s: more than %s %lld bytes", w->label,
                                  w->expected_size >= 0 ? "the expected" : "the limit of",
                                  (long long)w->limit);
        }
        int r = dh_write_all(w->fd, data, len);
        if (r < 0) {
                w->failed = true;
                return dh_err_errno(err, -r, "%s: write ingest %s", w->label, w->name);
        }
        dh_sha256_update(&w->md, data, len);
        w->written += (int64_t)len;
        return 0;
}

static void finish_digest(struct img_writer *w, char hex[HEX_LEN + 1])
{
        unsigned char md[DH_SHA256_LEN];
        dh_sha256_final(&w->md, md);
        dh_sha256_hex(md, hex);
}

/* Size and digest checks before anything becomes visible. */
static int verify(struct img_writer *w, char hex[HEX_LEN + 1], struct dh_err **err)
{
        if (w->failed)
                return dh_err_set(err, EINVAL, "%s: commit after a failed write", w->label);
        if (w->expected_size >= 0 && w->written != w->expected_size)
                return dh_err_set(err, DH_EINVAL_INPUT,
                                  "%s: size mismatch: expected %lld bytes, got %lld", w->label,
                                  (long long)w->expected_size, (long long)w->written);
        finish_digest(w, hex);
        if (w->expected[0] && strcmp(w->expected, hex) != 0)
                return dh_err_set(err, DH_EINVAL_INPUT,
                                  "digest mismatch: expected " DIGEST_PREFIX "%s, got " DIGEST_PREFIX
                                  "%s",
                                  w->expected, hex);
        return 0;
}

/* Another writer got there first; its copy is only trusted if it looks
 * like one of ours (a planted symlink or a truncated file is not). */
static int check_existing(struct img_writer *w, const char *hex, struct dh_err **err)
{
        struct stat st;
        if (fstatat(w->s->blobs_fd, hex, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return dh_err_errno(err, errno, "blob " DIGEST_PREFIX "%s", hex);
        if (!S_ISREG(st.st_mode) || st.st_size != w->written)
                return dh_err_set(err, EEXIST,
                                  "blob " DIGEST_PREFIX "%s: existing entry is not a %lld-byte file",
                                  hex, (long long)w->written);
        return 0;
}

/* Makes the verified ingest file the blob. It is read-only and on disk
 * before the link, so blobs/ never names partial content; linkat() fails
 * with EEXIST rather than replacing, which makes a second writer of the
 * same blob a no-op. A crash after the link leaves an ingest name that the
 * next open removes. */
static int publish(struct img_writer *w, const char *hex, struct dh_err **err)
{
        struct img_store *s = w->s;
        if (fchmod(w->fd, 0444) < 0 || fsync(w->fd) < 0)
                return dh_err_errno(err, errno, "blob " DIGEST_PREFIX "%s: sync ingest %s", hex,
                                    w->name);
        if (linkat(s->ingest_fd, w->name, s->blobs_fd, hex, 0) < 0) {
                if (errno != EEXIST)
                        return dh_err_errno(err, errno,
                                            "blob " DIGEST_PREFIX "%s: link from ingest %s", hex,
                                            w->name);
                int r = check_existing(w, hex, err);
                if (r < 0)
                        return r;
        }
        if (fsync(s->blobs_fd) < 0)
                return dh_err_errno(err, errno, "blob " DIGEST_PREFIX "%s: sync blobs directory",
                                    hex);
        return 0;
}

int img_writer_commit(struct img_writer *w, char **digest_out, struct dh_err **err)
{
        char hex[HEX_LEN + 1];
        int r = verify(w, hex, err);
        if (r == 0)
                r = publish(w, hex, err);
        char *d = NULL;
        if (r == 0 && asprintf(&d, DIGEST_PREFIX "%s", hex) < 0)
                r = dh_err_errno(err, ENOMEM, "blob " DIGEST_PREFIX "%s", hex);
        img_writer_abort(w);
        if (r < 0)
                return r;
        *digest_out = d;
        return 0;
}

void img_writer_abort(struct img_writer *w)
{
        if (!w)
                return;
        int saved = errno;
        /* Unlinked while still locked, so no cleaner can mistake it. */
        unlinkat(w->s->ingest_fd, w->name, 0);
        writer_free(w);
        errno = saved;
}

bool img_store_has(struct img_store *s, const char *digest)
{
        struct stat st;
        if (!img_digest_valid(digest))
                return false;
        return fstatat(s->blobs_fd, digest + PREFIX_LEN, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
               S_ISREG(st.st_mode);
}

int img_store_open_blob(struct img_store *s, const char *digest, int *fd_out, struct dh_err **err)
{
        const char *name = blob_name(digest, err);
        if (!name)
                return -DH_EINVAL_INPUT;
        _cleanup_close_ int fd =
                openat(s->blobs_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
                return dh_err_errno(err, errno, "blob %s", digest);
        struct stat st;
        if (fstat(fd, &st) < 0)
                return dh_err_errno(err, errno, "blob %s", digest);
        if (!S_ISREG(st.st_mode))
                return dh_err_set(err, EINVAL, "blob %s: not a regular file", digest);
        /* O_NONBLOCK only kept a planted FIFO from blocking the open. */
        if (fcntl(fd, F_SETFL, 0) < 0)
                return dh_err_errno(err, errno, "blob %s", digest);
        *fd_out = TAKE_FD(fd);
        return 0;
}

int img_store_read_blob(struct img_store *s, const char *digest, size_t max, char **data,
                        size_t *len, struct dh_err **err)
{
        _cleanup_close_ int fd = -1;
        int r = img_store_open_blob(s, digest, &fd, err);
        if (r < 0)
                return r;
        r = dh_read_fd(fd, digest, max, data, len, err);
        return r < 0 ? dh_err_prefix(err, "blob %s", digest) : 0;
}

int img_store_delete(struct img_store *s, const char *digest, struct dh_err **err)
{
        const char *name = blob_name(digest, err);
        if (!name)
                return -DH_EINVAL_INPUT;
        /* No directory fsync: a deleted blob that comes back after a crash
         * is whole and verified, and the next garbage collection drops it. */
        if (unlinkat(s->blobs_fd, name, 0) < 0)
                return dh_err_errno(err, errno, "delete blob %s", digest);
        return 0;
}

static bool is_blob_entry(int dirfd, const struct dirent *de, void *ud)
{
        (void)dirfd;
        (void)ud;
        return (de->d_type == DT_REG || de->d_type == DT_UNKNOWN) &&
               strnlen(de->d_name, HEX_LEN + 1) == HEX_LEN && is_hex_name(de->d_name);
}

void img_digests_free(char **digests, size_t n)
{
        if (!digests)
                return;
        for (size_t i = 0; i < n; i++)
                free(digests[i]);
        free(digests);
}

int img_digests_from_names(struct dh_names *names, char ***digests, size_t *n)
{
        char **v = calloc(names->n + 1, sizeof *v);
        for (size_t i = 0; v && i < names->n; i++) {
                if (asprintf(&v[i], DIGEST_PREFIX "%s", names->v[i]) < 0) {
                        v[i] = NULL;
                        img_digests_free(v, i);
                        v = NULL;
                }
        }
        size_t count = names->n;
        dh_names_free(names);
        if (!v)
                return -ENOMEM;
        *digests = v;
        *n = count;
        return 0;
}

int img_store_list(struct img_store *s, char ***digests, size_t *n, struct dh_err **err)
{
        struct dh_names names = { 0 };
        int r = dh_list_dir(s->blobs_fd, "blobs/sha256", is_blob_entry, NULL, IMG_STORE_LIST_MAX,
                            true, &names, err);
        if (r < 0)
                return dh_err_prefix(err, "image store %s", s->root);
        if (img_digests_from_names(&names, digests, n) < 0)
                return dh_err_errno(err, ENOMEM, "image store %s: list blobs", s->root);
        return 0;
}
