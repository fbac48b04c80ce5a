/* The runtime's view of a pod, read back from CRI lists and the labels and
 * annotations the agent put on them; and the container spec hash. */
#include "agent/podruntime.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "lib/parse.h"

void agent_pod_runtime_free(struct agent_pod_runtime *r)
{
        if (!r)
                return;
        free(r->runtime_name);
        for (size_t i = 0; i < r->sandboxes.n; i++) {
                free(r->sandboxes.v[i].id);
                free(r->sandboxes.v[i].ip);
        }
        free(r->sandboxes.v);
        for (size_t i = 0; i < r->containers.n; i++) {
                struct agent_container_observed *c = &r->containers.v[i];
                free(c->id);
                free(c->sandbox_id);
                free(c->name);
                free(c->reason);
                free(c->message);
                free(c->image);
                free(c->image_ref);
        }
        free(r->containers.v);
        for (size_t i = 0; i < r->start_failures.n; i++) {
                free(r->start_failures.v[i].name);
                free(r->start_failures.v[i].reason);
                free(r->start_failures.v[i].message);
        }
        free(r->start_failures.v);
        *r = (struct agent_pod_runtime){ 0 };
}

const struct agent_container_observed *
agent_pod_runtime_find(const struct agent_pod_runtime *r, const char *name)
{
        for (size_t i = 0; r && i < r->containers.n; i++)
                if (r->containers.v[i].name && strcmp(r->containers.v[i].name, name) == 0)
                        return &r->containers.v[i];
        return NULL;
}

uint64_t agent_container_hash(const struct pod_container *c)
{
        json_t *o = json_pack("{s:s, s:s}", "image", c->image ? c->image : "", "name",
                              c->name ? c->name : "");
        char *s = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
        json_decref(o);
        uint32_t h = 2166136261u; /* FNV-32a offset basis */
        /* Without memory the hash is the empty string's: a spurious
         * "definition changed" at worst, never a crash. */
        for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
                h ^= *p;
                h *= 16777619u;
        }
        free(s);
        return h;
}

static const char *kvs_get(const struct rt_kvs *k, const char *key)
{
        for (size_t i = 0; i < k->n; i++)
                if (k->v[i].key && strcmp(k->v[i].key, key) == 0)
                        return k->v[i].value;
        return NULL;
}

/* Like the kubelet, a missing or malformed annotation reads as 0. */
static uint64_t hex_annotation(const struct rt_kvs *k, const char *key)
{
        const char *s = kvs_get(k, key);
        if (!s || !*s || strlen(s) > 16 || strspn(s, "0123456789abcdefABCDEF") != strlen(s))
                return 0;
        return strtoull(s, NULL, 16);
}

static int32_t count_annotation(const struct rt_kvs *k, const char *key)
{
        const char *s = kvs_get(k, key);
        int64_t v = 0;
        if (!s || dh_parse_i64(s, 0, INT32_MAX, &v, key, NULL) < 0)
                return 0;
        return (int32_t)v;
}

static int dup_or_null(char **dst, const char *src)
{
        *dst = src ? strdup(src) : NULL;
        return src && !*dst ? -ENOMEM : 0;
}

static int sandbox_from_rt(const struct rt_sandbox_status *s, struct agent_sandbox_observed *o)
{
        *o = (struct agent_sandbox_observed){
                .state = s->state,
                .attempt = s->metadata.attempt,
                .created_at = s->created_at,
                .network_mode = s->namespace_options.network,
        };
        if (dup_or_null(&o->id, s->id) < 0 || dup_or_null(&o->ip, s->ip) < 0)
                return -ENOMEM;
        return 0;
}

static int container_from_rt(const struct rt_container_status *s,
                             struct agent_container_observed *o)
{
        const char *name = kvs_get(&s->labels, AGENT_LABEL_CONTAINER_NAME);
        *o = (struct agent_container_observed){
                .state = s->state,
                .exit_code = s->exit_code,
                .created_at = s->created_at,
                .started_at = s->started_at,
                .finished_at = s->finished_at,
                .hash = hex_annotation(&s->annotations, AGENT_ANN_CONTAINER_HASH),
                .restart_count = count_annotation(&s->annotations, AGENT_ANN_RESTART_COUNT),
                .attempt = s->metadata.attempt,
        };
        if (dup_or_null(&o->id, s->id) < 0 || dup_or_null(&o->sandbox_id, s->sandbox_id) < 0 ||
            dup_or_null(&o->name, name ? name : s->metadata.name) < 0 ||
            dup_or_null(&o->reason, s->reason) < 0 || dup_or_null(&o->message, s->message) < 0 ||
            dup_or_null(&o->image, s->image) < 0 || dup_or_null(&o->image_ref, s->image_ref) < 0)
                return -ENOMEM;
        return 0;
}

static int newest_sandbox_first(const void *a, const void *b)
{
        int64_t x = ((const struct agent_sandbox_observed *)a)->created_at;
        int64_t y = ((const struct agent_sandbox_observed *)b)->created_at;
        return x < y ? 1 : x > y ? -1 : 0;
}

static int newest_container_first(const void *a, const void *b)
{
        int64_t x = ((const struct agent_container_observed *)a)->created_at;
        int64_t y = ((const struct agent_container_observed *)b)->created_at;
        return x < y ? 1 : x > y ? -1 : 0;
}

int agent_pod_runtime_from_rt(const struct rt_sandbox_list *sandboxes,
                              const struct rt_container_list *containers,
                              const char *runtime_name, struct agent_pod_runtime *out,
                              struct dh_err **err)
{
        struct agent_pod_runtime r = { 0 };
        r.sandboxes.v = calloc(sandboxes->n ? sandboxes->n : 1, sizeof *r.sandboxes.v);
        r.containers.v = calloc(containers->n ? containers->n : 1, sizeof *r.containers.v);
        if (!r.sandboxes.v || !r.containers.v || dup_or_null(&r.runtime_name, runtime_name) < 0)
                goto oom;
        for (; r.sandboxes.n < sandboxes->n; r.sandboxes.n++)
                if (sandbox_from_rt(&sandboxes->v[r.sandboxes.n], &r.sandboxes.v[r.sandboxes.n]) < 0) {
                        r.sandboxes.n++;
                        goto oom;
                }
        for (; r.containers.n < containers->n; r.containers.n++)
                if (container_from_rt(&containers->v[r.containers.n],
                                      &r.containers.v[r.containers.n]) < 0) {
                        r.containers.n++;
                        goto oom;
                }
        qsort(r.sandboxes.v, r.sandboxes.n, sizeof *r.sandboxes.v, newest_sandbox_first);
        qsort(r.containers.v, r.containers.n, sizeof *r.containers.v, newest_container_first);
        *out = r;
        return 0;
oom:
        agent_pod_runtime_free(&r);
        return dh_err_set(err, ENOMEM, "out of memory");
}
