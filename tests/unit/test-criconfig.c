/* agent/criconfig: pods to CRI configs. Cases follow the kubelet's tests
 * (kuberuntime_sandbox_test.go, kuberuntime_container_linux_test.go,
 * security_context tests, dns_test.go, policy_test.go, expansion_test.go,
 * kubelet_pods_test.go's makeEnvironmentVariables cases) with exact values. */
#include <errno.h>
#include <string.h>

#include "agent/criconfig.h"
#include "pod/pod.h"
#include "test.h"

static const struct agent_node_info base_node = {
        .name = "node1",
        .resolv_conf = "nameserver 8.8.8.8\nsearch example.com\noptions rotate\n",
        .node_ip = "192.0.2.10",
        .memory_capacity = 32ll << 30, /* the kubelet tests' machine */
        .allocatable_milli_cpu = 6000,
        .allocatable_memory = 4ll << 30,
        .allocatable_ephemeral_storage = 10ll << 30,
};

struct fx {
        struct pod_set set;
        struct pod *pod;
};

/* Decodes and defaults one pod (validation messages are not the point). */
static struct pod *load(struct fx *f, const char *yaml)
{
        memset(f, 0, sizeof *f);
        struct dh_err *e = NULL;
        /* A leading '{' would be read as JSON; these are YAML flow maps. */
        char *doc = NULL;
        if (asprintf(&doc, "---\n%s\n", yaml) < 0)
                abort();
        int r = pod_load_buffer(doc, strlen(doc), &f->set, &e);
        free(doc);
        if (r < 0 || f->set.n != 1 || !f->set.v[0].pod) {
                TEST_FAIL_("pod does not load: %s", e ? e->msg : "?");
                dh_err_free(e);
                abort();
        }
        return f->pod = f->set.v[0].pod;
}

static void fx_free(struct fx *f)
{
        pod_set_free(&f->set);
}

#define POD(spec, ...)                                                                       \
        "{apiVersion: v1, kind: Pod, metadata: {name: bar, namespace: new, uid: '12345678'" \
        __VA_ARGS__ "}, spec: " spec "}"

static void check_strv(const struct dh_strv *v, const char *const *want, size_t n, int line)
{
        if (v->n != n) {
                fprintf(stderr, "  (line %d) list has %zu entries, want %zu\n", line, v->n, n);
                test_failures_in_case++;
                return;
        }
        for (size_t i = 0; i < n; i++)
                if (strcmp(v->v[i], want[i]) != 0) {
                        fprintf(stderr, "  (line %d) [%zu] = \"%s\", want \"%s\"\n", line, i, v->v[i], want[i]);
                        test_failures_in_case++;
                }
}
#define STRV(v, ...)                                                                          \
        check_strv((v), (const char *const[]){ __VA_ARGS__ },                                \
                   sizeof((const char *const[]){ __VA_ARGS__ }) / sizeof(const char *), __LINE__)
#define STRV_EMPTY(v) CHECK_INT((v)->n, 0)

static const char *kv(const struct rt_kvs *k, const char *key)
{
        for (size_t i = 0; i < k->n; i++)
                if (strcmp(k->v[i].key, key) == 0)
                        return k->v[i].value;
        return NULL;
}

/* ---------- $(VAR) expansion (expansion_test.go TestMapReference/TestExpand) ---------- */

static const char *exp_lookup(void *ud, const char *name)
{
        (void)ud;
        static const char *const vars[][2] = {
                { "VAR_A", "A" }, { "VAR_B", "B" }, { "VAR_C", "C" },
                { "VAR_REF", "$(VAR_A)" }, { "VAR_EMPTY", "" },
        };
        for (size_t i = 0; i < sizeof vars / sizeof *vars; i++)
                if (strcmp(vars[i][0], name) == 0)
                        return vars[i][1];
        return NULL;
}

TEST(expand_table)
{
        static const char *const cases[][2] = {
                { "$(VAR_A)", "A" },
                { "$(VAR_A)-$(VAR_A)", "A-A" },
                { "$(VAR_A)-1", "A-1" },
                { "___$(VAR_B)___", "___B___" },
                { "___$(VAR_C)", "___C" },
                { "$(VAR_A)_$(VAR_B)_$(VAR_C)", "A_B_C" },
                { "$$(VAR_B)_$(VAR_A)", "$(VAR_B)_A" },
                { "$$(VAR_A)_$$(VAR_B)", "$(VAR_A)_$(VAR_B)" },
                { "f000-$$VAR_A", "f000-$VAR_A" },
                { "foo\\$(VAR_C)bar", "foo\\Cbar" },
                { "foo\\\\$(VAR_C)bar", "foo\\\\Cbar" },
                { "foo\\\\\\\\$(VAR_A)bar", "foo\\\\\\\\Abar" },
                { "$(VAR_A$(VAR_B))", "$(VAR_A$(VAR_B))" },
                { "$(VAR_A$(VAR_B)", "$(VAR_A$(VAR_B)" },
                { "$(VAR_REF)", "$(VAR_A)" },
                { "%%$(VAR_REF)--$(VAR_REF)%%", "%%$(VAR_A)--$(VAR_A)%%" },
                { "foo$(VAR_EMPTY)bar", "foobar" },
                { "foo$(VAR_Awhoops!", "foo$(VAR_Awhoops!" },
                { "f00__(VAR_A)__", "f00__(VAR_A)__" },
                { "$?_boo_$!", "$?_boo_$!" },
                { "$VAR_A", "$VAR_A" },
                { "$(VAR_DNE)", "$(VAR_DNE)" },
                { "$$$$$$(BIG_MONEY)", "$$$(BIG_MONEY)" },
                { "$$$$$$(VAR_A)", "$$$(VAR_A)" },
                { "$$$$$$$(GOOD_ODDS)", "$$$$(GOOD_ODDS)" },
                { "$$$$$$$(VAR_A)", "$$$A" },
                { "$VAR_A)", "$VAR_A)" },
                { "${VAR_A}", "${VAR_A}" },
                { "$(VAR_B)_______$(A", "B_______$(A" },
                { "$(VAR_C)_______$(", "C_______$(" },
                { "$(VAR_A)foobarzab$", "Afoobarzab$" },
                { "foo-\\$(VAR_A", "foo-\\$(VAR_A" },
                { "--$($($($($--", "--$($($($($--" },
                { "$($($($($--foo$(", "$($($($($--foo$(" },
                { "foo0--$($($($(", "foo0--$($($($(" },
                { "$(foo$$var)", "$(foo$$var)" },
                { "$()", "$()" },
                { "", "" },
                { "\n", "\n" },
        };
        for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
                char *out = NULL;
                CHECK_INT(agent_expand(cases[i][0], exp_lookup, NULL, &out, NULL), 0);
                if (!out || strcmp(out, cases[i][1]) != 0)
                        TEST_FAIL_("expand(\"%s\") = \"%s\", want \"%s\"", cases[i][0], out ? out : "(null)",
                                   cases[i][1]);
                free(out);
        }
}

static const char *big_lookup(void *ud, const char *name)
{
        (void)name;
        return ud;
}

TEST(expand_bounded)
{
        char *big = malloc(600 * 1024);
        memset(big, 'x', 600 * 1024 - 1);
        big[600 * 1024 - 1] = '\0';
        char *out = NULL;
        struct dh_err *e = NULL;
        CHECK(agent_expand("$(X)$(X)", big_lookup, big, &out, &e) < 0);
        CHECK(out == NULL);
        CHECK(e && e->code == DH_ELIMIT);
        dh_err_free(e);
        free(big);
}

/* ---------- resolv.conf and DNS (dns_test.go) ---------- */

TEST(parse_resolv_conf)
{
        struct {
                const char *text;
                const char *const servers[3], *const searches[3], *const options[3];
        } cases[] = {
                { "", { 0 }, { 0 }, { 0 } },
                { "   ", { 0 }, { 0 }, { 0 } },
                { "\n", { 0 }, { 0 }, { 0 } },
                { "\t\n\t", { 0 }, { 0 }, { 0 } },
                { "#comment\n", { 0 }, { 0 }, { 0 } },
                { " #comment\n", { 0 }, { 0 }, { 0 } },
                { "#comment\n#comment", { 0 }, { 0 }, { 0 } },
                { "nameserver 1.2.3.4", { "1.2.3.4" }, { 0 }, { 0 } },
                { " nameserver 1.2.3.4", { "1.2.3.4" }, { 0 }, { 0 } },
                { "\tnameserver 1.2.3.4", { "1.2.3.4" }, { 0 }, { 0 } },
                { "nameserver\t1.2.3.4", { "1.2.3.4" }, { 0 }, { 0 } },
                { "nameserver 1.2.3.4 #comment", { "1.2.3.4" }, { 0 }, { 0 } },
                { "nameserver 1.2.3.4\nnameserver 5.6.7.8", { "1.2.3.4", "5.6.7.8" }, { 0 }, { 0 } },
                { "search foo", { 0 }, { "foo" }, { 0 } },
                { "search foo bar", { 0 }, { "foo", "bar" }, { 0 } },
                { "search foo. bar", { 0 }, { "foo", "bar" }, { 0 } },
                { "search foo bar\nsearch baz", { 0 }, { "baz" }, { 0 } },
                { "search .", { 0 }, { 0 }, { 0 } },
                { "nameserver 1.2.3.4\nsearch foo bar", { "1.2.3.4" }, { "foo", "bar" }, { 0 } },
                { "options ndots:5 attempts:2", { 0 }, { 0 }, { "ndots:5", "attempts:2" } },
                { "options ndots:1\noptions ndots:5 attempts:3", { 0 }, { 0 }, { "ndots:5", "attempts:3" } },
                { "options ndots:1 edns0\noptions ndots:5", { 0 }, { 0 }, { "ndots:5", "edns0" } },
        };
        for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
                struct rt_dns_config d = { 0 };
                if (agent_parse_resolv_conf(cases[i].text, &d, NULL) < 0) {
                        TEST_FAIL_("case %zu fails", i);
                        continue;
                }
                size_t ns = 0, ss = 0, os = 0;
                while (ns < 3 && cases[i].servers[ns])
                        ns++;
                while (ss < 3 && cases[i].searches[ss])
                        ss++;
                while (os < 3 && cases[i].options[os])
                        os++;
                check_strv(&d.servers, cases[i].servers, ns, (int)i);
                check_strv(&d.searches, cases[i].searches, ss, (int)i);
                check_strv(&d.options, cases[i].options, os, (int)i);
                struct rt_sandbox_config tmp = { .dns_config = d };
                rt_sandbox_config_free(&tmp);
        }
        struct dh_err *e = NULL;
        struct rt_dns_config d = { 0 };
        CHECK(agent_parse_resolv_conf("nameserver\n", &d, &e) < 0);
        CHECK_STR(e ? e->msg : NULL, "resolv.conf: nameserver list is empty");
        dh_err_free(e);
}

/* The sandbox DNS config for a pod under a node. */
static struct rt_sandbox_config sandbox(const char *yaml, const struct agent_node_info *node)
{
        struct fx f;
        load(&f, yaml);
        struct rt_sandbox_config c = { 0 };
        struct dh_err *e = NULL;
        if (agent_sandbox_config(f.pod, node, 0, &c, &e) < 0)
                TEST_FAIL_("sandbox config: %s", e->msg);
        dh_err_free(e);
        fx_free(&f);
        return c;
}

static const char *const cluster_dns[] = { "10.0.0.10" };

TEST(dns_cluster_first)
{
        struct agent_node_info n = base_node;
        n.cluster_dns = cluster_dns, n.n_cluster_dns = 1, n.cluster_domain = "cluster.local";
        struct rt_sandbox_config c = sandbox(POD("{containers: [{name: c, image: busybox}]}"), &n);
        CHECK(c.has_dns_config);
        STRV(&c.dns_config.servers, "10.0.0.10");
        STRV(&c.dns_config.searches, "new.svc.cluster.local", "svc.cluster.local", "cluster.local",
             "example.com");
        STRV(&c.dns_config.options, "ndots:5");
        rt_sandbox_config_free(&c);

        /* hostNetwork with ClusterFirst: the node's DNS; with
         * ClusterFirstWithHostNet: the cluster's. */
        c = sandbox(POD("{hostNetwork: true, containers: [{name: c, image: busybox}]}"), &n);
        STRV(&c.dns_config.servers, "8.8.8.8");
        STRV(&c.dns_config.searches, "example.com");
        STRV(&c.dns_config.options, "rotate");
        CHECK(c.hostname == NULL);
        rt_sandbox_config_free(&c);
        c = sandbox(POD("{hostNetwork: true, dnsPolicy: ClusterFirstWithHostNet, containers: [{name: c, image: busybox}]}"), &n);
        STRV(&c.dns_config.servers, "10.0.0.10");
        rt_sandbox_config_free(&c);

        /* No cluster domain: the host's searches unchanged. */
        n.cluster_domain = NULL;
        c = sandbox(POD("{containers: [{name: c, image: busybox}]}"), &n);
        STRV(&c.dns_config.searches, "example.com");
        STRV(&c.dns_config.options, "ndots:5");
        rt_sandbox_config_free(&c);
}

TEST(dns_no_cluster_dns_falls_back_to_default)
{
        struct rt_sandbox_config c = sandbox(POD("{containers: [{name: c, image: busybox}]}"), &base_node);
        STRV(&c.dns_config.servers, "8.8.8.8");
        STRV(&c.dns_config.searches, "example.com");
        STRV(&c.dns_config.options, "rotate");
        rt_sandbox_config_free(&c);

        /* --resolv-conf="": loopback of the node's family, search ".". */
        struct agent_node_info n = base_node;
        n.resolv_conf = NULL;
        c = sandbox(POD("{dnsPolicy: Default, containers: [{name: c, image: busybox}]}"), &n);
        STRV(&c.dns_config.servers, "127.0.0.1");
        STRV(&c.dns_config.searches, ".");
        STRV_EMPTY(&c.dns_config.options);
        rt_sandbox_config_free(&c);
        n.node_ip = "2001:db8::1";
        c = sandbox(POD("{containers: [{name: c, image: busybox}]}"), &n);
        STRV(&c.dns_config.servers, "::1");
        rt_sandbox_config_free(&c);
}

TEST(dns_none_and_pod_dns_config)
{
        struct agent_node_info n = base_node;
        n.cluster_dns = cluster_dns, n.n_cluster_dns = 1, n.cluster_domain = "cluster.local";
        struct rt_sandbox_config c = sandbox(
                POD("{dnsPolicy: None, dnsConfig: {nameservers: [203.0.113.1], searches: [my.dns.search.suffix],"
                    " options: [{name: ndots, value: '2'}, {name: edns0}]}, containers: [{name: c, image: busybox}]}"),
                &n);
        CHECK(c.has_dns_config);
        STRV(&c.dns_config.servers, "203.0.113.1");
        STRV(&c.dns_config.searches, "my.dns.search.suffix");
        STRV(&c.dns_config.options, "ndots:2", "edns0");
        rt_sandbox_config_free(&c);

        /* Merged into ClusterFirst: duplicates dropped, an option of the same
         * name replaced in place. */
        c = sandbox(POD("{dnsConfig: {nameservers: [10.0.0.10, 10.0.0.11], searches: [svc.cluster.local, a.b],"
                        " options: [{name: ndots, value: '1'}, {name: debug}]}, containers: [{name: c, image: busybox}]}"),
                    &n);
        STRV(&c.dns_config.servers, "10.0.0.10", "10.0.0.11");
        STRV(&c.dns_config.searches, "new.svc.cluster.local", "svc.cluster.local", "cluster.local",
             "example.com", "a.b");
        STRV(&c.dns_config.options, "ndots:1", "debug");
        rt_sandbox_config_free(&c);
}

TEST(dns_limits)
{
        struct agent_node_info n = base_node;
        n.resolv_conf = "nameserver 1.1.1.1\nnameserver 2.2.2.2\nnameserver 3.3.3.3\nnameserver 4.4.4.4\n"
                        "search s1 s2 s3 s4 s5 s6 s7 s8 s9 s10 s11 s12 s13 s14 s15 s16 s17 s18 s19 s20"
                        " s21 s22 s23 s24 s25 s26 s27 s28 s29 s30 s31 s32 s33 s34\n";
        struct rt_sandbox_config c = sandbox(POD("{dnsPolicy: Default, containers: [{name: c, image: busybox}]}"), &n);
        STRV(&c.dns_config.servers, "1.1.1.1", "2.2.2.2", "3.3.3.3");
        CHECK_INT(c.dns_config.searches.n, 32);
        CHECK_STR(c.dns_config.searches.v[31], "s32");
        rt_sandbox_config_free(&c);

        /* 2048 characters: whole domains come off the end. */
        static char text[4096];
        size_t off = (size_t)snprintf(text, sizeof text, "search");
        for (int i = 0; i < 9; i++) {
                text[off++] = ' ';
                memset(text + off, 'a' + i, 250);
                off += 250;
        }
        text[off] = '\0';
        n.resolv_conf = text;
        c = sandbox(POD("{dnsPolicy: Default, containers: [{name: c, image: busybox}]}"), &n);
        CHECK_INT(c.dns_config.searches.n, 8); /* 8*250+7 = 2007 <= 2048 */
        rt_sandbox_config_free(&c);
}

/* ---------- hostname (GeneratePodHostNameAndDomain) ---------- */

static int hostname_of(const char *yaml, const struct agent_node_info *n, char **host, char **msg)
{
        struct fx f;
        load(&f, yaml);
        struct rt_sandbox_config c = { 0 };
        struct dh_err *e = NULL;
        int r = agent_sandbox_config(f.pod, n, 0, &c, &e);
        *host = r == 0 && c.hostname ? strdup(c.hostname) : NULL;
        *msg = e ? strdup(e->msg) : NULL;
        dh_err_free(e);
        rt_sandbox_config_free(&c);
        fx_free(&f);
        return r;
}

TEST(hostname)
{
        struct agent_node_info n = base_node;
        n.cluster_domain = "cluster.local";
        char *h, *m;
        CHECK_INT(hostname_of(POD("{containers: [{name: c, image: busybox}]}"), &n, &h, &m), 0);
        CHECK_STR(h, "bar");
        free(h), free(m);
        CHECK_INT(hostname_of(POD("{hostname: web-0, subdomain: web, containers: [{name: c, image: busybox}]}"), &n, &h, &m), 0);
        CHECK_STR(h, "web-0");
        free(h), free(m);
        CHECK_INT(hostname_of(POD("{hostname: web-0, subdomain: web, setHostnameAsFQDN: true, containers: [{name: c, image: busybox}]}"),
                              &n, &h, &m), 0);
        CHECK_STR(h, "web-0.web.new.svc.cluster.local");
        free(h), free(m);

        /* Longer than 63: cut, then trailing '-' and '.' dropped. */
        char yaml[512];
        snprintf(yaml, sizeof yaml,
                 "{apiVersion: v1, kind: Pod, metadata: {name: %s, namespace: new, uid: '1'}, spec: {containers: [{name: c, image: busybox}]}}",
                 "a123456789b123456789c123456789d123456789e123456789f12345678-.-.hello");
        CHECK_INT(hostname_of(yaml, &n, &h, &m), 0);
        CHECK_STR(h, "a123456789b123456789c123456789d123456789e123456789f12345678");
        free(h), free(m);

        /* An FQDN over 64 characters is refused. */
        n.cluster_domain = "a-very-long-cluster-domain.example.com";
        CHECK(hostname_of(POD("{hostname: web-0123456789, subdomain: web, setHostnameAsFQDN: true, containers: [{name: c, image: busybox}]}"),
                          &n, &h, &m) < 0);
        CHECK_STR(m, "pod \"new/bar\": sandbox config: failed to construct FQDN from pod hostname and cluster domain, FQDN "
                     "web-0123456789.web.new.svc.a-very-long-cluster-domain.example.com is too long (64 characters is the max, 65 characters requested)");
        free(h), free(m);
}

/* ---------- sandbox (kuberuntime_sandbox_test.go) ---------- */

TEST(sandbox_config)
{
        struct rt_sandbox_config c = sandbox(
                POD("{shareProcessNamespace: true, hostIPC: true, securityContext: {runAsUser: 1000, runAsGroup: 2000, fsGroup: 3000,"
                    " supplementalGroups: [4000, 5000], sysctls: [{name: kernel.shm_rmid_forced, value: '1'},"
                    " {name: net.ipv4.ip_local_port_range, value: '1024 65535'}]},"
                    " initContainers: [{name: i, image: busybox, securityContext: {privileged: true}}],"
                    " containers: [{name: c, image: busybox, ports: [{containerPort: 80, hostPort: 8080},"
                    " {containerPort: 53, protocol: UDP, hostIP: 127.0.0.1, hostPort: 5353}, {containerPort: 9090, name: metrics}]},"
                    " {name: d, image: busybox, ports: [{containerPort: 81, protocol: SCTP}]}]}",
                    ", labels: {app: test}, annotations: {note: hi}"),
                &base_node);
        CHECK_STR(c.metadata.name, "bar");
        CHECK_STR(c.metadata.namespace, "new");
        CHECK_STR(c.metadata.uid, "12345678");
        CHECK_INT(c.metadata.attempt, 0);
        CHECK_STR(c.hostname, "bar");
        CHECK_STR(c.log_directory, "/var/log/pods/new_bar_12345678");
        CHECK_INT(c.labels.n, 4);
        CHECK_STR(kv(&c.labels, "app"), "test");
        CHECK_STR(kv(&c.labels, "io.kubernetes.pod.name"), "bar");
        CHECK_STR(kv(&c.labels, "io.kubernetes.pod.namespace"), "new");
        CHECK_STR(kv(&c.labels, "io.kubernetes.pod.uid"), "12345678");
        CHECK_INT(c.annotations.n, 1);
        CHECK_STR(kv(&c.annotations, "note"), "hi");
        CHECK_INT(c.port_mappings.n, 4);
        if (c.port_mappings.n == 4) {
                CHECK_INT(c.port_mappings.v[0].protocol, RT_PROTO_TCP);
                CHECK_INT(c.port_mappings.v[0].container_port, 80);
                CHECK_INT(c.port_mappings.v[0].host_port, 8080);
                CHECK_STR(c.port_mappings.v[0].host_ip, "");
                CHECK_INT(c.port_mappings.v[1].protocol, RT_PROTO_UDP);
                CHECK_INT(c.port_mappings.v[1].host_port, 5353);
                CHECK_STR(c.port_mappings.v[1].host_ip, "127.0.0.1");
                CHECK_INT(c.port_mappings.v[2].container_port, 9090);
                CHECK_INT(c.port_mappings.v[2].host_port, 0);
                CHECK_INT(c.port_mappings.v[3].protocol, RT_PROTO_SCTP);
                CHECK_INT(c.port_mappings.v[3].container_port, 81);
        }
        const struct rt_linux_sandbox_config *l = &c.linux_cfg;
        CHECK_STR(l->cgroup_parent, "kubepods/besteffort/pod12345678");
        CHECK_INT(l->sysctls.n, 2);
        CHECK_STR(kv(&l->sysctls, "kernel.shm_rmid_forced"), "1");
        CHECK_STR(kv(&l->sysctls, "net.ipv4.ip_local_port_range"), "1024 65535");
        const struct rt_sandbox_security_context *sc = &l->security_context;
        CHECK(sc->privileged);
        CHECK_INT(sc->seccomp.profile_type, RT_SECCOMP_RUNTIME_DEFAULT);
        CHECK(sc->run_as_user.set && sc->run_as_user.value == 1000);
        CHECK(sc->run_as_group.set && sc->run_as_group.value == 2000);
        CHECK_INT(sc->supplemental_groups.n, 3);
        if (sc->supplemental_groups.n == 3) {
                CHECK_INT(sc->supplemental_groups.v[0], 3000);
                CHECK_INT(sc->supplemental_groups.v[1], 4000);
                CHECK_INT(sc->supplemental_groups.v[2], 5000);
        }
        CHECK_INT(sc->namespace_options.network, RT_NS_POD);
        CHECK_INT(sc->namespace_options.pid, RT_NS_POD);
        CHECK_INT(sc->namespace_options.ipc, RT_NS_NODE);
        rt_sandbox_config_free(&c);

        struct agent_node_info n = base_node;
        n.pod_logs_root = "/tmp/logs";
        c = sandbox(POD("{hostNetwork: true, hostPID: true, containers: [{name: c, image: busybox,"
                        " resources: {limits: {cpu: '1', memory: 1Gi}}}]}"), &n);
        CHECK_STR(c.log_directory, "/tmp/logs/new_bar_12345678");
        CHECK(c.hostname == NULL);
        CHECK(!c.linux_cfg.security_context.privileged);
        CHECK(!c.linux_cfg.security_context.run_as_user.set);
        CHECK_INT(c.linux_cfg.security_context.supplemental_groups.n, 0);
        CHECK_INT(c.linux_cfg.security_context.namespace_options.network, RT_NS_NODE);
        CHECK_INT(c.linux_cfg.security_context.namespace_options.pid, RT_NS_NODE);
        CHECK_INT(c.linux_cfg.security_context.namespace_options.ipc, RT_NS_POD);
        CHECK_STR(c.linux_cfg.cgroup_parent, "kubepods/pod12345678");
        rt_sandbox_config_free(&c);
}

TEST(sandbox_attempt_and_errors)
{
        struct fx f;
        load(&f, POD("{containers: [{name: c, image: busybox}]}"));
        struct rt_sandbox_config c = { 0 };
        CHECK_INT(agent_sandbox_config(f.pod, &base_node, 3, &c, NULL), 0);
        CHECK_INT(c.metadata.attempt, 3);
        rt_sandbox_config_free(&c);
        fx_free(&f);

        char *h, *m;
        CHECK(hostname_of(POD("{hostname: Bad_Name, containers: [{name: c, image: busybox}]}"), &base_node, &h, &m) < 0);
        CHECK_CONTAINS(m, "pod Hostname \"Bad_Name\" is not a valid DNS label: ");
        free(h), free(m);
}

/* ---------- containers ---------- */

static int container(const char *yaml, const struct agent_node_info *n, const struct agent_container_extras *x,
                     const char *name, int32_t restarts, struct rt_container_config *out, char **msg)
{
        struct fx f;
        load(&f, yaml);
        const struct pod_container *c = NULL;
        bool init = false;
        for (size_t i = 0; i < f.pod->spec.containers.n; i++)
                if (strcmp(f.pod->spec.containers.v[i].name, name) == 0)
                        c = &f.pod->spec.containers.v[i];
        for (size_t i = 0; !c && i < f.pod->spec.initContainers.n; i++)
                if (strcmp(f.pod->spec.initContainers.v[i].name, name) == 0)
                        c = &f.pod->spec.initContainers.v[i], init = true;
        struct dh_err *e = NULL;
        *out = (struct rt_container_config){ 0 };
        int r = agent_container_config(f.pod, c, init, restarts, n, x, out, &e);
        if (msg)
                *msg = e ? strdup(e->msg) : NULL;
        else if (r < 0)
                TEST_FAIL_("container config: %s", e->msg);
        dh_err_free(e);
        fx_free(&f);
        return r;
}

/* TestCalculateLinuxResources and TestGenerateLinuxContainerConfigResources */
TEST(linux_resources)
{
        static const struct {
                const char *resources;
                int64_t period, quota, shares, memory, oom;
        } cases[] = {
                /* Request128MBLimit256MB */
                /* (the API server copies the memory limit into the request: 1000 - 3) */
                { "{requests: {cpu: '1'}, limits: {cpu: '2', memory: 128Mi}}", 100000, 200000, 1024, 134217728, 997 },
                /* RequestNoMemory */
                { "{requests: {cpu: '2'}, limits: {cpu: '8'}}", 100000, 800000, 2048, 0, 999 },
                /* RequestNilCPU: the request is the limit */
                { "{limits: {cpu: '2'}}", 100000, 200000, 2048, 0, 999 },
                /* RequestZeroCPU */
                { "{requests: {cpu: '0'}, limits: {cpu: '2'}}", 100000, 200000, 2, 0, 999 },
                /* guaranteed */
                { "{requests: {cpu: 250m, memory: 500Mi}, limits: {cpu: 250m, memory: 500Mi}}", 100000, 25000, 256, 524288000, -997 },
                /* burstable: 1000 - 1000*750Mi/32Gi = 978 */
                { "{requests: {cpu: 250m, memory: 750Mi}, limits: {cpu: 500m, memory: 1000Mi}}", 100000, 50000, 256, 1048576000, 978 },
                /* best effort */
                { "{}", 100000, 0, 2, 0, 1000 },
                /* tiny CPU: shares and quota at their minimums */
                { "{requests: {cpu: 1m}, limits: {cpu: 1m}}", 100000, 1000, 2, 0, 999 },
                /* huge CPU: shares capped */
                { "{requests: {cpu: '300'}, limits: {cpu: '300'}}", 100000, 30000000, 262144, 0, 999 },
        };
        for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
                char yaml[512];
                snprintf(yaml, sizeof yaml, POD("{containers: [{name: c, image: busybox, resources: %s}]}"),
                         cases[i].resources);
                struct rt_container_config c;
                if (container(yaml, &base_node, NULL, "c", 0, &c, NULL) < 0)
                        continue;
                const struct rt_linux_resources *r = &c.linux_cfg.resources;
                if (r->cpu_period != cases[i].period || r->cpu_quota != cases[i].quota ||
                    r->cpu_shares != cases[i].shares || r->memory_limit_in_bytes != cases[i].memory ||
                    r->oom_score_adj != cases[i].oom)
                        TEST_FAIL_("case %zu: period %lld quota %lld shares %lld memory %lld oom %lld", i,
                                   (long long)r->cpu_period, (long long)r->cpu_quota, (long long)r->cpu_shares,
                                   (long long)r->memory_limit_in_bytes, (long long)r->oom_score_adj);
                rt_container_config_free(&c);
        }
        /* cpuCFSQuota off; a custom period. */
        struct agent_node_info n = base_node;
        n.no_cpu_cfs_quota = true;
        struct rt_container_config c;
        container(POD("{containers: [{name: c, image: busybox, resources: {limits: {cpu: '2'}}}]}"), &n, NULL, "c", 0, &c, NULL);
        CHECK_INT(c.linux_cfg.resources.cpu_period, 0);
        CHECK_INT(c.linux_cfg.resources.cpu_quota, 0);
        CHECK_INT(c.linux_cfg.resources.cpu_shares, 2048);
        rt_container_config_free(&c);
        n.no_cpu_cfs_quota = false;
        n.cpu_cfs_quota_period_us = 5000;
        container(POD("{containers: [{name: c, image: busybox, resources: {limits: {cpu: 100m}}}]}"), &n, NULL, "c", 0, &c, NULL);
        CHECK_INT(c.linux_cfg.resources.cpu_period, 5000);
        CHECK_INT(c.linux_cfg.resources.cpu_quota, 1000); /* 500 raised to the 1 ms minimum */
        CHECK_INT(c.linux_cfg.resources.pids_limit, 0); /* podPidsLimit unset: none */
        rt_container_config_free(&c);
        n.pod_pids_limit = 128;
        container(POD("{containers: [{name: c, image: busybox}]}"), &n, NULL, "c", 0, &c, NULL);
        CHECK_INT(c.linux_cfg.resources.pids_limit, 128);
        rt_container_config_free(&c);
}

/* policy_test.go: the OOM score adjustment by QoS class. */
TEST(oom_score_adj)
{
        const int64_t cap = 8000000000;
        static const struct {
                const char *spec;
                const char *container;
                int64_t want;
        } cases[] = {
                /* Burstable with no memory request: 1000 would tie best effort. */
                { "{containers: [{name: c, image: i, resources: {limits: {cpu: '1'}}}]}", "c", 999 },
                /* Half the node. */
                { "{containers: [{name: c, image: i, resources: {requests: {memory: '4000000000'}}}]}", "c", 500 },
                /* All of the node: never below 3. */
                { "{containers: [{name: c, image: i, resources: {requests: {memory: '8000000000'}}}]}", "c", 3 },
                { "{containers: [{name: c, image: i, resources: {requests: {memory: '9000000000'}}}]}", "c", 3 },
                /* Guaranteed and best effort. */
                { "{containers: [{name: c, image: i, resources: {limits: {cpu: '1', memory: 1Gi}}}]}", "c", -997 },
                { "{containers: [{name: c, image: i}]}", "c", 1000 },
                /* A sidecar gets no more than the smallest regular container. */
                { "{initContainers: [{name: s, image: i, restartPolicy: Always, resources: {requests: {memory: '1000000000'}}}],"
                  " containers: [{name: c, image: i, resources: {requests: {memory: '4000000000'}}},"
                  " {name: d, image: i, resources: {requests: {memory: '2000000000'}}}]}", "s", 750 },
                { "{initContainers: [{name: s, image: i, restartPolicy: Always, resources: {requests: {memory: '4000000000'}}}],"
                  " containers: [{name: c, image: i, resources: {requests: {memory: '1000000000'}}}]}", "s", 500 },
                /* A plain init container is not a sidecar. */
                { "{initContainers: [{name: s, image: i, resources: {requests: {memory: '1000000000'}}}],"
                  " containers: [{name: c, image: i, resources: {requests: {memory: '4000000000'}}}]}", "s", 875 },
        };
        for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
                char yaml[1024];
                snprintf(yaml, sizeof yaml, POD("%s"), cases[i].spec);
                struct fx f;
                load(&f, yaml);
                const struct pod_container *c = NULL;
                for (size_t j = 0; j < f.pod->spec.containers.n; j++)
                        if (strcmp(f.pod->spec.containers.v[j].name, cases[i].container) == 0)
                                c = &f.pod->spec.containers.v[j];
                for (size_t j = 0; !c && j < f.pod->spec.initContainers.n; j++)
                        if (strcmp(f.pod->spec.initContainers.v[j].name, cases[i].container) == 0)
                                c = &f.pod->spec.initContainers.v[j];
                int64_t got = agent_oom_score_adj(f.pod, c, cap);
                if (got != cases[i].want)
                        TEST_FAIL_("case %zu: %lld, want %lld", i, (long long)got, (long long)cases[i].want);
                fx_free(&f);
        }
        /* A static pod of class system-node-critical is node critical: -997
         * whatever its QoS. An API pod of that class is not. */
        struct fx f;
        load(&f, POD("{priorityClassName: system-node-critical, containers: [{name: c, image: i}]}",
                     ", annotations: {kubernetes.io/config.source: file}"));
        CHECK_INT(agent_oom_score_adj(f.pod, &f.pod->spec.containers.v[0], cap), -997);
        fx_free(&f);
        load(&f, POD("{priorityClassName: system-node-critical, containers: [{name: c, image: i}]}",
                     ", annotations: {kubernetes.io/config.source: api}"));
        CHECK_INT(agent_oom_score_adj(f.pod, &f.pod->spec.containers.v[0], cap), 1000);
        fx_free(&f);
}

TEST(container_config_identity)
{
        /* rt_mount's strings are not const; these are only read. */
        static char p1[] = "/data", h1[] = "/var/lib/kubelet/pods/12345678/volumes/d";
        static char p2[] = "/dev/termination-log", h2[] = "/var/lib/kubelet/pods/12345678/containers/c/x";
        static char dp[] = "/dev/xvdb", dh[] = "/dev/sdb", perm[] = "mrw";
        const struct rt_mount mounts[] = {
                { .container_path = p1, .host_path = h1, .readonly = true },
                { .container_path = p2, .host_path = h2, .propagation = RT_PROPAGATION_HOST_TO_CONTAINER },
        };
        const struct rt_device devices[] = { { .container_path = dp, .host_path = dh, .permissions = perm } };
        struct agent_container_extras x = { .mounts = mounts, .n_mounts = 2, .devices = devices, .n_devices = 1,
                                            .image_ref = "sha256:abc" };
        struct rt_container_config c;
        if (container(POD("{terminationGracePeriodSeconds: 20, containers: [{name: c, image: busybox, workingDir: /w, stdin: true, tty: true,"
                          " command: [sh, -c, 'echo $(GREETING) $$(GREETING)'], args: ['$(MISSING)', '$(WHO)'],"
                          " env: [{name: GREETING, value: hello}, {name: WHO, value: '$(GREETING)-world'}],"
                          " lifecycle: {stopSignal: SIGUSR1}}]}", ", labels: {app: x}"),
                      &base_node, &x, "c", 3, &c, NULL) < 0)
                return;
        CHECK_STR(c.metadata.name, "c");
        CHECK_INT(c.metadata.attempt, 3);
        CHECK_STR(c.image.image, "sha256:abc");
        STRV(&c.command, "sh", "-c", "echo hello $(GREETING)");
        STRV(&c.args, "$(MISSING)", "hello-world");
        CHECK_STR(c.working_dir, "/w");
        CHECK_STR(c.log_path, "c/3.log");
        CHECK(c.stdin && c.tty && !c.stdin_once);
        CHECK_STR(c.stop_signal, "SIGUSR1");
        CHECK_INT(c.envs.n, 2);
        CHECK_STR(kv(&c.envs, "WHO"), "hello-world");
        /* Pod labels are not container labels. */
        CHECK_INT(c.labels.n, 4);
        CHECK_STR(kv(&c.labels, "io.kubernetes.container.name"), "c");
        CHECK_STR(kv(&c.labels, "io.kubernetes.pod.uid"), "12345678");
        CHECK(kv(&c.labels, "app") == NULL);
        CHECK_STR(kv(&c.annotations, "io.kubernetes.container.restartCount"), "3");
        CHECK_STR(kv(&c.annotations, "io.kubernetes.container.terminationMessagePath"), "/dev/termination-log");
        CHECK_STR(kv(&c.annotations, "io.kubernetes.container.terminationMessagePolicy"), "File");
        CHECK_STR(kv(&c.annotations, "io.kubernetes.pod.terminationGracePeriod"), "20");
        CHECK_STR(kv(&c.annotations, "io.kubernetes.container.type"), "container");
        const char *hash = kv(&c.annotations, "io.kubernetes.container.hash");
        CHECK(hash && strspn(hash, "0123456789abcdef") == strlen(hash) && *hash);
        CHECK_INT(c.mounts.n, 2);
        if (c.mounts.n == 2) {
                CHECK_STR(c.mounts.v[0].container_path, "/data");
                CHECK(c.mounts.v[0].readonly);
                CHECK_INT(c.mounts.v[1].propagation, RT_PROPAGATION_HOST_TO_CONTAINER);
        }
        CHECK_INT(c.devices.n, 1);
        CHECK_STR(c.devices.v[0].permissions, "mrw");
        rt_container_config_free(&c);

        /* No image id yet: the spec's image; an init container's type. */
        if (container(POD("{initContainers: [{name: i, image: busybox:1.36}], containers: [{name: c, image: busybox}]}"),
                      &base_node, NULL, "i", 0, &c, NULL) == 0) {
                CHECK_STR(c.image.image, "busybox:1.36");
                CHECK_STR(kv(&c.annotations, "io.kubernetes.container.type"), "init");
                CHECK_STR(c.log_path, "i/0.log");
                CHECK(c.stop_signal == NULL);
                rt_container_config_free(&c);
        }
}

TEST(container_security_context)
{
        struct rt_container_config c;
        if (container(POD("{securityContext: {runAsUser: 1000, fsGroup: 2000, supplementalGroups: [3000], seccompProfile: {type: RuntimeDefault}},"
                          " shareProcessNamespace: true,"
                          " containers: [{name: c, image: busybox, securityContext: {capabilities: {add: [NET_ADMIN, SYS_TIME], drop: [ALL]},"
                          " runAsGroup: 5, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false,"
                          " seccompProfile: {type: Localhost, localhostProfile: profiles/audit.json}}}]}"),
                      &base_node, NULL, "c", 0, &c, NULL) < 0)
                return;
        const struct rt_container_security_context *sc = &c.linux_cfg.security_context;
        STRV(&sc->capabilities.add_capabilities, "NET_ADMIN", "SYS_TIME");
        STRV(&sc->capabilities.drop_capabilities, "ALL");
        CHECK(!sc->privileged);
        CHECK(sc->readonly_rootfs);
        CHECK(sc->no_new_privs);
        CHECK(sc->run_as_user.set && sc->run_as_user.value == 1000);
        CHECK(sc->run_as_group.set && sc->run_as_group.value == 5);
        CHECK(sc->run_as_username == NULL);
        CHECK_INT(sc->supplemental_groups.n, 2);
        if (sc->supplemental_groups.n == 2)
                CHECK(sc->supplemental_groups.v[0] == 2000 && sc->supplemental_groups.v[1] == 3000);
        CHECK_INT(sc->seccomp.profile_type, RT_SECCOMP_LOCALHOST);
        CHECK_STR(sc->seccomp.localhost_ref, "/var/lib/kubelet/seccomp/profiles/audit.json");
        CHECK_INT(sc->namespace_options.pid, RT_NS_POD);
        CHECK_INT(sc->namespace_options.network, RT_NS_POD);
        STRV(&sc->masked_paths, "/proc/asound", "/proc/acpi", "/proc/interrupts", "/proc/kcore", "/proc/keys",
             "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
             "/sys/firmware", "/sys/devices/virtual/powercap");
        STRV(&sc->readonly_paths, "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger");
        rt_container_config_free(&c);

        /* The pod's seccomp when the container has none; privileged;
         * allowPrivilegeEscalation unset or true: no no_new_privs;
         * Unmasked: no masked or read-only paths; the image's user. */
        struct agent_container_extras x = { .image_uid = { 1234, true } };
        struct agent_node_info n = base_node;
        n.seccomp_root = "/etc/dh/seccomp";
        if (container(POD("{hostUsers: false, securityContext: {seccompProfile: {type: Localhost, localhostProfile: p.json}},"
                          " containers: [{name: c, image: busybox, securityContext: {privileged: true, allowPrivilegeEscalation: true,"
                          " procMount: Unmasked}}]}"),
                      &n, &x, "c", 0, &c, NULL) == 0) {
                sc = &c.linux_cfg.security_context;
                CHECK(sc->privileged);
                CHECK(!sc->no_new_privs);
                CHECK(!sc->readonly_rootfs);
                CHECK_STR(sc->seccomp.localhost_ref, "/etc/dh/seccomp/p.json");
                CHECK_INT(sc->masked_paths.n, 0);
                CHECK_INT(sc->readonly_paths.n, 0);
                CHECK(sc->run_as_user.set && sc->run_as_user.value == 1234);
                CHECK(!sc->run_as_group.set);
                rt_container_config_free(&c);
        }

        /* Nothing set: Unconfined, or RuntimeDefault with --seccomp-default;
         * an image's named user passes through. */
        x = (struct agent_container_extras){ .image_username = "nobody" };
        if (container(POD("{containers: [{name: c, image: busybox}]}"), &base_node, &x, "c", 0, &c, NULL) == 0) {
                sc = &c.linux_cfg.security_context;
                CHECK_INT(sc->seccomp.profile_type, RT_SECCOMP_UNCONFINED);
                CHECK(!sc->run_as_user.set);
                CHECK_STR(sc->run_as_username, "nobody");
                CHECK_INT(sc->namespace_options.pid, RT_NS_CONTAINER);
                CHECK_INT(sc->capabilities.add_capabilities.n, 0);
                CHECK_INT(sc->masked_paths.n, 12);
                rt_container_config_free(&c);
        }
        n = base_node;
        n.seccomp_default = true;
        if (container(POD("{containers: [{name: c, image: busybox}]}"), &n, NULL, "c", 0, &c, NULL) == 0) {
                CHECK_INT(c.linux_cfg.security_context.seccomp.profile_type, RT_SECCOMP_RUNTIME_DEFAULT);
                rt_container_config_free(&c);
        }
        /* Unconfined explicitly beats --seccomp-default. */
        if (container(POD("{containers: [{name: c, image: busybox, securityContext: {seccompProfile: {type: Unconfined}}}]}"),
                      &n, NULL, "c", 0, &c, NULL) == 0) {
                CHECK_INT(c.linux_cfg.security_context.seccomp.profile_type, RT_SECCOMP_UNCONFINED);
                rt_container_config_free(&c);
        }
}

/* TestVerifyRunAsNonRoot */
TEST(run_as_non_root)
{
        static const struct {
                const char *pod_sc, *c_sc;
                struct rt_int64_value uid;
                const char *username;
                const char *fail;
        } cases[] = {
                { "{}", "{}", { 0, false }, NULL, NULL },
                { "{}", "{runAsUser: 1000, runAsNonRoot: true}", { 0, false }, NULL, NULL },
                { "{}", "{runAsUser: 0, runAsNonRoot: false}", { 0, false }, NULL, NULL },
                { "{}", "{runAsUser: 0, runAsNonRoot: true}", { 0, false }, NULL,
                  "container's runAsUser breaks non-root policy (pod: \"bar_new(12345678)\", container: c)" },
                { "{runAsUser: 0}", "{runAsNonRoot: true}", { 0, false }, NULL,
                  "container's runAsUser breaks non-root policy (pod: \"bar_new(12345678)\", container: c)" },
                { "{runAsNonRoot: true}", "{}", { 0, true }, NULL,
                  "container has runAsNonRoot and image will run as root (pod: \"bar_new(12345678)\", container: c)" },
                { "{}", "{runAsNonRoot: true}", { 0, false }, "test",
                  "container has runAsNonRoot and image has non-numeric user (test), cannot verify user is non-root"
                  " (pod: \"bar_new(12345678)\", container: c)" },
                { "{}", "{runAsNonRoot: true}", { 1234, true }, NULL, NULL },
                { "{}", "{runAsNonRoot: true}", { 0, false }, NULL, NULL },
                /* The container's runAsUser wins over the image's root. */
                { "{runAsNonRoot: true}", "{runAsUser: 5}", { 0, true }, NULL, NULL },
        };
        for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
                char yaml[512];
                snprintf(yaml, sizeof yaml, POD("{securityContext: %s, containers: [{name: c, image: busybox, securityContext: %s}]}"),
                         cases[i].pod_sc, cases[i].c_sc);
                struct agent_container_extras x = { .image_uid = cases[i].uid, .image_username = cases[i].username };
                struct rt_container_config c;
                char *msg = NULL;
                int r = container(yaml, &base_node, &x, "c", 0, &c, &msg);
                if (!cases[i].fail) {
                        if (r < 0)
                                TEST_FAIL_("case %zu fails: %s", i, msg);
                        else
                                rt_container_config_free(&c);
                } else {
                        char want[512];
                        snprintf(want, sizeof want, "pod \"new/bar\": container \"c\": %s", cases[i].fail);
                        CHECK(r < 0);
                        CHECK_STR(msg, want);
                }
                free(msg);
        }
}

/* makeEnvironmentVariables: the downward API and expansion cases a pod
 * without an API server can have. */
TEST(env_downward_and_expansion)
{
        struct agent_container_extras x = { .pod_ip = "1.2.3.4", .host_ip = "127.0.0.1" };
        struct rt_container_config c;
        if (container("{apiVersion: v1, kind: Pod, metadata: {name: dapi-test-pod-name, namespace: downward-api, uid: abc,"
                      " labels: {app: web}, annotations: {owner: me}},"
                      " spec: {nodeName: node-name, serviceAccountName: special, containers: [{name: c, image: busybox, env: ["
                      "{name: TEST_LITERAL, value: test-test-test},"
                      "{name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}},"
                      "{name: POD_NAMESPACE, valueFrom: {fieldRef: {fieldPath: metadata.namespace}}},"
                      "{name: POD_UID, valueFrom: {fieldRef: {fieldPath: metadata.uid}}},"
                      "{name: POD_NODE_NAME, valueFrom: {fieldRef: {fieldPath: spec.nodeName}}},"
                      "{name: POD_SERVICE_ACCOUNT_NAME, valueFrom: {fieldRef: {fieldPath: spec.serviceAccountName}}},"
                      "{name: POD_IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}},"
                      "{name: POD_IPS, valueFrom: {fieldRef: {fieldPath: status.podIPs}}},"
                      "{name: HOST_IP, valueFrom: {fieldRef: {fieldPath: status.hostIP}}},"
                      "{name: APP, valueFrom: {fieldRef: {fieldPath: \"metadata.labels['app']\"}}},"
                      "{name: OWNER, valueFrom: {fieldRef: {fieldPath: \"metadata.annotations['owner']\"}}},"
                      "{name: NOPE, valueFrom: {fieldRef: {fieldPath: \"metadata.labels['nope']\"}}},"
                      "{name: OUT_OF_ORDER_TEST, value: '$(OUT_OF_ORDER_TARGET)'},"
                      "{name: OUT_OF_ORDER_TARGET, value: FOO},"
                      "{name: EMPTY_VAR},"
                      "{name: EMPTY_TEST, value: 'foo-$(EMPTY_VAR)'},"
                      "{name: POD_NAME_TEST2, value: 'test2-$(POD_NAME)'},"
                      "{name: POD_NAME_TEST3, value: '$(POD_NAME_TEST2)-3'},"
                      "{name: LITERAL_TEST, value: 'literal-$(TEST_LITERAL)'},"
                      "{name: SERVICE_VAR_TEST, value: '$(TEST_SERVICE_HOST):$(TEST_SERVICE_PORT)'},"
                      "{name: TEST_UNDEFINED, value: '$(UNDEFINED_VAR)'},"
                      "{name: TEST_LITERAL, value: again}]}]}}",
                      &base_node, &x, "c", 0, &c, NULL) < 0)
                return;
        static const char *const want[][2] = {
                { "TEST_LITERAL", "again" }, /* a repeated name keeps its place */
                { "POD_NAME", "dapi-test-pod-name" },
                { "POD_NAMESPACE", "downward-api" },
                { "POD_UID", "abc" },
                { "POD_NODE_NAME", "node-name" },
                { "POD_SERVICE_ACCOUNT_NAME", "special" },
                { "POD_IP", "1.2.3.4" },
                { "POD_IPS", "1.2.3.4" },
                { "HOST_IP", "127.0.0.1" },
                { "APP", "web" },
                { "OWNER", "me" },
                { "NOPE", "" },
                { "OUT_OF_ORDER_TEST", "$(OUT_OF_ORDER_TARGET)" },
                { "OUT_OF_ORDER_TARGET", "FOO" },
                { "EMPTY_VAR", "" },
                { "EMPTY_TEST", "foo-" },
                { "POD_NAME_TEST2", "test2-dapi-test-pod-name" },
                { "POD_NAME_TEST3", "test2-dapi-test-pod-name-3" },
                { "LITERAL_TEST", "literal-test-test-test" },
                { "SERVICE_VAR_TEST", "$(TEST_SERVICE_HOST):$(TEST_SERVICE_PORT)" },
                { "TEST_UNDEFINED", "$(UNDEFINED_VAR)" },
        };
        CHECK_INT(c.envs.n, sizeof want / sizeof *want);
        for (size_t i = 0; i < c.envs.n && i < sizeof want / sizeof *want; i++) {
                CHECK_STR(c.envs.v[i].key, want[i][0]);
                CHECK_STR(c.envs.v[i].value, want[i][1]);
        }
        rt_container_config_free(&c);
}

TEST(env_resource_field_ref)
{
        struct rt_container_config c;
        if (container(POD("{containers: [{name: c, image: busybox, resources: {requests: {cpu: 250m, memory: 64Mi}, limits: {cpu: 500m}},"
                          " env: [{name: LCPU, valueFrom: {resourceFieldRef: {resource: limits.cpu}}},"
                          "{name: LCPU_M, valueFrom: {resourceFieldRef: {resource: limits.cpu, divisor: 1m}}},"
                          "{name: RCPU, valueFrom: {resourceFieldRef: {resource: requests.cpu}}},"
                          "{name: LMEM, valueFrom: {resourceFieldRef: {resource: limits.memory, divisor: 1Mi}}},"
                          "{name: RMEM, valueFrom: {resourceFieldRef: {resource: requests.memory, divisor: 1Mi}}},"
                          "{name: LEPH, valueFrom: {resourceFieldRef: {resource: limits.ephemeral-storage, divisor: 1Gi}}},"
                          "{name: OTHER_CPU, valueFrom: {resourceFieldRef: {containerName: d, resource: limits.cpu}}},"
                          "{name: OTHER_MEM, valueFrom: {resourceFieldRef: {containerName: d, resource: limits.memory}}}]},"
                          " {name: d, image: busybox, resources: {limits: {cpu: '3', memory: 1Gi}}}]}"),
                      &base_node, NULL, "c", 0, &c, NULL) < 0)
                return;
        CHECK_STR(kv(&c.envs, "LCPU"), "1");     /* 0.5 rounds up */
        CHECK_STR(kv(&c.envs, "LCPU_M"), "500");
        CHECK_STR(kv(&c.envs, "RCPU"), "1");
        CHECK_STR(kv(&c.envs, "LMEM"), "4096");  /* no limit: the node's allocatable 4Gi */
        CHECK_STR(kv(&c.envs, "RMEM"), "64");
        CHECK_STR(kv(&c.envs, "LEPH"), "10");
        CHECK_STR(kv(&c.envs, "OTHER_CPU"), "3");
        CHECK_STR(kv(&c.envs, "OTHER_MEM"), "1073741824");
        rt_container_config_free(&c);
}

TEST(env_errors)
{
        static const struct {
                const char *env, *msg;
        } cases[] = {
                { "env: [{name: A, valueFrom: {configMapKeyRef: {name: test-config-map, key: a}}}]",
                  "env A: couldn't get configMap new/test-config-map, no kubeClient defined" },
                { "env: [{name: A, valueFrom: {secretKeyRef: {name: s, key: a, optional: true}}}]",
                  "env A: couldn't get secret new/s, no kubeClient defined" },
                { "envFrom: [{configMapRef: {name: test-config-map}}]",
                  "couldn't get configMap new/test-config-map, no kubeClient defined" },
                { "envFrom: [{prefix: p_, secretRef: {name: s}}]", "couldn't get secret new/s, no kubeClient defined" },
                { "env: [{name: A, valueFrom: {fieldRef: {fieldPath: spec.restartPolicy}}}]",
                  "env A: unsupported fieldPath: spec.restartPolicy" },
                { "env: [{name: A, valueFrom: {fieldRef: {fieldPath: \"metadata.name['x']\"}}}]",
                  "env A: fieldPath \"metadata.name['x']\" does not support subscript" },
                { "env: [{name: A, valueFrom: {resourceFieldRef: {resource: limits.nvidia.com/gpu}}}]",
                  "env A: unsupported container resource : limits.nvidia.com/gpu" },
                { "env: [{name: A, valueFrom: {resourceFieldRef: {containerName: zz, resource: limits.cpu}}}]",
                  "env A: container zz not found" },
        };
        for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
                char yaml[512], want[512];
                snprintf(yaml, sizeof yaml, POD("{containers: [{name: c, image: busybox, %s}]}"), cases[i].env);
                snprintf(want, sizeof want, "pod \"new/bar\": container \"c\": %s", cases[i].msg);
                struct rt_container_config c;
                char *msg = NULL;
                CHECK(container(yaml, &base_node, NULL, "c", 0, &c, &msg) < 0);
                CHECK_STR(msg, want);
                CHECK(c.metadata.name == NULL); /* untouched */
                free(msg);
        }
}

TEST_MAIN()
