// SPDX-License-Identifier: GPL-2.0
// Every mutation point of lu/model/mutant.h is wired and observable: for each
// mutant a witness trace on which the model (the compiled evaluator and the
// Z3 simulator alike) agrees with the unmutated impl without the mutant and
// disagrees with it under the mutant. `iommufd-lu crosscheck` runs the full
// mutation analysis (the runner's conformance and multi-device checks kill
// each: cli.model_mutants_killed); this test only shows that each point is
// reachable from the transition relation.
#include <string>
#include <vector>

#include <fmt/format.h>

#include "lu/impl/mutant.h"
#include "lu/model/mutant.h"
#include "lu/verify/backend.h"
#include "steps.h"

namespace lu::test {
namespace {

using lu::model::mutant;

struct witness {
	mutant m;
	const char *variant;
	lu::config config;
	std::vector<lu::step> trace;
	std::size_t step; // the step whose return (or, for dma after kexec, restore) the mutant changes
};

lu::config with_nested()
{
	lu::config c = seed_config();
	c.hwpts.push_back(nested(0));
	return c;
}

// A group-mate of device 0 that PCI refuses (a VF).
lu::config with_vf_mate()
{
	lu::config c = seed_config();
	c.devices.push_back({0, lu::PASID_LIMIT, true});
	return c;
}

// RID on hwpt 0 (marked), the iommufd preserved: the start of most witnesses.
std::vector<lu::step> rid_and_iommufd()
{
	return {mark(0, 1), attach(0, 0, 0), preserve_iommufd(10)};
}

std::vector<lu::step> cat(std::vector<lu::step> a, const std::vector<lu::step> &b)
{
	a.insert(a.end(), b.begin(), b.end());
	return a;
}

const std::vector<witness> &witnesses()
{
	static const std::vector<witness> w = {
		{mutant::mark_accepts_used_token, "v2", seed_config(), {mark(0, 1), mark(1, 1)}, 1},
		{mutant::attach_ignores_freeze, "v2", seed_config(),
		 cat(rid_and_iommufd(), {preserve_device(0, 11), attach(0, 5, 1)}), 4},
		{mutant::iommufd_busy_before_token, "v1", seed_config(), {preserve_iommufd(10), preserve_iommufd(10)}, 1},
		{mutant::device_iommufd_before_domain, "v2", seed_config(),
		 {mark(0, 1), attach(0, 0, 0), preserve_device(0, 11)}, 2},
		{mutant::mark_nested_einval, "v2", with_nested(), {mark(2, 1)}, 0},
		{mutant::detach_keeps_pasid_count, "reject", seed_config(),
		 {mark(0, 1), attach(0, 0, 0), attach(0, 5, 1), detach(0, 5), preserve_iommufd(10), preserve_device(0, 11)},
		 5},
		{mutant::unpreserve_keeps_counter, "v2", seed_config(),
		 cat(rid_and_iommufd(), {preserve_device(0, 11), unpreserve_device(0), attach(0, 5, 1)}), 5},
		{mutant::record_drops_rid, "v2", seed_config(),
		 cat(rid_and_iommufd(), {preserve_device(0, 11), kexec(), dma(0, 0)}), 5},
		{mutant::record_drops_pasid_hwpts, "full", seed_config(),
		 {mark(0, 1), mark(1, 2), attach(0, 0, 0), attach(0, 5, 1), preserve_iommufd(10), preserve_device(0, 11),
		  kexec(), dma(0, 5)},
		 7},
		{mutant::unpreserve_iommufd_keeps_domains, "v2", seed_config(),
		 cat(rid_and_iommufd(), {unpreserve_iommufd(), preserve_device(0, 11)}), 4},
		{mutant::pci_unwind_guarded, "v2", with_vf_mate(),
		 cat(rid_and_iommufd(), {preserve_device(0, 11), preserve_device(1, 12), attach(0, 5, 1)}), 5},
	};
	return w;
}

struct ModelMutant : ::testing::Test {
	void TearDown() override { lu::model::mutant_select(mutant::none); }
};

TEST_F(ModelMutant, NamesAreStableAndApartFromTheImpls)
{
	for (unsigned i = 0; i < static_cast<unsigned>(mutant::nr_mutants); i++) {
		const auto m = static_cast<mutant>(i);
		EXPECT_EQ(lu::model::parse_mutant(lu::model::name(m)), m);
		if (m == mutant::none)
			continue;
		EXPECT_TRUE(lu::model::name(m).starts_with("model-")) << lu::model::name(m);
		// the runner takes both kinds by name: none may be an impl mutant's
		EXPECT_FALSE(lu::impl::parse_mutant(lu::model::name(m)).has_value()) << lu::model::name(m);
	}
	EXPECT_EQ(lu::model::parse_mutant("model-no-such-mutant"), std::nullopt);
	EXPECT_EQ(lu::model::mutant_selected(), mutant::none);
}

TEST_F(ModelMutant, EveryMutantHasAWitness)
{
	for (unsigned i = 1; i < static_cast<unsigned>(mutant::nr_mutants); i++) {
		const auto m = static_cast<mutant>(i);
		bool found = false;
		for (const auto &w : witnesses())
			found = found || w.m == m;
		EXPECT_TRUE(found) << lu::model::name(m) << " has no witness";
	}
}

// Without the mutant the model agrees with the impl on every witness; with
// it, the model's outcome differs at the witness's step, on the compiled
// evaluator and on the Z3 simulator (both build their terms after the
// selection).
TEST_F(ModelMutant, EachIsKilledByItsWitnessOnTheRealImpl)
{
	auto impl = lu::verify::make_impl_backend();
	auto model = lu::verify::make_model_backend();
	auto z3 = lu::verify::make_model_backend(lu::verify::model_engine::solver);
	for (const auto &w : witnesses()) {
		SCOPED_TRACE(std::string(lu::model::name(w.m)));
		const lu::variant v = preset(w.variant);
		lu::model::mutant_select(mutant::none);
		const auto real = impl->run(w.config, v, w.trace);
		ASSERT_TRUE(real.out) << real.error;
		const auto unmutated = model->run(w.config, v, w.trace);
		ASSERT_TRUE(unmutated.out) << unmutated.error;
		EXPECT_EQ(*unmutated.out, *real.out);
		lu::model::mutant_select(w.m);
		for (const auto *side : {model.get(), z3.get()}) {
			const auto mutated = side->run(w.config, v, w.trace);
			ASSERT_TRUE(mutated.out) << mutated.error;
			ASSERT_EQ(mutated.out->rets.size(), w.trace.size());
			for (std::size_t k = 0; k < w.step; k++)
				EXPECT_EQ(mutated.out->rets[k], real.out->rets[k]) << "step " << k;
			EXPECT_NE(mutated.out->rets[w.step], real.out->rets[w.step])
				<< fmt::format("step {}: {} both", w.step, real.out->rets[w.step]);
		}
		lu::model::mutant_select(mutant::none);
		// the unmutated templates are still there, and unchanged
		const auto again = model->run(w.config, v, w.trace);
		ASSERT_TRUE(again.out);
		EXPECT_EQ(*again.out, *real.out);
	}
}

} // namespace
} // namespace lu::test
