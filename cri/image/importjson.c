/* The JSON files of image imports: an OCI layout's index.json and a
 * `docker save` manifest.json, decoded through the lib/jsondec tables and
 * validated with field paths. Both come from untrusted archives. */
#include "cri/image/import.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cri/image/manifest.h"
#include "cri/image/ref.h"

#define F(st, key, member, type) { key, (type), offsetof(struct st, member) }
#define END { NULL, NULL, 0 }

static const struct jd_field desc_fields[] = {
        F(img_layout_desc, "mediaType", media_type, &jd_string),
        F(img_layout_desc, "digest", digest, &jd_string),
        F(img_layout_desc, "size", size, &jd_int64),
        F(img_layout_desc, "annotations", annotations, &jd_strmap), END,
};
static const struct jd_type t_desc = JD_OBJECT(struct img_layout_desc, desc_fields);
static const struct jd_type t_descs = JD_ARRAY(&t_desc);
static const struct jd_field index_fields[] = {
        F(img_layout_index, "schemaVersion", schema_version, &jd_plain_i64),
        F(img_layout_index, "manifests", manifests, &t_descs), END,
};
static const struct jd_type t_index = JD_OBJECT(struct img_layout_index, index_fields);

static const struct jd_field save_fields[] = {
        F(img_save_entry, "Config", config, &jd_string),
        F(img_save_entry, "RepoTags", repo_tags, &jd_strv),
        F(img_save_entry, "Layers", layers, &jd_strv), END,
};
static const struct jd_type t_save_entry = JD_OBJECT(struct img_save_entry, save_fields);
static const struct jd_type t_save_entries = JD_ARRAY(&t_save_entry);

bool img_import_path_ok(const char *rel)
{
        if (!rel || !*rel || rel[0] == '/' || strlen(rel) > 4096)
                return false;
        for (const char *p = rel; *p;) {
                size_t n = strcspn(p, "/");
                if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
                        return false;
                p += n;
                if (*p == '/' && !*++p)
                        return false; /* trailing slash: an empty last component */
        }
        return true;
}

/* Loads a JSON body of at most IMG_MANIFEST_MAX bytes. */
static json_t *load(const char *file, const char *data, size_t len, struct dh_err **err)
{
        if (len > IMG_MANIFEST_MAX) {
                dh_err_set(err, DH_ELIMIT, "%s: %zu bytes exceed %u", file, len, IMG_MANIFEST_MAX);
                return NULL;
        }
        json_error_t je;
        json_t *j = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
        if (!j)
                dh_err_set(err, EINVAL, "%s: line %d, column %d: %s", file, je.line, je.column, je.text);
        return j;
}

/* Fails with the first field error (and how many more there were). */
static int report(const char *file, struct dh_ferrs *errs, struct dh_err **err)
{
        size_t more = errs->n + errs->dropped - 1;
        char *line = errs->n ? dh_ferr_format(&errs->v[0]) : NULL;
        if (more)
                dh_err_set(err, EINVAL, "%s: %s (and %zu more errors)", file, line ? line : "invalid", more);
        else
                dh_err_set(err, EINVAL, "%s: %s", file, line ? line : "invalid");
        free(line);
        return -EINVAL;
}

static int too_many(const char *file, const char *what, size_t n, size_t max, struct dh_err **err)
{
        return dh_err_set(err, DH_ELIMIT, "%s: %s: %zu entries exceed %zu", file, what, n, max);
}

static void validate_desc(struct jd_ctx *c, const struct img_layout_desc *d)
{
        size_t mark = dh_path_field(&c->path, "mediaType");
        if (!d->media_type || !*d->media_type)
                dh_ferr_required(c->errs, &c->path, NULL);
        dh_path_pop(&c->path, mark);
        mark = dh_path_field(&c->path, "digest");
        if (!d->digest)
                dh_ferr_required(c->errs, &c->path, NULL);
        else if (!img_digest_valid(d->digest))
                dh_ferr_invalid_str(c->errs, &c->path, d->digest, "must be sha256:<64 lowercase hex digits>");
        dh_path_pop(&c->path, mark);
        mark = dh_path_field(&c->path, "size");
        if (!d->size.set)
                dh_ferr_required(c->errs, &c->path, NULL);
        else if (d->size.v < 0)
                dh_ferr_invalid_int(c->errs, &c->path, d->size.v, "must be non-negative");
        dh_path_pop(&c->path, mark);
}

static void validate_index(struct jd_ctx *c, const struct img_layout_index *ix)
{
        size_t mark = dh_path_field(&c->path, "schemaVersion");
        if (ix->schema_version != 2)
                dh_ferr_invalid_int(c->errs, &c->path, ix->schema_version, "must be 2");
        dh_path_pop(&c->path, mark);
        mark = dh_path_field(&c->path, "manifests");
        if (!ix->manifests.n)
                dh_ferr_required(c->errs, &c->path, "an image layout needs at least one manifest");
        for (size_t i = 0; i < ix->manifests.n; i++) {
                size_t imark = dh_path_index(&c->path, i);
                validate_desc(c, &ix->manifests.v[i]);
                dh_path_pop(&c->path, imark);
        }
        dh_path_pop(&c->path, mark);
}

int img_layout_index_parse(const char *data, size_t len, struct img_layout_index *out,
                           struct dh_err **err)
{
        static const char file[] = "index.json";
        json_t *j = load(file, data, len, err);
        if (!j)
                return -EINVAL;
        int r = 0;
        json_t *list = json_object_get(j, "manifests");
        if (!json_is_object(j))
                r = dh_err_set(err, EINVAL, "%s: must be a JSON object", file);
        else if (json_is_array(list) && json_array_size(list) > IMG_IMPORT_IMAGES_MAX)
                r = too_many(file, "manifests", json_array_size(list), IMG_IMPORT_IMAGES_MAX, err);
        struct img_layout_index ix = { 0 };
        struct dh_ferrs errs = { 0 };
        struct jd_ctx ctx = { .errs = &errs };
        if (r == 0) {
                jd_decode_object(&ctx, j, &ix, &t_index);
                if (!errs.n && !errs.dropped)
                        validate_index(&ctx, &ix);
                if (errs.n || errs.dropped)
                        r = report(file, &errs, err);
        }
        json_decref(j);
        dh_ferrs_free(&errs);
        if (r < 0) {
                img_layout_index_free(&ix);
                return r;
        }
        *out = ix;
        return 0;
}

void img_layout_index_free(struct img_layout_index *ix)
{
        if (!ix)
                return;
        jd_free_object(ix, &t_index);
        memset(ix, 0, sizeof *ix);
}

static void check_path(struct jd_ctx *c, const char *rel)
{
        if (!img_import_path_ok(rel))
                dh_ferr_invalid_str(c->errs, &c->path, rel,
                                    "must be a relative path without empty, \".\" or \"..\" components");
}

static void validate_save_entry(struct jd_ctx *c, const struct img_save_entry *e)
{
        size_t mark = dh_path_field(&c->path, "Config");
        if (!e->config)
                dh_ferr_required(c->errs, &c->path, NULL);
        else
                check_path(c, e->config);
        dh_path_pop(&c->path, mark);
        mark = dh_path_field(&c->path, "RepoTags");
        for (size_t i = 0; i < e->repo_tags.n; i++) {
                size_t imark = dh_path_index(&c->path, i);
                struct img_ref ref = { 0 };
                struct dh_err *rerr = NULL;
                if (!e->repo_tags.v[i])
                        dh_ferr_required(c->errs, &c->path, NULL);
                else if (img_ref_parse(e->repo_tags.v[i], &ref, &rerr) < 0)
                        dh_ferr_invalid_str(c->errs, &c->path, e->repo_tags.v[i], rerr->msg);
                img_ref_free(&ref);
                dh_err_free(rerr);
                dh_path_pop(&c->path, imark);
        }
        dh_path_pop(&c->path, mark);
        mark = dh_path_field(&c->path, "Layers");
        if (e->layers.n > IMG_MANIFEST_ENTRIES_MAX)
                dh_ferr_add(c->errs, DH_FERR_TOO_MANY, dh_path_str(&c->path), NULL, "too many layers");
        for (size_t i = 0; i < e->layers.n; i++) {
                size_t imark = dh_path_index(&c->path, i);
                if (!e->layers.v[i])
                        dh_ferr_required(c->errs, &c->path, NULL);
                else
                        check_path(c, e->layers.v[i]);
                dh_path_pop(&c->path, imark);
        }
        dh_path_pop(&c->path, mark);
}

int img_save_manifest_parse(const char *data, size_t len, struct img_save_manifest *out,
                            struct dh_err **err)
{
        static const char file[] = "manifest.json";
        json_t *j = load(file, data, len, err);
        if (!j)
                return -EINVAL;
        int r = 0;
        if (!json_is_array(j))
                r = dh_err_set(err, EINVAL, "%s: must be a JSON list", file);
        else if (json_array_size(j) == 0)
                r = dh_err_set(err, EINVAL, "%s: holds no images", file);
        else if (json_array_size(j) > IMG_IMPORT_IMAGES_MAX)
                r = too_many(file, "images", json_array_size(j), IMG_IMPORT_IMAGES_MAX, err);
        struct img_save_manifest m = { 0 };
        struct dh_ferrs errs = { 0 };
        struct jd_ctx ctx = { .errs = &errs };
        if (r == 0) {
                jd_decode_array(&ctx, j, &m.images, &t_save_entries);
                bool decoded = !errs.n && !errs.dropped;
                for (size_t i = 0; decoded && i < m.images.n; i++) {
                        size_t mark = dh_path_index(&ctx.path, i);
                        validate_save_entry(&ctx, &m.images.v[i]);
                        dh_path_pop(&ctx.path, mark);
                }
                if (errs.n || errs.dropped)
                        r = report(file, &errs, err);
        }
        json_decref(j);
        dh_ferrs_free(&errs);
        if (r < 0) {
                img_save_manifest_free(&m);
                return r;
        }
        *out = m;
        return 0;
}

void img_save_manifest_free(struct img_save_manifest *m)
{
        if (!m)
                return;
        jd_free_array(&m->images, &t_save_entries);
        memset(m, 0, sizeof *m);
}
