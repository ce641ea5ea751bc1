/*
 * timefmt: see timefmt.h.  Parsing is hand-written (strptime is locale- and
 * platform-dependent and does not do fractions or offsets).
 */
#include "common/timefmt.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

int64_t timefmt_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t timefmt_monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool digits(const char *p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)p[i]))
            return false;
        v = v * 10 + (p[i] - '0');
    }
    *out = v;
    return true;
}

/* Days from civil (Howard Hinnant's algorithm), valid for all Gregorian dates. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

bool timefmt_parse_iso8601_ms(const char *s, int64_t *out_ms)
{
    if (!s)
        return false;
    int year, month, day, hour = 0, minute = 0, second = 0;
    if (strlen(s) < 10 || !digits(s, 4, &year) || s[4] != '-' || !digits(s + 5, 2, &month) ||
        s[7] != '-' || !digits(s + 8, 2, &day))
        return false;
    if (month < 1 || month > 12 || day < 1 || day > 31)
        return false;
    const char *p = s + 10;
    int64_t frac_ms = 0;
    int offset_min = 0;
    if (*p == 'T' || *p == 't' || *p == ' ') {
        p++;
        if (!digits(p, 2, &hour) || p[2] != ':' || !digits(p + 3, 2, &minute))
            return false;
        p += 5;
        if (*p == ':') {
            if (!digits(p + 1, 2, &second))
                return false;
            p += 3;
        }
        if (hour > 24 || minute > 59 || second > 60)
            return false;
        if (*p == '.' || *p == ',') {
            p++;
            int n = 0;
            while (isdigit((unsigned char)*p)) {
                if (n < 3)
                    frac_ms = frac_ms * 10 + (*p - '0');
                n++;
                p++;
            }
            if (n == 0)
                return false;
            for (; n < 3; n++)
                frac_ms *= 10;
        }
        if (*p == 'Z' || *p == 'z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            int sign = *p == '-' ? -1 : 1;
            int oh, om = 0;
            if (!digits(p + 1, 2, &oh))
                return false;
            p += 3;
            if (*p == ':')
                p++;
            if (isdigit((unsigned char)*p)) {
                if (!digits(p, 2, &om))
                    return false;
                p += 2;
            }
            offset_min = sign * (oh * 60 + om);
        }
    }
    if (*p != '\0')
        return false;
    int64_t days = days_from_civil(year, month, day);
    int64_t secs = days * 86400 + hour * 3600 + minute * 60 + second - (int64_t)offset_min * 60;
    *out_ms = secs * 1000 + frac_ms;
    return true;
}

void timefmt_rfc3339(int64_t ms, char *buf, size_t size)
{
    time_t secs = (time_t)(ms / 1000);
    int rem = (int)(ms % 1000);
    if (rem < 0) {
        rem += 1000;
        secs -= 1;
    }
    struct tm tm;
    gmtime_r(&secs, &tm);
    char base[32];
    strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, size, "%s.%03dZ", base, rem);
}

bool timefmt_parse_http_date(const char *text, int64_t *out_seconds)
{
    static const char *months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    if (!text)
        return false;
    char wday[4], mon[4];
    int day, year, hh, mm, ss;
    int used = -1;
    if (sscanf(text, "%3s, %d %3s %d %d:%d:%d GMT%n", wday, &day, mon, &year, &hh, &mm, &ss,
               &used) != 7 || used < 0)
        return false;
    while (isspace((unsigned char)text[used]))
        used++;
    if (text[used] != '\0')
        return false; /* nothing may follow "GMT" */
    int month = 0;
    for (int i = 0; i < 12; i++)
        if (strcasecmp(mon, months[i]) == 0)
            month = i + 1;
    if (!month || day < 1 || day > 31 || hh > 23 || mm > 59 || ss > 60)
        return false;
    *out_seconds = days_from_civil(year, month, day) * 86400 + hh * 3600 + mm * 60 + ss;
    return true;
}

int64_t timefmt_retry_after_ms(const char *value, int64_t now_s)
{
    const int64_t day = 86400;
    if (!value)
        return -1;
    while (isspace((unsigned char)*value))
        value++;
    if (*value == '\0')
        return -1;
    if (isdigit((unsigned char)*value)) {
        errno = 0;
        char *end = NULL;
        long long s = strtoll(value, &end, 10);
        while (end && isspace((unsigned char)*end))
            end++;
        if (errno != 0 || !end || *end != '\0' || s < 0)
            return -1;
        return (s > day ? day : (int64_t)s) * 1000;
    }
    int64_t at;
    if (!timefmt_parse_http_date(value, &at))
        return -1;
    int64_t d = at > now_s ? at - now_s : 0;
    return (d > day ? day : d) * 1000;
}
