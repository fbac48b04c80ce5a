/* Fuzz target: Docker config.json / .dockercfg credential lookup. The
 * first line of the input is the image reference, the rest the config. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cri/image/registry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *nl = memchr(data, '\n', size);
        if (!nl)
                return 0;
        char *image = strndup((const char *)data, (size_t)(nl - (const char *)data));
        if (!image)
                return 0;
        struct img_ref ref = { 0 };
        if (img_ref_parse(image, &ref, NULL) == 0) {
                struct img_auth_list l = { 0 };
                struct dh_err *err = NULL;
                const char *cfg = nl + 1;
                size_t len = size - (size_t)(cfg - (const char *)data);
                if (img_docker_config_lookup(cfg, len, &ref, &l, &err) == 0)
                        img_auth_list_free(&l);
                else if (!err || !err->msg)
                        abort();
                dh_err_free(err);
                img_ref_free(&ref);
        }
        free(image);
        return 0;
}
