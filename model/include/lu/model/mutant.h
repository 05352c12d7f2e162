/* SPDX-License-Identifier: GPL-2.0 */
/**
 * @file mutant.h
 * @brief Named mutation points of lu::model: faults in the Z3 transition
 * relation (model/src/encoding.cpp), for mutation testing of the cross-check.
 *
 * Each mutant is one deliberate, plausible modelling slip, in the spirit of
 * lu::impl's (lu/impl/mutant.h): a check dropped, two checks in the wrong
 * order, a wrong errno, a counter not decremented, a record field not
 * copied. machine::transition() asks LU_MODEL_MUTANT(name) while it builds
 * its terms, so the selected mutant is in every term built after
 * mutant_select(): the proofs, the Z3 simulator and the compiled evaluator
 * (whose template cache is keyed by the mutant too) all see it. Unlike
 * lu::impl there is no separate library: building a term is not a hot path,
 * and the selection is one process-wide value, so that prove's worker
 * threads see it. With mutant::none (the default) the relation is the real
 * one. `iommufd-lu crosscheck` runs each mutant in the mutation runner
 * (iommufd-lu-mutants --mutant NAME) against the unmutated impl. Z3-free
 * header.
 */
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace lu::model {

/** @brief Every mutation point of the model. Names are stable (reports use them). */
enum class mutant : std::uint8_t {
	none,                        /**< no mutant: the real relation */
	mark_accepts_used_token,     /**< mark_preserve drops the token-in-use check (-EADDRINUSE) */
	attach_ignores_freeze,       /**< attach drops the freeze check (-EBUSY) */
	iommufd_busy_before_token,   /**< preserve_iommufd: "already preserved" before "token in use" */
	device_iommufd_before_domain, /**< v2 order: "no iommufd" (-ENOENT) before "domain not preserved" (-EINVAL) */
	mark_nested_einval,          /**< marking a nested hwpt is -EINVAL, not -ENOENT */
	detach_keeps_pasid_count,    /**< detach of a PASID leaves the device's count on its hwpt */
	unpreserve_keeps_counter,    /**< unpreserve_device leaves nr_liveupdate_preserved raised */
	record_drops_rid,            /**< preserve_device does not copy the RID hwpt into the record */
	record_drops_pasid_hwpts,    /**< preserve_device does not copy the PASIDs' hwpts into the record */
	unpreserve_iommufd_keeps_domains, /**< unpreserve_iommufd leaves domain_preserved set */
	pci_unwind_guarded,          /**< vfio's PCI error path unwinds iommufd only if its gate called it */
	nr_mutants,                  /**< number of entries, not a mutant */
};

/** @brief The stable names, "model-" and the point in kebab case; index = mutant. */
inline constexpr std::array<std::string_view, static_cast<std::size_t>(mutant::nr_mutants)> mutant_names{
	"none",
	"model-mark-accepts-used-token",
	"model-attach-ignores-freeze",
	"model-iommufd-busy-before-token",
	"model-device-iommufd-before-domain",
	"model-mark-nested-einval",
	"model-detach-keeps-pasid-count",
	"model-unpreserve-keeps-counter",
	"model-record-drops-rid",
	"model-record-drops-pasid-hwpts",
	"model-unpreserve-iommufd-keeps-domains",
	"model-pci-unwind-guarded",
};

/**
 * @brief The stable name of @p m (e.g. "model-record-drops-rid").
 * @return the name; "?" for nr_mutants.
 * @context Any context.
 */
constexpr std::string_view name(mutant m) noexcept
{
	const auto i = static_cast<std::size_t>(m);
	return i < mutant_names.size() ? mutant_names[i] : "?";
}

/**
 * @brief The model mutant called @p s, if any.
 * @return the mutant, or std::nullopt.
 * @context Any context.
 */
constexpr std::optional<mutant> parse_mutant(std::string_view s) noexcept
{
	for (std::size_t i = 0; i < mutant_names.size(); i++)
		if (mutant_names[i] == s)
			return static_cast<mutant>(i);
	return std::nullopt;
}

namespace internal {
/** @brief The selected mutant (one per process: prove's worker threads read it too). */
inline std::atomic<mutant> selected_mutant{mutant::none};
} // namespace internal

/**
 * @brief Select the mutant that the relation's terms are built with.
 * @param m mutant::none restores the real relation.
 * @context Process-wide. Call it before building terms: a term built
 * earlier keeps the relation it was built with (the evaluator's and the
 * simulator's caches are keyed by the mutant, so they never mix).
 */
inline void mutant_select(mutant m) noexcept
{
	internal::selected_mutant.store(m, std::memory_order_relaxed);
}

/**
 * @brief The selected mutant.
 * @return the mutant (none unless mutant_select() chose one).
 * @context Any context.
 */
[[nodiscard]] inline mutant mutant_selected() noexcept
{
	return internal::selected_mutant.load(std::memory_order_relaxed);
}

} // namespace lu::model

/** @brief True while building terms with the model mutant @p n selected. */
#define LU_MODEL_MUTANT(n) (::lu::model::mutant_selected() == ::lu::model::mutant::n)
