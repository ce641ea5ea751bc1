/*
 * sdk_writer: see sdk_writer.h.  Each chunk (one step, kind and _type, at
 * most the store's chunk size) becomes one or more files of at most 500
 * objects, assembled from the already serialized objects without parsing
 * them again.  Files are written compact (the SDK reader does not care
 * about indentation).  The store calls write_chunk from one thread at a
 * time, but a mutex keeps the writer safe on its own.
 */
#include "engine/sdk_writer.h"

#include "common/random.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct sdk_writer {
    char *root;
    pthread_mutex_t mu;
    unsigned long files;
};

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static int mkdirs(const char *path, err_info *err)
{
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s", path) >= (int)sizeof tmp)
        return err_set(err, ERR_IO, "path too long: %s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
            return err_set(err, ERR_IO, "cannot create directory %s: %s", tmp, strerror(errno));
        *p = '/';
    }
    if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
        return err_set(err, ERR_IO, "cannot create directory %s: %s", tmp, strerror(errno));
    return 0;
}

/* Writes data to path atomically (temp file in the same directory + rename). */
static int write_atomic(const char *path, const char *const *parts, const size_t *lens, size_t n,
                        err_info *err)
{
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s.tmp-XXXXXX", path) >= (int)sizeof tmp)
        return err_set(err, ERR_IO, "path too long: %s", path);
    int fd = mkstemp(tmp);
    if (fd < 0)
        return err_set(err, ERR_IO, "cannot create %s: %s", tmp, strerror(errno));
    FILE *f = fdopen(fd, "w");
    if (!f) {
        close(fd);
        unlink(tmp);
        return err_set(err, ERR_IO, "cannot open %s: %s", tmp, strerror(errno));
    }
    setvbuf(f, NULL, _IOFBF, 1 << 16);
    bool ok = true;
    for (size_t i = 0; ok && i < n; i++)
        ok = fwrite(parts[i], 1, lens[i], f) == lens[i];
    ok = ok && fflush(f) == 0;
    ok = (fchmod(fileno(f), 0644) == 0) && ok;
    if (fclose(f) != 0)
        ok = false;
    if (!ok || rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        err_set(err, ERR_IO, "cannot write %s: %s", path, strerror(e));
        return err_hint(err, "check free space and permissions of the output directory");
    }
    return 0;
}

int sdk_writer_new(const char *root, sdk_writer **out, err_info *err)
{
    *out = NULL;
    if (!root || !*root || strcmp(root, "/") == 0)
        return err_set(err, ERR_INVALID, "an output directory is required");
    struct stat st;
    if (lstat(root, &st) == 0 && nftw(root, rm_entry, 32, FTW_DEPTH | FTW_PHYS) != 0)
        return err_set(err, ERR_IO, "cannot delete the previous output %s: %s", root, strerror(errno));
    if (mkdirs(root, err) != 0)
        return -1;
    sdk_writer *w = calloc(1, sizeof *w);
    if (!w || !(w->root = strdup(root))) {
        free(w);
        return err_set(err, ERR_NOMEM, "out of memory");
    }
    pthread_mutex_init(&w->mu, NULL);
    *out = w;
    return 0;
}

void sdk_writer_free(sdk_writer *w)
{
    if (!w)
        return;
    pthread_mutex_destroy(&w->mu);
    free(w->root);
    free(w);
}

unsigned long sdk_writer_files(const sdk_writer *w) { return w->files; }

static bool safe_component(const char *s)
{
    return s && *s && !strchr(s, '/') && strcmp(s, ".") != 0 && strcmp(s, "..") != 0;
}

/* One file of objects [from, from + n) of the chunk. */
static int write_file(sdk_writer *w, const graph_chunk *c, size_t from, size_t n, err_info *err)
{
    const char *kind = c->kind == GRAPH_ENTITIES ? "entities" : "relationships";
    char dir[PATH_MAX], idx[PATH_MAX], path[PATH_MAX + 64], link[PATH_MAX + 64], uuid[37];
    random_uuid(uuid);
    snprintf(dir, sizeof dir, "%s/graph/%s/%s", w->root, c->step_id, kind);
    snprintf(idx, sizeof idx, "%s/index/%s/%s", w->root, kind, c->type);
    if (mkdirs(dir, err) != 0 || mkdirs(idx, err) != 0)
        return -1;
    snprintf(path, sizeof path, "%s/%s.json", dir, uuid);
    size_t np = 2 * n + 1;
    const char **parts = malloc(np * sizeof *parts);
    size_t *lens = malloc(np * sizeof *lens);
    if (!parts || !lens) {
        free(parts);
        free(lens);
        return err_set(err, ERR_NOMEM, "out of memory writing %s", path);
    }
    char head[32];
    int hl = snprintf(head, sizeof head, "{\"%s\":[", kind);
    size_t k = 0;
    parts[k] = head;
    lens[k++] = (size_t)hl;
    for (size_t i = 0; i < n; i++) {
        if (i > 0) {
            parts[k] = ",";
            lens[k++] = 1;
        }
        parts[k] = c->objects[from + i];
        lens[k++] = c->lengths[from + i];
    }
    parts[k] = "]}";
    lens[k++] = 2;
    int rc = write_atomic(path, parts, lens, k, err);
    free(parts);
    free(lens);
    if (rc != 0)
        return -1;
    snprintf(link, sizeof link, "%s/%s.json", idx, uuid);
    char target[PATH_MAX];
    snprintf(target, sizeof target, "../../../graph/%s/%s/%s.json", c->step_id, kind, uuid);
    if (symlink(target, link) != 0)
        return err_set(err, ERR_IO, "cannot create index link %s: %s", link, strerror(errno));
    w->files++;
    return 0;
}

static int sink_write(void *ctx, const graph_chunk *c, err_info *err)
{
    sdk_writer *w = ctx;
    if (!safe_component(c->step_id) || !safe_component(c->type))
        return err_set(err, ERR_INVALID, "step id '%s' or type '%s' is not a valid directory name",
                       c->step_id ? c->step_id : "", c->type ? c->type : "");
    pthread_mutex_lock(&w->mu);
    int rc = 0;
    for (size_t from = 0; rc == 0 && from < c->count; from += SDK_WRITER_FILE_OBJECTS) {
        size_t n = c->count - from;
        if (n > SDK_WRITER_FILE_OBJECTS)
            n = SDK_WRITER_FILE_OBJECTS;
        rc = write_file(w, c, from, n, err);
    }
    pthread_mutex_unlock(&w->mu);
    return rc;
}

static int sink_finish(void *ctx, const char *const *types, size_t count, const char *summary,
                       err_info *err)
{
    (void)types, (void)count;
    sdk_writer *w = ctx;
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/summary.json", w->root);
    size_t len = strlen(summary);
    pthread_mutex_lock(&w->mu);
    int rc = write_atomic(path, &summary, &len, 1, err);
    pthread_mutex_unlock(&w->mu);
    return rc;
}

static int sink_abort(void *ctx, const char *reason, err_info *err)
{
    (void)ctx, (void)reason, (void)err;
    return 0; /* files written so far stay for inspection; no summary.json */
}

graph_sink sdk_writer_sink(sdk_writer *w)
{
    return (graph_sink){.ctx = w, .write_chunk = sink_write, .finish = sink_finish,
                        .abort = sink_abort};
}
