/*
 * test_task.c - cooperative tasks (task.h): two tasks interleave at their
 * yields, each keeps its own stack, the wake flag, and the edges.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "ritual/task.h"

struct trace {
	char log[64];
	size_t n;
};

struct worker {
	struct trace *tr;
	char name;
	int steps;
	int sum;        /* computed on the task's own stack across yields */
};

static void work(void *arg)
{
	struct worker *w = arg;
	char local[256];  /* lives on the task's stack across every yield */
	memset(local, w->name, sizeof(local));
	for (int i = 0; i < w->steps; i++) {
		w->tr->log[w->tr->n++] = w->name;
		assert_ptr_not_equal(task_current(), NULL);
		task_yield();
		w->sum += local[i] == w->name;
	}
}

static void test_two_tasks_interleave_at_their_yields(void **state)
{
	(void)state;
	struct trace tr = {{0}, 0};
	struct worker a = {&tr, 'a', 3, 0}, b = {&tr, 'b', 2, 0};
	struct task *ta = NULL, *tb = NULL;
	assert_int_equal(task_new(work, &a, 0, &ta, NULL), 0);
	assert_int_equal(task_new(work, &b, 64 * 1024, &tb, NULL), 0);
	assert_null(task_current());
	assert_int_equal(task_resume(ta), 0);
	assert_int_equal(task_resume(tb), 0);
	assert_int_equal(task_resume(ta), 0);
	assert_int_equal(task_resume(tb), 0);
	assert_int_equal(task_resume(ta), 0);
	assert_int_equal(task_resume(tb), 1);   /* b's loop ends */
	assert_int_equal(task_resume(tb), 1);   /* and stays done */
	assert_int_equal(task_resume(ta), 1);
	assert_int_equal(task_resume(ta), 1);   /* done stays done */
	assert_string_equal(tr.log, "ababa");
	assert_int_equal(a.sum, 3);   /* each task's stack was its own */
	assert_int_equal(b.sum, 2);
	assert_null(task_current());
	task_free(ta);
	task_free(tb);
}

static void wait_for_wake(void *arg)
{
	int *resumed = arg;
	task_yield();
	(*resumed)++;
}

static void test_wake_flag_is_cleared_by_resume(void **state)
{
	(void)state;
	int resumed = 0;
	struct task *t = NULL;
	assert_int_equal(task_new(wait_for_wake, &resumed, 0, &t, NULL), 0);
	assert_false(task_woken(t));
	task_wake(t);
	assert_true(task_woken(t));
	assert_int_equal(task_resume(t), 0);
	assert_false(task_woken(t));
	task_wake(t);
	assert_int_equal(task_resume(t), 1);
	assert_int_equal(resumed, 1);
	task_free(t);
}

static void noop(void *arg)
{
	(*(int *)arg)++;
}

static void test_edges(void **state)
{
	(void)state;
	int ran = 0;
	struct task *t = NULL;
	task_yield();                 /* outside a task: nothing happens */
	task_wake(NULL);
	assert_false(task_woken(NULL));
	assert_int_equal(task_resume(NULL), 1);
	task_free(NULL);
	/* Never resumed: freed as it is, its function never runs. */
	assert_int_equal(task_new(noop, &ran, 0, &t, NULL), 0);
	task_free(t);
	assert_int_equal(ran, 0);
	assert_int_equal(task_new(noop, &ran, 0, &t, NULL), 0);
	assert_int_equal(task_resume(t), 1);
	assert_int_equal(ran, 1);
	task_free(t);
}

/* Many tasks at once, as rituald holds (http.max_in_flight up to 1024). */
static void test_a_thousand_tasks(void **state)
{
	(void)state;
	enum { N = 1024 };
	static struct task *t[N];
	static struct worker w[N];
	struct trace tr = {{0}, 0};
	for (int i = 0; i < N; i++) {
		w[i] = (struct worker){&tr, 'x', 1, 0};
		assert_int_equal(task_new(work, &w[i], 0, &t[i], NULL), 0);
	}
	for (int i = 0; i < N; i++) {
		tr.n = 0;
		assert_int_equal(task_resume(t[i]), 0);
	}
	for (int i = N - 1; i >= 0; i--)
		assert_int_equal(task_resume(t[i]), 1);
	for (int i = 0; i < N; i++) {
		assert_int_equal(w[i].sum, 1);
		task_free(t[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_two_tasks_interleave_at_their_yields),
		cmocka_unit_test(test_wake_flag_is_cleared_by_resume),
		cmocka_unit_test(test_edges),
		cmocka_unit_test(test_a_thousand_tasks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
