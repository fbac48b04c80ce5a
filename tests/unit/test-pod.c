/* Pod model: decoding into the typed structs, the API server's defaults,
 * and the QoS class. Validation has its own file (test-validate.c). */
#include "lib/cleanup.h"
#include "pod/pod.h"
#include "test.h"

/* Loads YAML that must hold exactly one pod with no errors. */
static struct pod_set load_ok(const char *yaml)
{
        struct pod_set s = { 0 };
        struct dh_err *e = NULL;
        if (pod_load_buffer(yaml, strlen(yaml), &s, &e) < 0) {
                TEST_FAIL_("load: %s", e->msg);
                dh_err_free(e);
                return s;
        }
        if (s.n != 1 || !s.v[0].pod)
                TEST_FAIL_("expected one pod, got %zu", s.n);
        for (size_t i = 0; i < s.n; i++)
                for (size_t j = 0; j < s.v[i].errs.n; j++) {
                        _cleanup_free_ char *l = dh_ferr_format(&s.v[i].errs.v[j]);
                        TEST_FAIL_("unexpected error: %s", l);
                }
        return s;
}

TEST(decodes_the_fields_a_kubelet_acts_on)
{
        struct pod_set s = load_ok(
                "apiVersion: v1\nkind: Pod\n"
                "metadata:\n  name: p\n  namespace: ns\n  uid: \"1234\"\n  resourceVersion: \"99\"\n"
                "  generation: 3\n  deletionGracePeriodSeconds: 30\n  labels: {a: b}\n"
                "  annotations: {x: \"y\"}\n  ownerReferences:\n  - {apiVersion: apps/v1, kind: ReplicaSet, name: rs, uid: u1, controller: true}\n"
                "spec:\n  nodeName: node-1\n  hostPID: true\n  shareProcessNamespace: false\n"
                "  containers:\n  - name: c\n    image: img:1\n    command: [a, b]\n    args: [c]\n"
                "    env:\n    - {name: E, value: v}\n    - name: F\n      valueFrom: {fieldRef: {fieldPath: spec.nodeName}}\n"
                "    ports: [{containerPort: 80, hostPort: 8080, name: web}]\n"
                "    resources: {requests: {cpu: 100m, memory: 1e3}, limits: {memory: 2048k}}\n"
                "    livenessProbe: {httpGet: {port: web, httpHeaders: [{name: H, value: V}]}, failureThreshold: 5}\n"
                "    lifecycle: {preStop: {exec: {command: [stop]}}}\n"
                "    securityContext: {runAsUser: 1000, capabilities: {add: [NET_ADMIN]}}\n"
                "  initContainers:\n  - name: side\n    image: img:1\n    restartPolicy: Always\n");
        if (!s.n)
                return;
        const struct pod *p = s.v[0].pod;
        CHECK_STR(p->metadata.uid, "1234");
        CHECK_INT(p->metadata.generation.v, 3);
        CHECK_STR(dh_strmap_get(&p->metadata.labels, "a"), "b");
        CHECK_INT(p->metadata.ownerReferences.n, 1);
        CHECK(p->metadata.ownerReferences.v[0].controller.v);
        CHECK_STR(p->spec.nodeName, "node-1");
        CHECK(p->spec.hostPID.set && p->spec.hostPID.v);
        CHECK(p->spec.shareProcessNamespace.set && !p->spec.shareProcessNamespace.v);
        const struct pod_container *c = &p->spec.containers.v[0];
        CHECK_INT(c->command.n, 2);
        CHECK_STR(c->args.v[0], "c");
        CHECK_STR(c->env.v[1].valueFrom->fieldRef->fieldPath, "spec.nodeName");
        CHECK_INT(c->ports.v[0].hostPort.v, 8080);
        CHECK_INT(pod_quantity_milli(&c->resources.requests.v[0].q), 100);
        CHECK_INT(pod_quantity_value(&c->resources.requests.v[1].q), 1000);
        CHECK_INT(pod_quantity_value(&c->resources.limits.v[0].q), 2048000);
        CHECK_INT(c->livenessProbe->httpGet->port.kind, DH_INTSTR_STR);
        CHECK_STR(c->livenessProbe->httpGet->port.s, "web");
        CHECK_STR(c->livenessProbe->httpGet->httpHeaders.v[0].value, "V");
        CHECK_INT(c->livenessProbe->failureThreshold.v, 5);
        CHECK_STR(c->lifecycle->preStop->exec->command.v[0], "stop");
        CHECK_INT(c->securityContext->runAsUser.v, 1000);
        CHECK_STR(c->securityContext->capabilities->add.v[0], "NET_ADMIN");
        CHECK_STR(p->spec.initContainers.v[0].restartPolicy, "Always");
        pod_set_free(&s);
}

/* pod_encode keeps everything the model holds: encoding, decoding the
 * result and encoding again gives the same JSON, quantities canonical. */
TEST(encode_round_trips_the_model)
{
        struct pod_set s = load_ok(
                "apiVersion: v1\nkind: Pod\n"
                "metadata: {name: p, labels: {b: \"2\", a: \"1\"}}\n"
                "spec:\n  containers:\n  - name: c\n    image: img:1\n"
                "    resources: {requests: {cpu: \"0.5\", memory: 1024Mi}}\n"
                "    livenessProbe: {tcpSocket: {port: 80}}\n"
                "  tolerations: [{operator: Exists}]\n"
                "status: {phase: Running}\n");
        if (!s.n)
                return;
        json_t *j = pod_encode(s.v[0].pod);
        CHECK(j != NULL);
        _cleanup_free_ char *a = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
        CHECK_STR(json_string_value(json_object_get(json_object_get(json_object_get(
                          json_array_get(json_object_get(json_object_get(j, "spec"), "containers"), 0),
                          "resources"), "requests"), "cpu")),
                  "500m");
        CHECK_STR(json_string_value(json_object_get(json_object_get(j, "status"), "phase")), "Running");
        struct dh_ferrs errs = { 0 };
        struct pod *p2 = pod_decode_object(j, &errs);
        CHECK_INT(errs.n, 0);
        json_t *j2 = p2 ? pod_encode(p2) : NULL;
        _cleanup_free_ char *b = j2 ? json_dumps(j2, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
        CHECK_STR(b, a);
        CHECK_CONTAINS(a, "\"memory\":\"1Gi\"");
        json_decref(j2);
        json_decref(j);
        pod_free(p2);
        dh_ferrs_free(&errs);
        pod_set_free(&s);
}

TEST(defaults_match_the_api_server)
{
        struct pod_set s = load_ok(
                "apiVersion: v1\nkind: Pod\nmetadata: {name: d}\n"
                "spec:\n  hostNetwork: true\n  serviceAccountName: sa\n  volumes: [{name: v}, {name: s, secret: {secretName: x}},"
                " {name: pr, projected: {sources: [{serviceAccountToken: {path: t}}]}}]\n"
                "  containers:\n"
                "  - name: latest\n    image: busybox\n    ports: [{containerPort: 53}]\n"
                "    resources: {limits: {cpu: 1, memory: 10Mi}, requests: {cpu: 500m}}\n"
                "    readinessProbe: {httpGet: {port: 80}}\n"
                "  - {name: tagged, image: 'reg:5000/x/busybox:1.36'}\n"
                "  - {name: pinned, image: 'busybox@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'}\n"
                "  - {name: explicit-latest, image: 'reg:5000/busybox:latest'}\n"
                "  - {name: registry-port-only, image: 'reg:5000/busybox'}\n");
        if (!s.n)
                return;
        const struct pod *p = s.v[0].pod;
        CHECK_STR(p->spec.restartPolicy, "Always");
        CHECK_STR(p->spec.dnsPolicy, "ClusterFirst");
        CHECK_STR(p->spec.schedulerName, "default-scheduler");
        CHECK_INT(p->spec.terminationGracePeriodSeconds.v, 30);
        CHECK(p->spec.enableServiceLinks.set && p->spec.enableServiceLinks.v);
        CHECK(p->spec.securityContext != NULL);
        const char *policies[] = { "Always", "IfNotPresent", "IfNotPresent", "Always", "Always" };
        for (size_t i = 0; i < 5; i++)
                CHECK_STR(p->spec.containers.v[i].imagePullPolicy, policies[i]);
        const struct pod_container *c = &p->spec.containers.v[0];
        CHECK_STR(c->terminationMessagePath, "/dev/termination-log");
        CHECK_STR(c->terminationMessagePolicy, "File");
        CHECK_STR(c->ports.v[0].protocol, "TCP");
        CHECK_INT(c->ports.v[0].hostPort.v, 53); /* hostNetwork: hostPort = containerPort */
        CHECK_INT(c->resources.requests.n, 2);   /* memory request defaulted from its limit */
        CHECK_INT(pod_quantity_milli(&c->resources.requests.v[0].q), 500);
        CHECK_STR(c->resources.requests.v[1].name, "memory");
        const struct pod_probe *pr = c->readinessProbe;
        CHECK_INT(pr->timeoutSeconds.v, 1);
        CHECK_INT(pr->periodSeconds.v, 10);
        CHECK_INT(pr->successThreshold.v, 1);
        CHECK_INT(pr->failureThreshold.v, 3);
        CHECK_STR(pr->httpGet->path, "/");
        CHECK_STR(pr->httpGet->scheme, "HTTP");
        CHECK(p->spec.volumes.v[0].emptyDir != NULL); /* no source: emptyDir */
        CHECK_INT(p->spec.volumes.v[1].secret->defaultMode.v, 0644);
        CHECK_INT(p->spec.volumes.v[2].projected->defaultMode.v, 0644);
        CHECK_INT(p->spec.volumes.v[2].projected->sources.v[0].serviceAccountToken->expirationSeconds.v, 3600);
        pod_set_free(&s);
}

TEST(resource_values_round_up_to_milli_precision)
{
        struct pod_set s = load_ok("apiVersion: v1\nkind: Pod\nmetadata: {name: r}\n"
                                   "spec:\n  containers:\n  - name: c\n    image: i:1\n"
                                   "    resources: {requests: {cpu: 1500u}}\n");
        if (!s.n)
                return;
        const struct pod_quantity *q = &s.v[0].pod->spec.containers.v[0].resources.requests.v[0].q;
        CHECK_INT(pod_quantity_milli(q), 2);
        char buf[64];
        pod_quantity_format(q, buf, sizeof buf);
        CHECK_STR(buf, "2m");
        pod_set_free(&s);
}

static const char *qos_of(const char *containers)
{
        char yaml[2048];
        snprintf(yaml, sizeof yaml, "apiVersion: v1\nkind: Pod\nmetadata: {name: q}\nspec:\n%s", containers);
        struct pod_set s = load_ok(yaml);
        const char *q = s.n ? pod_qos_name(pod_qos_class(s.v[0].pod)) : "(error)";
        pod_set_free(&s);
        return q;
}

TEST(qos_class_follows_get_pod_qos)
{
        CHECK_STR(qos_of("  containers: [{name: a, image: i:1}]\n"), "BestEffort");
        CHECK_STR(qos_of("  containers: [{name: a, image: i:1, resources: {requests: {ephemeral-storage: 1Gi}}}]\n"),
                  "BestEffort");
        CHECK_STR(qos_of("  containers: [{name: a, image: i:1, resources: {limits: {cpu: 1, memory: 1Gi}}}]\n"),
                  "Guaranteed");
        CHECK_STR(qos_of("  containers: [{name: a, image: i:1, resources: {limits: {cpu: 1, memory: 1Gi},"
                         " requests: {cpu: 500m}}}]\n"), "Burstable");
        CHECK_STR(qos_of("  containers: [{name: a, image: i:1, resources: {limits: {cpu: 1}}}]\n"), "Burstable");
        CHECK_STR(qos_of("  initContainers: [{name: i, image: i:1, resources: {limits: {cpu: 1, memory: 1Gi}}}]\n"
                         "  containers: [{name: a, image: i:1, resources: {limits: {cpu: 2, memory: 2Gi}}}]\n"),
                  "Guaranteed");
        CHECK_STR(qos_of("  initContainers: [{name: i, image: i:1}]\n"
                         "  containers: [{name: a, image: i:1, resources: {limits: {cpu: 2, memory: 2Gi}}}]\n"),
                  "Burstable");
        CHECK_STR(qos_of("  containers: [{name: a, image: i:1, resources: {limits: {cpu: '0', memory: '0'}}}]\n"),
                  "BestEffort");
        CHECK_STR(qos_of("  containers: [{name: a, image: i:1, resources: {limits: {cpu: 1000m, memory: 1024Mi},"
                         " requests: {cpu: '1', memory: 1Gi}}}]\n"), "Guaranteed");
}

TEST(cgroup_parent_follows_kubelets_qos_hierarchy)
{
        static const struct { const char *res, *want; } cases[] = {
                { "{limits: {cpu: 1, memory: 1Gi}}", "kubepods/pod1f2e" },
                { "{requests: {cpu: 100m}}", "kubepods/burstable/pod1f2e" },
                { "{}", "kubepods/besteffort/pod1f2e" },
        };
        for (size_t i = 0; i < DH_ARRAY_SIZE(cases); i++) {
                char yaml[512], buf[128];
                snprintf(yaml, sizeof yaml, "apiVersion: v1\nkind: Pod\nmetadata: {name: q, uid: 1f2e}\n"
                         "spec:\n  containers: [{name: a, image: i:1, resources: %s}]\n", cases[i].res);
                struct pod_set s = load_ok(yaml);
                if (!s.n)
                        continue;
                CHECK(pod_cgroup_parent(s.v[0].pod, buf, sizeof buf) > 0);
                CHECK_STR(buf, cases[i].want);
                free(s.v[0].pod->metadata.uid);
                s.v[0].pod->metadata.uid = strdup("../../etc");
                CHECK_INT(pod_cgroup_parent(s.v[0].pod, buf, sizeof buf), -1);
                pod_set_free(&s);
        }
}

TEST(multi_document_files_and_lists_yield_every_pod)
{
        const char *yaml = "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec: {containers: [{name: c, image: i:1}]}\n"
                           "---\nkind: PodList\napiVersion: v1\nitems:\n"
                           "- metadata: {name: b}\n  spec: {containers: [{name: c, image: i:1}]}\n"
                           "- metadata: {name: c}\n  spec: {containers: [{name: c, image: i:1}]}\n";
        struct pod_set s = { 0 };
        struct dh_err *e = NULL;
        CHECK_INT(pod_load_buffer(yaml, strlen(yaml), &s, &e), 0);
        CHECK_INT(s.n, 3);
        if (s.n == 3) {
                CHECK_STR(s.v[2].pod->metadata.name, "c");
                CHECK_INT(s.v[2].doc_index, 2);
                CHECK_INT(s.v[2].item_index, 1);
                CHECK_INT(s.v[1].errs.n, 0);
        }
        pod_set_free(&s);
}

TEST(load_file_names_the_file_in_errors)
{
        struct pod_set s = { 0 };
        struct dh_err *e = NULL;
        CHECK(pod_load_file(test_data("pods/invalid/bad-input-malformed.yaml"), &s, &e) < 0);
        CHECK_CONTAINS(e->msg, "bad-input-malformed.yaml: line 9, column 4");
        dh_err_clear(&e);
        CHECK(pod_load_file(test_data("pods/invalid/bad-input-binary.yaml"), &s, &e) < 0);
        CHECK_CONTAINS(e->msg, "binary data");
        dh_err_free(e);
}

TEST(default_pull_policy_follows_parse_image_name)
{
        const char *sha = "@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        char latest_digest[128], digest_only[128];
        snprintf(latest_digest, sizeof latest_digest, "busybox:latest%s", sha);
        snprintf(digest_only, sizeof digest_only, "busybox%s", sha);
        CHECK_STR(pod_default_image_pull_policy("busybox"), "Always");
        CHECK_STR(pod_default_image_pull_policy("docker.io/library/busybox:latest"), "Always");
        CHECK_STR(pod_default_image_pull_policy("reg:5000/busybox"), "Always");
        CHECK_STR(pod_default_image_pull_policy("busybox:1.36"), "IfNotPresent");
        /* A tag beside a digest still counts, as ParseImageName reports it. */
        CHECK_STR(pod_default_image_pull_policy(latest_digest), "Always");
        CHECK_STR(pod_default_image_pull_policy(digest_only), "IfNotPresent");
        /* Unparseable: no tag, so IfNotPresent (the pull then fails with
         * InvalidImageName). */
        CHECK_STR(pod_default_image_pull_policy("Busybox"), "IfNotPresent");
        CHECK_STR(pod_default_image_pull_policy(NULL), "IfNotPresent");
}

TEST_MAIN()
