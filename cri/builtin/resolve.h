/* Safe path resolution inside a container root: every path the runtime
 * touches in an untrusted rootfs (mount destinations, device nodes, the
 * working directory, masked paths) is looked up under a directory fd with
 * symlinks and ".." confined to that root, never by joining strings. */
#pragma once
#include <stddef.h>

#include "lib/err.h"

enum {
        RT_RESOLVE_CREATE_DIR = 1 << 0,  /* create missing components as directories (0755) */
        RT_RESOLVE_CREATE_FILE = 1 << 1, /* same, but the last one as an empty file (0644) */
        RT_RESOLVE_NO_OPENAT2 = 1 << 2,  /* skip openat2(2): use the fd walk (tests) */
};

/* Symlinks followed per lookup, as the kernel's MAXSYMLINKS. */
#define RT_RESOLVE_MAX_LINKS 40
/* Directory depth the fd walk keeps open at once. */
#define RT_RESOLVE_MAX_DEPTH 255

/* Resolves the absolute or relative `path` as if rootfd were "/": absolute
 * symlinks restart at rootfd and ".." never climbs above it. Symlinks are
 * followed (the last component too), procfs magic links are refused. On
 * success *fd_out is a new O_PATH|O_CLOEXEC fd on the result. Errors keep
 * the errno as code (ENOENT when the path does not exist and nothing was
 * to be created) and read "resolve in rootfs: ...". */
int rt_resolve_in_root(int rootfd, const char *path, int flags, int *fd_out, struct dh_err **err);

/* Resolves the directory holding the last component of `path` (creating
 * it with RT_RESOLVE_CREATE_DIR) and copies that component, which is never
 * "", "." or "..", to leaf (of leaf_size bytes). For creating device nodes
 * and symlinks with the *at() calls. */
int rt_resolve_parent(int rootfd, const char *path, int flags, int *dirfd_out, char *leaf,
                      size_t leaf_size, struct dh_err **err);
