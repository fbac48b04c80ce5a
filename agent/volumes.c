/* agent_volumes_setup/teardown: the pod directory and each volume's host
 * side, dispatched by kind (volumes.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/volumes-internal.h"
#include "lib/atomicfile.h"
#include "lib/cleanup.h"

/* The kubelet's modes for the pod directory and its volumes directory. */
#define POD_DIR_PERM 0750

void agent_pod_volumes_free(struct agent_pod_volumes *v)
{
        if (!v)
                return;
        for (size_t i = 0; i < v->n; i++) {
                free(v->v[i].name);
                free(v->v[i].host_path);
        }
        free(v->v);
        free(v->pod_dir);
        *v = (struct agent_pod_volumes){ 0 };
}

static bool uid_ok(const char *uid)
{
        return vol_is_component(uid) && strlen(uid) <= 253;
}

/* Why a static pod cannot have this volume, or NULL if it can. */
static const char *unsupported(const struct pod_volume *v)
{
        if (v->configMap)
                return "configMap volumes need an API server: a static pod cannot reference configmaps";
        if (v->secret)
                return "secret volumes need an API server: a static pod cannot reference secrets";
        if (v->persistentVolumeClaim)
                return "persistentVolumeClaim volumes need an API server: a static pod cannot "
                       "reference persistentvolumeclaims";
        if (v->ephemeral)
                return "ephemeral volumes need an API server (they are persistentvolumeclaims)";
        if (v->csi)
                return "csi volumes need a CSI driver, which deckhand does not support";
        if (v->nfs)
                return "nfs volumes are not supported";
        if (v->image)
                return "image volumes are not supported";
        for (size_t i = 0; i < POD_VOLUME_N_LEGACY; i++)
                if (v->legacy[i])
                        return "in-tree volume plugins other than emptyDir, hostPath, downwardAPI and "
                               "projected are not supported";
        if (!v->emptyDir && !v->hostPath && !v->downwardAPI && !v->projected)
                return "no volume source";
        return NULL;
}

struct setup_ctx {
        const struct pod *pod;
        const struct agent_node_alloc *node;
        int vols_fd;
        const char *pod_dir;
};

static int plugin_path(const struct setup_ctx *s, const char *plugin, const char *name, char **out,
                       struct dh_err **err)
{
        if (asprintf(out, "%s/" VOL_DIR "/%s/%s", s->pod_dir, plugin, name) < 0)
                return dh_err_set(err, ENOMEM, "out of memory");
        return 0;
}

static int setup_one(const struct setup_ctx *s, const struct pod_volume *vol, struct agent_volume *out,
                     struct dh_err **err)
{
        const char *why = unsupported(vol);
        if (why)
                return dh_err_set(err, DH_EINVAL_INPUT, "%s", why);
        if (!vol_is_component(vol->name))
                return dh_err_set(err, DH_EINVAL_INPUT, "invalid volume name");
        if (vol->hostPath) {
                out->kind = AGENT_VOL_HOST_PATH;
                int r = vol_host_path_check(vol->hostPath, err);
                if (r == 0 && !(out->host_path = strdup(vol->hostPath->path)))
                        r = dh_err_set(err, ENOMEM, "out of memory");
                return r;
        }
        const char *plugin = vol->emptyDir ? VOL_PLUGIN_EMPTY_DIR :
                             vol->downwardAPI ? VOL_PLUGIN_DOWNWARD : VOL_PLUGIN_PROJECTED;
        out->kind = vol->emptyDir ? AGENT_VOL_EMPTY_DIR :
                    vol->downwardAPI ? AGENT_VOL_DOWNWARD_API : AGENT_VOL_PROJECTED;
        out->readonly = !vol->emptyDir;
        _cleanup_close_ int plugin_fd = -1;
        int r = vol_mkdirat(s->vols_fd, plugin, POD_DIR_PERM, false, &plugin_fd, err);
        if (r == 0)
                r = vol->emptyDir ? vol_empty_dir_setup(plugin_fd, vol, s->pod, s->node, err)
                                  : vol_downward_setup(plugin_fd, vol, s->pod, s->node, err);
        if (r == 0)
                r = plugin_path(s, plugin, vol->name, &out->host_path, err);
        return r;
}

/* root/pods/<uid>, created (0750 each) when create is set. */
static int open_pod_dir(const char *root_dir, const char *uid, bool create, int *pods_out,
                        int *pod_out, struct dh_err **err)
{
        _cleanup_close_ int root = open(root_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (root < 0)
                return dh_err_errno(err, errno, "root directory \"%s\"", root_dir);
        _cleanup_close_ int pods = -1, pod = -1;
        int r = create ? vol_mkdirat(root, "pods", POD_DIR_PERM, false, &pods, err)
                       : vol_opendirat(root, "pods", &pods, err);
        if (r == 0)
                r = create ? vol_mkdirat(pods, uid, POD_DIR_PERM, false, &pod, err)
                           : vol_opendirat(pods, uid, &pod, err);
        if (r < 0)
                return r;
        if (pods_out)
                *pods_out = TAKE_FD(pods);
        *pod_out = TAKE_FD(pod);
        return 0;
}

int agent_volumes_setup(const char *root_dir, const struct pod *pod,
                        const struct agent_node_alloc *node, struct agent_pod_volumes *out,
                        struct dh_err **err)
{
        const char *uid = pod->metadata.uid;
        if (!uid_ok(uid))
                return dh_err_set(err, DH_EINVAL_INPUT, "pod uid \"%s\" is not a path-safe name",
                                  uid ? uid : "");
        _cleanup_close_ int pod_fd = -1, vols = -1;
        int r = open_pod_dir(root_dir, uid, true, NULL, &pod_fd, err);
        if (r == 0)
                r = vol_mkdirat(pod_fd, VOL_DIR, POD_DIR_PERM, false, &vols, err);
        if (r < 0)
                return r;
        struct agent_pod_volumes res = { 0 };
        if (asprintf(&res.pod_dir, "%s/pods/%s", root_dir, uid) < 0)
                return dh_err_set(err, ENOMEM, "out of memory");
        size_t n = pod->spec.volumes.n;
        res.v = calloc(n ? n : 1, sizeof *res.v);
        if (!res.v) {
                agent_pod_volumes_free(&res);
                return dh_err_set(err, ENOMEM, "out of memory");
        }
        struct setup_ctx s = { .pod = pod, .node = node, .vols_fd = vols, .pod_dir = res.pod_dir };
        for (size_t i = 0; r == 0 && i < n; i++) {
                const struct pod_volume *vol = &pod->spec.volumes.v[i];
                struct agent_volume *av = &res.v[res.n++];
                if (!(av->name = strdup(vol->name ? vol->name : "")))
                        r = dh_err_set(err, ENOMEM, "out of memory");
                if (r == 0 && setup_one(&s, vol, av, err) < 0)
                        r = dh_err_prefix(err, "volume \"%s\"", av->name);
        }
        if (r < 0) {
                agent_pod_volumes_free(&res);
                return r;
        }
        *out = res;
        return 0;
}

/* Unmounts the tmpfs on each volume under one plugin directory. */
static int unmount_plugin(int vols, const char *plugin, struct dh_err **err)
{
        _cleanup_close_ int pfd = -1;
        int r = vol_opendirat(vols, plugin, &pfd, err);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        int dfd = fcntl(pfd, F_DUPFD_CLOEXEC, 3);
        DIR *d = dfd < 0 ? NULL : fdopendir(dfd);
        if (!d) {
                if (dfd >= 0)
                        close(dfd);
                return dh_err_errno(err, errno, "read \"%s\"", plugin);
        }
        struct dirent *de;
        while ((de = readdir(d))) {
                if (de->d_type != DT_DIR || !vol_is_component(de->d_name))
                        continue;
                _cleanup_close_ int fd = -1;
                bool is_mount = false, is_tmpfs = false;
                if (vol_opendirat(pfd, de->d_name, &fd, err) < 0 ||
                    vol_mount_state(fd, &is_mount, &is_tmpfs, err) < 0)
                        continue;
                close(TAKE_FD(fd)); /* an open fd would keep the mount busy */
                /* Only our own tmpfs; any other mount makes the removal fail. */
                if (is_mount && is_tmpfs)
                        vol_umount_at(pfd, de->d_name, err);
        }
        closedir(d);
        return 0;
}

static int unmount_volumes(int pod_fd, struct dh_err **err)
{
        _cleanup_close_ int vols = -1;
        int r = vol_opendirat(pod_fd, VOL_DIR, &vols, err);
        if (r == -ENOENT)
                return 0;
        static const char *const plugins[] = { VOL_PLUGIN_EMPTY_DIR, VOL_PLUGIN_DOWNWARD,
                                               VOL_PLUGIN_PROJECTED };
        for (size_t i = 0; r == 0 && i < DH_ARRAY_SIZE(plugins); i++)
                unmount_plugin(vols, plugins[i], err);
        return r;
}

int agent_volumes_teardown(const char *root_dir, const char *uid, struct dh_err **err)
{
        if (!uid_ok(uid))
                return dh_err_set(err, DH_EINVAL_INPUT, "pod uid \"%s\" is not a path-safe name",
                                  uid ? uid : "");
        _cleanup_close_ int pods = -1, pod_fd = -1;
        int r = open_pod_dir(root_dir, uid, false, &pods, &pod_fd, err);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        struct dh_err *first = NULL;
        vol_subpaths_clean(pod_fd, &first);
        unmount_volumes(pod_fd, &first);
        static const char *const owned[] = { VOL_SUBPATHS_DIR, VOL_DIR, VOL_CONTAINERS_DIR, VOL_HOSTS_FILE };
        for (size_t i = 0; i < DH_ARRAY_SIZE(owned); i++)
                dh_rm_rf_at(pod_fd, owned[i], &first);
        if (!first && unlinkat(pods, uid, AT_REMOVEDIR) < 0 && errno != ENOTEMPTY && errno != EEXIST)
                dh_err_errno(&first, errno, "remove the pod directory");
        if (!first)
                return 0;
        r = -first->code;
        if (err && !*err) {
                *err = first;
                dh_err_prefix(err, "pod volumes \"%s\"", uid);
        } else {
                dh_err_free(first);
        }
        return r;
}
