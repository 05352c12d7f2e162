// SPDX-License-Identifier: GPL-2.0+
// Benchmarks of lu/impl/xarray.h against std::map in the same binary.
//
// Each family runs over "entries" = 1 .. 2^20 (x8) and "pattern":
//   0 dense    indices 0, 1, 2, ...           (the xarray's best case)
//   1 strided  indices 0, 64, 128, ...        (one entry per leaf node: its worst memory case)
//   2 random   distinct random 20-bit indices (a PASID table filled at random), in random order
// plus two rows where the kernel's own figure is known: 1000 strided and
// 10000 random indices.
// Items are entries; bytes_per_entry is the structure's live memory per entry
// (xarray: allocated nodes; std::map: bytes through a counting allocator).
// Every BM_Xarray_* row also reports, from the same run, ns_per_entry, the
// std::map baseline's map_ns_per_entry for the same work on the same
// indices, and x_std_map = their ratio (below 1: the xarray is faster);
// rows with a figure measured for the kernel's xarray (lib/xarray.c, same
// kind of machine, issue 15) add kernel_ns_per_entry and x_kernel.  These
// counters are the thread's CPU time of the timed work alone (bench_clock),
// less the cost of reading the clock.
// Setup (index generation, filling for Load/Iterate/FindAfter) stays outside
// the timed region: one generator, shape_of(), makes each (entries, pattern)
// row's indices and memory figures once for all ten families.
#include "lu/impl/xarray.h"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <ctime>
#include <map>
#include <numeric>
#include <random>
#include <string>
#include <tuple>
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

// The clock of the ns_per_entry counters: the calling thread's CPU time
// (CLOCK_THREAD_CPUTIME_ID), so that, as the suites' cpu_time, a row does
// not count the time the thread waited for a core on a shared machine.
struct bench_clock {
	using time_point = double; // ns
	static time_point now() noexcept
	{
		timespec ts{};
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
		return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
	}
};

// What one clock read adds to a timed region (a system call here, about
// 0.2 us): the least of 1000 back-to-back pairs, subtracted by ns_since().
double clock_read_ns()
{
	static const double v = [] {
		double best = 1e18;
		for (int i = 0; i < 1000; i++) {
			const double a = bench_clock::now();
			best = std::min(best, bench_clock::now() - a);
		}
		return best;
	}();
	return v;
}

double ns_since(bench_clock::time_point t0)
{
	return std::max(0.0, bench_clock::now() - t0 - clock_read_ns());
}

// The kernel's xarray, per entry, where issue 15 gives a figure.
double kernel_ns_per_entry(const char *op, std::int64_t entries, std::int64_t pattern)
{
	const std::string o = op;
	if (o == "Store" && entries == 1 << 20 && pattern == 0)
		return 22;
	if (o == "Store" && entries == 10000 && pattern == 2)
		return 47;
	if (o == "Store" && entries == 1000 && pattern == 1)
		return 26;
	if (o == "Load" && entries == 1 << 20 && pattern == 0)
		return 10;
	if (o == "Erase" && entries == 1 << 20 && pattern == 0)
		return 24;
	return 0;
}

// The std::map baseline of one family on one shape, per entry: @run does
// the work once and returns its timed nanoseconds; repeated for at least
// 50 ms (and 3 runs), the mean.  Measured once per process and row.
template <typename Run>
double map_baseline(const char *op, const benchmark::State &state, std::size_t n, Run run)
{
	static std::map<std::tuple<std::string, std::int64_t, std::int64_t>, double> cache;
	const auto key = std::make_tuple(std::string(op), state.range(0), state.range(1));
	auto it = cache.find(key);
	if (it != cache.end())
		return it->second;
	double total = 0;
	unsigned runs = 0;
	while (runs < 3 || total < 50e6) {
		total += run();
		runs++;
	}
	return cache[key] = total / runs / static_cast<double>(n);
}

// The counters that put an xarray row beside std::map (and the kernel).
void compare(benchmark::State &state, const char *op, double xa_ns_total, double map_ns)
{
	const double n = static_cast<double>(state.range(0));
	const double xa_ns = xa_ns_total / static_cast<double>(state.iterations()) / n;
	state.counters["ns_per_entry"] = xa_ns;
	state.counters["map_ns_per_entry"] = map_ns;
	state.counters["x_std_map"] = xa_ns / map_ns;
	if (double k = kernel_ns_per_entry(op, state.range(0), state.range(1))) {
		state.counters["kernel_ns_per_entry"] = k;
		state.counters["x_kernel"] = xa_ns / k;
	}
}

/* Store every index into an empty array (the array is destroyed untimed). */
void BM_Xarray_Store(benchmark::State &state)
{
	const shape &sh = shape_of(state);
	const auto &idx = sh.idx;
	const double map_ns = map_baseline("Store", state, idx.size(), [&] {
		Map m;
		auto t0 = bench_clock::now();
		map_fill(m, idx);
		return ns_since(t0);
	});
	DEFINE_XARRAY(xa);
	double ns = 0;
	for (auto _ : state) {
		auto t0 = bench_clock::now();
		fill(&xa, idx);
		ns += ns_since(t0);
		state.PauseTiming();
		xa_destroy(&xa);
		state.ResumeTiming();
	}
	finish(state, idx.size(), sh.xa_bytes_per_entry);
	compare(state, "Store", ns, map_ns);
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
	const double map_ns = map_baseline("Load", state, idx.size(), [&] {
		const filled_map fm(sh);
		auto t0 = bench_clock::now();
		for (unsigned long i : idx)
			benchmark::DoNotOptimize(fm.m.find(i)->second);
		return ns_since(t0);
	});
	filled_xarray f(sh);
	xarray &xa = f.xa;
	auto t0 = bench_clock::now();
	for (auto _ : state) {
		for (unsigned long i : idx)
			benchmark::DoNotOptimize(xa_load(&xa, i));
	}
	double ns = ns_since(t0);
	finish(state, idx.size(), sh.xa_bytes_per_entry);
	compare(state, "Load", ns, map_ns);
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
	const double map_ns = map_baseline("Erase", state, idx.size(), [&] {
		Map m;
		map_fill(m, idx);
		auto t0 = bench_clock::now();
		for (unsigned long i : idx)
			benchmark::DoNotOptimize(m.erase(i));
		return ns_since(t0);
	});
	DEFINE_XARRAY(xa);
	double ns = 0;
	for (auto _ : state) {
		state.PauseTiming();
		fill(&xa, idx);
		state.ResumeTiming();
		auto t0 = bench_clock::now();
		for (unsigned long i : idx)
			benchmark::DoNotOptimize(xa_erase(&xa, i));
		ns += ns_since(t0);
	}
	if (!xa_empty(&xa))
		state.SkipWithError("array not empty after erasing every index");
	finish(state, idx.size(), sh.xa_bytes_per_entry);
	compare(state, "Erase", ns, map_ns);
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
	const double map_ns = map_baseline("Iterate", state, idx.size(), [&] {
		const filled_map fm(sh);
		auto t0 = bench_clock::now();
		for (auto &kv : fm.m)
			benchmark::DoNotOptimize(kv.second);
		return ns_since(t0);
	});
	filled_xarray f(sh);
	xarray &xa = f.xa;
	auto t0 = bench_clock::now();
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
	double ns = ns_since(t0);
	finish(state, idx.size(), sh.xa_bytes_per_entry);
	compare(state, "Iterate", ns, map_ns);
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
	const double map_ns = map_baseline("FindAfter", state, idx.size(), [&] {
		const filled_map fm(sh);
		auto t0 = bench_clock::now();
		for (auto it = fm.m.lower_bound(0); it != fm.m.end(); it = fm.m.upper_bound(it->first))
			benchmark::DoNotOptimize(it->second);
		return ns_since(t0);
	});
	filled_xarray f(sh);
	xarray &xa = f.xa;
	auto t0 = bench_clock::now();
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
	double ns = ns_since(t0);
	finish(state, idx.size(), sh.xa_bytes_per_entry);
	compare(state, "FindAfter", ns, map_ns);
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
	b->Args({1000, 1});  // the kernel's strided store figure
	b->Args({10000, 2}); // the kernel's random store figure
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
