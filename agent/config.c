/* struct agent_config: kubelet's defaults, the KubeletConfiguration file
 * loader (one jsondec table over the YAML edge), kubelet's cross-field
 * validation, and the small syntax checks flags share with it. */
#include "agent/config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/cleanup.h"
#include "lib/fileio.h"
#include "lib/parse.h"
#include "lib/yaml.h"

#define O(m) offsetof(struct agent_config, m)
#define SEC_MS 1000
#define MIN_MS (60 * SEC_MS)

const char *const agent_taint_effects[] = { "NoSchedule", "PreferNoSchedule", "NoExecute", NULL };

/* --- ownership: one table drives free and copy --- */

enum own_kind { OWN_STR, OWN_MAP, OWN_STRV, OWN_TAINTS };
static const struct { enum own_kind kind; size_t off; } owned[] = {
        { OWN_STR, O(config_path) }, { OWN_STR, O(kubeconfig) },
        { OWN_STR, O(bootstrap_kubeconfig) }, { OWN_STR, O(cert_dir) },
        { OWN_STR, O(root_dir) }, { OWN_STR, O(hostname_override) },
        { OWN_STR, O(node_ip) }, { OWN_MAP, O(node_labels) },
        { OWN_STR, O(pod_infra_container_image) }, { OWN_STR, O(static_pod_path) },
        { OWN_STR, O(pod_logs_dir) }, { OWN_STR, O(address) },
        { OWN_STR, O(tls_cert_file) }, { OWN_STR, O(tls_private_key_file) },
        { OWN_STRV, O(tls_cipher_suites) }, { OWN_STR, O(tls_min_version) },
        { OWN_STR, O(client_ca_file) }, { OWN_STR, O(authz_mode) },
        { OWN_STR, O(healthz_bind_address) }, { OWN_STR, O(cluster_domain) },
        { OWN_STRV, O(cluster_dns) }, { OWN_STR, O(kubelet_cgroups) },
        { OWN_STR, O(system_cgroups) }, { OWN_STR, O(cgroup_root) },
        { OWN_STR, O(cgroup_driver) }, { OWN_STR, O(pod_cidr) },
        { OWN_STR, O(resolv_conf) }, { OWN_STR, O(content_type) },
        { OWN_MAP, O(eviction_hard) }, { OWN_MAP, O(eviction_soft) },
        { OWN_MAP, O(eviction_soft_grace_period) }, { OWN_MAP, O(eviction_minimum_reclaim) },
        { OWN_STR, O(swap_behavior) }, { OWN_STR, O(container_log_max_size) },
        { OWN_MAP, O(system_reserved) }, { OWN_MAP, O(kube_reserved) },
        { OWN_STR, O(system_reserved_cgroup) }, { OWN_STR, O(kube_reserved_cgroup) },
        { OWN_STRV, O(enforce_node_allocatable) }, { OWN_STRV, O(allowed_unsafe_sysctls) },
        { OWN_STR, O(provider_id) }, { OWN_TAINTS, O(register_with_taints) },
        { OWN_STR, O(container_runtime_endpoint) }, { OWN_STR, O(image_service_endpoint) },
};

void agent_taints_free(agent_taints *t)
{
        for (size_t i = 0; i < t->n; i++) {
                free(t->v[i].key);
                free(t->v[i].value);
                free(t->v[i].effect);
        }
        free(t->v);
        t->v = NULL;
        t->n = 0;
}

void agent_config_free(struct agent_config *cfg)
{
        if (!cfg)
                return;
        for (size_t i = 0; i < DH_ARRAY_SIZE(owned); i++) {
                void *p = (char *)cfg + owned[i].off;
                switch (owned[i].kind) {
                case OWN_STR: free(*(char **)p); break;
                case OWN_MAP: jd_strmap.free(p, &jd_strmap); break;
                case OWN_STRV: jd_strv.free(p, &jd_strv); break;
                case OWN_TAINTS: agent_taints_free(p); break;
                }
        }
        *cfg = (struct agent_config){ 0 };
}

static char *strdup_or_null(const char *s)
{
        return s ? strdup(s) : NULL;
}

/* Each copy leaves dst freeable (counted elements only) and says whether
 * every allocation succeeded. */
static bool copy_map(struct dh_strmap *d, const struct dh_strmap *m)
{
        *d = (struct dh_strmap){ m->n ? calloc(m->n, sizeof *d->v) : NULL, 0 };
        for (; d->n < m->n && d->v; d->n++) {
                d->v[d->n] = (struct dh_kv){ strdup(m->v[d->n].key), strdup(m->v[d->n].value) };
                if (!d->v[d->n].key || !d->v[d->n].value) {
                        d->n++;
                        return false;
                }
        }
        return d->n == m->n;
}

static bool copy_strv(struct dh_strv *d, const struct dh_strv *m)
{
        *d = (struct dh_strv){ m->n ? calloc(m->n, sizeof *d->v) : NULL, 0 };
        for (; d->n < m->n && d->v; d->n++)
                if (!(d->v[d->n] = strdup(m->v[d->n])))
                        return false;
        return d->n == m->n;
}

static bool copy_taints(agent_taints *d, const agent_taints *t)
{
        d->v = t->n ? calloc(t->n, sizeof *d->v) : NULL;
        d->n = 0;
        for (; d->n < t->n && d->v; d->n++) {
                const struct agent_taint *x = &t->v[d->n];
                struct agent_taint *y = &d->v[d->n];
                *y = (struct agent_taint){ strdup_or_null(x->key), strdup_or_null(x->value),
                                           strdup_or_null(x->effect) };
                if ((x->key && !y->key) || (x->value && !y->value) || (x->effect && !y->effect)) {
                        d->n++;
                        return false;
                }
        }
        return d->n == t->n;
}

static bool copy_member(enum own_kind kind, void *dst, const void *src)
{
        switch (kind) {
        case OWN_STR:
                *(char **)dst = strdup_or_null(*(char *const *)src);
                return !*(char *const *)src || *(char **)dst;
        case OWN_MAP: return copy_map(dst, src);
        case OWN_STRV: return copy_strv(dst, src);
        case OWN_TAINTS: return copy_taints(dst, src);
        }
        return false;
}

static int config_copy(struct agent_config *dst, const struct agent_config *src, struct dh_err **err)
{
        *dst = *src;
        bool ok = true;
        for (size_t i = 0; i < DH_ARRAY_SIZE(owned); i++) {
                void *d = (char *)dst + owned[i].off;
                const void *s = (const char *)src + owned[i].off;
                if (!copy_member(owned[i].kind, d, s))
                        ok = false;
        }
        if (!ok) {
                agent_config_free(dst);
                return dh_err_set(err, ENOMEM, "out of memory copying the configuration");
        }
        return 0;
}

/* --- defaults (pkg/kubelet/apis/config/v1beta1/defaults.go) --- */

/* zero: a zero value in a file means "unset" and gets the default, as
 * kubelet's defaulting does for non-pointer fields. */
static const struct { size_t off; int64_t def; bool zero; } int_defaults[] = {
        { O(sync_frequency_ms), 1 * MIN_MS, true },
        { O(file_check_frequency_ms), 20 * SEC_MS, true },
        { O(http_check_frequency_ms), 20 * SEC_MS, true },
        { O(port), 10250, true },
        { O(authn_webhook_cache_ttl_ms), 2 * MIN_MS, true },
        { O(authz_cache_authorized_ttl_ms), 5 * MIN_MS, true },
        { O(authz_cache_unauthorized_ttl_ms), 30 * SEC_MS, true },
        { O(registry_pull_qps), 5, false },
        { O(registry_burst), 10, true },
        { O(event_record_qps), 50, false },
        { O(event_burst), 100, true },
        { O(healthz_port), 10248, false },
        { O(oom_score_adj), -999, false },
        { O(node_status_update_frequency_ms), 10 * SEC_MS, true },
        { O(node_status_report_frequency_ms), 5 * MIN_MS, true },
        { O(node_lease_duration_seconds), 40, true },
        { O(image_minimum_gc_age_ms), 2 * MIN_MS, true },
        { O(image_gc_high_threshold_percent), 85, false },
        { O(image_gc_low_threshold_percent), 80, false },
        { O(runtime_request_timeout_ms), 2 * MIN_MS, true },
        { O(max_pods), 110, true },
        { O(pod_pids_limit), -1, false },
        { O(cpu_cfs_quota_period_ms), 100, false },
        { O(node_status_max_images), 50, false },
        { O(max_open_files), 1000000, true },
        { O(kube_api_qps), 50, false },
        { O(kube_api_burst), 100, true },
        { O(eviction_pressure_transition_period_ms), 5 * MIN_MS, true },
        { O(container_log_max_files), 5, false },
        { O(container_log_max_workers), 1, false },
        { O(container_log_monitor_interval_ms), 10 * SEC_MS, false },
};

/* zero: "" in a file means "unset". root_dir and cert_dir are deckhand's
 * own (kubelet: /var/lib/kubelet, /var/lib/kubelet/pki). */
static const struct { size_t off; const char *def; bool zero; } str_defaults[] = {
        { O(root_dir), "/var/lib/deckhand", false },
        { O(cert_dir), "/var/lib/deckhand/pki", false },
        { O(pod_logs_dir), "/var/log/pods", true },
        { O(address), "0.0.0.0", true },
        { O(authz_mode), "Webhook", true },
        { O(healthz_bind_address), "127.0.0.1", true },
        { O(cgroup_driver), "cgroupfs", true },
        { O(resolv_conf), "/etc/resolv.conf", false },
        { O(content_type), "application/vnd.kubernetes.protobuf", true },
        { O(container_log_max_size), "10Mi", true },
};

static const size_t bool_true_defaults[] = {
        O(enable_server), O(authn_webhook), O(enable_debugging_handlers),
        O(cgroups_per_qos), O(cpu_cfs_quota), O(serialize_image_pulls),
        O(fail_swap_on), O(register_node), O(local_storage_capacity_isolation),
};

#define INT_AT(cfg, off) (*(int64_t *)((char *)(cfg) + (off)))
#define STR_AT(cfg, off) (*(char **)((char *)(cfg) + (off)))

int agent_config_init(struct agent_config *cfg, struct dh_err **err)
{
        *cfg = (struct agent_config){ 0 };
        for (size_t i = 0; i < DH_ARRAY_SIZE(int_defaults); i++)
                INT_AT(cfg, int_defaults[i].off) = int_defaults[i].def;
        for (size_t i = 0; i < DH_ARRAY_SIZE(bool_true_defaults); i++)
                *(bool *)((char *)cfg + bool_true_defaults[i]) = true;
        bool ok = true;
        for (size_t i = 0; i < DH_ARRAY_SIZE(str_defaults); i++)
                ok &= (STR_AT(cfg, str_defaults[i].off) = strdup(str_defaults[i].def)) != NULL;
        cfg->enforce_node_allocatable.v = calloc(1, sizeof(char *));
        if (cfg->enforce_node_allocatable.v) {
                cfg->enforce_node_allocatable.v[0] = strdup("pods");
                cfg->enforce_node_allocatable.n = 1;
                ok &= cfg->enforce_node_allocatable.v[0] != NULL;
        } else {
                ok = false;
        }
        if (!ok)
                return dh_err_set(err, ENOMEM, "out of memory setting configuration defaults");
        return 0;
}

/* --- decoding types that write struct agent_config's plain members --- */

static void decode_int(struct jd_ctx *c, json_t *v, void *dst, const struct jd_type *t)
{
        struct dh_opt_i64 o = { 0 };
        jd_decode_int(c, v, &o, t);
        if (o.set)
                *(int64_t *)dst = o.v;
}

static void decode_bool(struct jd_ctx *c, json_t *v, void *dst, const struct jd_type *t)
{
        (void)t;
        struct dh_opt_bool o = { 0 };
        jd_bool.decode(c, v, &o, &jd_bool);
        if (o.set)
                *(bool *)dst = o.v;
}

/* metav1.Duration: a Go duration string. */
static void decode_duration(struct jd_ctx *c, json_t *v, void *dst, const struct jd_type *t)
{
        (void)t;
        if (!json_is_string(v)) {
                jd_type_error(c, v, "a duration string such as \"20s\" or \"1m30s\"");
                return;
        }
        int64_t ms;
        if (dh_parse_duration_ms(json_string_value(v), &ms, "duration", NULL) < 0) {
                dh_ferr_invalid_str(c->errs, &c->path, json_string_value(v),
                                    "must be a non-negative duration such as \"20s\" or \"1m30s\"");
                return;
        }
        *(int64_t *)dst = ms;
}

/* Lists and maps in a file replace what was there (the default). */
static void decode_replace(struct jd_ctx *c, json_t *v, void *dst, const struct jd_type *t)
{
        t->elem->free(dst, t->elem);
        t->elem->decode(c, v, dst, t->elem);
}

#define T_INT(lo, hi) { .decode = decode_int, .min = (lo), .max = (hi) }
static const struct jd_type t_int32 = T_INT(INT32_MIN, INT32_MAX);
static const struct jd_type t_count = T_INT(0, INT32_MAX);
static const struct jd_type t_port = T_INT(0, 65535);
static const struct jd_type t_percent = T_INT(0, 100);
static const struct jd_type t_bool = { .decode = decode_bool };
static const struct jd_type t_dur = { .decode = decode_duration };
static const struct jd_type t_str = { .decode = decode_replace, .elem = &jd_string };
static const struct jd_type t_map = { .decode = decode_replace, .elem = &jd_strmap };
static const struct jd_type t_strv = { .decode = decode_replace, .elem = &jd_strv };

static const struct jd_field taint_fields[] = {
        { "key", &jd_string, offsetof(struct agent_taint, key) },
        { "value", &jd_string, offsetof(struct agent_taint, value) },
        { "effect", &jd_string, offsetof(struct agent_taint, effect) },
        { NULL, NULL, 0 },
};
static const struct jd_type t_taint = JD_OBJECT(struct agent_taint, taint_fields);
static const struct jd_type t_taint_list = JD_ARRAY(&t_taint);
static const struct jd_type t_taints = { .decode = decode_replace, .elem = &t_taint_list };

/* Nested objects are flattened into struct agent_config: their tables use
 * offsets into it and are entered at offset 0, so no free is attached. */
#define F(key, type, m) { key, type, O(m) }
#define NEST(key, type) { key, type, 0 }
#define END { NULL, NULL, 0 }
#define T_NEST(table) { .decode = jd_decode_object, .fields = (table) }

static const struct jd_field x509_fields[] = { F("clientCAFile", &t_str, client_ca_file), END };
static const struct jd_field anon_fields[] = { F("enabled", &t_bool, authn_anonymous), END };
static const struct jd_field authn_wh_fields[] = {
        F("enabled", &t_bool, authn_webhook), F("cacheTTL", &t_dur, authn_webhook_cache_ttl_ms), END,
};
static const struct jd_type t_x509 = T_NEST(x509_fields), t_anon = T_NEST(anon_fields),
                            t_authn_wh = T_NEST(authn_wh_fields);
static const struct jd_field authn_fields[] = {
        NEST("x509", &t_x509), NEST("anonymous", &t_anon), NEST("webhook", &t_authn_wh), END,
};
static const struct jd_field authz_wh_fields[] = {
        F("cacheAuthorizedTTL", &t_dur, authz_cache_authorized_ttl_ms),
        F("cacheUnauthorizedTTL", &t_dur, authz_cache_unauthorized_ttl_ms), END,
};
static const struct jd_type t_authz_wh = T_NEST(authz_wh_fields);
static const struct jd_field authz_fields[] = {
        F("mode", &t_str, authz_mode), NEST("webhook", &t_authz_wh), END,
};
static const struct jd_field logging_fields[] = { F("verbosity", &t_count, verbosity), END };
static const struct jd_field swap_fields[] = { F("swapBehavior", &t_str, swap_behavior), END };
static const struct jd_type t_authn = T_NEST(authn_fields), t_authz = T_NEST(authz_fields),
                            t_logging = T_NEST(logging_fields), t_swap = T_NEST(swap_fields);

static const struct jd_type t_oom = T_INT(-1000, 1000);
static const struct jd_type t_images = T_INT(-1, INT32_MAX);
static const struct jd_type t_int64 = T_INT(INT64_MIN, INT64_MAX);
static const struct jd_type t_count64 = T_INT(0, INT64_MAX);
static const struct jd_type t_positive = T_INT(1, INT32_MAX);
static const struct jd_type t_log_files = T_INT(2, INT32_MAX);

static const struct jd_field kc_fields[] = {
        F("enableServer", &t_bool, enable_server),
        F("staticPodPath", &t_str, static_pod_path),
        F("podLogsDir", &t_str, pod_logs_dir),
        F("syncFrequency", &t_dur, sync_frequency_ms),
        F("fileCheckFrequency", &t_dur, file_check_frequency_ms),
        F("httpCheckFrequency", &t_dur, http_check_frequency_ms),
        F("address", &t_str, address),
        F("port", &t_port, port),
        F("readOnlyPort", &t_port, read_only_port),
        F("tlsCertFile", &t_str, tls_cert_file),
        F("tlsPrivateKeyFile", &t_str, tls_private_key_file),
        F("tlsCipherSuites", &t_strv, tls_cipher_suites),
        F("tlsMinVersion", &t_str, tls_min_version),
        F("rotateCertificates", &t_bool, rotate_certificates),
        F("serverTLSBootstrap", &t_bool, server_tls_bootstrap),
        NEST("authentication", &t_authn),
        NEST("authorization", &t_authz),
        F("registryPullQPS", &t_count, registry_pull_qps),
        F("registryBurst", &t_count, registry_burst),
        F("eventRecordQPS", &t_count, event_record_qps),
        F("eventBurst", &t_count, event_burst),
        F("enableDebuggingHandlers", &t_bool, enable_debugging_handlers),
        F("healthzPort", &t_port, healthz_port),
        F("healthzBindAddress", &t_str, healthz_bind_address),
        F("oomScoreAdj", &t_oom, oom_score_adj),
        F("clusterDomain", &t_str, cluster_domain),
        F("clusterDNS", &t_strv, cluster_dns),
        F("nodeStatusUpdateFrequency", &t_dur, node_status_update_frequency_ms),
        F("nodeStatusReportFrequency", &t_dur, node_status_report_frequency_ms),
        F("nodeLeaseDurationSeconds", &t_count, node_lease_duration_seconds),
        F("imageMinimumGCAge", &t_dur, image_minimum_gc_age_ms),
        F("imageMaximumGCAge", &t_dur, image_maximum_gc_age_ms),
        F("imageGCHighThresholdPercent", &t_percent, image_gc_high_threshold_percent),
        F("imageGCLowThresholdPercent", &t_percent, image_gc_low_threshold_percent),
        F("kubeletCgroups", &t_str, kubelet_cgroups),
        F("systemCgroups", &t_str, system_cgroups),
        F("cgroupRoot", &t_str, cgroup_root),
        F("cgroupsPerQOS", &t_bool, cgroups_per_qos),
        F("cgroupDriver", &t_str, cgroup_driver),
        F("runtimeRequestTimeout", &t_dur, runtime_request_timeout_ms),
        F("maxPods", &t_count, max_pods),
        F("podCIDR", &t_str, pod_cidr),
        F("podPidsLimit", &t_int64, pod_pids_limit),
        F("resolvConf", &t_str, resolv_conf),
        F("cpuCFSQuota", &t_bool, cpu_cfs_quota),
        F("cpuCFSQuotaPeriod", &t_dur, cpu_cfs_quota_period_ms),
        F("nodeStatusMaxImages", &t_images, node_status_max_images),
        F("maxOpenFiles", &t_count64, max_open_files),
        F("contentType", &t_str, content_type),
        F("kubeAPIQPS", &t_count, kube_api_qps),
        F("kubeAPIBurst", &t_count, kube_api_burst),
        F("serializeImagePulls", &t_bool, serialize_image_pulls),
        F("maxParallelImagePulls", &t_positive, max_parallel_image_pulls),
        F("evictionHard", &t_map, eviction_hard),
        F("evictionSoft", &t_map, eviction_soft),
        F("evictionSoftGracePeriod", &t_map, eviction_soft_grace_period),
        F("evictionPressureTransitionPeriod", &t_dur, eviction_pressure_transition_period_ms),
        F("evictionMaxPodGracePeriod", &t_int32, eviction_max_pod_grace_period),
        F("evictionMinimumReclaim", &t_map, eviction_minimum_reclaim),
        F("podsPerCore", &t_count, pods_per_core),
        F("protectKernelDefaults", &t_bool, protect_kernel_defaults),
        F("failSwapOn", &t_bool, fail_swap_on),
        NEST("memorySwap", &t_swap),
        F("containerLogMaxSize", &t_str, container_log_max_size),
        F("containerLogMaxFiles", &t_log_files, container_log_max_files),
        F("containerLogMaxWorkers", &t_positive, container_log_max_workers),
        F("containerLogMonitorInterval", &t_dur, container_log_monitor_interval_ms),
        F("systemReserved", &t_map, system_reserved),
        F("kubeReserved", &t_map, kube_reserved),
        F("systemReservedCgroup", &t_str, system_reserved_cgroup),
        F("kubeReservedCgroup", &t_str, kube_reserved_cgroup),
        F("enforceNodeAllocatable", &t_strv, enforce_node_allocatable),
        F("allowedUnsafeSysctls", &t_strv, allowed_unsafe_sysctls),
        F("providerID", &t_str, provider_id),
        NEST("logging", &t_logging),
        F("shutdownGracePeriod", &t_dur, shutdown_grace_period_ms),
        F("shutdownGracePeriodCriticalPods", &t_dur, shutdown_grace_period_critical_pods_ms),
        F("seccompDefault", &t_bool, seccomp_default),
        F("registerWithTaints", &t_taints, register_with_taints),
        F("registerNode", &t_bool, register_node),
        F("localStorageCapacityIsolation", &t_bool, local_storage_capacity_isolation),
        F("containerRuntimeEndpoint", &t_str, container_runtime_endpoint),
        F("imageServiceEndpoint", &t_str, image_service_endpoint),
        F("failCgroupV1", &t_bool, fail_cgroup_v1),
        END,
};
static const struct jd_type t_kubelet_config = T_NEST(kc_fields);

/* --- loading --- */

static int check_type_meta(const char *name, json_t *doc, struct dh_err **err)
{
        static const struct { const char *key, *want; } meta[] = {
                { "kind", AGENT_CONFIG_KIND }, { "apiVersion", AGENT_CONFIG_API_VERSION },
        };
        for (size_t i = 0; i < DH_ARRAY_SIZE(meta); i++) {
                json_t *v = json_object_get(doc, meta[i].key);
                if (!v || json_is_null(v))
                        return dh_err_set(err, DH_EINVAL_INPUT, "%s: %s is missing, expected \"%s\"",
                                          name, meta[i].key, meta[i].want);
                if (!json_is_string(v) || strcmp(json_string_value(v), meta[i].want) != 0) {
                        _cleanup_free_ char *r = jd_render(v);
                        return dh_err_set(err, DH_EINVAL_INPUT, "%s: %s is %s, expected \"%s\"",
                                          name, meta[i].key, r ? r : "?", meta[i].want);
                }
        }
        return 0;
}

static bool json_has(json_t *doc, const char *key)
{
        json_t *v = json_object_get(doc, key);
        return v && !json_is_null(v);
}

/* kubelet's defaulting of the decoded file: zero values of non-pointer
 * fields become defaults, plus the rules that look at other fields. */
static void apply_file_defaults(struct agent_config *cfg, json_t *doc)
{
        /* An explicit nodeStatusUpdateFrequency is also the report frequency
         * unless that is given too (backward compatibility in kubelet). */
        bool report_unset = !json_has(doc, "nodeStatusReportFrequency") ||
                            cfg->node_status_report_frequency_ms == 0;
        bool update_given = json_has(doc, "nodeStatusUpdateFrequency") &&
                            cfg->node_status_update_frequency_ms != 0;
        for (size_t i = 0; i < DH_ARRAY_SIZE(int_defaults); i++)
                if (int_defaults[i].zero && INT_AT(cfg, int_defaults[i].off) == 0)
                        INT_AT(cfg, int_defaults[i].off) = int_defaults[i].def;
        for (size_t i = 0; i < DH_ARRAY_SIZE(str_defaults); i++) {
                char **s = &STR_AT(cfg, str_defaults[i].off);
                char *def = str_defaults[i].zero && *s && !**s ? strdup(str_defaults[i].def) : NULL;
                if (def) {
                        free(*s);
                        *s = def;
                }
        }
        if (report_unset && update_given)
                cfg->node_status_report_frequency_ms = cfg->node_status_update_frequency_ms;
        if (!json_has(doc, "serializeImagePulls") && cfg->max_parallel_image_pulls >= 2)
                cfg->serialize_image_pulls = false;
        if (cfg->pod_pids_limit < 0)
                cfg->pod_pids_limit = -1;
}

/* KubeletConfigurationPathRefs: relative paths given in the file are
 * relative to the file's directory. */
static int resolve_paths(struct agent_config *cfg, json_t *doc, const char *base_dir,
                         struct dh_err **err)
{
        static const struct { const char *k1, *k2, *k3; size_t off; } refs[] = {
                { "staticPodPath", NULL, NULL, O(static_pod_path) },
                { "authentication", "x509", "clientCAFile", O(client_ca_file) },
                { "tlsCertFile", NULL, NULL, O(tls_cert_file) },
                { "tlsPrivateKeyFile", NULL, NULL, O(tls_private_key_file) },
                { "resolvConf", NULL, NULL, O(resolv_conf) },
        };
        if (!base_dir)
                return 0;
        for (size_t i = 0; i < DH_ARRAY_SIZE(refs); i++) {
                json_t *v = json_object_get(doc, refs[i].k1);
                if (refs[i].k2)
                        v = json_object_get(json_object_get(v, refs[i].k2), refs[i].k3);
                char **p = &STR_AT(cfg, refs[i].off);
                if (!json_is_string(v) || !*p || !**p || **p == '/')
                        continue;
                char *joined = NULL;
                bool root = strcmp(base_dir, "/") == 0;
                if (asprintf(&joined, "%s/%s", root ? "" : base_dir, *p) < 0)
                        return dh_err_set(err, ENOMEM, "out of memory");
                free(*p);
                *p = joined;
        }
        return 0;
}

static int decode_doc(const char *name, json_t *doc, const char *base_dir,
                      struct agent_config *cfg, struct dh_err **err)
{
        int r = check_type_meta(name, doc, err);
        if (r < 0)
                return r;
        struct agent_config tmp;
        r = config_copy(&tmp, cfg, err);
        if (r < 0)
                return r;
        struct dh_ferrs errs = { 0 };
        struct jd_ctx c = { .errs = &errs };
        jd_decode_object(&c, doc, &tmp, &t_kubelet_config);
        if (errs.n || errs.dropped) {
                r = dh_ferrs_to_err(name, &errs, err);
                dh_ferrs_free(&errs);
                agent_config_free(&tmp);
                return r;
        }
        apply_file_defaults(&tmp, doc);
        r = resolve_paths(&tmp, doc, base_dir, err);
        if (r < 0) {
                agent_config_free(&tmp);
                return r;
        }
        agent_config_free(cfg);
        *cfg = tmp;
        return 0;
}

int agent_config_load_buffer(const char *name, const char *data, size_t len,
                             const char *base_dir, struct agent_config *cfg,
                             struct dh_err **err)
{
        struct dh_docs docs = { 0 };
        int r = dh_yaml_parse(data, len, &docs, err);
        if (r < 0)
                return dh_err_prefix(err, "%s", name);
        if (docs.n != 1)
                r = dh_err_set(err, DH_EINVAL_INPUT, docs.n ? "%s: expected one %s document, found %zu"
                                                           : "%s: no %s found: the file is empty",
                               name, AGENT_CONFIG_KIND, docs.n);
        else if (!json_is_object(docs.v[0]))
                r = dh_err_set(err, DH_EINVAL_INPUT, "%s: expected a %s object", name,
                               AGENT_CONFIG_KIND);
        else
                r = decode_doc(name, docs.v[0], base_dir, cfg, err);
        dh_docs_free(&docs);
        return r;
}

int agent_config_load_file(const char *path, struct agent_config *cfg, struct dh_err **err)
{
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        int r = dh_read_file(path, AGENT_CONFIG_FILE_MAX, &data, &len, err);
        if (r < 0)
                return r;
        const char *slash = strrchr(path, '/');
        _cleanup_free_ char *dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path))
                                         : NULL;
        if (slash && !dir)
                return dh_err_set(err, ENOMEM, "out of memory");
        return agent_config_load_buffer(path, data, len, dir, cfg, err);
}

/* --- validation (pkg/kubelet/apis/config/validation) --- */

static bool one_of(const char *s, const char *const *set)
{
        for (; *set; set++)
                if (s && strcmp(s, *set) == 0)
                        return true;
        return false;
}

static void problem(struct dh_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void problem(struct dh_buf *b, const char *fmt, ...)
{
        char msg[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        dh_buf_printf(b, NULL, "%s%s", b->len ? "; " : "", msg);
}

static void validate_enums(const struct agent_config *cfg, struct dh_buf *b)
{
        static const char *const drivers[] = { "cgroupfs", "systemd", NULL };
        static const char *const modes[] = { "AlwaysAllow", "Webhook", NULL };
        static const char *const swap[] = { "", "NoSwap", "LimitedSwap", NULL };
        static const char *const enforce[] = { "none", "pods", "system-reserved",
                                               "system-reserved-compressible", "kube-reserved",
                                               "kube-reserved-compressible", NULL };
        if (!one_of(cfg->cgroup_driver, drivers))
                problem(b, "cgroupDriver (--cgroup-driver) \"%s\" must be one of: \"cgroupfs\", \"systemd\"",
                        cfg->cgroup_driver ? cfg->cgroup_driver : "");
        if (!one_of(cfg->authz_mode, modes))
                problem(b, "authorization.mode (--authorization-mode) \"%s\" must be one of: "
                           "\"AlwaysAllow\", \"Webhook\"", cfg->authz_mode ? cfg->authz_mode : "");
        if (cfg->swap_behavior && !one_of(cfg->swap_behavior, swap))
                problem(b, "memorySwap.swapBehavior \"%s\" must be one of: \"\", \"LimitedSwap\" or \"NoSwap\"",
                        cfg->swap_behavior);
        for (size_t i = 0; i < cfg->enforce_node_allocatable.n; i++) {
                const char *v = cfg->enforce_node_allocatable.v[i];
                if (!one_of(v, enforce))
                        problem(b, "enforceNodeAllocatable (--enforce-node-allocatable) option \"%s\" "
                                   "is not supported", v ? v : "");
                else if (strcmp(v, "none") == 0 && cfg->enforce_node_allocatable.n > 1)
                        problem(b, "enforceNodeAllocatable (--enforce-node-allocatable) may not "
                                   "contain additional enforcements when \"none\" is specified");
        }
}

static void validate_taints(const agent_taints *t, struct dh_buf *b)
{
        for (size_t i = 0; i < t->n; i++) {
                const struct agent_taint *x = &t->v[i];
                const char *why = agent_label_key_problem(x->key ? x->key : "");
                if (!why && x->value)
                        why = agent_label_value_problem(x->value);
                if (!why && !one_of(x->effect, agent_taint_effects))
                        why = "effect must be one of NoSchedule, PreferNoSchedule, NoExecute";
                if (why)
                        problem(b, "registerWithTaints[%zu] (--register-with-taints): invalid taint "
                                   "\"%s\": %s", i, x->key ? x->key : "", why);
        }
}

static void validate_ranges(const struct agent_config *cfg, struct dh_buf *b)
{
        if (cfg->node_lease_duration_seconds <= 0)
                problem(b, "nodeLeaseDurationSeconds must be greater than 0");
        if (cfg->port < 1 || cfg->port > 65535)
                problem(b, "port (--port) %" PRId64 " must be between 1 and 65535, inclusive", cfg->port);
        if (cfg->system_cgroups && *cfg->system_cgroups && (!cfg->cgroup_root || !*cfg->cgroup_root))
                problem(b, "systemCgroups (--system-cgroups) was specified and cgroupRoot "
                           "(--cgroup-root) was not specified");
        if (cfg->image_gc_low_threshold_percent >= cfg->image_gc_high_threshold_percent)
                problem(b, "imageGCLowThresholdPercent (--image-gc-low-threshold) %" PRId64
                           " must be less than imageGCHighThresholdPercent (--image-gc-high-threshold) %" PRId64,
                        cfg->image_gc_low_threshold_percent, cfg->image_gc_high_threshold_percent);
        if (cfg->image_maximum_gc_age_ms > 0 &&
            cfg->image_maximum_gc_age_ms <= cfg->image_minimum_gc_age_ms)
                problem(b, "imageMaximumGCAge must be greater than imageMinimumGCAge");
        if (cfg->serialize_image_pulls && cfg->max_parallel_image_pulls > 1)
                problem(b, "maxParallelImagePulls cannot be larger than 1 unless serializeImagePulls "
                           "(--serialize-image-pulls) is set to false");
        if (cfg->cpu_cfs_quota_period_ms < 1 || cfg->cpu_cfs_quota_period_ms > 1000)
                problem(b, "cpuCFSQuotaPeriod (--cpu-cfs-quota-period) must be between 1ms and 1s, inclusive");
        int64_t sg = cfg->shutdown_grace_period_ms, sgc = cfg->shutdown_grace_period_critical_pods_ms;
        if (sgc > sg)
                problem(b, "shutdownGracePeriodCriticalPods must be <= shutdownGracePeriod");
        if ((sg > 0 && sg < 1000) || (sgc > 0 && sgc < 1000))
                problem(b, "shutdownGracePeriod and shutdownGracePeriodCriticalPods must be either "
                           "zero or otherwise >= 1 sec");
}

int agent_config_validate(const struct agent_config *cfg, struct dh_err **err)
{
        struct dh_buf b;
        dh_buf_init(&b, 16 * 1024);
        validate_ranges(cfg, &b);
        validate_enums(cfg, &b);
        validate_taints(&cfg->register_with_taints, &b);
        if (b.len == 0) {
                dh_buf_free(&b);
                return 0;
        }
        _cleanup_free_ char *msg = dh_buf_steal(&b);
        return dh_err_set(err, DH_EINVAL_INPUT, "invalid configuration: %s", msg ? msg : "?");
}

/* --- label syntax (k8s.io/apimachinery/pkg/util/validation) --- */

static bool is_alnum(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* [A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?, at most 63 bytes. */
static const char *name_problem(const char *s, size_t n)
{
        if (n > 63)
                return "must be no more than 63 characters";
        for (size_t i = 0; i < n; i++)
                if (!is_alnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
                        return "must consist of alphanumeric characters, '-', '_' or '.'";
        if (n && (!is_alnum(s[0]) || !is_alnum(s[n - 1])))
                return "must start and end with an alphanumeric character";
        return NULL;
}

const char *agent_label_key_problem(const char *key)
{
        const char *slash = strchr(key, '/');
        const char *name = slash ? slash + 1 : key;
        if (slash) {
                size_t pn = (size_t)(slash - key);
                if (pn == 0 || pn > 253)
                        return "prefix must be a DNS subdomain of 1 to 253 characters";
                for (size_t i = 0; i < pn; i++)
                        if ((key[i] >= 'A' && key[i] <= 'Z') ||
                            (!is_alnum(key[i]) && key[i] != '-' && key[i] != '.'))
                                return "prefix must be a lowercase DNS subdomain";
                if (!is_alnum(key[0]) || !is_alnum(key[pn - 1]))
                        return "prefix must start and end with an alphanumeric character";
        }
        if (!*name)
                return "name part must be non-empty";
        return name_problem(name, strlen(name));
}

const char *agent_label_value_problem(const char *value)
{
        return name_problem(value, strlen(value));
}

const char *agent_format_duration(int64_t ms, char *buf, size_t size)
{
        if (ms > INT64_MAX / 1000000 || ms < INT64_MIN / 1000000)
                ms = ms < 0 ? INT64_MIN / 1000000 : INT64_MAX / 1000000;
        return dh_format_duration_ns(ms * 1000000, buf, size);
}
