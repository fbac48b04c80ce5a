/* From a Pod to CRI configs, as the kubelet's kuberuntime builds them
 * (generatePodSandboxConfig, generateContainerConfig and their helpers):
 * pure functions of the pod, what the node knows and what the volume and
 * image managers prepared. Nothing here touches the system; the caller
 * reads resolv.conf, creates the log directories and runs the result. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cri/cri.h"
#include "lib/err.h"
#include "pod/types.h"

/* What the kubelet's configuration and the node's status give these
 * functions. Strings are borrowed. */
struct agent_node_info {
        const char *name;
        /* The text of the file --resolv-conf names (read by the caller,
         * bounded); NULL means --resolv-conf="", which gives Default pods a
         * loopback nameserver and search "." as the kubelet does. */
        const char *resolv_conf;
        const char *node_ip;                /* picks 127.0.0.1 or ::1 above */
        const char *const *cluster_dns;     /* --cluster-dns; may be empty */
        size_t n_cluster_dns;
        const char *cluster_domain;         /* --cluster-domain; NULL/"" none */
        const char *pod_logs_root;          /* NULL: "/var/log/pods" */
        const char *seccomp_root;           /* NULL: "/var/lib/kubelet/seccomp" */
        bool seccomp_default;               /* --seccomp-default */
        bool no_cpu_cfs_quota;              /* --cpu-cfs-quota=false */
        int64_t cpu_cfs_quota_period_us;    /* 0: 100000 */
        int64_t memory_capacity;            /* bytes, for Burstable oom_score_adj */
        /* podPidsLimit: > 0 caps the processes of each container (the
         * kubelet caps the pod's cgroup as a whole); <= 0 none. */
        int64_t pod_pids_limit;
        /* Node allocatable: the limits resourceFieldRef reports for a
         * container that sets none (0: not known, the limit stays 0). */
        int64_t allocatable_milli_cpu, allocatable_memory, allocatable_ephemeral_storage;
};

/* What other managers prepared for one container. Borrowed. */
struct agent_container_extras {
        const struct rt_mount *mounts; /* the volume manager's, in order */
        size_t n_mounts;
        const struct rt_device *devices;
        size_t n_devices;
        const char *pod_ip, *host_ip;  /* status.podIP(s), status.hostIP(s) */
        const char *image_ref;         /* the image service's id; NULL: spec image */
        /* The image's user (ImageStatus uid / username) for runAsNonRoot
         * and for run_as_user when the pod sets none. */
        struct rt_int64_value image_uid;
        const char *image_username;
};

/* The sandbox config for the pod's attempt-th sandbox. Fails (EINVAL) on
 * what the kubelet refuses: a bad hostname or subdomain, an FQDN over 64
 * characters, a Localhost seccomp profile without a name, or a pod whose
 * cgroup parent cannot be formed. *out is untouched on failure. */
int agent_sandbox_config(const struct pod *pod, const struct agent_node_info *node,
                         uint32_t attempt, struct rt_sandbox_config *out, struct dh_err **err);

/* The config for container c of pod (init: c is in initContainers) on its
 * restart_count-th restart. Fails (EINVAL) where the kubelet's
 * generateContainerConfig would: runAsNonRoot against a root or
 * non-numeric user, an env var from a ConfigMap or Secret (a static pod
 * has no API server to read them from), an unsupported fieldRef or
 * resourceFieldRef. *out is untouched on failure. */
int agent_container_config(const struct pod *pod, const struct pod_container *c, bool init,
                           int32_t restart_count, const struct agent_node_info *node,
                           const struct agent_container_extras *x,
                           struct rt_container_config *out, struct dh_err **err);

/* $(VAR) expansion as the kubelet's (third_party/forked/golang/expansion):
 * "$$" is a literal "$", "$(NAME)" is lookup's value for NAME or, when
 * lookup returns NULL, stays as written; anything else is copied. The
 * result is at most AGENT_EXPAND_MAX bytes (DH_ELIMIT past it). */
#define AGENT_EXPAND_MAX (1u << 20)
typedef const char *(*agent_expand_lookup_fn)(void *ud, const char *name);
int agent_expand(const char *s, agent_expand_lookup_fn lookup, void *ud, char **out,
                 struct dh_err **err);

/* The container's environment as the kubelet's makeEnvironmentVariables
 * makes it for a pod without an API server: envFrom is refused, env in
 * order with $(VAR) expanded against earlier ones, fieldRef and
 * resourceFieldRef resolved. A name set twice keeps its first place and
 * its last value. Service links are not added (there are no services). */
int agent_container_env(const struct pod *pod, const struct pod_container *c,
                        const struct agent_node_info *node, const struct agent_container_extras *x,
                        struct rt_kvs *out, struct dh_err **err);

/* resolv.conf parsed as the kubelet's parseResolvConf: nameservers
 * accumulate, the last search line wins (without "." and trailing dots),
 * options merge by name. */
int agent_parse_resolv_conf(const char *text, struct rt_dns_config *out, struct dh_err **err);

/* The kubelet's oom_score_adj for a container (pkg/kubelet/qos/policy.go). */
int64_t agent_oom_score_adj(const struct pod *pod, const struct pod_container *c,
                            int64_t memory_capacity);
