/* The termination message of an exited container, as the kubelet reads it
 * (kuberuntime's getTerminationMessage and readLastStringFromContainerLogs):
 * the last 4 KiB of the file mounted at the container's
 * terminationMessagePath, or, with terminationMessagePolicy
 * FallbackToLogsOnError, a failed exit and no such file content, the last
 * 80 lines (at most 2 KiB) of its log. Both are read on the host side: the
 * mount's host path and the CRI log file. */
#pragma once
#include "cri/cri.h"
#include "lib/err.h"

#define AGENT_TERMINATION_MESSAGE_MAX 4096
#define AGENT_TERMINATION_LOG_MAX 2048
#define AGENT_TERMINATION_LOG_LINES 80

/* *out: the message (NULL when there is none, or when c has not exited).
 * A file that cannot be read becomes the kubelet's "Error on reading
 * termination log" message, not an error; < 0 only on ENOMEM. */
int agent_termination_message(const struct rt_container_status *c, char **out,
                              struct dh_err **err);
