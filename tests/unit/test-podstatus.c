/* agent/podstatus: generateAPIPodStatus and getPhase, after the kubelet's
 * kubelet_pods_test.go (TestPodPhaseWithRestartAlways/Never/OnFailure,
 * ...WithInitContainers, ...WithRestartableInitContainers,
 * TestGenerateAPIPodStatus*, TestConvertToAPIContainerStatuses) and
 * status/generate_test.go (the conditions and their messages). */
#include <string.h>

#include "agent/podstatus.h"
#include "lib/cleanup.h"
#include "pod/pod.h"
#include "test.h"

#define S(x) ((int64_t)(x) * 1000000000LL)
#define T0 S(1700000000) /* 2023-11-14T22:13:20Z */

static const char base_pod[] =
        "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"foo\","
        "\"namespace\":\"foo-ns\",\"uid\":\"12345678\"},\"spec\":{\"containers\":["
        "{\"name\":\"foo1\",\"image\":\"busybox\"},{\"name\":\"foo2\",\"image\":\"busybox\"}]}}";
static const char init_pod[] =
        "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"foo\","
        "\"namespace\":\"foo-ns\",\"uid\":\"12345678\"},\"spec\":{\"initContainers\":["
        "{\"name\":\"init1\",\"image\":\"bar\"},{\"name\":\"init2\",\"image\":\"bar\"},"
        "{\"name\":\"init3\",\"image\":\"bar\"}],\"containers\":["
        "{\"name\":\"foo1\",\"image\":\"busybox\"},{\"name\":\"foo2\",\"image\":\"busybox\"}]}}";
static const char sidecar_pod[] =
        "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"foo\","
        "\"namespace\":\"foo-ns\",\"uid\":\"12345678\"},\"spec\":{\"initContainers\":["
        "{\"name\":\"sidecar\",\"image\":\"bar\",\"restartPolicy\":\"Always\","
        "\"startupProbe\":{\"exec\":{\"command\":[\"true\"]}}}],\"containers\":["
        "{\"name\":\"foo1\",\"image\":\"busybox\"},{\"name\":\"foo2\",\"image\":\"busybox\"}]}}";

struct fx {
        struct pod_set set;
        struct pod *pod;
        struct agent_pod_runtime obs;
        struct agent_container_result results[8];
        size_t n_results;
        int64_t now;
        int64_t created;
};

static char *xstrdup(const char *s)
{
        return s ? strdup(s) : NULL;
}

static void fx_init(struct fx *f, const char *json, const char *policy)
{
        memset(f, 0, sizeof *f);
        struct dh_err *e = NULL;
        if (pod_load_buffer(json, strlen(json), &f->set, &e) < 0 || f->set.n != 1) {
                TEST_FAIL_("pod does not load: %s", e ? e->msg : "?");
                abort();
        }
        f->pod = f->set.v[0].pod;
        if (policy) {
                free(f->pod->spec.restartPolicy);
                f->pod->spec.restartPolicy = strdup(policy);
        }
        f->obs.runtime_name = strdup("deckhand");
        f->now = T0 + S(100);
        f->created = 1000;
}

static void fx_free(struct fx *f)
{
        agent_pod_runtime_free(&f->obs);
        pod_set_free(&f->set);
}

static void add_sandbox(struct fx *f, enum rt_sandbox_state st)
{
        struct agent_pod_runtime *r = &f->obs;
        r->sandboxes.v = realloc(r->sandboxes.v, (r->sandboxes.n + 1) * sizeof *r->sandboxes.v);
        r->sandboxes.v[r->sandboxes.n++] = (struct agent_sandbox_observed){
                .id = strdup("sandboxID"), .state = st, .network_mode = RT_NS_POD,
        };
}

/* Instances are added newest first. */
static struct agent_container_observed *add(struct fx *f, const char *id, const char *name,
                                            enum rt_container_state st, int32_t exit_code)
{
        struct agent_pod_runtime *r = &f->obs;
        r->containers.v = realloc(r->containers.v, (r->containers.n + 1) * sizeof *r->containers.v);
        struct agent_container_observed *c = &r->containers.v[r->containers.n++];
        *c = (struct agent_container_observed){
                .id = strdup(id), .sandbox_id = strdup("sandboxID"), .name = strdup(name),
                .state = st, .exit_code = exit_code, .created_at = f->created--,
                .started_at = T0 + S(10), .image = strdup("docker.io/library/busybox:latest"),
                .image_ref = strdup("sha256:abc"),
                .finished_at = st == RT_CONTAINER_EXITED ? T0 + S(20) : 0,
                .reason = xstrdup(st == RT_CONTAINER_EXITED ? (exit_code ? "Error" : "Completed") : NULL),
        };
        return c;
}

static void add_failure(struct fx *f, const char *name, const char *reason, const char *message)
{
        struct agent_pod_runtime *r = &f->obs;
        r->start_failures.v = realloc(r->start_failures.v,
                                      (r->start_failures.n + 1) * sizeof *r->start_failures.v);
        r->start_failures.v[r->start_failures.n++] = (struct agent_start_failure){
                strdup(name), strdup(reason), strdup(message),
        };
}

static void gen(struct fx *f, const struct agent_pod_status *prev, struct agent_pod_status *out)
{
        struct agent_container_results r = { f->results, f->n_results };
        struct dh_err *e = NULL;
        if (agent_pod_status(f->pod, &f->obs, &r, prev, f->now, out, &e) < 0) {
                TEST_FAIL_("agent_pod_status: %s", e->msg);
                dh_err_free(e);
                *out = (struct agent_pod_status){ 0 };
        }
}

static const struct agent_pod_condition *find_cond(const struct agent_pod_status *s, const char *type)
{
        for (size_t i = 0; i < s->n_conditions; i++)
                if (strcmp(s->conditions[i].type, type) == 0)
                        return &s->conditions[i];
        return NULL;
}

static const struct agent_pod_condition *cond(const struct agent_pod_status *s, const char *type)
{
        const struct agent_pod_condition *c = find_cond(s, type);
        if (!c) {
                TEST_FAIL_("no condition %s", type);
                abort();
        }
        return c;
}

static void check_cond(const struct agent_pod_status *s, const char *type, bool status,
                       const char *reason, const char *message)
{
        const struct agent_pod_condition *c = find_cond(s, type);
        if (!c) {
                TEST_FAIL_("no condition %s", type);
                return;
        }
        if (c->status != status)
                TEST_FAIL_("condition %s is %d, want %d", type, c->status, status);
        if (reason)
                CHECK_STR(c->reason, reason);
        else if (c->reason)
                TEST_FAIL_("condition %s has reason %s, want none", type, c->reason);
        if (message)
                CHECK_STR(c->message, message);
        else if (c->message)
                TEST_FAIL_("condition %s has message %s, want none", type, c->message);
}

static const struct agent_container_status *cs(const struct agent_pod_status *s, const char *name)
{
        for (size_t i = 0; i < s->container_statuses.n; i++)
                if (strcmp(s->container_statuses.v[i].name, name) == 0)
                        return &s->container_statuses.v[i];
        for (size_t i = 0; i < s->init_container_statuses.n; i++)
                if (strcmp(s->init_container_statuses.v[i].name, name) == 0)
                        return &s->init_container_statuses.v[i];
        TEST_FAIL_("no status for %s", name);
        abort();
}

/* --- getPhase over hand-made statuses --- */

enum st { RUN, RUN_UNSTARTED, OK0, FAIL1, WAIT, WAIT_AFTER_OK, WAIT_AFTER_FAIL, MISSING };

static struct agent_container_status mk(const char *name, enum st st)
{
        struct agent_container_status s = { .name = (char *)name };
        switch (st) {
        case RUN:
                s.state.kind = AGENT_STATE_RUNNING;
                s.started = (struct dh_opt_bool){ true, true };
                break;
        case RUN_UNSTARTED:
                s.state.kind = AGENT_STATE_RUNNING;
                s.started = (struct dh_opt_bool){ false, true };
                break;
        case OK0:
                s.state.kind = AGENT_STATE_TERMINATED;
                break;
        case FAIL1:
                s.state.kind = AGENT_STATE_TERMINATED;
                s.state.exit_code = 1;
                break;
        case WAIT:
                s.state.kind = AGENT_STATE_WAITING;
                break;
        case WAIT_AFTER_OK:
        case WAIT_AFTER_FAIL:
                s.state.kind = AGENT_STATE_WAITING;
                s.last_state.kind = AGENT_STATE_TERMINATED;
                s.last_state.exit_code = st == WAIT_AFTER_FAIL ? 1 : 0;
                break;
        case MISSING:
                break;
        }
        return s;
}

struct phase_case {
        const char *name;
        const char *pod;
        const char *policy;
        enum st init[3];   /* for the pod's init containers, in order */
        enum st regular[2];
        bool initialized;
        enum agent_pod_phase want;
};

static void run_phase_cases(const struct phase_case *cases, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                struct fx f;
                fx_init(&f, cases[i].pod, cases[i].policy);
                struct agent_container_status regular[2], init[3];
                struct agent_pod_status s = { 0 };
                for (size_t j = 0; j < f.pod->spec.containers.n; j++)
                        if (cases[i].regular[j] != MISSING)
                                regular[s.container_statuses.n++] =
                                        mk(f.pod->spec.containers.v[j].name, cases[i].regular[j]);
                for (size_t j = 0; j < f.pod->spec.initContainers.n; j++)
                        if (cases[i].init[j] != MISSING)
                                init[s.init_container_statuses.n++] =
                                        mk(f.pod->spec.initContainers.v[j].name, cases[i].init[j]);
                s.container_statuses.v = regular;
                s.init_container_statuses.v = init;
                enum agent_pod_phase got = agent_pod_phase(f.pod, &s, cases[i].initialized);
                if (got != cases[i].want)
                        TEST_FAIL_("%s: phase %s, want %s", cases[i].name, agent_pod_phase_name(got),
                                   agent_pod_phase_name(cases[i].want));
                fx_free(&f);
        }
}

TEST(phase_with_restart_policies)
{
        static const struct phase_case cases[] = {
                /* TestPodPhaseWithRestartAlways */
                { "Always: all running", base_pod, "Always", {}, { RUN, RUN }, false, AGENT_PHASE_RUNNING },
                { "Always: all stopped", base_pod, "Always", {}, { OK0, FAIL1 }, false, AGENT_PHASE_RUNNING },
                { "Always: mixed", base_pod, "Always", {}, { RUN, FAIL1 }, false, AGENT_PHASE_RUNNING },
                { "Always: one missing", base_pod, "Always", {}, { RUN, MISSING }, false, AGENT_PHASE_PENDING },
                { "Always: one waiting", base_pod, "Always", {}, { RUN, WAIT }, false, AGENT_PHASE_PENDING },
                { "Always: waiting after a run", base_pod, "Always", {}, { RUN, WAIT_AFTER_FAIL }, false,
                  AGENT_PHASE_RUNNING },
                /* TestPodPhaseWithRestartNever */
                { "Never: all running", base_pod, "Never", {}, { RUN, RUN }, false, AGENT_PHASE_RUNNING },
                { "Never: all succeeded", base_pod, "Never", {}, { OK0, OK0 }, false, AGENT_PHASE_SUCCEEDED },
                { "Never: all stopped, one failed", base_pod, "Never", {}, { OK0, FAIL1 }, false,
                  AGENT_PHASE_FAILED },
                { "Never: mixed", base_pod, "Never", {}, { RUN, FAIL1 }, false, AGENT_PHASE_RUNNING },
                { "Never: one waiting", base_pod, "Never", {}, { RUN, WAIT }, false, AGENT_PHASE_PENDING },
                /* TestPodPhaseWithRestartOnFailure */
                { "OnFailure: all running", base_pod, "OnFailure", {}, { RUN, RUN }, false, AGENT_PHASE_RUNNING },
                { "OnFailure: all succeeded", base_pod, "OnFailure", {}, { OK0, OK0 }, false,
                  AGENT_PHASE_SUCCEEDED },
                { "OnFailure: one failed, restarting", base_pod, "OnFailure", {}, { OK0, FAIL1 }, false,
                  AGENT_PHASE_RUNNING },
                { "OnFailure: waiting after a failure", base_pod, "OnFailure", {}, { OK0, WAIT_AFTER_FAIL },
                  false, AGENT_PHASE_RUNNING },
                { "OnFailure: one waiting", base_pod, "OnFailure", {}, { RUN, WAIT }, false, AGENT_PHASE_PENDING },
        };
        run_phase_cases(cases, DH_ARRAY_SIZE(cases));
}

TEST(phase_with_init_containers_and_sidecars)
{
        static const struct phase_case cases[] = {
                /* TestPodPhaseWithRestartAlwaysInitContainers / Never */
                { "init running", init_pod, "Always", { OK0, RUN, WAIT }, { WAIT, WAIT }, false,
                  AGENT_PHASE_PENDING },
                { "init waiting after a failure (Always)", init_pod, "Always", { WAIT_AFTER_FAIL, WAIT, WAIT },
                  { WAIT, WAIT }, false, AGENT_PHASE_PENDING },
                { "init failed (Never)", init_pod, "Never", { OK0, FAIL1, WAIT }, { WAIT, WAIT }, false,
                  AGENT_PHASE_FAILED },
                { "init waiting after a failure (Never)", init_pod, "Never", { WAIT_AFTER_FAIL, WAIT, WAIT },
                  { WAIT, WAIT }, false, AGENT_PHASE_FAILED },
                { "init done, containers running", init_pod, "Always", { OK0, OK0, OK0 }, { RUN, RUN }, true,
                  AGENT_PHASE_RUNNING },
                { "init done, containers succeeded (Never)", init_pod, "Never", { OK0, OK0, OK0 },
                  { OK0, OK0 }, true, AGENT_PHASE_SUCCEEDED },
                /* TestPodPhaseWithRestartAlwaysRestartableInitContainers */
                { "sidecar waiting", sidecar_pod, "Always", { WAIT }, { WAIT, WAIT }, false, AGENT_PHASE_PENDING },
                { "sidecar running, not started", sidecar_pod, "Always", { RUN_UNSTARTED }, { WAIT, WAIT },
                  false, AGENT_PHASE_PENDING },
                { "sidecar started, containers running", sidecar_pod, "Always", { RUN }, { RUN, RUN }, true,
                  AGENT_PHASE_RUNNING },
                { "sidecar restarting after initialization", sidecar_pod, "Always", { RUN_UNSTARTED },
                  { RUN, RUN }, true, AGENT_PHASE_RUNNING },
                { "sidecar crashed after initialization", sidecar_pod, "Always", { WAIT_AFTER_FAIL },
                  { RUN, RUN }, true, AGENT_PHASE_RUNNING },
                { "containers succeeded, sidecar still running (Never)", sidecar_pod, "Never", { RUN },
                  { OK0, OK0 }, true, AGENT_PHASE_RUNNING },
                { "containers succeeded, sidecar stopped (Never)", sidecar_pod, "Never", { FAIL1 },
                  { OK0, OK0 }, true, AGENT_PHASE_SUCCEEDED },
                { "container failed, sidecar stopped (Never)", sidecar_pod, "Never", { OK0 },
                  { OK0, FAIL1 }, true, AGENT_PHASE_FAILED },
        };
        run_phase_cases(cases, DH_ARRAY_SIZE(cases));
}

/* --- generateAPIPodStatus --- */

TEST(new_pod_is_pending_with_containers_creating)
{
        struct fx f;
        fx_init(&f, base_pod, NULL);
        struct agent_pod_status s;
        gen(&f, NULL, &s);
        CHECK_INT(s.phase, AGENT_PHASE_PENDING);
        CHECK_INT(s.start_time_ns, f.now);
        CHECK_INT(s.qos_class, POD_QOS_BEST_EFFORT);
        CHECK(s.pod_ip == NULL && s.host_ip == NULL);
        CHECK_INT(s.container_statuses.n, 2);
        CHECK_INT(s.init_container_statuses.n, 0);
        const struct agent_container_status *c = cs(&s, "foo1");
        CHECK_INT(c->state.kind, AGENT_STATE_WAITING);
        CHECK_STR(c->state.reason, "ContainerCreating");
        CHECK_STR(c->image, "busybox");
        CHECK_STR(c->image_id, "");
        CHECK(c->container_id == NULL);
        CHECK(!c->ready);
        CHECK(c->started.set && !c->started.v);
        CHECK_INT(s.n_conditions, 5);
        CHECK_STR(s.conditions[0].type, "PodReadyToStartContainers");
        CHECK_STR(s.conditions[1].type, "Initialized");
        CHECK_STR(s.conditions[2].type, "Ready");
        CHECK_STR(s.conditions[3].type, "ContainersReady");
        CHECK_STR(s.conditions[4].type, "PodScheduled");
        check_cond(&s, "PodReadyToStartContainers", false, NULL, NULL);
        check_cond(&s, "Initialized", true, NULL, NULL);
        check_cond(&s, "Ready", false, "ContainersNotReady", "containers with unready status: [foo1 foo2]");
        check_cond(&s, "ContainersReady", false, "ContainersNotReady",
                   "containers with unready status: [foo1 foo2]");
        check_cond(&s, "PodScheduled", true, NULL, NULL);
        for (size_t i = 0; i < s.n_conditions; i++)
                CHECK_INT(s.conditions[i].last_transition_ns, f.now);
        agent_pod_status_free(&s);
        fx_free(&f);
}

TEST(running_pod_is_ready)
{
        struct fx f;
        fx_init(&f, base_pod, NULL);
        add_sandbox(&f, RT_SANDBOX_READY);
        add(&f, "id1", "foo1", RT_CONTAINER_RUNNING, 0)->restart_count = 2;
        add(&f, "id2", "foo2", RT_CONTAINER_RUNNING, 0);
        struct agent_pod_status s;
        gen(&f, NULL, &s);
        CHECK_INT(s.phase, AGENT_PHASE_RUNNING);
        const struct agent_container_status *c = cs(&s, "foo1");
        CHECK_INT(c->state.kind, AGENT_STATE_RUNNING);
        CHECK_INT(c->state.started_at, T0 + S(10));
        CHECK_STR(c->container_id, "deckhand://id1");
        CHECK_STR(c->image, "docker.io/library/busybox:latest");
        CHECK_STR(c->image_id, "sha256:abc");
        CHECK_INT(c->restart_count, 2);
        CHECK(c->ready && c->started.set && c->started.v);
        CHECK_INT(c->last_state.kind, AGENT_STATE_NONE);
        check_cond(&s, "PodReadyToStartContainers", true, NULL, NULL);
        check_cond(&s, "Initialized", true, NULL, NULL);
        check_cond(&s, "Ready", true, NULL, NULL);
        check_cond(&s, "ContainersReady", true, NULL, NULL);
        agent_pod_status_free(&s);
        fx_free(&f);
}

TEST(readiness_and_startup_probes_decide_ready_and_started)
{
        static const char pod[] =
                "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"foo\","
                "\"namespace\":\"foo-ns\",\"uid\":\"12345678\"},\"spec\":{\"containers\":["
                "{\"name\":\"ready\",\"image\":\"x\",\"readinessProbe\":{\"exec\":{\"command\":[\"true\"]}}},"
                "{\"name\":\"startup\",\"image\":\"x\",\"startupProbe\":{\"exec\":{\"command\":[\"true\"]}}}],"
                "\"readinessGates\":[{\"conditionType\":\"example.com/gate\"}]}}";
        struct fx f;
        fx_init(&f, pod, NULL);
        add_sandbox(&f, RT_SANDBOX_READY);
        add(&f, "r", "ready", RT_CONTAINER_RUNNING, 0);
        add(&f, "s", "startup", RT_CONTAINER_RUNNING, 0);
        struct agent_pod_status s;
        /* No results yet: started but not ready; not started. */
        gen(&f, NULL, &s);
        CHECK(cs(&s, "ready")->started.v && !cs(&s, "ready")->ready);
        CHECK(!cs(&s, "startup")->started.v && !cs(&s, "startup")->ready);
        check_cond(&s, "ContainersReady", false, "ContainersNotReady",
                   "containers with unready status: [ready startup]");
        agent_pod_status_free(&s);
        /* Passing: ready and started; the readiness gate still holds Ready. */
        f.results[f.n_results++] = (struct agent_container_result){ "r", AGENT_PROBE_NONE,
                                                                    AGENT_PROBE_SUCCESS, AGENT_PROBE_NONE };
        f.results[f.n_results++] = (struct agent_container_result){ "s", AGENT_PROBE_NONE,
                                                                    AGENT_PROBE_NONE, AGENT_PROBE_SUCCESS };
        gen(&f, NULL, &s);
        CHECK(cs(&s, "ready")->ready);
        CHECK(cs(&s, "startup")->started.v && cs(&s, "startup")->ready);
        check_cond(&s, "ContainersReady", true, NULL, NULL);
        check_cond(&s, "Ready", false, "ReadinessGatesNotReady",
                   "corresponding condition of pod readiness gate \"example.com/gate\" does not exist.");
        agent_pod_status_free(&s);
        /* Failing readiness: not ready again. */
        f.results[0].readiness = AGENT_PROBE_FAILURE;
        gen(&f, NULL, &s);
        CHECK(!cs(&s, "ready")->ready);
        agent_pod_status_free(&s);
        fx_free(&f);
}

TEST(crash_loop_shows_waiting_with_last_termination)
{
        struct fx f;
        fx_init(&f, base_pod, "Always");
        add_sandbox(&f, RT_SANDBOX_READY);
        add(&f, "id1", "foo1", RT_CONTAINER_RUNNING, 0);
        add(&f, "id2b", "foo2", RT_CONTAINER_EXITED, 1)->restart_count = 3;
        add(&f, "id2a", "foo2", RT_CONTAINER_EXITED, 2)->restart_count = 2;
        add_failure(&f, "foo2", "CrashLoopBackOff",
                    "back-off 40s restarting failed container=foo2 pod=foo_foo-ns(12345678)");
        struct agent_pod_status s;
        gen(&f, NULL, &s);
        const struct agent_container_status *c = cs(&s, "foo2");
        CHECK_INT(c->state.kind, AGENT_STATE_WAITING);
        CHECK_STR(c->state.reason, "CrashLoopBackOff");
        CHECK_STR(c->state.message, "back-off 40s restarting failed container=foo2 pod=foo_foo-ns(12345678)");
        /* The newest exit is the last termination, not the one before. */
        CHECK_INT(c->last_state.kind, AGENT_STATE_TERMINATED);
        CHECK_INT(c->last_state.exit_code, 1);
        CHECK_STR(c->last_state.reason, "Error");
        CHECK_STR(c->last_state.container_id, "deckhand://id2b");
        CHECK_INT(c->last_state.finished_at, T0 + S(20));
        CHECK_INT(c->restart_count, 3);
        CHECK(!c->ready);
        CHECK_INT(s.phase, AGENT_PHASE_RUNNING);
        check_cond(&s, "Ready", false, "ContainersNotReady", "containers with unready status: [foo2]");
        agent_pod_status_free(&s);
        fx_free(&f);
}

TEST(restarted_container_keeps_the_previous_instance_as_last_state)
{
        struct fx f;
        fx_init(&f, base_pod, "Always");
        add_sandbox(&f, RT_SANDBOX_READY);
        add(&f, "id1", "foo1", RT_CONTAINER_RUNNING, 0);
        add(&f, "id2b", "foo2", RT_CONTAINER_RUNNING, 0)->restart_count = 1;
        struct agent_container_observed *old = add(&f, "id2a", "foo2", RT_CONTAINER_EXITED, 137);
        free(old->reason);
        old->reason = strdup("OOMKilled");
        struct agent_pod_status s;
        gen(&f, NULL, &s);
        const struct agent_container_status *c = cs(&s, "foo2");
        CHECK_INT(c->state.kind, AGENT_STATE_RUNNING);
        CHECK_INT(c->last_state.kind, AGENT_STATE_TERMINATED);
        CHECK_INT(c->last_state.exit_code, 137);
        CHECK_STR(c->last_state.reason, "OOMKilled");
        CHECK_INT(c->restart_count, 1);
        agent_pod_status_free(&s);
        fx_free(&f);
}

TEST(terminal_phases_and_their_conditions)
{
        struct fx f;
        fx_init(&f, base_pod, "Never");
        add_sandbox(&f, RT_SANDBOX_NOTREADY);
        add(&f, "id1", "foo1", RT_CONTAINER_EXITED, 0);
        add(&f, "id2", "foo2", RT_CONTAINER_EXITED, 0);
        struct agent_pod_status s;
        gen(&f, NULL, &s);
        CHECK_INT(s.phase, AGENT_PHASE_SUCCEEDED);
        CHECK_INT(cs(&s, "foo1")->state.kind, AGENT_STATE_TERMINATED);
        CHECK_STR(cs(&s, "foo1")->state.reason, "Completed");
        check_cond(&s, "PodReadyToStartContainers", false, NULL, NULL);
        check_cond(&s, "Initialized", true, "PodCompleted", NULL);
        check_cond(&s, "Ready", false, "PodCompleted", NULL);
        check_cond(&s, "ContainersReady", false, "PodCompleted", NULL);
        agent_pod_status_free(&s);
        f.obs.containers.v[1].exit_code = 1;
        gen(&f, NULL, &s);
        CHECK_INT(s.phase, AGENT_PHASE_FAILED);
        check_cond(&s, "Ready", false, "PodFailed", NULL);
        check_cond(&s, "ContainersReady", false, "PodFailed", NULL);
        agent_pod_status_free(&s);
        fx_free(&f);
}

TEST(init_containers_in_progress)
{
        struct fx f;
        fx_init(&f, init_pod, "Always");
        add_sandbox(&f, RT_SANDBOX_READY);
        add(&f, "i2", "init2", RT_CONTAINER_RUNNING, 0);
        add(&f, "i1", "init1", RT_CONTAINER_EXITED, 0);
        struct agent_pod_status s;
        gen(&f, NULL, &s);
        CHECK_INT(s.phase, AGENT_PHASE_PENDING);
        CHECK_INT(s.init_container_statuses.n, 3);
        CHECK_STR(s.init_container_statuses.v[0].name, "init1");
        CHECK_INT(cs(&s, "init1")->state.kind, AGENT_STATE_TERMINATED);
        CHECK(cs(&s, "init1")->ready);
        CHECK_INT(cs(&s, "init2")->state.kind, AGENT_STATE_RUNNING);
        CHECK(!cs(&s, "init2")->ready);
        CHECK_STR(cs(&s, "init3")->state.reason, "PodInitializing");
        CHECK_STR(cs(&s, "foo1")->state.reason, "PodInitializing");
        check_cond(&s, "Initialized", false, "ContainersNotInitialized",
                   "containers with incomplete status: [init2 init3]");
        agent_pod_status_free(&s);
        fx_free(&f);
}

TEST(init_container_failure_under_never_fails_the_pod)
{
        struct fx f;
        fx_init(&f, init_pod, "Never");
        add_sandbox(&f, RT_SANDBOX_READY);
        add(&f, "i1", "init1", RT_CONTAINER_EXITED, 3);
        struct agent_pod_status s;
        gen(&f, NULL, &s);
        CHECK_INT(s.phase, AGENT_PHASE_FAILED);
        CHECK_INT(cs(&s, "init1")->state.exit_code, 3);
        CHECK(!cs(&s, "init1")->ready);
        agent_pod_status_free(&s);
        /* Under Always it is retried: Pending, waiting with the reason. */
        free(f.pod->spec.restartPolicy);
        f.pod->spec.restartPolicy = strdup("Always");
        add_failure(&f, "init1", "CrashLoopBackOff", "back-off 10s restarting failed container=init1 pod=foo_foo-ns(12345678)");
        gen(&f, NULL, &s);
        CHECK_INT(s.phase, AGENT_PHASE_PENDING);
        CHECK_STR(cs(&s, "init1")->state.reason, "CrashLoopBackOff");
        CHECK_INT(cs(&s, "init1")->last_state.exit_code, 3);
        agent_pod_status_free(&s);
        fx_free(&f);
}

TEST(removed_init_containers_of_an_initialized_pod_completed)
{
        struct fx f;
        fx_init(&f, init_pod, "Always");
        add_sandbox(&f, RT_SANDBOX_READY);
        add(&f, "id1", "foo1", RT_CONTAINER_RUNNING, 0);
        add(&f, "id2", "foo2", RT_CONTAINER_RUNNING, 0);
        struct agent_pod_status s;
        gen(&f, NULL, &s);
        CHECK_INT(s.phase, AGENT_PHASE_RUNNING);
        const struct agent_container_status *c = cs(&s, "init2");
        CHECK_INT(c->state.kind, AGENT_STATE_TERMINATED);
        CHECK_STR(c->state.reason, "Completed");
        CHECK_STR(c->state.message, "Unable to get init container status from container runtime and "
                                    "pod has been initialized, treat it as exited normally");
        CHECK(c->ready);
        check_cond(&s, "Initialized", true, NULL, NULL);
        agent_pod_status_free(&s);
        fx_free(&f);
}

TEST(sidecar_started_gates_initialization)
{
        struct fx f;
        fx_init(&f, sidecar_pod, "Always");
        add_sandbox(&f, RT_SANDBOX_READY);
        add(&f, "sc", "sidecar", RT_CONTAINER_RUNNING, 0);
        struct agent_pod_status s;
        gen(&f, NULL, &s);
        CHECK_INT(s.phase, AGENT_PHASE_PENDING);
        CHECK(!cs(&s, "sidecar")->started.v);
        check_cond(&s, "Initialized", false, "ContainersNotInitialized",
                   "containers with incomplete status: [sidecar]");
        agent_pod_status_free(&s);
        f.results[f.n_results++] = (struct agent_container_result){ "sc", AGENT_PROBE_NONE,
                                                                    AGENT_PROBE_NONE, AGENT_PROBE_SUCCESS };
        add(&f, "id1", "foo1", RT_CONTAINER_RUNNING, 0);
        add(&f, "id2", "foo2", RT_CONTAINER_RUNNING, 0);
        gen(&f, NULL, &s);
        CHECK_INT(s.phase, AGENT_PHASE_RUNNING);
        CHECK(cs(&s, "sidecar")->started.v && cs(&s, "sidecar")->ready);
        check_cond(&s, "Initialized", true, NULL, NULL);
        check_cond(&s, "ContainersReady", true, NULL, NULL);
        agent_pod_status_free(&s);
        /* The sidecar stops being ready: so does the pod. */
        f.obs.containers.v[0].state = RT_CONTAINER_EXITED;
        gen(&f, NULL, &s);
        check_cond(&s, "ContainersReady", false, "ContainersNotReady",
                   "containers with unready status: [sidecar]");
        check_cond(&s, "Initialized", true, NULL, NULL);
        agent_pod_status_free(&s);
        fx_free(&f);
}

TEST(previous_status_keeps_times_terminal_phase_and_vanished_containers)
{
        struct fx f;
        fx_init(&f, base_pod, "Always");
        add_sandbox(&f, RT_SANDBOX_READY);
        add(&f, "id1", "foo1", RT_CONTAINER_RUNNING, 0);
        add(&f, "id2", "foo2", RT_CONTAINER_RUNNING, 0)->restart_count = 4;
        struct agent_pod_status s1, s2, s3;
        gen(&f, NULL, &s1);
        int64_t t1 = f.now;
        f.now += S(30);
        /* Unchanged: every transition time and the start time stay. */
        gen(&f, &s1, &s2);
        CHECK_INT(s2.start_time_ns, t1);
        for (size_t i = 0; i < s2.n_conditions; i++)
                CHECK_INT(s2.conditions[i].last_transition_ns, t1);
        /* foo2 vanishes from the runtime: it terminated, unknown how. */
        free(f.obs.containers.v[1].id), free(f.obs.containers.v[1].sandbox_id);
        free(f.obs.containers.v[1].name), free(f.obs.containers.v[1].image);
        free(f.obs.containers.v[1].image_ref);
        f.obs.containers.n = 1;
        f.now += S(30);
        gen(&f, &s2, &s3);
        const struct agent_container_status *c = cs(&s3, "foo2");
        CHECK_INT(c->state.kind, AGENT_STATE_WAITING);
        CHECK_INT(c->last_state.kind, AGENT_STATE_TERMINATED);
        CHECK_STR(c->last_state.reason, "ContainerStatusUnknown");
        CHECK_STR(c->last_state.message, "The container could not be located when the pod was deleted.  "
                                         "The container used to be Running");
        CHECK_INT(c->last_state.exit_code, 137);
        CHECK_INT(c->restart_count, 5);
        CHECK_INT(s3.phase, AGENT_PHASE_RUNNING);
        /* Ready went False: a new transition time; Initialized did not. */
        CHECK_INT(cond(&s3, "Ready")->last_transition_ns, f.now);
        CHECK_INT(cond(&s3, "Initialized")->last_transition_ns, t1);
        agent_pod_status_free(&s1);
        agent_pod_status_free(&s2);
        agent_pod_status_free(&s3);
        fx_free(&f);
}

TEST(unknown_state_after_running_is_terminated)
{
        struct fx f;
        fx_init(&f, base_pod, "Always");
        add_sandbox(&f, RT_SANDBOX_READY);
        add(&f, "id1", "foo1", RT_CONTAINER_RUNNING, 0);
        add(&f, "id2", "foo2", RT_CONTAINER_RUNNING, 0)->restart_count = 1;
        struct agent_pod_status s1, s2;
        gen(&f, NULL, &s1);
        f.obs.containers.v[1].state = RT_CONTAINER_UNKNOWN;
        gen(&f, &s1, &s2);
        const struct agent_container_status *c = cs(&s2, "foo2");
        CHECK_INT(c->state.kind, AGENT_STATE_TERMINATED);
        CHECK_STR(c->state.reason, "ContainerStatusUnknown");
        CHECK_STR(c->state.message, "The container could not be located when the pod was terminated");
        CHECK_INT(c->state.exit_code, 137);
        CHECK_INT(c->restart_count, 2);
        agent_pod_status_free(&s1);
        agent_pod_status_free(&s2);
        fx_free(&f);
}

TEST(terminal_phase_is_never_left)
{
        struct fx f;
        fx_init(&f, base_pod, "Never");
        add_sandbox(&f, RT_SANDBOX_NOTREADY);
        add(&f, "id1", "foo1", RT_CONTAINER_EXITED, 0);
        add(&f, "id2", "foo2", RT_CONTAINER_EXITED, 0);
        struct agent_pod_status s1, s2;
        gen(&f, NULL, &s1);
        CHECK_INT(s1.phase, AGENT_PHASE_SUCCEEDED);
        /* The runtime forgets the containers: still Succeeded. */
        agent_pod_runtime_free(&f.obs);
        f.obs.runtime_name = strdup("deckhand");
        gen(&f, &s1, &s2);
        CHECK_INT(s2.phase, AGENT_PHASE_SUCCEEDED);
        CHECK_INT(cs(&s2, "foo1")->state.kind, AGENT_STATE_TERMINATED);
        agent_pod_status_free(&s1);
        agent_pod_status_free(&s2);
        fx_free(&f);
}

TEST(active_deadline_fails_the_pod)
{
        struct fx f;
        fx_init(&f, base_pod, "Always");
        f.pod->spec.activeDeadlineSeconds = (struct dh_opt_i64){ .v = 60, .set = true };
        add_sandbox(&f, RT_SANDBOX_READY);
        add(&f, "id1", "foo1", RT_CONTAINER_RUNNING, 0);
        add(&f, "id2", "foo2", RT_CONTAINER_RUNNING, 0);
        struct agent_pod_status s1, s2;
        gen(&f, NULL, &s1);
        CHECK_INT(s1.phase, AGENT_PHASE_RUNNING);
        CHECK(s1.reason == NULL);
        f.now += S(60);
        gen(&f, &s1, &s2);
        CHECK_INT(s2.phase, AGENT_PHASE_FAILED);
        CHECK_STR(s2.reason, "DeadlineExceeded");
        CHECK_STR(s2.message, "Pod was active on the node longer than the specified deadline");
        check_cond(&s2, "Ready", false, "PodFailed", NULL);
        agent_pod_status_free(&s1);
        agent_pod_status_free(&s2);
        fx_free(&f);
}

TEST(status_json_in_core_v1_shape)
{
        struct fx f;
        fx_init(&f, base_pod, "Always");
        add_sandbox(&f, RT_SANDBOX_READY);
        f.obs.sandboxes.v[0].ip = strdup("10.88.0.5");
        add(&f, "id1", "foo1", RT_CONTAINER_RUNNING, 0);
        add(&f, "id2b", "foo2", RT_CONTAINER_EXITED, 1)->restart_count = 1;
        add_failure(&f, "foo2", "CrashLoopBackOff", "back-off 10s restarting failed container=foo2 pod=foo_foo-ns(12345678)");
        struct agent_pod_status s;
        gen(&f, NULL, &s);
        json_t *j = agent_pod_status_to_json(&s);
        CHECK(j != NULL);
        CHECK_STR(json_string_value(json_object_get(j, "phase")), "Running");
        CHECK_STR(json_string_value(json_object_get(j, "qosClass")), "BestEffort");
        CHECK_STR(json_string_value(json_object_get(j, "startTime")), "2023-11-14T22:15:00Z");
        CHECK_STR(json_string_value(json_object_get(j, "podIP")), "10.88.0.5");
        CHECK(json_object_get(j, "hostIP") == NULL);
        CHECK(json_object_get(j, "initContainerStatuses") == NULL);
        json_t *c0 = json_array_get(json_object_get(j, "conditions"), 2);
        CHECK_STR(json_string_value(json_object_get(c0, "type")), "Ready");
        CHECK_STR(json_string_value(json_object_get(c0, "status")), "False");
        CHECK(json_is_null(json_object_get(c0, "lastProbeTime")));
        CHECK_STR(json_string_value(json_object_get(c0, "lastTransitionTime")), "2023-11-14T22:15:00Z");
        json_t *css = json_object_get(j, "containerStatuses");
        _cleanup_free_ char *foo1 = json_dumps(json_array_get(css, 0), JSON_COMPACT | JSON_SORT_KEYS);
        CHECK_STR(foo1, "{\"containerID\":\"deckhand://id1\",\"image\":\"docker.io/library/busybox:latest\","
                        "\"imageID\":\"sha256:abc\",\"lastState\":{},\"name\":\"foo1\",\"ready\":true,"
                        "\"restartCount\":0,\"started\":true,\"state\":{\"running\":"
                        "{\"startedAt\":\"2023-11-14T22:13:30Z\"}}}");
        _cleanup_free_ char *foo2 = json_dumps(json_array_get(css, 1), JSON_COMPACT | JSON_SORT_KEYS);
        CHECK_STR(foo2, "{\"containerID\":\"deckhand://id2b\",\"image\":\"docker.io/library/busybox:latest\","
                        "\"imageID\":\"sha256:abc\",\"lastState\":{\"terminated\":{\"containerID\":"
                        "\"deckhand://id2b\",\"exitCode\":1,\"finishedAt\":\"2023-11-14T22:13:40Z\","
                        "\"reason\":\"Error\",\"startedAt\":\"2023-11-14T22:13:30Z\"}},\"name\":\"foo2\","
                        "\"ready\":false,\"restartCount\":1,\"started\":false,\"state\":{\"waiting\":"
                        "{\"message\":\"back-off 10s restarting failed container=foo2 pod=foo_foo-ns(12345678)\","
                        "\"reason\":\"CrashLoopBackOff\"}}}");
        json_decref(j);
        agent_pod_status_free(&s);
        fx_free(&f);
}

TEST_MAIN()
