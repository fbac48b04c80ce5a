/* Bounded directory listings. */
#include "lib/dirlist.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void dh_names_free(struct dh_names *n)
{
        for (size_t i = 0; n && i < n->n; i++)
                free(n->v[i]);
        if (n) {
                free(n->v);
                *n = (struct dh_names){ 0 };
        }
}

bool dh_is_subdir(int dirfd, const struct dirent *de, void *ud)
{
        (void)ud;
        if (de->d_type != DT_UNKNOWN)
                return de->d_type == DT_DIR;
        struct stat st;
        return fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

static int cmp_names(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

static int names_push(struct dh_names *out, const char *name)
{
        char **v = realloc(out->v, (out->n + 1) * sizeof *v);
        if (!v)
                return -ENOMEM;
        out->v = v;
        if (!(v[out->n] = strdup(name)))
                return -ENOMEM;
        out->n++;
        return 0;
}

int dh_list_dir(int dirfd, const char *dir, dh_name_filter keep, void *ud, size_t max, bool sort,
                struct dh_names *out, struct dh_err **err)
{
        *out = (struct dh_names){ 0 };
        /* fdopendir takes the fd over; ours stays the caller's. */
        int fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 3);
        DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        if (!d) {
                int e = errno;
                if (fd >= 0)
                        close(fd);
                return dh_err_errno(err, e, "%s: opendir", dir);
        }
        rewinddir(d); /* a dup shares the offset: start from the top */
        int r = 0;
        struct dirent *de;
        while (r == 0 && (errno = 0, de = readdir(d))) {
                if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") || (keep && !keep(dirfd, de, ud)))
                        continue;
                if (out->n >= max)
                        r = dh_err_set(err, DH_ELIMIT, "%s: more than %zu entries", dir, max);
                else if (names_push(out, de->d_name) < 0)
                        r = dh_err_set(err, ENOMEM, "%s: out of memory", dir);
        }
        if (r == 0 && errno)
                r = dh_err_errno(err, errno, "%s: readdir", dir);
        closedir(d);
        if (r < 0)
                dh_names_free(out);
        else if (sort && out->n)
                qsort(out->v, out->n, sizeof *out->v, cmp_names);
        return r;
}
