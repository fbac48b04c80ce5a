/* agent/healthz: the replies of the kubelet's healthz layout (ping,
 * syncloop, the aggregate, 404) and the syncloop bound. The server part
 * is lib/httpserver's (test-httpserver) and the whole is exercised by
 * tests/integration/healthz.sh. */
#include <stdlib.h>
#include <string.h>

#include "agent/healthz.h"
#include "test.h"

#define MIN (60 * 1000ull)

struct got {
        unsigned status;
        char body[512];
        char why[256];
};

static struct got reply(const char *path, uint64_t now, uint64_t last, uint64_t bound)
{
        struct got g = { 0 };
        struct dh_http_reply r = { 0 };
        CHECK_INT(agent_healthz_reply(path, now, last, bound, &r, g.why, sizeof g.why), 0);
        g.status = r.status;
        snprintf(g.body, sizeof g.body, "%.*s", (int)r.len, r.body ? r.body : "");
        CHECK_STR(r.content_type, "text/plain; charset=utf-8");
        free(r.body);
        return g;
}

TEST(bound_is_kubelets)
{
        CHECK_INT(agent_healthz_syncloop_bound_ms(60 * 1000), 5 * MIN); /* default 1m */
        CHECK_INT(agent_healthz_syncloop_bound_ms(0), 5 * MIN);
        CHECK_INT(agent_healthz_syncloop_bound_ms(10 * MIN), 20 * MIN);
}

TEST(healthy)
{
        struct got g = reply("/healthz", 10 * MIN, 10 * MIN - 1000, 5 * MIN);
        CHECK_INT(g.status, 200);
        CHECK_STR(g.body, "ok");
        CHECK_STR(g.why, "");
        g = reply("/healthz/syncloop", 10 * MIN, 5 * MIN, 5 * MIN); /* exactly at the bound */
        CHECK_INT(g.status, 200);
        g = reply("/healthz/ping", 10 * MIN, 0, 5 * MIN);
        CHECK_INT(g.status, 200);
        CHECK_STR(g.body, "ok");
        /* a relist stamped after now (clock read order) is healthy */
        g = reply("/healthz", 10 * MIN, 10 * MIN + 5, 5 * MIN);
        CHECK_INT(g.status, 200);
}

TEST(stalled_sync_loop)
{
        struct got g = reply("/healthz", 20 * MIN, 14 * MIN, 5 * MIN);
        CHECK_INT(g.status, 500);
        CHECK_STR(g.body, "[+]ping ok\n[-]syncloop failed: reason withheld\nhealthz check failed\n");
        CHECK_STR(g.why, "sync loop took longer than expected: last relist 6m0s ago, bound 5m0s");
        g = reply("/healthz/syncloop", 20 * MIN, 14 * MIN, 5 * MIN);
        CHECK_INT(g.status, 500);
        CHECK_STR(g.body, "internal server error: sync loop took longer than expected: "
                          "last relist 6m0s ago, bound 5m0s\n");
        g = reply("/healthz/ping", 20 * MIN, 14 * MIN, 5 * MIN); /* ping alone still ok */
        CHECK_INT(g.status, 200);
}

TEST(other_paths_are_404)
{
        const char *paths[] = { "/", "/nope", "/healthz/", "/healthz/other", "/healthzz", "/livez" };
        for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
                struct got g = reply(paths[i], 20 * MIN, 0, 5 * MIN);
                CHECK_INT(g.status, 404);
                CHECK_STR(g.body, "404 page not found\n");
                CHECK_STR(g.why, "");
        }
}

TEST_MAIN()
