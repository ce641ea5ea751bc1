/*
 * azure_paging: where the next page is, and a guard against links that
 * repeat (a server bug that would otherwise loop forever).
 *
 * Graph pages carry "@odata.nextLink", ARM pages "nextLink"; an absent,
 * null or empty link ends the list.  The guard remembers a 64-bit hash
 * (FNV-1a) of every link of one list in an open-addressing set: 8 bytes per
 * page, so a 10,000-page list costs ~128 KB at most, and a cycle of any
 * length is caught (not only a link equal to the previous one).
 */
#ifndef AI_AZURE_AZURE_PAGING_H
#define AI_AZURE_AZURE_PAGING_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The next page's link of a page, or NULL at the end. */
const char *azure_paging_next_link(const cJSON *page);

typedef struct azure_link_guard {
    uint64_t *slots;   /* 0 = empty */
    size_t cap;        /* power of two */
    size_t count;
} azure_link_guard;

void azure_link_guard_init(azure_link_guard *g);
void azure_link_guard_clear(azure_link_guard *g);
/* Records link; returns 1 when it was new, 0 when it was already seen,
 * -1 on allocation failure. */
int azure_link_guard_add(azure_link_guard *g, const char *link);

#endif
