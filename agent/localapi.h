/* The agent's local API: a root-only unix socket (0600, <root-dir>/agent.sock)
 * served from the event loop. A client sends one request line and reads
 * one JSON response until EOF. Requests: "pods" (a core/v1 PodList of the
 * agent's pods with their computed status). Everything is bounded: the
 * request line, the response, the number of connections and each
 * connection's lifetime. */
#pragma once
#include <jansson.h>
#include <stddef.h>

#include "lib/err.h"
#include "lib/loop.h"

#define AGENT_LOCALAPI_SOCKET "agent.sock"
#define AGENT_LOCALAPI_REQUEST_MAX 256
#define AGENT_LOCALAPI_RESPONSE_MAX (32u << 20)
#define AGENT_LOCALAPI_MAX_CONNS 16
#define AGENT_LOCALAPI_TIMEOUT_MS 10000

struct agent_localapi;

/* Answers one request: a new JSON reference, or NULL on ENOMEM. */
typedef json_t *(*agent_localapi_pods_fn)(void *ud);

struct agent_localapi_options {
        struct dh_loop *loop;
        const char *path; /* the socket; a stale one is replaced */
        agent_localapi_pods_fn pods;
        void *ud;
        size_t response_max; /* 0: AGENT_LOCALAPI_RESPONSE_MAX */
        unsigned max_conns;  /* 0: AGENT_LOCALAPI_MAX_CONNS */
        uint64_t timeout_ms; /* 0: AGENT_LOCALAPI_TIMEOUT_MS */
};

int agent_localapi_open(const struct agent_localapi_options *o, struct agent_localapi **out,
                        struct dh_err **err);
/* Closes every connection and the socket, and unlinks it. NULL-safe. */
void agent_localapi_close(struct agent_localapi *a);

/* The response to one request line (without its newline): the JSON text
 * plus a newline, or a core/v1 Status failure for unknown requests and
 * responses over response_max. Pure apart from calling o->pods; NULL only
 * on ENOMEM. */
char *agent_localapi_respond(const struct agent_localapi_options *o, const char *line,
                             size_t *len);
