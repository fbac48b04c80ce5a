/* Fuzz target: image reference parsing, with a round-trip check: the
 * canonical string of any accepted reference must parse again to the very
 * same string (normalisation is idempotent). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cri/image/ref.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size > 2 * IMG_REF_MAX)
                return 0;
        char *s = strndup((const char *)data, size);
        if (!s)
                return 0;
        struct img_ref r = { 0 }, back = { 0 };
        struct dh_err *err = NULL;
        if (img_ref_parse(s, &r, &err) == 0) {
                char *canon = img_ref_string(&r), *name = img_ref_name(&r);
                if (!canon || !name)
                        abort(); /* small allocations do not fail here */
                (void)img_ref_registry_host(&r);
                (void)img_ref_is_loopback(&r);
                if (!r.domain || !r.path || (!r.tag && !r.digest))
                        abort(); /* TagNameOnly always leaves a tag or digest */
                if (img_ref_parse(canon, &back, NULL) < 0)
                        abort(); /* the canonical form must parse */
                char *again = img_ref_string(&back);
                if (!again || strcmp(again, canon) != 0)
                        abort(); /* and be a fixed point */
                free(again);
                free(name);
                free(canon);
                img_ref_free(&back);
                img_ref_free(&r);
        } else if (!err || !err->msg) {
                abort(); /* every failure explains itself */
        }
        dh_err_free(err);
        free(s);
        return 0;
}
