/* agent/containergc: the container GC planner case by case, after the
 * kubelet's kuberuntime_gc_test.go (TestContainerGC, TestSandboxGC) and
 * pruneInitContainersBeforeStart. Each case builds runtime lists, plans,
 * and compares the plan rendered as "containers | sandboxes" in removal
 * order. */
#include <stdarg.h>
#include <string.h>

#include "agent/containergc.h"
#include "lib/buf.h"
#include "pod/pod.h"
#include "test.h"

#define S(x) ((int64_t)(x) * 1000000000LL)

struct fx {
        struct rt_container_list cl;
        struct rt_sandbox_list sl;
        struct agent_container_gc_policy policy;
        int64_t now;
        /* pod states: uids[i] has states[i]; others are live */
        const char *uids[4];
        enum agent_gc_pod_state states[4];
        char out[1024];
};

static void kvs2(struct rt_kvs *k, const char *uid, const char *name)
{
        k->v = calloc(2, sizeof *k->v);
        if (uid) {
                k->v[k->n].key = strdup(AGENT_LABEL_POD_UID);
                k->v[k->n++].value = strdup(uid);
        }
        if (name) {
                k->v[k->n].key = strdup(AGENT_LABEL_CONTAINER_NAME);
                k->v[k->n++].value = strdup(name);
        }
}

static void fx_init(struct fx *f)
{
        memset(f, 0, sizeof *f);
        agent_container_gc_policy_default(&f->policy);
        f->now = S(10000);
}

static void fx_free(struct fx *f)
{
        rt_container_list_free(&f->cl);
        rt_sandbox_list_free(&f->sl);
}

/* created: seconds before now. */
static void ctr(struct fx *f, const char *id, const char *uid, const char *name,
                const char *sandbox, enum rt_container_state st, uint32_t attempt, int created)
{
        f->cl.v = realloc(f->cl.v, (f->cl.n + 1) * sizeof *f->cl.v);
        struct rt_container_status *c = &f->cl.v[f->cl.n++];
        memset(c, 0, sizeof *c);
        c->id = strdup(id);
        c->sandbox_id = strdup(sandbox);
        c->metadata.name = strdup(name);
        c->metadata.attempt = attempt;
        c->state = st;
        c->created_at = f->now - S(created);
        kvs2(&c->labels, uid, name);
}

static void sbx(struct fx *f, const char *id, const char *uid, enum rt_sandbox_state st,
                uint32_t attempt, int created)
{
        f->sl.v = realloc(f->sl.v, (f->sl.n + 1) * sizeof *f->sl.v);
        struct rt_sandbox_status *s = &f->sl.v[f->sl.n++];
        memset(s, 0, sizeof *s);
        s->id = strdup(id);
        s->metadata.name = strdup("pod");
        s->metadata.uid = strdup(uid ? uid : "");
        s->metadata.namespace = strdup("default");
        s->metadata.attempt = attempt;
        s->state = st;
        s->created_at = f->now - S(created);
        kvs2(&s->labels, uid, NULL);
}

static enum agent_gc_pod_state state_of(void *ud, const char *uid)
{
        struct fx *f = ud;
        for (size_t i = 0; i < 4 && f->uids[i]; i++)
                if (strcmp(f->uids[i], uid) == 0)
                        return f->states[i];
        return AGENT_GC_POD_LIVE;
}

static void render(const struct agent_container_gc_plan *p, char *out, size_t size)
{
        size_t n = 0;
        out[0] = '\0';
        for (size_t i = 0; i < p->containers.n; i++)
                n += (size_t)snprintf(out + n, size - n, "%s%s%s", i ? "," : "",
                                      p->containers.v[i].id, p->containers.v[i].unknown ? "?" : "");
        n += (size_t)snprintf(out + n, size - n, " |");
        for (size_t i = 0; i < p->sandboxes.n; i++)
                n += (size_t)snprintf(out + n, size - n, "%s%s", i ? "," : " ",
                                      p->sandboxes.v[i].id);
}

static const char *plan(struct fx *f)
{
        struct agent_container_gc_plan p = { 0 };
        struct dh_err *err = NULL;
        if (agent_container_gc_plan(&f->cl, &f->sl, &f->policy, f->now, state_of, f, &p, &err) < 0) {
                TEST_FAIL_("plan: %s", err->msg);
                dh_err_free(err);
                return "";
        }
        render(&p, f->out, sizeof f->out);
        agent_container_gc_plan_free(&p);
        return f->out;
}

TEST(defaults_are_kubelets)
{
        struct agent_container_gc_policy p;
        agent_container_gc_policy_default(&p);
        CHECK_INT(p.min_age_ns, 0);
        CHECK_INT(p.max_per_pod_container, 1);
        CHECK_INT(p.max_containers, -1);
        CHECK_INT(AGENT_CONTAINER_GC_PERIOD_MS, 60000);
}

TEST(crash_loop_keeps_running_and_newest_dead)
{
        struct fx f;
        fx_init(&f);
        sbx(&f, "s1", "u1", RT_SANDBOX_READY, 0, 100);
        ctr(&f, "c4", "u1", "app", "s1", RT_CONTAINER_RUNNING, 3, 10);
        ctr(&f, "c3", "u1", "app", "s1", RT_CONTAINER_EXITED, 2, 20);
        ctr(&f, "c2", "u1", "app", "s1", RT_CONTAINER_EXITED, 1, 30);
        ctr(&f, "c1", "u1", "app", "s1", RT_CONTAINER_EXITED, 0, 40);
        CHECK_STR(plan(&f), "c1,c2 |");
        fx_free(&f);
}

TEST(newest_dead_stays_when_nothing_runs)
{
        /* Back-off: the newest instance is dead, the older one goes. */
        struct fx f;
        fx_init(&f);
        sbx(&f, "s1", "u1", RT_SANDBOX_READY, 0, 100);
        ctr(&f, "c1", "u1", "app", "s1", RT_CONTAINER_EXITED, 0, 40);
        ctr(&f, "c2", "u1", "app", "s1", RT_CONTAINER_EXITED, 1, 30);
        CHECK_STR(plan(&f), "c1 |");
        fx_free(&f);
}

TEST(running_never_planned)
{
        struct fx f;
        fx_init(&f);
        f.policy.max_per_pod_container = 0;
        f.policy.max_containers = 0;
        sbx(&f, "s1", "u1", RT_SANDBOX_READY, 0, 100);
        ctr(&f, "c1", "u1", "app", "s1", RT_CONTAINER_RUNNING, 0, 40);
        ctr(&f, "c2", "u1", "side", "s1", RT_CONTAINER_RUNNING, 0, 40);
        CHECK_STR(plan(&f), " |");
        f.states[0] = AGENT_GC_POD_REMOVED;
        f.uids[0] = "u1";
        CHECK_STR(plan(&f), " |");
        fx_free(&f);
}

TEST(units_are_per_pod_and_name)
{
        struct fx f;
        fx_init(&f);
        sbx(&f, "s1", "u1", RT_SANDBOX_READY, 0, 100);
        sbx(&f, "s2", "u2", RT_SANDBOX_READY, 0, 100);
        ctr(&f, "a1", "u1", "a", "s1", RT_CONTAINER_EXITED, 0, 50);
        ctr(&f, "b1", "u1", "b", "s1", RT_CONTAINER_EXITED, 0, 50);
        ctr(&f, "x1", "u2", "a", "s2", RT_CONTAINER_EXITED, 0, 50);
        CHECK_STR(plan(&f), " |");
        ctr(&f, "a2", "u1", "a", "s1", RT_CONTAINER_EXITED, 1, 40);
        ctr(&f, "x2", "u2", "a", "s2", RT_CONTAINER_EXITED, 1, 40);
        CHECK_STR(plan(&f), "a1,x1 |");
        fx_free(&f);
}

TEST(attempt_before_creation_time)
{
        /* byAttempt: a higher attempt is newer even if created earlier
         * (clock steps). */
        struct fx f;
        fx_init(&f);
        sbx(&f, "s1", "u1", RT_SANDBOX_READY, 0, 100);
        ctr(&f, "old", "u1", "app", "s1", RT_CONTAINER_EXITED, 5, 90);
        ctr(&f, "new", "u1", "app", "s1", RT_CONTAINER_EXITED, 4, 10);
        CHECK_STR(plan(&f), "new |");
        fx_free(&f);
}

TEST(min_age_spares_young_containers)
{
        struct fx f;
        fx_init(&f);
        f.policy.min_age_ns = S(60);
        sbx(&f, "s1", "u1", RT_SANDBOX_READY, 0, 1000);
        ctr(&f, "c1", "u1", "app", "s1", RT_CONTAINER_EXITED, 0, 300);
        ctr(&f, "c2", "u1", "app", "s1", RT_CONTAINER_EXITED, 1, 200);
        ctr(&f, "c3", "u1", "app", "s1", RT_CONTAINER_EXITED, 2, 100);
        ctr(&f, "c4", "u1", "app", "s1", RT_CONTAINER_EXITED, 3, 30); /* too young */
        /* c4 is not evictable at all: of c1..c3 the newest stays. */
        CHECK_STR(plan(&f), "c1,c2 |");
        fx_free(&f);
}

TEST(unknown_state_is_flagged_and_created_counts_as_dead)
{
        struct fx f;
        fx_init(&f);
        sbx(&f, "s1", "u1", RT_SANDBOX_READY, 0, 100);
        ctr(&f, "c1", "u1", "app", "s1", RT_CONTAINER_UNKNOWN, 0, 40);
        ctr(&f, "c2", "u1", "app", "s1", RT_CONTAINER_CREATED, 1, 30);
        ctr(&f, "c3", "u1", "app", "s1", RT_CONTAINER_EXITED, 2, 20);
        CHECK_STR(plan(&f), "c1?,c2 |");
        fx_free(&f);
}

TEST(removed_pod_loses_every_dead_container_and_sandbox)
{
        struct fx f;
        fx_init(&f);
        f.uids[0] = "gone";
        f.states[0] = AGENT_GC_POD_REMOVED;
        sbx(&f, "s1", "gone", RT_SANDBOX_NOTREADY, 0, 100);
        sbx(&f, "s2", "gone", RT_SANDBOX_NOTREADY, 1, 50);
        ctr(&f, "c1", "gone", "app", "s1", RT_CONTAINER_EXITED, 0, 90);
        ctr(&f, "c2", "gone", "app", "s2", RT_CONTAINER_EXITED, 1, 40);
        sbx(&f, "l1", "live", RT_SANDBOX_READY, 0, 100);
        ctr(&f, "k1", "live", "app", "l1", RT_CONTAINER_EXITED, 0, 90);
        /* Oldest first; sandboxes after the containers that held them. */
        CHECK_STR(plan(&f), "c1,c2 | s1,s2");
        fx_free(&f);
}

TEST(removed_pod_keeps_ready_sandbox_and_running_container)
{
        struct fx f;
        fx_init(&f);
        f.uids[0] = "gone";
        f.states[0] = AGENT_GC_POD_REMOVED;
        sbx(&f, "s1", "gone", RT_SANDBOX_READY, 0, 100);
        sbx(&f, "s0", "gone", RT_SANDBOX_NOTREADY, 0, 200);
        ctr(&f, "run", "gone", "app", "s0", RT_CONTAINER_RUNNING, 0, 90);
        ctr(&f, "dead", "gone", "app", "s1", RT_CONTAINER_EXITED, 0, 80);
        CHECK_STR(plan(&f), "dead |");
        fx_free(&f);
}

TEST(skipped_pod_is_left_alone)
{
        struct fx f;
        fx_init(&f);
        f.uids[0] = "busy";
        f.states[0] = AGENT_GC_POD_SKIP;
        sbx(&f, "s0", "busy", RT_SANDBOX_NOTREADY, 0, 200);
        sbx(&f, "s1", "busy", RT_SANDBOX_NOTREADY, 1, 100);
        ctr(&f, "c1", "busy", "app", "s1", RT_CONTAINER_EXITED, 0, 90);
        ctr(&f, "c2", "busy", "app", "s1", RT_CONTAINER_EXITED, 1, 80);
        CHECK_STR(plan(&f), " |");
        fx_free(&f);
}

TEST(live_pod_keeps_newest_sandbox_even_dead)
{
        struct fx f;
        fx_init(&f);
        sbx(&f, "s0", "u1", RT_SANDBOX_NOTREADY, 0, 300);
        sbx(&f, "s1", "u1", RT_SANDBOX_NOTREADY, 1, 200);
        sbx(&f, "s2", "u1", RT_SANDBOX_NOTREADY, 2, 100);
        CHECK_STR(plan(&f), " | s0,s1");
        fx_free(&f);
}

TEST(sandbox_with_kept_container_stays)
{
        /* After a sandbox change: the newest dead instance lives in the
         * old sandbox, which therefore stays; an older empty one goes. */
        struct fx f;
        fx_init(&f);
        sbx(&f, "old", "u1", RT_SANDBOX_NOTREADY, 0, 300);
        sbx(&f, "mid", "u1", RT_SANDBOX_NOTREADY, 1, 200);
        sbx(&f, "new", "u1", RT_SANDBOX_READY, 2, 100);
        ctr(&f, "c1", "u1", "app", "old", RT_CONTAINER_EXITED, 0, 290);
        ctr(&f, "c2", "u1", "app", "mid", RT_CONTAINER_EXITED, 1, 190);
        /* c1 goes (older instance), which empties "old"; c2 keeps "mid". */
        CHECK_STR(plan(&f), "c1 | old");
        fx_free(&f);
}

TEST(sandbox_with_running_container_stays)
{
        struct fx f;
        fx_init(&f);
        sbx(&f, "old", "u1", RT_SANDBOX_NOTREADY, 0, 300);
        sbx(&f, "new", "u1", RT_SANDBOX_READY, 1, 100);
        ctr(&f, "r", "u1", "app", "old", RT_CONTAINER_RUNNING, 0, 290);
        CHECK_STR(plan(&f), " |");
        fx_free(&f);
}

TEST(max_containers_evens_out_then_oldest_first)
{
        struct fx f;
        fx_init(&f);
        f.policy.max_per_pod_container = -1;
        f.policy.max_containers = 2;
        sbx(&f, "s1", "u1", RT_SANDBOX_READY, 0, 1000);
        ctr(&f, "a1", "u1", "a", "s1", RT_CONTAINER_EXITED, 0, 600);
        ctr(&f, "a2", "u1", "a", "s1", RT_CONTAINER_EXITED, 1, 500);
        ctr(&f, "b1", "u1", "b", "s1", RT_CONTAINER_EXITED, 0, 400);
        ctr(&f, "b2", "u1", "b", "s1", RT_CONTAINER_EXITED, 1, 300);
        ctr(&f, "c1", "u1", "c", "s1", RT_CONTAINER_EXITED, 0, 200);
        ctr(&f, "c2", "u1", "c", "s1", RT_CONTAINER_EXITED, 1, 100);
        /* 2 / 3 units rounds to 0, so one each (a1, b1, c1 go), then the
         * oldest of the three left (a2). */
        CHECK_STR(plan(&f), "a1,b1,c1,a2 |");
        f.policy.max_containers = 6;
        CHECK_STR(plan(&f), " |");
        f.policy.max_containers = 4; /* 4 / 3 = 1 each: 3 left, fits */
        CHECK_STR(plan(&f), "a1,b1,c1 |");
        fx_free(&f);
}

TEST(max_per_pod_container_zero_removes_all_dead)
{
        struct fx f;
        fx_init(&f);
        f.policy.max_per_pod_container = 0;
        sbx(&f, "s1", "u1", RT_SANDBOX_READY, 0, 1000);
        ctr(&f, "a1", "u1", "a", "s1", RT_CONTAINER_EXITED, 0, 600);
        ctr(&f, "a2", "u1", "a", "s1", RT_CONTAINER_EXITED, 1, 500);
        CHECK_STR(plan(&f), "a1,a2 |"); /* oldest first */
        fx_free(&f);
}

TEST(unlabelled_objects_are_not_ours)
{
        struct fx f;
        fx_init(&f);
        f.policy.max_per_pod_container = 0;
        sbx(&f, "foreign-s", NULL, RT_SANDBOX_NOTREADY, 0, 300);
        sbx(&f, "foreign-s2", NULL, RT_SANDBOX_NOTREADY, 1, 200);
        ctr(&f, "foreign", NULL, "app", "foreign-s", RT_CONTAINER_EXITED, 0, 290);
        CHECK_STR(plan(&f), " |");
        fx_free(&f);
}

/* pruneInitContainersBeforeStart */

static const char init_pod[] =
        "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\","
        "\"namespace\":\"default\",\"uid\":\"u1\"},\"spec\":{\"initContainers\":["
        "{\"name\":\"init1\",\"image\":\"busybox\"},{\"name\":\"side\",\"image\":\"busybox\","
        "\"restartPolicy\":\"Always\"}],\"containers\":[{\"name\":\"app\",\"image\":\"busybox\"}]}}";

static void obs(struct agent_pod_runtime *r, const char *id, const char *name,
                enum rt_container_state st)
{
        r->containers.v = realloc(r->containers.v, (r->containers.n + 1) * sizeof *r->containers.v);
        r->containers.v[r->containers.n++] = (struct agent_container_observed){
                .id = strdup(id), .sandbox_id = strdup("s1"), .name = strdup(name), .state = st,
        };
}

TEST(prune_init_keeps_newest_dead_instance)
{
        struct pod_set set = { 0 };
        struct dh_err *err = NULL;
        if (pod_load_buffer(init_pod, strlen(init_pod), &set, &err) < 0) {
                TEST_FAIL_("pod: %s", err->msg);
                dh_err_free(err);
                return;
        }
        struct agent_pod_runtime r = { 0 };
        /* newest first */
        obs(&r, "app3", "app", RT_CONTAINER_EXITED);
        obs(&r, "side3", "side", RT_CONTAINER_RUNNING);
        obs(&r, "init3", "init1", RT_CONTAINER_EXITED);
        obs(&r, "app2", "app", RT_CONTAINER_EXITED);
        obs(&r, "side2", "side", RT_CONTAINER_EXITED);
        obs(&r, "init2", "init1", RT_CONTAINER_UNKNOWN);
        obs(&r, "side1", "side", RT_CONTAINER_EXITED);
        obs(&r, "init1c", "init1", RT_CONTAINER_CREATED);
        obs(&r, "init0", "init1", RT_CONTAINER_EXITED);
        struct agent_container_gc_plan p = { 0 };
        CHECK_INT(agent_prune_init_containers(set.v[0].pod, &r, false, &p, &err), 0);
        char out[256];
        render(&p, out, sizeof out);
        /* init1: init3 stays; init2 (unknown) and init0 go, the created one
         * is not dead. side: the running one does not count, side2 stays.
         * app is no init container. */
        CHECK_STR(out, "init2?,init0,side1 |");
        if (p.containers.n)
                CHECK_STR(p.containers.v[0].pod_uid, "u1");
        agent_container_gc_plan_free(&p);
        /* A new sandbox: every init instance but the running one goes. */
        CHECK_INT(agent_prune_init_containers(set.v[0].pod, &r, true, &p, &err), 0);
        render(&p, out, sizeof out);
        CHECK_STR(out, "init3,init2?,init1c,init0,side2,side1 |");
        agent_container_gc_plan_free(&p);
        agent_pod_runtime_free(&r);
        pod_set_free(&set);
}

TEST(prune_init_nothing_without_duplicates)
{
        struct pod_set set = { 0 };
        struct dh_err *err = NULL;
        if (pod_load_buffer(init_pod, strlen(init_pod), &set, &err) < 0) {
                TEST_FAIL_("pod: %s", err->msg);
                dh_err_free(err);
                return;
        }
        struct agent_pod_runtime r = { 0 };
        obs(&r, "init1", "init1", RT_CONTAINER_EXITED);
        obs(&r, "side1", "side", RT_CONTAINER_RUNNING);
        struct agent_container_gc_plan p = { 0 };
        CHECK_INT(agent_prune_init_containers(set.v[0].pod, &r, false, &p, &err), 0);
        CHECK_INT(p.containers.n, 0);
        agent_container_gc_plan_free(&p);
        agent_pod_runtime_free(&r);
        pod_set_free(&set);
}

TEST_MAIN()
