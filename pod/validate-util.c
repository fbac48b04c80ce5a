/* Helpers shared by the pod/validate-*.c files: error reporting at the
 * walk's current path in the API server's words, path and quantity
 * rendering, the usable-volume lookup and a small string hash index that
 * keeps duplicate checks linear on hostile manifests. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "pod/validate-internal.h"

static size_t push(struct pod_vctx *c, const char *field)
{
        return field ? dh_path_field(&c->path, field) : c->path.len;
}

void pod_v_required(struct pod_vctx *c, const char *field, const char *detail)
{
        size_t m = push(c, field);
        dh_ferr_required(c->errs, &c->path, detail);
        dh_path_pop(&c->path, m);
}

void pod_v_forbidden(struct pod_vctx *c, const char *field, const char *detail)
{
        size_t m = push(c, field);
        dh_ferr_forbidden(c->errs, &c->path, detail);
        dh_path_pop(&c->path, m);
}

void pod_v_invalid(struct pod_vctx *c, const char *field, const char *value, const char *detail)
{
        size_t m = push(c, field);
        dh_ferr_invalid_str(c->errs, &c->path, pod_v_s(value), detail);
        dh_path_pop(&c->path, m);
}

void pod_v_invalid_int(struct pod_vctx *c, const char *field, int64_t value, const char *detail)
{
        size_t m = push(c, field);
        dh_ferr_invalid_int(c->errs, &c->path, value, detail);
        dh_path_pop(&c->path, m);
}

void pod_v_invalid_raw(struct pod_vctx *c, const char *field, const char *value,
                       const char *detail)
{
        size_t m = push(c, field);
        dh_ferr_invalid_raw(c->errs, &c->path, value, detail);
        dh_path_pop(&c->path, m);
}

void pod_v_not_supported(struct pod_vctx *c, const char *field, const char *value,
                         const char *const *supported)
{
        size_t m = push(c, field);
        dh_ferr_not_supported(c->errs, &c->path, pod_v_s(value), supported);
        dh_path_pop(&c->path, m);
}

void pod_v_duplicate(struct pod_vctx *c, const char *field, const char *value)
{
        size_t m = push(c, field);
        dh_ferr_duplicate_str(c->errs, &c->path, pod_v_s(value));
        dh_path_pop(&c->path, m);
}

void pod_v_not_found(struct pod_vctx *c, const char *field, const char *value)
{
        size_t m = push(c, field);
        dh_ferr_not_found_str(c->errs, &c->path, pod_v_s(value));
        dh_path_pop(&c->path, m);
}

void pod_v_msgs(struct pod_vctx *c, const char *field, const char *value,
                const struct pod_msgs *msgs)
{
        size_t m = push(c, field);
        pod_msgs_report(c->errs, &c->path, value, msgs);
        dh_path_pop(&c->path, m);
}

bool pod_v_in(const char *value, const char *const *set)
{
        for (size_t i = 0; set[i]; i++)
                if (strcmp(pod_v_s(value), set[i]) == 0)
                        return true;
        return false;
}

void pod_v_enum(struct pod_vctx *c, const char *field, const char *value, const char *const *set)
{
        if (!pod_v_set(value))
                pod_v_required(c, field, NULL);
        else if (!pod_v_in(value, set))
                pod_v_not_supported(c, field, value, set);
}

void pod_v_nonneg(struct pod_vctx *c, const char *field, int64_t v)
{
        if (v < 0)
                pod_v_invalid_int(c, field, v, "must be greater than or equal to 0");
}

bool pod_v_has_backsteps(const char *path)
{
        const char *p = pod_v_s(path);
        for (;;) {
                const char *slash = strchr(p, '/');
                size_t n = slash ? (size_t)(slash - p) : strlen(p);
                if (n == 2 && p[0] == '.' && p[1] == '.')
                        return true;
                if (!slash)
                        return false;
                p = slash + 1;
        }
}

void pod_v_local_descending_path(struct pod_vctx *c, const char *field, const char *path)
{
        if (pod_v_s(path)[0] == '/')
                pod_v_invalid(c, field, path, "must be a relative path");
        if (pod_v_has_backsteps(path))
                pod_v_invalid(c, field, path, "must not contain '..'");
}

void pod_v_local_non_reserved_path(struct pod_vctx *c, const char *field, const char *path)
{
        const char *p = pod_v_s(path);
        pod_v_local_descending_path(c, field, p);
        if (strncmp(p, "..", 2) == 0 && strncmp(p, "../", 3) != 0)
                pod_v_invalid(c, field, p, "must not start with '..'");
}

const char *pod_v_qty(const struct pod_quantity *q, char *buf, size_t size)
{
        if (pod_quantity_format(q, buf, size) < 0)
                snprintf(buf, size, "?");
        return buf;
}

const struct pod_volume *pod_v_volume(const struct pod_vctx *c, const char *name)
{
        size_t i = c->volumes ? pod_v_index_get(c->volumes, name) : SIZE_MAX;
        return i < c->pod->spec.volumes.n ? &c->pod->spec.volumes.v[i] : NULL;
}

/* FNV-1a */
static size_t hash(const char *s)
{
        uint64_t h = 14695981039346656037ULL;
        for (const unsigned char *p = (const unsigned char *)s; *p; p++)
                h = (h ^ *p) * 1099511628211ULL;
        return (size_t)h;
}

static struct pod_v_slot *slot(const struct pod_v_index *x, const char *key)
{
        if (!x->cap)
                return NULL;
        for (size_t i = hash(key) & (x->cap - 1);; i = (i + 1) & (x->cap - 1))
                if (!x->slots[i].key || strcmp(x->slots[i].key, key) == 0)
                        return &x->slots[i];
}

/* Doubles the table (kept at most half full, a power of two in size). */
static bool grow(struct pod_v_index *x)
{
        size_t cap = x->cap ? x->cap * 2 : 16;
        struct pod_v_index bigger = { .slots = calloc(cap, sizeof *bigger.slots), .cap = cap };
        if (!bigger.slots)
                return false;
        for (size_t i = 0; i < x->cap; i++)
                if (x->slots[i].key)
                        *slot(&bigger, x->slots[i].key) = x->slots[i];
        bigger.n = x->n;
        free(x->slots);
        *x = bigger;
        return true;
}

bool pod_v_index_add(struct pod_v_index *x, const char *key, size_t val)
{
        key = pod_v_s(key);
        struct pod_v_slot *s = slot(x, key);
        if (s && s->key)
                return false;
        if ((x->n + 1) * 2 > x->cap) {
                if (!grow(x))
                        return true;
                s = slot(x, key);
        }
        s->key = strdup(key);
        if (!s->key)
                return true;
        s->val = val;
        x->n++;
        return true;
}

bool pod_v_index_has(const struct pod_v_index *x, const char *key)
{
        const struct pod_v_slot *s = slot(x, pod_v_s(key));
        return s && s->key;
}

size_t pod_v_index_get(const struct pod_v_index *x, const char *key)
{
        const struct pod_v_slot *s = slot(x, pod_v_s(key));
        return s && s->key ? s->val : SIZE_MAX;
}

void pod_v_index_free(struct pod_v_index *x)
{
        for (size_t i = 0; i < x->cap; i++)
                free(x->slots[i].key);
        free(x->slots);
        *x = (struct pod_v_index){ 0 };
}

void pod_v_dns_label(struct pod_vctx *c, const char *field, const char *value)
{
        struct pod_msgs m;
        pod_is_dns1123_label(value, &m);
        pod_v_msgs(c, field, value, &m);
}

void pod_v_dns_subdomain(struct pod_vctx *c, const char *field, const char *value)
{
        struct pod_msgs m;
        pod_is_dns1123_subdomain(value, &m);
        pod_v_msgs(c, field, value, &m);
}

void pod_v_labels(struct pod_vctx *c, const char *field, const struct dh_strmap *map)
{
        struct pod_msgs m;
        for (size_t i = 0; i < map->n; i++) {
                pod_is_qualified_name(map->v[i].key, &m);
                pod_v_msgs(c, field, map->v[i].key, &m);
                pod_is_label_value(map->v[i].value, &m);
                pod_v_msgs(c, field, map->v[i].value, &m);
        }
}

/* Go's %#v of a []string: []string{"a", "b"}. */
char *pod_v_render_strv(const struct dh_strv *v)
{
        struct dh_buf b;
        dh_buf_init(&b, 8192);
        int r = dh_buf_puts(&b, "[]string{", NULL);
        for (size_t i = 0; i < v->n && r >= 0; i++) {
                char *q = dh_quote(pod_v_s(v->v[i]));
                r = q ? dh_buf_printf(&b, NULL, "%s%s", i ? ", " : "", q) : -1;
                free(q);
        }
        if (r < 0 || dh_buf_puts(&b, "}", NULL) < 0) {
                dh_buf_free(&b);
                return strdup("[]string{...}");
        }
        return dh_buf_steal(&b);
}
