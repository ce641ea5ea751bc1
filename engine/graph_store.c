/*
 * graph_store: see graph_store.h.
 *
 * Index: open addressing (linear probing) over 32-bit references to dense
 * slots, keyed by two 64-bit hashes of the lower-cased _key (FNV-1a and a multiply-xorshift hash),
 * grown at 70 % load.  Two different keys colliding on both hashes is
 * astronomically unlikely (2^-128 per pair) and would only make the second
 * key a reported duplicate; entities additionally keep their stored _key so
 * look-ups return it verbatim and compare it exactly (case-insensitively).
 *
 * Class schemas: a violation of the data-model class schema (unlike the
 * generic JupiterOne rules) is counted and logged (the first few per
 * store) but the object is kept.  The reference integration itself emits
 * objects that the 0.64 data model rejects (e.g. advisor recommendations
 * with a string `impact`, which Finding types as number); dropping them
 * would lose data JupiterOne accepts, since the synchronization API does not
 * apply class schemas.
 *
 * Spill files have no name (O_TMPFILE in the spill directory; where the
 * file system lacks it, a unique name unlinked right after creation), so
 * nothing stays on disk even if the process is killed; appends go through a 256 KiB buffer per type
 * (one syscall per buffer, not per entity), which readers flush under the
 * index lock before they pread below the flushed size, so they never see
 * half a line.  Class schemas are checked on the first SCHEMA_SAMPLE
 * entities of each type (see schema_sample).
 */
#include "engine/graph_store.h"

#include "common/hash.h"
#include "common/json.h"
#include "common/json_arena.h"
#include "common/log.h"
#include "engine/graph_rules.h"
#include "engine/schema.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* One indexed object (40 bytes), stored densely in blocks that never move;
 * the hash table holds 32-bit references (index + 1) to them, so growing
 * the table rehashes 4-byte cells instead of copying entries. */
typedef struct slot {
    uint64_t h1, h2;
    char *key;         /* entities: the stored _key (in the key arena); relationships: NULL */
    int64_t offset;    /* entities: line start in the type's spill file */
    uint32_t len;      /* entities: line length without '\n' */
    uint16_t type_id;
    uint8_t kind;
} slot;

#define SLOT_BLOCK 65536u
#define ARENA_BLOCK (1u << 20)

typedef struct arena_block {
    struct arena_block *next;
    size_t used, size;
    char data[];
} arena_block;

#define SPILL_BUFFER (256u * 1024u)
#define SCHEMA_SAMPLE 200u  /* entities per _type checked against class schemas */

typedef struct type_file {
    char *name;
    int fd;            /* -1 until the first entity of this type */
    int64_t size;      /* logical size: on disk + buffered */
    int64_t flushed;   /* bytes on disk */
    char *wbuf;        /* pending appends (SPILL_BUFFER bytes) */
    size_t wlen;
    uint64_t checked;  /* entities checked against the class schemas */
} type_file;

typedef struct buffer {
    char *step_id;
    char *type;
    graph_kind kind;
    char **objs;
    size_t *lens;
    size_t count, cap, bytes;
} buffer;

struct graph_store {
    pthread_mutex_t mu;       /* index, types, buffers, stats */
    pthread_mutex_t sink_mu;  /* one sink call at a time */
    graph_sink sink;
    bool has_sink;
    bool sink_failed;
    char *dir;         /* where spill files are created (not ours to remove) */
    bool named_spill;  /* the file system lacks O_TMPFILE */
    uint32_t *index;   /* open addressing: 0 = empty, else slot number + 1 */
    uint8_t *tags;     /* per cell: 8 bits of the key's hash, so a probe
                        * reads a slot (a cache miss) only on a likely match */
    size_t cap, used;
    slot **blocks;     /* dense slots, SLOT_BLOCK per block */
    size_t nblocks;
    arena_block *arena;
    type_file *types;
    size_t ntypes, types_cap;
    buffer *bufs;
    size_t nbufs, bufs_cap;
    /* name look-ups, asked twice per object: open addressing over
     * index + 1 into types / bufs (0 = empty), power-of-two sizes */
    uint32_t *type_cells, *buf_cells;
    size_t type_cells_cap, buf_cells_cap;
    size_t chunk_objects, chunk_bytes;
    graph_store_stats stats;
};

/* ---- hashing ------------------------------------------------------------ */

/* ASCII upper-case letters of the 8 bytes of w lowered, all at once: a
 * byte gets 0x20 when it is in 'A'..'Z' (no byte carries into the next:
 * each sum stays below 0x100). */
static uint64_t fold8(uint64_t w)
{
    const uint64_t low7 = 0x7f7f7f7f7f7f7f7fULL, high = 0x8080808080808080ULL;
    uint64_t b = w & low7;
    uint64_t at_least_a = b + 0x3f3f3f3f3f3f3f3fULL;   /* high bit: b >= 'A' */
    uint64_t above_z = b + 0x2525252525252525ULL;      /* high bit: b > 'Z' */
    uint64_t upper = at_least_a & ~above_z & ~w & high;
    return w | (upper >> 2);
}

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xFF51AFD7ED558CCDULL;
    x ^= x >> 33;
    x *= 0xC4CEB9FE1A85EC53ULL;
    x ^= x >> 33;
    return x;
}

/* Two independent 64-bit hashes of the key, ASCII case folded (no locale
 * call), 8 bytes per step: the pair identifies a key in the index. */
static void hash_key(const char *key, uint64_t *h1, uint64_t *h2)
{
    size_t len = strlen(key);
    uint64_t a = 0x9E3779B97F4A7C15ULL ^ len, b = 0xC2B2AE3D27D4EB4FULL + len;
    const char *p = key;
    for (size_t left = len; left > 0;) {
        uint64_t w = 0;
        size_t n = left < 8 ? left : 8;
        memcpy(&w, p, n);
        w = fold8(w);
        a = (a ^ w) * 0x9FB21C651E98DF25ULL;
        a ^= a >> 29;
        b = (b + w) * 0xBF58476D1CE4E5B9ULL;
        b ^= b >> 31;
        p += n;
        left -= n;
    }
    *h1 = mix64(a);
    *h2 = mix64(b ^ 0x94D049BB133111EBULL);
}

static slot *slot_at(graph_store *s, uint32_t ref)
{
    size_t i = (size_t)ref - 1;
    return &s->blocks[i / SLOT_BLOCK][i % SLOT_BLOCK];
}

static uint8_t tag_of(uint64_t h2) { return (uint8_t)(h2 >> 56); }

/* The position of the table cell for (h1, h2): empty (0) or referencing
 * the match. */
static size_t probe(graph_store *s, uint64_t h1, uint64_t h2)
{
    size_t mask = s->cap - 1;
    uint8_t tag = tag_of(h2);
    for (size_t i = (size_t)h1 & mask;; i = (i + 1) & mask) {
        uint32_t c = s->index[i];
        if (c == 0)
            return i;
        if (s->tags[i] != tag)
            continue;
        slot *sl = slot_at(s, c);
        if (sl->h1 == h1 && sl->h2 == h2)
            return i;
    }
}

static void cell_set(graph_store *s, size_t at, uint32_t ref, uint64_t h2)
{
    s->index[at] = ref;
    s->tags[at] = tag_of(h2);
}

static slot *lookup(graph_store *s, uint64_t h1, uint64_t h2)
{
    uint32_t c = s->index[probe(s, h1, h2)];
    return c ? slot_at(s, c) : NULL;
}

static int grow(graph_store *s)
{
    size_t ncap = s->cap ? s->cap * 2 : 4096;
    uint32_t *old = s->index;
    uint8_t *old_tags = s->tags;
    size_t ocap = s->cap;
    uint32_t *n = calloc(ncap, sizeof *n);
    uint8_t *t = malloc(ncap);
    if (!n || !t) {
        free(n);
        free(t);
        return -1;
    }
    s->index = n;
    s->tags = t;
    s->cap = ncap;
    for (size_t i = 0; i < ocap; i++)
        if (old[i]) {
            slot *sl = slot_at(s, old[i]);
            cell_set(s, probe(s, sl->h1, sl->h2), old[i], sl->h2);
        }
    free(old);
    free(old_tags);
    return 0;
}

/* A new dense slot (zeroed); its reference in *ref. */
static slot *slot_new(graph_store *s, uint32_t *ref)
{
    if (s->used >= UINT32_MAX - 1)
        return NULL;
    size_t i = s->used;
    if (i / SLOT_BLOCK == s->nblocks) {
        slot **nb = realloc(s->blocks, (s->nblocks + 1) * sizeof *nb);
        if (!nb)
            return NULL;
        s->blocks = nb;
        if (!(s->blocks[s->nblocks] = calloc(SLOT_BLOCK, sizeof(slot))))
            return NULL;
        s->nblocks++;
    }
    *ref = (uint32_t)(i + 1);
    return &s->blocks[i / SLOT_BLOCK][i % SLOT_BLOCK];
}

/* Copies key into the arena (freed as a whole with the store). */
static char *arena_dup(graph_store *s, const char *key)
{
    size_t n = strlen(key) + 1;
    arena_block *b = s->arena;
    if (!b || b->size - b->used < n) {
        size_t size = n > ARENA_BLOCK ? n : ARENA_BLOCK;
        b = malloc(sizeof *b + size);
        if (!b)
            return NULL;
        b->next = s->arena;
        b->used = 0;
        b->size = size;
        s->arena = b;
    }
    char *p = b->data + b->used;
    memcpy(p, key, n);
    b->used += n;
    return p;
}

/* ---- lifecycle ---------------------------------------------------------- */

/* A new spill file with no name: a job killed mid-way leaves nothing. */
static int spill_open(graph_store *s, err_info *err)
{
    int fd = -1;
    if (!s->named_spill) {
        fd = open(s->dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
        if (fd >= 0)
            return fd;
        if (errno != EOPNOTSUPP && errno != EISDIR)
            goto fail;
        s->named_spill = true;
    }
    char path[4096];
    if (snprintf(path, sizeof path, "%s/ai-graph-XXXXXX", s->dir) >= (int)sizeof path) {
        errno = ENAMETOOLONG;
        goto fail;
    }
    fd = mkostemp(path, O_CLOEXEC);
    if (fd < 0)
        goto fail;
    unlink(path);
    return fd;
fail:
    err_set(err, ERR_IO, "cannot create a spill file under %s: %s", s->dir, strerror(errno));
    err_hint(err, "set TMPDIR to a writable directory with room for the tenant's entities");
    return -1;
}

graph_store *graph_store_new(const graph_sink *sink, const char *spill_dir, err_info *err)
{
    graph_store *s = calloc(1, sizeof *s);
    if (!s) {
        err_set(err, ERR_NOMEM, "out of memory creating the graph store");
        return NULL;
    }
    pthread_mutex_init(&s->mu, NULL);
    pthread_mutex_init(&s->sink_mu, NULL);
    if (sink) {
        s->sink = *sink;
        s->has_sink = true;
    }
    s->chunk_objects = GRAPH_STORE_CHUNK_OBJECTS;
    s->chunk_bytes = GRAPH_STORE_CHUNK_BYTES;
    const char *base = spill_dir ? spill_dir : getenv("TMPDIR");
    if (!base || !*base)
        base = "/tmp";
    s->dir = strdup(base);
    if (!s->dir || grow(s) != 0) {
        err_set(err, ERR_NOMEM, "out of memory creating the graph store");
        goto fail;
    }
    /* Probe now: a job that cannot spill fails before its first read. */
    int fd = spill_open(s, err);
    if (fd < 0)
        goto fail;
    close(fd);
    return s;
fail:
    graph_store_free(s);
    return NULL;
}

static void buffer_clear(buffer *b)
{
    for (size_t i = 0; i < b->count; i++)
        free(b->objs[i]);
    b->count = 0;
    b->bytes = 0;
}

void graph_store_free(graph_store *s)
{
    if (!s)
        return;
    free(s->index);
    free(s->tags);
    for (size_t i = 0; i < s->nblocks; i++)
        free(s->blocks[i]);
    free(s->blocks);
    while (s->arena) {
        arena_block *next = s->arena->next;
        free(s->arena);
        s->arena = next;
    }
    for (size_t i = 0; i < s->ntypes; i++) {
        if (s->types[i].fd >= 0)
            close(s->types[i].fd);
        free(s->types[i].name);
        free(s->types[i].wbuf);
    }
    free(s->types);
    for (size_t i = 0; i < s->nbufs; i++) {
        buffer_clear(&s->bufs[i]);
        free(s->bufs[i].objs);
        free(s->bufs[i].lens);
        free(s->bufs[i].step_id);
        free(s->bufs[i].type);
    }
    free(s->bufs);
    free(s->type_cells);
    free(s->buf_cells);
    free(s->dir);
    pthread_mutex_destroy(&s->mu);
    pthread_mutex_destroy(&s->sink_mu);
    free(s);
}

void graph_store_set_chunk_limits(graph_store *s, size_t max_objects, size_t max_bytes)
{
    pthread_mutex_lock(&s->mu);
    if (max_objects)
        s->chunk_objects = max_objects;
    if (max_bytes)
        s->chunk_bytes = max_bytes;
    pthread_mutex_unlock(&s->mu);
}

/* ---- types and buffers (under mu) --------------------------------------- */

static uint64_t name_hash(uint64_t h, const char *s)
{
    /* then a separator byte: ("ab","c") != ("a","bc") */
    return (hash_fnv1a(h, s) ^ 0xff) * 1099511628211ull;
}

static uint64_t buf_hash(graph_kind kind, const char *step_id, const char *type)
{
    return name_hash(name_hash(HASH_FNV1A_INIT + (uint64_t)kind, step_id), type);
}

/* Puts entry `index` (hash h) in the first free cell from its home. */
static void cells_put(uint32_t *cells, size_t cap, uint64_t h, size_t index)
{
    size_t at = (size_t)h & (cap - 1);
    while (cells[at])
        at = (at + 1) & (cap - 1);
    cells[at] = (uint32_t)index + 1;
}

/* Rebuilds a cell table of `cap` cells over n entries whose hashes hash_of
 * gives; false on allocation failure (the old table stays). */
static bool cells_rebuild(uint32_t **cells, size_t *cells_cap, size_t cap, size_t n,
                          uint64_t (*hash_of)(const graph_store *, size_t), const graph_store *s)
{
    uint32_t *c = calloc(cap, sizeof *c);
    if (!c)
        return false;
    for (size_t i = 0; i < n; i++)
        cells_put(c, cap, hash_of(s, i), i);
    free(*cells);
    *cells = c;
    *cells_cap = cap;
    return true;
}

static uint64_t type_hash_at(const graph_store *s, size_t i)
{
    return name_hash(HASH_FNV1A_INIT, s->types[i].name);
}

static uint64_t buf_hash_at(const graph_store *s, size_t i)
{
    return buf_hash(s->bufs[i].kind, s->bufs[i].step_id, s->bufs[i].type);
}

/* Keeps a table at most half full for n + 1 entries. */
static bool cells_room(uint32_t **cells, size_t *cells_cap, size_t n,
                       uint64_t (*hash_of)(const graph_store *, size_t), const graph_store *s)
{
    if ((n + 1) * 2 <= *cells_cap)
        return true;
    return cells_rebuild(cells, cells_cap, *cells_cap ? *cells_cap * 2 : 64, n, hash_of, s);
}

static int type_id(graph_store *s, const char *name)
{
    uint64_t h = name_hash(HASH_FNV1A_INIT, name);
    if (s->type_cells_cap) {
        for (size_t at = (size_t)h & (s->type_cells_cap - 1); s->type_cells[at];
             at = (at + 1) & (s->type_cells_cap - 1))
            if (strcmp(s->types[s->type_cells[at] - 1].name, name) == 0)
                return (int)(s->type_cells[at] - 1);
    }
    if (s->ntypes == UINT16_MAX ||
        !cells_room(&s->type_cells, &s->type_cells_cap, s->ntypes, type_hash_at, s))
        return -1;
    if (s->ntypes == s->types_cap) {
        size_t nc = s->types_cap ? s->types_cap * 2 : 32;
        type_file *t = realloc(s->types, nc * sizeof *t);
        if (!t)
            return -1;
        s->types = t;
        s->types_cap = nc;
    }
    char *dup = strdup(name);
    if (!dup)
        return -1;
    s->types[s->ntypes] = (type_file){.name = dup, .fd = -1};
    cells_put(s->type_cells, s->type_cells_cap, h, s->ntypes);
    return (int)s->ntypes++;
}

static int type_fd(graph_store *s, type_file *t, err_info *err)
{
    if (t->fd < 0)
        t->fd = spill_open(s, err);
    return t->fd;
}

/* Under mu: writes the type's pending appends. */
static int spill_flush(type_file *t, err_info *err)
{
    size_t done = 0;
    while (done < t->wlen) {
        ssize_t w = pwrite(t->fd, t->wbuf + done, t->wlen - done, t->flushed + (int64_t)done);
        if (w <= 0) {
            err_set(err, ERR_IO, "cannot write the entity spill file: %s",
                    w < 0 ? strerror(errno) : "short write");
            return err_hint(err, "free space under TMPDIR");
        }
        done += (size_t)w;
    }
    t->flushed += (int64_t)t->wlen;
    t->wlen = 0;
    return 0;
}

/* Under mu: appends text + '\n' (text has room for the newline). */
static int spill_append(type_file *t, char *text, size_t len, err_info *err)
{
    if (!t->wbuf && !(t->wbuf = malloc(SPILL_BUFFER)))
        return err_set(err, ERR_NOMEM, "out of memory buffering the spill file");
    if (t->wlen + len + 1 > SPILL_BUFFER && spill_flush(t, err) != 0)
        return -1;
    if (len + 1 > SPILL_BUFFER) {
        text[len] = '\n';
        ssize_t w = pwrite(t->fd, text, len + 1, t->flushed);
        text[len] = 0;
        if (w != (ssize_t)(len + 1)) {
            err_set(err, ERR_IO, "cannot write the entity spill file: %s",
                    w < 0 ? strerror(errno) : "short write");
            return err_hint(err, "free space under TMPDIR");
        }
        t->flushed += (int64_t)len + 1;
    } else {
        memcpy(t->wbuf + t->wlen, text, len);
        t->wbuf[t->wlen + len] = '\n';
        t->wlen += len + 1;
    }
    t->size += (int64_t)len + 1;
    return 0;
}

static buffer *buffer_for(graph_store *s, const char *step_id, graph_kind kind, const char *type)
{
    uint64_t h = buf_hash(kind, step_id, type);
    if (s->buf_cells_cap) {
        for (size_t at = (size_t)h & (s->buf_cells_cap - 1); s->buf_cells[at];
             at = (at + 1) & (s->buf_cells_cap - 1)) {
            buffer *b = &s->bufs[s->buf_cells[at] - 1];
            if (b->kind == kind && strcmp(b->type, type) == 0 && strcmp(b->step_id, step_id) == 0)
                return b;
        }
    }
    if (!cells_room(&s->buf_cells, &s->buf_cells_cap, s->nbufs, buf_hash_at, s))
        return NULL;
    if (s->nbufs == s->bufs_cap) {
        size_t nc = s->bufs_cap ? s->bufs_cap * 2 : 32;
        buffer *nb = realloc(s->bufs, nc * sizeof *nb);
        if (!nb)
            return NULL;
        s->bufs = nb;
        s->bufs_cap = nc;
    }
    buffer *b = &s->bufs[s->nbufs];
    *b = (buffer){.step_id = strdup(step_id), .type = strdup(type), .kind = kind};
    if (!b->step_id || !b->type) {
        free(b->step_id);
        free(b->type);
        return NULL;
    }
    cells_put(s->buf_cells, s->buf_cells_cap, h, s->nbufs);
    s->nbufs++;
    return b;
}

static int buffer_push(buffer *b, char *text, size_t len)
{
    if (b->count == b->cap) {
        size_t nc = b->cap ? b->cap * 2 : 64;
        char **o = realloc(b->objs, nc * sizeof *o);
        if (!o)
            return -1;
        b->objs = o;
        size_t *l = realloc(b->lens, nc * sizeof *l);
        if (!l)
            return -1;
        b->lens = l;
        b->cap = nc;
    }
    b->objs[b->count] = text;
    b->lens[b->count++] = len;
    b->bytes += len;
    return 0;
}

/* A detached chunk: moved out of a buffer under mu, delivered without it. */
typedef struct pending {
    char *step_id, *type;
    graph_kind kind;
    char **objs;
    size_t *lens;
    size_t count;
} pending;

static int detach(buffer *b, pending *p)
{
    *p = (pending){.kind = b->kind, .count = b->count};
    p->step_id = strdup(b->step_id);
    p->type = strdup(b->type);
    p->objs = b->objs;
    p->lens = b->lens;
    if (!p->step_id || !p->type) {
        free(p->step_id);
        free(p->type);
        *p = (pending){0};
        return -1;
    }
    b->objs = NULL;
    b->lens = NULL;
    b->count = b->cap = b->bytes = 0;
    return 0;
}

static void pending_free(pending *p)
{
    for (size_t i = 0; i < p->count; i++)
        free(p->objs[i]);
    free(p->objs);
    free(p->lens);
    free(p->step_id);
    free(p->type);
}

static int deliver(graph_store *s, pending *p, err_info *err)
{
    int rc = 0;
    if (s->has_sink && p->count > 0) {
        pthread_mutex_lock(&s->sink_mu);
        pthread_mutex_lock(&s->mu);
        bool failed = s->sink_failed;
        pthread_mutex_unlock(&s->mu);
        if (failed) {
            rc = err_set(err, ERR_CANCELLED, "the graph sink failed earlier; %zu %s objects dropped",
                         p->count, p->type);
        } else {
            graph_chunk c = {.step_id = p->step_id, .type = p->type, .kind = p->kind,
                             .objects = (const char *const *)p->objs, .lengths = p->lens,
                             .count = p->count, .take = p->objs};
            rc = s->sink.write_chunk(s->sink.ctx, &c, err);
            pthread_mutex_lock(&s->mu);
            if (rc != 0)
                s->sink_failed = true;
            else
                s->stats.chunks++;
            pthread_mutex_unlock(&s->mu);
        }
        pthread_mutex_unlock(&s->sink_mu);
    }
    pending_free(p);
    return rc;
}

/* ---- add ---------------------------------------------------------------- */

/* True for the first SCHEMA_SAMPLE entities of a _type: checking every
 * entity against the class schemas costs more than everything else the
 * store does, and since violations are warnings a sample finds the mapping
 * mistakes (they are per type, not per object). */
static bool schema_sample(graph_store *s, const char *type)
{
    pthread_mutex_lock(&s->mu);
    int tid = type_id(s, type);
    bool check = tid < 0 || s->types[tid].checked++ < SCHEMA_SAMPLE;
    pthread_mutex_unlock(&s->mu);
    return check;
}

/* ---- serialization scratch ---------------------------------------------- */

#define SCRATCH_KEEP (1u << 20) /* a buffer grown past this is not kept */

/* After use: a failed or oversized buffer gives its memory back. */
static void scratch_release(sbuf *b)
{
    if (b && (sbuf_failed(b) || b->cap > SCRATCH_KEEP))
        sbuf_free(b); /* sbuf_free leaves it empty and usable */
}

/* Indexes, spills (entities) and buffers one serialized object; takes
 * ownership of text (len bytes + room for 2 more). */
static int store_text(graph_store *s, const char *step_id, graph_kind kind, const char *key,
                      const char *type, char *text, size_t len, err_info *err)
{
    int rc = -1;
    pending p = {0};
    bool have_pending = false;
    uint64_t h1, h2;
    hash_key(key, &h1, &h2);

    pthread_mutex_lock(&s->mu);
    if ((s->used + 1) * 10 >= s->cap * 7 && grow(s) != 0) {
        pthread_mutex_unlock(&s->mu);
        err_set(err, ERR_NOMEM, "out of memory growing the key index");
        goto fail;
    }
    size_t cell = probe(s, h1, h2);
    if (s->index[cell]) {
        s->stats.duplicates++;
        pthread_mutex_unlock(&s->mu);
        err_set(err, ERR_CONFLICT, "Duplicate _key detected (_key=%s)", key);
        err_hint(err, "check step_has_key() before adding objects several resources can produce");
        goto fail;
    }
    int tid = type_id(s, type);
    buffer *b = tid >= 0 ? buffer_for(s, step_id, kind, type) : NULL;
    char *stored = kind == GRAPH_ENTITIES ? arena_dup(s, key) : NULL;
    if (!b || (kind == GRAPH_ENTITIES && !stored)) {
        pthread_mutex_unlock(&s->mu);
        err_set(err, ERR_NOMEM, "out of memory adding %s", key);
        goto fail;
    }
    uint32_t ref;
    slot *sl = slot_new(s, &ref); /* slot s->used: reused when this add fails */
    if (!sl) {
        pthread_mutex_unlock(&s->mu);
        err_set(err, ERR_NOMEM, "out of memory indexing %s", key);
        goto fail;
    }
    slot entry = {.h1 = h1, .h2 = h2, .key = stored, .type_id = (uint16_t)tid,
                  .kind = (uint8_t)kind};
    if (kind == GRAPH_ENTITIES) {
        type_file *t = &s->types[tid];
        if (type_fd(s, t, err) < 0) {
            pthread_mutex_unlock(&s->mu);
            goto fail;
        }
        entry.offset = t->size;
        entry.len = (uint32_t)len;
        if (spill_append(t, text, len, err) != 0) {
            pthread_mutex_unlock(&s->mu);
            goto fail;
        }
    }
    if (buffer_push(b, text, len) != 0) {
        pthread_mutex_unlock(&s->mu);
        err_set(err, ERR_NOMEM, "out of memory buffering %s", key);
        goto fail;
    }
    text = NULL;
    *sl = entry;
    cell_set(s, cell, ref, h2);
    s->used++;
    if (kind == GRAPH_ENTITIES)
        s->stats.entities++;
    else
        s->stats.relationships++;
    if (b->count >= s->chunk_objects || b->bytes >= s->chunk_bytes) {
        if (detach(b, &p) == 0)
            have_pending = true;
    }
    pthread_mutex_unlock(&s->mu);
    rc = 0;
    if (have_pending)
        rc = deliver(s, &p, err);
fail:
    free(text);
    return rc;
}

int graph_store_add_text(graph_store *s, const char *step_id, graph_kind kind, const char *key,
                         const char *type, const char *text, size_t len, err_info *err)
{
    if (!s || !step_id || !key || !type || !text)
        return err_set(err, ERR_INVALID, "graph_store_add_text: missing store, step, key, type or text");
    char *copy = malloc(len + 2);
    if (!copy)
        return err_set(err, ERR_NOMEM, "out of memory storing %s", key);
    memcpy(copy, text, len);
    copy[len] = 0;
    return store_text(s, step_id, kind, key, type, copy, len, err);
}

int graph_store_add(graph_store *s, const char *step_id, graph_kind kind, cJSON *obj,
                    err_info *err)
{
    int rc = -1;
    char *text = NULL;
    if (!s || !step_id || !obj) {
        err_set(err, ERR_INVALID, "graph_store_add: missing store, step or object");
        goto out;
    }
    graph_object_ids ids;
    if ((kind == GRAPH_ENTITIES ? graph_rules_check_entity(obj, &ids, err)
                                : graph_rules_check_relationship(obj, &ids, err)) != 0) {
        pthread_mutex_lock(&s->mu);
        s->stats.invalid++;
        pthread_mutex_unlock(&s->mu);
        goto out;
    }
    if (kind == GRAPH_ENTITIES && schema_sample(s, ids.type)) {
        err_info serr = {0};
        if (schema_validate_entity(obj, &serr) != 0) {
            pthread_mutex_lock(&s->mu);
            uint64_t n = ++s->stats.schema_warnings;
            pthread_mutex_unlock(&s->mu);
            if (n <= 20)
                log_kv(LOG_WARN, "entity does not match its data-model class schema (kept)", "key",
                       ids.key, "error", serr.message, (char *)NULL);
        }
    }
    const char *key = ids.key, *type = ids.type;
    /* printed into the thread's scratch buffer, then copied at its exact
     * size (room for the '\n' spill_append may write after it): one
     * allocation per object, sized like the text, instead of a growing one */
    sbuf *printed = sbuf_scratch(SBUF_SLOT_GRAPH_STORE);
    if (printed) {
        sbuf_reset(printed);
        json_write(printed, obj);
    }
    if (!printed || sbuf_failed(printed)) {
        scratch_release(printed);
        err_set(err, ERR_NOMEM, "out of memory serializing %s", key);
        goto out;
    }
    size_t len = printed->len;
    text = malloc(len + 2);
    if (text)
        memcpy(text, printed->data, len + 1);
    scratch_release(printed);
    if (!text) {
        err_set(err, ERR_NOMEM, "out of memory serializing %s", key);
        goto out;
    }
    rc = store_text(s, step_id, kind, key, type, text, len, err);
    text = NULL; /* store_text took it */
out:
    free(text);
    cJSON_Delete(obj);
    return rc;
}

/* ---- look-ups ----------------------------------------------------------- */

bool graph_store_has_key(graph_store *s, const char *key)
{
    if (!key)
        return false;
    uint64_t h1, h2;
    hash_key(key, &h1, &h2);
    pthread_mutex_lock(&s->mu);
    bool found = lookup(s, h1, h2) != NULL;
    pthread_mutex_unlock(&s->mu);
    return found;
}

/* Under mu: the entity slot for key, or NULL. */
static slot *entity_slot(graph_store *s, const char *key)
{
    uint64_t h1, h2;
    hash_key(key, &h1, &h2);
    slot *sl = lookup(s, h1, h2);
    if (!sl || sl->kind != GRAPH_ENTITIES || strcasecmp(sl->key, key) != 0)
        return NULL;
    return sl;
}

bool graph_store_find_entity(graph_store *s, const char *key, char *key_out, size_t key_size,
                             char *type_out, size_t type_size)
{
    if (!key)
        return false;
    pthread_mutex_lock(&s->mu);
    slot *sl = entity_slot(s, key);
    if (sl) {
        if (key_out && key_size)
            snprintf(key_out, key_size, "%s", sl->key);
        if (type_out && type_size)
            snprintf(type_out, type_size, "%s", s->types[sl->type_id].name);
    }
    pthread_mutex_unlock(&s->mu);
    return sl != NULL;
}

cJSON *graph_store_load_entity(graph_store *s, const char *key)
{
    if (!key)
        return NULL;
    pthread_mutex_lock(&s->mu);
    slot *sl = entity_slot(s, key);
    type_file *tf = sl ? &s->types[sl->type_id] : NULL;
    if (tf && tf->wlen && (sl->offset >= tf->flushed) && spill_flush(tf, &(err_info){0}) != 0)
        tf = NULL;
    int fd = tf ? tf->fd : -1;
    int64_t off = sl ? sl->offset : 0;
    size_t len = sl ? sl->len : 0;
    pthread_mutex_unlock(&s->mu);
    if (fd < 0)
        return NULL;
    char *buf = malloc(len + 1);
    if (!buf)
        return NULL;
    cJSON *o = NULL;
    json_arena *prev = json_arena_enter(NULL); /* the caller keeps it */
    if (pread(fd, buf, len, off) == (ssize_t)len)
        o = json_parse_len(buf, len);
    json_arena_leave(prev);
    free(buf);
    return o;
}

/* Every stored entity of `type` to fn, parsed without its member `skip`
 * (NULL: whole). */
static int iterate(graph_store *s, const char *type, const char *skip, step_entity_fn fn,
                   void *arg, err_info *err)
{
    pthread_mutex_lock(&s->mu);
    int fd = -1;
    int64_t end = 0;
    int frc = 0;
    for (size_t i = 0; i < s->ntypes; i++)
        if (strcmp(s->types[i].name, type) == 0 && s->types[i].fd >= 0) {
            frc = spill_flush(&s->types[i], err);
            fd = s->types[i].fd;
            end = s->types[i].flushed;
        }
    pthread_mutex_unlock(&s->mu);
    if (frc != 0)
        return -1;
    if (fd < 0 || end == 0)
        return 0;
    size_t cap = 1 << 20, have = 0;
    char *buf = malloc(cap);
    if (!buf)
        return err_set(err, ERR_NOMEM, "out of memory iterating %s", type);
    int64_t pos = 0;
    int rc = 0;
    while (rc == 0 && (pos < end || have > 0)) {
        if (pos < end) {
            if (have == cap) {
                char *nb = realloc(buf, cap * 2);
                if (!nb) {
                    rc = err_set(err, ERR_NOMEM, "out of memory iterating %s", type);
                    break;
                }
                buf = nb;
                cap *= 2;
            }
            size_t want = cap - have;
            if ((int64_t)want > end - pos)
                want = (size_t)(end - pos);
            ssize_t r = pread(fd, buf + have, want, pos);
            if (r <= 0) {
                rc = err_set(err, ERR_IO, "cannot read the %s spill file: %s", type,
                             r < 0 ? strerror(errno) : "unexpected end");
                break;
            }
            have += (size_t)r;
            pos += r;
        }
        size_t start = 0;
        char *nl;
        while (rc == 0 && (nl = memchr(buf + start, '\n', have - start))) {
            size_t l = (size_t)(nl - (buf + start));
            /* the entity lives only during fn: parsed into the thread's
             * arena, which is rewound after it; fn itself runs outside */
            json_arena *arena = json_arena_thread();
            json_arena_mark mark = json_arena_get_mark(arena);
            json_arena *prev = json_arena_enter(arena);
            cJSON *o = skip ? json_parse_len_without(buf + start, l, skip)
                            : json_parse_len(buf + start, l);
            json_arena_enter(NULL);
            if (!o)
                rc = err_set(err, ERR_INTERNAL, "a %s spill line did not parse", type);
            else if (fn(arg, o, err) != 0)
                rc = -1;
            cJSON_Delete(o);
            json_arena_leave(prev);
            json_arena_rewind(arena, mark);
            start += l + 1;
        }
        memmove(buf, buf + start, have - start);
        have -= start;
        if (pos >= end && have > 0 && rc == 0) {
            rc = err_set(err, ERR_INTERNAL, "a %s spill file ends without a newline", type);
            break;
        }
    }
    free(buf);
    return rc;
}

int graph_store_iterate(graph_store *s, const char *type, step_entity_fn fn, void *arg,
                        err_info *err)
{
    return iterate(s, type, NULL, fn, arg, err);
}

int graph_store_iterate_without_raw(graph_store *s, const char *type, step_entity_fn fn,
                                    void *arg, err_info *err)
{
    return iterate(s, type, "_rawData", fn, arg, err);
}

/* ---- flush / stats ------------------------------------------------------ */

int graph_store_flush(graph_store *s, const char *step_id, err_info *err)
{
    int rc = 0;
    for (;;) {
        pending p = {0};
        bool found = false;
        pthread_mutex_lock(&s->mu);
        for (size_t i = 0; i < s->nbufs && !found; i++) {
            buffer *b = &s->bufs[i];
            if (b->count == 0 || (step_id && strcmp(b->step_id, step_id) != 0))
                continue;
            if (detach(b, &p) != 0) {
                pthread_mutex_unlock(&s->mu);
                return err_set(err, ERR_NOMEM, "out of memory flushing the graph");
            }
            found = true;
        }
        pthread_mutex_unlock(&s->mu);
        if (!found)
            return rc;
        if (deliver(s, &p, err) != 0)
            rc = -1;
        if (rc != 0)
            return rc;
    }
}

bool graph_store_sink_failed(graph_store *s)
{
    pthread_mutex_lock(&s->mu);
    bool f = s->sink_failed;
    pthread_mutex_unlock(&s->mu);
    return f;
}

void graph_store_get_stats(graph_store *s, graph_store_stats *out)
{
    pthread_mutex_lock(&s->mu);
    *out = s->stats;
    pthread_mutex_unlock(&s->mu);
}
