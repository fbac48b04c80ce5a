/* deckctl runtime verbs: shared plumbing. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/ctl/rt-common.h"
#include "cri/builtin/runtime.h"
#include "lib/cleanup.h"
#include "lib/fileio.h"
#include "lib/loop.h"
#include "lib/yaml.h"

static const char *take_opt(int *argc, char **argv, const char *name)
{
        size_t nl = strlen(name);
        for (int i = 1; i < *argc; i++) {
                const char *v = NULL;
                int used = 0;
                if (strncmp(argv[i], name, nl) == 0 && argv[i][nl] == '=') {
                        v = argv[i] + nl + 1;
                        used = 1;
                } else if (strcmp(argv[i], name) == 0 && i + 1 < *argc) {
                        v = argv[i + 1];
                        used = 2;
                }
                if (!used)
                        continue;
                memmove(&argv[i], &argv[i + used], sizeof *argv * (size_t)(*argc - i - used + 1));
                *argc -= used;
                return v;
        }
        return NULL;
}

struct rt *ctl_rt_open(int *argc, char **argv)
{
        struct rt_builtin_options o = {
                .state_dir = take_opt(argc, argv, "--state-dir"),
                .root_dir = take_opt(argc, argv, "--root-dir"),
                .shim_path = take_opt(argc, argv, "--shim-path"),
        };
        if (!o.state_dir)
                o.state_dir = getenv("DECKHAND_STATE_DIR");
        if (!o.root_dir)
                o.root_dir = getenv("DECKHAND_ROOT_DIR");
        if (!o.shim_path)
                o.shim_path = getenv("DECKHAND_SHIM");
        struct rt *rt = NULL;
        struct dh_err *err = NULL;
        if (rt_builtin_open(&o, &rt, &err) < 0) {
                ctl_fail("open runtime", err);
                return NULL;
        }
        return rt;
}

void ctl_rt_close(struct rt *rt)
{
        if (rt)
                rt->ops->close(rt);
}

int ctl_fail(const char *prefix, struct dh_err *err)
{
        fprintf(stderr, "deckctl: %s: %s\n", prefix, err && err->msg ? err->msg : "failed");
        dh_err_free(err);
        return 1;
}

json_t *ctl_read_doc(const char *path)
{
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        struct dh_err *err = NULL;
        struct dh_docs docs = { 0 };
        if (dh_read_file(path, 4u << 20, &text, &len, &err) < 0 ||
            dh_yaml_parse(text, len, &docs, &err) < 0) {
                ctl_fail(path, err);
                return NULL;
        }
        if (docs.n != 1) {
                fprintf(stderr, "deckctl: %s: expected one document, found %zu\n", path, docs.n);
                dh_docs_free(&docs);
                return NULL;
        }
        json_t *j = json_incref(docs.v[0]);
        dh_docs_free(&docs);
        return j;
}

void ctl_ago(int64_t ns, char *buf, size_t size)
{
        if (ns <= 0) {
                snprintf(buf, size, "-");
                return;
        }
        int64_t s = (dh_realtime_ns() - ns) / 1000000000;
        if (s < 0)
                s = 0;
        if (s < 60)
                snprintf(buf, size, "%lld seconds ago", (long long)s);
        else if (s < 3600)
                snprintf(buf, size, "%lld minutes ago", (long long)(s / 60));
        else if (s < 86400)
                snprintf(buf, size, "%lld hours ago", (long long)(s / 3600));
        else
                snprintf(buf, size, "%lld days ago", (long long)(s / 86400));
}

void ctl_print_json(json_t *j)
{
        char *s = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
        if (s)
                puts(s);
        free(s);
}
