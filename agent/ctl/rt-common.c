/* deckctl runtime verbs: shared plumbing. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/ctl/rt-common.h"
#include "cri/builtin/runtime.h"
#include "cri/image/registry.h"
#include "lib/cleanup.h"
#include "lib/fileio.h"
#include "lib/loop.h"
#include "lib/yaml.h"

const char *ctl_take_opt(int *argc, char **argv, const char *name)
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

/* What the runtime borrows for its whole life: the loop pulls run on and
 * the registry configuration. */
static struct dh_loop *ctl_loop_;
static struct img_registry_config ctl_registries_;

struct dh_loop *ctl_loop(void)
{
        return ctl_loop_;
}

static void pull_progress(void *ud, const char *digest, int64_t done, int64_t total)
{
        (void)ud;
        fprintf(stderr, "deckctl: pulling %.19s: %.1f of %.1f MiB\n", digest, (double)done / 1048576.0,
                (double)total / 1048576.0);
}

static int load_registries(const char *path)
{
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        struct dh_err *err = NULL;
        if (dh_read_file(path, 1u << 20, &text, &len, &err) < 0 ||
            img_registry_config_parse(text, len, path, &ctl_registries_, &err) < 0)
                return ctl_fail("registry config", err);
        return 0;
}

static const char *opt_or_env(int *argc, char **argv, const char *opt, const char *env)
{
        const char *v = ctl_take_opt(argc, argv, opt);
        return v ? v : getenv(env);
}

struct rt *ctl_rt_open(int *argc, char **argv)
{
        struct rt_builtin_options o = {
                .state_dir = opt_or_env(argc, argv, "--state-dir", "DECKHAND_STATE_DIR"),
                .root_dir = opt_or_env(argc, argv, "--root-dir", "DECKHAND_ROOT_DIR"),
                .shim_path = opt_or_env(argc, argv, "--shim-path", "DECKHAND_SHIM"),
                .images_dir = opt_or_env(argc, argv, "--images-dir", "DECKHAND_IMAGES_DIR"),
                .credentials_file = opt_or_env(argc, argv, "--credentials", "DECKHAND_CREDENTIALS"),
                .pull_progress = pull_progress,
        };
        const char *registries = opt_or_env(argc, argv, "--registry-config", "DECKHAND_REGISTRY_CONFIG");
        if (registries && load_registries(registries) != 0)
                return NULL;
        o.registries = &ctl_registries_;
        struct rt *rt = NULL;
        struct dh_err *err = NULL;
        if (!ctl_loop_ && dh_loop_new(&ctl_loop_, &err) < 0) {
                ctl_fail("event loop", err);
                return NULL;
        }
        o.loop = ctl_loop_;
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
        dh_loop_free(ctl_loop_);
        ctl_loop_ = NULL;
        img_registry_config_free(&ctl_registries_);
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
