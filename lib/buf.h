/* Bounded growable byte buffer: every buffer has a maximum given at
 * creation; appends past it fail with DH_ELIMIT instead of growing. */
#pragma once
#include <stdarg.h>
#include <stddef.h>
#include "lib/err.h"

struct dh_buf {
        char *data; /* always NUL-terminated when non-NULL */
        size_t len;
        size_t cap;
        size_t max; /* maximum len */
};

void dh_buf_init(struct dh_buf *b, size_t max);
int dh_buf_append(struct dh_buf *b, const void *p, size_t n, struct dh_err **err);
int dh_buf_puts(struct dh_buf *b, const char *s, struct dh_err **err);
int dh_buf_printf(struct dh_buf *b, struct dh_err **err, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* Returns the data (caller owns it) and resets the buffer. */
char *dh_buf_steal(struct dh_buf *b);
void dh_buf_free(struct dh_buf *b);
