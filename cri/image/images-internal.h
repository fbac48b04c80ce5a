/* Shared by the image service's files; not an API. */
#pragma once
#include "cri/image/images.h"
#include "cri/image/manifest.h"

struct pull;

struct img_service {
        char *root;
        int root_fd;
        struct img_store *store;
        struct img_layers *layers;
        struct dh_loop *loop;
        struct dh_http *http;
        const struct img_registry_config *registries;
        char *credentials_file;
        struct img_unpack_limits limits;
        img_progress_fn progress;
        void *progress_ud;
        int64_t progress_interval_ms;
        struct pull *pulls;        /* in flight, a list */
        struct unpack_job *unpacks; /* layer unpacks in flight */
        unsigned unpacks_running;
};

/* --- records.c: images.json, read and written under <root>/lock --- */
/* Decodes images.json; records naming invalid digests are dropped. */
int img_records_parse(const char *data, size_t len, struct img_record_list *out, struct dh_err **err);
int img_records_load(int root_fd, struct img_record_list *out, struct dh_err **err);
int img_records_save(int root_fd, const struct img_record_list *l, struct dh_err **err);
/* flock(LOCK_EX) on <root>/lock; *lock_fd is closed by the caller. */
int img_records_lock(int root_fd, int *lock_fd, struct dh_err **err);
/* Both of the above: the lock, then the records under it (on failure the
 * lock is released and *lock_fd is -1). */
int img_records_lock_load(int root_fd, int *lock_fd, struct img_record_list *out, struct dh_err **err);
/* Index of the record ref names (see img_service_status) or -1. */
ssize_t img_records_find(const struct img_record_list *l, const char *ref);
/* Takes name (a normalised tag or digest reference) off every record. */
void img_records_untag(struct img_record_list *l, const char *name);
/* Appends r (taken over: *r is zeroed) or merges it into the record with
 * the same id; returns 0 or -ENOMEM (r untouched then). */
int img_records_put(struct img_record_list *l, struct img_record *r);
void img_records_drop(struct img_record_list *l, size_t i);
/* Moves record i out of the list into *out. */
void img_records_take(struct img_record_list *l, size_t i, struct img_record *out);

/* --- images.c --- */
/* Records an image whose manifest and config are in the store and whose
 * layers are all unpacked: the last step of pulls and imports. names are
 * normalised references: "name:tag" tags the image, and every name gives
 * a repo digest "name@top_digest" (top_digest: the index or manifest that
 * was pulled or imported). */
int img_service_commit(struct img_service *s, const char *top_digest,
                       const char *manifest_digest, const struct img_manifest *m,
                       const struct img_config *cfg, const struct dh_strv *names,
                       char **image_id, struct dh_err **err);
/* Unpacks the layer blob digest (in the store) as diff_id, synchronously,
 * then deletes the blob. */
int img_service_unpack_now(struct img_service *s, const struct img_descriptor *layer,
                           const char *diff_id, struct dh_err **err);

/* --- pull.c --- */
void img_pulls_cancel_all(struct img_service *s);
/* Whether a pull in flight in this process uses this blob digest or
 * diffID (prune must leave it alone). */
bool img_pulls_use(const struct img_service *s, const char *digest);
