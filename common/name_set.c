/*
 * name_set: see name_set.h.
 */
#include "common/name_set.h"

#include "common/hash.h"

#include <stdlib.h>
#include <string.h>

int name_set_init(name_set *s, size_t names)
{
    size_t cap = 16;
    while (cap < 2 * names)
        cap *= 2;
    s->slots = calloc(cap, sizeof *s->slots);
    s->mask = s->slots ? cap - 1 : 0;
    return s->slots ? 0 : -1;
}

/* The slot holding name, or the empty slot where it would go. */
static size_t slot_of(const name_set *s, const char *name)
{
    size_t i = (size_t)hash_fnv1a(HASH_FNV1A_INIT, name) & s->mask;
    while (s->slots[i] && strcmp(s->slots[i], name) != 0)
        i = (i + 1) & s->mask;
    return i;
}

void name_set_add(name_set *s, const char *name)
{
    if (s->slots)
        s->slots[slot_of(s, name)] = name;
}

bool name_set_has(const name_set *s, const char *name)
{
    return s->slots && name && s->slots[slot_of(s, name)] != NULL;
}

void name_set_free(name_set *s)
{
    free(s->slots);
    s->slots = NULL;
    s->mask = 0;
}
