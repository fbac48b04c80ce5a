/* The CRI-shaped runtime interface. Types mirror CRI v1
 * (k8s.io/cri-api runtime/v1/api.proto) field for field where deckhand uses
 * them, so a remote CRI back end (containerd over gRPC) can sit behind the
 * same ops table as the built-in one. Names are CRI's in snake_case; times
 * are Unix nanoseconds; every struct owns its strings (rt_*_free). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"
#include "lib/jsondec.h"
#include "lib/loop.h"

/* --- shared --- */
struct rt_kv {
        char *key, *value;
};
struct rt_kvs {
        struct rt_kv *v;
        size_t n;
};

enum rt_namespace_mode { RT_NS_POD = 0, RT_NS_CONTAINER = 1, RT_NS_NODE = 2, RT_NS_TARGET = 3 };
struct rt_namespace_options {
        enum rt_namespace_mode network, pid, ipc;
        char *target_id;
};

enum rt_seccomp_type { RT_SECCOMP_RUNTIME_DEFAULT = 0, RT_SECCOMP_UNCONFINED = 1,
                       RT_SECCOMP_LOCALHOST = 2 };
struct rt_security_profile {
        enum rt_seccomp_type profile_type;
        char *localhost_ref; /* path of a Localhost profile (OCI seccomp JSON) */
};

struct rt_int64_value {
        int64_t value;
        bool set;
};

/* --- sandbox --- */
struct rt_sandbox_metadata {
        char *name, *uid, *namespace;
        uint32_t attempt;
};
struct rt_dns_config {
        struct dh_strv servers, searches, options;
};
enum rt_protocol { RT_PROTO_TCP = 0, RT_PROTO_UDP = 1, RT_PROTO_SCTP = 2 };
struct rt_port_mapping {
        enum rt_protocol protocol;
        int32_t container_port, host_port;
        char *host_ip;
};
struct rt_sandbox_security_context {
        struct rt_namespace_options namespace_options;
        struct rt_int64_value run_as_user, run_as_group;
        bool readonly_rootfs, privileged;
        DH_VEC(int64_t) supplemental_groups;
        struct rt_security_profile seccomp;
};
struct rt_linux_sandbox_config {
        char *cgroup_parent; /* "kubepods/burstable/pod<uid>" */
        struct rt_sandbox_security_context security_context;
        struct rt_kvs sysctls;
};
struct rt_sandbox_config {
        struct rt_sandbox_metadata metadata;
        char *hostname, *log_directory;
        struct rt_dns_config dns_config; /* written as the pod's resolv.conf */
        bool has_dns_config;
        DH_VEC(struct rt_port_mapping) port_mappings;
        struct rt_kvs labels, annotations;
        struct rt_linux_sandbox_config linux_cfg; /* "linux" (a GNU C macro name) */
};

enum rt_sandbox_state { RT_SANDBOX_READY = 0, RT_SANDBOX_NOTREADY = 1 };
struct rt_sandbox_status {
        char *id;
        struct rt_sandbox_metadata metadata;
        enum rt_sandbox_state state;
        int64_t created_at;
        char *ip; /* network.ip; NULL until networking exists */
        struct dh_strv additional_ips;
        struct rt_namespace_options namespace_options;
        struct rt_kvs labels, annotations;
        char *runtime_handler;
        /* built-in runtime extras (CRI's verbose "info") */
        int shim_pid;
        char *netns_path;
};
struct rt_sandbox_filter {
        char *id; /* prefix match, as crictl */
        bool has_state;
        enum rt_sandbox_state state;
        struct rt_kvs label_selector;
};
struct rt_sandbox_list {
        struct rt_sandbox_status *v;
        size_t n;
};

/* --- containers --- */
enum rt_mount_propagation { RT_PROPAGATION_PRIVATE = 0, RT_PROPAGATION_HOST_TO_CONTAINER = 1,
                            RT_PROPAGATION_BIDIRECTIONAL = 2 };
struct rt_mount {
        char *container_path, *host_path;
        bool readonly, selinux_relabel, recursive_read_only;
        enum rt_mount_propagation propagation;
};
struct rt_device {
        char *container_path, *host_path, *permissions;
};
struct rt_capability {
        struct dh_strv add_capabilities, drop_capabilities, add_ambient_capabilities;
};
struct rt_container_security_context {
        struct rt_capability capabilities;
        bool privileged, readonly_rootfs, no_new_privs;
        struct rt_namespace_options namespace_options;
        struct rt_int64_value run_as_user, run_as_group;
        char *run_as_username;
        DH_VEC(int64_t) supplemental_groups;
        struct dh_strv masked_paths, readonly_paths;
        struct rt_security_profile seccomp;
};
struct rt_linux_resources {
        int64_t cpu_period, cpu_quota, cpu_shares, memory_limit_in_bytes, oom_score_adj;
        char *cpuset_cpus, *cpuset_mems;
        int64_t pids_limit; /* deckhand: the pod's pids limit, -1 unlimited, 0 unset */
};
struct rt_container_metadata {
        char *name;
        uint32_t attempt;
};
struct rt_image_spec {
        char *image; /* a reference, or "rootfs:/abs/dir" for a plain directory */
};
struct rt_linux_container_config {
        struct rt_linux_resources resources;
        struct rt_container_security_context security_context;
};
struct rt_container_config {
        struct rt_container_metadata metadata;
        struct rt_image_spec image;
        struct dh_strv command, args;
        char *working_dir;
        struct rt_kvs envs;
        DH_VEC(struct rt_mount) mounts;
        DH_VEC(struct rt_device) devices;
        struct rt_kvs labels, annotations;
        char *log_path; /* relative to the sandbox's log_directory */
        bool stdin, stdin_once, tty;
        struct rt_linux_container_config linux_cfg; /* "linux" */
        char *stop_signal; /* "SIGTERM"...; NULL: the image's, else SIGTERM */
};

enum rt_container_state { RT_CONTAINER_CREATED = 0, RT_CONTAINER_RUNNING = 1,
                          RT_CONTAINER_EXITED = 2, RT_CONTAINER_UNKNOWN = 3 };
struct rt_container_status {
        char *id, *sandbox_id;
        struct rt_container_metadata metadata;
        enum rt_container_state state;
        int64_t created_at, started_at, finished_at;
        int32_t exit_code;
        char *image, *image_ref;
        char *reason;  /* "Completed", "Error", "OOMKilled", "ContainerCannotRun"... */
        char *message;
        struct rt_kvs labels, annotations;
        DH_VEC(struct rt_mount) mounts;
        char *log_path; /* absolute */
        int pid;        /* built-in extra: host pid of the container's init, 0 when not running */
};
struct rt_container_filter {
        char *id, *pod_sandbox_id; /* prefix match */
        bool has_state;
        enum rt_container_state state;
        struct rt_kvs label_selector;
};
struct rt_container_list {
        struct rt_container_status *v;
        size_t n;
};

struct rt_exec_sync_result {
        char *stdout_buf, *stderr_buf;
        size_t stdout_len, stderr_len;
        bool stdout_truncated, stderr_truncated;
        int32_t exit_code;
        bool timed_out;
};

/* Interactive exec: the caller's fds become the process's stdio (passed
 * over the runtime's socket). With tty, stdin_fd is a terminal and the
 * runtime allocates a pty inside. */
struct rt_exec_request {
        char *container_id;
        struct dh_strv cmd;
        bool tty;
        unsigned rows, cols;                /* the terminal's size, with tty */
        int stdin_fd, stdout_fd, stderr_fd; /* -1: none */
};

/* --- stats --- */
struct rt_container_stats {
        char *id, *name;
        int64_t timestamp;
        uint64_t cpu_usage_core_nano_seconds, memory_working_set_bytes, memory_usage_bytes;
        uint64_t memory_rss_bytes, memory_page_faults, memory_major_page_faults;
        uint64_t writable_layer_used_bytes;
        uint64_t process_count;
};
struct rt_container_stats_list {
        struct rt_container_stats *v;
        size_t n;
};
struct rt_sandbox_stats {
        char *id;
        int64_t timestamp;
        uint64_t cpu_usage_core_nano_seconds, memory_working_set_bytes, memory_usage_bytes;
        uint64_t process_count;
        struct rt_container_stats_list containers;
};

struct rt_version {
        char *version, *runtime_name, *runtime_version, *runtime_api_version;
};
struct rt_condition {
        char *type, *reason, *message;
        bool status;
};
struct rt_status {
        struct rt_condition runtime_ready, network_ready;
};

/* --- images (CRI ImageService) --- */
struct rt_auth_config {
        char *username, *password;
        char *auth;            /* base64 "user:pass" */
        char *server_address;
        char *identity_token, *registry_token;
};
struct rt_image {
        char *id;
        struct dh_strv repo_tags, repo_digests;
        uint64_t size;
        struct rt_int64_value uid; /* the image's numeric User, if it is one */
        char *username;            /* the image's User when not numeric */
        bool pinned;
        /* deckhand extras for GC and `deckctl images`: */
        int64_t created_ns, last_used_ns;
};
struct rt_image_list {
        struct rt_image *v;
        size_t n;
};
struct rt_image_filter {
        char *image; /* a reference; NULL: all */
};
struct rt_filesystem_usage {
        int64_t timestamp;
        char *mountpoint;
        uint64_t used_bytes, inodes_used;
        uint64_t capacity_bytes, available_bytes; /* deckhand extras, for GC */
};
/* err NULL on success; image_ref is the image id (config digest). */
typedef void (*rt_pull_done_fn)(void *ud, const char *image_ref, const struct dh_err *err);

/* --- the ops table --- */
struct rt;

struct rt_ops {
        const char *name;
        void (*close)(struct rt *rt);
        int (*version)(struct rt *rt, struct rt_version *out, struct dh_err **err);
        int (*status)(struct rt *rt, struct rt_status *out, struct dh_err **err);

        int (*run_pod_sandbox)(struct rt *rt, const struct rt_sandbox_config *cfg,
                               const char *runtime_handler, char **id_out, struct dh_err **err);
        int (*stop_pod_sandbox)(struct rt *rt, const char *id, struct dh_err **err);
        int (*remove_pod_sandbox)(struct rt *rt, const char *id, struct dh_err **err);
        int (*pod_sandbox_status)(struct rt *rt, const char *id, struct rt_sandbox_status *out,
                                  struct dh_err **err);
        int (*list_pod_sandbox)(struct rt *rt, const struct rt_sandbox_filter *f,
                                struct rt_sandbox_list *out, struct dh_err **err);
        /* Optional (deckhand's stand-in for CRI's container events): a
         * value that changes whenever a sandbox or container appears, goes
         * or changes state, cheap to get; equal tokens mean the lists did
         * not change. NULL: the caller lists every time. */
        int (*state_token)(struct rt *rt, uint64_t *out, struct dh_err **err);

        int (*create_container)(struct rt *rt, const char *sandbox_id,
                                const struct rt_container_config *cfg,
                                const struct rt_sandbox_config *sandbox_cfg, char **id_out,
                                struct dh_err **err);
        int (*start_container)(struct rt *rt, const char *id, struct dh_err **err);
        /* Blocks up to timeout_s (+ the kill) like CRI's StopContainer. */
        int (*stop_container)(struct rt *rt, const char *id, int64_t timeout_s, struct dh_err **err);
        int (*remove_container)(struct rt *rt, const char *id, struct dh_err **err);
        int (*list_containers)(struct rt *rt, const struct rt_container_filter *f,
                               struct rt_container_list *out, struct dh_err **err);
        int (*container_status)(struct rt *rt, const char *id, struct rt_container_status *out,
                                struct dh_err **err);
        int (*update_container_resources)(struct rt *rt, const char *id,
                                          const struct rt_linux_resources *r, struct dh_err **err);
        int (*exec_sync)(struct rt *rt, const char *id, const struct dh_strv *cmd,
                         int64_t timeout_s, size_t max_output, struct rt_exec_sync_result *out,
                         struct dh_err **err);
        /* Runs cmd with the request's fds; returns its exit code in *exit_code. */
        int (*exec)(struct rt *rt, const struct rt_exec_request *req, int32_t *exit_code,
                    struct dh_err **err);
        int (*reopen_container_log)(struct rt *rt, const char *id, struct dh_err **err);
        int (*container_stats)(struct rt *rt, const char *id, struct rt_container_stats *out,
                               struct dh_err **err);
        int (*list_container_stats)(struct rt *rt, const struct rt_container_filter *f,
                                    struct rt_container_stats_list *out, struct dh_err **err);
        int (*pod_sandbox_stats)(struct rt *rt, const char *id, struct rt_sandbox_stats *out,
                                 struct dh_err **err);

        /* ImageService. PullImage is asynchronous: done runs from the
         * runtime's event loop (rt_pull_image_sync waits for it). */
        int (*pull_image)(struct rt *rt, const struct rt_image_spec *image,
                          const struct rt_auth_config *auth, rt_pull_done_fn done, void *ud,
                          struct dh_err **err);
        int (*list_images)(struct rt *rt, const struct rt_image_filter *f, struct rt_image_list *out,
                           struct dh_err **err);
        /* *found is false (and 0 returned) when the image is not present. */
        int (*image_status)(struct rt *rt, const struct rt_image_spec *image, struct rt_image *out,
                            bool *found, struct dh_err **err);
        /* Refused (EBUSY) while a container uses the image; absent is not
         * an error (as CRI). */
        int (*remove_image)(struct rt *rt, const struct rt_image_spec *image, struct dh_err **err);
        int (*image_fs_info)(struct rt *rt, struct rt_filesystem_usage *out, struct dh_err **err);
        /* deckhand extras: remove what no image uses; mark an image used. */
        int (*prune_images)(struct rt *rt, int64_t *freed_bytes, struct dh_err **err);
};

struct rt {
        const struct rt_ops *ops;
};

/* Frees what the structs own (not the struct itself); NULL-safe. */
void rt_kvs_free(struct rt_kvs *k);
int rt_kvs_copy(struct rt_kvs *dst, const struct rt_kvs *src); /* -ENOMEM */
void rt_sandbox_config_free(struct rt_sandbox_config *c);
void rt_container_config_free(struct rt_container_config *c);
void rt_sandbox_status_free(struct rt_sandbox_status *s);
void rt_sandbox_list_free(struct rt_sandbox_list *l);
void rt_container_status_free(struct rt_container_status *s);
void rt_container_list_free(struct rt_container_list *l);
void rt_exec_sync_result_free(struct rt_exec_sync_result *r);
void rt_container_stats_free(struct rt_container_stats *s);
void rt_container_stats_list_free(struct rt_container_stats_list *l);
void rt_sandbox_stats_free(struct rt_sandbox_stats *s);
void rt_version_free(struct rt_version *v);
void rt_status_free(struct rt_status *s);
void rt_auth_config_free(struct rt_auth_config *a);
void rt_image_free(struct rt_image *i);
void rt_image_list_free(struct rt_image_list *l);
void rt_filesystem_usage_free(struct rt_filesystem_usage *u);

/* Pulls and waits: runs loop (the one the runtime was opened with) until
 * the pull is done. */
int rt_pull_image_sync(struct rt *rt, struct dh_loop *loop, const struct rt_image_spec *image,
                       const struct rt_auth_config *auth, char **image_ref, struct dh_err **err);

const char *rt_container_state_name(enum rt_container_state s); /* "CONTAINER_RUNNING"... */
const char *rt_sandbox_state_name(enum rt_sandbox_state s);     /* "SANDBOX_READY"... */
