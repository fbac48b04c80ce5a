/* Shared by the pull state machine (pull.c) and its layer unpacking
 * (pull-unpack.c); not an API. */
#pragma once
#include <sys/types.h>

#include "cri/image/images-internal.h"
#include "cri/image/ref.h"
#include "lib/child.h"
#include "lib/loop.h"

#define UNPACK_PARALLEL 2
#define UNPACK_MSG_MAX 4096
#define AUTH_TRIES_MAX 8

enum slot_state { SLOT_WAIT, SLOT_FETCH, SLOT_UNPACK, SLOT_DONE };

struct pull;

struct layer_slot {
        struct pull *p;
        size_t i;
        enum slot_state st;
        struct img_writer *w;
        /* On an unpack job's list, or on the list of the slot (of any
         * pull) fetching the same blob: a slot waits on one at a time. */
        struct layer_slot *next_waiting;
        struct layer_slot *fetcher;       /* SLOT_WAIT: whose fetch we wait on */
        struct layer_slot *fetch_waiters; /* SLOT_FETCH: who waits on ours */
};

struct unpack_job {
        struct unpack_job *next;
        struct img_service *s;
        char *diff_id, *digest, *media_type;
        struct dh_child *child; /* NULL: queued */
        struct layer_slot *waiting;
};

struct pull_waiter {
        img_pull_fn fn;
        void *ud;
};

struct pull {
        struct pull *next;
        struct img_service *s;
        char *key;              /* the normalised reference */
        struct img_ref ref;
        struct img_auth_list auths;
        size_t auth_i;
        struct img_remote *remote;
        struct img_remote *retired[AUTH_TRIES_MAX]; /* freed with the pull */
        size_t nretired;
        struct pull_waiter *waiters;
        size_t nwaiters;
        char *top_digest, *manifest_digest;
        struct img_manifest man;
        struct img_config cfg;
        bool have_cfg;
        struct img_writer *cfg_writer;
        struct layer_slot *slots;
        size_t pending;
        struct dh_err *err;     /* the first failure */
        char *image_id;
        struct dh_timer *finish;
        bool finished;
};

/* pull.c */
void pull_fail(struct pull *p, struct dh_err *e);
void pull_fail_msg(struct pull *p, int code, const char *msg);
/* A layer is in place: counts it off and records the image after the last. */
void slot_done(struct layer_slot *sl);

/* pull-unpack.c */
/* Joins the unpack of the slot's layer in flight, or queues a new one. */
void slot_unpack(struct layer_slot *sl);
/* Takes a slot (of a pull being freed) off the job it waits on. */
void unpack_forget_slot(struct img_service *s, struct layer_slot *sl);
/* Whether diff_id is being unpacked. */
bool unpack_in_flight(struct img_service *s, const char *diff_id);
/* Kills and reaps every unpack child, dropping the jobs. */
void unpack_cancel_all(struct img_service *s);
