/* Fuzz target: WWW-Authenticate parsing. Any accepted challenge is Basic
 * or Bearer, and a Bearer one has a realm. */
#include <stdint.h>
#include <stdlib.h>

#include "cri/image/wwwauth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct img_challenge c = { 0 };
        struct dh_err *err = NULL;
        if (img_wwwauth_parse((const char *)data, size, &c, &err) == 0) {
                if (c.scheme == IMG_AUTH_NONE || (c.scheme == IMG_AUTH_BEARER && !c.realm))
                        abort();
                img_challenge_free(&c);
        } else if (!err || !err->msg) {
                abort();
        }
        dh_err_free(err);
        return 0;
}
