/* computePodActions: the sandbox decision, the regular containers, the
 * pod-level kill, and SyncPod's CrashLoopBackOff check on each start.
 * Messages are the kubelet's, byte for byte. */
#include "agent/podactions.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/podactions-internal.h"
#include "lib/parse.h"

#define NS_PER_S 1000000000LL

void agent_crash_backoff_init(struct dh_backoff *b)
{
        dh_backoff_init(b, AGENT_CRASH_BACKOFF_INITIAL_NS, AGENT_CRASH_BACKOFF_MAX_NS,
                        AGENT_CRASH_BACKOFF_ENTRIES_MAX);
}

const struct agent_container_result *
agent_container_results_find(const struct agent_container_results *r, const char *container_id)
{
        for (size_t i = 0; r && container_id && i < r->n; i++)
                if (r->v[i].container_id && strcmp(r->v[i].container_id, container_id) == 0)
                        return &r->v[i];
        return NULL;
}

void agent_pod_plan_free(struct agent_pod_plan *p)
{
        if (!p)
                return;
        free(p->sandbox_id);
        free(p->init_to_start.v);
        free(p->to_start.v);
        for (size_t i = 0; i < p->to_kill.n; i++) {
                free(p->to_kill.v[i].id);
                free(p->to_kill.v[i].name);
                free(p->to_kill.v[i].message);
        }
        free(p->to_kill.v);
        free(p->to_keep.v);
        for (size_t i = 0; i < p->waiting.n; i++) {
                free(p->waiting.v[i].name);
                free(p->waiting.v[i].message);
        }
        free(p->waiting.v);
        *p = (struct agent_pod_plan){ 0 };
}

bool agent_is_sidecar(const struct pod_container *c)
{
        return c->restartPolicy && strcmp(c->restartPolicy, "Always") == 0;
}

static bool policy_is(const struct pod *pod, const char *policy)
{
        /* The API server defaults an empty policy to Always. */
        const char *p = pod->spec.restartPolicy && *pod->spec.restartPolicy
                                ? pod->spec.restartPolicy : "Always";
        return strcmp(p, policy) == 0;
}

bool agent_pod_restarts_on_failure(const struct pod *pod)
{
        return !policy_is(pod, "Never");
}

bool agent_container_should_restart(const struct pod *pod, const struct pod_container *c,
                                    const struct agent_pod_runtime *observed)
{
        if (pod->metadata.deletionTimestamp)
                return false;
        const struct agent_container_observed *s = agent_pod_runtime_find(observed, c->name);
        if (!s)
                return true;
        if (s->state == RT_CONTAINER_RUNNING)
                return false;
        if (s->state == RT_CONTAINER_UNKNOWN || s->state == RT_CONTAINER_CREATED)
                return true;
        if (policy_is(pod, "Never"))
                return false;
        if (policy_is(pod, "OnFailure") && s->exit_code == 0)
                return false;
        return true;
}

bool agent_sandbox_changed(const struct pod *pod, const struct agent_pod_runtime *observed,
                           uint32_t *attempt, const char **sandbox_id)
{
        *attempt = 0;
        *sandbox_id = NULL;
        if (!observed || observed->sandboxes.n == 0)
                return true;
        size_t ready = 0;
        uint32_t max_attempt = 0;
        for (size_t i = 0; i < observed->sandboxes.n; i++) {
                if (observed->sandboxes.v[i].state == RT_SANDBOX_READY)
                        ready++;
                if (observed->sandboxes.v[i].attempt > max_attempt)
                        max_attempt = observed->sandboxes.v[i].attempt;
        }
        const struct agent_sandbox_observed *s = &observed->sandboxes.v[0];
        bool host_network = pod->spec.hostNetwork.set && pod->spec.hostNetwork.v;
        *attempt = max_attempt + 1;
        *sandbox_id = s->id;
        if (ready > 1 || s->state != RT_SANDBOX_READY)
                return true;
        if (s->network_mode != (host_network ? RT_NS_NODE : RT_NS_POD)) {
                *sandbox_id = NULL; /* a different kind of sandbox: nothing to reuse */
                return true;
        }
        if (!host_network && s->ip && !*s->ip)
                return true;
        *attempt = max_attempt;
        return false;
}

int agent_pod_format(const struct pod *pod, char *buf, size_t size)
{
        int n = snprintf(buf, size, "%s_%s(%s)", pod->metadata.name ? pod->metadata.name : "",
                         pod->metadata.namespace ? pod->metadata.namespace : "",
                         pod->metadata.uid ? pod->metadata.uid : "");
        return n < 0 || (size_t)n >= size ? -1 : n;
}

/* --- appending to the plan --- */

static bool grow(void **v, size_t n, size_t elem)
{
        /* Grows by one; vectors here hold a pod's containers. */
        void *nv = realloc(*v, (n + 1) * elem);
        if (!nv)
                return false;
        *v = nv;
        return true;
}

void plan_start(struct plan_ctx *c, size_t index, bool init)
{
        struct agent_pod_plan *p = c->plan;
        if (init) {
                if (!grow((void **)&p->init_to_start.v, p->init_to_start.n, sizeof *p->init_to_start.v))
                        goto oom;
                p->init_to_start.v[p->init_to_start.n++] =
                        (struct agent_container_start){ .index = index, .init = true };
        } else {
                if (!grow((void **)&p->to_start.v, p->to_start.n, sizeof *p->to_start.v))
                        goto oom;
                p->to_start.v[p->to_start.n++] = (struct agent_container_start){ .index = index };
        }
        return;
oom:
        c->oom = true;
}

void plan_kill(struct plan_ctx *c, const struct agent_container_observed *s, bool init,
               enum agent_kill_reason reason, const char *fmt, ...)
{
        struct agent_pod_plan *p = c->plan;
        /* One entry per container ID, the last decision winning (a map
         * upstream). */
        struct agent_container_kill *k = NULL;
        for (size_t i = 0; i < p->to_kill.n; i++)
                if (strcmp(p->to_kill.v[i].id, s->id) == 0)
                        k = &p->to_kill.v[i];
        if (!k) {
                if (!grow((void **)&p->to_kill.v, p->to_kill.n, sizeof *p->to_kill.v)) {
                        c->oom = true;
                        return;
                }
                k = &p->to_kill.v[p->to_kill.n];
                *k = (struct agent_container_kill){ .id = strdup(s->id), .name = strdup(s->name) };
                p->to_kill.n++;
        }
        free(k->message);
        va_list ap;
        va_start(ap, fmt);
        if (vasprintf(&k->message, fmt, ap) < 0)
                k->message = NULL;
        va_end(ap);
        k->init = init;
        k->reason = reason;
        if (!k->id || !k->name || !k->message)
                c->oom = true;
}

static void plan_keep(struct plan_ctx *c, size_t index)
{
        struct agent_pod_plan *p = c->plan;
        if (!grow((void **)&p->to_keep.v, p->to_keep.n, sizeof *p->to_keep.v)) {
                c->oom = true;
                return;
        }
        p->to_keep.v[p->to_keep.n++] = index;
}

enum agent_probe_result plan_probe(const struct plan_ctx *c,
                                   const struct agent_container_observed *s,
                                   enum agent_probe_kind kind)
{
        const struct agent_container_result *r = agent_container_results_find(c->results, s->id);
        if (!r)
                return AGENT_PROBE_NONE;
        return kind == PROBE_LIVENESS ? r->liveness : kind == PROBE_STARTUP ? r->startup : r->readiness;
}

bool plan_container_changed(const struct pod_container *spec,
                            const struct agent_container_observed *s)
{
        return s->hash != agent_container_hash(spec);
}

bool plan_init_failed(const struct agent_container_observed *s)
{
        if (s->reason && strcmp(s->reason, "OOMKilled") == 0)
                return true;
        return (s->state == RT_CONTAINER_EXITED && s->exit_code != 0) ||
               s->state == RT_CONTAINER_UNKNOWN;
}

bool agent_any_regular_container_created(const struct pod *pod,
                                         const struct agent_pod_runtime *observed)
{
        for (size_t i = 0; i < pod->spec.containers.n; i++) {
                const struct agent_container_observed *s =
                        agent_pod_runtime_find(observed, pod->spec.containers.v[i].name);
                if (s && (s->state == RT_CONTAINER_CREATED || s->state == RT_CONTAINER_RUNNING ||
                          s->state == RT_CONTAINER_EXITED))
                        return true;
        }
        return false;
}

bool plan_any_regular_created(const struct plan_ctx *c)
{
        return agent_any_regular_container_created(c->pod, c->obs);
}

/* --- the decisions --- */

static bool container_succeeded(const struct plan_ctx *c, const struct pod_container *spec)
{
        const struct agent_container_observed *s = agent_pod_runtime_find(c->obs, spec->name);
        return s && s->state == RT_CONTAINER_EXITED && s->exit_code == 0;
}

/* A new sandbox starts everything over: the first init container, or the
 * containers (bar those that succeeded under OnFailure). A pod that has
 * run and will not restart gets no new sandbox. */
static void plan_new_sandbox(struct plan_ctx *c)
{
        struct agent_pod_plan *p = c->plan;
        p->kill_reason = AGENT_POD_KILL_SANDBOX_CHANGED;
        if (!agent_pod_restarts_on_failure(c->pod) && p->attempt != 0 && c->obs &&
            c->obs->containers.n != 0) {
                p->create_sandbox = false;
                return;
        }
        size_t starts = 0;
        for (size_t i = 0; i < c->pod->spec.containers.n; i++)
                if (!(policy_is(c->pod, "OnFailure") &&
                      container_succeeded(c, &c->pod->spec.containers.v[i])))
                        starts++;
        if (starts == 0 && plan_any_regular_created(c)) {
                p->create_sandbox = false;
                return;
        }
        if (c->pod->spec.initContainers.n) {
                plan_start(c, 0, true);
                return;
        }
        for (size_t i = 0; i < c->pod->spec.containers.n; i++)
                if (!(policy_is(c->pod, "OnFailure") &&
                      container_succeeded(c, &c->pod->spec.containers.v[i])))
                        plan_start(c, i, false);
}

/* Why a running container must go, or false to keep it. */
static bool running_needs_kill(struct plan_ctx *c, const struct pod_container *spec,
                               const struct agent_container_observed *s, bool *restart)
{
        *restart = agent_pod_restarts_on_failure(c->pod);
        if (plan_container_changed(spec, s)) {
                /* A new definition restarts whatever the policy. */
                *restart = true;
                plan_kill(c, s, false, AGENT_KILL_SPEC_CHANGED, "Container %s definition changed%s",
                          spec->name, ", will be restarted");
                return true;
        }
        const char *suffix = *restart ? ", will be restarted" : "";
        if (plan_probe(c, s, PROBE_LIVENESS) == AGENT_PROBE_FAILURE) {
                plan_kill(c, s, false, AGENT_KILL_LIVENESS, "Container %s failed liveness probe%s",
                          spec->name, suffix);
                return true;
        }
        if (plan_probe(c, s, PROBE_STARTUP) == AGENT_PROBE_FAILURE) {
                plan_kill(c, s, false, AGENT_KILL_STARTUP, "Container %s failed startup probe%s",
                          spec->name, suffix);
                return true;
        }
        return false;
}

static void plan_regular_containers(struct plan_ctx *c)
{
        for (size_t i = 0; i < c->pod->spec.containers.n; i++) {
                const struct pod_container *spec = &c->pod->spec.containers.v[i];
                const struct agent_container_observed *s = agent_pod_runtime_find(c->obs, spec->name);
                if (!s || s->state != RT_CONTAINER_RUNNING) {
                        if (!agent_container_should_restart(c->pod, spec, c->obs))
                                continue;
                        plan_start(c, i, false);
                        if (s && s->state == RT_CONTAINER_UNKNOWN)
                                plan_kill(c, s, false, AGENT_KILL_UNKNOWN_STATE,
                                          "Container is in \"unknown\" state, try killing it before restart");
                        continue;
                }
                bool restart;
                if (!running_needs_kill(c, spec, s, &restart)) {
                        plan_keep(c, i);
                        continue;
                }
                if (restart)
                        plan_start(c, i, false);
        }
        if (c->plan->to_keep.n == 0 && c->plan->to_start.n == 0) {
                /* Nothing runs and nothing will: stop the pod, and do not
                 * let sidecars keep it alive. */
                c->plan->kill_pod = true;
                c->plan->kill_reason = AGENT_POD_KILL_ALL_DONE;
                c->plan->init_to_start.n = 0;
        }
}

static void compute_pod_actions(struct plan_ctx *c)
{
        struct agent_pod_plan *p = c->plan;
        const char *sandbox_id;
        bool create = agent_sandbox_changed(c->pod, c->obs, &p->attempt, &sandbox_id);
        p->kill_pod = p->create_sandbox = create;
        if (sandbox_id && !(p->sandbox_id = strdup(sandbox_id))) {
                c->oom = true;
                return;
        }
        if (create) {
                plan_new_sandbox(c);
                return;
        }
        if (!plan_init_containers(c) || p->kill_pod)
                return;
        plan_regular_containers(c);
}

/* --- SyncPod's back-off check, and what the new containers carry --- */

/* GetStableKey: any change to the container makes a new key. */
static char *stable_key(const struct pod *pod, const struct pod_container *spec)
{
        char *k = NULL;
        if (asprintf(&k, "%s_%s_%s_%s_%" PRIx64, pod->metadata.name ? pod->metadata.name : "",
                     pod->metadata.namespace ? pod->metadata.namespace : "",
                     pod->metadata.uid ? pod->metadata.uid : "", spec->name,
                     agent_container_hash(spec)) < 0)
                return NULL;
        return k;
}

/* The newest exited instance of the container, which doBackOff times the
 * back-off from. */
static const struct agent_container_observed *newest_exited(const struct agent_pod_runtime *obs,
                                                            const char *name)
{
        for (size_t i = 0; obs && i < obs->containers.n; i++)
                if (obs->containers.v[i].name && strcmp(obs->containers.v[i].name, name) == 0 &&
                    obs->containers.v[i].state == RT_CONTAINER_EXITED)
                        return &obs->containers.v[i];
        return NULL;
}

static void plan_wait(struct plan_ctx *c, const struct agent_container_start *st,
                      const struct pod_container *spec, int64_t window_ns)
{
        struct agent_pod_plan *p = c->plan;
        char dur[DH_DURATION_STR_MAX], podname[1024];
        if (agent_pod_format(c->pod, podname, sizeof podname) < 0)
                snprintf(podname, sizeof podname, "%s", "?");
        if (!grow((void **)&p->waiting.v, p->waiting.n, sizeof *p->waiting.v)) {
                c->oom = true;
                return;
        }
        struct agent_container_wait *w = &p->waiting.v[p->waiting.n++];
        *w = (struct agent_container_wait){
                .index = st->index, .init = st->init, .name = strdup(spec->name),
                .reason = "CrashLoopBackOff",
        };
        if (asprintf(&w->message, "back-off %s restarting failed container=%s pod=%s",
                     dh_format_duration_ns(window_ns, dur, sizeof dur), spec->name, podname) < 0)
                w->message = NULL;
        if (!w->name || !w->message)
                c->oom = true;
}

/* After an agent restart the table is empty, but the exited instance
 * still tells where the back-off was: its restart count r means it was
 * started after a window of initial * 2^(r-1), moved when it was created.
 * (The kubelet keeps this in memory only, so a restarted kubelet restarts
 * a crash-looping container at once; deckhand carries on.) */
static int restore_backoff(struct dh_backoff *backoff, const char *key,
                           const struct agent_container_observed *exited, struct dh_err **err)
{
        if (exited->restart_count <= 0 || dh_backoff_get(backoff, key))
                return 0;
        int64_t window = backoff->initial_ns;
        for (int32_t i = 1; i < exited->restart_count && window < backoff->max_ns; i++)
                window *= 2;
        return dh_backoff_restore(backoff, key, window, exited->created_at, err);
}

/* doBackOff: true when the container must wait. Otherwise the back-off
 * moves on from its last exit, as SyncPod does right before starting. */
static bool in_crash_backoff(struct plan_ctx *c, const struct agent_container_start *st,
                             struct dh_backoff *backoff, int64_t now_ns, struct dh_err **err)
{
        const struct pod_container *spec = st->init ? &c->pod->spec.initContainers.v[st->index]
                                                    : &c->pod->spec.containers.v[st->index];
        const struct agent_container_observed *exited = newest_exited(c->obs, spec->name);
        if (!exited || !backoff)
                return false;
        char *key = stable_key(c->pod, spec);
        if (!key) {
                c->oom = true;
                return false;
        }
        if (restore_backoff(backoff, key, exited, err) < 0) {
                c->oom = true;
                free(key);
                return false;
        }
        bool wait = dh_backoff_in_backoff_since(backoff, key, exited->finished_at, now_ns);
        if (wait)
                plan_wait(c, st, spec, dh_backoff_get(backoff, key));
        else if (dh_backoff_next_since(backoff, key, exited->finished_at, now_ns, err) < 0)
                c->oom = true;
        free(key);
        return wait;
}

static void set_restart_count(const struct plan_ctx *c, struct agent_container_start *st)
{
        const struct pod_container *spec = st->init ? &c->pod->spec.initContainers.v[st->index]
                                                    : &c->pod->spec.containers.v[st->index];
        const struct agent_container_observed *s = agent_pod_runtime_find(c->obs, spec->name);
        st->restart_count = s ? s->restart_count + 1 : 0;
}

/* Init containers in order: one in back-off stops the rest of the sync
 * unless it is a sidecar (SyncPod returns), so no regular container starts
 * after it either. */
static void apply_backoff(struct plan_ctx *c, struct dh_backoff *backoff, int64_t now_ns,
                          struct dh_err **err)
{
        struct agent_pod_plan *p = c->plan;
        size_t kept = 0;
        for (size_t i = 0; i < p->init_to_start.n && !c->oom; i++) {
                struct agent_container_start st = p->init_to_start.v[i];
                set_restart_count(c, &st);
                if (!in_crash_backoff(c, &st, backoff, now_ns, err)) {
                        p->init_to_start.v[kept++] = st;
                        continue;
                }
                if (!agent_is_sidecar(&c->pod->spec.initContainers.v[st.index])) {
                        p->to_start.n = 0;
                        break;
                }
        }
        p->init_to_start.n = kept;
        kept = 0;
        for (size_t i = 0; i < p->to_start.n && !c->oom; i++) {
                struct agent_container_start st = p->to_start.v[i];
                set_restart_count(c, &st);
                if (!in_crash_backoff(c, &st, backoff, now_ns, err))
                        p->to_start.v[kept++] = st;
        }
        p->to_start.n = kept;
}

/* activeDeadlineSeconds counts from status.startTime. */
bool agent_pod_past_active_deadline(const struct pod *pod, int64_t start_ns, int64_t now_ns)
{
        if (!pod->spec.activeDeadlineSeconds.set || start_ns <= 0)
                return false;
        int64_t allowed = pod->spec.activeDeadlineSeconds.v;
        if (allowed > INT64_MAX / NS_PER_S)
                return false;
        return now_ns - start_ns >= allowed * NS_PER_S;
}

/* The pod stops as a whole: everything is killed, nothing created. */
static void plan_stop_pod(struct plan_ctx *c, enum agent_pod_kill_reason why)
{
        const struct agent_pod_runtime *obs = c->obs;
        c->plan->kill_pod = true;
        c->plan->kill_reason = why;
        if (obs && obs->sandboxes.n && obs->sandboxes.v[0].id &&
            !(c->plan->sandbox_id = strdup(obs->sandboxes.v[0].id)))
                c->oom = true;
        if (obs && obs->sandboxes.n)
                c->plan->attempt = obs->sandboxes.v[0].attempt;
        if (why == AGENT_POD_KILL_DEADLINE) {
                c->plan->fail_reason = "DeadlineExceeded";
                c->plan->fail_message = "Pod was active on the node longer than the specified deadline";
        }
}

int agent_pod_actions(const struct pod *pod, const struct agent_pod_runtime *observed,
                      const struct agent_container_results *probe_results,
                      struct dh_backoff *crash_backoff, int64_t now_ns,
                      struct agent_pod_plan *out, struct dh_err **err)
{
        struct agent_pod_plan plan = { 0 };
        struct plan_ctx c = { .pod = pod, .obs = observed, .results = probe_results, .plan = &plan };
        if (agent_pod_past_active_deadline(pod, observed ? observed->start_time_ns : 0, now_ns))
                plan_stop_pod(&c, AGENT_POD_KILL_DEADLINE);
        else if (pod->metadata.deletionTimestamp)
                plan_stop_pod(&c, AGENT_POD_KILL_TERMINATING);
        else {
                compute_pod_actions(&c);
                if (!c.oom && !(plan.kill_pod && !plan.create_sandbox))
                        apply_backoff(&c, crash_backoff, now_ns, err);
        }
        if (c.oom) {
                agent_pod_plan_free(&plan);
                return dh_err_set(err, ENOMEM, "out of memory");
        }
        *out = plan;
        return 0;
}
