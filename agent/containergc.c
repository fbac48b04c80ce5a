/* The container GC planner (agent/containergc.h): evict units of dead
 * containers trimmed as kuberuntime_gc.go's evictContainers does, then
 * evictSandboxes over what stays, and pruneInitContainersBeforeStart. */
#include "agent/containergc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"

void agent_container_gc_policy_default(struct agent_container_gc_policy *p)
{
        *p = (struct agent_container_gc_policy){
                .min_age_ns = AGENT_CONTAINER_GC_MIN_AGE_NS,
                .max_per_pod_container = AGENT_CONTAINER_GC_MAX_PER_POD_CONTAINER,
                .max_containers = AGENT_CONTAINER_GC_MAX_CONTAINERS,
        };
}

void agent_container_gc_plan_free(struct agent_container_gc_plan *p)
{
        for (size_t i = 0; i < p->containers.n; i++) {
                struct agent_gc_container *c = &p->containers.v[i];
                free(c->id);
                free(c->pod_uid);
                free(c->name);
                free(c->sandbox_id);
        }
        for (size_t i = 0; i < p->sandboxes.n; i++) {
                free(p->sandboxes.v[i].id);
                free(p->sandboxes.v[i].pod_uid);
        }
        free(p->containers.v);
        free(p->sandboxes.v);
        *p = (struct agent_container_gc_plan){ 0 };
}

static const char *kv_get(const struct rt_kvs *k, const char *key)
{
        for (size_t i = 0; i < k->n; i++)
                if (strcmp(k->v[i].key, key) == 0)
                        return k->v[i].value;
        return NULL;
}

static char *dup_or_empty(const char *s)
{
        return strdup(s ? s : "");
}

static int add_container(struct agent_container_gc_plan *p, const char *id, const char *uid,
                         const char *name, const char *sandbox_id, bool unknown)
{
        struct agent_gc_container *v =
                realloc(p->containers.v, (p->containers.n + 1) * sizeof *p->containers.v);
        if (!v)
                return -ENOMEM;
        p->containers.v = v;
        struct agent_gc_container c = {
                .id = strdup(id), .pod_uid = dup_or_empty(uid), .name = dup_or_empty(name),
                .sandbox_id = dup_or_empty(sandbox_id), .unknown = unknown,
        };
        if (!c.id || !c.pod_uid || !c.name || !c.sandbox_id) {
                free(c.id), free(c.pod_uid), free(c.name), free(c.sandbox_id);
                return -ENOMEM;
        }
        v[p->containers.n++] = c;
        return 0;
}

static int add_sandbox(struct agent_container_gc_plan *p, const char *id, const char *uid)
{
        struct agent_gc_sandbox *v =
                realloc(p->sandboxes.v, (p->sandboxes.n + 1) * sizeof *p->sandboxes.v);
        if (!v)
                return -ENOMEM;
        p->sandboxes.v = v;
        struct agent_gc_sandbox s = { .id = strdup(id), .pod_uid = dup_or_empty(uid) };
        if (!s.id || !s.pod_uid) {
                free(s.id), free(s.pod_uid);
                return -ENOMEM;
        }
        v[p->sandboxes.n++] = s;
        return 0;
}

/* One evictable container (containerGCInfo). */
struct gc_item {
        const struct rt_container_status *c;
        const char *uid, *name;
        enum agent_gc_pod_state state;
        bool remove;
};

static const char *container_name(const struct rt_container_status *c)
{
        if (c->metadata.name && *c->metadata.name)
                return c->metadata.name;
        const char *n = kv_get(&c->labels, AGENT_LABEL_CONTAINER_NAME);
        return n ? n : "";
}

/* byAttempt: newest first (highest attempt, then latest creation). */
static int newer_first(uint32_t a_attempt, int64_t a_created, uint32_t b_attempt,
                       int64_t b_created)
{
        if (a_attempt != b_attempt)
                return a_attempt > b_attempt ? -1 : 1;
        if (a_created != b_created)
                return a_created > b_created ? -1 : 1;
        return 0;
}

static int item_newer_first(const struct gc_item *a, const struct gc_item *b)
{
        return newer_first(a->c->metadata.attempt, a->c->created_at, b->c->metadata.attempt,
                           b->c->created_at);
}

/* Units together, each newest first. */
static int cmp_unit_then_age(const void *pa, const void *pb)
{
        const struct gc_item *a = pa, *b = pb;
        int r = strcmp(a->uid, b->uid);
        if (r == 0)
                r = strcmp(a->name, b->name);
        if (r == 0)
                r = item_newer_first(a, b);
        if (r == 0)
                r = strcmp(a->c->id, b->c->id);
        return r;
}

static int cmp_age(const void *pa, const void *pb)
{
        const struct gc_item *const *a = pa, *const *b = pb;
        int r = item_newer_first(*a, *b);
        return r ? r : strcmp((*a)->c->id, (*b)->c->id);
}

static bool same_unit(const struct gc_item *a, const struct gc_item *b)
{
        return strcmp(a->uid, b->uid) == 0 && strcmp(a->name, b->name) == 0;
}

/* evictableContainers: not running, old enough, of a pod not skipped. */
static int collect_evictable(const struct rt_container_list *cl, int64_t newest_gc_ns,
                             agent_gc_pod_state_fn state, void *ud, struct gc_item **out,
                             size_t *n_out)
{
        struct gc_item *items = calloc(cl->n ? cl->n : 1, sizeof *items);
        if (!items)
                return -ENOMEM;
        size_t n = 0;
        for (size_t i = 0; i < cl->n; i++) {
                const struct rt_container_status *c = &cl->v[i];
                const char *uid = kv_get(&c->labels, AGENT_LABEL_POD_UID);
                if (!uid || c->state == RT_CONTAINER_RUNNING || c->created_at > newest_gc_ns)
                        continue;
                enum agent_gc_pod_state st = state(ud, uid);
                if (st == AGENT_GC_POD_SKIP)
                        continue;
                items[n++] = (struct gc_item){ c, uid, container_name(c), st, false };
        }
        qsort(items, n, sizeof *items, cmp_unit_then_age);
        *out = items;
        *n_out = n;
        return 0;
}

/* Marks all but the newest keep instances of each unit of a live pod,
 * oldest first; returns how many units there are. */
static size_t enforce_per_unit(struct gc_item *items, size_t n, int keep,
                               struct gc_item **order, size_t *n_order)
{
        size_t units = 0;
        for (size_t start = 0; start < n;) {
                size_t end = start + 1;
                while (end < n && same_unit(&items[start], &items[end]))
                        end++;
                if (items[start].state == AGENT_GC_POD_LIVE) {
                        units++;
                        size_t kept = 0;
                        for (size_t i = start; i < end; i++)
                                if (!items[i].remove)
                                        kept++;
                        for (size_t i = end; i-- > start && kept > (size_t)keep;) {
                                if (items[i].remove)
                                        continue;
                                items[i].remove = true;
                                order[(*n_order)++] = &items[i];
                                kept--;
                        }
                }
                start = end;
        }
        return units;
}

static size_t count_kept(const struct gc_item *items, size_t n)
{
        size_t k = 0;
        for (size_t i = 0; i < n; i++)
                if (items[i].state == AGENT_GC_POD_LIVE && !items[i].remove)
                        k++;
        return k;
}

/* MaxContainers: an even share per unit (at least one), then the oldest
 * of what is left until the total fits. */
static int enforce_total(struct gc_item *items, size_t n, size_t units, int max,
                         struct gc_item **order, size_t *n_order)
{
        if (max < 0 || count_kept(items, n) <= (size_t)max)
                return 0;
        int share = units ? max / (int)units : 0;
        enforce_per_unit(items, n, share < 1 ? 1 : share, order, n_order);
        size_t kept = count_kept(items, n);
        if (kept <= (size_t)max)
                return 0;
        _cleanup_free_ struct gc_item **flat = calloc(kept, sizeof *flat);
        if (!flat)
                return -ENOMEM;
        size_t k = 0;
        for (size_t i = 0; i < n; i++)
                if (items[i].state == AGENT_GC_POD_LIVE && !items[i].remove)
                        flat[k++] = &items[i];
        qsort(flat, k, sizeof *flat, cmp_age);
        for (size_t i = k; i-- > (size_t)max;) {
                flat[i]->remove = true;
                order[(*n_order)++] = flat[i];
        }
        return 0;
}

/* evictContainers: the order in which containers are to be removed. */
static int plan_containers(struct gc_item *items, size_t n,
                           const struct agent_container_gc_policy *policy,
                           struct agent_container_gc_plan *out)
{
        _cleanup_free_ struct gc_item **order = calloc(n ? n : 1, sizeof *order);
        if (!order)
                return -ENOMEM;
        size_t n_order = 0;
        /* A removed pod's units go whole, oldest first. */
        for (size_t i = n; i-- > 0;)
                if (items[i].state == AGENT_GC_POD_REMOVED) {
                        items[i].remove = true;
                        order[n_order++] = &items[i];
                }
        size_t units = 0;
        if (policy->max_per_pod_container >= 0)
                units = enforce_per_unit(items, n, policy->max_per_pod_container, order, &n_order);
        else
                units = enforce_per_unit(items, n, (int)(n + 1), order, &n_order);
        if (enforce_total(items, n, units, policy->max_containers, order, &n_order) < 0)
                return -ENOMEM;
        for (size_t i = 0; i < n_order; i++) {
                const struct gc_item *it = order[i];
                if (add_container(out, it->c->id, it->uid, it->name, it->c->sandbox_id,
                                  it->c->state == RT_CONTAINER_UNKNOWN) < 0)
                        return -ENOMEM;
        }
        return 0;
}

static int cmp_str(const void *a, const void *b)
{
        return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool has_str(const char **v, size_t n, const char *s)
{
        return n && bsearch(&s, v, n, sizeof *v, cmp_str);
}

/* The sandboxes of the containers that stay (sorted, for bsearch). */
static const char **sandboxes_in_use(const struct rt_container_list *cl,
                                     const struct agent_container_gc_plan *p, size_t *n_out)
{
        size_t np = p->containers.n;
        _cleanup_free_ const char **gone = calloc(np ? np : 1, sizeof *gone);
        const char **used = calloc(cl->n ? cl->n : 1, sizeof *used);
        if (!gone || !used) {
                free(used);
                return NULL;
        }
        for (size_t i = 0; i < np; i++)
                gone[i] = p->containers.v[i].id;
        qsort(gone, np, sizeof *gone, cmp_str);
        size_t n = 0;
        for (size_t i = 0; i < cl->n; i++)
                if (cl->v[i].sandbox_id && !has_str(gone, np, cl->v[i].id))
                        used[n++] = cl->v[i].sandbox_id;
        qsort(used, n, sizeof *used, cmp_str);
        *n_out = n;
        return used;
}

struct sb_item {
        const struct rt_sandbox_status *s;
        const char *uid;
};

static int cmp_sandbox(const void *pa, const void *pb)
{
        const struct sb_item *a = pa, *b = pb;
        int r = strcmp(a->uid, b->uid);
        if (r == 0)
                r = newer_first(a->s->metadata.attempt, a->s->created_at, b->s->metadata.attempt,
                                b->s->created_at);
        return r ? r : strcmp(a->s->id, b->s->id);
}

/* evictSandboxes, over the containers that stay after plan_containers. */
static int plan_sandboxes(const struct rt_sandbox_list *sl, const struct rt_container_list *cl,
                          agent_gc_pod_state_fn state, void *ud,
                          struct agent_container_gc_plan *out)
{
        size_t n_used = 0;
        _cleanup_free_ const char **used = sandboxes_in_use(cl, out, &n_used);
        _cleanup_free_ struct sb_item *items = calloc(sl->n ? sl->n : 1, sizeof *items);
        if (!items || !used)
                return -ENOMEM;
        size_t n = 0;
        for (size_t i = 0; i < sl->n; i++) {
                const char *uid = kv_get(&sl->v[i].labels, AGENT_LABEL_POD_UID);
                if (uid)
                        items[n++] = (struct sb_item){ &sl->v[i], uid };
        }
        qsort(items, n, sizeof *items, cmp_sandbox);
        for (size_t start = 0; start < n;) {
                size_t end = start + 1;
                while (end < n && strcmp(items[start].uid, items[end].uid) == 0)
                        end++;
                enum agent_gc_pod_state st = state(ud, items[start].uid);
                /* A live pod keeps its newest sandbox, whatever its state. */
                size_t keep = st == AGENT_GC_POD_REMOVED ? 0 : 1;
                /* Inactive: not ready and no container that stays. */
                for (size_t i = end; st != AGENT_GC_POD_SKIP && i-- > start + keep;)
                        if (items[i].s->state != RT_SANDBOX_READY &&
                            !has_str(used, n_used, items[i].s->id) &&
                            add_sandbox(out, items[i].s->id, items[i].uid) < 0)
                                return -ENOMEM;
                start = end;
        }
        return 0;
}

int agent_container_gc_plan(const struct rt_container_list *containers,
                            const struct rt_sandbox_list *sandboxes,
                            const struct agent_container_gc_policy *policy, int64_t now_ns,
                            agent_gc_pod_state_fn state, void *ud,
                            struct agent_container_gc_plan *out, struct dh_err **err)
{
        struct agent_container_gc_plan p = { 0 };
        struct gc_item *items = NULL;
        size_t n = 0;
        int r = collect_evictable(containers, now_ns - policy->min_age_ns, state, ud, &items, &n);
        if (r == 0)
                r = plan_containers(items, n, policy, &p);
        if (r == 0)
                r = plan_sandboxes(sandboxes, containers, state, ud, &p);
        free(items);
        if (r < 0) {
                agent_container_gc_plan_free(&p);
                return dh_err_set(err, ENOMEM, "container GC: out of memory");
        }
        *out = p;
        return 0;
}

static bool prunable(const struct agent_container_observed *c, bool purge)
{
        if (purge) /* stopped by the kill before; never a running one */
                return c->state != RT_CONTAINER_RUNNING;
        return c->state == RT_CONTAINER_EXITED || c->state == RT_CONTAINER_UNKNOWN;
}

int agent_prune_init_containers(const struct pod *pod, const struct agent_pod_runtime *r,
                                bool purge, struct agent_container_gc_plan *out,
                                struct dh_err **err)
{
        struct agent_container_gc_plan p = { 0 };
        for (size_t i = 0; i < pod->spec.initContainers.n; i++) {
                const char *name = pod->spec.initContainers.v[i].name;
                size_t dead = 0;
                for (size_t j = 0; j < r->containers.n; j++) {
                        const struct agent_container_observed *c = &r->containers.v[j];
                        if (!c->name || strcmp(c->name, name) != 0 || !prunable(c, purge))
                                continue;
                        if (++dead == 1 && !purge) /* the newest dead instance stays */
                                continue;
                        if (add_container(&p, c->id, pod->metadata.uid, name, c->sandbox_id,
                                          c->state == RT_CONTAINER_UNKNOWN) < 0) {
                                agent_container_gc_plan_free(&p);
                                return dh_err_set(err, ENOMEM, "out of memory");
                        }
                }
        }
        *out = p;
        return 0;
}
