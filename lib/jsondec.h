/* Table-driven decoding of jansson trees into C structs.
 *
 * A `struct jd_type` describes how to decode one C type; object types carry
 * a table of {key, type, offset}. Unknown keys are ignored, JSON null means
 * "absent", and a value of the wrong JSON type becomes a field error naming
 * its path; decoding always continues so every problem is reported at once.
 * The same tables free what was decoded. */
#pragma once
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/fielderr.h"

struct dh_opt_i64 {
        int64_t v;
        bool set;
};

struct dh_opt_bool {
        bool v;
        bool set;
};

struct dh_kv {
        char *key;
        char *value;
};

/* An ordered string map (labels, annotations, nodeSelector...). */
struct dh_strmap {
        struct dh_kv *v;
        size_t n;
};

struct dh_strv {
        char **v;
        size_t n;
};

/* Every array the tables decode has this layout. */
#define DH_VEC(T)            \
        struct {             \
                T *v;        \
                size_t n;    \
        }

/* intstr.IntOrString */
enum dh_intstr_kind { DH_INTSTR_UNSET, DH_INTSTR_INT, DH_INTSTR_STR };
struct dh_intstr {
        enum dh_intstr_kind kind;
        int64_t i;
        char *s;
};

struct jd_ctx {
        struct dh_ferrs *errs;
        struct dh_path path;
};

struct jd_type;
typedef void (*jd_decode_fn)(struct jd_ctx *c, json_t *v, void *dst,
                             const struct jd_type *t);
typedef void (*jd_free_fn)(void *dst, const struct jd_type *t);
/* Returns a new reference, or NULL for "omit" (unset, empty, zero). */
typedef json_t *(*jd_encode_fn)(const void *src, const struct jd_type *t);

struct jd_field {
        const char *key;
        const struct jd_type *type;
        size_t off;
};

struct jd_type {
        jd_decode_fn decode;
        jd_free_fn free;
        jd_encode_fn encode;
        size_t size;                   /* object: sizeof the struct */
        const struct jd_field *fields; /* object: NULL-key terminated */
        const struct jd_type *elem;    /* array, pointer and map types */
        int64_t min, max;              /* integer types */
        size_t entry_size, val_off;    /* map types: entry layout */
        int variant;                   /* scalar types: which C type (jsonplain.c) */
        const char *const *names;      /* enum types */
};

void jd_decode_object(struct jd_ctx *c, json_t *v, void *dst, const struct jd_type *t);
void jd_free_object(void *dst, const struct jd_type *t);
json_t *jd_encode_object(const void *src, const struct jd_type *t);
void jd_decode_ptr(struct jd_ctx *c, json_t *v, void *dst, const struct jd_type *t);
void jd_free_ptr(void *dst, const struct jd_type *t);
json_t *jd_encode_ptr(const void *src, const struct jd_type *t);
void jd_decode_array(struct jd_ctx *c, json_t *v, void *dst, const struct jd_type *t);
void jd_free_array(void *dst, const struct jd_type *t);
json_t *jd_encode_array(const void *src, const struct jd_type *t);
json_t *jd_encode_map(const void *src, const struct jd_type *t);
void jd_decode_int(struct jd_ctx *c, json_t *v, void *dst, const struct jd_type *t);
void jd_decode_map(struct jd_ctx *c, json_t *v, void *dst, const struct jd_type *t);
void jd_free_map(void *dst, const struct jd_type *t);

/* An object type stored inline; a pointer to one (NULL when absent); an
 * array of elem (layout DH_VEC). */
#define JD_OBJECT(ctype, table) \
        { .decode = jd_decode_object, .free = jd_free_object, .encode = jd_encode_object, \
          .size = sizeof(ctype), .fields = (table) }
#define JD_PTR(elemtype) \
        { .decode = jd_decode_ptr, .free = jd_free_ptr, .encode = jd_encode_ptr, \
          .size = sizeof(void *), .elem = (elemtype) }
#define JD_ARRAY(elemtype) \
        { .decode = jd_decode_array, .free = jd_free_array, .encode = jd_encode_array, \
          .size = sizeof(struct dh_strv), .elem = (elemtype) }
/* A JSON object of values as a DH_VEC of entries whose first member is the
 * owned key (char *) and whose member `valmember` is decoded by elemtype;
 * entries keep the object's order. */
#define JD_MAP(entrytype, valmember, elemtype)                                       \
        { .decode = jd_decode_map, .free = jd_free_map, .encode = jd_encode_map,      \
          .size = sizeof(struct dh_strmap),                                           \
          .elem = (elemtype), .entry_size = sizeof(entrytype),                        \
          .val_off = offsetof(entrytype, valmember) }
/* The same with at most max entries (more: a TooMany error) and keys
 * quoted in field paths, Go style: mirrors["docker.io"]. */
#define JD_MAP_QUOTED_KEYS 1
#define JD_MAP_LIMITED_QUOTED(entrytype, valmember, elemtype, max_)                  \
        { .decode = jd_decode_map, .free = jd_free_map, .encode = jd_encode_map,      \
          .size = sizeof(struct dh_strmap),                                           \
          .elem = (elemtype), .entry_size = sizeof(entrytype),                        \
          .val_off = offsetof(entrytype, valmember), .max = (max_),                   \
          .variant = JD_MAP_QUOTED_KEYS }
/* struct dh_opt_i64 with an inclusive range. */
#define JD_INT(lo, hi) \
        { .decode = jd_decode_int, .encode = jd_encode_int, .size = sizeof(struct dh_opt_i64), \
          .min = (lo), .max = (hi) }
json_t *jd_encode_int(const void *src, const struct jd_type *t);

extern const struct jd_type jd_string;  /* char * */
extern const struct jd_type jd_bool;    /* struct dh_opt_bool */
extern const struct jd_type jd_int32;   /* struct dh_opt_i64 */
extern const struct jd_type jd_int64;   /* struct dh_opt_i64 */
extern const struct jd_type jd_strmap;  /* struct dh_strmap */
extern const struct jd_type jd_strv;    /* struct dh_strv */
extern const struct jd_type jd_intstr;  /* struct dh_intstr */
extern const struct jd_type jd_raw;     /* json_t * (kept as is) */
/* An int member holding an enum: decoded from its name or its number,
 * encoded as its name; names[i] names value i (NULL-terminated). */
#define JD_ENUM(names_) \
        { .decode = jd_decode_enum, .encode = jd_encode_enum, .size = sizeof(int), .names = (names_) }
void jd_decode_enum(struct jd_ctx *c, json_t *v, void *dst, const struct jd_type *t);
json_t *jd_encode_enum(const void *src, const struct jd_type *t);

/* Plain members (no "set" flag): absent decodes as 0/false, and 0/false is
 * omitted when encoding. */
extern const struct jd_type jd_plain_bool; /* bool */
extern const struct jd_type jd_plain_i32;  /* int32_t */
extern const struct jd_type jd_plain_u32;  /* uint32_t */
extern const struct jd_type jd_plain_i64;  /* int64_t */
extern const struct jd_type jd_plain_u64;  /* uint64_t (up to 2^63-1 in JSON) */

/* Encodes a struct through its type's tables (NULL only on OOM or when
 * the whole value is "omitted"). */
json_t *jd_encode(const void *src, const struct jd_type *t);

/* Records a wrong-type error: "<path>: Invalid value: <v>: must be <what>". */
void jd_type_error(struct jd_ctx *c, json_t *v, const char *what);
/* Renders a JSON value briefly for messages ("\"text\"", "12", "{...}"). */
char *jd_render(json_t *v);
const char *dh_strmap_get(const struct dh_strmap *m, const char *key);
