/* The kubelet-owned pod conditions (pkg/kubelet/status/generate.go), in
 * the order the kubelet appends them, with the status manager's rule for
 * lastTransitionTime: kept while the status stays the same. */
#include <stdlib.h>
#include <string.h>

#include "agent/podstatus-internal.h"
#include "lib/buf.h"

/* Messages list container names; a pod has at most a few hundred. */
#define MESSAGE_MAX 65536

/* Go's fmt %s of a []string: "[a b c]". */
struct names {
        struct dh_buf b;
        size_t n;
};

static void names_init(struct names *l)
{
        dh_buf_init(&l->b, MESSAGE_MAX);
        l->n = 0;
}

static void names_add(struct names *l, const char *name)
{
        dh_buf_printf(&l->b, NULL, "%s%s", l->n++ ? " " : "", name);
}

/* Joins "<what>: [names]" parts with ", ". */
static void message_part(struct dh_buf *m, const char *what, struct names *l)
{
        if (l->n)
                dh_buf_printf(m, NULL, "%s%s: [%s]", m->len ? ", " : "", what,
                              l->b.data ? l->b.data : "");
        dh_buf_free(&l->b);
}

static struct agent_pod_condition *add(struct agent_pod_status *s, const char *type, bool status,
                                       const char *reason, char *message)
{
        struct agent_pod_condition *c = &s->conditions[s->n_conditions++];
        *c = (struct agent_pod_condition){ type, status, reason, message, 0 };
        return c;
}

static const char *terminal_reason(enum agent_pod_phase p)
{
        return p == AGENT_PHASE_FAILED ? "PodFailed" : p == AGENT_PHASE_SUCCEEDED ? "PodCompleted" : NULL;
}

/* GenerateContainersReadyCondition: sidecars and containers all ready. */
static bool containers_ready(const struct pod *pod, const struct agent_pod_status *s,
                             const char **reason, char **message)
{
        struct names unknown, unready;
        names_init(&unknown);
        names_init(&unready);
        for (size_t i = 0; i < pod->spec.initContainers.n + pod->spec.containers.n; i++) {
                bool init = i < pod->spec.initContainers.n;
                const struct pod_container *c = init ? &pod->spec.initContainers.v[i]
                                                     : &pod->spec.containers.v[i - pod->spec.initContainers.n];
                if (init && !agent_is_sidecar(c))
                        continue;
                const struct agent_container_status *st = status_find(s, c->name);
                if (!st)
                        names_add(&unknown, c->name);
                else if (!st->ready)
                        names_add(&unready, c->name);
        }
        *reason = NULL;
        *message = NULL;
        if ((s->phase == AGENT_PHASE_SUCCEEDED && unknown.n == 0) || s->phase == AGENT_PHASE_FAILED) {
                dh_buf_free(&unknown.b);
                dh_buf_free(&unready.b);
                *reason = terminal_reason(s->phase);
                return false;
        }
        struct dh_buf m;
        dh_buf_init(&m, MESSAGE_MAX);
        message_part(&m, "containers with unknown status", &unknown);
        message_part(&m, "containers with unready status", &unready);
        if (!m.len) {
                dh_buf_free(&m);
                return true;
        }
        *reason = "ContainersNotReady";
        *message = dh_buf_steal(&m);
        return false;
}

/* GeneratePodReadyCondition: ContainersReady, then the readiness gates,
 * whose conditions the agent never sets. */
static bool pod_ready(const struct pod *pod, bool containers, const char **reason, char **message)
{
        if (!containers || pod->spec.readinessGates.n == 0)
                return containers;
        struct dh_buf m;
        dh_buf_init(&m, MESSAGE_MAX);
        for (size_t i = 0; i < pod->spec.readinessGates.n; i++)
                dh_buf_printf(&m, NULL, "%scorresponding condition of pod readiness gate \"%s\" does not exist.",
                              i ? ", " : "", pod->spec.readinessGates.v[i].conditionType);
        *reason = "ReadinessGatesNotReady";
        *message = dh_buf_steal(&m);
        return false;
}

/* HasAnyRegularContainerStarted over the generated statuses. */
static bool regular_started(const struct pod *pod, const struct agent_pod_status *s)
{
        for (size_t i = 0; i < pod->spec.containers.n; i++) {
                const struct agent_container_status *st = status_find(s, pod->spec.containers.v[i].name);
                if (st && (st->state.kind == AGENT_STATE_RUNNING || st->state.kind == AGENT_STATE_TERMINATED))
                        return true;
        }
        return false;
}

/* GeneratePodInitializedCondition: init containers completed, sidecars
 * started. */
static bool initialized(const struct pod *pod, const struct agent_pod_status *s,
                        const char **reason, char **message)
{
        struct names unknown, incomplete;
        names_init(&unknown);
        names_init(&incomplete);
        for (size_t i = 0; i < pod->spec.initContainers.n; i++) {
                const struct pod_container *c = &pod->spec.initContainers.v[i];
                const struct agent_container_status *st = status_find(s, c->name);
                if (!st)
                        names_add(&unknown, c->name);
                else if (agent_is_sidecar(c) ? !(st->started.set && st->started.v) : !st->ready)
                        names_add(&incomplete, c->name);
        }
        *reason = NULL;
        *message = NULL;
        if (s->phase == AGENT_PHASE_SUCCEEDED && unknown.n == 0) {
                dh_buf_free(&unknown.b);
                dh_buf_free(&incomplete.b);
                *reason = "PodCompleted";
                return true;
        }
        if (regular_started(pod, s)) {
                dh_buf_free(&unknown.b);
                dh_buf_free(&incomplete.b);
                return true;
        }
        struct dh_buf m;
        dh_buf_init(&m, MESSAGE_MAX);
        message_part(&m, "containers with unknown status", &unknown);
        message_part(&m, "containers with incomplete status", &incomplete);
        if (!m.len) {
                dh_buf_free(&m);
                return true;
        }
        *reason = "ContainersNotInitialized";
        *message = dh_buf_steal(&m);
        return false;
}

static void transition_times(const struct agent_pod_status *previous, int64_t now_ns,
                             struct agent_pod_status *s)
{
        for (size_t i = 0; i < s->n_conditions; i++) {
                struct agent_pod_condition *c = &s->conditions[i];
                c->last_transition_ns = now_ns;
                for (size_t j = 0; previous && j < previous->n_conditions; j++)
                        if (strcmp(previous->conditions[j].type, c->type) == 0 &&
                            previous->conditions[j].status == c->status)
                                c->last_transition_ns = previous->conditions[j].last_transition_ns;
        }
}

bool status_conditions(const struct pod *pod, const struct agent_pod_runtime *obs,
                       const struct agent_pod_status *previous, int64_t now_ns,
                       struct agent_pod_status *s)
{
        uint32_t attempt;
        const char *sandbox;
        const char *r_init, *r_cr, *r_ready;
        char *m_init, *m_cr, *m_ready = NULL;
        add(s, "PodReadyToStartContainers", !agent_sandbox_changed(pod, obs, &attempt, &sandbox),
            NULL, NULL);
        bool init = initialized(pod, s, &r_init, &m_init);
        bool cr = containers_ready(pod, s, &r_cr, &m_cr);
        r_ready = r_cr;
        bool ready = pod_ready(pod, cr, &r_ready, &m_ready);
        /* Ready repeats ContainersReady's message unless the gates gave
         * it one. */
        if (!cr && m_cr && !m_ready && !(m_ready = strdup(m_cr))) {
                free(m_init);
                free(m_cr);
                return false;
        }
        add(s, "Initialized", init, r_init, m_init);
        add(s, "Ready", ready, r_ready, m_ready);
        add(s, "ContainersReady", cr, r_cr, m_cr);
        add(s, "PodScheduled", true, NULL, NULL);
        transition_times(previous, now_ns, s);
        return true;
}
