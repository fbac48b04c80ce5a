/* Scope-bound cleanup attributes and explicit ownership transfer. Every
 * destructor accepts NULL/-1 and preserves errno. */
#pragma once
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define DH_DEFINE_CLEANUP(type, func)                   \
        static inline void func##p(type *p)             \
        {                                               \
                if (*p) {                               \
                        int saved_errno_ = errno;       \
                        func(*p);                       \
                        errno = saved_errno_;           \
                }                                       \
        }

static inline void dh_freep(void *p)
{
        int saved = errno;
        free(*(void **)p);
        errno = saved;
}

static inline void dh_closep(int *fd)
{
        if (*fd >= 0) {
                int saved = errno;
                close(*fd);
                errno = saved;
        }
}

static inline void dh_fclosep(FILE **f)
{
        if (*f) {
                int saved = errno;
                fclose(*f);
                errno = saved;
        }
}

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _cleanup_free_ _cleanup_(dh_freep)
#define _cleanup_close_ _cleanup_(dh_closep)
#define _cleanup_fclose_ _cleanup_(dh_fclosep)

/* Hands ownership out of a cleanup-managed variable. */
#define TAKE_PTR(p)                                     \
        ({                                              \
                __typeof__(p) take_ptr_tmp_ = (p);      \
                (p) = NULL;                             \
                take_ptr_tmp_;                          \
        })
#define TAKE_FD(fd)                                     \
        ({                                              \
                int take_fd_tmp_ = (fd);                \
                (fd) = -1;                              \
                take_fd_tmp_;                           \
        })

#define DH_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
