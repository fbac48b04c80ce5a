/* Shared by podstatus.c (containers, phase, the whole), podstatus-conditions.c
 * and podstatus-json.c. */
#pragma once
#include <stdbool.h>

#include "agent/podstatus.h"

/* GetContainerStatus over init and regular statuses. */
const struct agent_container_status *status_find(const struct agent_pod_status *s,
                                                 const char *name);
/* Appends the kubelet-owned conditions to s (whose phase and container
 * statuses are final), keeping transition times from previous. false on
 * ENOMEM. */
bool status_conditions(const struct pod *pod, const struct agent_pod_runtime *obs,
                       const struct agent_pod_status *previous, int64_t now_ns,
                       struct agent_pod_status *s);
