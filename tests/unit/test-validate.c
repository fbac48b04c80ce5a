/* Unit tests for pod_validate() (pod/validate*.c) and the name checks of
 * pod/validate-names.c. Each test builds pods from YAML the way the agent
 * loads them (decode, default, validate) and asserts every error line,
 * exactly, in order: a missing or an extra line fails. Expected messages
 * are upstream's (k8s.io/kubernetes pkg/apis/core/validation and
 * k8s.io/apimachinery/pkg/util/validation, Kubernetes 1.33). */
#include <dirent.h>

#include "lib/buf.h"
#include "lib/cleanup.h"
#include "lib/yaml.h"
#include "pod/pod.h"
#include "pod/validate-names.h"
#include "tests/unit/test.h"

#define LABEL_RE "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
#define DNS_LABEL_MSG                                                                          \
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', " \
        "and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', " \
        "regex used for validation is '" LABEL_RE "')"
#define SUBDOMAIN_MSG                                                                          \
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' " \
        "or '.', and must start and end with an alphanumeric character (e.g. 'example.com', "    \
        "regex used for validation is '" LABEL_RE "(\\." LABEL_RE ")*')"
#define QNAME_RULE                                                                             \
        "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with " \
        "an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used "    \
        "for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
#define LABEL_VALUE_MSG                                                                        \
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' " \
        "or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "    \
        "'my_value',  or '12345', regex used for validation is "                                 \
        "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
/* IsRelaxedEnvVarName, the rule in force since it became the default. */
#define ENV_MSG "a valid environment variable name must consist only of printable ASCII characters other than '='"
#define IP_MSG "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"
#define PORT_MSG "must be between 1 and 65535, inclusive"
#define NOT_FOUND(field, value) field ": Not found: \"" value "\""

#define HEAD "apiVersion: v1\nkind: Pod\nmetadata: {name: t}\nspec:\n"
#define APP "  containers: [{name: app, image: busybox}]\n"

static char *format_all(const struct dh_ferrs *e, struct dh_buf *b)
{
        for (size_t i = 0; i < e->n; i++) {
                _cleanup_free_ char *line = dh_ferr_format(&e->v[i]);
                dh_buf_printf(b, NULL, "%s\n", line);
        }
        if (e->dropped)
                dh_buf_printf(b, NULL, "(%zu dropped)\n", e->dropped);
        char *r = dh_buf_steal(b);
        return r ? r : strdup("");
}

/* Every error line of the pods in yaml, loaded as the agent loads them. */
static char *errors(const char *yaml)
{
        struct pod_set s = { 0 };
        struct dh_err *err = NULL;
        if (pod_load_buffer(yaml, strlen(yaml), &s, &err) < 0) {
                char *m = strdup(err->msg);
                dh_err_free(err);
                return m;
        }
        struct dh_buf b;
        dh_buf_init(&b, 4u << 20);
        for (size_t i = 0; i < s.n; i++)
                for (size_t j = 0; j < s.v[i].errs.n; j++) {
                        _cleanup_free_ char *line = dh_ferr_format(&s.v[i].errs.v[j]);
                        dh_buf_printf(&b, NULL, "%s\n", line);
                }
        pod_set_free(&s);
        char *r = dh_buf_steal(&b);
        return r ? r : strdup("");
}

/* The same without defaulting, for rules that defaults make unreachable. */
static char *errors_undefaulted(const char *yaml)
{
        struct dh_docs d = { 0 };
        struct dh_err *err = NULL;
        if (dh_yaml_parse(yaml, strlen(yaml), &d, &err) < 0) {
                char *m = strdup(err->msg);
                dh_err_free(err);
                return m;
        }
        struct dh_ferrs e = { 0 };
        struct pod *p = pod_decode_object(d.v[0], &e);
        pod_validate(p, &e);
        struct dh_buf b;
        dh_buf_init(&b, 1u << 20);
        char *r = format_all(&e, &b);
        pod_free(p);
        dh_ferrs_free(&e);
        dh_docs_free(&d);
        return r;
}

#define CHECK_ERRORS(yaml, expected)                  \
        do {                                          \
                char *got_ = errors(yaml);            \
                CHECK_STR(got_, expected);            \
                free(got_);                           \
        } while (0)

#define CHECK_RAW_ERRORS(yaml, expected)              \
        do {                                          \
                char *got_ = errors_undefaulted(yaml); \
                CHECK_STR(got_, expected);            \
                free(got_);                           \
        } while (0)

TEST(a_minimal_pod_is_valid)
{
        CHECK_ERRORS(HEAD APP, "");
}

TEST(every_valid_example_manifest_passes)
{
        DIR *dir = opendir(test_data("pods/valid"));
        CHECK(dir != NULL);
        if (!dir)
                return;
        struct dirent *de;
        int files = 0;
        while ((de = readdir(dir))) {
                if (de->d_name[0] == '.' || strstr(de->d_name, ".golden"))
                        continue;
                char rel[512];
                snprintf(rel, sizeof rel, "pods/valid/%s", de->d_name);
                struct pod_set s = { 0 };
                struct dh_err *err = NULL;
                CHECK_INT(pod_load_file(test_data(rel), &s, &err), 0);
                dh_err_free(err);
                for (size_t i = 0; i < s.n; i++) {
                        for (size_t j = 0; j < s.v[i].errs.n; j++) {
                                _cleanup_free_ char *line = dh_ferr_format(&s.v[i].errs.v[j]);
                                TEST_FAIL_("%s: %s", de->d_name, line);
                        }
                }
                pod_set_free(&s);
                files++;
        }
        closedir(dir);
        CHECK(files > 0);
}

TEST(metadata_name_is_a_dns_subdomain)
{
        CHECK_ERRORS("apiVersion: v1\nkind: Pod\nmetadata: {name: Web_1}\nspec:\n" APP,
                     "metadata.name: Invalid value: \"Web_1\": a lowercase RFC 1123 subdomain must "
                     "consist of lower case alphanumeric characters, '-' or '.', and must start and "
                     "end with an alphanumeric character (e.g. 'example.com', regex used for "
                     "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')\n");
        char yaml[1024], name[300];
        memset(name, 'a', 254);
        name[254] = '\0';
        snprintf(yaml, sizeof yaml, "apiVersion: v1\nkind: Pod\nmetadata: {name: %s}\nspec:\n" APP, name);
        char *got = errors(yaml);
        CHECK_CONTAINS(got, "\": must be no more than 253 characters\n");
        CHECK_INT(strlen(got) < 400, 1); /* one line: the regex itself matches */
        free(got);
}

TEST(metadata_name_is_required_and_generate_name_may_end_in_a_dash)
{
        CHECK_ERRORS("apiVersion: v1\nkind: Pod\nmetadata: {namespace: ns}\nspec:\n" APP,
                     "metadata.name: Required value: name or generateName is required\n");
        CHECK_ERRORS("apiVersion: v1\nkind: Pod\nmetadata: {name: t, generateName: web-}\nspec:\n" APP, "");
        CHECK_ERRORS("apiVersion: v1\nkind: Pod\nmetadata: {name: t, generateName: Web-}\nspec:\n" APP,
                     "metadata.generateName: Invalid value: \"Web-\": " SUBDOMAIN_MSG "\n");
}

TEST(namespace_is_a_dns_label)
{
        CHECK_ERRORS("apiVersion: v1\nkind: Pod\nmetadata: {name: t, namespace: team.a}\nspec:\n" APP,
                     "metadata.namespace: Invalid value: \"team.a\": must not contain dots\n");
        CHECK_ERRORS("apiVersion: v1\nkind: Pod\nmetadata: {name: t, namespace: Team}\nspec:\n" APP,
                     "metadata.namespace: Invalid value: \"Team\": " DNS_LABEL_MSG "\n");
}

TEST(label_keys_are_qualified_names_and_values_label_values)
{
        CHECK_ERRORS("apiVersion: v1\nkind: Pod\nmetadata:\n  name: t\n  labels:\n"
                     "    \"-bad\": x\n    ok: \"bad value!\"\n    Example.com/x: yes-string\n"
                     "    a/b/c: z\n    \"example.com/\": w\n    app.kubernetes.io/name: fine\n"
                     "spec:\n" APP,
                     "metadata.labels: Invalid value: \"-bad\": name part " QNAME_RULE "\n"
                     "metadata.labels: Invalid value: \"bad value!\": " LABEL_VALUE_MSG "\n"
                     "metadata.labels: Invalid value: \"Example.com/x\": prefix part " SUBDOMAIN_MSG "\n"
                     "metadata.labels: Invalid value: \"a/b/c\": a qualified name " QNAME_RULE
                     " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')\n"
                     "metadata.labels: Invalid value: \"example.com/\": name part must be non-empty\n"
                     "metadata.labels: Invalid value: \"example.com/\": name part " QNAME_RULE "\n");
}

TEST(annotation_keys_ignore_case_and_total_size_is_bounded)
{
        CHECK_ERRORS("apiVersion: v1\nkind: Pod\nmetadata:\n  name: t\n  annotations:\n"
                     "    Example.COM/Owner: a\n    bad key: b\nspec:\n" APP,
                     "metadata.annotations: Invalid value: \"bad key\": name part " QNAME_RULE "\n");
        size_t big = 256 * 1024;
        char *yaml = malloc(big + 256);
        int n = snprintf(yaml, big + 256, "apiVersion: v1\nkind: Pod\nmetadata:\n  name: t\n"
                                          "  annotations:\n    k: \"");
        memset(yaml + n, 'x', big);
        snprintf(yaml + n + big, 256, "\"\nspec:\n" APP);
        CHECK_ERRORS(yaml, "metadata.annotations: Too long: may not be more than 262144 bytes\n");
        free(yaml);
}

TEST(pod_specific_annotations)
{
        CHECK_ERRORS("apiVersion: v1\nkind: Pod\nmetadata:\n  name: t\n  annotations:\n"
                     "    kubernetes.io/config.mirror: abc\n"
                     "    controller.kubernetes.io/pod-deletion-cost: \"+10\"\n"
                     "    seccomp.security.alpha.kubernetes.io/pod: bogus\n"
                     "    container.apparmor.security.beta.kubernetes.io/nope: runtime/default\n"
                     "spec:\n" APP,
                     "metadata.annotations[kubernetes.io/config.mirror]: Invalid value: \"abc\": "
                     "must set spec.nodeName if mirror pod annotation is set\n"
                     "metadata.annotations[controller.kubernetes.io/pod-deletion-cost]: Invalid "
                     "value: \"+10\": must be a 32bit integer\n"
                     "metadata.annotations.seccomp.security.alpha.kubernetes.io/pod: Invalid value: "
                     "\"bogus\": must be a valid seccomp profile\n"
                     "metadata.annotations[container.apparmor.security.beta.kubernetes.io/nope]: "
                     "Invalid value: \"nope\": container not found\n");
}

TEST(finalizers_and_owner_references)
{
        CHECK_ERRORS("apiVersion: v1\nkind: Pod\nmetadata:\n  name: t\n"
                     "  finalizers: [custom, example.com/ok]\n"
                     "  ownerReferences: [{apiVersion: apps/, kind: ReplicaSet, name: rs, uid: \"\"}]\n"
                     "spec:\n" APP,
                     "metadata.ownerReferences.apiVersion: Invalid value: \"apps/\": version must "
                     "not be empty\n"
                     "metadata.ownerReferences.uid: Invalid value: \"\": must not be empty\n"
                     "metadata.finalizers[0]: Invalid value: \"custom\": name is neither a standard "
                     "finalizer name nor is it fully qualified\n");
}

TEST(containers_are_required)
{
        CHECK_ERRORS(HEAD "  restartPolicy: Never\n", "spec.containers: Required value\n");
}

TEST(container_name_and_image)
{
        CHECK_ERRORS(HEAD "  containers: [{name: Web, image: busybox}, {image: busybox}, {name: db}]\n",
                     "spec.containers[0].name: Invalid value: \"Web\": " DNS_LABEL_MSG "\n"
                     "spec.containers[1].name: Required value\n"
                     "spec.containers[2].image: Required value\n");
        CHECK_ERRORS(HEAD "  containers: [{name: app, image: \" busybox\"}]\n",
                     "spec.containers[0].image: Invalid value: \" busybox\": must not have leading or "
                     "trailing whitespace\n");
}

TEST(container_names_are_unique_across_all_kinds)
{
        CHECK_ERRORS(HEAD "  containers: [{name: web, image: a}, {name: web, image: b}]\n"
                     "  initContainers: [{name: web, image: c}, {name: init, image: d}, "
                     "{name: init, image: e}]\n"
                     "  ephemeralContainers: [{name: init, image: f}]\n",
                     "spec.containers[1].name: Duplicate value: \"web\"\n"
                     "spec.initContainers[0].name: Duplicate value: \"web\"\n"
                     "spec.initContainers[2].name: Duplicate value: \"init\"\n"
                     "spec.ephemeralContainers[0].name: Duplicate value: \"init\"\n"
                     "spec.ephemeralContainers: Forbidden: cannot be set on create\n");
}

TEST(enums_of_container_policies)
{
        CHECK_ERRORS(HEAD "  containers: [{name: app, image: a, imagePullPolicy: Sometimes, "
                          "terminationMessagePolicy: Never}]\n",
                     "spec.containers[0].terminationMessagePolicy: Unsupported value: \"Never\": "
                     "supported values: \"File\", \"FallbackToLogsOnError\"\n"
                     "spec.containers[0].imagePullPolicy: Unsupported value: \"Sometimes\": "
                     "supported values: \"Always\", \"IfNotPresent\", \"Never\"\n");
}

TEST(termination_message_path_is_required_and_bounded)
{
        CHECK_RAW_ERRORS(HEAD "  terminationGracePeriodSeconds: 30\n  restartPolicy: Always\n"
                              "  dnsPolicy: ClusterFirst\n"
                              "  containers: [{name: app, image: a, imagePullPolicy: Always, "
                              "terminationMessagePolicy: File}]\n",
                         "spec.containers[0].terminationMessagePath: Required value\n");
        char path[4200];
        memset(path, 'p', 4097);
        path[0] = '/';
        path[4097] = '\0';
        char yaml[4600];
        snprintf(yaml, sizeof yaml, HEAD "  containers: [{name: app, image: a, "
                                         "terminationMessagePath: %s}]\n", path);
        CHECK_ERRORS(yaml, "spec.containers[0].terminationMessagePath: Too long: may not be more "
                           "than 4096 bytes\n");
}

TEST(container_ports)
{
        CHECK_ERRORS(HEAD "  containers:\n  - name: app\n    image: a\n    ports:\n"
                     "    - {name: http, containerPort: 80}\n"
                     "    - {name: http, containerPort: 70000}\n"
                     "    - {name: HTTP_port, containerPort: 0, hostPort: 70000, protocol: HTTP}\n",
                     "spec.containers[0].ports[1].name: Duplicate value: \"http\"\n"
                     "spec.containers[0].ports[1].containerPort: Invalid value: 70000: " PORT_MSG "\n"
                     "spec.containers[0].ports[2].name: Invalid value: \"HTTP_port\": must contain "
                     "only alpha-numeric characters (a-z, 0-9), and hyphens (-)\n"
                     "spec.containers[0].ports[2].containerPort: Required value\n"
                     "spec.containers[0].ports[2].hostPort: Invalid value: 70000: " PORT_MSG "\n"
                     "spec.containers[0].ports[2].protocol: Unsupported value: \"HTTP\": supported "
                     "values: \"SCTP\", \"TCP\", \"UDP\"\n");
}

TEST(host_ports_conflict_and_must_match_with_host_network)
{
        CHECK_ERRORS(HEAD "  containers:\n"
                     "  - {name: a, image: a, ports: [{containerPort: 80, hostPort: 8080}]}\n"
                     "  - {name: b, image: b, ports: [{containerPort: 81, hostPort: 8080}]}\n",
                     "spec.containers[1].ports[0].hostPort: Duplicate value: \"TCP//8080\"\n");
        CHECK_ERRORS(HEAD "  hostNetwork: true\n  containers:\n"
                     "  - {name: a, image: a, ports: [{containerPort: 80, hostPort: 8080}, "
                     "{containerPort: 9090}]}\n",
                     "spec.containers[0].ports[0].hostPort: Invalid value: 8080: must match "
                     "`containerPort` when `hostNetwork` is true\n");
}

TEST(restart_policies)
{
        CHECK_ERRORS(HEAD "  restartPolicy: Sometimes\n" APP,
                     "spec.restartPolicy: Unsupported value: \"Sometimes\": supported values: "
                     "\"Always\", \"OnFailure\", \"Never\"\n");
        CHECK_ERRORS(HEAD "  containers: [{name: app, image: a, restartPolicy: Always}]\n"
                     "  initContainers:\n  - {name: i, image: a, restartPolicy: OnFailure}\n"
                     "  - {name: j, image: a, livenessProbe: {exec: {command: [x]}}}\n",
                     "spec.containers[0].restartPolicy: Forbidden: may not be set for non-init "
                     "containers\n"
                     "spec.initContainers[0].restartPolicy: Unsupported value: \"OnFailure\": "
                     "supported values: \"Always\"\n"
                     "spec.initContainers[1].livenessProbe: Forbidden: may not be set for init "
                     "containers without restartPolicy=Always\n");
}

TEST(probe_handlers_exactly_one)
{
        CHECK_ERRORS(HEAD "  containers:\n  - name: app\n    image: a\n"
                     "    livenessProbe: {exec: {command: [check]}, tcpSocket: {port: 80}}\n"
                     "    readinessProbe: {periodSeconds: 5}\n"
                     "    startupProbe: {exec: {command: []}}\n",
                     "spec.containers[0].livenessProbe.tcpSocket: Forbidden: may not specify more "
                     "than 1 handler type\n"
                     "spec.containers[0].readinessProbe: Required value: must specify a handler type\n"
                     "spec.containers[0].startupProbe.exec.command: Required value\n");
}

TEST(probe_numbers)
{
        CHECK_ERRORS(HEAD "  containers:\n  - name: app\n    image: a\n"
                     "    livenessProbe: {tcpSocket: {port: 80}, successThreshold: 2, "
                     "periodSeconds: -1, initialDelaySeconds: -5}\n"
                     "    readinessProbe: {tcpSocket: {port: 80}, terminationGracePeriodSeconds: 10, "
                     "failureThreshold: -3}\n"
                     "    startupProbe: {tcpSocket: {port: 80}, successThreshold: 3, timeoutSeconds: -1, "
                     "terminationGracePeriodSeconds: 0}\n",
                     "spec.containers[0].livenessProbe.initialDelaySeconds: Invalid value: -5: must "
                     "be greater than or equal to 0\n"
                     "spec.containers[0].livenessProbe.periodSeconds: Invalid value: -1: must be "
                     "greater than or equal to 0\n"
                     "spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1\n"
                     "spec.containers[0].readinessProbe.failureThreshold: Invalid value: -3: must be "
                     "greater than or equal to 0\n"
                     "spec.containers[0].readinessProbe.terminationGracePeriodSeconds: Invalid "
                     "value: 10: must not be set for readinessProbes\n"
                     "spec.containers[0].startupProbe.timeoutSeconds: Invalid value: -1: must be "
                     "greater than or equal to 0\n"
                     "spec.containers[0].startupProbe.terminationGracePeriodSeconds: Invalid value: "
                     "0: must be greater than 0\n"
                     "spec.containers[0].startupProbe.successThreshold: Invalid value: 3: must be 1\n");
}

TEST(probe_ports_schemes_and_headers)
{
        CHECK_ERRORS(HEAD "  containers:\n  - name: app\n    image: a\n"
                     "    livenessProbe: {httpGet: {port: 0, scheme: FTP, "
                     "httpHeaders: [{name: X Bad, value: v}]}}\n"
                     "    readinessProbe: {tcpSocket: {port: Http}}\n"
                     "    startupProbe: {grpc: {port: 70000}}\n",
                     "spec.containers[0].livenessProbe.httpGet.port: Invalid value: 0: " PORT_MSG "\n"
                     "spec.containers[0].livenessProbe.httpGet.scheme: Unsupported value: \"FTP\": "
                     "supported values: \"HTTP\", \"HTTPS\"\n"
                     "spec.containers[0].livenessProbe.httpGet.httpHeaders: Invalid value: \"X Bad\": "
                     "a valid HTTP header must consist of alphanumeric characters or '-' (e.g. "
                     "'X-Header-Name', regex used for validation is '[-A-Za-z0-9]+')\n"
                     "spec.containers[0].readinessProbe.tcpSocket.port: Invalid value: \"Http\": must "
                     "contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)\n"
                     "spec.containers[0].startupProbe.grpc.port: Invalid value: 70000: " PORT_MSG "\n");
        /* A named port is checked as an IANA_SVC_NAME only; like upstream,
         * it need not name one of the container's ports. */
        CHECK_ERRORS(HEAD "  containers:\n  - name: app\n    image: a\n"
                     "    readinessProbe: {httpGet: {port: metrics}}\n", "");
}

TEST(lifecycle_hooks)
{
        CHECK_ERRORS(HEAD "  containers:\n  - name: app\n    image: a\n    lifecycle:\n"
                     "      postStart: {}\n"
                     "      preStop: {sleep: {seconds: 100}, httpGet: {port: 80}}\n",
                     "spec.containers[0].lifecycle.postStart: Required value: must specify a handler "
                     "type\n"
                     "spec.containers[0].lifecycle.preStop.sleep: Forbidden: may not specify more "
                     "than 1 handler type\n");
        CHECK_ERRORS(HEAD "  containers:\n  - name: app\n    image: a\n"
                     "    lifecycle: {preStop: {sleep: {seconds: 100}}}\n",
                     "spec.containers[0].lifecycle.preStop.sleep: Invalid value: 100: must be "
                     "non-negative and less than terminationGracePeriodSeconds (30)\n");
}

TEST(volume_names_and_one_source_each)
{
        CHECK_ERRORS(HEAD APP "  volumes:\n  - {name: data, emptyDir: {}}\n"
                     "  - {name: data, emptyDir: {}}\n  - {name: Bad_Name, emptyDir: {}}\n"
                     "  - {emptyDir: {}}\n"
                     "  - {name: two, emptyDir: {}, hostPath: {path: /x}}\n"
                     "  - {name: legacy, emptyDir: {}, gitRepo: {repository: r}}\n"
                     "  - {name: typo, secret: {secretName: s}, downwardAPI: {}}\n",
                     "spec.volumes[1].name: Duplicate value: \"data\"\n"
                     "spec.volumes[2].name: Invalid value: \"Bad_Name\": " DNS_LABEL_MSG "\n"
                     "spec.volumes[3].name: Required value\n"
                     "spec.volumes[4].hostPath: Forbidden: may not specify more than 1 volume type\n"
                     "spec.volumes[5].gitRepo: Forbidden: may not specify more than 1 volume type\n"
                     "spec.volumes[6].downwarAPI: Forbidden: may not specify more than 1 volume type\n");
        /* Defaulting turns a source-less volume into an emptyDir. */
        CHECK_RAW_ERRORS(HEAD "  terminationGracePeriodSeconds: 30\n  restartPolicy: Always\n"
                              "  dnsPolicy: ClusterFirst\n"
                              "  containers: [{name: app, image: a, imagePullPolicy: Always, "
                              "terminationMessagePolicy: File, terminationMessagePath: /t}]\n"
                              "  volumes: [{name: empty}]\n",
                         "spec.volumes[0]: Required value: must specify a volume type\n");
}

TEST(host_path_and_empty_dir)
{
        CHECK_ERRORS(HEAD APP "  volumes:\n  - {name: a, hostPath: {path: \"\"}}\n"
                     "  - {name: b, hostPath: {path: /var/../etc, type: Dir}}\n"
                     "  - {name: c, emptyDir: {medium: Disk, sizeLimit: -1Gi}}\n"
                     "  - {name: d, emptyDir: {medium: HugePages-2Mi}}\n",
                     "spec.volumes[0].hostPath.path: Required value\n"
                     "spec.volumes[1].hostPath.path: Invalid value: \"/var/../etc\": must not contain "
                     "'..'\n"
                     "spec.volumes[1].hostPath.type: Unsupported value: \"Dir\": supported values: "
                     "\"\", \"BlockDevice\", \"CharDevice\", \"Directory\", \"DirectoryOrCreate\", "
                     "\"File\", \"FileOrCreate\", \"Socket\"\n"
                     "spec.volumes[2].emptyDir.sizeLimit: Forbidden: SizeLimit field must be a valid "
                     "resource quantity\n"
                     "spec.volumes[2].emptyDir.medium: Unsupported value: \"Disk\": supported values: "
                     "\"\", \"HugePages\", \"HugePages-<size>\", \"Memory\"\n");
}

TEST(secret_config_map_and_downward_api_items)
{
        CHECK_ERRORS(HEAD APP "  volumes:\n"
                     "  - name: s\n    secret:\n      secretName: creds\n      defaultMode: 512\n"
                     "      items: [{key: a, path: /abs}, {key: b, path: ../up}, {key: c, path: ..c, "
                     "mode: -1}, {path: ok}]\n"
                     "  - {name: c, configMap: {items: [{key: k, path: \"a/../b\"}]}}\n"
                     "  - name: d\n    downwardAPI:\n      items:\n"
                     "      - {path: node, fieldRef: {fieldPath: spec.nodeName}}\n"
                     "      - {path: nothing}\n"
                     "      - {path: l, fieldRef: {fieldPath: \"metadata.labels['Bad Key']\"}}\n",
                     "spec.volumes[0].secret.defaultMode: Invalid value: 512: must be a number "
                     "between 0 and 0777 (octal), both inclusive\n"
                     "spec.volumes[0].secret.items[0].path: Invalid value: \"/abs\": must be a "
                     "relative path\n"
                     "spec.volumes[0].secret.items[1].path: Invalid value: \"../up\": must not "
                     "contain '..'\n"
                     "spec.volumes[0].secret.items[2].path: Invalid value: \"..c\": must not start "
                     "with '..'\n"
                     "spec.volumes[0].secret.items[2].mode: Invalid value: -1: must be a number "
                     "between 0 and 0777 (octal), both inclusive\n"
                     "spec.volumes[0].secret.items[3].key: Required value\n"
                     "spec.volumes[1].configMap.name: Required value\n"
                     "spec.volumes[1].configMap.items[0].path: Invalid value: \"a/../b\": must not "
                     "contain '..'\n"
                     "spec.volumes[2].downwardAPI.fieldRef.fieldPath: Unsupported value: "
                     "\"spec.nodeName\": supported values: \"metadata.annotations\", "
                     "\"metadata.labels\", \"metadata.name\", \"metadata.namespace\", "
                     "\"metadata.uid\"\n"
                     "spec.volumes[2].downwardAPI: Required value: one of fieldRef and "
                     "resourceFieldRef is required\n"
                     "spec.volumes[2].downwardAPI.fieldRef: Invalid value: \"Bad Key\": name part "
                     QNAME_RULE "\n");
}

TEST(projected_sources)
{
        CHECK_ERRORS(HEAD APP "  serviceAccountName: builder\n  volumes:\n  - name: p\n    projected:\n"
                     "      sources:\n"
                     "      - secret: {name: s, items: [{key: a, path: same}]}\n"
                     "        configMap: {name: c, items: [{key: b, path: same}]}\n"
                     "      - serviceAccountToken: {path: /token, expirationSeconds: 300}\n"
                     "      - serviceAccountToken: {expirationSeconds: 5000000000}\n",
                     "spec.volumes[0].projected: Invalid value: \"c\": conflicting duplicate paths\n"
                     "spec.volumes[0].projected.sources[0]: Forbidden: may not specify more than 1 "
                     "volume type per source\n"
                     "spec.volumes[0].projected.sources[1].serviceAccountToken.expirationSeconds: "
                     "Invalid value: 300: may not specify a duration less than 10 minutes\n"
                     "spec.volumes[0].projected.path: Invalid value: \"/token\": must be a relative "
                     "path\n"
                     "spec.volumes[0].projected.sources[2].serviceAccountToken.expirationSeconds: "
                     "Invalid value: 5000000000: may not specify a duration larger than 2^32 seconds\n"
                     "spec.volumes[0].projected.path: Required value\n");
        CHECK_ERRORS(HEAD APP "  volumes:\n  - name: p\n    projected:\n"
                     "      sources: [{serviceAccountToken: {path: token}}]\n",
                     "spec.volumes[0].projected.sources[0].serviceAccountToken: Forbidden: must not be "
                     "specified when serviceAccountName is not set\n");
}

TEST(other_volume_sources)
{
        CHECK_ERRORS(HEAD APP "  volumes:\n  - {name: nf, nfs: {server: s, path: export}}\n"
                     "  - {name: c, persistentVolumeClaim: {}}\n"
                     "  - {name: d, csi: {driver: Bad_Driver}}\n"
                     "  - {name: i, image: {pullPolicy: Sometimes}}\n"
                     "  - {name: e, ephemeral: {}}\n",
                     "spec.volumes[0].nfs.path: Invalid value: \"export\": must be an absolute path\n"
                     "spec.volumes[1].persistentVolumeClaim.claimName: Required value\n"
                     "spec.volumes[2].csi.driver: Invalid value: \"Bad_Driver\": " SUBDOMAIN_MSG "\n"
                     "spec.volumes[3].image.reference: Required value\n"
                     "spec.volumes[3].image.pullPolicy: Unsupported value: \"Sometimes\": supported "
                     "values: \"Always\", \"IfNotPresent\", \"Never\"\n"
                     "spec.volumes[4].ephemeral.volumeClaimTemplate: Required value\n");
}

TEST(volume_mounts)
{
        CHECK_ERRORS(HEAD "  volumes: [{name: data, emptyDir: {}}, {name: broken, hostPath: {path: \"\"}}]\n"
                     "  containers:\n  - name: app\n    image: a\n    volumeMounts:\n"
                     "    - {name: data, mountPath: /data}\n"
                     "    - {name: data, mountPath: /data}\n"
                     "    - {name: missing, mountPath: /m}\n"
                     "    - {name: broken, mountPath: /b}\n"
                     "    - {name: data}\n",
                     "spec.volumes[1].hostPath.path: Required value\n"
                     "spec.containers[0].volumeMounts[1].mountPath: Invalid value: \"/data\": must be "
                     "unique\n" NOT_FOUND("spec.containers[0].volumeMounts[2].name", "missing") "\n"
                     NOT_FOUND("spec.containers[0].volumeMounts[3].name", "broken") "\n"
                     "spec.containers[0].volumeMounts[4].mountPath: Required value\n");
}

TEST(sub_paths_and_propagation)
{
        CHECK_ERRORS(HEAD "  volumes: [{name: data, emptyDir: {}}]\n"
                     "  containers:\n  - name: app\n    image: a\n    volumeMounts:\n"
                     "    - {name: data, mountPath: /a, subPath: /abs}\n"
                     "    - {name: data, mountPath: /b, subPath: x/../../y, subPathExpr: $(POD)}\n"
                     "    - {name: data, mountPath: /c, mountPropagation: Shared}\n"
                     "    - {name: data, mountPath: /d, mountPropagation: Bidirectional}\n"
                     "    - {name: data, mountPath: /e, subPath: /abs}\n",
                     "spec.containers[0].volumeMounts.subPath: Invalid value: \"/abs\": must be a "
                     "relative path\n"
                     "spec.containers[0].volumeMounts.subPath: Invalid value: \"x/../../y\": must not "
                     "contain '..'\n"
                     "spec.containers[0].volumeMounts[1].subPathExpr: Invalid value: \"$(POD)\": "
                     "subPathExpr and subPath are mutually exclusive\n"
                     "spec.containers[0].volumeMounts.mountPropagation: Unsupported value: \"Shared\": "
                     "supported values: \"Bidirectional\", \"HostToContainer\", \"None\"\n"
                     "spec.containers[0].volumeMounts.mountPropagation: Forbidden: Bidirectional "
                     "mount propagation is available only to privileged containers\n");
        CHECK_ERRORS(HEAD "  volumes: [{name: data, emptyDir: {}}]\n"
                     "  containers:\n  - name: app\n    image: a\n"
                     "    securityContext: {privileged: true}\n"
                     "    volumeMounts: [{name: data, mountPath: /d, mountPropagation: Bidirectional}]\n",
                     "");
}

TEST(less_common_volume_and_mount_rules)
{
        CHECK_ERRORS(HEAD "  volumes:\n"
                     "  - {name: img, image: {reference: \"example/data:1\"}}\n"
                     "  - {name: eph, ephemeral: {volumeClaimTemplate: {spec: {}}}}\n"
                     "  - {name: claim, persistentVolumeClaim: {claimName: t-eph}}\n"
                     "  - name: info\n    downwardAPI:\n"
                     "      items: [{path: cpu, resourceFieldRef: {resource: limits.cpu}}]\n"
                     "  containers:\n  - name: app\n    image: a\n    securityContext:\n"
                     "      appArmorProfile: {type: Localhost, localhostProfile: \" k8s-profile\"}\n"
                     "    volumeMounts:\n"
                     "    - {name: img, mountPath: /img, subPath: sub, recursiveReadOnly: Enabled}\n",
                     "spec.volumes[2].persistentVolumeClaim.claimName: Invalid value: \"t-eph\": must "
                     "not reference a PVC that gets created for an ephemeral volume\n"
                     "spec.volumes[3].downwardAPI.resourceFieldRef.containerName: Required value\n"
                     "spec.containers[0].volumeMounts[0].subPath: Invalid value: \"sub\": not allowed "
                     "in image volume sources\n"
                     "spec.containers[0].volumeMounts.recursiveReadOnly: Forbidden: may only be "
                     "specified when readOnly is true\n"
                     "spec.containers[0].securityContext.appArmorProfile.localhostProfile: Invalid "
                     "value: \" k8s-profile\": must not be padded with whitespace\n");
}

TEST(volume_devices_need_claims)
{
        CHECK_ERRORS(HEAD "  volumes: [{name: data, emptyDir: {}}, {name: disk, persistentVolumeClaim: "
                     "{claimName: c}}]\n"
                     "  containers:\n  - name: app\n    image: a\n"
                     "    volumeMounts: [{name: disk, mountPath: /dev/xvda}]\n"
                     "    volumeDevices: [{name: data, devicePath: /dev/sdb}, {name: disk, devicePath: "
                     "/dev/xvda}]\n",
                     "spec.containers[0].volumeMounts[0].name: Invalid value: \"disk\": must not "
                     "already exist in volumeDevices\n"
                     "spec.containers[0].volumeMounts[0].mountPath: Invalid value: \"/dev/xvda\": must "
                     "not already exist as a path in volumeDevices\n"
                     "spec.containers[0].volumeDevices[0].name: Invalid value: \"data\": can only use "
                     "volume source type of PersistentVolumeClaim or Ephemeral for block mode\n"
                     "spec.containers[0].volumeDevices[1].name: Invalid value: \"disk\": must not "
                     "already exist in volumeMounts\n"
                     "spec.containers[0].volumeDevices[1].devicePath: Invalid value: \"/dev/xvda\": "
                     "must not already exist as a path in volumeMounts\n");
}

TEST(env_names_and_value_sources)
{
        CHECK_ERRORS(HEAD "  containers:\n  - name: app\n    image: a\n    env:\n"
                     "    - {name: \"A=B\", value: x}\n"
                     "    - {name: A, value: x, valueFrom: {fieldRef: {fieldPath: metadata.name}}}\n"
                     "    - {name: B, valueFrom: {}}\n"
                     "    - name: C\n      valueFrom:\n        fieldRef: {fieldPath: metadata.name}\n"
                     "        secretKeyRef: {name: s, key: k}\n"
                     "    - {name: D, valueFrom: {fieldRef: {fieldPath: status.phase}}}\n"
                     "    - {name: E, valueFrom: {fieldRef: {fieldPath: spec.foo}}}\n"
                     "    - {name: F, valueFrom: {resourceFieldRef: {resource: limits.gpu}}}\n"
                     "    - {name: G, valueFrom: {resourceFieldRef: {resource: limits.cpu, divisor: 1Mi}}}\n"
                     "    - {name: H, valueFrom: {configMapKeyRef: {name: Bad, key: \"a b\"}}}\n"
                     "    - {name: \"..\"}\n",
                     "spec.containers[0].env[0].name: Invalid value: \"A=B\": " ENV_MSG "\n"
                     "spec.containers[0].env[1].valueFrom: Invalid value: \"\": may not be specified "
                     "when `value` is not empty\n"
                     "spec.containers[0].env[2].valueFrom: Invalid value: \"\": must specify one of: "
                     "`fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`\n"
                     "spec.containers[0].env[3].valueFrom: Invalid value: \"\": may not have more than "
                     "one field specified at a time\n"
                     "spec.containers[0].env[4].valueFrom.fieldRef.fieldPath: Unsupported value: "
                     "\"status.phase\": supported values: \"metadata.name\", \"metadata.namespace\", "
                     "\"metadata.uid\", \"spec.nodeName\", \"spec.serviceAccountName\", "
                     "\"status.hostIP\", \"status.hostIPs\", \"status.podIP\", \"status.podIPs\"\n"
                     "spec.containers[0].env[5].valueFrom.fieldRef.fieldPath: Invalid value: "
                     "\"spec.foo\": error converting fieldPath: field label not supported: spec.foo\n"
                     "spec.containers[0].env[6].valueFrom.resourceFieldRef.resource: Unsupported "
                     "value: \"limits.gpu\": supported values: \"limits.cpu\", "
                     "\"limits.ephemeral-storage\", \"limits.memory\", \"requests.cpu\", "
                     "\"requests.ephemeral-storage\", \"requests.memory\"\n"
                     "spec.containers[0].env[7].valueFrom.resourceFieldRef.divisor: Invalid value: "
                     "\"limits.cpu\": only divisor's values 1m and 1 are supported with the cpu "
                     "resource\n"
                     "spec.containers[0].env[8].valueFrom.configMapKeyRef.name: Invalid value: \"Bad\": "
                     SUBDOMAIN_MSG "\n"
                     "spec.containers[0].env[8].valueFrom.configMapKeyRef.key: Invalid value: \"a b\": "
                     "a valid config key must consist of alphanumeric characters, '-', '_' or '.' "
                     "(e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation "
                     "is '[-._a-zA-Z0-9]+')\n");
}

TEST(env_from_sources)
{
        CHECK_ERRORS(HEAD "  containers:\n  - name: app\n    image: a\n    envFrom:\n"
                     "    - {prefix: \"X\\tY\"}\n"
                     "    - {configMapRef: {name: a}, secretRef: {name: b}}\n"
                     "    - {configMapRef: {name: app-}, secretRef: {}}\n",
                     "spec.containers[0].envFrom[0].prefix: Invalid value: \"X\\tY\": " ENV_MSG "\n"
                     "spec.containers[0].envFrom: Invalid value: \"\": must specify one of: "
                     "`configMapRef` or `secretRef`\n"
                     "spec.containers[0].envFrom: Invalid value: \"\": may not have more than one "
                     "field specified at a time\n"
                     "spec.containers[0].envFrom[2].secretRef.name: Required value\n");
}

TEST(requests_within_limits_and_quantities)
{
        CHECK_ERRORS(HEAD "  containers:\n  - name: app\n    image: a\n    resources:\n"
                     "      limits: {cpu: 1, memory: 1Gi}\n"
                     "      requests: {cpu: 1500m, memory: -1Gi}\n",
                     "spec.containers[0].resources.requests: Invalid value: \"1500m\": must be less "
                     "than or equal to cpu limit of 1\n"
                     "spec.containers[0].resources.requests[memory]: Invalid value: \"-1Gi\": must be "
                     "greater than or equal to 0\n");
}

TEST(resource_names)
{
        CHECK_ERRORS(HEAD "  containers:\n  - name: app\n    image: a\n    resources:\n"
                     "      requests: {gpu: 1, pods: 1, example.com/foo: 500m, nvidia.com/gpu: 1, "
                     "kubernetes.io/thing: 1}\n",
                     "spec.containers[0].resources.requests[gpu]: Invalid value: \"gpu\": must be a "
                     "standard resource type or fully qualified\n"
                     "spec.containers[0].resources.requests[gpu]: Invalid value: \"gpu\": must be a "
                     "standard resource for containers\n"
                     "spec.containers[0].resources.requests[pods]: Invalid value: \"pods\": must be a "
                     "standard resource for containers\n"
                     "spec.containers[0].resources.requests[example.com/foo]: Invalid value: 500m: "
                     "must be an integer\n"
                     "spec.containers[0].resources.limits: Required value: Limit must be set for non "
                     "overcommitable resources\n");
}

TEST(extended_resources_and_hugepages)
{
        CHECK_ERRORS(HEAD "  containers:\n  - name: app\n    image: a\n    resources:\n"
                     "      limits: {example.com/dongle: 2, hugepages-2Mi: 3Mi}\n"
                     "      requests: {example.com/dongle: 1}\n",
                     "spec.containers[0].resources.limits[hugepages-2Mi]: Invalid value: \"3Mi\": 3Mi "
                     "is not positive integer multiple of hugepages-2Mi\n"
                     "spec.containers[0].resources.requests: Invalid value: \"1\": must be equal to "
                     "example.com/dongle limit of 2\n"
                     "spec.containers[0].resources.requests[hugepages-2Mi]: Invalid value: \"3Mi\": "
                     "3Mi is not positive integer multiple of hugepages-2Mi\n"
                     "spec.containers[0].resources: Forbidden: HugePages require cpu or memory\n");
}

TEST(overhead_is_checked_as_limits)
{
        CHECK_ERRORS(HEAD APP "  overhead: {cpu: -250m}\n",
                     "spec.overhead.limits[cpu]: Invalid value: \"-250m\": must be greater than or "
                     "equal to 0\n");
}

TEST(container_security_context)
{
        CHECK_ERRORS(HEAD "  containers:\n  - name: app\n    image: a\n    securityContext:\n"
                     "      runAsUser: -1\n      runAsGroup: 2147483648\n      procMount: Unmasked\n"
                     "      privileged: true\n      allowPrivilegeEscalation: false\n"
                     "      capabilities: {add: [CAP_SYS_ADMIN]}\n"
                     "      seccompProfile: {type: Localhost}\n",
                     "spec.containers[0].securityContext.runAsUser: Invalid value: -1: must be "
                     "between 0 and 2147483647, inclusive\n"
                     "spec.containers[0].securityContext.runAsGroup: Invalid value: 2147483648: must "
                     "be between 0 and 2147483647, inclusive\n"
                     "spec.containers[0].securityContext.procMount: Invalid value: \"Unmasked\": "
                     "`hostUsers` must be false to use `Unmasked`\n"
                     "spec.containers[0].securityContext.seccompProfile.localhostProfile: Required "
                     "value: must be set when seccomp type is Localhost\n"
                     "spec.containers[0].securityContext: Invalid value: {...}: cannot set "
                     "`allowPrivilegeEscalation` to false and `privileged` to true\n"
                     "spec.containers[0].securityContext: Invalid value: {...}: cannot set "
                     "`allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN\n");
        CHECK_ERRORS(HEAD "  hostUsers: false\n  containers:\n  - name: app\n    image: a\n"
                     "    securityContext:\n      procMount: Weird\n"
                     "      seccompProfile: {type: RuntimeDefault, localhostProfile: x.json}\n"
                     "      appArmorProfile: {type: Bogus}\n",
                     "spec.containers[0].securityContext.procMount: Unsupported value: \"Weird\": "
                     "supported values: \"Default\", \"Unmasked\"\n"
                     "spec.containers[0].securityContext.seccompProfile.localhostProfile: Invalid "
                     "value: {...}: can only be set when seccomp type is Localhost\n"
                     "spec.containers[0].securityContext.appArmorProfile.type: Unsupported value: "
                     "\"Bogus\": supported values: \"Localhost\", \"RuntimeDefault\", \"Unconfined\"\n");
}

TEST(pod_security_context)
{
        CHECK_ERRORS(HEAD APP "  hostPID: true\n  shareProcessNamespace: true\n  securityContext:\n"
                     "    fsGroup: 2147483648\n    supplementalGroups: [1, -1]\n"
                     "    fsGroupChangePolicy: Sometimes\n    seccompProfile: {type: \"\"}\n"
                     "    supplementalGroupsPolicy: Loose\n",
                     "spec.securityContext.fsGroup: Invalid value: 2147483648: must be between 0 and "
                     "2147483647, inclusive\n"
                     "spec.securityContext.supplementalGroups[1]: Invalid value: -1: must be between 0 "
                     "and 2147483647, inclusive\n"
                     "spec.securityContext.shareProcessNamespace: Invalid value: true: "
                     "ShareProcessNamespace and HostPID cannot both be enabled\n"
                     "spec.securityContext.fsGroupChangePolicy: Unsupported value: \"Sometimes\": "
                     "supported values: \"Always\", \"OnRootMismatch\"\n"
                     "spec.securityContext.seccompProfile.type: Required value: type is required when "
                     "seccompProfile is set\n"
                     "spec.securityContext.supplementalGroupsPolicy: Unsupported value: \"Loose\": "
                     "supported values: \"Merge\", \"Strict\"\n");
}

TEST(sysctls)
{
        CHECK_ERRORS(HEAD APP "  hostNetwork: true\n  hostIPC: true\n  securityContext:\n    sysctls:\n"
                     "    - {name: Net.IPv4, value: \"1\"}\n"
                     "    - {name: kernel.shm_rmid_forced, value: \"1\"}\n"
                     "    - {name: kernel.shm_rmid_forced, value: \"0\"}\n"
                     "    - {name: net.core.somaxconn, value: \"1024\"}\n"
                     "    - {value: \"1\"}\n",
                     "spec.securityContext.sysctls[0].name: Invalid value: \"Net.IPv4\": must have at "
                     "most 253 characters and match regex "
                     "^([a-z0-9]([-_a-z0-9]*[a-z0-9])?[\\./])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?$\n"
                     "spec.securityContext.sysctls[1].name: Invalid value: \"kernel.shm_rmid_forced\": "
                     "may not be specified when 'hostIPC' is true\n"
                     "spec.securityContext.sysctls[2].name: Duplicate value: \"kernel.shm_rmid_forced\"\n"
                     "spec.securityContext.sysctls[2].name: Invalid value: \"kernel.shm_rmid_forced\": "
                     "may not be specified when 'hostIPC' is true\n"
                     "spec.securityContext.sysctls[3].name: Invalid value: \"net.core.somaxconn\": may "
                     "not be specified when 'hostNetwork' is true\n"
                     "spec.securityContext.sysctls[4].name: Required value\n");
}

TEST(host_users_false_forbids_host_namespaces)
{
        CHECK_ERRORS(HEAD APP "  hostUsers: false\n  hostNetwork: true\n  hostPID: true\n  hostIPC: true\n",
                     "spec.hostNetwork: Forbidden: when `pod.Spec.HostUsers` is false\n"
                     "spec.HostPID: Forbidden: when `pod.Spec.HostUsers` is false\n"
                     "spec.HostIPC: Forbidden: when `pod.Spec.HostUsers` is false\n");
}

TEST(dns_policy_and_config)
{
        CHECK_ERRORS(HEAD APP "  dnsPolicy: Bogus\n",
                     "spec.dnsPolicy: Unsupported value: \"Bogus\": supported values: "
                     "\"ClusterFirstWithHostNet\", \"ClusterFirst\", \"Default\", \"None\"\n");
        CHECK_ERRORS(HEAD APP "  dnsPolicy: None\n",
                     "spec.dnsConfig: Required value: must provide `dnsConfig` when `dnsPolicy` is None\n");
        CHECK_ERRORS(HEAD APP "  dnsPolicy: None\n  dnsConfig: {searches: [a.b]}\n",
                     "spec.dnsConfig.nameservers: Required value: must provide at least one DNS "
                     "nameserver when `dnsPolicy` is None\n");
        CHECK_ERRORS(HEAD APP "  dnsConfig:\n    nameservers: [1.1.1.1, 8.8.8.8, 010.0.0.1, fe80::1, nope]\n"
                     "    searches: [svc.cluster.local., \".\", my_zone.example, Bad.Search]\n"
                     "    options: [{name: ndots, value: \"2\"}, {value: \"1\"}]\n",
                     "spec.dnsConfig.nameservers: Invalid value: []string{\"1.1.1.1\", \"8.8.8.8\", "
                     "\"010.0.0.1\", \"fe80::1\", \"nope\"}: must not have more than 3 nameservers\n"
                     "spec.dnsConfig.nameservers[4]: Invalid value: \"nope\": " IP_MSG "\n"
                     "spec.dnsConfig.searches[3]: Invalid value: \"Bad.Search\": a lowercase RFC 1123 "
                     "subdomain must consist of lower case alphanumeric characters, '_', '-' or '.', "
                     "and must start and end with an alphanumeric character (e.g. 'example.com', "
                     "regex used for validation is '_?[a-z0-9]([-_a-z0-9]*[a-z0-9])?(\\._?[a-z0-9]"
                     "([-_a-z0-9]*[a-z0-9])?)*')\n"
                     "spec.dnsConfig.options[1]: Required value: must not be empty\n");
}

TEST(dns_search_list_limits)
{
        struct dh_buf b;
        dh_buf_init(&b, 1 << 16);
        dh_buf_puts(&b, HEAD APP "  dnsConfig:\n    searches:\n", NULL);
        for (int i = 0; i < 33; i++)
                dh_buf_printf(&b, NULL, "    - s%d.example.com\n", i);
        _cleanup_free_ char *yaml = dh_buf_steal(&b);
        char *got = errors(yaml);
        CHECK_CONTAINS(got, "spec.dnsConfig.searches: Invalid value: []string{\"s0.example.com\", ");
        CHECK_CONTAINS(got, "\"s32.example.com\"}: must not have more than 32 search paths\n");
        free(got);
        dh_buf_init(&b, 1 << 16);
        dh_buf_puts(&b, HEAD APP "  dnsConfig:\n    searches:\n", NULL);
        for (int i = 0; i < 9; i++)
                dh_buf_printf(&b, NULL, "    - %0250d.x\n", i);
        _cleanup_free_ char *yaml2 = dh_buf_steal(&b);
        got = errors(yaml2);
        CHECK_CONTAINS(got, "must not have more than 2048 characters (including spaces) in the "
                            "search list\n");
        free(got);
}

TEST(host_aliases_hostname_and_subdomain)
{
        CHECK_ERRORS(HEAD APP "  hostname: my.host\n  subdomain: Sub\n  nodeName: Node_1\n"
                     "  hostAliases:\n  - {ip: 127.0.0.1, hostnames: [ok.local]}\n"
                     "  - {ip: not-an-ip, hostnames: [Bad_Host]}\n",
                     "spec.nodeName: Invalid value: \"Node_1\": " SUBDOMAIN_MSG "\n"
                     "spec.hostname: Invalid value: \"my.host\": must not contain dots\n"
                     "spec.subdomain: Invalid value: \"Sub\": " DNS_LABEL_MSG "\n"
                     "spec.hostAliases[1].ip: Invalid value: \"not-an-ip\": " IP_MSG "\n"
                     "spec.hostAliases[1].hostnames[0]: Invalid value: \"Bad_Host\": " SUBDOMAIN_MSG "\n");
}

TEST(grace_period_and_deadline)
{
        CHECK_ERRORS(HEAD APP "  terminationGracePeriodSeconds: -1\n  activeDeadlineSeconds: 0\n",
                     "spec.terminationGracePeriodSeconds: Invalid value: -1: must be greater than or "
                     "equal to 0\n"
                     "spec.activeDeadlineSeconds: Invalid value: 0: must be between 1 and 2147483647, "
                     "inclusive\n");
        CHECK_RAW_ERRORS(HEAD "  restartPolicy: Always\n  dnsPolicy: ClusterFirst\n"
                              "  containers: [{name: app, image: a, imagePullPolicy: Always, "
                              "terminationMessagePolicy: File, terminationMessagePath: /t}]\n",
                         "spec.terminationGracePeriodSeconds: Required value\n");
}

TEST(tolerations)
{
        CHECK_ERRORS(HEAD APP "  tolerations:\n"
                     "  - {key: k, operator: Exists, value: x}\n"
                     "  - {key: k, operator: In, effect: Sometimes}\n"
                     "  - {operator: Equal, value: v}\n"
                     "  - {key: k, value: \"bad value\", tolerationSeconds: 5, effect: NoSchedule}\n"
                     "  - {key: \"bad key\", operator: Exists}\n",
                     "spec.tolerations[0].operator: Invalid value: \"x\": value must be empty when "
                     "`operator` is 'Exists'\n"
                     "spec.tolerations[1].operator: Unsupported value: \"In\": supported values: "
                     "\"Equal\", \"Exists\"\n"
                     "spec.tolerations[1].effect: Unsupported value: \"Sometimes\": supported values: "
                     "\"NoSchedule\", \"PreferNoSchedule\", \"NoExecute\"\n"
                     "spec.tolerations[2].operator: Invalid value: \"Equal\": operator must be Exists "
                     "when `key` is empty, which means \"match all values and all keys\"\n"
                     "spec.tolerations[3].effect: Invalid value: \"NoSchedule\": effect must be "
                     "'NoExecute' when `tolerationSeconds` is set\n"
                     "spec.tolerations[3].operator: Invalid value: \"bad value\": " LABEL_VALUE_MSG "\n"
                     "spec.tolerations[4].key: Invalid value: \"bad key\": name part " QNAME_RULE "\n");
}

TEST(node_affinity_and_node_selector)
{
        CHECK_ERRORS(HEAD APP "  nodeSelector: {disktype: \"ssd drive\"}\n  affinity:\n    nodeAffinity:\n"
                     "      requiredDuringSchedulingIgnoredDuringExecution:\n        nodeSelectorTerms:\n"
                     "        - matchExpressions:\n"
                     "          - {key: zone, operator: Near, values: [a]}\n"
                     "          - {key: zone, operator: In}\n"
                     "          - {key: zone, operator: Exists, values: [a]}\n"
                     "          - {key: size, operator: Gt, values: [\"1\", \"2\"]}\n"
                     "          matchFields:\n"
                     "          - {key: metadata.uid, operator: In, values: [a]}\n"
                     "      preferredDuringSchedulingIgnoredDuringExecution:\n"
                     "      - {weight: 0, preference: {matchExpressions: [{key: a, operator: In, "
                     "values: [\"any value\"]}]}}\n",
                     "spec.nodeSelector: Invalid value: \"ssd drive\": " LABEL_VALUE_MSG "\n"
                     "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution."
                     "nodeSelectorTerms[0].matchExpressions[0].operator: Invalid value: \"Near\": not a "
                     "valid selector operator\n"
                     "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution."
                     "nodeSelectorTerms[0].matchExpressions[1].values: Required value: must be "
                     "specified when `operator` is 'In' or 'NotIn'\n"
                     "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution."
                     "nodeSelectorTerms[0].matchExpressions[2].values: Forbidden: may not be specified "
                     "when `operator` is 'Exists' or 'DoesNotExist'\n"
                     "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution."
                     "nodeSelectorTerms[0].matchExpressions[3].values: Required value: must be "
                     "specified single value when `operator` is 'Lt' or 'Gt'\n"
                     "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution."
                     "nodeSelectorTerms[0].matchFields[0].key: Invalid value: \"metadata.uid\": not a "
                     "valid field selector key\n"
                     "spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0]."
                     "weight: Invalid value: 0: must be in the range 1-100\n");
        CHECK_ERRORS(HEAD APP "  affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: "
                     "{nodeSelectorTerms: []}}}\n",
                     "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution."
                     "nodeSelectorTerms: Required value: must have at least one node selector term\n");
}

TEST(scheduling_names_and_policies)
{
        CHECK_ERRORS(HEAD APP "  priorityClassName: High\n  runtimeClassName: \"\"\n"
                     "  preemptionPolicy: Sometimes\n  serviceAccountName: Builder\n"
                     "  readinessGates: [{conditionType: \"bad type\"}, {conditionType: example.com/ready}]\n",
                     "spec.readinessGates[0].conditionType: Invalid value: \"bad type\": name part "
                     QNAME_RULE "\n"
                     "spec.serviceAccountName: Invalid value: \"Builder\": " SUBDOMAIN_MSG "\n"
                     "spec.priorityClassName: Invalid value: \"High\": " SUBDOMAIN_MSG "\n"
                     "spec.runtimeClassName: Invalid value: \"\": " SUBDOMAIN_MSG "\n"
                     "spec.preemptionPolicy: Unsupported value: \"Sometimes\": supported values: "
                     "\"PreemptLowerPriority\", \"Never\"\n");
}

TEST(os_name_and_per_os_fields)
{
        CHECK_ERRORS(HEAD APP "  os: {name: darwin}\n",
                     "spec.os: Unsupported value: \"darwin\": supported values: \"linux\", \"windows\"\n");
        CHECK_ERRORS(HEAD "  os: {name: windows}\n  securityContext: {runAsUser: 1000}\n"
                     "  containers: [{name: app, image: a, securityContext: {privileged: false}}]\n",
                     "spec.securityContext.runAsUser: Forbidden: cannot be set for a windows pod\n"
                     "spec.containers[0].securityContext.privileged: Forbidden: cannot be set for a "
                     "windows pod\n");
        CHECK_ERRORS(HEAD "  os: {name: linux}\n"
                     "  containers: [{name: app, image: a, securityContext: {windowsOptions: {}}}]\n",
                     "spec.containers[0].securityContext.windowsOptions: Forbidden: windows options "
                     "cannot be set for a linux pod\n");
}

TEST(ephemeral_containers_are_refused_on_create)
{
        CHECK_ERRORS(HEAD APP "  ephemeralContainers:\n"
                     "  - name: debug\n    image: busybox\n    targetContainerName: nope\n"
                     "    ports: [{containerPort: 80}]\n    readinessProbe: {exec: {command: [x]}}\n"
                     "    volumeMounts: [{name: v, mountPath: /v, subPath: s}]\n"
                     "  volumes: [{name: v, emptyDir: {}}]\n",
                     NOT_FOUND("spec.ephemeralContainers[0].targetContainerName", "nope") "\n"
                     "spec.ephemeralContainers[0].ports: Forbidden: cannot be set for an Ephemeral "
                     "Container\n"
                     "spec.ephemeralContainers[0].readinessProbe: Forbidden: cannot be set for an "
                     "Ephemeral Container\n"
                     "spec.ephemeralContainers[0].volumeMounts[0].subPath: Forbidden: cannot be set "
                     "for an Ephemeral Container\n"
                     "spec.ephemeralContainers: Forbidden: cannot be set on create\n");
}

TEST(identical_errors_are_reported_once)
{
        /* Both mounts' subPath errors read the same, since upstream leaves
         * the index out of that path; the API server prints it once. */
        CHECK_ERRORS(HEAD "  volumes: [{name: v, emptyDir: {}}]\n"
                     "  containers:\n  - name: app\n    image: a\n    volumeMounts:\n"
                     "    - {name: v, mountPath: /a, subPath: /x}\n"
                     "    - {name: v, mountPath: /b, subPath: /x}\n",
                     "spec.containers[0].volumeMounts.subPath: Invalid value: \"/x\": must be a "
                     "relative path\n");
}

TEST(all_errors_are_reported)
{
        char *got = errors(HEAD "  restartPolicy: Sometimes\n  dnsPolicy: Bogus\n  hostname: A\n"
                           "  containers:\n  - name: Web\n    ports: [{containerPort: 70000}]\n");
        size_t lines = 0;
        for (const char *p = got; *p; p++)
                lines += *p == '\n';
        CHECK_INT(lines, 6);
        free(got);
}

TEST(name_checks_directly)
{
        struct pod_msgs m;
        pod_is_port_name("-A--bcdefghijklmnop", &m);
        CHECK_INT(m.n, 4);
        pod_is_port_name("-A--BCDEFGHIJKLMNOP", &m);
        CHECK_INT(m.n, 5);
        CHECK_STR(m.v[4], "must not begin or end with a hyphen");
        pod_is_port_name("http-2", &m);
        CHECK_INT(m.n, 0);
        pod_is_dns1123_label("a.b", &m);
        CHECK_INT(m.n, 1);
        CHECK_STR(m.v[0], "must not contain dots");
        pod_is_dns1123_label("", &m);
        CHECK_INT(m.n, 1);
        pod_is_qualified_name("/x", &m);
        CHECK_INT(m.n, 1);
        CHECK_STR(m.v[0], "prefix part must be non-empty");
        pod_is_label_value("", &m);
        CHECK_INT(m.n, 0);
        pod_is_env_var_name("..", &m); /* relaxed rule: any printable ASCII but '=' */
        CHECK_INT(m.n, 0);
        pod_is_env_var_name("1BAD.x-y", &m);
        CHECK_INT(m.n, 0);
        pod_is_env_var_name("", &m);
        CHECK_INT(m.n, 1);
        CHECK_STR(m.v[0], "environment variable name must be non-empty");
        pod_is_env_var_name("A=B", &m);
        CHECK_STR(m.v[0], ENV_MSG);
        pod_is_config_map_key("", &m);
        CHECK_INT(m.n, 1);
        pod_name_is_dns_subdomain("web-", true, &m);
        CHECK_INT(m.n, 0);
        pod_name_is_dns_subdomain("web-", false, &m);
        CHECK_INT(m.n, 1);
        pod_is_dns1123_subdomain_underscore("_srv._tcp.example.com", &m);
        CHECK_INT(m.n, 0);
        CHECK(pod_is_valid_ip("10.0.0.1"));
        CHECK(pod_is_valid_ip("010.000.0.1"));
        CHECK(pod_is_valid_ip("2001:db8::ffff"));
        CHECK(pod_is_valid_ip("::ffff:1.2.3.4"));
        CHECK(!pod_is_valid_ip("256.0.0.1"));
        CHECK(!pod_is_valid_ip("1.2.3"));
        CHECK(!pod_is_valid_ip("1.2.3.4.5"));
        CHECK(!pod_is_valid_ip(""));
        CHECK(!pod_is_valid_ip(NULL));
        CHECK(!pod_is_valid_ip("fe80::1%eth0"));
        CHECK(pod_is_sysctl_name("net.ipv4.ip_forward"));
        CHECK(pod_is_sysctl_name("net/ipv4/conf/eth0.100/forwarding"));
        CHECK(!pod_is_sysctl_name("net..x"));
        CHECK(!pod_is_sysctl_name("-net.x"));
        CHECK(!pod_is_sysctl_name(""));
}

TEST_MAIN()
