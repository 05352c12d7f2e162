/* SPDX-License-Identifier: GPL-2.0 */
/**
 * @file monitors.h
 * @brief One monitor per property of docs/semantics.md ("Properties"),
 * evaluated on a concrete run (lu::verify::observed_run), written from the
 * words of docs/semantics.md and not from the model's formulas.
 *
 * A safety monitor returns a description of the violation it saw, or
 * std::nullopt when the run satisfies the property. A capability monitor
 * (rid-only-preservable, pasid-survives-update) returns a description of
 * the witness the run is, or std::nullopt when the run is none.
 * observable-contract needs the same requests on `full` too.
 *
 * The cross-check (run_monitors(), crosscheck.h) evaluates them on every
 * trace it runs on the impl; a violation of a property the model proves for
 * the variant, or a model counterexample or witness the monitor does not
 * confirm on the impl, is a disagreement.
 */
#pragma once

#include <optional>
#include <string>

#include "lu/model/prove.h"
#include "lu/verify/backend.h"

namespace lu::verify {

/**
 * @brief no-silent-pasid-loss: "no device preserved at kexec without
 * IGNORE_PASID loses an attachment".
 * @param r the run
 * @context Any context; allocates.
 * @return the violation, or std::nullopt when the run satisfies it.
 */
std::optional<std::string> monitor_no_silent_pasid_loss(const observed_run &r);

/**
 * @brief loss-only-when-acknowledged: "every lost (d, p) has p > 0 and d
 * preserved with IGNORE_PASID".
 * @param r the run
 * @context Any context; allocates.
 * @return the violation, or std::nullopt.
 */
std::optional<std::string> monitor_loss_only_when_acknowledged(const observed_run &r);

/**
 * @brief rid-only-preservable (capability): "a device with only a RID
 * attachment to a marked, sealed paging hwpt, iommufd preserved first,
 * preserves with 0 and survives".
 * @param r the run
 * @context Any context; allocates.
 * @return the witness this run is, or std::nullopt if it is none.
 */
std::optional<std::string> monitor_rid_only_preservable(const observed_run &r);

/**
 * @brief pasid-survives-update (capability): "some trace carries a p > 0
 * attachment across kexec".
 * @param r the run
 * @context Any context; allocates.
 * @return the witness this run is, or std::nullopt if it is none.
 */
std::optional<std::string> monitor_pasid_survives_update(const observed_run &r);

/**
 * @brief observable-contract: "for every request, two variants that return
 * the same values leave the same restored state"; @p r and @p full are the
 * same requests under a variant and under `full`.
 * @param r the run under the variant
 * @param full the same trace and configuration under the other variant
 * @context Any context; allocates.
 * @return the violation, or std::nullopt.
 */
std::optional<std::string> monitor_observable_contract(const observed_run &r, const observed_run &full);

/**
 * @brief unknown-flags-rejected: "preserve_device with a bit outside the
 * known flags never returns 0 and changes nothing, and returns -EINVAL
 * after the token and already-preserved checks (-EEXIST, -EBUSY; -ENODEV
 * after kexec)".
 * @param r the run
 * @context Any context; allocates.
 * @return the violation, or std::nullopt.
 */
std::optional<std::string> monitor_unknown_flags_rejected(const observed_run &r);

/**
 * @brief preserved-is-frozen: "no step changes the attachments of a device
 * that is preserved before and after it".
 * @param r the run
 * @context Any context; allocates.
 * @return the violation, or std::nullopt.
 */
std::optional<std::string> monitor_preserved_is_frozen(const observed_run &r);

/**
 * @brief unpreserve-restores: "preserve then unpreserve returns counters,
 * marks, session and attachments to what they were" (a preserve_device(d)
 * or preserve_iommufd returning 0 and, at the next step, its unpreserve
 * returning 0).
 * @param r the run
 * @context Any context; allocates.
 * @return the violation, or std::nullopt.
 */
std::optional<std::string> monitor_unpreserve_restores(const observed_run &r);

/**
 * @brief failure-changes-nothing: "every error return leaves the state as
 * it was".
 * @param r the run
 * @context Any context; allocates.
 * @return the violation, or std::nullopt.
 */
std::optional<std::string> monitor_failure_changes_nothing(const observed_run &r);

/**
 * @brief image-round-trip: "the restored attachments are exactly the
 * records (restore(serialize(S)) = S)".
 * @param r the run
 * @context Any context; allocates.
 * @return the violation, or std::nullopt.
 */
std::optional<std::string> monitor_image_round_trip(const observed_run &r);

/**
 * @brief nested-survives: "no nested attachment of a device preserved at
 * kexec is restored as its parent".
 * @param r the run
 * @context Any context; allocates.
 * @return the violation, or std::nullopt.
 */
std::optional<std::string> monitor_nested_survives(const observed_run &r);

/**
 * @brief freeze-lifts: "an attach, replace or detach on a group none of
 * whose devices is preserved is not refused with -EBUSY (attach's own
 * -EBUSY for a device already attached at that PASID excepted)".
 * @param r the run
 * @context Any context; allocates.
 * @return the violation, or std::nullopt.
 */
std::optional<std::string> monitor_freeze_lifts(const observed_run &r);

/**
 * @brief The monitor of @p p on @p r.
 * @param p the property
 * @param r the run
 * @param full the same requests under `full` (observable-contract only;
 *        nullptr: that monitor sees nothing)
 * @context Any context; allocates.
 * @return what the monitor of @p p returns (a violation, or for a
 * capability a witness), or std::nullopt.
 */
std::optional<std::string> run_monitor(lu::model::property p, const observed_run &r, const observed_run *full);

} // namespace lu::verify
