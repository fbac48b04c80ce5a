/* Starting one container as the kubelet's startContainer does: make sure
 * the image is there (the image manager's decision, pulling from the
 * loop when needed), build the config with the volume mounts, create and
 * start it. A failure becomes the container's waiting reason. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/imagepull.h"
#include "agent/podmgr-internal.h"
#include "lib/atomicfile.h"
#include "lib/cleanup.h"
#include "lib/log.h"
#include "lib/parse.h"

int pm_sandbox_config(struct agent_podmgr *m, struct pm_pod *p, uint32_t attempt,
                      struct rt_sandbox_config *out, struct dh_err **err)
{
        struct rt_sandbox_config c = { 0 };
        if (agent_sandbox_config(p->sp->pod, m->node, attempt, &c, err) < 0)
                return -1;
        /* cgroupRoot is where the kubelet's pod hierarchy starts. */
        const char *root = m->cgroup_root;
        while (*root == '/')
                root++;
        char *parent = NULL;
        if (*root && asprintf(&parent, "%s/%s", root, c.linux_cfg.cgroup_parent) < 0) {
                rt_sandbox_config_free(&c);
                return dh_err_set(err, ENOMEM, "out of memory");
        }
        if (parent) {
                free(c.linux_cfg.cgroup_parent);
                c.linux_cfg.cgroup_parent = parent;
        }
        *out = c;
        return 0;
}

static void fail(struct pm_pod *p, const char *name, const char *reason, const char *msg)
{
        log_errors(msg, "Container start failed in pod", "pod", p->obj, "podUID", p->uid, "containerName",
                   name, "reason", reason);
        if (pm_failure_set(p, name, reason, msg) < 0)
                log_errors("out of memory", "Failed to record a container's failure", "pod", p->obj, "podUID",
                           p->uid, "containerName", name);
        p->recheck = true;
}

struct pm_pull {
        struct pm_pull *next;
        struct agent_podmgr *m;
        char *uid, *name, *image;
        int64_t started_ns;
};

static void pull_ctx_free(struct pm_pull *c)
{
        free(c->uid);
        free(c->name);
        free(c->image);
        free(c);
}

static void pull_unlink(struct pm_pull *c)
{
        for (struct pm_pull **pp = &c->m->pulls; *pp; pp = &(*pp)->next)
                if (*pp == c) {
                        *pp = c->next;
                        return;
                }
}

void pm_pulls_free(struct agent_podmgr *m)
{
        while (m->pulls) {
                struct pm_pull *c = m->pulls;
                m->pulls = c->next;
                pull_ctx_free(c);
        }
}

static void pull_done(void *ud, const char *image_ref, const struct dh_err *perr)
{
        (void)image_ref;
        struct pm_pull *c = ud;
        struct pm_pod *p = pm_find(c->m, c->uid);
        int64_t now = dh_realtime_ns();
        struct agent_image_request req = { .pod_uid = c->uid, .image = c->image,
                                           .policy = AGENT_PULL_IF_NOT_PRESENT,
                                           .lookup = AGENT_IMAGE_ABSENT };
        struct agent_pull_result res = { .error = perr ? perr->msg : NULL,
                                         .pull_ns = now - c->started_ns,
                                         .total_ns = now - c->started_ns };
        struct agent_image_decision d = { 0 };
        _cleanup_err_ struct dh_err *err = NULL;
        if (agent_image_pull_done(&req, &res, &c->m->image_backoff, now, &d, &err) < 0)
                log_errors(err->msg, "Failed to record an image pull", "image", c->image);
        else if (p && d.action == AGENT_IMAGE_FAIL)
                fail(p, c->name, d.reason, d.message);
        else if (p) {
                char took[32];
                log_infos("Successfully pulled image", "pod", p->obj, "podUID", p->uid, "containerName",
                          c->name, "image", c->image, "duration",
                          dh_format_duration_ns(now - c->started_ns, took, sizeof took));
        }
        agent_image_decision_free(&d);
        if (p) {
                p->pulls--;
                pm_schedule(c->m, p);
        }
        pull_unlink(c);
        pull_ctx_free(c);
}

static void start_pull(struct agent_podmgr *m, struct pm_pod *p, const char *name,
                       const char *image, const char *ref)
{
        _cleanup_err_ struct dh_err *err = NULL;
        struct pm_pull *c = calloc(1, sizeof *c);
        if (!c || !(c->uid = strdup(p->uid)) || !(c->name = strdup(name)) ||
            !(c->image = strdup(image))) {
                if (c)
                        pull_ctx_free(c);
                fail(p, name, "ErrImagePull", "out of memory");
                return;
        }
        c->m = m;
        c->started_ns = dh_realtime_ns();
        struct rt_image_spec spec = { (char *)ref };
        log_infos("Pulling image", "pod", p->obj, "podUID", p->uid, "containerName", name, "image", ref);
        if (m->rt->ops->pull_image(m->rt, &spec, NULL, pull_done, c, &err) < 0) {
                fail(p, name, "ErrImagePull", err->msg);
                pull_ctx_free(c);
                return;
        }
        p->pulls++;
        c->next = m->pulls;
        m->pulls = c;
}

/* EnsureImageExists: true with the image's status in *img when it is
 * present; otherwise a pull is started or a failure recorded. */
static bool ensure_image(struct agent_podmgr *m, struct pm_pod *p, const struct pod_container *c,
                         struct rt_image *img)
{
        _cleanup_err_ struct dh_err *err = NULL;
        _cleanup_free_ char *ref = NULL;
        struct agent_image_request req = { .pod_uid = p->uid, .image = c->image };
        if (agent_pull_policy_parse(c->imagePullPolicy, c->image, &req.policy, &err) < 0) {
                fail(p, c->name, "InvalidImageName", err->msg);
                return false;
        }
        bool found = false;
        if (agent_image_default_tag(c->image, &ref, &err) < 0) {
                dh_err_clear(&err);
        } else {
                struct rt_image_spec spec = { ref };
                if (m->rt->ops->image_status(m->rt, &spec, img, &found, &err) < 0) {
                        req.lookup = AGENT_IMAGE_LOOKUP_FAILED;
                        req.lookup_error = err->msg;
                } else {
                        req.lookup = found ? AGENT_IMAGE_PRESENT : AGENT_IMAGE_ABSENT;
                }
        }
        struct agent_image_decision d = { 0 };
        _cleanup_err_ struct dh_err *derr = NULL;
        if (agent_image_decide(&req, &m->image_backoff, dh_realtime_ns(), &d, &derr) < 0) {
                fail(p, c->name, "ErrImagePull", derr->msg);
                d.action = AGENT_IMAGE_FAIL;
        } else if (d.action == AGENT_IMAGE_FAIL) {
                fail(p, c->name, d.reason, d.message);
        } else if (d.action == AGENT_IMAGE_PULL) {
                start_pull(m, p, c->name, c->image, d.pull_image);
        }
        bool use = d.action == AGENT_IMAGE_USE && found;
        agent_image_decision_free(&d);
        if (!use && found)
                rt_image_free(img);
        return use;
}

static int container_mounts(struct agent_podmgr *m, struct pm_pod *p,
                            const struct pod_container *c, const struct rt_sandbox_config *scfg,
                            const struct agent_container_extras *x, struct rt_mount **mounts,
                            size_t *n, struct dh_err **err)
{
        struct rt_kvs env = { 0 };
        if (agent_container_env(p->sp->pod, c, m->node, x, &env, err) < 0)
                return -1;
        struct agent_mount_ctx ctx = { .env = &env, .hostname = scfg->hostname };
        int r = agent_container_mounts(&p->vols, p->sp->pod, c, &ctx, mounts, n, err);
        rt_kvs_free(&env);
        return r;
}

/* The kubelet makes <pod log dir>/<container>/ before creating it. */
static int make_log_dir(const char *pod_dir, const char *log_path, struct dh_err **err)
{
        const char *slash = strrchr(log_path, '/');
        _cleanup_free_ char *dir = NULL;
        if (asprintf(&dir, "%s/%.*s", pod_dir, slash ? (int)(slash - log_path) : 0, log_path) < 0)
                return dh_err_set(err, ENOMEM, "out of memory");
        return dh_mkdir_p(dir, 0755, err);
}

/* Creates and starts the container; the reason on failure in *reason. */
static int create_start(struct agent_podmgr *m, struct pm_pod *p, const struct pod_container *c,
                        const struct agent_container_start *s, const char *sid,
                        const struct rt_sandbox_config *scfg, const struct rt_image *img,
                        const char **reason, char **out_id, struct dh_err **err)
{
        struct agent_container_extras x = { .image_ref = img->id, .image_uid = img->uid,
                                            .image_username = img->username };
        struct rt_mount *mounts = NULL;
        size_t n = 0;
        struct rt_container_config cfg = { 0 };
        _cleanup_free_ char *id = NULL;
        *reason = "CreateContainerConfigError";
        int r = container_mounts(m, p, c, scfg, &x, &mounts, &n, err);
        x.mounts = mounts;
        x.n_mounts = n;
        if (r == 0)
                r = agent_container_config(p->sp->pod, c, s->init, s->restart_count, m->node, &x,
                                           &cfg, err);
        if (r == 0)
                r = make_log_dir(scfg->log_directory, cfg.log_path, err);
        if (r == 0) {
                *reason = "CreateContainerError";
                r = m->rt->ops->create_container(m->rt, sid, &cfg, scfg, &id, err);
        }
        if (r == 0) {
                *reason = "RunContainerError";
                r = m->rt->ops->start_container(m->rt, id, err);
        }
        if (r == 0)
                *out_id = TAKE_PTR(id);
        rt_container_config_free(&cfg);
        agent_mounts_free(mounts, n);
        return r;
}

bool pm_start_container(struct agent_podmgr *m, struct pm_pod *p, const char *sandbox_id,
                        const struct rt_sandbox_config *scfg,
                        const struct agent_container_start *start, char **id)
{
        const struct pod_spec *spec = &p->sp->pod->spec;
        const struct pod_container *c =
                start->init ? &spec->initContainers.v[start->index] : &spec->containers.v[start->index];
        struct rt_image img = { 0 };
        if (!ensure_image(m, p, c, &img))
                return false;
        _cleanup_err_ struct dh_err *err = NULL;
        const char *reason = NULL;
        int r = create_start(m, p, c, start, sandbox_id, scfg, &img, &reason, id, &err);
        rt_image_free(&img);
        if (r < 0) {
                fail(p, c->name, reason, err->msg);
                return false;
        }
        pm_failure_clear(p, c->name);
        log_infos("Started container", "pod", p->obj, "podUID", p->uid, "containerName", c->name,
                  "containerID", *id, "restartCount", LOG_INT(start->restart_count));
        return true;
}
