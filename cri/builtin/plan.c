/* rt_plan_build: CRI container config + sandbox config + image facts →
 * the complete container plan. Pure: no syscalls, no privileges; the shim's
 * child applies the result. Semantics follow containerd's CRI plugin. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "cri/builtin/plan.h"
#include "cri/builtin/rootfs.h"
#include "cri/builtin/security.h"
#include "lib/cleanup.h"

#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static int strv_push(struct dh_strv *v, const char *s, struct dh_err **err)
{
        char **nv = realloc(v->v, (v->n + 1) * sizeof *nv);
        if (!nv)
                return dh_err_set(err, ENOMEM, "out of memory");
        v->v = nv;
        if (!(v->v[v->n] = strdup(s)))
                return dh_err_set(err, ENOMEM, "out of memory");
        v->n++;
        return 0;
}

static int strv_append(struct dh_strv *v, const struct dh_strv *from, struct dh_err **err)
{
        for (size_t i = 0; from && i < from->n; i++)
                if (strv_push(v, from->v[i], err) < 0)
                        return -ENOMEM;
        return 0;
}

/* Kubernetes: command replaces the image's Entrypoint and then the image's
 * Cmd is ignored; args replace Cmd. */
static int plan_argv(const struct rt_container_config *cfg, const struct rt_plan_context *ctx,
                     struct dh_strv *argv, struct dh_err **err)
{
        int r;
        if (cfg->command.n) {
                r = strv_append(argv, &cfg->command, err);
                if (r == 0)
                        r = strv_append(argv, &cfg->args, err);
        } else {
                r = strv_append(argv, ctx->image_entrypoint, err);
                if (r == 0)
                        r = strv_append(argv, cfg->args.n ? &cfg->args : ctx->image_cmd, err);
        }
        if (r == 0 && argv->n == 0)
                r = dh_err_set(err, EINVAL, "no command specified: the container has no command "
                                            "and the image has no Entrypoint or Cmd");
        return r;
}

static ssize_t env_find(const struct dh_strv *env, const char *key, size_t klen)
{
        for (size_t i = 0; i < env->n; i++)
                if (strncmp(env->v[i], key, klen) == 0 && env->v[i][klen] == '=')
                        return (ssize_t)i;
        return -1;
}

/* Sets KEY=value, replacing an earlier value of KEY in place (so the image's
 * order is kept and the last definition wins, as containerd's WithEnv). */
static int env_set(struct dh_strv *env, const char *kv, struct dh_err **err)
{
        const char *eq = strchr(kv, '=');
        size_t klen = eq ? (size_t)(eq - kv) : strlen(kv);
        ssize_t i = env_find(env, kv, klen);
        if (i < 0)
                return strv_push(env, kv, err);
        char *dup = strdup(kv);
        if (!dup)
                return dh_err_set(err, ENOMEM, "out of memory");
        free(env->v[i]);
        env->v[i] = dup;
        return 0;
}

static int plan_env(const struct rt_container_config *cfg, const struct rt_plan_context *ctx,
                    const char *hostname, struct dh_strv *env, struct dh_err **err)
{
        int r = strv_push(env, DEFAULT_PATH, err);
        for (size_t i = 0; r == 0 && ctx->image_env && i < ctx->image_env->n; i++)
                r = env_set(env, ctx->image_env->v[i], err);
        if (r == 0 && hostname) {
                _cleanup_free_ char *h = NULL;
                if (asprintf(&h, "HOSTNAME=%s", hostname) < 0)
                        return dh_err_set(err, ENOMEM, "out of memory");
                r = env_set(env, h, err);
        }
        for (size_t i = 0; r == 0 && i < cfg->envs.n; i++) {
                _cleanup_free_ char *kv = NULL;
                if (!cfg->envs.v[i].key || !*cfg->envs.v[i].key)
                        return dh_err_set(err, EINVAL, "envs[%zu]: empty key", i);
                if (asprintf(&kv, "%s=%s", cfg->envs.v[i].key,
                             cfg->envs.v[i].value ? cfg->envs.v[i].value : "") < 0)
                        return dh_err_set(err, ENOMEM, "out of memory");
                r = env_set(env, kv, err);
        }
        return r;
}

static char *join_path(const char *dir, const char *name)
{
        char *p = NULL;
        if (asprintf(&p, "%s/%s", dir, name) < 0)
                return NULL;
        return p;
}

static int plan_rootfs(const struct rt_container_config *cfg, const struct rt_plan_context *ctx,
                       struct rt_plan_rootfs *rf, struct dh_err **err)
{
        rf->readonly = cfg->linux_cfg.security_context.readonly_rootfs;
        rf->mountpoint = join_path(ctx->container_dir, "rootfs");
        if (ctx->rootfs_dir) {
                rf->dir = strdup(ctx->rootfs_dir);
        } else if (ctx->image_layers && ctx->image_layers->n) {
                if (strv_append(&rf->lower, ctx->image_layers, err) < 0)
                        return -ENOMEM;
                rf->upper = join_path(ctx->container_dir, "upper");
                rf->work = join_path(ctx->container_dir, "work");
        } else {
                return dh_err_set(err, EINVAL, "image \"%s\": no root filesystem (not unpacked, and "
                                               "not a rootfs: directory)", cfg->image.image ? cfg->image.image : "");
        }
        return rf->mountpoint ? 0 : dh_err_set(err, ENOMEM, "out of memory");
}

static struct rt_plan_mount *mount_push(struct rt_container_plan *p, struct dh_err **err)
{
        struct rt_plan_mount *v = realloc(p->mounts.v, (p->mounts.n + 1) * sizeof *v);
        if (!v) {
                dh_err_set(err, ENOMEM, "out of memory");
                return NULL;
        }
        p->mounts.v = v;
        v[p->mounts.n] = (struct rt_plan_mount){ 0 };
        return &v[p->mounts.n++];
}

static uint64_t propagation_flags(enum rt_mount_propagation prop)
{
        switch (prop) {
        case RT_PROPAGATION_HOST_TO_CONTAINER: return MS_SLAVE | MS_REC;
        case RT_PROPAGATION_BIDIRECTIONAL: return MS_SHARED | MS_REC;
        case RT_PROPAGATION_PRIVATE: break;
        }
        return MS_PRIVATE | MS_REC;
}

static int bind_mount(struct rt_container_plan *p, const char *src, const char *dest, bool ro,
                      bool rro, uint64_t propagation, struct dh_err **err)
{
        struct rt_plan_mount *m = mount_push(p, err);
        if (!m)
                return -ENOMEM;
        m->destination = strdup(dest);
        m->source = strdup(src);
        m->type = strdup("bind");
        m->flags = MS_BIND | MS_REC | (ro ? MS_RDONLY : 0) | (rro ? RT_MOUNT_RRO : 0);
        m->propagation = propagation;
        m->mkdir_dest = true;
        return m->destination && m->source && m->type ? 0 : dh_err_set(err, ENOMEM, "out of memory");
}

/* The sandbox's files every container sees, then the caller's mounts (in
 * CRI order, so a later mount may cover an earlier one, as with runc). */
static int plan_mounts(const struct rt_container_config *cfg, const struct rt_sandbox_config *scfg,
                       const struct rt_plan_context *ctx, struct rt_container_plan *p,
                       struct dh_err **err)
{
        _cleanup_free_ char *shm = join_path(ctx->sandbox_dir, "shm");
        _cleanup_free_ char *hostname = join_path(ctx->sandbox_dir, "hostname");
        _cleanup_free_ char *resolv = join_path(ctx->sandbox_dir, "resolv.conf");
        if (!shm || !hostname || !resolv)
                return dh_err_set(err, ENOMEM, "out of memory");
        int r = rt_plan_default_mounts(p, p->privileged, ctx->host_ipc ? "/dev/shm" : shm, err);
        if (r == 0)
                r = bind_mount(p, hostname, "/etc/hostname", false, false, MS_PRIVATE | MS_REC, err);
        if (r == 0 && scfg && scfg->has_dns_config)
                r = bind_mount(p, resolv, "/etc/resolv.conf", false, false, MS_PRIVATE | MS_REC, err);
        for (size_t i = 0; r == 0 && i < cfg->mounts.n; i++) {
                const struct rt_mount *m = &cfg->mounts.v[i];
                if (!m->container_path || m->container_path[0] != '/')
                        return dh_err_set(err, EINVAL, "mounts[%zu]: container_path \"%s\" must be absolute",
                                          i, m->container_path ? m->container_path : "");
                if (!m->host_path || m->host_path[0] != '/')
                        return dh_err_set(err, EINVAL, "mounts[%zu]: host_path \"%s\" must be absolute",
                                          i, m->host_path ? m->host_path : "");
                if (m->recursive_read_only && !m->readonly)
                        return dh_err_set(err, EINVAL, "mounts[%zu]: recursive_read_only needs readonly", i);
                r = bind_mount(p, m->host_path, m->container_path, m->readonly, m->recursive_read_only,
                               propagation_flags(m->propagation), err);
        }
        return r;
}

static int plan_paths(const struct rt_container_security_context *sc, struct rt_container_plan *p,
                      struct dh_err **err)
{
        if (p->privileged)
                return 0; /* privileged containers see /proc and /sys unmasked */
        int r = 0;
        if (sc->masked_paths.n)
                r = strv_append(&p->masked_paths, &sc->masked_paths, err);
        for (size_t i = 0; r == 0 && !sc->masked_paths.n && rt_default_masked_paths[i]; i++)
                r = strv_push(&p->masked_paths, rt_default_masked_paths[i], err);
        if (r == 0 && sc->readonly_paths.n)
                r = strv_append(&p->readonly_paths, &sc->readonly_paths, err);
        for (size_t i = 0; r == 0 && !sc->readonly_paths.n && rt_default_readonly_paths[i]; i++)
                r = strv_push(&p->readonly_paths, rt_default_readonly_paths[i], err);
        return r;
}

/* runAsUser/runAsGroup/runAsUsername win over the image's USER; whatever
 * names a user is resolved in the rootfs at apply time. */
static int plan_user(const struct rt_container_security_context *sc,
                     const struct rt_plan_context *ctx, struct rt_plan_user *u, struct dh_err **err)
{
        char buf[64];
        const char *lookup = NULL;
        if (sc->run_as_user.set) {
                if (sc->run_as_user.value < 0 || sc->run_as_user.value > UINT32_MAX - 1)
                        return dh_err_set(err, EINVAL, "run_as_user %lld out of range",
                                          (long long)sc->run_as_user.value);
                snprintf(buf, sizeof buf, "%lld", (long long)sc->run_as_user.value);
                lookup = buf;
        } else if (sc->run_as_username && *sc->run_as_username) {
                lookup = sc->run_as_username;
        } else if (ctx->image_user && *ctx->image_user) {
                lookup = ctx->image_user;
        }
        if (lookup && !(u->lookup = strdup(lookup)))
                return dh_err_set(err, ENOMEM, "out of memory");
        if (sc->run_as_group.set) {
                if (sc->run_as_group.value < 0 || sc->run_as_group.value > UINT32_MAX - 1)
                        return dh_err_set(err, EINVAL, "run_as_group %lld out of range",
                                          (long long)sc->run_as_group.value);
                u->gid = (uint32_t)sc->run_as_group.value;
                u->gid_set = true;
        }
        for (size_t i = 0; i < sc->supplemental_groups.n; i++) {
                int64_t g = sc->supplemental_groups.v[i];
                if (g < 0 || g > UINT32_MAX - 1)
                        return dh_err_set(err, EINVAL, "supplemental_groups[%zu] %lld out of range",
                                          i, (long long)g);
                uint32_t *nv = realloc(u->additional_gids.v, (u->additional_gids.n + 1) * sizeof *nv);
                if (!nv)
                        return dh_err_set(err, ENOMEM, "out of memory");
                u->additional_gids.v = nv;
                nv[u->additional_gids.n++] = (uint32_t)g;
        }
        return 0;
}

static int plan_caps(const struct rt_container_security_context *sc, struct rt_plan_caps *c,
                     struct dh_err **err)
{
        struct dh_err *e = NULL;
        uint64_t caps = rt_caps_compute(rt_default_caps(), &sc->capabilities.add_capabilities,
                                        &sc->capabilities.drop_capabilities, sc->privileged, &e);
        if (e) {
                *err = e;
                return -e->code;
        }
        c->bounding = c->effective = c->permitted = caps;
        struct dh_strv none = { 0 };
        uint64_t ambient = rt_caps_compute(0, &sc->capabilities.add_ambient_capabilities, &none,
                                           false, &e);
        if (e) {
                *err = e;
                return -e->code;
        }
        /* An ambient capability must be permitted and inheritable too. */
        c->ambient = ambient & caps;
        c->inheritable = c->ambient;
        return 0;
}

static int plan_signal(const struct rt_container_config *cfg, const struct rt_plan_context *ctx,
                       int32_t *sig, struct dh_err **err)
{
        const char *name = cfg->stop_signal && *cfg->stop_signal ? cfg->stop_signal
                                                                 : ctx->image_stop_signal;
        if (!name || !*name) {
                *sig = SIGTERM;
                return 0;
        }
        int s = rt_signal_from_name(name);
        if (s <= 0)
                return dh_err_set(err, EINVAL, "unknown stop signal \"%s\"", name);
        *sig = s;
        return 0;
}

static int plan_cgroup(const struct rt_container_config *cfg, const struct rt_sandbox_config *scfg,
                       const struct rt_plan_context *ctx, struct rt_container_plan *p,
                       struct dh_err **err)
{
        const char *parent = scfg ? scfg->linux_cfg.cgroup_parent : NULL;
        while (parent && *parent == '/')
                parent++;
        int n = parent && *parent ? asprintf(&p->cgroup_path, "%s/%s", parent, ctx->container_id)
                                  : asprintf(&p->cgroup_path, "deckhand/%s/%s", ctx->sandbox_id,
                                             ctx->container_id);
        if (n < 0) {
                p->cgroup_path = NULL;
                return dh_err_set(err, ENOMEM, "out of memory");
        }
        const struct rt_linux_resources *r = &cfg->linux_cfg.resources;
        p->resources = (struct cg_resources){
                .cpu_shares = r->cpu_shares > 0 ? (uint64_t)r->cpu_shares : 0,
                .cpu_quota_us = r->cpu_quota > 0 ? r->cpu_quota : 0,
                .cpu_period_us = r->cpu_period > 0 ? (uint64_t)r->cpu_period : 0,
                .memory_limit = r->memory_limit_in_bytes > 0 ? r->memory_limit_in_bytes : 0,
                .pids_limit = r->pids_limit,
        };
        p->oom_score_adj = (int32_t)(r->oom_score_adj < -1000 ? -1000
                                     : r->oom_score_adj > 1000 ? 1000 : r->oom_score_adj);
        return 0;
}

static int plan_basics(const struct rt_container_config *cfg, const struct rt_sandbox_config *scfg,
                       const struct rt_plan_context *ctx, struct rt_container_plan *p,
                       struct dh_err **err)
{
        const char *hostname = ctx->hostname ? ctx->hostname : scfg ? scfg->hostname : NULL;
        p->id = strdup(ctx->container_id);
        p->sandbox_id = strdup(ctx->sandbox_id);
        p->name = strdup(cfg->metadata.name ? cfg->metadata.name : "");
        p->hostname = hostname ? strdup(hostname) : NULL;
        const char *cwd = cfg->working_dir && *cfg->working_dir ? cfg->working_dir
                          : ctx->image_workdir && *ctx->image_workdir ? ctx->image_workdir : "/";
        if (cwd[0] != '/')
                return dh_err_set(err, EINVAL, "working directory \"%s\" must be absolute", cwd);
        p->cwd = strdup(cwd);
        p->create_cwd = true;
        enum rt_namespace_mode pid = cfg->linux_cfg.security_context.namespace_options.pid;
        p->new_pid_ns = pid == RT_NS_CONTAINER;
        p->privileged = cfg->linux_cfg.security_context.privileged;
        p->no_new_privs = cfg->linux_cfg.security_context.no_new_privs;
        p->tty = cfg->tty;
        p->stdin = cfg->stdin;
        p->stdin_once = cfg->stdin_once;
        if (scfg && scfg->log_directory && cfg->log_path && *cfg->log_path)
                p->log_path = join_path(scfg->log_directory, cfg->log_path);
        if (!p->id || !p->sandbox_id || !p->name || !p->cwd)
                return dh_err_set(err, ENOMEM, "out of memory");
        return 0;
}

static int plan_seccomp(const struct rt_container_security_context *sc, struct rt_container_plan *p,
                        struct dh_err **err)
{
        switch (sc->seccomp.profile_type) {
        case RT_SECCOMP_UNCONFINED:
                p->seccomp = RT_PLAN_SECCOMP_UNCONFINED;
                return 0;
        case RT_SECCOMP_LOCALHOST:
                if (!sc->seccomp.localhost_ref || sc->seccomp.localhost_ref[0] != '/')
                        return dh_err_set(err, EINVAL, "seccomp: Localhost profile \"%s\" must be an absolute path",
                                          sc->seccomp.localhost_ref ? sc->seccomp.localhost_ref : "");
                p->seccomp = RT_PLAN_SECCOMP_LOCALHOST;
                p->seccomp_profile = strdup(sc->seccomp.localhost_ref);
                return p->seccomp_profile ? 0 : dh_err_set(err, ENOMEM, "out of memory");
        case RT_SECCOMP_RUNTIME_DEFAULT:
                break;
        }
        /* containerd leaves privileged containers unconfined unless a
         * profile is asked for explicitly; CRI's zero value is
         * RuntimeDefault, so only non-privileged ones get it by default. */
        p->seccomp = p->privileged ? RT_PLAN_SECCOMP_UNCONFINED : RT_PLAN_SECCOMP_RUNTIME_DEFAULT;
        return 0;
}

int rt_plan_build(const struct rt_container_config *cfg, const struct rt_sandbox_config *scfg,
                  const struct rt_plan_context *ctx, struct rt_container_plan *out,
                  struct dh_err **err)
{
        struct rt_container_plan p = { 0 };
        const struct rt_container_security_context *sc = &cfg->linux_cfg.security_context;
        int r = plan_basics(cfg, scfg, ctx, &p, err);
        if (r == 0)
                r = plan_rootfs(cfg, ctx, &p.rootfs, err);
        if (r == 0)
                r = plan_argv(cfg, ctx, &p.argv, err);
        if (r == 0)
                r = plan_env(cfg, ctx, p.hostname, &p.env, err);
        if (r == 0)
                r = plan_mounts(cfg, scfg, ctx, &p, err);
        if (r == 0)
                r = plan_paths(sc, &p, err);
        if (r == 0)
                r = plan_user(sc, ctx, &p.user, err);
        if (r == 0)
                r = plan_caps(sc, &p.caps, err);
        if (r == 0)
                r = plan_seccomp(sc, &p, err);
        if (r == 0)
                r = plan_signal(cfg, ctx, &p.stop_signal, err);
        if (r == 0)
                r = plan_cgroup(cfg, scfg, ctx, &p, err);
        if (r == 0)
                r = rt_plan_devices(cfg, ctx, &p, err);
        if (r < 0) {
                rt_plan_free(&p);
                return dh_err_prefix(err, "container \"%s\"", cfg->metadata.name ? cfg->metadata.name : "");
        }
        *out = p;
        return 0;
}
