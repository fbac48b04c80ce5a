/* deckctl: the operator CLI (like crictl). Subcommands grow with the
 * runtime and the agent; today: validate and version. */
#include <stdio.h>
#include <string.h>

#include "agent/ctl/ctl.h"
#include "agent/ctl/rt-common.h"

static const struct {
        const char *name;
        int (*fn)(int argc, char **argv);
} commands[] = {
        { "validate", ctl_validate_main }, { "runp", ctl_runp_main }, { "stopp", ctl_stopp_main },
        { "rmp", ctl_rmp_main }, { "pods", ctl_pods_main }, { "inspectp", ctl_inspectp_main },
        { "create", ctl_create_main }, { "start", ctl_start_main }, { "stop", ctl_stop_main },
        { "rm", ctl_rm_main }, { "ps", ctl_ps_main }, { "inspect", ctl_inspect_main },
        { "exec", ctl_exec_main }, { "logs", ctl_logs_main }, { "stats", ctl_stats_main },
        { "reopen-log", ctl_reopen_log_main }, { "update", ctl_update_main },
        { "images", ctl_images_main }, { "img", ctl_images_main }, { "get", ctl_get_main },
};

static void usage(FILE *f)
{
        fprintf(f,
                "usage: deckctl COMMAND [ARGS...]\n"
                "\n"
                "Commands:\n"
                "  validate FILE|DIR...  decode, default and validate pod manifests as the\n"
                "                        agent would; one line per pod or per problem\n"
                "  get pods [-o json|wide]  the agent's pods with their status (NAME READY\n"
                "                        STATUS RESTARTS AGE; -o json: the core/v1 PodList),\n"
                "                        read from the running agent's <root-dir>/agent.sock\n"
                "                        (--root-dir DIR, $DECKHAND_ROOT_DIR, or\n"
                "                        --agent-socket PATH)\n"
                "\n"
                "Runtime commands (the built-in runtime, as crictl drives a CRI runtime):\n"
                "  runp POD_CONFIG           run a pod sandbox; prints its id\n"
                "  create POD_ID CONTAINER_CONFIG POD_CONFIG   create a container\n"
                "  start ID...               start created containers\n"
                "  stop [-t SECONDS] ID...   stop containers (signal, then kill after SECONDS)\n"
                "  rm [-f] ID...             remove containers\n"
                "  stopp ID... / rmp ID...   stop / remove pod sandboxes\n"
                "  ps [-a] [-q] [-p POD_ID]  list containers\n"
                "  pods [-q]                 list pod sandboxes\n"
                "  inspect ID / inspectp ID  status as JSON\n"
                "  exec [-s] [--timeout S] ID CMD...   run a command in a container\n"
                "  exec [-s] [--timeout S] [-n NS] POD [-c CONTAINER] -- CMD...\n"
                "  logs [-f] [-p] [-t] [--tail N] ID   print a container's log (-p: the\n"
                "                            instance before, as kubectl --previous)\n"
                "  logs [-f] [-p] [-t] [--tail N] [-n NS] POD [-c CONTAINER]\n"
                "                            exec and logs: without -c and -n, an argument that\n"
                "                            is a container ID or unique ID prefix means that\n"
                "                            container; else it names a pod in namespace NS\n"
                "                            (default \"default\"), or a static pod without its\n"
                "                            node suffix (\"web\" for \"web-node1\") when only one\n"
                "                            matches. Without -c: the pod's kubectl.kubernetes.io/\n"
                "                            default-container, else its first container\n"
                "  stats [ID]                resource usage of running containers\n"
                "  update [--memory B] [--cpu-share N] [--cpu-quota US] [--cpu-period US] ID...\n"
                "  reopen-log ID...          reopen containers' log files (after rotation)\n"
                "\n"
                "Image commands:\n"
                "  images pull [--creds USER:PASS] REF   pull from a registry\n"
                "  images import FILE|DIR [--name REF]   import an OCI layout (directory or\n"
                "                            archive) or a `docker save` archive\n"
                "  images ls [--digests] [-q]            list images\n"
                "  images inspect REF...     status as JSON\n"
                "  images rm REF...          remove images no container uses\n"
                "  images prune              remove every unused image, layer and blob\n"
                "  images fsinfo             the image filesystem's usage (ImageFsInfo)\n"
                "  images gc [--high PCT] [--low PCT] [--min-age DUR] [--max-age DUR]\n"
                "                            one round of the kubelet's image GC (85/80%%, 2m)\n"
                "Runtime and image commands take --state-dir DIR, --root-dir DIR,\n"
                "--images-dir DIR (default ROOT/images), --registry-config FILE (mirrors,\n"
                "insecure registries) and --credentials FILE (docker config.json).\n"
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
        for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
                if (strcmp(cmd, commands[i].name) == 0)
                        return commands[i].fn(argc - 1, argv + 1);
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
