/* The per-container probe worker (kubelet's prober worker and its results
 * cache): one per container and probe kind, ticking every period on the
 * dh_loop (the first tick jittered while the agent is young), skipping
 * the initial delay, counting equal results against the success and
 * failure thresholds, gating liveness and readiness on startup, holding
 * after a liveness failure or a decided startup probe until a new
 * container, and reporting the result only when it changes (and the
 * first one per container). The container's state, the probe run, the
 * clock and the randomness come from the caller. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "lib/err.h"
#include "lib/loop.h"
#include "pod/types.h"
#include "probes/probe.h"

enum probe_kind { PROBE_STARTUP, PROBE_LIVENESS, PROBE_READINESS };
const char *probe_kind_name(enum probe_kind k); /* "Startup", "Liveness", "Readiness" */

/* The results a worker reports: kubelet's results.Result. */
enum probe_status { PROBE_STATUS_UNKNOWN, PROBE_STATUS_SUCCESS, PROBE_STATUS_FAILURE };
const char *probe_status_name(enum probe_status s);

/* kubelet retries a probe that errored (PROBE_UNKNOWN) this many times
 * before throwing the result away. */
#define PROBE_MAX_RETRIES 3

struct probe_worker_config {
        enum probe_kind kind;
        uint64_t initial_delay_ms, period_ms;
        uint32_t success_threshold, failure_threshold;
};
/* From a defaulted pod_probe (seconds to ms; unset or 0: kubelet's
 * defaults, period 10 s, thresholds 1 and 3). */
void probe_worker_config_from_spec(const struct pod_probe *spec, enum probe_kind kind,
                                   struct probe_worker_config *out);

/* The container as the agent's status knows it at a tick. */
struct probe_container_state {
        bool pod_known;       /* false: no status for the pod yet */
        bool pod_terminated;  /* phase Succeeded or Failed: the worker stops */
        bool pod_deleting;    /* deletionTimestamp set */
        bool restart_never;   /* restartPolicy Never */
        const char *container_id; /* NULL or "": not created yet */
        bool running;
        bool terminated;
        int64_t started_at_ms; /* when it started running, in ops.now_ms's clock */
        bool started;          /* the startup probe succeeded, or there is none */
};

struct probe_worker;

struct probe_worker_ops {
        /* Fills in the container's current state. */
        void (*state)(void *ud, struct probe_worker *w, struct probe_container_state *out);
        /* Starts one probe of container_id, to finish with done(done_ud, ...)
         * from the loop; returns a handle for cancel, or NULL with err set. */
        void *(*run)(void *ud, struct probe_worker *w, const char *container_id, probe_done_fn done,
                     void *done_ud, struct dh_err **err);
        void (*cancel)(void *ud, void *handle);
        /* The result for container_id changed (or is the container's first). */
        void (*result)(void *ud, struct probe_worker *w, const char *container_id, enum probe_status s);
        /* Optional: every probe's outcome, for events ("Liveness probe
         * failed: ..."). */
        void (*probed)(void *ud, struct probe_worker *w, const struct probe_outcome *o);
        /* Optional: the worker stopped for good (pod terminated, container
         * won't restart, pod deleting); the callee may free it. */
        void (*stopped)(void *ud, struct probe_worker *w);
        /* Optional: the clock of started_at_ms and agent_start_ms (NULL:
         * CLOCK_REALTIME in ms) and a random number in [0, 1) (NULL: random()). */
        int64_t (*now_ms)(void *ud);
        double (*rand01)(void *ud);
};

/* Creates the worker and schedules its first tick: after a random part of
 * the period if the agent started less than a period ago (agent_start_ms,
 * ops.now_ms's clock), else at once. ops and ud must outlive it. */
struct probe_worker *probe_worker_new(struct dh_loop *loop, const struct probe_worker_config *cfg,
                                      const struct probe_worker_ops *ops, void *ud,
                                      int64_t agent_start_ms, struct dh_err **err);
/* Stops timers and any probe in flight; no callbacks after. Accepts NULL. */
void probe_worker_free(struct probe_worker *w);
/* Probes now and restarts the period from here (kubelet's manual trigger,
 * e.g. readiness right after startup succeeded); while a probe runs, the
 * next one follows it at once. */
void probe_worker_trigger(struct probe_worker *w);

enum probe_kind probe_worker_kind(const struct probe_worker *w);
bool probe_worker_on_hold(const struct probe_worker *w);
bool probe_worker_stopped(const struct probe_worker *w);
/* The cached result for the current container (UNKNOWN when none). */
enum probe_status probe_worker_status(const struct probe_worker *w);
