/* SPDX-License-Identifier: GPL-2.0 */
/**
 * @file iommufd_lu.h
 * @brief Live update of iommufd and vfio cdevs: preserve, unpreserve, serialize.
 *
 * Three pieces of the series (DOMAIN section 1.5), each a LUO file handler or
 * called from one:
 *  - the iommufd file (iommufd_lu_file_ops, "iommufd-v1"): preserves the
 *    domains of the marked hwpts, if all are file-backed and sealed;
 *  - the vfio cdev (vfio_lu_file_ops, "vfio-pci-v1"): checks the request's
 *    flags, then calls iommufd_device_preserve() as the vfio_gate knob says;
 *  - iommufd_device_preserve(): the PASID policy, the RID lookup, and the
 *    record of what the new kernel gets, taken now (at preserve time).
 * iommufd_lu_serialize() turns the session into the hand-over image.
 */
#pragma once

#include <cstddef>
#include <cstdint>

#include "lu/impl/image.h"
#include "lu/impl/iommufd.h"
#include "lu/impl/luo.h"

namespace lu::impl {

/** @brief One PASID attachment of a record. */
struct iommufd_lu_pasid {
	std::uint32_t pasid;        /**< 1 .. 2^20-1 */
	iommufd_hw_pagetable *hwpt; /**< what it translates through */
};

/**
 * @brief What iommufd_device_preserve() recorded for a device: what the new
 * kernel will restore. Allocated as one block with its PASID array.
 */
struct iommufd_lu_record {
	iommufd_hw_pagetable *rid_hwpt; /**< RID: attach[g][0] under full, else its paging parent */
	std::uint64_t iommufd_token;    /**< liveupdate_get_token_outgoing() of the iommufd */
	std::uint32_t flags;            /**< the request's flags */
	std::uint32_t nr_pasids;        /**< entries in @c pasids (full without IGNORE_PASID only) */
	bool pasid_nested;              /**< some entry of @c pasids is a nested hwpt */
	iommufd_lu_pasid *pasids;       /**< ascending PASID order */
	std::size_t alloc_size;         /**< bytes of the block */
};

/** @brief What the iommufd file preserve saved (the series' struct iommufd_lu). */
struct iommufd_lu {
	std::uint32_t nr_hwpts;        /**< marked hwpts whose domains are preserved */
	iommufd_hwpt_paging **hwpts;   /**< in object-id order */
	std::size_t alloc_size;        /**< bytes of the block */
};

/** @brief A vfio cdev bound to an iommufd (the parts of vfio_device that matter). */
struct vfio_device {
	lu_file file;          /**< the cdev file userspace preserves */
	iommufd_device *idev;  /**< its iommufd binding */
	bool is_virtfn;        /**< pdev->is_virtfn: pci_liveupdate_preserve() refuses it */
};

/**
 * @brief vfio_pci_core_device_ser: the cdev's preserved data. What iommufd
 * recorded lives with the device (iommufd_device::lu_record): an unpreserve
 * that vfio's guard or iommufd's lookups skip leaves it behind.
 */
struct vfio_pci_core_device_ser {
	std::uint32_t devid;       /**< BDF */
	std::uint32_t flags;       /**< the request's flags */
};

/**
 * @brief The iommufd file's LUO handler.
 *
 * .preserve(): -EINVAL if a marked hwpt is not file-backed and sealed
 * (iommufd_save_hwpts() pass 1), -ENOMEM, else 0 with every marked hwpt's
 * domain preserved and its IOAS made immutable. .unpreserve() undoes it.
 * No .freeze() (v1: no-op).
 */
extern const liveupdate_file_ops iommufd_lu_file_ops;

/**
 * @brief The vfio cdev's LUO handler.
 *
 * .preserve(), in order: flag bits outside known_preserve_flags(policy)
 * -EINVAL; vfio_gate = rid-only and the device's RID not attached: preserved
 * with no record (0); else iommufd_device_preserve()'s result; then, where
 * the version calls it (lu::code_rules::pci_unwind), pci_liveupdate_preserve():
 * -EINVAL for a VF, after iommufd_device_unpreserve() unguarded; -ENOMEM for
 * the vfio ser, which unpreserves iommufd again in v1 and leaves it
 * preserved from v2 on (`goto err_unpreserve`).
 */
extern const liveupdate_file_ops vfio_lu_file_ops;

/** @brief Set up a cdev for @p idev, a VF if @p is_virtfn. @context Does not allocate. */
void vfio_device_init(vfio_device *vdev, iommufd_device *idev, std::uint32_t ino, bool is_virtfn) noexcept;

/**
 * @brief iommufd_device_preserve(): record what the new kernel gets for @p idev.
 * @param idev the device to preserve.
 * @param s the session (the iommufd must be preserved in it).
 * @param flags the request's flags (already checked by vfio).
 * @context Allocates the record (one block) into idev->lu_record.
 *
 * Checks in docs/semantics.md's order (preserve_device steps 5-10), as the
 * context's version has them (lu::rules()):
 * @return 0, and the group's nr_liveupdate_preserved is raised;
 * -EBUSY post-v2: the device is preserved already (idev->lu_record);
 * -EOPNOTSUPP the group has PASID attachments and the policy is reject, or
 *  ack-flag without IOMMU_LU_FLAG_IGNORE_PASID;
 * -ENOENT the group's RID is not attached (post-v2: this device is not);
 * -EINVAL v1: the RID hwpt's paging domain is not marked; later: not preserved;
 * -ENOENT the iommufd is not preserved in @p s;
 * -EINVAL v1: the RID's domain is not preserved (marked after the iommufd preserve);
 * -EINVAL full without IGNORE_PASID: a PASID of the device translates through
 *  a domain that is not marked or not preserved;
 * -ENOMEM allocation failure.
 */
[[nodiscard]] int iommufd_device_preserve(luo_session *s, iommufd_device *idev, std::uint32_t flags) noexcept;

/**
 * @brief iommufd_device_unpreserve(): undo iommufd_device_preserve().
 *
 * Does nothing unless the RID attach and its domain are found (the kernel
 * WARNs), and, except in v2, unless @p idev has a record. v2 lowers the
 * group counter for any device it is called for.
 * @context Frees; cannot fail.
 */
void iommufd_device_unpreserve(iommufd_device *idev) noexcept;

/**
 * @brief The record the device of a preserved cdev file has (nullptr: none).
 * @param lf a vfio cdev's luo_file.
 * @return idev->lu_record.
 * @context Any context.
 */
[[nodiscard]] const iommufd_lu_record *vfio_file_record(const luo_file *lf) noexcept;

/**
 * @brief The record of a preserved cdev (nullptr if none or not preserved).
 * @return the record, or nullptr.
 * @context Any context.
 */
[[nodiscard]] const iommufd_lu_record *vfio_device_record(const luo_session *s, const vfio_device *vdev) noexcept;

/**
 * @brief Serialize session @p s of context @p ictx into the hand-over image.
 *
 * Writes one iommu record (when a device has a record), the hwpts the
 * iommufd preserved plus the nested hwpts that records use, every preserved
 * cdev in session order with its RID hwpt, and under the `full` policy the
 * PASID table (feature LU_IMG_F_PASID_TABLE).
 * @context Allocates the image buffer once; per-hwpt scratch is reset on return.
 * @return 0 and *@p out; -ENOMEM; -EOVERFLOW above the image limits;
 * -EFAULT internal count mismatch.
 */
[[nodiscard]] int iommufd_lu_serialize(const luo_session *s, iommufd_ctx *ictx, lu_image *out) noexcept;

} // namespace lu::impl
