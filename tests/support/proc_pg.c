/* proc_pg: see proc_pg.h. */
#include "support/proc_pg.h"

#include "common/random.h"
#include "support/proc_child.h"
#include "support/proc_serve.h"
#include "storage/testdb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef AI_SOURCE_DIR
#define AI_SOURCE_DIR "."
#endif

struct proc_pg {
    char *admin_url;
    char *url;
    char dbname[64];
    char dir[256];
};

static int run_quiet(const char *const *argv, const char *log, int timeout_ms)
{
    proc_child *c = proc_child_start(argv, NULL, log);
    int st = -1;
    if (c && proc_child_wait(c, timeout_ms, &st) != 1)
        st = -1;
    proc_child_free(c);
    return st;
}

static const char *script(void)
{
    static char path[4096];
    const char *src = getenv("AI_SOURCE_DIR");
    snprintf(path, sizeof path, "%s/scripts/pg.sh", src && *src ? src : AI_SOURCE_DIR);
    return path;
}

/* scripts/pg.sh start DIR PORT; the URL is the last "postgresql://" line. */
static char *start_cluster(const char *dir)
{
    char log[300], port[16];
    snprintf(log, sizeof log, "%s.out", dir);
    snprintf(port, sizeof port, "%d", proc_free_port());
    unlink(log);
    const char *argv[] = {"/bin/bash", script(), "start", dir, port, NULL};
    if (run_quiet(argv, log, 120000) != 0) {
        fprintf(stderr, "proc_pg: %s start %s failed (see %s)\n", script(), dir, log);
        return NULL;
    }
    char *out = proc_read_file(log, NULL), *url = NULL;
    for (char *p = out; p && (p = strstr(p, "postgresql://")) != NULL; p++) {
        free(url);
        url = strndup(p, strcspn(p, "\r\n"));
    }
    free(out);
    unlink(log);
    return url;
}

proc_pg *proc_pg_start(const char *prefix)
{
    proc_pg *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    const char *env = getenv("DATABASE_URL");
    if (env && *env) {
        p->admin_url = strdup(env);
    } else {
        snprintf(p->dir, sizeof p->dir, "/tmp/%s-pg-%d", prefix, (int)getpid());
        p->admin_url = start_cluster(p->dir);
    }
    unsigned char rb[4];
    random_bytes(rb, sizeof rb);
    snprintf(p->dbname, sizeof p->dbname, "%s_%02x%02x%02x%02x", prefix, rb[0], rb[1], rb[2], rb[3]);
    char sql[128];
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", p->dbname);
    char *r = p->admin_url ? testdb_query(p->admin_url, sql) : NULL;
    if (!r) {
        p->dbname[0] = '\0';
        proc_pg_stop(p);
        return NULL;
    }
    free(r);
    p->url = testdb_with_dbname(p->admin_url, p->dbname);
    if (!p->url) {
        proc_pg_stop(p);
        return NULL;
    }
    return p;
}

const char *proc_pg_url(const proc_pg *p) { return p->url; }
const char *proc_pg_private_dir(const proc_pg *p) { return p->dir[0] ? p->dir : NULL; }
char *proc_pg_query(const proc_pg *p, const char *sql) { return testdb_query(p->url, sql); }

void proc_pg_stop(proc_pg *p)
{
    if (!p)
        return;
    if (p->admin_url && p->dbname[0]) {
        char sql[128];
        snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", p->dbname);
        free(testdb_query(p->admin_url, sql));
    }
    if (p->dir[0]) {
        const char *stop[] = {"/bin/bash", script(), "stop", p->dir, NULL};
        run_quiet(stop, NULL, 120000);
        const char *rm[] = {"/bin/rm", "-rf", p->dir, NULL};
        run_quiet(rm, NULL, 120000);
    }
    free(p->url);
    free(p->admin_url);
    free(p);
}
