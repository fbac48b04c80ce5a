/* What the runtime shows of one pod, in the shape the kubelet reasons
 * about (kubecontainer.PodStatus): its sandboxes and containers, newest
 * first, with what the kubelet keeps in CRI labels and annotations (the
 * container's name, spec hash and restart count) already read back. The
 * agent fills it from rt_* lists; podactions and podstatus only read it.
 * Also the labels and annotations themselves (pkg/kubelet/kuberuntime/
 * labels.go) and the container spec hash. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cri/cri.h"
#include "lib/err.h"
#include "lib/jsondec.h"
#include "pod/types.h"

/* Labels on sandboxes and containers (types.Kubernetes*Label). */
#define AGENT_LABEL_POD_NAME "io.kubernetes.pod.name"
#define AGENT_LABEL_POD_NAMESPACE "io.kubernetes.pod.namespace"
#define AGENT_LABEL_POD_UID "io.kubernetes.pod.uid"
#define AGENT_LABEL_CONTAINER_NAME "io.kubernetes.container.name"
/* Annotations on containers (labels.go's container*Label). */
#define AGENT_ANN_CONTAINER_HASH "io.kubernetes.container.hash"                 /* hex */
#define AGENT_ANN_RESTART_COUNT "io.kubernetes.container.restartCount"         /* decimal */
#define AGENT_ANN_TERMINATION_MESSAGE_PATH "io.kubernetes.container.terminationMessagePath"
#define AGENT_ANN_TERMINATION_MESSAGE_POLICY "io.kubernetes.container.terminationMessagePolicy"
#define AGENT_ANN_CONTAINER_TYPE "io.kubernetes.container.type" /* "init", "container" */
#define AGENT_ANN_TERMINATION_GRACE_PERIOD "io.kubernetes.pod.terminationGracePeriod"

struct agent_sandbox_observed {
        char *id;
        enum rt_sandbox_state state;
        uint32_t attempt;
        int64_t created_at;
        enum rt_namespace_mode network_mode; /* NODE for hostNetwork */
        /* The sandbox's IP; NULL when the runtime reports no network status
         * at all (deckhand before networking), which is not "no IP". */
        char *ip;
};

struct agent_container_observed {
        char *id, *sandbox_id;
        char *name; /* the spec's name (label io.kubernetes.container.name) */
        enum rt_container_state state;
        int32_t exit_code;
        int64_t created_at, started_at, finished_at; /* Unix ns, 0 unset */
        char *reason, *message; /* the runtime's ("Completed", "Error", "OOMKilled") */
        char *image, *image_ref;
        uint64_t hash;          /* annotation io.kubernetes.container.hash, 0 if absent */
        int32_t restart_count;  /* annotation io.kubernetes.container.restartCount */
        uint32_t attempt;
};

/* Why a container last failed to start, as the kubelet's reasonCache keeps
 * it: the plan's CrashLoopBackOff, the image manager's ErrImagePull...
 * The agent records these; the status shows them as waiting states. */
struct agent_start_failure {
        char *name;
        char *reason, *message;
};

struct agent_pod_runtime {
        /* CRI Version's runtime_name: container IDs are "<name>://<id>". */
        char *runtime_name;
        DH_VEC(struct agent_sandbox_observed) sandboxes;   /* newest first */
        DH_VEC(struct agent_container_observed) containers; /* newest first */
        DH_VEC(struct agent_start_failure) start_failures;
        /* status.startTime as the agent first recorded it; 0: not yet. */
        int64_t start_time_ns;
};
void agent_pod_runtime_free(struct agent_pod_runtime *r);

/* Builds the view from what the runtime listed for the pod (already
 * filtered to its UID). Sandboxes and containers come out sorted by
 * creation time, newest first. -ENOMEM only; *out untouched then. */
int agent_pod_runtime_from_rt(const struct rt_sandbox_list *sandboxes,
                              const struct rt_container_list *containers,
                              const char *runtime_name, struct agent_pod_runtime *out,
                              struct dh_err **err);

/* The newest status of the container named name (FindContainerStatusByName),
 * or NULL. */
const struct agent_container_observed *
agent_pod_runtime_find(const struct agent_pod_runtime *r, const char *name);

/* The container spec hash (kubecontainer.HashContainer). Like the kubelet
 * since 1.31, only the fields a running container cannot survive a change
 * of are hashed: name and image (pickFieldsToHash). Everything else in a
 * static pod's spec changes the pod's UID, so the pod is replaced whole.
 * The value is FNV-32a over the compact JSON {"image":...,"name":...}
 * with sorted keys; the kubelet hashes a go-spew dump of the same bytes,
 * so the numbers differ from its, which matters only for containers
 * another agent created. Stored in hex (AGENT_ANN_CONTAINER_HASH). */
uint64_t agent_container_hash(const struct pod_container *c);
