/*
 * sbuf: a growable byte buffer, always NUL-terminated.
 *
 * Used to build JSON text, URLs and HTTP bodies.  Allocation failure is
 * sticky: after one failed append every later append is a no-op and
 * sbuf_failed() is true, so a builder can append many pieces and check once.
 */
#ifndef AI_COMMON_SBUF_H
#define AI_COMMON_SBUF_H

#include <stdbool.h>
#include <stddef.h>

typedef struct sbuf {
    char *data;     /* NUL-terminated; NULL until first append */
    size_t len;
    size_t cap;
    bool failed;
} sbuf;

#define SBUF_INIT {0}

void sbuf_init(sbuf *b);
void sbuf_free(sbuf *b);
void sbuf_reset(sbuf *b);                 /* len = 0, keeps memory */
bool sbuf_reserve(sbuf *b, size_t extra);
void sbuf_append(sbuf *b, const void *data, size_t len);
void sbuf_puts(sbuf *b, const char *s);
void sbuf_putc(sbuf *b, char c);
void sbuf_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s as a JSON string literal (with quotes), escaping as RFC 8259. */
void sbuf_json_string(sbuf *b, const char *s);
/* Appends s percent-encoded (RFC 3986 unreserved characters kept). */
void sbuf_urlencode(sbuf *b, const char *s);
bool sbuf_failed(const sbuf *b);

/* Per-thread scratch buffers, reused by hot paths instead of a malloc per
 * use: slot `slot` (< SBUF_SCRATCH_SLOTS) of the calling thread, created
 * empty on first use and freed when the thread exits; NULL when out of
 * memory.  Each user owns its slots (listed here) so nested users never
 * share one. */
#define SBUF_SCRATCH_SLOTS 8
#define SBUF_SLOT_GRAPH_STORE 0   /* engine/graph_store: object text */
#define SBUF_SLOT_REL_TEXT 1      /* engine/relationship: text, key, type */
#define SBUF_SLOT_REL_KEY 2
#define SBUF_SLOT_REL_TYPE 3
#define SBUF_SLOT_AZURE_BODY 4    /* azure/azure_client: response body */
#define SBUF_SLOT_JSON_WITHOUT 5  /* common/json: json_parse_len_without */
sbuf *sbuf_scratch(unsigned slot);
/* Returns the data ("" when empty) and gives ownership to the caller. */
char *sbuf_take(sbuf *b);
/* Current contents, "" when empty; owned by the buffer. */
const char *sbuf_str(const sbuf *b);

#endif
