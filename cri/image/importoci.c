/* Importing an OCI image layout: index.json's descriptors, the manifests
 * and indexes they name (recursively, bounded) and every config and layer,
 * each copied from blobs/sha256/<hex> through img_writer against its
 * descriptor's digest and size; names from the descriptors' annotations. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cri/image/config.h"
#include "cri/image/import-internal.h"
#include "cri/image/manifest.h"
#include "cri/image/ref.h"
#include "lib/cleanup.h"

/* "blobs/sha256/<hex>" for a valid digest. */
static void blob_rel(const char *digest, char buf[static 80])
{
        snprintf(buf, 80, "blobs/sha256/%s", digest + strlen("sha256:"));
}

/* Whether the layout has the blob (as a regular file beneath it). */
static bool layout_has(struct imp *im, const char *digest)
{
        char rel[80];
        blob_rel(digest, rel);
        _cleanup_close_ int fd = -1;
        struct dh_err *e = NULL;
        bool ok = imp_open(im, rel, &fd, &e) == 0;
        dh_err_free(e);
        return ok;
}

/* Stores a small blob (manifest, index, config) from the layout, verified
 * against digest and size, and returns its bytes; one the layout lacks but
 * the store has is read from the store. */
static int small_blob(struct imp *im, const char *digest, int64_t size, size_t max, char **data,
                      size_t *len, struct dh_err **err)
{
        char rel[80];
        blob_rel(digest, rel);
        if (imp_count_blob(im, err) < 0)
                return -DH_ELIMIT;
        if (size > (int64_t)max)
                return dh_err_set(err, DH_ELIMIT, "%s: size %lld exceeds %zu", rel, (long long)size, max);
        if (!layout_has(im, digest) && img_store_has(im->st, digest))
                return img_store_read_blob(im->st, digest, max, data, len, err);
        _cleanup_free_ char *buf = NULL;
        size_t n = 0;
        int r = imp_read(im, rel, max, &buf, &n, err);
        if (r < 0)
                return r;
        r = imp_store_data(im, buf, n, digest, size, NULL, err);
        if (r < 0)
                return dh_err_prefix(err, "%s", rel);
        *data = TAKE_PTR(buf);
        *len = n;
        return 0;
}

/* Streams a layer (or any large blob) into the store unless it is there. */
static int big_blob(struct imp *im, const struct img_descriptor *d, struct dh_err **err)
{
        if (imp_count_blob(im, err) < 0)
                return -DH_ELIMIT;
        if (img_store_has(im->st, d->digest))
                return 0;
        char rel[80];
        blob_rel(d->digest, rel);
        _cleanup_close_ int fd = -1;
        int r = imp_open(im, rel, &fd, err);
        if (r < 0)
                return r;
        r = imp_copy_fd(im, fd, d->digest, d->size, NULL, err);
        return r < 0 ? dh_err_prefix(err, "%s", rel) : 0;
}

static int manifest_blob(struct imp *im, const char *digest, int64_t size, const char *media_type,
                         int depth, struct dh_err **err);

/* An index's children: absent platforms are allowed, all absent is not. */
static int index_children(struct imp *im, const struct img_manifest *m, int depth, struct dh_err **err)
{
        size_t imported = 0, first_missing = 0;
        bool missing = false;
        for (size_t i = 0; i < m->manifests.n; i++) {
                const struct img_descriptor *d = &m->manifests.v[i];
                if (!layout_has(im, d->digest) && !img_store_has(im->st, d->digest)) {
                        first_missing = missing ? first_missing : i;
                        missing = true;
                        continue;
                }
                int r = manifest_blob(im, d->digest, d->size, d->media_type, depth + 1, err);
                if (r < 0)
                        return dh_err_prefix(err, "manifests[%zu]", i);
                imported++;
        }
        if (!imported) {
                char rel[80];
                blob_rel(m->manifests.v[first_missing].digest, rel);
                return dh_err_set(err, ENOENT, "manifests[%zu]: %s: missing (no manifest of this index is present)",
                                  first_missing, rel);
        }
        return 0;
}

static int manifest_parts(struct imp *im, const struct img_manifest *m, struct dh_err **err)
{
        _cleanup_free_ char *cfg = NULL;
        size_t len = 0;
        int r = small_blob(im, m->config.digest, m->config.size, IMG_CONFIG_MAX, &cfg, &len, err);
        if (r < 0)
                return dh_err_prefix(err, "config");
        for (size_t i = 0; i < m->layers.n; i++)
                if (big_blob(im, &m->layers.v[i], err) < 0)
                        return dh_err_prefix(err, "layers[%zu]", i);
        return 0;
}

/* Stores a manifest or index and everything it names. */
static int manifest_blob(struct imp *im, const char *digest, int64_t size, const char *media_type,
                         int depth, struct dh_err **err)
{
        if (depth > IMG_IMPORT_DEPTH_MAX)
                return dh_err_set(err, DH_ELIMIT, "indexes nested deeper than %d", IMG_IMPORT_DEPTH_MAX);
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        int r = small_blob(im, digest, size, IMG_MANIFEST_MAX, &data, &len, err);
        struct img_manifest m = { 0 };
        if (r == 0)
                r = img_manifest_parse(data, len, media_type, &m, err);
        if (r == 0 && (m.kind == IMG_MEDIA_OCI_INDEX || m.kind == IMG_MEDIA_DOCKER_LIST))
                r = index_children(im, &m, depth, err);
        else if (r == 0)
                r = manifest_parts(im, &m, err);
        img_manifest_free(&m);
        return r < 0 ? dh_err_prefix(err, "manifest %s", digest) : 0;
}

/* A tag as distribution/reference allows it. */
static bool tag_valid(const char *t)
{
        size_t n = strlen(t);
        if (n == 0 || n > 128 || t[0] == '.' || t[0] == '-')
                return false;
        for (size_t i = 0; i < n; i++)
                if (!((t[i] >= 'a' && t[i] <= 'z') || (t[i] >= 'A' && t[i] <= 'Z') ||
                      (t[i] >= '0' && t[i] <= '9') || t[i] == '_' || t[i] == '.' || t[i] == '-'))
                        return false;
        return true;
}

/* org.opencontainers.image.ref.name: a full reference, or a bare tag that
 * takes its repository from name_override (and is dropped without one). */
static int ref_name(struct imp *im, struct img_import_entry *e, const char *v, struct dh_err **err)
{
        if (strpbrk(v, "/:@"))
                return imp_add_name(e, v, err);
        if (!tag_valid(v))
                return dh_err_set(err, EINVAL, "invalid tag %s", v);
        if (!im->name_override)
                return 0;
        struct img_ref ref = { 0 };
        if (img_ref_parse(im->name_override, &ref, err) < 0)
                return dh_err_prefix(err, "name override");
        _cleanup_free_ char *repo = img_ref_name(&ref);
        img_ref_free(&ref);
        _cleanup_free_ char *full = NULL;
        if (!repo || asprintf(&full, "%s:%s", repo, v) < 0)
                return dh_err_set(err, ENOMEM, "out of memory");
        return imp_add_name(e, full, err);
}

static int names(struct imp *im, struct img_import_entry *e, const struct img_layout_desc *d, size_t idx,
                 struct dh_err **err)
{
        static const char at[] = "index.json: manifests[%zu].annotations[%s]";
        const char *cname = dh_strmap_get(&d->annotations, IMG_ANNOTATION_CONTAINERD_NAME);
        if (cname && *cname && imp_add_name(e, cname, err) < 0)
                return dh_err_prefix(err, at, idx, IMG_ANNOTATION_CONTAINERD_NAME);
        const char *rname = dh_strmap_get(&d->annotations, IMG_ANNOTATION_REF_NAME);
        if (rname && *rname && ref_name(im, e, rname, err) < 0)
                return dh_err_prefix(err, at, idx, IMG_ANNOTATION_REF_NAME);
        return 0;
}

static int import_desc(struct imp *im, const struct img_layout_desc *d, size_t idx, struct dh_err **err)
{
        /* Not an image (e.g. an artifact beside it): not ours to import. */
        if (img_media_type(d->media_type) == IMG_MEDIA_UNKNOWN)
                return 0;
        if (!layout_has(im, d->digest) && !img_store_has(im->st, d->digest)) {
                char rel[80];
                blob_rel(d->digest, rel);
                return dh_err_set(err, ENOENT, "index.json: manifests[%zu].digest: %s: missing", idx, rel);
        }
        int r = manifest_blob(im, d->digest, d->size.v, d->media_type, 0, err);
        if (r < 0)
                return dh_err_prefix(err, "index.json: manifests[%zu]", idx);
        struct img_import_entry *e = imp_entry(im, d->digest, err);
        if (!e)
                return -ENOMEM;
        return names(im, e, d, idx, err);
}

int imp_oci(struct imp *im, struct dh_err **err)
{
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        int r = imp_read(im, "index.json", IMG_MANIFEST_MAX, &data, &len, err);
        if (r < 0)
                return r;
        struct img_layout_index ix = { 0 };
        r = img_layout_index_parse(data, len, &ix, err);
        for (size_t i = 0; r == 0 && i < ix.manifests.n; i++)
                r = import_desc(im, &ix.manifests.v[i], i, err);
        img_layout_index_free(&ix);
        return r;
}
