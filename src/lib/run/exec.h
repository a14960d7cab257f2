/*
 * Running one stage as a child process: argv (never a shell), a clean
 * environment, its own process group, budgets enforced, stdout and
 * stderr to files, resource use measured. The child dies with the
 * runner (PR_SET_PDEATHSIG), so a killed runner leaves no stage behind.
 */
#ifndef ARCA_RUN_EXEC_H
#define ARCA_RUN_EXEC_H

#include <stdint.h>
#include "arca/error.h"

typedef struct arca_exec_opts {
	char *const *argv;      /* argv[0] is looked up in PATH of envp if it has no '/' */
	char *const *envp;      /* the complete environment of the child */
	const char *cwd;        /* working directory */
	const char *stdout_path; /* created/truncated, 0600 */
	const char *stderr_path;
	int64_t wall_ms;        /* 0: no limit. Then SIGTERM to the group, */
	int64_t term_grace_ms;  /* and SIGKILL after this (0: 5000) */
	int64_t cpu_s;          /* 0: no limit (RLIMIT_CPU; SIGXCPU, then SIGKILL) */
	uint64_t memory;        /* bytes, 0: no limit: the group's resident set */
} arca_exec_opts;

typedef enum arca_exec_end {
	ARCA_EXEC_EXITED = 1,   /* exit_code holds the status (0 = success) */
	ARCA_EXEC_SIGNALED,     /* killed by signal (not by us) */
	ARCA_EXEC_TIMEOUT,      /* wall-clock budget exceeded; we killed it */
	ARCA_EXEC_CPU,          /* CPU budget exceeded */
	ARCA_EXEC_MEMORY,       /* memory budget exceeded; we killed it */
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
	                         * "killed: exceeded its memory budget of 64 MiB
	                         * (peak 70 MiB)", "no such program 'trainx'" */
} arca_exec_result;

/* A short name for end: "exited", "signaled", "timeout", "cpu",
 * "memory", "not-started". */
const char *arca_exec_end_name(arca_exec_end e);

/*
 * Runs the child to completion and fills *res. Returns 0 whenever the
 * child ran or failed to start (see res->end); <0 only for failures of
 * the runner itself (cannot fork, cannot open the log files), with err.
 * Safe to call from a process with other threads (the child calls only
 * async-signal-safe functions between fork and exec).
 */
int arca_exec_run(arca_exec_result *res, const arca_exec_opts *o,
	arca_error *err);

#endif
