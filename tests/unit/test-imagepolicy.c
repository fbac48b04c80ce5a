/* agent/imagepull: EnsureImageExists' decisions, reasons, messages and
 * events, checked against the kubelet's texts. */
#include <errno.h>
#include <string.h>

#include "agent/imagepull.h"
#include "lib/cleanup.h"
#include "test.h"

#define S(x) ((int64_t)(x) * 1000000000LL)
#define UID "0b8a6c2e-1111-2222-3333-444455556666"

static struct agent_image_request req(const char *image, enum agent_pull_policy policy,
                                      enum agent_image_lookup lookup)
{
        return (struct agent_image_request){
                .pod_uid = UID, .image = image, .policy = policy, .lookup = lookup,
        };
}

static void check_event(const struct agent_image_decision *d, size_t i, const char *type,
                        const char *reason, const char *message)
{
        if (i >= d->n_events) {
                TEST_FAIL_("event %zu missing (%zu events)", i, d->n_events);
                return;
        }
        CHECK_STR(d->events[i].type, type);
        CHECK_STR(d->events[i].reason, reason);
        CHECK_STR(d->events[i].message, message);
}

TEST(pull_policy_parse_and_default)
{
        enum agent_pull_policy p = AGENT_PULL_NEVER;
        struct dh_err *e = NULL;
        CHECK_INT(agent_pull_policy_parse("Always", "x:1", &p, NULL), 0);
        CHECK_INT(p, AGENT_PULL_ALWAYS);
        CHECK_INT(agent_pull_policy_parse("IfNotPresent", "x", &p, NULL), 0);
        CHECK_INT(p, AGENT_PULL_IF_NOT_PRESENT);
        CHECK_INT(agent_pull_policy_parse("Never", "x", &p, NULL), 0);
        CHECK_INT(p, AGENT_PULL_NEVER);
        CHECK_INT(agent_pull_policy_parse(NULL, "busybox", &p, NULL), 0);
        CHECK_INT(p, AGENT_PULL_ALWAYS);
        CHECK_INT(agent_pull_policy_parse("", "busybox:latest", &p, NULL), 0);
        CHECK_INT(p, AGENT_PULL_ALWAYS);
        CHECK_INT(agent_pull_policy_parse("", "busybox:1.36", &p, NULL), 0);
        CHECK_INT(p, AGENT_PULL_IF_NOT_PRESENT);
        p = AGENT_PULL_NEVER;
        CHECK_INT(agent_pull_policy_parse("Sometimes", "x", &p, &e), -EINVAL);
        CHECK_STR(e ? e->msg : NULL, "unknown imagePullPolicy \"Sometimes\"");
        CHECK_INT(p, AGENT_PULL_NEVER);
        dh_err_free(e);
}

TEST(default_tag_is_applied_as_applyDefaultImageTag)
{
        const char *sha = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        char digested[160], tagged_digested[160];
        snprintf(digested, sizeof digested, "busybox@%s", sha);
        snprintf(tagged_digested, sizeof tagged_digested, "busybox:1.36@%s", sha);
        const struct {
                const char *in, *out;
        } cases[] = {
                { "busybox", "busybox:latest" },
                { "busybox:1.36", "busybox:1.36" },
                { "busybox:latest", "busybox:latest" },
                { "localhost:5000/app", "localhost:5000/app:latest" },
                { "localhost:5000/app:v1", "localhost:5000/app:v1" },
                { "docker.io/library/busybox", "docker.io/library/busybox:latest" },
                { digested, digested },
                { tagged_digested, tagged_digested },
        };
        for (size_t i = 0; i < DH_ARRAY_SIZE(cases); i++) {
                _cleanup_free_ char *out = NULL;
                CHECK_INT(agent_image_default_tag(cases[i].in, &out, NULL), 0);
                CHECK_STR(out, cases[i].out);
        }
        struct dh_err *e = NULL;
        char *out = (char *)"untouched";
        CHECK_INT(agent_image_default_tag("Busybox", &out, &e), -EINVAL);
        CHECK_STR(e ? e->msg : NULL, "couldn't parse image name \"Busybox\": invalid reference "
                                     "format: repository name (library/Busybox) must be lowercase");
        CHECK_STR(out, "untouched");
        dh_err_free(e);
}

TEST(invalid_image_name)
{
        struct agent_image_decision d;
        struct agent_image_request r = req("nginx:", AGENT_PULL_ALWAYS, AGENT_IMAGE_ABSENT);
        CHECK_INT(agent_image_decide(&r, NULL, 0, &d, NULL), 0);
        CHECK_INT(d.action, AGENT_IMAGE_FAIL);
        CHECK_STR(d.reason, "InvalidImageName");
        const char *msg = "Failed to apply default image tag \"nginx:\": couldn't parse image "
                          "name \"nginx:\": invalid reference format";
        CHECK_STR(d.message, msg);
        CHECK_INT(d.n_events, 2);
        check_event(&d, 0, "Warning", "InspectFailed", msg);
        check_event(&d, 1, "Warning", "Failed", "Error: InvalidImageName");
        agent_image_decision_free(&d);

        /* Quoting is Go's %q. */
        r.image = "a\"b\tc";
        CHECK_INT(agent_image_decide(&r, NULL, 0, &d, NULL), 0);
        CHECK_STR(d.message, "Failed to apply default image tag \"a\\\"b\\tc\": couldn't parse "
                             "image name \"a\\\"b\\tc\": invalid reference format");
        agent_image_decision_free(&d);
}

TEST(present_image_is_used_unless_always)
{
        struct agent_image_decision d;
        struct agent_image_request r = req("busybox:1.36", AGENT_PULL_IF_NOT_PRESENT,
                                           AGENT_IMAGE_PRESENT);
        CHECK_INT(agent_image_decide(&r, NULL, 0, &d, NULL), 0);
        CHECK_INT(d.action, AGENT_IMAGE_USE);
        CHECK(d.reason == NULL && d.message == NULL);
        CHECK_INT(d.n_events, 1);
        check_event(&d, 0, "Normal", "Pulled",
                    "Container image \"busybox:1.36\" already present on machine");
        agent_image_decision_free(&d);

        r.policy = AGENT_PULL_NEVER;
        CHECK_INT(agent_image_decide(&r, NULL, 0, &d, NULL), 0);
        CHECK_INT(d.action, AGENT_IMAGE_USE);
        check_event(&d, 0, "Normal", "Pulled",
                    "Container image \"busybox:1.36\" already present on machine");
        agent_image_decision_free(&d);

        r.policy = AGENT_PULL_ALWAYS;
        r.image = "busybox";
        CHECK_INT(agent_image_decide(&r, NULL, 0, &d, NULL), 0);
        CHECK_INT(d.action, AGENT_IMAGE_PULL);
        CHECK_STR(d.pull_image, "busybox:latest");
        CHECK_INT(d.n_events, 1);
        check_event(&d, 0, "Normal", "Pulling", "Pulling image \"busybox\"");
        agent_image_decision_free(&d);
}

TEST(absent_image_with_never_fails)
{
        struct agent_image_decision d;
        struct agent_image_request r = req("registry.local/app:v2", AGENT_PULL_NEVER,
                                           AGENT_IMAGE_ABSENT);
        CHECK_INT(agent_image_decide(&r, NULL, 0, &d, NULL), 0);
        CHECK_INT(d.action, AGENT_IMAGE_FAIL);
        CHECK_STR(d.reason, "ErrImageNeverPull");
        const char *msg = "Container image \"registry.local/app:v2\" is not present with pull "
                          "policy of Never";
        CHECK_STR(d.message, msg);
        check_event(&d, 0, "Warning", "ErrImageNeverPull", msg);
        check_event(&d, 1, "Warning", "Failed", "Error: ErrImageNeverPull");
        agent_image_decision_free(&d);
}

TEST(absent_image_if_not_present_pulls)
{
        struct agent_image_decision d;
        struct agent_image_request r = req("busybox:1.36", AGENT_PULL_IF_NOT_PRESENT,
                                           AGENT_IMAGE_ABSENT);
        CHECK_INT(agent_image_decide(&r, NULL, 0, &d, NULL), 0);
        CHECK_INT(d.action, AGENT_IMAGE_PULL);
        CHECK_STR(d.pull_image, "busybox:1.36");
        check_event(&d, 0, "Normal", "Pulling", "Pulling image \"busybox:1.36\"");
        agent_image_decision_free(&d);
}

TEST(lookup_failure_is_image_inspect_error)
{
        struct agent_image_decision d;
        struct agent_image_request r = req("busybox", AGENT_PULL_IF_NOT_PRESENT,
                                           AGENT_IMAGE_LOOKUP_FAILED);
        r.lookup_error = "rpc error: code = Unavailable desc = connection refused";
        CHECK_INT(agent_image_decide(&r, NULL, 0, &d, NULL), 0);
        CHECK_INT(d.action, AGENT_IMAGE_FAIL);
        CHECK_STR(d.reason, "ImageInspectError");
        const char *msg = "Failed to inspect image \"busybox\": rpc error: code = Unavailable "
                          "desc = connection refused";
        CHECK_STR(d.message, msg);
        check_event(&d, 0, "Warning", "InspectFailed", msg);
        check_event(&d, 1, "Warning", "Failed", "Error: ImageInspectError");
        agent_image_decision_free(&d);
}

TEST(failed_pull_is_err_image_pull_then_back_off)
{
        struct dh_backoff b;
        agent_image_backoff_init(&b);
        struct agent_image_decision d;
        struct agent_image_request r = req("busybox:nope", AGENT_PULL_IF_NOT_PRESENT,
                                           AGENT_IMAGE_ABSENT);
        struct agent_pull_result fail = {
                .error = "rpc error: code = NotFound desc = failed to pull and unpack image "
                         "\"docker.io/library/busybox:nope\": not found",
        };
        CHECK_INT(agent_image_decide(&r, &b, S(100), &d, NULL), 0);
        CHECK_INT(d.action, AGENT_IMAGE_PULL);
        agent_image_decision_free(&d);
        CHECK_INT(agent_image_pull_done(&r, &fail, &b, S(101), &d, NULL), 0);
        CHECK_INT(d.action, AGENT_IMAGE_FAIL);
        CHECK_STR(d.reason, "ErrImagePull");
        CHECK_STR(d.message, fail.error);
        CHECK_INT(d.n_events, 2);
        check_event(&d, 0, "Warning", "Failed",
                    "Failed to pull image \"busybox:nope\": rpc error: code = NotFound desc = "
                    "failed to pull and unpack image \"docker.io/library/busybox:nope\": not found");
        check_event(&d, 1, "Warning", "Failed", "Error: ErrImagePull");
        agent_image_decision_free(&d);
        CHECK_INT(dh_backoff_get(&b, UID "_busybox:nope"), S(10));

        /* Within 10s of the failure: ImagePullBackOff, no pull. */
        CHECK_INT(agent_image_decide(&r, &b, S(110), &d, NULL), 0);
        CHECK_INT(d.action, AGENT_IMAGE_FAIL);
        CHECK_STR(d.reason, "ImagePullBackOff");
        CHECK_STR(d.message, "Back-off pulling image \"busybox:nope\"");
        check_event(&d, 0, "Normal", "BackOff", "Back-off pulling image \"busybox:nope\"");
        check_event(&d, 1, "Warning", "Failed", "Error: ImagePullBackOff");
        agent_image_decision_free(&d);

        /* Another pod with the same image is not held back. */
        struct agent_image_request other = r;
        other.pod_uid = "another-uid";
        CHECK_INT(agent_image_decide(&other, &b, S(110), &d, NULL), 0);
        CHECK_INT(d.action, AGENT_IMAGE_PULL);
        agent_image_decision_free(&d);

        /* At 10s the pull is retried; failing again doubles the window. */
        CHECK_INT(agent_image_decide(&r, &b, S(111), &d, NULL), 0);
        CHECK_INT(d.action, AGENT_IMAGE_PULL);
        agent_image_decision_free(&d);
        CHECK_INT(agent_image_pull_done(&r, &fail, &b, S(112), &d, NULL), 0);
        agent_image_decision_free(&d);
        CHECK_INT(dh_backoff_get(&b, UID "_busybox:nope"), S(20));
        CHECK_INT(agent_image_decide(&r, &b, S(131), &d, NULL), 0);
        CHECK_STR(d.reason, "ImagePullBackOff");
        agent_image_decision_free(&d);
        CHECK_INT(agent_image_decide(&r, &b, S(132), &d, NULL), 0);
        CHECK_INT(d.action, AGENT_IMAGE_PULL);
        agent_image_decision_free(&d);

        /* Never and present images skip the back-off check. */
        r.policy = AGENT_PULL_IF_NOT_PRESENT;
        r.lookup = AGENT_IMAGE_PRESENT;
        CHECK_INT(agent_image_decide(&r, &b, S(113), &d, NULL), 0);
        CHECK_INT(d.action, AGENT_IMAGE_USE);
        agent_image_decision_free(&d);
        dh_backoff_free(&b);
}

TEST(registry_unavailable_and_signature_failures)
{
        struct agent_image_decision d;
        struct agent_image_request r = req("quay.io/x/y:1", AGENT_PULL_ALWAYS, AGENT_IMAGE_ABSENT);
        struct agent_pull_result res = { .error = "RegistryUnavailable: dial tcp: i/o timeout" };
        CHECK_INT(agent_image_pull_done(&r, &res, NULL, S(1), &d, NULL), 0);
        CHECK_STR(d.reason, "RegistryUnavailable");
        CHECK_STR(d.message, "image pull failed for quay.io/x/y:1 because the registry is "
                             "unavailable: dial tcp: i/o timeout");
        check_event(&d, 0, "Warning", "Failed", "Failed to pull image \"quay.io/x/y:1\": "
                                                "RegistryUnavailable: dial tcp: i/o timeout");
        check_event(&d, 1, "Warning", "Failed", "Error: RegistryUnavailable");
        agent_image_decision_free(&d);

        res.error = "RegistryUnavailable";
        CHECK_INT(agent_image_pull_done(&r, &res, NULL, S(1), &d, NULL), 0);
        CHECK_STR(d.message, "image pull failed for quay.io/x/y:1 because the registry is unavailable");
        agent_image_decision_free(&d);

        res.error = "SignatureValidationFailed: policy rejected the image";
        CHECK_INT(agent_image_pull_done(&r, &res, NULL, S(1), &d, NULL), 0);
        CHECK_STR(d.reason, "SignatureValidationFailed");
        CHECK_STR(d.message, "image pull failed for quay.io/x/y:1 because the signature "
                             "validation failed: policy rejected the image");
        check_event(&d, 1, "Warning", "Failed", "Error: SignatureValidationFailed");
        agent_image_decision_free(&d);
}

TEST(successful_pull_event_and_gc)
{
        struct dh_backoff b;
        agent_image_backoff_init(&b);
        CHECK_INT(dh_backoff_next(&b, "stale", S(0), NULL), 0);
        CHECK_INT(dh_backoff_next(&b, "fresh", S(500), NULL), 0);
        struct agent_image_decision d;
        struct agent_image_request r = req("busybox", AGENT_PULL_ALWAYS, AGENT_IMAGE_PRESENT);
        struct agent_pull_result ok = {
                .pull_ns = 1234567890, .total_ns = 2500999999, .image_size = 4261574,
        };
        CHECK_INT(agent_image_pull_done(&r, &ok, &b, S(601), &d, NULL), 0);
        CHECK_INT(d.action, AGENT_IMAGE_USE);
        CHECK(d.reason == NULL && d.message == NULL);
        CHECK_INT(d.n_events, 1);
        check_event(&d, 0, "Normal", "Pulled",
                    "Successfully pulled image \"busybox\" in 1.234s (2.5s including waiting). "
                    "Image size: 4261574 bytes.");
        agent_image_decision_free(&d);
        /* Success collects entries idle for more than 2*300s. */
        CHECK_INT(dh_backoff_get(&b, "stale"), 0);
        CHECK_INT(dh_backoff_get(&b, "fresh"), S(10));

        ok = (struct agent_pull_result){ .pull_ns = 999999, .total_ns = 61000000000LL,
                                         .image_size = 0 };
        CHECK_INT(agent_image_pull_done(&r, &ok, &b, S(602), &d, NULL), 0);
        check_event(&d, 0, "Normal", "Pulled",
                    "Successfully pulled image \"busybox\" in 0s (1m1s including waiting). "
                    "Image size: 0 bytes.");
        agent_image_decision_free(&d);
        dh_backoff_free(&b);
}

TEST_MAIN()
