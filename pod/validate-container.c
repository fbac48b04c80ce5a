/* Containers: the rules common to regular, init and ephemeral containers
 * (validateContainerCommon: name, image, ports, env, mounts, devices, pull
 * policy, resources, security context), the per-list rules (unique names
 * across all three lists, host port conflicts, sidecar restartPolicy,
 * what init and ephemeral containers may not set) and the Pod-only image
 * whitespace check. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "lib/cleanup.h"
#include "pod/validate-internal.h"

static const char *const pull_policies[] = { "Always", "IfNotPresent", "Never", NULL };
static const char *const message_policies[] = { "File", "FallbackToLogsOnError", NULL };
static const char *const protocols[] = { "SCTP", "TCP", "UDP", NULL };
static const char *const propagations[] = { "Bidirectional", "HostToContainer", "None", NULL };
static const char *const rro_modes[] = { "Disabled", "Enabled", "IfPossible", NULL };
static const char *const always[] = { "Always", NULL };

#define PORT_RANGE_MSG "must be between 1 and 65535, inclusive"
/* PATH_MAX: the kubelet bind-mounts the file at this path. */
#define TERMINATION_MESSAGE_PATH_MAX 4096

static void ports(struct pod_vctx *c, const struct pod_container *ctr)
{
        struct pod_msgs msgs;
        struct pod_v_index names = { 0 };
        size_t m = dh_path_field(&c->path, "ports");
        for (size_t i = 0; i < ctr->ports.n; i++) {
                const struct pod_container_port *p = &ctr->ports.v[i];
                size_t mi = dh_path_index(&c->path, i);
                if (pod_v_set(p->name)) {
                        pod_is_port_name(p->name, &msgs);
                        if (msgs.n)
                                pod_v_msgs(c, "name", p->name, &msgs);
                        else if (!pod_v_index_add(&names, p->name, i))
                                pod_v_duplicate(c, "name", p->name);
                }
                int64_t cp = p->containerPort.set ? p->containerPort.v : 0;
                if (cp == 0)
                        pod_v_required(c, "containerPort", NULL);
                else if (cp < 1 || cp > 65535)
                        pod_v_invalid_int(c, "containerPort", cp, PORT_RANGE_MSG);
                int64_t hp = p->hostPort.set ? p->hostPort.v : 0;
                if (hp != 0 && (hp < 1 || hp > 65535))
                        pod_v_invalid_int(c, "hostPort", hp, PORT_RANGE_MSG);
                if (!pod_v_set(p->protocol))
                        pod_v_required(c, "protocol", NULL);
                else if (!pod_v_in(p->protocol, protocols))
                        pod_v_not_supported(c, "protocol", p->protocol, protocols);
                dh_path_pop(&c->path, mi);
        }
        dh_path_pop(&c->path, m);
        pod_v_index_free(&names);
}

/* The names and paths of a container's mounts or devices. */
struct names_paths {
        struct pod_v_index names, paths;
};

static void names_paths_free(struct names_paths *np)
{
        pod_v_index_free(&np->names);
        pod_v_index_free(&np->paths);
}

/* The checks upstream reports at volumeMounts[i]; mount_points holds the
 * earlier mounts' paths. */
static void mount_entry(struct pod_vctx *c, const struct pod_volume_mount *vm,
                        struct pod_v_index *mount_points, const struct names_paths *devices)
{
        const struct pod_volume *vol = pod_v_volume(c, vm->name);
        if (!pod_v_set(vm->name))
                pod_v_required(c, "name", NULL);
        if (!vol)
                pod_v_not_found(c, "name", vm->name);
        if (!pod_v_set(vm->mountPath))
                pod_v_required(c, "mountPath", NULL);
        if (!pod_v_index_add(mount_points, vm->mountPath, 0))
                pod_v_invalid(c, "mountPath", vm->mountPath, "must be unique");
        if (pod_v_index_has(&devices->names, vm->name))
                pod_v_invalid(c, "name", vm->name, "must not already exist in volumeDevices");
        if (pod_v_index_has(&devices->paths, vm->mountPath))
                pod_v_invalid(c, "mountPath", vm->mountPath,
                              "must not already exist as a path in volumeDevices");
        if (vol && vol->image && pod_v_set(vm->subPath))
                pod_v_invalid(c, "subPath", vm->subPath, "not allowed in image volume sources");
        if (vol && vol->image && pod_v_set(vm->subPathExpr))
                pod_v_invalid(c, "subPathExpr", vm->subPathExpr, "not allowed in image volume sources");
}

static void recursive_read_only(struct pod_vctx *c, const struct pod_volume_mount *vm)
{
        const char *rro = vm->recursiveReadOnly;
        if (!rro || strcmp(rro, "Disabled") == 0)
                return;
        if (!pod_v_in(rro, rro_modes)) {
                pod_v_not_supported(c, "recursiveReadOnly", rro, rro_modes);
                return;
        }
        if (!vm->readOnly.set || !vm->readOnly.v)
                pod_v_forbidden(c, "recursiveReadOnly", "may only be specified when readOnly is true");
        if (vm->mountPropagation && strcmp(vm->mountPropagation, "None") != 0)
                pod_v_forbidden(c, "recursiveReadOnly",
                                "may only be specified when mountPropagation is None or not specified");
}

/* ValidateVolumeMounts. Upstream reports subPath, subPathExpr,
 * mountPropagation and recursiveReadOnly problems at "volumeMounts.<field>"
 * without the index; so does this. */
static void volume_mounts(struct pod_vctx *c, const struct pod_container *ctr)
{
        bool privileged = ctr->securityContext && ctr->securityContext->privileged.set &&
                          ctr->securityContext->privileged.v;
        struct names_paths devices = { 0 };
        for (size_t i = 0; i < ctr->volumeDevices.n; i++) {
                pod_v_index_add(&devices.names, ctr->volumeDevices.v[i].name, i);
                pod_v_index_add(&devices.paths, ctr->volumeDevices.v[i].devicePath, i);
        }
        struct pod_v_index mount_points = { 0 };
        size_t m = dh_path_field(&c->path, "volumeMounts");
        for (size_t i = 0; i < ctr->volumeMounts.n; i++) {
                const struct pod_volume_mount *vm = &ctr->volumeMounts.v[i];
                size_t mi = dh_path_index(&c->path, i);
                mount_entry(c, vm, &mount_points, &devices);
                dh_path_pop(&c->path, mi);
                if (pod_v_set(vm->subPath))
                        pod_v_local_descending_path(c, "subPath", vm->subPath);
                if (pod_v_set(vm->subPathExpr)) {
                        if (pod_v_set(vm->subPath)) {
                                mi = dh_path_index(&c->path, i);
                                pod_v_invalid(c, "subPathExpr", vm->subPathExpr,
                                              "subPathExpr and subPath are mutually exclusive");
                                dh_path_pop(&c->path, mi);
                        }
                        pod_v_local_descending_path(c, "subPathExpr", vm->subPathExpr);
                }
                if (vm->mountPropagation && !pod_v_in(vm->mountPropagation, propagations))
                        pod_v_not_supported(c, "mountPropagation", vm->mountPropagation, propagations);
                if (vm->mountPropagation && strcmp(vm->mountPropagation, "Bidirectional") == 0 &&
                    !privileged)
                        pod_v_forbidden(c, "mountPropagation", "Bidirectional mount propagation is "
                                                               "available only to privileged containers");
                recursive_read_only(c, vm);
        }
        dh_path_pop(&c->path, m);
        pod_v_index_free(&mount_points);
        names_paths_free(&devices);
}

/* ValidateVolumeDevices, at volumeDevices[i]; seen holds the earlier
 * devices' names and paths, mounts all of the container's mounts. */
static void device_entry(struct pod_vctx *c, const struct pod_volume_device *d,
                         struct names_paths *seen, const struct names_paths *mounts, size_t i)
{
        const struct pod_volume *vol = pod_v_volume(c, d->name);
        const char *path = pod_v_s(d->devicePath);
        if (!pod_v_set(d->name))
                pod_v_required(c, "name", NULL);
        if (pod_v_index_has(&seen->names, d->name))
                pod_v_invalid(c, "name", d->name, "must be unique");
        if (vol && !vol->persistentVolumeClaim && !vol->ephemeral)
                pod_v_invalid(c, "name", d->name, "can only use volume source type of "
                                                  "PersistentVolumeClaim or Ephemeral for block mode");
        if (!vol)
                pod_v_not_found(c, "name", d->name);
        if (!*path)
                pod_v_required(c, "devicePath", NULL);
        if (pod_v_index_has(&seen->paths, path))
                pod_v_invalid(c, "devicePath", path, "must be unique");
        if (*path && pod_v_has_backsteps(path))
                pod_v_invalid(c, "devicePath", path, "can not contain backsteps ('..')");
        else
                pod_v_index_add(&seen->paths, path, i);
        if (pod_v_index_has(&mounts->names, d->name))
                pod_v_invalid(c, "name", d->name, "must not already exist in volumeMounts");
        if (pod_v_index_has(&mounts->paths, path))
                pod_v_invalid(c, "devicePath", path, "must not already exist as a path in volumeMounts");
        if (pod_v_set(d->name))
                pod_v_index_add(&seen->names, d->name, i);
}

static void volume_devices(struct pod_vctx *c, const struct pod_container *ctr)
{
        struct names_paths mounts = { 0 }, seen = { 0 };
        for (size_t i = 0; i < ctr->volumeMounts.n; i++) {
                pod_v_index_add(&mounts.names, ctr->volumeMounts.v[i].name, i);
                pod_v_index_add(&mounts.paths, ctr->volumeMounts.v[i].mountPath, i);
        }
        size_t m = dh_path_field(&c->path, "volumeDevices");
        for (size_t i = 0; i < ctr->volumeDevices.n; i++) {
                size_t mi = dh_path_index(&c->path, i);
                device_entry(c, &ctr->volumeDevices.v[i], &seen, &mounts, i);
                dh_path_pop(&c->path, mi);
        }
        dh_path_pop(&c->path, m);
        names_paths_free(&seen);
        names_paths_free(&mounts);
}

/* The kubelet mounts the termination message file at this path; upstream
 * relies on defaulting, deckhand also bounds its length. */
static void termination_message_path(struct pod_vctx *c, const char *path)
{
        if (!pod_v_set(path)) {
                pod_v_required(c, "terminationMessagePath", NULL);
        } else if (strlen(path) > TERMINATION_MESSAGE_PATH_MAX) {
                size_t m = dh_path_field(&c->path, "terminationMessagePath");
                dh_ferr_add(c->errs, DH_FERR_TOO_LONG, dh_path_str(&c->path), NULL,
                            "may not be more than 4096 bytes");
                dh_path_pop(&c->path, m);
        }
}

/* validateContainerCommon, at the container's path. */
static void common(struct pod_vctx *c, const struct pod_container *ctr)
{
        if (!pod_v_set(ctr->name))
                pod_v_required(c, "name", NULL);
        else
                pod_v_dns_label(c, "name", ctr->name);
        if (!pod_v_set(ctr->image))
                pod_v_required(c, "image", NULL);
        pod_v_enum(c, "terminationMessagePolicy", ctr->terminationMessagePolicy, message_policies);
        termination_message_path(c, ctr->terminationMessagePath);
        ports(c, ctr);
        pod_validate_env(c, ctr);
        pod_validate_env_from(c, ctr);
        volume_mounts(c, ctr);
        volume_devices(c, ctr);
        pod_v_enum(c, "imagePullPolicy", ctr->imagePullPolicy, pull_policies);
        size_t m = dh_path_field(&c->path, "resources");
        pod_validate_resources(c, &ctr->resources);
        dh_path_pop(&c->path, m);
        pod_validate_container_security(c, ctr->securityContext);
}

/* checkHostPortConflicts over v[0..n): "<protocol>/<hostIP>/<hostPort>"
 * must be unique. Indexes in paths count from index_base. */
static void host_port_conflicts(struct pod_vctx *c, const struct pod_container *v, size_t n,
                                size_t index_base)
{
        struct pod_v_index seen = { 0 };
        for (size_t ci = 0; ci < n; ci++) {
                for (size_t pi = 0; pi < v[ci].ports.n; pi++) {
                        const struct pod_container_port *p = &v[ci].ports.v[pi];
                        _cleanup_free_ char *key = NULL;
                        if (!p->hostPort.set || p->hostPort.v == 0 ||
                            asprintf(&key, "%s/%s/%lld", pod_v_s(p->protocol), pod_v_s(p->hostIP),
                                     (long long)p->hostPort.v) < 0 ||
                            pod_v_index_add(&seen, key, pi))
                                continue;
                        size_t m = dh_path_index(&c->path, index_base + ci);
                        dh_path_field(&c->path, "ports");
                        dh_path_index(&c->path, pi);
                        pod_v_duplicate(c, "hostPort", key);
                        dh_path_pop(&c->path, m);
                }
        }
        pod_v_index_free(&seen);
}

/* The names of a list of containers (all of them, even empty ones). */
static void add_names(struct pod_v_index *x, const struct pod_container *v, size_t n)
{
        for (size_t i = 0; i < n; i++)
                pod_v_index_add(x, v[i].name, i);
}

void pod_validate_containers(struct pod_vctx *c)
{
        const struct pod_spec *s = &c->pod->spec;
        size_t m = dh_path_field(&c->path, "containers");
        if (s->containers.n == 0) {
                pod_v_required(c, NULL, NULL);
                dh_path_pop(&c->path, m);
                return;
        }
        struct pod_v_index names = { 0 };
        for (size_t i = 0; i < s->containers.n; i++) {
                const struct pod_container *ctr = &s->containers.v[i];
                size_t mi = dh_path_index(&c->path, i);
                common(c, ctr);
                if (!pod_v_index_add(&names, ctr->name, i))
                        pod_v_duplicate(c, "name", ctr->name);
                if (ctr->lifecycle)
                        pod_validate_lifecycle(c, ctr->lifecycle);
                pod_validate_probes(c, ctr);
                if (ctr->restartPolicy)
                        pod_v_forbidden(c, "restartPolicy", "may not be set for non-init containers");
                dh_path_pop(&c->path, mi);
        }
        host_port_conflicts(c, s->containers.v, s->containers.n, 0);
        dh_path_pop(&c->path, m);
        pod_v_index_free(&names);
}

static void init_lifecycle_and_probes(struct pod_vctx *c, const struct pod_container *ctr,
                                      bool sidecar)
{
        static const char forbidden[] = "may not be set for init containers without restartPolicy=Always";
        if (sidecar) {
                if (ctr->lifecycle)
                        pod_validate_lifecycle(c, ctr->lifecycle);
                pod_validate_probes(c, ctr);
                return;
        }
        if (ctr->lifecycle)
                pod_v_forbidden(c, "lifecycle", forbidden);
        if (ctr->livenessProbe)
                pod_v_forbidden(c, "livenessProbe", forbidden);
        if (ctr->readinessProbe)
                pod_v_forbidden(c, "readinessProbe", forbidden);
        if (ctr->startupProbe)
                pod_v_forbidden(c, "startupProbe", forbidden);
}

void pod_validate_init_containers(struct pod_vctx *c)
{
        const struct pod_spec *s = &c->pod->spec;
        struct pod_v_index names = { 0 };
        add_names(&names, s->containers.v, s->containers.n);
        size_t m = dh_path_field(&c->path, "initContainers");
        for (size_t i = 0; i < s->initContainers.n; i++) {
                const struct pod_container *ctr = &s->initContainers.v[i];
                size_t mi = dh_path_index(&c->path, i);
                common(c, ctr);
                if (ctr->restartPolicy && strcmp(ctr->restartPolicy, "Always") != 0)
                        pod_v_not_supported(c, "restartPolicy", ctr->restartPolicy, always);
                /* Empty names are not remembered, as upstream does. */
                if (pod_v_index_has(&names, ctr->name))
                        pod_v_duplicate(c, "name", ctr->name);
                else if (pod_v_set(ctr->name))
                        pod_v_index_add(&names, ctr->name, i);
                dh_path_pop(&c->path, mi);
                /* Init containers run one at a time: each is checked alone,
                 * and upstream names it initContainers[0] whatever its index. */
                host_port_conflicts(c, ctr, 1, 0);
                mi = dh_path_index(&c->path, i);
                init_lifecycle_and_probes(c, ctr, ctr->restartPolicy &&
                                                      strcmp(ctr->restartPolicy, "Always") == 0);
                dh_path_pop(&c->path, mi);
        }
        dh_path_pop(&c->path, m);
        pod_v_index_free(&names);
}

static void image_whitespace(struct pod_vctx *c, const struct pod_container *ctr)
{
        const char *img = pod_v_s(ctr->image);
        size_t n = strlen(img);
        if (n && (isspace((unsigned char)img[0]) || isspace((unsigned char)img[n - 1])))
                pod_v_invalid(c, "image", img, "must not have leading or trailing whitespace");
}

static bool resources_set(const struct pod_resources *r)
{
        return r->limits.n || r->requests.n ||
               (r->claims && !(json_is_array(r->claims) && json_array_size(r->claims) == 0));
}

/* validateFieldAllowList: what an ephemeral container may not set, in the
 * order of the Go struct's fields. */
static void ephemeral_forbidden(struct pod_vctx *c, const struct pod_container *ec)
{
        static const char msg[] = "cannot be set for an Ephemeral Container";
        if (ec->ports.n)
                pod_v_forbidden(c, "ports", msg);
        if (resources_set(&ec->resources))
                pod_v_forbidden(c, "resources", msg);
        if (ec->resizePolicy && !(json_is_array(ec->resizePolicy) && json_array_size(ec->resizePolicy) == 0))
                pod_v_forbidden(c, "resizePolicy", msg);
        if (ec->restartPolicy)
                pod_v_forbidden(c, "restartPolicy", msg);
        if (ec->livenessProbe)
                pod_v_forbidden(c, "livenessProbe", msg);
        if (ec->readinessProbe)
                pod_v_forbidden(c, "readinessProbe", msg);
        if (ec->startupProbe)
                pod_v_forbidden(c, "startupProbe", msg);
        if (ec->lifecycle)
                pod_v_forbidden(c, "lifecycle", msg);
        size_t m = dh_path_field(&c->path, "volumeMounts");
        for (size_t i = 0; i < ec->volumeMounts.n; i++) {
                size_t mi = dh_path_index(&c->path, i);
                if (pod_v_set(ec->volumeMounts.v[i].subPath))
                        pod_v_forbidden(c, "subPath", msg);
                if (pod_v_set(ec->volumeMounts.v[i].subPathExpr))
                        pod_v_forbidden(c, "subPathExpr", msg);
                dh_path_pop(&c->path, mi);
        }
        dh_path_pop(&c->path, m);
}

void pod_validate_ephemeral_containers(struct pod_vctx *c)
{
        const struct pod_spec *s = &c->pod->spec;
        if (!s->ephemeralContainers.n)
                return;
        struct pod_v_index others = { 0 }, names = { 0 };
        add_names(&others, s->containers.v, s->containers.n);
        add_names(&others, s->initContainers.v, s->initContainers.n);
        add_names(&names, s->containers.v, s->containers.n);
        add_names(&names, s->initContainers.v, s->initContainers.n);
        size_t m = dh_path_field(&c->path, "ephemeralContainers");
        for (size_t i = 0; i < s->ephemeralContainers.n; i++) {
                const struct pod_container *ec = &s->ephemeralContainers.v[i];
                size_t mi = dh_path_index(&c->path, i);
                common(c, ec);
                image_whitespace(c, ec);
                if (!pod_v_index_add(&names, ec->name, i))
                        pod_v_duplicate(c, "name", ec->name);
                if (pod_v_set(ec->targetContainerName) && !pod_v_index_has(&others, ec->targetContainerName))
                        pod_v_not_found(c, "targetContainerName", ec->targetContainerName);
                ephemeral_forbidden(c, ec);
                dh_path_pop(&c->path, mi);
        }
        dh_path_pop(&c->path, m);
        pod_v_index_free(&others);
        pod_v_index_free(&names);
}

/* validateContainersOnlyForPod, for containers then init containers. */
void pod_validate_images_only_for_pod(struct pod_vctx *c)
{
        const struct pod_spec *s = &c->pod->spec;
        const char *lists[] = { "containers", "initContainers" };
        const struct pod_container *v[] = { s->containers.v, s->initContainers.v };
        size_t n[] = { s->containers.n, s->initContainers.n };
        for (size_t l = 0; l < 2; l++) {
                size_t m = dh_path_field(&c->path, lists[l]);
                for (size_t i = 0; i < n[l]; i++) {
                        size_t mi = dh_path_index(&c->path, i);
                        image_whitespace(c, &v[l][i]);
                        dh_path_pop(&c->path, mi);
                }
                dh_path_pop(&c->path, m);
        }
}
