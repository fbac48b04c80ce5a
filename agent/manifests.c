/* Static pod manifest directory listing, as kubelet's file source
 * (pkg/kubelet/config/file.go extractFromDir) does it. */
#include "agent/manifests.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/cleanup.h"
#include "lib/dirlist.h"

/* kubelet reads every entry whose name does not start with a dot: editors'
 * backup files (foo.yaml~) are read too, and must parse, as with kubelet. */
bool agent_manifest_name_ok(const char *name)
{
        return name[0] != '\0' && name[0] != '.';
}

static bool manifest_entry(int dirfd, const struct dirent *de, void *ud)
{
        (void)dirfd;
        (void)ud;
        return agent_manifest_name_ok(de->d_name);
}

static int visit(const char *dir, const char *name, agent_manifest_fn fn, void *userdata,
                 struct dh_err **err)
{
        /* The manifest directory is the administrator's, not a container's:
         * following symlinks here is what kubelet does (os.Stat). */
        char *path = NULL;
        size_t dl = strlen(dir);
        bool slash = dl && dir[dl - 1] == '/';
        if (asprintf(&path, "%s%s%s", dir, slash ? "" : "/", name) < 0)
                return dh_err_set(err, ENOMEM, "%s: out of memory", dir);
        struct stat st;
        int r = 0;
        if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode)) {
                r = fn(path, userdata);
                if (r < 0)
                        dh_err_set(err, -r, "%s: stopped at %s", dir, path);
        }
        free(path);
        return r < 0 ? r : 0;
}

int agent_manifest_dir_scan(const char *dir, agent_manifest_fn fn, void *userdata,
                            struct dh_err **err)
{
        /* O_NONBLOCK: a FIFO at the path must not hang the agent. */
        int fd = open(dir, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return dh_err_errno(err, errno, "%s: open", dir);
        struct stat st;
        if (fstat(fd, &st) < 0) {
                int e = errno;
                close(fd);
                return dh_err_errno(err, e, "%s: stat", dir);
        }
        if (!S_ISDIR(st.st_mode)) {
                close(fd);
                if (!S_ISREG(st.st_mode))
                        return dh_err_set(err, EINVAL, "%s: not a directory or a regular file", dir);
                int r = fn(dir, userdata);
                return r < 0 ? dh_err_set(err, -r, "%s: stopped", dir) : 0;
        }
        struct dh_names l = { 0 };
        int r = dh_list_dir(fd, dir, manifest_entry, NULL, AGENT_MANIFEST_DIR_MAX, true, &l, err);
        close(fd);
        for (size_t i = 0; r == 0 && i < l.n; i++)
                r = visit(dir, l.v[i], fn, userdata, err);
        dh_names_free(&l);
        return r;
}
