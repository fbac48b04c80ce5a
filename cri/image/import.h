/* Image imports: every image of an OCI image layout (a directory or a tar
 * archive of one) or of a `docker save` archive (tar, optionally gzipped,
 * or its extracted directory) copied into the blob store, each blob
 * verified on the way in, and the names to tag them with. Recording the
 * images (img_service_add_from_store) is the caller's business.
 *
 * Everything read from the layout or archive is hostile: files are opened
 * beneath the layout's directory fd without following symlinks, JSON
 * bodies and counts are bounded, archives are extracted by img_unpack_tar. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cri/image/store.h"
#include "lib/err.h"
#include "lib/jsondec.h"

/* Images (index.json manifests or manifest.json entries) per import. */
#define IMG_IMPORT_IMAGES_MAX 1000
/* Blobs looked at per import (manifests, configs and layers, nested
 * indexes included). */
#define IMG_IMPORT_BLOBS_MAX 20000
/* Nesting of indexes inside an OCI layout's index.json. */
#define IMG_IMPORT_DEPTH_MAX 4

/* Annotations naming an image in an OCI layout. */
#define IMG_ANNOTATION_REF_NAME "org.opencontainers.image.ref.name"
#define IMG_ANNOTATION_CONTAINERD_NAME "io.containerd.image.name"

struct img_import_entry {
        char *manifest_digest; /* a manifest or an index in the store */
        struct dh_strv names;  /* normalised refs to tag, may be empty */
};

struct img_import_list {
        struct img_import_entry *v;
        size_t n;
};

/* Imports every image at path: an OCI layout directory (oci-layout,
 * index.json, blobs/sha256/...), a directory holding an extracted `docker
 * save` (manifest.json), or a tar archive of either, uncompressed or
 * gzip-compressed (told by its magic). Archives are extracted into a
 * temporary directory under $TMPDIR (default /tmp) that is removed after.
 * When a directory has both index.json and manifest.json (docker 25+), the
 * OCI layout wins.
 *
 * OCI: every blob named by index.json, and by the manifests and indexes
 * it names, is written through img_writer against the digest and size of
 * its descriptor. Manifests' configs and layers must be present (in the
 * layout, or already in the store); a nested index may lack some of its
 * platforms' manifests (exports often keep only one), not all of them.
 * Names come from the io.containerd.image.name and
 * org.opencontainers.image.ref.name annotations; a bare tag ("1.0") needs
 * name_override ("<name_override>:1.0") and is otherwise dropped.
 *
 * docker save: each entry's config and (uncompressed) layers are stored;
 * rootfs.diff_ids must equal the layers' digests; a Docker schema 2
 * manifest with rootfs.diff.tar layers is synthesized and stored, and is
 * the entry's manifest_digest. Names are the RepoTags.
 *
 * With name_override and exactly one image imported, its names are just
 * the normalised name_override, except that a bare repository override
 * ("example/app") keeps the image's own tags it already named
 * ("example/app:1.0"). Entries naming the same manifest are
 * merged. Errors name the path, the file and the field:
 * "import /x/img.tar: manifest.json: [0].Layers[2]: ...". On failure *out
 * is untouched; blobs already stored stay (the store's GC removes them). */
int img_import_path(struct img_store *st, const char *path, const char *name_override,
                    struct img_import_list *out, struct dh_err **err);
void img_import_list_free(struct img_import_list *l);

/* ---- the decoders (exported for fuzzing and tests) ---- */

struct img_layout_desc {
        char *media_type, *digest;
        struct dh_opt_i64 size;
        struct dh_strmap annotations;
};

/* An OCI layout's index.json. */
struct img_layout_index {
        int64_t schema_version;
        DH_VEC(struct img_layout_desc) manifests;
};

/* Decodes and validates index.json (at most IMG_MANIFEST_MAX bytes and
 * IMG_IMPORT_IMAGES_MAX manifests): schemaVersion 2, every descriptor
 * with mediaType, a sha256 digest and a size. Errors:
 * "index.json: manifests[0].digest: Invalid value: ...". */
int img_layout_index_parse(const char *data, size_t len, struct img_layout_index *out,
                           struct dh_err **err);
void img_layout_index_free(struct img_layout_index *ix);

struct img_save_entry {
        char *config;             /* path inside the archive */
        struct dh_strv repo_tags; /* valid references, not yet normalised */
        struct dh_strv layers;    /* paths inside the archive, lowest first */
};

/* A `docker save` manifest.json. */
struct img_save_manifest {
        DH_VEC(struct img_save_entry) images;
};

/* Decodes and validates manifest.json (at most IMG_MANIFEST_MAX bytes,
 * IMG_IMPORT_IMAGES_MAX images of at most IMG_MANIFEST_ENTRIES_MAX
 * layers): Config required, paths relative without "." or ".." or empty
 * components, RepoTags valid references. Errors:
 * "manifest.json: [0].Layers[2]: Invalid value: ...". */
int img_save_manifest_parse(const char *data, size_t len, struct img_save_manifest *out,
                            struct dh_err **err);
void img_save_manifest_free(struct img_save_manifest *m);

/* Whether rel is a path the decoders accept: relative, at most 4096
 * bytes, components neither empty nor "." nor "..". */
bool img_import_path_ok(const char *rel);
