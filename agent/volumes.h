/* A pod's volumes on the host, as the kubelet lays them out under
 * <root>/pods/<uid>/: emptyDir (disk, or tmpfs for medium Memory),
 * hostPath with its type checks, downwardAPI and downwardAPI-only projected
 * volumes written with the atomic "..data" scheme; and the CRI mounts of
 * one container: its volumeMounts (subPath bind-mounted safely under
 * volume-subpaths/), the termination-message file and the managed
 * /etc/hosts. Volumes that need an API server (configMap, secret, PVC,
 * CSI...) fail with a per-volume error, as a static pod cannot use them. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "cri/cri.h"
#include "lib/err.h"
#include "pod/types.h"

enum agent_volume_kind {
        AGENT_VOL_EMPTY_DIR,
        AGENT_VOL_HOST_PATH,
        AGENT_VOL_DOWNWARD_API,
        AGENT_VOL_PROJECTED,
};

struct agent_volume {
        char *name;
        enum agent_volume_kind kind;
        char *host_path; /* what a volumeMount of it binds: absolute */
        bool readonly;   /* the kubelet mounts API-data volumes read-only */
};

struct agent_pod_volumes {
        char *pod_dir; /* <root>/pods/<uid> */
        struct agent_volume *v;
        size_t n;
};
void agent_pod_volumes_free(struct agent_pod_volumes *v);

/* The node's allocatable resources: the default of a resourceFieldRef's
 * unset limit and the ceiling of a memory-backed volume's size. Zero means
 * unknown (no ceiling). */
struct agent_node_alloc {
        int64_t cpu_milli, memory, ephemeral_storage;
};
/* The host's capacity (online CPUs, MemTotal), for a node without
 * reservations. */
int agent_node_alloc_host(struct agent_node_alloc *out, struct dh_err **err);

/* Prepares every volume of pod under <root_dir>/pods/<uid>/. Idempotent: a
 * second call for the same pod (after an agent restart) keeps existing data
 * and mounts and only rewrites downward API files whose content changed.
 * node may be NULL (no allocatable known). Errors name the volume:
 * `volume "cfg": configMap volumes need an API server: ...`. *out is set
 * only on success. */
int agent_volumes_setup(const char *root_dir, const struct pod *pod,
                        const struct agent_node_alloc *node, struct agent_pod_volumes *out,
                        struct dh_err **err);

/* Unmounts what setup and agent_container_mounts mounted (tmpfs volumes,
 * subPath binds) and removes the pod's volumes/, volume-subpaths/,
 * containers/ and etc-hosts, then the pod directory if it is empty. Never
 * follows symlinks; a mount it did not make stops the removal (EXDEV).
 * A pod without a directory is success. */
int agent_volumes_teardown(const char *root_dir, const char *uid, struct dh_err **err);

/* What the kubelet knows about the pod when it starts a container. */
struct agent_mount_ctx {
        const struct rt_kvs *env;   /* the container's env, for subPathExpr */
        const char *const *pod_ips; /* no IP yet: no /etc/hosts mount */
        size_t n_pod_ips;
        const char *hostname, *host_domain; /* host_domain may be NULL */
        const char *node_hosts_file;        /* hostNetwork pods copy it; NULL: /etc/hosts */
};

/* The CRI mounts of container c (a regular, init or ephemeral container of
 * pod): its volumeMounts in order, then the termination-message file (a new
 * empty file under <pod>/containers/<name>/ each call, as each container
 * instance gets its own), then /etc/hosts (kubelet-managed, in <pod>/etc-hosts)
 * when the pod has an IP and no volumeMount covers /etc/hosts. subPath and
 * subPathExpr are opened beneath the volume (no "..", not absolute, no
 * symlink out of it) and bind-mounted to <pod>/volume-subpaths/<volume>/
 * <container>/<index>, so the runtime binds a path that cannot be swapped.
 * On success *mounts (free with agent_mounts_free) and *n are set. */
int agent_container_mounts(const struct agent_pod_volumes *v, const struct pod *pod,
                           const struct pod_container *c, const struct agent_mount_ctx *ctx,
                           struct rt_mount **mounts, size_t *n, struct dh_err **err);
void agent_mounts_free(struct rt_mount *m, size_t n);
