/* Work that would block the event loop, run in a forked child: the child
 * runs fn, which may write a report (an error message, an exec's output)
 * to report_fd, and its return value becomes the exit status. The parent
 * watches the child's pidfd and the report pipe from the loop, keeps at
 * most max_report bytes of the report, reaps the child and calls done.
 * The child dies with the parent (PR_SET_PDEATHSIG), runs in a process
 * group of its own with no signals blocked, and a timeout or a cancel
 * kills the whole group.
 * Used for layer unpacking, exec probes and container stops. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/err.h"
#include "lib/loop.h"

/* Runs in the child; returns its exit status (0-255). */
typedef int (*dh_child_fn)(void *ud, int report_fd);
/* wait_status is waitpid()'s; report is NUL-terminated (len bytes kept,
 * truncated is set when more came); timed_out when the timeout killed it. */
struct dh_child_result {
        int wait_status;
        const char *report;
        size_t len;
        bool truncated, timed_out;
};
typedef void (*dh_child_done_fn)(void *ud, const struct dh_child_result *res);

struct dh_child;
/* timeout_ms 0: none. fn and its ud are used only in the child. */
struct dh_child *dh_child_start(struct dh_loop *loop, dh_child_fn fn, void *fn_ud, size_t max_report,
                                uint64_t timeout_ms, dh_child_done_fn done, void *done_ud,
                                struct dh_err **err);
/* Kills and reaps the child without calling done; accepts NULL. Not from
 * inside done. */
void dh_child_cancel(struct dh_child *c);
pid_t dh_child_pid(const struct dh_child *c);
