/* Fuzz target: layer unpacking (tar, PAX, GNU names, links, whiteouts)
 * from arbitrary bytes. Each input is extracted into a fresh directory
 * inside a per-process temp dir beside an "outside" sentinel, which must
 * stay empty whatever the archive says. */
#include <stdint.h>

#include "cri/image/unpack.h"
#include "tests/fuzz/sandbox.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        int dest = fz_dest_open("unpack");
        int mfd = fz_input_fd(data, size);
        struct img_unpack_limits lim = { .max_entries = 256, .max_total_bytes = 1 << 20,
                                         .max_path = 1024, .max_file_size = 1 << 20 };
        struct img_unpack_stats st = { 0 };
        struct dh_err *err = NULL;
        img_unpack_tar(mfd, dest, &lim, &st, &err);
        dh_err_free(err);
        close(mfd);
        fz_dest_check_and_remove(dest);
        return 0;
}
