/* Standalone mode: no API server, the static pods of --pod-manifest-path
 * run on the built-in runtime until SIGTERM or SIGINT, which leave them
 * running (as the kubelet does). */
#pragma once
#include "agent/config.h"

/* Returns the process's exit status. */
int agent_run_standalone(const struct agent_config *cfg);
