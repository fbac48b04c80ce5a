/* Unpacked layers: each layer blob (tar, gzip or zstd) is decompressed and
 * extracted once into <dir>/<diffID hex>/diff, which every image and
 * container that uses the layer shares as an overlay lower directory.
 * Layers are keyed by their diffID (the sha256 of the uncompressed tar,
 * as listed in the image config's rootfs.diff_ids) and the extraction is
 * checked against it. A layer is unpacked into <dir>/.tmp-<random>,
 * flushed with syncfs() and renamed into place, so after a crash at any
 * point only whole layers carry a diffID name; opening the store removes
 * unlocked leftovers. <dir> and each <dir>/<hex> are 0700: layers hold
 * setuid binaries that host users must not reach. <dir>/<hex>/size holds
 * the layer's size on disk in decimal.
 * img_layer_extract lives in extract.c, the store in layers.c. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cri/image/unpack.h"
#include "lib/err.h"

enum img_compression { IMG_COMPRESS_NONE = 0, IMG_COMPRESS_GZIP = 1, IMG_COMPRESS_ZSTD = 2 };

/* Reads a whole layer blob from blob_fd, decompressing as told (values of
 * img_layer_compression() in manifest.h), extracts it into dest_dirfd with
 * img_unpack_tar's rules and limits (lim NULL: defaults; the limits bound
 * the decompressed stream too: the whole uncompressed stream, headers,
 * padding and trailing data included, may not exceed max_total_bytes, so a
 * decompression bomb stops there with DH_ELIMIT) and sets *diff_id_out to
 * "sha256:<hex>" of the uncompressed stream, which is read to its very end
 * (trailing data after the end-of-archive blocks is hashed, as containerd
 * does). gzip members are read back to back like Go's gzip reader (data
 * after a member must be another member); zstd frames likewise, with
 * windows up to 128 MiB. Corrupt compressed data fails with
 * DH_EINVAL_INPUT "gzip: ..." or "zstd: ...". On failure dest_dirfd holds
 * a partial tree the caller must remove; *st and *diff_id_out are
 * untouched. */
int img_layer_extract(int blob_fd, enum img_compression c, int dest_dirfd,
                      const struct img_unpack_limits *lim, struct img_unpack_stats *st,
                      char **diff_id_out, struct dh_err **err);

struct img_layers;

/* Opens (creating as needed) the store at dir and removes .tmp-* and
 * .del-* leftovers of a crash; those of an add or remove still running in
 * another process are locked and left alone. */
int img_layers_open(const char *dir, struct img_layers **out, struct dh_err **err);
void img_layers_close(struct img_layers *ls); /* accepts NULL */

bool img_layers_has(struct img_layers *ls, const char *diff_id);
/* "<dir>/<hex>/diff" as a new string (whether or not it exists); NULL on a
 * bad diffID or ENOMEM. */
char *img_layers_diff_path(struct img_layers *ls, const char *diff_id);
/* Unpacks blob_fd into a new layer unless diff_id is already present (then
 * returns 0 at once, *size_out from the recorded size). If another process
 * adds the same layer meanwhile, its copy wins and this succeeds. Fails with "layer diffID mismatch: expected X, got
 * Y" (DH_EINVAL_INPUT) and keeps nothing when the content does not match.
 * *size_out (may be NULL) gets the bytes the unpacked layer uses on disk. */
int img_layers_add(struct img_layers *ls, int blob_fd, enum img_compression c,
                   const char *diff_id, const struct img_unpack_limits *lim, int64_t *size_out,
                   struct dh_err **err);
/* Size recorded when the layer was unpacked: st_blocks * 512 summed over
 * the diff tree (symlinks not followed, a hard-linked file's blocks shared
 * out among its names). -ENOENT when absent. */
int img_layers_size(struct img_layers *ls, const char *diff_id, int64_t *size_out,
                    struct dh_err **err);
/* Removes a layer (renamed aside first, so a crash never leaves a partial
 * layer under its diffID name). -ENOENT when absent. */
int img_layers_remove(struct img_layers *ls, const char *diff_id, struct dh_err **err);
/* The diffIDs present, sorted; free with img_digests_free(). */
int img_layers_list(struct img_layers *ls, char ***ids, size_t *n, struct dh_err **err);
