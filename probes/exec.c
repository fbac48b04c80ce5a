/* exec probes (pkg/probe/exec): the command runs in the container through
 * the agent's exec callback, which blocks (rt_ops->exec_sync), so it is
 * called in a forked helper (lib/child.h) that reports back through the
 * loop: a header (how it ended, the exit code) then the combined output,
 * at most PROBE_OUTPUT_MAX bytes. Exit 0
 * succeeds, any other code fails with the output; the parent kills the
 * helper when the probe's timeout passes, which fails the probe with
 * kubelet's `command "<cmd>" timed out`. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/fileio.h"
#include "probes/probe-internal.h"

enum { REPLY_EXITED = 'X', REPLY_TIMED_OUT = 'T', REPLY_ERROR = 'E' };
struct reply_head {
        char kind;
        int32_t exit_code;
} __attribute__((packed));
#define REPLY_MAX (sizeof(struct reply_head) + PROBE_OUTPUT_MAX + 1024)

void probe_exec_free(struct probe_op *op)
{
        dh_child_cancel(op->child);
        op->child = NULL;
        free(op->command);
}

struct helper_args {
        struct probe_op *op;
        const struct probe_target *t;
};

/* In the helper: run the blocking exec and write the reply. */
static int helper(void *ud, int wfd)
{
        const struct helper_args *a = ud;
        struct probe_exec_result res = { 0 };
        dh_buf_init(&res.output, PROBE_OUTPUT_MAX);
        struct dh_err *e = NULL;
        int r = a->op->ctx->exec(a->op->ctx->exec_ud, a->t->container_id, &a->t->spec->exec->command,
                                 a->op->timeout_ms, &res, &e);
        struct reply_head h = { .kind = r < 0 ? REPLY_ERROR : res.timed_out ? REPLY_TIMED_OUT : REPLY_EXITED,
                                .exit_code = res.exit_code };
        dh_write_all(wfd, &h, sizeof h);
        if (r < 0) {
                const char *m = e && e->msg ? e->msg : "exec failed";
                dh_write_all(wfd, m, strlen(m));
        } else if (res.output.len) {
                dh_write_all(wfd, res.output.data, res.output.len);
        }
        dh_buf_free(&res.output);
        dh_err_free(e);
        return 0;
}

static void timed_out(struct probe_op *op)
{
        struct dh_buf b;
        dh_buf_init(&b, 8192);
        dh_buf_puts(&b, "command ", NULL);
        probe_go_quote(&b, op->command ? op->command : "");
        dh_buf_puts(&b, " timed out", NULL);
        probe_finish(op, PROBE_FAILURE, b.data ? b.data : "command timed out");
        dh_buf_free(&b);
}

static void finished(void *ud, const struct dh_child_result *res)
{
        struct probe_op *op = ud;
        op->child = NULL; /* lib/child frees it after this */
        if (res->timed_out) {
                timed_out(op);
                return;
        }
        struct reply_head h;
        if (res->len < sizeof h) {
                probe_finish(op, PROBE_UNKNOWN, "exec probe helper exited without a result");
                return;
        }
        memcpy(&h, res->report, sizeof h);
        const char *out = res->report + sizeof h;
        if (h.kind == REPLY_ERROR)
                probe_finish(op, PROBE_UNKNOWN, out);
        else if (h.kind == REPLY_TIMED_OUT)
                timed_out(op);
        else
                probe_finish(op, h.exit_code == 0 ? PROBE_SUCCESS : PROBE_FAILURE, out);
}

static char *join_command(const struct dh_strv *cmd)
{
        struct dh_buf b;
        dh_buf_init(&b, 4096);
        for (size_t i = 0; i < cmd->n; i++) {
                if (i)
                        probe_output_append(&b, " ", 1);
                probe_output_append(&b, cmd->v[i], strlen(cmd->v[i]));
        }
        if (!b.data)
                return strdup("");
        return dh_buf_steal(&b);
}

int probe_exec_start(struct probe_op *op, const struct probe_target *t, struct dh_err **err)
{
        op->kind = OP_EXEC;
        if (!op->ctx->exec)
                return probe_finish_later(op, PROBE_UNKNOWN, "no exec runner for exec probes", err);
        if (!t->container_id || !*t->container_id)
                return probe_finish_later(op, PROBE_UNKNOWN, "no container to exec in", err);
        op->command = join_command(&t->spec->exec->command);
        if (!op->command)
                return dh_err_set(err, ENOMEM, "out of memory");
        struct helper_args a = { op, t }; /* used by the child before start returns */
        op->child = dh_child_start(op->ctx->loop, helper, &a, REPLY_MAX, (uint64_t)op->timeout_ms, finished,
                                   op, err);
        return op->child ? 0 : -1;
}
