/* One pod's sync, as the kubelet's SyncPod: observe what the runtime
 * shows of the pod, plan with computePodActions, apply the plan (kills go
 * to a helper and the rest of the plan runs when it is done), then
 * compute the pod's status. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/podmgr-internal.h"
#include "lib/cleanup.h"
#include "lib/log.h"

static int uid_selector(const char *uid, struct rt_kv *kv, struct rt_kvs *sel)
{
        kv->key = (char *)AGENT_LABEL_POD_UID;
        kv->value = (char *)uid;
        *sel = (struct rt_kvs){ kv, 1 };
        return 0;
}

static int copy_failures(const struct pm_pod *p, struct agent_pod_runtime *r)
{
        if (!p->failures.n)
                return 0;
        r->start_failures.v = calloc(p->failures.n, sizeof *r->start_failures.v);
        if (!r->start_failures.v)
                return -ENOMEM;
        for (size_t i = 0; i < p->failures.n; i++) {
                struct agent_start_failure *d = &r->start_failures.v[i];
                const struct agent_start_failure *s = &p->failures.v[i];
                r->start_failures.n++;
                d->name = strdup(s->name);
                d->reason = strdup(s->reason);
                d->message = strdup(s->message);
                if (!d->name || !d->reason || !d->message)
                        return -ENOMEM;
        }
        return 0;
}

/* Appends to out the containers of one sandbox. */
static int list_sandbox_containers(struct agent_podmgr *m, const char *sandbox_id,
                                   const struct rt_container_filter *base,
                                   struct rt_container_list *out, struct dh_err **err)
{
        struct rt_container_filter cf = *base;
        cf.pod_sandbox_id = (char *)sandbox_id;
        struct rt_container_list one = { 0 };
        if (m->rt->ops->list_containers(m->rt, &cf, &one, err) < 0)
                return -1;
        if (!one.n)
                return 0;
        struct rt_container_status *v = realloc(out->v, (out->n + one.n) * sizeof *v);
        if (!v) {
                rt_container_list_free(&one);
                return dh_err_set(err, ENOMEM, "out of memory");
        }
        memcpy(v + out->n, one.v, one.n * sizeof *v);
        out->v = v;
        out->n += one.n;
        free(one.v);
        return 0;
}

int pm_observe(struct agent_podmgr *m, struct pm_pod *p, struct agent_pod_runtime *out,
               uint64_t *fingerprint, struct dh_err **err)
{
        struct rt_kv kv;
        struct rt_sandbox_filter sf = { 0 };
        struct rt_container_filter cf = { 0 };
        uid_selector(p->uid, &kv, &sf.label_selector);
        cf.label_selector = sf.label_selector;
        struct rt_sandbox_list sl = { 0 };
        struct rt_container_list cl = { 0 };
        struct agent_pod_runtime r = { 0 };
        /* The pod's sandboxes, then the containers of each (a runtime
         * need not look through every other pod's). */
        int ret = m->rt->ops->list_pod_sandbox(m->rt, &sf, &sl, err);
        for (size_t i = 0; ret == 0 && i < sl.n; i++)
                ret = list_sandbox_containers(m, sl.v[i].id, &cf, &cl, err);
        if (ret == 0)
                ret = agent_pod_runtime_from_rt(&sl, &cl, m->runtime_name, &r, err);
        if (ret == 0 && (ret = pm_add_termination_messages(p, &cl, &r, err)) < 0)
                agent_pod_runtime_free(&r);
        if (ret == 0 && fingerprint)
                *fingerprint = pm_fingerprint(p->uid, &sl, &cl);
        rt_sandbox_list_free(&sl);
        rt_container_list_free(&cl);
        if (ret < 0)
                return ret;
        if (copy_failures(p, &r) < 0) {
                agent_pod_runtime_free(&r);
                return dh_err_set(err, ENOMEM, "out of memory");
        }
        r.start_time_ns = p->start_time_ns;
        *out = r;
        return 0;
}

static int ready_condition(const struct agent_pod_status *s)
{
        for (size_t i = 0; i < s->n_conditions; i++)
                if (strcmp(s->conditions[i].type, "Ready") == 0)
                        return s->conditions[i].status;
        return -1;
}

static void log_changes(const struct pm_pod *p, const struct agent_pod_status *s)
{
        if (!p->has_status || p->status.phase != s->phase)
                log_infos("Pod phase changed", "pod", p->obj, "podUID", p->uid, "phase",
                          agent_pod_phase_name(s->phase));
        int was = p->has_status ? ready_condition(&p->status) : -1, now = ready_condition(s);
        if (now >= 0 && now != was)
                log_infos("Pod ready condition changed", "pod", p->obj, "podUID", p->uid, "ready",
                          LOG_BOOL(now));
}

void pm_update_status(struct agent_podmgr *m, struct pm_pod *p)
{
        _cleanup_err_ struct dh_err *err = NULL;
        struct agent_pod_runtime r = { 0 };
        struct agent_pod_status s = { 0 };
        struct agent_container_results res = { 0 };
        if (!p->sp || p->terminating)
                return;
        if (pm_probe_results(m, p, &res) < 0) {
                log_errors("out of memory", "Failed to compute pod status", "pod", p->obj, "podUID", p->uid);
                return;
        }
        if (pm_observe(m, p, &r, NULL, &err) < 0 ||
            agent_pod_status(p->sp->pod, &r, &res, p->has_status ? &p->status : NULL,
                             dh_realtime_ns(), &s, &err) < 0) {
                log_errors(err->msg, "Failed to compute pod status", "pod", p->obj, "podUID", p->uid);
                agent_pod_runtime_free(&r);
                free((void *)res.v);
                return;
        }
        agent_pod_runtime_free(&r);
        free((void *)res.v);
        log_changes(p, &s);
        if (p->has_status)
                agent_pod_status_free(&p->status);
        p->status = s;
        p->has_status = true;
        p->start_time_ns = s.start_time_ns;
        pm_probes_ensure(m, p);
}

/* Containers still in CrashLoopBackOff wait with the plan's reason. */
static void record_waits(struct pm_pod *p, const struct agent_pod_plan *plan)
{
        for (size_t i = 0; i < plan->waiting.n; i++) {
                const struct agent_container_wait *w = &plan->waiting.v[i];
                if (pm_failure_set(p, w->name, w->reason, w->message) < 0)
                        log_errors("out of memory", "Failed to record a container's wait", "pod", p->obj,
                                   "podUID", p->uid, "containerName", w->name);
        }
        if (plan->waiting.n)
                p->recheck = true;
}

static bool setup_volumes(struct agent_podmgr *m, struct pm_pod *p)
{
        _cleanup_err_ struct dh_err *err = NULL;
        if (p->has_vols)
                return true;
        if (agent_volumes_setup(m->root_dir, p->sp->pod, &m->alloc, &p->vols, &err) < 0) {
                log_errors(err->msg, "Unable to attach or mount volumes for pod; skipping pod", "pod", p->obj,
                           "podUID", p->uid);
                p->recheck = true;
                return false;
        }
        p->has_vols = true;
        return true;
}

static char *create_sandbox(struct agent_podmgr *m, struct pm_pod *p,
                            const struct agent_pod_plan *plan, struct rt_sandbox_config *scfg)
{
        _cleanup_err_ struct dh_err *err = NULL;
        char *id = NULL;
        log_infos("Creating PodSandbox for pod", "pod", p->obj, "podUID", p->uid, "attempt",
                  LOG_UINT(plan->attempt));
        if (m->rt->ops->run_pod_sandbox(m->rt, scfg, NULL, &id, &err) < 0) {
                log_errors(err->msg, "Failed to create sandbox for pod", "pod", p->obj, "podUID", p->uid);
                p->recheck = true;
                return NULL;
        }
        return id;
}

/* Starts one container: 0 started, < 0 not started, > 0 started and its
 * postStart hook runs in a helper (the rest waits for the next sync, as
 * the kubelet's startContainer waits for the hook). */
static int start_one(struct agent_podmgr *m, struct pm_pod *p, const char *sid,
                     const struct rt_sandbox_config *scfg, const struct agent_container_start *s,
                     const struct pod_container *c)
{
        _cleanup_free_ char *id = NULL;
        _cleanup_err_ struct dh_err *err = NULL;
        if (!pm_start_container(m, p, sid, scfg, s, &id))
                return -1;
        if (!pm_poststart_needed(c))
                return 0;
        if (pm_poststart_start(m, p, c, id, &err) < 0) {
                log_errors(err->msg, "Failed to start the PostStartHook helper", "pod", p->obj, "podUID",
                           p->uid, "containerName", c->name);
                p->recheck = true;
                return 0;
        }
        return 1;
}

/* SyncPod after the kills: sandbox, volumes, init containers, containers. */
static void apply_starts(struct agent_podmgr *m, struct pm_pod *p, const struct agent_pod_plan *plan)
{
        _cleanup_err_ struct dh_err *err = NULL;
        struct rt_sandbox_config scfg = { 0 };
        if (pm_sandbox_config(m, p, plan->attempt, &scfg, &err) < 0) {
                log_errors(err->msg, "Failed to generate sandbox config for pod", "pod", p->obj, "podUID",
                           p->uid);
                return;
        }
        _cleanup_free_ char *created = NULL;
        const char *sid = plan->sandbox_id;
        if (plan->create_sandbox && !(sid = created = create_sandbox(m, p, plan, &scfg)))
                goto out;
        if (!sid || !setup_volumes(m, p))
                goto out;
        for (size_t i = 0; i < plan->init_to_start.n; i++) {
                const struct agent_container_start *s = &plan->init_to_start.v[i];
                const struct pod_container *c = &p->sp->pod->spec.initContainers.v[s->index];
                int r = start_one(m, p, sid, &scfg, s, c);
                if (r > 0 || (r < 0 && !agent_is_sidecar(c)))
                        goto out;
        }
        for (size_t i = 0; i < plan->to_start.n; i++) {
                const struct agent_container_start *s = &plan->to_start.v[i];
                if (start_one(m, p, sid, &scfg, s, &p->sp->pod->spec.containers.v[s->index]) > 0)
                        goto out;
        }
out:
        rt_sandbox_config_free(&scfg);
}

void pm_apply_after_kill(struct agent_podmgr *m, struct pm_pod *p)
{
        struct agent_pod_plan *plan = TAKE_PTR(p->plan);
        if (plan && p->sp && !p->terminating && (!plan->kill_pod || plan->create_sandbox)) {
                pm_prune_init_start(m, p, plan->kill_pod && plan->create_sandbox);
                apply_starts(m, p, plan);
        }
        if (plan) {
                agent_pod_plan_free(plan);
                free(plan);
        }
        pm_update_status(m, p);
        if (p->pending) /* asked for while the helper ran */
                pm_schedule(m, p);
}

/* KillPod has nothing to stop: no running container, no ready sandbox
 * (a new pod, or one whose sandbox died with its containers). */
static bool nothing_to_kill(const struct agent_pod_runtime *r, const struct agent_pod_plan *plan)
{
        if (plan->to_kill.n)
                return false;
        for (size_t i = 0; i < r->containers.n; i++)
                if (r->containers.v[i].state == RT_CONTAINER_RUNNING)
                        return false;
        for (size_t i = 0; i < r->sandboxes.n; i++)
                if (r->sandboxes.v[i].state == RT_SANDBOX_READY)
                        return false;
        return true;
}

static void sync_running(struct agent_podmgr *m, struct pm_pod *p)
{
        _cleanup_err_ struct dh_err *err = NULL;
        struct agent_pod_runtime r = { 0 };
        struct agent_container_results res = { 0 };
        _cleanup_free_ struct agent_pod_plan *plan = calloc(1, sizeof *plan);
        if (!plan || pm_probe_results(m, p, &res) < 0 ||
            pm_observe(m, p, &r, &p->fingerprint, &err) < 0 ||
            agent_pod_actions(p->sp->pod, &r, &res, &m->crash_backoff, dh_realtime_ns(), plan,
                              &err) < 0) {
                log_errors(err ? err->msg : "out of memory", "Error syncing pod, skipping", "pod", p->obj,
                           "podUID", p->uid);
                agent_pod_runtime_free(&r);
                free((void *)res.v);
                p->recheck = true;
                return;
        }
        free((void *)res.v);
        bool skip_kill = nothing_to_kill(&r, plan);
        agent_pod_runtime_free(&r);
        record_waits(p, plan);
        p->plan = TAKE_PTR(plan);
        if (skip_kill || (!p->plan->kill_pod && !p->plan->to_kill.n)) {
                pm_apply_after_kill(m, p);
                return;
        }
        if (pm_kill_start(m, p, &err) < 0) {
                log_errors(err->msg, "Failed to start killing the pod's containers", "pod", p->obj, "podUID",
                           p->uid);
                agent_pod_plan_free(p->plan);
                free(TAKE_PTR(p->plan));
                p->recheck = true;
        }
}

void pm_sync(struct agent_podmgr *m, struct pm_pod *p)
{
        _cleanup_err_ struct dh_err *err = NULL;
        if (!p->terminating) {
                sync_running(m, p);
                return;
        }
        if (pm_terminate_start(m, p, &err) < 0) {
                log_errors(err->msg, "Failed to start removing the pod", "pod", p->obj, "podUID", p->uid);
                p->recheck = true;
        }
}
