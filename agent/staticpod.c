/* kubelet's defaults for pods read from manifest files: the node-scoped
 * name, the content-derived UID and hash annotation, source and first-seen
 * annotations, the node binding, the NoExecute toleration, phase Pending. */
#include "agent/staticpod.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/cleanup.h"
#include "lib/sha256.h"

DH_DEFINE_CLEANUP(struct pod *, pod_free)

int agent_format_rfc3339nano(int64_t ns, char *buf, size_t size)
{
        int64_t sec = ns / 1000000000, frac = ns % 1000000000;
        if (frac < 0) {
                frac += 1000000000;
                sec--;
        }
        time_t t = (time_t)sec;
        struct tm tm;
        if (!gmtime_r(&t, &tm))
                return -1;
        char date[32], fr[16] = "";
        if (strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm) == 0)
                return -1;
        if (frac) {
                snprintf(fr, sizeof fr, ".%09lld", (long long)frac);
                size_t n = strlen(fr);
                while (fr[n - 1] == '0')
                        fr[--n] = '\0';
        }
        int n = snprintf(buf, size, "%s%sZ", date, fr);
        return n < 0 || (size_t)n >= size ? -1 : n;
}

/* sha256("host:<node>" "file:<path>" <canonical JSON>), the idea of
 * kubelet's md5 over the same two strings and a deep hash of the object. */
static int content_hash(const struct pod *p, const char *path, const char *node,
                        char out[AGENT_STATIC_POD_HASH_LEN + 1], struct dh_err **err)
{
        json_t *j = pod_encode(p);
        _cleanup_free_ char *text = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
        json_decref(j);
        if (!text)
                return dh_err_set(err, ENOMEM, "encoding the pod: out of memory");
        struct dh_sha256 md;
        unsigned char sum[DH_SHA256_LEN];
        dh_sha256_init(&md);
        dh_sha256_update(&md, "host:", 5);
        dh_sha256_update(&md, node, strlen(node));
        dh_sha256_update(&md, "file:", 5);
        dh_sha256_update(&md, path, strlen(path));
        dh_sha256_update(&md, text, strlen(text));
        dh_sha256_final(&md, sum);
        _Static_assert(AGENT_STATIC_POD_HASH_LEN == DH_SHA256_HEX_LEN, "hash is a hex sha256");
        dh_sha256_hex(sum, out);
        return 0;
}

static int replace_str(char **s, const char *v)
{
        char *d = strdup(v);
        if (!d)
                return -ENOMEM;
        free(*s);
        *s = d;
        return 0;
}

/* Sets key to value, in place when present, else appended. */
static int strmap_set(struct dh_strmap *m, const char *key, const char *value)
{
        for (size_t i = 0; i < m->n; i++)
                if (strcmp(m->v[i].key, key) == 0)
                        return replace_str(&m->v[i].value, value);
        struct dh_kv *v = realloc(m->v, (m->n + 1) * sizeof *v);
        if (!v)
                return -ENOMEM;
        m->v = v;
        struct dh_kv kv = { strdup(key), strdup(value) };
        if (!kv.key || !kv.value) {
                free(kv.key);
                free(kv.value);
                return -ENOMEM;
        }
        m->v[m->n++] = kv;
        return 0;
}

static bool str_eq(const char *a, const char *b)
{
        return strcmp(a ? a : "", b ? b : "") == 0;
}

static void toleration_clear(struct pod_toleration *t)
{
        free(t->key);
        free(t->operator);
        free(t->value);
        free(t->effect);
        *t = (struct pod_toleration){ 0 };
}

static int toleration_set(struct pod_toleration *t)
{
        toleration_clear(t);
        t->operator = strdup("Exists");
        t->effect = strdup("NoExecute");
        return t->operator && t->effect ? 0 : -ENOMEM;
}

/* AddOrUpdateTolerationInPod({operator: Exists, effect: NoExecute}): a
 * toleration with the same key, operator, value and effect is replaced by
 * it (dropping tolerationSeconds), else it is appended. */
static int add_noexecute_toleration(struct pod_spec *s)
{
        bool found = false;
        for (size_t i = 0; i < s->tolerations.n; i++) {
                struct pod_toleration *t = &s->tolerations.v[i];
                if (!str_eq(t->key, "") || !str_eq(t->operator, "Exists") ||
                    !str_eq(t->value, "") || !str_eq(t->effect, "NoExecute"))
                        continue;
                found = true;
                if (t->tolerationSeconds.set && toleration_set(t) < 0)
                        return -ENOMEM;
        }
        if (found)
                return 0;
        struct pod_toleration *v = realloc(s->tolerations.v, (s->tolerations.n + 1) * sizeof *v);
        if (!v)
                return -ENOMEM;
        s->tolerations.v = v;
        v[s->tolerations.n] = (struct pod_toleration){ 0 };
        int r = toleration_set(&v[s->tolerations.n]);
        s->tolerations.n++;
        return r;
}

static char *static_name(const char *name, const char *node)
{
        char *out = NULL;
        if (asprintf(&out, "%s-%s", name, node) < 0)
                return NULL;
        for (char *c = out + strlen(name) + 1; *c; c++)
                *c = (char)tolower((unsigned char)*c);
        return out;
}

static int apply_defaults(struct pod *p, const char *node, const char *hash, int64_t seen_ns)
{
        struct pod_meta *m = &p->metadata;
        char seen[40];
        if (agent_format_rfc3339nano(seen_ns, seen, sizeof seen) < 0)
                return -EINVAL;
        if (!m->uid || !*m->uid) {
                char uid[AGENT_STATIC_POD_UID_LEN + 1];
                memcpy(uid, hash, AGENT_STATIC_POD_UID_LEN);
                uid[AGENT_STATIC_POD_UID_LEN] = '\0';
                if (replace_str(&m->uid, uid) < 0)
                        return -ENOMEM;
        }
        char *name = static_name(m->name ? m->name : "", node);
        if (!name)
                return -ENOMEM;
        free(m->name);
        m->name = name;
        if ((!m->namespace || !*m->namespace) && replace_str(&m->namespace, "default") < 0)
                return -ENOMEM;
        if (replace_str(&p->spec.nodeName, node) < 0 ||
            strmap_set(&m->annotations, AGENT_ANN_CONFIG_HASH, m->uid) < 0 ||
            strmap_set(&m->annotations, AGENT_ANN_CONFIG_SEEN, seen) < 0 ||
            strmap_set(&m->annotations, AGENT_ANN_CONFIG_SOURCE, "file") < 0 ||
            add_noexecute_toleration(&p->spec) < 0 || replace_str(&p->status.phase, "Pending") < 0)
                return -ENOMEM;
        return 0;
}

int agent_static_pod_make(struct pod *pod, const char *path, const char *node, int64_t seen_ns,
                          struct agent_static_pod **out, struct dh_err **err)
{
        _cleanup_(pod_freep) struct pod *p = pod;
        _cleanup_free_ struct agent_static_pod *sp = calloc(1, sizeof *sp);
        if (!sp)
                return dh_err_set(err, ENOMEM, "out of memory");
        int r = content_hash(p, path, node, sp->hash, err);
        if (r < 0)
                return r;
        if (apply_defaults(p, node, sp->hash, seen_ns) < 0)
                return dh_err_set(err, ENOMEM, "static pod defaults: out of memory");
        struct dh_ferrs errs = { 0 };
        pod_validate(p, &errs);
        if (errs.n || errs.dropped) {
                char label[600];
                snprintf(label, sizeof label, "pod \"%s/%s\" (with the static pod defaults)",
                         p->metadata.namespace, p->metadata.name);
                r = dh_ferrs_to_err(label, &errs, err);
                dh_ferrs_free(&errs);
                return r;
        }
        sp->path = strdup(path);
        if (!sp->path || asprintf(&sp->key, "%s/%s", p->metadata.namespace, p->metadata.name) < 0) {
                free(sp->path);
                return dh_err_set(err, ENOMEM, "out of memory");
        }
        sp->pod = TAKE_PTR(p);
        *out = TAKE_PTR(sp);
        return 0;
}

void agent_static_pod_free(struct agent_static_pod *sp)
{
        if (!sp)
                return;
        pod_free(sp->pod);
        free(sp->path);
        free(sp->key);
        free(sp);
}

struct agent_static_pod *agent_static_pod_ref(struct agent_static_pod *sp)
{
        if (sp)
                sp->refs++;
        return sp;
}

void agent_static_pod_unref(struct agent_static_pod *sp)
{
        if (sp && --sp->refs == 0)
                agent_static_pod_free(sp);
}
