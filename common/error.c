/*
 * error: see error.h.  Messages are truncated, never overflowed; a truncated
 * message ends with "..." so an operator can tell.
 */
#include "common/error.h"

#include <stdio.h>
#include <string.h>

static void mark_truncated(char *buf, size_t size, int written)
{
    if (written >= 0 && (size_t)written >= size && size > 4)
        memcpy(buf + size - 4, "...", 4);
}

int err_setv(err_info *e, err_kind kind, const char *fmt, va_list ap)
{
    if (!e)
        return -1;
    e->kind = kind;
    e->http_status = 0;
    e->hint[0] = '\0';
    int n = vsnprintf(e->message, sizeof e->message, fmt, ap);
    mark_truncated(e->message, sizeof e->message, n);
    return -1;
}

int err_set(err_info *e, err_kind kind, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    err_setv(e, kind, fmt, ap);
    va_end(ap);
    return -1;
}

int err_hint(err_info *e, const char *fmt, ...)
{
    if (!e)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(e->hint, sizeof e->hint, fmt, ap);
    va_end(ap);
    mark_truncated(e->hint, sizeof e->hint, n);
    return -1;
}

int err_prefix(err_info *e, const char *fmt, ...)
{
    if (!e)
        return -1;
    char prefix[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    char old[sizeof e->message];
    memcpy(old, e->message, sizeof old);
    int n = snprintf(e->message, sizeof e->message, "%s: %s", prefix, old);
    mark_truncated(e->message, sizeof e->message, n);
    return -1;
}

void err_clear(err_info *e)
{
    if (!e)
        return;
    e->kind = ERR_NONE;
    e->http_status = 0;
    e->message[0] = '\0';
    e->hint[0] = '\0';
}

const char *err_kind_name(err_kind kind)
{
    switch (kind) {
    case ERR_NONE: return "none";
    case ERR_INVALID: return "invalid";
    case ERR_NOMEM: return "out_of_memory";
    case ERR_IO: return "io";
    case ERR_DATABASE: return "database";
    case ERR_NETWORK: return "network";
    case ERR_AUTH: return "authentication";
    case ERR_FORBIDDEN: return "forbidden";
    case ERR_NOT_FOUND: return "not_found";
    case ERR_THROTTLED: return "throttled";
    case ERR_CONFLICT: return "conflict";
    case ERR_CANCELLED: return "cancelled";
    case ERR_UPSTREAM: return "upstream";
    case ERR_INTERNAL: return "internal";
    }
    return "unknown";
}

const char *err_describe(const err_info *e, char *buf, unsigned long size)
{
    if (!buf || size == 0)
        return "";
    if (!e) {
        buf[0] = '\0';
        return buf;
    }
    int n;
    if (e->hint[0])
        n = snprintf(buf, size, "%s (hint: %s)", e->message, e->hint);
    else
        n = snprintf(buf, size, "%s", e->message);
    mark_truncated(buf, size, n);
    return buf;
}
