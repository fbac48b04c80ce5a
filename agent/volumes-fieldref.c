/* The values of downward API volume items: fieldRef (metadata.name,
 * namespace, uid, labels, annotations and their ['key'] subscripts) as
 * fieldpath.ExtractFieldPathAsString, and resourceFieldRef as
 * ExtractContainerResourceValue, with unset limits defaulting to the
 * node's allocatable (MergeContainerResourceLimits). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/volumes-internal.h"
#include "lib/buf.h"
#include "lib/cleanup.h"
#include "pod/pod.h"

static int cmp_kv(const void *a, const void *b)
{
        const struct dh_kv *x = *(const struct dh_kv *const *)a, *y = *(const struct dh_kv *const *)b;
        return strcmp(x->key, y->key);
}

/* A code point Go's strconv.Quote escapes although it is valid UTF-8 (not
 * unicode.IsPrint): C1 controls, non-ASCII spaces, line/paragraph
 * separators and the common format characters. */
static bool go_unprintable(uint32_t c)
{
        return (c >= 0x80 && c <= 0x9f) || c == 0xa0 || c == 0xad || c == 0x1680 ||
               (c >= 0x2000 && c <= 0x200f) || (c >= 0x2028 && c <= 0x202f) ||
               (c >= 0x205f && c <= 0x206f) || c == 0x3000 || c == 0xfeff ||
               (c >= 0xe000 && c <= 0xf8ff) || (c >= 0xfff9 && c <= 0xfffb);
}

/* Length of the valid UTF-8 sequence at s (and its code point), 0 if none. */
static size_t utf8_seq(const unsigned char *s, uint32_t *cp)
{
        size_t n = s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 && s[0] < 0xe0 ? 2 : 0;
        if (!n || s[0] > 0xf4)
                return 0;
        uint32_t c = s[0] & (0xff >> (n + 1));
        for (size_t i = 1; i < n; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                c = c << 6 | (s[i] & 0x3f);
        }
        static const uint32_t min[] = { 0, 0, 0x80, 0x800, 0x10000 };
        if (c < min[n] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
                return 0;
        *cp = c;
        return n;
}

/* Appends s quoted as Go's %q (strconv.Quote). */
static int go_quote(struct dh_buf *b, const char *str, struct dh_err **err)
{
        static const char esc[] = { ['\a'] = 'a', ['\b'] = 'b', ['\f'] = 'f', ['\n'] = 'n',
                                    ['\r'] = 'r', ['\t'] = 't', ['\v'] = 'v' };
        const unsigned char *s = (const unsigned char *)str;
        int r = dh_buf_puts(b, "\"", err);
        while (r == 0 && *s) {
                uint32_t cp;
                size_t n;
                if (*s == '"' || *s == '\\') {
                        r = dh_buf_printf(b, err, "\\%c", *s++);
                } else if (*s < sizeof esc && esc[*s]) {
                        r = dh_buf_printf(b, err, "\\%c", esc[*s++]);
                } else if (*s < 0x20 || *s == 0x7f) {
                        r = dh_buf_printf(b, err, "\\x%02x", *s++);
                } else if (*s < 0x80) {
                        r = dh_buf_append(b, s++, 1, err);
                } else if (!(n = utf8_seq(s, &cp))) {
                        r = dh_buf_printf(b, err, "\\x%02x", *s++);
                } else {
                        r = go_unprintable(cp) ? dh_buf_printf(b, err, "\\u%04x", (unsigned)cp)
                                               : dh_buf_append(b, s, n, err);
                        s += n;
                }
        }
        return r < 0 ? r : dh_buf_puts(b, "\"", err);
}

/* fieldpath.FormatMap: key="value" lines in key order, no final newline. */
static int format_map(const struct dh_strmap *m, char **out, struct dh_err **err)
{
        _cleanup_free_ const struct dh_kv **v = calloc(m->n ? m->n : 1, sizeof *v);
        if (!v)
                return dh_err_set(err, ENOMEM, "out of memory");
        for (size_t i = 0; i < m->n; i++)
                v[i] = &m->v[i];
        qsort(v, m->n, sizeof *v, cmp_kv);
        struct dh_buf b;
        dh_buf_init(&b, VOL_DOWNWARD_FILE_MAX);
        int r = dh_buf_puts(&b, "", err);
        for (size_t i = 0; r == 0 && i < m->n; i++) {
                r = dh_buf_printf(&b, err, "%s%s=", i ? "\n" : "", v[i]->key);
                if (r == 0)
                        r = go_quote(&b, v[i]->value ? v[i]->value : "", err);
        }
        if (r < 0) {
                dh_buf_free(&b);
                return r;
        }
        *out = dh_buf_steal(&b);
        return 0;
}

static const char *map_get(const struct dh_strmap *m, const char *key, size_t klen)
{
        for (size_t i = 0; i < m->n; i++)
                if (strlen(m->v[i].key) == klen && memcmp(m->v[i].key, key, klen) == 0)
                        return m->v[i].value ? m->v[i].value : "";
        return "";
}

/* "metadata.labels['key']": the map and the key, else false. */
static bool subscript(const char *path, const char *prefix, const char **key, size_t *klen)
{
        size_t pl = strlen(prefix), l = strlen(path);
        if (strncmp(path, prefix, pl) != 0 || strncmp(path + pl, "['", 2) != 0 || l < pl + 4 ||
            strcmp(path + l - 2, "']") != 0)
                return false;
        *key = path + pl + 2;
        *klen = l - pl - 4;
        return true;
}

static int field_value(const struct pod *pod, const char *path, char **out, struct dh_err **err)
{
        const struct pod_meta *m = &pod->metadata;
        const char *plain = NULL, *key;
        size_t klen;
        if (strcmp(path, "metadata.name") == 0)
                plain = m->name;
        else if (strcmp(path, "metadata.namespace") == 0)
                plain = pod_namespace(pod);
        else if (strcmp(path, "metadata.uid") == 0)
                plain = m->uid;
        else if (strcmp(path, "metadata.labels") == 0)
                return format_map(&m->labels, out, err);
        else if (strcmp(path, "metadata.annotations") == 0)
                return format_map(&m->annotations, out, err);
        else if (subscript(path, "metadata.labels", &key, &klen))
                plain = map_get(&m->labels, key, klen);
        else if (subscript(path, "metadata.annotations", &key, &klen))
                plain = map_get(&m->annotations, key, klen);
        else
                return dh_err_set(err, DH_EINVAL_INPUT, "fieldRef \"%s\": unsupported fieldPath", path);
        if (!(*out = strdup(plain ? plain : "")))
                return dh_err_set(err, ENOMEM, "out of memory");
        return 0;
}

static const struct pod_container *find_container(const struct pod *pod, const char *name)
{
        const struct pod_spec *s = &pod->spec;
        for (size_t i = 0; name && i < s->containers.n; i++)
                if (s->containers.v[i].name && strcmp(s->containers.v[i].name, name) == 0)
                        return &s->containers.v[i];
        for (size_t i = 0; name && i < s->initContainers.n; i++)
                if (s->initContainers.v[i].name && strcmp(s->initContainers.v[i].name, name) == 0)
                        return &s->initContainers.v[i];
        return NULL;
}

static const struct pod_quantity *find_quantity(const struct pod_resource_list *l, const char *name)
{
        for (size_t i = 0; i < l->n; i++)
                if (l->v[i].name && strcmp(l->v[i].name, name) == 0)
                        return &l->v[i].q;
        return NULL;
}

static int64_t ceil_div(int64_t a, int64_t b)
{
        return a / b + (a % b != 0 && (a < 0) == (b < 0));
}

/* The quantity's amount in divisor units, rounded up; cpu in millis so a
 * "1m" divisor counts millicores. */
static int resource_value(const char *res, const struct pod_quantity *q, int64_t node_default,
                          const struct pod_quantity *divisor, char **out, struct dh_err **err)
{
        bool cpu = strcmp(res, "cpu") == 0;
        int64_t amount = q ? (cpu ? pod_quantity_milli(q) : pod_quantity_value(q)) : node_default;
        int64_t div = 1;
        if (divisor->set && !pod_quantity_is_zero(divisor))
                div = cpu ? pod_quantity_milli(divisor) : pod_quantity_value(divisor);
        else if (cpu)
                div = 1000;
        if (div <= 0)
                return dh_err_set(err, DH_EINVAL_INPUT, "resourceFieldRef: divisor must be positive");
        if (asprintf(out, "%lld", (long long)ceil_div(amount, div)) < 0)
                return dh_err_set(err, ENOMEM, "out of memory");
        return 0;
}

static int resource_field(const struct pod *pod, const struct agent_node_alloc *node,
                          const struct pod_resource_field_selector *sel, char **out,
                          struct dh_err **err)
{
        const char *r = sel->resource ? sel->resource : "";
        const struct pod_container *c = find_container(pod, sel->containerName);
        if (!c)
                return dh_err_set(err, DH_EINVAL_INPUT, "resourceFieldRef \"%s\": container \"%s\" not found",
                                  r, sel->containerName ? sel->containerName : "");
        bool limits = strncmp(r, "limits.", 7) == 0;
        if (!limits && strncmp(r, "requests.", 9) != 0)
                return dh_err_set(err, DH_EINVAL_INPUT, "resourceFieldRef: unsupported resource \"%s\"", r);
        const char *res = r + (limits ? 7 : 9);
        bool known = strcmp(res, "cpu") == 0 || strcmp(res, "memory") == 0 ||
                     strcmp(res, "ephemeral-storage") == 0;
        if (!known && strncmp(res, "hugepages-", 10) != 0)
                return dh_err_set(err, DH_EINVAL_INPUT, "resourceFieldRef: unsupported resource \"%s\"", r);
        const struct pod_quantity *q = find_quantity(limits ? &c->resources.limits : &c->resources.requests, res);
        int64_t node_default = 0;
        if (limits && node && strcmp(res, "cpu") == 0)
                node_default = node->cpu_milli;
        else if (limits && node && strcmp(res, "memory") == 0)
                node_default = node->memory;
        else if (limits && node && strcmp(res, "ephemeral-storage") == 0)
                node_default = node->ephemeral_storage;
        return resource_value(res, q, node_default, &sel->divisor, out, err);
}

int vol_downward_value(const struct pod *pod, const struct agent_node_alloc *node,
                       const struct pod_downward_file *f, char **out, struct dh_err **err)
{
        if (f->fieldRef)
                return field_value(pod, f->fieldRef->fieldPath ? f->fieldRef->fieldPath : "", out, err);
        if (f->resourceFieldRef)
                return resource_field(pod, node, f->resourceFieldRef, out, err);
        return dh_err_set(err, DH_EINVAL_INPUT, "one of fieldRef and resourceFieldRef is required");
}
