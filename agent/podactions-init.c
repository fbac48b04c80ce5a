/* computeInitContainerActions: init containers run one at a time, in
 * order, each to a zero exit; sidecars (restartPolicy Always) start in
 * order and are kept running, the next init container waiting for a
 * sidecar's startup probe. The walk goes backwards from the last init
 * container with a status, as the kubelet's does, because finished init
 * containers may have been removed from the runtime. */
#include <stdlib.h>

#include "agent/podactions-internal.h"

struct init_walk {
        bool initialized;            /* podHasInitialized */
        bool previously_initialized; /* the ones before this one have run */
};

/* Reverses the init starts appended during the backwards walk. */
static void reverse_init_starts(struct agent_pod_plan *p)
{
        for (size_t i = 0, j = p->init_to_start.n; i + 1 < j; i++, j--) {
                struct agent_container_start t = p->init_to_start.v[i];
                p->init_to_start.v[i] = p->init_to_start.v[j - 1];
                p->init_to_start.v[j - 1] = t;
        }
}

/* A regular container created or running (not merely exited: after a
 * reboot every container has exited and the new sandbox starts over). */
static bool any_regular_active(const struct plan_ctx *c)
{
        for (size_t i = 0; i < c->pod->spec.containers.n; i++) {
                const struct agent_container_observed *s =
                        agent_pod_runtime_find(c->obs, c->pod->spec.containers.v[i].name);
                if (s && (s->state == RT_CONTAINER_CREATED || s->state == RT_CONTAINER_RUNNING))
                        return true;
        }
        return false;
}

/* A running sidecar: restart it when its startup or liveness probe
 * failed or its definition changed; once started, let the next init
 * container go. */
static void running_sidecar(struct plan_ctx *c, struct init_walk *w, size_t i,
                            const struct agent_container_observed *s)
{
        const struct pod_container *spec = &c->pod->spec.initContainers.v[i];
        if (spec->startupProbe) {
                enum agent_probe_result r = plan_probe(c, s, PROBE_STARTUP);
                if (r == AGENT_PROBE_NONE)
                        return;
                if (r != AGENT_PROBE_SUCCESS) {
                        if (r == AGENT_PROBE_FAILURE) {
                                plan_kill(c, s, true, AGENT_KILL_STARTUP,
                                          "Init container %s failed startup probe", spec->name);
                                plan_start(c, i, true);
                        }
                        return;
                }
        }
        if (i == c->pod->spec.initContainers.n - 1)
                w->initialized = true;
        else if (!w->previously_initialized)
                plan_start(c, i + 1, true);
        if (plan_container_changed(spec, s)) {
                plan_kill(c, s, true, AGENT_KILL_SPEC_CHANGED, "Init container %s definition changed",
                          spec->name);
                plan_start(c, i, true);
                return;
        }
        /* Liveness does not gate the next init container; a failure
         * restarts the sidecar. */
        if (spec->livenessProbe && plan_probe(c, s, PROBE_LIVENESS) == AGENT_PROBE_FAILURE) {
                plan_kill(c, s, true, AGENT_KILL_LIVENESS, "Init container %s failed liveness probe",
                          spec->name);
                plan_start(c, i, true);
        }
}

/* An exited init container: a sidecar restarts whatever the pod's policy;
 * a failed one restarts unless the policy is Never (then the pod is
 * done); a succeeded one lets the next go. Returns false when the pod is
 * to be killed. */
static bool exited_init(struct plan_ctx *c, struct init_walk *w, size_t i,
                        const struct agent_container_observed *s)
{
        if (agent_is_sidecar(&c->pod->spec.initContainers.v[i])) {
                plan_start(c, i, true);
                return true;
        }
        if (plan_init_failed(s)) {
                if (!agent_pod_restarts_on_failure(c->pod))
                        return false;
                plan_start(c, i, true);
                return true;
        }
        if (i == c->pod->spec.initContainers.n - 1)
                w->initialized = true;
        else
                plan_start(c, i + 1, true);
        return true;
}

/* Unknown state: kill it before restarting, unless it is a regular init
 * container and the policy is Never. Returns false to kill the pod. */
static bool unknown_init(struct plan_ctx *c, size_t i, const struct agent_container_observed *s)
{
        bool sidecar = agent_is_sidecar(&c->pod->spec.initContainers.v[i]);
        if (!sidecar && !agent_pod_restarts_on_failure(c->pod))
                return false;
        plan_kill(c, s, true, AGENT_KILL_UNKNOWN_STATE,
                  "Init container is in \"unknown\" state, try killing it before restart");
        plan_start(c, i, true);
        return true;
}

static void kill_pod_for_failed_init(struct plan_ctx *c)
{
        c->plan->kill_pod = true;
        c->plan->kill_reason = AGENT_POD_KILL_INIT_FAILED;
        c->plan->init_to_start.n = 0;
}

bool plan_init_containers(struct plan_ctx *c)
{
        size_t n = c->pod->spec.initContainers.n;
        if (n == 0)
                return true;
        struct init_walk w = { .initialized = any_regular_active(c) };
        w.previously_initialized = w.initialized;
        for (size_t i = n; i-- > 0;) {
                const struct pod_container *spec = &c->pod->spec.initContainers.v[i];
                const struct agent_container_observed *s = agent_pod_runtime_find(c->obs, spec->name);
                if (!s) {
                        /* Gone from the runtime after initialization: only
                         * a sidecar needs to come back. */
                        if (w.previously_initialized && agent_is_sidecar(spec))
                                plan_start(c, i, true);
                        continue;
                }
                if (w.previously_initialized && !agent_is_sidecar(spec))
                        continue;
                switch (s->state) {
                case RT_CONTAINER_CREATED:
                        /* Created but never started: start it again. */
                        plan_start(c, i, true);
                        break;
                case RT_CONTAINER_RUNNING:
                        if (agent_is_sidecar(spec))
                                running_sidecar(c, &w, i, s);
                        break;
                case RT_CONTAINER_EXITED:
                        if (!exited_init(c, &w, i, s)) {
                                kill_pod_for_failed_init(c);
                                return false;
                        }
                        break;
                default:
                        if (!unknown_init(c, i, s)) {
                                kill_pod_for_failed_init(c);
                                return false;
                        }
                        break;
                }
                w.previously_initialized = true;
        }
        if (!w.previously_initialized)
                plan_start(c, 0, true);
        reverse_init_starts(c->plan);
        return w.initialized;
}
