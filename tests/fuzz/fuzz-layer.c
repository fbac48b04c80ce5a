/* Fuzz target: compressed layer blobs through img_layer_extract (gzip
 * members and zstd frames, then the tar extractor and the diffID hash),
 * with small limits so bombs end quickly. The format follows the magic
 * number (gzip when unknown, so arbitrary bytes exercise the gzip reader's
 * error paths). Each input is extracted into a fresh directory beside an
 * "outside" sentinel that must stay empty. */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cri/image/layers.h"
#include "lib/atomicfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int base_fd = -1;
static char base_path[64];

static void remove_base(void)
{
        int tmp = open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (tmp >= 0) {
                dh_rm_rf_at(tmp, base_path + 5, NULL);
                close(tmp);
        }
}

static void setup(void)
{
        snprintf(base_path, sizeof base_path, "/tmp/fuzz-layer-%d", (int)getpid());
        if (mkdir(base_path, 0700) < 0)
                abort();
        base_fd = open(base_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (base_fd < 0 || mkdirat(base_fd, "outside", 0700) < 0)
                abort();
        atexit(remove_base);
}

static bool outside_empty(void)
{
        int fd = openat(base_fd, "outside", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        if (!d)
                return false;
        struct dirent *de;
        int n = 0;
        while ((de = readdir(d)))
                n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
        closedir(d);
        return n == 0;
}

static enum img_compression format_of(const uint8_t *data, size_t size)
{
        static const uint8_t zstd_magic[4] = { 0x28, 0xb5, 0x2f, 0xfd };
        if (size >= 4 && memcmp(data, zstd_magic, 4) == 0)
                return IMG_COMPRESS_ZSTD;
        return IMG_COMPRESS_GZIP;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (base_fd < 0)
                setup();
        int mfd = memfd_create("layer", MFD_CLOEXEC);
        if (mfd < 0 || write(mfd, data, size) != (ssize_t)size || lseek(mfd, 0, SEEK_SET) < 0)
                abort();
        if (mkdirat(base_fd, "dest", 0755) < 0)
                abort();
        int dest = openat(base_fd, "dest", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dest < 0)
                abort();
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
        close(dest);
        close(mfd);
        if (!outside_empty())
                abort(); /* a layer wrote outside its directory */
        if (dh_rm_rf_at(base_fd, "dest", NULL) < 0)
                abort();
        return 0;
}
