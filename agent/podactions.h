/* The kubelet's computePodActions (pkg/kubelet/kuberuntime/
 * kuberuntime_manager.go, computeInitContainerActions in
 * kuberuntime_container.go) as plain data: from a pod, what the runtime
 * shows of it and the latest probe results, decide whether to kill the
 * pod and (re)create its sandbox, which init containers and containers to
 * start, which running containers to kill and why, and which to keep. The
 * CrashLoopBackOff check SyncPod makes before each start (doBackOff) is
 * folded in, so a container still in back-off comes out as waiting with
 * the kubelet's reason and message instead of as a start. So is the
 * activeDeadlineSeconds eviction. Pure: nothing here reads a clock or
 * touches the runtime; the agent applies the plan. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/podruntime.h"
#include "lib/backoff.h"
#include "lib/err.h"
#include "pod/types.h"

/* The kubelet's container restart back-off: flowcontrol.NewBackOff(10s,
 * 300s); an entry starts over once a container ran for 2*300s. */
#define AGENT_CRASH_BACKOFF_INITIAL_NS (10LL * 1000000000LL)
#define AGENT_CRASH_BACKOFF_MAX_NS (300LL * 1000000000LL)
#define AGENT_CRASH_BACKOFF_ENTRIES_MAX 4096
void agent_crash_backoff_init(struct dh_backoff *b);

/* A prober's latest result for one container instance (proberesults):
 * NONE when the probe has not reported for this container ID yet. */
enum agent_probe_result {
        AGENT_PROBE_NONE = 0,
        AGENT_PROBE_SUCCESS,
        AGENT_PROBE_FAILURE,
        AGENT_PROBE_UNKNOWN,
};
struct agent_container_result {
        const char *container_id; /* the runtime's ID, without "<runtime>://" */
        enum agent_probe_result liveness, readiness, startup;
};
/* Borrowed views: the prober owns the strings. */
struct agent_container_results {
        const struct agent_container_result *v;
        size_t n;
};
const struct agent_container_result *
agent_container_results_find(const struct agent_container_results *r, const char *container_id);

/* containerKillReason, plus the cases the kubelet leaves without one. */
enum agent_kill_reason {
        AGENT_KILL_SPEC_CHANGED,   /* "Container x definition changed" */
        AGENT_KILL_LIVENESS,       /* "LivenessProbe" */
        AGENT_KILL_STARTUP,        /* "StartupProbe" */
        AGENT_KILL_UNKNOWN_STATE,  /* "Unknown": killed before a restart */
};
struct agent_container_kill {
        char *id, *name;
        bool init;
        enum agent_kill_reason reason;
        char *message; /* the kubelet's, e.g. "Container app failed liveness probe, will be restarted" */
};

struct agent_container_start {
        size_t index; /* into spec.initContainers (init) or spec.containers */
        bool init;
        /* What the new container carries: the last instance's restart
         * count plus one (0 for the first), also its CRI attempt. */
        int32_t restart_count;
};

/* A container that should start but is still in CrashLoopBackOff. */
struct agent_container_wait {
        size_t index;
        bool init;
        char *name;
        const char *reason; /* "CrashLoopBackOff" */
        char *message;      /* "back-off 10s restarting failed container=app pod=web_default(uid)" */
};

/* Why the whole pod is killed (KillPod). */
enum agent_pod_kill_reason {
        AGENT_POD_KILL_NONE,
        AGENT_POD_KILL_SANDBOX_CHANGED, /* recreating the sandbox (or finishing without one) */
        AGENT_POD_KILL_INIT_FAILED,     /* an init container failed and restartPolicy is Never */
        AGENT_POD_KILL_ALL_DONE,        /* nothing left running and nothing to start */
        AGENT_POD_KILL_DEADLINE,        /* activeDeadlineSeconds exceeded */
        AGENT_POD_KILL_TERMINATING,     /* the pod is being deleted */
};

struct agent_pod_plan {
        bool kill_pod;       /* stop every container and the sandbox first */
        bool create_sandbox; /* then create a new sandbox */
        enum agent_pod_kill_reason kill_reason;
        char *sandbox_id;    /* the newest sandbox (NULL: none, or the network mode changed) */
        uint32_t attempt;    /* the sandbox attempt to create (or the current one) */
        DH_VEC(struct agent_container_start) init_to_start; /* in spec order */
        DH_VEC(struct agent_container_start) to_start;      /* in spec order */
        DH_VEC(struct agent_container_kill) to_kill;
        DH_VEC(size_t) to_keep;                             /* spec.containers indexes */
        DH_VEC(struct agent_container_wait) waiting;
        /* activeDeadlineSeconds passed: the pod fails with this reason and
         * message ("DeadlineExceeded", "Pod was active on the node longer
         * than the specified deadline"); NULL otherwise. */
        const char *fail_reason, *fail_message;
};
void agent_pod_plan_free(struct agent_pod_plan *p);

/* computePodActions plus doBackOff. Apply the plan as SyncPod does: kill the pod
 * (kill_pod) or the listed containers, create the sandbox, start
 * init_to_start in order (stop at a non-sidecar that fails to start),
 * then to_start. Not modelled: ephemeral containers, in-place resize, the
 * log-directory scan for restart counts of garbage-collected containers.
 * crash_backoff is keyed as the kubelet
 * keys it ("<pod>_<namespace>_<uid>_<container>_<hash>") and is moved on
 * (Next from the container's exit time) for each container planned to
 * start again after an exit, as SyncPod does just before starting it.
 * probe_results may be NULL (no results yet). Fails only on ENOMEM;
 * *out is then untouched (crash_backoff may have moved). */
int agent_pod_actions(const struct pod *pod, const struct agent_pod_runtime *observed,
                      const struct agent_container_results *probe_results,
                      struct dh_backoff *crash_backoff, int64_t now_ns,
                      struct agent_pod_plan *out, struct dh_err **err);

/* Helpers shared with the status: restartPolicy Always init containers
 * are sidecars; restartPolicy (defaulted) is Always, OnFailure or Never. */
bool agent_is_sidecar(const struct pod_container *c);
bool agent_pod_restarts_on_failure(const struct pod *pod); /* not Never */
/* ShouldContainerBeRestarted. */
bool agent_container_should_restart(const struct pod *pod, const struct pod_container *c,
                                    const struct agent_pod_runtime *observed);
/* hasAnyRegularContainerCreated: a regular container was created,
 * runs or ran, so the init containers have all completed. */
bool agent_any_regular_container_created(const struct pod *pod,
                                         const struct agent_pod_runtime *observed);
/* activeDeadlineSeconds passed since start_ns (0: not started). */
bool agent_pod_past_active_deadline(const struct pod *pod, int64_t start_ns, int64_t now_ns);
/* PodSandboxChanged: whether a new sandbox is needed, the attempt to give
 * it, and the sandbox it replaces (NULL if none or not to be reused). */
bool agent_sandbox_changed(const struct pod *pod, const struct agent_pod_runtime *observed,
                           uint32_t *attempt, const char **sandbox_id);
/* "name_namespace(uid)", format.Pod. Returns the length or -1 if it does
 * not fit. */
int agent_pod_format(const struct pod *pod, char *buf, size_t size);
