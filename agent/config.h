/* The agent's settings: kubelet's command-line-only settings plus the
 * subset of KubeletConfiguration (kubelet.config.k8s.io/v1beta1) deckhand
 * carries, with kubelet's defaults, and the loader for a config file.
 * Field comments give the KubeletConfiguration JSON name. Durations are
 * milliseconds; "bool" fields that are *bool upstream hold their default. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "lib/err.h"
#include "lib/jsondec.h"

#define AGENT_CONFIG_KIND "KubeletConfiguration"
#define AGENT_CONFIG_API_VERSION "kubelet.config.k8s.io/v1beta1"
/* Largest config file read. */
#define AGENT_CONFIG_FILE_MAX (1u << 20)

/* core/v1 Taint, as registerWithTaints and --register-with-taints give it. */
struct agent_taint {
        char *key;
        char *value;
        char *effect; /* NoSchedule, PreferNoSchedule or NoExecute */
};
typedef DH_VEC(struct agent_taint) agent_taints;
/* Frees the taints and leaves the list empty. */
void agent_taints_free(agent_taints *t);

struct agent_config {
        /* Command-line only (KubeletFlags). */
        char *config_path;          /* --config */
        char *kubeconfig;           /* --kubeconfig */
        char *bootstrap_kubeconfig; /* --bootstrap-kubeconfig */
        char *cert_dir;             /* --cert-dir */
        char *root_dir;             /* --root-dir */
        char *hostname_override;    /* --hostname-override */
        char *node_ip;              /* --node-ip (comma-separated, dual-stack) */
        struct dh_strmap node_labels; /* --node-labels, in the order given */
        char *pod_infra_container_image; /* --pod-infra-container-image */
        bool check_manifests;       /* --check-manifests (deckhand): validate and exit */

        /* KubeletConfiguration. */
        int64_t verbosity;          /* logging.verbosity, -v */
        bool enable_server;         /* enableServer */
        char *static_pod_path;      /* staticPodPath, --pod-manifest-path */
        char *pod_logs_dir;         /* podLogsDir */
        int64_t sync_frequency_ms;  /* syncFrequency */
        int64_t file_check_frequency_ms;   /* fileCheckFrequency */
        int64_t http_check_frequency_ms;   /* httpCheckFrequency */
        char *address;              /* address */
        int64_t port;               /* port */
        int64_t read_only_port;     /* readOnlyPort (0: disabled) */
        char *tls_cert_file;        /* tlsCertFile */
        char *tls_private_key_file; /* tlsPrivateKeyFile */
        struct dh_strv tls_cipher_suites; /* tlsCipherSuites */
        char *tls_min_version;      /* tlsMinVersion */
        bool rotate_certificates;   /* rotateCertificates */
        bool server_tls_bootstrap;  /* serverTLSBootstrap */
        char *client_ca_file;       /* authentication.x509.clientCAFile */
        bool authn_anonymous;       /* authentication.anonymous.enabled */
        bool authn_webhook;         /* authentication.webhook.enabled */
        int64_t authn_webhook_cache_ttl_ms;    /* authentication.webhook.cacheTTL */
        char *authz_mode;           /* authorization.mode: Webhook, AlwaysAllow */
        int64_t authz_cache_authorized_ttl_ms;   /* authorization.webhook.cacheAuthorizedTTL */
        int64_t authz_cache_unauthorized_ttl_ms; /* ...cacheUnauthorizedTTL */
        int64_t registry_pull_qps;  /* registryPullQPS */
        int64_t registry_burst;     /* registryBurst */
        int64_t event_record_qps;   /* eventRecordQPS */
        int64_t event_burst;        /* eventBurst */
        bool enable_debugging_handlers; /* enableDebuggingHandlers */
        int64_t healthz_port;       /* healthzPort (0: disabled) */
        char *healthz_bind_address; /* healthzBindAddress */
        int64_t oom_score_adj;      /* oomScoreAdj */
        char *cluster_domain;       /* clusterDomain */
        struct dh_strv cluster_dns; /* clusterDNS */
        int64_t node_status_update_frequency_ms; /* nodeStatusUpdateFrequency */
        int64_t node_status_report_frequency_ms; /* nodeStatusReportFrequency */
        int64_t node_lease_duration_seconds;     /* nodeLeaseDurationSeconds */
        int64_t image_minimum_gc_age_ms;         /* imageMinimumGCAge */
        int64_t image_maximum_gc_age_ms;         /* imageMaximumGCAge (0: off) */
        int64_t image_gc_high_threshold_percent; /* imageGCHighThresholdPercent */
        int64_t image_gc_low_threshold_percent;  /* imageGCLowThresholdPercent */
        char *kubelet_cgroups;      /* kubeletCgroups */
        char *system_cgroups;       /* systemCgroups */
        char *cgroup_root;          /* cgroupRoot */
        bool cgroups_per_qos;       /* cgroupsPerQOS */
        char *cgroup_driver;        /* cgroupDriver: cgroupfs, systemd */
        int64_t runtime_request_timeout_ms; /* runtimeRequestTimeout */
        int64_t max_pods;           /* maxPods */
        char *pod_cidr;             /* podCIDR */
        int64_t pod_pids_limit;     /* podPidsLimit (-1: node allocatable) */
        char *resolv_conf;          /* resolvConf ("": no DNS from the host) */
        bool cpu_cfs_quota;         /* cpuCFSQuota */
        int64_t cpu_cfs_quota_period_ms; /* cpuCFSQuotaPeriod */
        int64_t node_status_max_images;  /* nodeStatusMaxImages */
        int64_t max_open_files;     /* maxOpenFiles */
        char *content_type;         /* contentType */
        int64_t kube_api_qps;       /* kubeAPIQPS */
        int64_t kube_api_burst;     /* kubeAPIBurst */
        bool serialize_image_pulls; /* serializeImagePulls */
        int64_t max_parallel_image_pulls; /* maxParallelImagePulls (0: unset) */
        struct dh_strmap eviction_hard;   /* evictionHard */
        struct dh_strmap eviction_soft;   /* evictionSoft */
        struct dh_strmap eviction_soft_grace_period; /* evictionSoftGracePeriod */
        int64_t eviction_pressure_transition_period_ms; /* evictionPressureTransitionPeriod */
        int64_t eviction_max_pod_grace_period; /* evictionMaxPodGracePeriod (s) */
        struct dh_strmap eviction_minimum_reclaim; /* evictionMinimumReclaim */
        int64_t pods_per_core;      /* podsPerCore */
        bool protect_kernel_defaults; /* protectKernelDefaults */
        bool fail_swap_on;          /* failSwapOn */
        char *swap_behavior;        /* memorySwap.swapBehavior */
        char *container_log_max_size; /* containerLogMaxSize (a quantity) */
        int64_t container_log_max_files;   /* containerLogMaxFiles */
        int64_t container_log_max_workers; /* containerLogMaxWorkers */
        int64_t container_log_monitor_interval_ms; /* containerLogMonitorInterval */
        struct dh_strmap system_reserved;  /* systemReserved */
        struct dh_strmap kube_reserved;    /* kubeReserved */
        char *system_reserved_cgroup; /* systemReservedCgroup */
        char *kube_reserved_cgroup;   /* kubeReservedCgroup */
        struct dh_strv enforce_node_allocatable; /* enforceNodeAllocatable */
        struct dh_strv allowed_unsafe_sysctls;   /* allowedUnsafeSysctls */
        char *provider_id;          /* providerID */
        int64_t shutdown_grace_period_ms;               /* shutdownGracePeriod */
        int64_t shutdown_grace_period_critical_pods_ms; /* shutdownGracePeriodCriticalPods */
        bool seccomp_default;       /* seccompDefault */
        agent_taints register_with_taints; /* registerWithTaints */
        bool register_node;         /* registerNode */
        bool local_storage_capacity_isolation; /* localStorageCapacityIsolation */
        char *container_runtime_endpoint; /* containerRuntimeEndpoint */
        char *image_service_endpoint;     /* imageServiceEndpoint */
        bool fail_cgroup_v1;        /* failCgroupV1 */
};

/* Fills cfg with kubelet's defaults (deckhand's paths for the
 * command-line-only ones). -ENOMEM on allocation failure (cfg is then
 * freeable). */
int agent_config_init(struct agent_config *cfg, struct dh_err **err);
/* Frees every owned member; cfg may be zero-filled. Leaves cfg zeroed. */
void agent_config_free(struct agent_config *cfg);

/* Overlays a KubeletConfiguration file (YAML or JSON) onto cfg, applying
 * kubelet's defaulting of zero values, and resolving relative paths in it
 * against the file's directory as kubelet does. Unknown fields are ignored.
 * Errors name the file: a wrong kind/apiVersion, a syntax error, or every
 * field error ("<path>: maxPods: Invalid value: ..."). On failure cfg is
 * left unchanged. */
int agent_config_load_file(const char *path, struct agent_config *cfg, struct dh_err **err);
/* Same for a buffer already read; name is used in messages, base_dir for
 * relative paths (NULL: leave them). */
int agent_config_load_buffer(const char *name, const char *data, size_t len,
                             const char *base_dir, struct agent_config *cfg,
                             struct dh_err **err);

/* Cross-field checks kubelet's ValidateKubeletConfiguration makes, on the
 * merged result of defaults, file and flags. */
int agent_config_validate(const struct agent_config *cfg, struct dh_err **err);

/* Checks a label key (qualified name) and value. NULL when valid, else a
 * static description of what is wrong. */
const char *agent_label_key_problem(const char *key);
const char *agent_label_value_problem(const char *value);
/* The taint effects kubelet accepts, NULL-terminated. */
extern const char *const agent_taint_effects[];

/* Formats a duration as Go's time.Duration.String does ("20s", "1m0s",
 * "1h30m0s", "250ms", "0s") into buf. */
const char *agent_format_duration(int64_t ms, char *buf, size_t size);
