/* Unit tests for the agent's command line (agent/flags.c), its
 * configuration file loader and defaults (agent/config.c), the manifest
 * directory scan (agent/manifests.c) and Go duration parsing. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/config.h"
#include "agent/flags.h"
#include "agent/manifests.h"
#include "lib/cleanup.h"
#include "lib/parse.h"
#include "test.h"

#define MAX_ARGS 32

/* Parses a NULL-terminated argument list (argv[0] is supplied). */
static int parse(struct agent_config *cfg, struct dh_err **err, ...)
{
        char *argv[MAX_ARGS] = { (char *)"deckhand" };
        int argc = 1;
        va_list ap;
        va_start(ap, err);
        for (char *a; argc < MAX_ARGS - 1 && (a = va_arg(ap, char *));)
                argv[argc++] = a;
        va_end(ap);
        return agent_flags_parse(argc, argv, cfg, err);
}

/* test_data() returns a static buffer; keep our own copies. */
static char *data(const char *rel)
{
        return strdup(test_data(rel));
}

static char *config_flag(const char *rel)
{
        char *s = NULL;
        if (asprintf(&s, "--config=%s", test_data(rel)) < 0)
                return NULL;
        return s;
}

/* Loads a fixture over defaults; returns the error message or NULL. */
static char *load_err(const char *rel, struct agent_config *cfg)
{
        _cleanup_free_ char *path = data(rel);
        struct dh_err *e = NULL;
        CHECK_INT(agent_config_init(cfg, NULL), 0);
        if (agent_config_load_file(path, cfg, &e) == 0)
                return NULL;
        char *msg = strdup(e->msg);
        dh_err_free(e);
        return msg;
}

TEST(defaults_match_kubelet)
{
        struct agent_config c = { 0 };
        CHECK_INT(agent_config_init(&c, NULL), 0);
        CHECK_STR(c.root_dir, "/var/lib/deckhand");
        CHECK_STR(c.cert_dir, "/var/lib/deckhand/pki");
        CHECK(c.static_pod_path == NULL);
        CHECK(c.kubeconfig == NULL);
        CHECK_INT(c.max_pods, 110);
        CHECK_INT(c.verbosity, 0);
        CHECK_INT(c.sync_frequency_ms, 60000);
        CHECK_INT(c.file_check_frequency_ms, 20000);
        CHECK_INT(c.http_check_frequency_ms, 20000);
        CHECK_STR(c.address, "0.0.0.0");
        CHECK_INT(c.port, 10250);
        CHECK_INT(c.read_only_port, 0);
        CHECK_INT(c.healthz_port, 10248);
        CHECK_STR(c.healthz_bind_address, "127.0.0.1");
        CHECK_INT(c.image_gc_high_threshold_percent, 85);
        CHECK_INT(c.image_gc_low_threshold_percent, 80);
        CHECK_INT(c.node_status_update_frequency_ms, 10000);
        CHECK_INT(c.node_status_report_frequency_ms, 300000);
        CHECK_INT(c.node_lease_duration_seconds, 40);
        CHECK_INT(c.pod_pids_limit, -1);
        CHECK_STR(c.cgroup_driver, "cgroupfs");
        CHECK_STR(c.container_log_max_size, "10Mi");
        CHECK_INT(c.container_log_max_files, 5);
        CHECK_INT(c.runtime_request_timeout_ms, 120000);
        CHECK_STR(c.resolv_conf, "/etc/resolv.conf");
        CHECK_STR(c.authz_mode, "Webhook");
        CHECK_INT(c.oom_score_adj, -999);
        CHECK(c.register_node && c.fail_swap_on && c.serialize_image_pulls && c.enable_server);
        CHECK(c.cgroups_per_qos && c.authn_webhook && !c.authn_anonymous && !c.rotate_certificates);
        CHECK_INT(c.enforce_node_allocatable.n, 1);
        CHECK_STR(c.enforce_node_allocatable.n ? c.enforce_node_allocatable.v[0] : NULL, "pods");
        CHECK_INT(c.cluster_dns.n, 0);
        CHECK_INT(agent_config_validate(&c, NULL), 0);
        agent_config_free(&c);
        agent_config_free(&c); /* zeroed: freeing twice is fine */
}

TEST(no_flags_gives_defaults)
{
        struct agent_config c = { 0 };
        struct dh_err *e = NULL;
        CHECK_INT(parse(&c, &e, NULL), AGENT_FLAGS_RUN);
        CHECK(e == NULL);
        CHECK_INT(c.max_pods, 110);
        CHECK_STR(c.root_dir, "/var/lib/deckhand");
        agent_config_free(&c);
}

TEST(flag_forms)
{
        struct agent_config c = { 0 };
        struct dh_err *e = NULL;
        CHECK_INT(parse(&c, &e, "--max-pods=5", "--pod-manifest-path", "/etc/pods", "--kubeconfig=/k",
                        "--root-dir", "/r", "--hostname-override=n1", "--node-ip", "10.0.0.5",
                        "--bootstrap-kubeconfig=/b", "--cert-dir=/c", NULL), 0);
        CHECK(e == NULL);
        CHECK_INT(c.max_pods, 5);
        CHECK_STR(c.static_pod_path, "/etc/pods");
        CHECK_STR(c.kubeconfig, "/k");
        CHECK_STR(c.root_dir, "/r");
        CHECK_STR(c.hostname_override, "n1");
        CHECK_STR(c.node_ip, "10.0.0.5");
        CHECK_STR(c.bootstrap_kubeconfig, "/b");
        CHECK_STR(c.cert_dir, "/c");
        /* --flag value with a value that looks like a flag is taken, as pflag does. */
        CHECK_INT(parse(&c, &e, "--hostname-override", "-x", NULL), 0);
        CHECK_STR(c.hostname_override, "-x");
        /* The last one wins for scalars. */
        CHECK_INT(parse(&c, &e, "--max-pods=5", "--max-pods", "6", NULL), 0);
        CHECK_INT(c.max_pods, 6);
        /* Empty values are values. */
        CHECK_INT(parse(&c, &e, "--resolv-conf=", NULL), 0);
        CHECK_STR(c.resolv_conf, "");
        agent_config_free(&c);
}

TEST(verbosity_forms)
{
        static const char *const forms[][2] = {
                { "-v=4", NULL }, { "-v", "4" }, { "--v=4", NULL }, { "--v", "4" }, { "-v4", NULL },
        };
        for (size_t i = 0; i < DH_ARRAY_SIZE(forms); i++) {
                struct agent_config c = { 0 };
                struct dh_err *e = NULL;
                CHECK_INT(parse(&c, &e, forms[i][0], forms[i][1], NULL), 0);
                CHECK_INT(c.verbosity, 4);
                dh_err_free(e);
                agent_config_free(&c);
        }
}

TEST(boolean_forms)
{
        struct agent_config c = { 0 };
        struct dh_err *e = NULL;
        CHECK_INT(parse(&c, &e, "--fail-swap-on=false", "--rotate-certificates", "--register-node=0",
                        "--serialize-image-pulls=False", "--anonymous-auth=true", NULL), 0);
        CHECK(!c.fail_swap_on);
        CHECK(c.rotate_certificates);
        CHECK(!c.register_node);
        CHECK(!c.serialize_image_pulls);
        CHECK(c.authn_anonymous);
        CHECK_INT(parse(&c, &e, "--fail-swap-on", NULL), 0);
        CHECK(c.fail_swap_on);
        /* "--bool false" is not a value: pflag takes "false" as an argument. */
        CHECK(parse(&c, &e, "--fail-swap-on", "false", NULL) < 0);
        CHECK_CONTAINS(e ? e->msg : NULL, "unexpected argument \"false\"");
        dh_err_free(e);
        agent_config_free(&c);
}

TEST(help_and_version)
{
        struct agent_config c = { 0 };
        struct dh_err *e = NULL;
        CHECK_INT(parse(&c, &e, "--help", NULL), AGENT_FLAGS_HELP);
        CHECK_INT(parse(&c, &e, "-h", NULL), AGENT_FLAGS_HELP);
        CHECK_INT(parse(&c, &e, "--max-pods=3", "-h", "--no-such-flag", NULL), AGENT_FLAGS_HELP);
        CHECK_INT(parse(&c, &e, "--version", NULL), AGENT_FLAGS_VERSION);
        CHECK_INT(parse(&c, &e, "--version=false", NULL), AGENT_FLAGS_RUN);
        /* --version does not read the config file... */
        CHECK_INT(parse(&c, &e, "--version", "--config=/nonexistent/deckhand.yaml", NULL),
                  AGENT_FLAGS_VERSION);
        CHECK(e == NULL);
        /* ...but bad flags are still errors, as in kubelet. */
        CHECK(parse(&c, &e, "--version", "--max-pods=x", NULL) < 0);
        dh_err_clear(&e);
        CHECK(parse(&c, &e, "--no-such-flag", "--help", NULL) < 0);
        dh_err_free(e);
        agent_config_free(&c);
}

/* Every malformed command line: AGENT_EUSAGE and the expected message;
 * cfg is left alone. */
TEST(usage_errors)
{
        static const struct { const char *a, *b, *msg; } cases[] = {
                { "--foo", NULL, "unknown flag: --foo" },
                { "--foo=bar", NULL, "unknown flag: --foo" },
                { "-x", NULL, "unknown shorthand flag: 'x' in -x" },
                { "-xh", NULL, "unknown shorthand flag: 'x' in -xh" },
                { "-vx", NULL, "invalid value \"x\" for flag --v" },
                { "--max-pods", NULL, "flag needs an argument: --max-pods" },
                { "-v", NULL, "flag needs an argument: 'v' in -v" },
                { "--max-pods=abc", NULL, "invalid value \"abc\" for flag --max-pods: must be an integer" },
                { "--max-pods=-1", NULL, "invalid value \"-1\" for flag --max-pods: must not be negative" },
                { "--max-pods=", NULL, "invalid value \"\" for flag --max-pods: must be an integer" },
                { "--max-pods", "1e3", "invalid value \"1e3\" for flag --max-pods" },
                { "--max-pods=99999999999", NULL, "for flag --max-pods: must be between 0 and 2147483647" },
                { "--port=0", NULL, "invalid value \"0\" for flag --port: must be between 1 and 65535" },
                { "--image-gc-high-threshold=101", NULL, "must be between 0 and 100" },
                { "-v=loud", NULL, "invalid value \"loud\" for flag --v: must be an integer" },
                { "--fail-swap-on=maybe", NULL, "invalid value \"maybe\" for flag --fail-swap-on: must be true or false" },
                { "--version=please", NULL, "for flag --version: must be true or false" },
                { "--sync-frequency=5x", NULL, "invalid value \"5x\" for flag --sync-frequency: must be a non-negative duration" },
                { "--sync-frequency=10", NULL, "for flag --sync-frequency" },
                { "--sync-frequency=-1s", NULL, "for flag --sync-frequency" },
                { "--node-labels=role", NULL, "malformed pair \"role\", expected key=value" },
                { "--node-labels==x", NULL, "empty key" },
                { "--node-labels=a b=c", NULL, "label key \"a b\"" },
                { "--node-labels=a=b c", NULL, "label value \"b c\"" },
                { "--node-labels=Example.COM/a=b", NULL, "prefix must be a lowercase DNS subdomain" },
                { "--node-labels=a=-b", NULL, "must start and end with an alphanumeric character" },
                { "--eviction-hard=memory.available=100Mi", NULL, "expected key<value" },
                { "--register-with-taints=dedicated=infra", NULL, "is not key=value:Effect" },
                { "--register-with-taints=a:NoWay", NULL, "effect must be NoSchedule" },
                { "--register-with-taints=a=b=c:NoSchedule", NULL, "taint \"a=b=c:NoSchedule\"" },
                { "run", NULL, "unexpected argument \"run\"" },
                { "-", NULL, "unexpected argument \"-\"" },
                { "--", "x", "unexpected argument \"x\"" },
                { "---max-pods=1", NULL, "bad flag syntax: ---max-pods=1" },
                { "--=1", NULL, "bad flag syntax: --=1" },
                { "--network-plugin=cni", NULL, "unknown flag: --network-plugin" },
        };
        for (size_t i = 0; i < DH_ARRAY_SIZE(cases); i++) {
                struct agent_config c = { 0 };
                struct dh_err *e = NULL;
                CHECK_INT(agent_config_init(&c, NULL), 0);
                int r = parse(&c, &e, cases[i].a, cases[i].b, NULL);
                CHECK(r < 0);
                CHECK_INT(e ? e->code : 0, AGENT_EUSAGE);
                CHECK_CONTAINS(e ? e->msg : NULL, cases[i].msg);
                CHECK_INT(c.max_pods, 110);
                dh_err_free(e);
                agent_config_free(&c);
        }
}

TEST(node_labels_ordered_and_merged)
{
        struct agent_config c = { 0 };
        struct dh_err *e = NULL;
        CHECK_INT(parse(&c, &e, "--node-labels=zone=a, node-role.kubernetes.io/worker= ,tier=gold",
                        "--node-labels", "zone=b,example.com/x=y", NULL), 0);
        CHECK(e == NULL);
        CHECK_INT(c.node_labels.n, 4);
        if (c.node_labels.n == 4) {
                CHECK_STR(c.node_labels.v[0].key, "zone");
                CHECK_STR(c.node_labels.v[0].value, "b");
                CHECK_STR(c.node_labels.v[1].key, "node-role.kubernetes.io/worker");
                CHECK_STR(c.node_labels.v[1].value, "");
                CHECK_STR(c.node_labels.v[2].key, "tier");
                CHECK_STR(c.node_labels.v[3].key, "example.com/x");
        }
        CHECK_INT(parse(&c, &e, "--node-labels=", NULL), 0);
        CHECK_INT(c.node_labels.n, 0);
        agent_config_free(&c);
}

TEST(list_map_and_taint_flags)
{
        struct agent_config c = { 0 };
        struct dh_err *e = NULL;
        CHECK_INT(parse(&c, &e, "--cluster-dns=10.96.0.10,fd00::a", "--cluster-dns", "10.96.0.11",
                        "--eviction-hard=memory.available<100Mi, nodefs.available<10%",
                        "--system-reserved=cpu=200m,memory=500Mi",
                        "--register-with-taints=dedicated=infra:NoSchedule,node.example.com/gpu:NoExecute",
                        "--enforce-node-allocatable=pods,system-reserved", "--system-reserved-cgroup=/sys",
                        "--cluster-domain=cluster.local", "--cgroup-driver=systemd",
                        "--container-runtime-endpoint=unix:///run/containerd/containerd.sock",
                        "--pod-infra-container-image=registry.k8s.io/pause:3.10", "--pod-cidr=10.244.0.0/24",
                        NULL), 0);
        CHECK(e == NULL);
        CHECK_INT(c.cluster_dns.n, 3);
        CHECK_STR(c.cluster_dns.n == 3 ? c.cluster_dns.v[2] : NULL, "10.96.0.11");
        CHECK_STR(dh_strmap_get(&c.eviction_hard, "nodefs.available"), "10%");
        CHECK_STR(dh_strmap_get(&c.eviction_hard, "memory.available"), "100Mi");
        CHECK_STR(dh_strmap_get(&c.system_reserved, "memory"), "500Mi");
        CHECK_INT(c.register_with_taints.n, 2);
        if (c.register_with_taints.n == 2) {
                CHECK_STR(c.register_with_taints.v[0].key, "dedicated");
                CHECK_STR(c.register_with_taints.v[0].value, "infra");
                CHECK_STR(c.register_with_taints.v[0].effect, "NoSchedule");
                CHECK(c.register_with_taints.v[1].value == NULL);
                CHECK_STR(c.register_with_taints.v[1].effect, "NoExecute");
        }
        CHECK_INT(c.enforce_node_allocatable.n, 2);
        CHECK_STR(c.cgroup_driver, "systemd");
        CHECK_STR(c.container_runtime_endpoint, "unix:///run/containerd/containerd.sock");
        CHECK_STR(c.pod_infra_container_image, "registry.k8s.io/pause:3.10");
        CHECK_STR(c.pod_cidr, "10.244.0.0/24");
        agent_config_free(&c);
}

TEST(duration_flags)
{
        struct agent_config c = { 0 };
        struct dh_err *e = NULL;
        CHECK_INT(parse(&c, &e, "--sync-frequency=1m30s", "--file-check-frequency", "1.5s",
                        "--runtime-request-timeout=2h", "--node-status-update-frequency=0", NULL), 0);
        CHECK_INT(c.sync_frequency_ms, 90000);
        CHECK_INT(c.file_check_frequency_ms, 1500);
        CHECK_INT(c.runtime_request_timeout_ms, 7200000);
        CHECK_INT(c.node_status_update_frequency_ms, 0);
        agent_config_free(&c);
}

TEST(go_durations)
{
        static const struct { const char *s; int64_t ms; } ok[] = {
                { "0", 0 }, { "+0", 0 }, { "0s", 0 }, { "20s", 20000 }, { "1m0s", 60000 },
                { "1h30m", 5400000 }, { "1.5h", 5400000 }, { ".5s", 500 }, { "5.s", 5000 },
                { "250ms", 250 }, { "1500us", 1 }, { "1500\xc2\xb5s", 1 }, { "2000000ns", 2 },
                { "+3s", 3000 }, { "1h1m1s1ms", 3661001 }, { "2562047h", 2562047 * INT64_C(3600000) },
        };
        static const char *const bad[] = { "", "10", "-1s", "s", ".s", "1.2.3s", "5y", "10 s",
                                           "1h 1m", "3000000h", "1e3s", "+", "1s-" };
        for (size_t i = 0; i < DH_ARRAY_SIZE(ok); i++) {
                int64_t ms = -42;
                CHECK_INT(dh_parse_duration_ms(ok[i].s, &ms, "d", NULL), 0);
                CHECK_INT(ms, ok[i].ms);
        }
        for (size_t i = 0; i < DH_ARRAY_SIZE(bad); i++) {
                int64_t ms = -42;
                struct dh_err *e = NULL;
                CHECK(dh_parse_duration_ms(bad[i], &ms, "d", &e) < 0);
                CHECK_INT(ms, -42);
                CHECK_CONTAINS(e ? e->msg : NULL, "d: invalid duration");
                dh_err_free(e);
        }
}

TEST(format_duration_like_go)
{
        char b[64];
        CHECK_STR(agent_format_duration(0, b, sizeof b), "0s");
        CHECK_STR(agent_format_duration(250, b, sizeof b), "250ms");
        CHECK_STR(agent_format_duration(20000, b, sizeof b), "20s");
        CHECK_STR(agent_format_duration(60000, b, sizeof b), "1m0s");
        CHECK_STR(agent_format_duration(90500, b, sizeof b), "1m30.5s");
        CHECK_STR(agent_format_duration(3600000, b, sizeof b), "1h0m0s");
        CHECK_STR(agent_format_duration(1250, b, sizeof b), "1.25s");
}

TEST(config_file_fields)
{
        struct agent_config c = { 0 };
        _cleanup_free_ char *msg = load_err("config/good.yaml", &c);
        CHECK(msg == NULL);
        CHECK_STR(c.static_pod_path, "/etc/kubernetes/manifests");
        CHECK_INT(c.sync_frequency_ms, 90000);
        CHECK_INT(c.file_check_frequency_ms, 5000);
        CHECK_STR(c.address, "10.0.0.4");
        CHECK_INT(c.port, 10251);
        CHECK_INT(c.healthz_port, 10249);
        CHECK_STR(c.healthz_bind_address, "0.0.0.0");
        CHECK(!c.authn_anonymous && c.authn_webhook);
        CHECK_INT(c.authn_webhook_cache_ttl_ms, 30000);
        CHECK_STR(c.client_ca_file, "/etc/kubernetes/pki/ca.crt");
        CHECK_INT(c.authz_cache_authorized_ttl_ms, 240000);
        CHECK_INT(c.authz_cache_unauthorized_ttl_ms, 20000);
        CHECK_STR(c.cluster_domain, "cluster.local");
        CHECK_INT(c.cluster_dns.n, 2);
        CHECK_STR(c.cgroup_driver, "systemd");
        CHECK_INT(c.max_pods, 50);
        CHECK_INT(c.pod_pids_limit, 4096);
        CHECK(!c.register_node);
        CHECK_INT(c.register_with_taints.n, 2);
        CHECK_STR(c.register_with_taints.n == 2 ? c.register_with_taints.v[1].value : NULL, "infra");
        CHECK_INT(c.image_gc_high_threshold_percent, 90);
        CHECK_INT(c.image_gc_low_threshold_percent, 70);
        CHECK_STR(dh_strmap_get(&c.eviction_hard, "nodefs.available"), "5%");
        CHECK_STR(dh_strmap_get(&c.system_reserved, "cpu"), "100m");
        CHECK_STR(dh_strmap_get(&c.kube_reserved, "memory"), "128Mi");
        CHECK_INT(c.node_status_update_frequency_ms, 20000);
        CHECK_INT(c.node_status_report_frequency_ms, 60000);
        CHECK_INT(c.node_lease_duration_seconds, 60);
        CHECK(c.rotate_certificates && !c.serialize_image_pulls && !c.fail_swap_on);
        CHECK_STR(c.container_log_max_size, "50Mi");
        CHECK_INT(c.container_log_max_files, 3);
        CHECK_INT(c.runtime_request_timeout_ms, 900000);
        CHECK_STR(c.resolv_conf, "/run/systemd/resolve/resolv.conf");
        CHECK_INT(c.enforce_node_allocatable.n, 2);
        CHECK_INT(c.verbosity, 3);
        CHECK_STR(c.swap_behavior, "NoSwap");
        CHECK_INT(agent_config_validate(&c, NULL), 0);
        agent_config_free(&c);
}

TEST(config_file_json)
{
        struct agent_config c = { 0 };
        _cleanup_free_ char *msg = load_err("config/good.json", &c);
        CHECK(msg == NULL);
        CHECK_INT(c.max_pods, 20);
        CHECK_STR(c.static_pod_path, "/srv/pods");
        CHECK_INT(c.file_check_frequency_ms, 60000);
        CHECK(!c.fail_swap_on);
        agent_config_free(&c);
}

TEST(config_file_type_meta)
{
        static const struct { const char *file, *msg; } cases[] = {
                { "config/wrong-kind.yaml", "wrong-kind.yaml: kind is \"KubeProxyConfiguration\", expected \"KubeletConfiguration\"" },
                { "config/wrong-api.yaml", "wrong-api.yaml: apiVersion is \"kubelet.config.k8s.io/v1\", expected \"kubelet.config.k8s.io/v1beta1\"" },
                { "config/no-kind.yaml", "no-kind.yaml: kind is missing, expected \"KubeletConfiguration\"" },
                { "config/empty.yaml", "empty.yaml: no KubeletConfiguration found" },
                { "config/multi-doc.yaml", "multi-doc.yaml: expected one KubeletConfiguration document, found 2" },
                { "config/syntax.yaml", "syntax.yaml: line " },
                { "config/no-such-file.yaml", "no-such-file.yaml" },
        };
        for (size_t i = 0; i < DH_ARRAY_SIZE(cases); i++) {
                struct agent_config c = { 0 };
                _cleanup_free_ char *msg = load_err(cases[i].file, &c);
                CHECK_CONTAINS(msg, cases[i].msg);
                agent_config_free(&c);
        }
}

TEST(config_file_type_errors_have_paths)
{
        struct agent_config c = { 0 };
        _cleanup_free_ char *path = data("config/maxpods-lots.yaml");
        _cleanup_free_ char *msg = load_err("config/maxpods-lots.yaml", &c);
        _cleanup_free_ char *want = NULL;
        CHECK(asprintf(&want, "%s: maxPods: Invalid value: \"lots\": must be an integer", path) > 0);
        CHECK_STR(msg, want);
        agent_config_free(&c);

        _cleanup_free_ char *all = load_err("config/type-errors.yaml", &c);
        CHECK_CONTAINS(all, "type-errors.yaml: [");
        CHECK_CONTAINS(all, "maxPods: Invalid value: -3: must be between 0 and 2147483647, inclusive");
        CHECK_CONTAINS(all, "syncFrequency: Invalid value: 20: must be a duration string");
        CHECK_CONTAINS(all, "fileCheckFrequency: Invalid value: \"5 minutes\": must be a non-negative duration");
        CHECK_CONTAINS(all, "failSwapOn: Invalid value: \"no\": must be a boolean");
        CHECK_CONTAINS(all, "clusterDNS: Invalid value: \"10.0.0.10\": must be a list");
        CHECK_CONTAINS(all, "authentication.webhook.enabled: Invalid value: \"sure\": must be a boolean");
        CHECK_CONTAINS(all, "evictionHard[memory.available]: Invalid value: 100: must be a string");
        CHECK_CONTAINS(all, "registerWithTaints[0].effect: Invalid value: [...]: must be a string");
        /* Nothing of a failed file is applied. */
        CHECK_INT(c.max_pods, 110);
        CHECK_INT(c.sync_frequency_ms, 60000);
        CHECK(c.fail_swap_on);
        agent_config_free(&c);
}

TEST(config_file_unknown_fields_ignored)
{
        struct agent_config c = { 0 };
        _cleanup_free_ char *msg = load_err("config/unknown-fields.yaml", &c);
        CHECK(msg == NULL);
        CHECK_INT(c.max_pods, 30);
        agent_config_free(&c);
}

TEST(config_file_defaulting)
{
        struct agent_config c = { 0 };
        _cleanup_free_ char *m1 = load_err("config/zero-defaults.yaml", &c);
        CHECK(m1 == NULL);
        CHECK_INT(c.sync_frequency_ms, 60000);
        CHECK_INT(c.max_pods, 110);
        CHECK_STR(c.address, "0.0.0.0");
        CHECK_INT(c.port, 10250);
        CHECK_INT(c.pod_pids_limit, -1);
        CHECK_INT(c.healthz_port, 0);   /* *int32 upstream: 0 disables */
        CHECK_INT(c.image_gc_low_threshold_percent, 0);
        agent_config_free(&c);

        _cleanup_free_ char *m2 = load_err("config/update-freq.yaml", &c);
        CHECK(m2 == NULL);
        CHECK_INT(c.node_status_update_frequency_ms, 20000);
        CHECK_INT(c.node_status_report_frequency_ms, 20000);
        CHECK_INT(c.max_parallel_image_pulls, 4);
        CHECK(!c.serialize_image_pulls);
        CHECK_INT(agent_config_validate(&c, NULL), 0);
        agent_config_free(&c);

        /* An explicit zero update frequency is "unset": both get defaults. */
        static const char y[] = "apiVersion: kubelet.config.k8s.io/v1beta1\n"
                                "kind: KubeletConfiguration\nnodeStatusUpdateFrequency: 0s\n";
        CHECK_INT(agent_config_init(&c, NULL), 0);
        CHECK_INT(agent_config_load_buffer("mem", y, sizeof y - 1, NULL, &c, NULL), 0);
        CHECK_INT(c.node_status_update_frequency_ms, 10000);
        CHECK_INT(c.node_status_report_frequency_ms, 300000);
        agent_config_free(&c);
}

TEST(config_file_relative_paths)
{
        struct agent_config c = { 0 };
        _cleanup_free_ char *dir = data("config");
        _cleanup_free_ char *msg = load_err("config/relative.yaml", &c);
        CHECK(msg == NULL);
        _cleanup_free_ char *want = NULL, *want2 = NULL;
        CHECK(asprintf(&want, "%s/manifests", dir) > 0);
        CHECK(asprintf(&want2, "%s/pki/kubelet.crt", dir) > 0);
        CHECK_STR(c.static_pod_path, want);
        CHECK_STR(c.tls_cert_file, want2);
        CHECK_STR(c.client_ca_file, "/abs/ca.crt");
        CHECK_STR(c.resolv_conf, "");
        agent_config_free(&c);
}

TEST(config_buffer_without_base_dir)
{
        static const char y[] = "apiVersion: kubelet.config.k8s.io/v1beta1\n"
                                "kind: KubeletConfiguration\nstaticPodPath: pods\n";
        struct agent_config c = { 0 };
        CHECK_INT(agent_config_init(&c, NULL), 0);
        CHECK_INT(agent_config_load_buffer("mem", y, sizeof y - 1, NULL, &c, NULL), 0);
        CHECK_STR(c.static_pod_path, "pods");
        struct dh_err *e = NULL;
        CHECK(agent_config_load_buffer("mem", "[1]", 3, NULL, &c, &e) < 0);
        CHECK_CONTAINS(e ? e->msg : NULL, "mem: expected a KubeletConfiguration object");
        dh_err_free(e);
        agent_config_free(&c);
}

TEST(precedence_defaults_config_flags)
{
        struct agent_config c = { 0 };
        struct dh_err *e = NULL;
        _cleanup_free_ char *cf = config_flag("config/good.yaml");
        /* Flags win over the file wherever they appear on the line. */
        CHECK_INT(parse(&c, &e, "--max-pods=7", cf, "-v", "5", "--cluster-dns=10.0.0.53",
                        "--fail-swap-on", NULL), 0);
        CHECK(e == NULL);
        CHECK_INT(c.max_pods, 7);
        CHECK_INT(c.verbosity, 5);
        CHECK(c.fail_swap_on);
        /* A list flag replaces the file's list instead of appending to it. */
        CHECK_INT(c.cluster_dns.n, 1);
        CHECK_STR(c.cluster_dns.n ? c.cluster_dns.v[0] : NULL, "10.0.0.53");
        /* File values beat defaults where no flag was given. */
        CHECK_STR(c.cgroup_driver, "systemd");
        CHECK_INT(c.port, 10251);
        CHECK_INT(c.healthz_port, 10249);
        CHECK_STR(c.config_path, cf + strlen("--config="));
        /* Without flags, the file's values stand. */
        CHECK_INT(parse(&c, &e, cf, NULL), 0);
        CHECK_INT(c.max_pods, 50);
        CHECK_INT(c.verbosity, 3);
        CHECK_INT(c.cluster_dns.n, 2);
        agent_config_free(&c);
}

TEST(config_errors_are_not_usage_errors)
{
        struct agent_config c = { 0 };
        struct dh_err *e = NULL;
        CHECK_INT(agent_config_init(&c, NULL), 0);
        _cleanup_free_ char *bad = config_flag("config/maxpods-lots.yaml");
        CHECK(parse(&c, &e, bad, "--max-pods=3", NULL) < 0);
        CHECK(e && e->code != AGENT_EUSAGE);
        CHECK_CONTAINS(e ? e->msg : NULL, "maxpods-lots.yaml: maxPods: Invalid value: \"lots\"");
        CHECK_INT(c.max_pods, 110);
        dh_err_clear(&e);
        CHECK(parse(&c, &e, "--config=/nonexistent/deckhand.yaml", NULL) < 0);
        CHECK_CONTAINS(e ? e->msg : NULL, "/nonexistent/deckhand.yaml");
        dh_err_clear(&e);
        /* Cross-field validation runs on the merged result. */
        CHECK(parse(&c, &e, "--image-gc-low-threshold=90", NULL) < 0);
        CHECK(e && e->code != AGENT_EUSAGE);
        CHECK_CONTAINS(e ? e->msg : NULL, "invalid configuration: imageGCLowThresholdPercent "
                                          "(--image-gc-low-threshold) 90 must be less than");
        dh_err_clear(&e);
        _cleanup_free_ char *drv = config_flag("config/bad-driver.yaml");
        CHECK(parse(&c, &e, drv, NULL) < 0);
        CHECK_CONTAINS(e ? e->msg : NULL, "cgroupDriver (--cgroup-driver) \"cgroupv3\" must be one of");
        dh_err_clear(&e);
        /* ...and a flag can repair what the file got wrong. */
        CHECK_INT(parse(&c, &e, drv, "--cgroup-driver=cgroupfs", NULL), 0);
        CHECK(parse(&c, &e, "--authorization-mode=Magic", NULL) < 0);
        CHECK_CONTAINS(e ? e->msg : NULL, "authorization.mode");
        dh_err_free(e);
        agent_config_free(&c);
}

TEST(label_syntax)
{
        CHECK(agent_label_key_problem("app") == NULL);
        CHECK(agent_label_key_problem("node-role.kubernetes.io/control-plane") == NULL);
        CHECK(agent_label_key_problem("a_b.c-d") == NULL);
        CHECK(agent_label_key_problem("") != NULL);
        CHECK(agent_label_key_problem("/a") != NULL);
        CHECK(agent_label_key_problem("a/") != NULL);
        CHECK(agent_label_key_problem("-a") != NULL);
        CHECK(agent_label_key_problem("a b") != NULL);
        CHECK(agent_label_key_problem("a/b/c") != NULL);
        char long_name[80];
        memset(long_name, 'a', 64);
        long_name[64] = '\0';
        CHECK(agent_label_key_problem(long_name) != NULL);
        CHECK(agent_label_value_problem("") == NULL);
        CHECK(agent_label_value_problem("v1.2_3") == NULL);
        CHECK(agent_label_value_problem("a b") != NULL);
        CHECK(agent_label_value_problem(long_name) != NULL);
}

TEST(usage_lists_every_flag)
{
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        CHECK(f != NULL);
        if (!f)
                return;
        agent_flags_usage(f);
        fclose(f);
        CHECK_CONTAINS(buf, "Usage:\n  deckhand [flags]");
        CHECK_CONTAINS(buf, "--pod-manifest-path string");
        CHECK_CONTAINS(buf, "[staticPodPath]");
        CHECK_CONTAINS(buf, "--max-pods int32");
        CHECK_CONTAINS(buf, "(default 110)");
        CHECK_CONTAINS(buf, "-v, --v Level");
        CHECK_CONTAINS(buf, "-h, --help");
        CHECK_CONTAINS(buf, "--version");
        CHECK_CONTAINS(buf, "--root-dir string");
        CHECK_CONTAINS(buf, "(default \"/var/lib/deckhand\")");
        CHECK_CONTAINS(buf, "--file-check-frequency duration");
        CHECK_CONTAINS(buf, "(default 20s)");
        CHECK_CONTAINS(buf, "--fail-swap-on");
        CHECK_CONTAINS(buf, "--node-labels mapStringString");
        free(buf);
}

/* --- manifest directory scan --- */

struct seen {
        char names[8][64];
        int n;
        int stop_after;
};

static int record_name(const char *path, void *userdata)
{
        struct seen *s = userdata;
        const char *base = strrchr(path, '/');
        if (s->n < 8)
                snprintf(s->names[s->n], sizeof s->names[0], "%s", base ? base + 1 : path);
        s->n++;
        return s->stop_after && s->n >= s->stop_after ? -ECANCELED : 0;
}

static void touch(const char *dir, const char *name)
{
        char p[512];
        snprintf(p, sizeof p, "%s/%s", dir, name);
        int fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        CHECK(fd >= 0);
        if (fd >= 0)
                close(fd);
}

TEST(manifest_dir_scan)
{
        char dir[] = "/tmp/deckhand-test-manifests-XXXXXX";
        CHECK(mkdtemp(dir) != NULL);
        static const char *const files[] = { "b.yaml", "a.yml", "c.json", ".hidden.yaml",
                                             "notes.txt", "d.yaml~", "B.yaml", ".yaml" };
        for (size_t i = 0; i < DH_ARRAY_SIZE(files); i++)
                touch(dir, files[i]);
        char sub[600];
        snprintf(sub, sizeof sub, "%s/sub.yaml", dir);
        CHECK_INT(mkdir(sub, 0755), 0);

        struct seen s = { 0 };
        CHECK_INT(agent_manifest_dir_scan(dir, record_name, &s, NULL), 0);
        /* Every non-hidden non-directory entry, in strcmp order, as kubelet. */
        CHECK_INT(s.n, 6);
        CHECK_STR(s.names[0], "B.yaml");
        CHECK_STR(s.names[1], "a.yml");
        CHECK_STR(s.names[2], "b.yaml");
        CHECK_STR(s.names[3], "c.json");
        CHECK_STR(s.names[4], "d.yaml~");
        CHECK_STR(s.names[5], "notes.txt");

        struct seen stop = { .stop_after = 2 };
        struct dh_err *e = NULL;
        CHECK(agent_manifest_dir_scan(dir, record_name, &stop, &e) < 0);
        CHECK_INT(stop.n, 2);
        CHECK(e != NULL);
        dh_err_clear(&e);

        /* A single file is scanned as itself, whatever its name. */
        char one[600];
        snprintf(one, sizeof one, "%s/notes.txt", dir);
        struct seen single = { 0 };
        CHECK_INT(agent_manifest_dir_scan(one, record_name, &single, NULL), 0);
        CHECK_INT(single.n, 1);
        CHECK_STR(single.names[0], "notes.txt");

        CHECK(agent_manifest_dir_scan("/nonexistent/deckhand", record_name, &s, &e) < 0);
        CHECK_CONTAINS(e ? e->msg : NULL, "/nonexistent/deckhand: open");
        dh_err_free(e);

        for (size_t i = 0; i < DH_ARRAY_SIZE(files); i++) {
                char p[600];
                snprintf(p, sizeof p, "%s/%s", dir, files[i]);
                unlink(p);
        }
        rmdir(sub);
        CHECK_INT(rmdir(dir), 0);
}

TEST_MAIN()
