/* Tests for agent/volumes*.c: emptyDir on disk and tmpfs, hostPath type
 * checks, downward API files and their atomic layout, subPath safety, the
 * termination-message file, /etc/hosts, idempotent set-up and teardown.
 * Needs root (tmpfs and bind mounts); everything lives in a temp dir. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent/volumes.h"
#include "lib/cleanup.h"
#include "lib/fileio.h"
#include "pod/pod.h"
#include "test.h"

#define UID "1f2e3d4c-0000-4000-8000-000000000001"

static char *cat(const char *a, const char *b)
{
        char *p = NULL;
        if (asprintf(&p, "%s/%s", a, b) < 0)
                return NULL;
        return p;
}

static char *slurp(const char *path)
{
        char *data = NULL;
        if (dh_read_file(path, 1 << 20, &data, NULL, NULL) < 0)
                return NULL;
        return data;
}

static void put(const char *path, const char *s)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        CHECK(fd >= 0);
        if (fd < 0)
                return;
        CHECK_INT(write(fd, s, strlen(s)), (long long)strlen(s));
        close(fd);
}

/* The mountinfo line whose mount point is path (NULL if none); *count
 * is how many there are. */
static char *mountinfo_line(const char *path, int *count)
{
        _cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
        char line[4096], *found = NULL;
        *count = 0;
        while (f && fgets(line, sizeof line, f)) {
                char mp[PATH_MAX];
                if (sscanf(line, "%*s %*s %*s %*s %4095s", mp) == 1 && strcmp(mp, path) == 0) {
                        (*count)++;
                        free(found);
                        found = strdup(line);
                }
        }
        return found;
}

static int mounts_under(const char *prefix)
{
        _cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
        char line[4096];
        int n = 0;
        while (f && fgets(line, sizeof line, f)) {
                char mp[PATH_MAX];
                if (sscanf(line, "%*s %*s %*s %*s %4095s", mp) == 1 && strncmp(mp, prefix, strlen(prefix)) == 0)
                        n++;
        }
        return n;
}

static struct pod_set load(const char *yaml)
{
        struct pod_set s = { 0 };
        struct dh_err *e = NULL;
        CHECK_INT(pod_load_buffer(yaml, strlen(yaml), &s, &e), 0);
        CHECK(s.n == 1 && s.v[0].pod);
        if (e)
                fprintf(stderr, "  load: %s\n", e->msg);
        dh_err_free(e);
        if (s.n == 1 && s.v[0].pod) {
                free(s.v[0].pod->metadata.uid);
                s.v[0].pod->metadata.uid = strdup(UID);
        }
        return s;
}

static mode_t mode_of(const char *path)
{
        struct stat st;
        return lstat(path, &st) == 0 ? st.st_mode : 0;
}

static const char *const EMPTY_POD =
        "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: prod, labels: {app: web}}\n"
        "spec:\n  containers:\n  - name: app\n    image: busybox\n"
        "    resources: {limits: {memory: 64Mi}}\n"
        "  volumes:\n  - name: site\n    emptyDir: {}\n"
        "  - name: mem\n    emptyDir: {medium: Memory, sizeLimit: 4Mi}\n"
        "  - name: big\n    emptyDir: {medium: Memory}\n";

TEST(empty_dir_disk_and_tmpfs_idempotent_and_teardown)
{
        char *root = test_mkdtemp("vol");
        struct pod_set s = load(EMPTY_POD);
        struct agent_pod_volumes v = { 0 };
        struct dh_err *e = NULL;
        struct agent_node_alloc node = { .cpu_milli = 4000, .memory = 1LL << 30 };
        mode_t old = umask(022);
        CHECK_INT(agent_volumes_setup(root, s.v[0].pod, &node, &v, &e), 0);
        umask(old);
        CHECK(e == NULL);
        CHECK_INT(v.n, 3);
        _cleanup_free_ char *pod_dir = cat(root, "pods/" UID);
        CHECK_STR(v.pod_dir, pod_dir);
        _cleanup_free_ char *site = cat(pod_dir, "volumes/kubernetes.io~empty-dir/site");
        _cleanup_free_ char *mem = cat(pod_dir, "volumes/kubernetes.io~empty-dir/mem");
        _cleanup_free_ char *big = cat(pod_dir, "volumes/kubernetes.io~empty-dir/big");
        CHECK_STR(v.v[0].host_path, site);
        CHECK(!v.v[0].readonly);
        CHECK_INT(v.v[0].kind, AGENT_VOL_EMPTY_DIR);
        CHECK(S_ISDIR(mode_of(site)));
        CHECK_INT(mode_of(site) & 07777, 0777); /* not narrowed by the umask */
        int count = 0;
        _cleanup_free_ char *line = mountinfo_line(mem, &count);
        CHECK_INT(count, 1);
        CHECK_CONTAINS(line, " - tmpfs tmpfs ");
        CHECK_CONTAINS(line, "size=4096k"); /* sizeLimit below the pod's 64Mi limit */
        free(line);
        line = mountinfo_line(big, &count);
        CHECK_INT(count, 1);
        CHECK_CONTAINS(line, "size=65536k"); /* no sizeLimit: the pod's memory limit */
        CHECK_INT(mounts_under(site), 0);
        /* Data survives a second set-up (agent restart); no second tmpfs. */
        _cleanup_free_ char *f1 = cat(site, "index.html"), *f2 = cat(mem, "cache");
        put(f1, "hello");
        put(f2, "cached");
        agent_pod_volumes_free(&v);
        CHECK_INT(agent_volumes_setup(root, s.v[0].pod, &node, &v, &e), 0);
        _cleanup_free_ char *got1 = slurp(f1), *got2 = slurp(f2);
        CHECK_STR(got1, "hello");
        CHECK_STR(got2, "cached");
        free(line);
        line = mountinfo_line(mem, &count);
        CHECK_INT(count, 1);
        /* Teardown unmounts and removes everything of the pod. */
        CHECK_INT(agent_volumes_teardown(root, UID, &e), 0);
        CHECK(e == NULL);
        if (e)
                fprintf(stderr, "  %s\n", e->msg);
        CHECK_INT(mounts_under(root), 0);
        CHECK(access(pod_dir, F_OK) != 0 && errno == ENOENT);
        /* Again: nothing to do is success. */
        CHECK_INT(agent_volumes_teardown(root, UID, &e), 0);
        agent_pod_volumes_free(&v);
        dh_err_free(e);
        pod_set_free(&s);
        test_rmtree(root);
}

/* Sets up a pod whose only volume is a hostPath of path/type and returns
 * the error message (or NULL on success). */
static char *host_path_result(const char *root, const char *path, const char *type)
{
        char yaml[1024];
        snprintf(yaml, sizeof yaml,
                 "apiVersion: v1\nkind: Pod\nmetadata: {name: hp}\nspec:\n  containers:\n"
                 "  - {name: app, image: busybox}\n  volumes:\n  - name: h\n    hostPath: {path: \"%s\"%s%s}\n",
                 path, type ? ", type: " : "", type ? type : "");
        struct pod_set s = load(yaml);
        struct agent_pod_volumes v = { 0 };
        struct dh_err *e = NULL;
        char *msg = NULL;
        if (agent_volumes_setup(root, s.v[0].pod, NULL, &v, &e) < 0)
                msg = strdup(e ? e->msg : "(no error)");
        else
                CHECK_STR(v.v[0].host_path, path);
        agent_pod_volumes_free(&v);
        dh_err_free(e);
        pod_set_free(&s);
        return msg;
}

TEST(host_path_type_checks)
{
        char *root = test_mkdtemp("vol");
        _cleanup_free_ char *dir = cat(root, "data"), *file = cat(root, "file"), *sock = cat(root, "sock");
        _cleanup_free_ char *made = cat(root, "made/deep"), *newfile = cat(root, "new.txt");
        _cleanup_free_ char *nodir = cat(root, "missing/new.txt");
        CHECK_INT(mkdir(dir, 0700), 0);
        put(file, "x");
        int sfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        snprintf(sa.sun_path, sizeof sa.sun_path, "%s", sock);
        CHECK_INT(bind(sfd, (struct sockaddr *)&sa, sizeof sa), 0);
        char want[PATH_MAX + 128];
        char *m;

        CHECK(host_path_result(root, dir, NULL) == NULL);
        CHECK(host_path_result(root, "/nonexistent-deckhand", NULL) == NULL); /* "": no checks */
        CHECK(host_path_result(root, dir, "Directory") == NULL);
        m = host_path_result(root, file, "Directory");
        snprintf(want, sizeof want, "volume \"h\": hostPath type check failed: %s is not a directory, it's a File", file);
        CHECK_STR(m, want);
        free(m);
        m = host_path_result(root, dir, "File");
        snprintf(want, sizeof want, "hostPath type check failed: %s is not a file, it's a Directory", dir);
        CHECK_CONTAINS(m, want);
        free(m);
        m = host_path_result(root, made, "Directory");
        snprintf(want, sizeof want, "volume \"h\": hostPath %s doesn't exist", made);
        CHECK_STR(m, want);
        free(m);
        mode_t old = umask(0);
        CHECK(host_path_result(root, made, "DirectoryOrCreate") == NULL);
        CHECK(host_path_result(root, newfile, "FileOrCreate") == NULL);
        umask(old);
        CHECK(S_ISDIR(mode_of(made)));
        CHECK_INT(mode_of(made) & 07777, 0755);
        CHECK(S_ISREG(mode_of(newfile)));
        CHECK_INT(mode_of(newfile) & 07777, 0644);
        m = host_path_result(root, nodir, "FileOrCreate"); /* the parent must exist */
        CHECK_CONTAINS(m, "No such file or directory");
        free(m);
        m = host_path_result(root, file, "DirectoryOrCreate"); /* exists, wrong type */
        CHECK_CONTAINS(m, "is not a directory, it's a File");
        free(m);
        CHECK(host_path_result(root, sock, "Socket") == NULL);
        m = host_path_result(root, dir, "Socket");
        CHECK_CONTAINS(m, "is not a socket file, it's a Directory");
        free(m);
        CHECK(host_path_result(root, "/dev/null", "CharDevice") == NULL);
        m = host_path_result(root, "/dev/null", "BlockDevice");
        CHECK_STR(m, "volume \"h\": hostPath type check failed: /dev/null is not a block device, it's a CharDevice");
        free(m);
        m = host_path_result(root, "/var/../etc", NULL);
        CHECK_STR(m, "volume \"h\": invalid HostPath `/var/../etc`: must not contain '..'");
        free(m);
        close(sfd);
        CHECK_INT(agent_volumes_teardown(root, UID, NULL), 0);
        test_rmtree(root);
}

TEST(api_object_volumes_refused)
{
        char *root = test_mkdtemp("vol");
        static const struct { const char *src, *msg; } cases[] = {
                { "configMap: {name: cfg}", "volume \"x\": configMap volumes need an API server" },
                { "secret: {secretName: s}", "volume \"x\": secret volumes need an API server" },
                { "persistentVolumeClaim: {claimName: c}", "volume \"x\": persistentVolumeClaim volumes need an API server" },
                { "csi: {driver: d.example.com}", "volume \"x\": csi volumes need a CSI driver" },
                { "projected: {sources: [{serviceAccountToken: {path: token}}]}",
                  "volume \"x\": projected serviceAccountToken sources need an API server" },
        };
        for (size_t i = 0; i < DH_ARRAY_SIZE(cases); i++) {
                char yaml[512];
                snprintf(yaml, sizeof yaml, "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n"
                         "  - {name: app, image: busybox}\n  volumes:\n  - name: x\n    %s\n", cases[i].src);
                struct pod_set s = load(yaml);
                struct agent_pod_volumes v = { 0 };
                struct dh_err *e = NULL;
                CHECK(agent_volumes_setup(root, s.v[0].pod, NULL, &v, &e) < 0);
                CHECK_CONTAINS(e ? e->msg : NULL, cases[i].msg);
                CHECK(v.v == NULL); /* out untouched */
                dh_err_free(e);
                pod_set_free(&s);
        }
        CHECK_INT(agent_volumes_teardown(root, UID, NULL), 0);
        test_rmtree(root);
}

static const char *const DOWNWARD_POD =
        "apiVersion: v1\nkind: Pod\n"
        "metadata: {name: web, namespace: prod, labels: {tier: front, app: web},\n"
        "           annotations: {note: \"say \\\"hi\\\"\\n\"}}\n"
        "spec:\n  containers:\n  - name: app\n    image: busybox\n"
        "    resources: {limits: {memory: 64Mi}, requests: {cpu: 250m}}\n"
        "  volumes:\n  - name: info\n    downwardAPI:\n      items:\n"
        "      - {path: labels, fieldRef: {fieldPath: metadata.labels}}\n"
        "      - {path: annotations, fieldRef: {fieldPath: metadata.annotations}}\n"
        "      - {path: meta/name, fieldRef: {fieldPath: metadata.name}, mode: 0400}\n"
        "      - {path: meta/ns, fieldRef: {fieldPath: metadata.namespace}}\n"
        "      - {path: uid, fieldRef: {fieldPath: metadata.uid}}\n"
        "      - {path: tier, fieldRef: {fieldPath: \"metadata.labels['tier']\"}}\n"
        "      - {path: mem, resourceFieldRef: {containerName: app, resource: limits.memory, divisor: 1Mi}}\n"
        "      - {path: cpu, resourceFieldRef: {containerName: app, resource: limits.cpu, divisor: 1m}}\n"
        "      - {path: cpureq, resourceFieldRef: {containerName: app, resource: requests.cpu}}\n"
        "  - name: proj\n    projected:\n      defaultMode: 0440\n      sources:\n"
        "      - downwardAPI: {items: [{path: name, fieldRef: {fieldPath: metadata.name}}]}\n";

static char *readlink_str(const char *path)
{
        char buf[PATH_MAX];
        ssize_t n = readlink(path, buf, sizeof buf - 1);
        if (n < 0)
                return NULL;
        buf[n] = '\0';
        return strdup(buf);
}

static void check_file(const char *dir, const char *rel, const char *want, mode_t mode)
{
        _cleanup_free_ char *p = cat(dir, rel);
        _cleanup_free_ char *got = slurp(p);
        CHECK_STR(got, want);
        struct stat st;
        CHECK_INT(stat(p, &st), 0);
        CHECK_INT(st.st_mode & 07777, mode);
}

TEST(downward_api_files_and_atomic_layout)
{
        char *root = test_mkdtemp("vol");
        struct pod_set s = load(DOWNWARD_POD);
        struct agent_pod_volumes v = { 0 };
        struct dh_err *e = NULL;
        struct agent_node_alloc node = { .cpu_milli = 2000, .memory = 1LL << 30 };
        CHECK_INT(agent_volumes_setup(root, s.v[0].pod, &node, &v, &e), 0);
        if (e)
                fprintf(stderr, "  %s\n", e->msg);
        CHECK_INT(v.n, 2);
        _cleanup_free_ char *dir = strdup(v.n ? v.v[0].host_path : "");
        CHECK(v.n && v.v[0].readonly && v.v[0].kind == AGENT_VOL_DOWNWARD_API);
        CHECK_CONTAINS(dir, "/pods/" UID "/volumes/kubernetes.io~downward-api/info");
        int count = 0;
        free(mountinfo_line(dir, &count));
        CHECK_INT(count, 1); /* memory-backed, as the kubelet's wrapped emptyDir */
        check_file(dir, "labels", "app=\"web\"\ntier=\"front\"", 0644);
        check_file(dir, "annotations", "note=\"say \\\"hi\\\"\\n\"", 0644);
        check_file(dir, "meta/name", "web", 0400);
        check_file(dir, "meta/ns", "prod", 0644);
        check_file(dir, "uid", UID, 0644);
        check_file(dir, "tier", "front", 0644);
        check_file(dir, "mem", "64", 0644);
        check_file(dir, "cpu", "2000", 0644); /* no limit: the node's allocatable */
        check_file(dir, "cpureq", "1", 0644);  /* 250m in cores, rounded up */
        check_file(v.v[1].host_path, "name", "web", 0440);
        /* The layout: ..data -> ..<timestamp>, names -> ..data/<name>. */
        _cleanup_free_ char *data = cat(dir, "..data"), *labels = cat(dir, "labels"), *meta = cat(dir, "meta");
        _cleanup_free_ char *ts = readlink_str(data), *l1 = readlink_str(labels), *l2 = readlink_str(meta);
        CHECK(ts && strncmp(ts, "..", 2) == 0 && !strchr(ts, '/'));
        CHECK_STR(l1, "..data/labels");
        CHECK_STR(l2, "..data/meta");
        _cleanup_free_ char *tsdir = cat(dir, ts ? ts : "x");
        CHECK(S_ISDIR(mode_of(tsdir)));
        CHECK_INT(mode_of(tsdir) & 07777, 0755);
        /* Unchanged content: a second set-up leaves the payload alone. */
        agent_pod_volumes_free(&v);
        CHECK_INT(agent_volumes_setup(root, s.v[0].pod, &node, &v, &e), 0);
        _cleanup_free_ char *ts2 = readlink_str(data);
        CHECK_STR(ts2, ts);
        free(mountinfo_line(dir, &count));
        CHECK_INT(count, 1);
        /* A changed label swaps in a new payload and drops the old one. */
        struct pod *p = s.v[0].pod;
        free(p->metadata.labels.v[0].value);
        p->metadata.labels.v[0].value = strdup("back");
        agent_pod_volumes_free(&v);
        CHECK_INT(agent_volumes_setup(root, p, &node, &v, &e), 0);
        _cleanup_free_ char *ts3 = readlink_str(data);
        CHECK(ts3 && ts && strcmp(ts3, ts) != 0);
        CHECK(access(tsdir, F_OK) != 0);
        check_file(dir, "tier", "back", 0644);
        check_file(dir, "meta/name", "web", 0400);
        CHECK_INT(agent_volumes_teardown(root, UID, &e), 0);
        CHECK_INT(mounts_under(root), 0);
        agent_pod_volumes_free(&v);
        dh_err_free(e);
        pod_set_free(&s);
        test_rmtree(root);
}

static const char *const MOUNT_POD =
        "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\n"
        "spec:\n  hostAliases: [{ip: 10.0.0.9, hostnames: [db, db.local]}]\n"
        "  containers:\n  - name: app\n    image: busybox\n    volumeMounts:\n"
        "    - {name: site, mountPath: /site, readOnly: true, mountPropagation: HostToContainer}\n"
        "    - {name: site, mountPath: /sub, subPath: a/b}\n"
        "    - {name: site, mountPath: /expr, subPathExpr: \"logs/$(POD_NAME)\"}\n"
        "    - {name: info, mountPath: /info}\n"
        "  volumes:\n  - name: site\n    emptyDir: {}\n"
        "  - name: info\n    downwardAPI: {items: [{path: name, fieldRef: {fieldPath: metadata.name}}]}\n";

static struct rt_mount *find_mount(struct rt_mount *m, size_t n, const char *cpath)
{
        for (size_t i = 0; i < n; i++)
                if (strcmp(m[i].container_path, cpath) == 0)
                        return &m[i];
        return NULL;
}

static void check_mounts(const struct agent_pod_volumes *vp, struct pod *p, struct agent_mount_ctx *cp,
                         struct rt_mount *m, size_t n)
{
        const struct agent_pod_volumes v = *vp;
        struct agent_mount_ctx ctx = *cp;
        struct dh_err *e = NULL;
        struct rt_mount *site = find_mount(m, n, "/site"), *sub = find_mount(m, n, "/sub");
        struct rt_mount *expr = find_mount(m, n, "/expr"), *info = find_mount(m, n, "/info");
        struct rt_mount *hosts = find_mount(m, n, "/etc/hosts"), *term = find_mount(m, n, "/dev/termination-log");
        if (!(site && sub && expr && info && hosts && term))
                return;
        CHECK_STR(site->host_path, v.v[0].host_path);
        CHECK(site->readonly);
        CHECK_INT(site->propagation, RT_PROPAGATION_HOST_TO_CONTAINER);
        CHECK(info->readonly); /* API data is always read-only */
        CHECK(!sub->readonly);
        CHECK_INT(sub->propagation, RT_PROPAGATION_PRIVATE);
        /* subPath: created inside the volume, bound at volume-subpaths. */
        _cleanup_free_ char *want_sub = cat(v.pod_dir, "volume-subpaths/site/app/1");
        CHECK_STR(sub->host_path, want_sub);
        _cleanup_free_ char *ab = cat(v.v[0].host_path, "a/b");
        CHECK(S_ISDIR(mode_of(ab)));
        CHECK_INT(mode_of(ab) & 07777, 0777); /* the volume's mode */
        int count = 0;
        free(mountinfo_line(sub->host_path, &count));
        CHECK_INT(count, 1);
        _cleanup_free_ char *through = cat(sub->host_path, "f"), *inside = cat(ab, "f");
        put(through, "via subpath");
        _cleanup_free_ char *got = slurp(inside);
        CHECK_STR(got, "via subpath");
        _cleanup_free_ char *want_expr = cat(v.pod_dir, "volume-subpaths/site/app/2");
        CHECK_STR(expr->host_path, want_expr);
        _cleanup_free_ char *logs = cat(v.v[0].host_path, "logs/web");
        CHECK(S_ISDIR(mode_of(logs)));
        /* Termination message: a new 0666 file under containers/app/. */
        _cleanup_free_ char *cdir = cat(v.pod_dir, "containers/app/");
        CHECK(strncmp(term->host_path, cdir, strlen(cdir)) == 0);
        CHECK_INT(strlen(term->host_path), strlen(cdir) + 8);
        CHECK(S_ISREG(mode_of(term->host_path)));
        CHECK_INT(mode_of(term->host_path) & 07777, 0666);
        CHECK(!term->readonly);
        /* /etc/hosts as the kubelet writes it. */
        _cleanup_free_ char *hc = slurp(hosts->host_path);
        CHECK_STR(hc, "# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n"
                      "::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\n"
                      "fe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n"
                      "10.1.2.3\tweb\n\n# Entries added by HostAliases.\n10.0.0.9\tdb\tdb.local\n");
        CHECK_INT(mode_of(hosts->host_path) & 07777, 0644);
        /* Again (a restarted container): the same subPath binds are reused. */
        struct rt_mount *m2 = NULL;
        size_t n2 = 0;
        ctx.n_pod_ips = 0; /* no IP known: no /etc/hosts mount */
        CHECK_INT(agent_container_mounts(&v, p, &p->spec.containers.v[0], &ctx, &m2, &n2, &e), 0);
        CHECK_INT(n2, 5);
        CHECK(find_mount(m2, n2, "/etc/hosts") == NULL);
        free(mountinfo_line(sub->host_path, &count));
        CHECK_INT(count, 1);
        struct rt_mount *term2 = find_mount(m2, n2, "/dev/termination-log");
        CHECK(term2 && strcmp(term2->host_path, term->host_path) != 0);
        agent_mounts_free(m2, n2);
        dh_err_free(e);
}

TEST(container_mounts_subpath_termination_hosts)
{
        char *root = test_mkdtemp("vol");
        struct pod_set s = load(MOUNT_POD);
        struct pod *p = s.v[0].pod;
        struct agent_pod_volumes v = { 0 };
        struct dh_err *e = NULL;
        CHECK_INT(agent_volumes_setup(root, p, NULL, &v, &e), 0);
        struct rt_kv kv[] = { { (char *)"POD_NAME", (char *)"web" } };
        struct rt_kvs env = { kv, 1 };
        const char *ips[] = { "10.1.2.3" };
        struct agent_mount_ctx ctx = { .env = &env, .pod_ips = ips, .n_pod_ips = 1, .hostname = "web" };
        struct rt_mount *m = NULL;
        size_t n = 0;
        CHECK_INT(agent_container_mounts(&v, p, &p->spec.containers.v[0], &ctx, &m, &n, &e), 0);
        if (e)
                fprintf(stderr, "  %s\n", e->msg);
        CHECK_INT(n, 6); /* 4 volumeMounts, /etc/hosts, termination log */
        struct rt_mount *site = find_mount(m, n, "/site"), *sub = find_mount(m, n, "/sub");
        struct rt_mount *expr = find_mount(m, n, "/expr"), *info = find_mount(m, n, "/info");
        struct rt_mount *hosts = find_mount(m, n, "/etc/hosts"), *term = find_mount(m, n, "/dev/termination-log");
        CHECK(site && sub && expr && info && hosts && term);
        if (site && sub && expr && info && hosts && term)
                check_mounts(&v, p, &ctx, m, n);
        agent_mounts_free(m, n);
        CHECK_INT(agent_volumes_teardown(root, UID, &e), 0);
        if (e)
                fprintf(stderr, "  %s\n", e->msg);
        CHECK_INT(mounts_under(root), 0);
        _cleanup_free_ char *pods = cat(root, "pods/" UID);
        CHECK(access(pods, F_OK) != 0);
        agent_pod_volumes_free(&v);
        dh_err_free(e);
        pod_set_free(&s);
        test_rmtree(root);
}

/* The error agent_container_mounts gives for one volumeMount line. */
static char *mount_error(const char *root, const char *vm, const char *setup_link, const char *target)
{
        char yaml[1024];
        snprintf(yaml, sizeof yaml, "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers:\n"
                 "  - name: app\n    image: busybox\n    terminationMessagePath: \"\"\n    volumeMounts:\n"
                 "    - %s\n  volumes:\n  - name: site\n    emptyDir: {}\n", vm);
        struct pod_set s = load(yaml);
        struct pod *p = s.v[0].pod;
        free(p->spec.containers.v[0].terminationMessagePath);
        p->spec.containers.v[0].terminationMessagePath = NULL;
        struct agent_pod_volumes v = { 0 };
        struct dh_err *e = NULL;
        char *msg = NULL;
        CHECK_INT(agent_volumes_setup(root, p, NULL, &v, &e), 0);
        if (setup_link && v.n) {
                _cleanup_free_ char *l = cat(v.v[0].host_path, setup_link);
                CHECK_INT(symlink(target, l), 0);
        }
        struct rt_mount *m = NULL;
        size_t n = 0;
        struct agent_mount_ctx ctx = { 0 };
        if (agent_container_mounts(&v, p, &p->spec.containers.v[0], &ctx, &m, &n, &e) < 0)
                msg = strdup(e ? e->msg : "(no error)");
        else
                agent_mounts_free(m, n);
        CHECK_INT(agent_volumes_teardown(root, UID, NULL), 0);
        agent_pod_volumes_free(&v);
        dh_err_free(e);
        pod_set_free(&s);
        return msg;
}

TEST(subpath_escapes_refused)
{
        char *root = test_mkdtemp("vol");
        char *m = mount_error(root, "{name: site, mountPath: /x, subPath: ../../etc}", NULL, NULL);
        CHECK_STR(m, "container \"app\": volumeMount \"/x\": unable to provision SubPath `../../etc`: "
                     "must not contain '..'");
        free(m);
        m = mount_error(root, "{name: site, mountPath: /x, subPath: /etc}", NULL, NULL);
        CHECK_STR(m, "container \"app\": volumeMount \"/x\": error SubPath `/etc` must not be an absolute path");
        free(m);
        m = mount_error(root, "{name: site, mountPath: /x, subPath: esc}", "esc", "/etc");
        CHECK_STR(m, "container \"app\": volumeMount \"/x\": subPath \"esc\" is outside the volume "
                     "(a symlink or \"..\" leads out of it)");
        free(m);
        m = mount_error(root, "{name: site, mountPath: /x, subPath: esc/passwd}", "esc", "../../../../../../etc");
        CHECK_CONTAINS(m, "subPath \"esc/passwd\" is outside the volume");
        free(m);
        /* A new directory under an escaping link is refused too, not made outside. */
        m = mount_error(root, "{name: site, mountPath: /x, subPath: esc/new}", "esc", root);
        CHECK_CONTAINS(m, "is outside the volume");
        free(m);
        _cleanup_free_ char *outside = cat(root, "new");
        CHECK(access(outside, F_OK) != 0);
        /* A symlink that stays inside the volume is fine. */
        m = mount_error(root, "{name: site, mountPath: /x, subPath: in}", "in", ".");
        CHECK(m == NULL);
        free(m);
        m = mount_error(root, "{name: site, mountPath: /x, subPathExpr: \"$(NOPE)/a\"}", NULL, NULL);
        CHECK_STR(m, "container \"app\": volumeMount \"/x\": missing value for NOPE");
        free(m);
        m = mount_error(root, "{name: nosuch, mountPath: /x}", NULL, NULL);
        CHECK_CONTAINS(m, "cannot find volume \"nosuch\" to mount into container \"app\"");
        free(m);
        CHECK_INT(mounts_under(root), 0);
        test_rmtree(root);
}

TEST_MAIN()
