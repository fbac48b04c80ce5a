/* Reading one manifest file into static pods, for the file source. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/podsource-internal.h"
#include "agent/podsource.h"
#include "lib/cleanup.h"

static void report(ps_report_fn fn, void *ud, const char *path, const struct dh_err *e)
{
        if (fn)
                fn(ud, path, e);
}

/* Each document's field errors as one error; true if there was any. */
static bool report_doc_errors(const struct pod_set *set, const char *path, ps_report_fn fn,
                              void *ud)
{
        bool bad = false;
        for (size_t i = 0; i < set->n; i++) {
                const struct pod_doc *d = &set->v[i];
                if (d->pod && d->errs.n == 0 && d->errs.dropped == 0)
                        continue;
                bad = true;
                char label[600];
                pod_doc_label(d, label, sizeof label);
                _cleanup_err_ struct dh_err *e = NULL;
                dh_ferrs_to_err(label, &d->errs, &e);
                dh_err_prefix(&e, "%s", path);
                report(fn, ud, path, e);
        }
        return bad;
}

static void drop_pods(struct ps_file *f)
{
        for (size_t i = 0; i < f->n; i++)
                agent_static_pod_unref(f->pods[i]);
        free(f->pods);
        f->pods = NULL;
        f->n = 0;
}

/* Static pods from a set whose documents are all valid pods. */
static int make_pods(struct pod_set *set, const char *node, int64_t now_ns, struct ps_file *f,
                     ps_report_fn fn, void *ud)
{
        f->pods = calloc(set->n, sizeof *f->pods);
        if (!f->pods)
                return -ENOMEM;
        for (size_t i = 0; i < set->n; i++) {
                _cleanup_err_ struct dh_err *e = NULL;
                struct agent_static_pod *sp = NULL;
                if (agent_static_pod_make(TAKE_PTR(set->v[i].pod), f->path, node, now_ns, &sp,
                                          &e) < 0) {
                        bool oom = e->code == ENOMEM;
                        dh_err_prefix(&e, "%s", f->path);
                        report(fn, ud, f->path, e);
                        drop_pods(f);
                        return oom ? -ENOMEM : 0;
                }
                f->pods[f->n++] = agent_static_pod_ref(sp);
        }
        return 0;
}

int ps_file_load(const char *path, size_t name_off, const char *node, int64_t now_ns,
                 size_t room, struct ps_file *f, ps_report_fn fn, void *ud)
{
        *f = (struct ps_file){ .path = strdup(path) };
        if (!f->path)
                return -ENOMEM;
        f->name = f->path + name_off;
        struct pod_set set = { 0 };
        _cleanup_err_ struct dh_err *e = NULL;
        int r = 0;
        if (pod_load_file(path, &set, &e) < 0) {
                if (e->code == ENOMEM)
                        r = -ENOMEM;
                report(fn, ud, path, e);
        } else if (set.n == 0) {
                dh_err_set(&e, DH_EINVAL_INPUT, "%s: no pod in the file", path);
                report(fn, ud, path, e);
        } else if (set.n > room) {
                dh_err_set(&e, DH_ELIMIT,
                           "%s: %zu pods would make more than %d static pods; file ignored", path,
                           set.n, AGENT_PODSOURCE_MAX_PODS);
                report(fn, ud, path, e);
        } else if (!report_doc_errors(&set, path, fn, ud))
                r = make_pods(&set, node, now_ns, f, fn, ud);
        pod_set_free(&set);
        return r;
}

void ps_file_free(struct ps_file *f)
{
        drop_pods(f);
        free(f->path);
        *f = (struct ps_file){ 0 };
}

void ps_files_free(struct ps_files *fs)
{
        for (size_t i = 0; i < fs->n; i++)
                if (!fs->v[i].moved)
                        ps_file_free(&fs->v[i]);
        free(fs->v);
        *fs = (struct ps_files){ 0 };
}

static int cmp_name(const void *key, const void *elem)
{
        return strcmp(key, ((const struct ps_file *)elem)->name);
}

struct ps_file *ps_files_find(const struct ps_files *fs, const char *name)
{
        return fs->n ? bsearch(name, fs->v, fs->n, sizeof *fs->v, cmp_name) : NULL;
}
