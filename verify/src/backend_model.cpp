// SPDX-License-Identifier: GPL-2.0
// The model backend: lu::model's Z3-free executable reading of the machine.
#include "lu/verify/backend.h"

namespace lu::verify {

namespace {

class model_backend final : public backend {
public:
	std::string_view name() const override { return "model"; }
	run_result run(const lu::config &, const lu::variant &, const std::vector<lu::step> &) const override
	{
		return {std::nullopt, "lu::model::simulate is not available yet"};
	}
};

} // namespace

std::unique_ptr<backend> make_model_backend()
{
	return std::make_unique<model_backend>();
}

} // namespace lu::verify
