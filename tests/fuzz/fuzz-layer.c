/* Fuzz target: compressed layer blobs through img_layer_extract (gzip
 * members and zstd frames, then the tar extractor and the diffID hash),
 * with small limits so bombs end quickly. The format follows the magic
 * number (gzip when unknown, so arbitrary bytes exercise the gzip reader's
 * error paths). Each input is extracted into a fresh directory beside an
 * "outside" sentinel that must stay empty. */
#include <stdint.h>
#include <string.h>

#include "cri/image/layers.h"
#include "tests/fuzz/sandbox.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static enum img_compression format_of(const uint8_t *data, size_t size)
{
        static const uint8_t zstd_magic[4] = { 0x28, 0xb5, 0x2f, 0xfd };
        if (size >= 4 && memcmp(data, zstd_magic, 4) == 0)
                return IMG_COMPRESS_ZSTD;
        return IMG_COMPRESS_GZIP;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        int dest = fz_dest_open("layer");
        int mfd = fz_input_fd(data, size);
        struct img_unpack_limits lim = { .max_entries = 256, .max_total_bytes = 1 << 20,
                                         .max_path = 1024, .max_file_size = 1 << 20 };
        char *id = NULL;
        struct dh_err *err = NULL;
        int r = img_layer_extract(mfd, format_of(data, size), dest, &lim, NULL, &id, &err);
        if ((r == 0) != (id != NULL) || (r < 0) != (err != NULL))
                abort(); /* success gives a diffID, failure an error, never both */
        if (id && (strncmp(id, "sha256:", 7) != 0 || strlen(id) != 7 + 64))
                abort();
        free(id);
        dh_err_free(err);
        close(mfd);
        fz_dest_check_and_remove(dest);
        return 0;
}
