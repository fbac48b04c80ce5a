/* A tiny unit-test harness. Each test file defines TEST(name) functions and
 * ends with TEST_MAIN(); the binary prints one line per failure and a final
 * `<file>: N passed, N failed` line that the top-level runner sums. */
#pragma once
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct test_case {
        const char *name;
        void (*fn)(void);
};

extern int test_failures_in_case;
void test_register(const char *name, void (*fn)(void));
int test_run_all(const char *prog);
/* A fresh directory "/tmp/dh-test-<tag>-XXXXXX" (caller frees), and its
 * removal (never following symlinks; frees dir). */
char *test_mkdtemp(const char *tag);
void test_rmtree(char *dir);
/* Runs argv (PATH searched) with stdout to /dev/null; true if it exited 0.
 * Failures are described on stderr. */
bool test_spawn(const char *const argv[]);
/* Path under tests/data (TEST_DATA_DIR is set by the Makefile). */
const char *test_data(const char *rel);

#define TEST(name)                                                         \
        static void test_##name(void);                                     \
        __attribute__((constructor)) static void test_reg_##name(void)    \
        {                                                                  \
                test_register(#name, test_##name);                         \
        }                                                                  \
        static void test_##name(void)

#define TEST_MAIN()                                                        \
        int main(int argc, char **argv)                                    \
        {                                                                  \
                (void)argc;                                                \
                return test_run_all(argv[0]);                              \
        }

#define TEST_FAIL_(fmt, ...)                                               \
        do {                                                               \
                fprintf(stderr, "  FAIL %s:%d: " fmt "\n", __FILE__,       \
                        __LINE__, __VA_ARGS__);                            \
                test_failures_in_case++;                                   \
        } while (0)

#define CHECK(cond)                                                        \
        do {                                                               \
                if (!(cond))                                               \
                        TEST_FAIL_("%s", #cond);                           \
        } while (0)

#define CHECK_INT(a, b)                                                    \
        do {                                                               \
                long long a_ = (long long)(a), b_ = (long long)(b);        \
                if (a_ != b_)                                              \
                        TEST_FAIL_("%s == %lld, expected %s == %lld", #a,  \
                                   a_, #b, b_);                            \
        } while (0)

#define CHECK_STR(a, b)                                                    \
        do {                                                               \
                const char *a_ = (a), *b_ = (b);                           \
                if (!a_ || !b_ || strcmp(a_, b_) != 0)                     \
                        TEST_FAIL_("%s == \"%s\", expected \"%s\"", #a,    \
                                   a_ ? a_ : "(null)", b_ ? b_ : "(null)"); \
        } while (0)

/* Substring check, for error messages. */
#define CHECK_CONTAINS(hay, needle)                                        \
        do {                                                               \
                const char *h_ = (hay), *n_ = (needle);                    \
                if (!h_ || !strstr(h_, n_))                                \
                        TEST_FAIL_("%s == \"%s\" does not contain \"%s\"", \
                                   #hay, h_ ? h_ : "(null)", n_);          \
        } while (0)
