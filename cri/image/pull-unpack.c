/* Layer unpacking for pulls: each layer is unpacked by a forked child
 * (lib/child.h; at most UNPACK_PARALLEL at once, the rest queued in order),
 * whose error message comes back through the loop; slots of any pull that
 * need the same layer wait on the one job. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cri/image/pull-internal.h"
#include "lib/cleanup.h"

static void unpack_start_queued(struct img_service *s);

void unpack_forget_slot(struct img_service *s, struct layer_slot *sl)
{
        for (struct unpack_job *j = s->unpacks; j; j = j->next)
                for (struct layer_slot **w = &j->waiting; *w; w = &(*w)->next_waiting)
                        if (*w == sl) {
                                *w = sl->next_waiting;
                                return;
                        }
}

static void unpack_job_free(struct unpack_job *j)
{
        free(j->diff_id);
        free(j->digest);
        free(j->media_type);
        free(j);
}

static void unpack_job_unlink(struct unpack_job *j)
{
        for (struct unpack_job **jj = &j->s->unpacks; *jj; jj = &(*jj)->next)
                if (*jj == j) {
                        *jj = j->next;
                        return;
                }
}

/* The child's whole job: unpack the blob into the layer store. Reports an
 * error message and exits non-zero on failure. The child shares the
 * parent's ingest files and their flock()s: were it to outlive a parent
 * killed mid-pull, they would look live to the next img_store_open() and
 * never be cleaned, so it dies with the parent (lib/child.h), and its own
 * .tmp- layer is then a leftover the next open removes. */
static int unpack_child(void *ud, int report_fd)
{
        struct unpack_job *j = ud;
        struct dh_err *e = NULL;
        struct img_descriptor d = { .digest = j->digest, .media_type = j->media_type };
        int r = img_service_unpack_now(j->s, &d, j->diff_id, &e);
        if (r < 0) {
                const char *m = e && e->msg ? e->msg : "unpack failed";
                ssize_t k = write(report_fd, m, strlen(m));
                (void)k;
        }
        return r < 0 ? 1 : 0;
}

/* Tells every slot waiting on j, then starts what is queued. */
static void unpack_finished(struct unpack_job *j, bool ok, const char *msg)
{
        struct img_service *s = j->s;
        unpack_job_unlink(j);
        /* The child deleted the blob; a failed unpack keeps it for a retry. */
        ok = ok && img_layers_has(s->layers, j->diff_id);
        s->unpacks_running--;
        struct layer_slot *sl = j->waiting;
        j->waiting = NULL;
        while (sl) {
                struct layer_slot *next = sl->next_waiting;
                sl->next_waiting = NULL;
                if (ok) {
                        slot_done(sl);
                } else {
                        struct dh_err *e = NULL;
                        dh_err_set(&e, DH_EINVAL_INPUT, "%s", msg && *msg ? msg : "layer unpack failed");
                        pull_fail(sl->p, e);
                }
                sl = next;
        }
        unpack_job_free(j);
        unpack_start_queued(s);
}

static void unpack_done(void *ud, const struct dh_child_result *res)
{
        struct unpack_job *j = ud;
        j->child = NULL; /* lib/child frees it after this */
        bool ok = WIFEXITED(res->wait_status) && WEXITSTATUS(res->wait_status) == 0 && res->len == 0;
        unpack_finished(j, ok, res->report);
}

static void unpack_start_queued(struct img_service *s)
{
        for (struct unpack_job *j = s->unpacks; j && s->unpacks_running < UNPACK_PARALLEL;) {
                struct unpack_job *next = j->next;
                if (!j->child) {
                        s->unpacks_running++;
                        struct dh_err *e = NULL;
                        j->child = dh_child_start(s->loop, unpack_child, j, UNPACK_MSG_MAX, 0, unpack_done,
                                                  j, &e);
                        if (!j->child) {
                                _cleanup_free_ char *msg = strdup(e ? e->msg : "spawn failed");
                                dh_err_free(e);
                                unpack_finished(j, false, msg);
                                return; /* it restarted the queue */
                        }
                }
                j = next;
        }
}

/* Joins the unpack of diff_id in flight, or queues a new one. */
void slot_unpack(struct layer_slot *sl)
{
        struct pull *p = sl->p;
        struct img_service *s = p->s;
        const struct img_descriptor *d = &p->man.layers.v[sl->i];
        const char *diff_id = p->cfg.diff_ids.v[sl->i];
        sl->st = SLOT_UNPACK;
        for (struct unpack_job *j = s->unpacks; j; j = j->next)
                if (strcmp(j->diff_id, diff_id) == 0) {
                        sl->next_waiting = j->waiting;
                        j->waiting = sl;
                        return;
                }
        struct unpack_job *j = calloc(1, sizeof(*j));
        if (!j || !(j->diff_id = strdup(diff_id)) || !(j->digest = strdup(d->digest)) ||
            (d->media_type && !(j->media_type = strdup(d->media_type)))) {
                if (j)
                        unpack_job_free(j);
                pull_fail_msg(p, ENOMEM, "out of memory");
                return;
        }
        j->s = s;
        j->waiting = sl;
        /* Appended: layers unpack in the order they were asked for. */
        struct unpack_job **tail = &s->unpacks;
        while (*tail)
                tail = &(*tail)->next;
        *tail = j;
        unpack_start_queued(s);
}

bool unpack_in_flight(struct img_service *s, const char *diff_id)
{
        for (struct unpack_job *j = s->unpacks; j; j = j->next)
                if (strcmp(j->diff_id, diff_id) == 0)
                        return true;
        return false;
}

void unpack_cancel_all(struct img_service *s)
{
        while (s->unpacks) {
                struct unpack_job *j = s->unpacks;
                s->unpacks = j->next;
                dh_child_cancel(j->child);
                unpack_job_free(j);
        }
        s->unpacks_running = 0;
}
