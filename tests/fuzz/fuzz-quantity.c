/* Fuzz target: Kubernetes quantity parsing and canonical formatting, with
 * a round-trip check: the canonical text must parse back to the same value. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pod/quantity.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size > 4096)
                return 0;
        char *s = strndup((const char *)data, size);
        if (!s)
                return 0;
        struct pod_quantity q = { 0 }, back = { 0 };
        struct dh_err *err = NULL;
        if (pod_quantity_parse(s, &q, &err) == 0) {
                char buf[POD_QTY_FORMAT_MAX];
                (void)pod_quantity_value(&q);
                (void)pod_quantity_milli(&q);
                if (pod_quantity_format(&q, buf, sizeof buf) < 0)
                        abort(); /* 64 bytes always suffice */
                if (pod_quantity_parse(buf, &back, NULL) < 0 || pod_quantity_cmp(&q, &back) != 0)
                        abort(); /* canonical form must round-trip */
        }
        dh_err_free(err);
        free(s);
        return 0;
}
