#ifndef CSYSTEM_H
#define CSYSTEM_H
#include <sys/types.h>

/* How to start a process. Strings are NUL-terminated; arrays end with NULL. */
typedef struct {
    const char *path;          /* executable path (searched in PATH when it has no '/') */
    char *const *argv;
    char *const *envp;         /* NULL: inherit */
    const char *cwd;           /* NULL: inherit */
    const char *stdout_path;   /* appended to; NULL: /dev/null */
    const char *stderr_path;   /* appended to; NULL: same file as stdout */
    int new_session;           /* setsid(): own session and process group */
    int parent_death_signal;   /* signal sent when the spawning thread dies; 0 for none */
    int detach;                /* double fork: reparented away, never our zombie */
} cs_spawn_options;

/* Starts a process; returns its pid, or -1 with errno in *error. */
pid_t cs_spawn(const cs_spawn_options *options, int *error);

/* Blocks the given signals in this thread (and threads it starts), to be taken by cs_wait_signal. */
void cs_block_signals(const int *signals, int count);
/* Waits up to `seconds` for one of the blocked signals; returns it, or 0 on timeout. */
int cs_wait_signal(const int *signals, int count, double seconds);

/* Makes stdout line-buffered, so every line reaches a pipe or a file when it is printed
   (`stdout` is a C global that Swift 6 refuses to touch). */
void cs_stdout_line_buffered(void);

#endif
