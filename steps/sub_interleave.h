/*
 * sub_interleave: order many Resource Manager requests so that consecutive
 * ones belong to different subscriptions.
 *
 * ARM throttles reads per subscription and the client paces each
 * subscription on its own; when thousands of requests of one parallel batch
 * (azure_list_many / azure_get_many: workers take paths in order) are
 * grouped by subscription, every worker waits on the same subscription's
 * bucket while the others' refill unused.  Round-robin over subscriptions
 * keeps all buckets drained at once.  Used by the key vault and storage
 * steps (per-vault reads, per-account lists).
 */
#ifndef AI_STEPS_SUB_INTERLEAVE_H
#define AI_STEPS_SUB_INTERLEAVE_H

#include "common/error.h"

#include <stddef.h>

/* Sets *order (malloc'd, caller frees) to a permutation of 0..n-1: the i-th
 * request of every subscription (the GUID after "subscriptions/" in each
 * id or path, in the given order) before the (i+1)-th of any; within one
 * round, subscriptions in sorted order.  Ids without a subscription form
 * one group.  n == 0 gives NULL. */
int sub_interleave(const char *const *ids, size_t n, size_t **order, err_info *err);

/* Reorders items[0..n) (pointers) by order, in place. */
int sub_interleave_apply(void **items, const size_t *order, size_t n, err_info *err);

#endif
