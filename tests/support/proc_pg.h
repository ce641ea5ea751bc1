/*
 * proc_pg: a database for benchmarks and process tests.  Uses DATABASE_URL
 * when set; otherwise starts a private PostgreSQL with scripts/pg.sh (port
 * chosen free, directory under /tmp) and stops and removes it at the end.
 * Either way a fresh database with a unique name is created in it and
 * dropped at the end.
 */
#ifndef AI_TESTS_SUPPORT_PROC_PG_H
#define AI_TESTS_SUPPORT_PROC_PG_H

typedef struct proc_pg proc_pg;

/* prefix: database name prefix ([a-z_]).  NULL on failure (stderr says why). */
proc_pg *proc_pg_start(const char *prefix);
/* URL of the fresh database. */
const char *proc_pg_url(const proc_pg *p);
/* True when a private cluster was started (its directory is printed). */
const char *proc_pg_private_dir(const proc_pg *p);
/* Runs one SQL command on the fresh database; the first value of the first
 * row malloc'd ("" without rows), NULL on error. */
char *proc_pg_query(const proc_pg *p, const char *sql);
/* Drops the database, stops a private cluster, frees.  NULL is a no-op. */
void proc_pg_stop(proc_pg *p);

#endif
