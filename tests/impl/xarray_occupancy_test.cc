// SPDX-License-Identifier: GPL-2.0+
// Tests for the occupancy bitmap of lu/impl/xarray.h (a deviation for speed):
// xa_node::occupied mirrors the non-NULL slots after every operation, and
// xas_find() gives the same answers in xa_find_mode::occupancy as in the
// kernel's slot-by-slot scan (xa_find_mode::kernel_scan).
#include "lu/impl/xarray.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <utility>
#include <vector>

using namespace lu::impl;

namespace {

// Every node's bitmap equals its non-NULL slots, and has @count bits.
std::string check_occupancy(const xa_node *node)
{
	unsigned long want = 0;
	for (unsigned i = 0; i < XA_CHUNK_SIZE; i++) {
		void *entry = node->slots[i];
		if (entry)
			want |= 1UL << i;
		if (xa_is_node(entry)) {
			std::string e = check_occupancy(xa_to_node(entry));
			if (!e.empty())
				return e;
		}
	}
	if (node->occupied != want)
		return "node shift " + std::to_string(node->shift) + ": occupied != non-NULL slots";
	if (static_cast<unsigned>(__builtin_popcountl(want)) != node->count)
		return "node shift " + std::to_string(node->shift) + ": popcount != count";
	return "";
}

std::string check_occupancy(const xarray *xa)
{
	void *head = xa_head(xa);
	return xa_is_node(head) ? check_occupancy(xa_to_node(head)) : "";
}

// What xa_find_after() returns from @start up to @max, entry and index.
std::pair<void *, unsigned long> find_after(xarray *xa, unsigned long start, unsigned long max)
{
	unsigned long index = start;
	void *entry = xa_find_after(xa, &index, max, XA_PRESENT);
	return {entry, entry ? index : 0};
}

std::pair<void *, unsigned long> find(xarray *xa, unsigned long start, unsigned long max)
{
	unsigned long index = start;
	void *entry = xa_find(xa, &index, max, XA_PRESENT);
	return {entry, entry ? index : 0};
}

std::vector<unsigned long> for_each(xarray *xa)
{
	std::vector<unsigned long> out;
	XA_STATE(xas, xa, 0);
	void *entry;
	xas_for_each(&xas, entry, ULONG_MAX) out.push_back(xas.xa_index);
	return out;
}

// Both modes must agree; the mode is restored whatever happens.
struct mode_guard {
	~mode_guard() { xa_set_find_mode(xa_find_mode::occupancy); }
};

template <typename F>
auto in_mode(xa_find_mode m, F f)
{
	xa_set_find_mode(m);
	auto r = f();
	xa_set_find_mode(xa_find_mode::occupancy);
	return r;
}

TEST(XarrayOccupancy, DefaultIsOccupancy)
{
	EXPECT_EQ(xa_get_find_mode(), xa_find_mode::occupancy);
}

TEST(XarrayOccupancy, NodeKeepsKernelSize)
{
	static_assert(sizeof(xa_node) == 576);
	SUCCEED();
}

// The preserve check of v2 (xa_find_after from the RID) at the PASID edges.
TEST(XarrayOccupancy, PasidEdges)
{
	mode_guard g;
	static int rid, pasid;
	for (unsigned long p : {1UL, 63UL, 64UL, 4095UL, 4096UL, 0x3ffffUL, 0x40000UL, 0xffffeUL, 0xfffffUL}) {
		SCOPED_TRACE(p);
		xarray xa;
		xa_init(&xa);
		ASSERT_FALSE(xa_is_err(xa_store(&xa, 0, &rid, GFP_KERNEL)));
		ASSERT_FALSE(xa_is_err(xa_store(&xa, p, &pasid, GFP_KERNEL)));
		EXPECT_EQ(check_occupancy(&xa), "");
		for (auto m : {xa_find_mode::occupancy, xa_find_mode::kernel_scan}) {
			auto r = in_mode(m, [&] { return find_after(&xa, 0, UINT_MAX); });
			EXPECT_EQ(r.first, &pasid);
			EXPECT_EQ(r.second, p);
			r = in_mode(m, [&] { return find_after(&xa, p, UINT_MAX); });
			EXPECT_EQ(r.first, nullptr);
			r = in_mode(m, [&] { return find_after(&xa, 0, p - 1); });
			EXPECT_EQ(r.first, nullptr);
		}
		xa_erase(&xa, p);
		EXPECT_EQ(check_occupancy(&xa), "");
		EXPECT_EQ(find_after(&xa, 0, UINT_MAX).first, nullptr);
		xa_destroy(&xa);
	}
}

// Reserved (zero) entries occupy a slot but are skipped by xa_find*().
TEST(XarrayOccupancy, ZeroEntriesAreSkipped)
{
	mode_guard g;
	xarray xa;
	xa_init(&xa);
	ASSERT_EQ(xa_reserve(&xa, 5, GFP_KERNEL), 0);
	ASSERT_EQ(xa_reserve(&xa, 700, GFP_KERNEL), 0);
	ASSERT_FALSE(xa_is_err(xa_store(&xa, 70000, xa_mk_value(1), GFP_KERNEL)));
	EXPECT_EQ(check_occupancy(&xa), "");
	for (auto m : {xa_find_mode::occupancy, xa_find_mode::kernel_scan}) {
		auto r = in_mode(m, [&] { return find_after(&xa, 0, ULONG_MAX); });
		EXPECT_EQ(r.first, xa_mk_value(1));
		EXPECT_EQ(r.second, 70000UL);
	}
	xa_release(&xa, 5);
	EXPECT_EQ(check_occupancy(&xa), "");
	xa_destroy(&xa);
}

// Seeded random operations: the bitmap stays exact, and every find agrees.
TEST(XarrayOccupancy, RandomOperationsAgreeWithKernelScan)
{
	mode_guard g;
	std::mt19937_64 rng(20260601);
	for (int round = 0; round < 20; round++) {
		SCOPED_TRACE(round);
		xarray xa;
		xa_init_flags(&xa, round % 4 == 3 ? XA_FLAGS_ALLOC : 0);
		// Indices from a few ranges: dense, 20-bit, and near the top.
		auto pick = [&]() -> unsigned long {
			switch (rng() % 4) {
			case 0: return rng() % 200;
			case 1: return rng() % (1UL << 20);
			case 2: return ULONG_MAX - rng() % 200;
			default: return rng() % (1UL << 14);
			}
		};
		for (int op = 0; op < 600; op++) {
			unsigned long index = pick();
			switch (rng() % 6) {
			case 0:
			case 1:
				(void)xa_store(&xa, index, xa_mk_value(index & 0xffff), GFP_KERNEL);
				break;
			case 2: (void)xa_erase(&xa, index); break;
			case 3: (void)xa_reserve(&xa, index, GFP_KERNEL); break;
			case 4: xa_release(&xa, index); break;
			default:
				(void)xa_cmpxchg(&xa, index, nullptr, xa_mk_value(7), GFP_KERNEL);
				break;
			}
			ASSERT_EQ(check_occupancy(&xa), "") << "after op " << op;
			unsigned long start = pick(), max = std::max(start, pick());
			auto fa = in_mode(xa_find_mode::occupancy, [&] { return find_after(&xa, start, max); });
			auto fb = in_mode(xa_find_mode::kernel_scan, [&] { return find_after(&xa, start, max); });
			ASSERT_EQ(fa, fb) << "xa_find_after from " << start << " to " << max;
			fa = in_mode(xa_find_mode::occupancy, [&] { return find(&xa, start, max); });
			fb = in_mode(xa_find_mode::kernel_scan, [&] { return find(&xa, start, max); });
			ASSERT_EQ(fa, fb) << "xa_find from " << start << " to " << max;
		}
		auto ea = in_mode(xa_find_mode::occupancy, [&] { return for_each(&xa); });
		auto eb = in_mode(xa_find_mode::kernel_scan, [&] { return for_each(&xa); });
		EXPECT_EQ(ea, eb);
		xa_destroy(&xa);
	}
}

} // namespace
