/* Fuzz target: an OCI image layout's index.json as image imports decode it
 * (archives are untrusted); what the decoder accepts must hold what
 * import.h promises. */
#include <stdint.h>

#include "cri/image/import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct img_layout_index ix = { 0 };
        struct dh_err *err = NULL;
        if (img_layout_index_parse((const char *)data, size, &ix, &err) == 0) {
                if (ix.schema_version != 2 || ix.manifests.n == 0 || ix.manifests.n > IMG_IMPORT_IMAGES_MAX)
                        __builtin_trap();
                for (size_t i = 0; i < ix.manifests.n; i++) {
                        const struct img_layout_desc *d = &ix.manifests.v[i];
                        if (!d->media_type || !img_digest_valid(d->digest) || !d->size.set || d->size.v < 0)
                                __builtin_trap();
                        (void)dh_strmap_get(&d->annotations, IMG_ANNOTATION_REF_NAME);
                }
                img_layout_index_free(&ix);
        }
        dh_err_free(err);
        return 0;
}
