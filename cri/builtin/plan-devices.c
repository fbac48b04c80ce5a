/* The container's devices as plain data: the nodes CRI's config asks for
 * (from their host nodes, looked up beforehand) and the device cgroup
 * rules, as containerd + runc produce them: containerd's default deny-all,
 * an allow per config device with its permissions, then runc's
 * AllowedDevices; a privileged container may use every device. Pure. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cri/builtin/plan.h"

#define W CG_DEV_WILDCARD
#define RWM CG_DEV_RWM

/* runc libcontainer/specconv AllowedDevices (runc >= 1.2.4). */
const struct rt_default_device_rule rt_default_device_rules[] = {
        /* mknod of any device; opening it is what the rules below decide */
        { NULL, { 'c', W, W, CG_DEV_MKNOD, true } },
        { NULL, { 'b', W, W, CG_DEV_MKNOD, true } },
        { "/dev/null", { 'c', 1, 3, RWM, true } },
        { "/dev/random", { 'c', 1, 8, RWM, true } },
        { "/dev/full", { 'c', 1, 7, RWM, true } },
        { "/dev/tty", { 'c', 5, 0, RWM, true } },
        { "/dev/zero", { 'c', 1, 5, RWM, true } },
        { "/dev/urandom", { 'c', 1, 9, RWM, true } },
        { NULL, { 'c', 136, W, RWM, true } },  /* the pts devices */
        { NULL, { 'c', 5, 2, RWM, true } },    /* /dev/ptmx */
        /* tun/tap: removed in runc 1.2.0, re-added in 1.2.4 (rule only, no node) */
        { NULL, { 'c', 10, 200, RWM, true } },
};
const size_t rt_n_default_device_rules = sizeof rt_default_device_rules / sizeof rt_default_device_rules[0];

static int rule_push(struct rt_container_plan *p, const struct cg_dev_rule *r, struct dh_err **err)
{
        struct cg_dev_rule *v = realloc(p->device_rules.v, (p->device_rules.n + 1) * sizeof *v);
        if (!v)
                return dh_err_set(err, ENOMEM, "out of memory");
        p->device_rules.v = v;
        v[p->device_rules.n++] = *r;
        return 0;
}

static int node_push(struct rt_container_plan *p, const char *path, const struct rt_host_device *h,
                     struct dh_err **err)
{
        struct rt_plan_device *v = realloc(p->devices.v, (p->devices.n + 1) * sizeof *v);
        if (!v)
                return dh_err_set(err, ENOMEM, "out of memory");
        p->devices.v = v;
        struct rt_plan_device *d = &v[p->devices.n];
        *d = (struct rt_plan_device){ .path = strdup(path), .type = h->type, .major = h->major,
                                      .minor = h->minor, .mode = h->mode & 07777, .uid = h->uid,
                                      .gid = h->gid };
        if (!d->path)
                return dh_err_set(err, ENOMEM, "out of memory");
        p->devices.n++;
        return 0;
}

/* The node, and (unless privileged) the rule allowing its permissions. */
static int config_device(const struct rt_device *d, size_t i, const struct rt_plan_context *ctx,
                         struct rt_container_plan *p, struct dh_err **err)
{
        if (!d->container_path || d->container_path[0] != '/')
                return dh_err_set(err, EINVAL, "devices[%zu]: container_path \"%s\" must be absolute", i,
                                  d->container_path ? d->container_path : "");
        if (!d->host_path || d->host_path[0] != '/')
                return dh_err_set(err, EINVAL, "devices[%zu]: host_path \"%s\" must be absolute", i,
                                  d->host_path ? d->host_path : "");
        uint32_t access;
        if (cg_dev_access_parse(d->permissions, &access) < 0)
                return dh_err_set(err, EINVAL, "devices[%zu]: permissions \"%s\": want a combination of r, w and m",
                                  i, d->permissions ? d->permissions : "");
        const struct rt_host_device *h = i < ctx->n_host_devices ? &ctx->host_devices[i] : NULL;
        if (!h || !h->host_path || strcmp(h->host_path, d->host_path) != 0)
                return dh_err_set(err, EINVAL, "devices[%zu]: host device \"%s\" was not looked up", i, d->host_path);
        if (h->type != 'c' && h->type != 'b')
                return dh_err_set(err, EINVAL, "devices[%zu]: \"%s\" is not a device", i, d->host_path);
        if (node_push(p, d->container_path, h, err) < 0)
                return -ENOMEM;
        struct cg_dev_rule r = { h->type, h->major, h->minor, access, true };
        return p->privileged ? 0 : rule_push(p, &r, err);
}

/* runc drops a default whose node a config device replaces. */
static bool replaced(const struct rt_container_config *cfg, const char *path)
{
        for (size_t i = 0; path && i < cfg->devices.n; i++)
                if (cfg->devices.v[i].container_path && strcmp(cfg->devices.v[i].container_path, path) == 0)
                        return true;
        return false;
}

int rt_plan_devices(const struct rt_container_config *cfg, const struct rt_plan_context *ctx,
                    struct rt_container_plan *p, struct dh_err **err)
{
        if (cfg->devices.n > CG_DEV_RULES_MAX - rt_n_default_device_rules - 1)
                return dh_err_set(err, DH_ELIMIT, "devices: %zu devices, at most %zu", cfg->devices.n,
                                  CG_DEV_RULES_MAX - rt_n_default_device_rules - 1);
        const struct cg_dev_rule all = { 'a', W, W, RWM, p->privileged };
        if (rule_push(p, &all, err) < 0)
                return -ENOMEM;
        for (size_t i = 0; i < cfg->devices.n; i++)
                if (config_device(&cfg->devices.v[i], i, ctx, p, err) < 0)
                        return -EINVAL;
        for (size_t i = 0; !p->privileged && i < rt_n_default_device_rules; i++)
                if (!replaced(cfg, rt_default_device_rules[i].path) &&
                    rule_push(p, &rt_default_device_rules[i].rule, err) < 0)
                        return -ENOMEM;
        return 0;
}
