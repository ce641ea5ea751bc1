/*
 * memory: see memory.h.
 */
#include "service/memory.h"

#include <malloc.h>
#include <stdlib.h>

#define MEMORY_ARENAS 4
#define MEMORY_MMAP_THRESHOLD (256 * 1024)

void memory_tune(void)
{
    if (!getenv("MALLOC_ARENA_MAX"))
        mallopt(M_ARENA_MAX, MEMORY_ARENAS);
    if (!getenv("MALLOC_MMAP_THRESHOLD_"))
        mallopt(M_MMAP_THRESHOLD, MEMORY_MMAP_THRESHOLD);
}

void memory_release(void)
{
    malloc_trim(0);
}
