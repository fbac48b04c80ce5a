/* Shared between agent/volumes*.c: directory-fd helpers, mount checks and
 * the per-kind set-up steps. Nothing here is exported beyond agent/. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "agent/volumes.h"

/* Directory names under the pod directory, as the kubelet's. */
#define VOL_DIR "volumes"
#define VOL_SUBPATHS_DIR "volume-subpaths"
#define VOL_CONTAINERS_DIR "containers"
#define VOL_HOSTS_FILE "etc-hosts"
#define VOL_PLUGIN_EMPTY_DIR "kubernetes.io~empty-dir"
#define VOL_PLUGIN_DOWNWARD "kubernetes.io~downward-api"
#define VOL_PLUGIN_PROJECTED "kubernetes.io~projected"

/* Largest downward API file (a label or annotation map) we write. The API
 * server caps all annotations at 256 KiB; labels are smaller. */
#define VOL_DOWNWARD_FILE_MAX (512u << 10)
/* Largest generated /etc/hosts (hostNetwork copies the node's). */
#define VOL_HOSTS_MAX (1u << 20)

/* "/proc/self/fd/<fd>", for the calls that only take paths. */
struct vol_fdpath {
        char s[32];
};
const char *vol_fdpath(struct vol_fdpath *p, int fd);

/* A name that is one path component (no '/', not "", "." or ".."). */
bool vol_is_component(const char *s);

/* mkdir dirfd/name (an existing directory is fine; a symlink is not) and
 * opens it O_DIRECTORY|O_NOFOLLOW. exact_mode: chmod to mode whatever the
 * umask, as the kubelet does for emptyDir. */
int vol_mkdirat(int dirfd, const char *name, mode_t mode, bool exact_mode, int *fd_out,
                struct dh_err **err);
/* Opens dirfd/name as a directory without following a symlink; -ENOENT
 * (no error set) when it does not exist. */
int vol_opendirat(int dirfd, const char *name, int *fd_out, struct dh_err **err);

/* Whether the directory fd is the root of a mount (its mount differs from
 * its parent's), and whether that mount is a tmpfs. */
int vol_mount_state(int fd, bool *is_mount, bool *is_tmpfs, struct dh_err **err);
/* Unmounts what is mounted on dirfd/name (a single component, not
 * followed if it is a symlink). */
int vol_umount_at(int dirfd, const char *name, struct dh_err **err);

/* The size of a memory-backed volume: the smallest of the node's
 * allocatable memory, the pod's memory limit and sizeLimit (each counted
 * only when positive), as calculateEmptyDirMemorySize; 0 for none. */
int64_t vol_memory_size(const struct pod *pod, const struct agent_node_alloc *node,
                        const struct pod_quantity *size_limit);
/* Mounts a tmpfs of size bytes (0: the kernel's default) on the directory
 * fd unless a tmpfs is already mounted there. */
int vol_tmpfs_ensure(int dirfd, int64_t size, struct dh_err **err);

/* One volume's host side, created under the plugin directory fd. */
int vol_empty_dir_setup(int plugin_fd, const struct pod_volume *vol, const struct pod *pod,
                        const struct agent_node_alloc *node, struct dh_err **err);
int vol_host_path_check(const struct pod_host_path *hp, struct dh_err **err);
/* downwardAPI items (and projected volumes made only of downwardAPI
 * sources): a tmpfs under plugin_fd/name with the files written atomically. */
int vol_downward_setup(int plugin_fd, const struct pod_volume *vol, const struct pod *pod,
                       const struct agent_node_alloc *node, struct dh_err **err);

/* The value of a downward API item for pod (fieldRef or resourceFieldRef);
 * *out is malloc'd. */
int vol_downward_value(const struct pod *pod, const struct agent_node_alloc *node,
                       const struct pod_downward_file *f, char **out, struct dh_err **err);

/* One file of an atomic-writer payload. */
struct vol_payload_file {
        const char *path; /* relative, validated */
        char *data;
        size_t len;
        mode_t mode;
};
/* Makes dirfd's visible content exactly payload with the kubelet's
 * AtomicWriter layout: files in a "..<timestamp>.<random>" directory,
 * "..data" a symlink to it swapped by rename, and one symlink per
 * top-level name into "..data". Does nothing when the content is already
 * the same. */
int vol_atomic_write(int dirfd, const struct vol_payload_file *files, size_t n,
                     struct dh_err **err);

/* subPath: the opened, bind-mounted path for a volumeMount. */
struct vol_subpath_req {
        int pod_fd;
        const char *volume_root; /* absolute host path of the volume */
        const char *volume_name, *container_name;
        size_t index;            /* of the volumeMount in the container */
        const char *subpath;     /* after expansion */
        const char *pod_dir;
};
int vol_subpath_prepare(const struct vol_subpath_req *r, char **host_path, struct dh_err **err);
/* subPathExpr: $(VAR) from env; a missing or empty VAR is an error. */
int vol_expand_subpath_expr(const char *expr, const struct rt_kvs *env, char **out,
                            struct dh_err **err);
/* Unmounts and removes <pod>/volume-subpaths. */
int vol_subpaths_clean(int pod_fd, struct dh_err **err);
