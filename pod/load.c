/* From text to pods: split documents, check kinds, unwrap lists, then
 * decode, default and validate each Pod. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "lib/fileio.h"
#include "lib/yaml.h"
#include "pod/pod.h"

/* Bounds the pods one file may hold (a PodList can be large but not huge). */
#define POD_SET_MAX 5000

static struct pod_doc *set_add(struct pod_set *s, int doc_index, int item_index, json_t *json)
{
        if (s->n >= POD_SET_MAX)
                return NULL;
        struct pod_doc *v = realloc(s->v, (s->n + 1) * sizeof *v);
        if (!v)
                return NULL;
        s->v = v;
        struct pod_doc *d = &v[s->n++];
        *d = (struct pod_doc){ .json = json_incref(json), .doc_index = doc_index,
                               .item_index = item_index };
        return d;
}

static void check_api_version(json_t *obj, struct dh_ferrs *errs)
{
        static const char *const v1[] = { "v1", NULL };
        json_t *av = json_object_get(obj, "apiVersion");
        struct dh_path p = { 0 };
        dh_path_field(&p, "apiVersion");
        if (!av || json_is_null(av))
                dh_ferr_required(errs, &p, "must be \"v1\" for kind Pod");
        else if (!json_is_string(av))
                dh_ferr_invalid_raw(errs, &p, "(not a string)", "must be a string");
        else if (strcmp(json_string_value(av), "v1") != 0)
                dh_ferr_not_supported(errs, &p, json_string_value(av), v1);
}

/* Decodes, defaults and validates one Pod object into d. Validation runs
 * only on a pod that decoded cleanly: type errors leave fields unset, and
 * validating those would bury the real problem under Required errors, so
 * (like the API server) we report the decoding errors first. */
static void load_pod(struct pod_doc *d, json_t *obj, bool item_of_podlist)
{
        /* PodList items are typed by the list, so they may omit apiVersion. */
        if (!item_of_podlist || json_object_get(obj, "apiVersion"))
                check_api_version(obj, &d->errs);
        d->pod = pod_decode_object(obj, &d->errs);
        if (!d->pod || d->errs.n || d->errs.dropped)
                return;
        pod_set_defaults(d->pod);
        pod_validate(d->pod, &d->errs);
}

static const char *const pod_kinds[] = { "Pod", "PodList", "List", NULL };

static int load_list(struct pod_set *s, int di, json_t *doc, bool typed);

/* Handles one document (or list item): a Pod, a list of them, or an error
 * naming what it is instead. */
static int load_object(struct pod_set *s, int di, int item, json_t *obj, bool item_of_podlist)
{
        if (!json_is_object(obj)) {
                struct pod_doc *d = set_add(s, di, item, obj);
                if (!d)
                        return -ENOMEM;
                struct dh_path p = { 0 };
                dh_path_field(&p, item >= 0 ? "items" : "document");
                jd_type_error(&(struct jd_ctx){ .errs = &d->errs, .path = p }, obj, "an object");
                return 0;
        }
        json_t *kind = json_object_get(obj, "kind");
        const char *k = json_is_string(kind) ? json_string_value(kind) : NULL;
        if (item < 0 && k && (strcmp(k, "PodList") == 0 || strcmp(k, "List") == 0))
                return load_list(s, di, obj, strcmp(k, "PodList") == 0);
        struct pod_doc *d = set_add(s, di, item, obj);
        if (!d)
                return -ENOMEM;
        struct dh_path p = { 0 };
        dh_path_field(&p, "kind");
        if ((k && strcmp(k, "Pod") == 0) || (!k && item_of_podlist))
                load_pod(d, obj, item_of_podlist);
        else if (kind && !json_is_null(kind) && !json_is_string(kind))
                jd_type_error(&(struct jd_ctx){ .errs = &d->errs, .path = p }, kind, "a string");
        else if (!k)
                dh_ferr_required(&d->errs, &p, "must be \"Pod\"");
        else
                dh_ferr_not_supported(&d->errs, &p, k, pod_kinds);
        return 0;
}

static int load_list(struct pod_set *s, int di, json_t *doc, bool typed)
{
        json_t *items = json_object_get(doc, "items");
        if (items && !json_is_array(items) && !json_is_null(items)) {
                struct pod_doc *d = set_add(s, di, -1, doc);
                if (!d)
                        return -ENOMEM;
                struct dh_path p = { 0 };
                dh_path_field(&p, "items");
                jd_type_error(&(struct jd_ctx){ .errs = &d->errs, .path = p }, items, "a list");
                return 0;
        }
        size_t i;
        json_t *it;
        json_array_foreach(items, i, it) {
                int r = load_object(s, di, (int)i, it, typed);
                if (r < 0)
                        return r;
        }
        return 0;
}

int pod_load_buffer(const char *data, size_t len, struct pod_set *out, struct dh_err **err)
{
        struct dh_docs docs = { 0 };
        int r = dh_yaml_parse(data, len, &docs, err);
        if (r < 0)
                return r;
        struct pod_set s = { 0 };
        for (size_t i = 0; i < docs.n && r == 0; i++)
                r = load_object(&s, (int)i + 1, -1, docs.v[i], false);
        dh_docs_free(&docs);
        if (r < 0) {
                pod_set_free(&s);
                return dh_err_set(err, DH_ELIMIT, "more than %d pods, or out of memory", POD_SET_MAX);
        }
        *out = s;
        return 0;
}

int pod_load_file(const char *path, struct pod_set *out, struct dh_err **err)
{
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        int r = dh_read_file(path, POD_FILE_MAX, &data, &len, err);
        if (r < 0)
                return r;
        if (memchr(data, '\0', len))
                return dh_err_set(err, EINVAL, "%s: binary data (NUL byte) is not a manifest", path);
        r = pod_load_buffer(data, len, out, err);
        if (r < 0)
                return dh_err_prefix(err, "%s", path);
        return 0;
}

void pod_set_free(struct pod_set *s)
{
        for (size_t i = 0; i < s->n; i++) {
                pod_free(s->v[i].pod);
                json_decref(s->v[i].json);
                dh_ferrs_free(&s->v[i].errs);
        }
        free(s->v);
        *s = (struct pod_set){ 0 };
}

const char *pod_namespace(const struct pod *p)
{
        const char *ns = p ? p->metadata.namespace : NULL;
        return ns && *ns ? ns : "default";
}

void pod_doc_label(const struct pod_doc *d, char *buf, size_t size)
{
        const struct pod *p = d->pod;
        if (p && p->metadata.name && *p->metadata.name) {
                snprintf(buf, size, "pod \"%s/%s\"", pod_namespace(p), p->metadata.name);
                return;
        }
        int n = d->item_index >= 0
                        ? snprintf(buf, size, "document %d, item %d", d->doc_index, d->item_index)
                        : snprintf(buf, size, "document %d", d->doc_index);
        /* Not a Pod (or no name): still say which object it is, if it says. */
        json_t *name = json_object_get(json_object_get(d->json, "metadata"), "name");
        if (!p && json_is_string(name) && n > 0 && (size_t)n < size)
                snprintf(buf + n, size - (size_t)n, " (name \"%.200s\")", json_string_value(name));
}
