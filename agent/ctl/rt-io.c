/* deckctl exec, logs and stats. */
#include <errno.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/ctl/rt-common.h"
#include "cri/builtin/crilog.h"
#include "lib/parse.h"

#define EXEC_SYNC_MAX_OUTPUT (16u << 20)

static int exec_sync(struct rt *rt, const char *id, struct dh_strv *cmd, int64_t timeout)
{
        struct rt_exec_sync_result res = { 0 };
        struct dh_err *err = NULL;
        if (rt->ops->exec_sync(rt, id, cmd, timeout, EXEC_SYNC_MAX_OUTPUT, &res, &err) < 0)
                return ctl_fail("exec", err);
        fwrite(res.stdout_buf, 1, res.stdout_len, stdout);
        fwrite(res.stderr_buf, 1, res.stderr_len, stderr);
        if (res.timed_out)
                fprintf(stderr, "deckctl: exec: timed out after %lld seconds\n", (long long)timeout);
        int code = res.timed_out ? 124 : res.exit_code;
        rt_exec_sync_result_free(&res);
        return code;
}

/* -t: the local terminal goes raw for the session, and comes back after. */
static int exec_tty(struct rt *rt, struct rt_exec_request *q)
{
        struct termios saved, raw;
        struct winsize ws = { 0 };
        if (!isatty(0) || tcgetattr(0, &saved) < 0) {
                fprintf(stderr, "deckctl: exec -t: standard input is not a terminal\n");
                return 2;
        }
        ioctl(0, TIOCGWINSZ, &ws);
        q->rows = ws.ws_row;
        q->cols = ws.ws_col;
        raw = saved;
        cfmakeraw(&raw);
        tcsetattr(0, TCSANOW, &raw);
        int32_t ec = 0;
        struct dh_err *err = NULL;
        int r = rt->ops->exec(rt, q, &ec, &err);
        tcsetattr(0, TCSANOW, &saved);
        return r < 0 ? ctl_fail("exec", err) : ec;
}

int ctl_exec_main(int argc, char **argv)
{
        struct rt *rt = ctl_rt_open(&argc, argv);
        if (!rt)
                return 1;
        bool sync = false, tty = false;
        int64_t timeout = 0;
        int i = 1;
        struct dh_err *err = NULL;
        for (; i < argc && argv[i][0] == '-'; i++) {
                if (strcmp(argv[i], "-s") == 0 || strcmp(argv[i], "--sync") == 0)
                        sync = true;
                else if (strcmp(argv[i], "-t") == 0 || strcmp(argv[i], "--tty") == 0 ||
                         strcmp(argv[i], "-it") == 0 || strcmp(argv[i], "-ti") == 0)
                        tty = true;
                else if (strcmp(argv[i], "-i") == 0 || strcmp(argv[i], "--interactive") == 0)
                        continue; /* stdin is always passed */
                else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc &&
                         dh_parse_i64(argv[++i], 0, 86400, &timeout, "--timeout", &err) == 0)
                        continue;
                else if (strcmp(argv[i], "--") == 0) {
                        i++;
                        break;
                } else {
                        dh_err_free(err);
                        fprintf(stderr, "usage: deckctl exec [-s|-it] [--timeout SECONDS] ID CMD...\n");
                        ctl_rt_close(rt);
                        return 2;
                }
        }
        if (argc - i < 2) {
                fprintf(stderr, "usage: deckctl exec [-s] [--timeout SECONDS] ID CMD...\n");
                ctl_rt_close(rt);
                return 2;
        }
        const char *id = argv[i];
        struct dh_strv cmd = { .v = argv + i + 1, .n = (size_t)(argc - i - 1) };
        int code;
        if (sync) {
                code = exec_sync(rt, id, &cmd, timeout);
        } else if (tty) {
                struct rt_exec_request q = { .container_id = (char *)id, .cmd = cmd, .tty = true,
                                             .stdin_fd = 0, .stdout_fd = 1, .stderr_fd = 2 };
                code = exec_tty(rt, &q);
        } else {
                struct rt_exec_request q = { .container_id = (char *)id, .cmd = cmd,
                                             .stdin_fd = 0, .stdout_fd = 1, .stderr_fd = 2 };
                int32_t ec = 0;
                code = rt->ops->exec(rt, &q, &ec, &err) < 0 ? ctl_fail("exec", err) : ec;
        }
        ctl_rt_close(rt);
        return code;
}

static int logs_follow(const char *path, struct rt_log_read_opts *o, struct rt_container_status *st,
                       struct rt *rt, const char *id)
{
        struct rt_log_cursor cur = { 0 };
        struct dh_err *err = NULL;
        for (;;) {
                if (rt_log_read(path, o, stdout, &cur, &err) < 0)
                        return ctl_fail(path, err);
                fflush(stdout);
                o->tail_lines = -1; /* the tail applies to the first read only */
                rt_container_status_free(st);
                if (rt->ops->container_status(rt, id, st, NULL) < 0 || st->state != RT_CONTAINER_RUNNING) {
                        /* one last read for what the exit flushed */
                        return rt_log_read(path, o, stdout, &cur, &err) < 0 ? ctl_fail(path, err) : 0;
                }
                poll(NULL, 0, 200); /* follow by polling, as `tail -F` does */
        }
}

int ctl_logs_main(int argc, char **argv)
{
        struct rt *rt = ctl_rt_open(&argc, argv);
        if (!rt)
                return 1;
        struct rt_log_read_opts o = { .tail_lines = -1, .limit_bytes = -1 };
        bool follow = false;
        const char *id = NULL;
        struct dh_err *err = NULL;
        int bad = 0;
        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "-f") == 0 || strcmp(argv[i], "--follow") == 0)
                        follow = true;
                else if (strcmp(argv[i], "-t") == 0 || strcmp(argv[i], "--timestamps") == 0)
                        o.timestamps = true;
                else if (strcmp(argv[i], "--tail") == 0 && i + 1 < argc)
                        bad |= dh_parse_i64(argv[++i], -1, INT64_MAX, &o.tail_lines, "--tail", &err) < 0;
                else if (!id)
                        id = argv[i];
                else
                        bad = 1;
        }
        if (bad || !id) {
                dh_err_free(err);
                fprintf(stderr, "usage: deckctl logs [-f] [-t] [--tail N] ID\n");
                ctl_rt_close(rt);
                return 2;
        }
        struct rt_container_status st = { 0 };
        int status;
        if (rt->ops->container_status(rt, id, &st, &err) < 0)
                status = ctl_fail(id, err);
        else if (!st.log_path)
                status = ctl_fail(id, NULL), fprintf(stderr, "deckctl: container has no log path\n");
        else if (follow)
                status = logs_follow(st.log_path, &o, &st, rt, id);
        else
                status = rt_log_read(st.log_path, &o, stdout, NULL, &err) < 0 ? ctl_fail(st.log_path, err) : 0;
        rt_container_status_free(&st);
        ctl_rt_close(rt);
        return status;
}

int ctl_stats_main(int argc, char **argv)
{
        struct rt *rt = ctl_rt_open(&argc, argv);
        if (!rt)
                return 1;
        struct rt_container_filter f = { .has_state = true, .state = RT_CONTAINER_RUNNING };
        if (argc > 1)
                f.id = argv[1];
        struct rt_container_stats_list l = { 0 };
        struct dh_err *err = NULL;
        if (rt->ops->list_container_stats(rt, &f, &l, &err) < 0) {
                ctl_rt_close(rt);
                return ctl_fail("stats", err);
        }
        printf("%-13s  %-20s  %-16s  %-12s  %-12s  %s\n", "CONTAINER", "NAME", "CPU (core-ns)", "MEM",
               "WORKING SET", "PIDS");
        for (size_t i = 0; i < l.n; i++) {
                const struct rt_container_stats *s = &l.v[i];
                printf("%-13.13s  %-20s  %-16llu  %-12llu  %-12llu  %llu\n", s->id, s->name ? s->name : "",
                       (unsigned long long)s->cpu_usage_core_nano_seconds,
                       (unsigned long long)s->memory_usage_bytes,
                       (unsigned long long)s->memory_working_set_bytes,
                       (unsigned long long)s->process_count);
        }
        rt_container_stats_list_free(&l);
        ctl_rt_close(rt);
        return 0;
}
