/* Image manifests and indexes (OCI image-spec v1 and Docker distribution
 * schema 2): decoding with field-path errors, validation, layer media types
 * and choosing a platform's entry from an index the way containerd does. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"
#include "lib/jsondec.h"

#define IMG_MANIFEST_MAX (1u << 20)     /* body bytes */
#define IMG_MANIFEST_ENTRIES_MAX 1000   /* layers or manifests */

enum img_media {
        IMG_MEDIA_UNKNOWN,
        IMG_MEDIA_OCI_MANIFEST,
        IMG_MEDIA_OCI_INDEX,
        IMG_MEDIA_DOCKER_MANIFEST,
        IMG_MEDIA_DOCKER_LIST,
};

/* Maps a media type (parameters after ';' ignored) to its kind. */
enum img_media img_media_type(const char *s);

struct img_platform {
        char *architecture, *os, *variant, *os_version;
};

struct img_descriptor {
        char *media_type, *digest;
        int64_t size;
        struct img_platform *platform; /* index entries only; may be NULL */
};

struct img_manifest {
        int64_t schema_version;
        char *media_type;               /* as in the body; may be NULL */
        enum img_media kind;            /* resolved: never UNKNOWN after parse */
        struct img_descriptor config;   /* manifests */
        DH_VEC(struct img_descriptor) layers;    /* manifests */
        DH_VEC(struct img_descriptor) manifests; /* indexes */
};

/* Decodes and validates a manifest or index. content_type (the registry's
 * Content-Type, may be NULL or unrecognised) decides the kind; otherwise
 * the body's mediaType, otherwise its shape ("manifests" -> index,
 * "layers"/"config" -> manifest). Errors name the field:
 * "image manifest: layers[2].digest: Invalid value: ...". Too large a body
 * or too many entries fail with DH_ELIMIT. */
int img_manifest_parse(const char *data, size_t len, const char *content_type,
                       struct img_manifest *out, struct dh_err **err);
/* Accepts NULL; leaves *m zeroed. */
void img_manifest_free(struct img_manifest *m);

/* Picks the entry of an index for os/arch (NULL: linux, amd64) and variant
 * (NULL: arm64 -> v8, arm -> v7, others any), with containerd's defaults:
 * amd64 ignores variants, arm64 "" equals v8, arm vN also accepts lower
 * variants, entries without a platform match last. Otherwise fails
 * (ENOENT) with "no matching manifest for linux/amd64 in the manifest list
 * entries (available: windows/amd64, ...)". */
int img_manifest_select(const struct img_manifest *m, const char *os, const char *arch,
                        const char *variant, size_t *index_out, struct dh_err **err);

/* 0 tar, 1 gzip, 2 zstd, -1 unknown (OCI layer types, their
 * nondistributable forms, Docker's rootfs.diff/foreign.diff types). */
int img_layer_compression(const char *media_type);
