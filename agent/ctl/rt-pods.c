/* deckctl pod sandbox verbs: runp, stopp, rmp, pods, inspectp. */
#include <stdlib.h>
#include <string.h>

#include "agent/ctl/rt-common.h"
#include "cri/json.h"

int ctl_runp_main(int argc, char **argv)
{
        struct rt *rt = ctl_rt_open(&argc, argv);
        if (!rt)
                return 1;
        if (argc != 2) {
                fprintf(stderr, "usage: deckctl runp POD_CONFIG.json\n");
                ctl_rt_close(rt);
                return 2;
        }
        struct dh_err *err = NULL;
        struct rt_sandbox_config cfg = { 0 };
        json_t *doc = ctl_read_doc(argv[1]);
        int status = 1;
        char *id = NULL;
        if (doc && rt_sandbox_config_from_json(doc, &cfg, &err) < 0)
                ctl_fail(argv[1], err);
        else if (doc && rt->ops->run_pod_sandbox(rt, &cfg, NULL, &id, &err) < 0)
                ctl_fail("runp", err);
        else if (doc) {
                puts(id);
                status = 0;
        }
        free(id);
        rt_sandbox_config_free(&cfg);
        json_decref(doc);
        ctl_rt_close(rt);
        return status;
}

typedef int (*pod_op)(struct rt *rt, const char *id, struct dh_err **err);

static int for_each_id(int argc, char **argv, const char *verb, pod_op op)
{
        struct rt *rt = ctl_rt_open(&argc, argv);
        if (!rt)
                return 1;
        if (argc < 2) {
                fprintf(stderr, "usage: deckctl %s ID...\n", verb);
                ctl_rt_close(rt);
                return 2;
        }
        int status = 0;
        for (int i = 1; i < argc; i++) {
                struct dh_err *err = NULL;
                if (op(rt, argv[i], &err) < 0)
                        status = ctl_fail(argv[i], err);
                else
                        puts(argv[i]);
        }
        ctl_rt_close(rt);
        return status;
}

static int do_stopp(struct rt *rt, const char *id, struct dh_err **err)
{
        return rt->ops->stop_pod_sandbox(rt, id, err);
}

static int do_rmp(struct rt *rt, const char *id, struct dh_err **err)
{
        int r = rt->ops->stop_pod_sandbox(rt, id, err);
        return r < 0 ? r : rt->ops->remove_pod_sandbox(rt, id, err);
}

int ctl_stopp_main(int argc, char **argv)
{
        return for_each_id(argc, argv, "stopp", do_stopp);
}

int ctl_rmp_main(int argc, char **argv)
{
        return for_each_id(argc, argv, "rmp", do_rmp);
}

int ctl_pods_main(int argc, char **argv)
{
        struct rt *rt = ctl_rt_open(&argc, argv);
        if (!rt)
                return 1;
        bool quiet = argc > 1 && strcmp(argv[1], "-q") == 0;
        struct rt_sandbox_list l = { 0 };
        struct dh_err *err = NULL;
        if (rt->ops->list_pod_sandbox(rt, NULL, &l, &err) < 0) {
                ctl_rt_close(rt);
                return ctl_fail("pods", err);
        }
        if (!quiet)
                printf("%-13s  %-18s  %-8s  %-30s  %-15s  %s\n", "POD ID", "CREATED", "STATE", "NAME",
                       "NAMESPACE", "ATTEMPT");
        for (size_t i = 0; i < l.n; i++) {
                const struct rt_sandbox_status *s = &l.v[i];
                char ago[32];
                ctl_ago(s->created_at, ago, sizeof ago);
                if (quiet)
                        puts(s->id);
                else
                        printf("%-13.13s  %-18s  %-8s  %-30s  %-15s  %u\n", s->id, ago,
                               s->state == RT_SANDBOX_READY ? "Ready" : "NotReady",
                               s->metadata.name ? s->metadata.name : "",
                               s->metadata.namespace ? s->metadata.namespace : "", s->metadata.attempt);
        }
        rt_sandbox_list_free(&l);
        ctl_rt_close(rt);
        return 0;
}

int ctl_inspectp_main(int argc, char **argv)
{
        struct rt *rt = ctl_rt_open(&argc, argv);
        if (!rt)
                return 1;
        int status = argc < 2 ? 2 : 0;
        for (int i = 1; i < argc; i++) {
                struct rt_sandbox_status st = { 0 };
                struct dh_err *err = NULL;
                if (rt->ops->pod_sandbox_status(rt, argv[i], &st, &err) < 0) {
                        status = ctl_fail(argv[i], err);
                        continue;
                }
                json_t *j = json_pack("{so}", "status", rt_sandbox_status_to_json(&st));
                ctl_print_json(j);
                json_decref(j);
                rt_sandbox_status_free(&st);
        }
        if (status == 2)
                fprintf(stderr, "usage: deckctl inspectp ID...\n");
        ctl_rt_close(rt);
        return status;
}
