// SPDX-License-Identifier: GPL-2.0
// The impl backend: lu::impl::machine, one step at a time. Built twice: into
// lu_verify against lu_impl, and into the mutation runner against
// lu_impl_mutants (LU_IMPL_MUTANTS), so the normal tool never holds a mutant.
#include "lu/verify/backend.h"

namespace lu::verify {

namespace {

class impl_backend final : public backend {
public:
	std::string_view name() const override { return "impl"; }
	run_result run(const lu::config &, const lu::variant &, const std::vector<lu::step> &) const override
	{
		return {std::nullopt, "lu::impl::machine is not available yet"};
	}
};

} // namespace

std::unique_ptr<backend> make_impl_backend()
{
	return std::make_unique<impl_backend>();
}

} // namespace lu::verify
