/* Between the pieces of the static pod source: the files it knows and their
 * pods (podsource-files.c), and the pure step from files plus the current
 * pods to a plan of changes (podsource-plan.c). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/staticpod.h"
#include "lib/err.h"

/* Static pods are shared between the files' lists and the current set. */

/* One manifest file and the pods it gave (none when it is unusable). */
struct ps_file {
        char *path;
        const char *name; /* inside path: what inotify names it by */
        struct agent_static_pod **pods;
        size_t n;
        bool dirty; /* changed since it was read */
        /* During a rescan: moved is set on an entry handed over to the new
         * list (which then owns it), carried on its copy there. */
        bool moved, carried;
};
struct ps_files {
        struct ps_file *v; /* in name order */
        size_t n;
};

typedef void (*ps_report_fn)(void *ud, const char *path, const struct dh_err *err);

/* Reads path into f: its pods with the static defaults, seen at now_ns.
 * All or nothing: any problem (reported through report, which may be NULL)
 * leaves f without pods, as does holding more than `room` pods (DH_ELIMIT).
 * Fails only for out of memory. */
int ps_file_load(const char *path, size_t name_off, const char *node, int64_t now_ns,
                 size_t room, struct ps_file *f, ps_report_fn report, void *ud);
void ps_file_free(struct ps_file *f);
/* Frees every entry not moved away. */
void ps_files_free(struct ps_files *fs);
/* The file named name, or NULL. */
struct ps_file *ps_files_find(const struct ps_files *fs, const char *name);

struct ps_update {
        struct agent_static_pod *old, *pod;
};
struct ps_dup {
        struct agent_static_pod *pod, *winner;
};
/* What a scan changes. next is the new current set in key order, holding a
 * reference to each pod; the other arrays borrow. */
struct ps_plan {
        struct agent_static_pod **removes, **adds, **next;
        size_t nremoves, nadds, nnext;
        struct ps_update *updates;
        size_t nupdates;
        struct ps_dup *dups;
        size_t ndups;
};

/* The pods the files define (first file in name order wins a name), against
 * cur (in key order): a pod whose hash did not change keeps cur's object, so
 * pointers handed out stay valid. -ENOMEM on failure. */
int ps_plan_make(const struct ps_files *fs, struct agent_static_pod *const *cur, size_t ncur,
                 struct ps_plan *plan);
void ps_plan_free(struct ps_plan *plan);
