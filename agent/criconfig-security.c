/* A container's Linux security context, after the kubelet's
 * determineEffectiveSecurityContext (security_context.go), the merge of
 * pkg/securitycontext (DetermineEffectiveSecurityContext, AddNoNewPrivileges,
 * ConvertToRuntimeMaskedPaths/ReadonlyPaths) and verifyRunAsNonRoot. */
#include <errno.h>
#include <string.h>

#include "agent/criconfig-internal.h"
#include "pod/pod.h"

/* securitycontext's DefaultProcMount lists (util.go); the kubelet also
 * masks each CPU's thermal_throttle directory it finds on the host, which
 * a pure function cannot look for. */
static const char *const default_masked[] = {
        "/proc/asound",       "/proc/acpi",        "/proc/interrupts", "/proc/kcore",
        "/proc/keys",         "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
        "/proc/sched_debug",  "/proc/scsi",        "/sys/firmware",    "/sys/devices/virtual/powercap",
};
static const char *const default_readonly[] = {
        "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

/* The fields of the merged v1.SecurityContext this layer reads. */
struct effective_sc {
        const struct pod_capabilities *caps;
        struct dh_opt_bool privileged, run_as_non_root, read_only_root, allow_escalation;
        struct dh_opt_i64 run_as_user, run_as_group;
        const char *proc_mount;
};

static void effective(const struct pod *pod, const struct pod_container *c, struct effective_sc *e)
{
        *e = (struct effective_sc){ 0 };
        const struct pod_pod_security_context *p = pod->spec.securityContext;
        if (p) {
                e->run_as_user = p->runAsUser;
                e->run_as_group = p->runAsGroup;
                e->run_as_non_root = p->runAsNonRoot;
        }
        const struct pod_security_context *s = c->securityContext;
        if (!s)
                return;
        e->caps = s->capabilities;
        e->privileged = s->privileged;
        if (s->runAsUser.set)
                e->run_as_user = s->runAsUser;
        if (s->runAsGroup.set)
                e->run_as_group = s->runAsGroup;
        if (s->runAsNonRoot.set)
                e->run_as_non_root = s->runAsNonRoot;
        e->read_only_root = s->readOnlyRootFilesystem;
        e->allow_escalation = s->allowPrivilegeEscalation;
        e->proc_mount = s->procMount;
}

/* format.Pod: "name_namespace(uid)". */
static int non_root_error(const struct pod *pod, const char *what, const char *user,
                          const struct pod_container *c, struct dh_err **err)
{
        const char *name = pod->metadata.name ? pod->metadata.name : "";
        const char *uid = pod->metadata.uid ? pod->metadata.uid : "";
        if (user)
                return dh_err_set(err, EINVAL, "container has runAsNonRoot and image has non-numeric user (%s), cannot verify user is non-root (pod: \"%s_%s(%s)\", container: %s)",
                                  user, name, pod_namespace(pod), uid, c->name);
        return dh_err_set(err, EINVAL, "%s (pod: \"%s_%s(%s)\", container: %s)", what, name,
                          pod_namespace(pod), uid, c->name);
}

static int verify_non_root(const struct pod *pod, const struct pod_container *c,
                           const struct effective_sc *e, const struct agent_container_extras *x,
                           struct dh_err **err)
{
        if (!e->run_as_non_root.v)
                return 0;
        if (e->run_as_user.set)
                return e->run_as_user.v == 0
                               ? non_root_error(pod, "container's runAsUser breaks non-root policy", NULL, c, err)
                               : 0;
        if (x->image_uid.set && x->image_uid.value == 0)
                return non_root_error(pod, "container has runAsNonRoot and image will run as root", NULL, c, err);
        if (!x->image_uid.set && x->image_username && *x->image_username)
                return non_root_error(pod, NULL, x->image_username, c, err);
        return 0;
}

static int push_all(struct dh_strv *v, const char *const *list, size_t n, struct dh_err **err)
{
        int r = 0;
        for (size_t i = 0; r == 0 && i < n; i++)
                r = cc_strv_push(v, list[i], err);
        return r;
}

static int capabilities(const struct pod_capabilities *caps, struct rt_capability *out,
                        struct dh_err **err)
{
        int r = 0;
        for (size_t i = 0; caps && r == 0 && i < caps->add.n; i++)
                r = cc_strv_push(&out->add_capabilities, caps->add.v[i], err);
        for (size_t i = 0; caps && r == 0 && i < caps->drop.n; i++)
                r = cc_strv_push(&out->drop_capabilities, caps->drop.v[i], err);
        return r;
}

int cc_security_context(const struct pod *pod, const struct pod_container *c,
                        const struct agent_node_info *node, const struct agent_container_extras *x,
                        struct rt_container_security_context *sc, struct dh_err **err)
{
        struct effective_sc e;
        effective(pod, c, &e);
        int r = verify_non_root(pod, c, &e, x, err);
        if (r < 0)
                return r;
        if ((r = capabilities(e.caps, &sc->capabilities, err)) < 0)
                return r;
        sc->privileged = e.privileged.v;
        sc->readonly_rootfs = e.read_only_root.v;
        /* AddNoNewPrivileges: only an explicit allowPrivilegeEscalation=false. */
        sc->no_new_privs = e.allow_escalation.set && !e.allow_escalation.v;
        sc->run_as_group = (struct rt_int64_value){ e.run_as_group.v, e.run_as_group.set };
        if (e.run_as_user.set) {
                sc->run_as_user = (struct rt_int64_value){ e.run_as_user.v, true };
        } else {
                sc->run_as_user = x->image_uid;
                if (x->image_username && *x->image_username &&
                    cc_dup(&sc->run_as_username, x->image_username, err) < 0)
                        return -ENOMEM;
        }
        const struct pod_pod_security_context *psc = pod->spec.securityContext;
        r = cc_seccomp_profile(c->securityContext ? c->securityContext->seccompProfile : NULL,
                               psc ? psc->seccompProfile : NULL, node, &sc->seccomp, err);
        if (r < 0)
                return r;
        sc->namespace_options = cc_namespaces_for_pod(pod);
        if ((r = cc_pod_groups(pod, &sc->supplemental_groups, err)) < 0)
                return r;
        /* procMount Unmasked asks for no masked and no read-only paths. */
        if (e.proc_mount && strcmp(e.proc_mount, "Unmasked") == 0)
                return 0;
        r = push_all(&sc->masked_paths, default_masked, sizeof default_masked / sizeof *default_masked, err);
        return r < 0 ? r
                     : push_all(&sc->readonly_paths, default_readonly,
                                sizeof default_readonly / sizeof *default_readonly, err);
}
