/* testdb: a private database per test executable (so ctest -j runs db
 * tests in parallel).  Needs DATABASE_URL (an admin connection). */
#ifndef AI_TESTS_STORAGE_TESTDB_H
#define AI_TESTS_STORAGE_TESTDB_H

/* Creates a database with a unique name; returns a malloc'ed URL for it, or
 * NULL (message printed) when DATABASE_URL is unset or unreachable. */
char *testdb_create(void);
/* Drops the database created for url (terminating its sessions) and frees url. */
void testdb_drop(char *url);
/* Runs one SQL command on url, returns the first value of the first row as a
 * malloc'ed string ("" for a command without rows), NULL on error. */
char *testdb_query(const char *url, const char *sql);
/* The URL (URI or key=value string) of database `name` on the server of
 * `base`; malloc'ed, NULL when out of memory. */
char *testdb_with_dbname(const char *base, const char *name);

#endif
