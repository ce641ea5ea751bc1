/*
 * azure_interleave: the order in which a parallel batch of Resource
 * Manager requests is sent, so that consecutive requests belong to
 * different subscriptions.
 *
 * ARM throttles reads per subscription and the client paces each
 * subscription on its own; when the requests of one batch (azure_list_many
 * / azure_get_many: workers take them in order) are grouped by
 * subscription, as lists built subscription by subscription are, every
 * worker waits on one subscription's bucket while the others refill unused.
 * Round-robin over subscriptions keeps all buckets drained at once.  The
 * client applies it to every ARM batch, so steps need not.
 */
#ifndef AI_AZURE_INTERLEAVE_H
#define AI_AZURE_INTERLEAVE_H

#include "common/error.h"

#include <stddef.h>

/* Sets *order (malloc'd, caller frees) to a permutation of 0..n-1: the i-th
 * request of every subscription (the segment after "/subscriptions/" in
 * each path or id, compared without case, in the given order) before the
 * (i+1)-th of any; within one round, subscriptions in sorted order.  Paths
 * without a subscription form one group.  n == 0 gives NULL. */
int azure_interleave(const char *const *paths, size_t n, size_t **order, err_info *err);

#endif
