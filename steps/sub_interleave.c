/*
 * sub_interleave: see sub_interleave.h.  Two sorts: by (subscription,
 * position) to rank each request inside its subscription, then by (rank,
 * subscription).
 */
#include "steps/sub_interleave.h"

#include "steps/arm_common.h"

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

int sub_interleave(const char *const *ids, size_t n, size_t **order, err_info *err)
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
        if (!ids[i] || arm_subscription_of(ids[i], e[i].sub, sizeof e[i].sub) != 0)
            e[i].sub[0] = '\0';
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

int sub_interleave_apply(void **items, const size_t *order, size_t n, err_info *err)
{
    if (n == 0)
        return 0;
    void **copy = malloc(n * sizeof *copy);
    if (!copy)
        return err_set(err, ERR_NOMEM, "out of memory ordering requests");
    for (size_t i = 0; i < n; i++)
        copy[i] = items[order[i]];
    memcpy(items, copy, n * sizeof *copy);
    free(copy);
    return 0;
}
