/*
 * timefmt: clocks and the two time formats the service speaks.
 *
 * Azure sends ISO 8601 with up to 7 fractional digits and any offset
 * ("2020-01-06T19:24:46.3139845+00:00"); JupiterOne wants epoch
 * milliseconds (fraction truncated, as JavaScript's Date does); the HTTP API
 * answers RFC 3339 UTC with milliseconds.
 */
#ifndef AI_COMMON_TIMEFMT_H
#define AI_COMMON_TIMEFMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

int64_t timefmt_now_ms(void);          /* wall clock, epoch ms */
int64_t timefmt_monotonic_ms(void);    /* for durations and deadlines */

/* Parses ISO 8601 / RFC 3339 date-time (or a date "YYYY-MM-DD") to epoch ms.
 * Returns false when text is not such a date. */
bool timefmt_parse_iso8601_ms(const char *text, int64_t *out_ms);

/* Formats epoch ms as "YYYY-MM-DDTHH:MM:SS.mmmZ" into buf (>= 25 bytes). */
void timefmt_rfc3339(int64_t ms, char *buf, size_t size);

/* Parses an HTTP-date (RFC 7231 IMF-fixdate) to epoch seconds. */
bool timefmt_parse_http_date(const char *text, int64_t *out_seconds);

/* The wait a Retry-After header value asks for (RFC 9110 10.2.3), in ms:
 * delta-seconds ("120", blanks around allowed) or an HTTP-date relative to
 * now_s (0 when past); capped at a day.  -1 when value is NULL, empty or
 * unreadable.  Shared by the Azure and JupiterOne clients. */
int64_t timefmt_retry_after_ms(const char *value, int64_t now_s);

#endif
