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
/* Uniform double in [0, 1). */
double random_unit(void);

#endif
