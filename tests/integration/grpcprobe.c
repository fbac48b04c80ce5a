/* A driver of one grpc probe for tests/integration/grpc-probe.sh:
 *
 *   grpcprobe IP PORT SERVICE TIMEOUT_MS
 *
 * Runs probe_run once for a grpc probe on IP:PORT (SERVICE may be "") and
 * prints "RESULT ELAPSED_MS OUTPUT" on one line (RESULT: success, failure,
 * warning, unknown; ELAPSED_MS from start to the outcome). Exits 0 when the
 * probe ran, whatever its result; 2 on bad usage or a setup error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "lib/http.h"
#include "lib/loop.h"
#include "probes/probe.h"

struct run {
        struct dh_loop *loop;
        uint64_t start_ms;
};

static void on_done(void *ud, const struct probe_outcome *o)
{
        struct run *r = ud;
        printf("%s %llu %s\n", probe_result_name(o->result), (unsigned long long)(dh_now_ms() - r->start_ms),
               o->output);
        fflush(stdout);
        dh_loop_quit(r->loop, 0);
}

int main(int argc, char **argv)
{
        if (argc != 5) {
                fprintf(stderr, "usage: grpcprobe IP PORT SERVICE TIMEOUT_MS\n");
                return 2;
        }
        _cleanup_err_ struct dh_err *err = NULL;
        struct dh_loop *loop = NULL;
        struct dh_http *http = NULL;
        if (dh_loop_new(&loop, &err) < 0 || dh_http_new(loop, &http, &err) < 0) {
                fprintf(stderr, "grpcprobe: %s\n", err->msg);
                return 2;
        }
        struct pod_grpc_action g = { .port = { .set = true, .v = strtoll(argv[2], NULL, 10) },
                                     .service = argv[3] };
        struct pod_probe spec = { .grpc = &g };
        struct probe_ctx ctx = { .loop = loop, .http = http };
        struct probe_target t = { .spec = &spec, .pod_ip = argv[1], .timeout_ms = strtoll(argv[4], NULL, 10) };
        struct run r = { .loop = loop, .start_ms = dh_now_ms() };
        struct probe_op *op = probe_run(&ctx, &t, on_done, &r, &err);
        if (!op) {
                fprintf(stderr, "grpcprobe: %s\n", err->msg);
                return 2;
        }
        int rc = dh_loop_run(loop);
        dh_http_free(http);
        dh_loop_free(loop);
        return rc;
}
