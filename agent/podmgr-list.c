/* The pod manager's pods as a core/v1 PodList: each pod as the static pod
 * source made it (metadata, spec) with the agent's computed status. */
#include <stdlib.h>
#include <string.h>

#include "agent/podmgr-internal.h"

/* The pod's JSON with its status replaced by the computed one (the
 * source's "Pending" until the first sync). */
static json_t *pod_item(const struct pm_pod *p)
{
        json_t *j = pod_encode(p->sp->pod);
        if (!j)
                return NULL;
        json_object_del(j, "kind");
        json_object_del(j, "apiVersion");
        if (p->has_status) {
                json_t *st = agent_pod_status_to_json(&p->status);
                if (!st || json_object_set_new(j, "status", st) < 0) {
                        json_decref(j);
                        return NULL;
                }
        }
        return j;
}

static int by_key(const void *a, const void *b)
{
        const struct pm_pod *x = *(const struct pm_pod *const *)a;
        const struct pm_pod *y = *(const struct pm_pod *const *)b;
        return strcmp(x->sp->key, y->sp->key);
}

json_t *agent_podmgr_pod_list(struct agent_podmgr *m)
{
        const struct pm_pod **v = calloc(m->n ? m->n : 1, sizeof *v);
        json_t *items = json_array();
        json_t *list = json_pack("{s:s, s:s, s:{s:s}}", "kind", "PodList", "apiVersion", "v1",
                                 "metadata", "resourceVersion", "");
        bool ok = v && items && list;
        size_t n = 0;
        for (size_t i = 0; ok && i < m->n; i++)
                if (m->pods[i]->sp && !m->pods[i]->terminating)
                        v[n++] = m->pods[i];
        if (ok)
                qsort(v, n, sizeof *v, by_key);
        for (size_t i = 0; ok && i < n; i++)
                ok = json_array_append_new(items, pod_item(v[i])) == 0;
        free(v);
        if (!ok || json_object_set(list, "items", items) < 0) {
                json_decref(items);
                json_decref(list);
                return NULL;
        }
        json_decref(items);
        return list;
}
