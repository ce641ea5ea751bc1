/*
 * random: see random.h.
 */
#include "common/random.h"

#include <openssl/rand.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

int random_bytes(void *buf, size_t len)
{
    if (len > (size_t)INT32_MAX)
        return -1;
    return RAND_bytes(buf, (int)len) == 1 ? 0 : -1;
}

/* RFC 4122 version 4 text: 8-4-4-4-12 lower-case hex digits.  Written
 * digit by digit: snprintf with 16 conversions cost ~0.6 % of a job's CPU
 * (one client-request-id per Azure request). */
static void format_uuid(char out[37], unsigned char b[16])
{
    static const char hex[] = "0123456789abcdef";
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    char *o = out;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *o++ = '-';
        *o++ = hex[b[i] >> 4];
        *o++ = hex[b[i] & 15];
    }
    *o = '\0';
}

void random_uuid(char out[37])
{
    unsigned char b[16];
    if (random_bytes(b, sizeof b) != 0)
        abort(); /* no entropy: nothing safe to do */
    format_uuid(out, b);
}

static _Atomic uint64_t g_weak_counter;
static uint64_t g_weak_seed;
static pthread_once_t g_weak_once = PTHREAD_ONCE_INIT;

static void weak_seed(void)
{
    if (random_bytes(&g_weak_seed, sizeof g_weak_seed) != 0)
        abort(); /* no entropy: nothing safe to do */
}

static uint64_t splitmix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

void random_uuid_weak(char out[37])
{
    pthread_once(&g_weak_once, weak_seed);
    uint64_t n = atomic_fetch_add_explicit(&g_weak_counter, 2, memory_order_relaxed);
    uint64_t hi = splitmix64(g_weak_seed + n), lo = splitmix64(g_weak_seed + n + 1);
    unsigned char b[16];
    for (int i = 0; i < 8; i++) {
        b[i] = (unsigned char)(hi >> (8 * i));
        b[8 + i] = (unsigned char)(lo >> (8 * i));
    }
    format_uuid(out, b);
}

double random_unit(void)
{
    uint64_t v;
    if (random_bytes(&v, sizeof v) != 0)
        return 0.5;
    return (double)(v >> 11) / 9007199254740992.0;
}
