/*
 * hash: FNV-1a over C strings, for the in-memory hash tables (name sets,
 * graph-store look-ups, the paging link guard).  Not for anything an
 * attacker chooses to collide on at scale, nor for security.
 */
#ifndef AI_COMMON_HASH_H
#define AI_COMMON_HASH_H

#include <stdint.h>

#define HASH_FNV1A_INIT 1469598103934665603ull

/* Continues hash h over the bytes of s (start with HASH_FNV1A_INIT). */
static inline uint64_t hash_fnv1a(uint64_t h, const char *s)
{
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

#endif
