/* Scaffolding for fuzz targets that extract into the file system: a
 * per-process temp dir with an "outside" sentinel beside the destination,
 * the input as a memfd, and the checks after each run. Header-only: each
 * target is its own program. */
#pragma once
#include <dirent.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/atomicfile.h"

static int fz_base_fd = -1;
static char fz_base_path[64];

static void fz_remove_base(void)
{
        int tmp = open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (tmp >= 0) {
                dh_rm_rf_at(tmp, fz_base_path + 5, NULL);
                close(tmp);
        }
}

/* Opens a fresh, empty "dest" in the per-process dir (made on first use). */
static int fz_dest_open(const char *tag)
{
        if (fz_base_fd < 0) {
                snprintf(fz_base_path, sizeof fz_base_path, "/tmp/fuzz-%s-%d", tag, (int)getpid());
                if (mkdir(fz_base_path, 0700) < 0)
                        abort();
                fz_base_fd = open(fz_base_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (fz_base_fd < 0 || mkdirat(fz_base_fd, "outside", 0700) < 0)
                        abort();
                atexit(fz_remove_base);
        }
        if (mkdirat(fz_base_fd, "dest", 0755) < 0)
                abort();
        int dest = openat(fz_base_fd, "dest", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dest < 0)
                abort();
        return dest;
}

/* The input as a readable fd positioned at its start. */
static int fz_input_fd(const uint8_t *data, size_t size)
{
        int mfd = memfd_create("input", MFD_CLOEXEC);
        if (mfd < 0 || write(mfd, data, size) != (ssize_t)size || lseek(mfd, 0, SEEK_SET) < 0)
                abort();
        return mfd;
}

/* Aborts if anything was written beside dest; then removes dest. */
static void fz_dest_check_and_remove(int dest)
{
        close(dest);
        int fd = openat(fz_base_fd, "outside", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        if (!d)
                abort();
        int n = 0;
        for (struct dirent *de; (de = readdir(d));)
                n += de->d_name[0] != '.';
        closedir(d);
        if (n != 0)
                abort(); /* the input wrote outside its directory */
        if (dh_rm_rf_at(fz_base_fd, "dest", NULL) < 0)
                abort();
}
