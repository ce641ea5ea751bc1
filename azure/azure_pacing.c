/*
 * azure_pacing: token bucket per subscription (model in azure_pacing.h).
 * The table is a plain array searched linearly: a job reads a handful of
 * subscriptions, rarely more than a few hundred.
 */
#include "azure/azure_pacing.h"

#include <ctype.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

typedef struct bucket {
    char scope[40];
    double tokens;       /* may go negative: reservations */
    int64_t updated_ms;
} bucket;

struct azure_pacing {
    pthread_mutex_t mu;
    char *shared_key;     /* registry key when shared, else NULL */
    int refs;             /* registry references (under g_registry_mu) */
    struct azure_pacing *next;
    double burst;
    double rate_per_ms;
    int64_t release_ms;   /* the send grid, 0 = none */
    bucket *rows;
    size_t count, cap;
};

azure_pacing *azure_pacing_new(double burst, double refill_per_s, int release_ms) {
    azure_pacing *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    pthread_mutex_init(&p->mu, NULL);
    p->burst = burst > 1 ? burst : 1;
    p->rate_per_ms = (refill_per_s > 0 ? refill_per_s : 1) / 1000.0;
    p->release_ms = release_ms > 0 ? release_ms : 0;
    return p;
}

void azure_pacing_free(azure_pacing *p) {
    if (!p) return;
    pthread_mutex_destroy(&p->mu);
    free(p->rows);
    free(p);
}

int64_t azure_pacing_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void azure_pacing_scope_of(const char *path, char *out, size_t size) {
    out[0] = '\0';
    if (size == 0) return;
    const char *p = strcasestr(path, "/subscriptions/");
    if (!p) return;
    p += strlen("/subscriptions/");
    size_t n = strcspn(p, "/?#");
    if (n >= size) n = size - 1;
    memcpy(out, p, n);
    out[n] = '\0';
}

/* Finds or adds the row of scope (mutex held); NULL on allocation failure. */
static bucket *row_of(azure_pacing *p, const char *scope, int64_t now_ms) {
    for (size_t i = 0; i < p->count; i++)
        if (strcasecmp(p->rows[i].scope, scope) == 0) return &p->rows[i];
    if (p->count == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 8;
        bucket *rows = realloc(p->rows, cap * sizeof *rows);
        if (!rows) return NULL;
        p->rows = rows;
        p->cap = cap;
    }
    bucket *b = &p->rows[p->count++];
    memset(b, 0, sizeof *b);
    strncpy(b->scope, scope, sizeof b->scope - 1);
    b->tokens = p->burst;
    b->updated_ms = now_ms;
    return b;
}

static void refill(azure_pacing *p, bucket *b, int64_t now_ms) {
    if (now_ms > b->updated_ms) {
        b->tokens += (double)(now_ms - b->updated_ms) * p->rate_per_ms;
        if (b->tokens > p->burst) b->tokens = p->burst;
        b->updated_ms = now_ms;
    }
}

int64_t azure_pacing_acquire(azure_pacing *p, const char *scope, int64_t now_ms) {
    int64_t wait = 0;
    pthread_mutex_lock(&p->mu);
    bucket *b = row_of(p, scope, now_ms);
    if (b) {
        refill(p, b, now_ms);
        b->tokens -= 1.0;
        /* +2 ms: our clock and ARM's never tick together; arriving a hair
         * late costs nothing, a hair early costs a 429. */
        if (b->tokens < 0) wait = (int64_t)(-b->tokens / p->rate_per_ms) + 2;
    }
    if (wait > 0 && p->release_ms > 0) {
        /* the next grid point at or after the token's time */
        int64_t at = now_ms + wait;
        int64_t off = at % p->release_ms;
        if (off < 0) off += p->release_ms;
        if (off) wait += p->release_ms - off;
    }
    pthread_mutex_unlock(&p->mu);
    return wait;
}

void azure_pacing_observe(azure_pacing *p, const char *scope, int64_t remaining, int64_t now_ms) {
    if (remaining < 0) return;
    pthread_mutex_lock(&p->mu);
    bucket *b = row_of(p, scope, now_ms);
    if (b) {
        refill(p, b, now_ms);
        if ((double)remaining < b->tokens) b->tokens = (double)remaining;
    }
    pthread_mutex_unlock(&p->mu);
}

/* ---- process-wide registry of shared pacings ---------------------------- */

static pthread_mutex_t g_registry_mu = PTHREAD_MUTEX_INITIALIZER;
static azure_pacing *g_registry;

azure_pacing *azure_pacing_shared(const char *directory_id, const char *client_id,
                                  const char *endpoint, double burst, double refill_per_s,
                                  int release_ms) {
    const char *d = directory_id ? directory_id : "", *c = client_id ? client_id : "",
               *e = endpoint ? endpoint : "";
    size_t n = strlen(d) + strlen(c) + strlen(e) + 3;
    char *key = malloc(n);
    if (!key) return NULL;
    snprintf(key, n, "%s|%s|%s", d, c, e);
    for (char *k = key; *k; k++) *k = (char)tolower((unsigned char)*k);
    pthread_mutex_lock(&g_registry_mu);
    azure_pacing *p = g_registry;
    while (p && strcmp(p->shared_key, key) != 0) p = p->next;
    if (p) {
        p->refs++;
        free(key);
    } else if ((p = azure_pacing_new(burst, refill_per_s, release_ms))) {
        p->shared_key = key;
        p->refs = 1;
        p->next = g_registry;
        g_registry = p;
    } else {
        free(key);
    }
    pthread_mutex_unlock(&g_registry_mu);
    return p;
}

void azure_pacing_release(azure_pacing *p) {
    if (!p) return;
    if (!p->shared_key) {
        azure_pacing_free(p);
        return;
    }
    pthread_mutex_lock(&g_registry_mu);
    bool last = --p->refs == 0;
    if (last) {
        azure_pacing **pp = &g_registry;
        while (*pp != p) pp = &(*pp)->next;
        *pp = p->next;
    }
    pthread_mutex_unlock(&g_registry_mu);
    if (last) {
        free(p->shared_key);
        p->shared_key = NULL;
        azure_pacing_free(p);
    }
}
