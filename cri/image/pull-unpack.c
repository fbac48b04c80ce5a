/* Layer unpacking for pulls: each layer is unpacked by a forked child (at
 * most UNPACK_PARALLEL at once, the rest queued in order), whose error
 * message comes back on a pipe the loop watches; slots of any pull that
 * need the same layer wait on the one job. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cri/image/pull-internal.h"

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
        if (j->watch)
                dh_watch_remove(j->watch);
        if (j->fd >= 0)
                close(j->fd);
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
 * error message on the pipe and exits non-zero on failure. */
static void __attribute__((noreturn)) unpack_child(struct unpack_job *j, int wfd)
{
        struct dh_err *e = NULL;
        struct img_descriptor d = { .digest = j->digest, .media_type = j->media_type };
        int r = img_service_unpack_now(j->s, &d, j->diff_id, &e);
        if (r < 0) {
                const char *m = e && e->msg ? e->msg : "unpack failed";
                ssize_t k = write(wfd, m, strlen(m));
                (void)k;
        }
        _exit(r < 0 ? 1 : 0);
}

static void unpack_finished(struct unpack_job *j, bool ok)
{
        struct img_service *s = j->s;
        unpack_job_unlink(j);
        if (j->pid > 0) {
                int status;
                while (waitpid(j->pid, &status, 0) < 0 && errno == EINTR)
                        ;
                ok = ok && WIFEXITED(status) && WEXITSTATUS(status) == 0;
        }
        /* The child deleted the blob; a failed unpack keeps it for a retry. */
        ok = ok && img_layers_has(s->layers, j->diff_id);
        s->unpacks_running--;
        j->msg.b[j->msg.n < sizeof(j->msg.b) ? j->msg.n : sizeof(j->msg.b) - 1] = '\0';
        struct layer_slot *sl = j->waiting;
        j->waiting = NULL;
        while (sl) {
                struct layer_slot *next = sl->next_waiting;
                sl->next_waiting = NULL;
                if (ok) {
                        slot_done(sl);
                } else {
                        struct dh_err *e = NULL;
                        dh_err_set(&e, DH_EINVAL_INPUT, "%s", j->msg.n ? j->msg.b : "layer unpack failed");
                        pull_fail(sl->p, e);
                }
                sl = next;
        }
        unpack_job_free(j);
        unpack_start_queued(s);
}

static void unpack_io(struct dh_loop *l, int fd, uint32_t events, void *ud)
{
        (void)l;
        (void)events;
        struct unpack_job *j = ud;
        char buf[512];
        ssize_t k = read(fd, buf, sizeof(buf));
        if (k < 0 && (errno == EINTR || errno == EAGAIN))
                return;
        if (k > 0) {
                size_t room = sizeof(j->msg.b) - 1 - j->msg.n;
                size_t c = (size_t)k < room ? (size_t)k : room;
                memcpy(j->msg.b + j->msg.n, buf, c);
                j->msg.n += c;
                return;
        }
        unpack_finished(j, k == 0 && j->msg.n == 0);
}

static int unpack_spawn(struct unpack_job *j, struct dh_err **err)
{
        int pfd[2];
        if (pipe2(pfd, O_CLOEXEC | O_NONBLOCK) < 0)
                return dh_err_errno(err, errno, "pipe");
        pid_t parent = getpid();
        pid_t pid = fork();
        if (pid < 0) {
                close(pfd[0]);
                close(pfd[1]);
                return dh_err_errno(err, errno, "fork");
        }
        if (pid == 0) {
                /* The child shares the parent's ingest files and their
                 * flock()s: were it to outlive a parent killed mid-pull,
                 * they would look live to the next img_store_open() and
                 * never be cleaned. It dies with the parent instead, and its
                 * own .tmp- layer is then a leftover the next open removes. */
                if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
                        _exit(1);
                close(pfd[0]);
                unpack_child(j, pfd[1]);
        }
        close(pfd[1]);
        j->pid = pid;
        j->fd = pfd[0];
        j->watch = dh_loop_watch(j->s->loop, j->fd, EPOLLIN, unpack_io, j, err);
        if (!j->watch)
                return -1; /* unpack_finished reaps the child */
        return 0;
}

static void unpack_start_queued(struct img_service *s)
{
        for (struct unpack_job *j = s->unpacks; j && s->unpacks_running < UNPACK_PARALLEL;) {
                struct unpack_job *next = j->next;
                if (j->pid == 0) {
                        s->unpacks_running++;
                        struct dh_err *e = NULL;
                        if (unpack_spawn(j, &e) < 0) {
                                j->msg.n = (size_t)snprintf(j->msg.b, sizeof(j->msg.b), "%s",
                                                            e ? e->msg : "spawn failed");
                                dh_err_free(e);
                                unpack_finished(j, false);
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
        j->fd = -1;
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
                if (j->pid > 0) {
                        kill(j->pid, SIGKILL);
                        while (waitpid(j->pid, NULL, 0) < 0 && errno == EINTR)
                                ;
                }
                unpack_job_free(j);
        }
        s->unpacks_running = 0;
}
