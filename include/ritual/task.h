/*
 * task.h - cooperative tasks on one thread, for many deliveries in flight.
 *
 * A task runs a function on a stack of its own until the function calls
 * task_yield() (http_perform does, while its request is in flight on the
 * shared libcurl multi handle), and goes on from there when it is resumed.
 * This is how rituald keeps hundreds of deliveries progressing from its one
 * loop while each publisher stays written as the plain sequence of calls
 * its API documents: the publisher is a step function whose steps are cut
 * at its HTTP requests, by the task rather than by hand. There are no
 * threads: a task runs only between task_resume() and its next
 * task_yield(), so the store, the config and the log need no locks, and
 * nothing a task does between two requests is interleaved with another
 * task. A task must never yield inside a database transaction (the store
 * opens and closes each of its own). rituald's tasks yield in two places:
 * in http_perform, and before a publish call, while the loop syncs the
 * commit marks of every task waiting so in one commit (daemon.c,
 * cb_committing).
 *
 * Stacks are mmap()ed with a guard page below them and returned to the
 * kernel when the task is freed, so an idle rituald holds none. Under
 * AddressSanitizer the stack switches are announced to it; under valgrind
 * the stacks are registered.
 *
 * Errors: task_new fails (returns -1 with err set) only when the stack
 * cannot be mapped. Everything else cannot fail.
 */
#ifndef RITUAL_TASK_H
#define RITUAL_TASK_H

#include <stddef.h>
#include "ritual/util.h"

struct task;

/* The bytes of stack a task gets unless told otherwise. */
#define TASK_STACK_DEFAULT (512u * 1024u)

/* A task that will run fn(arg) when first resumed; not started yet. The
 * caller owns *out (task_free). stack_size 0 = TASK_STACK_DEFAULT. */
int task_new(void (*fn)(void *arg), void *arg, size_t stack_size,
	     struct task **out, struct err *err);

/* Run t (from outside any task) until it yields or its function returns.
 * Returns 1 when the function has returned (t is done), 0 when it yielded.
 * Clears t's wake flag. Resuming a done task returns 1 at once. */
int task_resume(struct task *t);

/* From inside a task: give control back to the task_resume() that runs
 * it. Returns when the task is resumed again. Outside a task: no-op. */
void task_yield(void);

/* The task running now, or NULL outside every task. */
struct task *task_current(void);

/* Mark t as ready to go on (what it waited for has happened); the loop
 * resumes the tasks that task_woken() says are ready. NULL is ignored. */
void task_wake(struct task *t);
int task_woken(const struct task *t);

/* Free t and its stack. A task still suspended is dropped as it stands:
 * what its function had allocated is not freed (rituald does that only
 * when it exits with requests cut short). NULL is ignored. */
void task_free(struct task *t);

#endif
