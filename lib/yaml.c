/* YAML → JSON conversion with libyaml's event API. Aliases share the
 * anchored jansson value (no copying), but their expanded size is charged to
 * a value budget so a billion-laughs document fails fast. */
#include "lib/yaml.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "lib/cleanup.h"

struct yframe {
        json_t *node;       /* object or array being built */
        char *key;          /* pending key in a mapping */
        bool key_is_merge;  /* pending key is "<<" */
        json_t *merges;     /* values of "<<" keys, applied at the end */
        char *anchor;
        size_t values;      /* expanded values inside, for anchors */
};

struct ybuild {
        struct yframe stack[DH_YAML_MAX_DEPTH + 1];
        int depth;
        json_t *doc;        /* finished root */
        json_t *anchors;    /* name -> [value, expanded size] */
        size_t values;      /* expanded values in the stream so far */
        struct dh_err **err;
        yaml_mark_t mark;
};

static int yb_fail(struct ybuild *b, int code, const char *msg, const char *extra)
{
        return dh_err_set(b->err, code, "line %zu, column %zu: %s%s%s",
                          b->mark.line + 1, b->mark.column + 1, msg,
                          extra ? " " : "", extra ? extra : "");
}

static bool all_digits(const char *s, const char *set)
{
        if (!*s)
                return false;
        for (; *s; s++)
                if (*s != '_' && !strchr(set, *s))
                        return false;
        return true;
}

/* Integers as Go's strconv.ParseInt(s, 0, 64) reads them after YAML 1.1's
 * underscores are dropped: [+-] then 0x.., 0o.., 0b.., 0.. (octal) or
 * decimal. Returns false if s is not an integer of that form. */
static bool resolve_int(const char *s, json_int_t *out)
{
        const char *p = s;
        bool neg = false;
        if (*p == '+' || *p == '-')
                neg = *p++ == '-';
        int base = 10;
        const char *set = "0123456789";
        if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
                base = 16, set = "0123456789abcdefABCDEF", p += 2;
        else if (p[0] == '0' && (p[1] == 'o' || p[1] == 'O'))
                base = 8, set = "01234567", p += 2;
        else if (p[0] == '0' && (p[1] == 'b' || p[1] == 'B'))
                base = 2, set = "01", p += 2;
        else if (p[0] == '0' && p[1])
                base = 8, set = "01234567", p += 1;
        if (!all_digits(p, set))
                return false;
        unsigned long long v = 0;
        for (; *p; p++) {
                if (*p == '_')
                        continue;
                int d = isdigit((unsigned char)*p) ? *p - '0' : (tolower((unsigned char)*p) - 'a' + 10);
                if (v > (ULLONG_MAX - (unsigned)d) / (unsigned)base)
                        return false;
                v = v * (unsigned)base + (unsigned)d;
        }
        if ((!neg && v > (unsigned long long)INT64_MAX) || (neg && v > (unsigned long long)INT64_MAX + 1))
                return false;
        *out = neg ? (json_int_t)(0 - v) : (json_int_t)v;
        return true;
}

/* YAML 1.1 floats: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? */
static bool resolve_float(const char *s, double *out)
{
        const char *p = s;
        if (*p == '+' || *p == '-')
                p++;
        size_t intd = strspn(p, "0123456789");
        p += intd;
        size_t fracd = 0;
        if (*p == '.') {
                p++;
                fracd = strspn(p, "0123456789");
                p += fracd;
        }
        if (intd == 0 && fracd == 0)
                return false;
        if (*p == 'e' || *p == 'E') {
                p++;
                if (*p == '+' || *p == '-')
                        p++;
                size_t ed = strspn(p, "0123456789");
                if (ed == 0)
                        return false;
                p += ed;
        }
        if (*p)
                return false;
        char *end;
        errno = 0;
        double d = strtod(s, &end);
        if (*end || !isfinite(d))
                return false;
        *out = d;
        return true;
}

static bool str_in(const char *s, const char *const *set)
{
        for (; *set; set++)
                if (strcmp(s, *set) == 0)
                        return true;
        return false;
}

static int resolve_plain(struct ybuild *b, const char *s, json_t **out)
{
        static const char *const nulls[] = { "", "~", "null", "Null", "NULL", NULL };
        static const char *const trues[] = { "y", "Y", "yes", "Yes", "YES", "on", "On", "ON",
                                             "true", "True", "TRUE", NULL };
        static const char *const falses[] = { "n", "N", "no", "No", "NO", "off", "Off", "OFF",
                                              "false", "False", "FALSE", NULL };
        static const char *const nonfinite[] = { ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF",
                                                 "-.inf", "-.Inf", "-.INF", ".nan", ".NaN", ".NAN", NULL };
        json_int_t i;
        double d;
        if (str_in(s, nulls))
                *out = json_null();
        else if (str_in(s, trues))
                *out = json_true();
        else if (str_in(s, falses))
                *out = json_false();
        else if (str_in(s, nonfinite))
                return yb_fail(b, EINVAL, "infinity and NaN cannot be represented in JSON:", s);
        else if (resolve_int(s, &i))
                *out = json_integer(i);
        else if (resolve_float(s, &d))
                *out = json_real(d);
        else
                *out = json_string(s);
        return *out ? 0 : yb_fail(b, EINVAL, "invalid UTF-8 in scalar", NULL);
}

static int scalar_value(struct ybuild *b, const yaml_event_t *ev, json_t **out)
{
        const char *s = (const char *)ev->data.scalar.value;
        size_t len = ev->data.scalar.length;
        const char *tag = (const char *)ev->data.scalar.tag;
        if (memchr(s, '\0', len))
                return yb_fail(b, EINVAL, "NUL byte in scalar", NULL);
        if (tag && strcmp(tag, YAML_STR_TAG) == 0) {
                *out = json_stringn(s, len);
        } else if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
                   (!tag || strcmp(tag, "!") != 0)) {
                return resolve_plain(b, s, out);
        } else {
                *out = json_stringn(s, len);
        }
        return *out ? 0 : yb_fail(b, EINVAL, "invalid UTF-8 in scalar", NULL);
}

static int charge(struct ybuild *b, size_t n)
{
        b->values += n;
        for (int i = 0; i < b->depth; i++)
                b->stack[i].values += n;
        if (b->values > DH_YAML_MAX_VALUES)
                return yb_fail(b, DH_ELIMIT, "document too large:", "more than 200000 values after alias expansion");
        return 0;
}

static int remember_anchor(struct ybuild *b, const char *anchor, json_t *v, size_t size)
{
        if (!anchor)
                return 0;
        json_t *entry = json_pack("[Oi]", v, (json_int_t)size);
        if (!entry || json_object_set_new(b->anchors, anchor, entry) < 0)
                return yb_fail(b, ENOMEM, "out of memory", NULL);
        return 0;
}

static int key_string(struct ybuild *b, json_t *k, char **out)
{
        char buf[64];
        switch (json_typeof(k)) {
        case JSON_STRING: *out = strdup(json_string_value(k)); break;
        case JSON_INTEGER: snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, json_integer_value(k)); *out = strdup(buf); break;
        case JSON_REAL: snprintf(buf, sizeof buf, "%g", json_real_value(k)); *out = strdup(buf); break;
        case JSON_TRUE: *out = strdup("true"); break;
        case JSON_FALSE: *out = strdup("false"); break;
        case JSON_NULL: *out = strdup("null"); break;
        default: return yb_fail(b, EINVAL, "mapping keys must be scalars", NULL);
        }
        return *out ? 0 : yb_fail(b, ENOMEM, "out of memory", NULL);
}

/* Attaches a finished value to the enclosing container (or makes it the
 * document root). Consumes v. */
static int attach(struct ybuild *b, json_t *v, bool plain_merge_key)
{
        if (b->depth == 0) {
                json_decref(b->doc);
                b->doc = v;
                return 0;
        }
        struct yframe *f = &b->stack[b->depth - 1];
        if (json_is_array(f->node))
                return json_array_append_new(f->node, v) < 0 ? yb_fail(b, ENOMEM, "out of memory", NULL) : 0;
        if (!f->key && !f->key_is_merge) {
                f->key_is_merge = plain_merge_key;
                int r = plain_merge_key ? 0 : key_string(b, v, &f->key);
                json_decref(v);
                return r;
        }
        if (f->key_is_merge) {
                f->key_is_merge = false;
                if (!json_is_object(v) && !json_is_array(v)) {
                        json_decref(v);
                        return yb_fail(b, EINVAL, "map merge requires a mapping or a list of mappings", NULL);
                }
                return json_array_append_new(f->merges, v) < 0 ? yb_fail(b, ENOMEM, "out of memory", NULL) : 0;
        }
        _cleanup_free_ char *key = TAKE_PTR(f->key);
        if (json_object_get(f->node, key)) {
                json_decref(v);
                return yb_fail(b, EINVAL, "duplicate mapping key:", key);
        }
        return json_object_set_new(f->node, key, v) < 0 ? yb_fail(b, ENOMEM, "out of memory", NULL) : 0;
}

static int merge_into(struct ybuild *b, json_t *obj, json_t *src)
{
        if (json_is_array(src)) {
                size_t i;
                json_t *e;
                json_array_foreach(src, i, e) {
                        int r = merge_into(b, obj, e);
                        if (r < 0)
                                return r;
                }
                return 0;
        }
        if (!json_is_object(src))
                return yb_fail(b, EINVAL, "map merge requires a mapping or a list of mappings", NULL);
        const char *k;
        json_t *v;
        json_object_foreach(src, k, v)
                if (!json_object_get(obj, k) && json_object_set(obj, k, v) < 0)
                        return yb_fail(b, ENOMEM, "out of memory", NULL);
        return 0;
}

static int push(struct ybuild *b, json_t *node, const yaml_char_t *anchor)
{
        if (!node)
                return yb_fail(b, ENOMEM, "out of memory", NULL);
        if (b->depth >= DH_YAML_MAX_DEPTH) {
                json_decref(node);
                return yb_fail(b, DH_ELIMIT, "document nested too deeply:", "more than 100 levels");
        }
        int r = charge(b, 1);
        if (r < 0) {
                json_decref(node);
                return r;
        }
        b->stack[b->depth++] = (struct yframe){
                .node = node,
                .merges = json_array(),
                .anchor = anchor ? strdup((const char *)anchor) : NULL,
                .values = 1,
        };
        return 0;
}

static void frame_free(struct yframe *f)
{
        json_decref(f->node);
        json_decref(f->merges);
        free(f->key);
        free(f->anchor);
        *f = (struct yframe){ 0 };
}

static int pop(struct ybuild *b)
{
        struct yframe f = b->stack[--b->depth];
        b->stack[b->depth] = (struct yframe){ 0 };
        int r = 0;
        size_t i;
        json_t *m;
        json_array_foreach(f.merges, i, m) {
                r = merge_into(b, f.node, m);
                if (r < 0)
                        break;
        }
        if (r == 0)
                r = remember_anchor(b, f.anchor, f.node, f.values);
        if (r == 0) {
                r = attach(b, f.node, false);
                f.node = NULL;
        }
        frame_free(&f);
        return r;
}

static int on_scalar(struct ybuild *b, const yaml_event_t *ev)
{
        json_t *v = NULL;
        int r = scalar_value(b, ev, &v);
        if (r == 0)
                r = charge(b, 1);
        if (r == 0 && ev->data.scalar.anchor)
                r = remember_anchor(b, (const char *)ev->data.scalar.anchor, v, 1);
        if (r < 0) {
                json_decref(v);
                return r;
        }
        bool merge_key = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
                         strcmp((const char *)ev->data.scalar.value, "<<") == 0;
        return attach(b, v, merge_key);
}

static int on_alias(struct ybuild *b, const yaml_event_t *ev)
{
        const char *name = (const char *)ev->data.alias.anchor;
        json_t *entry = json_object_get(b->anchors, name);
        if (!entry)
                return yb_fail(b, EINVAL, "unknown anchor", name);
        int r = charge(b, (size_t)json_integer_value(json_array_get(entry, 1)));
        if (r < 0)
                return r;
        return attach(b, json_incref(json_array_get(entry, 0)), false);
}

static int on_event(struct ybuild *b, const yaml_event_t *ev)
{
        b->mark = ev->start_mark;
        switch (ev->type) {
        case YAML_SCALAR_EVENT:
                return on_scalar(b, ev);
        case YAML_ALIAS_EVENT:
                return on_alias(b, ev);
        case YAML_SEQUENCE_START_EVENT:
                return push(b, json_array(), ev->data.sequence_start.anchor);
        case YAML_MAPPING_START_EVENT:
                return push(b, json_object(), ev->data.mapping_start.anchor);
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
                return pop(b);
        default:
                return 0;
        }
}

static int docs_push(struct dh_docs *d, json_t *doc, struct dh_err **err)
{
        if (d->n >= DH_YAML_MAX_DOCS) {
                json_decref(doc);
                return dh_err_set(err, DH_ELIMIT, "more than %d documents", DH_YAML_MAX_DOCS);
        }
        json_t **v = realloc(d->v, (d->n + 1) * sizeof *v);
        if (!v) {
                json_decref(doc);
                return dh_err_set(err, ENOMEM, "out of memory");
        }
        d->v = v;
        d->v[d->n++] = doc;
        return 0;
}

static int parser_error(const yaml_parser_t *p, struct dh_err **err)
{
        const yaml_mark_t *m = &p->problem_mark;
        if (p->context)
                return dh_err_set(err, EINVAL, "line %zu, column %zu: %s %s",
                                  m->line + 1, m->column + 1, p->problem ? p->problem : "syntax error",
                                  p->context);
        return dh_err_set(err, EINVAL, "line %zu, column %zu: %s", m->line + 1, m->column + 1,
                          p->problem ? p->problem : "syntax error");
}

/* Ends a document: the root joins the list unless the document was empty. */
static int end_document(struct ybuild *b, struct dh_docs *out)
{
        json_t *doc = b->doc;
        b->doc = NULL;
        json_object_clear(b->anchors);
        if (!doc || json_is_null(doc)) {
                json_decref(doc);
                return 0;
        }
        return docs_push(out, doc, b->err);
}

static int parse_yaml(const char *data, size_t len, struct dh_docs *out, struct dh_err **err)
{
        yaml_parser_t parser;
        if (!yaml_parser_initialize(&parser))
                return dh_err_set(err, ENOMEM, "out of memory");
        yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
        struct ybuild b = { .anchors = json_object(), .err = err };
        int r = 0;
        for (bool done = false; !done && r == 0;) {
                yaml_event_t ev;
                if (!yaml_parser_parse(&parser, &ev)) {
                        r = parser_error(&parser, err);
                        break;
                }
                if (ev.type == YAML_STREAM_END_EVENT)
                        done = true;
                else if (ev.type == YAML_DOCUMENT_END_EVENT)
                        r = end_document(&b, out);
                else
                        r = on_event(&b, &ev);
                yaml_event_delete(&ev);
        }
        while (b.depth > 0)
                frame_free(&b.stack[--b.depth]);
        json_decref(b.doc);
        json_decref(b.anchors);
        yaml_parser_delete(&parser);
        return r;
}

static int parse_json(const char *data, size_t len, struct dh_docs *out, struct dh_err **err)
{
        json_error_t je;
        json_t *doc = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
        if (!doc)
                return dh_err_set(err, EINVAL, "line %d, column %d: %s", je.line, je.column, je.text);
        return docs_push(out, doc, err);
}

int dh_yaml_parse(const char *data, size_t len, struct dh_docs *out, struct dh_err **err)
{
        struct dh_docs docs = { 0 };
        size_t i = 0;
        while (i < len && isspace((unsigned char)data[i]))
                i++;
        int r = (i < len && data[i] == '{') ? parse_json(data, len, &docs, err)
                                            : parse_yaml(data, len, &docs, err);
        if (r < 0) {
                dh_docs_free(&docs);
                return r;
        }
        *out = docs;
        return 0;
}

void dh_docs_free(struct dh_docs *d)
{
        for (size_t i = 0; i < d->n; i++)
                json_decref(d->v[i]);
        free(d->v);
        *d = (struct dh_docs){ 0 };
}
