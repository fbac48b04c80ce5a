/* The image service: the node's images under one root directory, built
 * from the blob store (store.h), the unpacked layers (layers.h) and one
 * index file of image records, and the pulls that fill them (registry.h).
 *
 *   <root>/blobs/sha256/<hex>   manifests, indexes, configs (and layer
 *                               blobs until they are unpacked)
 *   <root>/ingest/              partial downloads
 *   <root>/layers/<hex>/diff    unpacked layers, keyed by diffID
 *   <root>/images.json          the records; replaced atomically
 *   <root>/lock                 flock()ed around every change, so the
 *                               agent and deckctl can share a root
 *
 * An image's id is its config digest (as containerd and CRI report it).
 * A crash at any point leaves a consistent store: records are written
 * after everything they name is in place (checked under the lock), and a
 * record is removed before the layers and blobs only it named. Removal and
 * prune leave alone what this process's pulls in flight use; a pull in
 * another process sharing the root can lose a fresh layer to them and then
 * fails cleanly (the next pull fetches it again). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cri/image/config.h"
#include "cri/image/layers.h"
#include "cri/image/registry.h"
#include "cri/image/store.h"
#include "lib/err.h"
#include "lib/jsondec.h"
#include "lib/loop.h"

#define IMG_RECORDS_MAX 10000
#define IMG_RECORDS_FILE_MAX (32u << 20)

struct img_layer_ref {
        char *digest;     /* the blob's digest as the manifest names it */
        char *diff_id;    /* "sha256:..." of the uncompressed tar */
        char *media_type;
        int64_t size;     /* the blob's size (compressed) */
};

struct img_record {
        char *id;                    /* "sha256:<config hex>" */
        char *manifest_digest;       /* the platform manifest's digest */
        struct dh_strv repo_tags;    /* "docker.io/library/busybox:1.36" */
        struct dh_strv repo_digests; /* "docker.io/library/busybox@sha256:<manifest or index>" */
        DH_VEC(struct img_layer_ref) layers; /* lowest first */
        int64_t size;                /* config + unpacked layers, bytes on disk */
        int64_t created_ns;          /* when this node first stored it */
        int64_t last_used_ns;        /* pulled, or a container created from it */
        bool pinned;
};
void img_record_free(struct img_record *r);
/* Whether ref (an id, id prefix, tag or digest reference) names r. */
bool img_record_matches(const struct img_record *r, const char *ref);
int img_record_copy(struct img_record *dst, const struct img_record *src); /* -ENOMEM */

struct img_record_list {
        struct img_record *v;
        size_t n;
};
void img_record_list_free(struct img_record_list *l);

/* What the pull progress callback and the done callback receive. */
typedef void (*img_pull_fn)(void *ud, const char *image_id, struct dh_err *err);

struct img_service_config {
        const char *root;                             /* created if missing */
        const struct img_registry_config *registries; /* may be NULL */
        const char *credentials_file; /* node docker config.json; may be NULL */
        const struct img_unpack_limits *limits;       /* NULL: defaults */
        img_progress_fn progress;                     /* may be NULL */
        void *progress_ud;
        int64_t progress_interval_ms;                 /* 0: once a second */
};

struct img_service;

/* loop may be NULL for a service that never pulls (then pulls fail). */
int img_service_open(const struct img_service_config *cfg, struct dh_loop *loop,
                     struct img_service **out, struct dh_err **err);
/* Cancels pulls in flight (their callbacks do not run). */
void img_service_close(struct img_service *s);

struct img_store *img_service_store(struct img_service *s);
struct img_layers *img_service_layers(struct img_service *s);

/* Starts pulling ref (normalised as the kubelet does); fn runs from the
 * loop when the image is stored (or failed). auth NULL: credentials from
 * the node credentials file and the registry config, else anonymous.
 * Concurrent pulls of the same reference share one pull; blobs and layers
 * already present, or being fetched by another pull, are not fetched
 * again. Returns < 0 only if the pull cannot start (bad reference). */
int img_service_pull(struct img_service *s, const char *ref, const struct img_auth *auth,
                     img_pull_fn fn, void *ud, struct dh_err **err);

/* Finds a record by id ("sha256:<hex>", or a unique id prefix of at least
 * 12 hex digits), by repo tag or repo digest after normalisation
 * ("busybox" -> "docker.io/library/busybox:latest"). -ENOENT when none. */
int img_service_status(struct img_service *s, const char *ref, struct img_record *out,
                       struct dh_err **err);
int img_service_list(struct img_service *s, struct img_record_list *out, struct dh_err **err);
/* Removes the whole image named by ref (all its tags), then the layers and
 * blobs nothing else uses. Whether a container still uses it is the
 * runtime's check, made before this. -ENOENT when absent. */
int img_service_remove(struct img_service *s, const char *ref, struct dh_err **err);
/* Removes layers, blobs and ingest files no record names. */
int img_service_prune(struct img_service *s, int64_t *freed_bytes, struct dh_err **err);
/* Marks an image used now (for GC's least-recently-used order). */
int img_service_touch(struct img_service *s, const char *id, struct dh_err **err);
/* Bytes the store uses (blobs, and unpacked layers as recorded when they
 * were unpacked), the inodes used on its filesystem, and the filesystem's
 * capacity and free bytes (for ImageFsInfo and GC thresholds). */
struct img_fs_usage {
        char *mountpoint;     /* root */
        int64_t used_bytes, inodes_used;
        int64_t capacity_bytes, available_bytes;
        int64_t timestamp_ns;
};
int img_service_fs_usage(struct img_service *s, struct img_fs_usage *out, struct dh_err **err);
void img_fs_usage_free(struct img_fs_usage *u);

/* Records an image whose manifest (or index: manifest_digest may name an
 * index, then linux/amd64 is selected), config and layer blobs are already
 * in the store (imports). Layers are unpacked (and their blobs removed),
 * names ("busybox:1.36", normalised) are moved here from any image that
 * had them. *image_id (may be NULL) gets the id. */
int img_service_add_from_store(struct img_service *s, const char *manifest_digest,
                               const struct dh_strv *names, char **image_id,
                               struct dh_err **err);

/* What a container needs from its image: the lower directories for
 * overlayfs (uppermost first, as lowerdir= wants them) and the decoded
 * config. */
struct img_rootfs {
        char *image_id;
        struct dh_strv lower_dirs;
        struct img_config config;
};
int img_service_rootfs(struct img_service *s, const char *ref, struct img_rootfs *out,
                       struct dh_err **err);
void img_rootfs_free(struct img_rootfs *r);
