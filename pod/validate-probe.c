/* Probes and lifecycle hooks: exactly one handler each (exec, httpGet,
 * tcpSocket, grpc; sleep for hooks), the handlers' own rules, and the
 * probe numbers (validateProbe, validateLivenessProbe and friends). */
#include <stdio.h>
#include <string.h>

#include "pod/validate-internal.h"

static const char *const schemes[] = { "HTTP", "HTTPS", NULL };

/* ValidatePortNumOrName. An absent port is the zero IntOrString: int 0. */
static void port_num_or_name(struct pod_vctx *c, const struct dh_intstr *port)
{
        if (port->kind == DH_INTSTR_STR) {
                struct pod_msgs msgs;
                pod_is_port_name(port->s, &msgs);
                pod_v_msgs(c, "port", port->s, &msgs);
                return;
        }
        int64_t v = port->kind == DH_INTSTR_INT ? port->i : 0;
        if (v < 1 || v > 65535)
                pod_v_invalid_int(c, "port", v, "must be between 1 and 65535, inclusive");
}

static void http_get(struct pod_vctx *c, const struct pod_http_get *h)
{
        if (!pod_v_set(h->path))
                pod_v_required(c, "path", NULL);
        port_num_or_name(c, &h->port);
        if (!pod_v_in(h->scheme, schemes))
                pod_v_not_supported(c, "scheme", h->scheme, schemes);
        struct pod_msgs msgs;
        for (size_t i = 0; i < h->httpHeaders.n; i++) {
                pod_is_http_header_name(h->httpHeaders.v[i].name, &msgs);
                pod_v_msgs(c, "httpHeaders", h->httpHeaders.v[i].name, &msgs);
        }
}

/* validateSleepAction with zero seconds allowed (the 1.33 default). */
static void sleep_action(struct pod_vctx *c, const struct pod_sleep_action *s)
{
        const struct dh_opt_i64 *grace = &c->pod->spec.terminationGracePeriodSeconds;
        int64_t secs = s->seconds.set ? s->seconds.v : 0;
        if (!grace->set || (secs >= 0 && secs <= grace->v))
                return;
        char detail[128];
        snprintf(detail, sizeof detail,
                 "must be non-negative and less than terminationGracePeriodSeconds (%lld)",
                 (long long)grace->v);
        pod_v_invalid_int(c, NULL, secs, detail);
}

struct handler {
        const struct pod_exec_action *exec;
        const struct pod_http_get *httpGet;
        const struct pod_tcp_socket *tcpSocket;
        const struct pod_grpc_action *grpc;
        const struct pod_sleep_action *sleep;
};

/* Counts one handler; a second and later ones are reported instead of
 * checked. Returns whether this one should be checked (and pushes it). */
static bool handler_begin(struct pod_vctx *c, const void *h, const char *field, size_t *n,
                          size_t *mark)
{
        if (!h)
                return false;
        if ((*n)++ > 0) {
                pod_v_forbidden(c, field, "may not specify more than 1 handler type");
                return false;
        }
        *mark = dh_path_field(&c->path, field);
        return true;
}

/* validateHandler, at the probe or hook. */
static void handler(struct pod_vctx *c, const struct handler *h)
{
        size_t n = 0, m = 0;
        if (handler_begin(c, h->exec, "exec", &n, &m)) {
                if (h->exec->command.n == 0)
                        pod_v_required(c, "command", NULL);
                dh_path_pop(&c->path, m);
        }
        if (handler_begin(c, h->httpGet, "httpGet", &n, &m)) {
                http_get(c, h->httpGet);
                dh_path_pop(&c->path, m);
        }
        if (handler_begin(c, h->tcpSocket, "tcpSocket", &n, &m)) {
                port_num_or_name(c, &h->tcpSocket->port);
                dh_path_pop(&c->path, m);
        }
        if (handler_begin(c, h->grpc, "grpc", &n, &m)) {
                struct dh_intstr port = { .kind = DH_INTSTR_INT, .i = h->grpc->port.v };
                port_num_or_name(c, &port);
                dh_path_pop(&c->path, m);
        }
        if (handler_begin(c, h->sleep, "sleep", &n, &m)) {
                sleep_action(c, h->sleep);
                dh_path_pop(&c->path, m);
        }
        if (n == 0)
                pod_v_required(c, NULL, "must specify a handler type");
}

enum probe_kind { PROBE_LIVENESS, PROBE_READINESS, PROBE_STARTUP };

static int64_t num(const struct dh_opt_i64 *o)
{
        return o->set ? o->v : 0;
}

static void probe(struct pod_vctx *c, const struct pod_probe *p, enum probe_kind kind)
{
        struct handler h = { p->exec, p->httpGet, p->tcpSocket, p->grpc, NULL };
        handler(c, &h);
        pod_v_nonneg(c, "initialDelaySeconds", num(&p->initialDelaySeconds));
        pod_v_nonneg(c, "timeoutSeconds", num(&p->timeoutSeconds));
        pod_v_nonneg(c, "periodSeconds", num(&p->periodSeconds));
        pod_v_nonneg(c, "successThreshold", num(&p->successThreshold));
        pod_v_nonneg(c, "failureThreshold", num(&p->failureThreshold));
        const struct dh_opt_i64 *tgps = &p->terminationGracePeriodSeconds;
        if (tgps->set && tgps->v <= 0)
                pod_v_invalid_int(c, "terminationGracePeriodSeconds", tgps->v, "must be greater than 0");
        if (kind != PROBE_READINESS && num(&p->successThreshold) != 1)
                pod_v_invalid_int(c, "successThreshold", num(&p->successThreshold), "must be 1");
        if (kind == PROBE_READINESS && tgps->set)
                pod_v_invalid_int(c, "terminationGracePeriodSeconds", tgps->v,
                                  "must not be set for readinessProbes");
}

void pod_validate_probes(struct pod_vctx *c, const struct pod_container *ctr)
{
        const struct pod_probe *probes[] = { ctr->livenessProbe, ctr->readinessProbe,
                                             ctr->startupProbe };
        const char *fields[] = { "livenessProbe", "readinessProbe", "startupProbe" };
        const enum probe_kind kinds[] = { PROBE_LIVENESS, PROBE_READINESS, PROBE_STARTUP };
        for (size_t i = 0; i < 3; i++) {
                if (!probes[i])
                        continue;
                size_t m = dh_path_field(&c->path, fields[i]);
                probe(c, probes[i], kinds[i]);
                dh_path_pop(&c->path, m);
        }
}

void pod_validate_lifecycle(struct pod_vctx *c, const struct pod_lifecycle *lc)
{
        const struct pod_lifecycle_handler *hooks[] = { lc->postStart, lc->preStop };
        const char *fields[] = { "postStart", "preStop" };
        size_t m = dh_path_field(&c->path, "lifecycle");
        for (size_t i = 0; i < 2; i++) {
                if (!hooks[i])
                        continue;
                struct handler h = { hooks[i]->exec, hooks[i]->httpGet, hooks[i]->tcpSocket, NULL,
                                     hooks[i]->sleep };
                size_t mh = dh_path_field(&c->path, fields[i]);
                handler(c, &h);
                dh_path_pop(&c->path, mh);
        }
        dh_path_pop(&c->path, m);
}
