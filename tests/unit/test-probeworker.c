/* The probe worker on a real dh_loop with short periods, a fake clock for
 * the container's start and the agent's age, scripted probe outcomes and a
 * scripted container: thresholds, initial delay, the jittered first tick,
 * startup gating, liveness on hold until a new container, retries of
 * errored probes, stopping, triggers and overlapping ticks. */
#include <errno.h>

#include "lib/loop.h"
#include "probes/worker.h"
#include "test.h"

#define MAX_LOG 256

struct fake {
        struct dh_loop *loop;
        struct probe_container_state st;
        char id[32];
        int64_t now;
        double rnd;
        enum probe_result script[MAX_LOG];
        size_t nscript, next;
        enum probe_result dflt;
        int run_ms;      /* how long a probe takes */
        int runs, in_flight, max_in_flight, cancels, probed, stopped;
        uint64_t t0, first_run_at;
        struct {
                char id[32];
                enum probe_status s;
        } res[MAX_LOG];
        size_t nres;
};

struct fake_op {
        struct fake *f;
        struct dh_timer *timer;
        probe_done_fn done;
        void *ud;
        enum probe_result r;
};

static void f_state(void *ud, struct probe_worker *w, struct probe_container_state *out)
{
        (void)w;
        struct fake *f = ud;
        *out = f->st;
        out->container_id = f->id;
}

static void op_fire(struct dh_loop *l, void *ud)
{
        (void)l;
        struct fake_op *op = ud;
        op->f->in_flight--;
        struct probe_outcome o = { .result = op->r, .output = (char *)"scripted" };
        probe_done_fn done = op->done;
        void *dud = op->ud;
        free(op);
        done(dud, &o);
}

static void *f_run(void *ud, struct probe_worker *w, const char *id, probe_done_fn done, void *done_ud,
                   struct dh_err **err)
{
        (void)w;
        struct fake *f = ud;
        if (strcmp(id, f->id) != 0) {
                dh_err_set(err, EINVAL, "probing %s, expected %s", id, f->id);
                return NULL;
        }
        struct fake_op *op = calloc(1, sizeof *op);
        op->f = f;
        op->done = done;
        op->ud = done_ud;
        op->r = f->next < f->nscript ? f->script[f->next++] : f->dflt;
        op->timer = dh_loop_timer(f->loop, (uint64_t)f->run_ms, op_fire, op, err);
        if (f->runs++ == 0)
                f->first_run_at = dh_now_ms() - f->t0;
        if (++f->in_flight > f->max_in_flight)
                f->max_in_flight = f->in_flight;
        return op;
}

static void f_cancel(void *ud, void *handle)
{
        struct fake *f = ud;
        struct fake_op *op = handle;
        dh_timer_cancel(op->timer);
        f->in_flight--;
        f->cancels++;
        free(op);
}

static void f_result(void *ud, struct probe_worker *w, const char *id, enum probe_status s)
{
        (void)w;
        struct fake *f = ud;
        if (f->nres < MAX_LOG) {
                snprintf(f->res[f->nres].id, sizeof f->res[0].id, "%s", id);
                f->res[f->nres++].s = s;
        }
}

static void f_probed(void *ud, struct probe_worker *w, const struct probe_outcome *o)
{
        (void)w;
        (void)o;
        ((struct fake *)ud)->probed++;
}

static void f_stopped(void *ud, struct probe_worker *w)
{
        (void)w;
        ((struct fake *)ud)->stopped++;
}

static int64_t f_now(void *ud)
{
        return ((struct fake *)ud)->now;
}

static double f_rand(void *ud)
{
        return ((struct fake *)ud)->rnd;
}

static const struct probe_worker_ops ops = {
        .state = f_state, .run = f_run, .cancel = f_cancel, .result = f_result,
        .probed = f_probed, .stopped = f_stopped, .now_ms = f_now, .rand01 = f_rand,
};

static void fake_init(struct fake *f, const char *script)
{
        memset(f, 0, sizeof *f);
        CHECK_INT(dh_loop_new(&f->loop, NULL), 0);
        snprintf(f->id, sizeof f->id, "c1");
        f->st = (struct probe_container_state){ .pod_known = true, .running = true, .started = true };
        f->now = 1000000; /* the agent (started at 0) is old: no jitter */
        f->dflt = PROBE_SUCCESS;
        for (const char *c = script; *c && f->nscript < MAX_LOG; c++)
                f->script[f->nscript++] = *c == 'S' ? PROBE_SUCCESS : *c == 'F' ? PROBE_FAILURE
                                        : *c == 'W' ? PROBE_WARNING : PROBE_UNKNOWN;
        f->t0 = dh_now_ms();
}

static struct probe_worker *worker(struct fake *f, enum probe_kind kind, uint64_t period_ms,
                                   uint32_t succ, uint32_t fail, int64_t agent_start)
{
        struct probe_worker_config cfg = { .kind = kind, .period_ms = period_ms, .success_threshold = succ,
                                           .failure_threshold = fail };
        struct probe_worker *w = probe_worker_new(f->loop, &cfg, &ops, f, agent_start, NULL);
        CHECK(w != NULL);
        return w;
}

static void on_quit(struct dh_loop *l, void *ud)
{
        (void)ud;
        dh_loop_quit(l, 0);
}

/* Runs the loop for ms milliseconds. */
static void spin(struct fake *f, uint64_t ms)
{
        dh_loop_timer(f->loop, ms, on_quit, NULL, NULL);
        dh_loop_run(f->loop);
}

struct until {
        struct fake *f;
        bool (*cond)(struct fake *f, int arg);
        int arg;
};

static void poll_cond(struct dh_loop *l, void *ud)
{
        struct until *u = ud;
        if (u->cond(u->f, u->arg) || !dh_loop_timer(l, 1, poll_cond, u, NULL))
                dh_loop_quit(l, 0);
}

/* Runs the loop until cond holds, at most 5 s; returns whether it held. */
static bool run_until(struct fake *f, bool (*cond)(struct fake *, int), int arg)
{
        struct until u = { f, cond, arg };
        struct dh_timer *guard = dh_loop_timer(f->loop, 5000, on_quit, NULL, NULL);
        dh_loop_timer(f->loop, 0, poll_cond, &u, NULL);
        dh_loop_run(f->loop);
        dh_timer_cancel(guard);
        return cond(f, arg);
}

static bool runs_at_least(struct fake *f, int n)
{
        return f->runs >= n && f->in_flight == 0;
}

static bool runs_started(struct fake *f, int n)
{
        return f->runs >= n;
}

static bool results_at_least(struct fake *f, int n)
{
        return (int)f->nres >= n;
}

static bool stopped(struct fake *f, int n)
{
        (void)n;
        return f->stopped > 0;
}

#define CHECK_RES(f, i, cid, status)                                   \
        do {                                                           \
                CHECK((f)->nres > (i));                                \
                if ((f)->nres > (i)) {                                 \
                        CHECK_STR((f)->res[i].id, cid);                \
                        CHECK_STR(probe_status_name((f)->res[i].s),    \
                                  probe_status_name(status));          \
                }                                                      \
        } while (0)

TEST(liveness_failure_threshold_then_on_hold_until_new_container)
{
        struct fake f;
        fake_init(&f, "SFFSFFF");
        struct probe_worker *w = worker(&f, PROBE_LIVENESS, 5, 1, 3, 0);
        CHECK(run_until(&f, runs_at_least, 7));
        spin(&f, 60); /* on hold: no more probes */
        CHECK_INT(f.runs, 7);
        CHECK(probe_worker_on_hold(w));
        /* the initial success, then the failure at the third in a row */
        CHECK_INT(f.nres, 2);
        CHECK_RES(&f, 0, "c1", PROBE_STATUS_SUCCESS);
        CHECK_RES(&f, 1, "c1", PROBE_STATUS_FAILURE);
        CHECK_INT(probe_worker_status(w), PROBE_STATUS_FAILURE);

        /* the container restarts: a new ID, the initial result, probing again */
        snprintf(f.id, sizeof f.id, "c2");
        CHECK(run_until(&f, runs_at_least, 10));
        CHECK(!probe_worker_on_hold(w));
        CHECK_INT(f.nres, 3);
        CHECK_RES(&f, 2, "c2", PROBE_STATUS_SUCCESS);
        CHECK_INT(f.max_in_flight, 1);
        probe_worker_free(w);
        dh_loop_free(f.loop);
}

TEST(readiness_waits_for_startup_and_counts_successes)
{
        struct fake f;
        fake_init(&f, "SSFSS");
        f.st.started = false;
        struct probe_worker *w = worker(&f, PROBE_READINESS, 5, 2, 1, 0);
        spin(&f, 50);
        CHECK_INT(f.runs, 0); /* not started: readiness stays false, unprobed */
        CHECK_INT(f.nres, 1);
        CHECK_RES(&f, 0, "c1", PROBE_STATUS_FAILURE);
        f.st.started = true;
        CHECK(run_until(&f, runs_at_least, 5));
        /* S S: ready at the second; F: not ready at once; S S: ready again */
        CHECK_INT(f.nres, 4);
        CHECK_RES(&f, 1, "c1", PROBE_STATUS_SUCCESS);
        CHECK_RES(&f, 2, "c1", PROBE_STATUS_FAILURE);
        CHECK_RES(&f, 3, "c1", PROBE_STATUS_SUCCESS);
        /* readiness never holds: it keeps probing */
        CHECK(run_until(&f, runs_at_least, 8));
        CHECK(!probe_worker_on_hold(w));
        probe_worker_free(w);
        dh_loop_free(f.loop);
}

TEST(startup_probe_gates_and_then_holds)
{
        struct fake f;
        fake_init(&f, "FFS");
        f.st.started = false;
        struct probe_worker *w = worker(&f, PROBE_STARTUP, 5, 1, 3, 0);
        CHECK(run_until(&f, runs_at_least, 3));
        spin(&f, 50);
        CHECK_INT(f.runs, 3); /* decided: on hold */
        CHECK_INT(f.nres, 2);
        CHECK_RES(&f, 0, "c1", PROBE_STATUS_UNKNOWN);
        CHECK_RES(&f, 1, "c1", PROBE_STATUS_SUCCESS);
        probe_worker_free(w);

        /* failing past the threshold decides it too */
        f.nres = 0;
        f.runs = 0;
        f.next = 0;
        f.nscript = 3;
        f.script[0] = f.script[1] = f.script[2] = PROBE_FAILURE;
        w = worker(&f, PROBE_STARTUP, 5, 1, 3, 0);
        CHECK(run_until(&f, runs_at_least, 3));
        spin(&f, 50);
        CHECK_INT(f.runs, 3);
        CHECK_RES(&f, 1, "c1", PROBE_STATUS_FAILURE);
        CHECK(probe_worker_on_hold(w));
        probe_worker_free(w);

        /* once the container started, a startup worker does not probe */
        f.st.started = true;
        f.runs = 0;
        w = worker(&f, PROBE_STARTUP, 5, 1, 3, 0);
        spin(&f, 50);
        CHECK_INT(f.runs, 0);
        probe_worker_free(w);
        dh_loop_free(f.loop);
}

TEST(initial_delay_counts_from_the_container_start)
{
        struct fake f;
        fake_init(&f, "");
        f.st.started_at_ms = f.now;
        struct probe_worker_config cfg = { .kind = PROBE_LIVENESS, .period_ms = 5, .initial_delay_ms = 500,
                                           .success_threshold = 1, .failure_threshold = 3 };
        struct probe_worker *w = probe_worker_new(f.loop, &cfg, &ops, &f, 0, NULL);
        spin(&f, 40);
        CHECK_INT(f.runs, 0);
        f.now += 499;
        spin(&f, 40);
        CHECK_INT(f.runs, 0);
        f.now += 1;
        CHECK(run_until(&f, runs_at_least, 2));
        probe_worker_free(w);
        dh_loop_free(f.loop);
}

TEST(first_tick_jittered_while_the_agent_is_young)
{
        struct fake f;
        fake_init(&f, "");
        f.rnd = 0.5;
        /* the agent started just now: wait half of the 300 ms period */
        struct probe_worker *w = worker(&f, PROBE_LIVENESS, 300, 1, 3, f.now - 10);
        CHECK(run_until(&f, runs_at_least, 1));
        CHECK(f.first_run_at >= 148);
        probe_worker_free(w);

        /* an old agent probes at once, whatever the dice say */
        f.runs = 0;
        f.rnd = 0.9;
        f.t0 = dh_now_ms();
        w = worker(&f, PROBE_LIVENESS, 2000, 1, 3, 0);
        CHECK(run_until(&f, runs_at_least, 1));
        CHECK(f.first_run_at < 1000);
        probe_worker_free(w);
        dh_loop_free(f.loop);
}

TEST(errored_probes_retried_then_thrown_away)
{
        struct fake f;
        fake_init(&f, "UUUFUS");
        struct probe_worker *w = worker(&f, PROBE_LIVENESS, 20, 1, 1, 0);
        /* one tick: three attempts, all errors, no change */
        CHECK(run_until(&f, runs_at_least, 3));
        CHECK_INT(f.nres, 1);
        CHECK_INT(f.probed, 3);
        /* the next tick fails for real */
        CHECK(run_until(&f, results_at_least, 2));
        CHECK_RES(&f, 1, "c1", PROBE_STATUS_FAILURE);
        CHECK_INT(f.runs, 4);
        probe_worker_free(w);
        dh_loop_free(f.loop);
}

TEST(warnings_count_as_success)
{
        struct fake f;
        fake_init(&f, "WW");
        struct probe_worker *w = worker(&f, PROBE_READINESS, 5, 2, 3, 0);
        CHECK(run_until(&f, results_at_least, 2));
        CHECK_RES(&f, 1, "c1", PROBE_STATUS_SUCCESS);
        probe_worker_free(w);
        dh_loop_free(f.loop);
}

TEST(stopping_conditions)
{
        struct fake f;
        fake_init(&f, "");
        /* exited, restartPolicy Never: failure, then the worker ends */
        f.st.running = false;
        f.st.terminated = true;
        f.st.restart_never = true;
        struct probe_worker *w = worker(&f, PROBE_READINESS, 5, 1, 3, 0);
        CHECK(run_until(&f, stopped, 0));
        CHECK(probe_worker_stopped(w));
        CHECK_INT(f.runs, 0);
        CHECK_RES(&f, 0, "c1", PROBE_STATUS_FAILURE);
        probe_worker_free(w);

        /* exited but will restart: failure, and it keeps watching */
        f.stopped = 0;
        f.nres = 0;
        f.st.restart_never = false;
        w = worker(&f, PROBE_LIVENESS, 5, 1, 3, 0);
        spin(&f, 40);
        CHECK_INT(f.stopped, 0);
        CHECK_INT(f.nres, 2);
        CHECK_RES(&f, 0, "c1", PROBE_STATUS_SUCCESS);
        CHECK_RES(&f, 1, "c1", PROBE_STATUS_FAILURE);
        probe_worker_free(w);

        /* the pod is being deleted: liveness ends as a success */
        f.nres = 0;
        f.st.running = true;
        f.st.terminated = false;
        f.st.pod_deleting = true;
        snprintf(f.id, sizeof f.id, "c3");
        w = worker(&f, PROBE_LIVENESS, 5, 1, 3, 0);
        CHECK(run_until(&f, stopped, 0));
        CHECK_INT(f.runs, 0);
        CHECK_INT(f.nres, 1);
        CHECK_RES(&f, 0, "c3", PROBE_STATUS_SUCCESS);
        probe_worker_free(w);

        /* the pod terminated: the worker ends without a word */
        f.stopped = 0;
        f.nres = 0;
        f.st.pod_terminated = true;
        w = worker(&f, PROBE_READINESS, 5, 1, 3, 0);
        CHECK(run_until(&f, stopped, 0));
        CHECK_INT(f.nres, 0);
        probe_worker_free(w);
        dh_loop_free(f.loop);
}

TEST(no_container_yet_means_waiting)
{
        struct fake f;
        fake_init(&f, "");
        f.id[0] = '\0';
        struct probe_worker *w = worker(&f, PROBE_READINESS, 5, 1, 3, 0);
        spin(&f, 30);
        CHECK_INT(f.runs, 0);
        CHECK_INT(f.nres, 0);
        snprintf(f.id, sizeof f.id, "c9");
        CHECK(run_until(&f, runs_at_least, 1));
        CHECK_RES(&f, 0, "c9", PROBE_STATUS_FAILURE);
        probe_worker_free(w);
        dh_loop_free(f.loop);
}

TEST(slow_probes_never_overlap)
{
        struct fake f;
        fake_init(&f, "");
        f.run_ms = 30; /* longer than the 5 ms period */
        struct probe_worker *w = worker(&f, PROBE_READINESS, 5, 1, 3, 0);
        uint64_t t0 = dh_now_ms();
        CHECK(run_until(&f, runs_started, 5));
        CHECK_INT(f.max_in_flight, 1);
        /* back to back: each tick missed during a probe is served when it ends */
        CHECK(dh_now_ms() - t0 >= 4 * 30);
        /* freed mid-probe: the probe is cancelled, no callbacks after */
        for (int i = 0; i < 1000 && f.in_flight == 0; i++)
                spin(&f, 1);
        CHECK_INT(f.in_flight, 1);
        size_t nres = f.nres;
        int probed = f.probed;
        probe_worker_free(w);
        CHECK_INT(f.cancels, 1);
        CHECK_INT(f.in_flight, 0);
        spin(&f, 50);
        CHECK_INT(f.nres, nres);
        CHECK_INT(f.probed, probed);
        dh_loop_free(f.loop);
}

TEST(trigger_probes_now)
{
        struct fake f;
        fake_init(&f, "");
        struct probe_worker *w = worker(&f, PROBE_READINESS, 60000, 1, 3, 0);
        CHECK(run_until(&f, runs_at_least, 1));
        spin(&f, 20);
        CHECK_INT(f.runs, 1);
        probe_worker_trigger(w);
        CHECK(run_until(&f, runs_at_least, 2));
        CHECK_INT(f.runs, 2);
        probe_worker_free(w);
        dh_loop_free(f.loop);
}

TEST(config_from_spec_defaults)
{
        struct pod_probe p = { 0 };
        struct probe_worker_config c;
        probe_worker_config_from_spec(&p, PROBE_LIVENESS, &c);
        CHECK_INT(c.period_ms, 10000);
        CHECK_INT(c.initial_delay_ms, 0);
        CHECK_INT(c.success_threshold, 1);
        CHECK_INT(c.failure_threshold, 3);
        p.periodSeconds = (struct dh_opt_i64){ .set = true, .v = 3 };
        p.initialDelaySeconds = (struct dh_opt_i64){ .set = true, .v = 7 };
        p.failureThreshold = (struct dh_opt_i64){ .set = true, .v = 5 };
        probe_worker_config_from_spec(&p, PROBE_READINESS, &c);
        CHECK_INT(c.period_ms, 3000);
        CHECK_INT(c.initial_delay_ms, 7000);
        CHECK_INT(c.failure_threshold, 5);
        CHECK_INT(c.kind, PROBE_READINESS);
}

TEST_MAIN()
