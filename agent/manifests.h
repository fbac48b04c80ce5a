/* Listing a static pod manifest directory the way kubelet's file source
 * does: non-hidden entries in name order, no recursion. Shared by the
 * agent, its static pod source and `deckctl validate`. */
#pragma once
#include <stdbool.h>

#include "lib/err.h"

/* Most entries one manifest directory may hold. */
#define AGENT_MANIFEST_DIR_MAX 10000

/* Called with "<dir>/<name>" for each manifest. A negative return stops
 * the scan, which then fails with that value. */
typedef int (*agent_manifest_fn)(const char *path, void *userdata);

/* Calls fn for every entry of dir that is not a directory, sorted by name (strcmp order), skipping dotfiles. If dir is a
 * regular file (staticPodPath may name one), fn is called once for it.
 * Entries that are not regular files are still passed on so the reader
 * reports them (dh_read_file refuses FIFOs and devices). */
int agent_manifest_dir_scan(const char *dir, agent_manifest_fn fn, void *userdata,
                            struct dh_err **err);

/* Whether a directory entry name is one the scan picks up. */
bool agent_manifest_name_ok(const char *name);
