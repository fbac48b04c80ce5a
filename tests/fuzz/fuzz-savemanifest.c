/* Fuzz target: a `docker save` manifest.json as image imports decode it
 * (archives are untrusted); every path it accepts must be one the import
 * may open beneath the archive's root. */
#include <stdint.h>

#include "cri/image/import.h"
#include "cri/image/manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct img_save_manifest m = { 0 };
        struct dh_err *err = NULL;
        if (img_save_manifest_parse((const char *)data, size, &m, &err) == 0) {
                if (m.images.n == 0 || m.images.n > IMG_IMPORT_IMAGES_MAX)
                        __builtin_trap();
                for (size_t i = 0; i < m.images.n; i++) {
                        const struct img_save_entry *e = &m.images.v[i];
                        if (!img_import_path_ok(e->config) || e->layers.n > IMG_MANIFEST_ENTRIES_MAX)
                                __builtin_trap();
                        for (size_t k = 0; k < e->layers.n; k++)
                                if (!img_import_path_ok(e->layers.v[k]))
                                        __builtin_trap();
                        for (size_t k = 0; k < e->repo_tags.n; k++)
                                if (!e->repo_tags.v[k])
                                        __builtin_trap();
                }
                img_save_manifest_free(&m);
        }
        dh_err_free(err);
        return 0;
}
