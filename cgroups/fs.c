/* Bounded cgroupfs file access: one-write(2) control-file writes with errors
 * naming the cgroup, file and value; small reads; "key value" parsing;
 * cgroup.procs iteration. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cgroups/internal.h"
#include "lib/cleanup.h"
#include "lib/fileio.h"
#include "lib/parse.h"

char *cg_join(const char *a, const char *b)
{
        char *s = NULL;
        int n = (b && *b) ? asprintf(&s, "%s/%s", a, b) : asprintf(&s, "%s", a);
        if (n < 0) {
                errno = ENOMEM;
                return NULL;
        }
        if (n >= PATH_MAX) {
                free(s);
                errno = ENAMETOOLONG;
                return NULL;
        }
        return s;
}

int cg_write_hint(const char *dir, const char *file, const char *value, const char *ebusy_hint,
                  struct dh_err **err)
{
        _cleanup_free_ char *p = cg_join(dir, file);
        if (!p)
                return dh_err_errno(err, errno, "%s: write %s = %s", dir, file, value);
        /* O_TRUNC is a no-op on cgroupfs but keeps fake trees in tests exact. */
        _cleanup_close_ int fd = open(p, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW);
        int e = 0;
        if (fd < 0) {
                e = errno;
        } else {
                size_t len = strlen(value);
                /* The kernel parses a control file per write(2): never split it. */
                ssize_t n;
                do
                        n = write(fd, value, len);
                while (n < 0 && errno == EINTR);
                if (n < 0)
                        e = errno;
                else if ((size_t)n != len)
                        e = EIO;
        }
        if (!e)
                return 0;
        char buf[128];
        const char *s = strerror_r(e, buf, sizeof buf);
        if (e == EBUSY && ebusy_hint)
                return dh_err_set(err, e, "%s: write %s = %s: %s (%s)", dir, file, value, s,
                                  ebusy_hint);
        return dh_err_set(err, e, "%s: write %s = %s: %s", dir, file, value, s);
}

int cg_write(const char *dir, const char *file, const char *value, struct dh_err **err)
{
        return cg_write_hint(dir, file, value, NULL, err);
}

int cg_write_i64(const char *dir, const char *file, int64_t v, struct dh_err **err)
{
        char num[32];
        snprintf(num, sizeof num, "%lld", (long long)v);
        return cg_write(dir, file, num, err);
}

int cg_read(const char *dir, const char *file, size_t max, char **out, struct dh_err **err)
{
        _cleanup_free_ char *p = cg_join(dir, file);
        if (!p)
                return dh_err_errno(err, errno, "%s: read %s", dir, file);
        return dh_read_file(p, max, out, NULL, err);
}

static void trim_end(char *s)
{
        size_t n = strlen(s);
        while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' ' || s[n - 1] == '\t'))
                s[--n] = '\0';
}

int cg_read_u64(const char *dir, const char *file, uint64_t *out, struct dh_err **err)
{
        _cleanup_free_ char *text = NULL;
        int r = cg_read(dir, file, CG_FILE_MAX, &text, err);
        if (r < 0)
                return r;
        trim_end(text);
        int64_t v;
        if (dh_parse_i64(text, 0, INT64_MAX, &v, file, err) < 0)
                return dh_err_prefix(err, "%s", dir);
        *out = (uint64_t)v;
        return 0;
}

int cg_keyed_u64(const char *text, const char *key, uint64_t *out, bool *found,
                 const char *what, struct dh_err **err)
{
        size_t klen = strlen(key);
        *found = false;
        for (const char *line = text; line && *line;) {
                const char *nl = strchr(line, '\n');
                size_t len = nl ? (size_t)(nl - line) : strlen(line);
                if (len > klen && memcmp(line, key, klen) == 0 && line[klen] == ' ') {
                        char num[32];
                        size_t vlen = len - klen - 1;
                        if (vlen >= sizeof num)
                                return dh_err_set(err, EINVAL, "%s: %s: value too long", what, key);
                        memcpy(num, line + klen + 1, vlen);
                        num[vlen] = '\0';
                        int64_t v;
                        if (dh_parse_i64(num, 0, INT64_MAX, &v, key, err) < 0)
                                return dh_err_prefix(err, "%s", what);
                        *out = (uint64_t)v;
                        *found = true;
                        return 0;
                }
                line = nl ? nl + 1 : NULL;
        }
        return 0;
}

/* Whitespace-separated word lists (cgroup.controllers, subtree_control); a
 * leading '+' is ignored so what we wrote reads back the same in fake trees. */
bool cg_has_word(const char *list, const char *word)
{
        size_t wlen = strlen(word);
        const char *p = list;
        while (p && *p) {
                p += strspn(p, " \t\n");
                size_t n = strcspn(p, " \t\n");
                const char *w = p;
                if (n > 0 && *w == '+') {
                        w++;
                        n--;
                }
                if (n == wlen && memcmp(w, word, n) == 0)
                        return true;
                p += strcspn(p, " \t\n");
        }
        return false;
}

int cg_foreach_pid(const char *dir, int (*fn)(pid_t pid, void *ud, struct dh_err **err),
                   void *ud, struct dh_err **err)
{
        _cleanup_free_ char *text = NULL;
        int r = cg_read(dir, "cgroup.procs", CG_PROCS_MAX, &text, err);
        if (r < 0)
                return r;
        for (char *line = text, *next; line && *line; line = next) {
                char *nl = strchr(line, '\n');
                next = nl ? nl + 1 : NULL;
                if (nl)
                        *nl = '\0';
                if (!*line)
                        continue;
                int64_t v;
                if (dh_parse_i64(line, 1, INT_MAX, &v, "pid", err) < 0)
                        return dh_err_prefix(err, "%s/cgroup.procs", dir);
                r = fn((pid_t)v, ud, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

bool cg_is_dir(const char *dir)
{
        struct stat st;
        return lstat(dir, &st) == 0 && S_ISDIR(st.st_mode);
}

int cg_mkdir(const char *dir, struct dh_err **err)
{
        if (mkdir(dir, 0755) == 0)
                return 0;
        int e = errno;
        if (e == EEXIST) {
                if (cg_is_dir(dir))
                        return 0;
                e = ENOTDIR;
        }
        return dh_err_errno(err, e, "%s: mkdir", dir);
}

void cg_sleep_ms(long ms)
{
        struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}
