/*
 * error: errors as values.
 *
 * Every function that can fail returns 0 on success or -1 on failure and
 * fills a caller-owned `err_info`.  The message says what happened in words
 * an operator understands; the hint says what to do about it (PostgreSQL's
 * error style: primary message, then hint).  `kind` lets callers decide
 * whether a failure is fatal for the job, for a step, or for one resource,
 * without parsing text.  Messages never contain secrets: callers format
 * only identifiers, never credentials or tokens.
 */
#ifndef AI_COMMON_ERROR_H
#define AI_COMMON_ERROR_H

#include <stdarg.h>

typedef enum err_kind {
    ERR_NONE = 0,
    ERR_INVALID,      /* bad input or configuration: do not retry */
    ERR_NOMEM,        /* allocation failed */
    ERR_IO,           /* file system */
    ERR_DATABASE,     /* PostgreSQL unreachable or failed */
    ERR_NETWORK,      /* connection, TLS, timeout: retryable */
    ERR_AUTH,         /* credentials rejected: fatal for the job, no retry */
    ERR_FORBIDDEN,    /* 403: permission missing, fails one step */
    ERR_NOT_FOUND,    /* 404 */
    ERR_THROTTLED,    /* 429 after retries were exhausted */
    ERR_CONFLICT,     /* state does not allow the operation */
    ERR_CANCELLED,    /* the job was cancelled or the process is draining */
    ERR_UPSTREAM,     /* another error answered by Azure or JupiterOne */
    ERR_INTERNAL      /* a bug: an invariant did not hold */
} err_kind;

typedef struct err_info {
    err_kind kind;
    int http_status;        /* HTTP status behind the error, 0 if none */
    char message[512];
    char hint[256];
} err_info;

/* Sets kind and message (printf-style); clears the hint.  Returns -1 so that
 * `return err_set(e, ...)` reads naturally.  `e` may be NULL. */
int err_set(err_info *e, err_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int err_setv(err_info *e, err_kind kind, const char *fmt, va_list ap);

/* Sets the hint (what the operator should do).  Returns -1. */
int err_hint(err_info *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prefixes the message with context: "loading config: <old message>". */
int err_prefix(err_info *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void err_clear(err_info *e);

/* Stable lower-case name of a kind, e.g. "forbidden", for logs and JSON. */
const char *err_kind_name(err_kind kind);

/* "message (hint)" or just "message", into buf. Returns buf. */
const char *err_describe(const err_info *e, char *buf, unsigned long size);

#endif
