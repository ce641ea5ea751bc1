/* proc_child: see proc_child.h. */
#include "support/proc_child.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

struct proc_child {
    pid_t pid;
    bool exited;
    int status;
    struct rusage usage;   /* valid once exited */
};

/* ---- registry of live children (killed at exit) ------------------------- */

#define PROC_MAX_LIVE 256
static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static pid_t g_live[PROC_MAX_LIVE];
static bool g_atexit_set;

static void kill_all_at_exit(void)
{
    pthread_mutex_lock(&g_mu);
    for (size_t i = 0; i < PROC_MAX_LIVE; i++)
        if (g_live[i] > 0) {
            kill(g_live[i], SIGKILL);
            waitpid(g_live[i], NULL, 0);
            g_live[i] = 0;
        }
    pthread_mutex_unlock(&g_mu);
}

static bool registry_add(pid_t pid)
{
    bool ok = false;
    pthread_mutex_lock(&g_mu);
    if (!g_atexit_set)
        g_atexit_set = atexit(kill_all_at_exit) == 0;
    for (size_t i = 0; i < PROC_MAX_LIVE && !ok; i++)
        if (g_live[i] == 0) {
            g_live[i] = pid;
            ok = true;
        }
    pthread_mutex_unlock(&g_mu);
    return ok;
}

static void registry_remove(pid_t pid)
{
    pthread_mutex_lock(&g_mu);
    for (size_t i = 0; i < PROC_MAX_LIVE; i++)
        if (g_live[i] == pid)
            g_live[i] = 0;
    pthread_mutex_unlock(&g_mu);
}

/* ---- environment ------------------------------------------------------- */

static size_t name_len(const char *kv)
{
    const char *eq = strchr(kv, '=');
    return eq ? (size_t)(eq - kv) : strlen(kv);
}

static bool overridden(const char *kv, const char *const *env)
{
    size_t n = name_len(kv);
    for (size_t i = 0; env && env[i]; i++)
        if (name_len(env[i]) == n && strncmp(env[i], kv, n) == 0)
            return true;
    return false;
}

/* NULL-terminated array of pointers into environ and env (not copies). */
static char **build_env(const char *const *env)
{
    size_t n = 0, m = 0;
    while (environ && environ[n])
        n++;
    while (env && env[m])
        m++;
    char **out = calloc(n + m + 1, sizeof *out);
    if (!out)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!overridden(environ[i], env))
            out[k++] = environ[i];
    for (size_t i = 0; i < m; i++)
        if (strchr(env[i], '='))
            out[k++] = (char *)env[i];
    return out;
}

/* ---- lifecycle --------------------------------------------------------- */

proc_child *proc_child_start(const char *const *argv, const char *const *env,
                             const char *log_path)
{
    proc_child *c = calloc(1, sizeof *c);
    char **envp = build_env(env);
    int log_fd = -1, null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (!c || !envp || null_fd < 0) {
        fprintf(stderr, "proc_child: out of memory or no /dev/null starting %s\n", argv[0]);
        goto fail;
    }
    if (log_path) {
        log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (log_fd < 0) {
            fprintf(stderr, "proc_child: cannot open log %s: %s\n", log_path, strerror(errno));
            goto fail;
        }
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "proc_child: fork failed for %s: %s\n", argv[0], strerror(errno));
        goto fail;
    }
    if (pid == 0) {
        /* child: async-signal-safe calls only */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        dup2(null_fd, STDIN_FILENO);
        if (log_fd >= 0) {
            dup2(log_fd, STDOUT_FILENO);
            dup2(log_fd, STDERR_FILENO);
        }
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        execve(argv[0], (char *const *)argv, envp);
        static const char msg[] = "proc_child: execve failed\n";
        ssize_t w = write(STDERR_FILENO, msg, sizeof msg - 1);
        (void)w;
        _exit(127);
    }
    c->pid = pid;
    if (!registry_add(pid))
        fprintf(stderr, "proc_child: more than %d live children; %d is not killed at exit\n",
                PROC_MAX_LIVE, (int)pid);
    free(envp);
    close(null_fd);
    if (log_fd >= 0)
        close(log_fd);
    return c;
fail:
    free(envp);
    if (null_fd >= 0)
        close(null_fd);
    if (log_fd >= 0)
        close(log_fd);
    free(c);
    return NULL;
}

pid_t proc_child_pid(const proc_child *c) { return c->pid; }

static bool reap(proc_child *c, int flags)
{
    if (c->exited)
        return true;
    int st = 0;
    pid_t r;
    do
        r = wait4(c->pid, &st, flags, &c->usage);
    while (r < 0 && errno == EINTR);
    if (r == c->pid || (r < 0 && errno == ECHILD)) {
        c->exited = true;
        c->status = r == c->pid ? st : 0;
        registry_remove(c->pid);
        return true;
    }
    return false;
}

bool proc_child_running(proc_child *c) { return !reap(c, WNOHANG); }

int proc_child_signal(proc_child *c, int sig)
{
    if (!proc_child_running(c))
        return -1;
    return kill(c->pid, sig);
}

int proc_child_wait(proc_child *c, int timeout_ms, int *wait_status)
{
    long long end = proc_now_ms() + timeout_ms;
    for (;;) {
        if (reap(c, WNOHANG)) {
            if (wait_status)
                *wait_status = c->status;
            return 1;
        }
        if (proc_now_ms() >= end)
            return 0;
        proc_sleep_ms(20);
    }
}

int proc_child_status(const proc_child *c) { return c->exited ? c->status : 0; }

void proc_child_free(proc_child *c)
{
    if (!c)
        return;
    if (!reap(c, WNOHANG)) {
        kill(c->pid, SIGKILL);
        reap(c, 0);
    }
    free(c);
}

long long proc_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void proc_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

int proc_child_usage(const proc_child *c, double *cpu_s, long *peak_rss_kb)
{
    if (c->exited) {
        *cpu_s = (double)c->usage.ru_utime.tv_sec + c->usage.ru_utime.tv_usec / 1e6 +
                 (double)c->usage.ru_stime.tv_sec + c->usage.ru_stime.tv_usec / 1e6;
        *peak_rss_kb = c->usage.ru_maxrss;
        return 0;
    }
    char path[64], buf[4096];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)c->pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *p = strrchr(buf, ')');   /* comm may hold spaces */
    unsigned long ut = 0, st = 0;
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
        return -1;
    *cpu_s = (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
    snprintf(path, sizeof path, "/proc/%d/status", (int)c->pid);
    f = fopen(path, "r");
    if (!f)
        return -1;
    *peak_rss_kb = -1;
    while (fgets(buf, sizeof buf, f))
        if (strncmp(buf, "VmHWM:", 6) == 0)
            *peak_rss_kb = strtol(buf + 6, NULL, 10);
    fclose(f);
    return *peak_rss_kb >= 0 ? 0 : -1;
}
