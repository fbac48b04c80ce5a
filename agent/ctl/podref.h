/* Which container `deckctl logs` and `deckctl exec` mean by their first
 * argument: a container ID (or unique ID prefix), or a pod named as kubectl
 * names it, with -c CONTAINER, -n NAMESPACE and --previous. Pure: it reads
 * the runtime's sandbox and container lists and decides; deckctl does the
 * I/O around it.
 *
 * The rule, as deckctl's usage states it: without -c and -n, a target that
 * is the ID or the unique ID prefix of a container means that container.
 * Otherwise it names a pod in the namespace (default "default"): the pod
 * with exactly that name, else, for a static pod, the one pod named
 * TARGET-<suffix> ("web" for "web-node1"; static pods, whose sandbox
 * carries kubernetes.io/config.source, win over others). A pod is the
 * newest sandbox of that name and every sandbox sharing its UID. */
#pragma once
#include <stdbool.h>

#include "cri/cri.h"
#include "lib/err.h"

/* The pod annotation naming the container kubectl picks without -c. */
#define CTL_ANN_DEFAULT_CONTAINER "kubectl.kubernetes.io/default-container"

struct ctl_podref_query {
        const char *target;    /* container ID, ID prefix, or pod name */
        const char *namespace; /* NULL: "default" */
        const char *container; /* -c; NULL: the pod's default container */
        bool previous;         /* logs --previous: the instance before */
        bool pod_only;         /* -c or -n given: target never is an ID */
};

struct ctl_podref {
        /* The chosen container instance, borrowed from the container list. */
        const struct rt_container_status *container;
        /* The pod and container names for messages; pod and namespace are
         * NULL when the target was a container ID (without --previous). */
        char *pod, *namespace, *container_name;
        /* kubectl's `Defaulted container "X" out of: a, b (init)` when the
         * container was chosen for the user among several; else NULL. */
        char *notice;
};

/* Resolves q against the runtime's lists. Errors name what was asked and,
 * for an unknown container, the pod's containers: ENOENT (no such pod,
 * container or previous instance), EINVAL (ambiguous), ENOMEM. *out is
 * untouched on failure. */
int ctl_podref_resolve(const struct rt_sandbox_list *sandboxes, const struct rt_container_list *containers,
                       const struct ctl_podref_query *q, struct ctl_podref *out, struct dh_err **err);
void ctl_podref_free(struct ctl_podref *r);
