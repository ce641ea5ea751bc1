/*
 * memory: how the process's allocator is tuned for a long-running service
 * whose jobs allocate and free hundreds of megabytes.
 *
 * glibc's defaults suit short programs, not this: every thread that
 * allocates may get its own arena (up to 8 per core), and after a large
 * block is freed the mmap threshold rises (up to 32 MB), so the multi-
 * megabyte upload batches and spill buffers end up inside arenas whose
 * freed holes are rarely returned.  Measured on the e2e benchmark's
 * two top-size jobs: about 15 arenas holding 5-40 MB each.
 */
#ifndef AI_SERVICE_MEMORY_H
#define AI_SERVICE_MEMORY_H

/* At process start: at most 4 malloc arenas, blocks of 256 KiB and more
 * from mmap (returned to the system when freed).  A setting the operator
 * made through glibc's environment (MALLOC_ARENA_MAX,
 * MALLOC_MMAP_THRESHOLD_) wins. */
void memory_tune(void);

/* After a job: returns the free memory at the top of every arena to the
 * system, so an idle replica shrinks back. */
void memory_release(void);

#endif
