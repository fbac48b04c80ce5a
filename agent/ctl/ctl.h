/* deckctl's subcommands. Each returns the process exit status. */
#pragma once
#include <stddef.h>
#include <stdio.h>

int ctl_validate_main(int argc, char **argv);

/* Validates one buffer named `name` (used as the line prefix): prints
 * "OK <ns>/<name> <QoS>" per valid pod to out and one line per problem to
 * errout. Returns the number of invalid pods (or 1 for a file-level error). */
int ctl_validate_buffer(const char *data, size_t len, const char *name, FILE *out, FILE *errout);
