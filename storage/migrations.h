/*
 * migrations: numbered SQL files (migrations/NNNN_name.sql), embedded into the
 * binary at build time (storage/migrations.cmake generates the table), applied
 * in order.
 *
 * Each pending migration runs in its own transaction and is recorded in
 * schema_migrations(version, name, checksum, applied_at) where checksum is the
 * lowercase hex SHA-256 of the file.  The whole run holds a session-level
 * pg_advisory_lock, so two replicas starting at once apply each migration
 * exactly once (the second waits, then finds nothing pending).  An applied
 * migration whose checksum no longer matches the embedded file is refused:
 * the error names the file and says that applied migrations must never be
 * edited (add a new migration instead).
 */
#ifndef AI_STORAGE_MIGRATIONS_H
#define AI_STORAGE_MIGRATIONS_H

#include "common/error.h"
#include "storage/db_pool.h"

#include <stddef.h>

typedef struct migration {
    int version;           /* NNNN from the file name */
    const char *name;      /* file name, e.g. "0001_jobs.sql" */
    const char *sql;       /* file contents */
} migration;

/* The embedded migrations, sorted by version. */
const migration *migrations_builtin(size_t *count);

/* Applies every pending migration of `list` (sorted by version) under the
 * advisory lock.  `applied` (may be NULL) receives how many were applied by
 * this call.  Returns -1 with ERR_DATABASE when a statement fails (the
 * failing migration is rolled back, earlier ones stay applied) and
 * ERR_CONFLICT for a checksum mismatch or an applied version unknown to
 * this binary (the database is newer than the code). */
int migrations_apply_list(db_pool *pool, const migration *list, size_t count, int *applied,
                          err_info *err);
/* The same with migrations_builtin(). */
int migrations_apply(db_pool *pool, int *applied, err_info *err);

/* How many of the built-in migrations are not applied yet (for /readyz:
 * ready only when 0).  Does not take the lock.  Returns -1 on error. */
int migrations_pending(db_pool *pool, err_info *err);

#endif
