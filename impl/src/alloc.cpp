// SPDX-License-Identifier: GPL-2.0
// Counted allocation and fail_nth: see lu/impl/alloc.h.
#include "lu/impl/alloc.h"

#include <cassert>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define LU_POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define LU_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#include <sanitizer/asan_interface.h>
#define LU_POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define LU_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#endif
#endif
#ifndef LU_POISON
#define LU_POISON(p, n) ((void)(p), (void)(n))
#define LU_UNPOISON(p, n) ((void)(p), (void)(n))
#define LU_ASAN 0
#else
#define LU_ASAN 1
#endif
#if LU_ASAN || !defined(NDEBUG)
#define LU_CHECK_ZEROED 1 // lu_kmem_cache_alloc() checks that objects were freed zeroed
#else
#define LU_CHECK_ZEROED 0
#endif

namespace lu::impl {

namespace {
thread_local alloc_stats stats;
thread_local std::uint64_t fail_countdown; // 0: disarmed
thread_local bool fired;
} // namespace

namespace {
// The fail_nth check every allocation makes first (the kernel's should_failslab()).
inline bool should_fail()
{
	if (fail_countdown && --fail_countdown == 0) [[unlikely]] {
		fired = true;
		stats.failed_allocs++;
		return true;
	}
	return false;
}

inline void account_alloc(std::size_t size)
{
	stats.live_allocs++;
	stats.live_bytes += size;
	stats.total_allocs++;
}

inline void account_free(std::size_t size)
{
	assert(stats.live_allocs > 0 && stats.live_bytes >= size);
	stats.live_allocs--;
	stats.live_bytes -= size;
}

#if LU_CHECK_ZEROED
// lu_kmem_cache_alloc()'s contract: its user freed the object zeroed.
void check_zeroed(const void *p, std::size_t size)
{
	const auto *b = static_cast<const unsigned char *>(p);
	for (std::size_t i = 0; i < size; i++) {
		if (b[i]) {
			std::fprintf(stderr, "lu_kmem_cache_alloc: object %p was freed with byte %zu = %#x, not zeroed\n",
				     p, i, b[i]);
			std::abort();
		}
	}
}
#endif
} // namespace

void *lu_kzalloc(std::size_t size) noexcept
{
	if (should_fail())
		return nullptr;
	void *p = std::calloc(1, size ? size : 1);
	if (!p)
		return nullptr;
	account_alloc(size);
	return p;
}

void lu_kfree(void *p, std::size_t size) noexcept
{
	if (!p)
		return;
	account_free(size);
	std::free(p);
}

namespace {
// Pop a cached object (unpoisoned), or nullptr if the cache is empty.
inline void *cache_pop(lu_kmem_cache *cache)
{
	if (!cache->nr_free)
		return nullptr;
	void *p = cache->free[--cache->nr_free];
	LU_UNPOISON(p, cache->size);
	return p;
}
} // namespace

namespace {
// An object of @cache: a cached one (written zero when @zero; else as its
// user gave it back, zeroed), or a fresh zeroed one; nullptr on failure.
void *cache_take(lu_kmem_cache *cache, bool zero)
{
	if (should_fail())
		return nullptr;
	void *p = cache_pop(cache);
	if (p && zero) {
		std::memset(p, 0, cache->size);
	} else if (p) {
#if LU_CHECK_ZEROED
		check_zeroed(p, cache->size);
#endif
	} else {
		p = std::calloc(1, cache->size);
		if (!p)
			return nullptr;
	}
	account_alloc(cache->size);
	return p;
}
} // namespace

void *lu_kmem_cache_zalloc(lu_kmem_cache *cache) noexcept
{
	return cache_take(cache, true);
}

void *lu_kmem_cache_alloc(lu_kmem_cache *cache) noexcept
{
	return cache_take(cache, false);
}

void lu_kmem_cache_free(lu_kmem_cache *cache, void *p) noexcept
{
	if (!p)
		return;
	account_free(cache->size);
	if (cache->nr_free == cache->capacity) {
		const std::size_t cap = cache->capacity ? 2 * cache->capacity : 64;
		void *grown = std::realloc(static_cast<void *>(cache->free), cap * sizeof(void *));
		if (!grown) {
			// No room to keep it: give it back to the system.
			std::free(p);
			return;
		}
		cache->free = static_cast<void **>(grown);
		cache->capacity = cap;
	}
	LU_POISON(p, cache->size);
	cache->free[cache->nr_free++] = p;
}

void lu_kmem_cache_shrink(lu_kmem_cache *cache) noexcept
{
	while (void *p = cache_pop(cache))
		std::free(p);
	std::free(static_cast<void *>(cache->free));
	cache->free = nullptr;
	cache->capacity = 0;
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
