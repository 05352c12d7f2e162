/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal stand-in for the kernel's tools/testing/selftests/
 * kselftest_harness.h, which no Debian package ships: enough of its
 * interface for the reproducers of `iommufd-lu report --format uapi`
 * (lu/verify/uapi.h) to compile, and to run one fixture's tests in order.
 * It is not the kernel's harness: no forking per test, no timeouts, no
 * variants, no TAP plan; a failed ASSERT returns from the function it is
 * in (setup, test or teardown) instead of longjmp-ing.
 *
 * Interface, as the kernel's: FIXTURE(f) { fields }; FIXTURE_SETUP(f),
 * FIXTURE_TEARDOWN(f) and TEST_F(f, name) bodies see `self` (the fixture's
 * data) and `_metadata`; ASSERT_EQ/NE/LT/LE/GT/GE/TRUE/FALSE,
 * EXPECT_* of the same, TH_LOG(fmt, ...), SKIP(statement, fmt, ...),
 * TEST_HARNESS_MAIN.
 */
#ifndef LU_KSELFTEST_HARNESS_H
#define LU_KSELFTEST_HARNESS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct __test_metadata {
	const char *name;
	void (*fn)(struct __test_metadata *);
	int passed;
	int skip;
	struct __test_metadata *next;
};

static struct __test_metadata *__lu_tests __attribute__((unused));

static inline void __lu_register(struct __test_metadata *t)
{
	struct __test_metadata **p = &__lu_tests;

	while (*p)
		p = &(*p)->next;
	*p = t;
}

#define FIXTURE_DATA(fixture_name) struct _fixture_##fixture_name##_data

#define FIXTURE(fixture_name) FIXTURE_DATA(fixture_name)

#define FIXTURE_SETUP(fixture_name)                                                  \
	static void fixture_name##_setup(struct __test_metadata *_metadata,         \
					 FIXTURE_DATA(fixture_name) *self)

#define FIXTURE_TEARDOWN(fixture_name)                                               \
	static void fixture_name##_teardown(struct __test_metadata *_metadata,      \
					    FIXTURE_DATA(fixture_name) *self)

#define TEST_F(fixture_name, test_name)                                              \
	static void fixture_name##_##test_name(struct __test_metadata *_metadata,   \
					       FIXTURE_DATA(fixture_name) *self);   \
	static void wrapper_##fixture_name##_##test_name(struct __test_metadata *_metadata) \
	{                                                                            \
		FIXTURE_DATA(fixture_name) self;                                     \
		memset(&self, 0, sizeof(self));                                      \
		fixture_name##_setup(_metadata, &self);                              \
		if (_metadata->passed && !_metadata->skip)                           \
			fixture_name##_##test_name(_metadata, &self);                \
		fixture_name##_teardown(_metadata, &self);                           \
	}                                                                            \
	static struct __test_metadata _##fixture_name##_##test_name##_object = {     \
		.name = #fixture_name "." #test_name,                                \
		.fn = wrapper_##fixture_name##_##test_name,                          \
		.passed = 1,                                                         \
	};                                                                           \
	static void __attribute__((constructor)) _register_##fixture_name##_##test_name(void) \
	{                                                                            \
		__lu_register(&_##fixture_name##_##test_name##_object);              \
	}                                                                            \
	static void fixture_name##_##test_name(struct __test_metadata __attribute__((unused)) *_metadata, \
					       FIXTURE_DATA(fixture_name) __attribute__((unused)) *self)

#define TH_LOG(fmt, ...) fprintf(stderr, "# %s:%d: " fmt "\n", __FILE__, __LINE__, ##__VA_ARGS__)

#define SKIP(statement, fmt, ...)                                                    \
	do {                                                                         \
		fprintf(stderr, "# SKIP " fmt "\n", ##__VA_ARGS__);                  \
		_metadata->skip = 1;                                                 \
		statement;                                                           \
	} while (0)

/* One comparison; on failure log it, mark the test failed, and for an
 * ASSERT run @on_fail (return). */
#define __LU_CMP(expected, seen, op, on_fail)                                        \
	do {                                                                         \
		__typeof__(expected) __exp = (expected);                             \
		__typeof__(seen) __seen = (seen);                                    \
		if (!(__exp op __seen)) {                                            \
			fprintf(stderr, "# %s:%d: expected %s " #op " %s\n",         \
				__FILE__, __LINE__, #expected, #seen);               \
			_metadata->passed = 0;                                       \
			on_fail;                                                     \
		}                                                                    \
	} while (0)

#define ASSERT_EQ(expected, seen) __LU_CMP(expected, seen, ==, return)
#define ASSERT_NE(expected, seen) __LU_CMP(expected, seen, !=, return)
#define ASSERT_LT(expected, seen) __LU_CMP(expected, seen, <, return)
#define ASSERT_LE(expected, seen) __LU_CMP(expected, seen, <=, return)
#define ASSERT_GT(expected, seen) __LU_CMP(expected, seen, >, return)
#define ASSERT_GE(expected, seen) __LU_CMP(expected, seen, >=, return)
#define ASSERT_TRUE(seen) __LU_CMP(0, !!(seen), !=, return)
#define ASSERT_FALSE(seen) __LU_CMP(0, !!(seen), ==, return)
#define EXPECT_EQ(expected, seen) __LU_CMP(expected, seen, ==, (void)0)
#define EXPECT_NE(expected, seen) __LU_CMP(expected, seen, !=, (void)0)
#define EXPECT_LT(expected, seen) __LU_CMP(expected, seen, <, (void)0)
#define EXPECT_LE(expected, seen) __LU_CMP(expected, seen, <=, (void)0)
#define EXPECT_GT(expected, seen) __LU_CMP(expected, seen, >, (void)0)
#define EXPECT_GE(expected, seen) __LU_CMP(expected, seen, >=, (void)0)
#define EXPECT_TRUE(seen) __LU_CMP(0, !!(seen), !=, (void)0)
#define EXPECT_FALSE(seen) __LU_CMP(0, !!(seen), ==, (void)0)

#define TEST_HARNESS_MAIN                                                            \
	int main(void)                                                               \
	{                                                                            \
		struct __test_metadata *t;                                           \
		int failed = 0;                                                      \
                                                                                     \
		for (t = __lu_tests; t; t = t->next) {                               \
			t->fn(t);                                                    \
			printf("%s %s\n", !t->passed ? "not ok" : t->skip ? "ok # SKIP" : "ok", \
			       t->name);                                             \
			failed |= !t->passed;                                        \
		}                                                                    \
		return failed ? EXIT_FAILURE : EXIT_SUCCESS;                         \
	}

#endif /* LU_KSELFTEST_HARNESS_H */
