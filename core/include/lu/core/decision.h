/* SPDX-License-Identifier: GPL-2.0 */
/**
 * @file decision.h
 * @brief Which rule of docs/semantics.md decided a step's return value.
 *
 * Every operation of docs/semantics.md is a list of numbered checks, the
 * first failing one deciding the errno, then its success. A decision names
 * one of them, so that a trace can say for each step why it returned what
 * it did ("attach.1: -EBUSY, the group is frozen"), and a report can point
 * at the kernel line that let a loss through. The ids are docs/semantics.md's
 * rule numbers; where a version adds a check between two numbered ones, the
 * id gets a letter. The model attributes each step (lu::model::witness_step).
 */
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "lu/core/trace.h"

namespace lu {

/** @brief The rules that can decide a step, in the order of docs/semantics.md. */
enum class decision : std::uint8_t {
	after_kexec,
	mark_nested,
	mark_token_in_use,
	mark_ok,
	attach_frozen,
	attach_already,
	attach_other_hwpt,
	attach_rid_not_compat,
	attach_pasid_not_compat,
	attach_rid_hwpt_not_compat,
	attach_pasid_range,
	attach_ok,
	replace_frozen,
	replace_not_attached,
	replace_same,
	replace_rid_not_compat,
	replace_pasid_not_compat,
	replace_ok,
	detach_frozen,
	detach_not_attached,
	detach_ok,
	iommufd_token_in_use,
	iommufd_preserved,
	iommufd_unsealed,
	iommufd_ok,
	device_token_in_use,
	device_preserved,
	device_unknown_flags,
	device_vfio_skips,
	device_has_record,
	device_has_pasids,
	device_no_rid,
	device_not_on_rid,
	device_rid_not_marked,
	device_no_iommufd_v1,
	device_domain_not_preserved_v1,
	device_domain_not_preserved,
	device_no_iommufd,
	device_pasid_domain,
	device_ok,
	device_pci_refused,
	unpreserve_not_preserved,
	unpreserve_undone,
	unpreserve_not_undone,
	unpreserve_undone_without_record,
	unpreserve_iommufd_not_preserved,
	unpreserve_iommufd_busy,
	unpreserve_iommufd_ok,
	kexec_ok,
	dma_before,
	dma_after,
	before_kexec,
	retrieve_iommufd,
	retrieve_ok,
	retrieve_unknown,
	open_preserved,
	open_ok,
	bind_not_retrieved,
	bind_owned,
	bind_ok,
	finish_iommufd,
	finish_not_retrieved,
	finish_ok,
};

/** @brief A rule that decides a step: its id, its operation and what it says. */
struct decision_info {
	lu::decision id;
	std::string_view rule; /**< docs/semantics.md's rule, e.g. "attach.1" */
	std::string_view text; /**< what the check tests or what success does, a few words */
	std::string_view code; /**< the kernel function (and versions) it is read from */
};

/** @brief Every decision, indexed by lu::decision. */
inline constexpr std::array<decision_info, 63> decisions{{
	{decision::after_kexec, "after-kexec", "the old kernel's objects are gone", "(choice)"},
	{decision::mark_nested, "mark_preserve.1", "hwpt is nested", "iommufd_get_object(HWPT_PAGING)"},
	{decision::mark_token_in_use, "mark_preserve.2", "token of a marked hwpt", "iommufd_hwpt_lu_set_preserve"},
	{decision::mark_ok, "mark_preserve.3", "marked", "iommufd_hwpt_lu_set_preserve"},
	{decision::attach_frozen, "attach.1", "group frozen (nr_preserved > 0)", "iommufd_hw_pagetable_attach [v2+]"},
	{decision::attach_already, "attach.2", "device already attached here", "xa_insert(device_array)"},
	{decision::attach_other_hwpt, "attach.3", "PASID attached to another hwpt", "iommufd_device_do_attach"},
	{decision::attach_rid_not_compat, "attach.4a", "RID hwpt not PASID-compatible", "iommufd_hwpt_pasid_compat"},
	{decision::attach_pasid_not_compat, "attach.4b", "hwpt not PASID-compatible", "iommufd_hwpt_pasid_compat"},
	{decision::attach_rid_hwpt_not_compat, "attach.4c", "RID's hwpt not PASID-compatible",
	 "iommufd_hwpt_pasid_compat"},
	{decision::attach_pasid_range, "attach.4d", "PASID beyond max_pasids", "iommu_attach_device_pasid"},
	{decision::attach_ok, "attach.5", "attached", "iommufd_device_attach"},
	{decision::replace_frozen, "replace.1", "group frozen (nr_preserved > 0)", "iommufd_hw_pagetable_attach [v2+]"},
	{decision::replace_not_attached, "replace.2", "device not attached here", "iommufd_device_replace"},
	{decision::replace_same, "replace.3", "same hwpt, nothing changes", "iommufd_device_replace"},
	{decision::replace_rid_not_compat, "replace.4a", "RID hwpt not PASID-compatible", "iommufd_hwpt_pasid_compat"},
	{decision::replace_pasid_not_compat, "replace.4b", "hwpt not PASID-compatible", "iommufd_hwpt_pasid_compat"},
	{decision::replace_ok, "replace.5", "replaced for the whole group", "iommufd_device_replace"},
	{decision::detach_frozen, "detach.1", "group frozen (nr_preserved > 0)", "iommufd_device_detach [v2+]"},
	{decision::detach_not_attached, "detach.2", "not attached, nothing changes", "iommufd_device_detach"},
	{decision::detach_ok, "detach.3", "detached", "iommufd_device_detach"},
	{decision::iommufd_token_in_use, "preserve_iommufd.1", "token in use", "luo_preserve_file"},
	{decision::iommufd_preserved, "preserve_iommufd.2", "iommufd already preserved", "luo_preserve_file"},
	{decision::iommufd_unsealed, "preserve_iommufd.3", "a marked hwpt is not sealed", "iommufd_liveupdate_preserve"},
	{decision::iommufd_ok, "preserve_iommufd.4", "preserved, marked domains preserved", "iommufd_liveupdate_preserve"},
	{decision::device_token_in_use, "preserve_device.1", "token in use", "luo_preserve_file"},
	{decision::device_preserved, "preserve_device.2", "device already preserved", "luo_preserve_file"},
	{decision::device_unknown_flags, "preserve_device.3", "unknown flag bits", "(choice: extensible flags)"},
	{decision::device_vfio_skips, "preserve_device.4", "vfio skips iommufd: no RID attach, no record",
	 "vfio_pci_liveupdate_preserve [v1, v2]"},
	{decision::device_has_record, "preserve_device.4b", "device already has a record",
	 "iommufd_device_preserve [post-v2]"},
	{decision::device_has_pasids, "preserve_device.5", "group has PASID attachments", "iommufd_device_preserve"},
	{decision::device_no_rid, "preserve_device.6", "group's RID not attached", "iommufd_device_preserve"},
	{decision::device_not_on_rid, "preserve_device.6b", "device not on the RID attach",
	 "iommufd_device_preserve [post-v2]"},
	{decision::device_rid_not_marked, "preserve_device.7a", "RID hwpt not marked", "iommufd_device_preserve [v1]"},
	{decision::device_no_iommufd_v1, "preserve_device.7b", "iommufd not preserved",
	 "liveupdate_get_token_outgoing [v1]"},
	{decision::device_domain_not_preserved_v1, "preserve_device.7c", "RID domain not preserved",
	 "iommu_preserve_device [v1]"},
	{decision::device_domain_not_preserved, "preserve_device.8a", "RID domain not preserved",
	 "iommufd_device_preserve [v2+]"},
	{decision::device_no_iommufd, "preserve_device.8b", "iommufd not preserved", "iommufd_device_preserve [v2+]"},
	{decision::device_pasid_domain, "preserve_device.10", "a PASID's domain not preserved", "(full)"},
	{decision::device_ok, "preserve_device.11", "preserved with a record", "iommufd_device_preserve"},
	{decision::device_pci_refused, "preserve_device.12", "PCI refuses a VF; iommufd unwound unguarded",
	 "pci_liveupdate_preserve, vfio_pci_liveupdate_preserve [v2+]"},
	{decision::unpreserve_not_preserved, "unpreserve_device.1", "device not preserved", "luo"},
	{decision::unpreserve_undone, "unpreserve_device.2", "unpreserved, iommufd undid it",
	 "iommufd_device_unpreserve"},
	{decision::unpreserve_not_undone, "unpreserve_device.2w", "unpreserved, iommufd skipped or WARNed",
	 "vfio_pci_liveupdate_unpreserve, iommufd_device_unpreserve"},
	{decision::unpreserve_undone_without_record, "unpreserve_device.2v", "nr lowered for a device without record",
	 "iommufd_device_unpreserve [v2]"},
	{decision::unpreserve_iommufd_not_preserved, "unpreserve_iommufd.1", "iommufd not preserved", "luo"},
	{decision::unpreserve_iommufd_busy, "unpreserve_iommufd.2", "a preserved device depends on it",
	 "(choice: LIFO)"},
	{decision::unpreserve_iommufd_ok, "unpreserve_iommufd.3", "unpreserved", "iommufd_liveupdate_unpreserve"},
	{decision::kexec_ok, "kexec", "updated", "luo"},
	{decision::dma_before, "dma", "old kernel's attachments", "(observation)"},
	{decision::dma_after, "dma", "restored attachments", "(observation)"},
	{decision::before_kexec, "before-kexec", "no incoming session yet", "(choice)"},
	{decision::retrieve_iommufd, "retrieve.1", "the iommufd: not retrievable (Phase 1)", "iommufd retrieve stub [v1 11/14]"},
	{decision::retrieve_ok, "retrieve.2", "a cdev: retrieved", "vfio_pci_liveupdate_retrieve"},
	{decision::retrieve_unknown, "retrieve.3", "no file with this token", "luo_retrieve_file"},
	{decision::open_preserved, "open_device.1", "an incoming device: busy", "vfio_device_fops_cdev_open"},
	{decision::open_ok, "open_device.2", "opened", "vfio_device_fops_cdev_open"},
	{decision::bind_not_retrieved, "bind_device.1", "a preserved cdev not retrieved: no fd", "(choice)"},
	{decision::bind_owned, "bind_device.2", "group owned by the restored domain", "iommu_device_claim_dma_owner"},
	{decision::bind_ok, "bind_device.3", "bound to the new iommufd", "vfio_df_ioctl_bind_iommufd"},
	{decision::finish_iommufd, "finish.1", "the iommufd cannot finish (Phase 1)", "luo_session_finish"},
	{decision::finish_not_retrieved, "finish.2", "a cdev not retrieved", "vfio_pci_liveupdate_can_finish"},
	{decision::finish_ok, "finish.3", "finished", "luo_session_finish"},
}};

static_assert([] {
	for (std::size_t i = 0; i < decisions.size(); ++i)
		if (static_cast<std::size_t>(decisions[i].id) != i)
			return false;
	return true;
}(), "decisions[] is indexed by lu::decision");

/**
 * @brief A decision's id, text and code.
 * @param d the decision
 * @context Any context; constexpr.
 * @return its entry of @c decisions (static storage).
 */
constexpr const decision_info &info(decision d)
{
	return decisions[static_cast<std::size_t>(d)];
}

/**
 * @brief The decision with a given numeric value (a solver's model).
 * @param v the value
 * @context Any context; constexpr.
 * @return the decision; std::nullopt for a value outside the enum.
 */
constexpr std::optional<decision> decision_from(std::uint64_t v)
{
	if (v >= decisions.size())
		return std::nullopt;
	return static_cast<decision>(v);
}

} // namespace lu
