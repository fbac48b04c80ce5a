/* EnsureImageExists (pkg/kubelet/images/image_manager.go) and the event
 * kuberuntime adds when it fails, as pure decisions over the caller's
 * lookups. The texts are the kubelet's, byte for byte. */
#include "agent/imagepull.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cri/image/ref.h"
#include "lib/buf.h"
#include "lib/cleanup.h"
#include "lib/parse.h"
#include "pod/pod.h"

/* Image references that parse are at most IMG_REF_MAX bytes; messages
 * quote them whole. */
#define QUOTED_MAX (4 * IMG_REF_MAX + 16)

void agent_image_backoff_init(struct dh_backoff *b)
{
        dh_backoff_init(b, AGENT_IMAGE_BACKOFF_INITIAL_NS, AGENT_IMAGE_BACKOFF_MAX_NS,
                        AGENT_IMAGE_BACKOFF_ENTRIES_MAX);
}

int agent_pull_policy_parse(const char *policy, const char *image,
                            enum agent_pull_policy *out, struct dh_err **err)
{
        if (!policy || !*policy)
                policy = pod_default_image_pull_policy(image);
        if (strcmp(policy, "Always") == 0)
                *out = AGENT_PULL_ALWAYS;
        else if (strcmp(policy, "IfNotPresent") == 0)
                *out = AGENT_PULL_IF_NOT_PRESENT;
        else if (strcmp(policy, "Never") == 0)
                *out = AGENT_PULL_NEVER;
        else
                return dh_err_set(err, EINVAL, "unknown imagePullPolicy \"%s\"", policy);
        return 0;
}

/* Go's %q for the strings seen here: ASCII kept, quotes and backslashes
 * escaped, control bytes as Go writes them, other bytes as \xNN (images
 * that parse are all ASCII). NULL on ENOMEM or past QUOTED_MAX. */
static char *go_quote(const char *s)
{
        static const char esc_from[] = "\a\b\f\n\r\t\v", esc_to[] = "abfnrtv";
        struct dh_buf b;
        dh_buf_init(&b, QUOTED_MAX);
        int r = dh_buf_puts(&b, "\"", NULL);
        for (const unsigned char *c = (const unsigned char *)s; r == 0 && *c; c++) {
                const char *e = *c ? strchr(esc_from, *c) : NULL;
                if (*c == '"' || *c == '\\')
                        r = dh_buf_printf(&b, NULL, "\\%c", *c);
                else if (e)
                        r = dh_buf_printf(&b, NULL, "\\%c", esc_to[e - esc_from]);
                else if (*c < 0x20 || *c >= 0x7f)
                        r = dh_buf_printf(&b, NULL, "\\x%02x", *c);
                else
                        r = dh_buf_append(&b, c, 1, NULL);
        }
        if (r == 0)
                r = dh_buf_puts(&b, "\"", NULL);
        if (r < 0) {
                dh_buf_free(&b);
                return NULL;
        }
        return dh_buf_steal(&b);
}

int agent_image_default_tag(const char *image, char **out, struct dh_err **err)
{
        struct img_ref ref;
        _cleanup_err_ struct dh_err *perr = NULL;
        if (img_ref_parse_bare(image ? image : "", &ref, &perr) < 0) {
                if (perr->code == ENOMEM)
                        return dh_err_set(err, ENOMEM, "out of memory");
                _cleanup_free_ char *q = go_quote(image ? image : "");
                return dh_err_set(err, EINVAL, "couldn't parse image name %s: %s",
                                  q ? q : "\"?\"", perr->msg);
        }
        /* A tag ParseImageName reports but the text does not end with is
         * the implied "latest"; a digest pins the reference as written. */
        bool add_tag = !ref.digest && ref.tag && !(strlen(image) > strlen(ref.tag) &&
                        image[strlen(image) - strlen(ref.tag) - 1] == ':' &&
                        strcmp(image + strlen(image) - strlen(ref.tag), ref.tag) == 0);
        char *s = NULL;
        int rc = add_tag ? asprintf(&s, "%s:%s", image, ref.tag) : ((s = strdup(image)) ? 0 : -1);
        img_ref_free(&ref);
        if (rc < 0 || !s)
                return dh_err_set(err, ENOMEM, "out of memory");
        *out = s;
        return 0;
}

void agent_image_decision_free(struct agent_image_decision *d)
{
        if (!d)
                return;
        free(d->message);
        free(d->pull_image);
        for (size_t i = 0; i < d->n_events; i++)
                free(d->events[i].message);
        *d = (struct agent_image_decision){ 0 };
}

static int add_event(struct agent_image_decision *d, const char *type, const char *reason,
                     const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int add_event(struct agent_image_decision *d, const char *type, const char *reason,
                     const char *fmt, ...)
{
        if (d->n_events >= AGENT_IMAGE_EVENTS_MAX)
                return -EINVAL; /* a programmer error: the decisions emit at most two */
        va_list ap;
        va_start(ap, fmt);
        char *m = NULL;
        int r = vasprintf(&m, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        d->events[d->n_events++] = (struct agent_image_event){ type, reason, m };
        return 0;
}

/* The container waits: reason, message, and kuberuntime's "Error: <reason>"
 * event after EnsureImageExists' own. */
static int fail_with(struct agent_image_decision *d, const char *reason, char *message)
{
        d->action = AGENT_IMAGE_FAIL;
        d->reason = reason;
        d->message = message;
        if (!message)
                return -ENOMEM;
        return add_event(d, "Warning", "Failed", "Error: %s", reason);
}

/* Failed to apply default image tag "x": couldn't parse image name "x": ... */
static int decide_invalid_name(struct agent_image_decision *d, const char *quoted,
                               const char *why)
{
        char *msg = NULL;
        if (asprintf(&msg, "Failed to apply default image tag %s: %s", quoted, why) < 0)
                return -ENOMEM;
        if (add_event(d, "Warning", "InspectFailed", "%s", msg) < 0) {
                free(msg);
                return -ENOMEM;
        }
        return fail_with(d, "InvalidImageName", msg);
}

static int decide_lookup_failed(struct agent_image_decision *d, const char *quoted,
                                const char *why)
{
        char *msg = NULL;
        if (asprintf(&msg, "Failed to inspect image %s: %s", quoted, why ? why : "") < 0)
                return -ENOMEM;
        if (add_event(d, "Warning", "InspectFailed", "%s", msg) < 0) {
                free(msg);
                return -ENOMEM;
        }
        return fail_with(d, "ImageInspectError", msg);
}

static bool should_pull(enum agent_pull_policy policy, bool present)
{
        switch (policy) {
        case AGENT_PULL_ALWAYS:
                return true;
        case AGENT_PULL_IF_NOT_PRESENT:
                return !present;
        case AGENT_PULL_NEVER:
                return false;
        }
        return false;
}

static int decide_without_pull(struct agent_image_decision *d, const char *quoted, bool present)
{
        if (present) {
                d->action = AGENT_IMAGE_USE;
                return add_event(d, "Normal", "Pulled",
                                 "Container image %s already present on machine", quoted);
        }
        char *msg = NULL;
        if (asprintf(&msg, "Container image %s is not present with pull policy of Never",
                     quoted) < 0)
                return -ENOMEM;
        if (add_event(d, "Warning", "ErrImageNeverPull", "%s", msg) < 0) {
                free(msg);
                return -ENOMEM;
        }
        return fail_with(d, "ErrImageNeverPull", msg);
}

static char *backoff_key(const struct agent_image_request *req)
{
        char *k = NULL;
        if (asprintf(&k, "%s_%s", req->pod_uid ? req->pod_uid : "", req->image) < 0)
                return NULL;
        return k;
}

static int decide(const struct agent_image_request *req, const struct dh_backoff *backoff,
                  int64_t now_ns, const char *quoted, struct agent_image_decision *d)
{
        _cleanup_err_ struct dh_err *terr = NULL;
        if (agent_image_default_tag(req->image, &d->pull_image, &terr) < 0)
                return terr->code == ENOMEM ? -ENOMEM : decide_invalid_name(d, quoted, terr->msg);
        if (req->lookup == AGENT_IMAGE_LOOKUP_FAILED)
                return decide_lookup_failed(d, quoted, req->lookup_error);
        bool present = req->lookup == AGENT_IMAGE_PRESENT;
        if (!should_pull(req->policy, present))
                return decide_without_pull(d, quoted, present);
        _cleanup_free_ char *key = backoff_key(req);
        if (!key)
                return -ENOMEM;
        if (backoff && dh_backoff_in_backoff_since_update(backoff, key, now_ns)) {
                char *msg = NULL;
                if (asprintf(&msg, "Back-off pulling image %s", quoted) < 0)
                        return -ENOMEM;
                if (add_event(d, "Normal", "BackOff", "%s", msg) < 0) {
                        free(msg);
                        return -ENOMEM;
                }
                return fail_with(d, "ImagePullBackOff", msg);
        }
        d->action = AGENT_IMAGE_PULL;
        return add_event(d, "Normal", "Pulling", "Pulling image %s", quoted);
}

int agent_image_decide(const struct agent_image_request *req, const struct dh_backoff *backoff,
                       int64_t now_ns, struct agent_image_decision *out, struct dh_err **err)
{
        struct agent_image_decision d = { 0 };
        _cleanup_free_ char *quoted = go_quote(req->image ? req->image : "");
        int r = quoted ? decide(req, backoff, now_ns, quoted, &d) : -ENOMEM;
        if (r < 0) {
                agent_image_decision_free(&d);
                return dh_err_set(err, -r, "image %s: out of memory", quoted ? quoted : "");
        }
        *out = d;
        return 0;
}

/* evalCRIPullErr: two CRI error names get their own reason and a sentence
 * with the rest of the error after it; anything else is ErrImagePull with
 * the error text as the message. */
static int classify_pull_error(struct agent_image_decision *d, const char *image,
                               const char *error)
{
        static const struct {
                const char *name, *because;
        } known[] = {
                { "RegistryUnavailable", "the registry is unavailable" },
                { "SignatureValidationFailed", "the signature validation failed" },
        };
        for (size_t i = 0; i < DH_ARRAY_SIZE(known); i++) {
                size_t n = strlen(known[i].name);
                if (strncmp(error, known[i].name, n) != 0)
                        continue;
                char *msg = NULL;
                if (asprintf(&msg, "image pull failed for %s because %s%s", image,
                             known[i].because, error + n) < 0)
                        return -ENOMEM;
                return fail_with(d, known[i].name, msg);
        }
        return fail_with(d, "ErrImagePull", strdup(error));
}

/* Durations as the Pulled event prints them: truncated to milliseconds. */
static const char *pull_duration(int64_t ns, char *buf, size_t size)
{
        return dh_format_duration_ns(ns - ns % 1000000, buf, size);
}

static int pull_done(const struct agent_image_request *req, const struct agent_pull_result *res,
                     struct dh_backoff *backoff, int64_t now_ns, const char *quoted,
                     struct agent_image_decision *d, struct dh_err **err)
{
        if (res->error) {
                if (add_event(d, "Warning", "Failed", "Failed to pull image %s: %s", quoted,
                              res->error) < 0)
                        return -ENOMEM;
                _cleanup_free_ char *key = backoff_key(req);
                if (!key)
                        return -ENOMEM;
                if (backoff && dh_backoff_next(backoff, key, now_ns, err) < 0)
                        return -(*err ? (*err)->code : ENOMEM);
                return classify_pull_error(d, req->image, res->error);
        }
        char pull[DH_DURATION_STR_MAX], total[DH_DURATION_STR_MAX];
        d->action = AGENT_IMAGE_USE;
        if (add_event(d, "Normal", "Pulled",
                      "Successfully pulled image %s in %s (%s including waiting). "
                      "Image size: %" PRIu64 " bytes.",
                      quoted, pull_duration(res->pull_ns, pull, sizeof pull),
                      pull_duration(res->total_ns, total, sizeof total), res->image_size) < 0)
                return -ENOMEM;
        if (backoff)
                dh_backoff_gc(backoff, now_ns);
        return 0;
}

int agent_image_pull_done(const struct agent_image_request *req,
                          const struct agent_pull_result *res, struct dh_backoff *backoff,
                          int64_t now_ns, struct agent_image_decision *out, struct dh_err **err)
{
        struct agent_image_decision d = { 0 };
        _cleanup_free_ char *quoted = go_quote(req->image ? req->image : "");
        _cleanup_err_ struct dh_err *berr = NULL;
        int r = quoted ? pull_done(req, res, backoff, now_ns, quoted, &d, &berr) : -ENOMEM;
        if (r < 0) {
                agent_image_decision_free(&d);
                if (berr) {
                        dh_err_prefix(&berr, "image %s: pull back-off", quoted);
                        return dh_err_set(err, berr->code, "%s", berr->msg);
                }
                return dh_err_set(err, -r, "image %s: out of memory", quoted ? quoted : "");
        }
        *out = d;
        return 0;
}
