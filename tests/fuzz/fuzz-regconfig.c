/* Fuzz target: the registries file (YAML or JSON). Every host of an
 * accepted file can be found again by its name. */
#include <stdint.h>
#include <stdlib.h>

#include "cri/image/registry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size > 1u << 20)
                return 0;
        struct img_registry_config c = { 0 };
        struct dh_err *err = NULL;
        if (img_registry_config_parse((const char *)data, size, "fuzz", &c, &err) == 0) {
                for (size_t i = 0; i < c.n; i++)
                        if (img_registry_config_find(&c, c.v[i].host) != &c.v[i])
                                abort();
                img_registry_config_free(&c);
        } else if (!err || !err->msg) {
                abort();
        }
        dh_err_free(err);
        return 0;
}
