/* deckhand-pause: PID 1 of a pod's shared PID namespace. It blocks every
 * signal, reaps orphans on SIGCHLD and exits on SIGTERM/SIGINT; nothing
 * else. Freestanding (no libc, raw syscalls, static, not PIE) so it costs a
 * few pages of memory per pod; the shim execs it, and forks itself as a
 * fallback where it is missing. */
#if !defined(__x86_64__) && !defined(__aarch64__)
#error "deckhand-pause supports x86_64 and aarch64; the shim forks a pause elsewhere"
#endif

#define SIGINT 2
#define SIGTERM 15
#define SIGCHLD 17
#define WNOHANG 1

#if defined(__x86_64__)
#define NR_rt_sigprocmask 14
#define NR_wait4 61
#define NR_exit_group 231
#define NR_rt_sigtimedwait 128

static long sys4(long n, long a, long b, long c, long d)
{
        long ret;
        register long r10 __asm__("r10") = d;
        __asm__ volatile("syscall" : "=a"(ret) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10)
                         : "rcx", "r11", "memory");
        return ret;
}
#else
#define NR_rt_sigprocmask 135
#define NR_wait4 260
#define NR_exit_group 94
#define NR_rt_sigtimedwait 137

static long sys4(long n, long a, long b, long c, long d)
{
        register long x8 __asm__("x8") = n;
        register long x0 __asm__("x0") = a;
        register long x1 __asm__("x1") = b;
        register long x2 __asm__("x2") = c;
        register long x3 __asm__("x3") = d;
        __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3) : "memory");
        return x0;
}
#endif

void _start(void) __attribute__((noreturn));

void _start(void)
{
        unsigned long all = ~0UL; /* a kernel sigset_t: 64 bits */
        sys4(NR_rt_sigprocmask, 0 /* SIG_BLOCK */, (long)&all, 0, 8);
        for (;;) {
                long sig = sys4(NR_rt_sigtimedwait, (long)&all, 0, 0, 8);
                if (sig == SIGTERM || sig == SIGINT)
                        sys4(NR_exit_group, 0, 0, 0, 0);
                while (sys4(NR_wait4, -1, 0, WNOHANG, 0) > 0)
                        ;
        }
}
