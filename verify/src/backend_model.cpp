// SPDX-License-Identifier: GPL-2.0
// The model backend: the model's transition relation run on one concrete
// trace, by the compiled evaluator (lu::model::evaluate) or by Z3
// (lu::model::simulate, the reference).
#include "lu/model/evaluate.h"
#include "lu/model/simulate.h"
#include "lu/verify/backend.h"

namespace lu::verify {

namespace {

class model_backend final : public backend {
public:
	explicit model_backend(model_engine e) : engine_(e) {}
	std::string_view name() const override { return engine_ == model_engine::solver ? "model (z3)" : "model"; }
	run_result run(const lu::config &cfg, const lu::variant &v, const std::vector<lu::step> &trace) const override
	{
		auto r = engine_ == model_engine::solver ? lu::model::simulate(cfg, v, trace)
							 : lu::model::evaluate(cfg, v, trace);
		if (!r.out)
			return {std::nullopt, r.error.empty() ? "simulate failed" : r.error};
		return {std::move(r.out), {}};
	}

private:
	model_engine engine_;
};

} // namespace

std::unique_ptr<backend> make_model_backend(model_engine e)
{
	return std::make_unique<model_backend>(e);
}

} // namespace lu::verify
