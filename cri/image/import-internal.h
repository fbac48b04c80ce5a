/* Shared by the import files (import.c, importoci.c, importdocker.c): one
 * import in progress, confined file access under the layout's directory
 * fd, blob copies through img_writer, and the list of images found. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "cri/image/import.h"
#include "cri/image/store.h"
#include "lib/err.h"

struct imp {
        struct img_store *st;
        int dirfd;                    /* the layout (or extraction) root */
        const char *name_override;    /* may be NULL */
        struct img_import_list list;  /* what was imported so far */
        size_t blobs;                 /* against IMG_IMPORT_BLOBS_MAX */
        uint64_t bytes, max_bytes;    /* blob bytes copied, and their limit */
        uint64_t max_blob;            /* one blob's limit */
};

/* Opens rel (validated with img_import_path_ok) beneath im->dirfd
 * read-only, never through a symlink or "..", and only if it is a regular
 * file. A missing file is -ENOENT with the message "<rel>: missing". */
int imp_open(struct imp *im, const char *rel, int *fd_out, struct dh_err **err);
/* Reads rel whole (at most max bytes) the same way; NUL-terminated. */
int imp_read(struct imp *im, const char *rel, size_t max, char **data, size_t *len,
             struct dh_err **err);
/* Counts one more blob against IMG_IMPORT_BLOBS_MAX. */
int imp_count_blob(struct imp *im, struct dh_err **err);
/* Streams fd into the store (expected digest and size may be NULL/-1);
 * *digest_out (may be NULL) gets its digest. */
int imp_copy_fd(struct imp *im, int fd, const char *expected, int64_t size, char **digest_out,
                struct dh_err **err);
/* Stores data (already in memory) the same way. */
int imp_store_data(struct imp *im, const void *data, size_t len, const char *expected,
                   int64_t size, char **digest_out, struct dh_err **err);
/* The entry for digest, added if new (names merge); NULL on ENOMEM. */
struct img_import_entry *imp_entry(struct imp *im, const char *digest, struct dh_err **err);
/* Normalises ref and adds it to e's names unless already there. */
int imp_add_name(struct img_import_entry *e, const char *ref, struct dh_err **err);

/* The two formats; each fills im->list. */
int imp_oci(struct imp *im, struct dh_err **err);
int imp_docker(struct imp *im, struct dh_err **err);
