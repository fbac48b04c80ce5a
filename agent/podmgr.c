/* The pod manager's table and scheduling: pods by UID, one loop timer
 * that runs pending syncs, the relist that notices runtime changes, and
 * the start-failure cache. One pod's sync lives in podsync.c. */
#include "agent/podmgr.h"

#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/imagepull.h"
#include "agent/podmgr-internal.h"
#include "lib/cleanup.h"
#include "lib/log.h"

bool pm_busy(const struct pm_pod *p)
{
        return p->child || p->pulls > 0 || p->prune || p->gc_hold;
}

struct pm_pod *pm_find(struct agent_podmgr *m, const char *uid)
{
        for (size_t i = 0; i < m->n; i++)
                if (strcmp(m->pods[i]->uid, uid) == 0)
                        return m->pods[i];
        return NULL;
}

/* The terminating pod with the same full name as p (another incarnation
 * of a static pod: its file changed or was renamed), or NULL. */
static struct pm_pod *old_incarnation(struct agent_podmgr *m, const struct pm_pod *p)
{
        if (!p->sp || p->terminating)
                return NULL;
        for (size_t i = 0; i < m->n; i++) {
                struct pm_pod *q = m->pods[i];
                if (q != p && q->terminating && q->sp && strcmp(q->sp->key, p->sp->key) == 0)
                        return q;
        }
        return NULL;
}

/* kubelet's allowStaticPodStart: a static pod starts only once no other
 * static pod of its full name is still running or stopping, so two
 * incarnations never run side by side. It stays pending; forgetting the
 * old one schedules it. */
static bool waits_for_old_incarnation(struct agent_podmgr *m, const struct pm_pod *p)
{
        return old_incarnation(m, p) != NULL;
}

static void run_pending(struct dh_loop *l, void *ud);

/* Another turn of run_pending when a pod still waits to sync. */
static void kick_again_if_pending(struct agent_podmgr *m)
{
        if (m->kick)
                return;
        for (size_t i = 0; i < m->n; i++) {
                struct pm_pod *p = m->pods[i];
                if (p->pending && !pm_busy(p) && !waits_for_old_incarnation(m, p)) {
                        m->kick = dh_loop_timer(m->loop, 0, run_pending, m, NULL);
                        return; /* out of memory: the relist kicks */
                }
        }
}

static void trim_heap(struct dh_loop *l, void *ud)
{
        (void)l;
        struct agent_podmgr *m = ud;
        m->trim = NULL;
        malloc_trim(0);
}

/* Syncs free most of what they allocate: a second after a burst of them
 * (one trim for many bursts), the free pages in the middle of the heap go
 * back too (glibc returns only its top by itself), so that the agent's
 * memory follows its pods. */
static void trim_heap_soon(struct agent_podmgr *m)
{
        if (!m->trim)
                m->trim = dh_loop_timer(m->loop, AGENT_PODMGR_TRIM_DELAY_MS, trim_heap, m, NULL);
}

static void run_pending(struct dh_loop *l, void *ud)
{
        (void)l;
        struct agent_podmgr *m = ud;
        m->kick = NULL;
        /* One pod per turn of the loop, so that probes, the socket and
         * the pod source are served between syncs (a sync may forget its
         * pod, or others: the next turn looks again from the start). */
        for (size_t i = 0; i < m->n; i++) {
                struct pm_pod *p = m->pods[i];
                if (!p->pending || pm_busy(p) || waits_for_old_incarnation(m, p))
                        continue;
                p->pending = false;
                pm_sync(m, p);
                kick_again_if_pending(m);
                if (!m->kick) /* the end of a burst of syncs */
                        trim_heap_soon(m);
                return;
        }
}

void pm_schedule(struct agent_podmgr *m, struct pm_pod *p)
{
        p->pending = true;
        if (m->kick)
                return;
        _cleanup_err_ struct dh_err *err = NULL;
        m->kick = dh_loop_timer(m->loop, 0, run_pending, m, &err);
        if (!m->kick) /* the relist picks pending pods up */
                log_errors(err->msg, "Failed to schedule a pod sync", "pod", p->obj, "podUID", p->uid);
}

static void pm_pod_free(struct pm_pod *p)
{
        if (!p)
                return;
        dh_child_cancel(p->child);
        agent_static_pod_unref((struct agent_static_pod *)p->sp);
        free(p->hook_container);
        pm_prune_free(p->prune);
        if (p->plan) {
                agent_pod_plan_free(p->plan);
                free(p->plan);
        }
        pm_failures_free(p);
        pm_termmsgs_free(p);
        if (p->has_vols)
                agent_pod_volumes_free(&p->vols);
        if (p->has_status)
                agent_pod_status_free(&p->status);
        free(p->uid);
        free(p->label);
        free(p->obj);
        free(p);
}

void pm_forget(struct agent_podmgr *m, struct pm_pod *p)
{
        pm_probes_forget(m, p->uid);
        for (size_t i = 0; i < m->n; i++) {
                if (m->pods[i] != p)
                        continue;
                memmove(&m->pods[i], &m->pods[i + 1], (m->n - i - 1) * sizeof *m->pods);
                m->n--;
                break;
        }
        /* A new incarnation waiting for this one may start now. */
        for (size_t i = 0; p->sp && i < m->n; i++)
                if (m->pods[i]->sp && strcmp(m->pods[i]->sp->key, p->sp->key) == 0)
                        pm_schedule(m, m->pods[i]);
        pm_pod_free(p);
}

static const char *kv_get(const struct rt_kvs *k, const char *key)
{
        for (size_t i = 0; i < k->n; i++)
                if (strcmp(k->v[i].key, key) == 0)
                        return k->v[i].value;
        return NULL;
}

static uint64_t fnv(uint64_t h, const void *data, size_t n)
{
        const unsigned char *s = data;
        for (size_t i = 0; i < n; i++)
                h = (h ^ s[i]) * 1099511628211ULL;
        return h;
}

static uint64_t entry_hash(const char *kind, const char *id, const void *state, size_t len)
{
        uint64_t h = fnv(14695981039346656037ULL, kind, 1);
        h = fnv(h, id, strlen(id));
        return fnv(h, state, len);
}

/* What the relist compares: the pod's sandboxes and containers with
 * their states, in any order (a sum of one hash each). */
uint64_t pm_fingerprint(const char *uid, const struct rt_sandbox_list *sl,
                        const struct rt_container_list *cl)
{
        uint64_t sum = 0;
        for (size_t i = 0; i < sl->n; i++) {
                const char *u = kv_get(&sl->v[i].labels, AGENT_LABEL_POD_UID);
                if (!u || strcmp(u, uid) != 0)
                        continue;
                sum += entry_hash("s", sl->v[i].id, &sl->v[i].state, sizeof sl->v[i].state);
        }
        for (size_t i = 0; i < cl->n; i++) {
                const char *u = kv_get(&cl->v[i].labels, AGENT_LABEL_POD_UID);
                if (!u || strcmp(u, uid) != 0)
                        continue;
                sum += entry_hash("c", cl->v[i].id, &cl->v[i].state, sizeof cl->v[i].state);
        }
        return sum;
}

/* A table entry for pod uid, named "ns/name" (obj) and "name_ns(uid)" (label). */
static struct pm_pod *pod_new(struct agent_podmgr *m, const char *uid, const char *ns, const char *name,
                              const char *label)
{
        char obj[512];
        snprintf(obj, sizeof obj, "%s/%s", ns ? ns : "", name ? name : "");
        if (m->n == AGENT_PODMGR_MAX_PODS) {
                log_errors(NULL, "Too many pods; pod ignored", "pod", obj, "podUID", uid, "maxPods",
                           LOG_INT(AGENT_PODMGR_MAX_PODS));
                return NULL;
        }
        struct pm_pod *p = calloc(1, sizeof *p);
        if (!p || !(p->uid = strdup(uid)) || !(p->label = strdup(label)) || !(p->obj = strdup(obj))) {
                log_errors("out of memory", "Failed to add pod", "pod", obj, "podUID", uid);
                pm_pod_free(p);
                return NULL;
        }
        m->pods[m->n++] = p;
        return p;
}

/* Sandboxes of pods nobody asks for any more (kubelet's housekeeping
 * kills them): a terminating entry removes them. */
static void adopt_orphans(struct agent_podmgr *m, const struct rt_sandbox_list *sl)
{
        for (size_t i = 0; i < sl->n; i++) {
                const struct rt_sandbox_status *s = &sl->v[i];
                const char *uid = kv_get(&s->labels, AGENT_LABEL_POD_UID);
                if (!uid || pm_find(m, uid))
                        continue;
                char label[512];
                snprintf(label, sizeof label, "%s_%s(%s)", s->metadata.name ? s->metadata.name : "",
                         s->metadata.namespace ? s->metadata.namespace : "", uid);
                struct pm_pod *p = pod_new(m, uid, s->metadata.namespace, s->metadata.name, label);
                if (!p)
                        return;
                log_infos("Clean up containers for orphaned pod we had not seen before", "pod", p->obj,
                          "podUID", p->uid);
                p->grace_s = 30;
                p->terminating = true;
                pm_schedule(m, p);
        }
}

/* kubelet's activeDeadlineHandler: a pod past its activeDeadlineSeconds
 * is synced (stopped, then failed) though nothing changed in the runtime,
 * until its status says Failed. */
static bool past_deadline(const struct pm_pod *p, int64_t now_ns)
{
        return p->sp && !p->terminating && !(p->has_status && p->status.phase == AGENT_PHASE_FAILED) &&
               agent_pod_past_active_deadline(p->sp->pod, p->start_time_ns, now_ns);
}

/* One entry of a relist: its pod's UID and its share of the pod's
 * fingerprint (pm_fingerprint sums them). */
struct uid_hash {
        const char *uid;
        uint64_t h;
};

static int by_uid(const void *a, const void *b)
{
        return strcmp(((const struct uid_hash *)a)->uid, ((const struct uid_hash *)b)->uid);
}

/* Every listed entry's UID and hash, sorted by UID (NULL on ENOMEM: the
 * caller falls back to pm_fingerprint). The relist then costs n log n,
 * not pods times entries. */
static size_t uid_hashes(const struct rt_sandbox_list *sl, const struct rt_container_list *cl,
                         struct uid_hash **out)
{
        struct uid_hash *v = calloc(sl->n + cl->n + 1, sizeof *v);
        size_t n = 0;
        if (!v)
                return 0;
        for (size_t i = 0; i < sl->n; i++) {
                const char *u = kv_get(&sl->v[i].labels, AGENT_LABEL_POD_UID);
                if (u)
                        v[n++] = (struct uid_hash){ u, entry_hash("s", sl->v[i].id, &sl->v[i].state,
                                                                  sizeof sl->v[i].state) };
        }
        for (size_t i = 0; i < cl->n; i++) {
                const char *u = kv_get(&cl->v[i].labels, AGENT_LABEL_POD_UID);
                if (u)
                        v[n++] = (struct uid_hash){ u, entry_hash("c", cl->v[i].id, &cl->v[i].state,
                                                                  sizeof cl->v[i].state) };
        }
        qsort(v, n, sizeof *v, by_uid);
        *out = v;
        return n;
}

static uint64_t uid_hash_sum(const struct uid_hash *v, size_t n, const char *uid)
{
        size_t lo = 0, hi = n;
        while (lo < hi) { /* the first entry >= uid */
                size_t mid = lo + (hi - lo) / 2;
                if (strcmp(v[mid].uid, uid) < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        uint64_t sum = 0;
        for (size_t i = lo; i < n && strcmp(v[i].uid, uid) == 0; i++)
                sum += v[i].h;
        return sum;
}

/* Whether the runtime's state token says nothing changed since the last
 * full relist (and that was recent): then only the pods that asked for
 * a sync, wait out a back-off or passed their deadline are synced. */
static bool runtime_unchanged(struct agent_podmgr *m)
{
        uint64_t token, now = dh_now_ms();
        bool have = m->rt->ops->state_token && m->rt->ops->state_token(m->rt, &token, NULL) == 0;
        bool same = have && m->have_token && token == m->token &&
                    now - m->last_full_relist_ms < AGENT_PODMGR_FULL_RELIST_MS;
        m->have_token = have;
        m->token = have ? token : 0;
        if (!same) {
                m->last_full_relist_ms = now;
                return false;
        }
        m->last_relist_ms = now;
        int64_t now_ns = dh_realtime_ns();
        for (size_t i = 0; i < m->n; i++) {
                struct pm_pod *p = m->pods[i];
                if (p->recheck || p->pending || past_deadline(p, now_ns)) {
                        p->recheck = false;
                        pm_schedule(m, p);
                }
        }
        return true;
}

/* kubelet's PLEG: list everything, sync the pods whose containers or
 * sandboxes changed, those waiting for a back-off to pass, and those past
 * their active deadline. */
static void relist(struct dh_loop *l, void *ud)
{
        struct agent_podmgr *m = ud;
        _cleanup_err_ struct dh_err *err = NULL;
        m->relist = dh_loop_timer(l, AGENT_PODMGR_RELIST_MS, relist, m, &err);
        if (!m->relist)
                log_errors(err->msg, "Failed to arm the relist timer");
        dh_err_clear(&err);
        if (runtime_unchanged(m))
                return;
        struct rt_sandbox_list sl = { 0 };
        struct rt_container_list cl = { 0 };
        if (m->rt->ops->list_pod_sandbox(m->rt, NULL, &sl, &err) < 0 ||
            m->rt->ops->list_containers(m->rt, NULL, &cl, &err) < 0) {
                log_errors(err->msg, "GenericPLEG: Unable to retrieve pods");
                rt_sandbox_list_free(&sl);
                return;
        }
        m->last_relist_ms = dh_now_ms();
        if (m->sources_ready && !pm_gc_running(m))
                adopt_orphans(m, &sl);
        struct uid_hash *hashes = NULL;
        size_t nh = uid_hashes(&sl, &cl, &hashes);
        int64_t now_ns = dh_realtime_ns();
        for (size_t i = 0; i < m->n; i++) {
                struct pm_pod *p = m->pods[i];
                uint64_t h = hashes ? uid_hash_sum(hashes, nh, p->uid) : pm_fingerprint(p->uid, &sl, &cl);
                if (h != p->fingerprint || p->recheck || p->pending || past_deadline(p, now_ns)) {
                        p->fingerprint = h;
                        p->recheck = false;
                        pm_schedule(m, p);
                }
        }
        free(hashes);
        rt_sandbox_list_free(&sl);
        rt_container_list_free(&cl);
        /* The lists and syncs free most of what they allocate: hand the
         * free pages in the middle of the heap back too (glibc returns
         * only its top by itself), so the agent's memory follows its pods. */
        malloc_trim(0);
}

static int runtime_name(struct rt *rt, char **out, struct dh_err **err)
{
        struct rt_version v = { 0 };
        if (rt->ops->version(rt, &v, err) < 0)
                return dh_err_prefix(err, "runtime version");
        *out = strdup(v.runtime_name ? v.runtime_name : rt->ops->name);
        rt_version_free(&v);
        return *out ? 0 : dh_err_set(err, ENOMEM, "out of memory");
}

int agent_podmgr_open(const struct agent_podmgr_options *o, struct agent_podmgr **out,
                      struct dh_err **err)
{
        struct agent_podmgr *m = calloc(1, sizeof *m);
        if (!m)
                return dh_err_set(err, ENOMEM, "out of memory");
        m->loop = o->loop;
        m->rt = o->rt;
        m->node = o->node;
        agent_crash_backoff_init(&m->crash_backoff);
        agent_image_backoff_init(&m->image_backoff);
        m->root_dir = strdup(o->root_dir);
        m->cgroup_root = strdup(o->cgroup_root ? o->cgroup_root : "");
        m->pods = calloc(AGENT_PODMGR_MAX_PODS, sizeof *m->pods);
        int r = !m->root_dir || !m->cgroup_root || !m->pods
                        ? dh_err_set(err, ENOMEM, "out of memory")
                        : runtime_name(m->rt, &m->runtime_name, err);
        if (r == 0 && agent_node_alloc_host(&m->alloc, err) < 0)
                r = dh_err_prefix(err, "node capacity");
        if (r == 0)
                r = pm_probes_open(m, err);
        if (r == 0 && !(m->relist = dh_loop_timer(m->loop, AGENT_PODMGR_RELIST_MS, relist, m, err)))
                r = -1;
        if (r == 0)
                r = pm_gc_open(m, err);
        m->last_relist_ms = dh_now_ms();
        if (r < 0) {
                agent_podmgr_close(m);
                return r;
        }
        *out = m;
        return 0;
}

void agent_podmgr_close(struct agent_podmgr *m)
{
        if (!m)
                return;
        dh_timer_cancel(m->kick);
        dh_timer_cancel(m->relist);
        dh_timer_cancel(m->trim);
        pm_gc_close(m);
        pm_probes_close(m); /* before the pods: workers look pods up */
        for (size_t i = 0; i < m->n; i++)
                pm_pod_free(m->pods[i]);
        free(m->pods);
        pm_pulls_free(m);
        dh_backoff_free(&m->crash_backoff);
        dh_backoff_free(&m->image_backoff);
        free(m->root_dir);
        free(m->cgroup_root);
        free(m->runtime_name);
        free(m);
}

#define POD_LIST_MAX 600
/* pods=["ns/name"] as klog prints klog.KObjSlice (a pod's names are DNS
 * names: nothing to escape). */
static const char *pod_list(char buf[POD_LIST_MAX], const struct pm_pod *p)
{
        snprintf(buf, POD_LIST_MAX, DH_LOG_BARE "[\"%s\"]", p->obj);
        return buf;
}

static int64_t grace_of(const struct pod *pod)
{
        const struct dh_opt_i64 *g = &pod->spec.terminationGracePeriodSeconds;
        return g->set && g->v >= 0 ? g->v : 30;
}

void agent_podmgr_add(struct agent_podmgr *m, const struct agent_static_pod *sp)
{
        const char *uid = sp->pod->metadata.uid;
        struct pm_pod *p = pm_find(m, uid);
        if (p && p->terminating) {
                log_warns("Pod added again while it is being removed; ignored", "pod", p->obj, "podUID",
                          p->uid);
                return;
        }
        if (!p) {
                char label[512];
                if (agent_pod_format(sp->pod, label, sizeof label) < 0)
                        snprintf(label, sizeof label, "%s", sp->key);
                if (!(p = pod_new(m, uid, pod_namespace(sp->pod), sp->pod->metadata.name, label)))
                        return;
                char pods[POD_LIST_MAX];
                log_infos("SyncLoop ADD", "source", "file", "pods", pod_list(pods, p), "podUID", p->uid);
        }
        agent_static_pod_unref((struct agent_static_pod *)p->sp);
        p->sp = agent_static_pod_ref((struct agent_static_pod *)sp);
        p->grace_s = grace_of(sp->pod);
        struct pm_pod *old = old_incarnation(m, p);
        if (old)
                log_infos("Pod waits until its previous incarnation has stopped", "pod", p->obj, "podUID",
                          p->uid, "oldPodUID", old->uid);
        pm_schedule(m, p);
}

uint64_t agent_podmgr_last_relist_ms(const struct agent_podmgr *m)
{
        return m->last_relist_ms;
}

void agent_podmgr_sources_ready(struct agent_podmgr *m)
{
        m->sources_ready = true;
}

void agent_podmgr_remove(struct agent_podmgr *m, const char *uid)
{
        struct pm_pod *p = pm_find(m, uid);
        if (!p || p->terminating)
                return;
        char pods[POD_LIST_MAX];
        log_infos("SyncLoop REMOVE", "source", "file", "pods", pod_list(pods, p), "podUID", p->uid);
        pm_probes_forget(m, uid);
        p->terminating = true; /* p->sp stays: preStop hooks and grace periods need it */
        pm_schedule(m, p);
}

int pm_failure_set(struct pm_pod *p, const char *name, const char *reason, const char *message)
{
        pm_failure_clear(p, name);
        struct agent_start_failure *v = realloc(p->failures.v, (p->failures.n + 1) * sizeof *v);
        if (!v)
                return -ENOMEM;
        p->failures.v = v;
        struct agent_start_failure *f = &v[p->failures.n];
        f->name = strdup(name);
        f->reason = strdup(reason);
        f->message = strdup(message ? message : "");
        if (!f->name || !f->reason || !f->message) {
                free(f->name);
                free(f->reason);
                free(f->message);
                return -ENOMEM;
        }
        p->failures.n++;
        return 0;
}

void pm_failure_clear(struct pm_pod *p, const char *name)
{
        for (size_t i = 0; i < p->failures.n; i++) {
                struct agent_start_failure *f = &p->failures.v[i];
                if (strcmp(f->name, name) != 0)
                        continue;
                free(f->name);
                free(f->reason);
                free(f->message);
                p->failures.v[i] = p->failures.v[--p->failures.n];
                return;
        }
}

void pm_failures_free(struct pm_pod *p)
{
        while (p->failures.n)
                pm_failure_clear(p, p->failures.v[0].name);
        free(p->failures.v);
        p->failures.v = NULL;
}
