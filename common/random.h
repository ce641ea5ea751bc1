/*
 * random: cryptographic randomness (OpenSSL RAND_bytes) for nonces, ids and
 * retry jitter.  Thread-safe.
 */
#ifndef AI_COMMON_RANDOM_H
#define AI_COMMON_RANDOM_H

#include <stddef.h>
#include <stdint.h>

/* Fills buf; returns 0 or -1 when the generator failed. */
int random_bytes(void *buf, size_t len);
/* Writes a lowercase UUID v4 (36 chars + NUL) into out. */
void random_uuid(char out[37]);
/* Writes a lowercase UUID v4 for correlation (request ids in logs and
 * headers), not for secrets: splitmix64 over a process-wide counter seeded
 * once from random_bytes, so it costs no DRBG call (OpenSSL builds a DRBG
 * per thread on first use, which the short-lived request threads would pay
 * on every request). Unique within the process, unpredictable enough to
 * not collide across processes. */
void random_uuid_weak(char out[37]);
/* Uniform double in [0, 1). */
double random_unit(void);

#endif
