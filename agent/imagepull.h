/* The kubelet's image manager (EnsureImageExists) as plain data: from a
 * container's image, its pull policy, whether the image is present and
 * the pull back-off, decide to use the image, pull it, or fail with the
 * kubelet's waiting reason and message, and list the events the kubelet
 * records on the way. Pure logic: the caller looks images up, pulls, and
 * posts the events. Messages quote the image as the container spec wrote
 * it, as the kubelet does. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/backoff.h"
#include "lib/err.h"

/* The kubelet's image pull back-off: flowcontrol.NewBackOff(10s, 300s),
 * keyed by "<pod UID>_<image>". */
#define AGENT_IMAGE_BACKOFF_INITIAL_NS (10LL * 1000000000LL)
#define AGENT_IMAGE_BACKOFF_MAX_NS (300LL * 1000000000LL)
#define AGENT_IMAGE_BACKOFF_ENTRIES_MAX 4096
void agent_image_backoff_init(struct dh_backoff *b);

enum agent_pull_policy { AGENT_PULL_ALWAYS, AGENT_PULL_IF_NOT_PRESENT, AGENT_PULL_NEVER };

/* "Always", "IfNotPresent", "Never"; NULL or "" gets the API server's
 * default for image. Anything else is -EINVAL. */
int agent_pull_policy_parse(const char *policy, const char *image,
                            enum agent_pull_policy *out, struct dh_err **err);

/* applyDefaultImageTag: "busybox" -> "busybox:latest"; a reference with a
 * tag or a digest is returned as written. On an unparseable image, -EINVAL
 * with ParseImageName's message: couldn't parse image name "x": <why>. */
int agent_image_default_tag(const char *image, char **out, struct dh_err **err);

enum agent_image_lookup {
        AGENT_IMAGE_ABSENT,
        AGENT_IMAGE_PRESENT,
        AGENT_IMAGE_LOOKUP_FAILED, /* the runtime could not say */
};

struct agent_image_request {
        const char *pod_uid;
        const char *image;  /* container.image as written */
        enum agent_pull_policy policy;
        /* The runtime's answer for agent_image_default_tag(image); not read
         * when the image does not parse. */
        enum agent_image_lookup lookup;
        const char *lookup_error; /* with AGENT_IMAGE_LOOKUP_FAILED */
};

enum agent_image_action {
        AGENT_IMAGE_USE,  /* the image is there: create the container */
        AGENT_IMAGE_PULL, /* pull pull_image, then call agent_image_pull_done */
        AGENT_IMAGE_FAIL, /* the container waits with reason and message */
};

struct agent_image_event {
        const char *type;   /* "Normal" or "Warning" */
        const char *reason; /* "Pulling", "Pulled", "Failed", "BackOff", ... */
        char *message;
};
#define AGENT_IMAGE_EVENTS_MAX 2

struct agent_image_decision {
        enum agent_image_action action;
        /* FAIL: the container's waiting reason ("ErrImagePull",
         * "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull",
         * "ImageInspectError", "RegistryUnavailable",
         * "SignatureValidationFailed") and message. */
        const char *reason;
        char *message;
        char *pull_image; /* PULL: the reference to pull (default tag applied) */
        /* Events in the order the kubelet records them on the pod, for
         * the container's field path. */
        struct agent_image_event events[AGENT_IMAGE_EVENTS_MAX];
        size_t n_events;
};
void agent_image_decision_free(struct agent_image_decision *d);

/* EnsureImageExists up to the pull. Fails only on ENOMEM; *out is then
 * untouched. */
int agent_image_decide(const struct agent_image_request *req, const struct dh_backoff *backoff,
                       int64_t now_ns, struct agent_image_decision *out, struct dh_err **err);

struct agent_pull_result {
        const char *error;  /* NULL on success, else the runtime's error text */
        int64_t pull_ns;    /* the pull itself */
        int64_t total_ns;   /* including waiting for a pull slot */
        uint64_t image_size;
};

/* EnsureImageExists after the pull: USE with a Pulled event, or FAIL with
 * the reason the kubelet derives from the pull error (and the back-off
 * moved on). On success, back-off entries idle too long are collected. */
int agent_image_pull_done(const struct agent_image_request *req,
                          const struct agent_pull_result *res, struct dh_backoff *backoff,
                          int64_t now_ns, struct agent_image_decision *out, struct dh_err **err);
