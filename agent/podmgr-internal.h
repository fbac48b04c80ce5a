/* Shared between the pod manager's files: the pod table (podmgr.c), one
 * pod's sync (podsync.c, podsync-start.c) and the stop helpers
 * (podkill.c). */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "agent/podactions.h"
#include "agent/podmgr.h"
#include "agent/podruntime.h"
#include "agent/podstatus.h"
#include "agent/volumes.h"
#include "lib/backoff.h"
#include "lib/child.h"
#include "lib/http.h"
#include "probes/probe.h"

/* An exited container's termination message, read once (podtermmsg.c). */
struct pm_termmsg {
        char *id;
        char *msg; /* NULL: none */
};

struct pm_pod {
        char *uid;
        char *label;                        /* "name_namespace(uid)", kubelet's format.Pod */
        char *obj;                          /* "namespace/name", klog.KObj: pod="..." in logs */
        const struct agent_static_pod *sp;  /* NULL once removed */
        int64_t grace_s;
        bool pending;     /* a sync is wanted */
        bool recheck;     /* sync again at the next relist (back-off, failures) */
        bool terminating; /* removed: stop everything, then forget */
        struct dh_child *child; /* a stop or hook helper in flight */
        char *hook_container;   /* the container whose postStart hook runs */
        struct agent_podmgr *child_mgr; /* for the helper's callbacks */
        struct agent_pod_plan *plan; /* the plan the helper's kill belongs to */
        unsigned pulls;   /* image pulls in flight */
        uint64_t fingerprint; /* of the runtime's view at the last relist */
        int64_t start_time_ns;
        DH_VEC(struct agent_start_failure) failures; /* the reasonCache */
        DH_VEC(struct pm_termmsg) termmsgs;
        struct agent_pod_volumes vols;
        bool has_vols;
        struct agent_pod_status status;
        bool has_status;
        struct pm_prune *prune; /* podgc.c: an init container prune in flight */
        bool gc_hold;           /* podgc.c: a container GC round removes some of its own */
};

struct pm_pull;
struct pm_prober;
struct pm_prune;
struct pm_gc;

struct agent_podmgr {
        struct dh_loop *loop;
        struct rt *rt;
        char *root_dir, *cgroup_root, *runtime_name;
        const struct agent_node_info *node;
        struct agent_node_alloc alloc;
        struct dh_backoff crash_backoff, image_backoff;
        struct pm_pod **pods;
        size_t n;
        struct dh_timer *kick, *relist;
        struct dh_timer *trim; /* malloc_trim after a burst of syncs */
        /* The runtime's state token at the last full relist (rt_ops
         * state_token), and when that was. */
        uint64_t token, last_full_relist_ms;
        bool have_token;
        bool sources_ready;
        struct pm_pull *pulls; /* in flight; freed at close (the runtime drops them) */
        /* podprobes.c: the probe workers and what their probes use */
        struct pm_prober *probers;
        struct dh_http *http;
        struct probe_ctx probe_ctx;
        int64_t start_ms;
        struct pm_gc *gc;          /* podgc.c */
        uint64_t last_relist_ms;   /* dh_now_ms() of the last relist that listed */
};

#define AGENT_PODMGR_TRIM_DELAY_MS 1000

struct pm_pod *pm_find(struct agent_podmgr *m, const char *uid);
/* The relist's view of one pod: changes when a sandbox or container of
 * uid appears, goes or changes state. */
uint64_t pm_fingerprint(const char *uid, const struct rt_sandbox_list *sl,
                        const struct rt_container_list *cl);
/* Asks for a sync of p from the loop (never from inside the caller). */
void pm_schedule(struct agent_podmgr *m, struct pm_pod *p);
void pm_forget(struct agent_podmgr *m, struct pm_pod *p);
bool pm_busy(const struct pm_pod *p);

/* podsync.c: one sync of a pod that is not busy. */
void pm_sync(struct agent_podmgr *m, struct pm_pod *p);
/* The runtime's view of the pod (start failures and start time added).
 * fingerprint (may be NULL) gets what the relist would compute from it:
 * a sync records what it planned from, so the relist syncs the pod again
 * once its own actions show (a sidecar started: the next container). */
int pm_observe(struct agent_podmgr *m, struct pm_pod *p, struct agent_pod_runtime *out,
               uint64_t *fingerprint, struct dh_err **err);
/* After a kill helper: the rest of the stored plan. */
void pm_apply_after_kill(struct agent_podmgr *m, struct pm_pod *p);
void pm_update_status(struct agent_podmgr *m, struct pm_pod *p);

/* Start failures (the kubelet's reasonCache). */
int pm_failure_set(struct pm_pod *p, const char *name, const char *reason, const char *message);
void pm_failure_clear(struct pm_pod *p, const char *name);
void pm_failures_free(struct pm_pod *p);

/* podsync-start.c: the sandbox config and one container's start. */
int pm_sandbox_config(struct agent_podmgr *m, struct pm_pod *p, uint32_t attempt,
                      struct rt_sandbox_config *out, struct dh_err **err);
/* Starts container start->index; false when it did not start (the
 * failure is recorded, or a pull is under way). *id: the new container's
 * ID (the caller frees it). */
bool pm_start_container(struct agent_podmgr *m, struct pm_pod *p, const char *sandbox_id,
                        const struct rt_sandbox_config *scfg,
                        const struct agent_container_start *start, char **id);

/* Frees what pulls in flight carry (the runtime never calls back once
 * closed). */
void pm_pulls_free(struct agent_podmgr *m);

/* podkill.c: helpers. kill: stops the plan's containers (or, with
 * kill_pod, every container and the sandboxes) then pm_apply_after_kill;
 * terminate: stops and removes everything, tears the volumes down, then
 * forgets the pod. */
int pm_kill_start(struct agent_podmgr *m, struct pm_pod *p, struct dh_err **err);
int pm_terminate_start(struct agent_podmgr *m, struct pm_pod *p, struct dh_err **err);

/* podstop.c: stopping containers the kubelet's way, in a stop helper
 * (blocking). Each entry: preStop hook, its turn, then StopContainer. */
struct pm_stop {
        const char *id, *name;
        const struct pod_container *spec; /* NULL: no spec (an orphan's container) */
        int64_t grace_s;
        unsigned turn; /* 0: at once; sidecars wait for every lower turn to stop */
};
int pm_stop_containers(struct agent_podmgr *m, struct pm_pod *p, const struct pm_stop *v, size_t n,
                       int fd);
/* The spec of the container named name (NULL: none, or no spec), and its
 * turn when the pod stops (the last sidecar stops first, after the rest). */
const struct pod_container *pm_container_spec(const struct pm_pod *p, const char *name,
                                              unsigned *turn);
/* Runs a lifecycle hook, BLOCKING (helpers only): probe_hook_run's
 * result. */
int pm_run_hook(struct agent_podmgr *m, struct pm_pod *p, const char *kind,
                const struct pod_lifecycle_handler *handler, const struct pod_container *c,
                const char *container_id, int64_t timeout_ms, char **msg, struct dh_err **err);

/* podtermmsg.c: joins each exited container of cl's termination message
 * to r's container message, reading it only the first time it is seen. */
int pm_add_termination_messages(struct pm_pod *p, const struct rt_container_list *cl,
                                struct agent_pod_runtime *r, struct dh_err **err);
void pm_termmsgs_free(struct pm_pod *p);

/* podpoststart.c: a started container's postStart hook, in a helper; the
 * pod syncs again when it is done. */
bool pm_poststart_needed(const struct pod_container *c);
int pm_poststart_start(struct agent_podmgr *m, struct pm_pod *p, const struct pod_container *c,
                       const char *id, struct dh_err **err);

/* podprobes.c: probe workers of running containers (kubelet's prober
 * manager). open/close the prober's HTTP client and workers; ensure
 * creates workers for p's running containers with probes; forget frees
 * the workers of a pod; results are the current ones for p (out->v is
 * allocated, free it; -ENOMEM on failure). */
int pm_probes_open(struct agent_podmgr *m, struct dh_err **err);
void pm_probes_close(struct agent_podmgr *m);
void pm_probes_ensure(struct agent_podmgr *m, struct pm_pod *p);
void pm_probes_forget(struct agent_podmgr *m, const char *uid);
int pm_probe_results(struct agent_podmgr *m, const struct pm_pod *p, struct agent_container_results *out);
/* Where httpGet probes and hooks go by default: the pod IP, 127.0.0.1
 * for hostNetwork pods, NULL when there is none. */
const char *pm_pod_ip(const struct pm_pod *p);

/* podgc.c: container garbage collection (agent/containergc.h) in helpers.
 * open arms the periodic round; running: a round's helper is in flight
 * (no orphans are adopted meanwhile); prune_init_start removes the
 * pod's init container instances pruneInitContainersBeforeStart (or,
 * with purge, purgeInitContainers) names, holding the pod until done;
 * prune_free cancels one. */
int pm_gc_open(struct agent_podmgr *m, struct dh_err **err);
void pm_gc_close(struct agent_podmgr *m);
bool pm_gc_running(const struct agent_podmgr *m);
void pm_prune_init_start(struct agent_podmgr *m, struct pm_pod *p, bool purge);
void pm_prune_free(struct pm_prune *pr);
