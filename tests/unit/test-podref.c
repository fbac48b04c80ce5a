/* agent/ctl/podref: which container `deckctl logs|exec TARGET` means, over
 * hand-built runtime lists: container IDs and prefixes, pods by full and
 * bare static name, namespaces, kubectl's default container and its
 * notice, unknown -c, restarts and --previous, and the errors. */
#include <errno.h>
#include <string.h>

#include "agent/ctl/podref.h"
#include "agent/podruntime.h"
#include "agent/staticpod.h"
#include "test.h"

#define MAX_SB 8
#define MAX_C 16

struct fx {
        struct rt_sandbox_status sb[MAX_SB];
        struct rt_container_status c[MAX_C];
        struct rt_kv sb_ann[MAX_SB][2], c_ann[MAX_C][1];
        struct rt_sandbox_list sl;
        struct rt_container_list cl;
};

static void fx_init(struct fx *f)
{
        memset(f, 0, sizeof *f);
        f->sl.v = f->sb;
        f->cl.v = f->c;
}

static void sandbox(struct fx *f, const char *id, const char *ns, const char *name, const char *uid,
                    int64_t created)
{
        struct rt_sandbox_status *s = &f->sb[f->sl.n];
        s->id = (char *)id;
        s->metadata.namespace = (char *)ns;
        s->metadata.name = (char *)name;
        s->metadata.uid = (char *)uid;
        s->created_at = created;
        s->annotations.v = f->sb_ann[f->sl.n];
        f->sl.n++;
}

/* Annotates the last sandbox added. */
static void sandbox_ann(struct fx *f, const char *key, const char *value)
{
        struct rt_kvs *k = &f->sb[f->sl.n - 1].annotations;
        k->v[k->n++] = (struct rt_kv){ (char *)key, (char *)value };
}

static void ctr(struct fx *f, const char *id, const char *sandbox_id, const char *name, bool init,
                uint32_t attempt, int64_t created, enum rt_container_state state)
{
        struct rt_container_status *c = &f->c[f->cl.n];
        c->id = (char *)id;
        c->sandbox_id = (char *)sandbox_id;
        c->metadata.name = (char *)name;
        c->metadata.attempt = attempt;
        c->created_at = created;
        c->state = state;
        c->annotations.v = f->c_ann[f->cl.n];
        c->annotations.v[0] = (struct rt_kv){ (char *)AGENT_ANN_CONTAINER_TYPE, (char *)(init ? "init" : "container") };
        c->annotations.n = 1;
        f->cl.n++;
}

/* A static pod web-node1 (app and side, app restarted once) and an API pod
 * db in kube-system. */
static void two_pods(struct fx *f)
{
        fx_init(f);
        sandbox(f, "s1aaaa", "default", "web-node1", "uid-web", 100);
        sandbox_ann(f, AGENT_ANN_CONFIG_SOURCE, "file");
        ctr(f, "c1app0", "s1aaaa", "app", false, 0, 110, RT_CONTAINER_EXITED);
        ctr(f, "c2side", "s1aaaa", "side", false, 0, 120, RT_CONTAINER_RUNNING);
        ctr(f, "c3app1", "s1aaaa", "app", false, 1, 130, RT_CONTAINER_RUNNING);
        sandbox(f, "s2bbbb", "kube-system", "db", "uid-db", 200);
        ctr(f, "c4db00", "s2bbbb", "db", false, 0, 210, RT_CONTAINER_RUNNING);
}

static int resolve(struct fx *f, struct ctl_podref_query q, struct ctl_podref *out, struct dh_err **err)
{
        *out = (struct ctl_podref){ 0 };
        return ctl_podref_resolve(&f->sl, &f->cl, &q, out, err);
}

TEST(container_id_and_unique_prefix)
{
        struct fx f;
        two_pods(&f);
        struct ctl_podref r;
        struct dh_err *err = NULL;
        CHECK_INT(resolve(&f, (struct ctl_podref_query){ .target = "c2side" }, &r, &err), 0);
        CHECK_STR(r.container->id, "c2side");
        CHECK(r.pod == NULL && r.notice == NULL);
        CHECK_STR(r.container_name, "side");
        ctl_podref_free(&r);
        CHECK_INT(resolve(&f, (struct ctl_podref_query){ .target = "c4" }, &r, &err), 0);
        CHECK_STR(r.container->id, "c4db00");
        ctl_podref_free(&r);
        CHECK_INT(resolve(&f, (struct ctl_podref_query){ .target = "c" }, &r, &err), -EINVAL);
        CHECK_CONTAINS(err ? err->msg : NULL, "container id prefix \"c\" is ambiguous");
        dh_err_clear(&err);
}

TEST(pod_by_name_defaults_to_first_container_with_notice)
{
        struct fx f;
        two_pods(&f);
        struct ctl_podref r;
        struct dh_err *err = NULL;
        CHECK_INT(resolve(&f, (struct ctl_podref_query){ .target = "web-node1" }, &r, &err), 0);
        CHECK_STR(r.container->id, "c3app1"); /* the newest instance */
        CHECK_STR(r.pod, "web-node1");
        CHECK_STR(r.namespace, "default");
        CHECK_STR(r.container_name, "app");
        CHECK_STR(r.notice, "Defaulted container \"app\" out of: app, side");
        ctl_podref_free(&r);
        CHECK_INT(resolve(&f, (struct ctl_podref_query){ .target = "web-node1", .container = "side", .pod_only = true },
                          &r, &err), 0);
        CHECK_STR(r.container->id, "c2side");
        CHECK(r.notice == NULL);
        ctl_podref_free(&r);
}

TEST(unknown_container_lists_the_pods_containers)
{
        struct fx f;
        two_pods(&f);
        struct ctl_podref r;
        struct dh_err *err = NULL;
        CHECK_INT(resolve(&f, (struct ctl_podref_query){ .target = "web", .container = "nope", .pod_only = true },
                          &r, &err), -ENOENT);
        CHECK_STR(err ? err->msg : NULL, "container nope is not valid for pod web-node1 out of: app, side");
        dh_err_clear(&err);
}

TEST(single_container_pod_has_no_notice)
{
        struct fx f;
        two_pods(&f);
        struct ctl_podref r;
        struct dh_err *err = NULL;
        CHECK_INT(resolve(&f, (struct ctl_podref_query){ .target = "db", .namespace = "kube-system",
                                                         .pod_only = true }, &r, &err), 0);
        CHECK_STR(r.container->id, "c4db00");
        CHECK(r.notice == NULL);
        CHECK_STR(r.namespace, "kube-system");
        ctl_podref_free(&r);
}

TEST(namespace_scopes_the_pod_name)
{
        struct fx f;
        two_pods(&f);
        struct ctl_podref r;
        struct dh_err *err = NULL;
        CHECK_INT(resolve(&f, (struct ctl_podref_query){ .target = "db" }, &r, &err), -ENOENT);
        CHECK_STR(err ? err->msg : NULL,
                  "pods \"db\" not found in namespace \"default\" (nor is it a container ID)");
        dh_err_clear(&err);
        CHECK_INT(resolve(&f, (struct ctl_podref_query){ .target = "web", .namespace = "kube-system",
                                                         .pod_only = true }, &r, &err), -ENOENT);
        CHECK_STR(err ? err->msg : NULL, "pods \"web\" not found in namespace \"kube-system\"");
        dh_err_clear(&err);
}

TEST(init_containers_are_listed_last_and_not_the_default)
{
        struct fx f;
        fx_init(&f);
        sandbox(&f, "s1", "default", "p", "u", 100);
        ctr(&f, "i1", "s1", "setup", true, 0, 101, RT_CONTAINER_EXITED);
        ctr(&f, "a1", "s1", "main", false, 0, 102, RT_CONTAINER_RUNNING);
        struct ctl_podref r;
        struct dh_err *err = NULL;
        CHECK_INT(resolve(&f, (struct ctl_podref_query){ .target = "p" }, &r, &err), 0);
        CHECK_STR(r.container_name, "main");
        /* one app container, but init containers exist: kubectl says so */
        CHECK_STR(r.notice, "Defaulted container \"main\" out of: main, setup (init)");
        ctl_podref_free(&r);
        CHECK_INT(resolve(&f, (struct ctl_podref_query){ .target = "p", .container = "setup", .pod_only = true },
                          &r, &err), 0);
        CHECK_STR(r.container->id, "i1");
        ctl_podref_free(&r);
}

TEST(while_initializing_the_init_container_is_the_default)
{
        struct fx f;
        fx_init(&f);
        sandbox(&f, "s1", "default", "p", "u", 100);
        ctr(&f, "i1", "s1", "setup", true, 0, 101, RT_CONTAINER_RUNNING);
        struct ctl_podref r;
        struct dh_err *err = NULL;
        CHECK_INT(resolve(&f, (struct ctl_podref_query){ .target = "p" }, &r, &err), 0);
        CHECK_STR(r.container->id, "i1");
        CHECK(r.notice == NULL);
        ctl_podref_free(&r);
}

TEST(default_container_annotation)
{
        struct fx f;
        two_pods(&f);
        f.sl.n = 1; /* web-node1 only: annotate it */
        sandbox_ann(&f, CTL_ANN_DEFAULT_CONTAINER, "side");
        f.sl.n = 2;
        struct ctl_podref r;
        struct dh_err *err = NULL;
        CHECK_INT(resolve(&f, (struct ctl_podref_query){ .target = "web-node1" }, &r, &err), 0);
        CHECK_STR(r.container->id, "c2side");
        CHECK(r.notice == NULL);
        ctl_podref_free(&r);
        /* naming a container the runtime does not have (yet): the first one */
        f.sb[0].annotations.v[1].value = (char *)"later";
        CHECK_INT(resolve(&f, (struct ctl_podref_query){ .target = "web-node1" }, &r, &err), 0);
        CHECK_STR(r.container_name, "app");
        CHECK_STR(r.notice, "Defaulted container \"app\" out of: app, side");
        ctl_podref_free(&r);
}

TEST(previous_is_the_instance_before)
{
        struct fx f;
        two_pods(&f);
        struct ctl_podref r;
        struct dh_err *err = NULL;
        CHECK_INT(resolve(&f, (struct ctl_podref_query){ .target = "web", .container = "app", .previous = true,
                                                         .pod_only = true }, &r, &err), 0);
        CHECK_STR(r.container->id, "c1app0");
        ctl_podref_free(&r);
        CHECK_INT(resolve(&f, (struct ctl_podref_query){ .target = "web", .container = "side", .previous = true,
                                                         .pod_only = true }, &r, &err), -ENOENT);
        CHECK_STR(err ? err->msg : NULL, "previous terminated container \"side\" in pod \"web-node1\" not found");
        dh_err_clear(&err);
        /* by container ID: the instance before that one */
        CHECK_INT(resolve(&f, (struct ctl_podref_query){ .target = "c3app1", .previous = true }, &r, &err), 0);
        CHECK_STR(r.container->id, "c1app0");
        CHECK_STR(r.pod, "web-node1");
        ctl_podref_free(&r);
        CHECK_INT(resolve(&f, (struct ctl_podref_query){ .target = "c1app0", .previous = true }, &r, &err), -ENOENT);
        dh_err_clear(&err);
}

TEST(same_creation_time_attempt_decides)
{
        struct fx f;
        fx_init(&f);
        sandbox(&f, "s1", "default", "p", "u", 100);
        ctr(&f, "a2", "s1", "main", false, 2, 150, RT_CONTAINER_RUNNING);
        ctr(&f, "a1", "s1", "main", false, 1, 150, RT_CONTAINER_EXITED);
        ctr(&f, "a0", "s1", "main", false, 0, 120, RT_CONTAINER_EXITED);
        struct ctl_podref r;
        struct dh_err *err = NULL;
        CHECK_INT(resolve(&f, (struct ctl_podref_query){ .target = "p" }, &r, &err), 0);
        CHECK_STR(r.container->id, "a2");
        ctl_podref_free(&r);
        CHECK_INT(resolve(&f, (struct ctl_podref_query){ .target = "p", .previous = true }, &r, &err), 0);
        CHECK_STR(r.container->id, "a1");
        ctl_podref_free(&r);
}

TEST(newest_sandbox_decides_the_pod)
{
        struct fx f;
        fx_init(&f);
        /* a replaced pod (new UID) under the same name, and a restarted
         * sandbox of the current one */
        sandbox(&f, "old", "default", "p", "u-old", 100);
        sandbox(&f, "cur1", "default", "p", "u-new", 200);
        sandbox(&f, "cur2", "default", "p", "u-new", 300);
        ctr(&f, "x-old", "old", "main", false, 0, 110, RT_CONTAINER_EXITED);
        ctr(&f, "x-cur1", "cur1", "main", false, 0, 210, RT_CONTAINER_EXITED);
        ctr(&f, "x-cur2", "cur2", "main", false, 1, 310, RT_CONTAINER_RUNNING);
        struct ctl_podref r;
        struct dh_err *err = NULL;
        CHECK_INT(resolve(&f, (struct ctl_podref_query){ .target = "p", .previous = true }, &r, &err), 0);
        CHECK_STR(r.container->id, "x-cur1");
        ctl_podref_free(&r);
        f.cl.n = 2; /* only the old pod's and the first sandbox's: nothing before x-cur1 */
        CHECK_INT(resolve(&f, (struct ctl_podref_query){ .target = "p", .previous = true }, &r, &err), -ENOENT);
        dh_err_clear(&err);
}

TEST(bare_static_name)
{
        struct fx f;
        two_pods(&f);
        sandbox(&f, "s3", "default", "web-abc12", "uid-api", 300); /* an API pod, not static */
        ctr(&f, "c5api", "s3", "web", false, 0, 310, RT_CONTAINER_RUNNING);
        struct ctl_podref r;
        struct dh_err *err = NULL;
        CHECK_INT(resolve(&f, (struct ctl_podref_query){ .target = "web", .container = "app", .pod_only = true },
                          &r, &err), 0);
        CHECK_STR(r.pod, "web-node1"); /* the static one wins */
        ctl_podref_free(&r);
        /* the full name of the other works */
        CHECK_INT(resolve(&f, (struct ctl_podref_query){ .target = "web-abc12" }, &r, &err), 0);
        CHECK_STR(r.container->id, "c5api");
        ctl_podref_free(&r);
        /* "we" is no pod's bare name: no prefix matching beyond NAME-suffix */
        CHECK_INT(resolve(&f, (struct ctl_podref_query){ .target = "we", .pod_only = true }, &r, &err), -ENOENT);
        dh_err_clear(&err);
        /* a second static candidate: ambiguous, listing both */
        sandbox(&f, "s4", "default", "web-node2", "uid-web2", 400);
        sandbox_ann(&f, AGENT_ANN_CONFIG_SOURCE, "file");
        CHECK_INT(resolve(&f, (struct ctl_podref_query){ .target = "web", .pod_only = true }, &r, &err), -EINVAL);
        CHECK_STR(err ? err->msg : NULL,
                  "pod name \"web\" is ambiguous in namespace \"default\": web-node1, web-node2");
        dh_err_clear(&err);
}

TEST(bare_name_without_static_pods)
{
        struct fx f;
        fx_init(&f);
        sandbox(&f, "s1", "default", "job-x1", "u1", 100);
        ctr(&f, "j1", "s1", "job", false, 0, 110, RT_CONTAINER_RUNNING);
        struct ctl_podref r;
        struct dh_err *err = NULL;
        CHECK_INT(resolve(&f, (struct ctl_podref_query){ .target = "job" }, &r, &err), 0);
        CHECK_STR(r.pod, "job-x1");
        ctl_podref_free(&r);
        sandbox(&f, "s2", "default", "job-x2", "u2", 200);
        sandbox(&f, "s0", "default", "job-x0", "u0", 50);
        CHECK_INT(resolve(&f, (struct ctl_podref_query){ .target = "job" }, &r, &err), -EINVAL);
        CHECK_STR(err ? err->msg : NULL,
                  "pod name \"job\" is ambiguous in namespace \"default\": job-x0, job-x1, job-x2");
        dh_err_clear(&err);
}

TEST(pod_only_when_c_or_n_given)
{
        struct fx f;
        fx_init(&f);
        /* a pod whose name is also a container ID prefix */
        sandbox(&f, "s1", "default", "abc", "u", 100);
        ctr(&f, "abc123", "s1", "main", false, 0, 110, RT_CONTAINER_RUNNING);
        ctr(&f, "def456", "s1", "other", false, 0, 120, RT_CONTAINER_RUNNING);
        struct ctl_podref r;
        struct dh_err *err = NULL;
        CHECK_INT(resolve(&f, (struct ctl_podref_query){ .target = "abc" }, &r, &err), 0);
        CHECK(r.pod == NULL); /* the container ID wins */
        CHECK_STR(r.container->id, "abc123");
        ctl_podref_free(&r);
        CHECK_INT(resolve(&f, (struct ctl_podref_query){ .target = "abc", .container = "other", .pod_only = true },
                          &r, &err), 0);
        CHECK_STR(r.pod, "abc");
        CHECK_STR(r.container->id, "def456");
        ctl_podref_free(&r);
        /* an ambiguous ID prefix that names a pod: the pod */
        ctr(&f, "abc999", "s1", "main", false, 1, 130, RT_CONTAINER_RUNNING);
        CHECK_INT(resolve(&f, (struct ctl_podref_query){ .target = "abc" }, &r, &err), 0);
        CHECK_STR(r.pod, "abc");
        CHECK_STR(r.container->id, "abc999");
        ctl_podref_free(&r);
}

TEST(pod_without_containers_and_empty_target)
{
        struct fx f;
        fx_init(&f);
        sandbox(&f, "s1", "default", "empty", "u", 100);
        struct ctl_podref r;
        struct dh_err *err = NULL;
        CHECK_INT(resolve(&f, (struct ctl_podref_query){ .target = "empty" }, &r, &err), -ENOENT);
        CHECK_STR(err ? err->msg : NULL, "pod default/empty does not have any containers");
        dh_err_clear(&err);
        CHECK_INT(resolve(&f, (struct ctl_podref_query){ .target = "" }, &r, &err), -EINVAL);
        dh_err_clear(&err);
}

TEST_MAIN()
