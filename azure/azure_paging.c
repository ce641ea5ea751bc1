/*
 * azure_paging: next-link extraction and the repeated-link guard (see
 * azure_paging.h).
 */
#include "azure/azure_paging.h"

#include "common/hash.h"

#include <stdlib.h>
#include <string.h>

const char *azure_paging_next_link(const cJSON *page) {
    static const char *const names[] = {"@odata.nextLink", "nextLink"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const cJSON *l = cJSON_GetObjectItemCaseSensitive(page, names[i]);
        if (cJSON_IsString(l) && l->valuestring && l->valuestring[0]) return l->valuestring;
    }
    return NULL;
}

void azure_link_guard_init(azure_link_guard *g) { memset(g, 0, sizeof *g); }

void azure_link_guard_clear(azure_link_guard *g) {
    free(g->slots);
    memset(g, 0, sizeof *g);
}

static uint64_t fnv1a(const char *s) {
    uint64_t h = hash_fnv1a(HASH_FNV1A_INIT, s);
    return h ? h : 1; /* 0 marks an empty slot */
}

static int insert(uint64_t *slots, size_t cap, uint64_t h) {
    size_t i = (size_t)h & (cap - 1);
    while (slots[i]) {
        if (slots[i] == h) return 0;
        i = (i + 1) & (cap - 1);
    }
    slots[i] = h;
    return 1;
}

int azure_link_guard_add(azure_link_guard *g, const char *link) {
    if ((g->count + 1) * 2 > g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 64;
        uint64_t *slots = calloc(cap, sizeof *slots);
        if (!slots) return -1;
        for (size_t i = 0; i < g->cap; i++)
            if (g->slots[i]) insert(slots, cap, g->slots[i]);
        free(g->slots);
        g->slots = slots;
        g->cap = cap;
    }
    int r = insert(g->slots, g->cap, fnv1a(link));
    if (r == 1) g->count++;
    return r;
}
