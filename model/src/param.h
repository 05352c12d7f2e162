/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Proofs for any number of devices, groups and hwpts (docs/model.md, "Any
 * number of devices, groups and hwpts"). Private to model/src.
 *
 * The machine of encoding.h again, with its objects as uninterpreted sorts
 * (Dev, Grp, Ref: as many of each as a system has) and its state as
 * functions over them; the transition is the same list of checks in the
 * same order, read from the same rules table (lu/core/rules.h), and
 * bridge_obligations() check that at 2 devices and 3 hwpts it is
 * machine::transition(), field by field. Invariants are universally
 * quantified over the sorts (Ivy and mypyvy's style); Z3 checks each
 * obligation with its quantifier instantiation (MBQI).
 */
#pragma once

#include <z3++.h>

#include <cstdint>
#include <vector>

#include "query.h"

namespace lu::model::internal {

/**
 * A fault put into the parametric relation on purpose: with it, every
 * any-size proof it concerns must fail (tests/model/param_test.cc), so that
 * the proofs are not vacuous.
 */
enum class param_fault : std::uint8_t {
	none,
	freeze_ignored,          /**< attach, replace, detach skip the -EBUSY of a preserved group */
	freeze_by_mark,          /**< the freeze tests the RID hwpt's mark instead of the counter */
	pasid_check_dropped,     /**< preserve_device skips the PASID policy check */
	counter_kept,            /**< unpreserve_device does not lower nr_liveupdate_preserved */
	failure_writes,          /**< a mark_preserve refused with -EADDRINUSE still marks */
	unknown_flags_accepted,  /**< preserve_device does not check unknown flags */
	record_stale,            /**< preserve_device records the RID's hwpt of the slot, not of the group */
};

/** Whether @p has an any-size proof (at least where it holds). */
bool has_any_size_proof(property p);

/**
 * The obligations of the proof of (@v, @p) for any number of devices,
 * groups and hwpts, every PASID and every trace length: the invariants'
 * base and step, the counters' step lemmas, non-vacuity and the property
 * itself. Empty when none is attempted (not has_any_size_proof(@p), or a
 * loss property of a variant without the inductive argument: a rid-only
 * gate, freeze allowed or silent-drop, all of which have counterexamples).
 */
std::vector<obligation> any_size_obligations(z3::context &c, const lu::variant &v, property p,
					     param_fault fault = param_fault::none);

/**
 * The bridge: at 2 devices (so 1 or 2 groups) and 3 hwpts, from any state
 * of the slots and with any step, the parametric transition returns what
 * machine::transition() returns and leaves the same state, field by field
 * (unsat proves it). So the any-size proofs are about the relation the
 * bounded checks use, not about a second reading of the code. One
 * obligation per operation: each is a small query, where the whole one
 * depends on the solver's luck (up to minutes for some seeds).
 */
std::vector<obligation> bridge_obligations(z3::context &c, const lu::variant &v);

} // namespace lu::model::internal
