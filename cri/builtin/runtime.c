/* The built-in runtime's CRI ops: sandboxes are shims, containers are
 * plans sent to them; reads come from the state files the shims keep. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cri/builtin/plan-json.h"
#include "cri/builtin/runtime-internal.h"
#include "cri/builtin/security.h"
#include "cri/image/images.h"
#include "cri/json.h"
#include "lib/atomicfile.h"
#include "lib/base64.h"
#include "lib/cleanup.h"
#include "lib/fileio.h"
#include "lib/loop.h"

#define RT_ROOTFS_PREFIX "rootfs:"

static struct rtb *B(struct rt *rt)
{
        return (struct rtb *)rt;
}

static int builtin_version(struct rt *rt, struct rt_version *out, struct dh_err **err)
{
        (void)rt;
        *out = (struct rt_version){ strdup("0.1.0"), strdup("deckhand"), strdup(DH_VERSION), strdup("v1") };
        return out->version && out->runtime_name && out->runtime_version && out->runtime_api_version
                       ? 0 : dh_err_set(err, ENOMEM, "out of memory");
}

static int builtin_status(struct rt *rt, struct rt_status *out, struct dh_err **err)
{
        struct rtb *b = B(rt);
        bool ok = access(b->layout.state_dir, W_OK) == 0 && access(b->layout.shim_path, X_OK) == 0;
        out->runtime_ready = (struct rt_condition){
                .type = strdup("RuntimeReady"), .status = ok,
                .reason = ok ? NULL : strdup("RuntimeNotReady"),
                .message = ok ? NULL : strdup("state dir not writable or deckhand-shim missing"),
        };
        out->network_ready = (struct rt_condition){
                .type = strdup("NetworkReady"), .status = true,
                .message = strdup("pods get loopback only: no CNI network is configured"),
        };
        (void)err;
        return 0;
}

/* --- sandboxes --- */
static int write_sandbox_config(struct rtb *b, const char *sid, const struct rt_sandbox_config *cfg,
                                struct dh_err **err)
{
        _cleanup_free_ char *dir = rt_sandbox_dir(&b->layout, sid);
        _cleanup_free_ char *cdir = rt_sandbox_file(&b->layout, sid, "containers");
        _cleanup_free_ char *path = rt_sandbox_file(&b->layout, sid, "config.json");
        json_t *j = rt_sandbox_config_to_json(cfg);
        _cleanup_free_ char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
        json_decref(j);
        if (!dir || !cdir || !path || !text)
                return dh_err_set(err, ENOMEM, "out of memory");
        int r = dh_mkdir_p(cdir, 0700, err);
        return r < 0 ? r : dh_write_file_atomic_path(path, text, strlen(text), 0600, err);
}

/* The sandbox's creation lock: an exclusive flock on its config.json,
 * held from writing it until the shim reported ready (it writes
 * sandbox.json before that). A config.json with no sandbox.json that
 * nobody holds locked is a creation cut short (the creator was killed):
 * the list reaps it. Returns the locked fd, or -1. */
static int lock_creation(struct rtb *b, const char *sid, bool wait)
{
        _cleanup_free_ char *path = rt_sandbox_file(&b->layout, sid, "config.json");
        int fd = path ? open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW) : -1;
        if (fd >= 0 && flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) < 0) {
                close(fd);
                fd = -1;
        }
        return fd;
}

/* A creation cut short: nobody holds its lock, and still no sandbox.json
 * (checked under the lock). Everything it may have made goes. */
static void reap_abandoned_creation(struct rtb *b, const char *sid)
{
        _cleanup_close_ int lock = lock_creation(b, sid, false);
        _cleanup_free_ char *status = rt_sandbox_file(&b->layout, sid, "sandbox.json");
        struct stat st;
        if (lock < 0 || !status || lstat(status, &st) == 0 || errno != ENOENT)
                return;
        rtb_cleanup_sandbox(b, sid, 0, NULL);
}

static int builtin_run_pod_sandbox(struct rt *rt, const struct rt_sandbox_config *cfg,
                                   const char *handler, char **id_out, struct dh_err **err)
{
        struct rtb *b = B(rt);
        (void)handler;
        char sid[RT_ID_LEN + 1];
        pid_t shim = 0;
        int r = rt_new_id(sid, err);
        if (r == 0)
                r = write_sandbox_config(b, sid, cfg, err);
        _cleanup_close_ int lock = r == 0 ? lock_creation(b, sid, true) : -1;
        if (r == 0)
                r = rtb_spawn_shim(b, sid, &shim, err);
        if (r < 0) {
                rtb_cleanup_sandbox(b, sid, shim, NULL);
                return dh_err_prefix(err, "run pod sandbox \"%s\"",
                                     cfg->metadata.name ? cfg->metadata.name : "");
        }
        *id_out = strdup(sid);
        return *id_out ? 0 : dh_err_set(err, ENOMEM, "out of memory");
}

static int builtin_stop_pod_sandbox(struct rt *rt, const char *id, struct dh_err **err)
{
        struct rtb *b = B(rt);
        _cleanup_free_ char *sid = NULL;
        struct rt_sandbox_status st = { 0 };
        int r = rtb_find_sandbox(b, id, &sid, err);
        if (r == 0)
                r = rtb_read_sandbox(b, sid, &st, NULL, err);
        if (r == 0 && rtb_shim_alive(st.shim_pid))
                r = rtb_call(b, sid, json_pack("{ss}", "op", "stop_sandbox"), NULL, 0, 0, NULL, err);
        rt_sandbox_status_free(&st);
        return r;
}

static int builtin_remove_pod_sandbox(struct rt *rt, const char *id, struct dh_err **err)
{
        struct rtb *b = B(rt);
        _cleanup_free_ char *sid = NULL;
        struct rt_sandbox_status st = { 0 };
        if (rtb_find_sandbox(b, id, &sid, NULL) < 0)
                return 0; /* CRI: removing a missing sandbox succeeds */
        bool alive = rtb_read_sandbox(b, sid, &st, NULL, NULL) == 0 && rtb_shim_alive(st.shim_pid);
        /* A live shim removes everything itself; otherwise we do, from what
         * it left on disk. */
        int r = alive ? rtb_call(b, sid, json_pack("{ss}", "op", "remove_sandbox"), NULL, 0, 0, NULL, err)
                      : rtb_cleanup_sandbox(b, sid, st.shim_pid, err);
        rt_sandbox_status_free(&st);
        return r;
}

static int builtin_pod_sandbox_status(struct rt *rt, const char *id, struct rt_sandbox_status *out,
                                      struct dh_err **err)
{
        struct rtb *b = B(rt);
        _cleanup_free_ char *sid = NULL;
        int r = rtb_find_sandbox(b, id, &sid, err);
        return r < 0 ? r : rtb_read_sandbox(b, sid, out, NULL, err);
}

static bool labels_match(const struct rt_kvs *have, const struct rt_kvs *want)
{
        for (size_t i = 0; i < want->n; i++) {
                bool found = false;
                for (size_t j = 0; j < have->n && !found; j++)
                        found = strcmp(have->v[j].key, want->v[i].key) == 0 &&
                                strcmp(have->v[j].value ? have->v[j].value : "",
                                       want->v[i].value ? want->v[i].value : "") == 0;
                if (!found)
                        return false;
        }
        return true;
}

struct list_sb {
        struct rtb *b;
        const struct rt_sandbox_filter *f;
        struct rt_sandbox_list *out;
};

const struct rtb_sandbox_labels *rtb_sandbox_cached(const struct rtb *b, const char *sid)
{
        for (size_t i = 0; i < b->n_sb_labels; i++)
                if (strcmp(b->sb_labels[i].sid, sid) == 0)
                        return &b->sb_labels[i];
        return NULL;
}

static const struct rt_kvs *cached_labels(const struct rtb *b, const char *sid)
{
        const struct rtb_sandbox_labels *e = rtb_sandbox_cached(b, sid);
        return e ? &e->labels : NULL;
}

static void sandbox_labels_clear(struct rtb *b)
{
        for (size_t i = 0; i < b->n_sb_labels; i++) {
                free(b->sb_labels[i].sid);
                rt_kvs_free(&b->sb_labels[i].labels);
                if (b->sb_labels[i].shim_pidfd >= 0)
                        close(b->sb_labels[i].shim_pidfd);
        }
        free(b->sb_labels);
        b->sb_labels = NULL;
        b->n_sb_labels = 0;
        b->n_shim_pidfds = 0;
}

/* Remembers a sandbox's labels (best effort: a failure only costs a read
 * later). Full: starts over, dropping the ids of sandboxes long gone. */
static void cache_labels(struct rtb *b, const char *sid, const struct rt_kvs *labels, int shim_pid)
{
        struct rtb_sandbox_labels *known = (struct rtb_sandbox_labels *)rtb_sandbox_cached(b, sid);
        if (known) {
                if (!known->shim_pid)
                        known->shim_pid = shim_pid;
                return;
        }
        if (b->n_sb_labels >= RTB_SANDBOX_LABELS_MAX)
                sandbox_labels_clear(b);
        struct rtb_sandbox_labels *v = realloc(b->sb_labels, (b->n_sb_labels + 1) * sizeof *v);
        if (!v)
                return;
        b->sb_labels = v;
        struct rtb_sandbox_labels *e = &v[b->n_sb_labels];
        *e = (struct rtb_sandbox_labels){ .sid = strdup(sid), .shim_pid = shim_pid, .shim_pidfd = -1 };
        if (!e->sid || rt_kvs_copy(&e->labels, labels) < 0) {
                free(e->sid);
                return;
        }
        b->n_sb_labels++;
}

static int list_one_sandbox(const char *sid, void *ud)
{
        struct list_sb *l = ud;
        struct rt_sandbox_status st = { 0 };
        if (l->f && l->f->id && strncmp(sid, l->f->id, strlen(l->f->id)) != 0)
                return 0;
        const struct rt_kvs *known = l->f && l->f->label_selector.n ? cached_labels(l->b, sid) : NULL;
        if (known && !labels_match(known, &l->f->label_selector))
                return 0;
        if (rtb_read_sandbox(l->b, sid, &st, NULL, NULL) < 0) {
                reap_abandoned_creation(l->b, sid);
                return 0; /* being created or removed: not listed */
        }
        cache_labels(l->b, sid, &st.labels, st.shim_pid);
        bool keep = !l->f || ((!l->f->has_state || st.state == l->f->state) &&
                              labels_match(&st.labels, &l->f->label_selector));
        struct rt_sandbox_status *v = keep ? realloc(l->out->v, (l->out->n + 1) * sizeof *v) : NULL;
        if (!v) {
                rt_sandbox_status_free(&st);
                return keep ? -ENOMEM : 0;
        }
        l->out->v = v;
        v[l->out->n++] = st;
        return 0;
}

static int builtin_list_pod_sandbox(struct rt *rt, const struct rt_sandbox_filter *f,
                                    struct rt_sandbox_list *out, struct dh_err **err)
{
        struct rtb *b = B(rt);
        _cleanup_free_ char *dir = NULL;
        if (asprintf(&dir, "%s/sandboxes", b->layout.state_dir) < 0)
                return dh_err_set(err, ENOMEM, "out of memory");
        struct list_sb l = { b, f, out };
        *out = (struct rt_sandbox_list){ 0 };
        int r = rtb_scan_ids(dir, NULL, list_one_sandbox, &l, err);
        return r == -ENOMEM ? dh_err_set(err, ENOMEM, "out of memory") : r;
}

/* --- containers --- */
/* The container's root filesystem: a "rootfs:/dir" directory, or an
 * image from the store (its layers and config). *image_ref gets what
 * ContainerStatus reports as image_ref. */
static int image_for(struct rtb *b, const char *image, struct img_rootfs *fs,
                     struct rt_plan_context *ctx, char **image_ref, struct dh_err **err)
{
        if (!image || !*image)
                return dh_err_set(err, EINVAL, "image: Required value");
        if (strncmp(image, RT_ROOTFS_PREFIX, strlen(RT_ROOTFS_PREFIX)) == 0) {
                const char *rootfs = image + strlen(RT_ROOTFS_PREFIX);
                if (rootfs[0] != '/')
                        return dh_err_set(err, EINVAL, "image \"%s\": the rootfs directory must be absolute", image);
                ctx->rootfs_dir = rootfs;
                *image_ref = strdup(image);
                return *image_ref ? 0 : dh_err_set(err, ENOMEM, "out of memory");
        }
        struct img_service *s;
        int r = rtb_images(b, &s, err);
        if (r == 0)
                r = img_service_rootfs(s, image, fs, err);
        if (r < 0)
                return r;
        ctx->image_layers = &fs->lower_dirs;
        img_config_plan_context(&fs->config, ctx);
        struct dh_err *e = NULL;
        if (img_service_touch(s, fs->image_id, &e) < 0)
                dh_err_free(e); /* only GC ordering suffers */
        *image_ref = strdup(fs->image_id);
        return *image_ref ? 0 : dh_err_set(err, ENOMEM, "out of memory");
}

static int plan_for(struct rtb *b, const char *sid, const char *cid,
                    const struct rt_container_config *cfg, const struct rt_sandbox_config *scfg,
                    struct rt_container_plan *plan, char **image_ref, struct dh_err **err)
{
        _cleanup_free_ char *cdir = rt_container_dir(&b->layout, cid);
        _cleanup_free_ char *sdir = rt_sandbox_dir(&b->layout, sid);
        if (!cdir || !sdir)
                return dh_err_set(err, ENOMEM, "out of memory");
        const struct rt_namespace_options *ns = &scfg->linux_cfg.security_context.namespace_options;
        struct rt_plan_context ctx = {
                .container_id = cid, .sandbox_id = sid, .container_dir = cdir, .sandbox_dir = sdir,
                .log_dir = scfg->log_directory,
                .pod_pid_ns = ns->pid == RT_NS_POD, .host_pid = ns->pid == RT_NS_NODE,
                .host_ipc = ns->ipc == RT_NS_NODE, .host_network = ns->network == RT_NS_NODE,
                .hostname = scfg->hostname,
        };
        struct img_rootfs fs = { 0 };
        _cleanup_free_ struct rt_host_device *devs = NULL;
        int r = rt_host_devices_lookup(cfg, &devs, &ctx.n_host_devices, err);
        ctx.host_devices = devs;
        if (r == 0)
                r = image_for(b, cfg->image.image, &fs, &ctx, image_ref, err);
        if (r == 0)
                r = rt_plan_build(cfg, scfg, &ctx, plan, err);
        img_rootfs_free(&fs);
        return r;
}

static int builtin_create_container(struct rt *rt, const char *sandbox_id,
                                    const struct rt_container_config *cfg,
                                    const struct rt_sandbox_config *scfg_in, char **id_out,
                                    struct dh_err **err)
{
        struct rtb *b = B(rt);
        _cleanup_free_ char *sid = NULL;
        struct rt_sandbox_status sst = { 0 };
        struct rt_sandbox_config scfg = { 0 };
        struct rt_container_plan plan = { 0 };
        json_t *scfg_json = NULL;
        _cleanup_free_ char *image_ref = NULL;
        char cid[RT_ID_LEN + 1];
        int r = rtb_find_sandbox(b, sandbox_id, &sid, err);
        if (r == 0)
                r = rtb_read_sandbox(b, sid, &sst, &scfg_json, err);
        if (r == 0 && sst.state != RT_SANDBOX_READY)
                r = dh_err_set(err, EINVAL, "pod sandbox %.12s is not ready", sid);
        /* The runtime's own record of the sandbox config is authoritative;
         * the caller's copy is only used when the record lacks one. */
        if (r == 0)
                r = scfg_json ? rt_sandbox_config_from_json(scfg_json, &scfg, err) : 0;
        const struct rt_sandbox_config *use = scfg_json ? &scfg : scfg_in;
        if (r == 0 && !use)
                r = dh_err_set(err, EINVAL, "no sandbox config");
        if (r == 0)
                r = rt_new_id(cid, err);
        if (r == 0)
                r = plan_for(b, sid, cid, cfg, use, &plan, &image_ref, err);
        if (r == 0)
                r = rt_security_attach_bpf(&plan, err);
        if (r == 0) {
                json_t *req = json_pack("{sssssososs}", "op", "create", "id", cid, "plan",
                                        rt_plan_to_json(&plan), "config", rt_container_config_to_json(cfg),
                                        "image_ref", image_ref);
                r = rtb_call(b, sid, req, NULL, 0, 0, NULL, err);
        }
        rt_plan_free(&plan);
        rt_sandbox_config_free(&scfg);
        rt_sandbox_status_free(&sst);
        json_decref(scfg_json);
        if (r < 0)
                return dh_err_prefix(err, "create container \"%s\"", cfg->metadata.name ? cfg->metadata.name : "");
        *id_out = strdup(cid);
        return *id_out ? 0 : dh_err_set(err, ENOMEM, "out of memory");
}

/* Sends {"op": op, "id": cid, ...extra} to the container's shim. */
static int container_call(struct rtb *b, const char *id, const char *op, json_t *extra,
                          int64_t extra_timeout_s, json_t **reply, struct dh_err **err)
{
        _cleanup_free_ char *sid = NULL, *cid = NULL;
        int r = rtb_find_container(b, id, &sid, &cid, err);
        if (r < 0) {
                json_decref(extra);
                return r;
        }
        json_t *req = extra ? extra : json_object();
        json_object_set_new(req, "op", json_string(op));
        json_object_set_new(req, "id", json_string(cid));
        return rtb_call(b, sid, req, NULL, 0, extra_timeout_s, reply, err);
}

static int builtin_start_container(struct rt *rt, const char *id, struct dh_err **err)
{
        return container_call(B(rt), id, "start", NULL, 0, NULL, err);
}

static int builtin_stop_container(struct rt *rt, const char *id, int64_t timeout_s, struct dh_err **err)
{
        return container_call(B(rt), id, "stop", json_pack("{sI}", "timeout", (json_int_t)timeout_s),
                              timeout_s, NULL, err);
}

static int builtin_remove_container(struct rt *rt, const char *id, struct dh_err **err)
{
        _cleanup_free_ char *sid = NULL, *cid = NULL;
        if (rtb_find_container(B(rt), id, &sid, &cid, NULL) < 0)
                return 0; /* CRI: removing a missing container succeeds */
        return container_call(B(rt), cid, "remove", NULL, 0, NULL, err);
}

static int builtin_reopen_container_log(struct rt *rt, const char *id, struct dh_err **err)
{
        return container_call(B(rt), id, "reopen_log", NULL, 0, NULL, err);
}

static int builtin_container_status(struct rt *rt, const char *id, struct rt_container_status *out,
                                    struct dh_err **err)
{
        struct rtb *b = B(rt);
        _cleanup_free_ char *sid = NULL, *cid = NULL;
        int r = rtb_find_container(b, id, &sid, &cid, err);
        return r < 0 ? r : rtb_read_container(b, sid, cid, out, NULL, err);
}

struct list_ctr {
        struct rtb *b;
        const struct rt_container_filter *f;
        struct rt_container_list *out;
        const char *sid;
};

static int list_one_container(const char *cid, void *ud)
{
        struct list_ctr *l = ud;
        struct rt_container_status st = { 0 };
        if (l->f && l->f->id && strncmp(cid, l->f->id, strlen(l->f->id)) != 0)
                return 0;
        if (rtb_read_container(l->b, l->sid, cid, &st, NULL, NULL) < 0)
                return 0;
        bool keep = !l->f || ((!l->f->has_state || st.state == l->f->state) &&
                              labels_match(&st.labels, &l->f->label_selector));
        struct rt_container_status *v = keep ? realloc(l->out->v, (l->out->n + 1) * sizeof *v) : NULL;
        if (!v) {
                rt_container_status_free(&st);
                return keep ? -ENOMEM : 0;
        }
        l->out->v = v;
        v[l->out->n++] = st;
        return 0;
}

static int list_sandbox_containers(const char *sid, void *ud)
{
        struct list_ctr *l = ud;
        if (l->f && l->f->pod_sandbox_id && strncmp(sid, l->f->pod_sandbox_id, strlen(l->f->pod_sandbox_id)) != 0)
                return 0;
        _cleanup_free_ char *dir = rt_sandbox_file(&l->b->layout, sid, "containers");
        l->sid = sid;
        return dir ? rtb_scan_ids(dir, ".json", list_one_container, l, NULL) : -ENOMEM;
}

static int builtin_list_containers(struct rt *rt, const struct rt_container_filter *f,
                                   struct rt_container_list *out, struct dh_err **err)
{
        struct rtb *b = B(rt);
        _cleanup_free_ char *dir = NULL;
        if (asprintf(&dir, "%s/sandboxes", b->layout.state_dir) < 0)
                return dh_err_set(err, ENOMEM, "out of memory");
        struct list_ctr l = { b, f, out, NULL };
        *out = (struct rt_container_list){ 0 };
        int r = rtb_scan_ids(dir, NULL, list_sandbox_containers, &l, err);
        return r == -ENOMEM ? dh_err_set(err, ENOMEM, "out of memory") : r;
}

static json_t *cmd_json(const struct dh_strv *cmd)
{
        json_t *a = json_array();
        for (size_t i = 0; a && i < cmd->n; i++)
                json_array_append_new(a, json_string(cmd->v[i]));
        return a;
}

static int builtin_exec_sync(struct rt *rt, const char *id, const struct dh_strv *cmd,
                             int64_t timeout_s, size_t max_output, struct rt_exec_sync_result *out,
                             struct dh_err **err)
{
        json_t *reply = NULL;
        json_t *req = json_pack("{sosIsI}", "cmd", cmd_json(cmd), "timeout", (json_int_t)timeout_s,
                                "max_output", (json_int_t)max_output);
        int r = container_call(B(rt), id, "exec", req, timeout_s, &reply, err);
        if (r < 0)
                return r;
        json_t *o = json_object_get(reply, "stdout"), *e = json_object_get(reply, "stderr");
        unsigned char *ob = NULL, *eb = NULL;
        size_t ol = 0, el = 0;
        r = dh_base64_decode(json_string_value(o) ? json_string_value(o) : "", json_string_length(o), &ob, &ol, err);
        if (r == 0)
                r = dh_base64_decode(json_string_value(e) ? json_string_value(e) : "", json_string_length(e), &eb, &el, err);
        if (r < 0) {
                free(ob);
                json_decref(reply);
                return dh_err_prefix(err, "exec output");
        }
        *out = (struct rt_exec_sync_result){
                .stdout_buf = (char *)ob, .stderr_buf = (char *)eb, .stdout_len = ol, .stderr_len = el,
                .stdout_truncated = json_is_true(json_object_get(reply, "stdout_truncated")),
                .stderr_truncated = json_is_true(json_object_get(reply, "stderr_truncated")),
                .timed_out = json_is_true(json_object_get(reply, "timed_out")),
                .exit_code = (int32_t)json_integer_value(json_object_get(reply, "exit_code")),
        };
        json_decref(reply);
        return out->stdout_buf && out->stderr_buf ? 0 : dh_err_set(err, ENOMEM, "out of memory");
}

static int builtin_exec(struct rt *rt, const struct rt_exec_request *q, int32_t *exit_code,
                        struct dh_err **err)
{
        struct rtb *b = B(rt);
        _cleanup_free_ char *sid = NULL, *cid = NULL;
        int r = rtb_find_container(b, q->container_id, &sid, &cid, err);
        if (r < 0)
                return r;
        int fds[3] = { q->stdin_fd, q->stdout_fd, q->stderr_fd };
        json_t *reply = NULL;
        json_t *req = json_pack("{sssssosIsbsisi}", "op", "exec", "id", cid, "cmd", cmd_json(&q->cmd),
                                "timeout", (json_int_t)0, "tty", q->tty, "rows", (int)q->rows,
                                "cols", (int)q->cols);
        r = rtb_call(b, sid, req, fds, 3, 86400, &reply, err);
        if (r == 0)
                *exit_code = (int32_t)json_integer_value(json_object_get(reply, "exit_code"));
        json_decref(reply);
        return r;
}

static int container_cgroup(struct rtb *b, const char *id, char **cid_out, char **name_out,
                            char **cgroup_out, struct dh_err **err)
{
        _cleanup_free_ char *sid = NULL;
        struct rt_container_status st = { 0 };
        json_t *plan = NULL;
        int r = rtb_find_container(b, id, &sid, cid_out, err);
        if (r == 0)
                r = rtb_read_container(b, sid, *cid_out, &st, &plan, err);
        const char *cg = json_string_value(json_object_get(plan, "cgroup_path"));
        if (r == 0 && !cg)
                r = dh_err_set(err, EINVAL, "container %.12s has no cgroup", *cid_out);
        if (r == 0) {
                *cgroup_out = strdup(cg);
                *name_out = strdup(st.metadata.name ? st.metadata.name : "");
        }
        json_decref(plan);
        rt_container_status_free(&st);
        return r;
}

static void fill_stats(struct rt_container_stats *out, const struct cg_stats *s)
{
        out->timestamp = dh_realtime_ns();
        out->cpu_usage_core_nano_seconds = s->cpu_usage_ns;
        out->memory_working_set_bytes = s->memory_working_set;
        out->memory_usage_bytes = s->memory_usage;
        out->memory_rss_bytes = s->memory_rss;
        out->memory_page_faults = s->memory_page_faults;
        out->memory_major_page_faults = s->memory_major_page_faults;
        out->process_count = s->pids_current;
}

static int builtin_container_stats(struct rt *rt, const char *id, struct rt_container_stats *out,
                                   struct dh_err **err)
{
        struct rtb *b = B(rt);
        _cleanup_free_ char *cg = NULL;
        struct cg_stats s = { 0 };
        *out = (struct rt_container_stats){ 0 };
        int r = container_cgroup(b, id, &out->id, &out->name, &cg, err);
        if (r == 0 && cg_exists(b->cg, cg))
                r = cg_stats(b->cg, cg, &s, err);
        if (r < 0) {
                rt_container_stats_free(out);
                return r;
        }
        fill_stats(out, &s);
        return 0;
}

static int builtin_list_container_stats(struct rt *rt, const struct rt_container_filter *f,
                                        struct rt_container_stats_list *out, struct dh_err **err)
{
        struct rt_container_list l = { 0 };
        int r = builtin_list_containers(rt, f, &l, err);
        *out = (struct rt_container_stats_list){ 0 };
        if (r == 0 && l.n && !(out->v = calloc(l.n, sizeof *out->v)))
                r = dh_err_set(err, ENOMEM, "out of memory");
        for (size_t i = 0; r == 0 && i < l.n; i++)
                if (builtin_container_stats(rt, l.v[i].id, &out->v[out->n], NULL) == 0)
                        out->n++;
        rt_container_list_free(&l);
        return r;
}

static int builtin_pod_sandbox_stats(struct rt *rt, const char *id, struct rt_sandbox_stats *out,
                                     struct dh_err **err)
{
        struct rtb *b = B(rt);
        _cleanup_free_ char *sid = NULL;
        json_t *cfg = NULL;
        struct rt_sandbox_status st = { 0 };
        *out = (struct rt_sandbox_stats){ 0 };
        int r = rtb_find_sandbox(b, id, &sid, err);
        if (r == 0)
                r = rtb_read_sandbox(b, sid, &st, &cfg, err);
        const char *parent = json_string_value(json_object_get(json_object_get(cfg, "linux"), "cgroup_parent"));
        while (parent && *parent == '/')
                parent++;
        _cleanup_free_ char *cg = NULL;
        if (r == 0 && asprintf(&cg, "%s", parent && *parent ? parent : "") >= 0 && !*cg) {
                free(cg);
                if (asprintf(&cg, "deckhand/%s", sid) < 0)
                        cg = NULL;
        }
        struct cg_stats s = { 0 };
        if (r == 0 && cg && cg_exists(b->cg, cg))
                r = cg_stats(b->cg, cg, &s, err);
        struct rt_container_filter f = { .pod_sandbox_id = sid };
        if (r == 0)
                r = builtin_list_container_stats(rt, &f, &out->containers, err);
        if (r == 0) {
                out->id = strdup(sid);
                out->timestamp = dh_realtime_ns();
                out->cpu_usage_core_nano_seconds = s.cpu_usage_ns;
                out->memory_working_set_bytes = s.memory_working_set;
                out->memory_usage_bytes = s.memory_usage;
                out->process_count = s.pids_current;
        }
        json_decref(cfg);
        rt_sandbox_status_free(&st);
        return r;
}

static int builtin_update_container_resources(struct rt *rt, const char *id,
                                              const struct rt_linux_resources *res, struct dh_err **err)
{
        struct rtb *b = B(rt);
        _cleanup_free_ char *cid = NULL, *name = NULL, *cg = NULL;
        int r = container_cgroup(b, id, &cid, &name, &cg, err);
        struct cg_resources c = {
                .cpu_shares = res->cpu_shares > 0 ? (uint64_t)res->cpu_shares : 0,
                .cpu_quota_us = res->cpu_quota > 0 ? res->cpu_quota : 0,
                .cpu_period_us = res->cpu_period > 0 ? (uint64_t)res->cpu_period : 0,
                .memory_limit = res->memory_limit_in_bytes > 0 ? res->memory_limit_in_bytes : 0,
                .pids_limit = res->pids_limit,
        };
        return r < 0 ? r : cg_apply(b->cg, cg, &c, err);
}

static void builtin_close(struct rt *rt)
{
        struct rtb *b = B(rt);
        sandbox_labels_clear(b);
        rtb_watch_close(b);
        rtb_images_close(b);
        free(b->images_dir);
        free(b->credentials_file);
        cg_layout_free(b->cg);
        free(b->layout.state_dir);
        free(b->layout.root_dir);
        free(b->layout.shim_path);
        free(b);
}

static const struct rt_ops builtin_ops = {
        .name = "deckhand",
        .close = builtin_close,
        .version = builtin_version,
        .status = builtin_status,
        .run_pod_sandbox = builtin_run_pod_sandbox,
        .stop_pod_sandbox = builtin_stop_pod_sandbox,
        .remove_pod_sandbox = builtin_remove_pod_sandbox,
        .pod_sandbox_status = builtin_pod_sandbox_status,
        .list_pod_sandbox = builtin_list_pod_sandbox,
        .state_token = rtb_state_token,
        .create_container = builtin_create_container,
        .start_container = builtin_start_container,
        .stop_container = builtin_stop_container,
        .remove_container = builtin_remove_container,
        .list_containers = builtin_list_containers,
        .container_status = builtin_container_status,
        .update_container_resources = builtin_update_container_resources,
        .exec_sync = builtin_exec_sync,
        .exec = builtin_exec,
        .reopen_container_log = builtin_reopen_container_log,
        .container_stats = builtin_container_stats,
        .list_container_stats = builtin_list_container_stats,
        .pod_sandbox_stats = builtin_pod_sandbox_stats,
        .pull_image = rtb_pull_image,
        .list_images = rtb_list_images,
        .image_status = rtb_image_status,
        .remove_image = rtb_remove_image,
        .image_fs_info = rtb_image_fs_info,
        .prune_images = rtb_prune_images,
};

int rt_builtin_open(const struct rt_builtin_options *o, struct rt **out, struct dh_err **err)
{
        struct rtb *b = calloc(1, sizeof *b);
        if (!b)
                return dh_err_set(err, ENOMEM, "out of memory");
        b->rt.ops = &builtin_ops;
        b->watch.fd = -1;
        b->layout.state_dir = strdup(o && o->state_dir ? o->state_dir : RT_DEFAULT_STATE_DIR);
        b->layout.root_dir = strdup(o && o->root_dir ? o->root_dir : RT_DEFAULT_ROOT_DIR);
        b->layout.shim_path = o && o->shim_path ? strdup(o->shim_path) : dh_exe_sibling("deckhand-shim");
        if (o && o->images_dir)
                b->images_dir = strdup(o->images_dir);
        else if (b->layout.root_dir && asprintf(&b->images_dir, "%s/images", b->layout.root_dir) < 0)
                b->images_dir = NULL;
        if (o && o->credentials_file)
                b->credentials_file = strdup(o->credentials_file);
        if (o) {
                b->loop = o->loop;
                b->registries = o->registries;
                b->pull_progress = o->pull_progress;
                b->pull_progress_ud = o->pull_progress_ud;
        }
        int r = b->layout.state_dir && b->layout.root_dir && b->layout.shim_path && b->images_dir &&
                                (!o || !o->credentials_file || b->credentials_file)
                        ? 0 : dh_err_set(err, ENOMEM, "out of memory");
        if (r == 0)
                r = cg_detect(NULL, NULL, &b->cg, err);
        if (r < 0) {
                builtin_close(&b->rt);
                return r;
        }
        *out = &b->rt;
        return 0;
}
