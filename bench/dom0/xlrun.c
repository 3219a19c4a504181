/*
 * xlrun: create one domain in dom0 and time it, for bench/boot.sh and bench/memory.sh.
 * Built static on the host, staged into dom0 as /xt/bin/xlrun. It runs
 * `xl create -F CFG [KEY=VALUE...]` itself (so the clock starts just before the create)
 * and polls every 10 ms: xl's output for the domain id (the create is done), the
 * console log xenconsoled writes for the first complete line and for a marker text,
 * and xl's exit (the domain is gone).
 *
 *   xlrun [-t SECS] [-i MS] [-m TEXT [-x CMD]] [-r TEXT]... [-s PREFIX]... [-e REASON]
 *         NAME CFG [KEY=VALUE...]
 *     -t  give up after SECS (default 60): xl destroy NAME
 *     -i  poll interval in milliseconds (default 10)
 *     -m  time the first console line holding TEXT; -x then runs CMD (sh -c) in dom0
 *         once it is seen, and a failing CMD fails the run
 *     -r  TEXT must be on the console by the end (repeatable)
 *     -s  print the console lines that start with PREFIX (repeatable)
 *     -e  how the domain must end (default poweroff)
 *
 * Prints "xlrun NAME ok|fail created=S first=S marker=S gone=S reason=R [why]" (seconds
 * since just before the create, "-" if never seen), "first-line NAME| TEXT" and the lines
 * asked for with -s as "console NAME| TEXT". Exit status 0 only for "ok".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_LIST     16
#define LINE_MAX_LEN 1024

static const char *name, *marker, *marker_cmd, *expect = "poweroff";
static const char *required[MAX_LIST], *shown[MAX_LIST];
static int nrequired, nshown, found[MAX_LIST];
static double t_first = -1, t_marker = -1, t_created = -1, t_gone = -1;
static char first_line[LINE_MAX_LEN], why[512];
static char *show_buf;
static size_t show_len;
static int cmd_failed;

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void keep_shown(const char *line)
{
    size_t n = strlen(name) + strlen(line) + 16;
    show_buf = realloc(show_buf, show_len + n);
    if (show_buf)
        show_len += (size_t)sprintf(show_buf + show_len, "console %s| %s\n", name, line);
}

/* One complete console line, seen at time t (since the start). */
static void console_line(char *line, double t)
{
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\r' || line[n - 1] == '\n'))
        line[--n] = '\0';
    if (t_first < 0) {
        t_first = t;
        snprintf(first_line, sizeof(first_line), "%s", line);
    }
    if (marker && t_marker < 0 && strstr(line, marker)) {
        t_marker = t;
        if (marker_cmd) {
            int rc = system(marker_cmd);
            if (rc != 0) {
                cmd_failed = 1;
                snprintf(why, sizeof(why), "command after the marker failed (status %d)", rc);
            }
        }
    }
    for (int i = 0; i < nrequired; i++)
        found[i] |= strstr(line, required[i]) != NULL;
    for (int i = 0; i < nshown; i++)
        if (strncmp(line, shown[i], strlen(shown[i])) == 0)
            keep_shown(line);
}

/* Reads what xenconsoled appended since the last call. */
static void console_poll(const char *path, int *fd, char *cur, size_t *cur_len, double t)
{
    if (*fd < 0 && (*fd = open(path, O_RDONLY)) < 0)
        return;
    char chunk[4096];
    ssize_t r;
    while ((r = read(*fd, chunk, sizeof(chunk))) > 0) {
        for (ssize_t i = 0; i < r; i++) {
            if (chunk[i] == '\n') {
                cur[*cur_len] = '\0';
                console_line(cur, t);
                *cur_len = 0;
            } else if (*cur_len < LINE_MAX_LEN - 1) {
                cur[(*cur_len)++] = chunk[i];
            }
        }
    }
}

/* What xl create -F printed: the domain id once created, the last shutdown reason. */
static int xl_output(const char *path, int *reason)
{
    FILE *f = fopen(path, "r");
    char line[512];
    int created = 0;
    if (!f)
        return 0;
    while (fgets(line, sizeof(line), f)) {
        char *p = strstr(line, "reason code ");
        created |= strstr(line, "(domid ") != NULL;
        if (p)
            *reason = atoi(p + 12);
    }
    fclose(f);
    return created;
}

/* What xl said about a failed create: its first error line, else its last line. */
static void xl_error(const char *path, char *line, size_t size)
{
    FILE *f = fopen(path, "r");
    char l[256];
    int error = 0;
    line[0] = '\0';
    while (f && !error && fgets(l, sizeof(l), f)) {
        error = strstr(l, "error") != NULL;
        if (l[0] != '\n')
            snprintf(line, size, "%s", strtok(l, "\n"));
    }
    if (f)
        fclose(f);
}

static const char *reason_name(int code)
{
    static const char *names[] = {"poweroff", "reboot",   "suspend",
                                  "crash",    "watchdog", "soft_reset"};
    return code >= 0 && code < 6 ? names[code] : "none";
}

static void print_time(const char *key, double t)
{
    if (t < 0)
        printf(" %s=-", key);
    else
        printf(" %s=%.3f", key, t);
}

static int usage(void)
{
    fprintf(stderr, "usage: xlrun [-t SECS] [-i MS] [-m TEXT [-x CMD]] [-r TEXT]... "
                    "[-s PREFIX]... [-e REASON] NAME CFG [KEY=VALUE...]\n");
    return 2;
}

int main(int argc, char **argv)
{
    double timeout = 60;
    long interval_ms = 10;
    int opt;
    while ((opt = getopt(argc, argv, "+t:i:m:x:r:s:e:")) != -1) {
        switch (opt) {
        case 't':
            timeout = atof(optarg);
            break;
        case 'i':
            interval_ms = atol(optarg);
            break;
        case 'm':
            marker = optarg;
            break;
        case 'x':
            marker_cmd = optarg;
            break;
        case 'r':
            if (nrequired < MAX_LIST)
                required[nrequired++] = optarg;
            break;
        case 's':
            if (nshown < MAX_LIST)
                shown[nshown++] = optarg;
            break;
        case 'e':
            expect = optarg;
            break;
        default:
            return usage();
        }
    }
    if (argc - optind < 2)
        return usage();
    name = argv[optind];
    const char *cfg = argv[optind + 1];
    char log[256], out[256];
    snprintf(log, sizeof(log), "/var/log/xen/console/guest-%s.log", name);
    snprintf(out, sizeof(out), "/tmp/xlrun-%s.out", name);
    unlink(log);
    unlink(out); /* a stale one from an earlier run would look like this create done */

    char **xl_argv = calloc((size_t)(argc - optind) + 4, sizeof(char *));
    int k = 0;
    xl_argv[k++] = "xl";
    xl_argv[k++] = "create";
    xl_argv[k++] = "-F";
    xl_argv[k++] = (char *)cfg;
    for (int i = optind + 2; i < argc; i++)
        xl_argv[k++] = argv[i];

    double t0 = now();
    pid_t pid = fork();
    if (pid == 0) {
        int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644), n = open("/dev/null", O_RDONLY);
        dup2(n, 0);
        dup2(o, 1);
        dup2(o, 2);
        execvp("xl", xl_argv);
        _exit(127);
    }
    if (pid < 0) {
        perror("xlrun: fork");
        return 1;
    }

    int fd = -1, reason = -1, status = 0, timed_out = 0;
    char cur[LINE_MAX_LEN];
    size_t cur_len = 0;
    struct timespec tick = {.tv_sec = interval_ms / 1000, .tv_nsec = interval_ms % 1000 * 1000000L};
    for (;;) {
        double t = now() - t0;
        if (t_created < 0 && xl_output(out, &reason))
            t_created = t;
        console_poll(log, &fd, cur, &cur_len, t);
        if (waitpid(pid, &status, WNOHANG) == pid) {
            t_gone = now() - t0;
            break;
        }
        if (t > timeout) {
            timed_out = 1;
            char cmd[300];
            snprintf(cmd, sizeof(cmd), "xl destroy %s >/dev/null 2>&1", name);
            if (system(cmd) != 0)
                kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            break;
        }
        nanosleep(&tick, NULL);
    }
    console_poll(log, &fd, cur, &cur_len, now() - t0); /* the last words */
    if (cur_len) {
        cur[cur_len] = '\0';
        console_line(cur, now() - t0);
    }
    xl_output(out, &reason);

    const char *end = timed_out ? "timeout" : reason_name(reason);
    if (!why[0] && timed_out)
        snprintf(why, sizeof(why), "still running after %.0f s", timeout);
    if (!why[0] && t_created < 0) {
        char l[256];
        xl_error(out, l, sizeof(l));
        snprintf(why, sizeof(why), "xl create failed: %s", l);
    }
    if (!why[0] && strcmp(end, expect) != 0)
        snprintf(why, sizeof(why), "ended with %s, expected %s", end, expect);
    if (!why[0] && marker && t_marker < 0)
        snprintf(why, sizeof(why), "marker never seen: %s", marker);
    for (int i = 0; i < nrequired && !why[0]; i++)
        if (!found[i])
            snprintf(why, sizeof(why), "missing on the console: %s", required[i]);
    int ok = !why[0] && !cmd_failed;

    printf("xlrun %s %s", name, ok ? "ok" : "fail");
    print_time("created", t_created);
    print_time("first", t_first);
    print_time("marker", t_marker);
    print_time("gone", t_gone);
    printf(" reason=%s%s%s\n", end, why[0] ? " " : "", why);
    if (t_first >= 0)
        printf("first-line %s| %s\n", name, first_line);
    if (show_buf)
        fwrite(show_buf, 1, show_len, stdout);
    return ok ? 0 : 1;
}
