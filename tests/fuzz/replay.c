/* Replay main for gcc builds: runs a fuzz target over every file in the
 * given files or directories (the seed corpus and any crash reproducers),
 * so `make test` exercises each target without clang. */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/fileio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path, int *count)
{
        char *data = NULL;
        size_t len = 0;
        struct dh_err *err = NULL;
        if (dh_read_file(path, 16u << 20, &data, &len, &err) < 0) {
                fprintf(stderr, "%s\n", err->msg);
                dh_err_free(err);
                return -1;
        }
        LLVMFuzzerTestOneInput((const uint8_t *)data, len);
        free(data);
        (*count)++;
        return 0;
}

static int replay_path(const char *path, int *count)
{
        struct stat st;
        if (stat(path, &st) < 0) {
                fprintf(stderr, "%s: %s\n", path, strerror(errno));
                return -1;
        }
        if (!S_ISDIR(st.st_mode))
                return replay_file(path, count);
        struct dirent **names = NULL;
        int n = scandir(path, &names, NULL, alphasort);
        if (n < 0) {
                fprintf(stderr, "%s: %s\n", path, strerror(errno));
                return -1;
        }
        int r = 0;
        for (int i = 0; i < n; i++) {
                if (names[i]->d_name[0] != '.') {
                        char full[4096];
                        snprintf(full, sizeof full, "%s/%s", path, names[i]->d_name);
                        if (replay_file(full, count) < 0)
                                r = -1;
                }
                free(names[i]);
        }
        free(names);
        return r;
}

int main(int argc, char **argv)
{
        int count = 0, failed = 0;
        for (int i = 1; i < argc; i++)
                if (replay_path(argv[i], &count) < 0)
                        failed = 1;
        if (count == 0) {
                fprintf(stderr, "no corpus inputs found\n");
                failed = 1;
        }
        /* Each input that ran without a crash or sanitizer report passed. */
        printf("%s: %d passed, %d failed\n", argv[0], count, failed);
        return failed;
}
