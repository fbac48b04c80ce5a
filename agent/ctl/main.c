/* deckctl: the operator CLI (like crictl). Subcommands grow with the
 * runtime and the agent; today: validate and version. */
#include <stdio.h>
#include <string.h>

#include "agent/ctl/ctl.h"

static void usage(FILE *f)
{
        fprintf(f,
                "usage: deckctl COMMAND [ARGS...]\n"
                "\n"
                "Commands:\n"
                "  validate FILE|DIR...  decode, default and validate pod manifests as the\n"
                "                        agent would; one line per pod or per problem\n"
                "  version               print the version\n"
                "  help                  show this help\n");
}

int main(int argc, char **argv)
{
        if (argc < 2) {
                usage(stderr);
                return 2;
        }
        const char *cmd = argv[1];
        if (strcmp(cmd, "validate") == 0)
                return ctl_validate_main(argc - 1, argv + 1);
        if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
                printf("deckctl version v%s\n", DH_VERSION);
                return 0;
        }
        if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
                usage(stdout);
                return 0;
        }
        fprintf(stderr, "deckctl: unknown command \"%s\"; run 'deckctl help'\n", cmd);
        return 2;
}
