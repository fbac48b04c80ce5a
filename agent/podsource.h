/* The static pod file source: the pods a manifest directory (kubelet's
 * staticPodPath / --pod-manifest-path) describes, kept up to date inside the
 * event loop with inotify, a short debounce and a periodic full resync, and
 * reported as add / update / remove changes.
 *
 * Semantics (kubelet: pkg/kubelet/config/file.go, file_linux.go, common.go,
 * config.go), and where deckhand decides differently:
 *  - Files are the non-hidden entries of the directory, in name order, no
 *    recursion (agent/manifests.h); the path may also name one file.
 *  - A file may hold several pods (YAML documents, PodList, List). kubelet's
 *    file source reads exactly one Pod per file; deckhand reads them all,
 *    but all-or-nothing: one bad document rejects the whole file, as
 *    kubelet's old PodList reader did.
 *  - A file that cannot be read, parsed or validated is reported through
 *    error() and contributes no pods; other files are untouched. A file that
 *    turns invalid loses its pods (remove()). kubelet keeps the old pod when
 *    it sees the bad write through inotify but drops it at the next listing
 *    (<= 20 s later); deckhand goes straight to that settled state so the
 *    outcome never depends on which path noticed the change.
 *  - Pods are identified by "<namespace>/<name>" (the final static name).
 *    When two files define the same pod, the file first in name order wins
 *    and the other's pod is reported through error(). (kubelet's store keys
 *    by the same name and keeps whichever file it read last; its config
 *    merge then keeps the first of duplicates. Name order keeps the result a
 *    function of the directory's contents alone, across restarts.)
 *  - A changed pod is update(old, new); its UID, hash and config.seen are
 *    new, since the content hash makes the UID (kubelet sees a new UID as a
 *    delete plus an add: a consumer must treat a UID change as recreate).
 *    Rewriting or touching a file without changing its pods reports
 *    nothing. Moving a pod to another file changes its hash (the path is
 *    hashed), so it is an update.
 *  - The directory missing (at start, or removed later) means no pods, and
 *    is not an error: it is watched again at the next resync. Other listing
 *    failures (EACCES, too many entries) are reported and keep the current
 *    pods, as kubelet keeps its store when listing fails.
 *  - Changes are reported removes first, then updates, then adds, each in
 *    key order, all from inside the loop (never from open()).
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "agent/staticpod.h"
#include "lib/err.h"
#include "lib/loop.h"

/* kubelet's fileCheckFrequency. */
#define AGENT_PODSOURCE_UNWATCHED_RETRY_MS 1000 /* while the directory is missing */
#define AGENT_PODSOURCE_RESYNC_MS 20000
/* A finished write (closed, renamed in, removed) is read at once; other
 * events (a file created or modified, still being written) closer
 * together than this are coalesced into one rescan, but a stream of them
 * delays it by at most DEBOUNCE_MAX. */
#define AGENT_PODSOURCE_DEBOUNCE_MS 100
#define AGENT_PODSOURCE_DEBOUNCE_MAX_MS 1000
/* Most pods the source holds (kubelet's default maxPods is 110); files whose
 * pods would go beyond it are rejected with DH_ELIMIT, in name order. */
#define AGENT_PODSOURCE_MAX_PODS 1000
/* Bytes read from inotify at once (a few hundred events). */
#define AGENT_PODSOURCE_INOTIFY_BUF 16384

struct agent_podsource;

/* The pods handed to callbacks stay valid until they are passed to remove()
 * or as update()'s old, or until agent_podsource_close(). Callbacks may quit
 * the loop but must not close the source. */
struct agent_podsource_ops {
        void (*add)(void *ud, const struct agent_static_pod *pod);
        void (*update)(void *ud, const struct agent_static_pod *old,
                       const struct agent_static_pod *pod);
        void (*remove)(void *ud, const struct agent_static_pod *pod);
        /* A file (or the directory) that could not be used; err says why,
         * field errors included. */
        void (*error)(void *ud, const char *path, const struct dh_err *err);
        /* Optional: after every scan, once its changes are reported (the
         * first one marks the source as seen, as kubelet's sourcesReady). */
        void (*synced)(void *ud, size_t npods);
};

/* Starts watching dir for node node_name (kubelet's nodeName); resync_ms 0
 * means AGENT_PODSOURCE_RESYNC_MS. The first scan runs from the loop, as
 * soon as it runs. A missing dir is fine (see above). */
int agent_podsource_open(struct dh_loop *loop, const char *dir, const char *node_name,
                         uint64_t resync_ms, const struct agent_podsource_ops *ops, void *ud,
                         struct agent_podsource **out, struct dh_err **err);
/* Stops watching and frees every pod, without calling remove(). */
void agent_podsource_close(struct agent_podsource *src);

/* The current pods, in key order. */
size_t agent_podsource_pods(const struct agent_podsource *src,
                            const struct agent_static_pod *const **v);
