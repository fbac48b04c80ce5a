/* Importing a `docker save` archive: manifest.json's entries, each config
 * and uncompressed layer tar stored as a blob, the config's
 * rootfs.diff_ids checked against the layers, and a Docker schema 2
 * manifest synthesized (layers as rootfs.diff.tar, their digest being
 * their diffID) and stored as the image's manifest. */
#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cri/image/config.h"
#include "cri/image/import-internal.h"
#include "cri/image/manifest.h"
#include "lib/cleanup.h"

#define MEDIA_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define MEDIA_CONFIG "application/vnd.docker.container.image.v1+json"
#define MEDIA_LAYER "application/vnd.docker.image.rootfs.diff.tar"

struct saved_blob {
        char *digest;
        int64_t size;
};

static bool is_hex64(const char *s, size_t n)
{
        if (n != 64)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
                        return false;
        return true;
}

/* The digest a path promises: "blobs/sha256/<hex>" (docker 25+) and, for
 * configs, "<hex>.json" (the image id is the config's digest). Written
 * into buf ("sha256:<hex>"), or NULL when the path promises none. */
static const char *promised(const char *rel, bool config, char buf[static 72])
{
        static const char blobs[] = "blobs/sha256/";
        const char *hex = NULL;
        size_t len = strlen(rel);
        if (strncmp(rel, blobs, strlen(blobs)) == 0 && is_hex64(rel + strlen(blobs), len - strlen(blobs)))
                hex = rel + strlen(blobs);
        else if (config && len == 69 && strcmp(rel + 64, ".json") == 0 && is_hex64(rel, 64))
                hex = rel;
        if (!hex)
                return NULL;
        memcpy(buf, "sha256:", 7);
        memcpy(buf + 7, hex, 64);
        buf[71] = '\0';
        return buf;
}

static int store_config(struct imp *im, const char *rel, struct saved_blob *out, struct img_config *cfg,
                        struct dh_err **err)
{
        char want[72];
        const char *expected = promised(rel, true, want);
        if (imp_count_blob(im, err) < 0)
                return -DH_ELIMIT;
        _cleanup_free_ char *data = NULL, *digest = NULL;
        size_t len = 0;
        int r = imp_read(im, rel, IMG_CONFIG_MAX, &data, &len, err);
        if (r < 0)
                return r;
        r = imp_store_data(im, data, len, expected, (int64_t)len, &digest, err);
        if (r < 0)
                return dh_err_prefix(err, "%s", rel);
        r = img_config_parse(data, len, cfg, err);
        if (r < 0)
                return dh_err_prefix(err, "%s", rel);
        out->digest = TAKE_PTR(digest);
        out->size = (int64_t)len;
        return 0;
}

static int store_layer(struct imp *im, const char *rel, struct saved_blob *out, struct dh_err **err)
{
        char want[72];
        const char *expected = promised(rel, false, want);
        if (imp_count_blob(im, err) < 0)
                return -DH_ELIMIT;
        _cleanup_close_ int fd = -1;
        int r = imp_open(im, rel, &fd, err);
        if (r < 0)
                return r;
        struct stat sb;
        if (fstat(fd, &sb) < 0)
                return dh_err_errno(err, errno, "%s: stat", rel);
        _cleanup_free_ char *digest = NULL;
        if (expected && img_store_has(im->st, expected))
                digest = strdup(expected);
        else if (imp_copy_fd(im, fd, expected, (int64_t)sb.st_size, &digest, err) < 0)
                return dh_err_prefix(err, "%s", rel);
        if (!digest)
                return dh_err_set(err, ENOMEM, "out of memory");
        out->digest = TAKE_PTR(digest);
        out->size = (int64_t)sb.st_size;
        return 0;
}

static json_t *descriptor(const char *media_type, const struct saved_blob *b)
{
        return json_pack("{s:s, s:I, s:s}", "mediaType", media_type, "size", (json_int_t)b->size,
                         "digest", b->digest);
}

/* The schema 2 manifest, serialised compactly in a fixed key order so the
 * same archive always yields the same manifest digest. */
static char *synth_manifest(const struct saved_blob *config, const struct saved_blob *layers, size_t n)
{
        json_t *list = json_array();
        for (size_t i = 0; list && i < n; i++)
                if (json_array_append_new(list, descriptor(MEDIA_LAYER, &layers[i])) < 0) {
                        json_decref(list);
                        list = NULL;
                }
        json_t *m = list ? json_pack("{s:i, s:s, s:o, s:o}", "schemaVersion", 2, "mediaType", MEDIA_MANIFEST,
                                     "config", descriptor(MEDIA_CONFIG, config), "layers", list)
                         : NULL;
        char *s = m ? json_dumps(m, JSON_COMPACT) : NULL;
        json_decref(m);
        return s;
}

static int check_diff_ids(size_t idx, const struct img_config *cfg, const struct saved_blob *config,
                          const struct saved_blob *layers, size_t n, struct dh_err **err)
{
        if (cfg->diff_ids.n != n)
                return dh_err_set(err, EINVAL, "manifest.json: [%zu].Layers: %zu layers, but config %s has %zu rootfs.diff_ids",
                                  idx, n, config->digest, cfg->diff_ids.n);
        for (size_t i = 0; i < n; i++)
                if (!cfg->diff_ids.v[i] || strcmp(cfg->diff_ids.v[i], layers[i].digest) != 0)
                        return dh_err_set(err, EINVAL,
                                          "manifest.json: [%zu].Layers[%zu]: digest %s does not match the config's "
                                          "rootfs.diff_ids[%zu] %s (docker save layers must be uncompressed tars)",
                                          idx, i, layers[i].digest, i, cfg->diff_ids.v[i] ? cfg->diff_ids.v[i] : "null");
        return 0;
}

struct saved_image {
        struct saved_blob config;
        struct saved_blob *layers;
        size_t n;
        struct img_config cfg;
};

static void saved_image_free(struct saved_image *s)
{
        free(s->config.digest);
        for (size_t i = 0; i < s->n; i++)
                free(s->layers[i].digest);
        free(s->layers);
        img_config_free(&s->cfg);
}

static int store_parts(struct imp *im, const struct img_save_entry *e, size_t idx, struct saved_image *s,
                       struct dh_err **err)
{
        if (store_config(im, e->config, &s->config, &s->cfg, err) < 0)
                return dh_err_prefix(err, "manifest.json: [%zu].Config", idx);
        s->layers = calloc(e->layers.n ? e->layers.n : 1, sizeof *s->layers);
        if (!s->layers)
                return dh_err_set(err, ENOMEM, "out of memory");
        for (; s->n < e->layers.n; s->n++)
                if (store_layer(im, e->layers.v[s->n], &s->layers[s->n], err) < 0)
                        return dh_err_prefix(err, "manifest.json: [%zu].Layers[%zu]", idx, s->n);
        return check_diff_ids(idx, &s->cfg, &s->config, s->layers, s->n, err);
}

static int import_image(struct imp *im, const struct img_save_entry *e, size_t idx, struct dh_err **err)
{
        struct saved_image s = { 0 };
        int r = store_parts(im, e, idx, &s, err);
        _cleanup_free_ char *body = NULL, *digest = NULL;
        if (r == 0 && !(body = synth_manifest(&s.config, s.layers, s.n)))
                r = dh_err_set(err, ENOMEM, "out of memory");
        saved_image_free(&s);
        if (r == 0 && imp_count_blob(im, err) < 0)
                r = -DH_ELIMIT;
        if (r == 0 && imp_store_data(im, body, strlen(body), NULL, -1, &digest, err) < 0)
                r = dh_err_prefix(err, "manifest.json: [%zu]: synthesized manifest", idx);
        if (r < 0)
                return r;
        struct img_import_entry *ie = imp_entry(im, digest, err);
        if (!ie)
                return -ENOMEM;
        for (size_t i = 0; i < e->repo_tags.n; i++)
                if (imp_add_name(ie, e->repo_tags.v[i], err) < 0)
                        return dh_err_prefix(err, "manifest.json: [%zu].RepoTags[%zu]", idx, i);
        return 0;
}

int imp_docker(struct imp *im, struct dh_err **err)
{
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        int r = imp_read(im, "manifest.json", IMG_MANIFEST_MAX, &data, &len, err);
        if (r < 0)
                return r;
        struct img_save_manifest m = { 0 };
        r = img_save_manifest_parse(data, len, &m, err);
        for (size_t i = 0; r == 0 && i < m.images.n; i++)
                r = import_image(im, &m.images.v[i], i, err);
        img_save_manifest_free(&m);
        return r;
}
