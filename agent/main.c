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

/* One line per field error: path="..." pod="ns/name" (or object="document 1"). */
static void log_pod_errors(const char *path, const struct pod_doc *d)
{
        char obj[600];
        const char *key = "pod";
        if (d->pod && d->pod->metadata.name && *d->pod->metadata.name) {
                snprintf(obj, sizeof obj, "%s/%s", pod_namespace(d->pod), d->pod->metadata.name);
        } else {
                key = "object";
                pod_doc_label(d, obj, sizeof obj);
        }
        for (size_t i = 0; i < d->errs.n; i++) {
                _cleanup_free_ char *line = dh_ferr_format(&d->errs.v[i]);
                log_errors(line ? line : "(out of memory)", "Invalid static pod manifest", "path", path, key,
                           obj);
        }
        if (d->errs.dropped)
                log_errors(NULL, "Invalid static pod manifest: more errors not shown", "path", path, key, obj,
                           "count", LOG_UINT(d->errs.dropped));
}

static int check_manifest(const char *path, void *userdata)
{
        struct manifest_check *mc = userdata;
        struct pod_set set = { 0 };
        _cleanup_err_ struct dh_err *err = NULL;
        mc->files++;
        if (pod_load_file(path, &set, &err) < 0) {
                log_errors(err->msg, "Could not process manifest file", "path", path);
                mc->unreadable++;
                return 0;
        }
        if (set.n == 0) {
                log_errors("no pod found: the file is empty", "Could not process manifest file", "path",
                           path);
                mc->unreadable++;
        }
        for (size_t i = 0; i < set.n; i++) {
                const struct pod_doc *d = &set.v[i];
                if (d->pod && d->errs.n == 0 && d->errs.dropped == 0) {
                        char obj[600];
                        snprintf(obj, sizeof obj, "%s/%s", pod_namespace(d->pod), d->pod->metadata.name);
                        log_infos("Static pod is valid", "path", path, "pod", obj, "qosClass",
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
        log_infos("Checking static pod manifests", "staticPodPath", dir);
        if (agent_manifest_dir_scan(dir, check_manifest, &mc, &err) < 0) {
                log_errors(err->msg, "Unable to read static pod path", "staticPodPath", dir);
                return 1;
        }
        log_infos("Checked static pod manifests", "files", LOG_UINT(mc.files), "validPods",
                  LOG_UINT(mc.valid), "invalidPods", LOG_UINT(mc.invalid), "unreadableFiles",
                  LOG_UINT(mc.unreadable));
        return mc.invalid || mc.unreadable ? 1 : 0;
}

static int run(const struct agent_config *cfg)
{
        log_infos("Deckhand version", "version", "v" DH_VERSION, "rootDir", cfg->root_dir);
        log_vs(1, "Configuration", "config", cfg->config_path ? cfg->config_path : "",
               "staticPodPath", cfg->static_pod_path ? cfg->static_pod_path : "", "maxPods",
               LOG_INT(cfg->max_pods), "cgroupDriver", cfg->cgroup_driver);
        if (cfg->kubeconfig && *cfg->kubeconfig) {
                log_errors(NULL, "Cluster mode is not implemented yet; deckhand can only run static pods "
                                 "(--pod-manifest-path) for now", "kubeconfig", cfg->kubeconfig);
                return 1;
        }
        if (!cfg->static_pod_path || !*cfg->static_pod_path) {
                log_warns("No --pod-manifest-path (staticPodPath) and no --kubeconfig: nothing to do");
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
