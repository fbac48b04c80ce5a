/* Freeing the CRI structs that have no JSON form, and state names. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cri/cri.h"

void rt_sandbox_list_free(struct rt_sandbox_list *l)
{
        for (size_t i = 0; l && i < l->n; i++)
                rt_sandbox_status_free(&l->v[i]);
        if (l) {
                free(l->v);
                *l = (struct rt_sandbox_list){ 0 };
        }
}

void rt_container_list_free(struct rt_container_list *l)
{
        for (size_t i = 0; l && i < l->n; i++)
                rt_container_status_free(&l->v[i]);
        if (l) {
                free(l->v);
                *l = (struct rt_container_list){ 0 };
        }
}

void rt_exec_sync_result_free(struct rt_exec_sync_result *r)
{
        if (!r)
                return;
        free(r->stdout_buf);
        free(r->stderr_buf);
        *r = (struct rt_exec_sync_result){ 0 };
}

void rt_container_stats_free(struct rt_container_stats *s)
{
        if (!s)
                return;
        free(s->id);
        free(s->name);
        *s = (struct rt_container_stats){ 0 };
}

void rt_container_stats_list_free(struct rt_container_stats_list *l)
{
        for (size_t i = 0; l && i < l->n; i++)
                rt_container_stats_free(&l->v[i]);
        if (l) {
                free(l->v);
                *l = (struct rt_container_stats_list){ 0 };
        }
}

void rt_sandbox_stats_free(struct rt_sandbox_stats *s)
{
        if (!s)
                return;
        free(s->id);
        rt_container_stats_list_free(&s->containers);
        *s = (struct rt_sandbox_stats){ 0 };
}

void rt_version_free(struct rt_version *v)
{
        if (!v)
                return;
        free(v->version);
        free(v->runtime_name);
        free(v->runtime_version);
        free(v->runtime_api_version);
        *v = (struct rt_version){ 0 };
}

static void condition_free(struct rt_condition *c)
{
        free(c->type);
        free(c->reason);
        free(c->message);
        *c = (struct rt_condition){ 0 };
}

void rt_status_free(struct rt_status *s)
{
        if (!s)
                return;
        condition_free(&s->runtime_ready);
        condition_free(&s->network_ready);
}

const char *rt_container_state_name(enum rt_container_state s)
{
        switch (s) {
        case RT_CONTAINER_CREATED: return "CONTAINER_CREATED";
        case RT_CONTAINER_RUNNING: return "CONTAINER_RUNNING";
        case RT_CONTAINER_EXITED: return "CONTAINER_EXITED";
        case RT_CONTAINER_UNKNOWN: break;
        }
        return "CONTAINER_UNKNOWN";
}

const char *rt_sandbox_state_name(enum rt_sandbox_state s)
{
        return s == RT_SANDBOX_READY ? "SANDBOX_READY" : "SANDBOX_NOTREADY";
}

int rt_kvs_copy(struct rt_kvs *dst, const struct rt_kvs *src)
{
        *dst = (struct rt_kvs){ 0 };
        if (!src->n)
                return 0;
        dst->v = calloc(src->n, sizeof *dst->v);
        if (!dst->v)
                return -ENOMEM;
        for (size_t i = 0; i < src->n; i++, dst->n++) {
                dst->v[i].key = strdup(src->v[i].key ? src->v[i].key : "");
                dst->v[i].value = strdup(src->v[i].value ? src->v[i].value : "");
                if (!dst->v[i].key || !dst->v[i].value) {
                        dst->n++;
                        rt_kvs_free(dst);
                        return -ENOMEM;
                }
        }
        return 0;
}
