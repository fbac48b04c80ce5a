/* Termination messages in the pod's status: each exited container's
 * (agent/termmsg.h) joined to the runtime's message, as the kubelet's
 * convertToKubeContainerStatus does. An exited container never changes,
 * so its message is read once (a file and perhaps the log's tail) and
 * kept with the pod until the container is gone, not read again at each
 * observation. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/podmgr-internal.h"
#include "agent/termmsg.h"
#include "lib/cleanup.h"

static struct pm_termmsg *cached(struct pm_pod *p, const char *id)
{
        for (size_t i = 0; i < p->termmsgs.n; i++)
                if (strcmp(p->termmsgs.v[i].id, id) == 0)
                        return &p->termmsgs.v[i];
        return NULL;
}

/* c's message (NULL: none), read once. */
static int message_of(struct pm_pod *p, const struct rt_container_status *c, const char **out,
                      struct dh_err **err)
{
        struct pm_termmsg *e = cached(p, c->id);
        if (!e) {
                char *msg = NULL;
                if (agent_termination_message(c, &msg, err) < 0)
                        return -1;
                struct pm_termmsg *v = realloc(p->termmsgs.v, (p->termmsgs.n + 1) * sizeof *v);
                char *id = strdup(c->id);
                if (!v || !id) {
                        if (v)
                                p->termmsgs.v = v;
                        free(id);
                        free(msg);
                        return dh_err_set(err, ENOMEM, "out of memory");
                }
                p->termmsgs.v = v;
                e = &v[p->termmsgs.n++];
                *e = (struct pm_termmsg){ id, msg };
        }
        *out = e->msg;
        return 0;
}

static int join(struct agent_container_observed *o, const char *msg, struct dh_err **err)
{
        char *joined = NULL;
        if (asprintf(&joined, "%s%s%s", o->message && *o->message ? o->message : "",
                     o->message && *o->message ? ": " : "", msg) < 0)
                return dh_err_set(err, ENOMEM, "out of memory");
        free(o->message);
        o->message = joined;
        return 0;
}

/* Forgets the messages of containers the runtime no longer lists. */
static void prune(struct pm_pod *p, const struct rt_container_list *cl)
{
        for (size_t i = 0; i < p->termmsgs.n;) {
                bool listed = false;
                for (size_t j = 0; j < cl->n && !listed; j++)
                        listed = strcmp(cl->v[j].id, p->termmsgs.v[i].id) == 0;
                if (listed) {
                        i++;
                        continue;
                }
                free(p->termmsgs.v[i].id);
                free(p->termmsgs.v[i].msg);
                p->termmsgs.v[i] = p->termmsgs.v[--p->termmsgs.n];
        }
}

int pm_add_termination_messages(struct pm_pod *p, const struct rt_container_list *cl,
                                struct agent_pod_runtime *r, struct dh_err **err)
{
        prune(p, cl);
        for (size_t i = 0; i < cl->n; i++) {
                const char *msg = NULL;
                if (cl->v[i].state != RT_CONTAINER_EXITED)
                        continue;
                if (message_of(p, &cl->v[i], &msg, err) < 0)
                        return -1;
                for (size_t j = 0; msg && j < r->containers.n; j++)
                        if (strcmp(r->containers.v[j].id, cl->v[i].id) == 0 &&
                            join(&r->containers.v[j], msg, err) < 0)
                                return -1;
        }
        return 0;
}

void pm_termmsgs_free(struct pm_pod *p)
{
        for (size_t i = 0; i < p->termmsgs.n; i++) {
                free(p->termmsgs.v[i].id);
                free(p->termmsgs.v[i].msg);
        }
        free(p->termmsgs.v);
        p->termmsgs.v = NULL;
        p->termmsgs.n = 0;
}
