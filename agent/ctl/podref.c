/* deckctl's target resolution for logs and exec: a container ID, or a pod
 * and one of its containers as kubectl picks it (podref.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/ctl/podref.h"
#include "agent/podruntime.h"
#include "agent/staticpod.h"
#include "lib/buf.h"
#include "lib/cleanup.h"

/* Bytes of a list of candidate pods or container names in a message. */
#define NAME_LIST_MAX (16u << 10)

/* The pod a resolution works in; the strings are borrowed from its newest
 * sandbox. */
struct pod_key {
        const char *name, *namespace, *uid;
        const struct rt_sandbox_status *newest;
};

/* One container name of the pod, with what orders it in kubectl's lists. */
struct cname {
        const char *name;
        bool init;
        int64_t first_created;
};

static bool eq(const char *a, const char *b)
{
        return a && b && strcmp(a, b) == 0;
}

static const char *kv_get(const struct rt_kvs *k, const char *key)
{
        for (size_t i = 0; i < k->n; i++)
                if (eq(k->v[i].key, key))
                        return k->v[i].value;
        return NULL;
}

/* Creation order; the attempt breaks ties between instances created within
 * one clock tick. */
static bool newer(const struct rt_container_status *a, const struct rt_container_status *b)
{
        if (a->created_at != b->created_at)
                return a->created_at > b->created_at;
        return a->metadata.attempt > b->metadata.attempt;
}

static bool in_pod(const struct rt_container_status *c, const struct rt_sandbox_list *sbs,
                   const struct pod_key *p)
{
        for (size_t i = 0; i < sbs->n; i++) {
                const struct rt_sandbox_status *s = &sbs->v[i];
                if (eq(s->id, c->sandbox_id))
                        return eq(s->metadata.name, p->name) && eq(s->metadata.namespace, p->namespace) &&
                               (s->metadata.uid == p->uid || eq(s->metadata.uid, p->uid));
        }
        return false;
}

/* The pod's newest sandbox of that name decides its UID: an older UID of
 * the same name is a replaced pod. */
static void pod_by_name(const struct rt_sandbox_list *sbs, const char *ns, const char *name,
                        struct pod_key *p)
{
        const struct rt_sandbox_status *newest = NULL;
        for (size_t i = 0; i < sbs->n; i++) {
                const struct rt_sandbox_status *s = &sbs->v[i];
                if (eq(s->metadata.namespace, ns) && eq(s->metadata.name, name) &&
                    (!newest || s->created_at > newest->created_at))
                        newest = s;
        }
        *p = (struct pod_key){ newest ? newest->metadata.name : NULL, ns, newest ? newest->metadata.uid : NULL,
                               newest };
}

/* "web" for the static pod "web-node1": TARGET-<something>. */
static bool bare_name_of(const char *name, const char *target)
{
        size_t n = strlen(target);
        return name && strncmp(name, target, n) == 0 && name[n] == '-' && name[n + 1];
}

static int list_join(char **out, const char *const *v, size_t n, struct dh_err **err)
{
        struct dh_buf b;
        dh_buf_init(&b, NAME_LIST_MAX);
        for (size_t i = 0; i < n; i++)
                if (dh_buf_printf(&b, err, "%s%s", i ? ", " : "", v[i]) < 0) {
                        dh_buf_free(&b);
                        return -ENOMEM;
                }
        *out = b.data ? dh_buf_steal(&b) : strdup("");
        return *out ? 0 : dh_err_set(err, ENOMEM, "out of memory");
}

static int str_order(const void *a, const void *b)
{
        return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Pods named TARGET-<suffix> in ns, static pods first: with exactly one,
 * that is the pod; with several, the error lists them by name. */
static int find_bare_name(const struct rt_sandbox_list *sbs, const char *ns, const char *target,
                          bool id_tried, bool id_ambiguous, const char **name, struct dh_err **err)
{
        _cleanup_free_ const char **cand = calloc(sbs->n + 1, sizeof *cand);
        if (!cand)
                return dh_err_set(err, ENOMEM, "out of memory");
        size_t n = 0;
        for (int only_static = 1; only_static >= 0 && n == 0; only_static--)
                for (size_t i = 0; i < sbs->n; i++) {
                        const struct rt_sandbox_status *s = &sbs->v[i];
                        if (!eq(s->metadata.namespace, ns) || !bare_name_of(s->metadata.name, target) ||
                            (only_static && !kv_get(&s->annotations, AGENT_ANN_CONFIG_SOURCE)))
                                continue;
                        size_t k = 0;
                        while (k < n && !eq(cand[k], s->metadata.name))
                                k++;
                        if (k == n)
                                cand[n++] = s->metadata.name;
                }
        if (n == 1) {
                *name = cand[0];
                return 0;
        }
        if (n == 0 && id_ambiguous)
                return dh_err_set(err, EINVAL, "container id prefix \"%s\" is ambiguous, and pods \"%s\" not "
                                               "found in namespace \"%s\"", target, target, ns);
        if (n == 0)
                return dh_err_set(err, ENOENT, "pods \"%s\" not found in namespace \"%s\"%s", target, ns,
                                  id_tried ? " (nor is it a container ID)" : "");
        qsort(cand, n, sizeof *cand, str_order); /* the runtime lists in no particular order */
        _cleanup_free_ char *all = NULL;
        if (list_join(&all, cand, n, err) < 0)
                return -ENOMEM;
        return dh_err_set(err, EINVAL, "pod name \"%s\" is ambiguous in namespace \"%s\": %s", target, ns, all);
}

static int find_pod(const struct rt_sandbox_list *sbs, const struct ctl_podref_query *q, const char *ns,
                    bool id_ambiguous, struct pod_key *p, struct dh_err **err)
{
        const char *name = q->target;
        pod_by_name(sbs, ns, name, p);
        if (p->newest)
                return 0;
        int r = find_bare_name(sbs, ns, q->target, !q->pod_only, id_ambiguous, &name, err);
        if (r < 0)
                return r;
        pod_by_name(sbs, ns, name, p);
        return 0;
}

static int cname_order(const void *a, const void *b)
{
        const struct cname *x = a, *y = b;
        if (x->init != y->init)
                return x->init ? 1 : -1; /* kubectl lists app containers, then init ones */
        return (x->first_created > y->first_created) - (x->first_created < y->first_created);
}

/* The pod's container names, app containers first, each group by the
 * creation of its first instance (the kubelet starts them in spec order). */
static int collect_names(const struct rt_sandbox_list *sbs, const struct rt_container_list *cs,
                         const struct pod_key *p, struct cname **out, size_t *nout, struct dh_err **err)
{
        struct cname *v = calloc(cs->n + 1, sizeof *v);
        if (!v)
                return dh_err_set(err, ENOMEM, "out of memory");
        size_t n = 0;
        for (size_t i = 0; i < cs->n; i++) {
                const struct rt_container_status *c = &cs->v[i];
                if (!c->metadata.name || !in_pod(c, sbs, p))
                        continue;
                bool init = eq(kv_get(&c->annotations, AGENT_ANN_CONTAINER_TYPE), "init");
                size_t k = 0;
                while (k < n && !eq(v[k].name, c->metadata.name))
                        k++;
                if (k == n)
                        v[n++] = (struct cname){ c->metadata.name, init, c->created_at };
                v[k].init |= init;
                if (c->created_at < v[k].first_created)
                        v[k].first_created = c->created_at;
        }
        qsort(v, n, sizeof *v, cname_order);
        *out = v;
        *nout = n;
        return 0;
}

/* "a, b, c (init)", as kubectl's AllContainerNames. */
static int names_list(const struct cname *v, size_t n, char **out, struct dh_err **err)
{
        struct dh_buf b;
        dh_buf_init(&b, NAME_LIST_MAX);
        for (size_t i = 0; i < n; i++)
                if (dh_buf_printf(&b, err, "%s%s%s", i ? ", " : "", v[i].name, v[i].init ? " (init)" : "") < 0) {
                        dh_buf_free(&b);
                        return -ENOMEM;
                }
        *out = b.data ? dh_buf_steal(&b) : strdup("");
        return *out ? 0 : dh_err_set(err, ENOMEM, "out of memory");
}

static const struct cname *find_cname(const struct cname *v, size_t n, const char *name)
{
        for (size_t i = 0; i < n; i++)
                if (eq(v[i].name, name))
                        return &v[i];
        return NULL;
}

/* kubectl's FindOrDefaultContainerByName over what the runtime has: -c,
 * else the pod's default-container annotation when that container exists
 * (still absent while init containers run), else the first container. */
static int pick_name(const struct ctl_podref_query *q, const struct pod_key *p, const struct cname *v, size_t n,
                     const char **name, char **notice, struct dh_err **err)
{
        if (n == 0)
                return dh_err_set(err, ENOENT, "pod %s/%s does not have any containers", p->namespace, p->name);
        _cleanup_free_ char *all = NULL;
        if (names_list(v, n, &all, err) < 0)
                return -ENOMEM;
        if (q->container) {
                if (!find_cname(v, n, q->container))
                        return dh_err_set(err, ENOENT, "container %s is not valid for pod %s out of: %s",
                                          q->container, p->name, all);
                *name = q->container;
                return 0;
        }
        const struct cname *ann = find_cname(v, n, kv_get(&p->newest->annotations, CTL_ANN_DEFAULT_CONTAINER));
        *name = ann ? ann->name : v[0].name;
        if (!ann && n > 1 && asprintf(notice, "Defaulted container \"%s\" out of: %s", *name, all) < 0) {
                *notice = NULL;
                return dh_err_set(err, ENOMEM, "out of memory");
        }
        return 0;
}

/* The newest instance of the named container, or with before, the newest
 * one created before that one. */
static const struct rt_container_status *instance(const struct rt_sandbox_list *sbs,
                                                  const struct rt_container_list *cs, const struct pod_key *p,
                                                  const char *name, const struct rt_container_status *before)
{
        const struct rt_container_status *best = NULL;
        for (size_t i = 0; i < cs->n; i++) {
                const struct rt_container_status *c = &cs->v[i];
                if (c == before || !eq(c->metadata.name, name) || !in_pod(c, sbs, p) || (before && !newer(before, c)))
                        continue;
                if (!best || newer(c, best))
                        best = c;
        }
        return best;
}

static int previous_of(const struct rt_sandbox_list *sbs, const struct rt_container_list *cs,
                       const struct pod_key *p, const char *name, const struct rt_container_status **c,
                       struct dh_err **err)
{
        const struct rt_container_status *prev = *c ? instance(sbs, cs, p, name, *c) : NULL;
        if (!prev)
                return dh_err_set(err, ENOENT, "previous terminated container \"%s\" in pod \"%s\" not found", name,
                                  p->name);
        *c = prev;
        return 0;
}

static int fill(struct ctl_podref *out, const struct rt_container_status *c, const struct pod_key *p,
                const char *name, struct dh_err **err)
{
        struct ctl_podref r = { .container = c };
        if ((p && (!(r.pod = strdup(p->name)) || !(r.namespace = strdup(p->namespace)))) ||
            !(r.container_name = strdup(name))) {
                ctl_podref_free(&r);
                return dh_err_set(err, ENOMEM, "out of memory");
        }
        *out = r;
        return 0;
}

/* A container ID with --previous: the instance before it in its pod. */
static int resolve_id_previous(const struct rt_sandbox_list *sbs, const struct rt_container_list *cs,
                               const struct rt_container_status *c, struct ctl_podref *out, struct dh_err **err)
{
        struct pod_key p = { 0 };
        for (size_t i = 0; i < sbs->n; i++)
                if (eq(sbs->v[i].id, c->sandbox_id))
                        p = (struct pod_key){ sbs->v[i].metadata.name, sbs->v[i].metadata.namespace,
                                              sbs->v[i].metadata.uid, &sbs->v[i] };
        if (!p.newest || !p.name || !p.namespace || !c->metadata.name)
                return dh_err_set(err, ENOENT, "container \"%s\" belongs to no named pod: --previous needs one",
                                  c->id);
        int r = previous_of(sbs, cs, &p, c->metadata.name, &c, err);
        return r < 0 ? r : fill(out, c, &p, c->metadata.name, err);
}

int ctl_podref_resolve(const struct rt_sandbox_list *sandboxes, const struct rt_container_list *containers,
                       const struct ctl_podref_query *q, struct ctl_podref *out, struct dh_err **err)
{
        if (!q->target || !*q->target)
                return dh_err_set(err, EINVAL, "no container ID or pod given");
        const char *ns = q->namespace ? q->namespace : "default";
        size_t id_matches = 0;
        const struct rt_container_status *by_id = NULL;
        for (size_t i = 0; !q->pod_only && i < containers->n; i++)
                if (containers->v[i].id && strncmp(containers->v[i].id, q->target, strlen(q->target)) == 0) {
                        id_matches++;
                        by_id = &containers->v[i];
                }
        if (id_matches == 1 && q->previous)
                return resolve_id_previous(sandboxes, containers, by_id, out, err);
        if (id_matches == 1)
                return fill(out, by_id, NULL, by_id->metadata.name ? by_id->metadata.name : by_id->id, err);

        struct pod_key p;
        _cleanup_free_ struct cname *names = NULL;
        size_t n = 0;
        const char *name = NULL;
        _cleanup_free_ char *notice = NULL;
        int r = find_pod(sandboxes, q, ns, id_matches > 1, &p, err);
        if (r == 0)
                r = collect_names(sandboxes, containers, &p, &names, &n, err);
        if (r == 0)
                r = pick_name(q, &p, names, n, &name, &notice, err);
        if (r < 0)
                return r;
        const struct rt_container_status *c = instance(sandboxes, containers, &p, name, NULL);
        if (q->previous && (r = previous_of(sandboxes, containers, &p, name, &c, err)) < 0)
                return r;
        if ((r = fill(out, c, &p, name, err)) < 0)
                return r;
        out->notice = TAKE_PTR(notice);
        return 0;
}

void ctl_podref_free(struct ctl_podref *r)
{
        free(r->pod);
        free(r->namespace);
        free(r->container_name);
        free(r->notice);
        *r = (struct ctl_podref){ 0 };
}
