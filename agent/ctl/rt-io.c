/* deckctl exec, logs and stats. exec and logs take a container ID or a
 * pod (agent/ctl/podref.h). */
#include <errno.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/ctl/podref.h"
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

/* argv[*i] is "LONG VALUE", "LONG=VALUE" or "SHORT VALUE": returns VALUE
 * (advancing *i past it), else NULL. */
static const char *opt_value(int argc, char **argv, int *i, const char *shortname, const char *longname)
{
        const char *a = argv[*i];
        size_t n = strlen(longname);
        if (strncmp(a, longname, n) == 0 && a[n] == '=')
                return a + n + 1;
        if ((strcmp(a, longname) == 0 || (shortname && strcmp(a, shortname) == 0)) && *i + 1 < argc)
                return argv[++*i];
        return NULL;
}

/* Lists the runtime's sandboxes and containers into *cs and resolves q
 * (podref.h); prints kubectl's defaulted-container notice. Returns 0, or
 * 1 after printing the error. */
static int resolve_target(struct rt *rt, const char *verb, const struct ctl_podref_query *q,
                          struct rt_container_list *cs, struct ctl_podref *ref)
{
        struct rt_sandbox_list sbs = { 0 };
        struct dh_err *err = NULL;
        int r = rt->ops->list_pod_sandbox(rt, NULL, &sbs, &err);
        if (r == 0)
                r = rt->ops->list_containers(rt, NULL, cs, &err);
        if (r == 0)
                r = ctl_podref_resolve(&sbs, cs, q, ref, &err);
        rt_sandbox_list_free(&sbs);
        if (r < 0)
                return ctl_fail(verb, err);
        if (ref->notice)
                fprintf(stderr, "%s\n", ref->notice);
        return 0;
}

struct exec_opts {
        bool sync, tty;
        int64_t timeout;
        const char *container, *namespace;
};

/* 1: argv[*i] was one of exec's options (and is consumed), 0: it is no
 * option (the target or the command), -1: a bad one. */
static int exec_opt(int argc, char **argv, int *i, struct exec_opts *o)
{
        const char *a = argv[*i], *v;
        struct dh_err *err = NULL;
        if (a[0] != '-' || strcmp(a, "--") == 0)
                return 0;
        if (strcmp(a, "-s") == 0 || strcmp(a, "--sync") == 0)
                o->sync = true;
        else if (strcmp(a, "-t") == 0 || strcmp(a, "--tty") == 0 || strcmp(a, "-it") == 0 || strcmp(a, "-ti") == 0)
                o->tty = true;
        else if (strcmp(a, "-i") == 0 || strcmp(a, "--interactive") == 0)
                return 1; /* stdin is always passed */
        else if ((v = opt_value(argc, argv, i, NULL, "--timeout"))) {
                if (dh_parse_i64(v, 0, 86400, &o->timeout, "--timeout", &err) < 0) {
                        ctl_fail("exec", err);
                        return -1;
                }
        }
        else if ((v = opt_value(argc, argv, i, "-c", "--container")))
                o->container = v;
        else if ((v = opt_value(argc, argv, i, "-n", "--namespace")))
                o->namespace = v;
        else
                return -1;
        return 1;
}

/* Options, the target, kubectl's -c/-n after it, an optional "--", the
 * command. A "--" before the target ends the options there (the old
 * form `exec -s -- ID CMD...`). Returns the target's index, or -1. */
static int parse_exec(int argc, char **argv, struct exec_opts *o, int *cmd)
{
        int i = 1, r = 0;
        for (; i < argc && (r = exec_opt(argc, argv, &i, o)) == 1; i++)
                ;
        if (r < 0)
                return -1;
        bool dashdash = i < argc && strcmp(argv[i], "--") == 0;
        int target = dashdash ? ++i : i;
        for (i = target + 1; !dashdash && i < argc && (r = exec_opt(argc, argv, &i, o)) == 1; i++)
                ;
        if (r < 0)
                return -1;
        if (!dashdash && i < argc && strcmp(argv[i], "--") == 0)
                i++;
        *cmd = i;
        return target < argc && i < argc ? target : -1;
}

static int exec_in(struct rt *rt, const struct exec_opts *o, const char *id, struct dh_strv *cmd)
{
        if (o->sync)
                return exec_sync(rt, id, cmd, o->timeout);
        struct rt_exec_request q = { .container_id = (char *)id, .cmd = *cmd, .tty = o->tty,
                                     .stdin_fd = 0, .stdout_fd = 1, .stderr_fd = 2 };
        if (o->tty)
                return exec_tty(rt, &q);
        int32_t ec = 0;
        struct dh_err *err = NULL;
        return rt->ops->exec(rt, &q, &ec, &err) < 0 ? ctl_fail("exec", err) : ec;
}

int ctl_exec_main(int argc, char **argv)
{
        struct rt *rt = ctl_rt_open(&argc, argv);
        if (!rt)
                return 1;
        struct exec_opts o = { 0 };
        int cmd_at = 0, target = parse_exec(argc, argv, &o, &cmd_at);
        if (target < 0) {
                fprintf(stderr, "usage: deckctl exec [-s|-it] [--timeout SECONDS] ID CMD...\n"
                                "       deckctl exec [-s|-it] [--timeout SECONDS] [-n NAMESPACE] POD "
                                "[-c CONTAINER] -- CMD...\n");
                ctl_rt_close(rt);
                return 2;
        }
        struct ctl_podref_query q = { .target = argv[target], .namespace = o.namespace,
                                      .container = o.container, .pod_only = o.container || o.namespace };
        struct rt_container_list cs = { 0 };
        struct ctl_podref ref = { 0 };
        struct dh_strv cmd = { .v = argv + cmd_at, .n = (size_t)(argc - cmd_at) };
        int code = resolve_target(rt, "exec", &q, &cs, &ref);
        if (code == 0 && ref.pod && ref.container->state != RT_CONTAINER_RUNNING) {
                fprintf(stderr, "deckctl: exec: container %s is not running in pod \"%s\" (namespace \"%s\")\n",
                        ref.container_name, ref.pod, ref.namespace);
                code = 1;
        } else if (code == 0) {
                code = exec_in(rt, &o, ref.container->id, &cmd);
        }
        ctl_podref_free(&ref);
        rt_container_list_free(&cs);
        ctl_rt_close(rt);
        return code;
}

static int logs_follow(const char *path, struct rt_log_read_opts *o, struct rt *rt, const char *id)
{
        struct rt_log_cursor cur = { 0 };
        struct dh_err *err = NULL;
        for (;;) {
                if (rt_log_read(path, o, stdout, &cur, &err) < 0)
                        return ctl_fail(path, err);
                fflush(stdout);
                o->tail_lines = -1; /* the tail applies to the first read only */
                struct rt_container_status st = { 0 };
                bool running = rt->ops->container_status(rt, id, &st, NULL) == 0 && st.state == RT_CONTAINER_RUNNING;
                rt_container_status_free(&st);
                if (!running) /* one last read for what the exit flushed */
                        return rt_log_read(path, o, stdout, &cur, &err) < 0 ? ctl_fail(path, err) : 0;
                poll(NULL, 0, 200); /* follow by polling, as `tail -F` does */
        }
}

struct logs_opts {
        struct rt_log_read_opts read;
        bool follow;
        struct ctl_podref_query q;
};

static int parse_logs(int argc, char **argv, struct logs_opts *o, struct dh_err **err)
{
        for (int i = 1; i < argc; i++) {
                const char *a = argv[i], *v;
                if (strcmp(a, "-f") == 0 || strcmp(a, "--follow") == 0)
                        o->follow = true;
                else if (strcmp(a, "-t") == 0 || strcmp(a, "--timestamps") == 0)
                        o->read.timestamps = true;
                else if (strcmp(a, "-p") == 0 || strcmp(a, "--previous") == 0)
                        o->q.previous = true;
                else if ((v = opt_value(argc, argv, &i, NULL, "--tail"))) {
                        if (dh_parse_i64(v, -1, INT64_MAX, &o->read.tail_lines, "--tail", err) < 0)
                                return -1;
                } else if ((v = opt_value(argc, argv, &i, "-c", "--container")))
                        o->q.container = v;
                else if ((v = opt_value(argc, argv, &i, "-n", "--namespace")))
                        o->q.namespace = v;
                else if (a[0] != '-' && !o->q.target)
                        o->q.target = a;
                else
                        return -1;
        }
        o->q.pod_only = o->q.container || o->q.namespace;
        return o->q.target ? 0 : -1;
}

int ctl_logs_main(int argc, char **argv)
{
        struct rt *rt = ctl_rt_open(&argc, argv);
        if (!rt)
                return 1;
        struct logs_opts o = { .read = { .tail_lines = -1, .limit_bytes = -1 } };
        struct dh_err *err = NULL;
        if (parse_logs(argc, argv, &o, &err) < 0) {
                if (err)
                        ctl_fail("logs", err);
                fprintf(stderr, "usage: deckctl logs [-f] [-p] [-t] [--tail N] ID\n"
                                "       deckctl logs [-f] [-p] [-t] [--tail N] [-n NAMESPACE] POD [-c CONTAINER]\n");
                ctl_rt_close(rt);
                return 2;
        }
        struct rt_container_list cs = { 0 };
        struct ctl_podref ref = { 0 };
        int status = resolve_target(rt, "logs", &o.q, &cs, &ref);
        const char *path = status == 0 ? ref.container->log_path : NULL;
        if (status == 0 && !path)
                status = 1, fprintf(stderr, "deckctl: logs: container %s has no log path\n", ref.container->id);
        else if (status == 0 && o.follow)
                status = logs_follow(path, &o.read, rt, ref.container->id);
        else if (status == 0)
                status = rt_log_read(path, &o.read, stdout, NULL, &err) < 0 ? ctl_fail(path, err) : 0;
        ctl_podref_free(&ref);
        rt_container_list_free(&cs);
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
