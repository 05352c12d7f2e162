// SPDX-License-Identifier: GPL-2.0
// The model backend: lu::model::simulate, the model's transition relation
// run on one concrete trace.
#include "lu/model/simulate.h"
#include "lu/verify/backend.h"

namespace lu::verify {

namespace {

class model_backend final : public backend {
public:
	std::string_view name() const override { return "model"; }
	run_result run(const lu::config &cfg, const lu::variant &v, const std::vector<lu::step> &trace) const override
	{
		auto r = lu::model::simulate(cfg, v, trace);
		if (!r.out)
			return {std::nullopt, r.error.empty() ? "simulate failed" : r.error};
		return {std::move(r.out), {}};
	}
};

} // namespace

std::unique_ptr<backend> make_model_backend()
{
	return std::make_unique<model_backend>();
}

} // namespace lu::verify
