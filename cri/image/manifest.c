/* Image manifests and indexes: decoding through the lib/jsondec tables,
 * validation with field paths, layer media types and platform selection. */
#include "cri/image/manifest.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cri/image/store.h"
#include "lib/buf.h"

#define F(st, key, member, type) { key, (type), offsetof(struct st, member) }
#define END { NULL, NULL, 0 }

static const struct jd_field platform_fields[] = {
        F(img_platform, "architecture", architecture, &jd_string), F(img_platform, "os", os, &jd_string),
        F(img_platform, "variant", variant, &jd_string),
        F(img_platform, "os.version", os_version, &jd_string), END,
};
static const struct jd_type t_platform = JD_OBJECT(struct img_platform, platform_fields);
static const struct jd_type t_platform_ptr = JD_PTR(&t_platform);
static const struct jd_field desc_fields[] = {
        F(img_descriptor, "mediaType", media_type, &jd_string),
        F(img_descriptor, "digest", digest, &jd_string), F(img_descriptor, "size", size, &jd_plain_i64),
        F(img_descriptor, "platform", platform, &t_platform_ptr), END,
};
static const struct jd_type t_desc = JD_OBJECT(struct img_descriptor, desc_fields);
static const struct jd_type t_descs = JD_ARRAY(&t_desc);
static const struct jd_field manifest_fields[] = {
        F(img_manifest, "schemaVersion", schema_version, &jd_plain_i64),
        F(img_manifest, "mediaType", media_type, &jd_string), F(img_manifest, "config", config, &t_desc),
        F(img_manifest, "layers", layers, &t_descs), F(img_manifest, "manifests", manifests, &t_descs), END,
};
static const struct jd_type t_manifest = JD_OBJECT(struct img_manifest, manifest_fields);

static const struct {
        const char *name;
        enum img_media kind;
} media_names[] = {
        { "application/vnd.oci.image.manifest.v1+json", IMG_MEDIA_OCI_MANIFEST },
        { "application/vnd.oci.image.index.v1+json", IMG_MEDIA_OCI_INDEX },
        { "application/vnd.docker.distribution.manifest.v2+json", IMG_MEDIA_DOCKER_MANIFEST },
        { "application/vnd.docker.distribution.manifest.list.v2+json", IMG_MEDIA_DOCKER_LIST },
};

enum img_media img_media_type(const char *s)
{
        if (!s)
                return IMG_MEDIA_UNKNOWN;
        size_t n = strcspn(s, ";");
        while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
                n--;
        for (size_t i = 0; i < sizeof media_names / sizeof media_names[0]; i++)
                if (strlen(media_names[i].name) == n && strncasecmp(s, media_names[i].name, n) == 0)
                        return media_names[i].kind;
        return IMG_MEDIA_UNKNOWN;
}

static bool is_index(enum img_media k)
{
        return k == IMG_MEDIA_OCI_INDEX || k == IMG_MEDIA_DOCKER_LIST;
}

static bool has_key(json_t *j, const char *key)
{
        json_t *v = json_object_get(j, key);
        return v && !json_is_null(v);
}

/* Refuses oversized lists before anything is allocated for them. */
static int check_counts(json_t *j, struct dh_err **err)
{
        static const char *const keys[] = { "layers", "manifests" };
        for (size_t i = 0; i < 2; i++) {
                json_t *a = json_object_get(j, keys[i]);
                if (json_is_array(a) && json_array_size(a) > IMG_MANIFEST_ENTRIES_MAX)
                        return dh_err_set(err, DH_ELIMIT, "image manifest: %s: %zu entries exceed %d",
                                          keys[i], json_array_size(a), IMG_MANIFEST_ENTRIES_MAX);
        }
        return 0;
}

static void forbid(struct jd_ctx *c, json_t *j, const char *key, const char *detail)
{
        if (!has_key(j, key))
                return;
        size_t mark = dh_path_field(&c->path, key);
        dh_ferr_forbidden(c->errs, &c->path, detail);
        dh_path_pop(&c->path, mark);
}

/* The kind: Content-Type, else the body's mediaType, else the shape. Like
 * containerd, a body whose mediaType or shape is of the other class
 * (manifest vs index) is refused. */
static void resolve_kind(struct jd_ctx *c, json_t *j, const char *content_type, struct img_manifest *m)
{
        bool idx_shape = has_key(j, "manifests");
        bool man_shape = has_key(j, "layers") || has_key(j, "config");
        enum img_media body = img_media_type(m->media_type);
        m->kind = img_media_type(content_type);
        if (!m->kind)
                m->kind = body;
        if (!m->kind && idx_shape != man_shape)
                m->kind = idx_shape ? IMG_MEDIA_OCI_INDEX : IMG_MEDIA_OCI_MANIFEST;
        size_t mark = dh_path_field(&c->path, "mediaType");
        if (!m->kind)
                dh_ferr_required(c->errs, &c->path, "cannot tell an image manifest from an index");
        else if (body && is_index(body) != is_index(m->kind))
                dh_ferr_invalid_str(c->errs, &c->path, m->media_type, "does not match the Content-Type");
        dh_path_pop(&c->path, mark);
        if (!m->kind)
                return;
        if (is_index(m->kind)) {
                forbid(c, j, "config", "not allowed in an image index");
                forbid(c, j, "layers", "not allowed in an image index");
        } else {
                forbid(c, j, "manifests", "not allowed in an image manifest");
        }
}

static void validate_desc(struct jd_ctx *c, const struct img_descriptor *d)
{
        size_t mark = dh_path_field(&c->path, "mediaType");
        if (!d->media_type)
                dh_ferr_required(c->errs, &c->path, NULL);
        dh_path_pop(&c->path, mark);
        mark = dh_path_field(&c->path, "digest");
        if (!d->digest)
                dh_ferr_required(c->errs, &c->path, NULL);
        else if (!img_digest_valid(d->digest))
                dh_ferr_invalid_str(c->errs, &c->path, d->digest, "must be sha256:<64 lowercase hex digits>");
        dh_path_pop(&c->path, mark);
        mark = dh_path_field(&c->path, "size");
        if (d->size < 0)
                dh_ferr_invalid_int(c->errs, &c->path, d->size, "must be non-negative");
        dh_path_pop(&c->path, mark);
}

static void validate_list(struct jd_ctx *c, const char *key, const struct img_descriptor *v, size_t n)
{
        size_t mark = dh_path_field(&c->path, key);
        for (size_t i = 0; i < n; i++) {
                size_t imark = dh_path_index(&c->path, i);
                validate_desc(c, &v[i]);
                dh_path_pop(&c->path, imark);
        }
        dh_path_pop(&c->path, mark);
}

static void validate(struct jd_ctx *c, json_t *j, const struct img_manifest *m)
{
        size_t mark = dh_path_field(&c->path, "schemaVersion");
        if (m->schema_version != 2)
                dh_ferr_invalid_int(c->errs, &c->path, m->schema_version, "must be 2");
        dh_path_pop(&c->path, mark);
        if (is_index(m->kind)) {
                mark = dh_path_field(&c->path, "manifests");
                if (!m->manifests.n)
                        dh_ferr_required(c->errs, &c->path, "an image index needs at least one manifest");
                dh_path_pop(&c->path, mark);
                validate_list(c, "manifests", m->manifests.v, m->manifests.n);
                return;
        }
        mark = dh_path_field(&c->path, "config");
        if (!has_key(j, "config"))
                dh_ferr_required(c->errs, &c->path, NULL);
        else
                validate_desc(c, &m->config);
        dh_path_pop(&c->path, mark);
        validate_list(c, "layers", m->layers.v, m->layers.n);
}

/* Reports the first field error (and how many more there were). */
static int report(struct dh_ferrs *errs, struct dh_err **err)
{
        size_t more = errs->n + errs->dropped - 1;
        char *line = errs->n ? dh_ferr_format(&errs->v[0]) : NULL;
        if (more)
                dh_err_set(err, EINVAL, "image manifest: %s (and %zu more errors)", line ? line : "invalid", more);
        else
                dh_err_set(err, EINVAL, "image manifest: %s", line ? line : "invalid");
        free(line);
        return -EINVAL;
}

int img_manifest_parse(const char *data, size_t len, const char *content_type,
                       struct img_manifest *out, struct dh_err **err)
{
        if (len > IMG_MANIFEST_MAX)
                return dh_err_set(err, DH_ELIMIT, "image manifest of %zu bytes exceeds %u", len, IMG_MANIFEST_MAX);
        json_error_t je;
        json_t *j = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
        if (!j)
                return dh_err_set(err, EINVAL, "image manifest: line %d, column %d: %s", je.line, je.column, je.text);
        if (!json_is_object(j)) {
                json_decref(j);
                return dh_err_set(err, EINVAL, "image manifest: must be a JSON object");
        }
        int r = check_counts(j, err);
        struct img_manifest m = { 0 };
        struct dh_ferrs errs = { 0 };
        struct jd_ctx ctx = { .errs = &errs };
        if (r == 0) {
                jd_decode_object(&ctx, j, &m, &t_manifest);
                if (!errs.n && !errs.dropped)
                        resolve_kind(&ctx, j, content_type, &m);
                if (!errs.n && !errs.dropped)
                        validate(&ctx, j, &m);
                if (errs.n || errs.dropped)
                        r = report(&errs, err);
        }
        json_decref(j);
        dh_ferrs_free(&errs);
        if (r < 0) {
                img_manifest_free(&m);
                return r;
        }
        *out = m;
        return 0;
}

void img_manifest_free(struct img_manifest *m)
{
        if (m)
                jd_free_object(m, &t_manifest);
        if (m)
                memset(m, 0, sizeof *m);
}

/* containerd's normalisation: x86_64 -> amd64, aarch64 -> arm64, armhf ->
 * arm/v7, armel -> arm/v6, i386 -> 386; arm64 "" or "8" -> v8; arm "" ->
 * v7, "N" -> vN; amd64's variant is ignored (NULL). */
struct plat {
        const char *arch, *variant;
};

static struct plat normalize(const char *arch, const char *variant)
{
        static const struct { const char *alias, *arch, *variant; } aliases[] = {
                { "x86_64", "amd64", NULL }, { "x86-64", "amd64", NULL }, { "aarch64", "arm64", NULL },
                { "armhf", "arm", "v7" }, { "armel", "arm", "v6" }, { "i386", "386", NULL },
        };
        static const char *const vn[] = { "v5", "v6", "v7", "v8" };
        struct plat p = { arch ? arch : "", variant && *variant ? variant : NULL };
        for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
                if (strcasecmp(p.arch, aliases[i].alias) == 0) {
                        p.arch = aliases[i].arch;
                        p.variant = aliases[i].variant ? aliases[i].variant : p.variant;
                }
        if (p.variant && p.variant[0] >= '5' && p.variant[0] <= '8' && !p.variant[1])
                p.variant = vn[p.variant[0] - '5'];
        if (strcmp(p.arch, "amd64") == 0)
                p.variant = NULL;
        else if (strcmp(p.arch, "arm64") == 0 && !p.variant)
                p.variant = "v8";
        else if (strcmp(p.arch, "arm") == 0 && !p.variant)
                p.variant = "v7";
        return p;
}

/* arm "vN" as N (5..8), else 0. */
static int arm_level(const char *v)
{
        if (v && v[0] == 'v' && v[1] >= '5' && v[1] <= '8' && !v[2])
                return v[1] - '0';
        return 0;
}

/* How well an entry fits: -1 not at all, 0 no platform (last resort),
 * higher is better; arm also accepts lower variants, preferring closer. */
static int score(const struct img_descriptor *d, const char *os, struct plat want)
{
        const struct img_platform *p = d->platform;
        if (!p)
                return 0;
        if (!p->os || strcasecmp(p->os, os) != 0)
                return -1;
        struct plat have = normalize(p->architecture, p->variant);
        if (strcmp(have.arch, want.arch) != 0)
                return -1;
        if (strcmp(want.arch, "arm") == 0) {
                int w = arm_level(want.variant), h = arm_level(have.variant);
                return w && h && h <= w ? 10 - (w - h) : -1;
        }
        if (!want.variant)
                return 10;
        return have.variant && strcmp(have.variant, want.variant) == 0 ? 10 : -1;
}

static bool same_platform(const struct img_platform *a, const struct img_platform *b)
{
        const char *x[] = { a->os, a->architecture, a->variant }, *y[] = { b->os, b->architecture, b->variant };
        for (size_t i = 0; i < 3; i++)
                if ((x[i] == NULL) != (y[i] == NULL) || (x[i] && strcmp(x[i], y[i]) != 0))
                        return false;
        return true;
}

/* "windows/amd64, linux/arm64/v8, ...": distinct platforms, at most 16. */
static char *available(const struct img_manifest *m)
{
        struct dh_buf b;
        dh_buf_init(&b, 4096);
        size_t shown = 0;
        for (size_t i = 0; i < m->manifests.n; i++) {
                const struct img_platform *p = m->manifests.v[i].platform;
                bool dup = !p;
                for (size_t k = 0; k < i && !dup; k++)
                        dup = m->manifests.v[k].platform && same_platform(m->manifests.v[k].platform, p);
                if (dup)
                        continue;
                if (shown++ == 16) {
                        dh_buf_puts(&b, ", ...", NULL);
                        break;
                }
                dh_buf_printf(&b, NULL, "%s%.64s/%.64s%s%.64s", shown > 1 ? ", " : "",
                              p->os ? p->os : "unknown", p->architecture ? p->architecture : "unknown",
                              p->variant ? "/" : "", p->variant ? p->variant : "");
        }
        char *s = dh_buf_steal(&b);
        dh_buf_free(&b);
        return s;
}

int img_manifest_select(const struct img_manifest *m, const char *os, const char *arch,
                        const char *variant, size_t *index_out, struct dh_err **err)
{
        if (!is_index(m->kind))
                return dh_err_set(err, EINVAL, "not an image index or manifest list");
        os = os ? os : "linux";
        arch = arch ? arch : "amd64";
        struct plat want = normalize(arch, variant);
        int best = -1;
        for (size_t i = 0; i < m->manifests.n; i++) {
                int s = score(&m->manifests.v[i], os, want);
                if (s > best) {
                        best = s;
                        *index_out = i;
                }
        }
        if (best >= 0)
                return 0;
        char *avail = available(m);
        dh_err_set(err, ENOENT, "no matching manifest for %s/%s%s%s in the manifest list entries (available: %s)",
                   os, arch, variant && *variant ? "/" : "", variant && *variant ? variant : "",
                   avail && *avail ? avail : "none");
        free(avail);
        return -ENOENT;
}

int img_layer_compression(const char *media_type)
{
        static const struct { const char *name; int comp; } types[] = {
                { "application/vnd.oci.image.layer.v1.tar", 0 },
                { "application/vnd.oci.image.layer.v1.tar+gzip", 1 },
                { "application/vnd.oci.image.layer.v1.tar+zstd", 2 },
                { "application/vnd.oci.image.layer.nondistributable.v1.tar", 0 },
                { "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", 1 },
                { "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd", 2 },
                { "application/vnd.docker.image.rootfs.diff.tar", 0 },
                { "application/vnd.docker.image.rootfs.diff.tar.gzip", 1 },
                { "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip", 1 },
        };
        for (size_t i = 0; media_type && i < sizeof types / sizeof types[0]; i++)
                if (strcmp(media_type, types[i].name) == 0)
                        return types[i].comp;
        return -1;
}
