/* The static pod file source: kubelet's static pod defaults, and a real
 * event loop over a temporary manifest directory (inotify, debounce,
 * resync). Every wait polls with a deadline. */
#include <fcntl.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/podsource.h"
#include "lib/cleanup.h"
#include "test.h"

#define NODE "node-1"
#define WAIT_MS 5000

#define POD(name, image)                                                              \
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: " name "\n"                    \
        "spec:\n  containers:\n  - name: c\n    image: " image "\n"

/* --- the pure part: static pod defaults --- */

static struct agent_static_pod *make(const char *yaml, const char *path, const char *node,
                                     int64_t seen, struct dh_err **e)
{
        struct pod_set set = { 0 };
        if (pod_load_buffer(yaml, strlen(yaml), &set, e) < 0 || set.n != 1 || set.v[0].errs.n) {
                TEST_FAIL_("bad test manifest: %s", *e ? (*e)->msg : "errors");
                pod_set_free(&set);
                return NULL;
        }
        struct agent_static_pod *sp = NULL;
        agent_static_pod_make(set.v[0].pod, path, node, seen, &sp, e);
        set.v[0].pod = NULL;
        pod_set_free(&set);
        return sp;
}

static bool has_toleration(const struct pod *p, const char *op, const char *effect)
{
        for (size_t i = 0; i < p->spec.tolerations.n; i++) {
                const struct pod_toleration *t = &p->spec.tolerations.v[i];
                if (!t->key && t->operator && strcmp(t->operator, op) == 0 && t->effect &&
                    strcmp(t->effect, effect) == 0 && !t->tolerationSeconds.set && !t->value)
                        return true;
        }
        return false;
}

TEST(static_defaults_follow_kubelet_apply_defaults)
{
        _cleanup_err_ struct dh_err *e = NULL;
        struct agent_static_pod *sp =
                make("apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n"
                     "  annotations: {team: a}\n"
                     "spec:\n  containers:\n  - {name: c, image: nginx:1}\n"
                     "  tolerations: [{key: k, operator: Exists, effect: NoSchedule}]\n"
                     "status: {phase: Running}\n",
                     "/etc/m/web.yaml", NODE, 1700000000123456789LL, &e);
        CHECK(sp != NULL);
        if (!sp)
                return;
        const struct pod *p = sp->pod;
        CHECK_STR(p->metadata.name, "web-node-1");
        CHECK_STR(p->metadata.namespace, "default");
        CHECK_STR(sp->key, "default/web-node-1");
        CHECK_STR(sp->path, "/etc/m/web.yaml");
        CHECK_INT(strlen(sp->hash), 64);
        CHECK_INT(strlen(p->metadata.uid), 32);
        CHECK(strncmp(p->metadata.uid, sp->hash, 32) == 0);
        CHECK_STR(dh_strmap_get(&p->metadata.annotations, AGENT_ANN_CONFIG_HASH), p->metadata.uid);
        CHECK_STR(dh_strmap_get(&p->metadata.annotations, AGENT_ANN_CONFIG_SOURCE), "file");
        CHECK_STR(dh_strmap_get(&p->metadata.annotations, AGENT_ANN_CONFIG_SEEN),
                  "2023-11-14T22:13:20.123456789Z");
        CHECK_STR(dh_strmap_get(&p->metadata.annotations, "team"), "a");
        CHECK_STR(p->spec.nodeName, NODE);
        CHECK_INT(p->spec.tolerations.n, 2);
        CHECK_STR(p->spec.tolerations.v[0].key, "k");
        CHECK(has_toleration(p, "Exists", "NoExecute"));
        CHECK_STR(p->status.phase, "Pending");
        agent_static_pod_free(sp);
}

TEST(static_defaults_keep_namespace_uid_and_an_equal_toleration)
{
        _cleanup_err_ struct dh_err *e = NULL;
        struct agent_static_pod *sp =
                make("apiVersion: v1\nkind: Pod\nmetadata: {name: db, namespace: kube-system, uid: my-uid}\n"
                     "spec:\n  containers:\n  - {name: c, image: nginx:1}\n"
                     "  tolerations: [{operator: Exists, effect: NoExecute, tolerationSeconds: 30}]\n",
                     "/m/db.yaml", NODE, 0, &e);
        CHECK(sp != NULL);
        if (!sp)
                return;
        CHECK_STR(sp->key, "kube-system/db-node-1");
        CHECK_STR(sp->pod->metadata.uid, "my-uid");
        CHECK_STR(dh_strmap_get(&sp->pod->metadata.annotations, AGENT_ANN_CONFIG_HASH), "my-uid");
        CHECK_STR(dh_strmap_get(&sp->pod->metadata.annotations, AGENT_ANN_CONFIG_SEEN),
                  "1970-01-01T00:00:00Z");
        /* AddOrUpdateToleration: the matching one is replaced, not doubled. */
        CHECK_INT(sp->pod->spec.tolerations.n, 1);
        CHECK(has_toleration(sp->pod, "Exists", "NoExecute"));
        agent_static_pod_free(sp);
}

/* The node part of the name is lowercased; spec.nodeName is the node name
 * as given, which validation then refuses, as kubelet's ValidatePod does. */
TEST(static_name_lowercases_the_node_and_is_validated)
{
        _cleanup_err_ struct dh_err *e = NULL;
        struct agent_static_pod *sp = make(POD("web", "nginx:1"), "/m/a", "Node-1", 0, &e);
        CHECK(sp == NULL);
        CHECK(e && e->code == DH_EINVAL_INPUT);
        CHECK_CONTAINS(e ? e->msg : NULL, "pod \"default/web-node-1\"");
        CHECK_CONTAINS(e ? e->msg : NULL, "spec.nodeName");
        dh_err_clear(&e);
        /* 253 characters at most, counted with the node suffix. */
        char yaml[600], name[260];
        memset(name, 'a', 250);
        name[250] = '\0';
        snprintf(yaml, sizeof yaml, POD("%s", "nginx:1"), name);
        sp = make(yaml, "/m/a", NODE, 0, &e);
        CHECK(sp == NULL);
        CHECK_CONTAINS(e ? e->msg : NULL, "metadata.name");
}

TEST(hash_is_stable_and_covers_spec_path_and_node)
{
        _cleanup_err_ struct dh_err *e = NULL;
        struct agent_static_pod *a = make(POD("web", "nginx:1"), "/m/a", NODE, 1, &e);
        /* Same content, other seen time and layout: same hash. */
        struct agent_static_pod *b = make("{\"kind\": \"Pod\", \"apiVersion\": \"v1\", "
                                          "\"spec\": {\"containers\": [{\"image\": \"nginx:1\", \"name\": \"c\"}]},"
                                          "\"metadata\": {\"name\": \"web\"}}",
                                          "/m/a", NODE, 2, &e);
        struct agent_static_pod *c = make(POD("web", "nginx:2"), "/m/a", NODE, 1, &e);
        struct agent_static_pod *d = make(POD("web", "nginx:1"), "/m/b", NODE, 1, &e);
        struct agent_static_pod *f = make(POD("web", "nginx:1"), "/m/a", "node-2", 1, &e);
        CHECK(a && b && c && d && f);
        if (a && b && c && d && f) {
                CHECK_STR(a->hash, b->hash);
                CHECK_STR(a->pod->metadata.uid, b->pod->metadata.uid);
                CHECK(strcmp(a->hash, c->hash) != 0);
                CHECK(strcmp(a->hash, d->hash) != 0);
                CHECK(strcmp(a->hash, f->hash) != 0);
                /* Fixed across runs: sha256 over node, path and canonical JSON.
                 * A model change that adds a default changes it (and every
                 * static pod UID), as a kubelet upgrade can. */
                CHECK_STR(a->pod->metadata.uid, "f9b25347e129316a8be7835e214e2c40");
        }
        agent_static_pod_free(a);
        agent_static_pod_free(b);
        agent_static_pod_free(c);
        agent_static_pod_free(d);
        agent_static_pod_free(f);
}

TEST(rfc3339nano_trims_the_fraction)
{
        char buf[40];
        CHECK_INT(agent_format_rfc3339nano(0, buf, sizeof buf), 20);
        CHECK_STR(buf, "1970-01-01T00:00:00Z");
        agent_format_rfc3339nano(1500000000, buf, sizeof buf);
        CHECK_STR(buf, "1970-01-01T00:00:01.5Z");
        agent_format_rfc3339nano(1000000010, buf, sizeof buf);
        CHECK_STR(buf, "1970-01-01T00:00:01.00000001Z");
        CHECK_INT(agent_format_rfc3339nano(0, buf, 10), -1);
}

/* --- the source in a real loop --- */

#define LOG_MAX 64
struct ctx {
        struct dh_loop *loop;
        struct agent_podsource *src;
        char *dir;
        char *log[LOG_MAX]; /* "add default/x-node-1 <path>", "update ...", "remove ...", "error <path>: <msg>" */
        size_t nlog, nerr, synced;
        char last_old_uid[40], last_new_uid[40];
        size_t want_log, want_synced;
        struct dh_timer *tick, *deadline; /* NULL once fired */
};

static void record(struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void record(struct ctx *c, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        char *s = NULL;
        if (vasprintf(&s, fmt, ap) < 0)
                s = NULL;
        va_end(ap);
        if (c->nlog < LOG_MAX)
                c->log[c->nlog++] = s;
        else
                free(s);
}

static void on_add(void *ud, const struct agent_static_pod *p)
{
        record(ud, "add %s %s", p->key, strrchr(p->path, '/') + 1);
}

static void on_update(void *ud, const struct agent_static_pod *old, const struct agent_static_pod *p)
{
        struct ctx *c = ud;
        snprintf(c->last_old_uid, sizeof c->last_old_uid, "%s", old->pod->metadata.uid);
        snprintf(c->last_new_uid, sizeof c->last_new_uid, "%s", p->pod->metadata.uid);
        record(ud, "update %s %s", p->key, strrchr(p->path, '/') + 1);
}

static void on_remove(void *ud, const struct agent_static_pod *p)
{
        record(ud, "remove %s", p->key);
}

static void on_error(void *ud, const char *path, const struct dh_err *e)
{
        struct ctx *c = ud;
        c->nerr++;
        record(ud, "error %s: %s", strrchr(path, '/') + 1, e->msg);
}

static void on_synced(void *ud, size_t n)
{
        (void)n;
        ((struct ctx *)ud)->synced++;
}

static const struct agent_podsource_ops ops = {
        .add = on_add, .update = on_update, .remove = on_remove, .error = on_error,
        .synced = on_synced,
};

static void poll_tick(struct dh_loop *l, void *ud)
{
        struct ctx *c = ud;
        c->tick = NULL;
        if (c->nlog >= c->want_log && c->synced >= c->want_synced)
                dh_loop_quit(l, 1);
        else
                c->tick = dh_loop_timer(l, 5, poll_tick, c, NULL);
}

static void deadline(struct dh_loop *l, void *ud)
{
        struct ctx *c = ud;
        c->deadline = NULL;
        dh_loop_quit(l, 0);
}

/* Runs the loop until the log holds n more lines and at least `scans` more
 * scans have finished, or WAIT_MS pass. */
static bool wait_for(struct ctx *c, size_t n, size_t scans)
{
        c->want_log = c->nlog + n;
        c->want_synced = c->synced + scans;
        c->tick = dh_loop_timer(c->loop, 0, poll_tick, c, NULL);
        c->deadline = dh_loop_timer(c->loop, WAIT_MS, deadline, c, NULL);
        CHECK(c->tick && c->deadline);
        bool ok = dh_loop_run(c->loop) == 1;
        /* Whichever did not fire is still pending: stop it. */
        dh_timer_cancel(c->tick);
        dh_timer_cancel(c->deadline);
        c->tick = c->deadline = NULL;
        if (!ok)
                TEST_FAIL_("timed out waiting for %zu log lines (have %zu) and %zu scans (have %zu)",
                           c->want_log, c->nlog, c->want_synced, c->synced);
        return ok;
}

/* The log line at i, or "" when there is none. */
static const char *at(struct ctx *c, size_t i)
{
        return i < c->nlog && c->log[i] ? c->log[i] : "";
}

static void put(struct ctx *c, const char *name, const char *content)
{
        char path[512];
        snprintf(path, sizeof path, "%s/%s", c->dir, name);
        FILE *f = fopen(path, "we");
        CHECK(f != NULL);
        if (!f)
                return;
        fputs(content, f);
        fclose(f);
}

/* Written aside under a dotfile name, then renamed in: an atomic write. */
static void put_atomic(struct ctx *c, const char *name, const char *content)
{
        char tmp[512], path[512];
        put(c, ".tmp", content);
        snprintf(tmp, sizeof tmp, "%s/.tmp", c->dir);
        snprintf(path, sizeof path, "%s/%s", c->dir, name);
        CHECK(rename(tmp, path) == 0);
}

static void rm(struct ctx *c, const char *name)
{
        char path[512];
        snprintf(path, sizeof path, "%s/%s", c->dir, name);
        CHECK(unlink(path) == 0);
}

static void start(struct ctx *c, const char *dir, uint64_t resync_ms)
{
        _cleanup_err_ struct dh_err *e = NULL;
        CHECK(dh_loop_new(&c->loop, &e) == 0);
        CHECK(agent_podsource_open(c->loop, dir, NODE, resync_ms, &ops, c, &c->src, &e) == 0);
        if (e)
                TEST_FAIL_("%s", e->msg);
}

static void stop(struct ctx *c)
{
        agent_podsource_close(c->src);
        dh_loop_free(c->loop);
        for (size_t i = 0; i < c->nlog; i++)
                free(c->log[i]);
        if (c->dir)
                test_rmtree(c->dir);
}

TEST(initial_scan_adds_every_pod_of_every_file)
{
        struct ctx c = { .dir = test_mkdtemp("podsource") };
        put(&c, "a.yaml", POD("web", "nginx:1"));
        put(&c, "b.yaml", "apiVersion: v1\nkind: PodList\nitems:\n"
                          "- metadata: {name: two}\n  spec: {containers: [{name: c, image: x:1}]}\n"
                          "- metadata: {name: one, namespace: kube-system}\n"
                          "  spec: {containers: [{name: c, image: x:1}]}\n");
        put(&c, ".hidden.yaml", POD("hidden", "nginx:1"));
        start(&c, c.dir, 0);
        wait_for(&c, 0, 1);
        CHECK_INT(c.nlog, 3);
        CHECK_STR(at(&c, 0), "add default/two-node-1 b.yaml");
        CHECK_STR(at(&c, 1), "add default/web-node-1 a.yaml");
        CHECK_STR(at(&c, 2), "add kube-system/one-node-1 b.yaml");
        const struct agent_static_pod *const *v;
        CHECK_INT(agent_podsource_pods(c.src, &v), 3);
        stop(&c);
}

TEST(files_that_come_change_and_go)
{
        struct ctx c = { .dir = test_mkdtemp("podsource") };
        put(&c, "a.yaml", POD("web", "nginx:1"));
        start(&c, c.dir, 0);
        wait_for(&c, 1, 1);
        CHECK_STR(at(&c, 0), "add default/web-node-1 a.yaml");
        uint64_t t0 = dh_now_ms();
        put(&c, "b.yaml", POD("db", "postgres:16"));
        if (wait_for(&c, 1, 1))
                CHECK(dh_now_ms() - t0 < 2000);
        CHECK_STR(at(&c, 1), "add default/db-node-1 b.yaml");

        put(&c, "a.yaml", POD("web", "nginx:2"));
        wait_for(&c, 1, 1);
        CHECK_STR(at(&c, 2), "update default/web-node-1 a.yaml");
        CHECK(strcmp(c.last_old_uid, c.last_new_uid) != 0);

        /* Rewritten and touched, unchanged: scanned again, nothing to say. */
        size_t n = c.nlog;
        put(&c, "a.yaml", POD("web", "nginx:2"));
        wait_for(&c, 0, 1);
        char path[512];
        snprintf(path, sizeof path, "%s/a.yaml", c.dir);
        CHECK(utimensat(AT_FDCWD, path, NULL, 0) == 0);
        wait_for(&c, 0, 1);
        CHECK_INT(c.nlog, n);

        rm(&c, "b.yaml");
        wait_for(&c, 1, 1);
        CHECK_STR(at(&c, n), "remove default/db-node-1");
        CHECK_INT(c.nerr, 0);
        stop(&c);
}

TEST(atomic_writes_by_rename_add_and_update)
{
        struct ctx c = { .dir = test_mkdtemp("podsource") };
        start(&c, c.dir, 0);
        wait_for(&c, 0, 1);
        CHECK_INT(c.nlog, 0);
        put_atomic(&c, "a.yaml", POD("web", "nginx:1"));
        wait_for(&c, 1, 1);
        CHECK_STR(at(&c, 0), "add default/web-node-1 a.yaml");
        put_atomic(&c, "a.yaml", POD("web", "nginx:2"));
        wait_for(&c, 1, 1);
        CHECK_STR(at(&c, 1), "update default/web-node-1 a.yaml");
        /* Moved out of the directory (renamed to a dotfile): gone. */
        char from[512], to[512];
        snprintf(from, sizeof from, "%s/a.yaml", c.dir);
        snprintf(to, sizeof to, "%s/.a.yaml.bak", c.dir);
        CHECK(rename(from, to) == 0);
        wait_for(&c, 1, 1);
        CHECK_STR(at(&c, 2), "remove default/web-node-1");
        CHECK_INT(c.nerr, 0);
        stop(&c);
}

TEST(invalid_files_are_reported_and_lose_their_pods)
{
        struct ctx c = { .dir = test_mkdtemp("podsource") };
        put(&c, "a.yaml", POD("web", "nginx:1"));
        put(&c, "b.yaml", POD("db", "postgres:16"));
        put(&c, "c.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: bad}\nspec:\n  containers:\n  - name: c\n");
        start(&c, c.dir, 0);
        wait_for(&c, 3, 1);
        CHECK_CONTAINS(at(&c, 0), "error c.yaml: ");
        CHECK_CONTAINS(at(&c, 0), "pod \"default/bad\": spec.containers[0].image: Required value");
        CHECK_STR(at(&c, 1), "add default/db-node-1 b.yaml");
        CHECK_STR(at(&c, 2), "add default/web-node-1 a.yaml");

        /* Valid to invalid (a syntax error): reported, its pod removed, the
         * others untouched. */
        put(&c, "a.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: web\n");
        wait_for(&c, 2, 1);
        CHECK_CONTAINS(at(&c, 3), "error a.yaml: ");
        CHECK_STR(at(&c, 4), "remove default/web-node-1");
        CHECK_INT(c.nlog, 5);

        /* A file is all or nothing: one bad document rejects its pods. */
        put(&c, "b.yaml", POD("db", "postgres:16") "---\nkind: ConfigMap\napiVersion: v1\n");
        wait_for(&c, 2, 1);
        CHECK_CONTAINS(at(&c, 5), "error b.yaml: ");
        CHECK_CONTAINS(at(&c, 5), "kind: Unsupported value: \"ConfigMap\"");
        CHECK_STR(at(&c, 6), "remove default/db-node-1");

        /* Fixed: back again. An empty file is an error too. */
        put(&c, "a.yaml", POD("web", "nginx:1"));
        put(&c, "e.yaml", "");
        wait_for(&c, 2, 1);
        CHECK_CONTAINS(at(&c, 7), "error e.yaml: ");
        CHECK_CONTAINS(at(&c, 7), "no pod in the file");
        CHECK_STR(at(&c, 8), "add default/web-node-1 a.yaml");
        stop(&c);
}

TEST(duplicate_names_keep_the_first_file)
{
        struct ctx c = { .dir = test_mkdtemp("podsource") };
        put(&c, "b.yaml", POD("web", "nginx:2"));
        put(&c, "a.yaml", POD("web", "nginx:1"));
        start(&c, c.dir, 0);
        wait_for(&c, 2, 1);
        CHECK_CONTAINS(at(&c, 0), "error b.yaml: ");
        CHECK_CONTAINS(at(&c, 0), "pod \"default/web-node-1\" is already defined by ");
        CHECK_STR(at(&c, 1), "add default/web-node-1 a.yaml");
        /* The first one gone, the other file's pod takes the name. */
        rm(&c, "a.yaml");
        wait_for(&c, 1, 1);
        CHECK_STR(at(&c, 2), "update default/web-node-1 b.yaml");
        stop(&c);
}

TEST(directory_removed_and_recreated)
{
        struct ctx c = { .dir = test_mkdtemp("podsource") };
        char dir[512];
        snprintf(dir, sizeof dir, "%s/manifests", c.dir);
        /* Missing at start: no pods, no error. With the default 20 s resync,
         * the directory is still picked up within seconds: while it is
         * missing it is looked for every second. */
        start(&c, dir, 0);
        wait_for(&c, 0, 1);
        CHECK_INT(c.nlog, 0);
        CHECK(mkdir(dir, 0755) == 0);
        char path[600];
        snprintf(path, sizeof path, "%s/a.yaml", dir);
        FILE *f = fopen(path, "we");
        CHECK(f != NULL);
        if (f) {
                fputs(POD("web", "nginx:1"), f);
                fclose(f);
        }
        wait_for(&c, 1, 0);
        CHECK_STR(at(&c, 0), "add default/web-node-1 a.yaml");

        CHECK(unlink(path) == 0 && rmdir(dir) == 0);
        wait_for(&c, 1, 0);
        CHECK_STR(at(&c, 1), "remove default/web-node-1");
        CHECK(mkdir(dir, 0755) == 0);
        f = fopen(path, "we");
        CHECK(f != NULL);
        if (f) {
                fputs(POD("web", "nginx:1"), f);
                fclose(f);
        }
        wait_for(&c, 1, 0);
        CHECK_STR(at(&c, 2), "add default/web-node-1 a.yaml");
        /* And watched again: a change is seen without waiting for a resync
         * (the resync would find it too, so only the outcome is checked). */
        f = fopen(path, "we");
        if (f) {
                fputs(POD("web", "nginx:2"), f);
                fclose(f);
        }
        wait_for(&c, 1, 0);
        CHECK_STR(at(&c, 3), "update default/web-node-1 a.yaml");
        CHECK_INT(c.nerr, 0);
        stop(&c);
}

/* Pods beyond AGENT_PODSOURCE_MAX_PODS: the file that would pass the bound
 * is rejected whole, in name order. */
TEST(pod_count_is_bounded)
{
        struct ctx c = { .dir = test_mkdtemp("podsource") };
        const char *names[] = { "a.json", "b.json" };
        for (int f = 0; f < 2; f++) {
                json_t *items = json_array();
                for (int i = 0; i < 600; i++) {
                        char name[32];
                        snprintf(name, sizeof name, "p%c%d", 'a' + f, i);
                        json_array_append_new(items, json_pack("{s:{s:s},s:{s:[{s:s,s:s}]}}",
                                                               "metadata", "name", name, "spec",
                                                               "containers", "name", "c", "image",
                                                               "x:1"));
                }
                json_t *list = json_pack("{s:s,s:s,s:o}", "apiVersion", "v1", "kind", "PodList",
                                         "items", items);
                _cleanup_free_ char *text = json_dumps(list, JSON_COMPACT);
                json_decref(list);
                put(&c, names[f], text);
        }
        start(&c, c.dir, 0);
        wait_for(&c, 0, 1);
        const struct agent_static_pod *const *v;
        CHECK_INT(agent_podsource_pods(c.src, &v), 600);
        CHECK_INT(c.nerr, 1);
        bool found = false;
        for (size_t i = 0; i < c.nlog; i++)
                if (strstr(at(&c, i), "error b.json: ") && strstr(at(&c, i), "more than 1000"))
                        found = true;
        CHECK(found);
        stop(&c);
}

TEST(open_needs_a_node_name)
{
        struct dh_loop *l = NULL;
        struct agent_podsource *s = NULL;
        _cleanup_err_ struct dh_err *e = NULL;
        CHECK(dh_loop_new(&l, &e) == 0);
        CHECK(agent_podsource_open(l, "/nonexistent", "", 0, &ops, NULL, &s, &e) < 0);
        CHECK(s == NULL);
        CHECK_CONTAINS(e ? e->msg : NULL, "node name");
        dh_loop_free(l);
}

TEST_MAIN()
