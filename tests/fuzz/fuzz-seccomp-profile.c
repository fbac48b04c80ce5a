/* Fuzz target: Localhost seccomp profiles (OCI seccomp JSON, decoded and
 * compiled into a libseccomp filter by cri/builtin/seccomp.c). The input
 * is written to a temp file created once per process and built with a few
 * capability sets (they switch Docker-style includes/excludes, so a good
 * profile is built with each); the filter is released, never loaded. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cri/builtin/security.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Broken properties name themselves, so a failing replay says what broke. */
static _Noreturn void fail(const char *why)
{
        fprintf(stderr, "fuzz-seccomp-profile: %s\n", why);
        abort();
}

/* A memfd, named by its /proc path: nothing is left on disk. */
static char path[64];
static int file_fd = -1;

static void write_profile(const uint8_t *data, size_t size)
{
        if (file_fd < 0) {
                file_fd = memfd_create("fuzz-seccomp-profile", MFD_CLOEXEC);
                if (file_fd < 0)
                        abort();
                snprintf(path, sizeof path, "/proc/self/fd/%d", file_fd);
        }
        if (ftruncate(file_fd, 0) < 0 || pwrite(file_fd, data, size, 0) != (ssize_t)size)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        /* The caps: none, containerd's default set, everything. */
        static const uint64_t caps[] = { 0, 0xa80425fbull, ~0ull };
        if (size > (1u << 20))
                return 0;
        write_profile(data, size);
        for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++) {
                scmp_filter_ctx ctx = NULL;
                struct dh_err *err = NULL;
                if (rt_seccomp_build(RT_PLAN_SECCOMP_LOCALHOST, path, caps[i], &ctx, &err) < 0) {
                        if (!err || !err->msg || ctx)
                                fail("a failure without a message, or a filter left behind");
                        dh_err_free(err);
                        break; /* caps don't make a bad profile good */
                }
                if (!ctx)
                        fail("success without a filter");
                seccomp_release(ctx);
        }
        return 0;
}
