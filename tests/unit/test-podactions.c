/* agent/podactions: computePodActions as plain data, case by case after
 * the kubelet's own tables (kuberuntime_manager_test.go TestComputePodActions,
 * ...WithInitContainers, ...WithRestartableInitContainers), plus the
 * CrashLoopBackOff check, the active deadline and deletion. Each case is
 * a pod, a mutation of the observed runtime state, and the plan rendered
 * as one line. */
#include <stdarg.h>
#include <string.h>

#include "agent/podactions.h"
#include "lib/buf.h"
#include "lib/cleanup.h"
#include "pod/pod.h"
#include "test.h"

#define S(x) ((int64_t)(x) * 1000000000LL)

/* makeBasePodAndStatus: three running containers in a ready sandbox. */
static const char base_pod[] =
        "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"foo\","
        "\"namespace\":\"foo-ns\",\"uid\":\"12345678\"},\"spec\":{\"containers\":["
        "{\"name\":\"foo1\",\"image\":\"busybox\"},{\"name\":\"foo2\",\"image\":\"busybox\"},"
        "{\"name\":\"foo3\",\"image\":\"busybox\"}]}}";
/* ...WithInitContainers: three init containers, all exited 0. */
static const char init_pod[] =
        "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"foo\","
        "\"namespace\":\"foo-ns\",\"uid\":\"12345678\"},\"spec\":{\"initContainers\":["
        "{\"name\":\"init1\",\"image\":\"bar-image\"},{\"name\":\"init2\",\"image\":\"bar-image\"},"
        "{\"name\":\"init3\",\"image\":\"bar-image\"}],\"containers\":["
        "{\"name\":\"foo1\",\"image\":\"busybox\"},{\"name\":\"foo2\",\"image\":\"busybox\"},"
        "{\"name\":\"foo3\",\"image\":\"busybox\"}]}}";
/* ...WithRestartableInitContainers: three sidecars with startup and
 * liveness probes, all running and passing. */
#define SIDECAR(n)                                                                        \
        "{\"name\":\"restartable-init-" n "\",\"image\":\"bar-image\",\"restartPolicy\":\"Always\"," \
        "\"startupProbe\":{\"exec\":{\"command\":[\"true\"]}},"                           \
        "\"livenessProbe\":{\"exec\":{\"command\":[\"true\"]}}}"
static const char sidecar_pod[] =
        "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"foo\","
        "\"namespace\":\"foo-ns\",\"uid\":\"12345678\"},\"spec\":{\"initContainers\":["
        SIDECAR("1") "," SIDECAR("2") "," SIDECAR("3") "],\"containers\":["
        "{\"name\":\"foo1\",\"image\":\"busybox\"},{\"name\":\"foo2\",\"image\":\"busybox\"},"
        "{\"name\":\"foo3\",\"image\":\"busybox\"}]}}";

struct fx {
        struct pod_set set;
        struct pod *pod;
        struct agent_pod_runtime obs;
        struct agent_container_result results[8];
        size_t n_results;
        struct dh_backoff backoff;
        int64_t now;
};

static char *xstrdup(const char *s)
{
        return s ? strdup(s) : NULL;
}

static void add_sandbox(struct fx *f, const char *id, enum rt_sandbox_state st, uint32_t attempt)
{
        struct agent_pod_runtime *r = &f->obs;
        r->sandboxes.v = realloc(r->sandboxes.v, (r->sandboxes.n + 1) * sizeof *r->sandboxes.v);
        r->sandboxes.v[r->sandboxes.n++] = (struct agent_sandbox_observed){
                .id = xstrdup(id), .state = st, .attempt = attempt, .ip = xstrdup("10.0.0.1"),
                .network_mode = RT_NS_POD,
        };
}

/* Appends an instance (callers add the newest first) whose hash matches
 * the spec container of that name. */
static struct agent_container_observed *add_container(struct fx *f, const char *id,
                                                      const char *name,
                                                      enum rt_container_state st, int32_t exit_code)
{
        struct agent_pod_runtime *r = &f->obs;
        const struct pod_container *spec = NULL;
        for (size_t i = 0; i < f->pod->spec.containers.n; i++)
                if (strcmp(f->pod->spec.containers.v[i].name, name) == 0)
                        spec = &f->pod->spec.containers.v[i];
        for (size_t i = 0; i < f->pod->spec.initContainers.n; i++)
                if (strcmp(f->pod->spec.initContainers.v[i].name, name) == 0)
                        spec = &f->pod->spec.initContainers.v[i];
        r->containers.v = realloc(r->containers.v, (r->containers.n + 1) * sizeof *r->containers.v);
        struct agent_container_observed *c = &r->containers.v[r->containers.n++];
        *c = (struct agent_container_observed){
                .id = xstrdup(id), .sandbox_id = xstrdup("sandboxID"), .name = xstrdup(name),
                .state = st, .exit_code = exit_code, .hash = spec ? agent_container_hash(spec) : 0,
                .image = xstrdup(spec ? spec->image : "busybox"),
        };
        return c;
}

static void set_result(struct fx *f, const char *id, enum agent_probe_result live,
                       enum agent_probe_result ready, enum agent_probe_result startup)
{
        for (size_t i = 0; i < f->n_results; i++)
                if (strcmp(f->results[i].container_id, id) == 0) {
                        f->results[i] = (struct agent_container_result){ id, live, ready, startup };
                        return;
                }
        f->results[f->n_results++] = (struct agent_container_result){ id, live, ready, startup };
}

static void drop_containers(struct fx *f, size_t keep)
{
        struct agent_pod_runtime *r = &f->obs;
        for (size_t i = keep; i < r->containers.n; i++) {
                struct agent_container_observed *c = &r->containers.v[i];
                free(c->id), free(c->sandbox_id), free(c->name), free(c->image);
        }
        if (keep < r->containers.n)
                r->containers.n = keep;
}

static void set_policy(struct fx *f, const char *policy)
{
        free(f->pod->spec.restartPolicy);
        f->pod->spec.restartPolicy = strdup(policy);
}

static void fx_init(struct fx *f, const char *json)
{
        memset(f, 0, sizeof *f);
        struct dh_err *e = NULL;
        if (pod_load_buffer(json, strlen(json), &f->set, &e) < 0 || f->set.n != 1) {
                TEST_FAIL_("pod does not load: %s", e ? e->msg : "?");
                dh_err_free(e);
                abort();
        }
        f->pod = f->set.v[0].pod;
        f->obs.runtime_name = strdup("deckhand");
        agent_crash_backoff_init(&f->backoff);
        f->now = S(1000);
        add_sandbox(f, "sandboxID", RT_SANDBOX_READY, 0);
        if (json == base_pod) {
                add_container(f, "id1", "foo1", RT_CONTAINER_RUNNING, 0);
                add_container(f, "id2", "foo2", RT_CONTAINER_RUNNING, 0);
                add_container(f, "id3", "foo3", RT_CONTAINER_RUNNING, 0);
        } else if (json == init_pod) {
                add_container(f, "initid1", "init1", RT_CONTAINER_EXITED, 0);
                add_container(f, "initid2", "init2", RT_CONTAINER_EXITED, 0);
                add_container(f, "initid3", "init3", RT_CONTAINER_EXITED, 0);
        } else {
                add_container(f, "initid1", "restartable-init-1", RT_CONTAINER_RUNNING, 0);
                add_container(f, "initid2", "restartable-init-2", RT_CONTAINER_RUNNING, 0);
                add_container(f, "initid3", "restartable-init-3", RT_CONTAINER_RUNNING, 0);
                for (int i = 0; i < 3; i++)
                        set_result(f, (const char *[]){ "initid1", "initid2", "initid3" }[i],
                                   AGENT_PROBE_SUCCESS, AGENT_PROBE_SUCCESS, AGENT_PROBE_SUCCESS);
        }
}

static void fx_free(struct fx *f)
{
        agent_pod_runtime_free(&f->obs);
        pod_set_free(&f->set);
        dh_backoff_free(&f->backoff);
}

/* "kill=1 create=1 attempt=0 sandbox=- init=[0] start=[0 1] kill=[id2] keep=[2] wait=[foo2]" */
static char *render(const struct agent_pod_plan *p)
{
        struct dh_buf b;
        dh_buf_init(&b, 4096);
        dh_buf_printf(&b, NULL, "kill=%d create=%d attempt=%u sandbox=%s init=[", p->kill_pod,
                      p->create_sandbox, p->attempt, p->sandbox_id ? p->sandbox_id : "-");
        for (size_t i = 0; i < p->init_to_start.n; i++)
                dh_buf_printf(&b, NULL, "%s%zu", i ? " " : "", p->init_to_start.v[i].index);
        dh_buf_puts(&b, "] start=[", NULL);
        for (size_t i = 0; i < p->to_start.n; i++)
                dh_buf_printf(&b, NULL, "%s%zu", i ? " " : "", p->to_start.v[i].index);
        dh_buf_puts(&b, "] kill=[", NULL);
        for (size_t i = 0; i < p->to_kill.n; i++)
                dh_buf_printf(&b, NULL, "%s%s", i ? " " : "", p->to_kill.v[i].id);
        dh_buf_puts(&b, "] keep=[", NULL);
        for (size_t i = 0; i < p->to_keep.n; i++)
                dh_buf_printf(&b, NULL, "%s%zu", i ? " " : "", p->to_keep.v[i]);
        dh_buf_puts(&b, "] wait=[", NULL);
        for (size_t i = 0; i < p->waiting.n; i++)
                dh_buf_printf(&b, NULL, "%s%s", i ? " " : "", p->waiting.v[i].name);
        dh_buf_puts(&b, "]", NULL);
        return dh_buf_steal(&b);
}

static void plan(struct fx *f, struct agent_pod_plan *p)
{
        struct agent_container_results r = { f->results, f->n_results };
        struct dh_err *e = NULL;
        if (agent_pod_actions(f->pod, &f->obs, &r, &f->backoff, f->now, p, &e) < 0) {
                TEST_FAIL_("agent_pod_actions: %s", e->msg);
                dh_err_free(e);
                *p = (struct agent_pod_plan){ 0 };
        }
}

struct plan_case {
        const char *name;
        const char *pod;
        void (*mutate)(struct fx *f);
        const char *want;
};

static void run_cases(const struct plan_case *cases, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                struct fx f;
                fx_init(&f, cases[i].pod);
                if (cases[i].mutate)
                        cases[i].mutate(&f);
                struct agent_pod_plan p;
                plan(&f, &p);
                _cleanup_free_ char *got = render(&p);
                if (strcmp(got, cases[i].want) != 0)
                        TEST_FAIL_("%s:\n    got  %s\n    want %s", cases[i].name, got, cases[i].want);
                agent_pod_plan_free(&p);
                fx_free(&f);
        }
}

/* --- TestComputePodActions --- */

static struct agent_container_observed *obs_named(struct fx *f, const char *name)
{
        for (size_t i = 0; i < f->obs.containers.n; i++)
                if (strcmp(f->obs.containers.v[i].name, name) == 0)
                        return &f->obs.containers.v[i];
        abort();
}

static void new_pod(struct fx *f)
{
        agent_pod_runtime_free(&f->obs);
}
static void exited_0_and_111(struct fx *f)
{
        obs_named(f, "foo1")->state = RT_CONTAINER_EXITED;
        obs_named(f, "foo2")->state = RT_CONTAINER_EXITED;
        obs_named(f, "foo2")->exit_code = 111;
}
static void always_exited(struct fx *f)
{
        set_policy(f, "Always");
        exited_0_and_111(f);
}
static void onfailure_exited(struct fx *f)
{
        set_policy(f, "OnFailure");
        exited_0_and_111(f);
}
static void onfailure_created(struct fx *f)
{
        set_policy(f, "OnFailure");
        obs_named(f, "foo1")->state = RT_CONTAINER_EXITED;
        obs_named(f, "foo2")->state = RT_CONTAINER_CREATED;
}
static void never_exited(struct fx *f)
{
        set_policy(f, "Never");
        exited_0_and_111(f);
}
static void sandbox_dead(struct fx *f)
{
        f->obs.sandboxes.v[0].state = RT_SANDBOX_NOTREADY;
}
static void sandbox_dead_onfailure_one_succeeded(struct fx *f)
{
        set_policy(f, "OnFailure");
        sandbox_dead(f);
        obs_named(f, "foo2")->state = RT_CONTAINER_EXITED;
}
static void sandbox_without_ip(struct fx *f)
{
        f->obs.sandboxes.v[0].ip[0] = 0;
}
static void sandbox_network_mode_changed(struct fx *f)
{
        f->pod->spec.hostNetwork = (struct dh_opt_bool){ .v = true, .set = true };
}
static void spec_changed(struct fx *f)
{
        obs_named(f, "foo2")->hash = 432423432;
}
static void liveness_failed(struct fx *f)
{
        set_result(f, "id2", AGENT_PROBE_FAILURE, AGENT_PROBE_NONE, AGENT_PROBE_NONE);
}
static void liveness_failed_never(struct fx *f)
{
        set_policy(f, "Never");
        liveness_failed(f);
}
static void startup_failed(struct fx *f)
{
        set_result(f, "id2", AGENT_PROBE_NONE, AGENT_PROBE_NONE, AGENT_PROBE_FAILURE);
}
static void all_exited_no_sandbox(struct fx *f, const char *policy)
{
        set_policy(f, policy);
        sandbox_dead(f);
        f->obs.sandboxes.v[0].attempt = 1;
        for (size_t i = 0; i < f->obs.containers.n; i++)
                f->obs.containers.v[i].state = RT_CONTAINER_EXITED;
}
static void never_all_exited_no_sandbox(struct fx *f)
{
        all_exited_no_sandbox(f, "Never");
}
static void onfailure_all_succeeded_no_sandbox(struct fx *f)
{
        all_exited_no_sandbox(f, "OnFailure");
}
static void never_no_containers_no_sandbox(struct fx *f)
{
        set_policy(f, "Never");
        sandbox_dead(f);
        f->obs.sandboxes.v[0].attempt = 2;
        drop_containers(f, 0);
}
static void never_unknown(struct fx *f)
{
        set_policy(f, "Never");
        obs_named(f, "foo2")->state = RT_CONTAINER_UNKNOWN;
}
static void never_created(struct fx *f)
{
        set_policy(f, "Never");
        obs_named(f, "foo2")->state = RT_CONTAINER_CREATED;
}
static void never_all_exited(struct fx *f)
{
        set_policy(f, "Never");
        for (size_t i = 0; i < f->obs.containers.n; i++)
                f->obs.containers.v[i].state = RT_CONTAINER_EXITED;
}

TEST(compute_pod_actions)
{
        static const struct plan_case cases[] = {
                { "everything is good; do nothing", base_pod, NULL,
                  "kill=0 create=0 attempt=0 sandbox=sandboxID init=[] start=[] kill=[] keep=[0 1 2] wait=[]" },
                { "start pod sandbox and all containers for a new pod", base_pod, new_pod,
                  "kill=1 create=1 attempt=0 sandbox=- init=[] start=[0 1 2] kill=[] keep=[] wait=[]" },
                { "restart exited containers if RestartPolicy == Always", base_pod, always_exited,
                  "kill=0 create=0 attempt=0 sandbox=sandboxID init=[] start=[0 1] kill=[] keep=[2] wait=[]" },
                { "restart failed containers if RestartPolicy == OnFailure", base_pod, onfailure_exited,
                  "kill=0 create=0 attempt=0 sandbox=sandboxID init=[] start=[1] kill=[] keep=[2] wait=[]" },
                { "restart created but not started containers if RestartPolicy == OnFailure", base_pod,
                  onfailure_created,
                  "kill=0 create=0 attempt=0 sandbox=sandboxID init=[] start=[1] kill=[] keep=[2] wait=[]" },
                { "don't restart containers if RestartPolicy == Never", base_pod, never_exited,
                  "kill=0 create=0 attempt=0 sandbox=sandboxID init=[] start=[] kill=[] keep=[2] wait=[]" },
                { "kill pod and recreate everything if the sandbox is dead (Always)", base_pod, sandbox_dead,
                  "kill=1 create=1 attempt=1 sandbox=sandboxID init=[] start=[0 1 2] kill=[] keep=[] wait=[]" },
                { "kill pod and recreate all but the succeeded one (OnFailure)", base_pod,
                  sandbox_dead_onfailure_one_succeeded,
                  "kill=1 create=1 attempt=1 sandbox=sandboxID init=[] start=[0 2] kill=[] keep=[] wait=[]" },
                { "kill pod and recreate all containers if the sandbox has no IP", base_pod,
                  sandbox_without_ip,
                  "kill=1 create=1 attempt=1 sandbox=sandboxID init=[] start=[0 1 2] kill=[] keep=[] wait=[]" },
                { "new sandbox, nothing reused, when the network mode changed", base_pod,
                  sandbox_network_mode_changed,
                  "kill=1 create=1 attempt=1 sandbox=- init=[] start=[0 1 2] kill=[] keep=[] wait=[]" },
                { "kill and recreate the container if its spec changed", base_pod, spec_changed,
                  "kill=0 create=0 attempt=0 sandbox=sandboxID init=[] start=[1] kill=[id2] keep=[0 2] wait=[]" },
                { "kill and recreate the container if the liveness check failed", base_pod, liveness_failed,
                  "kill=0 create=0 attempt=0 sandbox=sandboxID init=[] start=[1] kill=[id2] keep=[0 2] wait=[]" },
                { "liveness failure under Never: kill, no restart", base_pod, liveness_failed_never,
                  "kill=0 create=0 attempt=0 sandbox=sandboxID init=[] start=[] kill=[id2] keep=[0 2] wait=[]" },
                { "kill and recreate the container if the startup check failed", base_pod, startup_failed,
                  "kill=0 create=0 attempt=0 sandbox=sandboxID init=[] start=[1] kill=[id2] keep=[0 2] wait=[]" },
                { "no new sandbox for Never when all containers exited", base_pod,
                  never_all_exited_no_sandbox,
                  "kill=1 create=0 attempt=2 sandbox=sandboxID init=[] start=[] kill=[] keep=[] wait=[]" },
                { "no new sandbox for OnFailure when all containers succeeded", base_pod,
                  onfailure_all_succeeded_no_sandbox,
                  "kill=1 create=0 attempt=2 sandbox=sandboxID init=[] start=[] kill=[] keep=[] wait=[]" },
                { "new sandbox for Never when no container was ever created", base_pod,
                  never_no_containers_no_sandbox,
                  "kill=1 create=1 attempt=3 sandbox=sandboxID init=[] start=[0 1 2] kill=[] keep=[] wait=[]" },
                { "kill and recreate the container in unknown state", base_pod, never_unknown,
                  "kill=0 create=0 attempt=0 sandbox=sandboxID init=[] start=[1] kill=[id2] keep=[0 2] wait=[]" },
                { "restart the container in created state", base_pod, never_created,
                  "kill=0 create=0 attempt=0 sandbox=sandboxID init=[] start=[1] kill=[] keep=[0 2] wait=[]" },
                { "all exited under Never: the pod is done", base_pod, never_all_exited,
                  "kill=1 create=0 attempt=0 sandbox=sandboxID init=[] start=[] kill=[] keep=[] wait=[]" },
        };
        run_cases(cases, DH_ARRAY_SIZE(cases));
}

TEST(kill_messages_and_reasons_are_the_kubelets)
{
        struct { void (*mutate)(struct fx *); enum agent_kill_reason reason; const char *message; } cases[] = {
                { spec_changed, AGENT_KILL_SPEC_CHANGED, "Container foo2 definition changed, will be restarted" },
                { liveness_failed, AGENT_KILL_LIVENESS, "Container foo2 failed liveness probe, will be restarted" },
                { liveness_failed_never, AGENT_KILL_LIVENESS, "Container foo2 failed liveness probe" },
                { startup_failed, AGENT_KILL_STARTUP, "Container foo2 failed startup probe, will be restarted" },
                { never_unknown, AGENT_KILL_UNKNOWN_STATE,
                  "Container is in \"unknown\" state, try killing it before restart" },
        };
        for (size_t i = 0; i < DH_ARRAY_SIZE(cases); i++) {
                struct fx f;
                fx_init(&f, base_pod);
                cases[i].mutate(&f);
                struct agent_pod_plan p;
                plan(&f, &p);
                CHECK_INT(p.to_kill.n, 1);
                if (p.to_kill.n == 1) {
                        CHECK_STR(p.to_kill.v[0].name, "foo2");
                        CHECK_INT(p.to_kill.v[0].reason, cases[i].reason);
                        CHECK_STR(p.to_kill.v[0].message, cases[i].message);
                }
                agent_pod_plan_free(&p);
                fx_free(&f);
        }
}

TEST(pod_kill_reasons)
{
        struct fx f;
        fx_init(&f, base_pod);
        never_all_exited(&f);
        struct agent_pod_plan p;
        plan(&f, &p);
        CHECK_INT(p.kill_reason, AGENT_POD_KILL_ALL_DONE);
        agent_pod_plan_free(&p);
        fx_free(&f);

        fx_init(&f, base_pod);
        sandbox_dead(&f);
        plan(&f, &p);
        CHECK_INT(p.kill_reason, AGENT_POD_KILL_SANDBOX_CHANGED);
        CHECK(p.fail_reason == NULL);
        agent_pod_plan_free(&p);
        fx_free(&f);
}

/* --- TestComputePodActionsWithInitContainers --- */

static void no_containers(struct fx *f)
{
        drop_containers(f, 0);
}
static void init3_running(struct fx *f)
{
        set_policy(f, "Always");
        obs_named(f, "init3")->state = RT_CONTAINER_RUNNING;
}
static void init_sandbox_dead(struct fx *f)
{
        set_policy(f, "Always");
        sandbox_dead(f);
}
static void init3_failed_always(struct fx *f)
{
        set_policy(f, "Always");
        obs_named(f, "init3")->exit_code = 137;
}
static void init3_failed_onfailure(struct fx *f)
{
        set_policy(f, "OnFailure");
        obs_named(f, "init3")->exit_code = 137;
}
static void init3_failed_never(struct fx *f)
{
        set_policy(f, "Never");
        obs_named(f, "init3")->exit_code = 137;
}
static void init3_oomkilled_never(struct fx *f)
{
        set_policy(f, "Never");
        obs_named(f, "init3")->reason = strdup("OOMKilled");
}
static void init3_unknown(struct fx *f, const char *policy)
{
        set_policy(f, policy);
        obs_named(f, "init3")->state = RT_CONTAINER_UNKNOWN;
}
static void init3_unknown_always(struct fx *f)
{
        init3_unknown(f, "Always");
}
static void init3_unknown_onfailure(struct fx *f)
{
        init3_unknown(f, "OnFailure");
}
static void init3_unknown_never(struct fx *f)
{
        init3_unknown(f, "Never");
}
static void never_sandbox_dead(struct fx *f)
{
        set_policy(f, "Never");
        sandbox_dead(f);
}
static void never_sandbox_dead_no_containers(struct fx *f)
{
        never_sandbox_dead(f);
        drop_containers(f, 0);
}
static void onfailure_sandbox_dead_init3_failed(struct fx *f)
{
        set_policy(f, "OnFailure");
        sandbox_dead(f);
        obs_named(f, "init3")->exit_code = 137;
}
static void only_init3_running(struct fx *f)
{
        init3_running(f);
        /* keep init3 only */
        struct agent_container_observed keep = f->obs.containers.v[2];
        f->obs.containers.v[2] = f->obs.containers.v[0];
        f->obs.containers.v[0] = keep;
        drop_containers(f, 1);
}
static void init3_created(struct fx *f)
{
        set_policy(f, "Always");
        obs_named(f, "init3")->state = RT_CONTAINER_CREATED;
}

TEST(compute_pod_actions_with_init_containers)
{
        static const struct plan_case cases[] = {
                { "initialization completed; start all containers", init_pod, NULL,
                  "kill=0 create=0 attempt=0 sandbox=sandboxID init=[] start=[0 1 2] kill=[] keep=[] wait=[]" },
                { "no init containers have been started; start the first one", init_pod, no_containers,
                  "kill=0 create=0 attempt=0 sandbox=sandboxID init=[0] start=[] kill=[] keep=[] wait=[]" },
                { "initialization in progress; do nothing", init_pod, init3_running,
                  "kill=0 create=0 attempt=0 sandbox=sandboxID init=[] start=[] kill=[] keep=[] wait=[]" },
                { "kill pod and restart the first init container if the sandbox is dead", init_pod,
                  init_sandbox_dead,
                  "kill=1 create=1 attempt=1 sandbox=sandboxID init=[0] start=[] kill=[] keep=[] wait=[]" },
                { "initialization failed; restart the last init container (Always)", init_pod,
                  init3_failed_always,
                  "kill=0 create=0 attempt=0 sandbox=sandboxID init=[2] start=[] kill=[] keep=[] wait=[]" },
                { "initialization failed; restart the last init container (OnFailure)", init_pod,
                  init3_failed_onfailure,
                  "kill=0 create=0 attempt=0 sandbox=sandboxID init=[2] start=[] kill=[] keep=[] wait=[]" },
                { "initialization failed; kill pod (Never)", init_pod, init3_failed_never,
                  "kill=1 create=0 attempt=0 sandbox=sandboxID init=[] start=[] kill=[] keep=[] wait=[]" },
                { "an OOMKilled init container failed even with exit code 0 (Never)", init_pod,
                  init3_oomkilled_never,
                  "kill=1 create=0 attempt=0 sandbox=sandboxID init=[] start=[] kill=[] keep=[] wait=[]" },
                { "init container state unknown; kill and recreate it (Always)", init_pod,
                  init3_unknown_always,
                  "kill=0 create=0 attempt=0 sandbox=sandboxID init=[2] start=[] kill=[initid3] keep=[] wait=[]" },
                { "init container state unknown; kill and recreate it (OnFailure)", init_pod,
                  init3_unknown_onfailure,
                  "kill=0 create=0 attempt=0 sandbox=sandboxID init=[2] start=[] kill=[initid3] keep=[] wait=[]" },
                { "init container state unknown; kill pod (Never)", init_pod, init3_unknown_never,
                  "kill=1 create=0 attempt=0 sandbox=sandboxID init=[] start=[] kill=[] keep=[] wait=[]" },
                { "sandbox not ready, Never, init containers ran; kill pod only", init_pod,
                  never_sandbox_dead,
                  "kill=1 create=0 attempt=1 sandbox=sandboxID init=[] start=[] kill=[] keep=[] wait=[]" },
                { "sandbox not ready, Never, no visible init containers; new sandbox", init_pod,
                  never_sandbox_dead_no_containers,
                  "kill=1 create=1 attempt=1 sandbox=sandboxID init=[0] start=[] kill=[] keep=[] wait=[]" },
                { "sandbox not ready, init failed, OnFailure; new sandbox", init_pod,
                  onfailure_sandbox_dead_init3_failed,
                  "kill=1 create=1 attempt=1 sandbox=sandboxID init=[0] start=[] kill=[] keep=[] wait=[]" },
                { "earlier init statuses gone, the last one running; don't restart them", init_pod,
                  only_init3_running,
                  "kill=0 create=0 attempt=0 sandbox=sandboxID init=[] start=[] kill=[] keep=[] wait=[]" },
                { "an init container stuck in created; restart it", init_pod, init3_created,
                  "kill=0 create=0 attempt=0 sandbox=sandboxID init=[2] start=[] kill=[] keep=[] wait=[]" },
        };
        run_cases(cases, DH_ARRAY_SIZE(cases));
}

/* --- TestComputePodActionsWithRestartableInitContainers --- */

static void sc_created(struct fx *f)
{
        obs_named(f, "restartable-init-3")->state = RT_CONTAINER_CREATED;
}
static void sc_only_first(struct fx *f)
{
        drop_containers(f, 1);
}
static void sc_first_two(struct fx *f)
{
        drop_containers(f, 2);
}
static void sc_liveness_not_run(struct fx *f)
{
        set_result(f, "initid2", AGENT_PROBE_NONE, AGENT_PROBE_SUCCESS, AGENT_PROBE_SUCCESS);
        drop_containers(f, 2);
}
static void sc_liveness_unknown(struct fx *f)
{
        set_result(f, "initid2", AGENT_PROBE_UNKNOWN, AGENT_PROBE_SUCCESS, AGENT_PROBE_SUCCESS);
        drop_containers(f, 2);
}
static void sc_liveness_failed(struct fx *f)
{
        set_result(f, "initid3", AGENT_PROBE_FAILURE, AGENT_PROBE_SUCCESS, AGENT_PROBE_SUCCESS);
}
static void sc_startup_not_run(struct fx *f)
{
        set_result(f, "initid2", AGENT_PROBE_SUCCESS, AGENT_PROBE_SUCCESS, AGENT_PROBE_NONE);
        drop_containers(f, 2);
}
static void sc_startup_unknown(struct fx *f)
{
        set_result(f, "initid2", AGENT_PROBE_SUCCESS, AGENT_PROBE_SUCCESS, AGENT_PROBE_UNKNOWN);
        drop_containers(f, 2);
}
static void sc_startup_failed(struct fx *f)
{
        set_result(f, "initid3", AGENT_PROBE_SUCCESS, AGENT_PROBE_SUCCESS, AGENT_PROBE_FAILURE);
}
static void sc_definition_changed(struct fx *f)
{
        free(f->pod->spec.initContainers.v[2].image);
        f->pod->spec.initContainers.v[2].image = strdup("foo-image");
}
static void sc_first_and_last_exited(struct fx *f)
{
        obs_named(f, "restartable-init-1")->state = RT_CONTAINER_EXITED;
        obs_named(f, "restartable-init-3")->state = RT_CONTAINER_EXITED;
}
static void sc_first_exited(struct fx *f)
{
        obs_named(f, "restartable-init-1")->state = RT_CONTAINER_EXITED;
}
static void sc_sandbox_dead_last_failed(struct fx *f, const char *policy)
{
        set_policy(f, policy);
        sandbox_dead(f);
        obs_named(f, "restartable-init-3")->state = RT_CONTAINER_EXITED;
        obs_named(f, "restartable-init-3")->exit_code = 137;
}
static void sc_sandbox_dead_never(struct fx *f)
{
        sc_sandbox_dead_last_failed(f, "Never");
}
static void sc_sandbox_dead_onfailure(struct fx *f)
{
        sc_sandbox_dead_last_failed(f, "OnFailure");
}
static void sc_sandbox_dead_always(struct fx *f)
{
        sc_sandbox_dead_last_failed(f, "Always");
}
static void sc_sandbox_dead_never_nothing_visible(struct fx *f)
{
        never_sandbox_dead_no_containers(f);
}
static void sc_last_failed_never(struct fx *f)
{
        set_policy(f, "Never");
        obs_named(f, "restartable-init-3")->state = RT_CONTAINER_EXITED;
        obs_named(f, "restartable-init-3")->exit_code = 137;
}
static void sc_last_unknown_never(struct fx *f)
{
        set_policy(f, "Never");
        obs_named(f, "restartable-init-3")->state = RT_CONTAINER_UNKNOWN;
}
static void sc_regular_running_never_sidecar_exited(struct fx *f)
{
        set_policy(f, "Never");
        obs_named(f, "restartable-init-1")->state = RT_CONTAINER_EXITED;
        add_container(f, "id1", "foo1", RT_CONTAINER_RUNNING, 0);
        add_container(f, "id2", "foo2", RT_CONTAINER_RUNNING, 0);
        add_container(f, "id3", "foo3", RT_CONTAINER_RUNNING, 0);
}
static void sc_regular_all_exited_never(struct fx *f)
{
        set_policy(f, "Never");
        add_container(f, "id1", "foo1", RT_CONTAINER_EXITED, 0);
        add_container(f, "id2", "foo2", RT_CONTAINER_EXITED, 0);
        add_container(f, "id3", "foo3", RT_CONTAINER_EXITED, 0);
}

TEST(compute_pod_actions_with_sidecars)
{
        static const struct plan_case cases[] = {
                { "initialization completed; start all containers", sidecar_pod, NULL,
                  "kill=0 create=0 attempt=0 sandbox=sandboxID init=[] start=[0 1 2] kill=[] keep=[] wait=[]" },
                { "no init containers have been started; start the first one", sidecar_pod, no_containers,
                  "kill=0 create=0 attempt=0 sandbox=sandboxID init=[0] start=[] kill=[] keep=[] wait=[]" },
                { "an init container is stuck in the created state; restart it", sidecar_pod, sc_created,
                  "kill=0 create=0 attempt=0 sandbox=sandboxID init=[2] start=[] kill=[] keep=[] wait=[]" },
                { "restartable init container has started; start the next", sidecar_pod, sc_only_first,
                  "kill=0 create=0 attempt=0 sandbox=sandboxID init=[1] start=[] kill=[] keep=[] wait=[]" },
                { "livenessProbe has not been run; start the next", sidecar_pod, sc_liveness_not_run,
                  "kill=0 create=0 attempt=0 sandbox=sandboxID init=[2] start=[] kill=[] keep=[] wait=[]" },
                { "livenessProbe in progress; start the next", sidecar_pod, sc_liveness_unknown,
                  "kill=0 create=0 attempt=0 sandbox=sandboxID init=[2] start=[] kill=[] keep=[] wait=[]" },
                { "livenessProbe has completed; start the next", sidecar_pod, sc_first_two,
                  "kill=0 create=0 attempt=0 sandbox=sandboxID init=[2] start=[] kill=[] keep=[] wait=[]" },
                { "kill and recreate the sidecar if the liveness check failed", sidecar_pod,
                  sc_liveness_failed,
                  "kill=0 create=0 attempt=0 sandbox=sandboxID init=[2] start=[0 1 2] kill=[initid3] keep=[] wait=[]" },
                { "startupProbe has not been run; do nothing", sidecar_pod, sc_startup_not_run,
                  "kill=0 create=0 attempt=0 sandbox=sandboxID init=[] start=[] kill=[] keep=[] wait=[]" },
                { "startupProbe in progress; do nothing", sidecar_pod, sc_startup_unknown,
                  "kill=0 create=0 attempt=0 sandbox=sandboxID init=[] start=[] kill=[] keep=[] wait=[]" },
                { "startupProbe has completed; start the next", sidecar_pod, sc_first_two,
                  "kill=0 create=0 attempt=0 sandbox=sandboxID init=[2] start=[] kill=[] keep=[] wait=[]" },
                { "kill and recreate the sidecar if the startup check failed", sidecar_pod,
                  sc_startup_failed,
                  "kill=0 create=0 attempt=0 sandbox=sandboxID init=[2] start=[] kill=[initid3] keep=[] wait=[]" },
                { "kill and recreate the sidecar if its definition changed", sidecar_pod,
                  sc_definition_changed,
                  "kill=0 create=0 attempt=0 sandbox=sandboxID init=[2] start=[0 1 2] kill=[initid3] keep=[] wait=[]" },
                { "restart a terminated sidecar and the next init container", sidecar_pod,
                  sc_first_and_last_exited,
                  "kill=0 create=0 attempt=0 sandbox=sandboxID init=[0 2] start=[] kill=[] keep=[] wait=[]" },
                { "restart a terminated sidecar and the regular containers", sidecar_pod, sc_first_exited,
                  "kill=0 create=0 attempt=0 sandbox=sandboxID init=[0] start=[0 1 2] kill=[] keep=[] wait=[]" },
                { "sandbox not ready, sidecar failed, Never; kill pod only", sidecar_pod,
                  sc_sandbox_dead_never,
                  "kill=1 create=0 attempt=1 sandbox=sandboxID init=[] start=[] kill=[] keep=[] wait=[]" },
                { "sandbox not ready, Never, no visible sidecars; new sandbox", sidecar_pod,
                  sc_sandbox_dead_never_nothing_visible,
                  "kill=1 create=1 attempt=1 sandbox=sandboxID init=[0] start=[] kill=[] keep=[] wait=[]" },
                { "sandbox not ready, sidecar failed, OnFailure; new sandbox", sidecar_pod,
                  sc_sandbox_dead_onfailure,
                  "kill=1 create=1 attempt=1 sandbox=sandboxID init=[0] start=[] kill=[] keep=[] wait=[]" },
                { "sandbox not ready, sidecar failed, Always; new sandbox", sidecar_pod,
                  sc_sandbox_dead_always,
                  "kill=1 create=1 attempt=1 sandbox=sandboxID init=[0] start=[] kill=[] keep=[] wait=[]" },
                { "restart the last sidecar even if the pod's policy is Never", sidecar_pod,
                  sc_last_failed_never,
                  "kill=0 create=0 attempt=0 sandbox=sandboxID init=[2] start=[] kill=[] keep=[] wait=[]" },
                { "kill and recreate a sidecar in unknown state even under Never", sidecar_pod,
                  sc_last_unknown_never,
                  "kill=0 create=0 attempt=0 sandbox=sandboxID init=[2] start=[] kill=[initid3] keep=[] wait=[]" },
                { "restart a sidecar while regular containers run, even under Never", sidecar_pod,
                  sc_regular_running_never_sidecar_exited,
                  "kill=0 create=0 attempt=0 sandbox=sandboxID init=[0] start=[] kill=[] keep=[0 1 2] wait=[]" },
                { "regular containers done under Never: sidecars don't keep the pod", sidecar_pod,
                  sc_regular_all_exited_never,
                  "kill=1 create=0 attempt=0 sandbox=sandboxID init=[] start=[] kill=[] keep=[] wait=[]" },
        };
        run_cases(cases, DH_ARRAY_SIZE(cases));
}

TEST(sidecar_kill_messages)
{
        struct { void (*mutate)(struct fx *); enum agent_kill_reason reason; const char *message; } cases[] = {
                { sc_liveness_failed, AGENT_KILL_LIVENESS, "Init container restartable-init-3 failed liveness probe" },
                { sc_startup_failed, AGENT_KILL_STARTUP, "Init container restartable-init-3 failed startup probe" },
                { sc_definition_changed, AGENT_KILL_SPEC_CHANGED, "Init container restartable-init-3 definition changed" },
                { sc_last_unknown_never, AGENT_KILL_UNKNOWN_STATE,
                  "Init container is in \"unknown\" state, try killing it before restart" },
        };
        for (size_t i = 0; i < DH_ARRAY_SIZE(cases); i++) {
                struct fx f;
                fx_init(&f, sidecar_pod);
                cases[i].mutate(&f);
                struct agent_pod_plan p;
                plan(&f, &p);
                CHECK_INT(p.to_kill.n, 1);
                if (p.to_kill.n == 1) {
                        CHECK(p.to_kill.v[0].init);
                        CHECK_INT(p.to_kill.v[0].reason, cases[i].reason);
                        CHECK_STR(p.to_kill.v[0].message, cases[i].message);
                }
                agent_pod_plan_free(&p);
                fx_free(&f);
        }
}

/* --- CrashLoopBackOff (doBackOff) --- */

static void foo2_crashed_at(struct fx *f, int64_t finished, int32_t restarts)
{
        struct agent_container_observed *c = obs_named(f, "foo2");
        c->state = RT_CONTAINER_EXITED;
        c->exit_code = 1;
        c->finished_at = finished;
        c->restart_count = restarts;
}

/* One sync of a crash-looping foo2: returns the plan rendered, and the
 * waiting message if any. */
static char *crash_sync(struct fx *f, int64_t finished, int64_t now, char **msg)
{
        foo2_crashed_at(f, finished, 0);
        f->now = now;
        struct agent_pod_plan p;
        plan(f, &p);
        char *r = render(&p);
        *msg = p.waiting.n ? strdup(p.waiting.v[0].message) : NULL;
        if (p.waiting.n)
                CHECK_STR(p.waiting.v[0].reason, "CrashLoopBackOff");
        agent_pod_plan_free(&p);
        return r;
}

TEST(crash_loop_backoff_windows_and_message)
{
        static const char started[] =
                "kill=0 create=0 attempt=0 sandbox=sandboxID init=[] start=[1] kill=[] keep=[0 2] wait=[]";
        static const char waiting[] =
                "kill=0 create=0 attempt=0 sandbox=sandboxID init=[] start=[] kill=[] keep=[0 2] wait=[foo2]";
        struct fx f;
        fx_init(&f, base_pod);
        char *msg = NULL, *r;
        /* The first exit restarts at once. */
        r = crash_sync(&f, S(100), S(101), &msg);
        CHECK_STR(r, started);
        CHECK(msg == NULL);
        free(r);
        /* Crashes again at 102: held for 10s from the exit. */
        r = crash_sync(&f, S(102), S(103), &msg);
        CHECK_STR(r, waiting);
        CHECK_STR(msg, "back-off 10s restarting failed container=foo2 pod=foo_foo-ns(12345678)");
        free(r), free(msg);
        r = crash_sync(&f, S(102), S(112), &msg);
        CHECK_STR(r, started);
        free(r), free(msg);
        /* Doubling on every crash: 20s, 40s, 1m20s, 2m40s, then capped at 5m0s. */
        const char *windows[] = { "20s", "40s", "1m20s", "2m40s", "5m0s", "5m0s" };
        int64_t t = S(120);
        for (size_t i = 0; i < DH_ARRAY_SIZE(windows); i++) {
                r = crash_sync(&f, t, t + S(1), &msg);
                CHECK_STR(r, waiting);
                char want[200];
                snprintf(want, sizeof want,
                         "back-off %s restarting failed container=foo2 pod=foo_foo-ns(12345678)", windows[i]);
                CHECK_STR(msg, want);
                free(r), free(msg);
                t += S(301);
                r = crash_sync(&f, t - S(301), t, &msg);
                CHECK_STR(r, started);
                free(r), free(msg);
        }
        /* Ran more than 10 minutes since the last restart: back to 10s. */
        t += S(700);
        r = crash_sync(&f, t, t + S(1), &msg);
        CHECK_STR(r, started);
        free(r), free(msg);
        r = crash_sync(&f, t + S(2), t + S(3), &msg);
        CHECK_STR(msg, "back-off 10s restarting failed container=foo2 pod=foo_foo-ns(12345678)");
        free(r), free(msg);
        fx_free(&f);
}

/* A new agent has an empty table; the exited instance's restart count
 * and creation time put the back-off back where it was. */
TEST(crash_loop_backoff_carries_on_after_an_agent_restart)
{
        struct fx f;
        fx_init(&f, base_pod);
        /* Restart 3 was started (created at 200) after a 40s window. */
        foo2_crashed_at(&f, S(230), 3);
        obs_named(&f, "foo2")->created_at = S(200);
        f.now = S(235);
        struct agent_pod_plan p;
        plan(&f, &p);
        CHECK_INT(p.waiting.n, 1);
        CHECK_INT(p.to_start.n, 0);
        if (p.waiting.n)
                CHECK_STR(p.waiting.v[0].message,
                          "back-off 40s restarting failed container=foo2 pod=foo_foo-ns(12345678)");
        agent_pod_plan_free(&p);
        /* 40s after the exit it starts, and the next window is 1m20s. */
        f.now = S(271);
        plan(&f, &p);
        CHECK_INT(p.to_start.n, 1);
        CHECK_INT(dh_backoff_get(&f.backoff, f.backoff.n ? f.backoff.v[0].key : ""), S(80));
        agent_pod_plan_free(&p);
        fx_free(&f);
        /* A first instance (restart count 0) has nothing to restore. */
        fx_init(&f, base_pod);
        foo2_crashed_at(&f, S(230), 0);
        f.now = S(231);
        plan(&f, &p);
        CHECK_INT(p.to_start.n, 1);
        agent_pod_plan_free(&p);
        fx_free(&f);
        /* An instance that ran for more than 10 minutes starts over at 10s. */
        fx_init(&f, base_pod);
        foo2_crashed_at(&f, S(1000), 6);
        obs_named(&f, "foo2")->created_at = S(100);
        f.now = S(1001);
        plan(&f, &p);
        CHECK_INT(p.to_start.n, 1);
        CHECK_INT(dh_backoff_get(&f.backoff, f.backoff.n ? f.backoff.v[0].key : ""), S(10));
        agent_pod_plan_free(&p);
        fx_free(&f);
}

TEST(restart_count_of_started_containers)
{
        struct fx f;
        fx_init(&f, base_pod);
        set_policy(&f, "Always");
        /* Ran for more than 10 minutes: no back-off to wait for. */
        foo2_crashed_at(&f, S(1000), 4);
        obs_named(&f, "foo2")->created_at = S(300);
        f.now = S(1001);
        struct agent_pod_plan p;
        plan(&f, &p);
        CHECK_INT(p.to_start.n, 1);
        if (p.to_start.n == 1) {
                CHECK_INT(p.to_start.v[0].index, 1);
                CHECK_INT(p.to_start.v[0].restart_count, 5);
        }
        agent_pod_plan_free(&p);
        fx_free(&f);

        fx_init(&f, base_pod);
        new_pod(&f);
        plan(&f, &p);
        CHECK_INT(p.to_start.n, 3);
        for (size_t i = 0; i < p.to_start.n; i++)
                CHECK_INT(p.to_start.v[i].restart_count, 0);
        agent_pod_plan_free(&p);
        fx_free(&f);
}

static void init3_in_backoff(struct fx *f)
{
        init3_failed_always(f);
        obs_named(f, "init3")->finished_at = S(995);
        /* A previous restart of init3 put it in back-off. */
        char key[256];
        snprintf(key, sizeof key, "foo_foo-ns_12345678_init3_%llx",
                 (unsigned long long)agent_container_hash(&f->pod->spec.initContainers.v[2]));
        dh_backoff_next(&f->backoff, key, S(980), NULL);
}

static void sidecar1_in_backoff(struct fx *f)
{
        sc_first_exited(f);
        obs_named(f, "restartable-init-1")->finished_at = S(995);
        char key[256];
        snprintf(key, sizeof key, "foo_foo-ns_12345678_restartable-init-1_%llx",
                 (unsigned long long)agent_container_hash(&f->pod->spec.initContainers.v[0]));
        dh_backoff_next(&f->backoff, key, S(990), NULL);
}

TEST(backoff_of_init_containers_and_sidecars)
{
        static const struct plan_case cases[] = {
                /* SyncPod stops at an init container in back-off. */
                { "a failed init container in back-off waits", init_pod, init3_in_backoff,
                  "kill=0 create=0 attempt=0 sandbox=sandboxID init=[] start=[] kill=[] keep=[] wait=[init3]" },
                /* ...but only skips a sidecar, and goes on with the containers. */
                { "a sidecar in back-off waits, the containers start", sidecar_pod, sidecar1_in_backoff,
                  "kill=0 create=0 attempt=0 sandbox=sandboxID init=[] start=[0 1 2] kill=[] keep=[] wait=[restartable-init-1]" },
        };
        run_cases(cases, DH_ARRAY_SIZE(cases));
}

/* --- activeDeadlineSeconds and deletion --- */

TEST(active_deadline_kills_the_pod)
{
        struct fx f;
        fx_init(&f, base_pod);
        f.pod->spec.activeDeadlineSeconds = (struct dh_opt_i64){ .v = 30, .set = true };
        f.obs.start_time_ns = S(100);
        f.now = S(129);
        struct agent_pod_plan p;
        plan(&f, &p);
        _cleanup_free_ char *before = render(&p);
        CHECK_STR(before, "kill=0 create=0 attempt=0 sandbox=sandboxID init=[] start=[] kill=[] keep=[0 1 2] wait=[]");
        CHECK(p.fail_reason == NULL);
        agent_pod_plan_free(&p);
        f.now = S(130);
        plan(&f, &p);
        _cleanup_free_ char *after = render(&p);
        CHECK_STR(after, "kill=1 create=0 attempt=0 sandbox=sandboxID init=[] start=[] kill=[] keep=[] wait=[]");
        CHECK_INT(p.kill_reason, AGENT_POD_KILL_DEADLINE);
        CHECK_STR(p.fail_reason, "DeadlineExceeded");
        CHECK_STR(p.fail_message, "Pod was active on the node longer than the specified deadline");
        agent_pod_plan_free(&p);
        /* Not started yet: no deadline to pass. */
        f.obs.start_time_ns = 0;
        plan(&f, &p);
        CHECK(!p.kill_pod);
        agent_pod_plan_free(&p);
        fx_free(&f);
}

TEST(deleted_pod_is_killed_and_not_restarted)
{
        struct fx f;
        fx_init(&f, base_pod);
        f.pod->metadata.deletionTimestamp = strdup("2024-01-01T00:00:00Z");
        exited_0_and_111(&f);
        struct agent_pod_plan p;
        plan(&f, &p);
        _cleanup_free_ char *r = render(&p);
        CHECK_STR(r, "kill=1 create=0 attempt=0 sandbox=sandboxID init=[] start=[] kill=[] keep=[] wait=[]");
        CHECK_INT(p.kill_reason, AGENT_POD_KILL_TERMINATING);
        CHECK(!agent_container_should_restart(f.pod, &f.pod->spec.containers.v[1], &f.obs));
        agent_pod_plan_free(&p);
        fx_free(&f);
}

TEST(container_hash_covers_name_and_image_only)
{
        struct fx f;
        fx_init(&f, base_pod);
        struct pod_container *c = &f.pod->spec.containers.v[0];
        uint64_t h = agent_container_hash(c);
        CHECK(h != 0 && h <= UINT32_MAX);
        CHECK_INT(agent_container_hash(c), h); /* stable */
        free(c->workingDir);
        c->workingDir = strdup("/elsewhere");
        CHECK_INT(agent_container_hash(c), h);
        free(c->image);
        c->image = strdup("busybox:1.36");
        CHECK(agent_container_hash(c) != h);
        /* foo1 and foo2 share an image, not a name. */
        CHECK(agent_container_hash(&f.pod->spec.containers.v[1]) != h);
        fx_free(&f);
}

TEST(pod_format_and_results_lookup)
{
        struct fx f;
        fx_init(&f, base_pod);
        char buf[64];
        CHECK_INT(agent_pod_format(f.pod, buf, sizeof buf), (int)strlen("foo_foo-ns(12345678)"));
        CHECK_STR(buf, "foo_foo-ns(12345678)");
        CHECK_INT(agent_pod_format(f.pod, buf, 5), -1);
        set_result(&f, "id2", AGENT_PROBE_FAILURE, AGENT_PROBE_SUCCESS, AGENT_PROBE_NONE);
        struct agent_container_results r = { f.results, f.n_results };
        CHECK(agent_container_results_find(&r, "id2") != NULL);
        CHECK(agent_container_results_find(&r, "id9") == NULL);
        CHECK(agent_container_results_find(NULL, "id2") == NULL);
        fx_free(&f);
}

TEST(runtime_view_from_cri_lists)
{
        struct rt_kv labels[] = { { (char *)AGENT_LABEL_CONTAINER_NAME, (char *)"app" } };
        struct rt_kv ann_old[] = { { (char *)AGENT_ANN_CONTAINER_HASH, (char *)"1f2e3d" },
                                   { (char *)AGENT_ANN_RESTART_COUNT, (char *)"2" } };
        struct rt_kv ann_new[] = { { (char *)AGENT_ANN_CONTAINER_HASH, (char *)"zz" },
                                   { (char *)AGENT_ANN_RESTART_COUNT, (char *)"-1" } };
        struct rt_container_status cs[] = {
                { .id = (char *)"old", .sandbox_id = (char *)"sb1", .state = RT_CONTAINER_EXITED,
                  .created_at = 10, .exit_code = 3, .metadata = { (char *)"app", 2 },
                  .labels = { labels, 1 }, .annotations = { ann_old, 2 }, .image = (char *)"busybox" },
                { .id = (char *)"new", .sandbox_id = (char *)"sb2", .state = RT_CONTAINER_RUNNING,
                  .created_at = 20, .metadata = { (char *)"fallback", 3 },
                  .annotations = { ann_new, 2 } },
        };
        struct rt_sandbox_status ss[] = {
                { .id = (char *)"sb1", .state = RT_SANDBOX_NOTREADY, .created_at = 1,
                  .metadata = { .attempt = 0 } },
                { .id = (char *)"sb2", .state = RT_SANDBOX_READY, .created_at = 2,
                  .metadata = { .attempt = 1 }, .ip = (char *)"10.1.0.2" },
        };
        struct rt_sandbox_list sl = { ss, 2 };
        struct rt_container_list cl = { cs, 2 };
        struct agent_pod_runtime r;
        CHECK_INT(agent_pod_runtime_from_rt(&sl, &cl, "deckhand", &r, NULL), 0);
        CHECK_STR(r.runtime_name, "deckhand");
        CHECK_INT(r.sandboxes.n, 2);
        CHECK_STR(r.sandboxes.v[0].id, "sb2");
        CHECK_INT(r.sandboxes.v[0].attempt, 1);
        CHECK_STR(r.sandboxes.v[0].ip, "10.1.0.2");
        CHECK(r.sandboxes.v[1].ip == NULL);
        CHECK_INT(r.containers.n, 2);
        CHECK_STR(r.containers.v[0].id, "new");
        /* No name label: the CRI metadata name; bad annotations read as 0. */
        CHECK_STR(r.containers.v[0].name, "fallback");
        CHECK_INT(r.containers.v[0].hash, 0);
        CHECK_INT(r.containers.v[0].restart_count, 0);
        CHECK_STR(r.containers.v[1].name, "app");
        CHECK_INT(r.containers.v[1].hash, 0x1f2e3d);
        CHECK_INT(r.containers.v[1].restart_count, 2);
        CHECK_INT(r.containers.v[1].exit_code, 3);
        CHECK_INT(r.containers.v[1].attempt, 2);
        CHECK(agent_pod_runtime_find(&r, "app") == &r.containers.v[1]);
        CHECK(agent_pod_runtime_find(&r, "nope") == NULL);
        agent_pod_runtime_free(&r);
        agent_pod_runtime_free(&r); /* idempotent */
}

TEST_MAIN()
