/* Layer unpacking: extracts one uncompressed OCI/Docker layer tar stream
 * (ustar, GNU long names, PAX headers) into a fresh directory that becomes
 * an overlay lower layer, turning OCI whiteouts into overlayfs whiteouts.
 * The archive is hostile input: nothing outside the destination directory
 * is ever created, modified or followed, and every size is limited. */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/err.h"

/* Longest entry path or link target accepted (bytes, without the NUL). */
#define IMG_UNPACK_PATH_MAX 4096
/* Largest PAX extended header (all its records) accepted. */
#define IMG_UNPACK_PAX_MAX (256 * 1024)
/* Size of the streaming read buffer. */
#define IMG_UNPACK_BUF_SIZE (64 * 1024)
/* Most components an entry path may have: below DH_RM_RF_MAX_DEPTH, so
 * any tree an archive builds can be removed again (and walked with a
 * bounded number of fds). */
#define IMG_UNPACK_DEPTH_MAX 128

/* Where the tar stream comes from: read() fills buf with 1..n bytes and
 * returns their count, 0 at the end of the stream, or a negative code with
 * *err set. The extractor reads into its own buffer, so a decompressor can
 * inflate straight into it. */
struct img_reader {
        ssize_t (*read)(void *ctx, void *buf, size_t n, struct dh_err **err);
        void *ctx;
};

struct img_unpack_limits {
        uint64_t max_entries;     /* real entries (metadata headers excluded) */
        uint64_t max_total_bytes; /* sum of all entry data, metadata included */
        size_t max_path;          /* clamped to IMG_UNPACK_PATH_MAX */
        uint64_t max_file_size;   /* one regular file's size */
};

struct img_unpack_stats {
        uint64_t entries;         /* real entries seen (applied or skipped) */
        uint64_t bytes;           /* regular file bytes written */
        uint64_t whiteouts;       /* .wh.<name> and opaque markers applied */
        uint64_t skipped_devices; /* char/block devices skipped when not root */
};

/* Fills lim with generous defaults (1M entries, 64 GiB, 4096, 16 GiB). */
void img_unpack_limits_default(struct img_unpack_limits *lim);

/* Reads an uncompressed tar stream from tar_fd until its end-of-archive
 * block and extracts it into dest_dirfd (lim NULL = defaults; st may be
 * NULL). Absolute names are made relative (as Docker does); names with a
 * ".." component, a NUL, an empty component, or a parent that is not a real
 * directory (e.g. a symlink planted by an earlier entry) are refused, as
 * are paths deeper than IMG_UNPACK_DEPTH_MAX (DH_ELIMIT); hard links must
 * point at an existing entry inside the layer. Symlink targets are stored
 * verbatim and never followed. PAX SCHILY.xattr records are
 * applied to files and directories (not symlinks or device nodes) except
 * security.* other than security.capability (host labels must not leak
 * into images), system.* (ACLs: not supported yet) and trusted.overlay.*
 * (only whiteouts may steer overlayfs); other trusted.* only as root.
 * Global PAX headers ('g') set uid, gid and mtime defaults only. Devices are skipped (and counted) when not
 * root. On failure dest_dirfd holds a partial tree the caller must remove;
 * *st is left untouched. Errors name the entry, limits name the limit
 * (DH_ELIMIT), malformed archives use DH_EINVAL_INPUT. */
int img_unpack_tar(int tar_fd, int dest_dirfd, const struct img_unpack_limits *lim,
                   struct img_unpack_stats *st, struct dh_err **err);
/* The same reading through rd. It returns right after the end-of-archive
 * blocks; whatever follows them is left unread (some of it may already sit
 * in the extractor's buffer), for the caller to drain. */
int img_unpack_tar_reader(const struct img_reader *rd, int dest_dirfd,
                          const struct img_unpack_limits *lim, struct img_unpack_stats *st,
                          struct dh_err **err);
