/* The core/v1 Pod as C structs: everything a kubelet acts on. Field names
 * follow the API's JSON names in snake_case-free camel form so a reader can
 * map each member to the Kubernetes reference at a glance. Optional scalars
 * are dh_opt_* (set/unset); optional sub-objects are pointers (NULL when
 * absent); lists are DH_VEC. Decoded by pod/decode.c, freed by pod_free(). */
#pragma once
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "lib/jsondec.h"
#include "pod/quantity.h"

struct pod_resource {
        char *name; /* "cpu", "memory", "ephemeral-storage", "hugepages-2Mi"... */
        struct pod_quantity q;
};
struct pod_resource_list {
        struct pod_resource *v;
        size_t n;
};

struct pod_owner_ref {
        char *apiVersion, *kind, *name, *uid;
        struct dh_opt_bool controller, blockOwnerDeletion;
};

struct pod_meta {
        char *name, *generateName, *namespace, *uid, *resourceVersion;
        char *creationTimestamp, *deletionTimestamp;
        struct dh_opt_i64 generation, deletionGracePeriodSeconds;
        struct dh_strmap labels, annotations;
        DH_VEC(struct pod_owner_ref) ownerReferences;
        struct dh_strv finalizers;
};

/* --- probes and handlers --- */
struct pod_exec_action {
        struct dh_strv command;
};
struct pod_http_header {
        char *name, *value;
};
struct pod_http_get {
        char *path, *host, *scheme;
        struct dh_intstr port;
        DH_VEC(struct pod_http_header) httpHeaders;
};
struct pod_tcp_socket {
        char *host;
        struct dh_intstr port;
};
struct pod_grpc_action {
        struct dh_opt_i64 port;
        char *service; /* NULL: the server's overall health */
};
struct pod_sleep_action {
        struct dh_opt_i64 seconds;
};

struct pod_probe {
        struct pod_exec_action *exec;
        struct pod_http_get *httpGet;
        struct pod_tcp_socket *tcpSocket;
        struct pod_grpc_action *grpc;
        struct dh_opt_i64 initialDelaySeconds, timeoutSeconds, periodSeconds;
        struct dh_opt_i64 successThreshold, failureThreshold;
        struct dh_opt_i64 terminationGracePeriodSeconds;
};

struct pod_lifecycle_handler {
        struct pod_exec_action *exec;
        struct pod_http_get *httpGet;
        struct pod_tcp_socket *tcpSocket;
        struct pod_sleep_action *sleep;
};
struct pod_lifecycle {
        struct pod_lifecycle_handler *postStart, *preStop;
        char *stopSignal;
};

/* --- security --- */
struct pod_capabilities {
        struct dh_strv add, drop;
};
struct pod_selinux_options {
        char *user, *role, *type, *level;
};
struct pod_seccomp_profile {
        char *type; /* RuntimeDefault, Unconfined, Localhost */
        char *localhostProfile;
};
struct pod_security_context {
        struct pod_capabilities *capabilities;
        struct dh_opt_bool privileged, runAsNonRoot, readOnlyRootFilesystem;
        struct dh_opt_bool allowPrivilegeEscalation;
        struct pod_selinux_options *seLinuxOptions;
        struct dh_opt_i64 runAsUser, runAsGroup;
        char *procMount; /* Default, Unmasked */
        struct pod_seccomp_profile *seccompProfile, *appArmorProfile;
        json_t *windowsOptions;
};
struct pod_sysctl {
        char *name, *value;
};
struct pod_pod_security_context {
        struct pod_selinux_options *seLinuxOptions;
        struct dh_opt_i64 runAsUser, runAsGroup, fsGroup;
        struct dh_opt_bool runAsNonRoot;
        DH_VEC(struct dh_opt_i64) supplementalGroups;
        char *supplementalGroupsPolicy, *fsGroupChangePolicy;
        DH_VEC(struct pod_sysctl) sysctls;
        struct pod_seccomp_profile *seccompProfile, *appArmorProfile;
        json_t *windowsOptions;
};

/* --- env --- */
struct pod_object_field_selector {
        char *apiVersion, *fieldPath;
};
struct pod_resource_field_selector {
        char *containerName, *resource;
        struct pod_quantity divisor;
};
struct pod_key_selector { /* configMapKeyRef / secretKeyRef */
        char *name, *key;
        struct dh_opt_bool optional;
};
struct pod_env_var_source {
        struct pod_object_field_selector *fieldRef;
        struct pod_resource_field_selector *resourceFieldRef;
        struct pod_key_selector *configMapKeyRef, *secretKeyRef;
};
struct pod_env_var {
        char *name, *value;
        struct pod_env_var_source *valueFrom;
};
struct pod_env_source_ref { /* configMapRef / secretRef */
        char *name;
        struct dh_opt_bool optional;
};
struct pod_env_from {
        char *prefix;
        struct pod_env_source_ref *configMapRef, *secretRef;
};

/* --- container --- */
struct pod_container_port {
        char *name, *protocol, *hostIP;
        struct dh_opt_i64 containerPort, hostPort;
};
struct pod_resources {
        struct pod_resource_list limits, requests;
        json_t *claims;
};
struct pod_volume_mount {
        char *name, *mountPath, *subPath, *subPathExpr, *mountPropagation;
        char *recursiveReadOnly;
        struct dh_opt_bool readOnly;
};
struct pod_volume_device {
        char *name, *devicePath;
};

struct pod_container {
        char *name, *image, *workingDir;
        struct dh_strv command, args;
        DH_VEC(struct pod_container_port) ports;
        DH_VEC(struct pod_env_from) envFrom;
        DH_VEC(struct pod_env_var) env;
        struct pod_resources resources;
        json_t *resizePolicy;
        char *restartPolicy; /* init containers only: "Always" = sidecar */
        DH_VEC(struct pod_volume_mount) volumeMounts;
        DH_VEC(struct pod_volume_device) volumeDevices;
        struct pod_probe *livenessProbe, *readinessProbe, *startupProbe;
        struct pod_lifecycle *lifecycle;
        char *terminationMessagePath, *terminationMessagePolicy, *imagePullPolicy;
        struct pod_security_context *securityContext;
        struct dh_opt_bool stdin, stdinOnce, tty;
        char *targetContainerName; /* ephemeral containers only */
};

/* --- volumes --- */
struct pod_key_to_path {
        char *key, *path;
        struct dh_opt_i64 mode;
};
struct pod_host_path {
        char *path, *type;
};
struct pod_empty_dir {
        char *medium;
        struct pod_quantity sizeLimit;
};
struct pod_secret_volume {
        char *secretName;
        DH_VEC(struct pod_key_to_path) items;
        struct dh_opt_i64 defaultMode;
        struct dh_opt_bool optional;
};
struct pod_configmap_volume {
        char *name;
        DH_VEC(struct pod_key_to_path) items;
        struct dh_opt_i64 defaultMode;
        struct dh_opt_bool optional;
};
struct pod_pvc_volume {
        char *claimName;
        struct dh_opt_bool readOnly;
};
struct pod_downward_file {
        char *path;
        struct pod_object_field_selector *fieldRef;
        struct pod_resource_field_selector *resourceFieldRef;
        struct dh_opt_i64 mode;
};
struct pod_downward_volume {
        DH_VEC(struct pod_downward_file) items;
        struct dh_opt_i64 defaultMode;
};
struct pod_sa_token_projection {
        char *audience, *path;
        struct dh_opt_i64 expirationSeconds;
};
struct pod_projection_ref { /* secret / configMap inside projected */
        char *name;
        DH_VEC(struct pod_key_to_path) items;
        struct dh_opt_bool optional;
};
struct pod_volume_projection {
        struct pod_projection_ref *secret, *configMap;
        struct pod_downward_volume *downwardAPI;
        struct pod_sa_token_projection *serviceAccountToken;
        json_t *clusterTrustBundle;
};
struct pod_projected_volume {
        DH_VEC(struct pod_volume_projection) sources;
        struct dh_opt_i64 defaultMode;
};
struct pod_nfs_volume {
        char *server, *path;
        struct dh_opt_bool readOnly;
};
struct pod_local_object_ref {
        char *name;
};
struct pod_csi_volume {
        char *driver, *fsType;
        struct dh_opt_bool readOnly;
        struct dh_strmap volumeAttributes;
        struct pod_local_object_ref *nodePublishSecretRef;
};
struct pod_image_volume {
        char *reference, *pullPolicy;
};

/* Legacy in-tree sources the kubelet may still mount; kept as raw JSON so
 * "one source per volume" sees them. Order matches pod_volume_legacy_keys. */
#define POD_VOLUME_N_LEGACY 19
extern const char *const pod_volume_legacy_keys[POD_VOLUME_N_LEGACY];

struct pod_volume {
        char *name;
        struct pod_host_path *hostPath;
        struct pod_empty_dir *emptyDir;
        struct pod_secret_volume *secret;
        struct pod_configmap_volume *configMap;
        struct pod_pvc_volume *persistentVolumeClaim;
        struct pod_downward_volume *downwardAPI;
        struct pod_projected_volume *projected;
        struct pod_nfs_volume *nfs;
        struct pod_csi_volume *csi;
        json_t *ephemeral;
        struct pod_image_volume *image;
        json_t *legacy[POD_VOLUME_N_LEGACY];
};

/* --- scheduling --- */
struct pod_node_selector_req {
        char *key, *operator;
        struct dh_strv values;
};
struct pod_node_selector_term {
        DH_VEC(struct pod_node_selector_req) matchExpressions, matchFields;
};
struct pod_node_selector {
        DH_VEC(struct pod_node_selector_term) nodeSelectorTerms;
};
struct pod_preferred_term {
        struct dh_opt_i64 weight;
        struct pod_node_selector_term preference;
};
struct pod_node_affinity {
        struct pod_node_selector *requiredDuringSchedulingIgnoredDuringExecution;
        DH_VEC(struct pod_preferred_term) preferredDuringSchedulingIgnoredDuringExecution;
};
struct pod_affinity {
        struct pod_node_affinity *nodeAffinity;
        json_t *podAffinity, *podAntiAffinity; /* scheduler's business */
};
struct pod_toleration {
        char *key, *operator, *value, *effect;
        struct dh_opt_i64 tolerationSeconds;
};
struct pod_host_alias {
        char *ip;
        struct dh_strv hostnames;
};
struct pod_dns_option {
        char *name, *value;
};
struct pod_dns_config {
        struct dh_strv nameservers, searches;
        DH_VEC(struct pod_dns_option) options;
};
struct pod_readiness_gate {
        char *conditionType;
};
struct pod_os {
        char *name;
};

struct pod_spec {
        DH_VEC(struct pod_volume) volumes;
        DH_VEC(struct pod_container) initContainers, containers, ephemeralContainers;
        char *restartPolicy, *dnsPolicy, *serviceAccountName, *serviceAccount;
        char *nodeName, *hostname, *subdomain, *schedulerName;
        char *priorityClassName, *runtimeClassName, *preemptionPolicy;
        struct dh_opt_i64 terminationGracePeriodSeconds, activeDeadlineSeconds, priority;
        struct dh_strmap nodeSelector;
        struct dh_opt_bool automountServiceAccountToken, hostNetwork, hostPID, hostIPC;
        struct dh_opt_bool shareProcessNamespace, enableServiceLinks, hostUsers;
        struct dh_opt_bool setHostnameAsFQDN;
        struct pod_pod_security_context *securityContext;
        DH_VEC(struct pod_local_object_ref) imagePullSecrets;
        struct pod_affinity *affinity;
        DH_VEC(struct pod_toleration) tolerations;
        DH_VEC(struct pod_host_alias) hostAliases;
        struct pod_dns_config *dnsConfig;
        DH_VEC(struct pod_readiness_gate) readinessGates;
        struct pod_resource_list overhead;
        struct pod_os *os;
        json_t *topologySpreadConstraints;
};

/* Only the phase: the rest of the status is the kubelet's to report, and a
 * manifest's status is overwritten (static pods start Pending). */
struct pod_status {
        char *phase;
};

struct pod {
        char *apiVersion, *kind;
        struct pod_meta metadata;
        struct pod_spec spec;
        struct pod_status status;
};
