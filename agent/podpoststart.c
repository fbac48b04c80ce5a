/* postStart hooks, as the kubelet's startContainer runs them: right after
 * the container started, before the pod's next container starts. The hook
 * runs in a stop helper (it may block as long as PM_POSTSTART_TIMEOUT_S);
 * meanwhile the pod is busy. If it fails, the helper kills the container
 * (with its preStop hook and the grace period, reason FailedPostStartHook)
 * and the failure is recorded as the container's PostStartHookError with
 * the hook's message; the next sync restarts it as the restart policy
 * says. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "agent/podmgr-internal.h"
#include "lib/cleanup.h"
#include "lib/log.h"

/* The kubelet gives a postStart hook no time limit; deckhand gives it this. */
#define PM_POSTSTART_TIMEOUT_S 300
/* Exit status of the helper when the hook failed (and the container was killed). */
#define HOOK_FAILED 2

struct hook_args {
        struct agent_podmgr *m;
        struct pm_pod *p;
        const struct pod_container *c;
        const char *id;
};

static int hook_child(void *ud, int fd)
{
        const struct hook_args *a = ud;
        _cleanup_free_ char *msg = NULL;
        _cleanup_err_ struct dh_err *err = NULL;
        int r = pm_run_hook(a->m, a->p, "PostStart", a->c->lifecycle->postStart, a->c, a->id,
                            PM_POSTSTART_TIMEOUT_S * 1000LL, &msg, &err);
        if (r == 0)
                return 0;
        dprintf(fd, "%s", r < 0 ? err->msg : msg);
        log_warns("PostStartHook failed; killing the container", "pod", a->p->obj, "podUID", a->p->uid,
                  "containerName", a->c->name, "containerID", a->id, "reason", "FailedPostStartHook");
        unsigned turn;
        struct pm_stop s = { .id = a->id, .name = a->c->name,
                             .spec = pm_container_spec(a->p, a->c->name, &turn),
                             .grace_s = a->p->grace_s };
        pm_stop_containers(a->m, a->p, &s, 1, -1);
        return HOOK_FAILED;
}

static void hook_done(void *ud, const struct dh_child_result *res)
{
        struct pm_pod *p = ud;
        struct agent_podmgr *m = p->child_mgr;
        p->child = NULL;
        _cleanup_free_ char *name = TAKE_PTR(p->hook_container);
        if (res->timed_out || !WIFEXITED(res->wait_status) || WEXITSTATUS(res->wait_status) != 0) {
                const char *msg = res->timed_out ? "the postStart hook timed out"
                                  : res->len     ? res->report
                                                 : "the postStart hook failed";
                if (pm_failure_set(p, name, "PostStartHookError", msg) < 0)
                        log_errors("out of memory", "Failed to record a container's failure", "pod", p->obj,
                                   "podUID", p->uid, "containerName", name);
                log_errors(msg, "Failed to execute PostStartHook", "pod", p->obj, "podUID", p->uid,
                           "containerName", name, "reason", "PostStartHookError");
        }
        pm_update_status(m, p);
        pm_schedule(m, p);
}

bool pm_poststart_needed(const struct pod_container *c)
{
        return c->lifecycle && c->lifecycle->postStart;
}

int pm_poststart_start(struct agent_podmgr *m, struct pm_pod *p, const struct pod_container *c,
                       const char *id, struct dh_err **err)
{
        if (!(p->hook_container = strdup(c->name)))
                return dh_err_set(err, ENOMEM, "out of memory");
        struct hook_args a = { m, p, c, id }; /* used by the child before start returns */
        p->child_mgr = m;
        uint64_t timeout = (PM_POSTSTART_TIMEOUT_S + (uint64_t)p->grace_s + 30) * 1000;
        p->child = dh_child_start(m->loop, hook_child, &a, AGENT_PODMGR_REPORT_MAX, timeout, hook_done,
                                  p, err);
        if (!p->child) {
                free(p->hook_container);
                p->hook_container = NULL;
                return -1;
        }
        return 0;
}
