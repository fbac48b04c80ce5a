/* Fuzz target: image config decoding (a registry's JSON is untrusted). */
#include <stdint.h>

#include "cri/image/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct img_config c = { 0 };
        struct dh_err *err = NULL;
        if (img_config_parse((const char *)data, size, &c, &err) == 0)
                img_config_free(&c);
        dh_err_free(err);
        return 0;
}
