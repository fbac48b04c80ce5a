/* kubelet-compatible command-line flags: one table of {name, kind, member
 * of struct agent_config, range, config field, help}, pflag-style argv
 * scanning, a setter per kind, kubelet's precedence with --config, and the
 * usage text generated from the table. */
#include "agent/flags.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "lib/fielderr.h"
#include "lib/parse.h"

enum flag_kind {
        FK_STR,     /* char * */
        FK_BOOL,    /* bool; "--flag" alone means true */
        FK_INT,     /* int64_t in [min, max] */
        FK_DUR,     /* int64_t milliseconds, Go duration syntax */
        FK_STRV,    /* struct dh_strv, comma-separated */
        FK_MAP,     /* struct dh_strmap, "k=v,k2=v2" */
        FK_LMAP,    /* struct dh_strmap, "k<v,k2<v2" (eviction thresholds) */
        FK_LABELS,  /* struct dh_strmap, "k=v" with label syntax checked */
        FK_TAINTS,  /* agent_taints, "key=value:Effect,key:Effect" */
        FK_HELP,
        FK_VERSION,
};

struct flag_def {
        const char *name;
        char shorthand;
        enum flag_kind kind;
        size_t off;
        int64_t min, max;
        const char *field; /* the KubeletConfiguration field it overrides */
        const char *help;
};

#define O(m) offsetof(struct agent_config, m)
#define I32 INT32_MAX
#define FSTR(n, m, f, h) { n, 0, FK_STR, O(m), 0, 0, f, h }
#define FBOOL(n, m, f, h) { n, 0, FK_BOOL, O(m), 0, 0, f, h }
#define FINT(n, m, lo, hi, f, h) { n, 0, FK_INT, O(m), lo, hi, f, h }
#define FDUR(n, m, f, h) { n, 0, FK_DUR, O(m), 0, 0, f, h }
#define FLIST(n, k, m, f, h) { n, 0, k, O(m), 0, 0, f, h }

static const struct flag_def flag_defs[] = {
        FSTR("config", config_path, NULL, "Path to a KubeletConfiguration file (kubelet.config.k8s.io/v1beta1, YAML or JSON). Flags override the values in it."),
        FSTR("kubeconfig", kubeconfig, NULL, "Path to a kubeconfig file for the API server. Without it deckhand runs standalone (static pods only)."),
        FSTR("bootstrap-kubeconfig", bootstrap_kubeconfig, NULL, "Path to a kubeconfig file used to obtain the client certificate written to --kubeconfig."),
        FSTR("cert-dir", cert_dir, NULL, "Directory where the TLS certificates are kept."),
        FSTR("root-dir", root_dir, NULL, "Directory for deckhand's state (pods, volumes, checkpoints)."),
        FSTR("hostname-override", hostname_override, NULL, "Use this as the node name instead of the host name."),
        FSTR("node-ip", node_ip, NULL, "IP address (or comma-separated dual-stack pair) of the node."),
        FLIST("node-labels", FK_LABELS, node_labels, NULL, "Labels to add when registering the node, as key=value pairs separated by ','."),
        FSTR("pod-infra-container-image", pod_infra_container_image, NULL, "Pod sandbox (pause) image. Stored for the container runtime."),
        FBOOL("check-manifests", check_manifests, NULL, "Only decode, default and validate the static pod manifests of --pod-manifest-path, then exit (deckhand)."),
        FSTR("pod-manifest-path", static_pod_path, "staticPodPath", "Directory of static pod manifests (or a single manifest file) to run."),
        FINT("max-pods", max_pods, 0, I32, "maxPods", "Number of pods that can run on this node."),
        { "v", 'v', FK_INT, O(verbosity), 0, I32, "logging.verbosity", "Log verbosity level." },
        FSTR("container-runtime-endpoint", container_runtime_endpoint, "containerRuntimeEndpoint", "Endpoint of a remote CRI runtime, e.g. unix:///run/containerd/containerd.sock."),
        FSTR("image-service-endpoint", image_service_endpoint, "imageServiceEndpoint", "Endpoint of a remote CRI image service (default: the runtime endpoint)."),
        FDUR("sync-frequency", sync_frequency_ms, "syncFrequency", "Maximum period between synchronizing running containers and config."),
        FDUR("file-check-frequency", file_check_frequency_ms, "fileCheckFrequency", "Period between checking the static pod path for new data."),
        FDUR("http-check-frequency", http_check_frequency_ms, "httpCheckFrequency", "Period between checking HTTP for new data."),
        FSTR("address", address, "address", "IP address to serve on (0.0.0.0 or :: for all interfaces)."),
        FINT("port", port, 1, 65535, "port", "Port to serve on."),
        FINT("read-only-port", read_only_port, 0, 65535, "readOnlyPort", "Read-only port without authentication (0 disables it)."),
        FSTR("tls-cert-file", tls_cert_file, "tlsCertFile", "x509 certificate for serving HTTPS."),
        FSTR("tls-private-key-file", tls_private_key_file, "tlsPrivateKeyFile", "x509 private key matching --tls-cert-file."),
        FLIST("tls-cipher-suites", FK_STRV, tls_cipher_suites, "tlsCipherSuites", "Comma-separated list of cipher suites for the server."),
        FSTR("tls-min-version", tls_min_version, "tlsMinVersion", "Minimum TLS version supported (VersionTLS12, VersionTLS13)."),
        FBOOL("rotate-certificates", rotate_certificates, "rotateCertificates", "Rotate the client certificate through the certificates.k8s.io API."),
        FSTR("client-ca-file", client_ca_file, "authentication.x509.clientCAFile", "CA bundle that authenticates client certificates."),
        FBOOL("anonymous-auth", authn_anonymous, "authentication.anonymous.enabled", "Allow anonymous requests to the server."),
        FBOOL("authentication-token-webhook", authn_webhook, "authentication.webhook.enabled", "Authenticate bearer tokens with the TokenReview API."),
        FDUR("authentication-token-webhook-cache-ttl", authn_webhook_cache_ttl_ms, "authentication.webhook.cacheTTL", "How long to cache token review results."),
        FSTR("authorization-mode", authz_mode, "authorization.mode", "Authorization mode for the server: AlwaysAllow or Webhook."),
        FDUR("authorization-webhook-cache-authorized-ttl", authz_cache_authorized_ttl_ms, "authorization.webhook.cacheAuthorizedTTL", "How long to cache 'authorized' answers."),
        FDUR("authorization-webhook-cache-unauthorized-ttl", authz_cache_unauthorized_ttl_ms, "authorization.webhook.cacheUnauthorizedTTL", "How long to cache 'unauthorized' answers."),
        FINT("registry-qps", registry_pull_qps, 0, I32, "registryPullQPS", "Limit of registry pulls per second (0: no limit)."),
        FINT("registry-burst", registry_burst, 0, I32, "registryBurst", "Maximum size of a burst of pulls."),
        FINT("event-qps", event_record_qps, 0, I32, "eventRecordQPS", "Limit of event creations per second (0: no limit)."),
        FINT("event-burst", event_burst, 0, I32, "eventBurst", "Maximum size of a burst of event creations."),
        FBOOL("enable-debugging-handlers", enable_debugging_handlers, "enableDebuggingHandlers", "Serve log access and exec/attach/port-forward endpoints."),
        FINT("healthz-port", healthz_port, 0, 65535, "healthzPort", "Port of the localhost healthz endpoint (0 disables it)."),
        FSTR("healthz-bind-address", healthz_bind_address, "healthzBindAddress", "IP address for the healthz server."),
        FINT("oom-score-adj", oom_score_adj, -1000, 1000, "oomScoreAdj", "oom_score_adj of the agent process."),
        FSTR("cluster-domain", cluster_domain, "clusterDomain", "Cluster DNS domain containers search in addition to the host's."),
        FLIST("cluster-dns", FK_STRV, cluster_dns, "clusterDNS", "Comma-separated DNS server IP addresses for containers."),
        FDUR("node-status-update-frequency", node_status_update_frequency_ms, "nodeStatusUpdateFrequency", "How often node status is computed and posted when changed."),
        FDUR("minimum-image-gc-age", image_minimum_gc_age_ms, "imageMinimumGCAge", "Minimum age of an unused image before garbage collection."),
        FDUR("maximum-image-gc-age", image_maximum_gc_age_ms, "imageMaximumGCAge", "Maximum age of an unused image before garbage collection (0: no limit)."),
        FINT("image-gc-high-threshold", image_gc_high_threshold_percent, 0, 100, "imageGCHighThresholdPercent", "Disk usage percent above which image garbage collection always runs."),
        FINT("image-gc-low-threshold", image_gc_low_threshold_percent, 0, 100, "imageGCLowThresholdPercent", "Disk usage percent below which image garbage collection never runs."),
        FSTR("kubelet-cgroups", kubelet_cgroups, "kubeletCgroups", "Absolute name of the cgroup to isolate the agent in."),
        FSTR("system-cgroups", system_cgroups, "systemCgroups", "Absolute name of the cgroup for non-kernel processes outside containers."),
        FSTR("cgroup-root", cgroup_root, "cgroupRoot", "Root cgroup for pods."),
        FBOOL("cgroups-per-qos", cgroups_per_qos, "cgroupsPerQOS", "Create the QoS cgroup hierarchy."),
        FSTR("cgroup-driver", cgroup_driver, "cgroupDriver", "Driver for host cgroups: cgroupfs or systemd."),
        FDUR("runtime-request-timeout", runtime_request_timeout_ms, "runtimeRequestTimeout", "Timeout of runtime requests except pull, logs, exec and attach."),
        FSTR("pod-cidr", pod_cidr, "podCIDR", "CIDR for pod IP addresses in standalone mode."),
        FINT("pod-max-pids", pod_pids_limit, -1, INT64_MAX, "podPidsLimit", "Maximum number of processes per pod (-1: node allocatable)."),
        FSTR("resolv-conf", resolv_conf, "resolvConf", "Resolver file the container DNS configuration is based on (\"\" disables it)."),
        FBOOL("cpu-cfs-quota", cpu_cfs_quota, "cpuCFSQuota", "Enforce CPU limits with CFS quota."),
        FDUR("cpu-cfs-quota-period", cpu_cfs_quota_period_ms, "cpuCFSQuotaPeriod", "CFS quota period (cpu.cfs_period_us)."),
        FINT("node-status-max-images", node_status_max_images, -1, I32, "nodeStatusMaxImages", "Maximum images reported in node status (-1: no cap)."),
        FINT("max-open-files", max_open_files, 0, INT64_MAX, "maxOpenFiles", "Number of files the agent process can open."),
        FSTR("content-type", content_type, "contentType", "Content type of requests sent to the API server."),
        FINT("kube-api-qps", kube_api_qps, 0, I32, "kubeAPIQPS", "Queries per second to the API server."),
        FINT("kube-api-burst", kube_api_burst, 0, I32, "kubeAPIBurst", "Burst of queries to the API server."),
        FBOOL("serialize-image-pulls", serialize_image_pulls, "serializeImagePulls", "Pull images one at a time."),
        FLIST("eviction-hard", FK_LMAP, eviction_hard, "evictionHard", "Hard eviction thresholds, e.g. memory.available<100Mi,nodefs.available<10%."),
        FLIST("eviction-soft", FK_LMAP, eviction_soft, "evictionSoft", "Soft eviction thresholds, e.g. memory.available<1.5Gi."),
        FLIST("eviction-soft-grace-period", FK_MAP, eviction_soft_grace_period, "evictionSoftGracePeriod", "Grace periods of soft thresholds, e.g. memory.available=1m30s."),
        FDUR("eviction-pressure-transition-period", eviction_pressure_transition_period_ms, "evictionPressureTransitionPeriod", "How long to wait before leaving an eviction pressure condition."),
        FINT("eviction-max-pod-grace-period", eviction_max_pod_grace_period, INT32_MIN, I32, "evictionMaxPodGracePeriod", "Maximum grace period in seconds for soft evictions."),
        FLIST("eviction-minimum-reclaim", FK_MAP, eviction_minimum_reclaim, "evictionMinimumReclaim", "Minimum reclaims, e.g. imagefs.available=2Gi."),
        FINT("pods-per-core", pods_per_core, 0, I32, "podsPerCore", "Maximum pods per core (0: no limit)."),
        FBOOL("protect-kernel-defaults", protect_kernel_defaults, "protectKernelDefaults", "Fail if kernel tunables differ from the defaults instead of changing them."),
        FBOOL("fail-swap-on", fail_swap_on, "failSwapOn", "Refuse to start if swap is enabled."),
        FSTR("container-log-max-size", container_log_max_size, "containerLogMaxSize", "Maximum size of a container log file before rotation, e.g. 10Mi."),
        FINT("container-log-max-files", container_log_max_files, 2, I32, "containerLogMaxFiles", "Maximum container log files kept per container."),
        FLIST("system-reserved", FK_MAP, system_reserved, "systemReserved", "Resources reserved for the system, e.g. cpu=200m,memory=500Mi."),
        FLIST("kube-reserved", FK_MAP, kube_reserved, "kubeReserved", "Resources reserved for Kubernetes components, e.g. cpu=200m,memory=500Mi."),
        FSTR("system-reserved-cgroup", system_reserved_cgroup, "systemReservedCgroup", "Cgroup that enforces --system-reserved."),
        FSTR("kube-reserved-cgroup", kube_reserved_cgroup, "kubeReservedCgroup", "Cgroup that enforces --kube-reserved."),
        FLIST("enforce-node-allocatable", FK_STRV, enforce_node_allocatable, "enforceNodeAllocatable", "Node allocatable enforcements: none, pods, system-reserved, kube-reserved..."),
        FLIST("allowed-unsafe-sysctls", FK_STRV, allowed_unsafe_sysctls, "allowedUnsafeSysctls", "Unsafe sysctls or patterns (ending in *) pods may set."),
        FSTR("provider-id", provider_id, "providerID", "Unique ID of the instance for a cloud provider."),
        FBOOL("seccomp-default", seccomp_default, "seccompDefault", "Use RuntimeDefault as the default seccomp profile."),
        FBOOL("register-node", register_node, "registerNode", "Register the node with the API server."),
        FLIST("register-with-taints", FK_TAINTS, register_with_taints, "registerWithTaints", "Taints for the node when it registers, as key=value:Effect,key:Effect."),
        FBOOL("local-storage-capacity-isolation", local_storage_capacity_isolation, "localStorageCapacityIsolation", "Enforce ephemeral storage requests and limits."),
        FBOOL("fail-cgroupv1", fail_cgroup_v1, "failCgroupV1", "Refuse to start on a cgroup v1 host."),
        { "help", 'h', FK_HELP, 0, 0, 0, NULL, "Print this help and exit." },
        { "version", 0, FK_VERSION, 0, 0, 0, NULL, "Print version information and exit." },
};

struct flag_use {
        const struct flag_def *def;
        const char *value; /* NULL: a boolean given without a value */
};

struct flag_scan {
        struct flag_use *v;
        size_t n;
        bool help, version;
};

static int usage_err(struct dh_err **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int usage_err(struct dh_err **err, const char *fmt, ...)
{
        char msg[1024];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        return dh_err_set(err, AGENT_EUSAGE, "%s", msg);
}

static bool is_boolish(const struct flag_def *d)
{
        return d->kind == FK_BOOL || d->kind == FK_HELP || d->kind == FK_VERSION;
}

static const struct flag_def *find_long(const char *name, size_t n)
{
        for (size_t i = 0; i < DH_ARRAY_SIZE(flag_defs); i++)
                if (strlen(flag_defs[i].name) == n && memcmp(flag_defs[i].name, name, n) == 0)
                        return &flag_defs[i];
        return NULL;
}

static const struct flag_def *find_short(char c)
{
        for (size_t i = 0; i < DH_ARRAY_SIZE(flag_defs); i++)
                if (flag_defs[i].shorthand && flag_defs[i].shorthand == c)
                        return &flag_defs[i];
        return NULL;
}

static int invalid_value(struct dh_err **err, const struct flag_def *d, const char *value,
                         const char *why)
{
        _cleanup_free_ char *q = dh_quote(value ? value : "");
        return usage_err(err, "invalid value %s for flag --%s: %s", q ? q : "?", d->name, why);
}

/* Records one flag; returns 1 when scanning should stop (--help). */
static int record(struct flag_scan *s, const struct flag_def *d, const char *value,
                  struct dh_err **err)
{
        if (d->kind == FK_HELP || d->kind == FK_VERSION) {
                bool on = true;
                if (value && dh_parse_bool(value, &on, d->name, NULL) < 0)
                        return invalid_value(err, d, value, "must be true or false");
                if (d->kind == FK_HELP)
                        s->help = on;
                else
                        s->version = on;
                return s->help ? 1 : 0;
        }
        s->v[s->n++] = (struct flag_use){ d, value };
        return 0;
}

/* "--name", "--name=value", "--name value". */
static int scan_long(int argc, char **argv, int *i, struct flag_scan *s, struct dh_err **err)
{
        const char *arg = argv[*i] + 2;
        const char *eq = strchr(arg, '=');
        size_t n = eq ? (size_t)(eq - arg) : strlen(arg);
        if (n == 0 || arg[0] == '-')
                return usage_err(err, "bad flag syntax: %s", argv[*i]);
        const struct flag_def *d = find_long(arg, n);
        if (!d)
                return usage_err(err, "unknown flag: --%.*s", (int)n, arg);
        const char *value = eq ? eq + 1 : NULL;
        if (!value && !is_boolish(d)) {
                if (*i + 1 >= argc)
                        return usage_err(err, "flag needs an argument: --%s", d->name);
                value = argv[++*i];
        }
        return record(s, d, value, err);
}

/* "-v 4", "-v=4", "-v4", "-h", grouped as pflag allows ("-hv4"). */
static int scan_short(int argc, char **argv, int *i, struct flag_scan *s, struct dh_err **err)
{
        const char *arg = argv[*i];
        for (const char *p = arg + 1; *p;) {
                const struct flag_def *d = find_short(*p);
                if (!d)
                        return usage_err(err, "unknown shorthand flag: '%c' in %s", *p, arg);
                p++;
                const char *value = NULL;
                if (*p == '=') {
                        value = p + 1;
                } else if (*p && !is_boolish(d)) {
                        value = p;
                } else if (!*p && !is_boolish(d)) {
                        if (*i + 1 >= argc)
                                return usage_err(err, "flag needs an argument: '%c' in %s",
                                                 d->shorthand, arg);
                        value = argv[++*i];
                }
                int r = record(s, d, value, err);
                if (r != 0 || value)
                        return r;
        }
        return 0;
}

static int scan_args(int argc, char **argv, struct flag_scan *s, struct dh_err **err)
{
        for (int i = 1; i < argc; i++) {
                const char *a = argv[i];
                int r;
                if (strcmp(a, "--") == 0) {
                        if (i + 1 < argc)
                                return usage_err(err, "unexpected argument \"%s\": deckhand takes only flags",
                                                 argv[i + 1]);
                        return 0;
                } else if (a[0] == '-' && a[1] == '-') {
                        r = scan_long(argc, argv, &i, s, err);
                } else if (a[0] == '-' && a[1]) {
                        r = scan_short(argc, argv, &i, s, err);
                } else {
                        return usage_err(err, "unexpected argument \"%s\": deckhand takes only flags", a);
                }
                if (r != 0)
                        return r < 0 ? r : 0;
        }
        return 0;
}

/* --- setters --- */

static int strmap_put(struct dh_strmap *m, const char *k, size_t kn, const char *v, size_t vn)
{
        _cleanup_free_ char *key = strndup(k, kn), *value = strndup(v, vn);
        if (!key || !value)
                return -ENOMEM;
        for (size_t i = 0; i < m->n; i++) {
                if (strcmp(m->v[i].key, key) == 0) {
                        free(m->v[i].value);
                        m->v[i].value = TAKE_PTR(value);
                        return 0;
                }
        }
        struct dh_kv *nv = realloc(m->v, (m->n + 1) * sizeof *nv);
        if (!nv)
                return -ENOMEM;
        m->v = nv;
        m->v[m->n++] = (struct dh_kv){ TAKE_PTR(key), TAKE_PTR(value) };
        return 0;
}

static int strv_push(struct dh_strv *l, const char *s, size_t n)
{
        char **nv = realloc(l->v, (l->n + 1) * sizeof *nv);
        if (!nv)
                return -ENOMEM;
        l->v = nv;
        if (!(l->v[l->n] = strndup(s, n)))
                return -ENOMEM;
        l->n++;
        return 0;
}

static void trim(const char **s, size_t *n)
{
        while (*n && (**s == ' ' || **s == '\t'))
                (*s)++, (*n)--;
        while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
                (*n)--;
}

/* One "k=v" (or "k<v") item of a map flag, trimmed as kubelet does. */
static int map_item(const struct flag_def *d, struct dh_strmap *m, const char *item, size_t n,
                    char *why, size_t whysz)
{
        char sep = d->kind == FK_LMAP ? '<' : '=';
        const char *s = memchr(item, sep, n);
        if (!s) {
                snprintf(why, whysz, "malformed pair \"%.*s\", expected key%cvalue", (int)n, item, sep);
                return -EINVAL;
        }
        const char *k = item, *v = s + 1;
        size_t kn = (size_t)(s - item), vn = n - kn - 1;
        trim(&k, &kn);
        trim(&v, &vn);
        if (kn == 0) {
                snprintf(why, whysz, "empty key in \"%.*s\"", (int)n, item);
                return -EINVAL;
        }
        if (d->kind == FK_LABELS) {
                _cleanup_free_ char *key = strndup(k, kn), *val = strndup(v, vn);
                if (!key || !val)
                        return -ENOMEM;
                const char *p = agent_label_key_problem(key);
                const char *q = p ? NULL : agent_label_value_problem(val);
                if (p || q) {
                        snprintf(why, whysz, "label %s \"%s\": %s", p ? "key" : "value",
                                 p ? key : val, p ? p : q);
                        return -EINVAL;
                }
        }
        return strmap_put(m, k, kn, v, vn);
}

static bool known_effect(const char *e)
{
        for (const char *const *x = agent_taint_effects; *x; x++)
                if (strcmp(e, *x) == 0)
                        return true;
        return false;
}

static int taint_push(agent_taints *t, const struct agent_taint *x)
{
        struct agent_taint *nv = realloc(t->v, (t->n + 1) * sizeof *nv);
        if (!nv)
                return -ENOMEM;
        t->v = nv;
        struct agent_taint *y = &t->v[t->n];
        *y = (struct agent_taint){ strdup(x->key), x->value ? strdup(x->value) : NULL,
                                   strdup(x->effect) };
        if (!y->key || (x->value && !y->value) || !y->effect) {
                free(y->key);
                free(y->value);
                free(y->effect);
                return -ENOMEM;
        }
        t->n++;
        return 0;
}

/* "key=value:Effect" or "key:Effect" (pkg/util/taints parseTaint). */
static int taint_item(agent_taints *t, const char *item, size_t n, char *why, size_t whysz)
{
        _cleanup_free_ char *s = strndup(item, n);
        if (!s)
                return -ENOMEM;
        char *colon = strchr(s, ':');
        if (!colon || strchr(colon + 1, ':')) {
                snprintf(why, whysz, "taint \"%s\" is not key=value:Effect or key:Effect", s);
                return -EINVAL;
        }
        *colon = '\0';
        char *eq = strchr(s, '=');
        if (eq)
                *eq = '\0';
        struct agent_taint x = { s, eq ? eq + 1 : NULL, colon + 1 };
        const char *p = agent_label_key_problem(x.key);
        if (!p && x.value)
                p = strchr(x.value, '=') ? "more than one '='" : agent_label_value_problem(x.value);
        if (!p && !known_effect(x.effect))
                p = "effect must be NoSchedule, PreferNoSchedule or NoExecute";
        if (p) {
                snprintf(why, whysz, "taint \"%.*s\": %s", (int)n, item, p);
                return -EINVAL;
        }
        return taint_push(t, &x);
}

/* Comma-separated kinds: the first use of a flag replaces the value (from
 * the defaults or the config file), later uses add to it, as pflag's slice
 * and kubelet's map flags do. */
static int set_list(const struct flag_def *d, void *dst, const char *val, bool first,
                    char *why, size_t whysz)
{
        if (first) {
                if (d->kind == FK_STRV)
                        jd_strv.free(dst, &jd_strv);
                else if (d->kind == FK_TAINTS)
                        agent_taints_free(dst);
                else
                        jd_strmap.free(dst, &jd_strmap);
        }
        if (!*val)
                return 0;
        for (const char *p = val;;) {
                const char *comma = strchr(p, ',');
                size_t n = comma ? (size_t)(comma - p) : strlen(p);
                int r = 0;
                if (d->kind == FK_STRV)
                        r = strv_push(dst, p, n);
                else if (d->kind == FK_TAINTS)
                        r = n ? taint_item(dst, p, n, why, whysz) : 0;
                else
                        r = n ? map_item(d, dst, p, n, why, whysz) : 0;
                if (r < 0)
                        return r;
                if (!comma)
                        break;
                p = comma + 1;
        }
        return 0;
}

static int set_int(const struct flag_def *d, int64_t *dst, const char *val, char *why, size_t whysz)
{
        int64_t v;
        if (dh_parse_i64(val, INT64_MIN, INT64_MAX, &v, d->name, NULL) < 0) {
                snprintf(why, whysz, "must be an integer");
                return -EINVAL;
        }
        if (v < d->min || v > d->max) {
                if (v < 0 && d->min == 0)
                        snprintf(why, whysz, "must not be negative");
                else
                        snprintf(why, whysz, "must be between %" PRId64 " and %" PRId64, d->min, d->max);
                return -EINVAL;
        }
        *dst = v;
        return 0;
}

static int set_value(const struct flag_def *d, struct agent_config *cfg, const char *val,
                     bool first, char *why, size_t whysz)
{
        void *dst = (char *)cfg + d->off;
        switch (d->kind) {
        case FK_STR: {
                char *s = strdup(val);
                if (!s)
                        return -ENOMEM;
                free(*(char **)dst);
                *(char **)dst = s;
                return 0;
        }
        case FK_BOOL:
                if (val && dh_parse_bool(val, dst, d->name, NULL) < 0) {
                        snprintf(why, whysz, "must be true or false");
                        return -EINVAL;
                }
                if (!val)
                        *(bool *)dst = true;
                return 0;
        case FK_INT:
                return set_int(d, dst, val, why, whysz);
        case FK_DUR:
                if (dh_parse_duration_ms(val, dst, d->name, NULL) < 0) {
                        snprintf(why, whysz, "must be a non-negative duration such as 20s, 1m30s or 500ms");
                        return -EINVAL;
                }
                return 0;
        case FK_STRV:
        case FK_MAP:
        case FK_LMAP:
        case FK_LABELS:
        case FK_TAINTS:
                return set_list(d, dst, val, first, why, whysz);
        case FK_HELP:
        case FK_VERSION:
                break;
        }
        return 0;
}

static int apply_uses(const struct flag_scan *s, struct agent_config *cfg, struct dh_err **err)
{
        bool seen[DH_ARRAY_SIZE(flag_defs)] = { false };
        for (size_t i = 0; i < s->n; i++) {
                const struct flag_def *d = s->v[i].def;
                size_t idx = (size_t)(d - flag_defs);
                char why[512] = "";
                int r = set_value(d, cfg, s->v[i].value, !seen[idx], why, sizeof why);
                seen[idx] = true;
                if (r == -ENOMEM)
                        return dh_err_set(err, ENOMEM, "out of memory applying --%s", d->name);
                if (r < 0)
                        return invalid_value(err, d, s->v[i].value, why);
        }
        return 0;
}

/* kubelet's precedence: the file is loaded over fresh defaults and the
 * same flags are applied again on top of it. */
static int reload_with_file(const struct flag_scan *s, struct agent_config *cfg, struct dh_err **err)
{
        struct agent_config file = { 0 };
        int r = agent_config_init(&file, err);
        if (r >= 0)
                r = agent_config_load_file(cfg->config_path, &file, err);
        if (r >= 0)
                r = apply_uses(s, &file, err);
        if (r < 0) {
                agent_config_free(&file);
                return r;
        }
        agent_config_free(cfg);
        *cfg = file;
        return 0;
}

static int build_config(const struct flag_scan *s, struct agent_config *cfg, struct dh_err **err)
{
        struct agent_config tmp = { 0 };
        int r = agent_config_init(&tmp, err);
        if (r >= 0)
                r = apply_uses(s, &tmp, err);
        if (r >= 0 && !s->version && tmp.config_path && *tmp.config_path)
                r = reload_with_file(s, &tmp, err);
        if (r >= 0 && !s->version)
                r = agent_config_validate(&tmp, err);
        if (r < 0) {
                agent_config_free(&tmp);
                return r;
        }
        agent_config_free(cfg);
        *cfg = tmp;
        return s->version ? AGENT_FLAGS_VERSION : AGENT_FLAGS_RUN;
}

int agent_flags_parse(int argc, char **argv, struct agent_config *cfg, struct dh_err **err)
{
        struct flag_scan s = { .v = calloc(argc > 0 ? (size_t)argc : 1, sizeof *s.v) };
        if (!s.v)
                return dh_err_set(err, ENOMEM, "out of memory parsing flags");
        int r = scan_args(argc, argv, &s, err);
        if (r >= 0)
                r = s.help ? AGENT_FLAGS_HELP : build_config(&s, cfg, err);
        free(s.v);
        return r;
}

/* --- usage --- */

#define USAGE_COLUMN_MAX 40

static const char *type_name(const struct flag_def *d)
{
        switch (d->kind) {
        case FK_STR: return "string";
        case FK_INT: return d->shorthand == 'v' ? "Level" : d->max > INT32_MAX ? "int" : "int32";
        case FK_DUR: return "duration";
        case FK_STRV: return "strings";
        case FK_MAP: case FK_LMAP: case FK_LABELS: return "mapStringString";
        case FK_TAINTS: return "taints";
        case FK_BOOL: case FK_HELP: case FK_VERSION: break;
        }
        return "";
}

static void default_text(const struct flag_def *d, const struct agent_config *def, char *buf, size_t n)
{
        const void *p = (const char *)def + d->off;
        char t[64];
        buf[0] = '\0';
        if (d->kind == FK_STR && *(char *const *)p && **(char *const *)p)
                snprintf(buf, n, " (default \"%s\")", *(char *const *)p);
        else if (d->kind == FK_BOOL && *(const bool *)p)
                snprintf(buf, n, " (default true)");
        else if (d->kind == FK_INT && *(const int64_t *)p)
                snprintf(buf, n, " (default %" PRId64 ")", *(const int64_t *)p);
        else if (d->kind == FK_DUR && *(const int64_t *)p)
                snprintf(buf, n, " (default %s)", agent_format_duration(*(const int64_t *)p, t, sizeof t));
        else if (d->kind == FK_STRV && ((const struct dh_strv *)p)->n == 1)
                snprintf(buf, n, " (default [%s])", ((const struct dh_strv *)p)->v[0]);
}

void agent_flags_usage(FILE *f)
{
        struct agent_config def = { 0 };
        bool have_def = agent_config_init(&def, NULL) >= 0;
        char left[DH_ARRAY_SIZE(flag_defs)][96];
        int width = 0;
        for (size_t i = 0; i < DH_ARRAY_SIZE(flag_defs); i++) {
                const struct flag_def *d = &flag_defs[i];
                const char *t = type_name(d);
                int n = d->shorthand ? snprintf(left[i], sizeof left[i], "  -%c, --%s%s%s", d->shorthand,
                                                d->name, *t ? " " : "", t)
                                     : snprintf(left[i], sizeof left[i], "      --%s%s%s", d->name,
                                                *t ? " " : "", t);
                if (n > width && n <= USAGE_COLUMN_MAX)
                        width = n;
        }
        fprintf(f, "deckhand is a Kubernetes node agent: it runs the pods of its node, taking the\n"
                   "kubelet's flags and KubeletConfiguration file. A flag marked [field] overrides\n"
                   "that field of the --config file.\n\n"
                   "Usage:\n  deckhand [flags]\n\nFlags:\n");
        for (size_t i = 0; i < DH_ARRAY_SIZE(flag_defs); i++) {
                const struct flag_def *d = &flag_defs[i];
                char dt[320] = "";
                if (have_def)
                        default_text(d, &def, dt, sizeof dt);
                /* Long flag names get their help on the next line. */
                if ((int)strlen(left[i]) > width)
                        fprintf(f, "%s\n%-*s", left[i], width, "");
                else
                        fprintf(f, "%-*s", width, left[i]);
                fprintf(f, "   %s%s%s%s%s\n", d->help, d->field ? " [" : "", d->field ? d->field : "",
                        d->field ? "]" : "", dt);
        }
        agent_config_free(&def);
}
