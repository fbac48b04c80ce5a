/* Removing images and what no image uses any more, and measuring the
 * store for ImageFsInfo and garbage collection. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "cri/image/images-internal.h"
#include "lib/cleanup.h"
#include "lib/loop.h"

static void lock_release(int *fd)
{
        if (*fd >= 0)
                close(*fd);
}

/* Whether any record names this blob (as config, manifest, or the index or
 * manifest behind a repo digest). */
static bool blob_referenced(const struct img_record_list *l, const char *digest)
{
        for (size_t i = 0; i < l->n; i++) {
                const struct img_record *r = &l->v[i];
                if (strcmp(r->id, digest) == 0 || strcmp(r->manifest_digest, digest) == 0)
                        return true;
                for (size_t k = 0; k < r->repo_digests.n; k++) {
                        const char *at = strrchr(r->repo_digests.v[k], '@');
                        if (at && strcmp(at + 1, digest) == 0)
                                return true;
                }
        }
        return false;
}

static bool layer_referenced(const struct img_record_list *l, const char *diff_id)
{
        for (size_t i = 0; i < l->n; i++)
                for (size_t k = 0; k < l->v[i].layers.n; k++)
                        if (strcmp(l->v[i].layers.v[k].diff_id, diff_id) == 0)
                                return true;
        return false;
}

/* Layers and blobs are pruned and measured the same way, through these. */
struct kind {
        int (*list)(struct img_service *s, char ***ids, size_t *n, struct dh_err **err);
        bool (*referenced)(const struct img_record_list *l, const char *id);
        int64_t (*size)(struct img_service *s, const char *id); /* bytes on disk; 0 if unknown */
        int (*remove)(struct img_service *s, const char *id, struct dh_err **err);
};

static int layers_list(struct img_service *s, char ***ids, size_t *n, struct dh_err **err)
{
        return img_layers_list(s->layers, ids, n, err);
}

static int64_t layer_size(struct img_service *s, const char *id)
{
        int64_t sz = 0;
        struct dh_err *e = NULL;
        if (img_layers_size(s->layers, id, &sz, &e) < 0)
                dh_err_free(e);
        return sz;
}

static int layer_remove(struct img_service *s, const char *id, struct dh_err **err)
{
        return img_layers_remove(s->layers, id, err);
}

static int blobs_list(struct img_service *s, char ***ids, size_t *n, struct dh_err **err)
{
        return img_store_list(s->store, ids, n, err);
}

static int64_t blob_size(struct img_service *s, const char *id)
{
        int fd = -1;
        struct stat st;
        struct dh_err *e = NULL;
        if (img_store_open_blob(s->store, id, &fd, &e) < 0) {
                dh_err_free(e);
                return 0;
        }
        int64_t sz = fstat(fd, &st) == 0 ? (int64_t)st.st_blocks * 512 : 0;
        close(fd);
        return sz;
}

static int blob_remove(struct img_service *s, const char *id, struct dh_err **err)
{
        return img_store_delete(s->store, id, err);
}

static const struct kind layer_kind = { layers_list, layer_referenced, layer_size, layer_remove };
static const struct kind blob_kind = { blobs_list, blob_referenced, blob_size, blob_remove };

/* Removes what no record (and no pull of ours) uses; caller holds the
 * lock. Something already gone is not an error. */
static int prune_kind(struct img_service *s, const struct kind *k, const struct img_record_list *l,
                      int64_t *freed, struct dh_err **err)
{
        char **ids = NULL;
        size_t n = 0;
        int r = k->list(s, &ids, &n, err);
        for (size_t i = 0; r == 0 && i < n; i++) {
                if (k->referenced(l, ids[i]) || img_pulls_use(s, ids[i]))
                        continue;
                int64_t sz = k->size(s, ids[i]);
                r = k->remove(s, ids[i], err);
                if (r == -ENOENT) {
                        dh_err_free(TAKE_PTR(*err));
                        r = 0;
                } else if (r == 0) {
                        *freed += sz;
                }
        }
        img_digests_free(ids, n);
        return r;
}

static int prune_locked(struct img_service *s, const struct img_record_list *l, int64_t *freed,
                        struct dh_err **err)
{
        int r = prune_kind(s, &layer_kind, l, freed, err);
        return r < 0 ? r : prune_kind(s, &blob_kind, l, freed, err);
}

int img_service_prune(struct img_service *s, int64_t *freed_bytes, struct dh_err **err)
{
        _cleanup_(lock_release) int lock = -1;
        struct img_record_list l = { 0 };
        int r = img_records_lock_load(s->root_fd, &lock, &l, err);
        if (r < 0)
                return r;
        int64_t freed = 0;
        r = prune_locked(s, &l, &freed, err);
        img_record_list_free(&l);
        if (freed_bytes)
                *freed_bytes = freed;
        return r < 0 ? dh_err_prefix(err, "prune images") : 0;
}

int img_service_remove(struct img_service *s, const char *ref, struct dh_err **err)
{
        _cleanup_(lock_release) int lock = -1;
        struct img_record_list l = { 0 };
        int r = img_records_lock_load(s->root_fd, &lock, &l, err);
        if (r < 0)
                return r;
        ssize_t i = img_records_find(&l, ref);
        if (i < 0) {
                img_record_list_free(&l);
                return dh_err_set(err, ENOENT, "image \"%s\" not found", ref);
        }
        img_records_drop(&l, (size_t)i);
        /* The record goes first: a crash after this leaves only unused
         * layers and blobs, which the next prune removes. */
        r = img_records_save(s->root_fd, &l, err);
        int64_t freed = 0;
        if (r == 0)
                r = prune_locked(s, &l, &freed, err);
        img_record_list_free(&l);
        return r < 0 ? dh_err_prefix(err, "remove image \"%s\"", ref) : 0;
}

void img_fs_usage_free(struct img_fs_usage *u)
{
        if (u) {
                free(u->mountpoint);
                *u = (struct img_fs_usage){ 0 };
        }
}

static int usage_kind(struct img_service *s, const struct kind *k, int64_t *bytes, struct dh_err **err)
{
        char **ids = NULL;
        size_t n = 0;
        int r = k->list(s, &ids, &n, err);
        for (size_t i = 0; r == 0 && i < n; i++)
                *bytes += k->size(s, ids[i]);
        img_digests_free(ids, n);
        return r;
}

int img_service_fs_usage(struct img_service *s, struct img_fs_usage *out, struct dh_err **err)
{
        struct statvfs vfs;
        if (fstatvfs(s->root_fd, &vfs) < 0)
                return dh_err_errno(err, errno, "statvfs %s", s->root);
        struct img_fs_usage u = { 0 };
        u.timestamp_ns = dh_realtime_ns();
        u.capacity_bytes = (int64_t)vfs.f_blocks * (int64_t)vfs.f_frsize;
        u.available_bytes = (int64_t)vfs.f_bavail * (int64_t)vfs.f_frsize;
        u.inodes_used = (int64_t)(vfs.f_files - vfs.f_ffree);
        int r = usage_kind(s, &blob_kind, &u.used_bytes, err);
        if (r == 0)
                r = usage_kind(s, &layer_kind, &u.used_bytes, err);
        if (r < 0)
                return r;
        if (!(u.mountpoint = strdup(s->root)))
                return dh_err_errno(err, ENOMEM, "image fs usage");
        *out = u;
        return 0;
}
