/* The pod manager's container garbage collection, applying the plans of
 * agent/containergc.h: a round every AGENT_CONTAINER_GC_PERIOD_MS (the
 * kubelet's ContainerGCPeriod; the first one period after start;
 * DECKHAND_CONTAINER_GC_PERIOD_MS overrides it, for tests), and the init
 * container prune of a sync that goes on to start containers. Removals
 * block (a rootfs to delete, a shim to ask), so they run in forked
 * helpers (lib/child.h).
 *
 * Not racing the pods' own helpers: a round leaves out pods that are busy
 * or being removed, and holds the pods it touches (pm_busy is true) until
 * its helper is done, so no sync, kill or removal of theirs runs
 * meanwhile; the relist adopts no orphans during a round either (a round
 * removes the dead containers of pods nobody asks for once the sources
 * are ready, as the kubelet's does). A prune holds its pod the same way
 * for later syncs; the starts of the sync that asked for it go on
 * meanwhile (they touch other containers than the dead ones it removes). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "agent/containergc.h"
#include "agent/podmgr-internal.h"
#include "lib/cleanup.h"
#include "lib/log.h"
#include "lib/parse.h"

/* The kubelet's minimumGracePeriodInSeconds, for unknown-state
 * containers stopped before removal. */
#define PM_GC_STOP_GRACE_S 2
/* Time a helper gets per removal (a stop of an unknown-state container
 * included). */
#define PM_GC_SLACK_MS 30000

struct pm_gc {
        struct agent_podmgr *m;
        struct dh_timer *timer;
        struct dh_child *child;
        uint64_t period_ms;
        struct agent_container_gc_plan plan; /* of the helper in flight */
};

struct pm_prune {
        struct agent_podmgr *m;
        struct pm_pod *p;
        struct dh_child *child;
        struct agent_container_gc_plan plan;
};

static bool has_str(const struct dh_strv *v, const char *s)
{
        for (size_t i = 0; i < v->n; i++)
                if (strcmp(v->v[i], s) == 0)
                        return true;
        return false;
}

/* In the helper: stop (unknown state) and remove each container; then
 * stop and remove each sandbox, unless one of its containers could not
 * be removed. Failures are reported one per line. */
static int remove_planned(struct rt *rt, const struct agent_container_gc_plan *plan, int fd)
{
        struct dh_strv kept = { 0 };
        int ret = 0;
        for (size_t i = 0; i < plan->containers.n; i++) {
                const struct agent_gc_container *c = &plan->containers.v[i];
                _cleanup_err_ struct dh_err *err = NULL;
                if ((c->unknown && rt->ops->stop_container(rt, c->id, PM_GC_STOP_GRACE_S, &err) < 0) ||
                    rt->ops->remove_container(rt, c->id, &err) < 0) {
                        dprintf(fd, "container %s (pod %s, %s): %s\n", c->id, c->pod_uid, c->name,
                                err->msg);
                        ret = 1;
                        char **v = realloc(kept.v, (kept.n + 1) * sizeof *v);
                        if (v && (v[kept.n] = strdup(c->sandbox_id))) {
                                kept.v = v;
                                kept.n++;
                        } else if (v) {
                                kept.v = v;
                        }
                }
        }
        for (size_t i = 0; i < plan->sandboxes.n; i++) {
                const struct agent_gc_sandbox *s = &plan->sandboxes.v[i];
                _cleanup_err_ struct dh_err *err = NULL;
                if (has_str(&kept, s->id))
                        continue;
                if (rt->ops->stop_pod_sandbox(rt, s->id, &err) < 0 ||
                    rt->ops->remove_pod_sandbox(rt, s->id, &err) < 0) {
                        dprintf(fd, "sandbox %s (pod %s): %s\n", s->id, s->pod_uid, err->msg);
                        ret = 1;
                }
        }
        for (size_t i = 0; i < kept.n; i++)
                free(kept.v[i]);
        free(kept.v);
        return ret;
}

static uint64_t plan_timeout_ms(const struct agent_container_gc_plan *p)
{
        return (uint64_t)(p->containers.n + p->sandboxes.n + 1) * PM_GC_SLACK_MS;
}

/* The container GC round's lines (p NULL; the pods may be gone, their
 * UIDs say whose), or an init container prune's of pod p. */
static void log_plan(const struct pm_pod *p, const struct agent_container_gc_plan *plan)
{
        for (size_t i = 0; i < plan->containers.n; i++) {
                const struct agent_gc_container *c = &plan->containers.v[i];
                if (p)
                        log_vs(2, "Removing container", "cause", "initContainerPrune", "pod", p->obj,
                               "podUID", p->uid, "containerName", c->name, "containerID", c->id);
                else
                        log_vs(2, "Removing container", "cause", "containerGC", "podUID", c->pod_uid,
                               "containerName", c->name, "containerID", c->id);
        }
        for (size_t i = 0; i < plan->sandboxes.n; i++) {
                const struct agent_gc_sandbox *s = &plan->sandboxes.v[i];
                log_vs(2, "Removing sandbox", "cause", p ? "initContainerPrune" : "containerGC", "podUID",
                       s->pod_uid, "sandboxID", s->id);
        }
}

static void log_result(const struct pm_pod *p, const struct dh_child_result *res)
{
        const char *err = res->timed_out ? "timed out" : res->len ? res->report : "helper failed";
        if (!res->timed_out && WIFEXITED(res->wait_status) && WEXITSTATUS(res->wait_status) == 0)
                return;
        if (p)
                log_errors(err, "Failed to prune the pod's init containers", "pod", p->obj, "podUID", p->uid,
                           "moreErrors", LOG_BOOL(res->truncated));
        else
                log_errors(err, "Container GC failed", "moreErrors", LOG_BOOL(res->truncated));
}

/* The periodic round. */

static int gc_child(void *ud, int fd)
{
        struct pm_gc *gc = ud;
        return remove_planned(gc->m->rt, &gc->plan, fd);
}

static void gc_release(struct agent_podmgr *m)
{
        for (size_t i = 0; i < m->n; i++) {
                struct pm_pod *p = m->pods[i];
                if (!p->gc_hold)
                        continue;
                p->gc_hold = false;
                if (p->pending)
                        pm_schedule(m, p);
        }
}

static void gc_done(void *ud, const struct dh_child_result *res)
{
        struct pm_gc *gc = ud;
        gc->child = NULL;
        log_result(NULL, res);
        agent_container_gc_plan_free(&gc->plan);
        gc_release(gc->m);
}

static enum agent_gc_pod_state gc_state(void *ud, const char *uid)
{
        struct agent_podmgr *m = ud;
        struct pm_pod *p = pm_find(m, uid);
        if (!p) /* nobody asks for it: gone, once every source has spoken */
                return m->sources_ready ? AGENT_GC_POD_REMOVED : AGENT_GC_POD_LIVE;
        return p->terminating || pm_busy(p) ? AGENT_GC_POD_SKIP : AGENT_GC_POD_LIVE;
}

static void gc_hold(struct agent_podmgr *m, const struct agent_container_gc_plan *plan)
{
        for (size_t i = 0; i < plan->containers.n; i++) {
                struct pm_pod *p = pm_find(m, plan->containers.v[i].pod_uid);
                if (p)
                        p->gc_hold = true;
        }
        for (size_t i = 0; i < plan->sandboxes.n; i++) {
                struct pm_pod *p = pm_find(m, plan->sandboxes.v[i].pod_uid);
                if (p)
                        p->gc_hold = true;
        }
}

static int gc_round(struct pm_gc *gc, struct dh_err **err)
{
        struct agent_podmgr *m = gc->m;
        struct rt_sandbox_list sl = { 0 };
        struct rt_container_list cl = { 0 };
        struct agent_container_gc_policy policy;
        agent_container_gc_policy_default(&policy);
        int r = m->rt->ops->list_pod_sandbox(m->rt, NULL, &sl, err);
        if (r == 0)
                r = m->rt->ops->list_containers(m->rt, NULL, &cl, err);
        if (r == 0)
                r = agent_container_gc_plan(&cl, &sl, &policy, dh_realtime_ns(), gc_state, m,
                                            &gc->plan, err);
        rt_sandbox_list_free(&sl);
        rt_container_list_free(&cl);
        if (r < 0 || (!gc->plan.containers.n && !gc->plan.sandboxes.n))
                return r;
        log_plan(NULL, &gc->plan);
        gc->child = dh_child_start(m->loop, gc_child, gc, AGENT_PODMGR_REPORT_MAX,
                                   plan_timeout_ms(&gc->plan), gc_done, gc, err);
        if (!gc->child) {
                agent_container_gc_plan_free(&gc->plan);
                return -1;
        }
        gc_hold(m, &gc->plan);
        return 0;
}

static void gc_tick(struct dh_loop *l, void *ud)
{
        struct pm_gc *gc = ud;
        _cleanup_err_ struct dh_err *err = NULL;
        gc->timer = dh_loop_timer(l, gc->period_ms, gc_tick, gc, &err);
        if (!gc->timer)
                log_errors(err->msg, "Failed to arm the container GC timer");
        dh_err_clear(&err);
        if (gc->child) /* the previous round is still removing */
                return;
        if (gc_round(gc, &err) < 0)
                log_errors(err->msg, "Container GC failed");
}

static int gc_period(uint64_t *out, struct dh_err **err)
{
        const char *env = getenv("DECKHAND_CONTAINER_GC_PERIOD_MS");
        int64_t v = AGENT_CONTAINER_GC_PERIOD_MS;
        if (env && *env && dh_parse_i64(env, 1, INT32_MAX, &v, NULL, err) < 0)
                return dh_err_prefix(err, "DECKHAND_CONTAINER_GC_PERIOD_MS");
        *out = (uint64_t)v;
        return 0;
}

int pm_gc_open(struct agent_podmgr *m, struct dh_err **err)
{
        struct pm_gc *gc = calloc(1, sizeof *gc);
        if (!gc)
                return dh_err_set(err, ENOMEM, "out of memory");
        gc->m = m;
        if (gc_period(&gc->period_ms, err) < 0 ||
            !(gc->timer = dh_loop_timer(m->loop, gc->period_ms, gc_tick, gc, err))) {
                free(gc);
                return -1;
        }
        m->gc = gc;
        return 0;
}

void pm_gc_close(struct agent_podmgr *m)
{
        struct pm_gc *gc = m->gc;
        if (!gc)
                return;
        dh_timer_cancel(gc->timer);
        dh_child_cancel(gc->child);
        agent_container_gc_plan_free(&gc->plan);
        free(gc);
        m->gc = NULL;
}

bool pm_gc_running(const struct agent_podmgr *m)
{
        return m->gc && m->gc->child;
}

/* The prune before a sync's starts. */

void pm_prune_free(struct pm_prune *pr)
{
        if (!pr)
                return;
        dh_child_cancel(pr->child);
        agent_container_gc_plan_free(&pr->plan);
        free(pr);
}

static int prune_child(void *ud, int fd)
{
        struct pm_prune *pr = ud;
        return remove_planned(pr->m->rt, &pr->plan, fd);
}

static void prune_done(void *ud, const struct dh_child_result *res)
{
        struct pm_prune *pr = ud;
        struct pm_pod *p = pr->p;
        struct agent_podmgr *m = pr->m;
        log_result(p, res);
        pr->child = NULL;
        p->prune = NULL;
        pm_prune_free(pr);
        if (p->pending)
                pm_schedule(m, p);
}

void pm_prune_init_start(struct agent_podmgr *m, struct pm_pod *p, bool purge)
{
        _cleanup_err_ struct dh_err *err = NULL;
        if (!p->sp || !p->sp->pod->spec.initContainers.n || p->prune)
                return;
        struct agent_pod_runtime r = { 0 };
        struct pm_prune *pr = calloc(1, sizeof *pr);
        if (!pr || pm_observe(m, p, &r, NULL, &err) < 0 ||
            agent_prune_init_containers(p->sp->pod, &r, purge, &pr->plan, &err) < 0) {
                log_errors(err ? err->msg : "out of memory", "Failed to prune the pod's init containers",
                           "pod", p->obj, "podUID", p->uid);
                agent_pod_runtime_free(&r);
                free(pr);
                return;
        }
        agent_pod_runtime_free(&r);
        if (!pr->plan.containers.n) {
                pm_prune_free(pr);
                return;
        }
        log_plan(p, &pr->plan);
        pr->m = m;
        pr->p = p;
        pr->child = dh_child_start(m->loop, prune_child, pr, AGENT_PODMGR_REPORT_MAX,
                                   plan_timeout_ms(&pr->plan), prune_done, pr, &err);
        if (!pr->child) {
                log_errors(err->msg, "Failed to prune the pod's init containers", "pod", p->obj, "podUID",
                           p->uid);
                pm_prune_free(pr);
                return;
        }
        p->prune = pr;
}
