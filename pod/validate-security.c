/* Security settings: container and pod security contexts (user and group
 * IDs, procMount, seccomp and AppArmor profiles, privilege escalation,
 * sysctls, fsGroupChangePolicy), user-namespace restrictions (hostUsers)
 * and the per-OS rules of spec.os. */
#include <stdio.h>
#include <string.h>

#include "pod/validate-internal.h"

/* User and group IDs: 0..2^31-1, the range of the 1.33 baseline (newer
 * API servers accept up to 2^32-1). */
#define ID_RANGE_MSG "must be between 0 and 2147483647, inclusive"

static const char *const proc_mounts[] = { "Default", "Unmasked", NULL };
static const char *const profile_types[] = { "Localhost", "RuntimeDefault", "Unconfined", NULL };
static const char *const fs_group_policies[] = { "Always", "OnRootMismatch", NULL };
static const char *const supplemental_policies[] = { "Merge", "Strict", NULL };
static const char *const os_names[] = { "linux", "windows", NULL };

static void id(struct pod_vctx *c, const char *field, const struct dh_opt_i64 *v)
{
        if (v->set && (v->v < 0 || v->v > INT32_MAX))
                pod_v_invalid_int(c, field, v->v, ID_RANGE_MSG);
}

static bool host_users(const struct pod_spec *s)
{
        return !s->hostUsers.set || s->hostUsers.v;
}

/* validateSeccompProfileField. The whole profile, when it is the value,
 * prints as "{...}" (upstream prints a Go struct dump). */
static void seccomp(struct pod_vctx *c, const struct pod_seccomp_profile *sp)
{
        if (!sp)
                return;
        size_t m = dh_path_field(&c->path, "seccompProfile");
        const char *t = pod_v_s(sp->type);
        if (!*t)
                pod_v_required(c, "type", "type is required when seccompProfile is set");
        else if (!pod_v_in(t, profile_types))
                pod_v_not_supported(c, "type", t, profile_types);
        if (strcmp(t, "Localhost") == 0) {
                if (!sp->localhostProfile)
                        pod_v_required(c, "localhostProfile", "must be set when seccomp type is Localhost");
                else
                        pod_v_local_descending_path(c, "localhostProfile", sp->localhostProfile);
        } else if (sp->localhostProfile) {
                pod_v_invalid_raw(c, "localhostProfile", "{...}",
                                  "can only be set when seccomp type is Localhost");
        }
        dh_path_pop(&c->path, m);
}

static void apparmor_localhost(struct pod_vctx *c, const char *p)
{
        static const char required[] = "must be set when AppArmor type is Localhost";
        if (!p) {
                pod_v_required(c, "localhostProfile", required);
                return;
        }
        size_t n = strlen(p);
        if (n && (p[0] == ' ' || p[0] == '\t' || p[0] == '\n' || p[n - 1] == ' ' ||
                  p[n - 1] == '\t' || p[n - 1] == '\n'))
                pod_v_invalid(c, "localhostProfile", p, "must not be padded with whitespace");
        else if (!n)
                pod_v_required(c, "localhostProfile", required);
        if (n > 4095) {
                size_t m = dh_path_field(&c->path, "localhostProfile");
                dh_ferr_add(c->errs, DH_FERR_TOO_LONG, dh_path_str(&c->path), NULL,
                            "may not be more than 4095 bytes");
                dh_path_pop(&c->path, m);
        }
}

/* ValidateAppArmorProfileField. */
static void apparmor(struct pod_vctx *c, const struct pod_seccomp_profile *ap)
{
        if (!ap)
                return;
        size_t m = dh_path_field(&c->path, "appArmorProfile");
        const char *t = pod_v_s(ap->type);
        if (strcmp(t, "Localhost") == 0)
                apparmor_localhost(c, ap->localhostProfile);
        else if (!*t)
                pod_v_required(c, "type", "type is required when appArmorProfile is set");
        else if (!pod_v_in(t, profile_types))
                pod_v_not_supported(c, "type", t, profile_types);
        else if (ap->localhostProfile)
                pod_v_invalid(c, "localhostProfile", ap->localhostProfile,
                              "can only be set when AppArmor type is Localhost");
        dh_path_pop(&c->path, m);
}

static void privilege_escalation(struct pod_vctx *c, const struct pod_security_context *sc)
{
        if (!sc->allowPrivilegeEscalation.set || sc->allowPrivilegeEscalation.v)
                return;
        if (sc->privileged.set && sc->privileged.v)
                pod_v_invalid_raw(c, NULL, "{...}",
                                  "cannot set `allowPrivilegeEscalation` to false and `privileged` to true");
        for (size_t i = 0; sc->capabilities && i < sc->capabilities->add.n; i++)
                if (strcmp(pod_v_s(sc->capabilities->add.v[i]), "CAP_SYS_ADMIN") == 0)
                        pod_v_invalid_raw(c, NULL, "{...}",
                                          "cannot set `allowPrivilegeEscalation` to false and "
                                          "`capabilities.Add` CAP_SYS_ADMIN");
}

/* ValidateSecurityContext, at the container. Capability names are not
 * checked, as upstream does not: the runtime rejects unknown ones. */
void pod_validate_container_security(struct pod_vctx *c, const struct pod_security_context *sc)
{
        if (!sc)
                return;
        size_t m = dh_path_field(&c->path, "securityContext");
        id(c, "runAsUser", &sc->runAsUser);
        id(c, "runAsGroup", &sc->runAsGroup);
        if (sc->procMount) {
                if (!pod_v_in(sc->procMount, proc_mounts))
                        pod_v_not_supported(c, "procMount", sc->procMount, proc_mounts);
                if (host_users(&c->pod->spec) && strcmp(sc->procMount, "Unmasked") == 0)
                        pod_v_invalid(c, "procMount", sc->procMount,
                                      "`hostUsers` must be false to use `Unmasked`");
        }
        seccomp(c, sc->seccompProfile);
        privilege_escalation(c, sc);
        apparmor(c, sc->appArmorProfile);
        dh_path_pop(&c->path, m);
}

enum sysctl_ns { NS_UNKNOWN, NS_IPC, NS_NET, NS_UTS };

/* utilsysctl.GetNamespace, after NormalizeName's '.' <-> '/' swap. */
static enum sysctl_ns sysctl_namespace(const char *name)
{
        char n[256];
        snprintf(n, sizeof n, "%s", name);
        const char *dot = strchr(n, '.'), *slash = strchr(n, '/');
        if (slash && slash != n && (!dot || slash < dot))
                for (char *p = n; *p; p++)
                        *p = *p == '.' ? '/' : *p == '/' ? '.' : *p;
        char *star = strchr(n, '*');
        if (star)
                *star = '\0';
        if (strcmp(n, "kernel.sem") == 0)
                return NS_IPC;
        if (strcmp(n, "kernel.domainname") == 0 || strcmp(n, "kernel.hostname") == 0)
                return NS_UTS;
        if (!strncmp(n, "kernel.shm", 10) || !strncmp(n, "kernel.msg", 10) || !strncmp(n, "fs.mqueue.", 10))
                return NS_IPC;
        return strncmp(n, "net.", 4) == 0 ? NS_NET : NS_UNKNOWN;
}

static void sysctls(struct pod_vctx *c, const struct pod_pod_security_context *psc)
{
        const struct pod_spec *s = &c->pod->spec;
        struct pod_v_index names = { 0 };
        size_t m = dh_path_field(&c->path, "sysctls");
        for (size_t i = 0; i < psc->sysctls.n; i++) {
                const char *name = pod_v_s(psc->sysctls.v[i].name);
                bool dup = !pod_v_index_add(&names, name, i);
                size_t mi = dh_path_index(&c->path, i);
                if (!*name)
                        pod_v_required(c, "name", NULL);
                else if (!pod_is_sysctl_name(name))
                        pod_v_invalid(c, "name", name, "must have at most 253 characters and match regex "
                                                       POD_SYSCTL_RE);
                else if (dup)
                        pod_v_duplicate(c, "name", name);
                enum sysctl_ns ns = sysctl_namespace(name);
                if (s->hostNetwork.set && s->hostNetwork.v && ns == NS_NET)
                        pod_v_invalid(c, "name", name, "may not be specified when 'hostNetwork' is true");
                else if (s->hostIPC.set && s->hostIPC.v && ns == NS_IPC)
                        pod_v_invalid(c, "name", name, "may not be specified when 'hostIPC' is true");
                dh_path_pop(&c->path, mi);
        }
        dh_path_pop(&c->path, m);
        pod_v_index_free(&names);
}

/* validatePodSpecSecurityContext, at the spec. shareProcessNamespace is
 * reported under securityContext, where the internal API keeps it. */
void pod_validate_pod_security(struct pod_vctx *c)
{
        const struct pod_spec *s = &c->pod->spec;
        const struct pod_pod_security_context empty = { 0 };
        const struct pod_pod_security_context *psc = s->securityContext ? s->securityContext : &empty;
        size_t m = dh_path_field(&c->path, "securityContext");
        id(c, "fsGroup", &psc->fsGroup);
        id(c, "runAsUser", &psc->runAsUser);
        id(c, "runAsGroup", &psc->runAsGroup);
        size_t mg = dh_path_field(&c->path, "supplementalGroups");
        for (size_t i = 0; i < psc->supplementalGroups.n; i++) {
                size_t mi = dh_path_index(&c->path, i);
                id(c, NULL, &psc->supplementalGroups.v[i]);
                dh_path_pop(&c->path, mi);
        }
        dh_path_pop(&c->path, mg);
        if (s->shareProcessNamespace.set && s->shareProcessNamespace.v && s->hostPID.set && s->hostPID.v)
                pod_v_invalid_raw(c, "shareProcessNamespace", "true",
                                  "ShareProcessNamespace and HostPID cannot both be enabled");
        if (psc->sysctls.n)
                sysctls(c, psc);
        if (psc->fsGroupChangePolicy && !pod_v_in(psc->fsGroupChangePolicy, fs_group_policies))
                pod_v_not_supported(c, "fsGroupChangePolicy", psc->fsGroupChangePolicy, fs_group_policies);
        seccomp(c, psc->seccompProfile);
        apparmor(c, psc->appArmorProfile);
        if (psc->supplementalGroupsPolicy && !pod_v_in(psc->supplementalGroupsPolicy, supplemental_policies))
                pod_v_not_supported(c, "supplementalGroupsPolicy", psc->supplementalGroupsPolicy,
                                    supplemental_policies);
        dh_path_pop(&c->path, m);
}

/* validateHostUsers: a pod in its own user namespace shares no other host
 * namespace. The two capitalised paths are upstream's. */
void pod_validate_host_users(struct pod_vctx *c)
{
        const struct pod_spec *s = &c->pod->spec;
        static const char msg[] = "when `pod.Spec.HostUsers` is false";
        if (host_users(s))
                return;
        if (s->hostNetwork.set && s->hostNetwork.v)
                pod_v_forbidden(c, "hostNetwork", msg);
        if (s->hostPID.set && s->hostPID.v)
                pod_v_forbidden(c, "HostPID", msg);
        if (s->hostIPC.set && s->hostIPC.v)
                pod_v_forbidden(c, "HostIPC", msg);
}

/* Calls fn for each container with the path at it, in upstream's visiting
 * order: init containers, containers, ephemeral containers. */
static void each_container(struct pod_vctx *c,
                           void (*fn)(struct pod_vctx *c, const struct pod_container *ctr))
{
        const struct pod_spec *s = &c->pod->spec;
        const char *lists[] = { "initContainers", "containers", "ephemeralContainers" };
        const struct pod_container *v[] = { s->initContainers.v, s->containers.v,
                                            s->ephemeralContainers.v };
        size_t n[] = { s->initContainers.n, s->containers.n, s->ephemeralContainers.n };
        for (size_t l = 0; l < 3; l++) {
                size_t m = dh_path_field(&c->path, lists[l]);
                for (size_t i = 0; i < n[l]; i++) {
                        size_t mi = dh_path_index(&c->path, i);
                        fn(c, &v[l][i]);
                        dh_path_pop(&c->path, mi);
                }
                dh_path_pop(&c->path, m);
        }
}

static void linux_container(struct pod_vctx *c, const struct pod_container *ctr)
{
        if (ctr->securityContext && ctr->securityContext->windowsOptions)
                pod_v_forbidden(c, "securityContext.windowsOptions",
                                "windows options cannot be set for a linux pod");
}

static void windows_container(struct pod_vctx *c, const struct pod_container *ctr)
{
        static const char msg[] = "cannot be set for a windows pod";
        const struct pod_security_context *sc = ctr->securityContext;
        if (!sc)
                return;
        size_t m = dh_path_field(&c->path, "securityContext");
        const struct { bool set; const char *field; } f[] = {
                { sc->appArmorProfile, "appArmorProfile" },
                { sc->seLinuxOptions, "seLinuxOptions" },
                { sc->seccompProfile, "seccompProfile" },
                { sc->capabilities, "capabilities" },
                { sc->readOnlyRootFilesystem.set, "readOnlyRootFilesystem" },
                { sc->privileged.set, "privileged" },
                { sc->allowPrivilegeEscalation.set, "allowPrivilegeEscalation" },
                { sc->procMount, "procMount" },
                { sc->runAsUser.set, "runAsUser" },
                { sc->runAsGroup.set, "runAsGroup" },
        };
        for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
                if (f[i].set)
                        pod_v_forbidden(c, f[i].field, msg);
        dh_path_pop(&c->path, m);
}

static void windows_pod(struct pod_vctx *c)
{
        static const char msg[] = "cannot be set for a windows pod";
        const struct pod_spec *s = &c->pod->spec;
        const struct pod_pod_security_context *p = s->securityContext;
        if (!p)
                return;
        const struct { bool set; const char *field; } f[] = {
                { p->appArmorProfile, "securityContext.appArmorProfile" },
                { p->seLinuxOptions, "securityContext.seLinuxOptions" },
                { s->hostUsers.set, "hostUsers" },
                { s->hostPID.set && s->hostPID.v, "hostPID" },
                { s->hostIPC.set && s->hostIPC.v, "hostIPC" },
                { p->seccompProfile, "securityContext.seccompProfile" },
                { p->fsGroup.set, "securityContext.fsGroup" },
                { p->fsGroupChangePolicy, "securityContext.fsGroupChangePolicy" },
                { p->sysctls.n, "securityContext.sysctls" },
                { s->shareProcessNamespace.set, "shareProcessNamespace" },
                { p->runAsUser.set, "securityContext.runAsUser" },
                { p->runAsGroup.set, "securityContext.runAsGroup" },
                { p->supplementalGroups.n, "securityContext.supplementalGroups" },
                { p->supplementalGroupsPolicy, "securityContext.supplementalGroupsPolicy" },
        };
        for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
                if (f[i].set)
                        pod_v_forbidden(c, f[i].field, msg);
}

/* validateOS, then validateLinux or validateWindows. */
void pod_validate_os(struct pod_vctx *c)
{
        const struct pod_spec *s = &c->pod->spec;
        if (!s->os)
                return;
        if (!pod_v_set(s->os->name)) {
                pod_v_required(c, "os.name", "cannot be empty");
                return;
        }
        if (!pod_v_in(s->os->name, os_names)) {
                pod_v_not_supported(c, "os", s->os->name, os_names);
                return;
        }
        if (strcmp(s->os->name, "linux") == 0) {
                if (s->securityContext && s->securityContext->windowsOptions)
                        pod_v_forbidden(c, "securityContext.windowsOptions",
                                        "windows options cannot be set for a linux pod");
                each_container(c, linux_container);
        } else {
                windows_pod(c);
                each_container(c, windows_container);
        }
}
