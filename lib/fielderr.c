/* Field error lists and field paths. */
#include "lib/fielderr.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/cleanup.h"

/* Appends a segment; on overflow the path keeps its old value and is
 * marked truncated, so messages stay bounded. */
static size_t path_append(struct dh_path *p, const char *pre, const char *s, const char *post)
{
        size_t mark = p->len;
        size_t room = sizeof p->buf - p->len;
        int n = snprintf(p->buf + p->len, room, "%s%s%s", pre, s, post);
        if (n < 0 || (size_t)n >= room) {
                p->buf[mark] = '\0';
                p->truncated = true;
                return mark;
        }
        p->len += (size_t)n;
        return mark;
}

size_t dh_path_field(struct dh_path *p, const char *name)
{
        return path_append(p, p->len ? "." : "", name, "");
}

size_t dh_path_index(struct dh_path *p, size_t i)
{
        char num[32];
        snprintf(num, sizeof num, "%zu", i);
        return path_append(p, "[", num, "]");
}

size_t dh_path_key(struct dh_path *p, const char *key)
{
        return path_append(p, "[", key, "]");
}

void dh_path_pop(struct dh_path *p, size_t mark)
{
        if (mark <= p->len) {
                p->len = mark;
                p->buf[mark] = '\0';
        }
}

const char *dh_path_str(const struct dh_path *p)
{
        return p->truncated && p->len == 0 ? "(path too long)" : p->buf;
}

#define QUOTE_MAX 256

char *dh_quote(const char *s)
{
        struct dh_buf b;
        dh_buf_init(&b, QUOTE_MAX * 4 + 16);
        dh_buf_puts(&b, "\"", NULL);
        size_t n = 0;
        for (const unsigned char *c = (const unsigned char *)s; *c; c++, n++) {
                if (n == QUOTE_MAX) {
                        dh_buf_puts(&b, "...", NULL);
                        break;
                }
                if (*c == '"' || *c == '\\')
                        dh_buf_printf(&b, NULL, "\\%c", *c);
                else if (*c == '\n')
                        dh_buf_puts(&b, "\\n", NULL);
                else if (*c == '\t')
                        dh_buf_puts(&b, "\\t", NULL);
                else if (*c < 0x20 || *c >= 0x7f)
                        dh_buf_printf(&b, NULL, "\\x%02x", *c);
                else
                        dh_buf_append(&b, c, 1, NULL);
        }
        dh_buf_puts(&b, "\"", NULL);
        return dh_buf_steal(&b);
}

void dh_ferr_add(struct dh_ferrs *e, enum dh_ferr_type type, const char *field,
                 const char *value, const char *detail)
{
        if (e->n >= DH_FERRS_MAX) {
                e->dropped++;
                return;
        }
        struct dh_ferr *v = realloc(e->v, (e->n + 1) * sizeof *v);
        if (!v) {
                e->dropped++;
                return;
        }
        e->v = v;
        v[e->n++] = (struct dh_ferr){
                .type = type,
                .field = strdup(field),
                .value = value ? strdup(value) : NULL,
                .detail = detail ? strdup(detail) : NULL,
        };
}

void dh_ferr_required(struct dh_ferrs *e, const struct dh_path *p, const char *detail)
{
        dh_ferr_add(e, DH_FERR_REQUIRED, dh_path_str(p), NULL, detail);
}

void dh_ferr_forbidden(struct dh_ferrs *e, const struct dh_path *p, const char *detail)
{
        dh_ferr_add(e, DH_FERR_FORBIDDEN, dh_path_str(p), NULL, detail);
}

void dh_ferr_invalid_raw(struct dh_ferrs *e, const struct dh_path *p,
                         const char *value, const char *detail)
{
        dh_ferr_add(e, DH_FERR_INVALID, dh_path_str(p), value, detail);
}

void dh_ferr_invalid_str(struct dh_ferrs *e, const struct dh_path *p,
                         const char *value, const char *detail)
{
        _cleanup_free_ char *q = dh_quote(value ? value : "");
        dh_ferr_add(e, DH_FERR_INVALID, dh_path_str(p), q, detail);
}

void dh_ferr_invalid_int(struct dh_ferrs *e, const struct dh_path *p,
                         int64_t value, const char *detail)
{
        char v[32];
        snprintf(v, sizeof v, "%" PRId64, value);
        dh_ferr_add(e, DH_FERR_INVALID, dh_path_str(p), v, detail);
}

void dh_ferr_not_supported(struct dh_ferrs *e, const struct dh_path *p,
                           const char *value, const char *const *supported)
{
        struct dh_buf b;
        dh_buf_init(&b, 4096);
        dh_buf_puts(&b, "supported values: ", NULL);
        for (size_t i = 0; supported && supported[i]; i++) {
                _cleanup_free_ char *q = dh_quote(supported[i]);
                dh_buf_printf(&b, NULL, "%s%s", i ? ", " : "", q);
        }
        _cleanup_free_ char *qv = dh_quote(value ? value : "");
        _cleanup_free_ char *detail = dh_buf_steal(&b);
        dh_ferr_add(e, DH_FERR_NOT_SUPPORTED, dh_path_str(p), qv, detail);
}

void dh_ferr_duplicate_str(struct dh_ferrs *e, const struct dh_path *p, const char *value)
{
        _cleanup_free_ char *q = dh_quote(value ? value : "");
        dh_ferr_add(e, DH_FERR_DUPLICATE, dh_path_str(p), q, NULL);
}

void dh_ferr_not_found_str(struct dh_ferrs *e, const struct dh_path *p, const char *value)
{
        _cleanup_free_ char *q = dh_quote(value ? value : "");
        dh_ferr_add(e, DH_FERR_NOT_FOUND, dh_path_str(p), q, NULL);
}

void dh_ferr_duplicate_int(struct dh_ferrs *e, const struct dh_path *p, int64_t value)
{
        char v[32];
        snprintf(v, sizeof v, "%" PRId64, value);
        dh_ferr_add(e, DH_FERR_DUPLICATE, dh_path_str(p), v, NULL);
}

static const char *ferr_type_name(enum dh_ferr_type t)
{
        switch (t) {
        case DH_FERR_REQUIRED: return "Required value";
        case DH_FERR_INVALID: return "Invalid value";
        case DH_FERR_NOT_SUPPORTED: return "Unsupported value";
        case DH_FERR_DUPLICATE: return "Duplicate value";
        case DH_FERR_NOT_FOUND: return "Not found";
        case DH_FERR_FORBIDDEN: return "Forbidden";
        case DH_FERR_TOO_LONG: return "Too long";
        case DH_FERR_TOO_MANY: return "Too many";
        }
        return "Invalid value";
}

char *dh_ferr_format(const struct dh_ferr *f)
{
        struct dh_buf b;
        dh_buf_init(&b, 8192);
        /* An error about the whole document has no path to name. */
        if (f->field && *f->field)
                dh_buf_printf(&b, NULL, "%s: %s", f->field, ferr_type_name(f->type));
        else
                dh_buf_puts(&b, ferr_type_name(f->type), NULL);
        if (f->value)
                dh_buf_printf(&b, NULL, ": %s", f->value);
        if (f->detail && *f->detail)
                dh_buf_printf(&b, NULL, ": %s", f->detail);
        return dh_buf_steal(&b);
}

void dh_ferrs_free(struct dh_ferrs *e)
{
        for (size_t i = 0; i < e->n; i++) {
                free(e->v[i].field);
                free(e->v[i].value);
                free(e->v[i].detail);
        }
        free(e->v);
        *e = (struct dh_ferrs){ 0 };
}

int dh_ferrs_to_err(const char *name, const struct dh_ferrs *errs, struct dh_err **err)
{
        struct dh_buf b;
        dh_buf_init(&b, 64 * 1024);
        bool many = errs->n + errs->dropped > 1;
        dh_buf_printf(&b, NULL, "%s: %s", name, many ? "[" : "");
        for (size_t i = 0; i < errs->n; i++) {
                _cleanup_free_ char *f = dh_ferr_format(&errs->v[i]);
                dh_buf_printf(&b, NULL, "%s%s", i ? ", " : "", f ? f : "?");
        }
        if (errs->dropped)
                dh_buf_printf(&b, NULL, ", and %zu more errors", errs->dropped);
        dh_buf_puts(&b, many ? "]" : "", NULL);
        _cleanup_free_ char *msg = dh_buf_steal(&b);
        return dh_err_set(err, DH_EINVAL_INPUT, "%s", msg ? msg : name);
}
