/* deckhand, the node agent: command line and configuration, then
 * standalone mode (static pods on the built-in runtime), or with
 * --check-manifests only a check of the static pod manifests. */
#include <inttypes.h>
#include <malloc.h>
#include <stdio.h>
#include <string.h>

#include "agent/config.h"
#include "agent/flags.h"
#include "agent/manifests.h"
#include "agent/standalone.h"
#include "lib/cleanup.h"
#include "lib/log.h"
#include "pod/pod.h"

struct manifest_check {
        size_t files, valid, invalid, unreadable;
};

static void log_pod_errors(const char *path, const struct pod_doc *d)
{
        char label[600];
        pod_doc_label(d, label, sizeof label);
        for (size_t i = 0; i < d->errs.n; i++) {
                _cleanup_free_ char *line = dh_ferr_format(&d->errs.v[i]);
                log_error("%s: %s: %s", path, label, line ? line : "(out of memory)");
        }
        if (d->errs.dropped)
                log_error("%s: %s: %zu more errors not shown", path, label, d->errs.dropped);
}

static int check_manifest(const char *path, void *userdata)
{
        struct manifest_check *mc = userdata;
        struct pod_set set = { 0 };
        _cleanup_err_ struct dh_err *err = NULL;
        mc->files++;
        if (pod_load_file(path, &set, &err) < 0) {
                log_error("%s", err->msg);
                mc->unreadable++;
                return 0;
        }
        if (set.n == 0) {
                log_error("%s: no pod found: the file is empty", path);
                mc->unreadable++;
        }
        for (size_t i = 0; i < set.n; i++) {
                const struct pod_doc *d = &set.v[i];
                if (d->pod && d->errs.n == 0 && d->errs.dropped == 0) {
                        log_info("%s: pod \"%s/%s\" is valid (QoS class %s)", path,
                                 pod_namespace(d->pod), d->pod->metadata.name,
                                 pod_qos_name(pod_qos_class(d->pod)));
                        mc->valid++;
                } else {
                        log_pod_errors(path, d);
                        mc->invalid++;
                }
        }
        pod_set_free(&set);
        return 0;
}

/* --check-manifests: check every static pod manifest. */
static int check_static_pods(const char *dir)
{
        struct manifest_check mc = { 0 };
        _cleanup_err_ struct dh_err *err = NULL;
        log_info("checking static pod manifests in %s", dir);
        if (agent_manifest_dir_scan(dir, check_manifest, &mc, &err) < 0) {
                log_error("static pod path: %s", err->msg);
                return 1;
        }
        log_info("checked %zu manifest files: %zu valid pods, %zu invalid pods, %zu unreadable files",
                 mc.files, mc.valid, mc.invalid, mc.unreadable);
        return mc.invalid || mc.unreadable ? 1 : 0;
}

static int run(const struct agent_config *cfg)
{
        log_info("deckhand v%s (root dir %s)", DH_VERSION, cfg->root_dir);
        log_v(1, "config file %s, static pod path %s, max pods %" PRId64 ", cgroup driver %s",
              cfg->config_path ? cfg->config_path : "(none)",
              cfg->static_pod_path ? cfg->static_pod_path : "(none)", cfg->max_pods,
              cfg->cgroup_driver);
        if (cfg->kubeconfig && *cfg->kubeconfig) {
                log_error("--kubeconfig %s: cluster mode is not implemented yet; deckhand can only "
                          "run static pods (--pod-manifest-path) for now", cfg->kubeconfig);
                return 1;
        }
        if (!cfg->static_pod_path || !*cfg->static_pod_path) {
                log_warn("no --pod-manifest-path (staticPodPath) and no --kubeconfig: nothing to do");
                return 0;
        }
        if (cfg->check_manifests)
                return check_static_pods(cfg->static_pod_path);
        return agent_run_standalone(cfg);
}

/* The agent's heap follows its pods: blocks of 64 KiB and more (lists,
 * replies, read buffers, all short-lived) are mapped on their own and
 * returned when freed, instead of glibc's default, which raises that
 * threshold to the largest block freed so far and keeps such blocks in
 * the heap. */
static void tune_malloc(void)
{
        mallopt(M_MMAP_THRESHOLD, 64 * 1024);
}

int main(int argc, char **argv)
{
        tune_malloc();
        struct agent_config cfg = { 0 };
        _cleanup_err_ struct dh_err *err = NULL;
        int r = agent_flags_parse(argc, argv, &cfg, &err);
        if (r < 0) {
                fprintf(stderr, "deckhand: %s\n", err->msg);
                if (err->code != AGENT_EUSAGE)
                        return 1;
                fprintf(stderr, "Run 'deckhand --help' for usage.\n");
                return 2;
        }
        int status = 0;
        if (r == AGENT_FLAGS_HELP)
                agent_flags_usage(stdout);
        else if (r == AGENT_FLAGS_VERSION)
                printf("deckhand version v%s\n", DH_VERSION);
        else {
                dh_log_verbosity = cfg.verbosity > 1000 ? 1000 : (int)cfg.verbosity;
                status = run(&cfg);
        }
        agent_config_free(&cfg);
        if (fflush(stdout) != 0)
                return 1;
        return status;
}
