/* SPDX-License-Identifier: GPL-2.0 */
/**
 * @file restore.h
 * @brief The new kernel: state rebuilt from a hand-over image alone.
 *
 * After the kexec the new kernel knows nothing but the image. lu_restore()
 * rebuilds from a parsed image (lu_img_parse()) the preserved hwpts (nested
 * ones linked to their paging parent, as the new kernel must rebuild the S2
 * domain first) and the preserved devices with their RID and PASID
 * attachments, each device's PASIDs in an xarray built in ascending order.
 * lu_new_kernel_dma() answers the observation dma(dev, pasid).
 *
 * A device is found by its PCI segment and BDF together (lu_pci_key()), as
 * the kernel names a PCI function domain:bus:dev.fn: the same BDF on two
 * segments is two devices, each with its own attachments.
 */
#pragma once

#include <cstdint>

#include "lu/core/variant.h"
#include "lu/impl/image.h"
#include "lu/impl/xarray.h"

namespace lu::impl {

/** @brief A restored hwpt (domain). */
struct lu_restored_hwpt {
	std::uint32_t hwpt_id;          /**< the old kernel's object id */
	std::uint32_t flags;            /**< LU_IMG_HWPT_* */
	std::uint64_t token;            /**< paging: its mark token */
	const lu_restored_hwpt *parent; /**< nested: its paging parent; nullptr if unlinked */
};

/**
 * @brief The key of a PCI function in new_kernel::by_pci: segment in the high
 * 32 bits, BDF in the low 32 (both are u32 in the image, so no two functions
 * share a key).
 * @return the key.
 * @context Any context; constexpr.
 */
constexpr unsigned long lu_pci_key(std::uint32_t pci_domain, std::uint32_t devid) noexcept
{
	static_assert(sizeof(unsigned long) >= 8, "the key needs a 64-bit xarray index");
	return (static_cast<unsigned long>(pci_domain) << 32) | devid;
}

/** @brief A restored device. */
struct lu_restored_device {
	std::uint32_t pci_domain;      /**< PCI segment */
	std::uint32_t devid;           /**< BDF */
	std::uint32_t group_id;        /**< iommu group */
	std::uint32_t max_pasids;      /**< as preserved */
	std::uint32_t flags;           /**< LU_IMG_DEV_* */
	std::uint64_t token;           /**< the cdev's LUO token */
	std::uint64_t iommufd_token;   /**< the iommufd's LUO token */
	const lu_restored_hwpt *rid;   /**< RID attachment, or nullptr */
	std::uint32_t nr_pasids;       /**< entries in @c pasids */
	xarray pasids;                 /**< PASID -> const lu_restored_hwpt * */
};

/** @brief The new kernel's state. */
struct new_kernel {
	lu::variant variant{};            /**< the old kernel's, from the header */
	std::uint32_t features = 0;       /**< LU_IMG_F_* */
	std::uint32_t nr_hwpts = 0;       /**< entries in @c hwpts */
	lu_restored_hwpt *hwpts = nullptr; /**< in image order */
	std::uint32_t nr_devices = 0;     /**< entries in @c devices */
	lu_restored_device *devices = nullptr; /**< in image order */
	xarray by_pci;                    /**< lu_pci_key(segment, BDF) -> lu_restored_device */
};

/** @brief Set up an empty new kernel. @context Does not allocate. */
void new_kernel_init(new_kernel *nk) noexcept;

/**
 * @brief Free everything restored; @p nk is empty again.
 * @context Frees.
 */
void new_kernel_destroy(new_kernel *nk) noexcept;

/**
 * @brief Rebuild the new kernel's state from a parsed image.
 * @param nk empty (new_kernel_init()).
 * @param v a view that lu_img_parse() accepted.
 * @context Allocates: two arrays and the xarrays' nodes. On failure
 * everything allocated is freed and @p nk is empty.
 * @return 0; -ENOMEM; -EEXIST if two devices have the same segment and BDF
 * (lu_img_parse() refuses such an image, so only a view it did not check).
 */
[[nodiscard]] int lu_restore(new_kernel *nk, const lu_img_view &v) noexcept;

/**
 * @brief The restored device at @p pci_domain : @p devid.
 * @return the device, or nullptr if no device of that segment and BDF was preserved.
 * @context Any context; does not allocate.
 */
[[nodiscard]] lu_restored_device *lu_new_kernel_device(new_kernel *nk, std::uint32_t pci_domain,
						       std::uint32_t devid) noexcept;

/**
 * @brief What a DMA from the device @p pci_domain : @p devid tagged @p pasid
 * translates through.
 * @return the hwpt, or nullptr if it faults (no such device or attachment, or
 * a nested hwpt without its parent).
 * @context Any context; does not allocate.
 */
[[nodiscard]] const lu_restored_hwpt *lu_new_kernel_translation(new_kernel *nk, std::uint32_t pci_domain,
								 std::uint32_t devid, std::uint32_t pasid) noexcept;

/**
 * @brief The observation dma(dev, pasid) after the update, for the device
 * @p pci_domain : @p devid (the abstract machine's devices are on segment 0).
 * @return 0 if it translates; -EFAULT if it faults.
 * @context Any context; does not allocate.
 */
[[nodiscard]] int lu_new_kernel_dma(new_kernel *nk, std::uint32_t pci_domain, std::uint32_t devid,
				    std::uint32_t pasid) noexcept;

} // namespace lu::impl
