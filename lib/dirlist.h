/* Listing a directory's entry names into memory, bounded, before anything
 * acts on them (acting while readdir runs is legal but easy to get wrong). */
#pragma once
#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>

#include "lib/err.h"

struct dh_names {
        char **v;
        size_t n;
};

/* Decides whether an entry is kept; dirfd is the directory being listed. */
typedef bool (*dh_name_filter)(int dirfd, const struct dirent *de, void *ud);

/* Lists the entries of the open directory dirfd (not closed; `dir` names it
 * in errors) other than "." and "..", keeping those `keep` accepts (NULL:
 * all). More than max kept entries is DH_ELIMIT. With sort, names come in
 * strcmp order. On failure *out is left empty. */
int dh_list_dir(int dirfd, const char *dir, dh_name_filter keep, void *ud, size_t max, bool sort,
                struct dh_names *out, struct dh_err **err);
void dh_names_free(struct dh_names *n);
/* A filter for subdirectories (not following symlinks). */
bool dh_is_subdir(int dirfd, const struct dirent *de, void *ud);
