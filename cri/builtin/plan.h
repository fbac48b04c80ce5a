/* The container plan: everything the built-in runtime will do to start one
 * container, as plain data. rt_plan_build() computes it from the CRI config
 * without privileges or side effects (unit-tested, fuzzed); the shim's child
 * then applies it step by step (rootfs.c, mounts, security.c, exec). The
 * plan travels from the agent to the shim as JSON (plan-json.c). */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "cgroups/cgroups.h"
#include "cri/cri.h"
#include "lib/jsondec.h"

/* A mount to make inside the container, in order. Destinations are
 * absolute paths inside the rootfs and are resolved under the rootfs
 * directory fd at apply time (never by string concatenation). */
struct rt_plan_mount {
        char *destination;     /* "/proc", "/data" */
        char *type;            /* "bind", "proc", "tmpfs", "sysfs", "devpts", "mqueue", "cgroup", "cgroup2" */
        char *source;          /* host path for bind; fs source name otherwise */
        char *data;            /* fs options ("mode=755,size=65536k") */
        uint64_t flags;        /* MS_NOSUID|MS_NODEV|MS_NOEXEC|MS_RDONLY|MS_REC... */
        uint64_t propagation;  /* 0, MS_PRIVATE, MS_SLAVE or MS_SHARED (with MS_REC) */
        bool mkdir_dest;       /* create the destination (dir, or file for a file bind) */
};

struct rt_plan_device {
        char *path;           /* inside the container, "/dev/fuse" */
        char type;            /* 'c' or 'b' */
        int64_t major, minor;
        uint32_t mode;        /* 0666 ... */
        uint32_t uid, gid;
};

struct rt_plan_rootfs {
        /* Exactly one of: a plain directory (until images exist), or overlay
         * lower layers (topmost first) with a per-container upper/work. */
        char *dir;
        struct dh_strv lower;
        char *upper, *work;
        char *mountpoint;      /* where the rootfs is assembled on the host */
        bool readonly;
};

struct rt_plan_user {
        uint32_t uid, gid;
        DH_VEC(uint32_t) additional_gids;
        /* When set, uid/gid come from the rootfs's /etc/passwd and
         * /etc/group at apply time (the image's USER or runAsUsername):
         * "name", "uid", "name:group", "uid:gid". */
        char *lookup;
        bool gid_set;          /* gid given explicitly; don't take the user's primary group */
};

/* Capability sets as bit masks (bit n = capability n). */
struct rt_plan_caps {
        uint64_t bounding, effective, permitted, inheritable, ambient;
};

enum rt_plan_seccomp_kind { RT_PLAN_SECCOMP_UNCONFINED = 0, RT_PLAN_SECCOMP_RUNTIME_DEFAULT = 1,
                            RT_PLAN_SECCOMP_LOCALHOST = 2 };

struct rt_container_plan {
        char *id, *sandbox_id, *name;
        /* Namespaces: the container always gets a new mount namespace; a new
         * PID namespace unless new_pid_ns is false (shared with the pod or
         * the host). Network, IPC and UTS are the sandbox's (the shim lives
         * in them), or the host's for hostNetwork/hostIPC. */
        bool new_pid_ns;
        struct rt_plan_rootfs rootfs;
        DH_VEC(struct rt_plan_mount) mounts;
        DH_VEC(struct rt_plan_device) devices;
        /* The devices cgroup: deny all, then allow the config's devices and
         * runc's default list; privileged: allow all (cgroups.h's form). */
        DH_VEC(struct cg_dev_rule) device_rules;
        struct dh_strv masked_paths, readonly_paths;
        struct dh_strv argv, env; /* env as "KEY=value", exactly what runs */
        char *cwd;
        bool create_cwd;
        struct rt_plan_user user;
        struct rt_plan_caps caps;
        bool no_new_privs, privileged;
        enum rt_plan_seccomp_kind seccomp;
        char *seccomp_profile; /* Localhost: path of an OCI seccomp JSON profile */
        /* The compiled filter, base64 raw BPF, attached by the runtime client
         * after rt_plan_build (rt_security_attach_bpf): compiling costs
         * milliseconds, so it is done once per profile in the long-lived
         * agent, and the shim only loads it. NULL: the shim compiles. */
        char *seccomp_bpf;
        char *cgroup_path;     /* relative to the hierarchy root */
        struct cg_resources resources;
        int32_t oom_score_adj;
        char *log_path;        /* absolute */
        bool tty, stdin, stdin_once;
        int32_t stop_signal;
        char *hostname;        /* for /etc/hostname */
};

/* A CRI device's host node, as looked up (rt_host_devices_lookup) before
 * the pure builder runs. */
struct rt_host_device {
        const char *host_path;
        char type;             /* 'c' or 'b' */
        int64_t major, minor;
        uint32_t mode, uid, gid;
};

/* Node- and sandbox-level facts the pure builder needs. */
struct rt_plan_context {
        const char *container_id, *sandbox_id;
        const char *container_dir;   /* per-container state: upper/, work/, rootfs/ */
        const char *sandbox_dir;     /* per-sandbox state: resolv.conf, hostname, shm/ */
        const char *log_dir;         /* the sandbox's log_directory */
        const char *rootfs_dir;      /* "rootfs:" images: the directory */
        const struct dh_strv *image_layers; /* unpacked layers, topmost first (images issue) */
        const struct dh_strv *image_env;    /* the image config's Env */
        const char *image_user, *image_workdir, *image_stop_signal;
        const struct dh_strv *image_entrypoint, *image_cmd;
        bool pod_pid_ns;             /* shareProcessNamespace */
        bool host_pid, host_ipc, host_network;
        const char *hostname;
        /* cfg->devices[i]'s host node is host_devices[i]. */
        const struct rt_host_device *host_devices;
        size_t n_host_devices;
};

int rt_plan_build(const struct rt_container_config *cfg, const struct rt_sandbox_config *scfg,
                  const struct rt_plan_context *ctx, struct rt_container_plan *out,
                  struct dh_err **err);
void rt_plan_free(struct rt_container_plan *p);

/* The nodes of cfg->devices and the device cgroup rules (plan-devices.c). */
int rt_plan_devices(const struct rt_container_config *cfg, const struct rt_plan_context *ctx,
                    struct rt_container_plan *p, struct dh_err **err);
/* lstat()s each cfg->devices[i].host_path, as containerd's DeviceFromPath:
 * a symlink or a non-device is an error naming it. *out (n entries,
 * pointing into cfg) is freed with free(). */
int rt_host_devices_lookup(const struct rt_container_config *cfg, struct rt_host_device **out,
                           size_t *n, struct dh_err **err);
struct rt_default_device_rule {
        const char *path;      /* the node runc creates for it, or NULL */
        struct cg_dev_rule rule;
};
/* runc's AllowedDevices, appended after the spec's rules. */
extern const struct rt_default_device_rule rt_default_device_rules[];
extern const size_t rt_n_default_device_rules;

/* containerd's defaults, shared by the builder and tests. */
extern const char *const rt_default_masked_paths[];
extern const char *const rt_default_readonly_paths[];
uint64_t rt_default_caps(void);
/* Capability name ("CAP_NET_ADMIN" or "NET_ADMIN", any case) → number, -1 if unknown. */
int rt_cap_from_name(const char *name);
const char *rt_cap_name(int cap);
#define RT_CAP_LAST 40 /* CAP_CHECKPOINT_RESTORE */
/* "SIGTERM", "TERM", "15" → 15; -1 if unknown. */
int rt_signal_from_name(const char *name);
