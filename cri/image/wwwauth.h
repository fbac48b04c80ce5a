/* WWW-Authenticate challenges (RFC 7235) as registries send them:
 *   Bearer realm="https://auth.example/token",service="reg",scope="repository:x:pull"
 *   Basic realm="registry"
 * Internal to the registry client; exported for its tests and fuzzer. */
#pragma once
#include <stddef.h>

#include "lib/err.h"

#define IMG_WWWAUTH_MAX 8192 /* header value bytes */

enum img_auth_scheme { IMG_AUTH_NONE, IMG_AUTH_BASIC, IMG_AUTH_BEARER };

struct img_challenge {
        enum img_auth_scheme scheme;
        char *realm, *service, *scope; /* NULL when absent */
};

/* Parses one header value, which may hold several challenges; keeps the
 * Bearer one if any, else Basic. Unknown schemes alone, or malformed
 * syntax, fail with EINVAL. */
int img_wwwauth_parse(const char *value, size_t len, struct img_challenge *out,
                      struct dh_err **err);
void img_challenge_free(struct img_challenge *c);
