/* One static pod as kubelet's file source hands it on: the decoded,
 * API-defaulted pod plus the defaults kubelet gives every pod it reads from
 * a manifest file (pkg/kubelet/config/common.go applyDefaults, and the
 * source/seen annotations config.go adds). Pure: no I/O, the clock passed
 * in. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"
#include "pod/pod.h"

#define AGENT_ANN_CONFIG_HASH "kubernetes.io/config.hash"
#define AGENT_ANN_CONFIG_SOURCE "kubernetes.io/config.source"
#define AGENT_ANN_CONFIG_SEEN "kubernetes.io/config.seen"

/* sha256 in hex, and the UID kubelet-sized (32 hex digits, as its md5). */
#define AGENT_STATIC_POD_HASH_LEN 64
#define AGENT_STATIC_POD_UID_LEN 32

struct agent_static_pod {
        /* metadata.name "<name>-<lowercased node>", namespace ("default"
         * when empty), uid, the config.* annotations, spec.nodeName, the
         * NoExecute toleration and status.phase "Pending" all set. */
        struct pod *pod;
        char *path; /* the manifest file it came from */
        char *key;  /* "<namespace>/<name>", the final name */
        /* Content hash: sha256 over "host:<node>", "file:<path>" and the pod's
         * canonical JSON before the static defaults. Equal hash, same pod. */
        char hash[AGENT_STATIC_POD_HASH_LEN + 1];
        unsigned refs; /* agent_static_pod_ref/unref */
};

/* Applies the static pod defaults to pod (taken, freed on failure) read
 * from path on node `node`, first seen at seen_ns (Unix ns), and validates
 * the result again (the final name must still be a valid pod name). The
 * UID is the hash's first 32 digits unless the manifest sets one; the
 * config.hash annotation is the UID, as in kubelet. */
int agent_static_pod_make(struct pod *pod, const char *path, const char *node, int64_t seen_ns,
                          struct agent_static_pod **out, struct dh_err **err);
void agent_static_pod_free(struct agent_static_pod *sp);
/* Shared ownership: the pod source holds one reference per file entry,
 * the pod manager one while it runs or terminates the pod. unref frees
 * at zero; both accept NULL. */
struct agent_static_pod *agent_static_pod_ref(struct agent_static_pod *sp);
void agent_static_pod_unref(struct agent_static_pod *sp);

/* Go's time.RFC3339Nano in UTC: "2006-01-02T15:04:05.999999999Z" with
 * trailing zeros of the fraction (and a bare dot) dropped. Returns the
 * length, or -1 if it does not fit (32 bytes always do). */
int agent_format_rfc3339nano(int64_t ns, char *buf, size_t size);
