/* agent_container_mounts: one container's CRI mounts as the kubelet's
 * makeMounts builds them: volumeMounts (subPath prepared safely), the
 * kubelet-managed /etc/hosts and the termination-message file. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/volumes-internal.h"
#include "lib/buf.h"
#include "lib/cleanup.h"
#include "lib/fileio.h"

#define ETC_HOSTS "/etc/hosts"
#define CONTAINER_DIR_PERM 0750
#define TERMINATION_FILE_PERM 0666
#define HOSTS_PERM 0644

struct mounts {
        struct rt_mount *v;
        size_t n;
};

void agent_mounts_free(struct rt_mount *m, size_t n)
{
        for (size_t i = 0; m && i < n; i++) {
                free(m[i].container_path);
                free(m[i].host_path);
        }
        free(m);
}

static void mounts_clear(struct mounts *m)
{
        agent_mounts_free(m->v, m->n);
}

/* Appends a mount; takes host (malloc'd) in every case. */
static int push(struct mounts *m, const char *container_path, char *host, bool ro, struct dh_err **err)
{
        struct rt_mount *nv = realloc(m->v, (m->n + 1) * sizeof *nv);
        if (!nv) {
                free(host);
                return dh_err_set(err, ENOMEM, "out of memory");
        }
        m->v = nv;
        struct rt_mount *e = &m->v[m->n++];
        *e = (struct rt_mount){ .host_path = host, .readonly = ro };
        /* MakeAbsolutePath: a relative mountPath is taken from "/". */
        if (asprintf(&e->container_path, "%s%s", container_path[0] == '/' ? "" : "/", container_path) < 0) {
                e->container_path = NULL;
                return dh_err_set(err, ENOMEM, "out of memory");
        }
        return 0;
}

static const struct agent_volume *find_volume(const struct agent_pod_volumes *v, const char *name)
{
        for (size_t i = 0; name && i < v->n; i++)
                if (strcmp(v->v[i].name, name) == 0)
                        return &v->v[i];
        return NULL;
}

static int propagation(const char *mode, enum rt_mount_propagation *out, struct dh_err **err)
{
        if (!mode || strcmp(mode, "None") == 0)
                *out = RT_PROPAGATION_PRIVATE;
        else if (strcmp(mode, "HostToContainer") == 0)
                *out = RT_PROPAGATION_HOST_TO_CONTAINER;
        else if (strcmp(mode, "Bidirectional") == 0)
                *out = RT_PROPAGATION_BIDIRECTIONAL;
        else
                return dh_err_set(err, DH_EINVAL_INPUT, "invalid MountPropagation mode: \"%s\"", mode);
        return 0;
}

static bool has_backsteps(const char *p)
{
        for (const char *s = p; (s = strstr(s, "..")); s += 2)
                if ((s == p || s[-1] == '/') && (s[2] == '\0' || s[2] == '/'))
                        return true;
        return false;
}

struct mount_job {
        const struct agent_pod_volumes *v;
        const struct pod_container *c;
        const struct agent_mount_ctx *ctx;
        int pod_fd;
};

/* The host path a volumeMount binds: the volume, or its prepared subPath. */
static int mount_source(const struct mount_job *j, const struct pod_volume_mount *vm, size_t idx,
                        const struct agent_volume *av, char **out, struct dh_err **err)
{
        _cleanup_free_ char *sub = NULL;
        if (vm->subPathExpr && *vm->subPathExpr) {
                if (vol_expand_subpath_expr(vm->subPathExpr, j->ctx ? j->ctx->env : NULL, &sub, err) < 0)
                        return -DH_EINVAL_INPUT;
        } else if (vm->subPath && !(sub = strdup(vm->subPath))) {
                return dh_err_set(err, ENOMEM, "out of memory");
        }
        if (!sub || !*sub) {
                if (!(*out = strdup(av->host_path)))
                        return dh_err_set(err, ENOMEM, "out of memory");
                return 0;
        }
        if (sub[0] == '/')
                return dh_err_set(err, DH_EINVAL_INPUT, "error SubPath `%s` must not be an absolute path", sub);
        if (has_backsteps(sub))
                return dh_err_set(err, DH_EINVAL_INPUT, "unable to provision SubPath `%s`: must not contain '..'",
                                  sub);
        struct vol_subpath_req req = {
                .pod_fd = j->pod_fd, .volume_root = av->host_path, .volume_name = av->name,
                .container_name = j->c->name, .index = idx, .subpath = sub, .pod_dir = j->v->pod_dir,
        };
        return vol_subpath_prepare(&req, out, err);
}

static int volume_mount(const struct mount_job *j, size_t idx, struct mounts *m, struct dh_err **err)
{
        const struct pod_volume_mount *vm = &j->c->volumeMounts.v[idx];
        const struct agent_volume *av = find_volume(j->v, vm->name);
        if (!av)
                return dh_err_set(err, DH_EINVAL_INPUT, "cannot find volume \"%s\" to mount into container \"%s\"",
                                  vm->name ? vm->name : "", j->c->name);
        enum rt_mount_propagation prop = RT_PROPAGATION_PRIVATE;
        if (propagation(vm->mountPropagation, &prop, err) < 0)
                return -DH_EINVAL_INPUT;
        const char *rro_mode = vm->recursiveReadOnly ? vm->recursiveReadOnly : "Disabled";
        bool ro = vm->readOnly.v || av->readonly;
        bool rro = strcmp(rro_mode, "Enabled") == 0 || strcmp(rro_mode, "IfPossible") == 0;
        if (rro && !vm->readOnly.v)
                return dh_err_set(err, DH_EINVAL_INPUT, "recursiveReadOnly \"%s\" needs readOnly", rro_mode);
        if (strcmp(rro_mode, "Enabled") == 0 && prop != RT_PROPAGATION_PRIVATE)
                return dh_err_set(err, DH_EINVAL_INPUT, "recursiveReadOnly \"Enabled\" needs mountPropagation None");
        char *host = NULL;
        if (mount_source(j, vm, idx, av, &host, err) < 0)
                return -DH_EINVAL_INPUT;
        if (push(m, vm->mountPath ? vm->mountPath : "", host, ro, err) < 0)
                return -ENOMEM;
        m->v[m->n - 1].propagation = prop;
        m->v[m->n - 1].recursive_read_only = rro;
        return 0;
}

/* A new empty 0666 file in <pod>/containers/<name>/, named by 8 random hex
 * digits, so each container instance has its own termination message. */
static int termination_file(const struct mount_job *j, char **out, struct dh_err **err)
{
        _cleanup_close_ int top = -1, dir = -1;
        int r = vol_mkdirat(j->pod_fd, VOL_CONTAINERS_DIR, CONTAINER_DIR_PERM, false, &top, err);
        if (r == 0)
                r = vol_mkdirat(top, j->c->name, CONTAINER_DIR_PERM, false, &dir, err);
        if (r < 0)
                return r;
        for (int tries = 0; tries < 16; tries++) {
                uint32_t rnd;
                if (getrandom(&rnd, sizeof rnd, 0) != sizeof rnd)
                        return dh_err_errno(err, errno, "getrandom");
                char name[16];
                snprintf(name, sizeof name, "%08x", rnd);
                _cleanup_close_ int fd = openat(dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                                                TERMINATION_FILE_PERM);
                if (fd < 0 && errno == EEXIST)
                        continue;
                if (fd < 0)
                        return dh_err_errno(err, errno, "create the termination message file");
                /* The umask narrowed it; the container user must be able to write. */
                if (fchmod(fd, TERMINATION_FILE_PERM) < 0)
                        return dh_err_errno(err, errno, "chmod the termination message file");
                if (asprintf(out, "%s/" VOL_CONTAINERS_DIR "/%s/%s", j->v->pod_dir, j->c->name, name) < 0)
                        return dh_err_set(err, ENOMEM, "out of memory");
                return 0;
        }
        return dh_err_set(err, EEXIST, "no unused termination message file name");
}

/* managedHostsFileContent / nodeHostsFileContent. */
static int hosts_content(const struct pod *pod, const struct agent_mount_ctx *ctx, struct dh_buf *b,
                         struct dh_err **err)
{
        int r;
        if (pod->spec.hostNetwork.v) {
                const char *src = ctx->node_hosts_file ? ctx->node_hosts_file : ETC_HOSTS;
                _cleanup_free_ char *node = NULL;
                size_t len = 0;
                r = dh_read_file(src, VOL_HOSTS_MAX, &node, &len, err);
                if (r == 0)
                        r = dh_buf_puts(b, "# Kubernetes-managed hosts file (host network).\n", err);
                if (r == 0)
                        r = dh_buf_append(b, node, len, err);
        } else {
                r = dh_buf_puts(b, "# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n"
                                   "::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\n"
                                   "fe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n",
                                err);
                const char *h = ctx->hostname ? ctx->hostname : "", *d = ctx->host_domain;
                for (size_t i = 0; r == 0 && i < ctx->n_pod_ips; i++)
                        r = d && *d ? dh_buf_printf(b, err, "%s\t%s.%s\t%s\n", ctx->pod_ips[i], h, d, h)
                                    : dh_buf_printf(b, err, "%s\t%s\n", ctx->pod_ips[i], h);
        }
        const struct pod_spec *s = &pod->spec;
        if (r == 0 && s->hostAliases.n)
                r = dh_buf_puts(b, "\n# Entries added by HostAliases.\n", err);
        for (size_t i = 0; r == 0 && i < s->hostAliases.n; i++) {
                const struct pod_host_alias *a = &s->hostAliases.v[i];
                r = dh_buf_puts(b, a->ip ? a->ip : "", err);
                for (size_t k = 0; r == 0 && k < a->hostnames.n; k++)
                        r = dh_buf_printf(b, err, "\t%s", a->hostnames.v[k]);
                if (r == 0)
                        r = dh_buf_puts(b, "\n", err);
        }
        return r;
}

/* Rewritten in place (as the kubelet does) so containers already running
 * see the same file; untouched when the content is the same. */
static int write_hosts(int pod_fd, const struct dh_buf *b, struct dh_err **err)
{
        _cleanup_close_ int fd = openat(pod_fd, VOL_HOSTS_FILE, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
                                        HOSTS_PERM);
        if (fd < 0)
                return dh_err_errno(err, errno, VOL_HOSTS_FILE);
        _cleanup_free_ char *old = NULL;
        size_t len = 0;
        if (dh_read_fd(fd, VOL_HOSTS_FILE, VOL_HOSTS_MAX + 1, &old, &len, NULL) == 0 && len == b->len &&
            memcmp(old, b->data, len) == 0)
                return fchmod(fd, HOSTS_PERM) < 0 ? dh_err_errno(err, errno, VOL_HOSTS_FILE) : 0;
        if (ftruncate(fd, 0) < 0 || pwrite(fd, b->data, b->len, 0) != (ssize_t)b->len ||
            fchmod(fd, HOSTS_PERM) < 0)
                return dh_err_errno(err, errno, "write " VOL_HOSTS_FILE);
        return 0;
}

static int hosts_mount(const struct mount_job *j, const struct pod *pod, struct mounts *m,
                       struct dh_err **err)
{
        _cleanup_(dh_buf_free) struct dh_buf b;
        dh_buf_init(&b, VOL_HOSTS_MAX + 4096);
        int r = hosts_content(pod, j->ctx, &b, err);
        if (r == 0)
                r = write_hosts(j->pod_fd, &b, err);
        char *host = NULL;
        if (r == 0 && asprintf(&host, "%s/" VOL_HOSTS_FILE, j->v->pod_dir) < 0)
                r = dh_err_set(err, ENOMEM, "out of memory");
        if (r == 0)
                r = push(m, ETC_HOSTS, host, false, err);
        return r < 0 ? dh_err_prefix(err, "/etc/hosts") : 0;
}

static bool wants_hosts(const struct mount_job *j)
{
        if (!j->ctx || !j->ctx->n_pod_ips)
                return false; /* the sandbox's IP is not known yet */
        for (size_t i = 0; i < j->c->volumeMounts.n; i++)
                if (j->c->volumeMounts.v[i].mountPath && strcmp(j->c->volumeMounts.v[i].mountPath, ETC_HOSTS) == 0)
                        return false;
        return true;
}

int agent_container_mounts(const struct agent_pod_volumes *v, const struct pod *pod,
                           const struct pod_container *c, const struct agent_mount_ctx *ctx,
                           struct rt_mount **mounts, size_t *n, struct dh_err **err)
{
        if (!c->name || !vol_is_component(c->name))
                return dh_err_set(err, DH_EINVAL_INPUT, "invalid container name");
        _cleanup_close_ int pod_fd = open(v->pod_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (pod_fd < 0)
                return dh_err_errno(err, errno, "pod directory \"%s\"", v->pod_dir);
        struct mount_job j = { .v = v, .c = c, .ctx = ctx, .pod_fd = pod_fd };
        _cleanup_(mounts_clear) struct mounts m = { 0 };
        int r = 0;
        for (size_t i = 0; r == 0 && i < c->volumeMounts.n; i++)
                if (volume_mount(&j, i, &m, err) < 0)
                        r = dh_err_prefix(err, "volumeMount \"%s\"", c->volumeMounts.v[i].mountPath
                                                                      ? c->volumeMounts.v[i].mountPath : "");
        if (r == 0 && wants_hosts(&j))
                r = hosts_mount(&j, pod, &m, err);
        if (r == 0 && c->terminationMessagePath && *c->terminationMessagePath) {
                char *host = NULL;
                r = termination_file(&j, &host, err);
                if (r == 0)
                        r = push(&m, c->terminationMessagePath, host, false, err);
        }
        if (r < 0)
                return dh_err_prefix(err, "container \"%s\"", c->name);
        *mounts = TAKE_PTR(m.v);
        *n = m.n;
        m.n = 0;
        return 0;
}
