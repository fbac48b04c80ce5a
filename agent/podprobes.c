/* The pod manager's prober (kubelet's prober manager): one probe worker
 * (probes/worker.h) per running container, probe kind and pod, keyed by
 * pod UID + container name + kind. Workers read the container's state
 * from the pod's last status, run probes through probes/probe.h (exec in
 * a forked helper calling rt exec_sync), and a changed result schedules a
 * pod sync, which hands the results to agent_pod_actions and
 * agent_pod_status. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agent/podmgr-internal.h"
#include "lib/cleanup.h"
#include "lib/log.h"
#include "probes/worker.h"

struct pm_prober {
        struct pm_prober *next;
        struct agent_podmgr *m;
        char *uid, *name;
        enum probe_kind kind;
        struct probe_worker *w;
        char *result_id; /* the container the result is for; NULL: none yet */
        enum agent_probe_result result;
};

/* One probe in flight: the probe itself, or a failure decided before it
 * could start (a pod without an IP), delivered from the loop. */
struct pm_run {
        struct probe_op *op;
        struct dh_timer *timer;
        probe_done_fn done;
        void *done_ud;
};

static void prober_free(struct pm_prober *pr)
{
        probe_worker_free(pr->w);
        free(pr->uid);
        free(pr->name);
        free(pr->result_id);
        free(pr);
}

static const struct pod_container *spec_of(const struct pm_pod *p, const char *name)
{
        const struct pod_spec *s = &p->sp->pod->spec;
        for (size_t i = 0; i < s->containers.n; i++)
                if (strcmp(s->containers.v[i].name, name) == 0)
                        return &s->containers.v[i];
        for (size_t i = 0; i < s->initContainers.n; i++)
                if (agent_is_sidecar(&s->initContainers.v[i]) &&
                    strcmp(s->initContainers.v[i].name, name) == 0)
                        return &s->initContainers.v[i];
        return NULL;
}

static const struct pod_probe *probe_of(const struct pod_container *c, enum probe_kind k)
{
        return k == PROBE_STARTUP ? c->startupProbe : k == PROBE_LIVENESS ? c->livenessProbe : c->readinessProbe;
}

static const struct agent_container_status *status_of(const struct pm_pod *p, const char *name)
{
        const struct agent_pod_status *s = &p->status;
        for (size_t i = 0; i < s->container_statuses.n; i++)
                if (strcmp(s->container_statuses.v[i].name, name) == 0)
                        return &s->container_statuses.v[i];
        for (size_t i = 0; i < s->init_container_statuses.n; i++)
                if (strcmp(s->init_container_statuses.v[i].name, name) == 0)
                        return &s->init_container_statuses.v[i];
        return NULL;
}

static const char *bare_id(const char *id)
{
        const char *s = id ? strstr(id, "://") : NULL;
        return s ? s + 3 : id;
}

/* The pod of pr while the manager still runs it with a status. */
static struct pm_pod *pod_of(struct pm_prober *pr)
{
        struct pm_pod *p = pm_find(pr->m, pr->uid);
        return p && p->sp && !p->terminating && p->has_status ? p : NULL;
}

static void on_state(void *ud, struct probe_worker *w, struct probe_container_state *out)
{
        (void)w;
        struct pm_prober *pr = ud;
        struct pm_pod *p = pod_of(pr);
        const struct agent_container_status *cs = p ? status_of(p, pr->name) : NULL;
        if (!cs)
                return; /* pod_known false: wait */
        *out = (struct probe_container_state){
                .pod_known = true,
                .pod_terminated = p->status.phase == AGENT_PHASE_SUCCEEDED ||
                                  p->status.phase == AGENT_PHASE_FAILED,
                .restart_never = !agent_pod_restarts_on_failure(p->sp->pod),
                .container_id = bare_id(cs->container_id),
                .running = cs->state.kind == AGENT_STATE_RUNNING,
                .terminated = cs->state.kind == AGENT_STATE_TERMINATED,
                .started_at_ms = cs->state.started_at / 1000000,
                .started = cs->started.set && cs->started.v,
        };
}

static void run_free(struct pm_run *r)
{
        dh_timer_cancel(r->timer);
        probe_cancel(r->op);
        free(r);
}

static void run_done(void *ud, const struct probe_outcome *o)
{
        struct pm_run *r = ud;
        probe_done_fn done = r->done;
        void *done_ud = r->done_ud;
        r->op = NULL; /* gone once done runs */
        run_free(r);
        done(done_ud, o);
}

static void no_ip(struct dh_loop *l, void *ud)
{
        (void)l;
        struct pm_run *r = ud;
        r->timer = NULL;
        struct probe_outcome o = {
                .result = PROBE_FAILURE,
                /* No pod networking yet: the built-in runtime gives a
                 * sandbox no IP, and the agent cannot reach into a pod's
                 * own netns without one. */
                .output = (char *)"pod has no IP yet (no pod networking: tcpSocket, httpGet and "
                                  "grpc probes work only for hostNetwork pods)",
        };
        run_done(r, &o);
}

static void *on_run(void *ud, struct probe_worker *w, const char *container_id, probe_done_fn done,
                    void *done_ud, struct dh_err **err)
{
        (void)w;
        struct pm_prober *pr = ud;
        struct pm_pod *p = pod_of(pr);
        const struct pod_container *c = p ? spec_of(p, pr->name) : NULL;
        const struct pod_probe *spec = c ? probe_of(c, pr->kind) : NULL;
        if (!spec) {
                dh_err_set(err, ENOENT, "container %s has no %s probe any more", pr->name,
                           probe_kind_name(pr->kind));
                return NULL;
        }
        struct pm_run *r = calloc(1, sizeof *r);
        if (!r) {
                dh_err_set(err, ENOMEM, "out of memory");
                return NULL;
        }
        *r = (struct pm_run){ .done = done, .done_ud = done_ud };
        const char *ip = pm_pod_ip(p);
        if (!ip && !spec->exec) {
                if (!(r->timer = dh_loop_timer(pr->m->loop, 0, no_ip, r, err))) {
                        free(r);
                        return NULL;
                }
                return r;
        }
        struct probe_target t = { .spec = spec, .ports = c->ports.v, .nports = c->ports.n,
                                  .pod_ip = ip, .container_id = container_id };
        if (!(r->op = probe_run(&pr->m->probe_ctx, &t, run_done, r, err))) {
                free(r);
                return NULL;
        }
        return r;
}

static void on_cancel(void *ud, void *handle)
{
        (void)ud;
        run_free(handle);
}

static enum agent_probe_result to_agent(enum probe_status s)
{
        return s == PROBE_STATUS_SUCCESS ? AGENT_PROBE_SUCCESS
               : s == PROBE_STATUS_FAILURE ? AGENT_PROBE_FAILURE
                                           : AGENT_PROBE_UNKNOWN;
}

static struct pm_prober *find(struct agent_podmgr *m, const char *uid, const char *name, enum probe_kind k)
{
        for (struct pm_prober *pr = m->probers; pr; pr = pr->next)
                if (pr->kind == k && strcmp(pr->uid, uid) == 0 && strcmp(pr->name, name) == 0)
                        return pr;
        return NULL;
}

/* kubelet's "SyncLoop (probe)" names: probe="readiness" status="ready". */
static const char *probe_sync_name(enum probe_kind k)
{
        return k == PROBE_LIVENESS ? "liveness" : k == PROBE_STARTUP ? "startup" : "readiness";
}

static const char *probe_sync_status(enum probe_kind k, enum probe_status s)
{
        if (s == PROBE_STATUS_UNKNOWN)
                return "unknown";
        bool ok = s == PROBE_STATUS_SUCCESS;
        switch (k) {
        case PROBE_LIVENESS: return ok ? "healthy" : "unhealthy";
        case PROBE_STARTUP: return ok ? "started" : "unhealthy";
        default: return ok ? "ready" : "not ready";
        }
}

static void on_result(void *ud, struct probe_worker *w, const char *container_id, enum probe_status s)
{
        (void)w;
        struct pm_prober *pr = ud;
        char *id = strdup(container_id ? container_id : "");
        if (!id) {
                log_errors("out of memory", "Failed to keep a probe result", "podUID", pr->uid,
                           "containerName", pr->name);
                return;
        }
        free(pr->result_id);
        pr->result_id = id;
        pr->result = to_agent(s);
        struct pm_pod *p = pod_of(pr);
        if (!p)
                return;
        log_infos("SyncLoop (probe)", "probe", probe_sync_name(pr->kind), "status",
                  probe_sync_status(pr->kind, s), "pod", p->obj, "podUID", p->uid, "containerName", pr->name);
        /* kubelet triggers readiness as soon as the container started. */
        struct pm_prober *rd = find(pr->m, pr->uid, pr->name, PROBE_READINESS);
        if (pr->kind == PROBE_STARTUP && s == PROBE_STATUS_SUCCESS && rd)
                probe_worker_trigger(rd->w);
        pm_schedule(pr->m, p);
}

static void on_probed(void *ud, struct probe_worker *w, const struct probe_outcome *o)
{
        (void)w;
        struct pm_prober *pr = ud;
        struct pm_pod *p = pod_of(pr);
        if (!p || o->result == PROBE_SUCCESS)
                return;
        if (o->result == PROBE_WARNING)
                log_infos("Probe succeeded with a warning", "probeType", probe_kind_name(pr->kind), "pod",
                          p->obj, "podUID", p->uid, "containerName", pr->name, "output", o->output);
        else if (o->result == PROBE_FAILURE)
                log_infos("Probe failed", "probeType", probe_kind_name(pr->kind), "pod", p->obj, "podUID",
                          p->uid, "containerName", pr->name, "probeResult", "failure", "output", o->output);
        else
                log_errors(o->output, "Probe errored", "probeType", probe_kind_name(pr->kind), "pod", p->obj,
                           "podUID", p->uid, "containerName", pr->name);
}

static const struct probe_worker_ops worker_ops = {
        .state = on_state, .run = on_run, .cancel = on_cancel,
        .result = on_result, .probed = on_probed,
};

const char *pm_pod_ip(const struct pm_pod *p)
{
        if (p->has_status && p->status.pod_ip)
                return p->status.pod_ip;
        const struct dh_opt_bool *hn = p->sp ? &p->sp->pod->spec.hostNetwork : NULL;
        return hn && hn->set && hn->v ? "127.0.0.1" : NULL;
}

/* In the exec probe's forked helper: blocking is fine here. */
static int exec_in_helper(void *ud, const char *container_id, const struct dh_strv *cmd, int64_t timeout_ms,
                          struct probe_exec_result *out, struct dh_err **err)
{
        struct rt *rt = ud;
        struct rt_exec_sync_result res = { 0 };
        int64_t timeout_s = (timeout_ms + 999) / 1000;
        if (rt->ops->exec_sync(rt, container_id, cmd, timeout_s, PROBE_OUTPUT_MAX, &res, err) < 0)
                return -1;
        probe_output_append(&out->output, res.stdout_buf, res.stdout_len);
        probe_output_append(&out->output, res.stderr_buf, res.stderr_len);
        out->exit_code = res.exit_code;
        out->timed_out = res.timed_out;
        rt_exec_sync_result_free(&res);
        return 0;
}

int pm_probes_open(struct agent_podmgr *m, struct dh_err **err)
{
        if (dh_http_new(m->loop, &m->http, err) < 0)
                return dh_err_prefix(err, "probe HTTP client");
        m->probe_ctx = (struct probe_ctx){ .loop = m->loop, .http = m->http, .exec = exec_in_helper,
                                           .exec_ud = m->rt };
        m->start_ms = dh_realtime_ns() / 1000000;
        return 0;
}

void pm_probes_close(struct agent_podmgr *m)
{
        while (m->probers) {
                struct pm_prober *pr = m->probers;
                m->probers = pr->next;
                prober_free(pr);
        }
        dh_http_free(m->http);
        m->http = NULL;
}

void pm_probes_forget(struct agent_podmgr *m, const char *uid)
{
        for (struct pm_prober **pp = &m->probers; *pp;) {
                struct pm_prober *pr = *pp;
                if (strcmp(pr->uid, uid) != 0) {
                        pp = &pr->next;
                        continue;
                }
                *pp = pr->next;
                prober_free(pr);
        }
}

static void add_worker(struct agent_podmgr *m, struct pm_pod *p, const char *name, enum probe_kind k,
                       const struct pod_probe *spec)
{
        if (!spec || find(m, p->uid, name, k))
                return;
        _cleanup_err_ struct dh_err *err = NULL;
        struct pm_prober *pr = calloc(1, sizeof *pr);
        if (!pr || !(pr->uid = strdup(p->uid)) || !(pr->name = strdup(name))) {
                log_errors("out of memory", "Failed to add a probe worker", "pod", p->obj, "podUID", p->uid,
                           "containerName", name);
                if (pr)
                        prober_free(pr);
                return;
        }
        pr->m = m;
        pr->kind = k;
        struct probe_worker_config cfg;
        probe_worker_config_from_spec(spec, k, &cfg);
        if (!(pr->w = probe_worker_new(m->loop, &cfg, &worker_ops, pr, m->start_ms, &err))) {
                log_errors(err->msg, "Failed to add a probe worker", "probeType", probe_kind_name(k), "pod",
                           p->obj, "podUID", p->uid, "containerName", name);
                prober_free(pr);
                return;
        }
        pr->next = m->probers;
        m->probers = pr;
}

void pm_probes_ensure(struct agent_podmgr *m, struct pm_pod *p)
{
        if (!p->sp || p->terminating || !p->has_status)
                return;
        const struct agent_pod_status *s = &p->status;
        for (size_t i = 0; i < s->container_statuses.n + s->init_container_statuses.n; i++) {
                const struct agent_container_status *cs =
                        i < s->container_statuses.n ? &s->container_statuses.v[i]
                                                    : &s->init_container_statuses.v[i - s->container_statuses.n];
                const struct pod_container *c = spec_of(p, cs->name);
                if (!c || cs->state.kind != AGENT_STATE_RUNNING)
                        continue;
                add_worker(m, p, c->name, PROBE_STARTUP, c->startupProbe);
                add_worker(m, p, c->name, PROBE_LIVENESS, c->livenessProbe);
                add_worker(m, p, c->name, PROBE_READINESS, c->readinessProbe);
        }
}

static struct agent_container_result *result_slot(struct agent_container_result *v, size_t *n, const char *id)
{
        for (size_t i = 0; i < *n; i++)
                if (strcmp(v[i].container_id, id) == 0)
                        return &v[i];
        v[*n] = (struct agent_container_result){ .container_id = id };
        return &v[(*n)++];
}

int pm_probe_results(struct agent_podmgr *m, const struct pm_pod *p, struct agent_container_results *out)
{
        size_t max = 0;
        for (struct pm_prober *pr = m->probers; pr; pr = pr->next)
                max += strcmp(pr->uid, p->uid) == 0 && pr->result_id;
        *out = (struct agent_container_results){ 0 };
        if (!max)
                return 0;
        struct agent_container_result *v = calloc(max, sizeof *v);
        if (!v)
                return -ENOMEM;
        size_t n = 0;
        for (struct pm_prober *pr = m->probers; pr; pr = pr->next) {
                if (strcmp(pr->uid, p->uid) != 0 || !pr->result_id)
                        continue;
                struct agent_container_result *r = result_slot(v, &n, pr->result_id);
                if (pr->kind == PROBE_STARTUP)
                        r->startup = pr->result;
                else if (pr->kind == PROBE_LIVENESS)
                        r->liveness = pr->result;
                else
                        r->readiness = pr->result;
        }
        *out = (struct agent_container_results){ v, n };
        return 0;
}
