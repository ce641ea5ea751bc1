/*
 * random: see random.h.
 */
#include "common/random.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>

int random_bytes(void *buf, size_t len)
{
    if (len > (size_t)INT32_MAX)
        return -1;
    return RAND_bytes(buf, (int)len) == 1 ? 0 : -1;
}

void random_uuid(char out[37])
{
    unsigned char b[16];
    if (random_bytes(b, sizeof b) != 0)
        abort(); /* no entropy: nothing safe to do */
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
             b[13], b[14], b[15]);
}

double random_unit(void)
{
    uint64_t v;
    if (random_bytes(&v, sizeof v) != 0)
        return 0.5;
    return (double)(v >> 11) / 9007199254740992.0;
}
