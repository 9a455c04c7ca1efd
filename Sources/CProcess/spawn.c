// fork/exec for agents and services. Written in C because what the child must do between
// fork and exec (own session, parent-death signal, clean signal state) has no Swift spelling.
#define _GNU_SOURCE
#include "CProcess.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static void close_from(int lowest) {
#ifdef SYS_close_range
    if (syscall(SYS_close_range, lowest, ~0U, 0) == 0) return;
#endif
    for (int fd = lowest; fd < 4096; fd++) close(fd);
}

/* In the child: never returns. Only async-signal-safe calls. */
static void become(const cs_spawn_options *o, int report_fd) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    for (int s = 1; s < NSIG; s++) {
        if (s != SIGKILL && s != SIGSTOP) signal(s, SIG_DFL);
    }
    if (o->new_session) setsid();
    if (o->parent_death_signal) prctl(PR_SET_PDEATHSIG, o->parent_death_signal);
    int in = open("/dev/null", O_RDONLY);
    int out = o->stdout_path ? open(o->stdout_path, O_WRONLY | O_CREAT | O_APPEND, 0644)
                             : open("/dev/null", O_WRONLY);
    int err = o->stderr_path ? open(o->stderr_path, O_WRONLY | O_CREAT | O_APPEND, 0644) : out;
    if (in < 0 || out < 0 || err < 0) goto fail;
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    if (report_fd >= 0 && report_fd <= 2) goto fail;
    if (o->cwd && chdir(o->cwd) != 0) goto fail;
    if (report_fd >= 0) {
        /* keep the report pipe (close-on-exec) so a failed exec can say why */
        int keep = fcntl(report_fd, F_DUPFD_CLOEXEC, 3);
        close_from(keep + 1);
        for (int fd = 3; fd < keep; fd++) close(fd);
        report_fd = keep;
    } else {
        close_from(3);
    }
    char *const *env = o->envp ? o->envp : environ;
    if (strchr(o->path, '/')) execve(o->path, o->argv, env);
    else execvpe(o->path, o->argv, env);
fail:;
    int e = errno;
    if (report_fd >= 0) { ssize_t w = write(report_fd, &e, sizeof e); (void)w; }
    _exit(127);
}

pid_t cs_spawn(const cs_spawn_options *o, int *error) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) { *error = errno; return -1; }
    pid_t pid = fork();
    if (pid < 0) { *error = errno; close(fds[0]); close(fds[1]); return -1; }
    if (pid == 0) {
        close(fds[0]);
        if (o->detach) {
            pid_t grandchild = fork();
            if (grandchild < 0) _exit(127);
            if (grandchild > 0) {
                /* tell the parent the grandchild's pid, then leave it to init */
                int32_t tag = -1;
                ssize_t w = write(fds[1], &tag, sizeof tag);
                int32_t g = grandchild;
                w = write(fds[1], &g, sizeof g);
                (void)w;
                _exit(0);
            }
            become(o, fds[1]);
        }
        become(o, fds[1]);
    }
    close(fds[1]);
    pid_t result = pid;
    int32_t word;
    ssize_t n = read(fds[0], &word, sizeof word);
    if (o->detach) {
        int status;
        waitpid(pid, &status, 0);
        if (n == sizeof word && word == -1) {
            int32_t g = 0;
            if (read(fds[0], &g, sizeof g) == sizeof g) result = g;
            else { *error = EIO; close(fds[0]); return -1; }
            n = read(fds[0], &word, sizeof word); /* the grandchild's exec report, if any */
        } else {
            *error = n == sizeof word ? word : EIO;
            close(fds[0]);
            return -1;
        }
    }
    close(fds[0]);
    if (n == sizeof word) {
        /* exec failed: the child wrote errno */
        *error = word;
        if (!o->detach) waitpid(pid, NULL, 0);
        return -1;
    }
    return result;
}

void cs_block_signals(const int *signals, int count) {
    sigset_t set;
    sigemptyset(&set);
    for (int i = 0; i < count; i++) sigaddset(&set, signals[i]);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
}

int cs_wait_signal(const int *signals, int count, double seconds) {
    sigset_t set;
    sigemptyset(&set);
    for (int i = 0; i < count; i++) sigaddset(&set, signals[i]);
    if (seconds < 0) seconds = 0;
    struct timespec ts;
    ts.tv_sec = (time_t)seconds;
    ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
    int s = sigtimedwait(&set, NULL, &ts);
    return s < 0 ? 0 : s;
}
