/* The container plan as JSON, both ways, through the lib/jsondec tables:
 * the agent side encodes it, the shim decodes it. The same tables free it. */
#include <stddef.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cri/builtin/plan.h"
#include "cri/builtin/plan-json.h"

#define F(st, key, type) { #key, (type), offsetof(struct st, key) }
#define END { NULL, NULL, 0 }

static const struct jd_field mount_fields[] = {
        F(rt_plan_mount, destination, &jd_string), F(rt_plan_mount, type, &jd_string),
        F(rt_plan_mount, source, &jd_string), F(rt_plan_mount, data, &jd_string),
        F(rt_plan_mount, flags, &jd_plain_u64), F(rt_plan_mount, propagation, &jd_plain_u64),
        F(rt_plan_mount, mkdir_dest, &jd_plain_bool), END,
};
static const struct jd_type t_mount = JD_OBJECT(struct rt_plan_mount, mount_fields);
static const struct jd_type t_mounts = JD_ARRAY(&t_mount);

static void decode_char(struct jd_ctx *c, json_t *v, void *dst, const struct jd_type *t)
{
        (void)t;
        const char *s = json_is_string(v) ? json_string_value(v) : NULL;
        if (!s || (s[0] != 'c' && s[0] != 'b') || s[1]) {
                jd_type_error(c, v, "\"c\" or \"b\"");
                return;
        }
        *(char *)dst = s[0];
}
static json_t *encode_char(const void *src, const struct jd_type *t)
{
        (void)t;
        char s[2] = { *(const char *)src, '\0' };
        return s[0] ? json_string(s) : NULL;
}
static const struct jd_type t_devtype = { .decode = decode_char, .encode = encode_char, .size = sizeof(char) };

static const struct jd_field device_fields[] = {
        F(rt_plan_device, path, &jd_string), F(rt_plan_device, type, &t_devtype),
        F(rt_plan_device, major, &jd_plain_i64), F(rt_plan_device, minor, &jd_plain_i64),
        F(rt_plan_device, mode, &jd_plain_u32), F(rt_plan_device, uid, &jd_plain_u32),
        F(rt_plan_device, gid, &jd_plain_u32), END,
};
static const struct jd_type t_device = JD_OBJECT(struct rt_plan_device, device_fields);
static const struct jd_type t_devices = JD_ARRAY(&t_device);

static void decode_ruletype(struct jd_ctx *c, json_t *v, void *dst, const struct jd_type *t)
{
        (void)t;
        const char *s = json_is_string(v) ? json_string_value(v) : NULL;
        if (!s || !s[0] || !strchr("abc", s[0]) || s[1]) {
                jd_type_error(c, v, "\"a\", \"b\" or \"c\"");
                return;
        }
        *(char *)dst = s[0];
}
static const struct jd_type t_ruletype = { .decode = decode_ruletype, .encode = encode_char, .size = sizeof(char) };

/* Access as the text "rwm" (in that order), not bits. */
static void decode_access(struct jd_ctx *c, json_t *v, void *dst, const struct jd_type *t)
{
        (void)t;
        uint32_t bits;
        if (!json_is_string(v) || cg_dev_access_parse(json_string_value(v), &bits) < 0) {
                jd_type_error(c, v, "a combination of r, w and m");
                return;
        }
        *(uint32_t *)dst = bits;
}
static json_t *encode_access(const void *src, const struct jd_type *t)
{
        (void)t;
        uint32_t bits = *(const uint32_t *)src;
        char s[4];
        size_t n = 0;
        if (bits & CG_DEV_READ)
                s[n++] = 'r';
        if (bits & CG_DEV_WRITE)
                s[n++] = 'w';
        if (bits & CG_DEV_MKNOD)
                s[n++] = 'm';
        s[n] = '\0';
        return n ? json_string(s) : NULL;
}
static const struct jd_type t_access = { .decode = decode_access, .encode = encode_access, .size = sizeof(uint32_t) };

static const struct jd_field rule_fields[] = {
        F(cg_dev_rule, type, &t_ruletype), F(cg_dev_rule, major, &jd_plain_i64),
        F(cg_dev_rule, minor, &jd_plain_i64), F(cg_dev_rule, access, &t_access),
        F(cg_dev_rule, allow, &jd_plain_bool), END,
};
static const struct jd_type t_rule = JD_OBJECT(struct cg_dev_rule, rule_fields);
static const struct jd_type t_rules = JD_ARRAY(&t_rule);

static const struct jd_field rootfs_fields[] = {
        F(rt_plan_rootfs, dir, &jd_string), F(rt_plan_rootfs, lower, &jd_strv),
        F(rt_plan_rootfs, upper, &jd_string), F(rt_plan_rootfs, work, &jd_string),
        F(rt_plan_rootfs, mountpoint, &jd_string), F(rt_plan_rootfs, readonly, &jd_plain_bool), END,
};
static const struct jd_type t_rootfs = JD_OBJECT(struct rt_plan_rootfs, rootfs_fields);

static const struct jd_type t_gids = JD_ARRAY(&jd_plain_u32);
static const struct jd_field user_fields[] = {
        F(rt_plan_user, uid, &jd_plain_u32), F(rt_plan_user, gid, &jd_plain_u32),
        F(rt_plan_user, additional_gids, &t_gids), F(rt_plan_user, lookup, &jd_string),
        F(rt_plan_user, gid_set, &jd_plain_bool), END,
};
static const struct jd_type t_user = JD_OBJECT(struct rt_plan_user, user_fields);

static const struct jd_field caps_fields[] = {
        F(rt_plan_caps, bounding, &jd_plain_u64), F(rt_plan_caps, effective, &jd_plain_u64),
        F(rt_plan_caps, permitted, &jd_plain_u64), F(rt_plan_caps, inheritable, &jd_plain_u64),
        F(rt_plan_caps, ambient, &jd_plain_u64), END,
};
static const struct jd_type t_caps = JD_OBJECT(struct rt_plan_caps, caps_fields);

static const struct jd_field res_fields[] = {
        F(cg_resources, cpu_shares, &jd_plain_u64), F(cg_resources, cpu_quota_us, &jd_plain_i64),
        F(cg_resources, cpu_period_us, &jd_plain_u64), F(cg_resources, memory_limit, &jd_plain_i64),
        F(cg_resources, pids_limit, &jd_plain_i64), END,
};
static const struct jd_type t_res = JD_OBJECT(struct cg_resources, res_fields);

static const char *const seccomp_names[] = { "Unconfined", "RuntimeDefault", "Localhost", NULL };
static const struct jd_type t_seccomp = JD_ENUM(seccomp_names);

static const struct jd_field plan_fields[] = {
        F(rt_container_plan, id, &jd_string), F(rt_container_plan, sandbox_id, &jd_string),
        F(rt_container_plan, name, &jd_string), F(rt_container_plan, new_pid_ns, &jd_plain_bool),
        F(rt_container_plan, rootfs, &t_rootfs), F(rt_container_plan, mounts, &t_mounts),
        F(rt_container_plan, devices, &t_devices), F(rt_container_plan, device_rules, &t_rules),
        F(rt_container_plan, masked_paths, &jd_strv),
        F(rt_container_plan, readonly_paths, &jd_strv), F(rt_container_plan, argv, &jd_strv),
        F(rt_container_plan, env, &jd_strv), F(rt_container_plan, cwd, &jd_string),
        F(rt_container_plan, create_cwd, &jd_plain_bool), F(rt_container_plan, user, &t_user),
        F(rt_container_plan, caps, &t_caps), F(rt_container_plan, no_new_privs, &jd_plain_bool),
        F(rt_container_plan, privileged, &jd_plain_bool), F(rt_container_plan, seccomp, &t_seccomp),
        F(rt_container_plan, seccomp_profile, &jd_string), F(rt_container_plan, seccomp_bpf, &jd_string),
        F(rt_container_plan, cgroup_path, &jd_string), F(rt_container_plan, resources, &t_res),
        F(rt_container_plan, oom_score_adj, &jd_plain_i32), F(rt_container_plan, log_path, &jd_string),
        F(rt_container_plan, tty, &jd_plain_bool), F(rt_container_plan, stdin, &jd_plain_bool),
        F(rt_container_plan, stdin_once, &jd_plain_bool),
        F(rt_container_plan, stop_signal, &jd_plain_i32), F(rt_container_plan, hostname, &jd_string),
        END,
};
static const struct jd_type t_plan = JD_OBJECT(struct rt_container_plan, plan_fields);

json_t *rt_plan_to_json(const struct rt_container_plan *p)
{
        return jd_encode(p, &t_plan);
}

int rt_plan_from_json(json_t *j, struct rt_container_plan *out, struct dh_err **err)
{
        struct dh_ferrs errs = { 0 };
        struct jd_ctx c = { .errs = &errs };
        struct rt_container_plan p = { 0 };
        jd_decode_object(&c, j, &p, &t_plan);
        if (errs.n || errs.dropped) {
                char *line = errs.n ? dh_ferr_format(&errs.v[0]) : NULL;
                dh_err_set(err, EINVAL, "container plan: %s", line ? line : "invalid");
                free(line);
                dh_ferrs_free(&errs);
                rt_plan_free(&p);
                return -EINVAL;
        }
        *out = p;
        return 0;
}

void rt_plan_free(struct rt_container_plan *p)
{
        if (p)
                jd_free_object(p, &t_plan);
}
