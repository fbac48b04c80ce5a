/* From the files' pods and the current set to the changes to report: plain
 * data in, plain data out. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agent/podsource-internal.h"

struct cand {
        struct agent_static_pod *sp;
        size_t order; /* position across files in name order */
};

static int cmp_cand(const void *a, const void *b)
{
        const struct cand *x = a, *y = b;
        int c = strcmp(x->sp->key, y->sp->key);
        if (c)
                return c;
        return x->order < y->order ? -1 : x->order > y->order;
}

/* Every file's pods in key order, the first file's copy of a name first. */
static struct cand *candidates(const struct ps_files *fs, size_t *n)
{
        size_t total = 0;
        for (size_t i = 0; i < fs->n; i++)
                total += fs->v[i].n;
        struct cand *c = calloc(total ? total : 1, sizeof *c);
        if (!c)
                return NULL;
        size_t k = 0;
        for (size_t i = 0; i < fs->n; i++)
                for (size_t j = 0; j < fs->v[i].n; j++, k++)
                        c[k] = (struct cand){ fs->v[i].pods[j], k };
        qsort(c, total, sizeof *c, cmp_cand);
        *n = total;
        return c;
}

static int alloc_plan(struct ps_plan *p, size_t ncand, size_t ncur)
{
        size_t most = ncand + ncur + 1;
        p->removes = calloc(ncur + 1, sizeof *p->removes);
        p->adds = calloc(ncand + 1, sizeof *p->adds);
        p->next = calloc(most, sizeof *p->next);
        p->updates = calloc(ncur + 1, sizeof *p->updates);
        p->dups = calloc(ncand + 1, sizeof *p->dups);
        return p->removes && p->adds && p->next && p->updates && p->dups ? 0 : -ENOMEM;
}

/* One step of the merge of desired (deduplicated) and cur, both by key. */
static void merge(struct ps_plan *p, struct agent_static_pod *want, struct agent_static_pod *have)
{
        if (!have) {
                p->adds[p->nadds++] = want;
                p->next[p->nnext++] = agent_static_pod_ref(want);
        } else if (!want) {
                p->removes[p->nremoves++] = have;
        } else if (strcmp(want->hash, have->hash) == 0) {
                p->next[p->nnext++] = agent_static_pod_ref(have);
        } else {
                p->updates[p->nupdates++] = (struct ps_update){ have, want };
                p->next[p->nnext++] = agent_static_pod_ref(want);
        }
}

int ps_plan_make(const struct ps_files *fs, struct agent_static_pod *const *cur, size_t ncur,
                 struct ps_plan *plan)
{
        struct ps_plan p = { 0 };
        size_t nc = 0;
        struct cand *c = candidates(fs, &nc);
        if (!c || alloc_plan(&p, nc, ncur) < 0) {
                free(c);
                ps_plan_free(&p);
                return -ENOMEM;
        }
        size_t i = 0, j = 0;
        while (i < nc || j < ncur) {
                if (i < nc && i > 0 && strcmp(c[i].sp->key, c[i - 1].sp->key) == 0) {
                        /* c[i-1] may itself be a duplicate: find the winner. */
                        size_t w = i - 1;
                        while (w > 0 && strcmp(c[w - 1].sp->key, c[i].sp->key) == 0)
                                w--;
                        p.dups[p.ndups++] = (struct ps_dup){ c[i].sp, c[w].sp };
                        i++;
                        continue;
                }
                int d = i >= nc ? 1 : j >= ncur ? -1 : strcmp(c[i].sp->key, cur[j]->key);
                merge(&p, d <= 0 ? c[i].sp : NULL, d >= 0 ? cur[j] : NULL);
                i += d <= 0;
                j += d >= 0;
        }
        free(c);
        *plan = p;
        return 0;
}

void ps_plan_free(struct ps_plan *plan)
{
        for (size_t i = 0; i < plan->nnext; i++)
                agent_static_pod_unref(plan->next[i]);
        free(plan->removes);
        free(plan->adds);
        free(plan->next);
        free(plan->updates);
        free(plan->dups);
        *plan = (struct ps_plan){ 0 };
}
