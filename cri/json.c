/* CRI structs as JSON, with CRI's proto field names (the form crictl's
 * config files and `crictl inspect` use), through the lib/jsondec tables.
 * Enums accept their names or numbers. The same tables free the structs. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>

#include "cri/cri.h"
#include "cri/json.h"

#define F(st, key, type) { #key, (type), offsetof(struct st, key) }
#define FN(st, key, member, type) { key, (type), offsetof(struct st, member) }
#define END { NULL, NULL, 0 }

/* Proto map<string,string> fields (labels, annotations, sysctls) are JSON
 * objects; repeated KeyValue fields (envs) are lists of {key, value}. Both
 * decode into struct rt_kvs. */
static const struct jd_type t_kvs = JD_MAP(struct rt_kv, value, &jd_string);
static const struct jd_field kv_fields[] = {
        F(rt_kv, key, &jd_string), F(rt_kv, value, &jd_string), END,
};
static const struct jd_type t_kv = JD_OBJECT(struct rt_kv, kv_fields);
static const struct jd_type t_kv_list = JD_ARRAY(&t_kv);
static const char *const ns_mode_names[] = { "POD", "CONTAINER", "NODE", "TARGET", NULL };
static const struct jd_type t_ns_mode = JD_ENUM(ns_mode_names);
static const char *const seccomp_names[] = { "RuntimeDefault", "Unconfined", "Localhost", NULL };
static const struct jd_type t_seccomp_type = JD_ENUM(seccomp_names);
static const char *const proto_names[] = { "TCP", "UDP", "SCTP", NULL };
static const struct jd_type t_proto = JD_ENUM(proto_names);
static const char *const prop_names[] = { "PROPAGATION_PRIVATE", "PROPAGATION_HOST_TO_CONTAINER",
                                          "PROPAGATION_BIDIRECTIONAL", NULL };
static const struct jd_type t_prop = JD_ENUM(prop_names);
static const char *const sandbox_state_names[] = { "SANDBOX_READY", "SANDBOX_NOTREADY", NULL };
static const struct jd_type t_sandbox_state = JD_ENUM(sandbox_state_names);
static const char *const container_state_names[] = { "CONTAINER_CREATED", "CONTAINER_RUNNING",
                                                      "CONTAINER_EXITED", "CONTAINER_UNKNOWN", NULL };
static const struct jd_type t_container_state = JD_ENUM(container_state_names);

static const struct jd_field i64v_fields[] = { F(rt_int64_value, value, &jd_plain_i64), END };
static void decode_i64v(struct jd_ctx *c, json_t *v, void *dst, const struct jd_type *t)
{
        (void)t;
        struct rt_int64_value *x = dst;
        static const struct jd_type obj = JD_OBJECT(struct rt_int64_value, i64v_fields);
        jd_decode_object(c, v, x, &obj);
        if (json_is_object(v))
                x->set = true;
}
static json_t *encode_i64v(const void *src, const struct jd_type *t)
{
        (void)t;
        const struct rt_int64_value *x = src;
        return x->set ? json_pack("{sI}", "value", (json_int_t)x->value) : NULL;
}
static const struct jd_type t_i64v = { .decode = decode_i64v, .encode = encode_i64v,
                                       .size = sizeof(struct rt_int64_value) };
static const struct jd_type t_i64_array = JD_ARRAY(&jd_plain_i64);

static const struct jd_field nsopt_fields[] = {
        F(rt_namespace_options, network, &t_ns_mode), F(rt_namespace_options, pid, &t_ns_mode),
        F(rt_namespace_options, ipc, &t_ns_mode), F(rt_namespace_options, target_id, &jd_string), END,
};
static const struct jd_type t_nsopt = JD_OBJECT(struct rt_namespace_options, nsopt_fields);

static const struct jd_field profile_fields[] = {
        F(rt_security_profile, profile_type, &t_seccomp_type),
        F(rt_security_profile, localhost_ref, &jd_string), END,
};
static const struct jd_type t_profile = JD_OBJECT(struct rt_security_profile, profile_fields);

/* --- sandbox --- */
static const struct jd_field smeta_fields[] = {
        F(rt_sandbox_metadata, name, &jd_string), F(rt_sandbox_metadata, uid, &jd_string),
        F(rt_sandbox_metadata, namespace, &jd_string), F(rt_sandbox_metadata, attempt, &jd_plain_u32), END,
};
static const struct jd_type t_smeta = JD_OBJECT(struct rt_sandbox_metadata, smeta_fields);

static const struct jd_field dns_fields[] = {
        F(rt_dns_config, servers, &jd_strv), F(rt_dns_config, searches, &jd_strv),
        F(rt_dns_config, options, &jd_strv), END,
};
static const struct jd_type t_dns = JD_OBJECT(struct rt_dns_config, dns_fields);

static const struct jd_field pm_fields[] = {
        F(rt_port_mapping, protocol, &t_proto), F(rt_port_mapping, container_port, &jd_plain_i32),
        F(rt_port_mapping, host_port, &jd_plain_i32), F(rt_port_mapping, host_ip, &jd_string), END,
};
static const struct jd_type t_pm = JD_OBJECT(struct rt_port_mapping, pm_fields);
static const struct jd_type t_pms = JD_ARRAY(&t_pm);

static const struct jd_field ssc_fields[] = {
        F(rt_sandbox_security_context, namespace_options, &t_nsopt),
        F(rt_sandbox_security_context, run_as_user, &t_i64v),
        F(rt_sandbox_security_context, run_as_group, &t_i64v),
        F(rt_sandbox_security_context, readonly_rootfs, &jd_plain_bool),
        F(rt_sandbox_security_context, privileged, &jd_plain_bool),
        F(rt_sandbox_security_context, supplemental_groups, &t_i64_array),
        F(rt_sandbox_security_context, seccomp, &t_profile), END,
};
static const struct jd_type t_ssc = JD_OBJECT(struct rt_sandbox_security_context, ssc_fields);

static const struct jd_field slinux_fields[] = {
        F(rt_linux_sandbox_config, cgroup_parent, &jd_string),
        F(rt_linux_sandbox_config, security_context, &t_ssc),
        F(rt_linux_sandbox_config, sysctls, &t_kvs), END,
};
static const struct jd_type t_slinux = JD_OBJECT(struct rt_linux_sandbox_config, slinux_fields);

static void decode_dns_present(struct jd_ctx *c, json_t *v, void *dst, const struct jd_type *t);
static const struct jd_type t_dns_present = { .decode = decode_dns_present, .size = sizeof(bool) };

static const struct jd_field scfg_fields[] = {
        F(rt_sandbox_config, metadata, &t_smeta), F(rt_sandbox_config, hostname, &jd_string),
        F(rt_sandbox_config, log_directory, &jd_string), F(rt_sandbox_config, dns_config, &t_dns),
        /* The same key again: records that dns_config was given at all. */
        FN(rt_sandbox_config, "dns_config", has_dns_config, &t_dns_present),
        F(rt_sandbox_config, port_mappings, &t_pms), F(rt_sandbox_config, labels, &t_kvs),
        F(rt_sandbox_config, annotations, &t_kvs), FN(rt_sandbox_config, "linux", linux_cfg, &t_slinux), END,
};
static const struct jd_type t_scfg = JD_OBJECT(struct rt_sandbox_config, scfg_fields);

static void decode_dns_present(struct jd_ctx *c, json_t *v, void *dst, const struct jd_type *t)
{
        (void)c;
        (void)t;
        *(bool *)dst = json_is_object(v);
}

/* --- containers --- */
static const struct jd_field cmeta_fields[] = {
        F(rt_container_metadata, name, &jd_string), F(rt_container_metadata, attempt, &jd_plain_u32), END,
};
static const struct jd_type t_cmeta = JD_OBJECT(struct rt_container_metadata, cmeta_fields);

static const struct jd_field mount_fields[] = {
        F(rt_mount, container_path, &jd_string), F(rt_mount, host_path, &jd_string),
        F(rt_mount, readonly, &jd_plain_bool), F(rt_mount, selinux_relabel, &jd_plain_bool),
        F(rt_mount, recursive_read_only, &jd_plain_bool), F(rt_mount, propagation, &t_prop), END,
};
static const struct jd_type t_mount = JD_OBJECT(struct rt_mount, mount_fields);
static const struct jd_type t_mounts = JD_ARRAY(&t_mount);

static const struct jd_field device_fields[] = {
        F(rt_device, container_path, &jd_string), F(rt_device, host_path, &jd_string),
        F(rt_device, permissions, &jd_string), END,
};
static const struct jd_type t_device = JD_OBJECT(struct rt_device, device_fields);
static const struct jd_type t_devices = JD_ARRAY(&t_device);

static const struct jd_field cap_fields[] = {
        F(rt_capability, add_capabilities, &jd_strv), F(rt_capability, drop_capabilities, &jd_strv),
        F(rt_capability, add_ambient_capabilities, &jd_strv), END,
};
static const struct jd_type t_cap = JD_OBJECT(struct rt_capability, cap_fields);

static const struct jd_field csc_fields[] = {
        F(rt_container_security_context, capabilities, &t_cap),
        F(rt_container_security_context, privileged, &jd_plain_bool),
        F(rt_container_security_context, readonly_rootfs, &jd_plain_bool),
        F(rt_container_security_context, no_new_privs, &jd_plain_bool),
        F(rt_container_security_context, namespace_options, &t_nsopt),
        F(rt_container_security_context, run_as_user, &t_i64v),
        F(rt_container_security_context, run_as_group, &t_i64v),
        F(rt_container_security_context, run_as_username, &jd_string),
        F(rt_container_security_context, supplemental_groups, &t_i64_array),
        F(rt_container_security_context, masked_paths, &jd_strv),
        F(rt_container_security_context, readonly_paths, &jd_strv),
        F(rt_container_security_context, seccomp, &t_profile), END,
};
static const struct jd_type t_csc = JD_OBJECT(struct rt_container_security_context, csc_fields);

static const struct jd_field res_fields[] = {
        F(rt_linux_resources, cpu_period, &jd_plain_i64), F(rt_linux_resources, cpu_quota, &jd_plain_i64),
        F(rt_linux_resources, cpu_shares, &jd_plain_i64),
        F(rt_linux_resources, memory_limit_in_bytes, &jd_plain_i64),
        F(rt_linux_resources, oom_score_adj, &jd_plain_i64),
        F(rt_linux_resources, cpuset_cpus, &jd_string), F(rt_linux_resources, cpuset_mems, &jd_string),
        F(rt_linux_resources, pids_limit, &jd_plain_i64), END,
};
static const struct jd_type t_res = JD_OBJECT(struct rt_linux_resources, res_fields);

static const struct jd_field clinux_fields[] = {
        F(rt_linux_container_config, resources, &t_res),
        F(rt_linux_container_config, security_context, &t_csc), END,
};
static const struct jd_type t_clinux = JD_OBJECT(struct rt_linux_container_config, clinux_fields);
static const struct jd_field image_fields[] = { F(rt_image_spec, image, &jd_string), END };
static const struct jd_type t_image_spec = JD_OBJECT(struct rt_image_spec, image_fields);

static const struct jd_field ccfg_fields[] = {
        F(rt_container_config, metadata, &t_cmeta), F(rt_container_config, image, &t_image_spec),
        F(rt_container_config, command, &jd_strv), F(rt_container_config, args, &jd_strv),
        F(rt_container_config, working_dir, &jd_string), F(rt_container_config, envs, &t_kv_list),
        F(rt_container_config, mounts, &t_mounts), F(rt_container_config, devices, &t_devices),
        F(rt_container_config, labels, &t_kvs), F(rt_container_config, annotations, &t_kvs),
        F(rt_container_config, log_path, &jd_string), F(rt_container_config, stdin, &jd_plain_bool),
        F(rt_container_config, stdin_once, &jd_plain_bool), F(rt_container_config, tty, &jd_plain_bool),
        FN(rt_container_config, "linux", linux_cfg, &t_clinux), F(rt_container_config, stop_signal, &jd_string), END,
};
static const struct jd_type t_ccfg = JD_OBJECT(struct rt_container_config, ccfg_fields);

/* --- statuses --- */
static const struct jd_field sstatus_fields[] = {
        F(rt_sandbox_status, id, &jd_string), F(rt_sandbox_status, metadata, &t_smeta),
        F(rt_sandbox_status, state, &t_sandbox_state), F(rt_sandbox_status, created_at, &jd_plain_i64),
        F(rt_sandbox_status, ip, &jd_string), F(rt_sandbox_status, additional_ips, &jd_strv),
        F(rt_sandbox_status, namespace_options, &t_nsopt), F(rt_sandbox_status, labels, &t_kvs),
        F(rt_sandbox_status, annotations, &t_kvs), F(rt_sandbox_status, runtime_handler, &jd_string),
        F(rt_sandbox_status, shim_pid, &jd_plain_i32), F(rt_sandbox_status, netns_path, &jd_string), END,
};
static const struct jd_type t_sstatus = JD_OBJECT(struct rt_sandbox_status, sstatus_fields);

static const struct jd_field cstatus_fields[] = {
        F(rt_container_status, id, &jd_string), F(rt_container_status, sandbox_id, &jd_string),
        F(rt_container_status, metadata, &t_cmeta), F(rt_container_status, state, &t_container_state),
        F(rt_container_status, created_at, &jd_plain_i64), F(rt_container_status, started_at, &jd_plain_i64),
        F(rt_container_status, finished_at, &jd_plain_i64), F(rt_container_status, exit_code, &jd_plain_i32),
        F(rt_container_status, image, &jd_string), F(rt_container_status, image_ref, &jd_string),
        F(rt_container_status, reason, &jd_string), F(rt_container_status, message, &jd_string),
        F(rt_container_status, labels, &t_kvs), F(rt_container_status, annotations, &t_kvs),
        F(rt_container_status, mounts, &t_mounts), F(rt_container_status, log_path, &jd_string),
        F(rt_container_status, pid, &jd_plain_i32), END,
};
static const struct jd_type t_cstatus = JD_OBJECT(struct rt_container_status, cstatus_fields);

/* Decodes with every type error collected, then reported as one error
 * naming the first few, prefixed by `what`. */
static int decode_strict(json_t *j, void *out, const struct jd_type *t, const char *what,
                         struct dh_err **err)
{
        struct dh_ferrs errs = { 0 };
        struct jd_ctx c = { .errs = &errs };
        jd_decode_object(&c, j, out, t);
        if (!errs.n && !errs.dropped)
                return 0;
        char *line = errs.n ? dh_ferr_format(&errs.v[0]) : NULL;
        dh_err_set(err, EINVAL, "%s: %s%s", what, line ? line : "invalid",
                   errs.n > 1 ? " (and more)" : "");
        free(line);
        dh_ferrs_free(&errs);
        jd_free_object(out, t);
        return -EINVAL;
}

int rt_sandbox_config_from_json(json_t *j, struct rt_sandbox_config *out, struct dh_err **err)
{
        *out = (struct rt_sandbox_config){ 0 };
        return decode_strict(j, out, &t_scfg, "pod sandbox config", err);
}

int rt_container_config_from_json(json_t *j, struct rt_container_config *out, struct dh_err **err)
{
        *out = (struct rt_container_config){ 0 };
        return decode_strict(j, out, &t_ccfg, "container config", err);
}

int rt_sandbox_status_from_json(json_t *j, struct rt_sandbox_status *out, struct dh_err **err)
{
        *out = (struct rt_sandbox_status){ 0 };
        return decode_strict(j, out, &t_sstatus, "sandbox status", err);
}

int rt_container_status_from_json(json_t *j, struct rt_container_status *out, struct dh_err **err)
{
        *out = (struct rt_container_status){ 0 };
        return decode_strict(j, out, &t_cstatus, "container status", err);
}

json_t *rt_sandbox_config_to_json(const struct rt_sandbox_config *c)
{
        json_t *j = jd_encode(c, &t_scfg);
        /* Inline objects always encode; an absent dns_config must stay absent
         * (it decides whether the pod gets a resolv.conf of its own). */
        if (j && !c->has_dns_config)
                json_object_del(j, "dns_config");
        return j;
}
json_t *rt_container_config_to_json(const struct rt_container_config *c)
{
        return jd_encode(c, &t_ccfg);
}
json_t *rt_sandbox_status_to_json(const struct rt_sandbox_status *s)
{
        return jd_encode(s, &t_sstatus);
}
json_t *rt_container_status_to_json(const struct rt_container_status *s)
{
        return jd_encode(s, &t_cstatus);
}

void rt_sandbox_config_free(struct rt_sandbox_config *c)
{
        if (c)
                jd_free_object(c, &t_scfg);
}
void rt_container_config_free(struct rt_container_config *c)
{
        if (c)
                jd_free_object(c, &t_ccfg);
}
void rt_sandbox_status_free(struct rt_sandbox_status *s)
{
        if (s)
                jd_free_object(s, &t_sstatus);
}
void rt_container_status_free(struct rt_container_status *s)
{
        if (s)
                jd_free_object(s, &t_cstatus);
}
void rt_kvs_free(struct rt_kvs *k)
{
        if (k)
                jd_free_map(k, &t_kvs);
}
