/* Stopping containers as the kubelet's killContainer does, inside the pod
 * manager's forked stop helpers (agent/podkill.c), where blocking is fine:
 * every container at once, each in a process of its own that runs the
 * container's preStop hook (given at most the grace period), waits for its
 * turn (sidecars stop after the regular containers, the last sidecar
 * first, KEP-753's termination ordering), then stops it with what is left
 * of the grace period but never less than 2 seconds: SIGTERM (or the
 * image's stop signal), then SIGKILL. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent/podmgr-internal.h"
#include "lib/cleanup.h"
#include "lib/log.h"
#include "probes/hook.h"

/* kubelet's minimumGracePeriodInSeconds. */
#define PM_MIN_GRACE_S 2
#define PM_TURN_POLL_MS 100

static void sleep_ms(int64_t ms)
{
        struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000 };
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

int pm_run_hook(struct agent_podmgr *m, struct pm_pod *p, const char *kind,
                const struct pod_lifecycle_handler *handler, const struct pod_container *c,
                const char *container_id, int64_t timeout_ms, char **msg, struct dh_err **err)
{
        struct probe_hook_ctx ctx = { .exec = m->probe_ctx.exec, .exec_ud = m->probe_ctx.exec_ud,
                                      .kube_version = m->probe_ctx.kube_version };
        char pod[512];
        if (agent_pod_format(p->sp->pod, pod, sizeof pod) < 0)
                snprintf(pod, sizeof pod, "%s", p->label);
        struct probe_hook h = { .kind = kind, .handler = handler, .container = c, .pod = pod,
                                .pod_ip = pm_pod_ip(p), .container_id = container_id,
                                .timeout_ms = timeout_ms };
        return probe_hook_run(&ctx, &h, msg, err);
}

/* Runs the preStop hook; returns the whole seconds it took. */
static int64_t pre_stop(struct agent_podmgr *m, struct pm_pod *p, const struct pm_stop *s)
{
        uint64_t t0 = dh_now_ms();
        _cleanup_free_ char *msg = NULL;
        _cleanup_err_ struct dh_err *err = NULL;
        int r = pm_run_hook(m, p, "PreStop", s->spec->lifecycle->preStop, s->spec, s->id,
                            s->grace_s * 1000, &msg, &err);
        if (r != 0)
                log_errors(r < 0 ? err->msg : msg, "PreStop hook failed", "pod", p->obj, "podUID", p->uid,
                           "containerName", s->name, "containerID", s->id, "reason", "FailedPreStopHook");
        return (int64_t)((dh_now_ms() - t0) / 1000);
}

static bool still_running(struct agent_podmgr *m, const char *id)
{
        struct rt_container_status st = { 0 };
        _cleanup_err_ struct dh_err *err = NULL;
        if (m->rt->ops->container_status(m->rt, id, &st, &err) < 0)
                return false;
        bool running = st.state == RT_CONTAINER_RUNNING;
        rt_container_status_free(&st);
        return running;
}

/* Waits until every container of an earlier turn stopped, at most grace_s;
 * returns the whole seconds waited. */
static int64_t wait_for_turn(struct agent_podmgr *m, const struct pm_stop *v, size_t n, size_t i,
                             int64_t grace_s)
{
        uint64_t t0 = dh_now_ms(), end = t0 + (uint64_t)grace_s * 1000;
        for (;;) {
                bool waiting = false;
                for (size_t j = 0; j < n && !waiting; j++)
                        waiting = v[j].turn < v[i].turn && still_running(m, v[j].id);
                if (!waiting || dh_now_ms() >= end)
                        break;
                sleep_ms(PM_TURN_POLL_MS);
        }
        return (int64_t)((dh_now_ms() - t0) / 1000);
}

static int stop_one(struct agent_podmgr *m, struct pm_pod *p, const struct pm_stop *v, size_t n,
                    size_t i, int fd)
{
        const struct pm_stop *s = &v[i];
        int64_t grace = s->grace_s;
        if (s->spec && s->spec->lifecycle && s->spec->lifecycle->preStop && grace > 0)
                grace -= pre_stop(m, p, s);
        if (s->turn && grace > 0)
                grace -= wait_for_turn(m, v, n, i, grace);
        if (grace < PM_MIN_GRACE_S)
                grace = PM_MIN_GRACE_S;
        _cleanup_err_ struct dh_err *err = NULL;
        if (m->rt->ops->stop_container(m->rt, s->id, grace, &err) < 0) {
                dprintf(fd, "stop container %s: %s\n", s->name, err->msg);
                return 1;
        }
        return 0;
}

int pm_stop_containers(struct agent_podmgr *m, struct pm_pod *p, const struct pm_stop *v, size_t n,
                       int fd)
{
        pid_t *pids = calloc(n ? n : 1, sizeof *pids);
        int ret = 0;
        if (!pids) {
                dprintf(fd, "out of memory\n");
                return 1;
        }
        for (size_t i = 0; i < n; i++) {
                pids[i] = fork();
                if (pids[i] == 0)
                        _exit(stop_one(m, p, v, n, i, fd));
                if (pids[i] < 0) { /* stop it from here, without the parallelism */
                        ret |= stop_one(m, p, v, n, i, fd);
                        pids[i] = 0;
                }
        }
        for (size_t i = 0; i < n; i++) {
                int st;
                while (pids[i] > 0 && waitpid(pids[i], &st, 0) < 0 && errno == EINTR)
                        ;
                if (pids[i] > 0 && !(WIFEXITED(st) && WEXITSTATUS(st) == 0))
                        ret = 1;
        }
        free(pids);
        return ret;
}

/* The container's spec by name, and its place among the sidecars. */
const struct pod_container *pm_container_spec(const struct pm_pod *p, const char *name,
                                              unsigned *turn)
{
        *turn = 0;
        if (!p->sp)
                return NULL;
        const struct pod_spec *spec = &p->sp->pod->spec;
        for (size_t i = 0; i < spec->containers.n; i++)
                if (strcmp(spec->containers.v[i].name, name) == 0)
                        return &spec->containers.v[i];
        size_t sidecars = 0;
        for (size_t i = 0; i < spec->initContainers.n; i++)
                sidecars += agent_is_sidecar(&spec->initContainers.v[i]);
        size_t k = 0;
        for (size_t i = 0; i < spec->initContainers.n; i++) {
                const struct pod_container *c = &spec->initContainers.v[i];
                bool sidecar = agent_is_sidecar(c);
                if (strcmp(c->name, name) == 0) {
                        *turn = sidecar ? (unsigned)(sidecars - k) : 0;
                        return c;
                }
                k += sidecar;
        }
        return NULL;
}
