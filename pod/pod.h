/* The Pod model's public API: decoding from YAML/JSON, the API server's
 * defaulting, the QoS class, and validation. */
#pragma once
#include <jansson.h>
#include <stddef.h>

#include "lib/err.h"
#include "lib/fielderr.h"
#include "pod/types.h"

/* Largest manifest file accepted (etcd's object limit is 1.5 MiB). */
#define POD_FILE_MAX (4u << 20)

/* Decodes one object already known to be a Pod. Never fails for bad input:
 * type errors go to errs with their field paths. NULL only on OOM. */
struct pod *pod_decode_object(json_t *doc, struct dh_ferrs *errs);
void pod_free(struct pod *p);
/* The pod as JSON, every field the model holds (unset ones omitted,
 * quantities in canonical form): decoding it gives the same pod. NULL on
 * OOM. */
json_t *pod_encode(const struct pod *p);

/* One Pod found in a file: document index, item index within a PodList/List
 * (or -1), the decoded pod (NULL if the document is not a Pod) and every
 * error found decoding and validating it. */
struct pod_doc {
        struct pod *pod;
        json_t *json; /* the document (or list item) as decoded */
        int doc_index;
        int item_index;
        struct dh_ferrs errs;
};
struct pod_set {
        struct pod_doc *v;
        size_t n;
};

/* Parses a buffer of YAML/JSON documents into pods, defaulting and
 * validating each. A syntax error fails the whole buffer (err says line and
 * column); per-document problems stay in each pod_doc's errs. Documents of
 * kind PodList or List contribute their items. */
int pod_load_buffer(const char *data, size_t len, struct pod_set *out, struct dh_err **err);
int pod_load_file(const char *path, struct pod_set *out, struct dh_err **err);
void pod_set_free(struct pod_set *s);

/* Applies the API server's defaults (SetObjectDefaults_Pod and friends). */
void pod_set_defaults(struct pod *p);
/* The imagePullPolicy the API server gives a container (or image volume)
 * that has none: "Always" for a ":latest" or untagged image, else
 * "IfNotPresent". A static string. */
const char *pod_default_image_pull_policy(const char *image);

enum pod_qos { POD_QOS_BEST_EFFORT, POD_QOS_BURSTABLE, POD_QOS_GUARANTEED };
enum pod_qos pod_qos_class(const struct pod *p);
const char *pod_qos_name(enum pod_qos q); /* "BestEffort", "Burstable", "Guaranteed" */
/* kubelet's cgroupfs parent for the pod: "kubepods/pod<uid>" (Guaranteed),
 * "kubepods/burstable/pod<uid>", "kubepods/besteffort/pod<uid>". Returns
 * the length, or -1 if it does not fit or the uid is not path-safe. */
int pod_cgroup_parent(const struct pod *p, char *buf, size_t size);

/* Validates a defaulted pod as the API server would on create
 * (ValidatePodCreate), appending every problem to errs. */
void pod_validate(const struct pod *p, struct dh_ferrs *errs);

/* How a pod_doc is named in messages: `pod "ns/name"` when it has a name,
 * else its position ("document 2, item 0") plus the object's own name if it
 * has one, so every line points at one object. */
void pod_doc_label(const struct pod_doc *d, char *buf, size_t size);

/* The namespace, with "default" for an empty one. */
const char *pod_namespace(const struct pod *p);
