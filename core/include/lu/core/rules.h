/* SPDX-License-Identifier: GPL-2.0 */
/**
 * @file rules.h
 * @brief What each version of the series' code does differently, as one table.
 *
 * A row per version, a column per rule, so that the versions read as a diff.
 * impl/ and model/ each implement every rule on their own and look up which
 * rules apply here, nowhere else (docs/semantics.md names each rule's code).
 * The PASID policy and the two knobs (lu/core/variant.h) are not rules of a
 * version: they are what the reviewer's options change.
 *
 * Sources (SERIES.md sections 3, 8, 13.3):
 *  - v1: samikhawaja/linux drivers/iommu/iommufd/liveupdate.c\@6f017580
 *    (iommufd_hwpt_lu_set_preserve), the v1 patches 12/14 and 13/14
 *    (iommufd_device_preserve/unpreserve, vfio_pci_liveupdate.c), DOMAIN 1.5;
 *  - v2: samikhawaja/linux drivers/iommu/iommufd/device.c\@027f82dc,
 *    drivers/vfio/pci/vfio_pci_liveupdate.c\@03855e7d, the xa-mark
 *    liveupdate.c (anolis\@01b951ef, same code as samikhawaja's);
 *  - post-v2: pran005/linux drivers/iommu/iommufd/device.c\@20d150d0,
 *    jackYoung0915/anolis-cloud-kernel drivers/iommu/iommufd/liveupdate.c\@e0c90453.
 */
#pragma once

#include <array>
#include <string_view>

#include "lu/core/variant.h"

namespace lu {

/** @brief The rules in which the versions' code differs (true: the version has it). */
struct code_rules {
	/**
	 * MARK's duplicate-token scan skips the hwpt being marked, so re-marking
	 * it with its own token succeeds (v1: `if (hwpt == hwpt_target) continue;`).
	 * Without it (xa-mark, v2 on) that re-mark is -EADDRINUSE.
	 */
	bool mark_skips_target;
	/**
	 * iommufd_device_preserve() tests the flag MARK sets (v1 `lu_preserve`):
	 * a marked RID hwpt passes, the token lookup (-ENOENT) comes next, then
	 * iommu_preserve_device()'s "domain not preserved" (-EINVAL). Without it
	 * (v2 on) it tests `liveupdate_preserved`, which the iommufd file preserve
	 * sets: -EINVAL before the token lookup.
	 */
	bool preserve_tests_mark;
	/**
	 * `idev->liveupdate_preserved`: iommufd_device_preserve() returns -EBUSY
	 * first if the device has it, and iommufd_device_unpreserve() undoes only
	 * a device that has it (and clears it only on its success path).
	 */
	bool device_flag;
	/**
	 * iommufd_device_preserve() returns -ENOENT unless this device itself is
	 * in the RID attach's device_array (before: the group's RID attach was
	 * enough).
	 */
	bool device_on_rid;
	/**
	 * iommufd_device_unpreserve() lowers nr_liveupdate_preserved for any
	 * device whose group's RID is attached to a preserved domain, whether or
	 * not it preserved that device (v2: no per-device state). With vfio's
	 * guard (`iommufd_attached`) a device preserved without a record and
	 * attached afterwards takes the counter below zero.
	 */
	bool unpreserve_any_device;
	/**
	 * vfio-pci's preserve calls pci_liveupdate_preserve() after the iommufd
	 * preserve; when PCI refuses the device (a VF: -EINVAL) it calls
	 * iommufd_device_unpreserve() unguarded (`err_iommufd_unpreserve`), also
	 * for a device whose iommufd preserve its gate skipped; and when its own
	 * record's allocation fails after that, `goto err_unpreserve` skips the
	 * iommufd unwind (impl only: the machine has no allocation failures).
	 * v1 13/14 calls no PCI preserve and unwinds iommufd on that failure.
	 */
	bool pci_unwind;
};

/** @brief The rules of each version, indexed by lu::version. */
inline constexpr std::array<code_rules, 3> rules_table{{
	// v1
	{.mark_skips_target = true, .preserve_tests_mark = true, .device_flag = false, .device_on_rid = false,
	 .unpreserve_any_device = false, .pci_unwind = false},
	// v2: xa-mark (no skip), liveupdate_preserved set by the file preserve, counter without per-device state
	{.mark_skips_target = false, .preserve_tests_mark = false, .device_flag = false, .device_on_rid = false,
	 .unpreserve_any_device = true, .pci_unwind = true},
	// post-v2: per-device flag, the device itself on the RID
	{.mark_skips_target = false, .preserve_tests_mark = false, .device_flag = true, .device_on_rid = true,
	 .unpreserve_any_device = false, .pci_unwind = true},
}};

/**
 * @brief The rules of a version's code.
 * @param v the version
 * @return its row of rules_table.
 * @context Any context; constexpr.
 */
constexpr const code_rules &rules(version v)
{
	return rules_table[static_cast<std::size_t>(v)];
}

/**
 * @brief The code each version is read from, as docs/semantics.md's table
 * of versions gives it (tree\@commit), indexed by lu::version.
 */
inline constexpr std::array<std::string_view, 3> code_read{{
	"samikhawaja@6f017580 (liveupdate.c), v1 patches 12-13/14",
	"samikhawaja@027f82dc (device.c), @03855e7d (vfio_pci_liveupdate.c), anolis@01b951ef (liveupdate.c)",
	"pran005@20d150d0 (device.c), @14d17527 (device_cdev.c), anolis@e0c90453 (liveupdate.c)",
}};

/** @brief Where a rule of a version is read, for reports and docs. */
struct rule_source {
	std::string_view id;       /**< docs/semantics.md's rule id */
	std::string_view versions; /**< the versions with this reading */
	std::string_view where;    /**< file, function, tree\@commit */
};

/** @brief The sources of the rules above, a line per (rule, reading). */
inline constexpr std::array<rule_source, 11> rule_sources{{
	{"mark.dup-skips-target", "v1", "iommufd/liveupdate.c iommufd_hwpt_lu_set_preserve samikhawaja@6f017580"},
	{"mark.dup-any", "v2 post-v2", "iommufd/liveupdate.c mark (xa_for_each_marked) anolis@01b951ef, @e0c90453"},
	{"preserve.tests-mark", "v1", "iommufd/device.c iommufd_device_preserve v1 12/14 (lu_preserve)"},
	{"preserve.tests-preserved", "v2 post-v2", "iommufd/device.c iommufd_device_preserve samikhawaja@027f82dc, pran005@20d150d0"},
	{"preserve.device-flag", "post-v2", "iommufd/device.c iommufd_device_preserve/unpreserve pran005@20d150d0"},
	{"preserve.device-on-rid", "post-v2", "iommufd/device.c iommufd_device_preserve pran005@20d150d0"},
	{"unpreserve.any-device", "v2", "iommufd/device.c iommufd_device_unpreserve samikhawaja@027f82dc"},
	{"vfio.pci-unwind", "v2 post-v2",
	 "vfio/pci/vfio_pci_liveupdate.c vfio_pci_liveupdate_preserve (err_iommufd_unpreserve) samikhawaja@03855e7d; "
	 "pci/liveupdate.c pci_liveupdate_preserve (is_virtfn) linux-mm@257e1028"},
	{"vfio.gate", "v1 v2", "vfio/pci/vfio_pci_liveupdate.c preserve/unpreserve samikhawaja@03855e7d"},
	{"freeze.attach", "v2 post-v2", "iommufd/device.c iommufd_hw_pagetable_attach pran005@20d150d0; vfio/device_cdev.c pran005@14d17527"},
	{"attach.max-pasids", "all", "iommu/iommu.c iommu_attach_device_pasid linux-mm@7978156e (b3f6fcd8, v6.15)"},
}};

} // namespace lu
