/* Decode tables for the core/v1 Pod: one table per API type, read by the
 * lib/jsondec engine. A field not listed is ignored, like an unknown one. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "pod/pod.h"

#define F(st, key, type) { #key, (type), offsetof(struct st, key) }
#define END { NULL, NULL, 0 }

/* --- quantities: strings or bare numbers, as Quantity.UnmarshalJSON --- */
static void decode_quantity(struct jd_ctx *c, json_t *v, void *dst, const struct jd_type *t)
{
        (void)t;
        struct pod_quantity *q = dst;
        _cleanup_err_ struct dh_err *e = NULL;
        int r;
        if (json_is_string(v))
                r = pod_quantity_parse(json_string_value(v), q, &e);
        else if (json_is_integer(v))
                r = pod_quantity_from_int(json_integer_value(v), q);
        else if (json_is_real(v))
                r = pod_quantity_from_double(json_real_value(v), q, &e);
        else {
                jd_type_error(c, v, "a quantity (string or number)");
                return;
        }
        if (r < 0) {
                _cleanup_free_ char *rv = jd_render(v);
                dh_ferr_invalid_raw(c->errs, &c->path, rv, e ? e->msg : "invalid quantity");
        }
}
/* Encoded as the canonical string, so equal values encode alike. */
static json_t *encode_quantity(const void *src, const struct jd_type *t)
{
        (void)t;
        const struct pod_quantity *q = src;
        char buf[POD_QTY_FORMAT_MAX];
        if (!q->set || pod_quantity_format(q, buf, sizeof buf) < 0)
                return NULL;
        return json_string(buf);
}
static const struct jd_type t_quantity = { .decode = decode_quantity, .encode = encode_quantity,
                                           .size = sizeof(struct pod_quantity) };

static const struct jd_type t_resource_list = JD_MAP(struct pod_resource, q, &t_quantity);

/* --- metadata --- */
static const struct jd_field owner_ref_fields[] = {
        F(pod_owner_ref, apiVersion, &jd_string), F(pod_owner_ref, kind, &jd_string),
        F(pod_owner_ref, name, &jd_string), F(pod_owner_ref, uid, &jd_string),
        F(pod_owner_ref, controller, &jd_bool), F(pod_owner_ref, blockOwnerDeletion, &jd_bool),
        END,
};
static const struct jd_type t_owner_ref = JD_OBJECT(struct pod_owner_ref, owner_ref_fields);
static const struct jd_type t_owner_refs = JD_ARRAY(&t_owner_ref);

static const struct jd_field meta_fields[] = {
        F(pod_meta, name, &jd_string), F(pod_meta, generateName, &jd_string),
        F(pod_meta, namespace, &jd_string), F(pod_meta, uid, &jd_string),
        F(pod_meta, resourceVersion, &jd_string), F(pod_meta, creationTimestamp, &jd_string),
        F(pod_meta, deletionTimestamp, &jd_string), F(pod_meta, generation, &jd_int64),
        F(pod_meta, deletionGracePeriodSeconds, &jd_int64), F(pod_meta, labels, &jd_strmap),
        F(pod_meta, annotations, &jd_strmap), F(pod_meta, ownerReferences, &t_owner_refs),
        F(pod_meta, finalizers, &jd_strv),
        END,
};
static const struct jd_type t_meta = JD_OBJECT(struct pod_meta, meta_fields);

/* --- probes and handlers --- */
static const struct jd_field exec_fields[] = { F(pod_exec_action, command, &jd_strv), END };
static const struct jd_type t_exec = JD_OBJECT(struct pod_exec_action, exec_fields);
static const struct jd_type t_exec_p = JD_PTR(&t_exec);

static const struct jd_field header_fields[] = {
        F(pod_http_header, name, &jd_string), F(pod_http_header, value, &jd_string), END,
};
static const struct jd_type t_header = JD_OBJECT(struct pod_http_header, header_fields);
static const struct jd_type t_headers = JD_ARRAY(&t_header);

static const struct jd_field http_get_fields[] = {
        F(pod_http_get, path, &jd_string), F(pod_http_get, host, &jd_string),
        F(pod_http_get, scheme, &jd_string), F(pod_http_get, port, &jd_intstr),
        F(pod_http_get, httpHeaders, &t_headers), END,
};
static const struct jd_type t_http_get = JD_OBJECT(struct pod_http_get, http_get_fields);
static const struct jd_type t_http_get_p = JD_PTR(&t_http_get);

static const struct jd_field tcp_fields[] = {
        F(pod_tcp_socket, host, &jd_string), F(pod_tcp_socket, port, &jd_intstr), END,
};
static const struct jd_type t_tcp = JD_OBJECT(struct pod_tcp_socket, tcp_fields);
static const struct jd_type t_tcp_p = JD_PTR(&t_tcp);

static const struct jd_field grpc_fields[] = {
        F(pod_grpc_action, port, &jd_int32), F(pod_grpc_action, service, &jd_string), END,
};
static const struct jd_type t_grpc = JD_OBJECT(struct pod_grpc_action, grpc_fields);
static const struct jd_type t_grpc_p = JD_PTR(&t_grpc);

static const struct jd_field sleep_fields[] = { F(pod_sleep_action, seconds, &jd_int64), END };
static const struct jd_type t_sleep = JD_OBJECT(struct pod_sleep_action, sleep_fields);
static const struct jd_type t_sleep_p = JD_PTR(&t_sleep);

static const struct jd_field probe_fields[] = {
        F(pod_probe, exec, &t_exec_p), F(pod_probe, httpGet, &t_http_get_p),
        F(pod_probe, tcpSocket, &t_tcp_p), F(pod_probe, grpc, &t_grpc_p),
        F(pod_probe, initialDelaySeconds, &jd_int32), F(pod_probe, timeoutSeconds, &jd_int32),
        F(pod_probe, periodSeconds, &jd_int32), F(pod_probe, successThreshold, &jd_int32),
        F(pod_probe, failureThreshold, &jd_int32),
        F(pod_probe, terminationGracePeriodSeconds, &jd_int64), END,
};
static const struct jd_type t_probe = JD_OBJECT(struct pod_probe, probe_fields);
static const struct jd_type t_probe_p = JD_PTR(&t_probe);

static const struct jd_field handler_fields[] = {
        F(pod_lifecycle_handler, exec, &t_exec_p), F(pod_lifecycle_handler, httpGet, &t_http_get_p),
        F(pod_lifecycle_handler, tcpSocket, &t_tcp_p), F(pod_lifecycle_handler, sleep, &t_sleep_p),
        END,
};
static const struct jd_type t_handler = JD_OBJECT(struct pod_lifecycle_handler, handler_fields);
static const struct jd_type t_handler_p = JD_PTR(&t_handler);

static const struct jd_field lifecycle_fields[] = {
        F(pod_lifecycle, postStart, &t_handler_p), F(pod_lifecycle, preStop, &t_handler_p),
        F(pod_lifecycle, stopSignal, &jd_string), END,
};
static const struct jd_type t_lifecycle = JD_OBJECT(struct pod_lifecycle, lifecycle_fields);
static const struct jd_type t_lifecycle_p = JD_PTR(&t_lifecycle);

/* --- security --- */
static const struct jd_field caps_fields[] = {
        F(pod_capabilities, add, &jd_strv), F(pod_capabilities, drop, &jd_strv), END,
};
static const struct jd_type t_caps = JD_OBJECT(struct pod_capabilities, caps_fields);
static const struct jd_type t_caps_p = JD_PTR(&t_caps);

static const struct jd_field selinux_fields[] = {
        F(pod_selinux_options, user, &jd_string), F(pod_selinux_options, role, &jd_string),
        F(pod_selinux_options, type, &jd_string), F(pod_selinux_options, level, &jd_string), END,
};
static const struct jd_type t_selinux = JD_OBJECT(struct pod_selinux_options, selinux_fields);
static const struct jd_type t_selinux_p = JD_PTR(&t_selinux);

static const struct jd_field seccomp_fields[] = {
        F(pod_seccomp_profile, type, &jd_string),
        F(pod_seccomp_profile, localhostProfile, &jd_string), END,
};
static const struct jd_type t_seccomp = JD_OBJECT(struct pod_seccomp_profile, seccomp_fields);
static const struct jd_type t_seccomp_p = JD_PTR(&t_seccomp);

static const struct jd_field sc_fields[] = {
        F(pod_security_context, capabilities, &t_caps_p),
        F(pod_security_context, privileged, &jd_bool),
        F(pod_security_context, runAsNonRoot, &jd_bool),
        F(pod_security_context, readOnlyRootFilesystem, &jd_bool),
        F(pod_security_context, allowPrivilegeEscalation, &jd_bool),
        F(pod_security_context, seLinuxOptions, &t_selinux_p),
        F(pod_security_context, runAsUser, &jd_int64),
        F(pod_security_context, runAsGroup, &jd_int64),
        F(pod_security_context, procMount, &jd_string),
        F(pod_security_context, seccompProfile, &t_seccomp_p),
        F(pod_security_context, appArmorProfile, &t_seccomp_p),
        F(pod_security_context, windowsOptions, &jd_raw), END,
};
static const struct jd_type t_sc = JD_OBJECT(struct pod_security_context, sc_fields);
static const struct jd_type t_sc_p = JD_PTR(&t_sc);

static const struct jd_type t_int64v = JD_ARRAY(&jd_int64);
static const struct jd_field sysctl_fields[] = {
        F(pod_sysctl, name, &jd_string), F(pod_sysctl, value, &jd_string), END,
};
static const struct jd_type t_sysctl = JD_OBJECT(struct pod_sysctl, sysctl_fields);
static const struct jd_type t_sysctls = JD_ARRAY(&t_sysctl);

static const struct jd_field psc_fields[] = {
        F(pod_pod_security_context, seLinuxOptions, &t_selinux_p),
        F(pod_pod_security_context, runAsUser, &jd_int64),
        F(pod_pod_security_context, runAsGroup, &jd_int64),
        F(pod_pod_security_context, fsGroup, &jd_int64),
        F(pod_pod_security_context, runAsNonRoot, &jd_bool),
        F(pod_pod_security_context, supplementalGroups, &t_int64v),
        F(pod_pod_security_context, supplementalGroupsPolicy, &jd_string),
        F(pod_pod_security_context, fsGroupChangePolicy, &jd_string),
        F(pod_pod_security_context, sysctls, &t_sysctls),
        F(pod_pod_security_context, seccompProfile, &t_seccomp_p),
        F(pod_pod_security_context, appArmorProfile, &t_seccomp_p),
        F(pod_pod_security_context, windowsOptions, &jd_raw), END,
};
static const struct jd_type t_psc = JD_OBJECT(struct pod_pod_security_context, psc_fields);
static const struct jd_type t_psc_p = JD_PTR(&t_psc);

/* --- env --- */
static const struct jd_field ofs_fields[] = {
        F(pod_object_field_selector, apiVersion, &jd_string),
        F(pod_object_field_selector, fieldPath, &jd_string), END,
};
static const struct jd_type t_ofs = JD_OBJECT(struct pod_object_field_selector, ofs_fields);
static const struct jd_type t_ofs_p = JD_PTR(&t_ofs);

static const struct jd_field rfs_fields[] = {
        F(pod_resource_field_selector, containerName, &jd_string),
        F(pod_resource_field_selector, resource, &jd_string),
        F(pod_resource_field_selector, divisor, &t_quantity), END,
};
static const struct jd_type t_rfs = JD_OBJECT(struct pod_resource_field_selector, rfs_fields);
static const struct jd_type t_rfs_p = JD_PTR(&t_rfs);

static const struct jd_field keysel_fields[] = {
        F(pod_key_selector, name, &jd_string), F(pod_key_selector, key, &jd_string),
        F(pod_key_selector, optional, &jd_bool), END,
};
static const struct jd_type t_keysel = JD_OBJECT(struct pod_key_selector, keysel_fields);
static const struct jd_type t_keysel_p = JD_PTR(&t_keysel);

static const struct jd_field evs_fields[] = {
        F(pod_env_var_source, fieldRef, &t_ofs_p),
        F(pod_env_var_source, resourceFieldRef, &t_rfs_p),
        F(pod_env_var_source, configMapKeyRef, &t_keysel_p),
        F(pod_env_var_source, secretKeyRef, &t_keysel_p), END,
};
static const struct jd_type t_evs = JD_OBJECT(struct pod_env_var_source, evs_fields);
static const struct jd_type t_evs_p = JD_PTR(&t_evs);

static const struct jd_field env_fields[] = {
        F(pod_env_var, name, &jd_string), F(pod_env_var, value, &jd_string),
        F(pod_env_var, valueFrom, &t_evs_p), END,
};
static const struct jd_type t_env = JD_OBJECT(struct pod_env_var, env_fields);
static const struct jd_type t_envs = JD_ARRAY(&t_env);

static const struct jd_field esr_fields[] = {
        F(pod_env_source_ref, name, &jd_string), F(pod_env_source_ref, optional, &jd_bool), END,
};
static const struct jd_type t_esr = JD_OBJECT(struct pod_env_source_ref, esr_fields);
static const struct jd_type t_esr_p = JD_PTR(&t_esr);

static const struct jd_field env_from_fields[] = {
        F(pod_env_from, prefix, &jd_string), F(pod_env_from, configMapRef, &t_esr_p),
        F(pod_env_from, secretRef, &t_esr_p), END,
};
static const struct jd_type t_env_from = JD_OBJECT(struct pod_env_from, env_from_fields);
static const struct jd_type t_env_froms = JD_ARRAY(&t_env_from);

/* --- container --- */
static const struct jd_field port_fields[] = {
        F(pod_container_port, name, &jd_string), F(pod_container_port, protocol, &jd_string),
        F(pod_container_port, hostIP, &jd_string), F(pod_container_port, containerPort, &jd_int32),
        F(pod_container_port, hostPort, &jd_int32), END,
};
static const struct jd_type t_port = JD_OBJECT(struct pod_container_port, port_fields);
static const struct jd_type t_ports = JD_ARRAY(&t_port);

static const struct jd_field resources_fields[] = {
        F(pod_resources, limits, &t_resource_list), F(pod_resources, requests, &t_resource_list),
        F(pod_resources, claims, &jd_raw), END,
};
static const struct jd_type t_resources = JD_OBJECT(struct pod_resources, resources_fields);

static const struct jd_field mount_fields[] = {
        F(pod_volume_mount, name, &jd_string), F(pod_volume_mount, mountPath, &jd_string),
        F(pod_volume_mount, subPath, &jd_string), F(pod_volume_mount, subPathExpr, &jd_string),
        F(pod_volume_mount, mountPropagation, &jd_string),
        F(pod_volume_mount, recursiveReadOnly, &jd_string),
        F(pod_volume_mount, readOnly, &jd_bool), END,
};
static const struct jd_type t_mount = JD_OBJECT(struct pod_volume_mount, mount_fields);
static const struct jd_type t_mounts = JD_ARRAY(&t_mount);

static const struct jd_field device_fields[] = {
        F(pod_volume_device, name, &jd_string), F(pod_volume_device, devicePath, &jd_string), END,
};
static const struct jd_type t_device = JD_OBJECT(struct pod_volume_device, device_fields);
static const struct jd_type t_devices = JD_ARRAY(&t_device);

static const struct jd_field container_fields[] = {
        F(pod_container, name, &jd_string), F(pod_container, image, &jd_string),
        F(pod_container, workingDir, &jd_string), F(pod_container, command, &jd_strv),
        F(pod_container, args, &jd_strv), F(pod_container, ports, &t_ports),
        F(pod_container, envFrom, &t_env_froms), F(pod_container, env, &t_envs),
        F(pod_container, resources, &t_resources), F(pod_container, resizePolicy, &jd_raw),
        F(pod_container, restartPolicy, &jd_string), F(pod_container, volumeMounts, &t_mounts),
        F(pod_container, volumeDevices, &t_devices), F(pod_container, livenessProbe, &t_probe_p),
        F(pod_container, readinessProbe, &t_probe_p), F(pod_container, startupProbe, &t_probe_p),
        F(pod_container, lifecycle, &t_lifecycle_p),
        F(pod_container, terminationMessagePath, &jd_string),
        F(pod_container, terminationMessagePolicy, &jd_string),
        F(pod_container, imagePullPolicy, &jd_string), F(pod_container, securityContext, &t_sc_p),
        F(pod_container, stdin, &jd_bool), F(pod_container, stdinOnce, &jd_bool),
        F(pod_container, tty, &jd_bool), F(pod_container, targetContainerName, &jd_string), END,
};
static const struct jd_type t_container = JD_OBJECT(struct pod_container, container_fields);
static const struct jd_type t_containers = JD_ARRAY(&t_container);

/* --- volumes --- */
static const struct jd_field ktp_fields[] = {
        F(pod_key_to_path, key, &jd_string), F(pod_key_to_path, path, &jd_string),
        F(pod_key_to_path, mode, &jd_int32), END,
};
static const struct jd_type t_ktp = JD_OBJECT(struct pod_key_to_path, ktp_fields);
static const struct jd_type t_ktps = JD_ARRAY(&t_ktp);

static const struct jd_field host_path_fields[] = {
        F(pod_host_path, path, &jd_string), F(pod_host_path, type, &jd_string), END,
};
static const struct jd_type t_host_path = JD_OBJECT(struct pod_host_path, host_path_fields);
static const struct jd_type t_host_path_p = JD_PTR(&t_host_path);

static const struct jd_field empty_dir_fields[] = {
        F(pod_empty_dir, medium, &jd_string), F(pod_empty_dir, sizeLimit, &t_quantity), END,
};
static const struct jd_type t_empty_dir = JD_OBJECT(struct pod_empty_dir, empty_dir_fields);
static const struct jd_type t_empty_dir_p = JD_PTR(&t_empty_dir);

static const struct jd_field secret_vol_fields[] = {
        F(pod_secret_volume, secretName, &jd_string), F(pod_secret_volume, items, &t_ktps),
        F(pod_secret_volume, defaultMode, &jd_int32), F(pod_secret_volume, optional, &jd_bool), END,
};
static const struct jd_type t_secret_vol = JD_OBJECT(struct pod_secret_volume, secret_vol_fields);
static const struct jd_type t_secret_vol_p = JD_PTR(&t_secret_vol);

static const struct jd_field cm_vol_fields[] = {
        F(pod_configmap_volume, name, &jd_string), F(pod_configmap_volume, items, &t_ktps),
        F(pod_configmap_volume, defaultMode, &jd_int32),
        F(pod_configmap_volume, optional, &jd_bool), END,
};
static const struct jd_type t_cm_vol = JD_OBJECT(struct pod_configmap_volume, cm_vol_fields);
static const struct jd_type t_cm_vol_p = JD_PTR(&t_cm_vol);

static const struct jd_field pvc_fields[] = {
        F(pod_pvc_volume, claimName, &jd_string), F(pod_pvc_volume, readOnly, &jd_bool), END,
};
static const struct jd_type t_pvc = JD_OBJECT(struct pod_pvc_volume, pvc_fields);
static const struct jd_type t_pvc_p = JD_PTR(&t_pvc);

static const struct jd_field dfile_fields[] = {
        F(pod_downward_file, path, &jd_string), F(pod_downward_file, fieldRef, &t_ofs_p),
        F(pod_downward_file, resourceFieldRef, &t_rfs_p), F(pod_downward_file, mode, &jd_int32), END,
};
static const struct jd_type t_dfile = JD_OBJECT(struct pod_downward_file, dfile_fields);
static const struct jd_type t_dfiles = JD_ARRAY(&t_dfile);

static const struct jd_field downward_fields[] = {
        F(pod_downward_volume, items, &t_dfiles), F(pod_downward_volume, defaultMode, &jd_int32), END,
};
static const struct jd_type t_downward = JD_OBJECT(struct pod_downward_volume, downward_fields);
static const struct jd_type t_downward_p = JD_PTR(&t_downward);

static const struct jd_field sat_fields[] = {
        F(pod_sa_token_projection, audience, &jd_string),
        F(pod_sa_token_projection, path, &jd_string),
        F(pod_sa_token_projection, expirationSeconds, &jd_int64), END,
};
static const struct jd_type t_sat = JD_OBJECT(struct pod_sa_token_projection, sat_fields);
static const struct jd_type t_sat_p = JD_PTR(&t_sat);

static const struct jd_field projref_fields[] = {
        F(pod_projection_ref, name, &jd_string), F(pod_projection_ref, items, &t_ktps),
        F(pod_projection_ref, optional, &jd_bool), END,
};
static const struct jd_type t_projref = JD_OBJECT(struct pod_projection_ref, projref_fields);
static const struct jd_type t_projref_p = JD_PTR(&t_projref);

static const struct jd_field projection_fields[] = {
        F(pod_volume_projection, secret, &t_projref_p),
        F(pod_volume_projection, configMap, &t_projref_p),
        F(pod_volume_projection, downwardAPI, &t_downward_p),
        F(pod_volume_projection, serviceAccountToken, &t_sat_p),
        F(pod_volume_projection, clusterTrustBundle, &jd_raw), END,
};
static const struct jd_type t_projection = JD_OBJECT(struct pod_volume_projection, projection_fields);
static const struct jd_type t_projections = JD_ARRAY(&t_projection);

static const struct jd_field projected_fields[] = {
        F(pod_projected_volume, sources, &t_projections),
        F(pod_projected_volume, defaultMode, &jd_int32), END,
};
static const struct jd_type t_projected = JD_OBJECT(struct pod_projected_volume, projected_fields);
static const struct jd_type t_projected_p = JD_PTR(&t_projected);

static const struct jd_field nfs_fields[] = {
        F(pod_nfs_volume, server, &jd_string), F(pod_nfs_volume, path, &jd_string),
        F(pod_nfs_volume, readOnly, &jd_bool), END,
};
static const struct jd_type t_nfs = JD_OBJECT(struct pod_nfs_volume, nfs_fields);
static const struct jd_type t_nfs_p = JD_PTR(&t_nfs);

static const struct jd_field lor_fields[] = { F(pod_local_object_ref, name, &jd_string), END };
static const struct jd_type t_lor = JD_OBJECT(struct pod_local_object_ref, lor_fields);
static const struct jd_type t_lor_p = JD_PTR(&t_lor);
static const struct jd_type t_lors = JD_ARRAY(&t_lor);

static const struct jd_field csi_fields[] = {
        F(pod_csi_volume, driver, &jd_string), F(pod_csi_volume, fsType, &jd_string),
        F(pod_csi_volume, readOnly, &jd_bool), F(pod_csi_volume, volumeAttributes, &jd_strmap),
        F(pod_csi_volume, nodePublishSecretRef, &t_lor_p), END,
};
static const struct jd_type t_csi = JD_OBJECT(struct pod_csi_volume, csi_fields);
static const struct jd_type t_csi_p = JD_PTR(&t_csi);

static const struct jd_field image_vol_fields[] = {
        F(pod_image_volume, reference, &jd_string), F(pod_image_volume, pullPolicy, &jd_string), END,
};
static const struct jd_type t_image_vol = JD_OBJECT(struct pod_image_volume, image_vol_fields);
static const struct jd_type t_image_vol_p = JD_PTR(&t_image_vol);

const char *const pod_volume_legacy_keys[POD_VOLUME_N_LEGACY] = {
        "gitRepo", "iscsi", "glusterfs", "rbd", "flexVolume", "cinder", "cephfs",
        "flocker", "fc", "azureFile", "azureDisk", "vsphereVolume", "quobyte",
        "photonPersistentDisk", "portworxVolume", "scaleIO", "storageos",
        "gcePersistentDisk", "awsElasticBlockStore",
};

#define LEGACY(key, i) { key, &jd_raw, offsetof(struct pod_volume, legacy) + (i) * sizeof(json_t *) }

static const struct jd_field volume_fields[] = {
        F(pod_volume, name, &jd_string), F(pod_volume, hostPath, &t_host_path_p),
        F(pod_volume, emptyDir, &t_empty_dir_p), F(pod_volume, secret, &t_secret_vol_p),
        F(pod_volume, configMap, &t_cm_vol_p), F(pod_volume, persistentVolumeClaim, &t_pvc_p),
        F(pod_volume, downwardAPI, &t_downward_p), F(pod_volume, projected, &t_projected_p),
        F(pod_volume, nfs, &t_nfs_p), F(pod_volume, csi, &t_csi_p),
        F(pod_volume, ephemeral, &jd_raw), F(pod_volume, image, &t_image_vol_p),
        LEGACY("gitRepo", 0),
        LEGACY("iscsi", 1),
        LEGACY("glusterfs", 2),
        LEGACY("rbd", 3),
        LEGACY("flexVolume", 4),
        LEGACY("cinder", 5),
        LEGACY("cephfs", 6),
        LEGACY("flocker", 7),
        LEGACY("fc", 8),
        LEGACY("azureFile", 9),
        LEGACY("azureDisk", 10),
        LEGACY("vsphereVolume", 11),
        LEGACY("quobyte", 12),
        LEGACY("photonPersistentDisk", 13),
        LEGACY("portworxVolume", 14),
        LEGACY("scaleIO", 15),
        LEGACY("storageos", 16),
        LEGACY("gcePersistentDisk", 17),
        LEGACY("awsElasticBlockStore", 18),
        END,
};
_Static_assert(POD_VOLUME_N_LEGACY == 19, "legacy volume table and keys disagree");
static const struct jd_type t_volume = JD_OBJECT(struct pod_volume, volume_fields);
static const struct jd_type t_volumes = JD_ARRAY(&t_volume);

/* --- scheduling --- */
static const struct jd_field nsr_fields[] = {
        F(pod_node_selector_req, key, &jd_string), F(pod_node_selector_req, operator, &jd_string),
        F(pod_node_selector_req, values, &jd_strv), END,
};
static const struct jd_type t_nsr = JD_OBJECT(struct pod_node_selector_req, nsr_fields);
static const struct jd_type t_nsrs = JD_ARRAY(&t_nsr);

static const struct jd_field nst_fields[] = {
        F(pod_node_selector_term, matchExpressions, &t_nsrs),
        F(pod_node_selector_term, matchFields, &t_nsrs), END,
};
static const struct jd_type t_nst = JD_OBJECT(struct pod_node_selector_term, nst_fields);
static const struct jd_type t_nsts = JD_ARRAY(&t_nst);

static const struct jd_field ns_fields[] = { F(pod_node_selector, nodeSelectorTerms, &t_nsts), END };
static const struct jd_type t_ns = JD_OBJECT(struct pod_node_selector, ns_fields);
static const struct jd_type t_ns_p = JD_PTR(&t_ns);

static const struct jd_field pref_fields[] = {
        F(pod_preferred_term, weight, &jd_int32), F(pod_preferred_term, preference, &t_nst), END,
};
static const struct jd_type t_pref = JD_OBJECT(struct pod_preferred_term, pref_fields);
static const struct jd_type t_prefs = JD_ARRAY(&t_pref);

static const struct jd_field node_aff_fields[] = {
        F(pod_node_affinity, requiredDuringSchedulingIgnoredDuringExecution, &t_ns_p),
        F(pod_node_affinity, preferredDuringSchedulingIgnoredDuringExecution, &t_prefs), END,
};
static const struct jd_type t_node_aff = JD_OBJECT(struct pod_node_affinity, node_aff_fields);
static const struct jd_type t_node_aff_p = JD_PTR(&t_node_aff);

static const struct jd_field affinity_fields[] = {
        F(pod_affinity, nodeAffinity, &t_node_aff_p), F(pod_affinity, podAffinity, &jd_raw),
        F(pod_affinity, podAntiAffinity, &jd_raw), END,
};
static const struct jd_type t_affinity = JD_OBJECT(struct pod_affinity, affinity_fields);
static const struct jd_type t_affinity_p = JD_PTR(&t_affinity);

static const struct jd_field toleration_fields[] = {
        F(pod_toleration, key, &jd_string), F(pod_toleration, operator, &jd_string),
        F(pod_toleration, value, &jd_string), F(pod_toleration, effect, &jd_string),
        F(pod_toleration, tolerationSeconds, &jd_int64), END,
};
static const struct jd_type t_toleration = JD_OBJECT(struct pod_toleration, toleration_fields);
static const struct jd_type t_tolerations = JD_ARRAY(&t_toleration);

static const struct jd_field host_alias_fields[] = {
        F(pod_host_alias, ip, &jd_string), F(pod_host_alias, hostnames, &jd_strv), END,
};
static const struct jd_type t_host_alias = JD_OBJECT(struct pod_host_alias, host_alias_fields);
static const struct jd_type t_host_aliases = JD_ARRAY(&t_host_alias);

static const struct jd_field dns_opt_fields[] = {
        F(pod_dns_option, name, &jd_string), F(pod_dns_option, value, &jd_string), END,
};
static const struct jd_type t_dns_opt = JD_OBJECT(struct pod_dns_option, dns_opt_fields);
static const struct jd_type t_dns_opts = JD_ARRAY(&t_dns_opt);

static const struct jd_field dns_config_fields[] = {
        F(pod_dns_config, nameservers, &jd_strv), F(pod_dns_config, searches, &jd_strv),
        F(pod_dns_config, options, &t_dns_opts), END,
};
static const struct jd_type t_dns_config = JD_OBJECT(struct pod_dns_config, dns_config_fields);
static const struct jd_type t_dns_config_p = JD_PTR(&t_dns_config);

static const struct jd_field gate_fields[] = { F(pod_readiness_gate, conditionType, &jd_string), END };
static const struct jd_type t_gate = JD_OBJECT(struct pod_readiness_gate, gate_fields);
static const struct jd_type t_gates = JD_ARRAY(&t_gate);

static const struct jd_field os_fields[] = { F(pod_os, name, &jd_string), END };
static const struct jd_type t_os = JD_OBJECT(struct pod_os, os_fields);
static const struct jd_type t_os_p = JD_PTR(&t_os);

/* --- spec and pod --- */
static const struct jd_field spec_fields[] = {
        F(pod_spec, volumes, &t_volumes), F(pod_spec, initContainers, &t_containers),
        F(pod_spec, containers, &t_containers), F(pod_spec, ephemeralContainers, &t_containers),
        F(pod_spec, restartPolicy, &jd_string), F(pod_spec, dnsPolicy, &jd_string),
        F(pod_spec, serviceAccountName, &jd_string), F(pod_spec, serviceAccount, &jd_string),
        F(pod_spec, nodeName, &jd_string), F(pod_spec, hostname, &jd_string),
        F(pod_spec, subdomain, &jd_string), F(pod_spec, schedulerName, &jd_string),
        F(pod_spec, priorityClassName, &jd_string), F(pod_spec, runtimeClassName, &jd_string),
        F(pod_spec, preemptionPolicy, &jd_string),
        F(pod_spec, terminationGracePeriodSeconds, &jd_int64),
        F(pod_spec, activeDeadlineSeconds, &jd_int64), F(pod_spec, priority, &jd_int32),
        F(pod_spec, nodeSelector, &jd_strmap),
        F(pod_spec, automountServiceAccountToken, &jd_bool), F(pod_spec, hostNetwork, &jd_bool),
        F(pod_spec, hostPID, &jd_bool), F(pod_spec, hostIPC, &jd_bool),
        F(pod_spec, shareProcessNamespace, &jd_bool), F(pod_spec, enableServiceLinks, &jd_bool),
        F(pod_spec, hostUsers, &jd_bool), F(pod_spec, setHostnameAsFQDN, &jd_bool),
        F(pod_spec, securityContext, &t_psc_p), F(pod_spec, imagePullSecrets, &t_lors),
        F(pod_spec, affinity, &t_affinity_p), F(pod_spec, tolerations, &t_tolerations),
        F(pod_spec, hostAliases, &t_host_aliases), F(pod_spec, dnsConfig, &t_dns_config_p),
        F(pod_spec, readinessGates, &t_gates), F(pod_spec, overhead, &t_resource_list),
        F(pod_spec, os, &t_os_p), F(pod_spec, topologySpreadConstraints, &jd_raw), END,
};
static const struct jd_type t_spec = JD_OBJECT(struct pod_spec, spec_fields);

static const struct jd_field status_fields[] = { F(pod_status, phase, &jd_string), END };
static const struct jd_type t_status = JD_OBJECT(struct pod_status, status_fields);

static const struct jd_field pod_fields[] = {
        F(pod, apiVersion, &jd_string), F(pod, kind, &jd_string), F(pod, metadata, &t_meta),
        F(pod, spec, &t_spec), F(pod, status, &t_status), END,
};
static const struct jd_type t_pod = JD_OBJECT(struct pod, pod_fields);

struct pod *pod_decode_object(json_t *doc, struct dh_ferrs *errs)
{
        struct pod *p = calloc(1, sizeof *p);
        if (!p)
                return NULL;
        struct jd_ctx c = { .errs = errs };
        jd_decode_object(&c, doc, p, &t_pod);
        return p;
}

json_t *pod_encode(const struct pod *p)
{
        return jd_encode(p, &t_pod);
}

void pod_free(struct pod *p)
{
        if (!p)
                return;
        jd_free_object(p, &t_pod);
        free(p);
}
