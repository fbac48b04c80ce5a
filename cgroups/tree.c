/* Walking a cgroup and its descendants: removal deepest first (with the one
 * bounded EBUSY retry in this module) and signalling every process. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroups/internal.h"
#include "lib/cleanup.h"
#include "lib/dirlist.h"

struct walk {
        bool post;
        int (*fn)(const char *dir, void *ud, struct dh_err **err);
        void *ud;
        size_t nodes;
};

/* Child cgroup names of dir, read in full before anything below is touched. */
static int list_children(const char *dir, struct walk *w, struct dh_names *out, struct dh_err **err)
{
        int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return dh_err_errno(err, errno, "%s: open", dir);
        size_t left = w->nodes < CG_TREE_NODES_MAX ? (size_t)(CG_TREE_NODES_MAX - w->nodes) : 0;
        int r = dh_list_dir(fd, dir, dh_is_subdir, NULL, left, false, out, err);
        close(fd);
        if (r == -DH_ELIMIT)
                return dh_err_prefix(err, "more than %d cgroups below", CG_TREE_NODES_MAX);
        if (r == 0)
                w->nodes += out->n;
        return r;
}

static int walk_at(const char *dir, int depth, struct walk *w, struct dh_err **err)
{
        int r;
        if (depth > CG_TREE_DEPTH_MAX)
                return dh_err_set(err, DH_ELIMIT, "%s: cgroups nested deeper than %d", dir,
                                  CG_TREE_DEPTH_MAX);
        if (!w->post && (r = w->fn(dir, w->ud, err)) < 0)
                return r;
        struct dh_names ns = { 0 };
        r = list_children(dir, w, &ns, err);
        for (size_t i = 0; r >= 0 && i < ns.n; i++) {
                char *sub = cg_join(dir, ns.v[i]);
                r = sub ? walk_at(sub, depth + 1, w, err) : dh_err_errno(err, errno, "%s", dir);
                free(sub);
        }
        dh_names_free(&ns);
        if (r >= 0 && w->post)
                r = w->fn(dir, w->ud, err);
        return r;
}

int cg_walk(const char *dir, bool post, int (*fn)(const char *dir, void *ud, struct dh_err **err),
            void *ud, struct dh_err **err)
{
        if (!cg_is_dir(dir))
                return 0;
        struct walk w = { .post = post, .fn = fn, .ud = ud };
        return walk_at(dir, 0, &w, err);
}

static int count_pid(pid_t pid, void *ud, struct dh_err **err)
{
        (void)pid;
        (void)err;
        (*(size_t *)ud)++;
        return 0;
}

#define RMDIR_RETRY_MS 10

static int rmdir_visit(const char *dir, void *ud, struct dh_err **err)
{
        int *budget = ud;
        for (;;) {
                if (rmdir(dir) == 0 || errno == ENOENT)
                        return 0;
                if (errno != EBUSY || *budget <= 0)
                        break;
                (*budget)--;
                cg_sleep_ms(RMDIR_RETRY_MS);
        }
        int e = errno;
        size_t n = 0;
        if (e == EBUSY && cg_foreach_pid(dir, count_pid, &n, NULL) >= 0 && n > 0)
                return dh_err_errno(err, e, "%s: rmdir (%zu processes left)", dir, n);
        return dh_err_errno(err, e, "%s: rmdir", dir);
}

int cg_remove_in(const char *hier_dir, const char *path, int *budget, struct dh_err **err)
{
        _cleanup_free_ char *dir = cg_join(hier_dir, path);
        if (!dir)
                return dh_err_errno(err, errno, "%s: %s", hier_dir, path);
        return cg_walk(dir, true, rmdir_visit, budget, err);
}

struct kill_ctx {
        int sig;
        pid_t self;
        size_t signalled;
};

static int kill_pid(pid_t pid, void *ud, struct dh_err **err)
{
        struct kill_ctx *k = ud;
        /* Never signal ourselves, even if a caller put us in the cgroup. */
        if (pid == k->self)
                return 0;
        if (kill(pid, k->sig) < 0 && errno != ESRCH)
                return dh_err_errno(err, errno, "kill %d", (int)pid);
        k->signalled++;
        return 0;
}

static int kill_visit(const char *dir, void *ud, struct dh_err **err)
{
        int r = cg_foreach_pid(dir, kill_pid, ud, err);
        if (r == -ENOENT) {
                /* The cgroup went away meanwhile: nothing left to signal. */
                dh_err_clear(err);
                return 0;
        }
        return r < 0 ? dh_err_prefix(err, "%s", dir) : 0;
}

/* How many times the pids are listed and signalled: once when frozen
 * (nothing can fork), a few times otherwise to catch children forked
 * between the read and the kill. */
#define KILL_PASSES_UNFROZEN 3

static int signal_all(const char *dir, int sig, bool frozen, struct dh_err **err)
{
        int passes = frozen ? 1 : KILL_PASSES_UNFROZEN;
        for (int i = 0; i < passes; i++) {
                struct kill_ctx k = { .sig = sig, .self = getpid() };
                int r = cg_walk(dir, false, kill_visit, &k, err);
                if (r < 0)
                        return r;
                if (k.signalled == 0 || sig != SIGKILL)
                        break;
        }
        return 0;
}

int cg_kill_tree(const struct cg_layout *l, const char *path, int sig, struct dh_err **err)
{
        if (sig == SIGKILL && l->ops->kill_fast) {
                int r = l->ops->kill_fast(l, path, err);
                if (r != 0)
                        return r < 0 ? r : 0;
        }
        _cleanup_free_ char *dir = cg_join(l->hier[l->procs_hier].dir, path);
        if (!dir)
                return dh_err_errno(err, errno, "%s", path);
        if (!cg_is_dir(dir))
                return 0;
        bool tried = false, frozen = false;
        if (sig == SIGKILL) {
                /* Best effort: without a freezer the repeated passes below
                 * still catch what forks meanwhile. */
                struct dh_err *ferr = NULL;
                frozen = l->ops->freeze(l, path, true, &tried, &ferr) > 0;
                dh_err_free(ferr);
        }
        int r = signal_all(dir, sig, frozen, err);
        if (tried) {
                bool again = false;
                int t = l->ops->freeze(l, path, false, &again, r < 0 ? NULL : err);
                if (r >= 0 && t < 0)
                        r = t;
        }
        return r;
}
