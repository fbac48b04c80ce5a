/* Crash-safe state files and careful directory trees: atomic replace
 * (temp file, fsync, rename, fsync the directory), mkdir -p, and a
 * recursive removal that never follows symlinks nor crosses mounts. */
#pragma once
#include <stddef.h>
#include <sys/types.h>

#include "lib/err.h"

/* Deepest directory nesting dh_rm_rf_at() descends into. */
#define DH_RM_RF_MAX_DEPTH 256

/* Replaces dirfd/name (a single path component) with exactly data/len and
 * permission bits mode (not subject to the umask). Readers see the old or
 * the new content, never a mix, and after a crash the file is one of the
 * two. A symlink at name is replaced, never followed. On failure the temp
 * file is removed and name is untouched. Errors name the file. */
int dh_write_file_atomic(int dirfd, const char *name, const void *data, size_t len,
                         mode_t mode, struct dh_err **err);
/* The same for a path; its directory must exist. */
int dh_write_file_atomic_path(const char *path, const void *data, size_t len,
                              mode_t mode, struct dh_err **err);

/* mkdir -p: creates path and its missing parents with mode (subject to the
 * umask, like mkdir(2)); existing directories are fine. */
int dh_mkdir_p(const char *path, mode_t mode, struct dh_err **err);

/* rm -rf dirfd/name. Symlinks are removed, never followed. Directories on
 * another mount (different st_dev or mount id: also a bind mount of the same
 * file system) are refused with EXDEV and left alone, so a forgotten mount
 * can never lead to deleting what is behind it; everything else that can be
 * removed still is, and the first error (naming the path) is returned.
 * A missing name is success. Nesting deeper than DH_RM_RF_MAX_DEPTH fails
 * with DH_ELIMIT. */
int dh_rm_rf_at(int dirfd, const char *name, struct dh_err **err);
