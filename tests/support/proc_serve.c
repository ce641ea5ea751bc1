/* proc_serve: see proc_serve.h. */
#include "support/proc_serve.h"

#include "support/proc_http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

struct proc_serve {
    proc_child *child;
    char url[64];
    char *log_path;
};

int proc_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return 0;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    int port = 0;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    close(fd);
    return port;
}

const char *proc_serve_binary(void)
{
    static char path[4096];
    const char *bin = getenv("AI_SERVE_BIN");
    const char *dir = getenv("AI_BINARY_DIR");
    if (bin && *bin)
        snprintf(path, sizeof path, "%s", bin);
    else if (dir && *dir)
        snprintf(path, sizeof path, "%s/azure-integration", dir);
    else
        snprintf(path, sizeof path, "./azure-integration");
    return path;
}

char *proc_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t r = fread(buf + n, 1, cap - n - 1, f);
        n += r;
        if (n + 1 < cap)
            break;
        char *b = realloc(buf, cap * 2);
        if (!b) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = b;
        cap *= 2;
    }
    fclose(f);
    if (buf) {
        buf[n] = '\0';
        if (len)
            *len = n;
    }
    return buf;
}

size_t proc_count(const char *hay, size_t len, const char *needle)
{
    size_t n = strlen(needle), count = 0;
    if (!n || !hay)
        return 0;
    for (const char *p = hay; (p = memmem(p, len - (size_t)(p - hay), needle, n)) != NULL; p += n)
        count++;
    return count;
}

static void print_log_tail(const char *path)
{
    size_t len = 0;
    char *log = path ? proc_read_file(path, &len) : NULL;
    if (log) {
        size_t from = len > 4000 ? len - 4000 : 0;
        fprintf(stderr, "---- last lines of %s ----\n%s\n----\n", path, log + from);
    }
    free(log);
}

proc_serve *proc_serve_start(const proc_serve_options *o)
{
    proc_serve *s = calloc(1, sizeof *s);
    int port = proc_free_port();
    if (!s || !port) {
        fprintf(stderr, "proc_serve: no memory or no free port\n");
        free(s);
        return NULL;
    }
    snprintf(s->url, sizeof s->url, "http://127.0.0.1:%d", port);
    s->log_path = o->log_path ? strdup(o->log_path) : NULL;

    enum { N = 24 };
    char kv[N][1024];
    const char *env[N + 64];
    size_t k = 0;
#define ENV(...) do { snprintf(kv[k], sizeof kv[k], __VA_ARGS__); env[k] = kv[k]; k++; } while (0)
    ENV("HTTP_ADDR=127.0.0.1:%d", port);
    ENV("DATABASE_URL=%s", o->database_url ? o->database_url : "");
    ENV("WEBHOOK_SECRET=%s", o->webhook_secret ? o->webhook_secret : "");
    ENV("CONFIG_ENCRYPTION_KEY=%s", o->encryption_key ? o->encryption_key : "");
    if (o->j1_url)
        ENV("J1_API_BASE_URL=%s", o->j1_url);
    if (o->j1_api_key)
        ENV("J1_API_KEY=%s", o->j1_api_key);
    if (o->azure_url) {
        ENV("AZURE_AUTHORITY_HOST=%s", o->azure_url);
        ENV("AZURE_GRAPH_ENDPOINT=%s", o->azure_url);
        ENV("AZURE_RESOURCE_MANAGER_ENDPOINT=%s", o->azure_url);
        ENV("AZURE_STORAGE_URL_TEMPLATE=%s/__storage/{account}/{service}", o->azure_url);
    }
    if (o->worker_threads >= 0)
        ENV("WORKER_THREADS=%d", o->worker_threads);
    if (o->lease_seconds > 0)
        ENV("JOB_LEASE_SECONDS=%d", o->lease_seconds);
    if (o->max_attempts > 0)
        ENV("JOB_MAX_ATTEMPTS=%d", o->max_attempts);
    if (o->log_level)
        ENV("LOG_LEVEL=%s", o->log_level);
#undef ENV
    size_t e = k;
    for (size_t i = 0; o->extra_env && o->extra_env[i] && e < N + 63; i++)
        env[e++] = o->extra_env[i];
    env[e] = NULL;
    const char *argv[] = {proc_serve_binary(), "serve", NULL};
    s->child = proc_child_start(argv, env, o->log_path);
    if (!s->child) {
        proc_serve_free(s);
        return NULL;
    }

    char url[128];
    snprintf(url, sizeof url, "%s/readyz", s->url);
    long long end = proc_now_ms() + (o->ready_timeout_ms > 0 ? o->ready_timeout_ms : 120000);
    proc_http_answer a = {0};
    bool ready = false;
    while (!ready && proc_now_ms() < end && proc_child_running(s->child)) {
        ready = proc_http_get(url, 5000, &a) == 0 && a.status == 200;
        if (!ready)
            proc_sleep_ms(100);
    }
    proc_http_answer_free(&a);
    if (!ready) {
        if (proc_child_running(s->child))
            fprintf(stderr, "proc_serve: %s serve was not ready within the timeout\n", argv[0]);
        else
            fprintf(stderr, "proc_serve: %s serve exited (wait status %d) before it was ready\n",
                    argv[0], proc_child_status(s->child));
        print_log_tail(o->log_path);
        proc_serve_free(s);
        return NULL;
    }
    return s;
}

const char *proc_serve_url(const proc_serve *s) { return s->url; }
proc_child *proc_serve_child(proc_serve *s) { return s->child; }

void proc_serve_kill9(proc_serve *s)
{
    proc_child_signal(s->child, SIGKILL);
    proc_child_wait(s->child, 30000, NULL);
}

int proc_serve_term(proc_serve *s, int timeout_ms, int *exit_code, long long *elapsed_ms)
{
    long long t0 = proc_now_ms();
    proc_child_signal(s->child, SIGTERM);
    int st = 0;
    int r = proc_child_wait(s->child, timeout_ms, &st);
    if (elapsed_ms)
        *elapsed_ms = proc_now_ms() - t0;
    if (r == 1 && exit_code)
        *exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return r;
}

void proc_serve_free(proc_serve *s)
{
    if (!s)
        return;
    proc_child_free(s->child);
    free(s->log_path);
    free(s);
}
