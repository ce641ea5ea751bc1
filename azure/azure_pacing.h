/*
 * azure_pacing: slows Azure Resource Manager reads down before ARM throttles
 * them.
 *
 * Model (documented by Microsoft as "token bucket" throttling of ARM since
 * 2024): each subscription (and, separately, tenant-level calls) has a
 * bucket of 250 read tokens refilled at 25 per second; a read that finds
 * the bucket empty is answered 429.  ARM reports what is left in
 * `x-ms-ratelimit-remaining-subscription-reads`.  We keep our own bucket per
 * subscription with the same burst and refill and, whenever ARM reports a
 * remaining count lower than ours (other clients share the subscription's
 * budget), we lower ours to it.  A read takes one token; when none is left,
 * the caller is told how long to wait until one will be (the token is
 * reserved, so concurrent callers queue up fairly instead of all waking at
 * once).  A 100,000-resource tenant therefore settles at ~25 reads/s per
 * subscription without ever seeing a 429 unless something else is using the
 * same budget.  Tenant-level calls (GET /subscriptions, /providers/...) have
 * their own bucket, fed by x-ms-ratelimit-remaining-tenant-reads.
 *
 * Paced reads are released on a grid of `release_ms` (e.g. 200 ms): a
 * read whose token comes due at 1,234 ms is sent at 1,400 ms, together with
 * the others that came due in that slot.  The bucket's accounting is
 * unchanged (the rate and the burst are the same), but the sends come in
 * small bursts instead of one every 40 ms / subscriptions: each burst costs
 * one wake-up of the process and of the connection to Azure, not one per
 * read.  At 25 reads/s a 200 ms slot holds 5 reads per subscription.  A read
 * is at most release_ms later than its token; 0 releases each read at its
 * token's time.
 *
 * Thread-safe (one mutex; the table holds one row per subscription seen).
 */
#ifndef AI_AZURE_AZURE_PACING_H
#define AI_AZURE_AZURE_PACING_H

#include <stddef.h>
#include <stdint.h>

typedef struct azure_pacing azure_pacing;

azure_pacing *azure_pacing_new(double burst, double refill_per_s, int release_ms);
void azure_pacing_free(azure_pacing *p);

/* The pacing of one security principal (directory + client id) on one
 * Resource Manager endpoint, shared by every client of the process that
 * uses it: Azure applies its read budgets per principal and subscription
 * (and per principal and tenant for tenant-level reads), so jobs of
 * several instances that use one app registration must share one bucket
 * per scope, or together they overrun it and get 429s.  Reference-counted:
 * each _shared call is matched by one azure_pacing_release.  NULL on
 * allocation failure. */
azure_pacing *azure_pacing_shared(const char *directory_id, const char *client_id,
                                  const char *endpoint, double burst, double refill_per_s,
                                  int release_ms);
void azure_pacing_release(azure_pacing *p);

/* Subscription GUID of an ARM path or URL ("/subscriptions/<id>/..."), copied
 * into out (empty string for tenant-level paths). */
void azure_pacing_scope_of(const char *path, char *out, size_t size);

/* Takes a token for `scope`; returns how many ms the caller must wait before
 * sending (0 = now; otherwise the wait ends on the release grid, a multiple
 * of release_ms on the monotonic clock).  `now_ms` is a monotonic clock
 * reading. */
int64_t azure_pacing_acquire(azure_pacing *p, const char *scope, int64_t now_ms);

/* Feeds back x-ms-ratelimit-remaining-subscription-reads. */
void azure_pacing_observe(azure_pacing *p, const char *scope, int64_t remaining, int64_t now_ms);

/* Monotonic milliseconds (CLOCK_MONOTONIC). */
int64_t azure_pacing_now_ms(void);

#endif
