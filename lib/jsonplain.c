/* Plain scalar members for the decode/encode tables: no "set" flag, absent
 * means zero, zero is omitted. Used for internal documents (the runtime's
 * plans and state files) where "unset" and "zero" mean the same thing. */
#include <stdint.h>
#include <string.h>

#include "lib/jsondec.h"

static void decode_plain_bool(struct jd_ctx *c, json_t *v, void *dst, const struct jd_type *t)
{
        (void)t;
        if (!json_is_boolean(v)) {
                jd_type_error(c, v, "a boolean");
                return;
        }
        *(bool *)dst = json_is_true(v);
}

static json_t *encode_plain_bool(const void *src, const struct jd_type *t)
{
        (void)t;
        return *(const bool *)src ? json_true() : NULL;
}

const struct jd_type jd_plain_bool = { .decode = decode_plain_bool, .encode = encode_plain_bool,
                                       .size = sizeof(bool) };

/* The integer kinds share one path through dh_opt_i64 and its range check. */
enum plain_kind { PLAIN_I32, PLAIN_U32, PLAIN_I64, PLAIN_U64 };

static void decode_plain_int(struct jd_ctx *c, json_t *v, void *dst, const struct jd_type *t)
{
        struct dh_opt_i64 o = { 0 };
        jd_decode_int(c, v, &o, t);
        if (!o.set)
                return;
        switch ((enum plain_kind)t->variant) {
        case PLAIN_I32: *(int32_t *)dst = (int32_t)o.v; break;
        case PLAIN_U32: *(uint32_t *)dst = (uint32_t)o.v; break;
        case PLAIN_I64: *(int64_t *)dst = o.v; break;
        case PLAIN_U64: *(uint64_t *)dst = (uint64_t)o.v; break;
        }
}

static json_t *encode_plain_int(const void *src, const struct jd_type *t)
{
        int64_t x = 0;
        switch ((enum plain_kind)t->variant) {
        case PLAIN_I32: x = *(const int32_t *)src; break;
        case PLAIN_U32: x = *(const uint32_t *)src; break;
        case PLAIN_I64: x = *(const int64_t *)src; break;
        case PLAIN_U64: x = *(const uint64_t *)src > INT64_MAX ? INT64_MAX : (int64_t)*(const uint64_t *)src; break;
        }
        return x ? json_integer(x) : NULL;
}

#define PLAIN_INT(ctype, kind, lo, hi) \
        { .decode = decode_plain_int, .encode = encode_plain_int, .size = sizeof(ctype), \
          .min = (lo), .max = (hi), .variant = (kind) }

const struct jd_type jd_plain_i32 = PLAIN_INT(int32_t, PLAIN_I32, INT32_MIN, INT32_MAX);
const struct jd_type jd_plain_u32 = PLAIN_INT(uint32_t, PLAIN_U32, 0, UINT32_MAX);
const struct jd_type jd_plain_i64 = PLAIN_INT(int64_t, PLAIN_I64, INT64_MIN, INT64_MAX);
const struct jd_type jd_plain_u64 = PLAIN_INT(uint64_t, PLAIN_U64, 0, INT64_MAX);

void jd_decode_enum(struct jd_ctx *c, json_t *v, void *dst, const struct jd_type *t)
{
        size_t n = 0;
        while (t->names[n])
                n++;
        if (json_is_integer(v) && json_integer_value(v) >= 0 && (size_t)json_integer_value(v) < n) {
                *(int *)dst = (int)json_integer_value(v);
                return;
        }
        for (size_t i = 0; json_is_string(v) && i < n; i++) {
                if (strcmp(json_string_value(v), t->names[i]) == 0) {
                        *(int *)dst = (int)i;
                        return;
                }
        }
        if (json_is_string(v))
                dh_ferr_not_supported(c->errs, &c->path, json_string_value(v), t->names);
        else
                jd_type_error(c, v, "one of the enum's names or numbers");
}

json_t *jd_encode_enum(const void *src, const struct jd_type *t)
{
        int v = *(const int *)src;
        size_t n = 0;
        while (t->names[n])
                n++;
        return v >= 0 && (size_t)v < n ? json_string(t->names[v]) : json_integer(v);
}
