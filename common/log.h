/*
 * log: structured logs, one JSON object per line on stderr.
 *
 *   {"time":"2026-11-25T10:00:00.123Z","level":"info","msg":"job finished",
 *    "jobId":"…","requestId":"…", <extra fields>}
 *
 * jobId and requestId come from a per-thread context, so code deep in a step
 * logs with the right job id without passing it around.  Every line passes
 * through the secret redactor: any registered secret (client secret, API key,
 * webhook secret, access token) that appears anywhere in the line is replaced
 * by "[REDACTED]" before it is written.  Registering is belt and braces: code
 * must still never format a secret on purpose.
 */
#ifndef AI_COMMON_LOG_H
#define AI_COMMON_LOG_H

#include <stdbool.h>

typedef enum log_level { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR } log_level;

/* Parses "debug" | "info" | "warn" | "error".  Returns 0 or -1. */
int log_level_parse(const char *text, log_level *out);
void log_set_level(log_level level);
bool log_enabled(log_level level);

/* Redirects output (tests); fd -1 restores stderr. */
void log_set_fd(int fd);

/* Per-thread context; NULL clears.  Values are copied. */
void log_set_job(const char *job_id);
/* The calling thread's job context ("" when none), for threads it starts. */
const char *log_job(void);
void log_set_request(const char *request_id);

/* printf-style message. */
void log_msg(log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Message plus string fields: log_kv(LOG_INFO, "job claimed", "attempt", "2", NULL).
 * Pairs of (key, value) terminated by NULL; a NULL value is written as null. */
void log_kv(log_level level, const char *msg, ...) __attribute__((sentinel));

#define log_debug(...) do { if (log_enabled(LOG_DEBUG)) log_msg(LOG_DEBUG, __VA_ARGS__); } while (0)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

/* Secret redaction.  Strings shorter than 4 bytes are ignored (they would
 * redact ordinary words).  Register/unregister are counted, so the same
 * secret used by two jobs stays registered until both end. */
void log_secret_register(const char *secret);
void log_secret_unregister(const char *secret);

/* Writes `text` with every registered secret replaced into a new string
 * (caller frees).  Used by anything that echoes external text back. */
char *log_redact(const char *text);

#endif
