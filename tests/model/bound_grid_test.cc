// SPDX-License-Identifier: GPL-2.0
// An every-depth proof (proved*) must not rest on a bound nobody chose: at
// every point of devices 1..4 x hwpts 1..6, each preset keeps the proved* it
// has at the default bounds (2 devices, 3 hwpts) for the six properties with
// an inductive argument. A smaller system is a sub-case of a larger one, so
// a proof that holds at 3 hwpts but not at 2 or 4 is a missing conjunct of
// the invariant (as "every ref names an hwpt" was). Depth 2: the inductive
// arguments do not depend on it, and a cell without one is decided by a
// short BMC.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "lu/model/prove.h"

namespace {

using lu::model::property;

constexpr property inductive_props[] = {
	property::no_silent_pasid_loss, property::loss_only_when_acknowledged, property::unknown_flags_rejected,
	property::preserved_is_frozen,  property::unpreserve_restores,         property::failure_changes_nothing,
};

struct cell {
	lu::variant v;
	std::string name;
	property p;
	unsigned devices, hwpts;
	bool every_depth = false;
	std::string note;
};

lu::model::prove_options at(unsigned devices, unsigned hwpts, unsigned depth)
{
	lu::model::prove_options o;
	o.bounds.devices = devices;
	o.bounds.hwpts = hwpts;
	o.bounds.depth = depth;
	o.minimise = false;
	return o;
}

TEST(BoundGrid, EveryDepthProofsHoldAtEveryBound)
{
	std::vector<cell> cells;
	for (const auto &pr : lu::presets)
		for (const property p : inductive_props) {
			cells.push_back({pr.variant, std::string(pr.name), p, 2, 3, false, {}});
			for (unsigned d = 1; d <= 4; ++d)
				for (unsigned h = 1; h <= 6; ++h)
					if (d != 2 || h != 3)
						cells.push_back({pr.variant, std::string(pr.name), p, d, h, false, {}});
		}
	std::atomic<std::size_t> next{0};
	auto worker = [&] {
		for (std::size_t i; (i = next++) < cells.size();) {
			auto &c = cells[i];
			// The reference cell at the default depth, the grid at depth 2.
			const auto r = lu::model::prove(c.v, c.p, at(c.devices, c.hwpts, c.devices == 2 && c.hwpts == 3 ? 8 : 2));
			c.every_depth = r.every_depth;
			c.note = r.note;
		}
	};
	std::thread t(worker);
	worker();
	t.join();

	std::size_t reference = 0, held = 0;
	for (std::size_t i = 0; i < cells.size(); i += 24) {
		const cell &ref = cells[i]; // devices 2, hwpts 3
		SCOPED_TRACE(ref.name + " " + std::string(lu::model::info(ref.p).name));
		if (!ref.every_depth)
			continue;
		++reference;
		for (std::size_t j = i + 1; j < i + 24; ++j) {
			const cell &c = cells[j];
			EXPECT_TRUE(c.every_depth) << "proved* at 2 devices, 3 hwpts but not at " << c.devices << " devices, "
						   << c.hwpts << " hwpts: " << c.note;
			held += c.every_depth;
		}
	}
	// Not vacuous: the loss properties under reject, ack-flag and full and
	// the step-local ones under the freeze-busy presets are proved* (the
	// default table, tests/model/expected_verdicts.txt).
	EXPECT_GE(reference, 18u);
	EXPECT_EQ(held, reference * 23);
}

} // namespace
