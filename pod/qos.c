/* The pod's QoS class as the API server computes it (GetPodQOS): only cpu
 * and memory count; Guaranteed needs equal, non-zero requests and limits for
 * both in every container. */
#include <stdio.h>
#include <string.h>

#include "pod/pod.h"

struct qos_sum {
        __int128 req[2], lim[2];
        bool has_req[2], has_lim[2];
};

static int qos_resource_index(const char *name)
{
        if (strcmp(name, "cpu") == 0)
                return 0;
        if (strcmp(name, "memory") == 0)
                return 1;
        return -1;
}

/* Adds one container; returns false if it rules out Guaranteed. */
static bool qos_add_container(struct qos_sum *s, const struct pod_container *c)
{
        bool lim_found[2] = { false, false };
        for (size_t i = 0; i < c->resources.requests.n; i++) {
                const struct pod_resource *r = &c->resources.requests.v[i];
                int k = qos_resource_index(r->name);
                if (k >= 0 && r->q.nano > 0) {
                        s->req[k] += r->q.nano;
                        s->has_req[k] = true;
                }
        }
        for (size_t i = 0; i < c->resources.limits.n; i++) {
                const struct pod_resource *r = &c->resources.limits.v[i];
                int k = qos_resource_index(r->name);
                if (k >= 0 && r->q.nano > 0) {
                        s->lim[k] += r->q.nano;
                        s->has_lim[k] = true;
                        lim_found[k] = true;
                }
        }
        return lim_found[0] && lim_found[1];
}

enum pod_qos pod_qos_class(const struct pod *p)
{
        struct qos_sum s = { 0 };
        bool guaranteed = true;
        for (size_t i = 0; i < p->spec.containers.n; i++)
                guaranteed &= qos_add_container(&s, &p->spec.containers.v[i]);
        for (size_t i = 0; i < p->spec.initContainers.n; i++)
                guaranteed &= qos_add_container(&s, &p->spec.initContainers.v[i]);
        int n_req = s.has_req[0] + s.has_req[1], n_lim = s.has_lim[0] + s.has_lim[1];
        if (n_req == 0 && n_lim == 0)
                return POD_QOS_BEST_EFFORT;
        for (int k = 0; guaranteed && k < 2; k++)
                if (s.has_req[k] && (!s.has_lim[k] || s.lim[k] != s.req[k]))
                        guaranteed = false;
        return guaranteed && n_req == n_lim ? POD_QOS_GUARANTEED : POD_QOS_BURSTABLE;
}

const char *pod_qos_name(enum pod_qos q)
{
        switch (q) {
        case POD_QOS_GUARANTEED: return "Guaranteed";
        case POD_QOS_BURSTABLE: return "Burstable";
        case POD_QOS_BEST_EFFORT: return "BestEffort";
        }
        return "BestEffort";
}

int pod_cgroup_parent(const struct pod *p, char *buf, size_t size)
{
        const char *uid = p->metadata.uid;
        if (!uid || !*uid || strpbrk(uid, "/.\\") || strlen(uid) > 128)
                return -1; /* uids are UUIDs; anything else never becomes a path */
        static const char *const tier[] = {
                [POD_QOS_GUARANTEED] = "", [POD_QOS_BURSTABLE] = "burstable/",
                [POD_QOS_BEST_EFFORT] = "besteffort/",
        };
        int n = snprintf(buf, size, "kubepods/%spod%s", tier[pod_qos_class(p)], uid);
        return n < 0 || (size_t)n >= size ? -1 : n;
}
