/* Fuzz target: the whole manifest path (YAML/JSON edge, Pod decoding,
 * defaulting, QoS, validation, message formatting) on arbitrary bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "pod/pod.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size > POD_FILE_MAX)
                return 0;
        struct pod_set s = { 0 };
        struct dh_err *err = NULL;
        if (pod_load_buffer((const char *)data, size, &s, &err) < 0) {
                dh_err_free(err);
                return 0;
        }
        for (size_t i = 0; i < s.n; i++) {
                if (s.v[i].pod)
                        (void)pod_qos_class(s.v[i].pod);
                for (size_t j = 0; j < s.v[i].errs.n; j++) {
                        _cleanup_free_ char *line = dh_ferr_format(&s.v[i].errs.v[j]);
                }
        }
        pod_set_free(&s);
        return 0;
}
