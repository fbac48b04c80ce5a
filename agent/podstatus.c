/* generateAPIPodStatus: container statuses (convertToAPIContainerStatuses),
 * the prober's started/ready, the phase (getPhase), the previous status'
 * terminal phase and reason, the active deadline, and startTime. */
#include "agent/podstatus.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/podstatus-internal.h"

#define NS_PER_S 1000000000LL

struct conv {
        const struct pod *pod;
        const struct agent_pod_runtime *obs;
        const struct agent_container_results *results;
        bool oom;
};

static char *dup(struct conv *c, const char *s)
{
        if (!s)
                return NULL;
        char *d = strdup(s);
        if (!d)
                c->oom = true;
        return d;
}

const char *agent_pod_phase_name(enum agent_pod_phase p)
{
        static const char *const names[] = { "Pending", "Running", "Succeeded", "Failed", "Unknown" };
        return (size_t)p < sizeof names / sizeof names[0] ? names[p] : "Unknown";
}

static void state_free(struct agent_container_state *s)
{
        free(s->reason);
        free(s->message);
        free(s->container_id);
        *s = (struct agent_container_state){ 0 };
}

static void cstatus_free(struct agent_container_status *s)
{
        free(s->name);
        free(s->image);
        free(s->image_id);
        free(s->container_id);
        state_free(&s->state);
        state_free(&s->last_state);
}

void agent_pod_status_free(struct agent_pod_status *s)
{
        if (!s)
                return;
        free(s->reason);
        free(s->message);
        for (size_t i = 0; i < s->n_conditions; i++)
                free(s->conditions[i].message);
        for (size_t i = 0; i < s->init_container_statuses.n; i++)
                cstatus_free(&s->init_container_statuses.v[i]);
        free(s->init_container_statuses.v);
        for (size_t i = 0; i < s->container_statuses.n; i++)
                cstatus_free(&s->container_statuses.v[i]);
        free(s->container_statuses.v);
        free(s->host_ip);
        free(s->pod_ip);
        *s = (struct agent_pod_status){ 0 };
}

static struct agent_container_state state_copy(struct conv *c, const struct agent_container_state *s)
{
        struct agent_container_state d = *s;
        d.reason = dup(c, s->reason);
        d.message = dup(c, s->message);
        d.container_id = dup(c, s->container_id);
        return d;
}

static struct agent_container_state waiting(struct conv *c, const char *reason, const char *message)
{
        return (struct agent_container_state){
                .kind = AGENT_STATE_WAITING, .reason = dup(c, reason), .message = dup(c, message),
        };
}

static const struct agent_container_status *find_in(const struct agent_container_status *v,
                                                    size_t n, const char *name)
{
        for (size_t i = 0; i < n; i++)
                if (v[i].name && strcmp(v[i].name, name) == 0)
                        return &v[i];
        return NULL;
}

const struct agent_container_status *status_find(const struct agent_pod_status *s,
                                                 const char *name)
{
        const struct agent_container_status *r =
                find_in(s->container_statuses.v, s->container_statuses.n, name);
        return r ? r : find_in(s->init_container_statuses.v, s->init_container_statuses.n, name);
}

static char *container_id(struct conv *c, const char *id)
{
        char *s = NULL;
        if (asprintf(&s, "%s://%s", c->obs && c->obs->runtime_name ? c->obs->runtime_name : "", id) < 0) {
                c->oom = true;
                return NULL;
        }
        return s;
}

/* convertContainerStatus: one runtime instance as an API status. */
static struct agent_container_status convert_one(struct conv *c,
                                                 const struct agent_container_observed *o,
                                                 const struct agent_container_status *old,
                                                 const struct pod_container *spec)
{
        struct agent_container_status s = {
                .name = dup(c, o->name), .restart_count = o->restart_count,
                .image = dup(c, o->image ? o->image : spec->image),
                .image_id = dup(c, o->image_ref ? o->image_ref : ""),
                .container_id = container_id(c, o->id),
        };
        switch (o->state) {
        case RT_CONTAINER_RUNNING:
                s.state = (struct agent_container_state){ .kind = AGENT_STATE_RUNNING,
                                                          .started_at = o->started_at };
                /* The prober keeps "started" for the same instance. */
                if (old && old->started.set && old->container_id && s.container_id &&
                    strcmp(old->container_id, s.container_id) == 0)
                        s.started = old->started;
                break;
        case RT_CONTAINER_EXITED:
                s.state = (struct agent_container_state){
                        .kind = AGENT_STATE_TERMINATED, .exit_code = o->exit_code,
                        .reason = dup(c, o->reason), .message = dup(c, o->message),
                        .started_at = o->started_at, .finished_at = o->finished_at,
                        .container_id = dup(c, s.container_id),
                };
                break;
        case RT_CONTAINER_UNKNOWN:
                if (old && old->state.kind == AGENT_STATE_RUNNING) {
                        /* It ran and vanished: report it terminated, not
                         * never-run, and count the restart. */
                        s.state = (struct agent_container_state){
                                .kind = AGENT_STATE_TERMINATED, .exit_code = 137,
                                .reason = dup(c, "ContainerStatusUnknown"),
                                .message = dup(c, "The container could not be located when the pod was terminated"),
                        };
                        s.restart_count = old->restart_count + 1;
                        break;
                }
                s.state = waiting(c, NULL, NULL);
                break;
        default: /* created: waiting to run */
                s.state = waiting(c, NULL, NULL);
                break;
        }
        return s;
}

/* The default for a container: waiting (ContainerCreating, or
 * PodInitializing in a pod with init containers), with the restart count
 * and last state from before, or the previous status whole if it was
 * terminated. */
static struct agent_container_status default_status(struct conv *c, const struct pod_container *spec,
                                                    const struct agent_container_status *old)
{
        if (old && old->state.kind == AGENT_STATE_TERMINATED) {
                struct agent_container_status s = *old;
                s.name = dup(c, old->name);
                s.image = dup(c, old->image);
                s.image_id = dup(c, old->image_id);
                s.container_id = dup(c, old->container_id);
                s.state = state_copy(c, &old->state);
                s.last_state = state_copy(c, &old->last_state);
                return s;
        }
        struct agent_container_status s = {
                .name = dup(c, spec->name), .image = dup(c, spec->image), .image_id = dup(c, ""),
                .state = waiting(c, c->pod->spec.initContainers.n ? "PodInitializing" : "ContainerCreating",
                                 NULL),
        };
        if (old) {
                s.restart_count = old->restart_count;
                s.last_state = state_copy(c, &old->last_state);
        }
        return s;
}

static bool is_default_waiting(const struct conv *c, const struct agent_container_status *s)
{
        const char *want = c->pod->spec.initContainers.n ? "PodInitializing" : "ContainerCreating";
        return s->state.kind == AGENT_STATE_WAITING && s->state.reason &&
               strcmp(s->state.reason, want) == 0;
}

/* A container that was running and is gone from the runtime terminated,
 * even though nothing says how. */
static void vanished_running(struct conv *c, struct agent_container_status *s,
                             const struct agent_container_status *old)
{
        if (!old || old->state.kind != AGENT_STATE_RUNNING || !is_default_waiting(c, s) ||
            s->last_state.kind == AGENT_STATE_TERMINATED)
                return;
        state_free(&s->last_state);
        s->last_state = (struct agent_container_state){
                .kind = AGENT_STATE_TERMINATED, .exit_code = 137,
                .reason = dup(c, "ContainerStatusUnknown"),
                .message = dup(c, "The container could not be located when the pod was deleted.  "
                                  "The container used to be Running"),
        };
        if (!c->pod->metadata.deletionTimestamp)
                s->restart_count++;
}

/* The newest instance is the status, the one before it the last state. */
static void from_runtime(struct conv *c, struct agent_container_status *s,
                         const struct agent_container_status *old, const struct pod_container *spec)
{
        const struct agent_container_observed *seen[2] = { NULL, NULL };
        size_t n = 0;
        for (size_t i = 0; c->obs && i < c->obs->containers.n && n < 2; i++)
                if (c->obs->containers.v[i].name && strcmp(c->obs->containers.v[i].name, spec->name) == 0)
                        seen[n++] = &c->obs->containers.v[i];
        if (n == 0) {
                vanished_running(c, s, old);
                return;
        }
        struct agent_container_status now = convert_one(c, seen[0], old, spec);
        if (n == 2) {
                struct agent_container_status before = convert_one(c, seen[1], old, spec);
                now.last_state = before.state;
                before.state = (struct agent_container_state){ 0 };
                cstatus_free(&before);
        }
        cstatus_free(s);
        *s = now;
}

static const struct agent_start_failure *start_failure(const struct conv *c, const char *name)
{
        for (size_t i = 0; c->obs && i < c->obs->start_failures.n; i++)
                if (strcmp(c->obs->start_failures.v[i].name, name) == 0)
                        return &c->obs->start_failures.v[i];
        return NULL;
}

/* Containers that will be started again show why they have not been yet
 * (the reason cache); init containers that completed stay terminated. */
static void waiting_reason(struct conv *c, struct agent_container_status *s,
                           const struct pod_container *spec, bool init)
{
        if (init) {
                const struct agent_container_observed *o = agent_pod_runtime_find(c->obs, spec->name);
                if (o && o->state == RT_CONTAINER_EXITED && o->exit_code == 0)
                        return;
                if (!o && agent_any_regular_container_created(c->pod, c->obs) && !agent_is_sidecar(spec) &&
                    s->state.kind == AGENT_STATE_WAITING) {
                        state_free(&s->state);
                        s->state = (struct agent_container_state){
                                .kind = AGENT_STATE_TERMINATED, .reason = dup(c, "Completed"),
                                .message = dup(c, "Unable to get init container status from container "
                                                  "runtime and pod has been initialized, treat it as exited normally"),
                        };
                        return;
                }
        }
        if (!agent_container_should_restart(c->pod, spec, c->obs))
                return;
        const struct agent_start_failure *f = start_failure(c, spec->name);
        if (!f)
                return;
        if (s->state.kind == AGENT_STATE_TERMINATED) {
                state_free(&s->last_state);
                s->last_state = s->state;
        } else {
                state_free(&s->state);
        }
        s->state = waiting(c, f->reason, f->message);
}

/* convertToAPIContainerStatuses for one list (init or regular), in spec
 * order. */
static bool convert_list(struct conv *c, const struct pod_container *specs, size_t n, bool init,
                         const struct agent_container_status *prev, size_t n_prev,
                         struct agent_container_status **out)
{
        struct agent_container_status *v = calloc(n ? n : 1, sizeof *v);
        if (!v)
                return false;
        for (size_t i = 0; i < n; i++) {
                const struct agent_container_status *old = find_in(prev, n_prev, specs[i].name);
                v[i] = default_status(c, &specs[i], old);
                from_runtime(c, &v[i], old, &specs[i]);
                waiting_reason(c, &v[i], &specs[i], init);
        }
        *out = v;
        return true;
}

/* The prober's isContainerStarted. */
static bool started(const struct conv *c, const struct pod_container *spec,
                    const struct agent_container_status *s, const char *id)
{
        if (s->state.kind != AGENT_STATE_RUNNING)
                return false;
        const struct agent_container_result *r = agent_container_results_find(c->results, id);
        if (r && r->startup != AGENT_PROBE_NONE)
                return r->startup == AGENT_PROBE_SUCCESS;
        if (s->started.set && s->started.v)
                return true;
        return spec->startupProbe == NULL;
}

/* Ready: running and passing readiness, or running with no readiness
 * probe at all. */
static bool ready(const struct conv *c, const struct pod_container *spec,
                  const struct agent_container_status *s, const char *id)
{
        if (s->state.kind != AGENT_STATE_RUNNING)
                return false;
        const struct agent_container_result *r = agent_container_results_find(c->results, id);
        if (r && r->readiness == AGENT_PROBE_SUCCESS)
                return true;
        return spec->readinessProbe == NULL;
}

/* The bare runtime ID from "<runtime>://<id>". */
static const char *bare_id(const struct agent_container_status *s)
{
        const char *p = s->container_id ? strstr(s->container_id, "://") : NULL;
        return p ? p + 3 : NULL;
}

/* The prober manager's UpdatePodStatus. */
static void probe_update(const struct conv *c, struct agent_container_status *v,
                         const struct pod_container *specs, size_t n, bool init)
{
        for (size_t i = 0; i < n; i++) {
                const char *id = bare_id(&v[i]);
                bool st = started(c, &specs[i], &v[i], id);
                v[i].started = (struct dh_opt_bool){ .v = st, .set = true };
                if (init && !agent_is_sidecar(&specs[i])) {
                        v[i].ready = v[i].state.kind == AGENT_STATE_TERMINATED && v[i].state.exit_code == 0;
                        continue;
                }
                v[i].ready = st && ready(c, &specs[i], &v[i], id);
        }
}

struct phase_counts {
        int pending_init, pending_sidecar, failed_init;
        int unknown, running, waiting, stopped, succeeded;
};

static void count_regular_init(const struct agent_container_status *s, struct phase_counts *k)
{
        if (!s) {
                k->pending_init++;
                return;
        }
        switch (s->state.kind) {
        case AGENT_STATE_TERMINATED:
                if (s->state.exit_code != 0)
                        k->failed_init++;
                break;
        case AGENT_STATE_WAITING:
                if (s->last_state.kind == AGENT_STATE_TERMINATED) {
                        if (s->last_state.exit_code != 0)
                                k->failed_init++;
                } else {
                        k->pending_init++;
                }
                break;
        default: /* running, or no state */
                k->pending_init++;
                break;
        }
}

static void count_sidecar(const struct agent_container_status *s, struct phase_counts *k)
{
        if (!s) {
                k->unknown++;
                return;
        }
        switch (s->state.kind) {
        case AGENT_STATE_RUNNING:
                if (!s->started.set || !s->started.v)
                        k->pending_sidecar++;
                k->running++;
                break;
        case AGENT_STATE_TERMINATED:
                break; /* a stopped sidecar does not decide the phase */
        case AGENT_STATE_WAITING:
                if (s->last_state.kind != AGENT_STATE_TERMINATED) {
                        k->pending_sidecar++;
                        k->waiting++;
                }
                break;
        default:
                k->pending_sidecar++;
                k->unknown++;
                break;
        }
}

static void count_regular(const struct agent_container_status *s, struct phase_counts *k)
{
        if (!s) {
                k->unknown++;
                return;
        }
        switch (s->state.kind) {
        case AGENT_STATE_RUNNING:
                k->running++;
                break;
        case AGENT_STATE_TERMINATED:
                k->stopped++;
                if (s->state.exit_code == 0)
                        k->succeeded++;
                break;
        case AGENT_STATE_WAITING:
                if (s->last_state.kind == AGENT_STATE_TERMINATED)
                        k->stopped++;
                else
                        k->waiting++;
                break;
        default:
                k->unknown++;
                break;
        }
}

enum agent_pod_phase agent_pod_phase(const struct pod *pod, const struct agent_pod_status *s,
                                     bool pod_initialized)
{
        struct phase_counts k = { 0 };
        for (size_t i = 0; i < pod->spec.initContainers.n; i++) {
                const struct pod_container *spec = &pod->spec.initContainers.v[i];
                if (agent_is_sidecar(spec))
                        count_sidecar(status_find(s, spec->name), &k);
                else
                        count_regular_init(status_find(s, spec->name), &k);
        }
        for (size_t i = 0; i < pod->spec.containers.n; i++)
                count_regular(status_find(s, pod->spec.containers.v[i].name), &k);
        const char *policy = pod->spec.restartPolicy && *pod->spec.restartPolicy
                                     ? pod->spec.restartPolicy : "Always";
        if (k.failed_init > 0 && strcmp(policy, "Never") == 0)
                return AGENT_PHASE_FAILED;
        if (k.pending_init > 0 || (k.pending_sidecar > 0 && !pod_initialized) || k.waiting > 0)
                return AGENT_PHASE_PENDING;
        if (k.running > 0 && k.unknown == 0)
                return AGENT_PHASE_RUNNING;
        if (k.running == 0 && k.stopped > 0 && k.unknown == 0) {
                if (strcmp(policy, "Always") == 0)
                        return AGENT_PHASE_RUNNING; /* all restarting */
                if (k.stopped == k.succeeded)
                        return AGENT_PHASE_SUCCEEDED;
                if (strcmp(policy, "Never") == 0)
                        return AGENT_PHASE_FAILED;
                return AGENT_PHASE_RUNNING; /* OnFailure, restarting the failed */
        }
        return AGENT_PHASE_PENDING;
}

/* HasAnyActiveRegularContainerStarted: a regular container in the newest
 * sandbox. */
static bool active_regular_started(const struct pod *pod, const struct agent_pod_runtime *obs)
{
        if (!obs || obs->sandboxes.n == 0 || !obs->sandboxes.v[0].id)
                return false;
        const char *sandbox = obs->sandboxes.v[0].id;
        for (size_t i = 0; i < obs->containers.n; i++) {
                const struct agent_container_observed *o = &obs->containers.v[i];
                if (!o->sandbox_id || strcmp(o->sandbox_id, sandbox) != 0)
                        continue;
                for (size_t j = 0; j < pod->spec.containers.n; j++)
                        if (o->name && strcmp(o->name, pod->spec.containers.v[j].name) == 0)
                                return true;
        }
        return false;
}

static bool is_terminal(enum agent_pod_phase p)
{
        return p == AGENT_PHASE_SUCCEEDED || p == AGENT_PHASE_FAILED;
}

/* The phase, and the reason and message that go with it: a terminal
 * phase never goes back; an unchanged phase keeps its reason; a passed
 * active deadline fails the pod. */
static void phase_and_reason(struct conv *c, const struct agent_pod_status *previous,
                             int64_t now_ns, struct agent_pod_status *s)
{
        s->phase = agent_pod_phase(c->pod, s, active_regular_started(c->pod, c->obs));
        if (previous && !is_terminal(s->phase) && is_terminal(previous->phase))
                s->phase = previous->phase;
        if (previous && s->phase == previous->phase) {
                s->reason = dup(c, previous->reason);
                s->message = dup(c, previous->message);
        }
        if (agent_pod_past_active_deadline(c->pod, s->start_time_ns, now_ns)) {
                s->phase = AGENT_PHASE_FAILED;
                free(s->reason);
                free(s->message);
                s->reason = dup(c, "DeadlineExceeded");
                s->message = dup(c, "Pod was active on the node longer than the specified deadline");
        }
}

static void pod_ip(struct conv *c, struct agent_pod_status *s)
{
        const struct agent_pod_runtime *o = c->obs;
        if (o && o->sandboxes.n && o->sandboxes.v[0].state == RT_SANDBOX_READY &&
            o->sandboxes.v[0].ip && *o->sandboxes.v[0].ip)
                s->pod_ip = dup(c, o->sandboxes.v[0].ip);
}

int agent_pod_status(const struct pod *pod, const struct agent_pod_runtime *observed,
                     const struct agent_container_results *probe_results,
                     const struct agent_pod_status *previous, int64_t now_ns,
                     struct agent_pod_status *out, struct dh_err **err)
{
        struct conv c = { .pod = pod, .obs = observed, .results = probe_results };
        struct agent_pod_status s = { .qos_class = pod_qos_class(pod) };
        const struct pod_spec *sp = &pod->spec;
        /* The status manager: startTime is set once. */
        s.start_time_ns = previous && previous->start_time_ns ? previous->start_time_ns
                          : observed && observed->start_time_ns ? observed->start_time_ns : now_ns;
        pod_ip(&c, &s);
        if (!convert_list(&c, sp->containers.v, sp->containers.n, false,
                          previous ? previous->container_statuses.v : NULL,
                          previous ? previous->container_statuses.n : 0, &s.container_statuses.v))
                goto oom;
        s.container_statuses.n = sp->containers.n;
        if (!convert_list(&c, sp->initContainers.v, sp->initContainers.n, true,
                          previous ? previous->init_container_statuses.v : NULL,
                          previous ? previous->init_container_statuses.n : 0,
                          &s.init_container_statuses.v))
                goto oom;
        s.init_container_statuses.n = sp->initContainers.n;
        phase_and_reason(&c, previous, now_ns, &s);
        probe_update(&c, s.container_statuses.v, sp->containers.v, sp->containers.n, false);
        probe_update(&c, s.init_container_statuses.v, sp->initContainers.v, sp->initContainers.n, true);
        if (c.oom || !status_conditions(pod, observed, previous, now_ns, &s))
                goto oom;
        *out = s;
        return 0;
oom:
        agent_pod_status_free(&s);
        return dh_err_set(err, ENOMEM, "out of memory");
}
