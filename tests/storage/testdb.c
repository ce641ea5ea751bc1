/* testdb: see testdb.h. */
#include "testdb.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *testdb_with_dbname(const char *base, const char *name)
{
    size_t n = strlen(base) + strlen(name) + 32;
    char *out = malloc(n);
    if (!out)
        return NULL;
    const char *scheme = strstr(base, "://");
    if (scheme) {
        const char *slash = strchr(scheme + 3, '/');
        const char *q = strchr(scheme + 3, '?');
        size_t head = slash ? (size_t)(slash - base) : q ? (size_t)(q - base) : strlen(base);
        snprintf(out, n, "%.*s/%s%s", (int)head, base, name, q ? q : "");
    } else {
        snprintf(out, n, "%s dbname=%s", base, name);
    }
    return out;
}

char *testdb_query(const char *url, const char *sql)
{
    PGconn *c = PQconnectdb(url);
    char *out = NULL;
    if (PQstatus(c) == CONNECTION_OK) {
        PGresult *r = PQexec(c, sql);
        ExecStatusType st = PQresultStatus(r);
        if (st == PGRES_TUPLES_OK)
            out = strdup(PQntuples(r) ? PQgetvalue(r, 0, 0) : "");
        else if (st == PGRES_COMMAND_OK)
            out = strdup("");
        else
            fprintf(stderr, "testdb: %s: %s", sql, PQerrorMessage(c));
        PQclear(r);
    } else {
        fprintf(stderr, "testdb: cannot connect: %s", PQerrorMessage(c));
    }
    PQfinish(c);
    return out;
}

static char *dbname_of(const char *url)
{
    PGconn *c = PQconnectdb(url);
    char *name = PQstatus(c) == CONNECTION_OK ? strdup(PQdb(c)) : NULL;
    PQfinish(c);
    return name;
}

char *testdb_create(void)
{
    const char *base = getenv("DATABASE_URL");
    if (!base || !base[0]) {
        fprintf(stderr, "DATABASE_URL is not set: db tests need a PostgreSQL (scripts/pg.sh start DIR)\n");
        return NULL;
    }
    char name[64], sql[128];
    snprintf(name, sizeof name, "ai_test_%ld_%d", (long)getpid(), rand() % 1000000);
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", name);
    char *r = testdb_query(base, sql);
    if (!r)
        return NULL;
    free(r);
    return testdb_with_dbname(base, name);
}

void testdb_drop(char *url)
{
    if (!url)
        return;
    char *name = dbname_of(url);
    const char *base = getenv("DATABASE_URL");
    if (name && base) {
        char sql[256];
        snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", name);
        free(testdb_query(base, sql));
    }
    free(name);
    free(url);
}
