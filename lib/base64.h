/* Standard base64 (RFC 4648, with padding): exec output in the shim
 * protocol, and later Secrets and registry credentials. */
#pragma once
#include <stddef.h>

#include "lib/err.h"

/* Returns a new NUL-terminated string. */
char *dh_base64_encode(const void *data, size_t len);
/* Decodes into a new buffer (NUL-terminated for convenience); rejects bad
 * characters and bad padding; whitespace is not allowed. */
int dh_base64_decode(const char *s, size_t slen, unsigned char **out, size_t *out_len,
                     struct dh_err **err);
