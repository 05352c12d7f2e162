/* SPDX-License-Identifier: GPL-2.0 */
/**
 * @file causes.h
 * @brief The distinct ways a safety property fails (issue 12): per cause, a
 * minimal trace, or the proof that the variant closes it.
 *
 * A counterexample shows one way a property fails; a maintainer asks for
 * every way. A cause names the rule of docs/semantics.md that let the
 * violation through (vfio skipped iommufd, the record left a PASID out, an
 * attach after the preserve was not refused, ...). Causes are predicates on
 * the violating state, the same under every variant, so that a matrix of
 * causes against variants says which variant closes which hole. For each
 * cause of a failing cell the solver is asked for a violation with that
 * cause: sat gives a trace (minimised for a reader: fewest devices and
 * hwpts, singleton groups, paging hwpts, the RID attached, flags 0, unless
 * the cause needs otherwise), unsat closes the cause up to the bounds. A
 * last query asks for a violation with none of the causes: sat is an
 * `unclassified` cause (the catalog has a gap, and the report says so).
 */
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lu/core/decision.h"
#include "lu/model/prove.h"

namespace lu::model {

/** @brief The causes of docs/semantics.md, "Causes". */
enum class cause : std::uint8_t {
	no_record,               /**< the device was preserved without a record (vfio skipped iommufd) */
	pasid_not_recorded,      /**< preserve returned 0 with a PASID attached that the record leaves out */
	attached_after_preserve, /**< an attach after the preserve was not refused */
	moved_after_preserve,    /**< the hwpt changed after the preserve (replace, or detach and attach) */
	detached_after_preserve, /**< a detach after the preserve was not refused */
	nested_as_parent,        /**< the record names a nested hwpt's stage-2 parent */
	counter_below_zero,      /**< unpreserve lowered nr_preserved for a device it never counted */
	failed_preserve_unwound, /**< a refused preserve's unguarded unwind lowered nr_preserved */
	violation,               /**< the one cause of a property without a finer catalog */
	unclassified,            /**< a violation with none of the property's causes: a gap */
};

/** @brief A cause's stable id, what it says, and the rule that lets it through. */
struct cause_info {
	lu::model::cause id;
	std::string_view name; /**< stable id, e.g. "pasid-not-recorded" */
	std::string_view text; /**< what it says, at most 44 columns (one line of the report) */
	/** the rule whose step makes the violation possible (the marked step of a trace) */
	std::optional<lu::decision> rule;
};

/** @brief Every cause, indexed by lu::model::cause. */
inline constexpr std::array<cause_info, 10> causes{{
	{cause::no_record, "no-record", "vfio preserved it without iommufd: no record",
	 lu::decision::device_vfio_skips},
	{cause::pasid_not_recorded, "pasid-not-recorded", "preserve = 0, an attached PASID not recorded",
	 lu::decision::device_ok},
	{cause::attached_after_preserve, "attached-after-preserve", "attach after preserve not refused",
	 lu::decision::attach_ok},
	{cause::moved_after_preserve, "moved-after-preserve", "hwpt changed after preserve",
	 lu::decision::replace_ok},
	{cause::detached_after_preserve, "detached-after-preserve", "detach after preserve not refused",
	 lu::decision::detach_ok},
	{cause::nested_as_parent, "nested-as-parent", "record names the nested hwpt's parent",
	 lu::decision::device_ok},
	{cause::counter_below_zero, "counter-below-zero", "nr_preserved lowered for an uncounted device",
	 lu::decision::unpreserve_undone_without_record},
	{cause::failed_preserve_unwound, "failed-preserve-unwound", "failed preserve lowered nr_preserved",
	 lu::decision::device_pci_refused},
	{cause::violation, "violation", "the property's violation", std::nullopt},
	{cause::unclassified, "unclassified", "none of the causes above (a gap in the catalog)", std::nullopt},
}};

/**
 * @brief A cause's id, text and rule.
 * @param c the cause
 * @context Any context; constexpr.
 * @return its entry of @c causes (static storage).
 */
constexpr const cause_info &info(cause c)
{
	return causes[static_cast<std::size_t>(c)];
}

/**
 * @brief The causes a property is split into (without unclassified):
 * the loss properties by what the record says of the lost pair,
 * preserved-is-frozen by the operation, observable-contract by why the
 * restored states differ, freeze-lifts by the v2 counter; any other safety
 * property has the one cause `violation`; a capability none.
 * @param p the property
 * @context Any context.
 * @return the causes, in report order (static storage).
 */
std::span<const cause> causes_of(property p);

/** @brief One cause of one cell: found (with a trace), closed, or unknown. */
struct cause_result {
	lu::model::cause cause{};
	/**
	 * counterexample: found, the witness shows it; proved: closed (no
	 * violation with this cause up to the bounds, or the cell's every-depth
	 * proof); unknown: the solver gave up (reason)
	 */
	lu::model::verdict status = verdict::unknown;
	std::optional<lu::model::witness> witness;
	std::optional<std::size_t> marked_step; /**< the step of the cause's rule in the witness */
	std::string reason;                     /**< unknown or error: why */
	double seconds = 0;
};

/**
 * @brief Every cause of the cell @p r: for a proved cell, each closed by
 * its proof (no query); for a counterexample, per cause a query for a
 * violation with that cause (sat: a minimised, decoded trace; unsat:
 * closed up to the bounds), then one for a violation with none of them
 * (sat: an `unclassified` result).
 * @param r the cell, as prove() gave it with @p opt
 * @param opt the bounds and solver budget of @p r
 * @param cap at most this many causes are searched (the rest are reported
 *        unknown, "over the cap"); at least 1
 * @return one result per cause of causes_of(r.property), then
 *         `unclassified` if the solver found one; empty for a capability,
 *         an unknown or an error cell.
 * @throws std::invalid_argument when @p cap is 0.
 * @context Creates its own Z3 context; thread-safe. Several BMC queries per
 * cause of a failing cell.
 */
std::vector<cause_result> find_causes(const result &r, const prove_options &opt, unsigned cap = 16);

} // namespace lu::model
