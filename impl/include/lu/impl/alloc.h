/* SPDX-License-Identifier: GPL-2.0 */
/**
 * @file alloc.h
 * @brief Counted allocation with fault injection, as the kernel's fail_nth.
 *
 * Every allocation lu::impl makes (xarray nodes, iommufd objects, images)
 * goes through lu_kmalloc(), so that tests can count live bytes and fail the
 * Nth allocation of an operation, as tools/testing/selftests/iommu/
 * iommufd_fail_nth.c does with /proc/self/task/TID/fail-nth. State is per
 * thread, like fail-nth.
 */
#pragma once

#include <cstddef>
#include <cstdint>

namespace lu::impl {

/** @brief Live and cumulative allocation counts of the calling thread. */
struct alloc_stats {
	std::size_t live_allocs; /**< allocations not yet freed */
	std::size_t live_bytes;  /**< bytes not yet freed */
	std::size_t total_allocs; /**< successful allocations ever */
	std::size_t failed_allocs; /**< allocations failed by injection */
};

/**
 * @brief Allocate @p size zeroed bytes, or fail as injected.
 * @param size bytes wanted (0 is allowed and counts as one allocation).
 * @context Any context. Never throws.
 * @return the memory, or nullptr if fail_nth chose this allocation or the
 * system is out of memory.
 */
[[nodiscard]] void *lu_kzalloc(std::size_t size) noexcept;

/**
 * @brief Free memory from lu_kzalloc().
 * @param p memory or nullptr.
 * @param size the size it was allocated with (checked in debug builds).
 * @context Any context.
 */
void lu_kfree(void *p, std::size_t size) noexcept;

/**
 * struct lu_kmem_cache - A cache of same-size objects, as the kernel's slab.
 *
 * Objects freed with lu_kmem_cache_free() stay in the cache and are handed
 * out again, last freed first, by lu_kmem_cache_zalloc() and
 * lu_kmem_cache_alloc() before the system allocator is called, as
 * kmem_cache_alloc() reuses a slab's free objects.  The cache keeps them
 * in an array of pointers (SLAB's per-cpu array_cache, SLUB's sheaves), so
 * taking one does not read the object.  Accounting and fault injection are
 * those of lu_kzalloc(): an object counts as live from its allocation to
 * its free (cached objects do not), and every allocation, cached or not,
 * is one that fail_nth_set() can fail (the kernel's failslab also fails
 * kmem_cache_alloc() before it looks at the free objects).  Under
 * AddressSanitizer cached objects are poisoned, so a use after free is
 * still reported.  A cache belongs to one thread, like the counters.  A
 * cache whose user frees only zeroed objects can hand them out with
 * lu_kmem_cache_alloc(), without clearing them again (a constructor's
 * cache).  Initialise with `{size}`; lu_kmem_cache_shrink() releases all.
 */
struct lu_kmem_cache {
	std::size_t size;         /**< object size in bytes */
	void **free = nullptr;    /**< cached objects; the last one is handed out first */
	std::size_t nr_free = 0;  /**< objects in @p free */
	std::size_t capacity = 0; /**< room in @p free (grown by lu_kmem_cache_free()) */
};

/**
 * @brief Allocate a zeroed object from @p cache, or fail as injected.
 * @param cache The cache (its size fixes the object size).
 * @context Any context; the calling thread's cache. Never throws.
 * @return the object (zeroed, as kmem_cache_zalloc()), or nullptr if
 * fail_nth chose this allocation or the system is out of memory.
 */
[[nodiscard]] void *lu_kmem_cache_zalloc(lu_kmem_cache *cache) noexcept;

/**
 * @brief Allocate an object from a cache that keeps its objects zeroed, as
 * kmem_cache_alloc() from a cache whose constructor zeroes them
 * (radix_tree_node_cachep and radix_tree_node_ctor()).
 *
 * Every object given back to such a cache with lu_kmem_cache_free() must be
 * all zero, as radix_tree_node_rcu_free() makes a node before it frees it;
 * the cache does not write into a cached object.  So the allocation does
 * not touch the object at all, where lu_kmem_cache_zalloc() clears it.
 * Debug and AddressSanitizer builds check that the object is zero and abort
 * if it is not.  Accounting and fault injection are lu_kmem_cache_zalloc()'s.
 * @param cache The cache.
 * @context Any context; the calling thread's cache. Never throws.
 * @return the zeroed object, or nullptr if fail_nth chose this allocation
 * or the system is out of memory.
 */
[[nodiscard]] void *lu_kmem_cache_alloc(lu_kmem_cache *cache) noexcept;

/**
 * @brief Return an object to @p cache (kmem_cache_free()).
 * @param cache The cache it came from.
 * @param p Object from lu_kmem_cache_zalloc(), or nullptr.
 * @context Any context; the calling thread's cache.
 */
void lu_kmem_cache_free(lu_kmem_cache *cache, void *p) noexcept;

/**
 * @brief Give every cached object back to the system (kmem_cache_shrink()),
 * and the cache's array.
 * @param cache The cache.
 * @context Any context; the calling thread's cache.
 */
void lu_kmem_cache_shrink(lu_kmem_cache *cache) noexcept;

/**
 * @brief Arm fault injection: the @p nth allocation from now fails (1-based).
 * @param nth 0 disarms.
 * @context Per thread. The injection fires once and disarms, as fail-nth does.
 */
void fail_nth_set(std::uint64_t nth) noexcept;

/**
 * @brief Whether the armed injection fired since the last fail_nth_set().
 * @return true if an allocation was failed; the loop "arm N, run, stop when it
 * did not fire" visits every allocation of an operation.
 * @context Any context; per thread.
 */
[[nodiscard]] bool fail_nth_fired() noexcept;

/**
 * @brief The calling thread's counters.
 * @return a copy of the counters.
 * @context Any context; per thread.
 */
[[nodiscard]] alloc_stats alloc_stats_get() noexcept;

/**
 * @brief Construct a T in counted, zeroed memory (kzalloc() plus a constructor).
 * @param args Arguments of T's constructor (which must not throw).
 * @context Allocates: one lu_kzalloc(), which fail_nth_set() can fail.
 * @return The new object; nullptr on (injected) allocation failure.
 */
template <typename T, typename... Args>
[[nodiscard]] T *lu_new(Args &&...args) noexcept
{
	void *p = lu_kzalloc(sizeof(T));
	return p ? new (p) T(static_cast<Args &&>(args)...) : nullptr;
}

/**
 * @brief Destroy and free an object from lu_new() (kfree(), NULL allowed).
 * @param p Object, or nullptr (then nothing happens).
 * @context Any context; never fails.
 */
template <typename T>
void lu_delete(T *p) noexcept
{
	if (!p)
		return;
	p->~T();
	lu_kfree(p, sizeof(T));
}

} // namespace lu::impl
