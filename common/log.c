/*
 * log: see log.h.
 *
 * A line is built in a local buffer, redacted, then written with one
 * write(2) under a mutex so lines from concurrent threads never interleave.
 * The secret list is small (a few per running job), so a linear scan per
 * line is cheaper than anything clever.
 */
#include "common/log.h"

#include "common/sbuf.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static atomic_int g_level = LOG_INFO;
static atomic_int g_fd = 2;
static pthread_mutex_t g_write_lock = PTHREAD_MUTEX_INITIALIZER;

static _Thread_local char t_job[80];
static _Thread_local char t_request[80];

struct secret {
    char *text;
    size_t len;
    int refs;
};
static pthread_mutex_t g_secret_lock = PTHREAD_MUTEX_INITIALIZER;
static struct secret *g_secrets;
static size_t g_secret_count, g_secret_cap;

int log_level_parse(const char *text, log_level *out)
{
    static const char *names[] = {"debug", "info", "warn", "error"};
    for (int i = 0; i < 4; i++) {
        if (text && strcmp(text, names[i]) == 0) {
            *out = (log_level)i;
            return 0;
        }
    }
    return -1;
}

void log_set_level(log_level level)
{
    atomic_store(&g_level, (int)level);
}

bool log_enabled(log_level level)
{
    return (int)level >= atomic_load(&g_level);
}

void log_set_fd(int fd)
{
    atomic_store(&g_fd, fd < 0 ? 2 : fd);
}

static void copy_context(char *dst, size_t size, const char *src)
{
    if (!src) {
        dst[0] = '\0';
        return;
    }
    snprintf(dst, size, "%s", src);
}

void log_set_job(const char *job_id)
{
    copy_context(t_job, sizeof t_job, job_id);
}

const char *log_job(void) { return t_job; }

void log_set_request(const char *request_id)
{
    copy_context(t_request, sizeof t_request, request_id);
}

void log_secret_register(const char *secret)
{
    if (!secret || strlen(secret) < 4)
        return;
    pthread_mutex_lock(&g_secret_lock);
    for (size_t i = 0; i < g_secret_count; i++) {
        if (strcmp(g_secrets[i].text, secret) == 0) {
            g_secrets[i].refs++;
            pthread_mutex_unlock(&g_secret_lock);
            return;
        }
    }
    if (g_secret_count == g_secret_cap) {
        size_t cap = g_secret_cap ? g_secret_cap * 2 : 8;
        struct secret *p = realloc(g_secrets, cap * sizeof *p);
        if (!p) {
            pthread_mutex_unlock(&g_secret_lock);
            return;
        }
        g_secrets = p;
        g_secret_cap = cap;
    }
    char *copy = strdup(secret);
    if (copy) {
        g_secrets[g_secret_count++] = (struct secret){copy, strlen(copy), 1};
    }
    pthread_mutex_unlock(&g_secret_lock);
}

void log_secret_unregister(const char *secret)
{
    if (!secret)
        return;
    pthread_mutex_lock(&g_secret_lock);
    for (size_t i = 0; i < g_secret_count; i++) {
        if (strcmp(g_secrets[i].text, secret) == 0) {
            if (--g_secrets[i].refs == 0) {
                /* overwrite before freeing: the secret should not linger */
                memset(g_secrets[i].text, 0, g_secrets[i].len);
                free(g_secrets[i].text);
                g_secrets[i] = g_secrets[--g_secret_count];
            }
            break;
        }
    }
    if (g_secret_count == 0) {
        free(g_secrets);
        g_secrets = NULL;
        g_secret_cap = 0;
    }
    pthread_mutex_unlock(&g_secret_lock);
}

char *log_redact(const char *text)
{
    sbuf out = SBUF_INIT;
    const char *p = text ? text : "";
    pthread_mutex_lock(&g_secret_lock);
    while (*p) {
        size_t best = 0;
        for (size_t i = 0; i < g_secret_count; i++) {
            if (strncmp(p, g_secrets[i].text, g_secrets[i].len) == 0 && g_secrets[i].len > best)
                best = g_secrets[i].len;
        }
        if (best) {
            sbuf_puts(&out, "[REDACTED]");
            p += best;
        } else {
            sbuf_putc(&out, *p++);
        }
    }
    pthread_mutex_unlock(&g_secret_lock);
    return sbuf_take(&out);
}

static void begin_line(sbuf *line, log_level level, const char *msg)
{
    static const char *names[] = {"debug", "info", "warn", "error"};
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char when[40];
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    sbuf_printf(line, "{\"time\":\"%s.%03ldZ\",\"level\":\"%s\",\"msg\":", when,
                ts.tv_nsec / 1000000L, names[level]);
    sbuf_json_string(line, msg);
    if (t_job[0]) {
        sbuf_puts(line, ",\"jobId\":");
        sbuf_json_string(line, t_job);
    }
    if (t_request[0]) {
        sbuf_puts(line, ",\"requestId\":");
        sbuf_json_string(line, t_request);
    }
}

static void finish_line(sbuf *line)
{
    sbuf_puts(line, "}\n");
    if (sbuf_failed(line))
        return;
    char *clean = log_redact(sbuf_str(line));
    if (!clean)
        return;
    size_t len = strlen(clean);
    pthread_mutex_lock(&g_write_lock);
    size_t off = 0;
    int fd = atomic_load(&g_fd);
    while (off < len) {
        ssize_t n = write(fd, clean + off, len - off);
        if (n <= 0)
            break;
        off += (size_t)n;
    }
    pthread_mutex_unlock(&g_write_lock);
    free(clean);
}

void log_msg(log_level level, const char *fmt, ...)
{
    if (!log_enabled(level))
        return;
    sbuf msg = SBUF_INIT;
    char small[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n >= sizeof small) {
        sbuf_reserve(&msg, (size_t)n);
        va_start(ap, fmt);
        if (msg.data)
            vsnprintf(msg.data, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    sbuf line = SBUF_INIT;
    begin_line(&line, level, msg.data ? msg.data : small);
    finish_line(&line);
    sbuf_free(&line);
    sbuf_free(&msg);
}

void log_kv(log_level level, const char *msg, ...)
{
    if (!log_enabled(level))
        return;
    sbuf line = SBUF_INIT;
    begin_line(&line, level, msg);
    va_list ap;
    va_start(ap, msg);
    for (;;) {
        const char *key = va_arg(ap, const char *);
        if (!key)
            break;
        const char *value = va_arg(ap, const char *);
        sbuf_putc(&line, ',');
        sbuf_json_string(&line, key);
        sbuf_putc(&line, ':');
        if (value)
            sbuf_json_string(&line, value);
        else
            sbuf_puts(&line, "null");
    }
    va_end(ap);
    finish_line(&line);
    sbuf_free(&line);
}
