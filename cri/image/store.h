/* The content-addressed blob store of the image store: blobs are kept as
 * <root>/blobs/sha256/<64 hex> (read-only, complete and verified), partial
 * writes live in <root>/ingest/<random> until their digest is checked and
 * they are renamed into place. A crash at any point leaves only whole,
 * verified blobs under blobs/ plus ingest files that the next open removes. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"

/* img_store_list() fails with DH_ELIMIT past this many blobs. */
#define IMG_STORE_LIST_MAX 100000

struct img_store;
struct img_writer;

/* Opens (creating as needed) the store at root and removes ingest files
 * left by a crash. Ingest files of writers still open (in this or another
 * process) are locked and left alone. */
int img_store_open(const char *root, struct img_store **out, struct dh_err **err);
/* Accepts NULL. Writers must be committed or aborted first. */
void img_store_close(struct img_store *s);

/* Starts a streaming write. expected_digest is "sha256:<hex>" or NULL
 * (unknown: computed), expected_size -1 when unknown; max_size (>= 0) caps
 * the blob either way. */
int img_writer_open(struct img_store *s, const char *expected_digest, int64_t expected_size,
                    int64_t max_size, struct img_writer **out, struct dh_err **err);
/* Appends; refuses (DH_ELIMIT) to go past expected_size or max_size. After
 * any failed write, commit fails: the caller should abort. */
int img_writer_write(struct img_writer *w, const void *data, size_t len, struct dh_err **err);
/* Always consumes w. Checks size and digest, fsyncs, and moves the blob
 * into blobs/ (fsyncing the directory); *digest_out gets "sha256:<hex>".
 * If the blob is already present the new copy is dropped and this
 * succeeds. On failure (e.g. "digest mismatch: expected X, got Y") nothing
 * is kept and *digest_out is untouched. */
int img_writer_commit(struct img_writer *w, char **digest_out, struct dh_err **err);
/* Removes the partial file and frees w; accepts NULL. */
void img_writer_abort(struct img_writer *w);

/* Whether a blob with this (valid) digest is present. */
bool img_store_has(struct img_store *s, const char *digest);
/* Opens a blob O_RDONLY|O_CLOEXEC (never through a symlink). */
int img_store_open_blob(struct img_store *s, const char *digest, int *fd_out, struct dh_err **err);
/* Reads a whole blob of at most max bytes, NUL-terminated. */
int img_store_read_blob(struct img_store *s, const char *digest, size_t max, char **data,
                        size_t *len, struct dh_err **err);
/* Removes a blob; a missing one is -ENOENT. */
int img_store_delete(struct img_store *s, const char *digest, struct dh_err **err);
/* The digests present, sorted, at most IMG_STORE_LIST_MAX; free with
 * img_digests_free(). Entries that are not valid blob names are skipped. */
int img_store_list(struct img_store *s, char ***digests, size_t *n, struct dh_err **err);
void img_digests_free(char **digests, size_t n);
/* Turns a list of 64-hex names into "sha256:<hex>" digests, consuming
 * names (freed either way); -ENOMEM. */
struct dh_names;
int img_digests_from_names(struct dh_names *names, char ***digests, size_t *n);

/* "sha256:" followed by exactly 64 lowercase hex digits, nothing else. */
bool img_digest_valid(const char *digest);
