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

/** @brief A restored device. */
struct lu_restored_device {
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
	xarray by_devid;                  /**< BDF -> lu_restored_device */
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
 * @return 0; -ENOMEM.
 */
[[nodiscard]] int lu_restore(new_kernel *nk, const lu_img_view &v) noexcept;

/**
 * @brief What a DMA from @p devid tagged @p pasid translates through.
 * @return the hwpt, or nullptr if it faults (no such device or attachment, or
 * a nested hwpt without its parent).
 * @context Any context; does not allocate.
 */
[[nodiscard]] const lu_restored_hwpt *lu_new_kernel_translation(new_kernel *nk, std::uint32_t devid,
								 std::uint32_t pasid) noexcept;

/**
 * @brief The observation dma(dev, pasid) after the update.
 * @return 0 if it translates; -EFAULT if it faults.
 * @context Any context; does not allocate.
 */
[[nodiscard]] int lu_new_kernel_dma(new_kernel *nk, std::uint32_t devid, std::uint32_t pasid) noexcept;

} // namespace lu::impl
