/* hostPath: the type checks of the kubelet's hostPath plugin (checkType),
 * with its messages. The path itself is the node admin's, not a
 * container's: it is used as given, as the kubelet does. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/volumes-internal.h"
#include "lib/atomicfile.h"
#include "lib/cleanup.h"

struct hp_type {
        const char *name;    /* HostPathType */
        mode_t fmt;          /* S_IF* the path must be */
        const char *what;    /* as the kubelet words it */
        bool create;
};

static const struct hp_type hp_types[] = {
        { "DirectoryOrCreate", S_IFDIR, "directory", true },
        { "Directory", S_IFDIR, "directory", false },
        { "FileOrCreate", S_IFREG, "file", true },
        { "File", S_IFREG, "file", false },
        { "Socket", S_IFSOCK, "socket file", false },
        { "CharDevice", S_IFCHR, "character device", false },
        { "BlockDevice", S_IFBLK, "block device", false },
};

/* The HostPathType name of a file type, as hostutil's GetFileType. */
static const char *type_name(mode_t m)
{
        switch (m & S_IFMT) {
        case S_IFDIR: return "Directory";
        case S_IFREG: return "File";
        case S_IFSOCK: return "Socket";
        case S_IFCHR: return "CharDevice";
        case S_IFBLK: return "BlockDevice";
        }
        return "";
}

static bool has_backsteps(const char *p)
{
        for (const char *s = p; (s = strstr(s, "..")); s += 2)
                if ((s == p || s[-1] == '/') && (s[2] == '\0' || s[2] == '/'))
                        return true;
        return false;
}

/* FileOrCreate: an empty 0644 file; the parent must exist (as os.OpenFile
 * with O_CREATE), and an existing path of any type is left alone. */
static int make_file(const char *path, struct dh_err **err)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0644);
        if (fd < 0 && errno != EEXIST && errno != EISDIR && errno != ELOOP)
                return dh_err_errno(err, errno, "create \"%s\"", path);
        if (fd >= 0)
                close(fd);
        return 0;
}

int vol_host_path_check(const struct pod_host_path *hp, struct dh_err **err)
{
        const char *path = hp->path ? hp->path : "";
        if (has_backsteps(path))
                return dh_err_set(err, DH_EINVAL_INPUT, "invalid HostPath `%s`: must not contain '..'",
                                  path);
        const char *type = hp->type ? hp->type : "";
        if (!*type)
                return 0; /* no checks, for backwards compatibility */
        const struct hp_type *t = NULL;
        for (size_t i = 0; i < DH_ARRAY_SIZE(hp_types); i++)
                if (strcmp(type, hp_types[i].name) == 0)
                        t = &hp_types[i];
        if (!t)
                return dh_err_set(err, DH_EINVAL_INPUT, "%s is an invalid volume type", type);
        struct stat st;
        bool exists = stat(path, &st) == 0;
        if (!exists && t->create) {
                int r = t->fmt == S_IFDIR ? dh_mkdir_p(path, 0755, err) : make_file(path, err);
                if (r < 0)
                        return r;
                exists = stat(path, &st) == 0;
        }
        if (!exists)
                return dh_err_set(err, ENOENT, "hostPath %s doesn't exist", path);
        if ((st.st_mode & S_IFMT) != t->fmt && !*type_name(st.st_mode))
                return dh_err_set(err, DH_EINVAL_INPUT, "hostPath type check failed, %s is not a %s, unable to "
                                  "determine its type: only recognise file, directory, socket, block device "
                                  "and character device", path, t->what);
        if ((st.st_mode & S_IFMT) != t->fmt)
                return dh_err_set(err, DH_EINVAL_INPUT, "hostPath type check failed: %s is not a %s, it's a %s",
                                  path, t->what, type_name(st.st_mode));
        return 0;
}
