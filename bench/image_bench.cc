// SPDX-License-Identifier: GPL-2.0
// Serialize and restore of the hand-over image under the `full` policy
// against the number of PASIDs (issue 6, items 2 and 3; DESIGN section 4).
//
// Arguments: "pasids" = 1, 4, ..., 2^20 PASIDs in total, spread evenly over
// "devices" = 1 or 64 (each its own iommu group; a device holds at most
// 2^20-1, so 2^20 on one device is clamped), "layout" = 0 dense (each
// device's PASIDs are 1..k) or 1 random (k distinct 20-bit PASIDs).
// Items are PASIDs; bytes are image bytes; image_bytes_per_pasid is the
// image size per PASID, bytes_per_pasid the restored xarrays' node memory per
// PASID.
//
// Ceilings in this binary, same arg names, same bytes:
//   BM_Serialize vs BM_Memcpy (copy of the image bytes into a buffer that is
//                   already faulted in) and BM_Memcpy_Alloc (allocate with
//                   lu_kzalloc, as the writer does, copy, free);
//   BM_Restore   vs BM_Xarray_StoreAll (the per-device xa_store of every PASID
//                   in ascending order, then xa_destroy: what the rebuild
//                   cannot beat with the kernel's API) and BM_Image_Parse
//                   (the validation part of the restore alone) and
//                   BM_Xarray_FillSorted (the advanced-API fill restore uses).
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <map>
#include <tuple>

#include "bench_util.h"
#include "lu/impl/image.h"
#include "lu/impl/iommufd_lu.h"
#include "lu/impl/restore.h"

using namespace lu::impl;
using namespace lu_bench;

namespace {

using key = std::tuple<std::int64_t, std::int64_t, std::int64_t>; // pasids, devices, layout

// The image a full-policy kernel serializes for a key, kept so that the
// restore benchmarks do not rebuild the old kernel (at most 8 MiB each).
struct image_info {
	std::vector<std::uint8_t> bytes;
	std::uint64_t nr_pasids = 0;
	std::vector<std::vector<std::uint32_t>> sets; // per device, sorted
};

key key_of(const benchmark::State &state)
{
	return {state.range(0), state.range(1), state.range(2)};
}

old_kernel *kernel_for(const key &k)
{
	return get_old_kernel(std::get<2>(k), static_cast<std::uint32_t>(std::get<0>(k)),
			      static_cast<std::uint32_t>(std::get<1>(k)), FULL, true);
}

const image_info *get_image(const key &k)
{
	static std::map<key, image_info> images;
	if (auto it = images.find(k); it != images.end())
		return &it->second;
	old_kernel *ok = kernel_for(k);
	if (!ok)
		return nullptr;
	lu_image img{};
	if (iommufd_lu_serialize(ok->m->session(), ok->m->ictx(), &img))
		return nullptr;
	image_info info;
	info.bytes.assign(img.data, img.data + img.size);
	info.nr_pasids = ok->nr_pasids;
	info.sets = pasid_sets(std::get<2>(k), static_cast<std::uint32_t>(std::get<0>(k)),
			       static_cast<std::uint32_t>(std::get<1>(k)));
	lu_image_free(&img);
	return &images.emplace(k, std::move(info)).first->second;
}

// The image of this row for every benchmark below: nullptr after
// SkipWithError() if the old kernel or its image could not be built.
const image_info *image_of(benchmark::State &state)
{
	const image_info *info = get_image(key_of(state));
	if (!info)
		state.SkipWithError("building the old kernel or its image failed");
	return info;
}

void image_args(benchmark::internal::Benchmark *b)
{
	b->ArgNames({"pasids", "devices", "layout"});
	for (std::int64_t d : {1, 64})
		for (std::int64_t l : {L_DENSE, L_RANDOM})
			for (std::int64_t n : pasid_counts(false))
				b->Args({n, d, l});
}

void set_image_counters(benchmark::State &state, const image_info *info)
{
	const auto n = static_cast<double>(info->nr_pasids);
	state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(info->nr_pasids));
	state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(info->bytes.size()));
	state.counters["image_bytes_per_pasid"] = per(static_cast<double>(info->bytes.size()), n);
	state.SetLabel(layout_name(state.range(2)));
}

// Models the kexec-time serialization (iommufd and vfio freeze, then KHO):
// walk the session's preserved cdevs and their records, write the header,
// the iommu, hwpt and device records and the PASID table into one buffer
// allocated for the whole image, checksum it; then free it.
void BM_Serialize(benchmark::State &state)
{
	const image_info *info = image_of(state);
	old_kernel *ok = info ? kernel_for(key_of(state)) : nullptr;
	if (!ok) {
		if (info)
			state.SkipWithError("building the old kernel failed");
		return;
	}
	for (auto _ : state) {
		lu_image img{};
		int rc = iommufd_lu_serialize(ok->m->session(), ok->m->ictx(), &img);
		benchmark::DoNotOptimize(img.data);
		if (rc || img.size != info->bytes.size()) [[unlikely]] {
			state.SkipWithError("serialize failed");
			break;
		}
		lu_image_free(&img);
	}
	set_image_counters(state, info);
	state.counters["state_bytes_per_pasid"] =
		per(static_cast<double>(ok->state_bytes), static_cast<double>(ok->nr_pasids));
}
BENCHMARK(BM_Serialize)->Apply(image_args);

// Ceiling for serialize: copy the image's bytes into a buffer that is already
// faulted in (no allocation, no page faults).
void BM_Memcpy(benchmark::State &state)
{
	const image_info *info = image_of(state);
	if (!info)
		return;
	std::vector<std::uint8_t> dst(info->bytes.size(), 1);
	for (auto _ : state) {
		std::memcpy(dst.data(), info->bytes.data(), info->bytes.size());
		benchmark::ClobberMemory();
	}
	set_image_counters(state, info);
}
BENCHMARK(BM_Memcpy)->Apply(image_args);

// Ceiling for serialize that pays what the writer pays for memory:
// lu_kzalloc (calloc; fresh pages fault in on first write), copy, free.
void BM_Memcpy_Alloc(benchmark::State &state)
{
	const image_info *info = image_of(state);
	if (!info)
		return;
	const std::size_t size = info->bytes.size();
	for (auto _ : state) {
		void *dst = lu_kzalloc(size);
		if (!dst) [[unlikely]] {
			state.SkipWithError("lu_kzalloc failed");
			break;
		}
		std::memcpy(dst, info->bytes.data(), size);
		benchmark::ClobberMemory();
		lu_kfree(dst, size);
	}
	set_image_counters(state, info);
}
BENCHMARK(BM_Memcpy_Alloc)->Apply(image_args);

// The parser alone: every check of lu_img_parse() (header, counts, checksum,
// every record and reference, PASID order and range), no allocation.
void BM_Image_Parse(benchmark::State &state)
{
	const image_info *info = image_of(state);
	if (!info)
		return;
	for (auto _ : state) {
		lu_img_view v;
		int rc = lu_img_parse(info->bytes.data(), info->bytes.size(), &v, nullptr);
		benchmark::DoNotOptimize(v.pasids);
		if (rc) [[unlikely]] {
			state.SkipWithError("parse failed");
			break;
		}
	}
	set_image_counters(state, info);
}
BENCHMARK(BM_Image_Parse)->Apply(image_args);

// Models the new kernel's restore: parse and validate the image, rebuild the
// hwpts and devices and each device's PASID xarray, then tear it down again
// (new_kernel_destroy, so the next iteration starts empty; the baseline pays
// the same xa_destroy).
void BM_Restore(benchmark::State &state)
{
	const image_info *info = image_of(state);
	if (!info)
		return;
	// Outside the timed loop: what the restored state costs in memory.
	std::size_t restored_bytes = 0;
	{
		lu_img_view v;
		new_kernel nk;
		new_kernel_init(&nk);
		std::size_t before = live_bytes();
		if (lu_img_parse(info->bytes.data(), info->bytes.size(), &v, nullptr) || lu_restore(&nk, v)) {
			state.SkipWithError("restore failed");
			return;
		}
		for (std::uint32_t i = 0; i < nk.nr_devices; i++)
			benchmark::DoNotOptimize(nk.devices[i].pasids.xa_head);
		restored_bytes = live_bytes() - before;
		new_kernel_destroy(&nk);
	}
	for (auto _ : state) {
		lu_img_view v;
		new_kernel nk;
		new_kernel_init(&nk);
		int rc = lu_img_parse(info->bytes.data(), info->bytes.size(), &v, nullptr);
		if (!rc)
			rc = lu_restore(&nk, v);
		benchmark::DoNotOptimize(nk.devices);
		if (rc) [[unlikely]] {
			state.SkipWithError("restore failed");
			break;
		}
		new_kernel_destroy(&nk);
	}
	set_image_counters(state, info);
	state.counters["restored_bytes_per_pasid"] =
		per(static_cast<double>(restored_bytes), static_cast<double>(info->nr_pasids));
}
BENCHMARK(BM_Restore)->Apply(image_args);

// Baseline for restore: the xarray's own store-all. One xarray per device,
// every PASID stored in ascending order with xa_store(), then xa_destroy().
void BM_Xarray_StoreAll(benchmark::State &state)
{
	const image_info *info = image_of(state);
	if (!info)
		return;
	static int dummy;
	std::vector<xarray> xas(info->sets.size());
	std::size_t bytes = 0;
	for (auto _ : state) {
		std::size_t before = live_bytes();
		for (std::size_t d = 0; d < xas.size(); d++) {
			xa_init(&xas[d]);
			for (std::uint32_t p : info->sets[d])
				if (xa_is_err(xa_store(&xas[d], p, &dummy, GFP_KERNEL))) [[unlikely]]
					state.SkipWithError("xa_store failed");
		}
		bytes = live_bytes() - before;
		for (auto &xa : xas)
			xa_destroy(&xa);
	}
	set_image_counters(state, info);
	state.counters["bytes_per_pasid"] = per(static_cast<double>(bytes), static_cast<double>(info->nr_pasids));
}
BENCHMARK(BM_Xarray_StoreAll)->Apply(image_args);

// Second baseline for restore: the same xarrays filled through the advanced
// API as restore fills them (xas_next() within a leaf, xas_set() across,
// xas_store() + xas_nomem()), then xa_destroy(). The floor of the rebuild.
void BM_Xarray_FillSorted(benchmark::State &state)
{
	const image_info *info = image_of(state);
	if (!info)
		return;
	static int dummy;
	std::vector<xarray> xas(info->sets.size());
	for (auto _ : state) {
		for (std::size_t d = 0; d < xas.size(); d++) {
			xa_init(&xas[d]);
			XA_STATE(xas_, &xas[d], 0);
			bool first = true;
			for (std::uint32_t p : info->sets[d]) {
				if (!first && !xas_not_node(xas_.xa_node) && !xas_.xa_node->shift && p > xas_.xa_index &&
				    (p >> XA_CHUNK_SHIFT) == (xas_.xa_index >> XA_CHUNK_SHIFT)) {
					while (xas_.xa_index < p)
						xas_next(&xas_);
				} else {
					xas_set(&xas_, p);
				}
				first = false;
				do {
					xas_store(&xas_, &dummy);
				} while (xas_nomem(&xas_, GFP_KERNEL));
				if (xas_error(&xas_)) [[unlikely]]
					state.SkipWithError("xas_store failed");
			}
		}
		for (auto &xa : xas)
			xa_destroy(&xa);
	}
	set_image_counters(state, info);
}
BENCHMARK(BM_Xarray_FillSorted)->Apply(image_args);

} // namespace

BENCHMARK_MAIN();
