/*
 * azure_interleave: see azure_interleave.h.  Two sorts: by (subscription,
 * position) to rank each request inside its subscription, then by (rank,
 * subscription).
 */
#include "azure/azure_interleave.h"

#include "azure/azure_pacing.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

typedef struct entry {
    char sub[64];
    size_t index;
    size_t rank;
} entry;

static int by_sub(const void *a, const void *b)
{
    const entry *x = a, *y = b;
    int c = strcmp(x->sub, y->sub);
    return c ? c : (x->index > y->index) - (x->index < y->index);
}

static int by_rank(const void *a, const void *b)
{
    const entry *x = a, *y = b;
    if (x->rank != y->rank)
        return (x->rank > y->rank) - (x->rank < y->rank);
    return by_sub(a, b);
}

int azure_interleave(const char *const *paths, size_t n, size_t **order, err_info *err)
{
    *order = NULL;
    if (n == 0)
        return 0;
    entry *e = calloc(n, sizeof *e);
    size_t *out = malloc(n * sizeof *out);
    if (!e || !out) {
        free(e);
        free(out);
        return err_set(err, ERR_NOMEM, "out of memory ordering requests");
    }
    for (size_t i = 0; i < n; i++) {
        e[i].index = i;
        if (paths[i])
            azure_pacing_scope_of(paths[i], e[i].sub, sizeof e[i].sub);
        for (char *c = e[i].sub; *c; c++)
            *c = (char)tolower((unsigned char)*c);
    }
    qsort(e, n, sizeof *e, by_sub);
    for (size_t i = 0; i < n; i++)
        e[i].rank = (i > 0 && strcmp(e[i].sub, e[i - 1].sub) == 0) ? e[i - 1].rank + 1 : 0;
    qsort(e, n, sizeof *e, by_rank);
    for (size_t i = 0; i < n; i++)
        out[i] = e[i].index;
    free(e);
    *order = out;
    return 0;
}
