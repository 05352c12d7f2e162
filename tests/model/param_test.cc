// SPDX-License-Identifier: GPL-2.0
// The proofs for any number of devices, groups and hwpts (model/src/param.h,
// docs/model.md "Any number of devices, groups and hwpts"): the bridge to the
// bounded relation holds for every preset; the obligations hold exactly
// where the verdict table has a proof; and every proof fails once a
// deliberate bug is put into the relation, so none is vacuous.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "lu/model/mutant.h"
#include "param.h"
#include "solve.h"

namespace {

using namespace lu::model;
using namespace lu::model::internal;

// The first obligation that does not answer as expected ("" when all do).
std::string first_failure(z3::context &c, const std::vector<obligation> &obs)
{
	const prove_options opt;
	for (const auto &o : obs) {
		const check k = run_check(c, o.name, o.name, o.check.facts, o.check.goal, opt);
		if (k.answer != (o.expect_sat ? z3::sat : z3::unsat))
			return o.name + (k.answer == z3::sat ? ": sat" : k.answer == z3::unsat ? ": unsat" : ": unknown");
	}
	return "";
}

// The cells of tests/model/expected_verdicts.txt with a counterexample
// among the properties that have an any-size proof where they hold.
const std::set<std::pair<std::string, property>> counterexamples{
	{"v1", property::preserved_is_frozen},    {"v2", property::preserved_is_frozen},
	{"post-v2", property::preserved_is_frozen}, {"v2", property::freeze_lifts},
	{"v2", property::failure_changes_nothing}, // vfio's PCI unwind, unguarded
};

// The cells proved for any size: 6 loss cells, 7 x 3 stateless or session
// cells but v2's failure, 4 frozen, 6 lifts.
constexpr unsigned PROVED_ANY_SIZE = 6 + 7 * 3 - 1 + 4 + 6;

bool loss(property p)
{
	return p == property::no_silent_pasid_loss || p == property::loss_only_when_acknowledged;
}

TEST(AnySize, BridgeHoldsForEveryPreset)
{
	for (const auto &pr : lu::presets) {
		z3::context c;
		EXPECT_EQ(first_failure(c, bridge_obligations(c, pr.variant)), "") << pr.name;
	}
}

// A fault in the bounded relation (a model mutant of lu/model/mutant.h) is
// a relation the any-size one no longer equals: some preset's bridge fails.
TEST(AnySize, BridgeFailsForEveryModelMutant)
{
	for (unsigned i = 1; i < static_cast<unsigned>(mutant::nr_mutants); ++i) {
		const auto m = static_cast<mutant>(i);
		mutant_select(m);
		bool caught = false;
		for (const auto &pr : lu::presets) {
			z3::context c;
			if (first_failure(c, bridge_obligations(c, pr.variant)) != "") {
				caught = true;
				break;
			}
		}
		mutant_select(mutant::none);
		EXPECT_TRUE(caught) << name(m);
	}
}

TEST(AnySize, ProvedExactlyWhereTheTableHasAProof)
{
	unsigned proved = 0;
	for (const auto &pr : lu::presets)
		for (const auto &pi : properties) {
			if (!has_any_size_proof(pi.id))
				continue;
			z3::context c;
			const auto obs = any_size_obligations(c, pr.variant, pi.id);
			const bool attempted = !(loss(pi.id) && pr.variant.policy == lu::policy::silent_drop) &&
					       !(loss(pi.id) && pr.variant.vfio_gate == lu::vfio_gate::rid_only);
			ASSERT_EQ(!obs.empty(), attempted) << pr.name << " " << pi.name;
			if (!attempted)
				continue;
			const std::string fail = first_failure(c, obs);
			if (counterexamples.contains({std::string(pr.name), pi.id})) {
				EXPECT_NE(fail, "") << pr.name << " " << pi.name << " has a counterexample";
			} else {
				EXPECT_EQ(fail, "") << pr.name << " " << pi.name;
				++proved;
			}
		}
	EXPECT_EQ(proved, PROVED_ANY_SIZE);
}

// Each proof, under a bug of the relation that breaks its property.
TEST(AnySize, EveryProofFailsWithABugInTheRelation)
{
	struct bug {
		param_fault fault;
		std::vector<property> props;
	};
	const std::vector<bug> bugs{
		{param_fault::freeze_ignored,
		 {property::no_silent_pasid_loss, property::loss_only_when_acknowledged, property::preserved_is_frozen}},
		{param_fault::unknown_flags_accepted, {property::unknown_flags_rejected}},
		{param_fault::counter_kept, {property::unpreserve_restores}},
		{param_fault::failure_writes, {property::failure_changes_nothing}},
		{param_fault::freeze_by_mark, {property::freeze_lifts}},
	};
	unsigned broken = 0;
	for (const auto &b : bugs)
		for (property p : b.props)
			for (const auto &pr : lu::presets) {
				z3::context c;
				if (counterexamples.contains({std::string(pr.name), p}) ||
				    any_size_obligations(c, pr.variant, p).empty())
					continue;
				EXPECT_NE(first_failure(c, any_size_obligations(c, pr.variant, p, b.fault)), "")
					<< pr.name << " " << info(p).name << " still proved with a bug";
				++broken;
			}
	EXPECT_EQ(broken, PROVED_ANY_SIZE); // every proof of the test above

	// The PASID policy's own check, and the record: the loss proofs see them.
	const std::vector<std::pair<param_fault, std::string>> own{{param_fault::pasid_check_dropped, "reject"},
								   {param_fault::pasid_check_dropped, "ack-flag"},
								   {param_fault::record_stale, "full"}};
	for (const auto &[fault, name] : own) {
		z3::context c;
		EXPECT_NE(first_failure(c, any_size_obligations(c, *lu::find_preset(name), property::no_silent_pasid_loss, fault)), "")
			<< name;
	}
}

} // namespace
