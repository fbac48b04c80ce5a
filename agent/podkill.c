/* The pod manager's stop helpers: CRI StopContainer blocks up to the
 * grace period, so kills and pod removals run in a forked child
 * (lib/child.h). The child uses the parent's runtime handle: the built-in
 * runtime keeps no connection open, it reads state files and opens a
 * socket to the shim per call, so a copy after fork is as good as the
 * original. When the child is done, the loop resumes the pod. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "agent/podmgr-internal.h"
#include "lib/cleanup.h"
#include "lib/parse.h"
#include "lib/log.h"

/* Extra seconds a helper gets beyond the grace period for each stop. */
#define PM_HELPER_SLACK_S 30

static void report(int fd, const struct dh_err *err)
{
        dprintf(fd, "%s\n", err->msg);
}

/* The pod's grace period; for an orphan (no spec), the one its
 * container was created with, as the kubelet's killContainer does. */
static int64_t grace_of(const struct pm_pod *p, const struct rt_container_status *c)
{
        int64_t g;
        if (p->sp)
                return p->grace_s;
        for (size_t i = 0; i < c->annotations.n; i++)
                if (strcmp(c->annotations.v[i].key, AGENT_ANN_TERMINATION_GRACE_PERIOD) == 0 &&
                    dh_parse_i64(c->annotations.v[i].value, 0, INT32_MAX, &g, NULL, NULL) == 0)
                        return g;
        return p->grace_s;
}

/* The running containers of the list, to stop all at once (sidecars in
 * their turn). *out is allocated; its strings are borrowed from cl. */
static int running_stops(struct pm_pod *p, const struct rt_container_list *cl,
                         struct pm_stop **out, size_t *n)
{
        *n = 0;
        if (!(*out = calloc(cl->n ? cl->n : 1, sizeof **out)))
                return -ENOMEM;
        for (size_t i = 0; i < cl->n; i++) {
                const struct rt_container_status *c = &cl->v[i];
                if (c->state != RT_CONTAINER_RUNNING)
                        continue;
                struct pm_stop *s = &(*out)[(*n)++];
                s->id = c->id;
                s->name = c->metadata.name ? c->metadata.name : c->id;
                s->spec = pm_container_spec(p, s->name, &s->turn);
                s->grace_s = grace_of(p, c);
        }
        return 0;
}

/* Every container (and every sandbox) of the pod: stopped, then removed
 * when remove is set. */
static int stop_all(struct agent_podmgr *m, struct pm_pod *p, bool remove, int fd)
{
        _cleanup_err_ struct dh_err *err = NULL;
        struct rt_kv kv = { (char *)AGENT_LABEL_POD_UID, p->uid };
        struct rt_container_filter cf = { .label_selector = { &kv, 1 } };
        struct rt_sandbox_filter sf = { .label_selector = { &kv, 1 } };
        struct rt_container_list cl = { 0 };
        struct rt_sandbox_list sl = { 0 };
        _cleanup_free_ struct pm_stop *stops = NULL;
        size_t nstops = 0;
        int ret = 0;
        if (m->rt->ops->list_containers(m->rt, &cf, &cl, &err) < 0 ||
            m->rt->ops->list_pod_sandbox(m->rt, &sf, &sl, &err) < 0) {
                report(fd, err);
                rt_container_list_free(&cl);
                return -1;
        }
        if (running_stops(p, &cl, &stops, &nstops) < 0) {
                dprintf(fd, "out of memory\n");
                ret = -1;
        } else if (pm_stop_containers(m, p, stops, nstops, fd) != 0) {
                ret = -1;
        }
        for (size_t i = 0; remove && i < cl.n; i++) {
                if (m->rt->ops->remove_container(m->rt, cl.v[i].id, &err) < 0) {
                        report(fd, err);
                        dh_err_clear(&err);
                        ret = -1;
                }
        }
        for (size_t i = 0; i < sl.n; i++) {
                if (m->rt->ops->stop_pod_sandbox(m->rt, sl.v[i].id, &err) < 0 ||
                    (remove && m->rt->ops->remove_pod_sandbox(m->rt, sl.v[i].id, &err) < 0)) {
                        report(fd, err);
                        dh_err_clear(&err);
                        ret = -1;
                }
        }
        rt_container_list_free(&cl);
        rt_sandbox_list_free(&sl);
        return ret;
}

/* setTerminationGracePeriod: a probe's own terminationGracePeriodSeconds
 * for the kills it causes, else the pod's. */
static int64_t kill_grace(const struct pm_pod *p, const struct agent_container_kill *k,
                          const struct pod_container *spec)
{
        const struct pod_probe *probe = !spec ? NULL
                                        : k->reason == AGENT_KILL_LIVENESS ? spec->livenessProbe
                                        : k->reason == AGENT_KILL_STARTUP  ? spec->startupProbe
                                                                           : NULL;
        if (probe && probe->terminationGracePeriodSeconds.set)
                return probe->terminationGracePeriodSeconds.v;
        return p->grace_s;
}

static int kill_child(void *ud, int fd)
{
        struct pm_pod *p = ud;
        struct agent_podmgr *m = p->child_mgr;
        if (p->plan->kill_pod)
                return stop_all(m, p, false, fd) < 0 ? 1 : 0;
        size_t n = p->plan->to_kill.n;
        _cleanup_free_ struct pm_stop *stops = calloc(n ? n : 1, sizeof *stops);
        if (!stops) {
                dprintf(fd, "out of memory\n");
                return 1;
        }
        for (size_t i = 0; i < n; i++) {
                const struct agent_container_kill *k = &p->plan->to_kill.v[i];
                unsigned turn;
                stops[i] = (struct pm_stop){ .id = k->id, .name = k->name,
                                             .spec = pm_container_spec(p, k->name, &turn) };
                stops[i].grace_s = kill_grace(p, k, stops[i].spec);
        }
        return pm_stop_containers(m, p, stops, n, fd);
}

/* what: the log message, e.g. "Failed to kill the pod's containers". */
static bool helper_failed(struct pm_pod *p, const char *what, const struct dh_child_result *res)
{
        if (res->timed_out) {
                log_errors("timed out", what, "pod", p->obj, "podUID", p->uid);
                return true;
        }
        if (WIFEXITED(res->wait_status) && WEXITSTATUS(res->wait_status) == 0)
                return false;
        log_errors(res->len ? res->report : "helper failed", what, "pod", p->obj, "podUID", p->uid);
        return true;
}

static void kill_done(void *ud, const struct dh_child_result *res)
{
        struct pm_pod *p = ud;
        struct agent_podmgr *m = p->child_mgr;
        p->child = NULL;
        if (helper_failed(p, "Failed to kill the pod's containers", res))
                p->recheck = true;
        pm_apply_after_kill(m, p);
}

static uint64_t helper_timeout_ms(const struct pm_pod *p, size_t stops)
{
        return (uint64_t)(p->grace_s + PM_HELPER_SLACK_S) * 1000 * (stops ? stops : 1);
}

int pm_kill_start(struct agent_podmgr *m, struct pm_pod *p, struct dh_err **err)
{
        const struct agent_pod_plan *plan = p->plan;
        if (plan->kill_pod)
                log_infos(plan->kill_reason == AGENT_POD_KILL_SANDBOX_CHANGED
                                  ? "Stopping PodSandbox for pod, will start new one"
                                  : "Stopping PodSandbox for pod, because all other containers are dead",
                          "pod", p->obj, "podUID", p->uid);
        for (size_t i = 0; i < plan->to_kill.n; i++) {
                const struct agent_container_kill *k = &plan->to_kill.v[i];
                log_infos("Killing unwanted container for pod", "pod", p->obj, "podUID", p->uid,
                          "containerName", k->name, "containerID", k->id, "containerMessage",
                          k->message ? k->message : "");
        }
        p->child_mgr = m;
        p->child = dh_child_start(m->loop, kill_child, p, AGENT_PODMGR_REPORT_MAX,
                                  helper_timeout_ms(p, plan->to_kill.n + 4), kill_done, p, err);
        return p->child ? 0 : -1;
}

static int terminate_child(void *ud, int fd)
{
        struct pm_pod *p = ud;
        return stop_all(p->child_mgr, p, true, fd) < 0 ? 1 : 0;
}

static void terminate_done(void *ud, const struct dh_child_result *res)
{
        struct pm_pod *p = ud;
        struct agent_podmgr *m = p->child_mgr;
        p->child = NULL;
        if (helper_failed(p, "Failed to remove the pod", res)) {
                p->recheck = true; /* the relist tries again */
                return;
        }
        _cleanup_err_ struct dh_err *err = NULL;
        if (agent_volumes_teardown(m->root_dir, p->uid, &err) < 0) {
                log_errors(err->msg, "Failed to tear down the pod's volumes", "pod", p->obj, "podUID",
                           p->uid);
                p->recheck = true;
                return;
        }
        log_infos("Pod stopped and removed", "pod", p->obj, "podUID", p->uid);
        pm_forget(m, p);
}

int pm_terminate_start(struct agent_podmgr *m, struct pm_pod *p, struct dh_err **err)
{
        p->child_mgr = m;
        p->child = dh_child_start(m->loop, terminate_child, p, AGENT_PODMGR_REPORT_MAX,
                                  helper_timeout_ms(p, 8), terminate_done, p, err);
        return p->child ? 0 : -1;
}
