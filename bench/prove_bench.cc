// SPDX-License-Identifier: GPL-2.0
// Proof time versus trace depth (DESIGN section 4, bench): one loss
// property, no-silent-pasid-loss, proved for the reject preset and refuted
// for doc-only (sat, with minimisation), at depths 2..12. BM_Prove is prove()
// as the tool runs it: the inductive strengthening proves reject for every
// depth, so only the non-vacuity query grows with the depth. BM_Prove_Bmc is
// the same unsat query by bounded model checking alone (the expensive kind;
// past depth 10 it exceeds the default rlimit). Each iteration is one
// prove() call with its own Z3 context, so the curve is the cost of the
// query itself.
#include <benchmark/benchmark.h>

#include "lu/model/prove.h"

namespace {

void prove_at(benchmark::State &state, const lu::variant &v, bool induction = true)
{
	lu::model::prove_options opt;
	opt.bounds.depth = static_cast<unsigned>(state.range(0));
	opt.induction = induction;
	for (auto _ : state) {
		auto r = lu::model::prove(v, lu::model::property::no_silent_pasid_loss, opt);
		if (r.verdict == lu::model::verdict::error || r.verdict == lu::model::verdict::unknown) {
			state.SkipWithError(("prove: " + r.reason).c_str());
			return;
		}
		benchmark::DoNotOptimize(r);
	}
	state.SetItemsProcessed(state.iterations());
}

// Models the unsat side: reject never loses a PASID silently.
void BM_Prove(benchmark::State &state)
{
	prove_at(state, *lu::find_preset("reject"));
}

// The same, bounded model checking only.
void BM_Prove_Bmc(benchmark::State &state)
{
	prove_at(state, *lu::find_preset("reject"), false);
}

// The sat side, as a baseline in the same binary: doc-only's counterexample.
void BM_Prove_Counterexample(benchmark::State &state)
{
	prove_at(state, *lu::find_preset("doc-only"));
}

// Every any-size proof of the default table (proved**: any number of
// devices, groups and hwpts; docs/model.md): each preset and property at
// depth 2, where the BMC non-vacuity query is small, so the time is the
// quantified obligations and one bridge per variant. Counter any_size: the
// cells so proved (36).
void BM_Prove_AnySize(benchmark::State &state)
{
	lu::model::prove_options opt;
	opt.bounds.depth = 2;
	opt.minimise = false;
	for (auto _ : state) {
		unsigned any = 0;
		for (const auto &pr : lu::presets)
			for (const auto &pi : lu::model::properties)
				if (pi.kind == lu::model::property_kind::safety && pi.id != lu::model::property::observable_contract &&
				    pi.id != lu::model::property::image_round_trip && pi.id != lu::model::property::nested_survives)
					any += lu::model::prove(pr.variant, pi.id, opt).any_size;
		state.counters["any_size"] = any;
	}
}

BENCHMARK(BM_Prove)->ArgNames({"depth"})->DenseRange(2, 12, 1)->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK(BM_Prove_Bmc)->ArgNames({"depth"})->DenseRange(2, 10, 1)->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK(BM_Prove_Counterexample)->ArgNames({"depth"})->DenseRange(2, 12, 1)->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK(BM_Prove_AnySize)->Unit(benchmark::kMillisecond)->Iterations(1);

} // namespace

BENCHMARK_MAIN();
