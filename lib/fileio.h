/* Reading whole files with a size limit. */
#pragma once
#include <stddef.h>
#include "lib/err.h"

/* Reads a regular file (opened O_CLOEXEC|O_NOCTTY) of at most max bytes into
 * a NUL-terminated buffer. Errors name the path. Directories, FIFOs and
 * devices are refused so a bad path can't block us. */
int dh_read_file(const char *path, size_t max, char **out, size_t *out_len,
                 struct dh_err **err);
/* "<dir of the running executable>/<name>", for helper programs installed
 * beside it; NULL if /proc/self/exe cannot be read or on OOM. */
char *dh_exe_sibling(const char *name);
/* Same for an already open fd (not closed); "name" is used in messages. */
int dh_read_fd(int fd, const char *name, size_t max, char **out, size_t *out_len,
               struct dh_err **err);

/* Writes all of data (retrying short writes and EINTR); 0, or -errno
 * (-EIO when write() returns 0). */
int dh_write_all(int fd, const void *data, size_t len);
