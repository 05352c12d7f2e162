// SPDX-License-Identifier: GPL-2.0
// Counted allocation and fail_nth: see lu/impl/alloc.h.
#include "lu/impl/alloc.h"

#include <cassert>
#include <cstdlib>

namespace lu::impl {

namespace {
thread_local alloc_stats stats;
thread_local std::uint64_t fail_countdown; // 0: disarmed
thread_local bool fired;
} // namespace

void *lu_kzalloc(std::size_t size) noexcept
{
	if (fail_countdown && --fail_countdown == 0) {
		fired = true;
		stats.failed_allocs++;
		return nullptr;
	}
	void *p = std::calloc(1, size ? size : 1);
	if (!p)
		return nullptr;
	stats.live_allocs++;
	stats.live_bytes += size;
	stats.total_allocs++;
	return p;
}

void lu_kfree(void *p, std::size_t size) noexcept
{
	if (!p)
		return;
	assert(stats.live_allocs > 0 && stats.live_bytes >= size);
	stats.live_allocs--;
	stats.live_bytes -= size;
	std::free(p);
}

void fail_nth_set(std::uint64_t nth) noexcept
{
	fail_countdown = nth;
	fired = false;
}

bool fail_nth_fired() noexcept
{
	return fired;
}

alloc_stats alloc_stats_get() noexcept
{
	return stats;
}

} // namespace lu::impl
