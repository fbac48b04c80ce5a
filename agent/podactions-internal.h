/* Shared between podactions.c (sandbox, containers, back-off) and
 * podactions-init.c (init containers and sidecars). */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#include "agent/podactions.h"

struct plan_ctx {
        const struct pod *pod;
        const struct agent_pod_runtime *obs;
        const struct agent_container_results *results;
        struct agent_pod_plan *plan;
        bool oom; /* an append failed; the plan is thrown away */
};

void plan_start(struct plan_ctx *c, size_t index, bool init);
void plan_kill(struct plan_ctx *c, const struct agent_container_observed *s, bool init,
               enum agent_kill_reason reason, const char *fmt, ...)
        __attribute__((format(printf, 5, 6)));
/* The probe result of kind for the container instance s (NONE if absent). */
enum agent_probe_kind { PROBE_LIVENESS, PROBE_READINESS, PROBE_STARTUP };
enum agent_probe_result plan_probe(const struct plan_ctx *c,
                                   const struct agent_container_observed *s,
                                   enum agent_probe_kind kind);
/* containerChanged: the running instance's hash is not the spec's. */
bool plan_container_changed(const struct pod_container *spec,
                            const struct agent_container_observed *s);
/* isInitContainerFailed. */
bool plan_init_failed(const struct agent_container_observed *s);
/* hasAnyRegularContainerCreated. */
bool plan_any_regular_created(const struct plan_ctx *c);

/* computeInitContainerActions: returns whether the pod is initialized. */
bool plan_init_containers(struct plan_ctx *c);
