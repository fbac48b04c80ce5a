/* deckctl container verbs: create, start, stop, rm, ps, inspect. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "agent/ctl/rt-common.h"
#include "cri/json.h"
#include "lib/parse.h"

int ctl_create_main(int argc, char **argv)
{
        struct rt *rt = ctl_rt_open(&argc, argv);
        if (!rt)
                return 1;
        if (argc != 4) {
                fprintf(stderr, "usage: deckctl create POD_ID CONTAINER_CONFIG.json POD_CONFIG.json\n");
                ctl_rt_close(rt);
                return 2;
        }
        struct dh_err *err = NULL;
        struct rt_container_config cc = { 0 };
        struct rt_sandbox_config sc = { 0 };
        json_t *cdoc = ctl_read_doc(argv[2]), *sdoc = cdoc ? ctl_read_doc(argv[3]) : NULL;
        char *id = NULL;
        int status = 1;
        if (!cdoc || !sdoc)
                status = 1;
        else if (rt_container_config_from_json(cdoc, &cc, &err) < 0)
                ctl_fail(argv[2], err);
        else if (rt_sandbox_config_from_json(sdoc, &sc, &err) < 0)
                ctl_fail(argv[3], err);
        else if (rt->ops->create_container(rt, argv[1], &cc, &sc, &id, &err) < 0)
                ctl_fail("create", err);
        else {
                puts(id);
                status = 0;
        }
        free(id);
        rt_container_config_free(&cc);
        rt_sandbox_config_free(&sc);
        json_decref(cdoc);
        json_decref(sdoc);
        ctl_rt_close(rt);
        return status;
}

static int each_container(int argc, char **argv, int first, const char *usage,
                          int (*op)(struct rt *, const char *, int64_t, struct dh_err **), int64_t arg,
                          struct rt *rt)
{
        if (argc <= first) {
                fprintf(stderr, "usage: %s\n", usage);
                return 2;
        }
        int status = 0;
        for (int i = first; i < argc; i++) {
                struct dh_err *err = NULL;
                if (op(rt, argv[i], arg, &err) < 0)
                        status = ctl_fail(argv[i], err);
                else
                        puts(argv[i]);
        }
        return status;
}

static int do_start(struct rt *rt, const char *id, int64_t arg, struct dh_err **err)
{
        (void)arg;
        return rt->ops->start_container(rt, id, err);
}

static int do_stop(struct rt *rt, const char *id, int64_t timeout, struct dh_err **err)
{
        return rt->ops->stop_container(rt, id, timeout, err);
}

static int do_rm(struct rt *rt, const char *id, int64_t force, struct dh_err **err)
{
        struct rt_container_status st = { 0 };
        int r = rt->ops->container_status(rt, id, &st, err);
        if (r == 0 && st.state == RT_CONTAINER_RUNNING && !force)
                r = dh_err_set(err, EBUSY, "container is running: stop it first, or use rm -f");
        rt_container_status_free(&st);
        if (r == 0 && force)
                r = rt->ops->stop_container(rt, id, 0, err);
        return r < 0 ? r : rt->ops->remove_container(rt, id, err);
}

int ctl_start_main(int argc, char **argv)
{
        struct rt *rt = ctl_rt_open(&argc, argv);
        int s = rt ? each_container(argc, argv, 1, "deckctl start ID...", do_start, 0, rt) : 1;
        ctl_rt_close(rt);
        return s;
}

int ctl_stop_main(int argc, char **argv)
{
        struct rt *rt = ctl_rt_open(&argc, argv);
        if (!rt)
                return 1;
        int64_t timeout = 0;
        int first = 1;
        struct dh_err *err = NULL;
        if (argc > 2 && (strcmp(argv[1], "-t") == 0 || strcmp(argv[1], "--timeout") == 0)) {
                if (dh_parse_i64(argv[2], 0, 86400, &timeout, "--timeout", &err) < 0) {
                        ctl_rt_close(rt);
                        return ctl_fail("stop", err) + 1;
                }
                first = 3;
        }
        int s = each_container(argc, argv, first, "deckctl stop [-t SECONDS] ID...", do_stop, timeout, rt);
        ctl_rt_close(rt);
        return s;
}

int ctl_rm_main(int argc, char **argv)
{
        struct rt *rt = ctl_rt_open(&argc, argv);
        if (!rt)
                return 1;
        bool force = argc > 1 && (strcmp(argv[1], "-f") == 0 || strcmp(argv[1], "--force") == 0);
        int s = each_container(argc, argv, force ? 2 : 1, "deckctl rm [-f] ID...", do_rm, force, rt);
        ctl_rt_close(rt);
        return s;
}

static const char *state_word(enum rt_container_state s)
{
        switch (s) {
        case RT_CONTAINER_CREATED: return "Created";
        case RT_CONTAINER_RUNNING: return "Running";
        case RT_CONTAINER_EXITED: return "Exited";
        case RT_CONTAINER_UNKNOWN: break;
        }
        return "Unknown";
}

int ctl_ps_main(int argc, char **argv)
{
        struct rt *rt = ctl_rt_open(&argc, argv);
        if (!rt)
                return 1;
        bool all = false, quiet = false;
        struct rt_container_filter f = { 0 };
        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "-a") == 0 || strcmp(argv[i], "--all") == 0)
                        all = true;
                else if (strcmp(argv[i], "-q") == 0)
                        quiet = true;
                else if ((strcmp(argv[i], "-p") == 0 || strcmp(argv[i], "--pod") == 0) && i + 1 < argc)
                        f.pod_sandbox_id = argv[++i];
        }
        if (!all) {
                f.has_state = true;
                f.state = RT_CONTAINER_RUNNING;
        }
        struct rt_container_list l = { 0 };
        struct dh_err *err = NULL;
        if (rt->ops->list_containers(rt, &f, &l, &err) < 0) {
                ctl_rt_close(rt);
                return ctl_fail("ps", err);
        }
        if (!quiet)
                printf("%-13s  %-30s  %-18s  %-8s  %-20s  %-7s  %s\n", "CONTAINER", "IMAGE", "CREATED",
                       "STATE", "NAME", "ATTEMPT", "POD ID");
        for (size_t i = 0; i < l.n; i++) {
                const struct rt_container_status *c = &l.v[i];
                char ago[32];
                ctl_ago(c->created_at, ago, sizeof ago);
                if (quiet)
                        puts(c->id);
                else
                        printf("%-13.13s  %-30.30s  %-18s  %-8s  %-20s  %-7u  %.13s\n", c->id,
                               c->image ? c->image : "", ago, state_word(c->state),
                               c->metadata.name ? c->metadata.name : "", c->metadata.attempt,
                               c->sandbox_id ? c->sandbox_id : "");
        }
        rt_container_list_free(&l);
        ctl_rt_close(rt);
        return 0;
}

int ctl_inspect_main(int argc, char **argv)
{
        struct rt *rt = ctl_rt_open(&argc, argv);
        if (!rt)
                return 1;
        int status = argc < 2 ? 2 : 0;
        for (int i = 1; i < argc; i++) {
                struct rt_container_status st = { 0 };
                struct dh_err *err = NULL;
                if (rt->ops->container_status(rt, argv[i], &st, &err) < 0) {
                        status = ctl_fail(argv[i], err);
                        continue;
                }
                json_t *j = json_pack("{so}", "status", rt_container_status_to_json(&st));
                ctl_print_json(j);
                json_decref(j);
                rt_container_status_free(&st);
        }
        if (status == 2)
                fprintf(stderr, "usage: deckctl inspect ID...\n");
        ctl_rt_close(rt);
        return status;
}

static int do_reopen(struct rt *rt, const char *id, int64_t arg, struct dh_err **err)
{
        (void)arg;
        return rt->ops->reopen_container_log(rt, id, err);
}

int ctl_reopen_log_main(int argc, char **argv)
{
        struct rt *rt = ctl_rt_open(&argc, argv);
        int s = rt ? each_container(argc, argv, 1, "deckctl reopen-log ID...", do_reopen, 0, rt) : 1;
        ctl_rt_close(rt);
        return s;
}

/* crictl update's options, applied through UpdateContainerResources. */
static int parse_update(int argc, char **argv, struct rt_linux_resources *r, int *first,
                        struct dh_err **err)
{
        static const struct { const char *flag; size_t off; } opts[] = {
                { "--memory", offsetof(struct rt_linux_resources, memory_limit_in_bytes) },
                { "--cpu-share", offsetof(struct rt_linux_resources, cpu_shares) },
                { "--cpu-quota", offsetof(struct rt_linux_resources, cpu_quota) },
                { "--cpu-period", offsetof(struct rt_linux_resources, cpu_period) },
        };
        int i = 1;
        for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
                size_t k = 0;
                while (k < sizeof opts / sizeof *opts && strcmp(argv[i], opts[k].flag) != 0)
                        k++;
                if (k == sizeof opts / sizeof *opts)
                        return dh_err_set(err, EINVAL, "unknown option %s", argv[i]);
                int64_t *dst = (int64_t *)((char *)r + opts[k].off);
                if (dh_parse_i64(argv[i + 1], 0, INT64_MAX, dst, opts[k].flag, err) < 0)
                        return -EINVAL;
        }
        *first = i;
        return 0;
}

int ctl_update_main(int argc, char **argv)
{
        struct rt *rt = ctl_rt_open(&argc, argv);
        if (!rt)
                return 1;
        struct rt_linux_resources r = { 0 };
        struct dh_err *err = NULL;
        int first = 1, status = 0;
        if (parse_update(argc, argv, &r, &first, &err) < 0 || first >= argc) {
                if (err)
                        ctl_fail("update", err);
                fprintf(stderr, "usage: deckctl update [--memory BYTES] [--cpu-share N] [--cpu-quota US] "
                                "[--cpu-period US] ID...\n");
                ctl_rt_close(rt);
                return 2;
        }
        for (int i = first; i < argc; i++) {
                if (rt->ops->update_container_resources(rt, argv[i], &r, &err) < 0)
                        status = ctl_fail(argv[i], err), err = NULL;
                else
                        puts(argv[i]);
        }
        ctl_rt_close(rt);
        return status;
}
