/*
 * name_set: a fixed-size set of C strings (open addressing, FNV-1a), for
 * names asked about far more often than added, such as a data-model
 * class's property names.  The set borrows the strings: they must outlive
 * it.
 */
#ifndef AI_COMMON_NAME_SET_H
#define AI_COMMON_NAME_SET_H

#include <stdbool.h>
#include <stddef.h>

typedef struct name_set {
    const char **slots;  /* power-of-two table, at most half full */
    size_t mask;
} name_set;

/* Room for up to `names` names; -1 when out of memory (the set is then
 * empty and name_set_has answers false). */
int name_set_init(name_set *s, size_t names);
/* Adds name (borrowed) unless present; at most the `names` of init. */
void name_set_add(name_set *s, const char *name);
bool name_set_has(const name_set *s, const char *name);
void name_set_free(name_set *s);

#endif
