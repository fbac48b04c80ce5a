/* sigign SIG... -- CMD ARG...: runs CMD with the given signals ignored,
 * set with the raw rt_sigaction so that glibc's own real-time signals (32,
 * 33) can be ignored too, as some parents leave them. The tests start the
 * agent through it to check that container processes still begin with
 * every signal at its default. */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

struct kernel_sigaction {
        void (*handler)(int);
        unsigned long flags;
        void (*restorer)(void);
        uint64_t mask;
};

int main(int argc, char **argv)
{
        int i = 1;
        for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
                char *end;
                long sig = strtol(argv[i], &end, 10);
                const struct kernel_sigaction ign = { .handler = SIG_IGN };
                if (*end || sig < 1 || sig > 64 ||
                    syscall(SYS_rt_sigaction, (int)sig, &ign, NULL, sizeof ign.mask) < 0) {
                        fprintf(stderr, "sigign: cannot ignore signal %s: %s\n", argv[i], strerror(errno));
                        return 2;
                }
        }
        if (i + 1 >= argc) {
                fprintf(stderr, "usage: sigign SIG... -- CMD [ARG...]\n");
                return 2;
        }
        execvp(argv[i + 1], argv + i + 1);
        fprintf(stderr, "sigign: %s: %s\n", argv[i + 1], strerror(errno));
        return 127;
}
