/* One round of image garbage collection against a runtime, with the
 * kubelet's semantics (cri/image/gc.h plans it): over the high threshold,
 * unused images go, least recently used first, until usage is back at the
 * low threshold; images a container uses are never removed. Afterwards
 * layers and blobs no image names are removed too. First-detected and
 * last-used times come from the image store's records, so a restart keeps
 * the order. */
#pragma once
#include "cri/cri.h"
#include "cri/image/gc.h"

struct agent_image_gc_result {
        struct img_gc_plan plan;  /* what was decided */
        struct dh_strv removed;   /* ids actually removed */
        int64_t freed_bytes;      /* images' sizes plus pruned leftovers */
};
void agent_image_gc_result_free(struct agent_image_gc_result *r);

/* began_ns: when GC started running on this node (for the maximum age).
 * Removal failures of single images are skipped (the next round retries);
 * the plan's event (FreeDiskSpaceFailed...) is the caller's to report. */
int agent_image_gc(struct rt *rt, const struct img_gc_policy *policy, int64_t began_ns,
                   int64_t now_ns, struct agent_image_gc_result *out, struct dh_err **err);
