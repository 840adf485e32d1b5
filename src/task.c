/*
 * task.c - cooperative tasks on one thread (task.h).
 *
 * ucontext's makecontext/swapcontext, the way QEMU's coroutines do it:
 * each task owns an mmap()ed stack with a PROT_NONE guard page at its low
 * end (so an overflow faults instead of corrupting the heap), and every
 * switch is announced to AddressSanitizer (its fiber interface) so that it
 * keeps track of which stack is live.
 */
#include "ritual/task.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define TASK_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TASK_ASAN 1
#endif
#endif
#ifdef TASK_ASAN
#include <sanitizer/common_interface_defs.h>
#endif
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define TASK_VALGRIND 1
#endif
#endif

struct task {
	ucontext_t ctx;          /* the task's own context */
	ucontext_t caller;       /* where task_resume() was called */
	void (*fn)(void *);
	void *arg;
	void *map;               /* guard page + stack */
	size_t map_len;
	void *stack;             /* usable stack: just above the guard page */
	size_t stack_len;
	int done, woken;
#ifdef TASK_ASAN
	void *fake_stack;        /* ASan's fake stack of the suspended side */
	const void *caller_bottom;
	size_t caller_size;
#endif
#ifdef TASK_VALGRIND
	unsigned vg_id;
#endif
};

static struct task *current;

struct task *task_current(void)
{
	return current;
}

static void trampoline(void)
{
	struct task *t = current;
#ifdef TASK_ASAN
	__sanitizer_finish_switch_fiber(NULL, &t->caller_bottom, &t->caller_size);
#endif
	t->fn(t->arg);
	t->done = 1;
#ifdef TASK_ASAN
	/* NULL: this stack is finished with, ASan may drop its fake frames. */
	__sanitizer_start_switch_fiber(NULL, t->caller_bottom, t->caller_size);
#endif
	setcontext(&t->caller);
}

int task_new(void (*fn)(void *arg), void *arg, size_t stack_size,
	     struct task **out, struct err *err)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t pg = page > 0 ? (size_t)page : 4096;
	if (stack_size == 0)
		stack_size = TASK_STACK_DEFAULT;
	stack_size = (stack_size + pg - 1) / pg * pg;
	struct task *t = xcalloc(1, sizeof(*t));
	t->map_len = stack_size + pg;
	t->map = mmap(NULL, t->map_len, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (t->map == MAP_FAILED) {
		int e = errno;
		free(t);
		return err_set(err, "cannot map a task's stack of %zu KiB: %s",
			       stack_size / 1024, strerror(e));
	}
	/* Stacks grow down on every platform rituald builds for. */
	if (mprotect(t->map, pg, PROT_NONE) < 0) {
		int e = errno;
		munmap(t->map, t->map_len);
		free(t);
		return err_set(err, "cannot guard a task's stack: %s", strerror(e));
	}
	t->stack = (char *)t->map + pg;
	t->stack_len = stack_size;
	t->fn = fn;
	t->arg = arg;
	if (getcontext(&t->ctx) < 0) {
		int e = errno;
		munmap(t->map, t->map_len);
		free(t);
		return err_set(err, "getcontext: %s", strerror(e));
	}
	t->ctx.uc_stack.ss_sp = t->stack;
	t->ctx.uc_stack.ss_size = t->stack_len;
	t->ctx.uc_link = NULL;   /* trampoline switches back itself */
	makecontext(&t->ctx, trampoline, 0);
#ifdef TASK_VALGRIND
	t->vg_id = VALGRIND_STACK_REGISTER(t->stack, (char *)t->stack + t->stack_len);
#endif
	*out = t;
	return 0;
}

int task_resume(struct task *t)
{
	if (!t || t->done)
		return 1;
	if (current)
		return 0;   /* tasks do not resume tasks */
	t->woken = 0;
	current = t;
#ifdef TASK_ASAN
	void *fake = NULL;
	__sanitizer_start_switch_fiber(&fake, t->stack, t->stack_len);
#endif
	swapcontext(&t->caller, &t->ctx);
#ifdef TASK_ASAN
	__sanitizer_finish_switch_fiber(fake, NULL, NULL);
#endif
	current = NULL;
	return t->done;
}

void task_yield(void)
{
	struct task *t = current;
	if (!t)
		return;
#ifdef TASK_ASAN
	__sanitizer_start_switch_fiber(&t->fake_stack, t->caller_bottom,
				       t->caller_size);
#endif
	swapcontext(&t->ctx, &t->caller);
#ifdef TASK_ASAN
	__sanitizer_finish_switch_fiber(t->fake_stack, &t->caller_bottom,
					&t->caller_size);
#endif
}

void task_wake(struct task *t)
{
	if (t)
		t->woken = 1;
}

int task_woken(const struct task *t)
{
	return t && t->woken;
}

void task_free(struct task *t)
{
	if (!t)
		return;
#ifdef TASK_VALGRIND
	VALGRIND_STACK_DEREGISTER(t->vg_id);
#endif
	munmap(t->map, t->map_len);
	free(t);
}
