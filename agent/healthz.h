/* The kubelet's healthz endpoint (--healthz-port, default 10248 on
 * --healthz-bind-address 127.0.0.1; 0 disables it) on lib/httpserver.
 * Paths as healthz.InstallHandler lays them out: /healthz runs every
 * check and answers 200 "ok", or 500 with one [+]/[-] line per check;
 * /healthz/<check> runs one; anything else is 404. The checks are ping
 * (always ok) and syncloop: the pod manager's relist ran within
 * max(2 x syncFrequency, 5 min), the bound of the kubelet's
 * syncLoopHealthCheck. (The kubelet serves syncloop on its main port's
 * /healthz and only ping on this one; deckhand has no main server yet,
 * so this port carries both.)
 *
 * Like the kubelet, a port that cannot be bound is not fatal: the error
 * is logged (naming the address, port and flags) and binding is retried
 * every AGENT_HEALTHZ_RETRY_MS while the agent runs its pods. An address
 * that is no numeric IP is logged once, without retries. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"
#include "lib/httpserver.h"
#include "lib/loop.h"

#define AGENT_HEALTHZ_RETRY_MS 5000
#define AGENT_HEALTHZ_MIN_SYNCLOOP_MS (5 * 60 * 1000)

struct agent_healthz;

struct agent_healthz_options {
        struct dh_loop *loop;
        const char *address;
        uint16_t port;               /* > 0 */
        int64_t sync_frequency_ms;   /* syncFrequency */
        /* dh_now_ms() of the sync loop's last round (the relist). */
        uint64_t (*last_sync_ms)(void *ud);
        void *ud;
};

/* Starts serving, or logs why it cannot and keeps retrying; -ENOMEM
 * only. */
int agent_healthz_open(const struct agent_healthz_options *o, struct agent_healthz **out,
                       struct dh_err **err);
void agent_healthz_close(struct agent_healthz *h);

struct agent_config;
struct agent_podmgr;
/* The agent's: from cfg's healthzPort and healthzBindAddress, with the
 * pod manager's relist as the sync loop. *out stays NULL when the port
 * is 0 (disabled). */
int agent_healthz_start(const struct agent_config *cfg, struct dh_loop *loop,
                        struct agent_podmgr *mgr, struct agent_healthz **out,
                        struct dh_err **err);

/* The syncloop bound for a syncFrequency. */
uint64_t agent_healthz_syncloop_bound_ms(int64_t sync_frequency_ms);
/* The reply to path at now_ms for a sync loop last seen at last_ms
 * (pure; out->body malloc'd; -ENOMEM). why gets the failure's reason
 * ("" when healthy), for the log. */
int agent_healthz_reply(const char *path, uint64_t now_ms, uint64_t last_ms, uint64_t bound_ms,
                        struct dh_http_reply *out, char *why, size_t why_size);
