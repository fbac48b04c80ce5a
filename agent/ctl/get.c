/* deckctl get pods: the agent's pods (with their computed status) read
 * from its local API socket (agent/localapi.h), as a kubectl-like table or
 * as the core/v1 PodList JSON. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "agent/ctl/rt-common.h"
#include "agent/localapi.h"
#include "lib/cleanup.h"
#include "lib/fileio.h"

#define GET_TIMEOUT_S 15

static int agent_connect(const char *path, struct dh_err **err)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        if (strlen(path) >= sizeof sa.sun_path)
                return dh_err_set(err, DH_ELIMIT, "socket path %s is too long", path);
        memcpy(sa.sun_path, path, strlen(path) + 1);
        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return dh_err_errno(err, errno, "socket");
        struct timeval tv = { .tv_sec = GET_TIMEOUT_S };
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
                int e = errno;
                if (e == ENOENT || e == ECONNREFUSED)
                        return dh_err_set(err, e,
                                          "the agent is not running (nothing listens on %s; "
                                          "is deckhand running with this --root-dir?)",
                                          path);
                return dh_err_errno(err, e, "connect %s", path);
        }
        return TAKE_FD(fd);
}

/* Sends one request line and reads the JSON response. */
static json_t *agent_request(const char *path, const char *req, struct dh_err **err)
{
        _cleanup_close_ int fd = agent_connect(path, err);
        if (fd < 0)
                return NULL;
        char line[AGENT_LOCALAPI_REQUEST_MAX];
        int n = snprintf(line, sizeof line, "%s\n", req);
        if (n < 0 || (size_t)n >= sizeof line || dh_write_all(fd, line, (size_t)n) < 0) {
                dh_err_errno(err, errno ? errno : EINVAL, "send request to %s", path);
                return NULL;
        }
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        if (dh_read_fd(fd, path, AGENT_LOCALAPI_RESPONSE_MAX, &text, &len, err) < 0)
                return NULL;
        json_error_t je;
        json_t *j = json_loadb(text, len, 0, &je);
        if (!j) {
                dh_err_set(err, EPROTO, "%s: bad response: %s", path, je.text);
                return NULL;
        }
        const char *kind = json_string_value(json_object_get(j, "kind"));
        if (kind && strcmp(kind, "Status") == 0) {
                const char *msg = json_string_value(json_object_get(j, "message"));
                dh_err_set(err, EPROTO, "the agent: %s", msg ? msg : "request failed");
                json_decref(j);
                return NULL;
        }
        return j;
}

static const char *str_at(json_t *j, const char *k1, const char *k2)
{
        json_t *v = json_object_get(j, k1);
        return json_string_value(k2 ? json_object_get(v, k2) : v);
}

/* kubectl's STATUS column, simplified: the pod's reason, else the last
 * non-running container's waiting/terminated reason, else the phase. */
static const char *pod_status(json_t *pod, char *buf, size_t size)
{
        json_t *st = json_object_get(pod, "status");
        const char *s = str_at(st, "phase", NULL);
        const char *reason = str_at(st, "reason", NULL);
        if (reason)
                return reason;
        size_t i;
        json_t *cs;
        json_array_foreach(json_object_get(st, "containerStatuses"), i, cs) {
                json_t *state = json_object_get(cs, "state");
                json_t *w = json_object_get(state, "waiting");
                json_t *t = json_object_get(state, "terminated");
                const char *r = str_at(w ? w : t, "reason", NULL);
                if (r && *r)
                        s = r;
                else if (t) {
                        snprintf(buf, size, "ExitCode:%lld",
                                 (long long)json_integer_value(json_object_get(t, "exitCode")));
                        s = buf;
                }
        }
        return s ? s : "Unknown";
}

static void pod_age(json_t *pod, char *buf, size_t size)
{
        const char *ts = str_at(json_object_get(pod, "status"), "startTime", NULL);
        if (!ts)
                ts = str_at(pod, "metadata", "creationTimestamp");
        struct tm tm = { 0 };
        const char *end = ts ? strptime(ts, "%Y-%m-%dT%H:%M:%SZ", &tm) : NULL;
        if (!end || *end) {
                snprintf(buf, size, "<unknown>");
                return;
        }
        long long s = (long long)(time(NULL) - timegm(&tm));
        if (s < 0)
                s = 0;
        if (s < 120)
                snprintf(buf, size, "%llds", s);
        else if (s < 3 * 3600)
                snprintf(buf, size, "%lldm", s / 60);
        else if (s < 2 * 86400)
                snprintf(buf, size, "%lldh", s / 3600);
        else
                snprintf(buf, size, "%lldd", s / 86400);
}

static void print_row(json_t *pod, bool wide)
{
        json_t *st = json_object_get(pod, "status");
        size_t i, total = json_array_size(json_object_get(json_object_get(pod, "spec"), "containers"));
        long long ready = 0, restarts = 0;
        json_t *cs;
        json_array_foreach(json_object_get(st, "containerStatuses"), i, cs) {
                ready += json_is_true(json_object_get(cs, "ready"));
                restarts += json_integer_value(json_object_get(cs, "restartCount"));
        }
        char rd[32], sbuf[32], age[32];
        snprintf(rd, sizeof rd, "%lld/%zu", ready, total);
        pod_age(pod, age, sizeof age);
        const char *name = str_at(pod, "metadata", "name");
        printf("%-40s %-7s %-20s %-9lld %-6s", name ? name : "?", rd,
               pod_status(pod, sbuf, sizeof sbuf), restarts, age);
        if (wide) {
                const char *ip = str_at(st, "podIP", NULL);
                const char *node = str_at(json_object_get(pod, "spec"), "nodeName", NULL);
                printf(" %-15s %s", ip ? ip : "<none>", node ? node : "<none>");
        }
        putchar('\n');
}

static void print_table(json_t *list, bool wide)
{
        json_t *items = json_object_get(list, "items");
        if (json_array_size(items) == 0) {
                fprintf(stderr, "No resources found\n");
                return;
        }
        printf("%-40s %-7s %-20s %-9s %-6s", "NAME", "READY", "STATUS", "RESTARTS", "AGE");
        if (wide)
                printf(" %-15s %s", "IP", "NODE");
        putchar('\n');
        size_t i;
        json_t *pod;
        json_array_foreach(items, i, pod)
                print_row(pod, wide);
}

/* --agent-socket, else <--root-dir|$DECKHAND_ROOT_DIR|/var/lib/deckhand>/agent.sock. */
static int socket_path(int *argc, char **argv, char *buf, size_t size)
{
        const char *sock = ctl_take_opt(argc, argv, "--agent-socket");
        const char *root = ctl_take_opt(argc, argv, "--root-dir");
        if (!root)
                root = getenv("DECKHAND_ROOT_DIR");
        if (!root || !*root)
                root = "/var/lib/deckhand";
        int n = sock ? snprintf(buf, size, "%s", sock) :
                       snprintf(buf, size, "%s/%s", root, AGENT_LOCALAPI_SOCKET);
        return n < 0 || (size_t)n >= size ? -1 : 0;
}

int ctl_get_main(int argc, char **argv)
{
        char path[4096];
        if (socket_path(&argc, argv, path, sizeof path) < 0) {
                fprintf(stderr, "deckctl get: socket path too long\n");
                return 2;
        }
        const char *out = ctl_take_opt(&argc, argv, "-o");
        if (!out)
                out = ctl_take_opt(&argc, argv, "--output");
        bool json = out && strcmp(out, "json") == 0, wide = out && strcmp(out, "wide") == 0;
        if (argc != 2 || (strcmp(argv[1], "pods") != 0 && strcmp(argv[1], "pod") != 0 &&
                          strcmp(argv[1], "po") != 0) ||
            (out && !json && !wide)) {
                fprintf(stderr, "usage: deckctl get pods [-o json|wide] [--root-dir DIR] "
                                "[--agent-socket PATH]\n");
                return 2;
        }
        struct dh_err *err = NULL;
        json_t *list = agent_request(path, "pods", &err);
        if (!list)
                return ctl_fail("get pods", err);
        if (json)
                ctl_print_json(list);
        else
                print_table(list, wide);
        json_decref(list);
        return 0;
}
