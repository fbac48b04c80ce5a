/* The probe worker's state machine (kubelet's prober/worker.go with the
 * results manager's "only on change" rule), on dh_loop timers: a tick
 * every period runs one step; a step looks at the container, decides
 * whether to probe, and the probe's outcome (asynchronous) moves the
 * result through the thresholds. A tick that comes while a probe runs is
 * kept and served when it ends, like Go's one-slot ticker channel. */
#include "probes/worker.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct probe_worker {
        struct dh_loop *loop;
        struct probe_worker_config cfg;
        const struct probe_worker_ops *ops;
        void *ud;
        enum probe_status initial; /* the result until the probe says otherwise */
        struct dh_timer *tick;
        bool ticked;          /* the first (jittered) tick has come */
        bool probing;         /* a probe is in flight */
        void *handle;         /* its handle */
        int attempts;         /* runs of this probe that errored */
        bool pending;         /* a tick or trigger came while probing */
        char *container_id;   /* the last container seen */
        bool have_result;     /* the cache for container_id */
        enum probe_status result;
        enum probe_status last; /* the last probe result and its run */
        uint32_t run;
        bool on_hold;
        bool stopped;
};

const char *probe_kind_name(enum probe_kind k)
{
        switch (k) {
        case PROBE_STARTUP: return "Startup";
        case PROBE_LIVENESS: return "Liveness";
        default: return "Readiness";
        }
}

const char *probe_status_name(enum probe_status s)
{
        switch (s) {
        case PROBE_STATUS_SUCCESS: return "success";
        case PROBE_STATUS_FAILURE: return "failure";
        default: return "unknown";
        }
}

/* Unset or zero take the default, as the API's defaulting does. */
static uint32_t positive(const struct dh_opt_i64 *v, uint32_t dflt)
{
        return v->set && v->v > 0 && v->v <= INT32_MAX ? (uint32_t)v->v : dflt;
}

void probe_worker_config_from_spec(const struct pod_probe *spec, enum probe_kind kind,
                                   struct probe_worker_config *out)
{
        *out = (struct probe_worker_config){
                .kind = kind,
                .initial_delay_ms = (uint64_t)positive(&spec->initialDelaySeconds, 0) * 1000,
                .period_ms = (uint64_t)positive(&spec->periodSeconds, 10) * 1000,
                .success_threshold = positive(&spec->successThreshold, 1),
                .failure_threshold = positive(&spec->failureThreshold, 3),
        };
}

static int64_t now_ms(struct probe_worker *w)
{
        return w->ops->now_ms ? w->ops->now_ms(w->ud) : dh_realtime_ns() / 1000000;
}

static void set_result(struct probe_worker *w, enum probe_status s)
{
        if (w->have_result && w->result == s)
                return;
        w->have_result = true;
        w->result = s;
        w->ops->result(w->ud, w, w->container_id, s);
}

/* Ends the worker; the stopped callback may free it, so nothing touches w
 * after this. */
static void stop(struct probe_worker *w)
{
        w->stopped = true;
        dh_timer_cancel(w->tick);
        w->tick = NULL;
        if (w->ops->stopped)
                w->ops->stopped(w->ud, w);
}

static void on_tick(struct dh_loop *l, void *ud);

static void arm(struct probe_worker *w, uint64_t ms)
{
        dh_timer_cancel(w->tick);
        /* Out of memory here leaves the worker idle until a trigger. */
        w->tick = dh_loop_timer(w->loop, ms, on_tick, w, NULL);
}

static void on_probe_done(void *ud, const struct probe_outcome *o);

static void start_probe(struct probe_worker *w)
{
        struct dh_err *err = NULL;
        w->probing = true;
        w->handle = w->ops->run(w->ud, w, w->container_id, on_probe_done, w, &err);
        if (w->handle) {
                dh_err_free(err);
                return;
        }
        /* Could not even start: an errored probe, thrown away. */
        w->probing = false;
        if (w->ops->probed) {
                struct probe_outcome o = { .result = PROBE_UNKNOWN,
                                           .output = err && err->msg ? err->msg : (char *)"probe not started" };
                w->ops->probed(w->ud, w, &o);
        }
        dh_err_free(err);
}

/* kubelet's doProbe up to running the probe; false: stop the worker. */
static bool step(struct probe_worker *w)
{
        struct probe_container_state st = { 0 };
        w->ops->state(w->ud, w, &st);
        if (!st.pod_known)
                return true;
        if (st.pod_terminated)
                return false;
        if (!st.container_id || !*st.container_id)
                return true; /* not created yet, or deleted */
        if (!w->container_id || strcmp(w->container_id, st.container_id) != 0) {
                char *id = strdup(st.container_id);
                if (!id)
                        return true; /* try again next tick */
                free(w->container_id);
                w->container_id = id;
                w->have_result = false; /* the old container's result is gone */
                set_result(w, w->initial);
                w->on_hold = false; /* a new container: probing resumes */
        }
        if (w->on_hold)
                return true;
        if (!st.running) {
                set_result(w, PROBE_STATUS_FAILURE);
                return !(st.terminated && st.restart_never);
        }
        if (st.pod_deleting && w->cfg.kind != PROBE_READINESS) {
                /* a quiet shutdown: liveness and startup end as successes */
                set_result(w, PROBE_STATUS_SUCCESS);
                return false;
        }
        if (now_ms(w) - st.started_at_ms < (int64_t)w->cfg.initial_delay_ms)
                return true;
        /* Startup probes stop once the container started; the others only
         * begin then. */
        if (st.started == (w->cfg.kind == PROBE_STARTUP))
                return true;
        w->attempts = 0;
        start_probe(w);
        return true;
}

/* A step, serving a tick that came while probing. */
static void step_or_stop(struct probe_worker *w)
{
        do {
                w->pending = false;
                if (!step(w)) {
                        stop(w);
                        return;
                }
        } while (w->pending && !w->probing);
}

static void record(struct probe_worker *w, enum probe_status s)
{
        if (w->last == s) {
                w->run++;
        } else {
                w->last = s;
                w->run = 1;
        }
        if ((s == PROBE_STATUS_FAILURE && w->run < w->cfg.failure_threshold) ||
            (s == PROBE_STATUS_SUCCESS && w->run < w->cfg.success_threshold))
                return; /* below the threshold: nothing changes */
        set_result(w, s);
        /* A failed liveness probe means a restart, and a startup probe is
         * decided either way: no more probes until a new container. */
        if ((w->cfg.kind == PROBE_LIVENESS && s == PROBE_STATUS_FAILURE) || w->cfg.kind == PROBE_STARTUP) {
                w->on_hold = true;
                w->run = 0;
        }
}

static void on_probe_done(void *ud, const struct probe_outcome *o)
{
        struct probe_worker *w = ud;
        w->probing = false;
        w->handle = NULL;
        if (w->ops->probed)
                w->ops->probed(w->ud, w, o);
        if (o->result == PROBE_UNKNOWN) {
                /* errored: retried, then thrown away */
                if (++w->attempts < PROBE_MAX_RETRIES) {
                        start_probe(w);
                        if (w->probing)
                                return;
                }
        } else {
                record(w, o->result == PROBE_FAILURE ? PROBE_STATUS_FAILURE : PROBE_STATUS_SUCCESS);
        }
        if (w->pending)
                step_or_stop(w);
}

static void on_tick(struct dh_loop *l, void *ud)
{
        (void)l;
        struct probe_worker *w = ud;
        w->tick = NULL;
        w->ticked = true;
        arm(w, w->cfg.period_ms);
        if (w->probing) {
                w->pending = true;
                return;
        }
        step_or_stop(w);
}

void probe_worker_trigger(struct probe_worker *w)
{
        if (w->stopped)
                return;
        if (w->probing || !w->ticked) {
                w->pending = true;
                return;
        }
        arm(w, w->cfg.period_ms);
        step_or_stop(w);
}

struct probe_worker *probe_worker_new(struct dh_loop *loop, const struct probe_worker_config *cfg,
                                      const struct probe_worker_ops *ops, void *ud,
                                      int64_t agent_start_ms, struct dh_err **err)
{
        struct probe_worker *w = calloc(1, sizeof *w);
        if (!w) {
                dh_err_set(err, ENOMEM, "out of memory");
                return NULL;
        }
        *w = (struct probe_worker){ .loop = loop, .cfg = *cfg, .ops = ops, .ud = ud };
        if (w->cfg.period_ms == 0)
                w->cfg.period_ms = 10000;
        w->initial = cfg->kind == PROBE_READINESS  ? PROBE_STATUS_FAILURE
                     : cfg->kind == PROBE_LIVENESS ? PROBE_STATUS_SUCCESS
                                                   : PROBE_STATUS_UNKNOWN;
        w->last = PROBE_STATUS_SUCCESS; /* Go's zero value of results.Result */
        /* After an agent restart every worker would fire at once: while the
         * agent is younger than a period, start at a random point of it. */
        uint64_t first = 0;
        int64_t age = now_ms(w) - agent_start_ms;
        if (age < (int64_t)w->cfg.period_ms) {
                double r = ops->rand01 ? ops->rand01(ud) : (double)random() / ((double)RAND_MAX + 1.0);
                first = (uint64_t)(r * (double)w->cfg.period_ms);
        }
        w->tick = dh_loop_timer(loop, first, on_tick, w, err);
        if (!w->tick) {
                free(w);
                return NULL;
        }
        return w;
}

void probe_worker_free(struct probe_worker *w)
{
        if (!w)
                return;
        dh_timer_cancel(w->tick);
        if (w->probing && w->ops->cancel)
                w->ops->cancel(w->ud, w->handle);
        free(w->container_id);
        free(w);
}

enum probe_kind probe_worker_kind(const struct probe_worker *w)
{
        return w->cfg.kind;
}

bool probe_worker_on_hold(const struct probe_worker *w)
{
        return w->on_hold;
}

bool probe_worker_stopped(const struct probe_worker *w)
{
        return w->stopped;
}

enum probe_status probe_worker_status(const struct probe_worker *w)
{
        return w->have_result ? w->result : PROBE_STATUS_UNKNOWN;
}
