/* Container garbage collection as the kubelet's containerGC plans it
 * (pkg/kubelet/kuberuntime/kuberuntime_gc.go), as pure functions over
 * what the runtime lists: which dead containers and sandboxes to remove.
 * The pod manager applies the plan in a helper (agent/podgc.c).
 *
 * Containers: those not running and created at least min_age ago are
 * evictable, grouped by (pod UID, container name) (the "evict unit"). A
 * removed pod's units go whole; then each unit keeps its newest
 * max_per_pod_container (kubelet default 1: the newest dead instance,
 * which `logs --previous` and the status' lastState read); then, if
 * max_containers >= 0, the total is cut down, evenly per unit first, then
 * oldest first. "Newest" is the highest attempt, then the latest
 * creation. Running containers are never planned; unknown-state ones are
 * planned with `unknown` set (stop before removal).
 *
 * Sandboxes (evictSandboxes): a sandbox is active when it is ready or a
 * container that stays (after the container removals above) belongs to
 * it. A live pod keeps its newest sandbox whatever its state; older
 * inactive ones go. A removed pod's inactive sandboxes all go.
 *
 * Also SyncPod's pruneInitContainersBeforeStart: of each init container
 * only the newest exited (or unknown) instance stays; and its
 * purgeInitContainers when the pod gets a new sandbox: none stays (the
 * init containers run again in the new sandbox). */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "agent/podruntime.h"
#include "cri/cri.h"
#include "lib/err.h"
#include "lib/jsondec.h"
#include "pod/types.h"

/* kubelet's ContainerGCPolicy defaults (--minimum-container-ttl-duration
 * 0, --maximum-dead-containers-per-container 1,
 * --maximum-dead-containers -1) and its ContainerGCPeriod. */
#define AGENT_CONTAINER_GC_MIN_AGE_NS 0
#define AGENT_CONTAINER_GC_MAX_PER_POD_CONTAINER 1
#define AGENT_CONTAINER_GC_MAX_CONTAINERS (-1)
#define AGENT_CONTAINER_GC_PERIOD_MS 60000

struct agent_container_gc_policy {
        int64_t min_age_ns;
        int max_per_pod_container; /* < 0: no limit */
        int max_containers;        /* < 0: no limit */
};
void agent_container_gc_policy_default(struct agent_container_gc_policy *p);

/* What the pod manager says of a pod UID found in the runtime. */
enum agent_gc_pod_state {
        AGENT_GC_POD_LIVE,    /* keep its newest dead instances and sandbox */
        AGENT_GC_POD_REMOVED, /* deleted (or unknown once sources are ready): all dead go */
        AGENT_GC_POD_SKIP,    /* busy with its own helper: leave it alone this round */
};
typedef enum agent_gc_pod_state (*agent_gc_pod_state_fn)(void *ud, const char *uid);

struct agent_gc_container {
        char *id, *pod_uid, *name, *sandbox_id;
        bool unknown; /* CONTAINER_UNKNOWN: stop it before removing */
};
struct agent_gc_sandbox {
        char *id, *pod_uid;
};
/* Removal order: containers first, each unit's oldest first; then
 * sandboxes, oldest first. */
struct agent_container_gc_plan {
        DH_VEC(struct agent_gc_container) containers;
        DH_VEC(struct agent_gc_sandbox) sandboxes;
};
void agent_container_gc_plan_free(struct agent_container_gc_plan *p);

/* containers and sandboxes: everything the runtime lists; entries
 * without the pod UID label are not the agent's and are ignored.
 * -ENOMEM only (*out untouched then). */
int agent_container_gc_plan(const struct rt_container_list *containers,
                            const struct rt_sandbox_list *sandboxes,
                            const struct agent_container_gc_policy *policy, int64_t now_ns,
                            agent_gc_pod_state_fn state, void *ud,
                            struct agent_container_gc_plan *out, struct dh_err **err);

/* pruneInitContainersBeforeStart: the init container instances of pod to
 * remove from r (newest first, as agent_pod_runtime keeps them): all
 * exited or unknown instances of each init container but the newest such
 * one. With purge (purgeInitContainers, after a kill for a new sandbox):
 * every instance that is not running. Filled into out->containers
 * (pod_uid from the pod). -ENOMEM only. */
int agent_prune_init_containers(const struct pod *pod, const struct agent_pod_runtime *r,
                                bool purge, struct agent_container_gc_plan *out,
                                struct dh_err **err);
