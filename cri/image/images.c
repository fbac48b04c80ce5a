/* The image service: opening the root, committing images, and the
 * queries and removals behind CRI's ImageService. Pulls are in pull.c. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "cri/image/images-internal.h"
#include "cri/image/ref.h"
#include "lib/atomicfile.h"
#include "lib/cleanup.h"
#include "lib/loop.h"

static void records_cleanup(struct img_record_list *l)
{
        img_record_list_free(l);
}
#define _cleanup_records_ _cleanup_(records_cleanup)

static void lock_release(int *fd)
{
        if (*fd >= 0)
                close(*fd); /* closing drops the flock */
}
#define _cleanup_unlock_ _cleanup_(lock_release)

int img_service_open(const struct img_service_config *cfg, struct dh_loop *loop,
                     struct img_service **out, struct dh_err **err)
{
        _cleanup_free_ char *layers = NULL;
        _cleanup_free_ struct img_service *s = calloc(1, sizeof(*s));
        if (!s)
                return dh_err_errno(err, ENOMEM, "image service");
        s->root_fd = -1;
        int r = dh_mkdir_p(cfg->root, 0700, err);
        if (r < 0)
                goto fail;
        if (!(s->root = strdup(cfg->root))) {
                r = dh_err_errno(err, ENOMEM, "image service");
                goto fail;
        }
        s->root_fd = open(cfg->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (s->root_fd < 0) {
                r = dh_err_errno(err, errno, "open %s", cfg->root);
                goto fail;
        }
        if (asprintf(&layers, "%s/layers", cfg->root) < 0) {
                layers = NULL;
                r = dh_err_errno(err, ENOMEM, "image service");
                goto fail;
        }
        if ((r = img_store_open(cfg->root, &s->store, err)) < 0 ||
            (r = img_layers_open(layers, &s->layers, err)) < 0)
                goto fail;
        if (loop && (r = dh_http_new(loop, &s->http, err)) < 0)
                goto fail;
        s->loop = loop;
        s->registries = cfg->registries;
        if (cfg->credentials_file && !(s->credentials_file = strdup(cfg->credentials_file))) {
                r = dh_err_errno(err, ENOMEM, "image service");
                goto fail;
        }
        if (cfg->limits)
                s->limits = *cfg->limits;
        else
                img_unpack_limits_default(&s->limits);
        s->progress = cfg->progress;
        s->progress_ud = cfg->progress_ud;
        s->progress_interval_ms = cfg->progress_interval_ms;
        *out = TAKE_PTR(s);
        return 0;
fail:
        img_service_close(TAKE_PTR(s));
        return dh_err_prefix(err, "image store %s", cfg->root);
}

void img_service_close(struct img_service *s)
{
        if (!s)
                return;
        img_pulls_cancel_all(s);
        dh_http_free(s->http);
        img_layers_close(s->layers);
        img_store_close(s->store);
        if (s->root_fd >= 0)
                close(s->root_fd);
        free(s->credentials_file);
        free(s->root);
        free(s);
}

struct img_store *img_service_store(struct img_service *s)
{
        return s->store;
}

struct img_layers *img_service_layers(struct img_service *s)
{
        return s->layers;
}

/* ---- committing ---- */

static int strv_push(struct dh_strv *v, char *s)
{
        if (!s)
                return -ENOMEM;
        char **nv = realloc(v->v, (v->n + 1) * sizeof(*nv));
        if (!nv) {
                free(s);
                return -ENOMEM;
        }
        v->v = nv;
        v->v[v->n++] = s;
        return 0;
}

/* "a<sep>b" as a new string. */
static char *join3(const char *a, char sep, const char *b)
{
        char *s;
        return asprintf(&s, "%s%c%s", a, sep, b) < 0 ? NULL : s;
}

/* Fills r's tags and repo digests from the names. */
static int record_names(struct img_record *r, const char *top_digest, const struct dh_strv *names,
                        struct dh_err **err)
{
        for (size_t i = 0; names && i < names->n; i++) {
                struct img_ref ref = { 0 };
                if (img_ref_parse(names->v[i], &ref, err) < 0)
                        return -EINVAL;
                _cleanup_free_ char *name = img_ref_name(&ref);
                int rc = 0;
                if (!name)
                        rc = -ENOMEM;
                if (!rc && ref.tag)
                        rc = strv_push(&r->repo_tags, join3(name, ':', ref.tag));
                if (!rc)
                        rc = strv_push(&r->repo_digests, join3(name, '@', top_digest));
                img_ref_free(&ref);
                if (rc < 0)
                        return dh_err_errno(err, ENOMEM, "image names");
        }
        return 0;
}

static int record_layers(struct img_service *s, struct img_record *r, const struct img_manifest *m,
                         const struct img_config *cfg, struct dh_err **err)
{
        if (cfg->diff_ids.n != m->layers.n)
                return dh_err_set(err, DH_EINVAL_INPUT,
                                  "image config lists %zu diff_ids for %zu layers", cfg->diff_ids.n,
                                  m->layers.n);
        r->layers.v = calloc(m->layers.n ? m->layers.n : 1, sizeof(r->layers.v[0]));
        if (!r->layers.v)
                return dh_err_errno(err, ENOMEM, "image record");
        r->size = m->config.size;
        for (size_t i = 0; i < m->layers.n; i++) {
                struct img_layer_ref *l = &r->layers.v[r->layers.n++];
                const struct img_descriptor *d = &m->layers.v[i];
                l->digest = strdup(d->digest);
                l->diff_id = strdup(cfg->diff_ids.v[i]);
                l->media_type = d->media_type ? strdup(d->media_type) : NULL;
                l->size = d->size;
                if (!l->digest || !l->diff_id || (d->media_type && !l->media_type))
                        return dh_err_errno(err, ENOMEM, "image record");
                int64_t sz = 0;
                if (img_layers_size(s->layers, l->diff_id, &sz, err) < 0)
                        return dh_err_prefix(err, "layer %s", l->diff_id);
                r->size += sz;
        }
        return 0;
}

int img_service_commit(struct img_service *s, const char *top_digest,
                       const char *manifest_digest, const struct img_manifest *m,
                       const struct img_config *cfg, const struct dh_strv *names,
                       char **image_id, struct dh_err **err)
{
        struct img_record rec = { 0 };
        _cleanup_free_ char *id = NULL;
        _cleanup_unlock_ int lock = -1;
        _cleanup_records_ struct img_record_list l = { 0 };
        int r = -ENOMEM;
        int64_t now = dh_realtime_ns();
        rec.created_ns = rec.last_used_ns = now;
        if (!(rec.id = strdup(m->config.digest)) || !(rec.manifest_digest = strdup(manifest_digest))) {
                r = dh_err_errno(err, ENOMEM, "image record");
                goto out;
        }
        if ((r = record_layers(s, &rec, m, cfg, err)) < 0 ||
            (r = record_names(&rec, top_digest, names, err)) < 0)
                goto out;
        if ((r = img_records_lock(s->root_fd, &lock, err)) < 0)
                goto out;
        /* Under the lock: everything the record names must still be here
         * (a prune in another process may have run meanwhile). */
        for (size_t i = 0; i < rec.layers.n; i++)
                if (!img_layers_has(s->layers, rec.layers.v[i].diff_id)) {
                        r = dh_err_set(err, ENOENT, "layer %s was removed while the image was stored",
                                       rec.layers.v[i].diff_id);
                        goto out;
                }
        if ((r = img_records_load(s->root_fd, &l, err)) < 0)
                goto out;
        for (size_t i = 0; i < rec.repo_tags.n; i++)
                img_records_untag(&l, rec.repo_tags.v[i]);
        id = strdup(rec.id);
        if (!id || img_records_put(&l, &rec) < 0) {
                r = dh_err_errno(err, ENOMEM, "image record");
                goto out;
        }
        if ((r = img_records_save(s->root_fd, &l, err)) < 0)
                goto out;
        if (image_id)
                *image_id = TAKE_PTR(id);
        r = 0;
out:
        img_record_free(&rec);
        return r < 0 ? dh_err_prefix(err, "store image %s", m->config.digest) : 0;
}

int img_service_unpack_now(struct img_service *s, const struct img_descriptor *layer,
                           const char *diff_id, struct dh_err **err)
{
        if (img_layers_has(s->layers, diff_id))
                return 0;
        int c = img_layer_compression(layer->media_type);
        if (c < 0)
                return dh_err_set(err, ENOTSUP, "layer %s: unsupported media type \"%s\"",
                                  layer->digest, layer->media_type ? layer->media_type : "");
        _cleanup_close_ int fd = -1;
        int r = img_store_open_blob(s->store, layer->digest, &fd, err);
        if (r < 0)
                return r;
        r = img_layers_add(s->layers, fd, (enum img_compression)c, diff_id, &s->limits, NULL, err);
        if (r < 0)
                return dh_err_prefix(err, "layer %s", layer->digest);
        /* The unpacked layer is what is kept; the blob has done its job. */
        struct dh_err *e = NULL;
        if (img_store_delete(s->store, layer->digest, &e) < 0)
                dh_err_free(e);
        return 0;
}

/* Reads and parses a manifest blob; an index resolves to its linux/amd64
 * manifest (*digest_out names the manifest actually used). */
static int load_manifest(struct img_service *s, const char *digest, struct img_manifest *m,
                         char **digest_out, struct dh_err **err)
{
        _cleanup_free_ char *cur = strdup(digest);
        if (!cur)
                return dh_err_errno(err, ENOMEM, "manifest");
        for (int depth = 0; depth < 2; depth++) {
                _cleanup_free_ char *data = NULL;
                size_t len;
                int r = img_store_read_blob(s->store, cur, IMG_MANIFEST_MAX, &data, &len, err);
                if (r < 0)
                        return r;
                struct img_manifest mm = { 0 };
                if ((r = img_manifest_parse(data, len, NULL, &mm, err)) < 0)
                        return dh_err_prefix(err, "manifest %s", cur);
                if (mm.kind == IMG_MEDIA_OCI_MANIFEST || mm.kind == IMG_MEDIA_DOCKER_MANIFEST) {
                        *m = mm;
                        *digest_out = TAKE_PTR(cur);
                        return 0;
                }
                size_t idx;
                r = img_manifest_select(&mm, NULL, NULL, NULL, &idx, err);
                char *next = r < 0 ? NULL : strdup(mm.manifests.v[idx].digest);
                img_manifest_free(&mm);
                if (r < 0)
                        return dh_err_prefix(err, "index %s", cur);
                if (!next)
                        return dh_err_errno(err, ENOMEM, "manifest");
                free(cur);
                cur = next;
        }
        return dh_err_set(err, DH_EINVAL_INPUT, "index %s: nested indexes are not supported", digest);
}

static int load_config(struct img_service *s, const struct img_manifest *m, struct img_config *cfg,
                       struct dh_err **err)
{
        _cleanup_free_ char *data = NULL;
        size_t len;
        int r = img_store_read_blob(s->store, m->config.digest, IMG_CONFIG_MAX, &data, &len, err);
        if (r < 0)
                return r;
        return img_config_parse(data, len, cfg, err);
}

int img_service_add_from_store(struct img_service *s, const char *manifest_digest,
                               const struct dh_strv *names, char **image_id,
                               struct dh_err **err)
{
        struct img_manifest m = { 0 };
        struct img_config cfg = { 0 };
        _cleanup_free_ char *used = NULL;
        int r = load_manifest(s, manifest_digest, &m, &used, err);
        if (r < 0)
                return r;
        if ((r = load_config(s, &m, &cfg, err)) < 0)
                goto out;
        if (cfg.diff_ids.n != m.layers.n) {
                r = dh_err_set(err, DH_EINVAL_INPUT, "image config lists %zu diff_ids for %zu layers",
                               cfg.diff_ids.n, m.layers.n);
                goto out;
        }
        for (size_t i = 0; i < m.layers.n; i++)
                if ((r = img_service_unpack_now(s, &m.layers.v[i], cfg.diff_ids.v[i], err)) < 0)
                        goto out;
        r = img_service_commit(s, manifest_digest, used, &m, &cfg, names, image_id, err);
out:
        img_config_free(&cfg);
        img_manifest_free(&m);
        return r;
}

/* ---- queries ---- */

int img_service_list(struct img_service *s, struct img_record_list *out, struct dh_err **err)
{
        return img_records_load(s->root_fd, out, err);
}

int img_service_status(struct img_service *s, const char *ref, struct img_record *out,
                       struct dh_err **err)
{
        _cleanup_records_ struct img_record_list l = { 0 };
        int r = img_records_load(s->root_fd, &l, err);
        if (r < 0)
                return r;
        ssize_t i = img_records_find(&l, ref);
        if (i < 0)
                return dh_err_set(err, ENOENT, "image \"%s\" not found", ref);
        img_records_take(&l, (size_t)i, out);
        return 0;
}

int img_service_touch(struct img_service *s, const char *id, struct dh_err **err)
{
        _cleanup_unlock_ int lock = -1;
        _cleanup_records_ struct img_record_list l = { 0 };
        int r = img_records_lock_load(s->root_fd, &lock, &l, err);
        if (r < 0)
                return r;
        ssize_t i = img_records_find(&l, id);
        if (i < 0)
                return dh_err_set(err, ENOENT, "image \"%s\" not found", id);
        l.v[i].last_used_ns = dh_realtime_ns();
        return img_records_save(s->root_fd, &l, err);
}

/* ---- rootfs for containers ---- */

void img_rootfs_free(struct img_rootfs *r)
{
        if (!r)
                return;
        free(r->image_id);
        for (size_t i = 0; i < r->lower_dirs.n; i++)
                free(r->lower_dirs.v[i]);
        free(r->lower_dirs.v);
        img_config_free(&r->config);
        *r = (struct img_rootfs){ 0 };
}

int img_service_rootfs(struct img_service *s, const char *ref, struct img_rootfs *out,
                       struct dh_err **err)
{
        struct img_record rec = { 0 };
        int r = img_service_status(s, ref, &rec, err);
        if (r < 0)
                return r;
        struct img_rootfs fs = { 0 };
        _cleanup_free_ char *data = NULL;
        size_t len;
        if (!(fs.image_id = strdup(rec.id))) {
                r = dh_err_errno(err, ENOMEM, "image rootfs");
                goto out;
        }
        for (size_t i = rec.layers.n; i-- > 0;) {
                const char *d = rec.layers.v[i].diff_id;
                if (!img_layers_has(s->layers, d)) {
                        r = dh_err_set(err, ENOENT, "image \"%s\": layer %s is missing; pull the image again", ref, d);
                        goto out;
                }
                if ((r = strv_push(&fs.lower_dirs, img_layers_diff_path(s->layers, d))) < 0) {
                        r = dh_err_errno(err, ENOMEM, "image rootfs");
                        goto out;
                }
        }
        if ((r = img_store_read_blob(s->store, rec.id, IMG_CONFIG_MAX, &data, &len, err)) < 0 ||
            (r = img_config_parse(data, len, &fs.config, err)) < 0) {
                dh_err_prefix(err, "image \"%s\"", ref);
                goto out;
        }
        *out = fs;
        fs = (struct img_rootfs){ 0 };
        r = 0;
out:
        img_rootfs_free(&fs);
        img_record_free(&rec);
        return r;
}
