/*
 * sdk_writer: see sdk_writer.h.  Each chunk (one step, kind and _type, at
 * most the store's chunk size) becomes one or more files of at most 500
 * objects, assembled from the already serialized objects without parsing
 * them again, and queued (bounded: write_chunk blocks when 32 files wait)
 * to two writer threads, so disk latency (file and inode creation dominate)
 * overlaps with collection.  A write error is kept and returned by the
 * next write_chunk / finish.  Files are written compact (the SDK reader
 * does not care about indentation).
 */
#include "engine/sdk_writer.h"

#include "common/random.h"

#include <dirent.h>
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

#define SDK_WRITER_QUEUE 32   /* files waiting for a writer thread */
#define SDK_WRITER_THREADS 2  /* file + inode creation is the slow part */

/* One file to write: its text assembled, its names decided. */
typedef struct pending_file {
    char *step_id, *type, *text;
    size_t len;
    graph_kind kind;
} pending_file;

struct sdk_writer {
    char *root;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t threads[SDK_WRITER_THREADS];
    unsigned started;
    bool closing;
    pending_file queue[SDK_WRITER_QUEUE];
    size_t head, count;
    unsigned busy;         /* threads writing a file now */
    err_info error;        /* first write error (kind != ERR_NONE) */
    unsigned long files;
};

static void *writer_thread(void *arg);
static void pending_clear(pending_file *f);

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

/* What the SDK keeps at the top of its storage root (jupiterone.md §3.2),
 * and our summary's temporary file left by an interrupted run. */
static bool sdk_entry(const char *name)
{
    static const char tmp[] = "summary.json.tmp-";
    return strcmp(name, "graph") == 0 || strcmp(name, "index") == 0 ||
           strcmp(name, "summary.json") == 0 || strcmp(name, "key-tracker.db") == 0 ||
           strncmp(name, tmp, sizeof tmp - 1) == 0;
}

/* The root is deleted only when it is an earlier output (or empty): it is
 * any path the operator names, and `--output .` or a mistyped path must
 * not delete files collect never wrote.  1 = exists (delete it), 0 = absent,
 * -1 = refused. */
static int check_root(const char *root, err_info *err)
{
    struct stat st;
    if (lstat(root, &st) != 0) {
        if (errno == ENOENT)
            return 0;
        return err_set(err, ERR_IO, "cannot read the output directory %s: %s", root,
                       strerror(errno));
    }
    if (!S_ISDIR(st.st_mode)) {
        err_set(err, ERR_INVALID, "output %s exists and is not a directory", root);
        return err_hint(err, "name a new directory, or the output directory of an earlier run");
    }
    DIR *d = opendir(root);
    if (!d)
        return err_set(err, ERR_IO, "cannot read the output directory %s: %s", root,
                       strerror(errno));
    int rc = 1;
    for (struct dirent *e; rc == 1 && (e = readdir(d));) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 || sdk_entry(e->d_name))
            continue;
        err_set(err, ERR_INVALID,
                "output directory %s holds '%.200s', which collect does not write; "
                "it is deleted only when it holds an earlier output",
                root, e->d_name);
        rc = err_hint(err, "name a new or empty directory, or the output directory of an "
                           "earlier run");
    }
    closedir(d);
    return rc;
}

int sdk_writer_new(const char *root, sdk_writer **out, err_info *err)
{
    *out = NULL;
    if (!root || !*root || strcmp(root, "/") == 0)
        return err_set(err, ERR_INVALID, "an output directory is required");
    int exists = check_root(root, err);
    if (exists < 0)
        return -1;
    if (exists && nftw(root, rm_entry, 32, FTW_DEPTH | FTW_PHYS) != 0)
        return err_set(err, ERR_IO, "cannot delete the previous output %s: %s", root,
                       strerror(errno));
    if (mkdirs(root, err) != 0)
        return -1;
    sdk_writer *w = calloc(1, sizeof *w);
    if (!w || !(w->root = strdup(root))) {
        free(w);
        return err_set(err, ERR_NOMEM, "out of memory");
    }
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    for (unsigned i = 0; i < SDK_WRITER_THREADS; i++) {
        if (pthread_create(&w->threads[i], NULL, writer_thread, w) != 0)
            break;
        w->started++;
    }
    if (w->started == 0) {
        sdk_writer_free(w);
        return err_set(err, ERR_INTERNAL, "cannot start the output writer threads");
    }
    *out = w;
    return 0;
}

void sdk_writer_free(sdk_writer *w)
{
    if (!w)
        return;
    if (w->started) {
        pthread_mutex_lock(&w->mu);
        w->closing = true;
        pthread_cond_broadcast(&w->cv);
        pthread_mutex_unlock(&w->mu);
        for (unsigned i = 0; i < w->started; i++)
            pthread_join(w->threads[i], NULL);
    }
    for (size_t i = 0; i < SDK_WRITER_QUEUE; i++)
        pending_clear(&w->queue[i]);
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
    free(w->root);
    free(w);
}

unsigned long sdk_writer_files(sdk_writer *w)
{
    pthread_mutex_lock(&w->mu);
    unsigned long n = w->files;
    pthread_mutex_unlock(&w->mu);
    return n;
}

static bool safe_component(const char *s)
{
    return s && *s && !strchr(s, '/') && strcmp(s, ".") != 0 && strcmp(s, "..") != 0;
}

/* Writes one queued file and its index link (writer thread, no lock). */
static int write_file(sdk_writer *w, const pending_file *f, err_info *err)
{
    const char *kind = f->kind == GRAPH_ENTITIES ? "entities" : "relationships";
    char dir[PATH_MAX], idx[PATH_MAX], path[PATH_MAX + 64], link[PATH_MAX + 64], uuid[37];
    random_uuid(uuid);
    snprintf(dir, sizeof dir, "%s/graph/%s/%s", w->root, f->step_id, kind);
    snprintf(idx, sizeof idx, "%s/index/%s/%s", w->root, kind, f->type);
    if (mkdirs(dir, err) != 0 || mkdirs(idx, err) != 0)
        return -1;
    snprintf(path, sizeof path, "%s/%s.json", dir, uuid);
    const char *parts[1] = {f->text};
    if (write_atomic(path, parts, &f->len, 1, err) != 0)
        return -1;
    snprintf(link, sizeof link, "%s/%s.json", idx, uuid);
    char target[PATH_MAX];
    snprintf(target, sizeof target, "../../../graph/%s/%s/%s.json", f->step_id, kind, uuid);
    if (symlink(target, link) != 0)
        return err_set(err, ERR_IO, "cannot create index link %s: %s", link, strerror(errno));
    return 0;
}

static void pending_clear(pending_file *f)
{
    free(f->step_id);
    free(f->type);
    free(f->text);
    memset(f, 0, sizeof *f);
}

static void *writer_thread(void *arg)
{
    sdk_writer *w = arg;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (w->count == 0 && !w->closing)
            pthread_cond_wait(&w->cv, &w->mu);
        if (w->count == 0 && w->closing)
            break;
        pending_file f = w->queue[w->head];
        memset(&w->queue[w->head], 0, sizeof f);
        w->head = (w->head + 1) % SDK_WRITER_QUEUE;
        w->count--;
        w->busy++;
        bool failed = w->error.kind != ERR_NONE;
        pthread_mutex_unlock(&w->mu);
        err_info err = {0};
        int rc = failed ? 0 : write_file(w, &f, &err);
        pending_clear(&f);
        pthread_mutex_lock(&w->mu);
        w->busy--;
        if (rc != 0 && w->error.kind == ERR_NONE)
            w->error = err;
        else if (rc == 0 && !failed)
            w->files++;
        pthread_cond_broadcast(&w->cv);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

/* Assembles objects [from, from + n) of the chunk into one file's text and
 * queues it (blocks while the queue is full: back-pressure). */
static int enqueue_file(sdk_writer *w, const graph_chunk *c, size_t from, size_t n, err_info *err)
{
    const char *kind = c->kind == GRAPH_ENTITIES ? "entities" : "relationships";
    size_t len = strlen(kind) + 8;
    for (size_t i = 0; i < n; i++)
        len += c->lengths[from + i] + 1;
    pending_file f = {.kind = c->kind, .step_id = strdup(c->step_id), .type = strdup(c->type),
                      .text = malloc(len)};
    if (!f.step_id || !f.type || !f.text) {
        pending_clear(&f);
        return err_set(err, ERR_NOMEM, "out of memory writing %s", c->type);
    }
    size_t k = (size_t)snprintf(f.text, len, "{\"%s\":[", kind);
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            f.text[k++] = ',';
        memcpy(f.text + k, c->objects[from + i], c->lengths[from + i]);
        k += c->lengths[from + i];
    }
    memcpy(f.text + k, "]}", 2);
    f.len = k + 2;
    pthread_mutex_lock(&w->mu);
    while (w->count == SDK_WRITER_QUEUE && w->error.kind == ERR_NONE)
        pthread_cond_wait(&w->cv, &w->mu);
    int rc = 0;
    if (w->error.kind != ERR_NONE) {
        *err = w->error;
        rc = -1;
    } else {
        w->queue[(w->head + w->count) % SDK_WRITER_QUEUE] = f;
        w->count++;
        pthread_cond_broadcast(&w->cv);
    }
    pthread_mutex_unlock(&w->mu);
    if (rc != 0)
        pending_clear(&f);
    return rc;
}

/* Waits until every queued file is written; returns the first error. */
static int drain(sdk_writer *w, err_info *err)
{
    pthread_mutex_lock(&w->mu);
    while (w->count > 0 || w->busy > 0)
        pthread_cond_wait(&w->cv, &w->mu);
    int rc = 0;
    if (w->error.kind != ERR_NONE) {
        *err = w->error;
        rc = -1;
    }
    pthread_mutex_unlock(&w->mu);
    return rc;
}

static int sink_write(void *ctx, const graph_chunk *c, err_info *err)
{
    sdk_writer *w = ctx;
    if (!safe_component(c->step_id) || !safe_component(c->type))
        return err_set(err, ERR_INVALID, "step id '%s' or type '%s' is not a valid directory name",
                       c->step_id ? c->step_id : "", c->type ? c->type : "");
    int rc = 0;
    for (size_t from = 0; rc == 0 && from < c->count; from += SDK_WRITER_FILE_OBJECTS) {
        size_t n = c->count - from;
        if (n > SDK_WRITER_FILE_OBJECTS)
            n = SDK_WRITER_FILE_OBJECTS;
        rc = enqueue_file(w, c, from, n, err);
    }
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
    if (drain(w, err) != 0)
        return -1;
    return write_atomic(path, &summary, &len, 1, err);
}

static int sink_abort(void *ctx, const char *reason, err_info *err)
{
    (void)reason;
    /* files written so far stay for inspection; no summary.json */
    err_info ignored = {0};
    (void)err;
    drain(ctx, &ignored);
    return 0;
}

graph_sink sdk_writer_sink(sdk_writer *w)
{
    return (graph_sink){.ctx = w, .write_chunk = sink_write, .finish = sink_finish,
                        .abort = sink_abort};
}
