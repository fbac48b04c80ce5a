/* The agent ↔ shim protocol: frames of a 4-byte little-endian length and a
 * JSON object, over a unix stream socket; file descriptors ride along with
 * a frame's first byte (SCM_RIGHTS). Requests are {"op": ...}; replies are
 * {"ok": true, ...} or {"ok": false, "errno": N, "error": "..."}. */
#pragma once
#include <jansson.h>
#include <stddef.h>

#include "lib/buf.h"
#include "lib/err.h"

#define RT_PROTO_MAX_FRAME (4u << 20)
#define RT_PROTO_MAX_FDS 4

/* Blocking send of one frame (with optional fds). */
int rt_proto_send(int sock, json_t *msg, const int *fds, int nfds, struct dh_err **err);
/* Blocking receive of one frame, waiting at most timeout_ms (-1: forever).
 * Received fds (O_CLOEXEC) are stored in fds[0..*nfds); extra ones closed. */
int rt_proto_recv(int sock, int timeout_ms, json_t **msg, int *fds, int *nfds,
                  struct dh_err **err);

/* Incremental reader for non-blocking sockets (the shim's side). */
struct rt_proto_reader {
        struct dh_buf buf;
        int fds[RT_PROTO_MAX_FDS];
        int nfds;
};
void rt_proto_reader_init(struct rt_proto_reader *r);
void rt_proto_reader_free(struct rt_proto_reader *r);
/* Reads what is available. Returns 1 with *msg set (and the frame's fds
 * moved to fds/nfds) when a frame is complete, 0 when more is needed,
 * -EPIPE at end of stream, < 0 on errors. Call again after 1: several
 * frames may be buffered. */
int rt_proto_reader_feed(struct rt_proto_reader *r, int sock, json_t **msg, int *fds, int *nfds,
                         struct dh_err **err);

/* Builds an error reply from err (code and message). */
json_t *rt_proto_error_reply(const struct dh_err *err);
/* Turns a reply into 0, or into a dh_err carrying the shim's errno and message. */
int rt_proto_check_reply(json_t *reply, struct dh_err **err);

/* Connects to a unix socket path (SOCK_CLOEXEC). */
int rt_proto_connect(const char *path, struct dh_err **err);
/* The socket `name` inside directory `dir`, reached through an O_PATH fd so
 * the address stays short (sun_path is 108 bytes) whatever dir's length. */
int rt_proto_connect_in(const char *dir, const char *name, struct dh_err **err);
