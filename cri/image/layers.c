/* The unpacked-layer store: <dir>/<hex>/diff (the tree) and <dir>/<hex>/size
 * (bytes on disk, decimal). Layers are built in <dir>/.tmp-<random> and
 * removed through <dir>/.del-<random>; both are flock()ed while in use, so
 * img_layers_open() (ours or another process's) only removes what a crash
 * left behind. Names under <dir> come only from validated diffIDs or our
 * own random names, and everything is reached through directory fds. */
#include "cri/image/layers.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cri/image/store.h"
#include "lib/atomicfile.h"
#include "lib/cleanup.h"
#include "lib/dirlist.h"
#include "lib/fileio.h"
#include "lib/parse.h"

#define PREFIX "sha256:"
#define PREFIX_LEN (sizeof(PREFIX) - 1)
#define HEX_LEN 64
#define TMP_PREFIX ".tmp-"
#define DEL_PREFIX ".del-"
#define AUX_NAME_LEN (5 + 32) /* ".tmp-" or ".del-" and 32 hex digits */
#define AUX_TRIES 16
/* Leftovers looked at by one open; more are left for the next. */
#define LEFTOVER_MAX 10000
#define SIZE_FILE_MAX 32

struct img_layers {
        char *dir;
        int dirfd;
};

/* A layer being built: its locked .tmp- directory. */
struct tmp_layer {
        char name[AUX_NAME_LEN + 1];
        int fd;
        bool published;
};

/* The directory name of a diffID, or NULL with the error set: the only way
 * a diffID becomes a path. */
static const char *layer_name(const char *diff_id, struct dh_err **err)
{
        if (!img_digest_valid(diff_id)) {
                dh_err_set(err, DH_EINVAL_INPUT, "invalid layer diffID \"%.100s\"",
                           diff_id ? diff_id : "(null)");
                return NULL;
        }
        return diff_id + PREFIX_LEN;
}

static bool is_hex_name(const char *s)
{
        size_t i = 0;
        for (; i < HEX_LEN; i++)
                if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
                        return false;
        return s[i] == '\0';
}

static int aux_name(char *buf, const char *prefix)
{
        unsigned char raw[16];
        if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw)
                return -1;
        static const char hex[] = "0123456789abcdef";
        size_t o = strlen(prefix);
        memcpy(buf, prefix, o);
        for (size_t i = 0; i < sizeof raw; i++) {
                buf[o++] = hex[raw[i] >> 4];
                buf[o++] = hex[raw[i] & 15];
        }
        buf[o] = '\0';
        return 0;
}

/* ---- opening and crash leftovers ---- */

static bool is_leftover(int dirfd, const struct dirent *de, void *ud)
{
        (void)dirfd;
        (void)ud;
        return strncmp(de->d_name, TMP_PREFIX, strlen(TMP_PREFIX)) == 0 ||
               strncmp(de->d_name, DEL_PREFIX, strlen(DEL_PREFIX)) == 0;
}

/* Removes one leftover unless a live add or remove holds its lock. The
 * removal happens under our lock, so an add that locks its fresh .tmp-
 * directory after us sees st_nlink == 0 and starts over. */
static int remove_leftover(struct img_layers *ls, const char *name, struct dh_err **err)
{
        _cleanup_close_ int fd = openat(ls->dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
                                        O_NONBLOCK | O_CLOEXEC);
        if (fd < 0 && errno == ENOENT)
                return 0;
        if (fd < 0 && (errno == ENOTDIR || errno == ELOOP)) {
                /* Not something we create: a stray file or symlink, dropped. */
                if (unlinkat(ls->dirfd, name, 0) < 0 && errno != ENOENT)
                        return dh_err_errno(err, errno, "remove %s", name);
                return 0;
        }
        if (fd < 0)
                return dh_err_errno(err, errno, "open %s", name);
        if (flock(fd, LOCK_EX | LOCK_NB) < 0)
                return errno == EWOULDBLOCK ? 0 : dh_err_errno(err, errno, "lock %s", name);
        return dh_rm_rf_at(ls->dirfd, name, err);
}

static int clean_leftovers(struct img_layers *ls, struct dh_err **err)
{
        struct dh_names names = { 0 };
        int r = dh_list_dir(ls->dirfd, ls->dir, is_leftover, NULL, LEFTOVER_MAX, false, &names,
                            err);
        for (size_t i = 0; r == 0 && i < names.n; i++)
                r = remove_leftover(ls, names.v[i], err);
        dh_names_free(&names);
        return r;
}

int img_layers_open(const char *dir, struct img_layers **out, struct dh_err **err)
{
        /* 0700: layers hold setuid binaries and image secrets that host
         * users have no business reading. */
        int r = dh_mkdir_p(dir, 0700, err);
        if (r < 0)
                return dh_err_prefix(err, "layer store %s", dir);
        struct img_layers *ls = calloc(1, sizeof *ls);
        if (!ls || !(ls->dir = strdup(dir))) {
                free(ls);
                return dh_err_errno(err, ENOMEM, "layer store %s", dir);
        }
        ls->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (ls->dirfd < 0)
                r = dh_err_errno(err, errno, "open");
        else
                r = clean_leftovers(ls, err);
        if (r < 0) {
                dh_err_prefix(err, "layer store %s", dir);
                img_layers_close(ls);
                return r;
        }
        *out = ls;
        return 0;
}

void img_layers_close(struct img_layers *ls)
{
        if (!ls)
                return;
        int saved = errno;
        if (ls->dirfd >= 0)
                close(ls->dirfd);
        free(ls->dir);
        free(ls);
        errno = saved;
}

/* ---- lookups ---- */

static int open_layer_dir(struct img_layers *ls, const char *hex)
{
        return openat(ls->dirfd, hex, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

bool img_layers_has(struct img_layers *ls, const char *diff_id)
{
        const char *hex = layer_name(diff_id, NULL);
        if (!hex)
                return false;
        _cleanup_close_ int fd = open_layer_dir(ls, hex);
        struct stat st;
        return fd >= 0 && fstatat(fd, "diff", &st, AT_SYMLINK_NOFOLLOW) == 0 &&
               S_ISDIR(st.st_mode);
}

char *img_layers_diff_path(struct img_layers *ls, const char *diff_id)
{
        const char *hex = layer_name(diff_id, NULL);
        char *p = NULL;
        if (!hex || asprintf(&p, "%s/%s/diff", ls->dir, hex) < 0)
                return NULL;
        return p;
}

int img_layers_size(struct img_layers *ls, const char *diff_id, int64_t *size_out,
                    struct dh_err **err)
{
        const char *hex = layer_name(diff_id, err);
        if (!hex)
                return -DH_EINVAL_INPUT;
        _cleanup_close_ int dfd = open_layer_dir(ls, hex);
        if (dfd < 0)
                return dh_err_errno(err, errno, "layer %s", diff_id);
        _cleanup_close_ int fd = openat(dfd, "size", O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
                                        O_CLOEXEC);
        if (fd < 0)
                return dh_err_errno(err, errno, "layer %s: size", diff_id);
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        int64_t v;
        int r = dh_read_fd(fd, "size", SIZE_FILE_MAX, &data, &len, err);
        if (r == 0 && len > 0 && data[len - 1] == '\n')
                data[len - 1] = '\0';
        if (r == 0)
                r = dh_parse_i64(data, 0, INT64_MAX, &v, "size", err);
        if (r < 0)
                return dh_err_prefix(err, "layer %s", diff_id);
        *size_out = v;
        return 0;
}

static bool is_layer_entry(int dirfd, const struct dirent *de, void *ud)
{
        return strnlen(de->d_name, HEX_LEN + 1) == HEX_LEN && is_hex_name(de->d_name) &&
               dh_is_subdir(dirfd, de, ud);
}

int img_layers_list(struct img_layers *ls, char ***ids, size_t *n, struct dh_err **err)
{
        struct dh_names names = { 0 };
        int r = dh_list_dir(ls->dirfd, ls->dir, is_layer_entry, NULL, IMG_STORE_LIST_MAX, true,
                            &names, err);
        if (r < 0)
                return dh_err_prefix(err, "layer store %s", ls->dir);
        if (img_digests_from_names(&names, ids, n) < 0)
                return dh_err_errno(err, ENOMEM, "layer store %s: list", ls->dir);
        return 0;
}

/* ---- size on disk ---- */

static int tree_bytes_at(int dirfd, const char *name, int depth, uint64_t *sum,
                         struct dh_err **err);

/* Adds one entry of the open directory d: its blocks, shared out among its
 * names when hard-linked (every link of a fresh layer is inside it), and
 * for a directory its contents. */
static int entry_bytes(int dfd, const char *name, int depth, uint64_t *sum,
                       struct dh_err **err)
{
        struct stat st;
        if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return dh_err_errno(err, errno, "stat \"%s\"", name);
        if (S_ISDIR(st.st_mode))
                return tree_bytes_at(dfd, name, depth + 1, sum, err);
        *sum += (uint64_t)st.st_blocks * 512 / (st.st_nlink ? st.st_nlink : 1);
        return 0;
}

/* Walks dirfd/name without following symlinks, one fd per level. */
static int tree_bytes_at(int dirfd, const char *name, int depth, uint64_t *sum,
                         struct dh_err **err)
{
        if (depth > DH_RM_RF_MAX_DEPTH)
                return dh_err_set(err, DH_ELIMIT, "deeper than %d directories",
                                  DH_RM_RF_MAX_DEPTH);
        int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0) {
                int e = errno;
                if (fd >= 0)
                        close(fd);
                return dh_err_errno(err, e, "open \"%s\"", name);
        }
        DIR *d = fdopendir(fd);
        if (!d) {
                close(fd);
                return dh_err_errno(err, ENOMEM, "walk \"%s\"", name);
        }
        *sum += (uint64_t)st.st_blocks * 512;
        int r = 0;
        struct dirent *de;
        while (r == 0 && (errno = 0, de = readdir(d))) {
                if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
                        r = entry_bytes(fd, de->d_name, depth, sum, err);
        }
        if (r == 0 && errno)
                r = dh_err_errno(err, errno, "read directory \"%s\"", name);
        closedir(d);
        return r < 0 ? dh_err_prefix(err, "%s", name) : 0;
}

/* ---- adding ---- */

/* Creates and locks a fresh .tmp- directory. A cleaner that removed it
 * between our mkdir and our lock shows up as st_nlink == 0. */
static int tmp_create(struct img_layers *ls, struct tmp_layer *t, struct dh_err **err)
{
        for (int i = 0; i < AUX_TRIES; i++) {
                if (aux_name(t->name, TMP_PREFIX) < 0)
                        return dh_err_errno(err, errno, "getrandom");
                if (mkdirat(ls->dirfd, t->name, 0700) < 0) {
                        if (errno == EEXIST)
                                continue;
                        return dh_err_errno(err, errno, "mkdir %s", t->name);
                }
                int fd = openat(ls->dirfd, t->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
                                O_CLOEXEC);
                struct stat st;
                if (fd >= 0 && flock(fd, LOCK_EX) == 0 && fstat(fd, &st) == 0 &&
                    st.st_nlink > 0) {
                        t->fd = fd;
                        return 0;
                }
                if (fd >= 0)
                        close(fd);
        }
        return dh_err_set(err, EAGAIN, "could not create a temporary layer directory");
}

static void tmp_drop(struct img_layers *ls, struct tmp_layer *t)
{
        if (t->fd < 0)
                return;
        int saved = errno;
        /* Removed while still locked, so no cleaner races us; a failure
         * leaves a leftover the next open removes. */
        if (!t->published)
                dh_rm_rf_at(ls->dirfd, t->name, NULL);
        close(t->fd);
        t->fd = -1;
        errno = saved;
}

static int write_size(int dirfd, uint64_t bytes, struct dh_err **err)
{
        char buf[SIZE_FILE_MAX];
        int n = snprintf(buf, sizeof buf, "%llu\n", (unsigned long long)bytes);
        return dh_write_file_atomic(dirfd, "size", buf, (size_t)n, 0600, err);
}

/* Extracts into the temp directory and checks the diffID. */
static int tmp_fill(struct tmp_layer *t, int blob_fd, enum img_compression c,
                    const char *diff_id, const struct img_unpack_limits *lim, int64_t *size,
                    struct dh_err **err)
{
        if (mkdirat(t->fd, "diff", 0755) < 0)
                return dh_err_errno(err, errno, "mkdir diff");
        _cleanup_close_ int dfd = openat(t->fd, "diff", O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
                                         O_CLOEXEC);
        if (dfd < 0)
                return dh_err_errno(err, errno, "open diff");
        _cleanup_free_ char *got = NULL;
        int r = img_layer_extract(blob_fd, c, dfd, lim, NULL, &got, err);
        if (r < 0)
                return r;
        if (strcmp(got, diff_id) != 0)
                return dh_err_set(err, DH_EINVAL_INPUT,
                                  "layer diffID mismatch: expected %s, got %s", diff_id, got);
        uint64_t bytes = 0;
        if ((r = tree_bytes_at(t->fd, "diff", 0, &bytes, err)) < 0 ||
            (r = write_size(t->fd, bytes, err)) < 0)
                return r;
        *size = bytes > INT64_MAX ? INT64_MAX : (int64_t)bytes;
        return 0;
}

/* Flushes the whole tree (one syncfs() rather than an fsync per file),
 * then renames it into place and makes the rename durable. A layer that
 * appeared meanwhile (another process won the race) is kept and ours is
 * dropped: both hold the same verified content. */
static int tmp_publish(struct img_layers *ls, struct tmp_layer *t, const char *hex,
                       struct dh_err **err)
{
        if (syncfs(t->fd) < 0)
                return dh_err_errno(err, errno, "syncfs");
        if (renameat(ls->dirfd, t->name, ls->dirfd, hex) < 0) {
                if (errno != EEXIST && errno != ENOTEMPTY)
                        return dh_err_errno(err, errno, "rename %s", t->name);
                struct stat st;
                _cleanup_close_ int fd = open_layer_dir(ls, hex);
                if (fd < 0 || fstatat(fd, "diff", &st, AT_SYMLINK_NOFOLLOW) < 0 ||
                    !S_ISDIR(st.st_mode))
                        return dh_err_set(err, EEXIST, "%s exists but is not a layer", hex);
                return 0;
        }
        t->published = true;
        if (fsync(ls->dirfd) < 0)
                return dh_err_errno(err, errno, "fsync %s", ls->dir);
        return 0;
}

int img_layers_add(struct img_layers *ls, int blob_fd, enum img_compression c,
                   const char *diff_id, const struct img_unpack_limits *lim, int64_t *size_out,
                   struct dh_err **err)
{
        const char *hex = layer_name(diff_id, err);
        if (!hex)
                return -DH_EINVAL_INPUT;
        if (img_layers_has(ls, diff_id))
                return size_out ? img_layers_size(ls, diff_id, size_out, err) : 0;
        struct tmp_layer t = { .fd = -1 };
        int64_t size = 0;
        int r = tmp_create(ls, &t, err);
        if (r == 0)
                r = tmp_fill(&t, blob_fd, c, diff_id, lim, &size, err);
        if (r == 0)
                r = tmp_publish(ls, &t, hex, err);
        tmp_drop(ls, &t);
        if (r < 0)
                return dh_err_prefix(err, "layer %s", diff_id);
        if (size_out)
                *size_out = size;
        return 0;
}

/* ---- removing ---- */

int img_layers_remove(struct img_layers *ls, const char *diff_id, struct dh_err **err)
{
        const char *hex = layer_name(diff_id, err);
        if (!hex)
                return -DH_EINVAL_INPUT;
        /* Locked before the rename so that, under its .del- name, a
         * concurrent open leaves it to us. */
        _cleanup_close_ int fd = open_layer_dir(ls, hex);
        if (fd < 0)
                return dh_err_errno(err, errno, "remove layer %s", diff_id);
        if (flock(fd, LOCK_EX) < 0)
                return dh_err_errno(err, errno, "remove layer %s: lock", diff_id);
        char del[AUX_NAME_LEN + 1];
        if (aux_name(del, DEL_PREFIX) < 0)
                return dh_err_errno(err, errno, "remove layer %s: getrandom", diff_id);
        if (renameat(ls->dirfd, hex, ls->dirfd, del) < 0)
                return dh_err_errno(err, errno, "remove layer %s", diff_id);
        /* Durable before the tree is torn down: after a crash the layer is
         * either whole under its name or a .del- leftover. */
        if (fsync(ls->dirfd) < 0)
                return dh_err_errno(err, errno, "remove layer %s: fsync %s", diff_id, ls->dir);
        int r = dh_rm_rf_at(ls->dirfd, del, err);
        return r < 0 ? dh_err_prefix(err, "remove layer %s", diff_id) : 0;
}
