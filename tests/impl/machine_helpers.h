// SPDX-License-Identifier: GPL-2.0
// Test helpers for lu::impl::machine (test-only; never linked into impl).
#pragma once

#include <gtest/gtest.h>

#include "lu/impl/alloc.h"
#include "lu/impl/machine.h"
#include "steps.h"

namespace lu::test {

using lu::impl::machine;
using lu::impl::machine_ptr;

inline machine_ptr make(const lu::config &cfg, lu::variant v)
{
	machine_ptr m;
	int rc = machine::create(cfg, v, &m);
	EXPECT_EQ(rc, 0);
	return m;
}

/* Run a step and demand its return; on an error, demand that nothing changed. */
#define LU_RUN(m, step, want)                                                            \
	do {                                                                             \
		auto lu_before_ = (m)->snapshot();                                       \
		int lu_rc_ = (m)->run(step);                                             \
		EXPECT_EQ(lu_rc_, (want)) << #step;                                      \
		if (lu_rc_ != 0) {                                                       \
			EXPECT_TRUE((m)->snapshot() == lu_before_) << #step " changed state"; \
		}                                                                        \
	} while (0)

} // namespace lu::test
