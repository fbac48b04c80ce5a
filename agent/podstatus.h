/* The kubelet's generateAPIPodStatus (pkg/kubelet/kubelet_pods.go:
 * convertToAPIContainerStatuses, getPhase; pkg/kubelet/status/generate.go:
 * the Initialized, Ready, ContainersReady and PodReadyToStartContainers
 * conditions; the prober manager's started/ready; the status manager's
 * startTime and lastTransitionTime rules) as a pure function from the pod,
 * the runtime's view of it, probe results and the previous status; and
 * its core/v1 JSON. Times are Unix nanoseconds here and RFC3339 (whole
 * seconds, UTC) in JSON, as the API server stores them. */
#pragma once
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/podactions.h"
#include "agent/podruntime.h"
#include "lib/err.h"
#include "pod/pod.h"

enum agent_pod_phase {
        AGENT_PHASE_PENDING,
        AGENT_PHASE_RUNNING,
        AGENT_PHASE_SUCCEEDED,
        AGENT_PHASE_FAILED,
        AGENT_PHASE_UNKNOWN,
};
const char *agent_pod_phase_name(enum agent_pod_phase p); /* "Pending"... */

enum agent_state_kind {
        AGENT_STATE_NONE, /* no state: lastState {} */
        AGENT_STATE_WAITING,
        AGENT_STATE_RUNNING,
        AGENT_STATE_TERMINATED,
};
struct agent_container_state {
        enum agent_state_kind kind;
        char *reason, *message;           /* waiting, terminated */
        int32_t exit_code;                /* terminated */
        int32_t signal;                   /* terminated; the kubelet never sets it: 0 */
        int64_t started_at, finished_at;  /* running (started), terminated; 0: null */
        char *container_id;               /* terminated */
};

struct agent_container_status {
        char *name, *image, *image_id;
        char *container_id;  /* "<runtime>://<id>", NULL while never created */
        struct agent_container_state state, last_state;
        bool ready;
        struct dh_opt_bool started;
        int32_t restart_count;
};

#define AGENT_POD_CONDITIONS_MAX 5
struct agent_pod_condition {
        const char *type;   /* "PodReadyToStartContainers", "Initialized", "Ready",
                             * "ContainersReady", "PodScheduled" */
        bool status;
        const char *reason; /* "ContainersNotReady", "ContainersNotInitialized",
                             * "PodCompleted", "PodFailed", "ReadinessGatesNotReady" or NULL */
        char *message;
        int64_t last_transition_ns;
};

struct agent_pod_status {
        enum agent_pod_phase phase;
        char *reason, *message;
        struct agent_pod_condition conditions[AGENT_POD_CONDITIONS_MAX];
        size_t n_conditions;
        DH_VEC(struct agent_container_status) init_container_statuses, container_statuses;
        int64_t start_time_ns;
        enum pod_qos qos_class;
        char *host_ip; /* NULL until the agent knows its node's IP */
        char *pod_ip;  /* the ready sandbox's IP, NULL until networking */
};
void agent_pod_status_free(struct agent_pod_status *s);

/* generateAPIPodStatus. previous (may be NULL) is the last status the
 * agent produced: it keeps startTime, condition transition times, restart
 * counts and terminated states of containers the runtime no longer shows,
 * and a terminal phase. observed->start_failures stand in for the
 * kubelet's reasonCache (waiting reasons such as CrashLoopBackOff or
 * ErrImagePull). probe_results may be NULL. Fails only on ENOMEM, leaving
 * *out untouched. */
int agent_pod_status(const struct pod *pod, const struct agent_pod_runtime *observed,
                     const struct agent_container_results *probe_results,
                     const struct agent_pod_status *previous, int64_t now_ns,
                     struct agent_pod_status *out, struct dh_err **err);

/* getPhase over the generated container statuses. pod_initialized is
 * HasAnyActiveRegularContainerStarted (a regular container exists in the
 * newest sandbox). Static pods never take the "pod is terminal" shortcut,
 * so there is no such argument. */
enum agent_pod_phase agent_pod_phase(const struct pod *pod, const struct agent_pod_status *s,
                                     bool pod_initialized);

/* The status as core/v1 PodStatus JSON (new reference; NULL on ENOMEM). */
json_t *agent_pod_status_to_json(const struct agent_pod_status *s);
