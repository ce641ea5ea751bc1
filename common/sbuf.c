/*
 * sbuf: see sbuf.h.  Capacity doubles, so appends are amortised O(1).
 */
#include "common/sbuf.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sbuf_init(sbuf *b)
{
    memset(b, 0, sizeof *b);
}

void sbuf_free(sbuf *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}

void sbuf_reset(sbuf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

bool sbuf_reserve(sbuf *b, size_t extra)
{
    if (b->failed)
        return false;
    if (extra > (size_t)-1 / 2 - b->len) {
        b->failed = true;
        return false;
    }
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p) {
        b->failed = true;
        return false;
    }
    b->data = p;
    b->cap = cap;
    return true;
}

void sbuf_append(sbuf *b, const void *data, size_t len)
{
    if (!sbuf_reserve(b, len))
        return;
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
}

void sbuf_puts(sbuf *b, const char *s)
{
    sbuf_append(b, s, strlen(s));
}

void sbuf_putc(sbuf *b, char c)
{
    sbuf_append(b, &c, 1);
}

void sbuf_printf(sbuf *b, const char *fmt, ...)
{
    if (b->failed)
        return;
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = true;
        return;
    }
    if ((size_t)n < sizeof small) {
        sbuf_append(b, small, (size_t)n);
        return;
    }
    if (!sbuf_reserve(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void sbuf_json_string(sbuf *b, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    sbuf_putc(b, '"');
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    const unsigned char *run = p;
    for (; *p; p++) {
        unsigned char c = *p;
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        sbuf_append(b, run, (size_t)(p - run));
        switch (c) {
        case '"': sbuf_puts(b, "\\\""); break;
        case '\\': sbuf_puts(b, "\\\\"); break;
        case '\n': sbuf_puts(b, "\\n"); break;
        case '\r': sbuf_puts(b, "\\r"); break;
        case '\t': sbuf_puts(b, "\\t"); break;
        default: {
            char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            sbuf_append(b, esc, 6);
        }
        }
        run = p + 1;
    }
    sbuf_append(b, run, (size_t)(p - run));
    sbuf_putc(b, '"');
}

void sbuf_urlencode(sbuf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char c = *p;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~') {
            sbuf_putc(b, (char)c);
        } else {
            char esc[3] = {'%', hex[c >> 4], hex[c & 15]};
            sbuf_append(b, esc, 3);
        }
    }
}

bool sbuf_failed(const sbuf *b)
{
    return b->failed;
}

char *sbuf_take(sbuf *b)
{
    char *p = b->data;
    if (!p && !b->failed)
        p = calloc(1, 1);
    if (b->failed) {
        free(b->data);
        p = NULL;
    }
    memset(b, 0, sizeof *b);
    return p;
}

const char *sbuf_str(const sbuf *b)
{
    return b->data ? b->data : "";
}

/* ---- per-thread scratch --------------------------------------------------- */

static pthread_key_t g_scratch_key;
static pthread_once_t g_scratch_once = PTHREAD_ONCE_INIT;
static bool g_scratch_ok;

static void scratch_destroy(void *p)
{
    sbuf *slots = p;
    for (unsigned i = 0; i < SBUF_SCRATCH_SLOTS; i++)
        sbuf_free(&slots[i]);
    free(slots);
}

static void scratch_init(void) { g_scratch_ok = pthread_key_create(&g_scratch_key, scratch_destroy) == 0; }

sbuf *sbuf_scratch(unsigned slot)
{
    if (slot >= SBUF_SCRATCH_SLOTS)
        return NULL;
    pthread_once(&g_scratch_once, scratch_init);
    if (!g_scratch_ok)
        return NULL;
    sbuf *slots = pthread_getspecific(g_scratch_key);
    if (!slots && (slots = calloc(SBUF_SCRATCH_SLOTS, sizeof *slots)) &&
        pthread_setspecific(g_scratch_key, slots) != 0) {
        free(slots);
        slots = NULL;
    }
    return slots ? &slots[slot] : NULL;
}
