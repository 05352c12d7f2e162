// SPDX-License-Identifier: GPL-2.0
// Preserve under each policy against the number of PASID attachments
// (issue 6, item 1; DESIGN section 4 bench).
//
// Arguments: "pasids" = 0, 1, 4, ..., 2^20 PASIDs attached to the device
// (2^20 is clamped to 2^20-1: PASID 0 is the RID), "layout" = 0 dense
// (1..n), 1 random (n distinct 20-bit PASIDs), 2 top (2^20-n .. 2^20-1, the
// worst case of a scan from 0). For the check alone, "random" with n <= 1024
// rotates over 64 seeds, so the figure is a mean over positions. Items are
// calls (the check, the preserve); bytes_per_pasid is the pasid_attach xarray's node memory per PASID,
// state_bytes_per_pasid everything one PASID attachment costs the old
// kernel (struct iommufd_attach, its device_array xarray, the handle).
//
// Baselines in this binary, same arg names:
//   BM_PasidCheck_Bitmap vs BM_PasidCheck_KernelScan: the v2 check with the
//                     occupancy bitmap against lib/xarray.c's scan; both
//                     against BM_PasidAttach_LoadRid, one xa_load() of the
//                     RID in the same tree;
//   BM_Preserve_*     vs its own pasids:0 row (must not grow for reject);
//   BM_Preserve_Full  vs BM_PasidAttach_Iterate: the full policy must walk
//                     the PASIDs; xa_for_each over pasid_attach is that walk.
#include <benchmark/benchmark.h>

#include "bench_util.h"
#include "lu/impl/iommufd.h"

using namespace lu::impl;
using namespace lu_bench;

namespace {

// Standalone groups for the check alone: pasid_attach holds the RID at 0 and
// the PASIDs. With few PASIDs the position of the first one decides the
// cost, so "random" rotates over 64 groups with different seeds and the
// figure is the mean over positions; above 1024 PASIDs one group suffices.
struct check_groups {
	std::int64_t layout = -1, n = -1;
	std::vector<iommufd_group *> groups;
	std::size_t xarray_bytes = 0;

	void clear()
	{
		for (auto *g : groups) {
			xa_destroy(&g->pasid_attach);
			delete g;
		}
		groups.clear();
		xarray_bytes = 0;
	}
	~check_groups() { clear(); }
};

iommufd_attach dummy_attach;

check_groups *get_groups(std::int64_t l, std::int64_t n)
{
	static check_groups c;
	if (c.layout == l && c.n == n)
		return &c;
	c.clear();
	c.layout = l;
	c.n = n;
	const int copies = (l == L_RANDOM && n <= 1024) ? 64 : 1;
	for (int i = 0; i < copies; i++) {
		auto *g = new iommufd_group{};
		xa_init(&g->pasid_attach);
		xa_init(&g->devices);
		auto set = pasid_set(l, static_cast<std::uint32_t>(n), static_cast<std::uint32_t>(i + 1));
		std::size_t before = live_bytes();
		(void)xa_store(&g->pasid_attach, 0, &dummy_attach, GFP_KERNEL);
		for (std::uint32_t p : set)
			if (xa_is_err(xa_store(&g->pasid_attach, p, &dummy_attach, GFP_KERNEL))) {
				c.clear();
				c.layout = -1;
				return nullptr;
			}
		c.xarray_bytes += live_bytes() - before;
		c.groups.push_back(g);
	}
	c.xarray_bytes /= static_cast<std::size_t>(copies);
	return &c;
}

void check_args(benchmark::internal::Benchmark *b)
{
	b->ArgNames({"pasids", "layout"});
	for (std::int64_t l : {L_DENSE, L_RANDOM, L_TOP})
		for (std::int64_t n : pasid_counts(true))
			b->Args({n, l});
}

void preserve_args(benchmark::internal::Benchmark *b)
{
	b->ArgNames({"pasids", "layout"});
	for (std::int64_t l : {L_DENSE, L_RANDOM})
		for (std::int64_t n : pasid_counts(true))
			b->Args({n, l});
}

void set_check_counters(benchmark::State &state, const check_groups *c)
{
	const double n = static_cast<double>(std::min<std::int64_t>(state.range(0), MAX_DEV_PASIDS));
	state.SetItemsProcessed(state.iterations());
	state.counters["bytes_per_pasid"] = per(static_cast<double>(c->xarray_bytes), n);
	state.SetLabel(layout_name(state.range(1)));
}

// Models v2's _iommufd_device_has_pasid_attachments(): the whole policy
// decision of `reject` (and of `ack-flag` without the flag), one
// xa_find_after(pasid_attach, 0, UINT_MAX, XA_PRESENT) per preserve, with
// empty slots skipped as @mode says.
void pasid_check(benchmark::State &state, xa_find_mode mode)
{
	check_groups *c = get_groups(state.range(1), state.range(0));
	if (!c) {
		state.SkipWithError("building pasid_attach failed");
		return;
	}
	const std::size_t nr = c->groups.size();
	std::size_t i = 0;
	const bool expect = state.range(0) > 0;
	const xa_find_mode saved = xa_get_find_mode();
	xa_set_find_mode(mode);
	for (auto _ : state) {
		bool has = iommufd_group_has_pasid_attachments(c->groups[i]);
		benchmark::DoNotOptimize(has);
		if (has != expect) [[unlikely]] {
			state.SkipWithError("wrong answer");
			break;
		}
		if (++i == nr)
			i = 0;
	}
	xa_set_find_mode(saved);
	set_check_counters(state, c);
}

// The check as the kernel runs it: lib/xarray.c's xas_find() tests up to 64
// slots per level.
void BM_PasidCheck_KernelScan(benchmark::State &state)
{
	pasid_check(state, xa_find_mode::kernel_scan);
}
BENCHMARK(BM_PasidCheck_KernelScan)->Apply(check_args);

// The check with the per-node occupancy bitmap (this port's default): one
// find-first-set per level.
void BM_PasidCheck_Bitmap(benchmark::State &state)
{
	pasid_check(state, xa_find_mode::occupancy);
}
BENCHMARK(BM_PasidCheck_Bitmap)->Apply(check_args);

// Baseline for the check: one xa_load() of the RID (index 0) in the same
// tree, the lookup preserve makes next anyway.
void BM_PasidAttach_LoadRid(benchmark::State &state)
{
	check_groups *c = get_groups(state.range(1), state.range(0));
	if (!c) {
		state.SkipWithError("building pasid_attach failed");
		return;
	}
	const std::size_t nr = c->groups.size();
	std::size_t i = 0;
	for (auto _ : state) {
		void *rid = xa_load(&c->groups[i]->pasid_attach, 0);
		benchmark::DoNotOptimize(rid);
		if (++i == nr)
			i = 0;
	}
	set_check_counters(state, c);
}
BENCHMARK(BM_PasidAttach_LoadRid)->Apply(check_args);

// Baseline for `full`: visit every PASID of the group once, as the record
// must, with xa_for_each (find_after from the root per step, as the kernel).
void BM_PasidAttach_Iterate(benchmark::State &state)
{
	check_groups *c = get_groups(state.range(1), state.range(0));
	if (!c) {
		state.SkipWithError("building pasid_attach failed");
		return;
	}
	for (auto _ : state) {
		unsigned long index;
		void *entry;
		std::uint64_t n = 0;
		xa_for_each(&c->groups[0]->pasid_attach, index, entry)
			n++;
		benchmark::DoNotOptimize(n);
	}
	set_check_counters(state, c);
}
BENCHMARK(BM_PasidAttach_Iterate)->Apply(preserve_args);

// The whole preserve path of one vfio cdev through LUO
// (LIVEUPDATE_SESSION_PRESERVE_FD: token checks, vfio's flag check and gate,
// iommufd_device_preserve() with the policy, the RID lookup, the record), then
// its unpreserve so that the next iteration starts from the same state. The
// iommufd is preserved in set-up. A call that fails (reject, or ack-flag
// without the flag, with PASIDs attached) changes nothing and is not undone.
void preserve_loop(benchmark::State &state, lu::policy pol, std::uint32_t flags,
		   xa_find_mode mode = xa_find_mode::occupancy)
{
	const lu::variant v{pol, lu::freeze::busy, lu::vfio_gate::always};
	const auto n = static_cast<std::uint32_t>(state.range(0));
	old_kernel *k = get_old_kernel(state.range(1), n, 1, FULL, false);
	if (!k) {
		state.SkipWithError("building the old kernel failed");
		return;
	}
	// One kernel serves every policy: the policy is read at preserve time.
	k->m->ictx()->variant = v;
	const lu::step pres{lu::op::preserve_device, 0, 0, 0, 2, flags};
	const lu::step unpres{lu::op::unpreserve_device, 0, 0, 0, 0, 0};
	int ret = 0;
	const xa_find_mode saved = xa_get_find_mode();
	xa_set_find_mode(mode);
	for (auto _ : state) {
		ret = k->m->run(pres);
		if (ret == 0 && k->m->run(unpres) != 0) [[unlikely]] {
			state.SkipWithError("unpreserve failed");
			break;
		}
	}
	xa_set_find_mode(saved);
	k->m->ictx()->variant = FULL;
	state.SetItemsProcessed(state.iterations());
	state.counters["pasids_attached"] = static_cast<double>(k->nr_pasids);
	state.counters["bytes_per_pasid"] = per(static_cast<double>(k->xarray_bytes), static_cast<double>(k->nr_pasids));
	state.counters["state_bytes_per_pasid"] =
		per(static_cast<double>(k->state_bytes), static_cast<double>(k->nr_pasids));
	state.SetLabel(std::string(layout_name(state.range(1))) + " ret=" + std::to_string(ret));
}

// v1 (silent-drop): preserve ignores PASIDs; records the RID only.
void BM_Preserve_SilentDrop(benchmark::State &state)
{
	preserve_loop(state, lu::policy::silent_drop, 0);
}
BENCHMARK(BM_Preserve_SilentDrop)->Apply(preserve_args);

// v2 (reject): -EOPNOTSUPP as soon as one PASID is attached.
void BM_Preserve_Reject(benchmark::State &state)
{
	preserve_loop(state, lu::policy::reject, 0);
}
BENCHMARK(BM_Preserve_Reject)->Apply(preserve_args);

// v2 (reject) with the kernel's slot-by-slot scan instead of the bitmap:
// what the figures predict for the kernel as merged.
void BM_Preserve_Reject_Scan(benchmark::State &state)
{
	preserve_loop(state, lu::policy::reject, 0, xa_find_mode::kernel_scan);
}
BENCHMARK(BM_Preserve_Reject_Scan)->Apply(preserve_args);

// Option 3 (ack-flag) with IOMMU_LU_FLAG_IGNORE_PASID: the check, then drop them.
void BM_Preserve_AckFlag(benchmark::State &state)
{
	preserve_loop(state, lu::policy::ack_flag, lu::IOMMU_LU_FLAG_IGNORE_PASID);
}
BENCHMARK(BM_Preserve_AckFlag)->Apply(preserve_args);

// full: every PASID's domain checked and recorded (O(n) by nature).
void BM_Preserve_Full(benchmark::State &state)
{
	preserve_loop(state, lu::policy::full, 0);
}
BENCHMARK(BM_Preserve_Full)->Apply(preserve_args);

} // namespace

BENCHMARK_MAIN();
