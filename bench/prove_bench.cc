// SPDX-License-Identifier: GPL-2.0
// Proof time versus trace depth (DESIGN section 4, bench): one loss
// property, no-silent-pasid-loss, proved for the reject preset (an unsat
// BMC query, the expensive kind) and refuted for doc-only (sat, with
// minimisation), at depths 2..12. Each iteration is one prove() call with its
// own Z3 context, so the curve is the cost of the query itself.
#include <benchmark/benchmark.h>

#include "lu/model/prove.h"

namespace {

void prove_at(benchmark::State &state, const lu::variant &v)
{
	lu::model::prove_options opt;
	opt.bounds.depth = static_cast<unsigned>(state.range(0));
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

// The sat side, as a baseline in the same binary: doc-only's counterexample.
void BM_Prove_Counterexample(benchmark::State &state)
{
	prove_at(state, *lu::find_preset("doc-only"));
}

BENCHMARK(BM_Prove)->ArgNames({"depth"})->DenseRange(2, 12, 1)->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK(BM_Prove_Counterexample)->ArgNames({"depth"})->DenseRange(2, 12, 1)->Unit(benchmark::kMillisecond)->Iterations(1);

} // namespace

BENCHMARK_MAIN();
