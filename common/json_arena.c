/*
 * json_arena: see json_arena.h.
 *
 * Layout: one PROT_NONE reservation of REGION_SIZE bytes, carved into
 * BLOCK_SIZE blocks on demand (mprotect to read/write once per block).
 * Released blocks go to a pool (one mutex, touched once per block, not per
 * allocation).  The pool keeps up to POOL_RESIDENT blocks warm (pages
 * resident, reused first); a block released beyond that gives its pages
 * back to the kernel (MADV_DONTNEED) and waits on a cold list, so a burst
 * does not pin its peak and steady reuse never faults pages in again.
 * Allocations larger than BIG_ALLOC go to malloc and are freed by the
 * cJSON_Delete walk like any non-arena memory.
 */
#include "common/json_arena.h"

#include "common/json.h"

#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#if defined(__SANITIZE_ADDRESS__)
#define ARENA_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ARENA_ASAN 1
#endif
#endif
#ifdef ARENA_ASAN
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define REGION_SIZE ((size_t)8 << 30) /* address space only */
#define BLOCK_SIZE ((size_t)64 << 10)
#define BIG_ALLOC (BLOCK_SIZE / 4)
#define POOL_RESIDENT 512 /* pooled blocks kept resident: 32 MiB */
#define ALIGN 16

typedef struct block {
    struct block *next; /* in the arena's list, or in the pool */
    size_t used;        /* bytes of data[] handed out */
    _Alignas(ALIGN) unsigned char data[];
} block;

#define BLOCK_DATA (BLOCK_SIZE - offsetof(block, data))

struct json_arena {
    block *head; /* current block first */
    size_t used; /* bytes handed out since new / reset */
};

/* ---- the region and the block pool ---------------------------------------- */

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static unsigned char *g_base; /* NULL: no region, arenas fall back to malloc */
static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static size_t g_carved;       /* bytes of the region made read/write */
static block *g_warm, *g_cold; /* pooled blocks: resident / given back */
static size_t g_warm_count;

static void region_init(void)
{
    void *p = mmap(NULL, REGION_SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1,
                   0);
    g_base = p == MAP_FAILED ? NULL : p;
}

bool json_arena_contains(const void *p)
{
    const unsigned char *c = p;
    return g_base && c >= g_base && c < g_base + REGION_SIZE;
}

static block *block_get(void)
{
    pthread_once(&g_once, region_init);
    if (!g_base)
        return NULL;
    block *b = NULL;
    pthread_mutex_lock(&g_mu);
    if (g_warm) {
        b = g_warm;
        g_warm = b->next;
        g_warm_count--;
    } else if (g_cold) {
        b = g_cold;
        g_cold = b->next;
    } else if (g_carved + BLOCK_SIZE <= REGION_SIZE) {
        unsigned char *at = g_base + g_carved;
        if (mprotect(at, BLOCK_SIZE, PROT_READ | PROT_WRITE) == 0) {
            g_carved += BLOCK_SIZE;
            b = (block *)at;
        }
    }
    pthread_mutex_unlock(&g_mu);
    if (b) {
        UNPOISON(b, sizeof *b);
        b->next = NULL;
        b->used = 0;
        POISON(b->data, BLOCK_DATA);
    }
    return b;
}

/* Gives a chain of blocks back to the pool. */
static void blocks_put(block *b)
{
    while (b) {
        block *next = b->next;
        pthread_mutex_lock(&g_mu);
        bool drop = g_warm_count >= POOL_RESIDENT;
        pthread_mutex_unlock(&g_mu);
        if (drop)
            madvise(b, BLOCK_SIZE, MADV_DONTNEED); /* zero-filled on reuse */
        UNPOISON(b, sizeof *b);
        /* poisoned while still ours: once pooled, another thread may take
         * it and allocate from it at once */
        POISON(b->data, BLOCK_DATA);
        pthread_mutex_lock(&g_mu);
        if (drop) {
            b->next = g_cold;
            g_cold = b;
        } else {
            b->next = g_warm;
            g_warm = b;
            g_warm_count++;
        }
        pthread_mutex_unlock(&g_mu);
        b = next;
    }
}

/* ---- arenas --------------------------------------------------------------- */

json_arena *json_arena_new(void)
{
    json_init();
    return calloc(1, sizeof(json_arena));
}

void json_arena_free(json_arena *a)
{
    if (!a)
        return;
    blocks_put(a->head);
    free(a);
}

void json_arena_reset(json_arena *a)
{
    if (!a || !a->head)
        return;
    block *keep = a->head;
    blocks_put(keep->next);
    keep->next = NULL;
    keep->used = 0;
    POISON(keep->data, BLOCK_DATA);
    a->used = 0;
}

size_t json_arena_used(const json_arena *a) { return a ? a->used : 0; }

json_arena_mark json_arena_get_mark(const json_arena *a)
{
    if (!a || !a->head)
        return (json_arena_mark){0};
    return (json_arena_mark){.block = a->head, .used = a->head->used, .total = a->used};
}

void json_arena_rewind(json_arena *a, json_arena_mark mark)
{
    if (!a || !a->head)
        return;
    /* blocks newer than the mark go back; with no mark block, all but the
     * oldest (kept empty for the next scope) */
    while (a->head != mark.block && (mark.block || a->head->next)) {
        block *b = a->head;
        a->head = b->next;
        b->next = NULL;
        blocks_put(b);
    }
    block *b = a->head;
    size_t keep = mark.block ? mark.used : 0;
    POISON(b->data + keep, BLOCK_DATA - keep);
    b->used = keep;
    a->used = mark.total;
}

static bool tree_in_arena(const cJSON *t)
{
    for (; t; t = t->next) {
        if (json_arena_contains(t) || json_arena_contains(t->valuestring) ||
            json_arena_contains(t->string) || tree_in_arena(t->child))
            return true;
    }
    return false;
}

cJSON *json_arena_detach(cJSON *tree)
{
    if (!tree || (!json_arena_contains(tree) && !json_arena_contains(tree->valuestring) &&
                  !json_arena_contains(tree->string) && !tree_in_arena(tree->child)))
        return tree;
    json_arena *prev = json_arena_enter(NULL);
    cJSON *copy = cJSON_Duplicate(tree, 1);
    json_arena_leave(prev);
    cJSON_Delete(tree);
    return copy;
}

void json_scope_begin(json_scope *s)
{
    s->arena = json_arena_thread();
    s->mark = json_arena_get_mark(s->arena);
    s->prev = json_arena_enter(s->arena);
}

void json_scope_end(json_scope *s)
{
    json_arena_leave(s->prev);
    json_arena_rewind(s->arena, s->mark);
}

int json_scoped_item(void *scoped, const struct cJSON *item, err_info *err)
{
    const json_scoped *js = scoped;
    json_scope scope;
    json_scope_begin(&scope);
    int rc = js->fn(js->arg, item, err);
    json_scope_end(&scope);
    return rc;
}

static void *arena_alloc(json_arena *a, size_t size)
{
    size_t n = (size + (ALIGN - 1)) & ~(size_t)(ALIGN - 1);
    block *b = a->head;
    if (!b || BLOCK_DATA - b->used < n) {
        block *nb = block_get();
        if (!nb)
            return NULL;
        nb->next = b;
        a->head = b = nb;
    }
    void *p = b->data + b->used;
    b->used += n;
    a->used += n;
    UNPOISON(p, size);
    return p;
}

/* ---- scopes and hooks ----------------------------------------------------- */

static _Thread_local json_arena *t_current;

json_arena *json_arena_enter(json_arena *a)
{
    json_arena *prev = t_current;
    t_current = a;
    return prev;
}

void json_arena_leave(json_arena *previous) { t_current = previous; }

void *json_arena_hook_malloc(size_t size)
{
    json_arena *a = t_current;
    if (a && size <= BIG_ALLOC) {
        void *p = arena_alloc(a, size);
        if (p)
            return p;
    }
    return malloc(size);
}

void json_arena_hook_free(void *p)
{
    if (!json_arena_contains(p))
        free(p);
}

/* ---- the thread's arena --------------------------------------------------- */

static pthread_key_t g_thread_key;
static pthread_once_t g_thread_once = PTHREAD_ONCE_INIT;
static bool g_thread_ok;

static void thread_arena_destroy(void *p) { json_arena_free(p); }

static void thread_key_init(void)
{
    g_thread_ok = pthread_key_create(&g_thread_key, thread_arena_destroy) == 0;
}

json_arena *json_arena_thread(void)
{
    pthread_once(&g_thread_once, thread_key_init);
    if (!g_thread_ok)
        return NULL;
    json_arena *a = pthread_getspecific(g_thread_key);
    if (!a && (a = json_arena_new()) && pthread_setspecific(g_thread_key, a) != 0) {
        json_arena_free(a);
        a = NULL;
    }
    return a;
}
