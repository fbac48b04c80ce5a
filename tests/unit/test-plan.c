/* The pure container plan builder and its JSON round trip. */
#include <signal.h>
#include <sys/mount.h>

#include "cri/builtin/plan-json.h"
#include "cri/builtin/plan.h"
#include "cri/builtin/rootfs.h"
#include "cri/json.h"
#include "lib/cleanup.h"
#include "test.h"

static struct dh_strv V(char **v, size_t n)
{
        return (struct dh_strv){ .v = v, .n = n };
}

static struct rt_plan_context ctx_base(void)
{
        return (struct rt_plan_context){
                .container_id = "c1", .sandbox_id = "s1", .container_dir = "/var/lib/deckhand/containers/c1",
                .sandbox_dir = "/run/deckhand/sandboxes/s1", .rootfs_dir = "/srv/rootfs", .hostname = "pod-host",
        };
}

/* Decodes a crictl-style container config from JSON text. */
static int config_from(const char *text, struct rt_container_config *c)
{
        json_t *j = json_loads(text, 0, NULL);
        struct dh_err *e = NULL;
        int r = j ? rt_container_config_from_json(j, c, &e) : -1;
        if (e)
                TEST_FAIL_("config: %s", e->msg);
        dh_err_free(e);
        json_decref(j);
        return r;
}

static bool has_mount(const struct rt_container_plan *p, const char *dest, const char *src)
{
        for (size_t i = 0; i < p->mounts.n; i++)
                if (strcmp(p->mounts.v[i].destination, dest) == 0 &&
                    (!src || (p->mounts.v[i].source && strcmp(p->mounts.v[i].source, src) == 0)))
                        return true;
        return false;
}

static const char *env_of(const struct rt_container_plan *p, const char *key)
{
        size_t kl = strlen(key);
        for (size_t i = 0; i < p->env.n; i++)
                if (strncmp(p->env.v[i], key, kl) == 0 && p->env.v[i][kl] == '=')
                        return p->env.v[i] + kl + 1;
        return NULL;
}

TEST(argv_follows_kubernetes_command_and_args_rules)
{
        char *ep[] = { (char *)"/entry" }, *cmd[] = { (char *)"default-arg" };
        struct dh_strv iep = V(ep, 1), icmd = V(cmd, 1);
        static const struct { const char *cfg; const char *want; } cases[] = {
                { "{}", "/entry default-arg" },
                { "{\"args\": [\"x\", \"y\"]}", "/entry x y" },
                { "{\"command\": [\"/bin/sh\"]}", "/bin/sh" },
                { "{\"command\": [\"/bin/sh\"], \"args\": [\"-c\", \"true\"]}", "/bin/sh -c true" },
        };
        for (size_t i = 0; i < DH_ARRAY_SIZE(cases); i++) {
                struct rt_container_config c = { 0 };
                struct rt_container_plan p = { 0 };
                struct rt_plan_context ctx = ctx_base();
                ctx.image_entrypoint = &iep;
                ctx.image_cmd = &icmd;
                struct dh_err *e = NULL;
                config_from(cases[i].cfg, &c);
                CHECK_INT(rt_plan_build(&c, NULL, &ctx, &p, &e), 0);
                char got[256] = "";
                for (size_t k = 0; k < p.argv.n; k++)
                        snprintf(got + strlen(got), sizeof got - strlen(got), "%s%s", k ? " " : "", p.argv.v[k]);
                CHECK_STR(got, cases[i].want);
                rt_plan_free(&p);
                rt_container_config_free(&c);
                dh_err_free(e);
        }
}

TEST(no_command_anywhere_is_an_error_naming_the_container)
{
        struct rt_container_config c = { 0 };
        struct rt_container_plan p = { 0 };
        struct rt_plan_context ctx = ctx_base();
        struct dh_err *e = NULL;
        config_from("{\"metadata\": {\"name\": \"web\"}}", &c);
        CHECK(rt_plan_build(&c, NULL, &ctx, &p, &e) < 0);
        CHECK_CONTAINS(e ? e->msg : NULL, "container \"web\": no command specified");
        dh_err_free(e);
        rt_container_config_free(&c);
}

TEST(env_merges_image_then_config_with_path_and_hostname)
{
        char *ienv[] = { (char *)"PATH=/opt/bin:/bin", (char *)"A=image", (char *)"B=image" };
        struct dh_strv ie = V(ienv, 3);
        struct rt_container_config c = { 0 };
        struct rt_container_plan p = { 0 };
        struct rt_plan_context ctx = ctx_base();
        ctx.image_env = &ie;
        struct dh_err *e = NULL;
        config_from("{\"command\": [\"x\"], \"envs\": [{\"key\": \"B\", \"value\": \"pod\"},"
                    " {\"key\": \"C\", \"value\": \"\"}]}", &c);
        CHECK_INT(rt_plan_build(&c, NULL, &ctx, &p, &e), 0);
        CHECK_STR(env_of(&p, "PATH"), "/opt/bin:/bin"); /* the image's PATH wins over the default */
        CHECK_STR(env_of(&p, "A"), "image");
        CHECK_STR(env_of(&p, "B"), "pod");
        CHECK_STR(env_of(&p, "C"), "");
        CHECK_STR(env_of(&p, "HOSTNAME"), "pod-host");
        rt_plan_free(&p);
        rt_container_config_free(&c);
        dh_err_free(e);
}

TEST(defaults_mounts_masks_caps_seccomp_cgroup_and_signal)
{
        struct rt_container_config c = { 0 };
        struct rt_container_plan p = { 0 };
        struct rt_plan_context ctx = ctx_base();
        struct rt_sandbox_config s = { .has_dns_config = true, .log_directory = (char *)"/var/log/pods/x" };
        s.linux_cfg.cgroup_parent = (char *)"/kubepods/burstable/podu1";
        struct dh_err *e = NULL;
        config_from("{\"metadata\": {\"name\": \"app\"}, \"command\": [\"x\"], \"log_path\": \"app/0.log\","
                    " \"mounts\": [{\"container_path\": \"/data\", \"host_path\": \"/srv/data\", \"readonly\": true,"
                    " \"propagation\": \"PROPAGATION_HOST_TO_CONTAINER\"}],"
                    " \"linux\": {\"resources\": {\"memory_limit_in_bytes\": 1048576, \"cpu_shares\": 256}}}", &c);
        CHECK_INT(rt_plan_build(&c, &s, &ctx, &p, &e), 0);
        CHECK(has_mount(&p, "/proc", NULL));
        CHECK(has_mount(&p, "/dev", NULL));
        CHECK(has_mount(&p, "/sys", NULL));
        CHECK(has_mount(&p, "/dev/shm", "/run/deckhand/sandboxes/s1/shm"));
        CHECK(has_mount(&p, "/etc/hostname", "/run/deckhand/sandboxes/s1/hostname"));
        CHECK(has_mount(&p, "/etc/resolv.conf", "/run/deckhand/sandboxes/s1/resolv.conf"));
        CHECK(has_mount(&p, "/data", "/srv/data"));
        const struct rt_plan_mount *data = &p.mounts.v[p.mounts.n - 1];
        CHECK(data->flags & MS_RDONLY);
        CHECK(!(data->flags & RT_MOUNT_RRO));
        CHECK_INT(data->propagation, MS_SLAVE | MS_REC);
        CHECK(p.masked_paths.n > 5);
        CHECK(p.readonly_paths.n > 3);
        CHECK_INT(p.caps.effective, 0xa80425fb);
        CHECK_INT(p.caps.bounding, 0xa80425fb);
        CHECK_INT(p.caps.ambient, 0);
        CHECK_INT(p.seccomp, RT_PLAN_SECCOMP_RUNTIME_DEFAULT);
        CHECK_STR(p.cgroup_path, "kubepods/burstable/podu1/c1");
        CHECK_INT(p.resources.memory_limit, 1048576);
        CHECK_INT(p.resources.cpu_shares, 256);
        CHECK_INT(p.stop_signal, SIGTERM);
        CHECK_STR(p.log_path, "/var/log/pods/x/app/0.log");
        CHECK_STR(p.rootfs.dir, "/srv/rootfs");
        CHECK_STR(p.rootfs.mountpoint, "/var/lib/deckhand/containers/c1/rootfs");
        CHECK(p.new_pid_ns == false); /* CRI's zero value is POD */
        rt_plan_free(&p);
        rt_container_config_free(&c);
        dh_err_free(e);
}

TEST(privileged_gets_all_caps_no_masks_and_unconfined_seccomp)
{
        struct rt_container_config c = { 0 };
        struct rt_container_plan p = { 0 };
        struct rt_plan_context ctx = ctx_base();
        struct dh_err *e = NULL;
        config_from("{\"command\": [\"x\"], \"linux\": {\"security_context\": {\"privileged\": true,"
                    " \"namespace_options\": {\"pid\": \"CONTAINER\"}}}}", &c);
        CHECK_INT(rt_plan_build(&c, NULL, &ctx, &p, &e), 0);
        CHECK_INT(p.masked_paths.n, 0);
        CHECK_INT(p.readonly_paths.n, 0);
        CHECK(p.caps.effective > 0xa80425fb);
        CHECK_INT(p.seccomp, RT_PLAN_SECCOMP_UNCONFINED);
        CHECK(p.new_pid_ns);
        rt_plan_free(&p);
        rt_container_config_free(&c);
        dh_err_free(e);
}

TEST(users_capabilities_signals_and_their_errors)
{
        static const struct { const char *cfg, *image_user, *lookup, *err; } cases[] = {
                { "{\"linux\": {\"security_context\": {\"run_as_user\": {\"value\": 1000}}}}", "app", "1000", NULL },
                { "{\"linux\": {\"security_context\": {\"run_as_username\": \"web\"}}}", "app", "web", NULL },
                { "{}", "app:staff", "app:staff", NULL },
                { "{}", NULL, NULL, NULL },
                { "{\"linux\": {\"security_context\": {\"run_as_user\": {\"value\": -1}}}}", NULL, NULL, "out of range" },
                { "{\"linux\": {\"security_context\": {\"capabilities\": {\"add_capabilities\": [\"NET_FOO\"]}}}}",
                  NULL, NULL, "unknown capability \"NET_FOO\"" },
                { "{\"stop_signal\": \"SIGWHAT\"}", NULL, NULL, "unknown stop signal \"SIGWHAT\"" },
                { "{\"working_dir\": \"relative\"}", NULL, NULL, "must be absolute" },
                { "{\"mounts\": [{\"container_path\": \"/d\", \"host_path\": \"/x\", \"recursive_read_only\": true}]}",
                  NULL, NULL, "recursive_read_only needs readonly" },
                { "{\"image\": {\"image\": \"x\"}, \"mounts\": [{\"container_path\": \"data\", \"host_path\": \"/x\"}]}",
                  NULL, NULL, "container_path \"data\" must be absolute" },
        };
        for (size_t i = 0; i < DH_ARRAY_SIZE(cases); i++) {
                _cleanup_free_ char *text = NULL;
                json_t *j = json_loads(cases[i].cfg, 0, NULL);
                json_object_set_new(j, "command", json_pack("[s]", "x"));
                text = json_dumps(j, 0);
                json_decref(j);
                struct rt_container_config c = { 0 };
                struct rt_container_plan p = { 0 };
                struct rt_plan_context ctx = ctx_base();
                ctx.image_user = cases[i].image_user;
                struct dh_err *e = NULL;
                config_from(text, &c);
                int r = rt_plan_build(&c, NULL, &ctx, &p, &e);
                if (cases[i].err) {
                        CHECK(r < 0);
                        CHECK_CONTAINS(e ? e->msg : NULL, cases[i].err);
                } else {
                        CHECK_INT(r, 0);
                        if (cases[i].lookup)
                                CHECK_STR(p.user.lookup, cases[i].lookup);
                        else
                                CHECK(p.user.lookup == NULL);
                }
                rt_plan_free(&p);
                rt_container_config_free(&c);
                dh_err_free(e);
        }
}

TEST(plan_survives_a_json_round_trip)
{
        struct rt_container_config c = { 0 };
        struct rt_container_plan p = { 0 }, back = { 0 };
        struct rt_plan_context ctx = ctx_base();
        struct dh_err *e = NULL;
        config_from("{\"command\": [\"x\", \"y\"], \"tty\": true, \"linux\": {\"resources\": {\"cpu_quota\": 50000,"
                    " \"cpu_period\": 100000, \"pids_limit\": -1, \"oom_score_adj\": 999},"
                    " \"security_context\": {\"supplemental_groups\": [0, 5, 100]}}}", &c);
        CHECK_INT(rt_plan_build(&c, NULL, &ctx, &p, &e), 0);
        json_t *j1 = rt_plan_to_json(&p);
        CHECK_INT(rt_plan_from_json(j1, &back, &e), 0);
        json_t *j2 = rt_plan_to_json(&back);
        _cleanup_free_ char *s1 = json_dumps(j1, JSON_SORT_KEYS | JSON_COMPACT);
        _cleanup_free_ char *s2 = json_dumps(j2, JSON_SORT_KEYS | JSON_COMPACT);
        CHECK_STR(s1, s2);
        CHECK_INT(back.user.additional_gids.n, 3);
        CHECK_INT(back.user.additional_gids.v[2], 100);
        CHECK_INT(back.resources.pids_limit, -1);
        CHECK_INT(back.oom_score_adj, 999);
        CHECK(back.tty);
        json_t *bad = json_pack("{s[i]}", "argv", 5);
        struct rt_container_plan junk = { 0 };
        CHECK(rt_plan_from_json(bad, &junk, &e) < 0);
        CHECK_CONTAINS(e ? e->msg : NULL, "container plan: argv[0]");
        json_decref(bad);
        json_decref(j1);
        json_decref(j2);
        rt_plan_free(&p);
        rt_plan_free(&back);
        rt_container_config_free(&c);
        dh_err_free(e);
}

/* ---- devices ---- */

static bool rule_is(const struct cg_dev_rule *r, char type, int64_t major, int64_t minor, uint32_t access,
                    bool allow)
{
        return r->type == type && r->major == major && r->minor == minor && r->access == access &&
               r->allow == allow;
}

static bool rule_eq(const struct cg_dev_rule *a, const struct cg_dev_rule *b)
{
        return rule_is(a, b->type, b->major, b->minor, b->access, b->allow);
}

static bool has_rule(const struct rt_container_plan *p, char type, int64_t major, int64_t minor)
{
        for (size_t i = 0; i < p->device_rules.n; i++)
                if (p->device_rules.v[i].type == type && p->device_rules.v[i].major == major &&
                    p->device_rules.v[i].minor == minor)
                        return true;
        return false;
}

static int build_with(const char *cfg_json, const struct rt_host_device *hd, size_t n, struct rt_container_plan *p,
                      struct dh_err **e)
{
        struct rt_container_config c = { 0 };
        struct rt_plan_context ctx = ctx_base();
        ctx.host_devices = hd;
        ctx.n_host_devices = n;
        int r = config_from(cfg_json, &c) < 0 ? -1 : rt_plan_build(&c, NULL, &ctx, p, e);
        rt_container_config_free(&c);
        return r;
}

#define W CG_DEV_WILDCARD

TEST(devices_default_allowlist)
{
        struct rt_container_plan p = { 0 };
        struct dh_err *e = NULL;
        CHECK_INT(build_with("{\"command\": [\"x\"]}", NULL, 0, &p, &e), 0);
        /* containerd's deny-all, then runc's AllowedDevices in its order. */
        CHECK_INT(p.device_rules.n, 12);
        CHECK_INT(rt_n_default_device_rules, 11);
        if (p.device_rules.n == 12) {
                CHECK(rule_is(&p.device_rules.v[0], 'a', W, W, CG_DEV_RWM, false));
                CHECK(rule_is(&p.device_rules.v[1], 'c', W, W, CG_DEV_MKNOD, true));
                CHECK(rule_is(&p.device_rules.v[2], 'b', W, W, CG_DEV_MKNOD, true));
                CHECK(rule_is(&p.device_rules.v[3], 'c', 1, 3, CG_DEV_RWM, true));
                CHECK(rule_is(&p.device_rules.v[9], 'c', 136, W, CG_DEV_RWM, true));
                CHECK(rule_is(&p.device_rules.v[10], 'c', 5, 2, CG_DEV_RWM, true));
                CHECK(rule_is(&p.device_rules.v[11], 'c', 10, 200, CG_DEV_RWM, true));
                for (size_t i = 0; i < rt_n_default_device_rules; i++)
                        CHECK(rule_eq(&p.device_rules.v[i + 1], &rt_default_device_rules[i].rule));
        }
        CHECK_INT(p.devices.n, 0);
        CHECK(cg_dev_rules_check(p.device_rules.v, p.device_rules.n, NULL) == 0);
        /* No block device opens, no /dev/mem, no host console. */
        CHECK(!has_rule(&p, 'b', 8, 0) && !has_rule(&p, 'c', 1, 1) && !has_rule(&p, 'c', 5, 1));
        rt_plan_free(&p);
        dh_err_free(e);
}

TEST(devices_from_the_config)
{
        static const struct rt_host_device fuse[] = {
                { "/dev/fuse", 'c', 10, 229, 0600, 0, 0 }, { "/dev/loop0", 'b', 7, 0, 0660, 0, 6 } };
        struct rt_container_plan p = { 0 };
        struct dh_err *e = NULL;
        CHECK_INT(build_with("{\"command\": [\"x\"], \"devices\": ["
                             "{\"container_path\": \"/dev/mydev\", \"host_path\": \"/dev/fuse\", \"permissions\": \"r\"},"
                             "{\"container_path\": \"/dev/disk\", \"host_path\": \"/dev/loop0\", \"permissions\": \"mrw\"}]}",
                             fuse, 2, &p, &e), 0);
        CHECK_INT(p.devices.n, 2);
        if (p.devices.n == 2) {
                CHECK_STR(p.devices.v[0].path, "/dev/mydev");
                CHECK_INT(p.devices.v[0].type, 'c');
                CHECK_INT(p.devices.v[0].major, 10);
                CHECK_INT(p.devices.v[0].minor, 229);
                CHECK_INT(p.devices.v[0].mode, 0600);
                CHECK_INT(p.devices.v[1].type, 'b');
                CHECK_INT(p.devices.v[1].gid, 6);
        }
        /* Their allows come right after the deny-all, before runc's list. */
        CHECK_INT(p.device_rules.n, 14);
        if (p.device_rules.n == 14) {
                CHECK(rule_is(&p.device_rules.v[1], 'c', 10, 229, CG_DEV_READ, true));
                CHECK(rule_is(&p.device_rules.v[2], 'b', 7, 0, CG_DEV_RWM, true));
                CHECK(rule_is(&p.device_rules.v[3], 'c', W, W, CG_DEV_MKNOD, true));
        }
        rt_plan_free(&p);
        p = (struct rt_container_plan){ 0 };
        /* A config device at a default's path replaces that default (runc). */
        static const struct rt_host_device null[] = { { "/dev/null", 'c', 1, 3, 0666, 0, 0 } };
        CHECK_INT(build_with("{\"command\": [\"x\"], \"devices\": [{\"container_path\": \"/dev/null\","
                             " \"host_path\": \"/dev/null\", \"permissions\": \"r\"}]}", null, 1, &p, &e), 0);
        CHECK_INT(p.device_rules.n, 12);
        if (p.device_rules.n == 12) {
                CHECK(rule_is(&p.device_rules.v[1], 'c', 1, 3, CG_DEV_READ, true));
                for (size_t i = 2; i < p.device_rules.n; i++)
                        CHECK(!(p.device_rules.v[i].major == 1 && p.device_rules.v[i].minor == 3));
        }
        rt_plan_free(&p);
        p = (struct rt_container_plan){ 0 };
        /* Privileged: every device; the config's nodes are still made. */
        CHECK_INT(build_with("{\"command\": [\"x\"], \"devices\": [{\"container_path\": \"/dev/mydev\","
                             " \"host_path\": \"/dev/fuse\", \"permissions\": \"r\"}],"
                             " \"linux\": {\"security_context\": {\"privileged\": true}}}", fuse, 1, &p, &e), 0);
        CHECK_INT(p.device_rules.n, 1);
        if (p.device_rules.n == 1)
                CHECK(rule_is(&p.device_rules.v[0], 'a', W, W, CG_DEV_RWM, true));
        CHECK_INT(p.devices.n, 1);
        rt_plan_free(&p);
        dh_err_free(e);
}

TEST(devices_refused)
{
        static const struct rt_host_device fuse[] = { { "/dev/fuse", 'c', 10, 229, 0600, 0, 0 } };
        static const struct { const char *dev; size_t n; const char *want; } t[] = {
                { "{\"container_path\": \"/dev/x\", \"host_path\": \"/dev/fuse\", \"permissions\": \"rx\"}", 1,
                  "devices[0]: permissions \"rx\": want a combination of r, w and m" },
                { "{\"container_path\": \"/dev/x\", \"host_path\": \"/dev/fuse\", \"permissions\": \"\"}", 1,
                  "permissions \"\"" },
                { "{\"container_path\": \"dev/x\", \"host_path\": \"/dev/fuse\", \"permissions\": \"r\"}", 1,
                  "container_path \"dev/x\" must be absolute" },
                { "{\"container_path\": \"/dev/x\", \"host_path\": \"/dev/fuse\", \"permissions\": \"r\"}", 0,
                  "host device \"/dev/fuse\" was not looked up" },
                { "{\"container_path\": \"/dev/x\", \"host_path\": \"/dev/kvm\", \"permissions\": \"r\"}", 1,
                  "host device \"/dev/kvm\" was not looked up" },
        };
        for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
                char cfg[512];
                snprintf(cfg, sizeof cfg, "{\"metadata\": {\"name\": \"app\"}, \"command\": [\"x\"], \"devices\": [%s]}", t[i].dev);
                struct rt_container_plan p = { 0 };
                struct dh_err *e = NULL;
                CHECK(build_with(cfg, fuse, t[i].n, &p, &e) < 0);
                CHECK_CONTAINS(e ? e->msg : NULL, "container \"app\": ");
                CHECK_CONTAINS(e ? e->msg : NULL, t[i].want);
                dh_err_free(e);
        }
}

TEST(host_devices_lookup)
{
        struct rt_container_config c = { 0 };
        char *dir = test_mkdtemp("hostdev");
        char cfg[1024];
        snprintf(cfg, sizeof cfg, "{\"devices\": [{\"container_path\": \"/dev/a\", \"host_path\": \"/dev/null\"},"
                 " {\"container_path\": \"/dev/b\", \"host_path\": \"%s/file\"},"
                 " {\"container_path\": \"/dev/c\", \"host_path\": \"%s/link\"},"
                 " {\"container_path\": \"/dev/d\", \"host_path\": \"%s\"}]}", dir, dir, dir);
        char p[512];
        snprintf(p, sizeof p, "%s/file", dir);
        FILE *f = fopen(p, "we");
        if (f)
                fclose(f);
        snprintf(p, sizeof p, "%s/link", dir);
        CHECK(symlink("/dev/null", p) == 0);
        if (config_from(cfg, &c) == 0) {
                struct rt_host_device *hd = NULL;
                size_t n = 0;
                struct dh_err *e = NULL;
                c.devices.n = 1;
                CHECK_INT(rt_host_devices_lookup(&c, &hd, &n, &e), 0);
                CHECK_INT(n, 1);
                if (hd) {
                        CHECK_INT(hd[0].type, 'c');
                        CHECK_INT(hd[0].major, 1);
                        CHECK_INT(hd[0].minor, 3);
                        CHECK_INT(hd[0].mode, 0666);
                        CHECK_STR(hd[0].host_path, "/dev/null");
                }
                free(hd);
                static const char *const want[] = { "file\" is not a device node", "link\" is not a device node",
                                                    "is not a device node (directories of devices are not supported)" };
                for (size_t i = 0; i < 3; i++) {
                        struct rt_device keep = c.devices.v[0];
                        c.devices.v[0] = c.devices.v[i + 1];
                        hd = NULL;
                        CHECK(rt_host_devices_lookup(&c, &hd, &n, &e) < 0);
                        CHECK_CONTAINS(e ? e->msg : NULL, want[i]);
                        CHECK(hd == NULL);
                        dh_err_clear(&e);
                        c.devices.v[i + 1] = c.devices.v[0];
                        c.devices.v[0] = keep;
                }
                c.devices.n = 4;
        }
        rt_container_config_free(&c);
        test_rmtree(dir);
}

TEST(device_rules_json)
{
        struct rt_container_plan p = { 0 }, back = { 0 };
        struct dh_err *e = NULL;
        static const struct rt_host_device fuse[] = { { "/dev/fuse", 'c', 10, 229, 0600, 0, 0 } };
        CHECK_INT(build_with("{\"command\": [\"x\"], \"devices\": [{\"container_path\": \"/dev/mydev\","
                             " \"host_path\": \"/dev/fuse\", \"permissions\": \"wr\"}]}", fuse, 1, &p, &e), 0);
        json_t *j = rt_plan_to_json(&p);
        _cleanup_free_ char *rules = json_dumps(json_object_get(j, "device_rules"), JSON_SORT_KEYS | JSON_COMPACT);
        CHECK(rules && !strncmp(rules, "[{\"access\":\"rwm\",\"major\":-1,\"minor\":-1,\"type\":\"a\"},"
                                       "{\"access\":\"rw\",\"allow\":true,\"major\":10,\"minor\":229,\"type\":\"c\"},"
                                       "{\"access\":\"m\",\"allow\":true,\"major\":-1,\"minor\":-1,\"type\":\"c\"},", 150));
        CHECK_INT(rt_plan_from_json(j, &back, &e), 0);
        CHECK_INT(back.device_rules.n, p.device_rules.n);
        for (size_t i = 0; i < p.device_rules.n && i < back.device_rules.n; i++)
                CHECK(rule_eq(&back.device_rules.v[i], &p.device_rules.v[i]));
        static const char *const bad[] = { "{\"device_rules\": [{\"type\": \"x\"}]}",
                                           "{\"device_rules\": [{\"type\": \"c\", \"access\": \"rwx\"}]}",
                                           "{\"device_rules\": [{\"access\": \"\"}]}" };
        for (size_t i = 0; i < 3; i++) {
                json_t *b = json_loads(bad[i], 0, NULL);
                struct rt_container_plan junk = { 0 };
                CHECK(rt_plan_from_json(b, &junk, &e) < 0);
                CHECK_CONTAINS(e ? e->msg : NULL, "container plan: device_rules[0]");
                dh_err_clear(&e);
                json_decref(b);
        }
        json_decref(j);
        rt_plan_free(&p);
        rt_plan_free(&back);
}

TEST_MAIN()
