/* SPDX-License-Identifier: GPL-2.0 */
/*
 * parallel_for(): the one worker pool of lu_verify_report (proof cells,
 * bundles, certify's solver runs). Private to verify/src.
 */
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <thread>
#include <vector>

namespace lu::verify::internal {

/**
 * Run fn(i) for i in [0, n) on @jobs threads (the caller's among them),
 * each index once, in order of taking; on_done(i, seconds) after each, from
 * the thread that ran it.
 */
template <class F>
void parallel_for(std::size_t n, unsigned jobs, F fn, const std::function<void(std::size_t, double)> &on_done = {})
{
	std::atomic<std::size_t> next{0};
	auto worker = [&] {
		for (std::size_t i; (i = next++) < n;) {
			const auto t0 = std::chrono::steady_clock::now();
			fn(i);
			if (on_done)
				on_done(i, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
		}
	};
	std::vector<std::thread> pool;
	for (unsigned t = 1; t < std::max(1u, jobs); ++t)
		pool.emplace_back(worker);
	worker();
	for (auto &t : pool)
		t.join();
}

} // namespace lu::verify::internal
