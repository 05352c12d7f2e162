// SPDX-License-Identifier: GPL-2.0+
// Benchmarks of lu/impl/xarray.h against std::map in the same binary.
//
// Each family runs over "entries" = 1 .. 2^20 (x8) and "pattern":
//   0 dense    indices 0, 1, 2, ...           (the xarray's best case)
//   1 strided  indices 0, 64, 128, ...        (one entry per leaf node: its worst memory case)
//   2 random   distinct random 20-bit indices (a PASID table filled at random), in random order
// Items are entries; bytes_per_entry is the structure's live memory per entry
// (xarray: lu_kzalloc'd nodes; std::map: bytes through a counting allocator).
// Setup (index generation, filling for Load/Iterate/FindAfter) stays outside
// the timed region: one generator, shape_of(), makes each (entries, pattern)
// row's indices and memory figures once for all ten families.
#include "lu/impl/xarray.h"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <numeric>
#include <random>
#include <utility>
#include <vector>

using namespace lu::impl;

namespace {

std::vector<unsigned long> make_indices(std::size_t n, int pattern)
{
	std::vector<unsigned long> v(n);
	switch (pattern) {
	case 0:
		std::iota(v.begin(), v.end(), 0UL);
		break;
	case 1:
		for (std::size_t i = 0; i < n; i++)
			v[i] = i * 64;
		break;
	default: {
		// Distinct 20-bit indices: a random sample of [0, 2^20), shuffled.
		std::vector<unsigned long> all(1UL << 20);
		std::iota(all.begin(), all.end(), 0UL);
		std::mt19937_64 rng(42);
		std::shuffle(all.begin(), all.end(), rng);
		std::copy_n(all.begin(), n, v.begin());
		break;
	}
	}
	return v;
}

// Entries stored: value entries, so that no pointer is dereferenced.
inline void *entry_for(unsigned long index)
{
	return xa_mk_value(index);
}

void fill(xarray *xa, const std::vector<unsigned long> &idx)
{
	for (unsigned long i : idx)
		xa_store(xa, i, entry_for(i), GFP_KERNEL);
}

double xa_bytes_per_entry(const std::vector<unsigned long> &idx)
{
	DEFINE_XARRAY(xa);
	std::size_t before = alloc_stats_get().live_bytes;
	fill(&xa, idx);
	double b = static_cast<double>(alloc_stats_get().live_bytes - before) / static_cast<double>(idx.size());
	xa_destroy(&xa);
	return b;
}

// std::map with a byte-counting allocator, for bytes_per_entry.
std::size_t map_live_bytes;
template <typename T>
struct CountingAlloc {
	using value_type = T;
	CountingAlloc() = default;
	template <typename U>
	CountingAlloc(const CountingAlloc<U> &) noexcept {}
	T *allocate(std::size_t n)
	{
		map_live_bytes += n * sizeof(T);
		return std::allocator<T>().allocate(n);
	}
	void deallocate(T *p, std::size_t n) noexcept
	{
		map_live_bytes -= n * sizeof(T);
		std::allocator<T>().deallocate(p, n);
	}
	template <typename U>
	bool operator==(const CountingAlloc<U> &) const noexcept { return true; }
};
using Map = std::map<unsigned long, void *, std::less<>, CountingAlloc<std::pair<const unsigned long, void *>>>;

void map_fill(Map &m, const std::vector<unsigned long> &idx)
{
	for (unsigned long i : idx)
		m[i] = entry_for(i);
}

double map_bytes_per_entry(const std::vector<unsigned long> &idx)
{
	std::size_t before = map_live_bytes;
	Map m;
	map_fill(m, idx);
	return static_cast<double>(map_live_bytes - before) / static_cast<double>(idx.size());
}

// One row of the suite: its indices and what each structure holding them
// costs per entry.  Built once per (entries, pattern) and shared by every
// family, so that the xarray and std::map rows see the same indices and no
// family pays the 2^20-entry shuffle of the random pattern again.
struct shape {
	std::vector<unsigned long> idx;
	double xa_bytes_per_entry = 0;
	double map_bytes_per_entry = 0;
};

const shape &shape_of(const benchmark::State &state)
{
	static std::map<std::pair<std::int64_t, std::int64_t>, shape> shapes;
	const std::pair key{state.range(0), state.range(1)};
	auto it = shapes.find(key);
	if (it == shapes.end()) {
		shape sh;
		sh.idx = make_indices(static_cast<std::size_t>(key.first), static_cast<int>(key.second));
		sh.xa_bytes_per_entry = xa_bytes_per_entry(sh.idx);
		sh.map_bytes_per_entry = map_bytes_per_entry(sh.idx);
		it = shapes.emplace(key, std::move(sh)).first;
	}
	return it->second;
}

// An xarray or a std::map holding a shape's entries, for the families that
// read a full structure; the xarray is destroyed when it goes out of scope.
struct filled_xarray {
	xarray xa;
	explicit filled_xarray(const shape &sh)
	{
		xa_init(&xa);
		fill(&xa, sh.idx);
	}
	~filled_xarray() { xa_destroy(&xa); }
	filled_xarray(const filled_xarray &) = delete;
	filled_xarray &operator=(const filled_xarray &) = delete;
};

struct filled_map {
	Map m;
	explicit filled_map(const shape &sh) { map_fill(m, sh.idx); }
};

void finish(benchmark::State &state, std::size_t n, double bytes_per_entry)
{
	state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
	state.counters["bytes_per_entry"] = bytes_per_entry;
}

/* Store every index into an empty array (the array is destroyed untimed). */
void BM_Xarray_Store(benchmark::State &state)
{
	const shape &sh = shape_of(state);
	const auto &idx = sh.idx;
	DEFINE_XARRAY(xa);
	for (auto _ : state) {
		fill(&xa, idx);
		state.PauseTiming();
		xa_destroy(&xa);
		state.ResumeTiming();
	}
	finish(state, idx.size(), sh.xa_bytes_per_entry);
}

void BM_StdMap_Store(benchmark::State &state)
{
	const shape &sh = shape_of(state);
	const auto &idx = sh.idx;
	for (auto _ : state) {
		Map m;
		map_fill(m, idx);
		state.PauseTiming();
		m.clear();
		state.ResumeTiming();
	}
	finish(state, idx.size(), sh.map_bytes_per_entry);
}

/* Load every present index (in the pattern's order). */
void BM_Xarray_Load(benchmark::State &state)
{
	const shape &sh = shape_of(state);
	const auto &idx = sh.idx;
	filled_xarray f(sh);
	xarray &xa = f.xa;
	for (auto _ : state) {
		for (unsigned long i : idx)
			benchmark::DoNotOptimize(xa_load(&xa, i));
	}
	finish(state, idx.size(), sh.xa_bytes_per_entry);
}

void BM_StdMap_Load(benchmark::State &state)
{
	const shape &sh = shape_of(state);
	const auto &idx = sh.idx;
	const filled_map f(sh);
	const Map &m = f.m;
	for (auto _ : state) {
		for (unsigned long i : idx)
			benchmark::DoNotOptimize(m.find(i)->second);
	}
	finish(state, idx.size(), sh.map_bytes_per_entry);
}

/* Erase every index of a full array (refilled untimed), down to empty. */
void BM_Xarray_Erase(benchmark::State &state)
{
	const shape &sh = shape_of(state);
	const auto &idx = sh.idx;
	DEFINE_XARRAY(xa);
	for (auto _ : state) {
		state.PauseTiming();
		fill(&xa, idx);
		state.ResumeTiming();
		for (unsigned long i : idx)
			benchmark::DoNotOptimize(xa_erase(&xa, i));
	}
	if (!xa_empty(&xa))
		state.SkipWithError("array not empty after erasing every index");
	finish(state, idx.size(), sh.xa_bytes_per_entry);
}

void BM_StdMap_Erase(benchmark::State &state)
{
	const shape &sh = shape_of(state);
	const auto &idx = sh.idx;
	Map m;
	for (auto _ : state) {
		state.PauseTiming();
		map_fill(m, idx);
		state.ResumeTiming();
		for (unsigned long i : idx)
			benchmark::DoNotOptimize(m.erase(i));
	}
	finish(state, idx.size(), sh.map_bytes_per_entry);
}

/* Walk every entry with xas_for_each(): O(n) in total. */
void BM_Xarray_Iterate(benchmark::State &state)
{
	const shape &sh = shape_of(state);
	const auto &idx = sh.idx;
	filled_xarray f(sh);
	xarray &xa = f.xa;
	for (auto _ : state) {
		XA_STATE(xas, &xa, 0);
		void *entry;
		std::size_t n = 0;
		xas_for_each(&xas, entry, ULONG_MAX) {
			benchmark::DoNotOptimize(entry);
			n++;
		}
		if (n != idx.size())
			state.SkipWithError("walk missed entries");
	}
	finish(state, idx.size(), sh.xa_bytes_per_entry);
}

void BM_StdMap_Iterate(benchmark::State &state)
{
	const shape &sh = shape_of(state);
	const auto &idx = sh.idx;
	const filled_map f(sh);
	const Map &m = f.m;
	for (auto _ : state) {
		for (auto &kv : m)
			benchmark::DoNotOptimize(kv.second);
	}
	finish(state, idx.size(), sh.map_bytes_per_entry);
}

/* Walk every entry with xa_find_after() (= xa_for_each): each step from the root. */
void BM_Xarray_FindAfter(benchmark::State &state)
{
	const shape &sh = shape_of(state);
	const auto &idx = sh.idx;
	filled_xarray f(sh);
	xarray &xa = f.xa;
	for (auto _ : state) {
		unsigned long index;
		void *entry;
		std::size_t n = 0;
		xa_for_each(&xa, index, entry) {
			benchmark::DoNotOptimize(entry);
			n++;
		}
		if (n != idx.size())
			state.SkipWithError("walk missed entries");
	}
	finish(state, idx.size(), sh.xa_bytes_per_entry);
}

/* The same walk as std::map::upper_bound() from each found key. */
void BM_StdMap_FindAfter(benchmark::State &state)
{
	const shape &sh = shape_of(state);
	const auto &idx = sh.idx;
	const filled_map f(sh);
	const Map &m = f.m;
	for (auto _ : state) {
		auto it = m.lower_bound(0);
		std::size_t n = 0;
		while (it != m.end()) {
			benchmark::DoNotOptimize(it->second);
			n++;
			it = m.upper_bound(it->first);
		}
		if (n != idx.size())
			state.SkipWithError("walk missed entries");
	}
	finish(state, idx.size(), sh.map_bytes_per_entry);
}

void Shapes(benchmark::internal::Benchmark *b)
{
	b->ArgNames({"entries", "pattern"});
	b->ArgsProduct({benchmark::CreateRange(1, 1 << 20, 8), {0, 1, 2}});
}

} // namespace

BENCHMARK(BM_Xarray_Store)->Apply(Shapes);
BENCHMARK(BM_StdMap_Store)->Apply(Shapes);
BENCHMARK(BM_Xarray_Load)->Apply(Shapes);
BENCHMARK(BM_StdMap_Load)->Apply(Shapes);
BENCHMARK(BM_Xarray_Erase)->Apply(Shapes);
BENCHMARK(BM_StdMap_Erase)->Apply(Shapes);
BENCHMARK(BM_Xarray_Iterate)->Apply(Shapes);
BENCHMARK(BM_StdMap_Iterate)->Apply(Shapes);
BENCHMARK(BM_Xarray_FindAfter)->Apply(Shapes);
BENCHMARK(BM_StdMap_FindAfter)->Apply(Shapes);

BENCHMARK_MAIN();
