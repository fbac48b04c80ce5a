/* downwardAPI volumes, and projected volumes whose sources are all
 * downwardAPI: like the kubelet, a memory-backed emptyDir (tmpfs) under the
 * plugin directory with the items written by the atomic writer. Static
 * pods cannot use the other projected sources (service account tokens,
 * configMaps, secrets, cluster trust bundles): they need an API server. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agent/volumes-internal.h"
#include "lib/cleanup.h"

#define DEFAULT_MODE 0644
#define DIR_PERM 0777

struct payload {
        struct vol_payload_file *v;
        size_t n;
};

static void payload_free(struct payload *p)
{
        for (size_t i = 0; i < p->n; i++)
                free(p->v[i].data);
        free(p->v);
}

static int add_items(struct payload *p, const struct pod *pod, const struct agent_node_alloc *node,
                     const struct pod_downward_volume *d, const struct dh_opt_i64 *default_mode,
                     struct dh_err **err)
{
        for (size_t i = 0; i < d->items.n; i++) {
                const struct pod_downward_file *f = &d->items.v[i];
                struct vol_payload_file *nv = realloc(p->v, (p->n + 1) * sizeof *nv);
                if (!nv)
                        return dh_err_set(err, ENOMEM, "out of memory");
                p->v = nv;
                struct vol_payload_file *pf = &p->v[p->n];
                *pf = (struct vol_payload_file){ .path = f->path ? f->path : "" };
                const struct dh_opt_i64 *mode = f->mode.set ? &f->mode : default_mode;
                pf->mode = mode->set ? (mode_t)(mode->v & 0777) : DEFAULT_MODE;
                if (vol_downward_value(pod, node, f, &pf->data, err) < 0)
                        return dh_err_prefix(err, "item \"%s\"", pf->path);
                pf->len = strlen(pf->data);
                p->n++;
        }
        return 0;
}

static int projected_items(struct payload *p, const struct pod *pod,
                           const struct agent_node_alloc *node, const struct pod_projected_volume *pv,
                           struct dh_err **err)
{
        for (size_t i = 0; i < pv->sources.n; i++) {
                const struct pod_volume_projection *s = &pv->sources.v[i];
                const char *what = s->serviceAccountToken ? "serviceAccountToken" :
                                   s->configMap ? "configMap" : s->secret ? "secret" :
                                   s->clusterTrustBundle ? "clusterTrustBundle" : NULL;
                if (what)
                        return dh_err_set(err, DH_EINVAL_INPUT, "projected %s sources need an API server: "
                                          "a static pod cannot reference API objects", what);
                if (s->downwardAPI && add_items(p, pod, node, s->downwardAPI, &pv->defaultMode, err) < 0)
                        return -DH_EINVAL_INPUT;
        }
        return 0;
}

int vol_downward_setup(int plugin_fd, const struct pod_volume *vol, const struct pod *pod,
                       const struct agent_node_alloc *node, struct dh_err **err)
{
        _cleanup_(payload_free) struct payload p = { 0 };
        int r = vol->downwardAPI ? add_items(&p, pod, node, vol->downwardAPI, &vol->downwardAPI->defaultMode, err)
                                 : projected_items(&p, pod, node, vol->projected, err);
        if (r < 0)
                return r;
        _cleanup_close_ int fd = -1;
        r = vol_mkdirat(plugin_fd, vol->name, DIR_PERM, false, &fd, err);
        if (r == 0)
                r = vol_tmpfs_ensure(fd, vol_memory_size(pod, node, NULL), err);
        if (r < 0)
                return r;
        /* Reopen: fd is the directory under the tmpfs just mounted. */
        _cleanup_close_ int root = -1;
        r = vol_opendirat(plugin_fd, vol->name, &root, err);
        if (r == -ENOENT)
                return dh_err_errno(err, ENOENT, "open \"%s\"", vol->name);
        if (r == 0)
                r = vol_atomic_write(root, p.v, p.n, err);
        return r;
}
