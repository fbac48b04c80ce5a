/* Fuzz target: image manifest/index decoding (a registry's JSON is
 * untrusted) and, for indexes, platform selection with its error text. */
#include <stdint.h>

#include "cri/image/manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct img_manifest m = { 0 };
        struct dh_err *err = NULL;
        if (img_manifest_parse((const char *)data, size, NULL, &m, &err) == 0) {
                size_t i = 0;
                if ((m.kind == IMG_MEDIA_OCI_INDEX || m.kind == IMG_MEDIA_DOCKER_LIST) &&
                    img_manifest_select(&m, "linux", "amd64", NULL, &i, &err) == 0 && i >= m.manifests.n)
                        __builtin_trap();
                for (size_t k = 0; k < m.layers.n; k++)
                        (void)img_layer_compression(m.layers.v[k].media_type);
                img_manifest_free(&m);
        }
        dh_err_free(err);
        return 0;
}
