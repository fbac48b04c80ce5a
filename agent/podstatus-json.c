/* PodStatus as the API serves it: core/v1 field names, conditions with
 * "True"/"False" and a null lastProbeTime, container states as one-key
 * objects ("waiting", "running", "terminated") and "lastState": {} when
 * there is none, times in RFC3339 with whole seconds in UTC (metav1.Time). */
#include <stdio.h>
#include <time.h>

#include "agent/podstatus.h"

#define NS_PER_S 1000000000LL

/* A null for the zero time, as metav1.Time marshals it. */
static json_t *rfc3339(int64_t ns)
{
        if (ns == 0)
                return json_null();
        time_t t = (time_t)(ns / NS_PER_S - (ns % NS_PER_S < 0 ? 1 : 0));
        struct tm tm;
        char buf[64];
        if (!gmtime_r(&t, &tm) || strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
                return json_null();
        return json_string(buf);
}

/* Sets key to v (stolen); a NULL v (no memory) fails the object. */
static int put(json_t *o, const char *key, json_t *v)
{
        return v ? json_object_set_new(o, key, v) : -1;
}

static int put_str(json_t *o, const char *key, const char *s)
{
        return s && *s ? put(o, key, json_string(s)) : 0;
}

static json_t *state_json(const struct agent_container_state *s)
{
        json_t *o = json_object(), *in = json_object();
        int r = o && in ? 0 : -1;
        switch (s->kind) {
        case AGENT_STATE_WAITING:
                r |= put_str(in, "reason", s->reason) | put_str(in, "message", s->message);
                r |= put(o, "waiting", json_incref(in));
                break;
        case AGENT_STATE_RUNNING:
                r |= put(in, "startedAt", rfc3339(s->started_at));
                r |= put(o, "running", json_incref(in));
                break;
        case AGENT_STATE_TERMINATED:
                r |= put(in, "exitCode", json_integer(s->exit_code));
                if (s->signal)
                        r |= put(in, "signal", json_integer(s->signal));
                r |= put_str(in, "reason", s->reason) | put_str(in, "message", s->message);
                r |= put(in, "startedAt", rfc3339(s->started_at));
                r |= put(in, "finishedAt", rfc3339(s->finished_at));
                r |= put_str(in, "containerID", s->container_id);
                r |= put(o, "terminated", json_incref(in));
                break;
        case AGENT_STATE_NONE:
                break;
        }
        json_decref(in);
        if (r) {
                json_decref(o);
                return NULL;
        }
        return o;
}

static json_t *container_json(const struct agent_container_status *s)
{
        json_t *o = json_object();
        int r = o ? 0 : -1;
        r |= put(o, "name", json_string(s->name ? s->name : ""));
        r |= put(o, "state", state_json(&s->state));
        r |= put(o, "lastState", state_json(&s->last_state));
        r |= put(o, "ready", json_boolean(s->ready));
        r |= put(o, "restartCount", json_integer(s->restart_count));
        r |= put(o, "image", json_string(s->image ? s->image : ""));
        r |= put(o, "imageID", json_string(s->image_id ? s->image_id : ""));
        r |= put_str(o, "containerID", s->container_id);
        if (s->started.set)
                r |= put(o, "started", json_boolean(s->started.v));
        if (r) {
                json_decref(o);
                return NULL;
        }
        return o;
}

static json_t *containers_json(const struct agent_container_status *v, size_t n)
{
        json_t *a = json_array();
        for (size_t i = 0; a && i < n; i++)
                if (json_array_append_new(a, container_json(&v[i])) < 0) {
                        json_decref(a);
                        return NULL;
                }
        return a;
}

static json_t *condition_json(const struct agent_pod_condition *c)
{
        json_t *o = json_object();
        int r = o ? 0 : -1;
        r |= put(o, "type", json_string(c->type));
        r |= put(o, "status", json_string(c->status ? "True" : "False"));
        r |= put(o, "lastProbeTime", json_null());
        r |= put(o, "lastTransitionTime", rfc3339(c->last_transition_ns));
        r |= put_str(o, "reason", c->reason) | put_str(o, "message", c->message);
        if (r) {
                json_decref(o);
                return NULL;
        }
        return o;
}

json_t *agent_pod_status_to_json(const struct agent_pod_status *s)
{
        json_t *o = json_object(), *conds = json_array();
        int r = o && conds ? 0 : -1;
        for (size_t i = 0; conds && i < s->n_conditions; i++)
                r |= json_array_append_new(conds, condition_json(&s->conditions[i]));
        r |= put(o, "phase", json_string(agent_pod_phase_name(s->phase)));
        r |= put(o, "conditions", json_incref(conds));
        r |= put_str(o, "message", s->message) | put_str(o, "reason", s->reason);
        r |= put_str(o, "hostIP", s->host_ip) | put_str(o, "podIP", s->pod_ip);
        if (s->pod_ip && *s->pod_ip) {
                json_t *ips = json_pack("[{s:s}]", "ip", s->pod_ip);
                r |= put(o, "podIPs", ips);
        }
        r |= put(o, "startTime", rfc3339(s->start_time_ns));
        if (s->init_container_statuses.n)
                r |= put(o, "initContainerStatuses",
                         containers_json(s->init_container_statuses.v, s->init_container_statuses.n));
        r |= put(o, "containerStatuses",
                 containers_json(s->container_statuses.v, s->container_statuses.n));
        r |= put(o, "qosClass", json_string(pod_qos_name(s->qos_class)));
        json_decref(conds);
        if (r) {
                json_decref(o);
                return NULL;
        }
        return o;
}
