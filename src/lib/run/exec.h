/*
 * Running one stage as a child process: argv (never a shell), a clean
 * environment, its own process group, budgets enforced, stdout and
 * stderr to files, resource use measured. The child dies with the
 * runner (PR_SET_PDEATHSIG), so a killed runner leaves no stage behind.
 */
#ifndef ARCA_RUN_EXEC_H
#define ARCA_RUN_EXEC_H

#include <stdint.h>
#include <sys/types.h>
#include "arca/error.h"

/* How often the memory sampler reads the group's resident set when a
 * memory budget is set (without one, every 250 ms, for max_rss). */
#define ARCA_EXEC_SAMPLE_MS 50

typedef struct arca_exec_opts {
	char *const *argv;      /* argv[0] is looked up in PATH of envp if it has no '/' */
	char *const *envp;      /* the complete environment of the child */
	const char *cwd;        /* working directory */
	const char *stdout_path; /* created/truncated, 0600; NULL: /dev/null */
	const char *stderr_path; /* may name the same file as stdout_path */
	int64_t wall_ms;        /* 0: no limit. Then SIGTERM to the group, */
	int64_t term_grace_ms;  /* and SIGKILL after this (0: 5000) */
	int64_t cpu_s;          /* 0: no limit (RLIMIT_CPU; SIGXCPU, then SIGKILL) */
	uint64_t memory;        /* bytes, 0: no limit: the group's resident set */
	/* Optional: called in the caller's thread once the program runs
	 * (after exec succeeded), with its pid (= its process group id). */
	void (*on_start)(pid_t pid, void *payload);
	void *payload;
} arca_exec_opts;

typedef enum arca_exec_end {
	ARCA_EXEC_EXITED = 1,   /* exit_code holds the status (0 = success) */
	ARCA_EXEC_SIGNALED,     /* killed by signal (not by us) */
	ARCA_EXEC_TIMEOUT,      /* wall-clock budget exceeded; we killed it */
	ARCA_EXEC_CPU,          /* CPU budget exceeded */
	ARCA_EXEC_MEMORY,       /* memory budget exceeded: the sampler killed
	                         * it, or its ru_maxrss shows it went over
	                         * between two samples (or the kernel's OOM
	                         * killer stopped it) */
	ARCA_EXEC_NOT_STARTED   /* exec failed (no such program, ...) */
} arca_exec_end;

typedef struct arca_exec_result {
	arca_exec_end end;
	int exit_code;          /* EXITED */
	int signal;             /* SIGNALED, and the final signal otherwise */
	int64_t start_ns, end_ns; /* CLOCK_REALTIME */
	int64_t wall_ns;        /* CLOCK_MONOTONIC difference */
	int64_t user_us, sys_us; /* rusage of the child and its waited-for descendants */
	uint64_t max_rss;       /* bytes: peak resident set (the largest of
	                         * ru_maxrss and what the sampler saw for the group) */
	char message[256];      /* one line for people: "exit status 2",
	                         * "killed by signal 11 (Segmentation fault)",
	                         * "exceeded its wall-clock budget of 2s;
	                         * terminated", "exceeded its memory budget of
	                         * 64 MiB (peak 70 MiB); killed", "exceeded its
	                         * CPU budget of 1s", "cannot run 'trainx': No
	                         * such file or directory" */
} arca_exec_result;

/* A short name for end: "exited", "signaled", "timeout", "cpu",
 * "memory", "not-started". */
const char *arca_exec_end_name(arca_exec_end e);

/*
 * Runs the child to completion and fills *res. Returns 0 whenever the
 * child ran or failed to start (see res->end); <0 only for failures of
 * the runner itself (cannot fork, cannot open the log files), with err.
 * Safe to call from a process with other threads (the child calls only
 * async-signal-safe functions between fork and exec; no global state).
 *
 * - argv[0] without '/' is looked up in envp's PATH (default
 *   "/usr/bin:/bin") before fork; empty and relative PATH entries are
 *   skipped (never a program from the stage's own directory by accident).
 * - The child starts with default signal dispositions, an empty signal
 *   mask, stdin from /dev/null, RLIMIT_CORE 0 and, with cpu_s, RLIMIT_CPU
 *   cpu_s (hard cpu_s + 2). RLIMIT_CPU counts per process.
 * - Memory is not limited with RLIMIT_AS/RLIMIT_DATA (they count
 *   reservations, not use, and turn an overrun into an allocation
 *   failure nobody can attribute): a sampler sums the resident sets of
 *   the group every ARCA_EXEC_SAMPLE_MS and SIGKILLs the group above the
 *   budget. An overrun faster than one interval is still reported
 *   (ru_maxrss), after the fact.
 * - When the program ends, whatever is left in its process group (a
 *   daemonized grandchild, a background job) is SIGKILLed and waited
 *   for (up to 5 s), so nothing of a stage outlives it. Processes that
 *   left the group (setsid) escape this and the memory sampler.
 * - PR_SET_PDEATHSIG fires when the thread that called this function
 *   exits, which it cannot while it waits here; it reaches the program
 *   itself, not its descendants.
 * - The caller must not reap children it did not start (waitpid(-1)) in
 *   another thread while this runs.
 */
int arca_exec_run(arca_exec_result *res, const arca_exec_opts *o,
	arca_error *err);

#endif
