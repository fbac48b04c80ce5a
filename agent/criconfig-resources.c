/* A container's Linux resources, after kuberuntime_container_linux.go
 * (generateLinuxContainerResources, calculateLinuxResources), cm's
 * MilliCPUToShares, helpers_linux.go's milliCPUToQuota and the OOM score
 * policy of pkg/kubelet/qos/policy.go. */
#include <string.h>

#include "agent/criconfig-internal.h"
#include "pod/pod.h"

#define MIN_SHARES 2
#define MAX_SHARES 262144
#define SHARES_PER_CPU 1024
#define QUOTA_PERIOD_US 100000
#define MIN_QUOTA_US 1000
#define GUARANTEED_OOM_ADJ (-997)
#define BESTEFFORT_OOM_ADJ 1000

const struct pod_quantity *cc_resource(const struct pod_resource_list *l, const char *name)
{
        for (size_t i = 0; i < l->n; i++)
                if (l->v[i].name && strcmp(l->v[i].name, name) == 0)
                        return &l->v[i].q;
        return NULL;
}

static int64_t milli_of(const struct pod_resource_list *l, const char *name)
{
        const struct pod_quantity *q = cc_resource(l, name);
        return q ? pod_quantity_milli(q) : 0;
}

static int64_t value_of(const struct pod_resource_list *l, const char *name)
{
        const struct pod_quantity *q = cc_resource(l, name);
        return q ? pod_quantity_value(q) : 0;
}

static int64_t milli_cpu_to_shares(int64_t milli)
{
        if (milli == 0)
                return MIN_SHARES;
        /* Overflow-safe for any int64 milli: the cap is reached long before. */
        if (milli > INT64_MAX / SHARES_PER_CPU)
                return MAX_SHARES;
        int64_t shares = milli * SHARES_PER_CPU / 1000;
        return shares < MIN_SHARES ? MIN_SHARES : shares > MAX_SHARES ? MAX_SHARES : shares;
}

static int64_t milli_cpu_to_quota(int64_t milli, int64_t period)
{
        if (milli == 0)
                return 0;
        if (milli > INT64_MAX / period)
                return INT64_MAX;
        int64_t quota = milli * period / 1000;
        return quota < MIN_QUOTA_US ? MIN_QUOTA_US : quota;
}

/* kubetypes.IsNodeCriticalPod: critical (every static pod is) and of the
 * system-node-critical class. */
static bool node_critical(const struct pod *pod)
{
        const char *pc = pod->spec.priorityClassName;
        bool critical = cc_is_static_pod(pod) ||
                        (pod->spec.priority.set && pod->spec.priority.v >= 2000000000);
        return critical && pc && strcmp(pc, "system-node-critical") == 0;
}

/* A node of unknown size counts every request as nothing rather than
 * dividing by zero. */
static int64_t adj_for_request(int64_t req, int64_t capacity)
{
        return capacity > 0 ? 1000 - (int64_t)((__int128)1000 * req / capacity) : 1000;
}

static bool is_sidecar(const struct pod *pod, const struct pod_container *c)
{
        if (!c->restartPolicy || strcmp(c->restartPolicy, "Always") != 0)
                return false;
        for (size_t i = 0; i < pod->spec.initContainers.n; i++)
                if (pod->spec.initContainers.v[i].name && c->name &&
                    strcmp(pod->spec.initContainers.v[i].name, c->name) == 0)
                        return true;
        return false;
}

/* minRegularContainerMemory */
static int64_t min_regular_request(const struct pod *pod)
{
        int64_t min = 0;
        for (size_t i = 0; i < pod->spec.containers.n; i++) {
                int64_t v = value_of(&pod->spec.containers.v[i].resources.requests, "memory");
                if (i == 0 || v < min)
                        min = v;
        }
        return min;
}

int64_t agent_oom_score_adj(const struct pod *pod, const struct pod_container *c,
                            int64_t memory_capacity)
{
        if (node_critical(pod))
                return GUARANTEED_OOM_ADJ;
        switch (pod_qos_class(pod)) {
        case POD_QOS_GUARANTEED:
                return GUARANTEED_OOM_ADJ;
        case POD_QOS_BEST_EFFORT:
                return BESTEFFORT_OOM_ADJ;
        case POD_QOS_BURSTABLE:
                break;
        }
        int64_t adj = adj_for_request(value_of(&c->resources.requests, "memory"), memory_capacity);
        /* A sidecar is killed no sooner than the regular container with the
         * smallest request. */
        if (is_sidecar(pod, c)) {
                int64_t min_adj = adj_for_request(min_regular_request(pod), memory_capacity);
                if (adj > min_adj)
                        adj = min_adj;
        }
        if (adj < 1000 + GUARANTEED_OOM_ADJ)
                return 1000 + GUARANTEED_OOM_ADJ;
        if (adj == BESTEFFORT_OOM_ADJ)
                return adj - 1;
        return adj;
}

void cc_linux_resources(const struct pod *pod, const struct pod_container *c,
                        const struct agent_node_info *node, struct rt_linux_resources *r)
{
        const struct pod_resources *res = &c->resources;
        /* A request defaults to the limit, as the API server does for new
         * pods; no limit either gives the minimum. */
        int64_t req = cc_resource(&res->requests, "cpu") ? milli_of(&res->requests, "cpu")
                                                        : milli_of(&res->limits, "cpu");
        r->cpu_shares = milli_cpu_to_shares(req);
        r->memory_limit_in_bytes = value_of(&res->limits, "memory");
        if (!node->no_cpu_cfs_quota) {
                int64_t period = node->cpu_cfs_quota_period_us > 0 ? node->cpu_cfs_quota_period_us
                                                                  : QUOTA_PERIOD_US;
                r->cpu_period = period;
                r->cpu_quota = milli_cpu_to_quota(milli_of(&res->limits, "cpu"), period);
        }
        r->oom_score_adj = agent_oom_score_adj(pod, c, node->memory_capacity);
        r->pids_limit = node->pod_pids_limit > 0 ? node->pod_pids_limit : 0;
}
