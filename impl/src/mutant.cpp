// SPDX-License-Identifier: GPL-2.0
// Mutant selection: see lu/impl/mutant.h.
#include "lu/impl/mutant.h"

#include <array>

namespace lu::impl {

namespace {
thread_local mutant selected = mutant::none;

constexpr std::array<std::string_view, static_cast<std::size_t>(mutant::nr_mutants)> names{
	"none",
	"skip-pasid-check",
	"skip-freeze",
	"invert-vfio-gate",
	"max-pasids-off-by-one",
	"second-attach-wrong-errno",
	"serializer-drops-last-pasid",
	"parser-accepts-pasid-limit",
	"unpreserve-keeps-counter",
	"no-freeze-rollback",
	"restore-ignores-nested-parent",
	"duplicate-token-accepted",
	"checksum-not-checked",
	"restore-first-device-pasids",
	"unpreserve-keeps-domains",
	"xa-find-after-first-chunk",
	"mark-scans-target",
	"preserve-tests-domain",
	"unpreserve-needs-record",
	"device-on-rid-unchecked",
	"unpreserve-ignores-device-flag",
	"pci-unwind-guarded",
	"restore-ignores-segment",
	"parser-ignores-segment",
};

// The component each mutation point is in: xarray.cpp, iommufd*.cpp (vfio's
// gate too), luo.cpp, the image (the serializer of iommufd_lu.cpp and the
// parser of image.cpp), restore.cpp.
constexpr std::array<std::string_view, static_cast<std::size_t>(mutant::nr_mutants)> components{
	"?",       "iommufd", "iommufd", "iommufd", "iommufd", "iommufd", "image",   "image",
	"iommufd", "LUO",     "restore", "iommufd", "image",   "restore", "iommufd", "xarray",
	"iommufd", "iommufd", "iommufd", "iommufd", "iommufd", "iommufd", "restore", "image",
};
} // namespace

std::string_view name(mutant m) noexcept
{
	auto i = static_cast<std::size_t>(m);
	return i < names.size() ? names[i] : "?";
}

std::string_view component(mutant m) noexcept
{
	auto i = static_cast<std::size_t>(m);
	return i < components.size() ? components[i] : "?";
}

std::optional<mutant> parse_mutant(std::string_view s) noexcept
{
	for (std::size_t i = 0; i < names.size(); i++)
		if (names[i] == s)
			return static_cast<mutant>(i);
	return std::nullopt;
}

void mutant_select(mutant m) noexcept
{
	selected = m;
}

mutant mutant_selected() noexcept
{
	return selected;
}

bool mutants_compiled_in() noexcept
{
#ifdef LU_IMPL_MUTANTS
	return true;
#else
	return false;
#endif
}

} // namespace lu::impl
