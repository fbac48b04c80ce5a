/* spec.volumes: ValidateVolumes and validateVolumeSource. Exactly one
 * source per volume (the legacy in-tree sources count too, in upstream's
 * order), then each source's own rules: hostPath, emptyDir, secret and
 * configMap items, downwardAPI files, projected sources, nfs, csi,
 * persistentVolumeClaim, ephemeral and image volumes. The legacy sources
 * are kept as raw JSON and only counted. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "pod/validate-internal.h"

static const char file_mode_msg[] = "must be a number between 0 and 0777 (octal), both inclusive";

enum source_kind {
        SRC_EMPTY_DIR, SRC_HOST_PATH, SRC_SECRET, SRC_NFS, SRC_PVC, SRC_DOWNWARD,
        SRC_CONFIG_MAP, SRC_PROJECTED, SRC_CSI, SRC_EPHEMERAL, SRC_IMAGE, SRC_LEGACY,
};

struct source {
        enum source_kind kind;
        const char *field; /* the JSON key; also where its errors go */
        const char *dup;   /* where a second source is reported, if not field */
};

/* validateVolumeSource's order. Two field names are upstream's own
 * spellings in the "more than 1" error: "cephFS" and "downwarAPI". */
static const struct source sources[] = {
        { SRC_EMPTY_DIR, "emptyDir", NULL },
        { SRC_HOST_PATH, "hostPath", NULL },
        { SRC_LEGACY, "gitRepo", NULL },
        { SRC_LEGACY, "gcePersistentDisk", NULL },
        { SRC_LEGACY, "awsElasticBlockStore", NULL },
        { SRC_SECRET, "secret", NULL },
        { SRC_NFS, "nfs", NULL },
        { SRC_LEGACY, "iscsi", NULL },
        { SRC_LEGACY, "glusterfs", NULL },
        { SRC_LEGACY, "flocker", NULL },
        { SRC_PVC, "persistentVolumeClaim", NULL },
        { SRC_LEGACY, "rbd", NULL },
        { SRC_LEGACY, "cinder", NULL },
        { SRC_LEGACY, "cephfs", "cephFS" },
        { SRC_LEGACY, "quobyte", NULL },
        { SRC_DOWNWARD, "downwardAPI", "downwarAPI" },
        { SRC_LEGACY, "fc", NULL },
        { SRC_LEGACY, "flexVolume", NULL },
        { SRC_CONFIG_MAP, "configMap", NULL },
        { SRC_LEGACY, "azureFile", NULL },
        { SRC_LEGACY, "vsphereVolume", NULL },
        { SRC_LEGACY, "photonPersistentDisk", NULL },
        { SRC_LEGACY, "portworxVolume", NULL },
        { SRC_LEGACY, "azureDisk", NULL },
        { SRC_LEGACY, "storageos", NULL },
        { SRC_PROJECTED, "projected", NULL },
        { SRC_LEGACY, "scaleIO", NULL },
        { SRC_CSI, "csi", NULL },
        { SRC_EPHEMERAL, "ephemeral", NULL },
        { SRC_IMAGE, "image", NULL },
};

static bool legacy_present(const struct pod_volume *v, const char *key)
{
        for (size_t i = 0; i < POD_VOLUME_N_LEGACY; i++)
                if (strcmp(pod_volume_legacy_keys[i], key) == 0)
                        return v->legacy[i] != NULL;
        return false;
}

static bool source_present(const struct pod_volume *v, const struct source *s)
{
        switch (s->kind) {
        case SRC_EMPTY_DIR: return v->emptyDir;
        case SRC_HOST_PATH: return v->hostPath;
        case SRC_SECRET: return v->secret;
        case SRC_NFS: return v->nfs;
        case SRC_PVC: return v->persistentVolumeClaim;
        case SRC_DOWNWARD: return v->downwardAPI;
        case SRC_CONFIG_MAP: return v->configMap;
        case SRC_PROJECTED: return v->projected;
        case SRC_CSI: return v->csi;
        case SRC_EPHEMERAL: return v->ephemeral;
        case SRC_IMAGE: return v->image;
        case SRC_LEGACY: return legacy_present(v, s->field);
        }
        return false;
}

static void file_mode(struct pod_vctx *c, const char *field, const struct dh_opt_i64 *mode)
{
        if (mode->set && (mode->v < 0 || mode->v > 0777))
                pod_v_invalid_int(c, field, mode->v, file_mode_msg);
}

/* validateKeyToPath, at items[i]. */
static void key_to_path(struct pod_vctx *c, const struct pod_key_to_path *kp)
{
        if (!pod_v_set(kp->key))
                pod_v_required(c, "key", NULL);
        if (!pod_v_set(kp->path))
                pod_v_required(c, "path", NULL);
        pod_v_local_non_reserved_path(c, "path", kp->path);
        file_mode(c, "mode", &kp->mode);
}

static void items(struct pod_vctx *c, const struct pod_key_to_path *v, size_t n)
{
        size_t m = dh_path_field(&c->path, "items");
        for (size_t i = 0; i < n; i++) {
                size_t mi = dh_path_index(&c->path, i);
                key_to_path(c, &v[i]);
                dh_path_pop(&c->path, mi);
        }
        dh_path_pop(&c->path, m);
}

/* HostPathType values, sorted as upstream lists them. */
static const char *const host_path_types[] = { "", "BlockDevice", "CharDevice", "Directory",
                                               "DirectoryOrCreate", "File", "FileOrCreate",
                                               "Socket", NULL };

static void host_path(struct pod_vctx *c, const struct pod_host_path *h)
{
        if (!pod_v_set(h->path)) {
                pod_v_required(c, "path", NULL);
                return;
        }
        if (pod_v_has_backsteps(h->path))
                pod_v_invalid(c, "path", h->path, "must not contain '..'");
        if (h->type && !pod_v_in(h->type, host_path_types))
                pod_v_not_supported(c, "type", h->type, host_path_types);
}

/* The medium is not validated by the API server; the kubelet refuses an
 * unknown one when it sets the volume up. Checked here so the manifest is
 * refused up front: "", "Memory", "HugePages" or "HugePages-<size>". */
static void empty_dir(struct pod_vctx *c, const struct pod_empty_dir *e)
{
        static const char *const media[] = { "", "HugePages", "HugePages-<size>", "Memory", NULL };
        if (e->sizeLimit.set && e->sizeLimit.nano < 0)
                pod_v_forbidden(c, "sizeLimit", "SizeLimit field must be a valid resource quantity");
        const char *medium = pod_v_s(e->medium);
        struct pod_quantity size;
        if (!*medium || strcmp(medium, "Memory") == 0 || strcmp(medium, "HugePages") == 0)
                return;
        if (strncmp(medium, "HugePages-", 10) == 0 && pod_quantity_parse(medium + 10, &size, NULL) == 0 &&
            size.nano > 0)
                return;
        pod_v_not_supported(c, "medium", medium, media);
}

static void nfs(struct pod_vctx *c, const struct pod_nfs_volume *n)
{
        if (!pod_v_set(n->server))
                pod_v_required(c, "server", NULL);
        if (!pod_v_set(n->path))
                pod_v_required(c, "path", NULL);
        if (pod_v_s(n->path)[0] != '/')
                pod_v_invalid(c, "path", n->path, "must be an absolute path");
}

/* validateDownwardAPIVolumeFile; errors land on the source's own path (at),
 * not on the item, as upstream reports them. */
static void downward_file(struct pod_vctx *c, const struct pod_downward_file *f)
{
        if (!pod_v_set(f->path))
                pod_v_required(c, "path", NULL);
        pod_v_local_non_reserved_path(c, "path", f->path);
        if (f->fieldRef) {
                size_t m = dh_path_field(&c->path, "fieldRef");
                pod_validate_object_field_selector(c, f->fieldRef, pod_v_volume_field_paths);
                dh_path_pop(&c->path, m);
                if (f->resourceFieldRef)
                        pod_v_invalid(c, NULL, "resource",
                                      "fieldRef and resourceFieldRef can not be specified simultaneously");
        } else if (f->resourceFieldRef) {
                size_t m = dh_path_field(&c->path, "resourceFieldRef");
                pod_validate_resource_field_selector(c, f->resourceFieldRef, true);
                dh_path_pop(&c->path, m);
        } else {
                pod_v_required(c, NULL, "one of fieldRef and resourceFieldRef is required");
        }
        file_mode(c, "mode", &f->mode);
}

static void downward(struct pod_vctx *c, const struct pod_downward_volume *d)
{
        file_mode(c, "defaultMode", &d->defaultMode);
        for (size_t i = 0; i < d->items.n; i++)
                downward_file(c, &d->items.v[i]);
}

static void csi(struct pod_vctx *c, const struct pod_csi_volume *v)
{
        const char *driver = pod_v_s(v->driver);
        if (!*driver)
                pod_v_required(c, "driver", NULL);
        if (strlen(driver) > 63) {
                size_t m = dh_path_field(&c->path, "driver");
                dh_ferr_add(c->errs, DH_FERR_TOO_LONG, dh_path_str(&c->path), NULL,
                            "may not be more than 63 bytes");
                dh_path_pop(&c->path, m);
        }
        _cleanup_free_ char *lower = strdup(driver);
        for (char *p = lower; p && *p; p++)
                if (*p >= 'A' && *p <= 'Z')
                        *p = (char)(*p - 'A' + 'a');
        struct pod_msgs msgs;
        pod_is_dns1123_subdomain(lower ? lower : "", &msgs);
        pod_v_msgs(c, "driver", driver, &msgs);
        if (!v->nodePublishSecretRef)
                return;
        if (!pod_v_set(v->nodePublishSecretRef->name))
                pod_v_required(c, "nodePublishSecretRef.name", NULL);
        else /* upstream reports this one at csi.name */
                pod_v_dns_subdomain(c, "name", v->nodePublishSecretRef->name);
}

static void ephemeral(struct pod_vctx *c, const struct pod_volume *v)
{
        if (!json_is_object(json_object_get(v->ephemeral, "volumeClaimTemplate")))
                pod_v_required(c, "volumeClaimTemplate", NULL);
}

/* The claim an ephemeral volume creates is "<pod>-<volume>" and must be a
 * valid object name; reported at the volume's name. */
static void ephemeral_claim_name(struct pod_vctx *c, const struct pod_volume *v)
{
        const char *pod = c->pod->metadata.name;
        if (!pod_v_set(pod) || !pod_v_set(v->name))
                return;
        _cleanup_free_ char *pvc = NULL;
        if (asprintf(&pvc, "%s-%s", pod, v->name) < 0)
                return;
        struct pod_msgs msgs;
        pod_is_dns1123_subdomain(pvc, &msgs);
        for (size_t i = 0; i < msgs.n; i++) {
                _cleanup_free_ char *q = dh_quote(pvc);
                _cleanup_free_ char *detail = NULL;
                if (asprintf(&detail, "PVC name %s: %s", q ? q : "", msgs.v[i]) >= 0)
                        pod_v_invalid(c, "name", v->name, detail);
        }
}

static void image_source(struct pod_vctx *c, const struct pod_image_volume *img)
{
        static const char *const pull[] = { "Always", "IfNotPresent", "Never", NULL };
        if (!pod_v_set(img->reference))
                pod_v_required(c, "reference", NULL);
        pod_v_enum(c, "pullPolicy", img->pullPolicy, pull);
}

/* Reports at an ancestor of the current path (mark), as upstream reports
 * some projected-volume errors, then returns to where the walk was. */
static void invalid_at(struct pod_vctx *c, size_t mark, const char *value, const char *detail)
{
        struct dh_path saved = c->path;
        dh_path_pop(&c->path, mark);
        pod_v_invalid(c, NULL, value, detail);
        c->path = saved;
}

/* A secret or configMap projection, at sources[i].<kind>. */
static void projection_ref(struct pod_vctx *c, const struct pod_projection_ref *r,
                           struct pod_v_index *seen, size_t proj)
{
        if (!pod_v_set(r->name))
                pod_v_required(c, "name", NULL);
        size_t m = dh_path_field(&c->path, "items");
        for (size_t i = 0; i < r->items.n; i++) {
                size_t mi = dh_path_index(&c->path, i);
                key_to_path(c, &r->items.v[i]);
                if (pod_v_set(r->items.v[i].path) && !pod_v_index_add(seen, r->items.v[i].path, 0))
                        invalid_at(c, proj, r->name, "conflicting duplicate paths");
                dh_path_pop(&c->path, mi);
        }
        dh_path_pop(&c->path, m);
}

static void projection_downward(struct pod_vctx *c, const struct pod_downward_volume *d,
                                struct pod_v_index *seen, size_t proj)
{
        for (size_t i = 0; i < d->items.n; i++) {
                const struct pod_downward_file *f = &d->items.v[i];
                downward_file(c, f);
                if (pod_v_set(f->path) && !pod_v_index_add(seen, f->path, 0))
                        invalid_at(c, proj, f->path, "conflicting duplicate paths");
        }
}

/* The token's path is reported at "projected.path", as upstream does. */
static void projection_token(struct pod_vctx *c, const struct pod_sa_token_projection *t,
                             size_t proj)
{
        int64_t exp = t->expirationSeconds.set ? t->expirationSeconds.v : 0;
        if (exp < 10 * 60)
                pod_v_invalid_int(c, "expirationSeconds", exp,
                                  "may not specify a duration less than 10 minutes");
        if (exp > (int64_t)1 << 32)
                pod_v_invalid_int(c, "expirationSeconds", exp,
                                  "may not specify a duration larger than 2^32 seconds");
        struct dh_path saved = c->path;
        dh_path_pop(&c->path, proj);
        if (!pod_v_set(t->path))
                pod_v_required(c, "path", NULL);
        else
                pod_v_local_non_reserved_path(c, "path", t->path);
        c->path = saved;
}

static size_t projection(struct pod_vctx *c, const struct pod_volume_projection *s,
                         struct pod_v_index *seen, size_t proj)
{
        size_t n = 0, m;
        if (s->secret) {
                n++;
                m = dh_path_field(&c->path, "secret");
                projection_ref(c, s->secret, seen, proj);
                dh_path_pop(&c->path, m);
        }
        if (s->configMap) {
                n++;
                m = dh_path_field(&c->path, "configMap");
                projection_ref(c, s->configMap, seen, proj);
                dh_path_pop(&c->path, m);
        }
        if (s->downwardAPI) {
                n++;
                m = dh_path_field(&c->path, "downwardAPI");
                projection_downward(c, s->downwardAPI, seen, proj);
                dh_path_pop(&c->path, m);
        }
        if (s->serviceAccountToken) {
                n++;
                m = dh_path_field(&c->path, "serviceAccountToken");
                projection_token(c, s->serviceAccountToken, proj);
                dh_path_pop(&c->path, m);
        }
        if (s->clusterTrustBundle) /* kept raw: counted, not inspected */
                n++;
        return n;
}

static void projected(struct pod_vctx *c, const struct pod_projected_volume *p)
{
        file_mode(c, "defaultMode", &p->defaultMode);
        struct pod_v_index seen = { 0 };
        size_t proj = c->path.len;
        size_t m = dh_path_field(&c->path, "sources");
        for (size_t i = 0; i < p->sources.n; i++) {
                size_t mi = dh_path_index(&c->path, i);
                if (projection(c, &p->sources.v[i], &seen, proj) > 1)
                        pod_v_forbidden(c, NULL, "may not specify more than 1 volume type per source");
                dh_path_pop(&c->path, mi);
        }
        dh_path_pop(&c->path, m);
        pod_v_index_free(&seen);
}

static void secret(struct pod_vctx *c, const struct pod_secret_volume *s)
{
        if (!pod_v_set(s->secretName))
                pod_v_required(c, "secretName", NULL);
        file_mode(c, "defaultMode", &s->defaultMode);
        items(c, s->items.v, s->items.n);
}

static void config_map(struct pod_vctx *c, const struct pod_configmap_volume *s)
{
        if (!pod_v_set(s->name))
                pod_v_required(c, "name", NULL);
        file_mode(c, "defaultMode", &s->defaultMode);
        items(c, s->items.v, s->items.n);
}

/* One source's own rules, at its field. */
static void check_source(struct pod_vctx *c, const struct pod_volume *v, enum source_kind k)
{
        switch (k) {
        case SRC_EMPTY_DIR: empty_dir(c, v->emptyDir); break;
        case SRC_HOST_PATH: host_path(c, v->hostPath); break;
        case SRC_SECRET: secret(c, v->secret); break;
        case SRC_NFS: nfs(c, v->nfs); break;
        case SRC_PVC:
                if (!pod_v_set(v->persistentVolumeClaim->claimName))
                        pod_v_required(c, "claimName", NULL);
                break;
        case SRC_DOWNWARD: downward(c, v->downwardAPI); break;
        case SRC_CONFIG_MAP: config_map(c, v->configMap); break;
        case SRC_PROJECTED: projected(c, v->projected); break;
        case SRC_CSI: csi(c, v->csi); break;
        case SRC_EPHEMERAL: ephemeral(c, v); break;
        case SRC_IMAGE: image_source(c, v->image); break;
        case SRC_LEGACY: break; /* raw JSON: counted only */
        }
}

/* validateVolumeSource, at volumes[i]. */
static void volume_source(struct pod_vctx *c, const struct pod_volume *v)
{
        size_t count = 0;
        for (size_t i = 0; i < DH_ARRAY_SIZE(sources); i++) {
                const struct source *s = &sources[i];
                if (!source_present(v, s))
                        continue;
                if (count++ > 0) {
                        pod_v_forbidden(c, s->dup ? s->dup : s->field,
                                        "may not specify more than 1 volume type");
                        continue;
                }
                size_t m = dh_path_field(&c->path, s->field);
                check_source(c, v, s->kind);
                dh_path_pop(&c->path, m);
                if (s->kind == SRC_EPHEMERAL)
                        ephemeral_claim_name(c, v);
        }
        if (count == 0)
                pod_v_required(c, NULL, "must specify a volume type");
}

/* The claims ephemeral volumes will create: "<pod>-<volume>". */
static void created_claims(const struct pod_vctx *c, struct pod_v_index *claims)
{
        const struct pod_spec *s = &c->pod->spec;
        const char *pod = c->pod->metadata.name;
        if (!pod_v_set(pod))
                return;
        for (size_t i = 0; i < s->volumes.n; i++) {
                _cleanup_free_ char *claim = NULL;
                if (s->volumes.v[i].ephemeral &&
                    asprintf(&claim, "%s-%s", pod, pod_v_s(s->volumes.v[i].name)) >= 0)
                        pod_v_index_add(claims, claim, i);
        }
}

static size_t error_count(const struct pod_vctx *c)
{
        return c->errs->n + c->errs->dropped;
}

/* ValidateVolumes. Fills usable with the volumes that validated cleanly;
 * only those count as taken names and only those may be mounted. */
void pod_validate_volumes(struct pod_vctx *c, struct pod_v_index *usable)
{
        const struct pod_spec *s = &c->pod->spec;
        struct pod_v_index claims = { 0 };
        created_claims(c, &claims);
        size_t m = dh_path_field(&c->path, "volumes");
        for (size_t i = 0; i < s->volumes.n; i++) {
                const struct pod_volume *v = &s->volumes.v[i];
                size_t mi = dh_path_index(&c->path, i);
                size_t before = error_count(c);
                volume_source(c, v);
                if (!pod_v_set(v->name))
                        pod_v_required(c, "name", NULL);
                else
                        pod_v_dns_label(c, "name", v->name);
                if (pod_v_index_has(usable, v->name))
                        pod_v_duplicate(c, "name", v->name);
                if (error_count(c) == before)
                        pod_v_index_add(usable, v->name, i);
                if (v->persistentVolumeClaim &&
                    pod_v_index_has(&claims, pod_v_s(v->persistentVolumeClaim->claimName)))
                        pod_v_invalid(c, "persistentVolumeClaim.claimName",
                                      v->persistentVolumeClaim->claimName,
                                      "must not reference a PVC that gets created for an ephemeral volume");
                dh_path_pop(&c->path, mi);
        }
        dh_path_pop(&c->path, m);
        pod_v_index_free(&claims);
}

/* validatePodMetadataAndSpec: a projected token needs a service account
 * (upstream's admission fills serviceAccountName in; a static pod must). */
void pod_validate_sa_token_sources(struct pod_vctx *c)
{
        const struct pod_spec *s = &c->pod->spec;
        if (pod_v_set(s->serviceAccountName) || pod_v_set(s->serviceAccount))
                return;
        for (size_t i = 0; i < s->volumes.n; i++) {
                const struct pod_projected_volume *p = s->volumes.v[i].projected;
                for (size_t j = 0; p && j < p->sources.n; j++) {
                        if (!p->sources.v[j].serviceAccountToken)
                                continue;
                        struct dh_path saved = c->path;
                        dh_path_field(&c->path, "volumes");
                        dh_path_index(&c->path, i);
                        dh_path_field(&c->path, "projected");
                        dh_path_field(&c->path, "sources");
                        dh_path_index(&c->path, j);
                        pod_v_forbidden(c, "serviceAccountToken",
                                        "must not be specified when serviceAccountName is not set");
                        c->path = saved;
                }
        }
}
