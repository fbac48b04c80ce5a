/* The agent's command line: kubelet-compatible flags (pflag syntax) over
 * struct agent_config, with kubelet's precedence: defaults < --config file
 * < flags. */
#pragma once
#include <stdio.h>

#include "agent/config.h"
#include "lib/err.h"

/* What agent_flags_parse found the user asked for. */
enum { AGENT_FLAGS_RUN = 0, AGENT_FLAGS_HELP = 1, AGENT_FLAGS_VERSION = 2 };

/* dh_err code for a misused command line (unknown flag, bad or missing
 * value, stray argument): main exits 2 on it, 1 on anything else. */
enum { AGENT_EUSAGE = 10100 };

/* Parses argv (argv[0] is skipped): `--flag=value`, `--flag value`,
 * booleans as `--flag` or `--flag=false`, `-v 4`/`-v=4`/`-v4`/`--v=4`,
 * `-h`/`--help`, `--version`. Then, if --config was given, loads that file
 * over the defaults and applies the flags again on top, and validates the
 * result. Returns AGENT_FLAGS_* (help and version skip the config file), or
 * < 0 with err set. cfg must be zero-filled or initialized; on success its
 * old contents are freed and replaced, on failure it is left unchanged. */
int agent_flags_parse(int argc, char **argv, struct agent_config *cfg, struct dh_err **err);

/* Writes the usage text, generated from the flag table, to f. */
void agent_flags_usage(FILE *f);
