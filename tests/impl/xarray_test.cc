// SPDX-License-Identifier: GPL-2.0+
// Tests for lu/impl/xarray.h: the checks of lib/test_xarray.c that apply
// without multi-index entries (each TEST names its check_* function), a
// seeded differential test against std::map, boundary indices, fail_nth at
// every allocation, node accounting and the tree dump.
//
// Ported from lib/test_xarray.c (xarray_checks()), order 0 where the kernel
// loops over orders up to order_limit (1 without CONFIG_XARRAY_MULTI):
// check_xa_err, check_xas_retry, check_xa_load, check_xa_mark (_1, _2),
// check_xa_shrink, check_xas_erase, check_insert, check_cmpxchg,
// check_reserve, check_get_order, check_xas_get_order,
// check_xas_conflict_get_order, check_xa_alloc (_1, _2, _3), check_find
// (_1 .. _4, check_multi_find_2, check_multi_find_3), check_find_entry,
// check_pause, check_account, check_destroy, check_move (_tiny, _max,
// _small), check_create_range (_1 .. _5), check_store_range,
// check_store_iter, check_align, check_workingset.
//
// Not ported, because they need multi-index entries (CONFIG_XARRAY_MULTI),
// which the port does not build: check_xa_mark_3, check_cmpxchg_order,
// check_multi_store (and _1 .. _3), check_multi_store_advanced,
// check_multi_find_1, check_split (xas_split(), xas_split_alloc()); the
// order > 0 halves of the checks above (xa_store_order(), XA_STATE_ORDER()
// and xas_set_order() abort for order > 0; xa_store_range() does not
// exist).
#define LU_XA_DEBUG 1 // XA_BUG_ON in this file dumps and aborts even in Release
#include "lu/impl/xarray.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <random>
#include <string>
#include <vector>

using namespace lu::impl;

namespace {

constexpr std::size_t kNodeBytes = sizeof(xa_node);

void *xa_mk_index(unsigned long index)
{
	return xa_mk_value(index & LONG_MAX);
}

void *xa_store_index(xarray *xa, unsigned long index, gfp_t gfp)
{
	return xa_store(xa, index, xa_mk_index(index), gfp);
}

// Like the kernel's helper: also checks that the entry is gone afterwards.
void xa_erase_index(xarray *xa, unsigned long index)
{
	EXPECT_EQ(xa_erase(xa, index), xa_mk_index(index)) << "index " << index;
	EXPECT_EQ(xa_load(xa, index), nullptr) << "index " << index;
}

void xa_insert_index(xarray *xa, unsigned long index)
{
	EXPECT_EQ(xa_insert(xa, index, xa_mk_index(index), GFP_KERNEL), 0) << "index " << index;
}

void xa_alloc_index(xarray *xa, unsigned long index)
{
	std::uint32_t id = 0xdeadbeef;
	EXPECT_EQ(xa_alloc(xa, &id, xa_mk_index(index), xa_limit_32b, GFP_KERNEL), 0);
	EXPECT_EQ(id, index);
}

// Structural invariants of lib/xarray.c's tree, checked node by node.
// Returns a description of the first violation, or "" if none.
std::string check_node(const xarray *xa, const xa_node *node, const xa_node *parent,
		       unsigned offset, unsigned shift)
{
	if (node->parent != parent)
		return "parent link";
	if (parent && node->offset != offset)
		return "offset";
	if (node->shift != shift)
		return "shift";
	if (node->array != xa)
		return "array";
	unsigned count = 0, values = 0;
	unsigned long any[XA_MAX_MARKS] = {};
	for (unsigned i = 0; i < XA_CHUNK_SIZE; i++) {
		void *entry = node->slots[i];
		count += entry != nullptr;
		values += xa_is_value(entry);
		for (unsigned m = 0; m < XA_MAX_MARKS; m++) {
			bool bit = (node->marks[m][0] >> i) & 1;
			bool free_mark = (xa->xa_flags & XA_FLAGS_TRACK_FREE) && m == XA_FREE_MARK;
			bool want;
			if (shift && xa_is_node(entry)) {
				const xa_node *child = xa_to_node(entry);
				want = child->marks[m][0] != 0;
			} else {
				want = free_mark ? entry == nullptr : bit && entry != nullptr;
			}
			if (bit != want)
				return "mark " + std::to_string(m) + " at slot " + std::to_string(i) +
				       " shift " + std::to_string(shift);
			any[m] |= bit;
		}
		if (shift && xa_is_node(entry)) {
			std::string err = check_node(xa, xa_to_node(entry), node, i, shift - XA_CHUNK_SHIFT);
			if (!err.empty())
				return err;
		} else if (xa_is_internal(entry) && !xa_is_zero(entry) && !xa_is_retry(entry) &&
			   !(shift == 0 && xa_is_node(entry))) { // a 2-mod-4 pointer in a leaf
			return "unexpected internal entry";
		}
	}
	if (node->count != count)
		return "count " + std::to_string(node->count) + " != " + std::to_string(count);
	if (node->nr_values != values)
		return "nr_values";
	if (!count)
		return "empty node left in the tree";
	if (!parent) {
		for (unsigned m = 0; m < XA_MAX_MARKS; m++)
			if (xa_marked(xa, m) != (any[m] != 0))
				return "xarray-wide mark " + std::to_string(m);
		// A zero entry or a 2-mod-4 pointer at index 0 may not be stored
		// in the head, so a leaf root holding only that is kept.
		void *first = node->slots[0];
		if (count == 1 && first &&
		    (shift ? xa_is_node(first) : !xa_is_zero(first) && !xa_is_node(first)))
			return "root not shrunk";
	}
	return "";
}

::testing::AssertionResult tree_ok(const xarray *xa)
{
	void *head = xa->xa_head;
	if (!xa_is_node(head))
		return ::testing::AssertionSuccess();
	const xa_node *root = xa_to_node(head);
	std::string err = check_node(xa, root, nullptr, 0, root->shift);
	if (err.empty())
		return ::testing::AssertionSuccess();
	return ::testing::AssertionFailure() << "tree invariant broken: " << err;
}

// Every node's header and slots, for "nothing changed" comparisons.
void signature(const void *entry, std::vector<unsigned long> &out, bool leaf = false)
{
	if (leaf || !xa_is_node(entry)) {
		out.push_back(reinterpret_cast<unsigned long>(entry));
		return;
	}
	const xa_node *node = xa_to_node(entry);
	out.push_back(node->shift | node->offset << 8 | node->count << 16 |
		      static_cast<unsigned long>(node->nr_values) << 24);
	for (unsigned m = 0; m < XA_MAX_MARKS; m++)
		out.push_back(node->marks[m][0]);
	for (void *slot : node->slots)
		signature(slot, out, node->shift == 0);
}

struct Snapshot {
	std::vector<unsigned long> tree;
	gfp_t flags;
	std::size_t live_allocs, live_bytes;
	bool operator==(const Snapshot &) const = default;
};

Snapshot snapshot(const xarray *xa)
{
	Snapshot s{{}, xa->xa_flags, alloc_stats_get().live_allocs, alloc_stats_get().live_bytes};
	signature(xa->xa_head, s.tree);
	return s;
}

// Every test starts and ends with no live allocation (no leak).
class Xarray : public ::testing::Test {
protected:
	void SetUp() override { base_ = alloc_stats_get(); }
	void TearDown() override
	{
		xa_destroy(&xa);
		EXPECT_TRUE(xa_empty(&xa));
		EXPECT_EQ(alloc_stats_get().live_allocs, base_.live_allocs);
		EXPECT_EQ(alloc_stats_get().live_bytes, base_.live_bytes);
	}
	std::size_t live_nodes() const { return alloc_stats_get().live_allocs - base_.live_allocs; }

	DEFINE_XARRAY(xa);
	alloc_stats base_{};
};

} // namespace

/* ---------------------------------------------------------------------- */
/* Ported checks of lib/test_xarray.c                                     */

// check_xa_err
TEST_F(Xarray, ErrDecodesStoreAndEraseResults)
{
	EXPECT_EQ(xa_err(xa_store_index(&xa, 0, GFP_NOWAIT)), 0);
	EXPECT_EQ(xa_err(xa_erase(&xa, 0)), 0);
	fail_nth_set(1);
	EXPECT_EQ(xa_err(xa_store_index(&xa, 1, GFP_KERNEL)), -ENOMEM);
	EXPECT_TRUE(fail_nth_fired());
	EXPECT_EQ(xa_err(xa_store_index(&xa, 1, GFP_KERNEL)), 0);
	EXPECT_EQ(xa_err(xa_store(&xa, 1, xa_mk_value(0), GFP_KERNEL)), 0);
	EXPECT_EQ(xa_err(xa_erase(&xa, 1)), 0);
	// Storing an advanced internal entry is refused (the kernel WARNs).
	EXPECT_EQ(xa_err(xa_store(&xa, 0, xa_mk_internal(0), GFP_KERNEL)), -EINVAL);
	EXPECT_EQ(xa_err(xa_store(&xa, 0, XA_RETRY_ENTRY, GFP_KERNEL)), -EINVAL);
	EXPECT_TRUE(xa_empty(&xa));
	EXPECT_FALSE(xa_is_err(xa_mk_value(5)));
	EXPECT_TRUE(xa_is_err(XA_ERROR(-EBUSY)));
	EXPECT_EQ(xa_err(XA_ERROR(-EBUSY)), -EBUSY);
}

// check_xas_retry: a walker that started before an erase reads the freed
// node (RCU), finds XA_RETRY_ENTRY there and restarts; then iterating
// through retry entries stored on purpose.
TEST_F(Xarray, XasRetryAfterEraseUnderRcuAndThroughRetryEntries)
{
	XA_STATE(xas, &xa, 0);
	void *entry;

	xa_store_index(&xa, 0, GFP_KERNEL);
	xa_store_index(&xa, 1, GFP_KERNEL);

	rcu_read_lock();
	EXPECT_EQ(xas_find(&xas, ULONG_MAX), xa_mk_value(0));
	xa_erase_index(&xa, 1); // shrinks: the leaf that xas is in is freed
	EXPECT_EQ(live_nodes(), 1u); // ... after the grace period
	EXPECT_TRUE(xa_is_retry(xas_reload(&xas)));
	EXPECT_FALSE(xas_retry(&xas, nullptr));
	EXPECT_FALSE(xas_retry(&xas, xa_mk_value(0)));
	xas_reset(&xas);
	EXPECT_EQ(xas.xa_node, XAS_RESTART);
	EXPECT_EQ(xas_next_entry(&xas, ULONG_MAX), xa_mk_value(0));
	EXPECT_EQ(xas.xa_node, nullptr);
	rcu_read_unlock();
	EXPECT_EQ(live_nodes(), 0u);

	EXPECT_EQ(xa_store_index(&xa, 1, GFP_KERNEL), nullptr);

	rcu_read_lock();
	EXPECT_TRUE(xa_is_internal(xas_reload(&xas)));
	xas.xa_node = XAS_RESTART;
	EXPECT_EQ(xas_next_entry(&xas, ULONG_MAX), xa_mk_value(0));
	rcu_read_unlock();

	/* Make sure we can iterate through retry entries */
	xas_lock(&xas);
	xas_set(&xas, 0);
	xas_store(&xas, XA_RETRY_ENTRY);
	xas_set(&xas, 1);
	xas_store(&xas, XA_RETRY_ENTRY);

	unsigned seen = 0;
	xas_set(&xas, 0);
	xas_for_each(&xas, entry, ULONG_MAX) {
		EXPECT_EQ(entry, XA_RETRY_ENTRY);
		xas_store(&xas, xa_mk_index(xas.xa_index));
		seen++;
	}
	xas_unlock(&xas);
	EXPECT_EQ(seen, 2u);

	xa_erase_index(&xa, 0);
	xa_erase_index(&xa, 1);
	EXPECT_TRUE(xa_empty(&xa));
}

// check_xa_load
TEST_F(Xarray, LoadSeesExactlyWhatWasStored)
{
	for (unsigned long i = 0; i < 1024; i++) {
		for (unsigned long j = 0; j < 1024; j++) {
			void *entry = xa_load(&xa, j);
			if (j < i)
				{ ASSERT_EQ(xa_to_value(entry), j); }
			else
				{ ASSERT_EQ(entry, nullptr); }
		}
		ASSERT_EQ(xa_store_index(&xa, i, GFP_KERNEL), nullptr);
	}
	for (unsigned long i = 0; i < 1024; i++) {
		for (unsigned long j = 0; j < 1024; j++) {
			void *entry = xa_load(&xa, j);
			if (j >= i)
				{ ASSERT_EQ(xa_to_value(entry), j); }
			else
				{ ASSERT_EQ(entry, nullptr); }
		}
		xa_erase_index(&xa, i);
	}
	EXPECT_TRUE(xa_empty(&xa));
}

// check_xa_mark_1 (the single-index part, every 4th index below 16384)
TEST_F(Xarray, MarksLiveAndDieWithTheirEntry)
{
	for (unsigned long index = 0; index < 16384; index += 4) {
		SCOPED_TRACE(index);
		/* NULL elements have no marks set */
		ASSERT_FALSE(xa_get_mark(&xa, index, XA_MARK_0));
		xa_set_mark(&xa, index, XA_MARK_0);
		ASSERT_FALSE(xa_get_mark(&xa, index, XA_MARK_0));

		/* Storing a pointer will not make a mark appear */
		ASSERT_EQ(xa_store_index(&xa, index, GFP_KERNEL), nullptr);
		ASSERT_FALSE(xa_get_mark(&xa, index, XA_MARK_0));
		xa_set_mark(&xa, index, XA_MARK_0);
		ASSERT_TRUE(xa_get_mark(&xa, index, XA_MARK_0));

		/* Setting one mark will not set another mark */
		ASSERT_FALSE(xa_get_mark(&xa, index + 1, XA_MARK_0));
		ASSERT_FALSE(xa_get_mark(&xa, index, XA_MARK_1));

		/* Storing NULL clears marks, and they can't be set again */
		xa_erase_index(&xa, index);
		ASSERT_TRUE(xa_empty(&xa));
		ASSERT_FALSE(xa_get_mark(&xa, index, XA_MARK_0));
		xa_set_mark(&xa, index, XA_MARK_0);
		ASSERT_FALSE(xa_get_mark(&xa, index, XA_MARK_0));
	}
}

// check_xa_mark_2
TEST_F(Xarray, InitMarksKeepsNothingAndMarkedWalkCounts)
{
	XA_STATE(xas, &xa, 0);
	void *entry;
	unsigned count = 0;

	xa_store_index(&xa, 0, GFP_KERNEL);
	xa_set_mark(&xa, 0, XA_MARK_0);
	xas_load(&xas);
	xas_init_marks(&xas);
	EXPECT_FALSE(xa_get_mark(&xa, 0, XA_MARK_0));

	for (unsigned long index = 3500; index < 4500; index++) {
		xa_store_index(&xa, index, GFP_KERNEL);
		xa_set_mark(&xa, index, XA_MARK_0);
	}
	xas_reset(&xas);
	xas_for_each_marked(&xas, entry, ULONG_MAX, XA_MARK_0)
		count++;
	EXPECT_EQ(count, 1000u);

	xas_set(&xas, 0);
	xas_for_each(&xas, entry, ULONG_MAX) {
		xas_init_marks(&xas);
		EXPECT_FALSE(xas_get_mark(&xas, XA_MARK_0));
		EXPECT_FALSE(xa_get_mark(&xa, xas.xa_index, XA_MARK_0));
	}
	EXPECT_FALSE(xa_marked(&xa, XA_MARK_0));
	EXPECT_TRUE(tree_ok(&xa));
}

// check_xa_shrink (single-index part): erasing 1 shrinks the tree and
// marks the freed node as deleted, which stays readable under the lock
TEST_F(Xarray, EraseShrinksTheTreeToItsHead)
{
	XA_STATE(xas, &xa, 1);

	ASSERT_TRUE(xa_empty(&xa));
	ASSERT_EQ(xa_store_index(&xa, 0, GFP_KERNEL), nullptr);
	EXPECT_EQ(xa.xa_head, xa_mk_value(0)); // index 0 alone lives in the head
	EXPECT_EQ(live_nodes(), 0u);
	ASSERT_EQ(xa_store_index(&xa, 1, GFP_KERNEL), nullptr);
	EXPECT_TRUE(xa_is_node(xa.xa_head));
	EXPECT_EQ(live_nodes(), 1u);

	xas_lock(&xas);
	EXPECT_EQ(xas_load(&xas), xa_mk_value(1));
	xa_node *node = xas.xa_node;
	EXPECT_EQ(xa_entry_locked(&xa, node, 0), xa_mk_value(0));
	EXPECT_EQ(xas_store(&xas, nullptr), xa_mk_value(1));
	EXPECT_EQ(xa_load(&xa, 1), nullptr);
	EXPECT_EQ(xas.xa_node, XAS_BOUNDS);
	EXPECT_EQ(xa_entry_locked(&xa, node, 0), XA_RETRY_ENTRY);
	EXPECT_EQ(xa.xa_head, xa_mk_value(0));
	EXPECT_EQ(xas_load(&xas), nullptr);
	xas_unlock(&xas);
	EXPECT_EQ(live_nodes(), 0u); // freed at the end of the grace period
	EXPECT_EQ(xa_load(&xa, 0), xa_mk_value(0));
	xa_erase_index(&xa, 0);
	EXPECT_TRUE(xa_empty(&xa));

	/* order 0 of the kernel's loop: ULONG_MAX grows, erasing it shrinks */
	xa_store(&xa, 0, xa_mk_value(0), GFP_KERNEL);
	void *head = xa.xa_head;
	EXPECT_EQ(xa_store_index(&xa, ULONG_MAX, GFP_KERNEL), nullptr);
	EXPECT_NE(xa.xa_head, head);
	EXPECT_EQ(xa_to_node(xa.xa_head)->shift, 60);
	EXPECT_EQ(xa_load(&xa, 1), nullptr);
	xa_erase_index(&xa, ULONG_MAX);
	EXPECT_EQ(xa.xa_head, head);
	xa_erase_index(&xa, 0);
}

// check_insert
TEST_F(Xarray, InsertLandsOnlyAtItsIndex)
{
	for (unsigned long i = 0; i < 1024; i++) {
		xa_insert_index(&xa, i);
		EXPECT_EQ(xa_load(&xa, i - 1), nullptr);
		EXPECT_EQ(xa_load(&xa, i + 1), nullptr);
		xa_erase_index(&xa, i);
	}
	for (unsigned long i = 10; i < BITS_PER_LONG; i++) {
		xa_insert_index(&xa, 1UL << i);
		EXPECT_EQ(xa_load(&xa, (1UL << i) - 1), nullptr);
		EXPECT_EQ(xa_load(&xa, (1UL << i) + 1), nullptr);
		xa_erase_index(&xa, 1UL << i);

		xa_insert_index(&xa, (1UL << i) - 1);
		EXPECT_EQ(xa_load(&xa, (1UL << i) - 2), nullptr);
		EXPECT_EQ(xa_load(&xa, 1UL << i), nullptr);
		xa_erase_index(&xa, (1UL << i) - 1);
	}
	xa_insert_index(&xa, ~0UL);
	EXPECT_EQ(xa_load(&xa, 0UL), nullptr);
	EXPECT_EQ(xa_load(&xa, ~1UL), nullptr);
	EXPECT_EQ(xa_insert(&xa, ~0UL, xa_mk_value(1), GFP_KERNEL), -EBUSY);
	xa_erase_index(&xa, ~0UL);
	EXPECT_TRUE(xa_empty(&xa));
}

// check_cmpxchg
TEST_F(Xarray, CmpxchgStoresOnlyOverTheExpectedEntry)
{
	void *FIVE = xa_mk_value(5);
	void *SIX = xa_mk_value(6);
	void *LOTS = xa_mk_value(12345678);

	EXPECT_EQ(xa_store_index(&xa, 12345678, GFP_KERNEL), nullptr);
	EXPECT_EQ(xa_insert(&xa, 12345678, &xa, GFP_KERNEL), -EBUSY);
	EXPECT_EQ(xa_cmpxchg(&xa, 12345678, SIX, FIVE, GFP_KERNEL), LOTS);
	EXPECT_EQ(xa_cmpxchg(&xa, 12345678, LOTS, FIVE, GFP_KERNEL), LOTS);
	EXPECT_EQ(xa_cmpxchg(&xa, 12345678, FIVE, LOTS, GFP_KERNEL), FIVE);
	EXPECT_EQ(xa_cmpxchg(&xa, 5, FIVE, nullptr, GFP_KERNEL), nullptr);
	EXPECT_EQ(xa_cmpxchg(&xa, 5, nullptr, FIVE, GFP_KERNEL), nullptr);
	EXPECT_EQ(xa_insert(&xa, 5, FIVE, GFP_KERNEL), -EBUSY);
	EXPECT_EQ(xa_cmpxchg(&xa, 5, FIVE, nullptr, GFP_KERNEL), FIVE);
	EXPECT_EQ(xa_insert(&xa, 5, FIVE, GFP_KERNEL), 0);
	xa_erase_index(&xa, 12345678);
	xa_erase_index(&xa, 5);
	EXPECT_TRUE(xa_empty(&xa));
}

// check_reserve, on a plain array and on an allocating one
TEST_F(Xarray, ReservedEntryReadsNullButIsBusy)
{
	for (gfp_t flags : {0u, XA_FLAGS_ALLOC}) {
		SCOPED_TRACE(flags);
		xa_init_flags(&xa, flags);
		void *entry;
		unsigned long index;

		/* An array with a reserved entry is not empty */
		ASSERT_TRUE(xa_empty(&xa));
		ASSERT_EQ(xa_reserve(&xa, 12345678, GFP_KERNEL), 0);
		EXPECT_FALSE(xa_empty(&xa));
		EXPECT_EQ(xa_load(&xa, 12345678), nullptr);
		xa_release(&xa, 12345678);
		EXPECT_TRUE(xa_empty(&xa));

		/* Releasing a used entry does nothing */
		ASSERT_EQ(xa_reserve(&xa, 12345678, GFP_KERNEL), 0);
		EXPECT_EQ(xa_store_index(&xa, 12345678, GFP_NOWAIT), nullptr);
		xa_release(&xa, 12345678);
		xa_erase_index(&xa, 12345678);
		EXPECT_TRUE(xa_empty(&xa));

		/* cmpxchg sees a reserved entry as ZERO */
		ASSERT_EQ(xa_reserve(&xa, 12345678, GFP_KERNEL), 0);
		EXPECT_EQ(xa_cmpxchg(&xa, 12345678, XA_ZERO_ENTRY, xa_mk_value(12345678), GFP_NOWAIT),
			  nullptr);
		xa_release(&xa, 12345678);
		xa_erase_index(&xa, 12345678);
		EXPECT_TRUE(xa_empty(&xa));

		/* xa_insert treats it as busy */
		ASSERT_EQ(xa_reserve(&xa, 12345678, GFP_KERNEL), 0);
		EXPECT_EQ(xa_insert(&xa, 12345678, xa_mk_value(12345678), 0), -EBUSY);
		EXPECT_FALSE(xa_empty(&xa));
		EXPECT_EQ(xa_erase(&xa, 12345678), nullptr);
		EXPECT_TRUE(xa_empty(&xa));

		/* Can iterate through a reserved entry */
		xa_store_index(&xa, 5, GFP_KERNEL);
		ASSERT_EQ(xa_reserve(&xa, 6, GFP_KERNEL), 0);
		xa_store_index(&xa, 7, GFP_KERNEL);
		int count = 0;
		xa_for_each(&xa, index, entry) {
			EXPECT_TRUE(index == 5 || index == 7) << index;
			count++;
		}
		EXPECT_EQ(count, 2);

		/* If we free a reserved entry, we should be able to allocate it */
		if (xa.xa_flags & XA_FLAGS_ALLOC) {
			std::uint32_t id;
			ASSERT_EQ(xa_alloc(&xa, &id, xa_mk_value(8), XA_LIMIT(5, 10), GFP_KERNEL), 0);
			EXPECT_EQ(id, 8u);
			xa_release(&xa, 6);
			ASSERT_EQ(xa_alloc(&xa, &id, xa_mk_value(6), XA_LIMIT(5, 10), GFP_KERNEL), 0);
			EXPECT_EQ(id, 6u);
		}
		xa_destroy(&xa);
	}
}

// check_xas_erase
TEST_F(Xarray, XasStoreNullWhileIteratingEmptiesTheArray)
{
	XA_STATE(xas, &xa, 0);
	void *entry;

	for (unsigned long i = 0; i < 200; i++) {
		for (unsigned long j = i; j < 2 * i + 17; j++) {
			xas_set(&xas, j);
			do {
				xas_store(&xas, xa_mk_index(j));
			} while (xas_nomem(&xas, GFP_KERNEL));
		}
		xas_set(&xas, ULONG_MAX);
		do {
			xas_store(&xas, xa_mk_value(0));
		} while (xas_nomem(&xas, GFP_KERNEL));
		xas_store(&xas, nullptr);

		xas_set(&xas, 0);
		unsigned long j = i;
		xas_for_each(&xas, entry, ULONG_MAX) {
			ASSERT_EQ(entry, xa_mk_index(j));
			xas_store(&xas, nullptr);
			j++;
		}
		ASSERT_EQ(j, 2 * i + 17);
		ASSERT_TRUE(xa_empty(&xa));
		ASSERT_EQ(live_nodes(), 0u);
	}
}

// check_xa_alloc_1, for XA_FLAGS_ALLOC (base 0) and XA_FLAGS_ALLOC1 (base 1)
TEST_F(Xarray, AllocHandsOutTheLowestFreeId)
{
	for (unsigned base : {0u, 1u}) {
		SCOPED_TRACE(base);
		xa_init_flags(&xa, base ? XA_FLAGS_ALLOC1 : XA_FLAGS_ALLOC);
		std::uint32_t id;

		/* An empty array should assign base to the first alloc */
		xa_alloc_index(&xa, base);
		/* Erasing it should make the array empty again */
		xa_erase_index(&xa, base);
		EXPECT_TRUE(xa_empty(&xa));
		/* And it should assign base again */
		xa_alloc_index(&xa, base);
		/* Allocating and then erasing a lot should not lose base */
		for (unsigned long i = base + 1; i < 2 * XA_CHUNK_SIZE; i++)
			xa_alloc_index(&xa, i);
		for (unsigned long i = base; i < 2 * XA_CHUNK_SIZE; i++)
			xa_erase_index(&xa, i);
		xa_alloc_index(&xa, base);
		/* Destroying the array should do the same as erasing */
		xa_destroy(&xa);
		/* And it should assign base again */
		xa_alloc_index(&xa, base);
		/* The next assigned ID should be base+1 */
		xa_alloc_index(&xa, base + 1);
		xa_erase_index(&xa, base + 1);
		/* Storing a value should mark it used */
		xa_store_index(&xa, base + 1, GFP_KERNEL);
		xa_alloc_index(&xa, base + 2);
		/* If we then erase base, it should be free */
		xa_erase_index(&xa, base);
		xa_alloc_index(&xa, base);
		xa_erase_index(&xa, base + 1);
		xa_erase_index(&xa, base + 2);
		for (unsigned long i = 1; i < 5000; i++)
			xa_alloc_index(&xa, base + i);
		EXPECT_TRUE(tree_ok(&xa));
		xa_destroy(&xa);

		/* Check that we fail properly at the limit of allocation */
		ASSERT_EQ(xa_alloc(&xa, &id, xa_mk_index(UINT_MAX - 1), XA_LIMIT(UINT_MAX - 1, UINT_MAX),
				   GFP_KERNEL), 0);
		EXPECT_EQ(id, 0xfffffffeU);
		ASSERT_EQ(xa_alloc(&xa, &id, xa_mk_index(UINT_MAX), XA_LIMIT(UINT_MAX - 1, UINT_MAX),
				   GFP_KERNEL), 0);
		EXPECT_EQ(id, 0xffffffffU);
		id = 3;
		EXPECT_EQ(xa_alloc(&xa, &id, xa_mk_index(0), XA_LIMIT(UINT_MAX - 1, UINT_MAX), GFP_KERNEL),
			  -EBUSY);
		EXPECT_EQ(id, 3u);
		xa_destroy(&xa);

		EXPECT_EQ(xa_alloc(&xa, &id, xa_mk_index(10), XA_LIMIT(10, 5), GFP_KERNEL), -EBUSY);
		EXPECT_EQ(xa_store_index(&xa, 3, GFP_KERNEL), nullptr);
		EXPECT_EQ(xa_alloc(&xa, &id, xa_mk_index(10), XA_LIMIT(10, 5), GFP_KERNEL), -EBUSY);
		xa_erase_index(&xa, 3);
		EXPECT_TRUE(xa_empty(&xa));
	}
	/* A non-allocating array refuses xa_alloc() */
	xa_init(&xa);
	std::uint32_t id = 7;
	EXPECT_EQ(xa_alloc(&xa, &id, xa_mk_value(1), xa_limit_32b, GFP_KERNEL), -EINVAL);
	EXPECT_EQ(id, 7u);
}

// check_xa_alloc_2
TEST_F(Xarray, AllocOfNullReservesAndEmptyTracksIt)
{
	for (unsigned base : {0u, 1u}) {
		SCOPED_TRACE(base);
		xa_init_flags(&xa, base ? XA_FLAGS_ALLOC1 : XA_FLAGS_ALLOC);
		std::uint32_t id;
		unsigned long index;
		void *entry;

		/* Allocate and free a NULL and check xa_empty() behaves */
		ASSERT_EQ(xa_alloc(&xa, &id, nullptr, xa_limit_32b, GFP_KERNEL), 0);
		EXPECT_EQ(id, base);
		EXPECT_FALSE(xa_empty(&xa));
		EXPECT_EQ(xa_erase(&xa, id), nullptr);
		EXPECT_TRUE(xa_empty(&xa));

		/* Ditto, but check destroy instead of erase */
		ASSERT_EQ(xa_alloc(&xa, &id, nullptr, xa_limit_32b, GFP_KERNEL), 0);
		EXPECT_EQ(id, base);
		EXPECT_FALSE(xa_empty(&xa));
		xa_destroy(&xa);
		EXPECT_TRUE(xa_empty(&xa));

		for (unsigned i = base; i < base + 10; i++) {
			ASSERT_EQ(xa_alloc(&xa, &id, nullptr, xa_limit_32b, GFP_KERNEL), 0);
			EXPECT_EQ(id, i);
		}
		EXPECT_EQ(xa_store(&xa, 3, xa_mk_index(3), GFP_KERNEL), nullptr);
		EXPECT_EQ(xa_store(&xa, 4, xa_mk_index(4), GFP_KERNEL), nullptr);
		/* Storing NULL into an allocating array keeps the index reserved */
		EXPECT_EQ(xa_store(&xa, 4, nullptr, GFP_KERNEL), xa_mk_index(4));
		EXPECT_EQ(xa_erase(&xa, 5), nullptr);
		ASSERT_EQ(xa_alloc(&xa, &id, nullptr, xa_limit_32b, GFP_KERNEL), 0);
		EXPECT_EQ(id, 5u);

		xa_for_each(&xa, index, entry) {
			xa_erase_index(&xa, index);
		}
		for (unsigned i = base; i < base + 9; i++) {
			EXPECT_EQ(xa_erase(&xa, i), nullptr);
			EXPECT_FALSE(xa_empty(&xa));
		}
		EXPECT_EQ(xa_erase(&xa, 8), nullptr);
		EXPECT_FALSE(xa_empty(&xa));
		EXPECT_EQ(xa_erase(&xa, base + 9), nullptr);
		EXPECT_TRUE(xa_empty(&xa));
		xa_destroy(&xa);
	}
}

// check_xa_alloc_3
TEST_F(Xarray, AllocCyclicWrapsAndReportsIt)
{
	for (unsigned base : {0u, 1u}) {
		SCOPED_TRACE(base);
		xa_init_flags(&xa, base ? XA_FLAGS_ALLOC1 : XA_FLAGS_ALLOC);
		xa_limit limit = XA_LIMIT(1, 0x3fff);
		std::uint32_t next = 0;
		std::uint32_t id;
		unsigned long index;
		void *entry;

		ASSERT_EQ(xa_alloc_cyclic(&xa, &id, xa_mk_index(1), limit, &next, GFP_KERNEL), 0);
		EXPECT_EQ(id, 1u);
		next = 0x3ffd;
		ASSERT_EQ(xa_alloc_cyclic(&xa, &id, xa_mk_index(0x3ffd), limit, &next, GFP_KERNEL), 0);
		EXPECT_EQ(id, 0x3ffdu);
		xa_erase_index(&xa, 0x3ffd);
		xa_erase_index(&xa, 1);
		EXPECT_TRUE(xa_empty(&xa));

		for (unsigned i = 0x3ffe; i < 0x4003; i++) {
			entry = i < 0x4000 ? xa_mk_index(i) : xa_mk_index(i - 0x3fff);
			int ret = xa_alloc_cyclic(&xa, &id, entry, limit, &next, GFP_KERNEL);
			EXPECT_EQ(ret, id == 1 ? 1 : 0) << i;
			EXPECT_EQ(xa_mk_index(id), entry);
		}

		/* Check wrap-around is handled correctly */
		if (base != 0)
			xa_erase_index(&xa, base);
		xa_erase_index(&xa, base + 1);
		next = UINT_MAX;
		ASSERT_EQ(xa_alloc_cyclic(&xa, &id, xa_mk_index(UINT_MAX), xa_limit_32b, &next, GFP_KERNEL), 0);
		EXPECT_EQ(id, UINT_MAX);
		EXPECT_EQ(xa_alloc_cyclic(&xa, &id, xa_mk_index(base), xa_limit_32b, &next, GFP_KERNEL), 1);
		EXPECT_EQ(id, base);
		EXPECT_EQ(xa_alloc_cyclic(&xa, &id, xa_mk_index(base + 1), xa_limit_32b, &next, GFP_KERNEL), 0);
		EXPECT_EQ(id, base + 1);

		xa_for_each(&xa, index, entry)
			xa_erase_index(&xa, index);
		EXPECT_TRUE(xa_empty(&xa));
	}
}

// check_find_1
TEST_F(Xarray, FindReturnsLowestMatchAtOrAfterIndex)
{
	for (unsigned long i = 0; i < 100; i++) {
		ASSERT_EQ(xa_store_index(&xa, i, GFP_KERNEL), nullptr);
		xa_set_mark(&xa, i, XA_MARK_0);
		for (unsigned long j = 0; j < i; j++) {
			ASSERT_EQ(xa_store_index(&xa, j, GFP_KERNEL), nullptr);
			xa_set_mark(&xa, j, XA_MARK_0);
			for (unsigned long k = 0; k < 100; k++) {
				unsigned long index = k;
				void *entry = xa_find(&xa, &index, ULONG_MAX, XA_PRESENT);
				if (k <= j)
					{ ASSERT_EQ(index, j); }
				else if (k <= i)
					{ ASSERT_EQ(index, i); }
				else
					{ ASSERT_EQ(entry, nullptr); }

				index = k;
				entry = xa_find(&xa, &index, ULONG_MAX, XA_MARK_0);
				if (k <= j)
					{ ASSERT_EQ(index, j); }
				else if (k <= i)
					{ ASSERT_EQ(index, i); }
				else
					{ ASSERT_EQ(entry, nullptr); }
			}
			xa_erase_index(&xa, j);
			ASSERT_FALSE(xa_get_mark(&xa, j, XA_MARK_0));
			ASSERT_TRUE(xa_get_mark(&xa, i, XA_MARK_0));
		}
		xa_erase_index(&xa, i);
		ASSERT_FALSE(xa_get_mark(&xa, i, XA_MARK_0));
	}
	EXPECT_TRUE(xa_empty(&xa));
}

// check_find_2
TEST_F(Xarray, ForEachVisitsEveryEntryInOrder)
{
	void *entry;
	unsigned long index;

	xa_for_each(&xa, index, entry) {
		ADD_FAILURE() << "empty array yielded " << index;
	}
	for (unsigned long i = 0; i < 1024; i++) {
		xa_store_index(&xa, i, GFP_KERNEL);
		unsigned long j = 0;
		xa_for_each(&xa, index, entry) {
			ASSERT_EQ(xa_mk_index(index), entry);
			ASSERT_EQ(index, j++);
		}
		ASSERT_EQ(j, i + 1);
	}
}

// check_find_3
TEST_F(Xarray, MarkedWalkPastMaxRestarts)
{
	XA_STATE(xas, &xa, 0);
	void *entry;

	for (unsigned long i = 0; i < 100; i++) {
		for (unsigned long j = 0; j < 100; j++) {
			for (unsigned long k = 0; k < 100; k++) {
				xas_set(&xas, j);
				unsigned long seen = 0;
				xas_for_each_marked(&xas, entry, k, XA_MARK_0)
					seen++;
				if (j > k)
					{ ASSERT_EQ(xas.xa_node, XAS_RESTART); }
				unsigned long want = j <= k && j < i ? (k < i ? k : i - 1) - j + 1 : 0;
				ASSERT_EQ(seen, want) << i << " " << j << " " << k;
			}
		}
		xa_store_index(&xa, i, GFP_KERNEL);
		xa_set_mark(&xa, i, XA_MARK_0);
	}
}

// check_find_4
TEST_F(Xarray, FindAfterUlongMaxFindsNothing)
{
	unsigned long index = 0;

	xa_store_index(&xa, ULONG_MAX, GFP_KERNEL);
	EXPECT_EQ(xa_find_after(&xa, &index, ULONG_MAX, XA_PRESENT), xa_mk_index(ULONG_MAX));
	EXPECT_EQ(index, ULONG_MAX);
	EXPECT_EQ(xa_find_after(&xa, &index, ULONG_MAX, XA_PRESENT), nullptr);
	xa_erase_index(&xa, ULONG_MAX);
}

// check_find_entry (xa_find_entry() with xas_pause() every 4th entry)
TEST_F(Xarray, PausedWalkStillFindsEachEntry)
{
	auto find_entry = [&](void *item) -> long {
		XA_STATE(xas, &xa, 0);
		unsigned checked = 0;
		void *entry;
		xas_for_each(&xas, entry, ULONG_MAX) {
			if (xas_retry(&xas, entry))
				continue;
			if (entry == item)
				break;
			checked++;
			if ((checked % 4) != 0)
				continue;
			xas_pause(&xas);
		}
		return entry ? static_cast<long>(xas.xa_index) : -1;
	};
	for (unsigned long index = 0; index < 4096; index += 3) {
		xa_store_index(&xa, index, GFP_KERNEL);
		ASSERT_EQ(find_entry(xa_mk_index(index)), static_cast<long>(index));
	}
	EXPECT_EQ(find_entry(&xa), -1);
	xa_destroy(&xa);
	EXPECT_EQ(find_entry(&xa), -1);
	xa_store_index(&xa, ULONG_MAX, GFP_KERNEL);
	EXPECT_EQ(find_entry(&xa), -1);
	EXPECT_EQ(find_entry(xa_mk_index(ULONG_MAX)), -1L); // index -1 is ULONG_MAX
	xa_erase_index(&xa, ULONG_MAX);
}

// check_move (xas_next / xas_prev over 2^16 entries with a hole)
TEST_F(Xarray, XasNextAndPrevStepByOne)
{
	XA_STATE(xas, &xa, (1 << 16) - 1);
	unsigned long i;

	for (i = 0; i < (1 << 16); i++)
		ASSERT_EQ(xa_store_index(&xa, i, GFP_KERNEL), nullptr);
	do {
		void *entry = xas_prev(&xas);
		i--;
		ASSERT_EQ(entry, xa_mk_index(i));
		ASSERT_EQ(i, xas.xa_index);
	} while (i != 0);
	EXPECT_EQ(xas_prev(&xas), nullptr);
	EXPECT_EQ(xas.xa_index, ULONG_MAX);
	do {
		void *entry = xas_next(&xas);
		ASSERT_EQ(entry, xa_mk_index(i));
		ASSERT_EQ(i, xas.xa_index);
		i++;
	} while (i < (1 << 16));

	for (i = (1 << 8); i < (1 << 15); i++)
		xa_erase_index(&xa, i);
	i = xas.xa_index;
	do {
		void *entry = xas_prev(&xas);
		i--;
		if ((i < (1 << 8)) || (i >= (1 << 15)))
			{ ASSERT_EQ(entry, xa_mk_index(i)); }
		else
			{ ASSERT_EQ(entry, nullptr); }
		ASSERT_EQ(i, xas.xa_index);
	} while (i != 0);
	EXPECT_EQ(xas_prev(&xas), nullptr);
	EXPECT_EQ(xas.xa_index, ULONG_MAX);
}

// check_move_tiny and check_move_max
TEST_F(Xarray, XasMovesAroundTinyAndMaxArrays)
{
	XA_STATE(xas, &xa, 0);

	EXPECT_EQ(xas_next(&xas), nullptr);
	EXPECT_EQ(xas_next(&xas), nullptr);
	xa_store_index(&xa, 0, GFP_KERNEL);
	xas_set(&xas, 0);
	EXPECT_EQ(xas_next(&xas), xa_mk_index(0));
	EXPECT_EQ(xas_next(&xas), nullptr);
	xas_set(&xas, 0);
	EXPECT_EQ(xas_prev(&xas), xa_mk_index(0));
	EXPECT_EQ(xas_prev(&xas), nullptr);
	xa_erase_index(&xa, 0);

	xa_store_index(&xa, ULONG_MAX, GFP_KERNEL);
	xas_set(&xas, 0);
	EXPECT_EQ(xas_find(&xas, ULONG_MAX), xa_mk_index(ULONG_MAX));
	EXPECT_EQ(xas_find(&xas, ULONG_MAX), nullptr);
	xas_set(&xas, 0);
	EXPECT_EQ(xas_find(&xas, ULONG_MAX), xa_mk_index(ULONG_MAX));
	xas_pause(&xas);
	EXPECT_EQ(xas_find(&xas, ULONG_MAX), nullptr);
	xa_erase_index(&xa, ULONG_MAX);
	EXPECT_TRUE(xa_empty(&xa));
}

// check_move_small
TEST_F(Xarray, XasMovesThroughSmallSparseArrays)
{
	std::vector<unsigned long> idxs;
	for (unsigned i = 0; i < 16; i++)
		idxs.push_back(1UL << i);
	for (unsigned i = 2; i < 16; i++)
		idxs.push_back((1UL << i) - 1);
	for (unsigned long idx : idxs) {
		SCOPED_TRACE(idx);
		XA_STATE(xas, &xa, 0);
		unsigned long i;

		xa_store_index(&xa, 0, GFP_KERNEL);
		xa_store_index(&xa, idx, GFP_KERNEL);
		for (i = 0; i < idx * 4; i++) {
			void *entry = xas_next(&xas);
			if (i <= idx)
				{ ASSERT_NE(xas.xa_node, XAS_RESTART); }
			ASSERT_EQ(xas.xa_index, i);
			if (i == 0 || i == idx)
				{ ASSERT_EQ(entry, xa_mk_index(i)); }
			else
				{ ASSERT_EQ(entry, nullptr); }
		}
		xas_next(&xas);
		ASSERT_EQ(xas.xa_index, i);
		do {
			void *entry = xas_prev(&xas);
			i--;
			if (i <= idx)
				{ ASSERT_NE(xas.xa_node, XAS_RESTART); }
			ASSERT_EQ(xas.xa_index, i);
			if (i == 0 || i == idx)
				{ ASSERT_EQ(entry, xa_mk_index(i)); }
			else
				{ ASSERT_EQ(entry, nullptr); }
		} while (i > 0);

		xas_set(&xas, ULONG_MAX);
		EXPECT_EQ(xas_next(&xas), nullptr);
		EXPECT_EQ(xas.xa_index, ULONG_MAX);
		EXPECT_EQ(xas_next(&xas), xa_mk_value(0));
		EXPECT_EQ(xas.xa_index, 0u);
		EXPECT_EQ(xas_prev(&xas), nullptr);
		EXPECT_EQ(xas.xa_index, ULONG_MAX);
		xa_erase_index(&xa, 0);
		xa_erase_index(&xa, idx);
		EXPECT_TRUE(xa_empty(&xa));
	}
}

// check_destroy
TEST_F(Xarray, DestroyEmptiesAndFreesEverything)
{
	xa_destroy(&xa);
	EXPECT_TRUE(xa_empty(&xa));
	for (unsigned long index = 0; index < 1000; index++) {
		xa_store_index(&xa, index, GFP_KERNEL);
		ASSERT_FALSE(xa_empty(&xa));
		xa_destroy(&xa);
		ASSERT_TRUE(xa_empty(&xa));
		ASSERT_EQ(live_nodes(), 0u);
	}
	xa_store(&xa, ULONG_MAX, &xa, GFP_KERNEL);
	EXPECT_FALSE(xa_empty(&xa));
	xa_destroy(&xa);
	EXPECT_TRUE(xa_empty(&xa));
	for (unsigned long index = 0; index < 100000; index += 7)
		xa_store_index(&xa, index, GFP_KERNEL);
	xa_set_mark(&xa, 7, XA_MARK_2);
	EXPECT_GT(live_nodes(), 0u);
	xa_destroy(&xa);
	EXPECT_TRUE(xa_empty(&xa));
	EXPECT_FALSE(xa_marked(&xa, XA_MARK_2));
	EXPECT_EQ(live_nodes(), 0u);
}

// check_account (count / nr_values, as in check_multi_store's node checks)
TEST_F(Xarray, NodesCountEntriesAndValues)
{
	xa_store(&xa, 0, xa_mk_value(0), GFP_KERNEL);
	xa_store(&xa, 1, xa_mk_value(1), GFP_KERNEL);
	xa_node *node = xa_to_node(xa.xa_head);
	EXPECT_EQ(node->count, 2);
	EXPECT_EQ(node->nr_values, 2);
	/* Storing a pointer adjacent to the values does not alter them */
	xa_store(&xa, 3, &xa, GFP_KERNEL);
	EXPECT_EQ(node->count, 3);
	EXPECT_EQ(node->nr_values, 2);
	/* A reserved entry counts, but is not a value */
	ASSERT_EQ(xa_reserve(&xa, 4, GFP_KERNEL), 0);
	EXPECT_EQ(node->count, 4);
	EXPECT_EQ(node->nr_values, 2);
	/* Replacing a value by a pointer moves it between the counts */
	xa_store(&xa, 1, &xa, GFP_KERNEL);
	EXPECT_EQ(node->count, 4);
	EXPECT_EQ(node->nr_values, 1);
	xa_erase(&xa, 3);
	EXPECT_EQ(node->count, 3);
	EXPECT_TRUE(tree_ok(&xa));
}

// check_multi_find_2 (order 0): erase the entry a walk is on, under RCU
TEST_F(Xarray, EraseUnderAWalkLeavesItReadable)
{
	void *entry;

	for (unsigned long j = 0; j < 1; j++) {
		XA_STATE(xas, &xa, j + 1);
		xa_store_index(&xa, 0, GFP_KERNEL);
		xa_store_index(&xa, 1, GFP_KERNEL);
		unsigned seen = 0;
		rcu_read_lock();
		xas_for_each(&xas, entry, ULONG_MAX) {
			xa_erase_index(&xa, 1); // frees the leaf xas walks in
			seen++;
		}
		rcu_read_unlock();
		EXPECT_EQ(seen, 1u);
		xa_erase_index(&xa, 0);
		EXPECT_TRUE(xa_empty(&xa));
	}
}

// Beyond check_multi_find_2: a walk that erases every entry it visits, and
// some entries ahead of it, from a tree that collapses level by level under
// it, visits each entry still present exactly once and in order.
TEST_F(Xarray, EraseDuringRcuWalkVisitsEachLiveEntryOnce)
{
	std::mt19937_64 rng(7);
	std::map<unsigned long, bool> live;
	for (unsigned long base : {0UL, 60UL, 4090UL, (1UL << 20) - 5, 1UL << 30, ULONG_MAX - 70})
		for (unsigned long i = 0; i < 70; i++)
			live[base + i] = true;
	for (auto &[i, _] : live)
		ASSERT_EQ(xa_store_index(&xa, i, GFP_KERNEL), nullptr);

	XA_STATE(xas, &xa, 0);
	void *entry;
	std::vector<unsigned long> seen;
	rcu_read_lock();
	xas_for_each(&xas, entry, ULONG_MAX) {
		if (xas_retry(&xas, entry))
			continue;
		unsigned long index = xas.xa_index;
		ASSERT_EQ(entry, xa_mk_index(index));
		ASSERT_TRUE(live.count(index)) << "visited erased index " << index;
		seen.push_back(index);
		live.erase(index);
		xa_erase_index(&xa, index);
		if (rng() % 3 == 0 && !live.empty()) { // erase one ahead of the walk
			auto it = live.upper_bound(index + rng() % 200);
			if (it != live.end()) {
				xa_erase_index(&xa, it->first);
				live.erase(it);
			}
		}
	}
	EXPECT_GT(live_nodes(), 0u); // freed nodes wait for the grace period
	rcu_read_unlock();
	EXPECT_TRUE(live.empty());
	EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
	EXPECT_GT(seen.size(), 200u);
	EXPECT_TRUE(xa_empty(&xa));
	EXPECT_EQ(live_nodes(), 0u);
}

// check_pause (order 0)
TEST_F(Xarray, PauseResumesAtTheNextEntry)
{
	XA_STATE(xas, &xa, 0);
	void *entry;
	unsigned count = 0;

	EXPECT_EQ(xa_store_index(&xa, 1, GFP_KERNEL), nullptr);
	xas_for_each(&xas, entry, ULONG_MAX) {
		EXPECT_EQ(entry, xa_mk_index(1));
		count++;
	}
	EXPECT_EQ(count, 1u);
	count = 0;
	xas_set(&xas, 0);
	xas_for_each(&xas, entry, ULONG_MAX) {
		EXPECT_EQ(entry, xa_mk_index(1));
		count++;
		xas_pause(&xas);
	}
	EXPECT_EQ(count, 1u);
	xa_destroy(&xa);

	EXPECT_EQ(xa_store_index(&xa, 0, GFP_KERNEL), nullptr);
	for (bool pause : {false, true}) {
		count = 0;
		xas_set(&xas, 0); // 1 % (1UL << (order_limit - 1)) == 0
		xas_for_each(&xas, entry, ULONG_MAX) {
			EXPECT_EQ(entry, xa_mk_index(0));
			count++;
			if (pause)
				xas_pause(&xas);
		}
		EXPECT_EQ(count, 1u);
	}
}

// check_get_order, check_xas_get_order, check_xas_conflict_get_order (order 0)
TEST_F(Xarray, EveryEntryHasOrderZero)
{
	XA_STATE(xas, &xa, 0);
	void *entry;

	for (unsigned long i = 0; i < 3; i++)
		EXPECT_EQ(xa_get_order(&xa, i), 0);
	for (unsigned long i = 0; i < 10; i++) {
		xas_set_order(&xas, i, 0);
		do {
			xas_lock(&xas);
			xas_store(&xas, xa_mk_value(i));
			xas_unlock(&xas);
		} while (xas_nomem(&xas, GFP_KERNEL));
		EXPECT_EQ(xa_get_order(&xa, i), 0);
		xas_set_order(&xas, i, 0);
		EXPECT_EQ(xas_load(&xas), xa_mk_value(i));
		EXPECT_EQ(xas_get_order(&xas), 0);

		unsigned only_once = 0;
		xas_set_order(&xas, i, 0);
		xas_lock(&xas);
		xas_for_each_conflict(&xas, entry) {
			EXPECT_EQ(entry, xa_mk_value(i));
			only_once++;
		}
		xas_unlock(&xas);
		EXPECT_EQ(only_once, 1u);

		xas_set_order(&xas, i, 0);
		xas_lock(&xas);
		xas_store(&xas, nullptr);
		xas_unlock(&xas);
	}
	EXPECT_TRUE(xa_empty(&xa));
	EXPECT_DEATH(xas_set_order(&xas, 0, 1), "XA_BUG_ON\\(order > 0\\)");
}

namespace {
// __check_store_iter (order 0): the conflicts a store would overwrite.
void check_store_iter_1(xarray *xa, unsigned long start, unsigned present)
{
	XA_STATE_ORDER(xas, xa, start, 0);
	void *entry;
	unsigned count = 0;

	for (;;) {
		xas_lock(&xas);
		xas_for_each_conflict(&xas, entry) {
			EXPECT_TRUE(xa_is_value(entry));
			EXPECT_EQ(entry, xa_mk_index(start));
			count++;
		}
		xas_store(&xas, xa_mk_index(start));
		xas_unlock(&xas);
		if (!xas_nomem(&xas, GFP_KERNEL))
			break;
		count = 0;
	}
	EXPECT_EQ(xas_error(&xas), 0);
	EXPECT_EQ(count, present) << "start " << start;
	EXPECT_EQ(xa_load(xa, start), xa_mk_index(start));
	xa_erase_index(xa, start);
}
} // namespace

// check_store_iter (order 0); check_store_range has nothing left without
// xa_store_range() but its final "array is empty"
TEST_F(Xarray, ConflictsAreTheEntriesAStoreReplaces)
{
	check_store_iter_1(&xa, 0, 0);
	EXPECT_TRUE(xa_empty(&xa));
	check_store_iter_1(&xa, 1, 0);
	EXPECT_TRUE(xa_empty(&xa));
	xa_store_index(&xa, 1, GFP_KERNEL);
	check_store_iter_1(&xa, 1, 1);
	EXPECT_TRUE(xa_empty(&xa));
	xa_store_index(&xa, 1, GFP_KERNEL); // max == min for order 0
	check_store_iter_1(&xa, 1, 1);
	EXPECT_TRUE(xa_empty(&xa));
	xa_store_index(&xa, 0, GFP_KERNEL);
	check_store_iter_1(&xa, 0, 1);
	EXPECT_TRUE(xa_empty(&xa));
	/* Beyond the kernel: a neighbour is not a conflict */
	xa_store_index(&xa, 63, GFP_KERNEL);
	xa_store_index(&xa, 65, GFP_KERNEL);
	check_store_iter_1(&xa, 64, 0);
	xa_erase_index(&xa, 63);
	xa_erase_index(&xa, 65);
	EXPECT_TRUE(xa_empty(&xa));
}

namespace {
// xa_store_many_order (order 0): xas_create_range() then stores.
void xa_store_many_order(xarray *xa, unsigned long index)
{
	XA_STATE_ORDER(xas, xa, index, 0);

	do {
		xas_lock(&xas);
		EXPECT_EQ(xas_find_conflict(&xas), nullptr);
		xas_create_range(&xas);
		if (!xas_error(&xas)) {
			EXPECT_EQ(xas_store(&xas, xa_mk_index(index)), nullptr);
			xas_next(&xas);
		}
		xas_unlock(&xas);
	} while (xas_nomem(&xas, GFP_KERNEL));
	EXPECT_EQ(xas_error(&xas), 0);
}

// check_create_range_4 (order 0): the range holds an entry already.
void check_create_range_4(xarray *xa, unsigned long index)
{
	XA_STATE_ORDER(xas, xa, index, 0);

	xa_store_index(xa, index, GFP_KERNEL);
	do {
		xas_lock(&xas);
		xas_create_range(&xas);
		if (!xas_error(&xas)) {
			EXPECT_EQ(xas_store(&xas, xa_mk_index(index)), xa_mk_index(index));
			xas_next(&xas);
		}
		xas_unlock(&xas);
	} while (xas_nomem(&xas, GFP_KERNEL));
	EXPECT_EQ(xas_error(&xas), 0);
	xa_erase_index(xa, index);
	EXPECT_TRUE(xa_empty(xa));
}
} // namespace

// check_create_range (order 0: _1, _2, _3, _4, _5)
TEST_F(Xarray, CreateRangeMakesRoomForTheStore)
{
	for (unsigned long index : {0UL, 1UL, 2UL, 3UL, 1UL << 24}) {
		SCOPED_TRACE(index);
		xa_store_many_order(&xa, index); // _1
		xa_erase_index(&xa, index);
		EXPECT_TRUE(xa_empty(&xa));
	}
	xa_store_many_order(&xa, 0); // _2, nr = 1
	xa_erase_index(&xa, 0);
	EXPECT_TRUE(xa_empty(&xa));
	for (unsigned long index : {0UL, 1UL, 2UL, 3UL, 1UL << 24, 4UL, (1UL << 24) + 1})
		check_create_range_4(&xa, index);

	/* _3: an xa_state in error stays so */
	XA_STATE(err, nullptr, 0);
	xas_set_err(&err, -EEXIST);
	xas_create_range(&err);
	EXPECT_EQ(xas_error(&err), -EEXIST);

	/* _5: creating a range that exists again and again allocates nothing */
	for (unsigned long index : {0UL, 1UL}) {
		XA_STATE_ORDER(xas, &xa, index, 0);
		xa_store_index(&xa, index, GFP_KERNEL);
		std::size_t before = alloc_stats_get().total_allocs;
		for (unsigned i = 0; i < 10; i++) {
			do {
				xas_lock(&xas);
				xas_create_range(&xas);
				xas_unlock(&xas);
			} while (xas_nomem(&xas, GFP_KERNEL));
		}
		EXPECT_EQ(alloc_stats_get().total_allocs, before);
		xa_destroy(&xa);
	}

	/* Beyond the kernel: the slots are there, so the store cannot fail */
	XA_STATE(xas, &xa, 1UL << 30);
	xas_create_range(&xas);
	ASSERT_EQ(xas_error(&xas), 0);
	EXPECT_EQ(live_nodes(), 6u);
	fail_nth_set(1);
	EXPECT_EQ(xas_store(&xas, xa_mk_value(7)), nullptr);
	EXPECT_FALSE(fail_nth_fired());
	fail_nth_set(0);
	EXPECT_EQ(xa_load(&xa, 1UL << 30), xa_mk_value(7));
}

namespace {
// check_align_1
void check_align_1(xarray *xa, char *name)
{
	std::uint32_t id;
	unsigned long index;
	void *entry;

	for (std::uint32_t i = 0; i < 8; i++) {
		ASSERT_EQ(xa_alloc(xa, &id, name + i, xa_limit_32b, GFP_KERNEL), 0);
		EXPECT_EQ(id, i);
	}
	unsigned long n = 0;
	xa_for_each(xa, index, entry) {
		EXPECT_FALSE(xa_is_err(entry));
		EXPECT_EQ(entry, name + index); // beyond the kernel: the right one
		n++;
	}
	EXPECT_EQ(n, 8u);
	/* Beyond the kernel: every walk stops at the leaf */
	XA_STATE(xas, xa, 0);
	n = 0;
	xas_for_each(&xas, entry, ULONG_MAX) {
		EXPECT_EQ(entry, name + xas.xa_index);
		n++;
	}
	EXPECT_EQ(n, 8u);
	for (unsigned long i = 0; i < 8; i++) {
		EXPECT_EQ(xa_load(xa, i), name + i);
		xa_set_mark(xa, i, XA_MARK_1);
		EXPECT_TRUE(xa_get_mark(xa, i, XA_MARK_1));
	}
	xas_set(&xas, 0);
	n = 0;
	xas_for_each_marked(&xas, entry, ULONG_MAX, XA_MARK_1) {
		EXPECT_EQ(entry, name + xas.xa_index);
		n++;
	}
	EXPECT_EQ(n, 8u);
	for (unsigned long i = 1; i < 8; i++) // leaves 0 alone in the leaf root
		EXPECT_EQ(xa_erase(xa, i), name + i);
	EXPECT_EQ(xa_load(xa, 0), name);
	EXPECT_TRUE(tree_ok(xa));
	xa_destroy(xa);
}

// check_align_2: "We should always be able to store without allocating
// memory after reserving a slot."
void check_align_2(xarray *xa, char *name)
{
	EXPECT_TRUE(xa_empty(xa));
	for (int i = 0; i < 8; i++) {
		EXPECT_EQ(xa_store(xa, 0, name + i, GFP_KERNEL), nullptr);
		EXPECT_EQ(xa_load(xa, 0), name + i);
		xa_erase(xa, 0);
	}
	for (int i = 0; i < 8; i++) {
		EXPECT_EQ(xa_reserve(xa, 0, GFP_KERNEL), 0);
		fail_nth_set(1); // beyond the kernel: prove that nothing is allocated
		EXPECT_EQ(xa_store(xa, 0, name + i, 0), nullptr);
		EXPECT_FALSE(fail_nth_fired());
		fail_nth_set(0);
		xa_erase(xa, 0);
	}
	EXPECT_TRUE(xa_empty(xa));
}
} // namespace

// check_align: pointers of every alignment, including 2 mod 4, which look
// like internal entries (nodes) and so never live in the head
TEST_F(Xarray, StoresPointersOfEveryAlignment)
{
	alignas(8) char name[] = "Motorola 68000";
	xa_init_flags(&xa, XA_FLAGS_ALLOC);
	for (int k = 0; k < 4; k++)
		check_align_1(&xa, name + k);
	xa_init(&xa);
	check_align_2(&xa, name);
	xa_init_flags(&xa, XA_FLAGS_ALLOC);
	check_align_2(&xa, name);
}

namespace {
// The kernel's test_update_node() keeps its "shadow nodes" on
// node->private_list; here that word is node->occupied, so a set.
std::set<xa_node *> shadow_nodes;

void test_update_node(xa_node *node)
{
	if (node->count && node->count == node->nr_values)
		shadow_nodes.insert(node);
	else
		shadow_nodes.erase(node);
}

void shadow_remove(xarray *xa)
{
	xa_lock(xa);
	while (!shadow_nodes.empty()) {
		xa_node *node = *shadow_nodes.begin();
		EXPECT_EQ(node->array, xa);
		shadow_nodes.erase(shadow_nodes.begin());
		xa_delete_node(node, test_update_node);
	}
	xa_unlock(xa);
}
} // namespace

// check_workingset: the update callback sees nodes of only values come and
// go, and xa_delete_node() removes them
TEST_F(Xarray, UpdateCallbackTracksNodesOfOnlyValues)
{
	for (unsigned long index : {0UL, 64UL, 4096UL}) {
		SCOPED_TRACE(index);
		XA_STATE(xas, &xa, index);
		xas_set_update(&xas, test_update_node);

		do {
			xas_lock(&xas);
			xas_store(&xas, xa_mk_value(0));
			xas_next(&xas);
			xas_store(&xas, xa_mk_value(1));
			xas_unlock(&xas);
		} while (xas_nomem(&xas, GFP_KERNEL));
		EXPECT_FALSE(shadow_nodes.empty());

		xas_lock(&xas);
		xas_next(&xas);
		xas_store(&xas, &xas);
		EXPECT_TRUE(shadow_nodes.empty());
		xas_store(&xas, xa_mk_value(2));
		xas_unlock(&xas);
		EXPECT_EQ(shadow_nodes.size(), 1u);

		shadow_remove(&xa);
		EXPECT_TRUE(shadow_nodes.empty());
		EXPECT_TRUE(xa_empty(&xa));
		EXPECT_EQ(live_nodes(), 0u);
	}
}

/* ---------------------------------------------------------------------- */
/* Beyond test_xarray.c                                                   */

// Marked searches that start mid-node and cross node boundaries, against a
// brute-force answer, for every search form.
TEST_F(Xarray, MarkedFindCrossesNodeBoundariesFromAnyStart)
{
	const std::vector<unsigned long> present = {1, 62, 63, 64, 65, 127, 128, 4095, 4096, 4097,
						    (1UL << 20) - 1, 1UL << 20, ULONG_MAX - 1, ULONG_MAX};
	std::map<unsigned long, unsigned> marks; // index -> mark bits
	for (std::size_t i = 0; i < present.size(); i++) {
		xa_store_index(&xa, present[i], GFP_KERNEL);
		unsigned m = (i % 3 == 0 ? 1u : 0u) | (i % 4 == 1 ? 2u : 0u) | (i % 5 == 2 ? 4u : 0u);
		marks[present[i]] = m;
		for (xa_mark_t mk = 0; mk < XA_MAX_MARKS; mk++)
			if (m & (1u << mk))
				xa_set_mark(&xa, present[i], mk);
	}
	auto expect = [&](unsigned long from, unsigned long max, xa_mark_t f) -> std::optional<unsigned long> {
		for (auto it = marks.lower_bound(from); it != marks.end() && it->first <= max; ++it)
			if (f == XA_PRESENT || (it->second & (1u << f)))
				return it->first;
		return std::nullopt;
	};
	std::vector<unsigned long> starts = {0, 2, 31, 200, 1000, 4000, 5000, 1UL << 19, (1UL << 20) + 1, 1UL << 40};
	for (unsigned long p : present)
		for (long d = -2; d <= 2; d++)
			starts.push_back(p + static_cast<unsigned long>(d));
	unsigned checks = 0;
	for (unsigned long s0 : starts) {
		for (unsigned long max : {ULONG_MAX, s0 + 1, s0 + 64, s0 | 63, s0 | 4095}) {
			for (xa_mark_t f : {XA_PRESENT, XA_MARK_0, XA_MARK_1, XA_MARK_2}) {
				SCOPED_TRACE(::testing::Message() << "start " << s0 << " max " << max << " filter " << f);
				unsigned long index = s0;
				void *entry = xa_find(&xa, &index, max, f);
				std::optional<unsigned long> want = expect(s0, max, f);
				EXPECT_EQ(entry, want ? xa_mk_index(*want) : nullptr);
				if (want)
					{ EXPECT_EQ(index, *want); }
				index = s0;
				entry = xa_find_after(&xa, &index, max, f);
				want = s0 == ULONG_MAX ? std::nullopt : expect(s0 + 1, max, f);
				EXPECT_EQ(entry, want ? xa_mk_index(*want) : nullptr);
				if (want)
					{ EXPECT_EQ(index, *want); }
				if (f != XA_PRESENT && s0 <= max) { // the walk from s0 sees every marked entry
					XA_STATE(xas, &xa, s0);
					std::vector<unsigned long> got, exp;
					xas_for_each_marked(&xas, entry, max, f)
						got.push_back(xas.xa_index);
					for (auto it = marks.lower_bound(s0); it != marks.end() && it->first <= max; ++it)
						if (it->second & (1u << f))
							exp.push_back(it->first);
					EXPECT_EQ(got, exp);
				}
				checks++;
			}
		}
	}
	EXPECT_GT(checks, 1000u);
}

// A mark left on a NULL slot (xas_set_mark() on an empty slot: only the
// advanced API can) does not end a marked search: the entry after it is
// found, as the kernel's xas_find_marked() skips such slots.
TEST_F(Xarray, MarkedNullSlotDoesNotHideLaterEntries)
{
	xa_store_index(&xa, 5, GFP_KERNEL);
	xa_store_index(&xa, 70, GFP_KERNEL);
	xa_set_mark(&xa, 70, XA_MARK_1);
	XA_STATE(xas, &xa, 6);
	EXPECT_EQ(xas_load(&xas), nullptr);
	xas_set_mark(&xas, XA_MARK_1); // slot 6 is NULL
	unsigned long index = 0;
	EXPECT_EQ(xa_find(&xa, &index, ULONG_MAX, XA_MARK_1), xa_mk_index(70));
	EXPECT_EQ(index, 70u);
	index = 5;
	EXPECT_EQ(xa_find_after(&xa, &index, ULONG_MAX, XA_MARK_1), xa_mk_index(70));
	xas_clear_mark(&xas, XA_MARK_1);
}

// xa_extract() copies what xa_find() would visit, up to n.
TEST_F(Xarray, ExtractCopiesMatchingEntriesInOrder)
{
	for (unsigned long i : {3UL, 63UL, 64UL, 4096UL, ULONG_MAX})
		xa_store_index(&xa, i, GFP_KERNEL);
	ASSERT_EQ(xa_reserve(&xa, 10, GFP_KERNEL), 0);
	xa_set_mark(&xa, 64, XA_MARK_2);
	xa_set_mark(&xa, ULONG_MAX, XA_MARK_2);
	void *dst[8] = {};
	EXPECT_EQ(xa_extract(&xa, dst, 0, ULONG_MAX, 8, XA_PRESENT), 5u);
	EXPECT_EQ(dst[0], xa_mk_index(3));
	EXPECT_EQ(dst[4], xa_mk_index(ULONG_MAX));
	EXPECT_EQ(xa_extract(&xa, dst, 4, 4096, 2, XA_PRESENT), 2u);
	EXPECT_EQ(dst[0], xa_mk_index(63));
	EXPECT_EQ(dst[1], xa_mk_index(64));
	EXPECT_EQ(xa_extract(&xa, dst, 0, ULONG_MAX, 8, XA_MARK_2), 2u);
	EXPECT_EQ(dst[1], xa_mk_index(ULONG_MAX));
	EXPECT_EQ(xa_extract(&xa, dst, 0, ULONG_MAX, 0, XA_PRESENT), 0u);
}

// The node cache: a node freed into it is reused, and fail_nth still fails
// a node allocation that the cache would have served.
TEST_F(Xarray, NodeCacheIsReusedAndStillInjectable)
{
	for (unsigned long i = 0; i < 4096; i += 64)
		xa_store_index(&xa, i, GFP_KERNEL);
	xa_destroy(&xa); // 65 nodes into the cache
	EXPECT_EQ(live_nodes(), 0u);
	fail_nth_set(1);
	EXPECT_EQ(xa_err(xa_store_index(&xa, 1UL << 40, GFP_KERNEL)), -ENOMEM);
	EXPECT_TRUE(fail_nth_fired());
	EXPECT_TRUE(xa_empty(&xa));
	fail_nth_set(3); // the third of the 7 nodes
	EXPECT_EQ(xa_err(xa_store_index(&xa, 1UL << 40, GFP_KERNEL)), -ENOMEM);
	EXPECT_TRUE(xa_empty(&xa));
	EXPECT_EQ(live_nodes(), 0u);
	fail_nth_set(0);
	EXPECT_EQ(xa_store_index(&xa, 1UL << 40, GFP_KERNEL), nullptr);
	EXPECT_EQ(live_nodes(), 7u);
}


// lu_kmem_cache_alloc(): a cache whose user frees zeroed objects hands them
// out zeroed (it clears only its link word), counted and injectable as
// lu_kmem_cache_zalloc(); debug and ASan builds abort on a dirty object.
TEST(NodeCache, AllocReusesZeroedObjectsAndChecksTheContract)
{
	lu_kmem_cache cache{64};
	const alloc_stats before = alloc_stats_get();
	auto *p = static_cast<unsigned char *>(lu_kmem_cache_alloc(&cache));
	ASSERT_NE(p, nullptr);
	EXPECT_EQ(std::count(p, p + 64, 0), 64);
	EXPECT_EQ(alloc_stats_get().live_allocs, before.live_allocs + 1);
	lu_kmem_cache_free(&cache, p); // zeroed, as the contract wants
	EXPECT_EQ(cache.nr_free, 1u);
	auto *q = static_cast<unsigned char *>(lu_kmem_cache_alloc(&cache));
	EXPECT_EQ(q, p);
	EXPECT_EQ(std::count(q, q + 64, 0), 64);
	fail_nth_set(1);
	EXPECT_EQ(lu_kmem_cache_alloc(&cache), nullptr);
	EXPECT_TRUE(fail_nth_fired());
	fail_nth_set(0);
	q[63] = 1;
	lu_kmem_cache_free(&cache, q); // breaks the contract
#if !defined(NDEBUG) || defined(__SANITIZE_ADDRESS__)
	EXPECT_DEATH((void)lu_kmem_cache_alloc(&cache), "freed with byte 63 = 0x1, not zeroed");
#endif
	lu_kmem_cache_shrink(&cache);
	EXPECT_EQ(cache.nr_free, 0u);
	EXPECT_EQ(cache.free, nullptr);
	EXPECT_EQ(alloc_stats_get().live_allocs, before.live_allocs);
}

namespace {
// Every slot of every node of @xa holds exactly what @want says (index ->
// entry, others NULL), and no node has a mark: a node the cache handed out
// dirty would show a stale slot or mark.
void expect_clean_tree(const xa_node *node, unsigned long base, const std::map<unsigned long, void *> &want)
{
	for (unsigned m = 0; m < XA_MAX_MARKS; m++)
		EXPECT_EQ(node->marks[m][0], 0UL) << "mark " << m << " of node at " << base;
	unsigned long occupied = 0;
	for (unsigned i = 0; i < XA_CHUNK_SIZE; i++) {
		const unsigned long index = base + (static_cast<unsigned long>(i) << node->shift);
		void *entry = node->slots[i];
		if (entry)
			occupied |= 1UL << i;
		if (node->shift && xa_is_node(entry)) {
			EXPECT_EQ(xa_to_node(entry)->parent, node);
			EXPECT_EQ(xa_to_node(entry)->offset, i);
			expect_clean_tree(xa_to_node(entry), index, want);
			continue;
		}
		auto it = want.find(index);
		EXPECT_EQ(entry, it == want.end() ? nullptr : it->second) << "index " << index;
	}
	EXPECT_EQ(node->occupied, occupied);
}
} // namespace

// Nodes go back to the cache zeroed from every path that frees them
// (radix_tree_node_rcu_free()): erase down to empty, a root that shrinks,
// xa_destroy() of a marked tree (retry entries), an allocating array (all
// free marks set), frees deferred by an RCU section, a failed store's trim;
// a tree then built from those nodes has no stale slot or mark.
TEST_F(Xarray, NodesComeBackZeroedFromEveryFreePath)
{
	std::mt19937_64 rng(15);
	// Marked entries, dense and sparse, destroyed: xas_free_nodes().
	for (unsigned long i = 0; i < 4096; i += (i < 1024 ? 1 : 61)) {
		xa_store_index(&xa, i, GFP_KERNEL);
		xa_set_mark(&xa, i, static_cast<xa_mark_t>(i % 3));
	}
	xa_destroy(&xa);
	// Erased one by one, some inside an RCU section (deferred frees) and
	// marked: xas_delete_node() and xas_shrink().
	for (unsigned long i = 1; i < 8192; i += 67)
		xa_store_index(&xa, i, GFP_KERNEL);
	xa_set_mark(&xa, 1, XA_MARK_1);
	rcu_read_lock();
	for (unsigned long i = 1; i < 4096; i += 67)
		xa_erase_index(&xa, i);
	rcu_read_unlock();
	for (unsigned long i = 1; i < 8192; i += 67)
		if (i >= 4096)
			xa_erase_index(&xa, i);
	EXPECT_TRUE(xa_empty(&xa));
	// A root that collapses back to the head (index 0 stays).
	xa_store_index(&xa, 0, GFP_KERNEL);
	xa_store_index(&xa, 1UL << 30, GFP_KERNEL);
	xa_erase_index(&xa, 1UL << 30);
	xa_erase_index(&xa, 0);
	// A failed store trims the nodes it made.
	fail_nth_set(3);
	EXPECT_EQ(xa_err(xa_store_index(&xa, 1UL << 40, GFP_KERNEL)), -ENOMEM);
	fail_nth_set(0);
	// An allocating array: every node has the free mark on every slot.
	{
		DEFINE_XARRAY_ALLOC(xa_ids);
		std::uint32_t id;
		for (int i = 0; i < 300; i++)
			ASSERT_EQ(xa_alloc(&xa_ids, &id, xa_mk_value(1), xa_limit_32b, GFP_KERNEL), 0);
		for (std::uint32_t i = 0; i < 300; i += 2)
			xa_erase(&xa_ids, i);
		xa_destroy(&xa_ids);
	}
	EXPECT_EQ(live_nodes(), 0u);

	// Rebuild with more nodes than were cached: each reused node must be clean.
	std::map<unsigned long, void *> want;
	for (int k = 0; k < 3000; k++) {
		const unsigned long index = rng() & 0xfffff;
		want[index] = xa_mk_index(index);
		xa_store_index(&xa, index, GFP_KERNEL);
	}
	ASSERT_TRUE(xa_is_node(xa.xa_head));
	EXPECT_EQ(xa.xa_flags & (XA_FLAGS_MARK(XA_MARK_0) | XA_FLAGS_MARK(XA_MARK_1) | XA_FLAGS_MARK(XA_MARK_2)), 0u);
	expect_clean_tree(xa_to_node(xa.xa_head), 0, want);
}

TEST_F(Xarray, BoundaryIndicesRoundTrip)
{
	const unsigned long idx[] = {0, 1, (1UL << 20) - 1, ULONG_MAX};
	const unsigned root_shift[] = {0, 0, 18, 60};
	const std::size_t nodes_alone[] = {0, 1, 4, 11};
	for (unsigned a = 0; a < 4; a++) {
		SCOPED_TRACE(idx[a]);
		ASSERT_EQ(xa_store_index(&xa, idx[a], GFP_KERNEL), nullptr);
		EXPECT_EQ(xa_load(&xa, idx[a]), xa_mk_index(idx[a]));
		EXPECT_EQ(live_nodes(), nodes_alone[a]);
		if (xa_is_node(xa.xa_head))
			{ EXPECT_EQ(xa_to_node(xa.xa_head)->shift, root_shift[a]); }
		unsigned long index = 0;
		EXPECT_EQ(xa_find(&xa, &index, ULONG_MAX, XA_PRESENT), xa_mk_index(idx[a]));
		EXPECT_EQ(index, idx[a]);
		index = idx[a];
		EXPECT_EQ(xa_find_after(&xa, &index, ULONG_MAX, XA_PRESENT), nullptr);
		if (idx[a]) {
			index = idx[a] - 1;
			EXPECT_EQ(xa_find_after(&xa, &index, ULONG_MAX, XA_PRESENT), xa_mk_index(idx[a]));
			index = 0;
			EXPECT_EQ(xa_find(&xa, &index, idx[a] - 1, XA_PRESENT), nullptr);
		}
		xa_set_mark(&xa, idx[a], XA_MARK_1);
		EXPECT_TRUE(xa_get_mark(&xa, idx[a], XA_MARK_1));
		index = 0;
		EXPECT_EQ(xa_find(&xa, &index, ULONG_MAX, XA_MARK_1), xa_mk_index(idx[a]));
		EXPECT_EQ(xa_insert(&xa, idx[a], &xa, GFP_KERNEL), -EBUSY);
		xa_erase_index(&xa, idx[a]);
		EXPECT_TRUE(xa_empty(&xa));
		EXPECT_FALSE(xa_marked(&xa, XA_MARK_1));
		EXPECT_EQ(live_nodes(), 0u);
	}
	/* All four together, then erased in every rotation */
	for (unsigned r = 0; r < 4; r++) {
		for (unsigned long i : idx)
			ASSERT_EQ(xa_store_index(&xa, i, GFP_KERNEL), nullptr);
		EXPECT_TRUE(tree_ok(&xa));
		unsigned long index, n = 0;
		void *entry;
		xa_for_each(&xa, index, entry)
			EXPECT_EQ(index, idx[n++]);
		EXPECT_EQ(n, 4u);
		for (unsigned a = 0; a < 4; a++) {
			xa_erase_index(&xa, idx[(a + r) % 4]);
			EXPECT_TRUE(tree_ok(&xa));
		}
		EXPECT_TRUE(xa_empty(&xa));
		EXPECT_EQ(live_nodes(), 0u);
	}
}

TEST_F(Xarray, NodeAccountingMatchesTheTreeShape)
{
	/* Dense 0..4095: 64 leaves under one root */
	for (unsigned long i = 0; i < 4096; i++)
		xa_store_index(&xa, i, GFP_KERNEL);
	EXPECT_EQ(live_nodes(), 65u);
	EXPECT_EQ(alloc_stats_get().live_bytes - base_.live_bytes, 65 * kNodeBytes);
	EXPECT_EQ(kNodeBytes, 576u);
	/* One more level and a leaf for 4096 */
	xa_store_index(&xa, 4096, GFP_KERNEL);
	EXPECT_EQ(live_nodes(), 68u); // new root + new mid node + new leaf
	xa_erase_index(&xa, 4096);
	EXPECT_EQ(live_nodes(), 65u); // shrunk back
	/* Erasing one leaf's 64 entries frees exactly that leaf */
	for (unsigned long i = 64; i < 128; i++)
		xa_erase_index(&xa, i);
	EXPECT_EQ(live_nodes(), 64u);
	for (unsigned long i = 0; i < 4096; i++)
		if (i < 64 || i >= 128)
			xa_erase_index(&xa, i);
	EXPECT_TRUE(xa_empty(&xa));
	EXPECT_EQ(live_nodes(), 0u);
	/* Total allocations: one per node, no hidden extra */
	std::size_t before = alloc_stats_get().total_allocs;
	xa_store_index(&xa, 1UL << 30, GFP_KERNEL);
	EXPECT_EQ(alloc_stats_get().total_allocs - before, 6u); // shifts 30,24,18,12,6,0
}

TEST_F(Xarray, DumpPrintsNodesValuesAndZeroEntries)
{
	xa_store(&xa, 5, xa_mk_value(5), GFP_KERNEL);
	ASSERT_EQ(xa_reserve(&xa, 70, GFP_KERNEL), 0);
	xa_set_mark(&xa, 5, XA_MARK_1);
	::testing::internal::CaptureStderr();
	xa_dump(&xa);
	std::string out = ::testing::internal::GetCapturedStderr();
	EXPECT_NE(out.find("xarray: "), std::string::npos) << out;
	EXPECT_NE(out.find("marks 0 1 0"), std::string::npos) << out;
	EXPECT_NE(out.find("0-4095: node"), std::string::npos) << out;
	EXPECT_NE(out.find("shift 6 count 2 values 0"), std::string::npos) << out;
	EXPECT_NE(out.find("0-63: node"), std::string::npos) << out;
	EXPECT_NE(out.find("5: value 5 (0x5)"), std::string::npos) << out;
	EXPECT_NE(out.find("70: zero (257)"), std::string::npos) << out;
	EXPECT_EQ(out.find("UNKNOWN"), std::string::npos) << out;
}

TEST_F(Xarray, BugOnDumpsTheTreeThenAborts)
{
	xa_store(&xa, 3, xa_mk_value(3), GFP_KERNEL);
	EXPECT_DEATH(XA_BUG_ON(&xa, xa_load(&xa, 3) != nullptr),
		     "xarray: .*3: value 3 .*XA_BUG_ON\\(xa_load\\(&xa, 3\\) != nullptr\\)");
	XA_BUG_ON(&xa, xa_load(&xa, 3) == nullptr); // must not fire
}

/* ---------------------------------------------------------------------- */
/* Differential test and fault injection against a std::map reference     */

namespace {

enum class Op { Store, Erase, Insert, Cmpxchg, Reserve, Release, Alloc, Find, FindAfter,
		SetMark, ClearMark, GetMark, Load };

// Where the indices of a differential run come from.
enum class IndexPattern { mixed, dense, random20, boundary };

struct Ref {
	void *entry; // XA_ZERO_ENTRY for a reserved index
	unsigned marks;
};

struct Result {
	void *ptr = nullptr;
	int err = 0;
	unsigned long index = 0;
	std::uint32_t id = 0;
	bool operator==(const Result &) const = default;
};

std::ostream &operator<<(std::ostream &os, const Result &r)
{
	return os << "{ptr " << r.ptr << " err " << r.err << " index " << r.index << " id " << r.id << "}";
}

struct Step {
	Op op;
	unsigned long index;
	void *entry;
	void *old;
	unsigned long max;
	xa_mark_t mark;
	xa_limit limit;
};

// Model of one xarray (plain, ALLOC or ALLOC1) in a std::map, with one
// std::set of indices per mark so that a marked search is a lower_bound().
struct Model {
	gfp_t flags;
	std::map<unsigned long, Ref> map;
	std::set<unsigned long> marked[XA_MAX_MARKS] = {};

	bool alloc() const { return flags & XA_FLAGS_TRACK_FREE; }
	void *get(unsigned long index) const
	{
		auto it = map.find(index);
		return it == map.end() ? nullptr : it->second.entry;
	}
	static void *user(void *entry) { return xa_is_zero(entry) ? nullptr : entry; }
	void erase_at(unsigned long index)
	{
		auto it = map.find(index);
		if (it == map.end())
			return;
		for (xa_mark_t m = 0; m < XA_MAX_MARKS; m++)
			if (it->second.marks & (1u << m))
				marked[m].erase(index);
		map.erase(it);
	}
	void put(unsigned long index, void *entry)
	{
		if (!entry) {
			erase_at(index);
			return;
		}
		auto [it, fresh] = map.try_emplace(index, Ref{entry, 0});
		if (!fresh)
			it->second.entry = entry;
	}

	Result find(unsigned long from, unsigned long max, xa_mark_t filter, bool after) const
	{
		Result r;
		r.index = from;
		if (after) {
			if (from == ULONG_MAX)
				return r;
			from++;
		}
		if (filter < XA_MAX_MARKS) {
			const auto &set = marked[filter];
			for (auto it = set.lower_bound(from); it != set.end() && *it <= max; ++it) {
				void *entry = map.at(*it).entry;
				if (xa_is_zero(entry))
					continue;
				r.ptr = entry;
				r.index = *it;
				return r;
			}
			return r;
		}
		for (auto it = map.lower_bound(from); it != map.end() && it->first <= max; ++it) {
			if (xa_is_zero(it->second.entry))
				continue;
			r.ptr = it->second.entry;
			r.index = it->first;
			return r;
		}
		return r;
	}

	Result apply(const Step &s)
	{
		Result r;
		void *cur = get(s.index);
		switch (s.op) {
		case Op::Store:
			r.ptr = user(cur);
			put(s.index, !s.entry && alloc() ? XA_ZERO_ENTRY : s.entry);
			break;
		case Op::Erase:
			r.ptr = user(cur);
			erase_at(s.index);
			break;
		case Op::Insert:
			if (cur)
				r.err = -EBUSY;
			else
				put(s.index, s.entry ? s.entry : XA_ZERO_ENTRY);
			break;
		case Op::Cmpxchg:
			r.ptr = user(cur);
			if (cur == s.old)
				put(s.index, s.entry);
			break;
		case Op::Reserve:
			if (!cur)
				put(s.index, XA_ZERO_ENTRY);
			break;
		case Op::Release:
			if (xa_is_zero(cur))
				erase_at(s.index);
			break;
		case Op::Alloc: {
			if (!alloc()) {
				r.err = -EINVAL;
				break;
			}
			r.err = -EBUSY;
			unsigned long lo = s.limit.min;
			if (lo == 0 && (flags & XA_FLAGS_ZERO_BUSY))
				lo = 1;
			// The lowest index in [lo, max] not in the map: walk the run
			// of used indices from lo.
			unsigned long cand = lo;
			for (auto it = map.lower_bound(lo); it != map.end() && it->first == cand; ++it)
				cand++;
			if (cand >= lo && cand <= s.limit.max) {
				r.err = 0;
				r.id = static_cast<std::uint32_t>(cand);
				put(cand, s.entry ? s.entry : XA_ZERO_ENTRY);
			}
			break;
		}
		case Op::Find:
		case Op::FindAfter:
			r = find(s.index, s.max, s.mark, s.op == Op::FindAfter);
			break;
		case Op::SetMark:
			if (cur) {
				map[s.index].marks |= 1u << s.mark;
				marked[s.mark].insert(s.index);
			}
			break;
		case Op::ClearMark:
			if (cur) {
				map[s.index].marks &= ~(1u << s.mark);
				marked[s.mark].erase(s.index);
			}
			break;
		case Op::GetMark: {
			auto it = map.find(s.index);
			r.err = it != map.end() && (it->second.marks & (1u << s.mark));
			break;
		}
		case Op::Load:
			r.ptr = user(cur);
			break;
		}
		return r;
	}
};

Result apply_xa(xarray *xa, const Step &s)
{
	Result r;
	switch (s.op) {
	case Op::Store:
		r.ptr = xa_store(xa, s.index, s.entry, GFP_KERNEL);
		break;
	case Op::Erase:
		r.ptr = xa_erase(xa, s.index);
		break;
	case Op::Insert:
		r.err = xa_insert(xa, s.index, s.entry, GFP_KERNEL);
		break;
	case Op::Cmpxchg:
		r.ptr = xa_cmpxchg(xa, s.index, s.old, s.entry, GFP_KERNEL);
		break;
	case Op::Reserve:
		r.err = xa_reserve(xa, s.index, GFP_KERNEL);
		break;
	case Op::Release:
		xa_release(xa, s.index);
		break;
	case Op::Alloc:
		r.err = xa_alloc(xa, &r.id, s.entry, s.limit, GFP_KERNEL);
		break;
	case Op::Find:
		r.index = s.index;
		r.ptr = xa_find(xa, &r.index, s.max, s.mark);
		break;
	case Op::FindAfter:
		r.index = s.index;
		r.ptr = xa_find_after(xa, &r.index, s.max, s.mark);
		break;
	case Op::SetMark:
		xa_set_mark(xa, s.index, s.mark);
		break;
	case Op::ClearMark:
		xa_clear_mark(xa, s.index, s.mark);
		break;
	case Op::GetMark:
		r.err = xa_get_mark(xa, s.index, s.mark);
		break;
	case Op::Load:
		r.ptr = xa_load(xa, s.index);
		break;
	}
	return r;
}

// Whole-table comparison: every slot (reserved ones included) with its marks.
::testing::AssertionResult same_table(xarray *xa, const Model &m)
{
	XA_STATE(xas, xa, 0);
	void *entry;
	auto it = m.map.begin();
	std::size_t n = 0;
	xas_for_each(&xas, entry, ULONG_MAX) {
		// An ALLOC1 array keeps index 0 busy with a zero entry in its leftmost leaf.
		if ((m.flags & XA_FLAGS_ZERO_BUSY) && xas.xa_index == 0 && xa_is_zero(entry) && !m.map.count(0))
			continue;
		if (it == m.map.end())
			return ::testing::AssertionFailure() << "extra entry at " << xas.xa_index;
		if (xas.xa_index != it->first || entry != it->second.entry)
			return ::testing::AssertionFailure()
			       << "at " << xas.xa_index << " found " << entry << ", model has " << it->first
			       << " = " << it->second.entry;
		for (xa_mark_t mk = 0; mk < XA_MAX_MARKS; mk++) {
			if (m.alloc() && mk == XA_FREE_MARK) {
				if (xas_get_mark(&xas, mk))
					return ::testing::AssertionFailure() << "used index " << it->first << " marked free";
				continue;
			}
			if (xas_get_mark(&xas, mk) != ((it->second.marks >> mk) & 1))
				return ::testing::AssertionFailure() << "mark " << mk << " at " << it->first;
		}
		++it;
		++n;
	}
	if (it != m.map.end())
		return ::testing::AssertionFailure() << "missing entry at " << it->first;
	if (xa_empty(xa) != m.map.empty())
		return ::testing::AssertionFailure() << "xa_empty() " << xa_empty(xa) << " with " << n << " entries";
	return tree_ok(xa);
}

struct Gen {
	std::mt19937_64 rng;
	std::vector<unsigned long> hot; // indices that exist or existed
	std::uint64_t ptrs[64] = {};    // real, aligned pointers to store

	std::size_t cap;                // erase instead of store above this size
	IndexPattern pattern;

	explicit Gen(std::uint64_t seed, std::size_t cap_ = 3000, IndexPattern p = IndexPattern::mixed)
		: rng(seed), cap(cap_), pattern(p) {}
	unsigned long below(unsigned long n) { return std::uniform_int_distribution<unsigned long>(0, n - 1)(rng); }

	// An index next to a node boundary: a multiple of 2^k (k = 6, 12, 18,
	// ... or any k), or one of the edges, give or take 3.
	unsigned long boundary_index()
	{
		static constexpr unsigned long edge[] = {0, 63, 64, 4095, 4096, (1UL << 20) - 1, 1UL << 20,
							 ULONG_MAX - 1, ULONG_MAX};
		unsigned long base;
		switch (below(4)) {
		case 0:
			base = edge[below(std::size(edge))];
			break;
		case 1:
			base = (below(64) + 1) << (6 * (1 + below(3)));
			break;
		case 2:
			base = 1UL << below(64);
			break;
		default:
			base = below(1UL << 20) & ~63UL;
			break;
		}
		return base + below(7) - 3;
	}

	unsigned long index()
	{
		if (pattern != IndexPattern::mixed && !hot.empty() && below(3) == 0)
			return hot[below(hot.size())];
		switch (pattern) {
		case IndexPattern::dense:
			return below(2048);
		case IndexPattern::random20:
			return below(1UL << 20);
		case IndexPattern::boundary:
			return boundary_index();
		case IndexPattern::mixed:
			break;
		}
		switch (below(16)) {
		case 0:
			return below(4);
		case 1: {
			static constexpr unsigned long edge[] = {0, 1, 63, 64, 4095, 4096, (1UL << 20) - 1,
								 1UL << 20, UINT_MAX, ULONG_MAX - 1, ULONG_MAX};
			return edge[below(std::size(edge))];
		}
		case 2:
		case 3:
			return below(1UL << 20);
		case 4:
			return rng();
		default:
			if (!hot.empty() && below(2))
				return hot[below(hot.size())];
			return below(5000);
		}
	}
	void *entry()
	{
		switch (below(4)) {
		case 0:
			return nullptr;
		case 1:
			return &ptrs[below(64)];
		default:
			return xa_mk_value(below(1UL << 40));
		}
	}
	Step step(const Model &m, bool zero_busy)
	{
		Step s{};
		unsigned k = static_cast<unsigned>(below(100));
		s.index = index();
		if (zero_busy && s.index == 0)
			s.index = 1; // index 0 of an ALLOC1 array is the kernel's, not ours
		s.entry = entry();
		s.max = below(8) ? ULONG_MAX : s.index + below(10000);
		s.mark = m.alloc() ? static_cast<xa_mark_t>(1 + below(2)) : static_cast<xa_mark_t>(below(3));
		if (k < 18) {
			s.op = Op::Store;
		} else if (k < 33) {
			s.op = Op::Erase;
		} else if (k < 40) {
			s.op = Op::Insert;
		} else if (k < 48) {
			s.op = Op::Cmpxchg;
			void *cur = m.get(s.index);
			switch (below(4)) {
			case 0: s.old = cur; break;
			case 1: s.old = nullptr; break;
			case 2: s.old = XA_ZERO_ENTRY; break;
			default: s.old = entry(); break;
			}
			if (!below(6))
				s.entry = XA_ZERO_ENTRY;
		} else if (k < 52) {
			s.op = Op::Reserve;
		} else if (k < 55) {
			s.op = Op::Release;
		} else if (k < 63) {
			s.op = Op::Alloc;
			std::uint32_t lo = static_cast<std::uint32_t>(below(3) ? below(4) : below(6000));
			s.limit = XA_LIMIT(lo, lo + below(below(4) ? 6000 : 64));
		} else if (k < 73) {
			s.op = Op::Find;
			s.mark = below(3) ? XA_PRESENT : s.mark;
		} else if (k < 83) {
			s.op = Op::FindAfter;
			s.mark = below(3) ? XA_PRESENT : s.mark;
		} else if (k < 89) {
			s.op = Op::SetMark;
		} else if (k < 93) {
			s.op = Op::ClearMark;
		} else if (k < 97) {
			s.op = Op::GetMark;
		} else {
			s.op = Op::Load;
		}
		if (s.op != Op::Erase && s.op != Op::Find && s.op != Op::FindAfter && hot.size() < 4096)
			hot.push_back(s.index);
		// Keep the table a few thousand entries large: erase more when big.
		if (m.map.size() > cap && (s.op == Op::Store || s.op == Op::Insert))
			s.op = Op::Erase;
		return s;
	}
};

} // namespace

namespace {

// Mark 0 of an allocating array is XA_FREE_MARK, which the model does not track.
xa_mark_t m_first_mark(const Model &m)
{
	return m.alloc() ? XA_MARK_1 : XA_MARK_0;
}

// Every search form (xa_find and xa_find_after, with XA_PRESENT and with
// each mark) from every start in a sample that holds node boundaries around
// present entries and the fixed edges, to ULONG_MAX and to a near max.
::testing::AssertionResult same_searches(xarray *xa, const Model &m, Gen &gen)
{
	static constexpr unsigned long edges[] = {0, 1, 62, 63, 64, 65, 4095, 4096, 4097, (1UL << 20) - 1,
						  1UL << 20, ULONG_MAX - 1, ULONG_MAX};
	std::vector<unsigned long> starts(std::begin(edges), std::end(edges));
	for (unsigned k = 0; k < 6 && !m.map.empty(); k++) {
		auto it = m.map.lower_bound(gen.rng());
		if (it == m.map.end())
			it = m.map.begin();
		unsigned long p = it->first;
		for (unsigned long x : {p, p - 1, p + 1, p & ~63UL, p | 63UL, (p | 63UL) + 1, p & ~4095UL,
					(p | 4095UL) + 1})
			starts.push_back(x);
	}
	std::vector<xa_mark_t> filters = {XA_PRESENT, XA_MARK_1, XA_MARK_2};
	if (!m.alloc())
		filters.push_back(XA_MARK_0); // XA_FREE_MARK in an allocating array
	for (unsigned long from : starts) {
		for (unsigned long max : {ULONG_MAX, from | 63UL, from + 4096}) {
			for (xa_mark_t f : filters) {
				for (bool after : {false, true}) {
					Step st{};
					st.op = after ? Op::FindAfter : Op::Find;
					st.index = from;
					st.max = max;
					st.mark = f;
					Result want = m.find(from, max, f, after);
					Result got = apply_xa(xa, st);
					if (!(got == want))
						return ::testing::AssertionFailure()
						       << (after ? "xa_find_after" : "xa_find") << " from " << from
						       << " max " << max << " filter " << f << ": got " << got
						       << ", model " << want;
				}
			}
		}
	}
	return ::testing::AssertionSuccess();
}

// @ops operations, split over a plain, an ALLOC and an ALLOC1 array, with
// indices from @pattern; the whole table and every search form are compared
// every @compare_every operations.
void run_differential(xarray *xa, IndexPattern pattern, unsigned long ops, unsigned compare_every,
		      std::size_t base_live_allocs)
{
	const gfp_t flavours[] = {0, XA_FLAGS_ALLOC, XA_FLAGS_ALLOC1};
	unsigned long total = 0;

	for (gfp_t flags : flavours) {
		SCOPED_TRACE(::testing::Message() << "flags " << flags << " pattern " << static_cast<int>(pattern));
		Gen gen(0x5eed0000 + flags + (static_cast<unsigned>(pattern) << 8), 3000, pattern);
		Model model{flags, {}};
		xa_init_flags(xa, flags);
		for (unsigned long n = 0; n < ops / 3 + (flags == 0 ? ops % 3 : 0); n++) {
			Step s = gen.step(model, flags & XA_FLAGS_ZERO_BUSY);
			Result want = model.apply(s);
			Result got = apply_xa(xa, s);
			ASSERT_EQ(got, want) << "op " << static_cast<int>(s.op) << " #" << n << " index " << s.index
					     << " mark " << s.mark << " max " << s.max;
			if (n % compare_every == 0) {
				ASSERT_TRUE(same_table(xa, model)) << "after op #" << n;
				ASSERT_TRUE(same_searches(xa, model, gen)) << "after op #" << n;
			}
			total++;
		}
		ASSERT_TRUE(same_table(xa, model));
		ASSERT_TRUE(same_searches(xa, model, gen));
		/* xa_for_each agrees with the model's non-reserved entries */
		unsigned long index;
		void *entry;
		std::size_t present = 0;
		xa_for_each(xa, index, entry) {
			ASSERT_EQ(entry, model.get(index));
			present++;
		}
		std::size_t want_present = 0;
		for (auto &[i, ref] : model.map)
			want_present += !xa_is_zero(ref.entry);
		EXPECT_EQ(present, want_present);
		/* ... and so does every marked walk */
		for (xa_mark_t mk = m_first_mark(model); mk < XA_MAX_MARKS; mk++) {
			std::vector<unsigned long> got, exp;
			xa_for_each_marked(xa, index, entry, mk)
				got.push_back(index);
			for (unsigned long i : model.marked[mk])
				if (!xa_is_zero(model.map.at(i).entry))
					exp.push_back(i);
			ASSERT_EQ(got, exp) << "mark " << mk;
		}
		xa_destroy(xa);
		EXPECT_EQ(alloc_stats_get().live_allocs, base_live_allocs);
	}
	EXPECT_EQ(total, ops);
}

} // namespace

// Seeded: the same 1.05e6 operations every run, indices of every kind.
TEST_F(Xarray, DifferentialAgainstStdMapMillionOps)
{
	run_differential(&xa, IndexPattern::mixed, 1050000, 10000, base_.live_allocs);
}

// Marks and every search form over each index pattern: dense, random
// 20-bit, node boundaries (63/64, 4095/4096, 2^20-1, ULONG_MAX, 2^k).
// 10^5 operations per pattern here; 10^6 in the DISABLED_ variant below,
// which tests/CMakeLists.txt runs as xarray.differential_million (label
// "slow": minutes under ASan).
TEST_F(Xarray, DifferentialWithMarksPerIndexPattern)
{
	for (IndexPattern p : {IndexPattern::dense, IndexPattern::random20, IndexPattern::boundary})
		run_differential(&xa, p, 100000, 1000, base_.live_allocs);
}

TEST_F(Xarray, DISABLED_DifferentialWithMarksMillionOpsPerPattern)
{
	for (IndexPattern p : {IndexPattern::dense, IndexPattern::random20, IndexPattern::boundary})
		run_differential(&xa, p, 1000000, 2000, base_.live_allocs);
}

// fail_nth at every allocation of every operation of a random sequence:
// a failed call returns -ENOMEM, changes nothing (tree, marks, flags) and
// leaks nothing; a call the injection did not reach matches the model.
TEST_F(Xarray, FailNthAtEveryAllocationChangesNothing)
{
	unsigned long failed = 0, max_nth = 0;
	for (gfp_t flags : {0u, XA_FLAGS_ALLOC, XA_FLAGS_ALLOC1}) {
		SCOPED_TRACE(flags);
		Gen gen(0xfa11 + flags, 100);
		Model model{flags, {}};
		xa_init_flags(&xa, flags);
		for (unsigned n = 0; n < 1000; n++) {
			Step s = gen.step(model, flags & XA_FLAGS_ZERO_BUSY);
			if (n % 5 == 0 && s.op != Op::Alloc) // favour growth from far indices
				s.index = gen.rng() >> gen.below(64);
			if (flags & XA_FLAGS_ZERO_BUSY && s.index == 0)
				s.index = 1;
			const Snapshot before = snapshot(&xa);
			for (std::uint64_t nth = 1;; nth++) {
				fail_nth_set(nth);
				Result got = apply_xa(&xa, s);
				bool fired = fail_nth_fired();
				fail_nth_set(0);
				if (!fired) {
					Result want = model.apply(s);
					ASSERT_EQ(got, want) << "op " << static_cast<int>(s.op) << " #" << n;
					max_nth = std::max<unsigned long>(max_nth, nth);
					break;
				}
				failed++;
				int err = s.op == Op::Insert || s.op == Op::Reserve || s.op == Op::Alloc
						  ? got.err
						  : xa_err(got.ptr);
				ASSERT_EQ(err, -ENOMEM) << "op " << static_cast<int>(s.op) << " nth " << nth;
				ASSERT_TRUE(before == snapshot(&xa))
					<< "op " << static_cast<int>(s.op) << " #" << n << " nth " << nth
					<< " changed the array or leaked";
				ASSERT_TRUE(tree_ok(&xa));
			}
			if (n % 200 == 0)
				{ ASSERT_TRUE(same_table(&xa, model)); }
		}
		ASSERT_TRUE(same_table(&xa, model));
		xa_destroy(&xa);
	}
	EXPECT_GT(failed, 1000u) << max_nth; // the injection did reach many allocations
	std::printf("fail_nth: %lu injected failures, deepest op needed %lu allocations\n", failed, max_nth - 1);
	EXPECT_GE(max_nth, 11u);    // ... including deep growth (11 levels)
}

// A fixed sequence where the counts are known: growing to ULONG_MAX needs
// 11 nodes; each of the 11 injected failures leaves no trace.
TEST_F(Xarray, FailNthDuringDeepGrowthRollsBack)
{
	xa_store_index(&xa, 5, GFP_KERNEL);
	xa_set_mark(&xa, 5, XA_MARK_2);
	Snapshot before = snapshot(&xa);
	std::uint64_t nth = 1;
	for (;; nth++) {
		fail_nth_set(nth);
		void *ret = xa_store_index(&xa, ULONG_MAX, GFP_KERNEL);
		bool fired = fail_nth_fired();
		fail_nth_set(0);
		if (!fired) {
			EXPECT_EQ(ret, nullptr);
			break;
		}
		EXPECT_EQ(xa_err(ret), -ENOMEM);
		EXPECT_TRUE(before == snapshot(&xa)) << "nth " << nth;
	}
	EXPECT_EQ(nth, 21u); // 10 new roots above the old leaf (shift 6..60), then 10 nodes down to a new leaf
	EXPECT_EQ(xa_load(&xa, ULONG_MAX), xa_mk_index(ULONG_MAX));
	EXPECT_TRUE(xa_get_mark(&xa, 5, XA_MARK_2));
	EXPECT_TRUE(tree_ok(&xa));
}

