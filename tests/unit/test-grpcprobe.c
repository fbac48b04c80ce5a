/* The grpc probe's pure parts (probes/grpc.c): the framed
 * HealthCheckRequest, grpc-go's code names and grpc-message decoding, and
 * the verdict on replies a server may send: SERVING and the other
 * statuses, RPC errors in kubelet's words, responses that are not gRPC
 * (HTTP status, content-type), and broken unary answers. */
#include "lib/buf.h"
#include "probes/grpc-health.pb-c.h"
#include "probes/probe-internal.h"
#include "test.h"

TEST(frame_request)
{
        uint8_t *b = NULL;
        size_t n = 0;
        CHECK_INT(probe_grpc_frame_request("", &b, &n), 0);
        CHECK_INT(n, 5); /* proto3 leaves an empty string out: an empty message */
        CHECK(b && memcmp(b, "\0\0\0\0\0", 5) == 0);
        free(b);

        CHECK_INT(probe_grpc_frame_request("foo", &b, &n), 0);
        CHECK_INT(n, 10);
        CHECK(b && memcmp(b, "\0\0\0\0\5\x0a\x03" "foo", 10) == 0);
        /* and protobuf-c reads it back */
        Grpc__Health__V1__HealthCheckRequest *m = grpc__health__v1__health_check_request__unpack(NULL, n - 5, b + 5);
        CHECK(m && strcmp(m->service, "foo") == 0);
        if (m)
                grpc__health__v1__health_check_request__free_unpacked(m, NULL);
        free(b);

        /* a long name: a two-byte varint length, and the frame's length big-endian */
        char name[300];
        memset(name, 's', sizeof name - 1);
        name[sizeof name - 1] = '\0';
        CHECK_INT(probe_grpc_frame_request(name, &b, &n), 0);
        CHECK_INT(n, 5 + 1 + 2 + 299);
        CHECK(b && b[0] == 0 && b[1] == 0 && b[2] == 0 && b[3] == 0x01 && b[4] == 0x2e);
        free(b);
}

TEST(code_names_and_messages)
{
        char buf[32];
        CHECK_STR(probe_grpc_code_name(0, buf, sizeof buf), "OK");
        CHECK_STR(probe_grpc_code_name(12, buf, sizeof buf), "Unimplemented");
        CHECK_STR(probe_grpc_code_name(16, buf, sizeof buf), "Unauthenticated");
        CHECK_STR(probe_grpc_code_name(17, buf, sizeof buf), "Code(17)");
        CHECK_STR(probe_grpc_code_name(-1, buf, sizeof buf), "Code(-1)");

        const char *cases[][2] = {
                { "plain", "plain" },
                { "Method%20not%20found%21", "Method not found!" },
                { "100%25", "100%" },
                { "%e2%9C%93", "\xe2\x9c\x93" },
                { "bad %zz and %4", "bad %zz and %4" },
                { "end%", "end%" },
                { "", "" },
        };
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
                struct dh_buf b;
                dh_buf_init(&b, 1024);
                probe_grpc_decode_message(cases[i][0], &b);
                CHECK_STR(b.data ? b.data : "", cases[i][1]);
                dh_buf_free(&b);
        }
}

/* A reply with status 200, content-type application/grpc, the given
 * grpc-status and body bytes. */
static struct probe_grpc_reply reply(const char *grpc_status, const void *body, size_t len)
{
        return (struct probe_grpc_reply){ .http_status = 200, .content_type = "application/grpc",
                                          .grpc_status = grpc_status, .body = body, .body_len = len };
}

static void expect(const struct probe_grpc_reply *r, int64_t timeout_ms, enum probe_result want, const char *text)
{
        struct dh_buf out;
        dh_buf_init(&out, 16384);
        enum probe_result got = probe_grpc_evaluate(r, timeout_ms, &out);
        CHECK_STR(probe_result_name(got), probe_result_name(want));
        CHECK_STR(out.data ? out.data : "", text);
        dh_buf_free(&out);
}

TEST(serving_statuses)
{
        struct probe_grpc_reply r = reply("0", "\0\0\0\0\2\x08\x01", 7);
        expect(&r, 1000, PROBE_SUCCESS, "service healthy");
        r = reply("0", "\0\0\0\0\2\x08\x02", 7);
        expect(&r, 1000, PROBE_FAILURE, "service unhealthy (responded with \"NOT_SERVING\")");
        r = reply("0", "\0\0\0\0\2\x08\x03", 7);
        expect(&r, 1000, PROBE_FAILURE, "service unhealthy (responded with \"SERVICE_UNKNOWN\")");
        r = reply("0", "\0\0\0\0\0", 5); /* status 0 is the empty message */
        expect(&r, 1000, PROBE_FAILURE, "service unhealthy (responded with \"UNKNOWN\")");
        r = reply("0", "\0\0\0\0\2\x08\x07", 7); /* a number the enum does not name */
        expect(&r, 1000, PROBE_FAILURE, "service unhealthy (responded with \"7\")");
        /* content subtypes are gRPC too */
        r = reply("0", "\0\0\0\0\2\x08\x01", 7);
        r.content_type = "application/grpc+proto";
        expect(&r, 1000, PROBE_SUCCESS, "service healthy");
        r.content_type = "application/grpc; charset=utf-8";
        expect(&r, 1000, PROBE_SUCCESS, "service healthy");
}

TEST(rpc_errors)
{
        struct probe_grpc_reply r = reply("12", NULL, 0);
        r.grpc_message = "Method%20not%20found!";
        expect(&r, 1000, PROBE_FAILURE,
               "error: this server does not implement the grpc health protocol (grpc.health.v1.Health): "
               "Method not found!");
        r = reply("14", NULL, 0);
        r.grpc_message = "going away";
        expect(&r, 1000, PROBE_FAILURE, "error: health rpc probe failed: rpc error: code = Unavailable desc = going away");
        r = reply("5", NULL, 0); /* no message at all */
        expect(&r, 1000, PROBE_FAILURE, "error: health rpc probe failed: rpc error: code = NotFound desc = ");
        r = reply("4", NULL, 0);
        expect(&r, 2000, PROBE_FAILURE, "timeout: health rpc did not complete within 2s");
        expect(&r, 1500, PROBE_FAILURE, "timeout: health rpc did not complete within 1.5s");
        r = reply("99", NULL, 0);
        expect(&r, 1000, PROBE_FAILURE, "error: health rpc probe failed: rpc error: code = Code(99) desc = ");
        r = reply("abc", NULL, 0);
        expect(&r, 1000, PROBE_FAILURE,
               "error: health rpc probe failed: rpc error: code = Internal desc = transport: malformed "
               "grpc-status: \"abc\"");
        /* a stream that ended without a status, a message or not */
        r = reply(NULL, "\0\0\0\0\2\x08\x01", 7);
        expect(&r, 1000, PROBE_FAILURE, "error: health rpc probe failed: rpc error: code = Unknown desc = ");
        /* an error status wins over a message sent before it */
        r = reply("13", "\0\0\0\0\2\x08\x01", 7);
        r.grpc_message = "boom";
        expect(&r, 1000, PROBE_FAILURE, "error: health rpc probe failed: rpc error: code = Internal desc = boom");
}

TEST(responses_that_are_not_grpc)
{
        struct probe_grpc_reply r = { .http_status = 404, .content_type = "text/html" };
        expect(&r, 1000, PROBE_FAILURE,
               "error: this server does not implement the grpc health protocol (grpc.health.v1.Health): "
               "unexpected HTTP status code received from server: 404 (Not Found); transport: received "
               "unexpected content-type \"text/html\"");
        r = (struct probe_grpc_reply){ .http_status = 503 };
        expect(&r, 1000, PROBE_FAILURE,
               "error: health rpc probe failed: rpc error: code = Unavailable desc = unexpected HTTP status "
               "code received from server: 503 (Service Unavailable); malformed header: missing HTTP "
               "content-type");
        r = (struct probe_grpc_reply){ .http_status = 400, .content_type = "application/grpc" };
        expect(&r, 1000, PROBE_FAILURE,
               "error: health rpc probe failed: rpc error: code = Internal desc = unexpected HTTP status "
               "code received from server: 400 (Bad Request)");
        r = (struct probe_grpc_reply){ .http_status = 200, .content_type = "text/plain", .grpc_status = "0" };
        expect(&r, 1000, PROBE_FAILURE,
               "error: health rpc probe failed: rpc error: code = Unknown desc = transport: received "
               "unexpected content-type \"text/plain\"");
        r = (struct probe_grpc_reply){ .http_status = 200, .content_type = "application/grpcx" };
        expect(&r, 1000, PROBE_FAILURE,
               "error: health rpc probe failed: rpc error: code = Unknown desc = transport: received "
               "unexpected content-type \"application/grpcx\"");
        r = (struct probe_grpc_reply){ .http_status = 299, .content_type = "application/grpc" };
        expect(&r, 1000, PROBE_FAILURE,
               "error: health rpc probe failed: rpc error: code = Unknown desc = unexpected HTTP status "
               "code received from server: 299 ()");
}

TEST(broken_unary_answers)
{
        struct probe_grpc_reply r = reply("0", NULL, 0);
        expect(&r, 1000, PROBE_FAILURE,
               "error: health rpc probe failed: rpc error: code = Internal desc = cardinality violation: "
               "received no response message from non-streaming RPC");
        r = reply("0", "\0\0\0", 3);
        expect(&r, 1000, PROBE_FAILURE, "error: health rpc probe failed: rpc error: code = Internal desc = unexpected EOF");
        r = reply("0", "\0\0\0\0\x0a\x08\x01", 7);
        expect(&r, 1000, PROBE_FAILURE, "error: health rpc probe failed: rpc error: code = Internal desc = unexpected EOF");
        r = reply("0", "\0\0\0\0\2\x08\x01\0\0\0\0\2\x08\x02", 14);
        expect(&r, 1000, PROBE_FAILURE,
               "error: health rpc probe failed: rpc error: code = Internal desc = cardinality violation: "
               "expected <EOF> for non server-streaming RPCs, but received another message");
        r = reply("0", "\1\0\0\0\2\x08\x01", 7);
        expect(&r, 1000, PROBE_FAILURE,
               "error: health rpc probe failed: rpc error: code = Internal desc = grpc: compressed flag set "
               "with identity or empty encoding");
        r = reply("0", "\2\0\0\0\2\x08\x01", 7);
        expect(&r, 1000, PROBE_FAILURE,
               "error: health rpc probe failed: rpc error: code = Internal desc = grpc: received unexpected "
               "payload format 2");
        r = reply("0", "\0\0\0\0\2\x08\x80", 7); /* a varint cut short */
        expect(&r, 1000, PROBE_FAILURE,
               "error: health rpc probe failed: rpc error: code = Internal desc = grpc: failed to unmarshal "
               "the received message: proto: cannot parse invalid wire-format data");
        /* too big: refused from its length, before the rest (or a status) arrives */
        r = reply(NULL, "\0\0\1\0\0\x08", 6);
        r.truncated = true;
        expect(&r, 1000, PROBE_FAILURE,
               "error: health rpc probe failed: rpc error: code = ResourceExhausted desc = grpc: received "
               "message larger than max (65536 vs. 4096)");
}

TEST_MAIN()
