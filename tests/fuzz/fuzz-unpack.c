/* Fuzz target: layer unpacking (tar, PAX, GNU names, links, whiteouts)
 * from arbitrary bytes. Each input is extracted into a fresh directory
 * inside a per-process temp dir beside an "outside" sentinel, which must
 * stay empty whatever the archive says. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>

#include "cri/image/unpack.h"
#include "lib/atomicfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int base_fd = -1;

static void remove_base(void)
{
        char path[64];
        snprintf(path, sizeof path, "/tmp/fuzz-unpack-%d", (int)getpid());
        int tmp = open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (tmp >= 0) {
                dh_rm_rf_at(tmp, path + 5, NULL);
                close(tmp);
        }
}

static void setup(void)
{
        char path[64];
        snprintf(path, sizeof path, "/tmp/fuzz-unpack-%d", (int)getpid());
        if (mkdir(path, 0700) < 0)
                abort();
        base_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
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
                n += de->d_name[0] != '.';
        closedir(d);
        return n == 0;
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
        struct img_unpack_limits lim = { .max_entries = 256, .max_total_bytes = 1 << 20,
                                         .max_path = 1024, .max_file_size = 1 << 20 };
        struct img_unpack_stats st = { 0 };
        struct dh_err *err = NULL;
        img_unpack_tar(mfd, dest, &lim, &st, &err);
        dh_err_free(err);
        close(dest);
        close(mfd);
        if (!outside_empty())
                abort(); /* an archive wrote outside its layer */
        if (dh_rm_rf_at(base_fd, "dest", NULL) < 0)
                abort();
        return 0;
}
