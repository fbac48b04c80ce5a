/* Table-driven JSON decoding: the engine and the primitive types. */
#include "lib/jsondec.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"

char *jd_render(json_t *v)
{
        char buf[64];
        switch (json_typeof(v)) {
        case JSON_STRING:
                return dh_quote(json_string_value(v));
        case JSON_INTEGER:
                snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
                return strdup(buf);
        case JSON_REAL:
                snprintf(buf, sizeof buf, "%.17g", json_real_value(v));
                return strdup(buf);
        case JSON_TRUE:
                return strdup("true");
        case JSON_FALSE:
                return strdup("false");
        case JSON_NULL:
                return strdup("null");
        case JSON_OBJECT:
                return strdup("{...}");
        case JSON_ARRAY:
                return strdup("[...]");
        }
        return strdup("?");
}

void jd_type_error(struct jd_ctx *c, json_t *v, const char *what)
{
        _cleanup_free_ char *r = jd_render(v);
        char detail[128];
        snprintf(detail, sizeof detail, "must be %s", what);
        dh_ferr_invalid_raw(c->errs, &c->path, r, detail);
}

void jd_decode_object(struct jd_ctx *c, json_t *v, void *dst, const struct jd_type *t)
{
        if (!json_is_object(v)) {
                jd_type_error(c, v, "an object");
                return;
        }
        for (const struct jd_field *f = t->fields; f->key; f++) {
                json_t *fv = json_object_get(v, f->key);
                if (!fv || json_is_null(fv))
                        continue;
                size_t mark = dh_path_field(&c->path, f->key);
                f->type->decode(c, fv, (char *)dst + f->off, f->type);
                dh_path_pop(&c->path, mark);
        }
}

void jd_free_object(void *dst, const struct jd_type *t)
{
        for (const struct jd_field *f = t->fields; f->key; f++)
                if (f->type->free)
                        f->type->free((char *)dst + f->off, f->type);
}

json_t *jd_encode_object(const void *src, const struct jd_type *t)
{
        json_t *o = json_object();
        for (const struct jd_field *f = t->fields; o && f->key; f++) {
                if (!f->type->encode)
                        continue;
                json_t *v = f->type->encode((const char *)src + f->off, f->type);
                if (v && json_object_set_new(o, f->key, v) < 0) {
                        json_decref(o);
                        return NULL;
                }
        }
        return o;
}

json_t *jd_encode(const void *src, const struct jd_type *t)
{
        return t->encode ? t->encode(src, t) : NULL;
}

void jd_decode_ptr(struct jd_ctx *c, json_t *v, void *dst, const struct jd_type *t)
{
        void **pp = dst;
        if (!*pp) {
                *pp = calloc(1, t->elem->size);
                if (!*pp) {
                        dh_ferr_invalid_raw(c->errs, &c->path, NULL, "out of memory");
                        return;
                }
        }
        t->elem->decode(c, v, *pp, t->elem);
}

void jd_free_ptr(void *dst, const struct jd_type *t)
{
        void **pp = dst;
        if (!*pp)
                return;
        if (t->elem->free)
                t->elem->free(*pp, t->elem);
        free(*pp);
        *pp = NULL;
}

struct jd_vec_raw {
        void *v;
        size_t n;
};

json_t *jd_encode_ptr(const void *src, const struct jd_type *t)
{
        void *const *pp = src;
        return *pp ? jd_encode(*pp, t->elem) : NULL;
}

json_t *jd_encode_array(const void *src, const struct jd_type *t)
{
        const struct jd_vec_raw *vec = src;
        if (!vec->n)
                return NULL;
        json_t *a = json_array();
        for (size_t i = 0; a && i < vec->n; i++) {
                json_t *e = jd_encode((const char *)vec->v + i * t->elem->size, t->elem);
                if (json_array_append_new(a, e ? e : json_null()) < 0) {
                        json_decref(a);
                        return NULL;
                }
        }
        return a;
}

json_t *jd_encode_map(const void *src, const struct jd_type *t)
{
        const struct jd_vec_raw *m = src;
        if (!m->n)
                return NULL;
        json_t *o = json_object();
        for (size_t i = 0; o && i < m->n; i++) {
                const char *entry = (const char *)m->v + i * t->entry_size;
                const char *key = *(char *const *)entry;
                json_t *v = jd_encode(entry + t->val_off, t->elem);
                if (key && json_object_set_new(o, key, v ? v : json_null()) < 0) {
                        json_decref(o);
                        return NULL;
                }
        }
        return o;
}

void jd_decode_array(struct jd_ctx *c, json_t *v, void *dst, const struct jd_type *t)
{
        struct jd_vec_raw *vec = dst;
        if (!json_is_array(v)) {
                jd_type_error(c, v, "a list");
                return;
        }
        size_t n = json_array_size(v);
        size_t esz = t->elem->size;
        if (n == 0 || vec->v)
                return;
        vec->v = calloc(n, esz);
        if (!vec->v) {
                dh_ferr_invalid_raw(c->errs, &c->path, NULL, "out of memory");
                return;
        }
        vec->n = n;
        for (size_t i = 0; i < n; i++) {
                size_t mark = dh_path_index(&c->path, i);
                json_t *ev = json_array_get(v, i);
                if (!json_is_null(ev))
                        t->elem->decode(c, ev, (char *)vec->v + i * esz, t->elem);
                dh_path_pop(&c->path, mark);
        }
}

void jd_free_array(void *dst, const struct jd_type *t)
{
        struct jd_vec_raw *vec = dst;
        size_t esz = t->elem->size;
        for (size_t i = 0; vec->v && t->elem->free && i < vec->n; i++)
                t->elem->free((char *)vec->v + i * esz, t->elem);
        free(vec->v);
        vec->v = NULL;
        vec->n = 0;
}

static void decode_string(struct jd_ctx *c, json_t *v, void *dst, const struct jd_type *t)
{
        (void)t;
        char **s = dst;
        if (!json_is_string(v)) {
                jd_type_error(c, v, "a string");
                return;
        }
        /* A NUL inside would silently cut the string short (a path, say). */
        if (strlen(json_string_value(v)) != json_string_length(v)) {
                jd_type_error(c, v, "a string without NUL characters");
                return;
        }
        free(*s);
        *s = strdup(json_string_value(v));
}

static void free_string(void *dst, const struct jd_type *t)
{
        (void)t;
        char **s = dst;
        free(*s);
        *s = NULL;
}

static json_t *encode_string(const void *src, const struct jd_type *t)
{
        (void)t;
        const char *const *s = src;
        return *s ? json_string(*s) : NULL;
}

const struct jd_type jd_string = { .decode = decode_string, .free = free_string,
                                   .encode = encode_string, .size = sizeof(char *) };

static void decode_bool(struct jd_ctx *c, json_t *v, void *dst, const struct jd_type *t)
{
        (void)t;
        struct dh_opt_bool *b = dst;
        if (!json_is_boolean(v)) {
                jd_type_error(c, v, "a boolean");
                return;
        }
        *b = (struct dh_opt_bool){ .v = json_is_true(v), .set = true };
}

static json_t *encode_bool(const void *src, const struct jd_type *t)
{
        (void)t;
        const struct dh_opt_bool *b = src;
        return b->set ? json_boolean(b->v) : NULL;
}

const struct jd_type jd_bool = { .decode = decode_bool, .encode = encode_bool,
                                 .size = sizeof(struct dh_opt_bool) };

/* Integral reals are accepted: YAML "1e3" becomes 1000 on its way to JSON
 * in Kubernetes too. */
void jd_decode_int(struct jd_ctx *c, json_t *v, void *dst, const struct jd_type *t)
{
        struct dh_opt_i64 *o = dst;
        int64_t x;
        if (json_is_integer(v)) {
                x = json_integer_value(v);
        } else if (json_is_real(v) && json_real_value(v) == floor(json_real_value(v)) &&
                   fabs(json_real_value(v)) < 9.2e18) {
                x = (int64_t)json_real_value(v);
        } else {
                jd_type_error(c, v, "an integer");
                return;
        }
        if (x < t->min || x > t->max) {
                char d[96];
                snprintf(d, sizeof d, "must be between %" PRId64 " and %" PRId64 ", inclusive",
                         t->min, t->max);
                dh_ferr_invalid_int(c->errs, &c->path, x, d);
                return;
        }
        *o = (struct dh_opt_i64){ .v = x, .set = true };
}

json_t *jd_encode_int(const void *src, const struct jd_type *t)
{
        (void)t;
        const struct dh_opt_i64 *o = src;
        return o->set ? json_integer(o->v) : NULL;
}

const struct jd_type jd_int32 = JD_INT(INT32_MIN, INT32_MAX);
const struct jd_type jd_int64 = JD_INT(INT64_MIN, INT64_MAX);

void jd_decode_map(struct jd_ctx *c, json_t *v, void *dst, const struct jd_type *t)
{
        struct jd_vec_raw *m = dst;
        if (!json_is_object(v)) {
                jd_type_error(c, v, "an object");
                return;
        }
        size_t n = json_object_size(v);
        if (n == 0 || m->v)
                return;
        if (t->max > 0 && n > (uint64_t)t->max) {
                dh_ferr_add(c->errs, DH_FERR_TOO_MANY, dh_path_str(&c->path), NULL, NULL);
                return;
        }
        m->v = calloc(n, t->entry_size);
        if (!m->v) {
                dh_ferr_invalid_raw(c->errs, &c->path, NULL, "out of memory");
                return;
        }
        const char *key;
        json_t *val;
        json_object_foreach(v, key, val) {
                char *entry = (char *)m->v + m->n++ * t->entry_size;
                *(char **)entry = strdup(key);
                _cleanup_free_ char *q = t->variant == JD_MAP_QUOTED_KEYS ? dh_quote(key) : NULL;
                size_t mark = dh_path_key(&c->path, t->variant != JD_MAP_QUOTED_KEYS ? key : q ? q : "?");
                if (!json_is_null(val))
                        t->elem->decode(c, val, entry + t->val_off, t->elem);
                dh_path_pop(&c->path, mark);
        }
}

void jd_free_map(void *dst, const struct jd_type *t)
{
        struct jd_vec_raw *m = dst;
        for (size_t i = 0; m->v && i < m->n; i++) {
                char *entry = (char *)m->v + i * t->entry_size;
                free(*(char **)entry);
                if (t->elem->free)
                        t->elem->free(entry + t->val_off, t->elem);
        }
        free(m->v);
        m->v = NULL;
        m->n = 0;
}

const struct jd_type jd_strmap = JD_MAP(struct dh_kv, value, &jd_string);
const struct jd_type jd_strv = JD_ARRAY(&jd_string);

static void decode_intstr(struct jd_ctx *c, json_t *v, void *dst, const struct jd_type *t)
{
        (void)t;
        struct dh_intstr *is = dst;
        if (json_is_string(v)) {
                free(is->s);
                *is = (struct dh_intstr){ .kind = DH_INTSTR_STR, .s = strdup(json_string_value(v)) };
                return;
        }
        struct dh_opt_i64 o = { 0 };
        if (!json_is_integer(v)) {
                jd_type_error(c, v, "an integer or a string");
                return;
        }
        jd_decode_int(c, v, &o, &jd_int32);
        if (o.set)
                *is = (struct dh_intstr){ .kind = DH_INTSTR_INT, .i = o.v };
}

static void free_intstr(void *dst, const struct jd_type *t)
{
        (void)t;
        struct dh_intstr *is = dst;
        free(is->s);
        *is = (struct dh_intstr){ 0 };
}

static json_t *encode_intstr(const void *src, const struct jd_type *t)
{
        (void)t;
        const struct dh_intstr *is = src;
        if (is->kind == DH_INTSTR_INT)
                return json_integer(is->i);
        return is->kind == DH_INTSTR_STR && is->s ? json_string(is->s) : NULL;
}

const struct jd_type jd_intstr = { .decode = decode_intstr, .free = free_intstr,
                                   .encode = encode_intstr, .size = sizeof(struct dh_intstr) };

static void decode_raw(struct jd_ctx *c, json_t *v, void *dst, const struct jd_type *t)
{
        (void)c;
        (void)t;
        json_t **p = dst;
        json_decref(*p);
        *p = json_incref(v);
}

static void free_raw(void *dst, const struct jd_type *t)
{
        (void)t;
        json_t **p = dst;
        json_decref(*p);
        *p = NULL;
}

static json_t *encode_raw(const void *src, const struct jd_type *t)
{
        (void)t;
        json_t *const *p = src;
        return *p ? json_incref(*p) : NULL;
}

const struct jd_type jd_raw = { .decode = decode_raw, .free = free_raw, .encode = encode_raw,
                                .size = sizeof(json_t *) };

const char *dh_strmap_get(const struct dh_strmap *m, const char *key)
{
        for (size_t i = 0; i < m->n; i++)
                if (strcmp(m->v[i].key, key) == 0)
                        return m->v[i].value;
        return NULL;
}
