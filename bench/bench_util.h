/* SPDX-License-Identifier: GPL-2.0 */
// Shared set-up for preserve_bench.cc and image_bench.cc: PASID layouts and
// an old kernel built through lu::impl::machine, cached between the calls
// Google Benchmark makes to one benchmark function (it calls it once per
// trial iteration count, and building 2^20 attachments takes a second).
#pragma once

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "lu/core/trace.h"
#include "lu/core/variant.h"
#include "lu/impl/alloc.h"
#include "lu/impl/machine.h"
#include "lu/impl/xarray.h"

namespace lu_bench {

/** Where a device's PASIDs sit in [1, 2^20). */
enum layout : std::int64_t {
	L_DENSE = 0,  // 1 .. n: what a VMM that allocates PASIDs from 1 produces
	L_RANDOM = 1, // n distinct uniform 20-bit PASIDs (fixed seed per device)
	L_TOP = 2,    // 2^20-n .. 2^20-1: the worst case of a forward scan from 0
};

inline const char *layout_name(std::int64_t l)
{
	return l == L_DENSE ? "dense" : l == L_RANDOM ? "random" : "top";
}

/** The largest number of PASIDs one device can hold: 1 .. 2^20-1. */
inline constexpr std::uint32_t MAX_DEV_PASIDS = lu::PASID_LIMIT - 1;

/**
 * The sorted PASIDs of one device: @p n (at most 2^20-1; the arg 2^20 is
 * clamped, since PASID 0 is the RID) in layout @p l.
 */
inline std::vector<std::uint32_t> pasid_set(std::int64_t l, std::uint32_t n, std::uint32_t seed)
{
	n = std::min(n, MAX_DEV_PASIDS);
	std::vector<std::uint32_t> out;
	out.reserve(n);
	if (l == L_DENSE) {
		for (std::uint32_t p = 1; p <= n; p++)
			out.push_back(p);
	} else if (l == L_TOP) {
		for (std::uint32_t p = lu::PASID_LIMIT - n; p < lu::PASID_LIMIT; p++)
			out.push_back(p);
	} else {
		// Floyd's sampling of n out of [1, 2^20): O(n), no rejection loop.
		std::vector<bool> taken(lu::PASID_LIMIT);
		std::mt19937_64 rng(0x9e3779b97f4a7c15ull ^ seed);
		for (std::uint32_t j = MAX_DEV_PASIDS - n; j < MAX_DEV_PASIDS; j++) {
			std::uint32_t t = std::uniform_int_distribution<std::uint32_t>(0, j)(rng);
			taken[(taken[1 + t] ? j : t) + 1] = true;
		}
		for (std::uint32_t p = 1; p < lu::PASID_LIMIT; p++)
			if (taken[p])
				out.push_back(p);
	}
	return out;
}

/** @p total PASIDs spread over @p devices (the first ones get the remainder). */
inline std::vector<std::vector<std::uint32_t>> pasid_sets(std::int64_t l, std::uint32_t total,
							  std::uint32_t devices)
{
	std::vector<std::vector<std::uint32_t>> sets(devices);
	for (std::uint32_t d = 0; d < devices; d++)
		sets[d] = pasid_set(l, total / devices + (d < total % devices ? 1 : 0), d + 1);
	return sets;
}

/** Live bytes of lu::impl's counted allocator (this thread). */
inline std::size_t live_bytes()
{
	return lu::impl::alloc_stats_get().live_bytes;
}

/** Bytes of the xarray nodes that hold index 0 plus @p idx (what pasid_attach needs for them). */
inline std::size_t xarray_bytes(const std::vector<std::uint32_t> &idx)
{
	using namespace lu::impl;
	static int dummy;
	xarray xa;
	xa_init(&xa);
	std::size_t before = live_bytes();
	(void)xa_store(&xa, 0, &dummy, GFP_KERNEL);
	for (std::uint32_t p : idx)
		(void)xa_store(&xa, p, &dummy, GFP_KERNEL);
	std::size_t bytes = live_bytes() - before;
	xa_destroy(&xa);
	return bytes;
}

/**
 * An old kernel: @c devices devices (each its own iommu group, max_pasids
 * 2^20) with the RID on paging hwpt 0 and their PASIDs on paging hwpt 1
 * (both pasid_compat, sealed, marked), the iommufd preserved in the session
 * (token 1), and, if @c preserved, every device preserved (tokens 2..).
 */
struct old_kernel {
	std::int64_t layout = -1;
	std::uint32_t total = 0, devices = 0;
	lu::variant variant{};
	bool preserved = false;

	lu::impl::machine_ptr m;
	std::uint64_t nr_pasids = 0;   // attached PASIDs (after clamping)
	std::size_t state_bytes = 0;   // counted bytes the PASID attachments added
	std::size_t xarray_bytes = 0;  // of which pasid_attach nodes (RID included)
	std::string error;

	bool matches(std::int64_t l, std::uint32_t t, std::uint32_t d, lu::variant v, bool p) const
	{
		return m && layout == l && total == t && devices == d && variant == v && preserved == p;
	}
};

inline constexpr lu::variant FULL = {lu::policy::full, lu::freeze::busy, lu::vfio_gate::always};

/** Build (or reuse the cached) old kernel; returns nullptr and sets @c error on failure. */
inline old_kernel *get_old_kernel(std::int64_t l, std::uint32_t total, std::uint32_t devices,
				  lu::variant v, bool preserve)
{
	static old_kernel k;
	if (k.matches(l, total, devices, v, preserve))
		return &k;
	k = old_kernel{};
	k.layout = l;
	k.total = total;
	k.devices = devices;
	k.variant = v;
	k.preserved = preserve;

	lu::config cfg;
	for (std::uint32_t d = 0; d < devices; d++)
		cfg.devices.push_back({d, lu::PASID_LIMIT});
	lu::hwpt_config paging{};
	paging.pasid_compat = true;
	paging.sealed = true;
	cfg.hwpts = {paging, paging};
	int rc = lu::impl::machine::create(cfg, v, &k.m);
	auto run = [&](lu::step s) {
		if (!rc)
			rc = k.m->run(s);
		if (rc && k.error.empty())
			k.error = std::string(lu::name(s.op)) + " returned " + std::to_string(rc);
	};
	if (rc) {
		k.error = "machine::create returned " + std::to_string(rc);
		k.m.reset();
		return nullptr;
	}
	run({lu::op::mark_preserve, 0, 0, 0, 0x100, 0});
	run({lu::op::mark_preserve, 0, 0, 1, 0x101, 0});
	for (std::uint32_t d = 0; d < devices; d++)
		run({lu::op::attach, d, 0, 0, 0, 0});
	auto sets = pasid_sets(l, total, devices);
	const std::size_t before = live_bytes();
	for (std::uint32_t d = 0; d < devices; d++) {
		for (std::uint32_t p : sets[d])
			run({lu::op::attach, d, p, 1, 0, 0});
		k.nr_pasids += sets[d].size();
	}
	k.state_bytes = live_bytes() - before;
	for (std::uint32_t d = 0; d < devices; d++)
		k.xarray_bytes += xarray_bytes(sets[d]);
	run({lu::op::preserve_iommufd, 0, 0, 0, 1, 0});
	if (preserve)
		for (std::uint32_t d = 0; d < devices; d++)
			run({lu::op::preserve_device, d, 0, 0, 2 + d, 0});
	if (rc) {
		k.m.reset();
		return nullptr;
	}
	return &k;
}

/** The PASID counts of the suites: 0 (if @p zero), 1, 4, ..., 2^20. */
inline std::vector<std::int64_t> pasid_counts(bool zero)
{
	std::vector<std::int64_t> v;
	if (zero)
		v.push_back(0);
	for (std::int64_t n = 1; n <= (1 << 20); n *= 4)
		v.push_back(n);
	return v;
}

/** bytes per item as a plain counter (not a rate). */
inline benchmark::Counter per(double bytes, double items)
{
	return benchmark::Counter(items > 0 ? bytes / items : 0.0);
}

} // namespace lu_bench
