/* Fuzz target: the image records file (images.json) as read back from
 * disk, where a crash, a full disk or a hand edit may have left anything. */
#include <stdint.h>

#include "cri/image/images-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct img_record_list l = { 0 };
        struct dh_err *err = NULL;
        if (img_records_parse((const char *)data, size, &l, &err) == 0) {
                for (size_t i = 0; i < l.n; i++)
                        (void)img_record_matches(&l.v[i], "busybox");
                img_record_list_free(&l);
        }
        dh_err_free(err);
        return 0;
}
