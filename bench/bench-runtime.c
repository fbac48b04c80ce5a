/* bench-runtime: speed and memory figures for the built-in runtime, taken
 * with the real thing through its CRI ops table: deckhand-shim processes,
 * namespaces, cgroups and a busybox rootfs (scripts/busybox-rootfs.sh), with
 * state and root dirs in a temporary directory. It prints a table: medians
 * and p99s of RunPodSandbox, CreateContainer+StartContainer, StopContainer+
 * RemoveContainer; RSS, PSS and private memory of the shims (and pause
 * processes) of running pods; and the kernel's own cost of clone+exec for
 * comparison, each next to its target with PASS/MISS. It exits 0 unless
 * something fails functionally: per STYLE, targets are read from figures,
 * never asserted by timed tests. Whatever happens, every sandbox, cgroup,
 * mount and file it made is removed. Run as root:
 *   build/bench/bench-runtime [-n SAMPLES] [--pods PODS]
 * The shim is $DECKHAND_SHIM, else deckhand-shim in the build dir; $TMPDIR
 * picks the file system of the temporary directory. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/bench.h"
#include "cgroups/cgroups.h"
#include "cri/builtin/runtime.h"
#include "cri/json.h"
#include "lib/atomicfile.h"
#include "lib/cleanup.h"
#include "lib/parse.h"

#define TARGET_SANDBOX_MS 5.0
#define TARGET_CREATE_START_MS 10.0
#define TARGET_HELPER_KB 1536.0 /* 1.5 MiB */
#define GRACE_S 30              /* kubelet's default terminationGracePeriodSeconds */
#define SLEEP_PROBE_GRACE_S 2

static volatile sig_atomic_t interrupted;

/* --- the bench, its pods, and cleaning up after both --- */
struct pod {
        char *sid, *cid;
        struct rt_sandbox_config cfg;
        pid_t shim_pid, ctr_pid;
        bool shared_pid;
};

struct bench {
        struct rt *rt;
        struct cg_layout *cg;
        char *tmp, *image, *cgparent, *shim, *script;
        int n, npods;
        struct pod *pods;
        size_t cap;
};

static void pod_forget(struct pod *p)
{
        free(p->sid);
        free(p->cid);
        rt_sandbox_config_free(&p->cfg);
        *p = (struct pod){ 0 };
}

/* StopPodSandbox + RemovePodSandbox, as kubelet does; a shim that does not
 * answer is killed so nothing outlives the bench. */
static int pod_remove(struct bench *b, struct pod *p, struct dh_err **err)
{
        if (!p->sid)
                return 0;
        int r = b->rt->ops->stop_pod_sandbox(b->rt, p->sid, err);
        if (r == 0)
                r = b->rt->ops->remove_pod_sandbox(b->rt, p->sid, err);
        if (r < 0 && p->shim_pid > 0)
                kill(p->shim_pid, SIGKILL);
        pod_forget(p);
        return r;
}

/* Everything goes, whatever state the run ended in. */
static void bench_cleanup(struct bench *b)
{
        for (size_t i = 0; b->pods && i < b->cap; i++) {
                _cleanup_err_ struct dh_err *e = NULL;
                if (b->pods[i].sid && pod_remove(b, &b->pods[i], &e) < 0)
                        fprintf(stderr, "bench-runtime: cleanup: %s\n", e ? e->msg : "failed");
        }
        if (b->cg && b->cgparent) {
                cg_kill_all(b->cg, b->cgparent, SIGKILL, NULL);
                cg_remove(b->cg, b->cgparent, NULL);
        }
        if (b->tmp)
                bench_tmpdir_remove(b->tmp);
        if (b->rt)
                b->rt->ops->close(b->rt);
        cg_layout_free(b->cg);
        free(b->pods);
        free(b->tmp);
        free(b->image);
        free(b->cgparent);
        free(b->shim);
        free(b->script);
}

/* --- configs, shaped as kubelet sends them --- */
static int sandbox_cfg(struct bench *b, int idx, bool shared_pid, struct rt_sandbox_config *out,
                       struct dh_err **err)
{
        char name[32], uid[48];
        snprintf(name, sizeof name, "bench-%d", idx);
        snprintf(uid, sizeof uid, "bench-uid-%d", idx);
        _cleanup_free_ char *logdir = NULL, *cgp = NULL;
        if (asprintf(&logdir, "%s/logs/%s", b->tmp, name) < 0 ||
            asprintf(&cgp, "%s/pod%s", b->cgparent, uid) < 0)
                return dh_err_set(err, ENOMEM, "out of memory");
        int r = dh_mkdir_p(logdir, 0755, err);
        if (r < 0)
                return r;
        json_t *j = json_pack(
                "{s:{s:s, s:s, s:s, s:i}, s:s, s:s,"
                " s:{s:[s], s:[s,s], s:[s]},"
                " s:{s:s, s:s, s:s},"
                " s:{s:s, s:{s:{s:s}}}}",
                "metadata", "name", name, "uid", uid, "namespace", "default", "attempt", 0,
                "hostname", name, "log_directory", logdir,
                "dns_config", "servers", "10.96.0.10", "searches", "default.svc.cluster.local",
                "svc.cluster.local", "options", "ndots:5",
                "labels", "io.kubernetes.pod.name", name, "io.kubernetes.pod.namespace", "default",
                "io.kubernetes.pod.uid", uid,
                "linux", "cgroup_parent", cgp, "security_context", "namespace_options", "pid",
                shared_pid ? "POD" : "CONTAINER");
        if (!j)
                return dh_err_set(err, ENOMEM, "out of memory");
        r = rt_sandbox_config_from_json(j, out, err);
        json_decref(j);
        return r;
}

static int container_cfg(struct bench *b, const struct pod *p, const char *name, json_t *argv,
                         struct rt_container_config *out, struct dh_err **err)
{
        char log[64];
        static int seq;
        snprintf(log, sizeof log, "%s_%d.log", name, seq++);
        /* A BestEffort container: kubelet's cpu_shares 2 and oom_score_adj 1000. */
        json_t *j = json_pack(
                "{s:{s:s, s:i}, s:{s:s}, s:o, s:s,"
                " s:{s:{s:i, s:i, s:i}, s:{s:{s:s}}}}",
                "metadata", "name", name, "attempt", 0, "image", "image", b->image, "command", argv,
                "log_path", log,
                "linux", "resources", "cpu_shares", 2, "cpu_period", 100000, "oom_score_adj", 1000,
                "security_context", "namespace_options", "pid", p->shared_pid ? "POD" : "CONTAINER");
        if (!j)
                return dh_err_set(err, ENOMEM, "out of memory");
        int r = rt_container_config_from_json(j, out, err);
        json_decref(j);
        return r;
}

/* --- pod and container operations, timed where asked --- */
static int pod_create(struct bench *b, struct pod *p, int idx, bool shared_pid, double *ms,
                      struct dh_err **err)
{
        struct rt_sandbox_config cfg = { 0 };
        int r = sandbox_cfg(b, idx, shared_pid, &cfg, err);
        char *sid = NULL;
        double t0 = bench_now_ms();
        if (r == 0)
                r = b->rt->ops->run_pod_sandbox(b->rt, &cfg, NULL, &sid, err);
        double t1 = bench_now_ms();
        if (r < 0) {
                rt_sandbox_config_free(&cfg);
                return r;
        }
        *p = (struct pod){ .sid = sid, .cfg = cfg, .shared_pid = shared_pid };
        if (ms)
                *ms = t1 - t0;
        struct rt_sandbox_status st = { 0 };
        r = b->rt->ops->pod_sandbox_status(b->rt, sid, &st, err);
        p->shim_pid = st.shim_pid;
        rt_sandbox_status_free(&st);
        return r;
}

/* CreateContainer + StartContainer; ms[0] create, ms[1] start. */
static int ctr_run(struct bench *b, struct pod *p, const char *name, json_t *argv, double ms[2],
                   struct dh_err **err)
{
        struct rt_container_config cfg = { 0 };
        int r = container_cfg(b, p, name, argv, &cfg, err);
        char *cid = NULL;
        double t0 = bench_now_ms(), t1 = t0, t2 = t0;
        if (r == 0)
                r = b->rt->ops->create_container(b->rt, p->sid, &cfg, &p->cfg, &cid, err);
        t1 = bench_now_ms();
        if (r == 0) {
                p->cid = cid;
                r = b->rt->ops->start_container(b->rt, cid, err);
        }
        t2 = bench_now_ms();
        rt_container_config_free(&cfg);
        if (r < 0)
                return r;
        ms[0] = t1 - t0;
        ms[1] = t2 - t1;
        struct rt_container_status st = { 0 };
        r = b->rt->ops->container_status(b->rt, cid, &st, err);
        if (r == 0 && st.state != RT_CONTAINER_RUNNING)
                r = dh_err_set(err, EIO, "container %.12s is %s after start", cid,
                               rt_container_state_name(st.state));
        p->ctr_pid = st.pid;
        rt_container_status_free(&st);
        return r;
}

/* StopContainer(timeout) + RemoveContainer; ms[0] stop, ms[1] remove. */
static int ctr_remove(struct bench *b, struct pod *p, int64_t timeout_s, double ms[2],
                      struct dh_err **err)
{
        double t0 = bench_now_ms();
        int r = b->rt->ops->stop_container(b->rt, p->cid, timeout_s, err);
        double t1 = bench_now_ms();
        if (r == 0)
                r = b->rt->ops->remove_container(b->rt, p->cid, err);
        double t2 = bench_now_ms();
        ms[0] = t1 - t0;
        ms[1] = t2 - t1;
        free(p->cid);
        p->cid = NULL;
        p->ctr_pid = 0;
        return r;
}

static json_t *argv_json(const char *const *argv)
{
        json_t *a = json_array();
        for (size_t i = 0; a && argv[i]; i++)
                json_array_append_new(a, json_string(argv[i]));
        return a;
}

/* True once the process catches SIGTERM (its trap is installed). */
static bool catches_sigterm(pid_t pid)
{
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        _cleanup_free_ char *line = NULL;
        size_t cap = 0;
        while (f && getline(&line, &cap, f) > 0) {
                unsigned long long mask = 0;
                if (sscanf(line, "SigCgt: %llx", &mask) == 1)
                        return mask & (1ULL << (SIGTERM - 1));
        }
        return false;
}

static int wait_sigterm_trap(pid_t pid, struct dh_err **err)
{
        for (int i = 0; i < 5000 && !interrupted; i++) { /* up to 5 s, polled */
                if (catches_sigterm(pid))
                        return 0;
                usleep(1000);
        }
        return dh_err_set(err, ETIMEDOUT, "container pid %d never trapped SIGTERM", (int)pid);
}

static int check_interrupted(struct dh_err **err)
{
        return interrupted ? dh_err_set(err, EINTR, "interrupted") : 0;
}

/* --- 1-3: sandbox create, container create+start, stop+remove --- */
/* The figures of the lifecycle phases, one set of samples each. */
enum {
        L_SANDBOX, L_CREATE_START, L_CREATE, L_START, L_KILL_REMOVE, L_KILL, L_REMOVE,
        L_GRACE_REMOVE, L_GRACE, L_SANDBOX_REMOVE, L_COUNT
};

struct lifecycle {
        struct bench_samples v[L_COUNT];
        double sleep_probe_ms;
};

static int lifecycle_init(struct lifecycle *l, size_t n, struct dh_err **err)
{
        l->sleep_probe_ms = (double)NAN;
        for (int i = 0; i < L_COUNT; i++)
                if (bench_samples_init(&l->v[i], n, err) < 0)
                        return -ENOMEM;
        return 0;
}

static void lifecycle_free(struct lifecycle *l)
{
        for (int i = 0; i < L_COUNT; i++)
                bench_samples_free(&l->v[i]);
}

static int phase_sandboxes(struct bench *b, struct lifecycle *l, struct dh_err **err)
{
        for (int i = 0; i < b->n; i++) {
                double ms = 0;
                int r = check_interrupted(err);
                if (r == 0)
                        r = pod_create(b, &b->pods[i], i, false, &ms, err);
                if (r < 0)
                        return dh_err_prefix(err, "sandbox %d", i);
                bench_samples_add(&l->v[L_SANDBOX], ms);
        }
        return 0;
}

/* One `sleep 1000` per sandbox: each is its pod's first container. */
static int phase_containers(struct bench *b, struct lifecycle *l, struct dh_err **err)
{
        static const char *const sleep_argv[] = { "sleep", "1000", NULL };
        for (int i = 0; i < b->n; i++) {
                double ms[2] = { 0 };
                json_t *argv = argv_json(sleep_argv);
                int r = check_interrupted(err);
                if (r == 0)
                        r = ctr_run(b, &b->pods[i], "sleep", argv, ms, err);
                else
                        json_decref(argv);
                if (r < 0)
                        return dh_err_prefix(err, "container in sandbox %d", i);
                bench_samples_add(&l->v[L_CREATE], ms[0]);
                bench_samples_add(&l->v[L_START], ms[1]);
                bench_samples_add(&l->v[L_CREATE_START], ms[0] + ms[1]);
        }
        for (int i = 0; i < b->n; i++) {
                double ms[2] = { 0 };
                int r = check_interrupted(err);
                if (r == 0)
                        r = ctr_remove(b, &b->pods[i], 0, ms, err);
                if (r < 0)
                        return dh_err_prefix(err, "stop/remove in sandbox %d", i);
                bench_samples_add(&l->v[L_KILL], ms[0]);
                bench_samples_add(&l->v[L_REMOVE], ms[1]);
                bench_samples_add(&l->v[L_KILL_REMOVE], ms[0] + ms[1]);
        }
        return 0;
}

/* Graceful stops: a shell that exits on SIGTERM (waited for until its trap
 * is installed, untimed), then plain `sleep` once with a short grace. */
static int phase_grace(struct bench *b, struct lifecycle *l, struct dh_err **err)
{
        static const char *const trap_argv[] = { "sh", "-c", "trap 'exit 0' TERM; sleep 1000 & wait",
                                                 NULL };
        static const char *const sleep_argv[] = { "sleep", "1000", NULL };
        double ms[2] = { 0 };
        int r = 0;
        for (int i = 0; r == 0 && i < b->n; i++) {
                r = check_interrupted(err);
                json_t *argv = argv_json(trap_argv);
                if (r == 0)
                        r = ctr_run(b, &b->pods[i], "trap", argv, ms, err);
                else
                        json_decref(argv);
        }
        for (int i = 0; r == 0 && i < b->n; i++) {
                r = check_interrupted(err);
                if (r == 0)
                        r = wait_sigterm_trap(b->pods[i].ctr_pid, err);
                if (r == 0)
                        r = ctr_remove(b, &b->pods[i], GRACE_S, ms, err);
                if (r < 0)
                        break;
                bench_samples_add(&l->v[L_GRACE], ms[0]);
                bench_samples_add(&l->v[L_GRACE_REMOVE], ms[0] + ms[1]);
        }
        if (r == 0 && b->n > 0)
                r = ctr_run(b, &b->pods[0], "sleep", argv_json(sleep_argv), ms, err);
        if (r == 0 && b->n > 0)
                r = ctr_remove(b, &b->pods[0], SLEEP_PROBE_GRACE_S, ms, err);
        if (r == 0 && b->n > 0)
                l->sleep_probe_ms = ms[0];
        return r < 0 ? dh_err_prefix(err, "graceful stop") : 0;
}

static int phase_sandbox_remove(struct bench *b, struct lifecycle *l, struct dh_err **err)
{
        for (int i = 0; i < b->n; i++) {
                int r = check_interrupted(err);
                double t0 = bench_now_ms();
                if (r == 0)
                        r = pod_remove(b, &b->pods[i], err);
                if (r < 0)
                        return dh_err_prefix(err, "remove sandbox %d", i);
                bench_samples_add(&l->v[L_SANDBOX_REMOVE], bench_now_ms() - t0);
        }
        return 0;
}

static void lifecycle_print(struct lifecycle *l)
{
        char name[64];
        printf("\nlifecycle (real shims, namespaces, cgroups; no CNI, loopback only)\n");
        bench_row_ms("sandbox create (RunPodSandbox)", &l->v[L_SANDBOX], TARGET_SANDBOX_MS);
        bench_row_ms("container create+start", &l->v[L_CREATE_START], TARGET_CREATE_START_MS);
        bench_row_ms("  CreateContainer", &l->v[L_CREATE], 0);
        bench_row_ms("  StartContainer", &l->v[L_START], 0);
        bench_row_ms("container stop(0)+remove", &l->v[L_KILL_REMOVE], 0);
        bench_row_ms("  StopContainer timeout 0", &l->v[L_KILL], 0);
        bench_row_ms("  RemoveContainer", &l->v[L_REMOVE], 0);
        snprintf(name, sizeof name, "container stop(%ds)+remove, TERM trap", GRACE_S);
        bench_row_ms(name, &l->v[L_GRACE_REMOVE], 0);
        snprintf(name, sizeof name, "  StopContainer timeout %ds", GRACE_S);
        bench_row_ms(name, &l->v[L_GRACE], 0);
        bench_row_ms("sandbox stop+remove", &l->v[L_SANDBOX_REMOVE], 0);
        if (isnan(l->sleep_probe_ms))
                return;
        snprintf(name, sizeof name, "StopContainer `sleep 1000` %ds", SLEEP_PROBE_GRACE_S);
        printf("%-38s %8.2f ms  (one sample: %s)\n", name, l->sleep_probe_ms,
               l->sleep_probe_ms >= SLEEP_PROBE_GRACE_S * 900.0
                       ? "killed at the timeout; as its PID namespace's init, sleep ignores SIGTERM"
                       : "exited on SIGTERM");
}

static int run_lifecycle(struct bench *b, struct dh_err **err)
{
        struct lifecycle l = { 0 };
        int r = lifecycle_init(&l, (size_t)b->n, err);
        if (r == 0)
                r = phase_sandboxes(b, &l, err);
        if (r == 0)
                r = phase_containers(b, &l, err);
        if (r == 0)
                r = phase_grace(b, &l, err);
        if (r == 0)
                r = phase_sandbox_remove(b, &l, err);
        if (r == 0)
                lifecycle_print(&l);
        lifecycle_free(&l);
        return r;
}

/* --- 4: helper memory per running pod --- */
static void closedirp(DIR **d)
{
        if (*d)
                closedir(*d);
}

/* The pause process: the shim's child that is not the container. */
static pid_t find_pause(const struct pod *p)
{
        _cleanup_(closedirp) DIR *d = opendir("/proc");
        struct dirent *de;
        while (d && (de = readdir(d))) {
                int64_t v = 0;
                if (dh_parse_i64(de->d_name, 1, INT_MAX, &v, "pid", NULL) < 0)
                        continue;
                if ((pid_t)v != p->ctr_pid && bench_proc_ppid((pid_t)v) == p->shim_pid)
                        return (pid_t)v;
        }
        return 0;
}

/* Figures per process kind and metric: RSS (what the target is about),
 * PSS (shared pages split among their users) and private memory (what one
 * more pod really costs). */
enum { M_SHIM, M_PAUSE, M_SHARED_POD, M_WHO };

struct memfigs {
        struct bench_samples v[M_WHO][BENCH_MEM_METRICS];
};

static int memfigs_init(struct memfigs *m, size_t n, struct dh_err **err)
{
        for (int w = 0; w < M_WHO; w++)
                for (int k = 0; k < BENCH_MEM_METRICS; k++)
                        if (bench_samples_init(&m->v[w][k], n, err) < 0)
                                return -ENOMEM;
        return 0;
}

static void memfigs_free(struct memfigs *m)
{
        for (int w = 0; w < M_WHO; w++)
                for (int k = 0; k < BENCH_MEM_METRICS; k++)
                        bench_samples_free(&m->v[w][k]);
}

/* One pod's helpers: its shim, and its pause process in shared-PID pods. */
static int measure_pod(const struct pod *p, struct memfigs *m, struct dh_err **err)
{
        double shim[BENCH_MEM_METRICS] = { 0 }, pause[BENCH_MEM_METRICS] = { 0 };
        int r = bench_proc_mem(p->shim_pid, shim, err);
        pid_t pause_pid = p->shared_pid ? find_pause(p) : 0;
        if (r == 0 && p->shared_pid && !pause_pid)
                r = dh_err_set(err, ESRCH, "no pause process under shim %d", (int)p->shim_pid);
        if (r == 0 && pause_pid)
                r = bench_proc_mem(pause_pid, pause, err);
        if (r < 0)
                return r;
        for (int k = 0; k < BENCH_MEM_METRICS; k++) {
                bench_samples_add(&m->v[M_SHIM][k], shim[k]);
                if (!pause_pid)
                        continue;
                bench_samples_add(&m->v[M_PAUSE][k], pause[k]);
                bench_samples_add(&m->v[M_SHARED_POD][k], shim[k] + pause[k]);
        }
        return 0;
}

static void memfigs_print(struct memfigs *m, int plain, int shared)
{
        /* A pod's helpers are its shim, plus a pause in shared-PID pods. */
        static const char *const who[M_WHO] = { "shim, every pod:", "pause, shared-PID pods:",
                                                "shim+pause, shared-PID pod:" };
        static const char *const metric[BENCH_MEM_METRICS] = { "VmRSS", "Pss", "Private" };
        printf("\nhelper memory: %d pods (pid CONTAINER) + %d shared-PID pods (with a pause), one `sleep` each\n",
               plain, shared);
        for (int w = 0; w < M_WHO; w++) {
                for (int k = 0; k < BENCH_MEM_METRICS; k++) {
                        char name[64];
                        snprintf(name, sizeof name, "%s %s", who[w], metric[k]);
                        bench_row_kb(name, &m->v[w][k], w != M_PAUSE && k == BENCH_RSS ? TARGET_HELPER_KB : 0);
                }
        }
}

/* P pods with a `sleep` each, plus a quarter as many shared-PID pods. */
static int run_memory(struct bench *b, struct dh_err **err)
{
        static const char *const sleep_argv[] = { "sleep", "1000", NULL };
        int shared = (b->npods + 3) / 4, total = b->npods + shared, r;
        struct memfigs m = { 0 };
        r = memfigs_init(&m, (size_t)total, err);
        for (int i = 0; r == 0 && i < total; i++) {
                double ms[2];
                r = check_interrupted(err);
                if (r == 0)
                        r = pod_create(b, &b->pods[i], 1000 + i, i >= b->npods, NULL, err);
                if (r == 0)
                        r = ctr_run(b, &b->pods[i], "sleep", argv_json(sleep_argv), ms, err);
        }
        for (int i = 0; r == 0 && i < total; i++)
                r = measure_pod(&b->pods[i], &m, err);
        for (int i = 0; i < total; i++) {
                int r2 = pod_remove(b, &b->pods[i], r < 0 ? NULL : err);
                r = r < 0 ? r : r2;
        }
        if (r == 0)
                memfigs_print(&m, b->npods, shared);
        memfigs_free(&m);
        return r < 0 ? dh_err_prefix(err, "memory") : 0;
}

/* --- 5: the kernel's floor: clone (with namespaces) + exec /bin/true + wait --- */
static int run_floor(struct bench *b, struct dh_err **err)
{
        static const struct {
                const char *name;
                unsigned long flags;
        } kinds[] = {
                { "fork+exec /bin/true", 0 },
                { "  + NEWNS|NEWPID (container)", CLONE_NEWNS | CLONE_NEWPID },
                { "  + NEWNET|NEWUTS|NEWIPC (sandbox)", CLONE_NEWNET | CLONE_NEWUTS | CLONE_NEWIPC },
                { "  + all five", CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWUTS | CLONE_NEWIPC },
        };
        struct bench_samples s = { 0 };
        int r = bench_samples_init(&s, (size_t)b->n, err);
        if (r == 0)
                printf("\nkernel floor: clone(flags)+exec /bin/true+waitpid, no runtime\n");
        for (size_t k = 0; r == 0 && k < DH_ARRAY_SIZE(kinds); k++) {
                s.n = 0;
                for (int i = 0; r == 0 && i < b->n; i++) {
                        double ms = 0;
                        r = check_interrupted(err);
                        if (r == 0)
                                r = bench_spawn_true(kinds[k].flags, &ms, err);
                        bench_samples_add(&s, ms);
                }
                if (r == 0)
                        bench_row_ms(kinds[k].name, &s, 0);
        }
        bench_samples_free(&s);
        return r < 0 ? dh_err_prefix(err, "kernel floor") : 0;
}

/* --- set-up and main --- */
static char *beside_exe(const char *rel)
{
        char exe[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        if (n <= 0)
                return NULL;
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        char *p = NULL;
        if (!slash || asprintf(&p, "%.*s/%s", (int)(slash - exe), exe, rel) < 0)
                return NULL;
        return p;
}

static int find_tools(struct bench *b, struct dh_err **err)
{
        const char *env = getenv("DECKHAND_SHIM");
        b->shim = env && *env ? strdup(env) : beside_exe("../deckhand-shim");
        b->script = beside_exe("../../scripts/busybox-rootfs.sh");
        if (b->script && access(b->script, X_OK) < 0) {
                free(b->script);
                b->script = strdup("scripts/busybox-rootfs.sh"); /* from the source tree */
        }
        if (!b->shim || !b->script)
                return dh_err_set(err, ENOMEM, "out of memory");
        if (access(b->shim, X_OK) < 0)
                return dh_err_errno(err, errno, "shim %s (run `make` first, or set DECKHAND_SHIM)", b->shim);
        if (access(b->script, X_OK) < 0)
                return dh_err_errno(err, errno, "%s", b->script);
        return 0;
}

static int build_rootfs(struct bench *b, const char *dir, struct dh_err **err)
{
        pid_t pid = fork();
        if (pid < 0)
                return dh_err_errno(err, errno, "fork");
        if (pid == 0) {
                int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
                if (null >= 0)
                        dup2(null, 1);
                char *const argv[] = { b->script, (char *)dir, NULL };
                execv(b->script, argv);
                _exit(127);
        }
        int st = 0;
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
                ;
        return WIFEXITED(st) && WEXITSTATUS(st) == 0
                       ? 0 : dh_err_set(err, EIO, "%s %s failed", b->script, dir);
}

static int make_tmp(struct bench *b, struct dh_err **err)
{
        const char *base = getenv("TMPDIR");
        _cleanup_free_ char *tmpl = NULL;
        if (asprintf(&tmpl, "%s/deckhand-bench.XXXXXX", base && *base ? base : "/tmp") < 0)
                return dh_err_set(err, ENOMEM, "out of memory");
        if (!mkdtemp(tmpl))
                return dh_err_errno(err, errno, "mkdtemp %s", tmpl);
        b->tmp = TAKE_PTR(tmpl);
        return 0;
}

static int bench_setup(struct bench *b, struct dh_err **err)
{
        _cleanup_free_ char *rootfs = NULL, *state = NULL, *root = NULL;
        int r = find_tools(b, err);
        if (r == 0)
                r = make_tmp(b, err);
        if (r < 0)
                return r;
        if (asprintf(&rootfs, "%s/rootfs", b->tmp) < 0 || asprintf(&state, "%s/state", b->tmp) < 0 ||
            asprintf(&root, "%s/root", b->tmp) < 0 || asprintf(&b->image, "rootfs:%s", rootfs) < 0 ||
            asprintf(&b->cgparent, "deckhand-bench-%d", (int)getpid()) < 0)
                return dh_err_set(err, ENOMEM, "out of memory");
        b->cap = (size_t)(b->n > b->npods * 2 ? b->n : b->npods * 2);
        b->pods = calloc(b->cap, sizeof *b->pods);
        if (!b->pods)
                return dh_err_set(err, ENOMEM, "out of memory");
        r = build_rootfs(b, rootfs, err);
        if (r == 0)
                r = dh_mkdir_p(state, 0700, err);
        if (r == 0)
                r = dh_mkdir_p(root, 0700, err);
        if (r == 0)
                r = cg_detect(NULL, NULL, &b->cg, err);
        struct rt_builtin_options o = { .state_dir = state, .root_dir = root, .shim_path = b->shim };
        if (r == 0)
                r = rt_builtin_open(&o, &b->rt, err);
        return r;
}

static void print_header(const struct bench *b)
{
        struct utsname u = { 0 };
        uname(&u);
        struct stat st = { 0 };
        stat(b->shim, &st);
        printf("bench-runtime: %ld CPUs, Linux %s, cgroup v%d, temp dir on %s (%s)\n",
               sysconf(_SC_NPROCESSORS_ONLN), u.release, (int)cg_layout_version(b->cg),
               bench_fs_name(b->tmp), b->tmp);
        printf("shim %s (%lld bytes); %d samples, %d pods for memory\n", b->shim,
               (long long)st.st_size, b->n, b->npods);
        if (strcmp(bench_fs_name(b->tmp), "tmpfs") != 0)
                printf("note: state files are fsynced on %s here; the default state dir "
                       "(/run/deckhand) is tmpfs: TMPDIR=/dev/shm measures that layout\n",
                       bench_fs_name(b->tmp));
        bench_print_load("at start");
}

static void on_signal(int sig)
{
        (void)sig;
        interrupted = 1;
}

static int parse_opts(int argc, char **argv, struct bench *b)
{
        static const struct option opts[] = {
                { "pods", required_argument, NULL, 'p' },
                { "help", no_argument, NULL, 'h' },
                { NULL, 0, NULL, 0 },
        };
        int o, r = 0;
        while (r == 0 && (o = getopt_long(argc, argv, "n:h", opts, NULL)) != -1) {
                int64_t v = 0;
                _cleanup_err_ struct dh_err *e = NULL;
                r = o == 'n' || o == 'p' ? dh_parse_i64(optarg, 1, 10000, &v, o == 'n' ? "-n" : "--pods", &e)
                                         : -1;
                if (e)
                        fprintf(stderr, "bench-runtime: %s\n", e->msg);
                if (r == 0)
                        *(o == 'n' ? &b->n : &b->npods) = (int)v;
        }
        if (r == 0 && optind == argc)
                return 0;
        fprintf(stderr, "usage: bench-runtime [-n SAMPLES] [--pods PODS]  (as root)\n");
        return -1;
}

int main(int argc, char **argv)
{
        struct bench b = { .n = 100, .npods = 20 };
        if (parse_opts(argc, argv, &b) < 0)
                return 2;
        if (geteuid() != 0) {
                fprintf(stderr, "bench-runtime: needs root (namespaces, mounts, cgroups)\n");
                return 1;
        }
        struct sigaction sa = { .sa_handler = on_signal };
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        setvbuf(stdout, NULL, _IOLBF, 0);
        _cleanup_err_ struct dh_err *err = NULL;
        int r = bench_setup(&b, &err);
        if (r == 0)
                print_header(&b);
        if (r == 0)
                r = run_lifecycle(&b, &err);
        if (r == 0)
                r = run_memory(&b, &err);
        if (r == 0)
                r = run_floor(&b, &err);
        if (r == 0)
                bench_print_load("at end");
        bench_cleanup(&b);
        if (r < 0)
                fprintf(stderr, "bench-runtime: %s\n", err && err->msg ? err->msg : "failed");
        return r < 0 ? 1 : 0;
}
