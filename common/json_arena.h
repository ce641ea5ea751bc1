/*
 * json_arena: bump allocation for short-lived cJSON trees.
 *
 * A job builds and drops millions of small cJSON nodes: every Azure page is
 * parsed into a tree, every item becomes an entity tree, serialized once
 * and freed.  Through malloc each node costs an allocation and a free,
 * often on another thread (a page is parsed by a request thread and freed
 * by the step's), which made malloc/free a quarter of a job's CPU.
 *
 * An arena is a list of 64 KiB blocks.  While a thread has entered an
 * arena, cJSON allocates from it (json_init installs the hooks); frees of
 * arena memory do nothing, frees of anything else go to free().  The arena
 * is reset or freed as a whole once the trees built in it are gone, so the
 * rule is: a tree built inside a scope must not be used after its arena is
 * reset.  Code that cJSON_Delete()s such a tree still may (the walk frees
 * what malloc gave, e.g. values added outside the scope or allocations too
 * large for a block, and skips the rest).
 *
 * Blocks come from one reserved address range, so "is this pointer arena
 * memory" is two comparisons, and freed blocks go back to a process-wide
 * pool shared by all threads (an arena may be filled on one thread and
 * released on another).  Under AddressSanitizer released blocks are
 * poisoned, so a use after reset is reported like a use after free.
 *
 * When the range cannot be reserved (or is exhausted) scopes silently fall
 * back to malloc: slower, never wrong.
 */
#ifndef AI_COMMON_JSON_ARENA_H
#define AI_COMMON_JSON_ARENA_H

#include "common/error.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct json_arena json_arena;

/* NULL when out of memory (callers then simply parse with malloc). */
json_arena *json_arena_new(void);
/* Gives every block back to the pool; NULL is accepted. */
void json_arena_free(json_arena *a);
/* Forgets everything allocated so far, keeping one block for reuse. */
void json_arena_reset(json_arena *a);

/* This thread's reusable arena (created on first use, released when the
 * thread exits); NULL when out of memory. */
json_arena *json_arena_thread(void);

/* Makes cJSON allocate from `a` on this thread until json_arena_leave; a
 * NULL `a` suspends the current scope.  Returns the previous scope, which
 * must be handed back to json_arena_leave (scopes nest). */
json_arena *json_arena_enter(json_arena *a);
void json_arena_leave(json_arena *previous);

/* True when p lies in arena memory (of any arena). */
bool json_arena_contains(const void *p);

/* A position in an arena: rewinding to it forgets what was allocated
 * after it (scopes on one arena nest like a stack). */
typedef struct json_arena_mark {
    const void *block;
    size_t used;
    size_t total;
} json_arena_mark;
json_arena_mark json_arena_get_mark(const json_arena *a);
void json_arena_rewind(json_arena *a, json_arena_mark mark);

/* A build scope on the thread's arena: between begin and end every cJSON
 * node this thread creates is bump-allocated, and end forgets them all.
 * For code that builds trees and hands them to step_add_entity /
 * step_add_relationship (which serialize and drop them) before the scope
 * ends; anything kept longer must be built with the scope suspended
 * (json_arena_enter(NULL)).  Without an arena (out of memory) it is a
 * no-op and cJSON uses malloc. */
typedef struct json_scope {
    json_arena *arena, *prev;
    json_arena_mark mark;
} json_scope;
void json_scope_begin(json_scope *s);
void json_scope_end(json_scope *s);

/* An item callback (the azure_list / step_iterate_entities shape) run in a
 * json_scope of its own per item: pass json_scoped_item as the callback
 * and a json_scoped naming the real one as its argument. */
struct cJSON;
typedef struct json_scoped {
    int (*fn)(void *arg, const struct cJSON *item, err_info *err);
    void *arg;
} json_scoped;
int json_scoped_item(void *scoped, const struct cJSON *item, err_info *err);

/* A tree that is safe to keep after the current scope ends: `tree` itself
 * when no node of it is arena memory, else a malloc-built copy (the
 * original is dropped).  NULL when out of memory (tree dropped too). */
struct cJSON;
struct cJSON *json_arena_detach(struct cJSON *tree);

/* Bytes handed out by `a` since it was created or reset (for tests). */
size_t json_arena_used(const json_arena *a);

/* cJSON's allocation hooks (installed by json_init). */
void *json_arena_hook_malloc(size_t size);
void json_arena_hook_free(void *p);

#endif
