/* The pod manager: the agent's table of the pods it runs (keyed by UID),
 * kept in step with the runtime from the event loop. Pods come and go
 * through add/remove (the static pod source); a relist every
 * AGENT_PODMGR_RELIST_MS (kubelet's PLEG period) notices containers that
 * changed state. Each pod is synced on its own, never re-entered: observe
 * (agent/podruntime.h), plan (agent/podactions.h), apply on the runtime;
 * blocking stops run in forked helpers (lib/child.h). Running containers
 * with startup/liveness/readiness probes get probe workers
 * (agent/podprobes.c); their results feed the plan (liveness and startup
 * kills) and the status (started, ready). Removing a pod stops
 * and removes its containers and sandbox and tears its volumes down.
 * Closing the manager leaves running pods alone (kubelet semantics). */
#pragma once
#include <jansson.h>
#include <stdint.h>

#include "agent/criconfig.h"
#include "agent/staticpod.h"
#include "cri/cri.h"
#include "lib/err.h"
#include "lib/loop.h"

#define AGENT_PODMGR_RELIST_MS 1000
/* With a runtime that has a state token, the relist lists everything only
 * when the token moved, and at least this often: a safety net, as the
 * kubelet's evented PLEG keeps a generic relist every 300 s behind its
 * runtime events. */
#define AGENT_PODMGR_FULL_RELIST_MS 60000
#define AGENT_PODMGR_MAX_PODS 1000
/* Bytes of a helper's error report kept. */
#define AGENT_PODMGR_REPORT_MAX 4096

struct agent_podmgr;

struct agent_podmgr_options {
        struct dh_loop *loop;
        struct rt *rt;              /* borrowed; may be closed just before the manager */
        const char *root_dir;       /* volumes under <root_dir>/pods/<uid> */
        const char *cgroup_root;    /* cgroupRoot: prefixed to pod cgroups; NULL/"" none */
        const struct agent_node_info *node; /* borrowed */
};

int agent_podmgr_open(const struct agent_podmgr_options *o, struct agent_podmgr **out,
                      struct dh_err **err);
/* Cancels helpers and forgets every pod without stopping any. NULL-safe. */
void agent_podmgr_close(struct agent_podmgr *m);

/* The manager takes a reference on sp (agent_static_pod_ref) and keeps it
 * until the pod is replaced by another add with the same UID, or removed
 * and terminated: its spec drives preStop hooks and grace periods. */
void agent_podmgr_add(struct agent_podmgr *m, const struct agent_static_pod *sp);
/* The pod source listed everything once (kubelet's sourcesReady): from
 * now on, pods the runtime shows that are not in the table are orphans
 * (their manifest went away while no agent ran) and are removed. */
void agent_podmgr_sources_ready(struct agent_podmgr *m);
/* dh_now_ms() of the last relist that listed the runtime (the PLEG's
 * relist time; the open time before the first): the healthz check's
 * sign of life. */
uint64_t agent_podmgr_last_relist_ms(const struct agent_podmgr *m);
/* Starts stopping and removing the pod; forgets it once done. */
void agent_podmgr_remove(struct agent_podmgr *m, const char *uid);
/* The pods (not those being removed) as a core/v1 PodList sorted by
 * namespace/name, each with the agent's computed status (a new reference;
 * NULL on ENOMEM). */
json_t *agent_podmgr_pod_list(struct agent_podmgr *m);
