/* SPDX-License-Identifier: GPL-2.0 */
/**
 * @file mutant.h
 * @brief Named mutation points of lu::impl, for mutation testing (DESIGN 4, verify 4).
 *
 * Each mutant is one deliberate, plausible bug. The code marks the place with
 * LU_MUTANT(name): in lu_impl it is the constant @c false and the compiler
 * removes the branch, so no mutant is reachable; in lu_impl_mutants (the same
 * sources compiled with LU_IMPL_MUTANTS) it tests the mutant selected at run
 * time with mutant_select(). Only verify/ and tests/ link lu_impl_mutants.
 */
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace lu::impl {

/** @brief Every mutation point. Names are stable (reports use them). */
enum class mutant : std::uint8_t {
	none,                        /**< no mutant: the real behaviour */
	skip_pasid_check,            /**< preserve ignores PASID attachments (reject, ack-flag) */
	skip_freeze,                 /**< attach/replace/detach ignore nr_liveupdate_preserved */
	invert_vfio_gate,            /**< vfio calls iommufd preserve exactly when it should not */
	max_pasids_off_by_one,       /**< PASID attach accepts pasid == max_pasids */
	second_attach_wrong_errno,   /**< a second attach of the same device returns -EINVAL */
	serializer_drops_last_pasid, /**< the image loses each device's last PASID record */
	parser_accepts_pasid_limit,  /**< the parser accepts PASID 2^20 */
	unpreserve_keeps_counter,    /**< unpreserve leaves nr_liveupdate_preserved raised */
	no_freeze_rollback,          /**< a failing freeze does not unfreeze the earlier files */
	restore_ignores_nested_parent, /**< restore does not link a nested hwpt to its parent */
	duplicate_token_accepted,    /**< mark_preserve accepts a token already in use */
	checksum_not_checked,        /**< the parser skips the checksum */
	restore_first_device_pasids, /**< restore gives every device the first device's PASIDs */
	unpreserve_keeps_domains,    /**< v1: unpreserving the iommufd leaves its domains preserved (state only) */
	xa_find_after_first_chunk,   /**< xa_find_after() sees only the first 64 indices */
	/* One per rule of lu/core/rules.h, each in the version that has the rule: */
	mark_scans_target,           /**< v1 (mark_skips_target): MARK's duplicate scan does not skip the hwpt being marked */
	preserve_tests_domain,       /**< v1 (preserve_tests_mark): preserve tests domain_preserved, not the mark, before the token lookup */
	unpreserve_needs_record,     /**< v2 (unpreserve_any_device): unpreserve undoes only a device with a record */
	device_on_rid_unchecked,     /**< post-v2 (device_on_rid): preserve accepts a device that is not itself on the RID attach */
	unpreserve_ignores_device_flag, /**< post-v2 (device_flag): unpreserve undoes a device that was not preserved through iommufd */
	pci_unwind_guarded,          /**< v2 (pci_unwind): vfio's PCI error path unwinds iommufd only if its gate called it */
	/* A PCI function is its segment and BDF together: */
	restore_ignores_segment,     /**< restore keys devices by BDF alone (the same BDF on two segments fails) */
	parser_ignores_segment,      /**< the parser's duplicate check compares BDFs alone */
	nr_mutants,                  /**< number of entries, not a mutant */
};

/**
 * @brief The stable name of @p m (snake_case with dashes, e.g. "skip-pasid-check").
 * @return the name.
 * @context Any context.
 */
std::string_view name(mutant m) noexcept;

/** @brief The components mutants are grouped by, in report order. */
inline constexpr std::string_view mutant_components[] = {"xarray", "iommufd", "LUO", "image", "restore", "model"};

/**
 * @brief The component of lu::impl (or lu::model) a mutant lives in.
 * @return one of mutant_components; "?" for none or nr_mutants.
 * @context Any context.
 */
std::string_view component(mutant m) noexcept;

/**
 * @brief The mutant called @p s, if any.
 * @return the mutant, or std::nullopt.
 * @context Any context.
 */
std::optional<mutant> parse_mutant(std::string_view s) noexcept;

/**
 * @brief Select the mutant that LU_MUTANT() points enable.
 * @param m mutant::none turns every point off.
 * @context Per thread. Has an effect only in lu_impl_mutants.
 */
void mutant_select(mutant m) noexcept;

/**
 * @brief The selected mutant of the calling thread.
 * @return the mutant (none unless mutant_select() chose one).
 * @context Any context; per thread.
 */
[[nodiscard]] mutant mutant_selected() noexcept;

/**
 * @brief Whether this build of lu::impl has reachable mutation points.
 * @return true only in lu_impl_mutants.
 * @context Any context.
 */
[[nodiscard]] bool mutants_compiled_in() noexcept;

} // namespace lu::impl

#ifdef LU_IMPL_MUTANTS
/** @brief True when the mutant @p n is selected (lu_impl_mutants only). */
#define LU_MUTANT(n) (::lu::impl::mutant_selected() == ::lu::impl::mutant::n)
#else
#define LU_MUTANT(n) false
#endif
