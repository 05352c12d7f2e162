/* SPDX-License-Identifier: GPL-2.0 */
/**
 * @file iommufd.h
 * @brief iommufd objects and the attach/replace/detach paths (DOMAIN section 3).
 *
 * Mirrors drivers/iommu/iommufd/iommufd_private.h and device.c: a context
 * (struct iommufd_ctx) with an object table (ictx->objects, ids from
 * xa_alloc, as XA_FLAGS_ALLOC1 gives: the first id is 1), an IOAS as far as
 * attach needs, hwpts paging and nested, devices bound to the context, and
 * one struct iommufd_group per iommu group holding pasid_attach: an xarray
 * of struct iommufd_attach {hwpt, device_array} indexed by PASID, where index
 * IOMMU_NO_PASID (0) is the RID. The live-update fields of the series
 * (liveupdate_preserved, liveupdate_token, nr_liveupdate_preserved) are here;
 * the preserve paths are in iommufd_lu.h.
 *
 * Every function returns 0 or a negative errno and changes nothing when it
 * fails. The checks and their order are docs/semantics.md's, which follows
 * device.c: iommufd_hw_pagetable_attach(), iommufd_hwpt_pasid_compat(),
 * iommu_attach_device_pasid(), iommufd_device_replace/detach().
 *
 * Locking: the kernel holds igroup->lock around each path; this model is
 * single-threaded, so there are no locks, and "Context:" says where an
 * operation may allocate (every allocation is lu_kzalloc, fail_nth reaches it).
 */
#pragma once

#include <cstdint>

#include "lu/core/trace.h"
#include "lu/core/variant.h"
#include "lu/impl/luo.h"
#include "lu/impl/xarray.h"

namespace lu::impl {

/** @brief Object types of ictx->objects (enum iommufd_object_type). */
enum class iommufd_object_type : std::uint8_t {
	IOMMUFD_OBJ_NONE,
	IOMMUFD_OBJ_DEVICE,
	IOMMUFD_OBJ_HWPT_PAGING,
	IOMMUFD_OBJ_HWPT_NESTED,
	IOMMUFD_OBJ_IOAS,
};

/** @brief Header of every object (struct iommufd_object). */
struct iommufd_object {
	iommufd_object_type type; /**< what the object is */
	std::uint32_t id;         /**< its index in ictx->objects */
};

struct iommufd_ctx;
struct iommufd_lu;
struct iommufd_lu_record;

/** @brief An IOAS, as far as attach and preserve need one. */
struct iommufd_ioas : iommufd_object {
	bool lu_map_immutable; /**< map/unmap would return -EBUSY (iommufd file preserved) */
};

/** @brief Common part of the hwpts (struct iommufd_hw_pagetable). */
struct iommufd_hw_pagetable : iommufd_object {
	bool pasid_compat;       /**< allocated with IOMMU_HWPT_ALLOC_PASID */
	std::uint32_t users;     /**< attachments holding it (obj.users) */
	std::uint32_t image_idx; /**< scratch of the serializer; LU_IMG_NONE otherwise */
};

/** @brief A paging hwpt (struct iommufd_hwpt_paging) with the series' fields. */
struct iommufd_hwpt_paging : iommufd_hw_pagetable {
	iommufd_ioas *ioas;              /**< its IOAS */
	bool sealed;                     /**< every mapping file-backed with F_SEAL_SEAL|GROW|SHRINK */
	bool liveupdate_preserved;       /**< marked by IOMMU_HWPT_LIVEUPDATE_MARK_PRESERVE */
	std::uint64_t liveupdate_token;  /**< its token (u64 since v2) */
	bool domain_preserved;           /**< domain->preserved_state: the iommufd file preserved it */
};

/** @brief A nested hwpt (struct iommufd_hwpt_nested): stage 1 on a paging parent. */
struct iommufd_hwpt_nested : iommufd_hw_pagetable {
	iommufd_hwpt_paging *parent; /**< its stage-2 parent */
};

/** @brief The iommu core's attach handle, one per attached (group, PASID). */
struct iommufd_attach_handle {
	iommufd_hw_pagetable *hwpt; /**< the domain the group translates through */
};

/** @brief igroup->pasid_attach[pasid] (struct iommufd_attach). */
struct iommufd_attach {
	iommufd_hw_pagetable *hwpt;     /**< NULL while the slot is being set up */
	xarray device_array;            /**< idev->obj.id -> idev */
	iommufd_attach_handle *handle;  /**< from the iommu core */
};

/** @brief One per (ictx, iommu group) (struct iommufd_group). */
struct iommufd_group {
	std::uint32_t group_id;             /**< the iommu group's id */
	xarray pasid_attach;                /**< PASID -> struct iommufd_attach */
	xarray devices;                     /**< the iommu_group's devices: obj id -> idev */
	int nr_liveupdate_preserved;        /**< devices of the group preserved (v2) */
};

/** @brief A device bound to the iommufd (struct iommufd_device). */
struct iommufd_device : iommufd_object {
	iommufd_ctx *ictx;          /**< its context */
	iommufd_group *igroup;      /**< its group */
	std::uint32_t devid;        /**< PCI BDF (the abstract machine's device index) */
	std::uint32_t max_pasids;   /**< dev->iommu->max_pasids; 0 = no PASID support */
	/**
	 * What iommufd_device_preserve() recorded, until iommufd_device_unpreserve()
	 * undoes it: post-v2's idev->liveupdate_preserved, and in every version
	 * the iommu core's device_ser the new kernel restores from.
	 */
	iommufd_lu_record *lu_record;
};

/** @brief An iommufd file (struct iommufd_ctx). */
struct iommufd_ctx {
	xarray objects;       /**< id -> iommufd_object, XA_FLAGS_ALLOC1 */
	xarray groups;        /**< iommu group id -> iommufd_group */
	lu::variant variant;  /**< the kernel variant this "kernel" runs */
	lu_file file;         /**< the file userspace preserves */
	iommufd_lu *lu;       /**< what the iommufd file preserve saved, or nullptr */
};

/**
 * @brief Set up an empty context for kernel variant @p v.
 * @param ictx the context to set up.
 * @param v the kernel variant it runs.
 * @param ino the file's unique number (luo_global's index).
 * @context Any context; does not allocate.
 */
void iommufd_ctx_init(iommufd_ctx *ictx, lu::variant v, std::uint32_t ino) noexcept;

/**
 * @brief Tear down a context: detach everything, free every object.
 * @context The iommufd must not be preserved any more.
 */
void iommufd_ctx_destroy(iommufd_ctx *ictx) noexcept;

/**
 * @brief Allocate an IOAS.
 * @context Allocates.
 * @return 0 and *@p out; -ENOMEM.
 */
[[nodiscard]] int iommufd_ioas_alloc(iommufd_ctx *ictx, iommufd_ioas **out) noexcept;

/**
 * @brief Allocate a paging hwpt on @p ioas (IOMMU_HWPT_ALLOC).
 * @param ictx the iommufd context.
 * @param ioas the IOAS it maps.
 * @param out set to the new hwpt on success.
 * @param pasid_compat IOMMU_HWPT_ALLOC_PASID was passed.
 * @param sealed all its mappings are file-backed and sealed.
 * @context Allocates.
 * @return 0 and *@p out; -ENOMEM.
 */
[[nodiscard]] int iommufd_hwpt_paging_alloc(iommufd_ctx *ictx, iommufd_ioas *ioas, bool pasid_compat,
					    bool sealed, iommufd_hwpt_paging **out) noexcept;

/**
 * @brief Allocate a nested hwpt on the paging @p parent.
 * @context Allocates.
 * @return 0 and *@p out; -ENOMEM.
 */
[[nodiscard]] int iommufd_hwpt_nested_alloc(iommufd_ctx *ictx, iommufd_hwpt_paging *parent, bool pasid_compat,
					    iommufd_hwpt_nested **out) noexcept;

/**
 * @brief Bind a device (iommufd_device_bind()): finds or creates its group.
 * @param ictx the iommufd context.
 * @param devid the device's id.
 * @param group_id its iommu group.
 * @param out set to the new device on success.
 * @param max_pasids at most 2^20.
 * @context Allocates.
 * @return 0 and *@p out; -EINVAL if @p max_pasids > 2^20; -ENOMEM.
 */
[[nodiscard]] int iommufd_device_bind(iommufd_ctx *ictx, std::uint32_t devid, std::uint32_t group_id,
				      std::uint32_t max_pasids, iommufd_device **out) noexcept;

/**
 * @brief The hwpt with object id @p id, or nullptr (iommufd_get_object() for either hwpt type).
 * @return the hwpt, or nullptr if @p id names none.
 * @context Any context; does not allocate.
 */
[[nodiscard]] iommufd_hw_pagetable *iommufd_get_hwpt(iommufd_ctx *ictx, std::uint32_t id) noexcept;

/**
 * @brief find_hwpt_paging(): paging -> itself, nested -> its parent.
 * @return the paging hwpt, or nullptr for nullptr.
 * @context Any context.
 */
[[nodiscard]] iommufd_hwpt_paging *find_hwpt_paging(iommufd_hw_pagetable *hwpt) noexcept;

/**
 * @brief IOMMU_HWPT_LIVEUPDATE_MARK_PRESERVE: mark a paging hwpt for
 * preservation under @p token (re-marking changes the token; no unmark).
 * @context Walks ictx->objects; does not allocate.
 * @return 0;
 * -ENOENT @p hwpt_id is not a paging hwpt (nested included: the lookup is
 *  typed IOMMUFD_OBJ_HWPT_PAGING);
 * -EADDRINUSE another marked hwpt of the context has @p token.
 */
[[nodiscard]] int iommufd_hwpt_mark_preserve(iommufd_ctx *ictx, std::uint32_t hwpt_id,
					     std::uint64_t token) noexcept;

/**
 * @brief iommufd_device_is_preserved(): a device of @p idev's group is preserved
 * (igroup->nr_liveupdate_preserved != 0).
 * @return true if the group counts a preserved device.
 * @context Any context (the kernel reads it under igroup->lock).
 */
[[nodiscard]] bool iommufd_device_is_preserved(const iommufd_device *idev) noexcept;

/**
 * @brief _iommufd_device_has_pasid_attachments(): any PASID other than the
 * RID is attached in the group (xa_find_after() from IOMMU_NO_PASID).
 * @return true if some PASID > 0 is attached.
 * @context Any context (the kernel holds igroup->lock).
 */
[[nodiscard]] bool iommufd_group_has_pasid_attachments(iommufd_group *igroup) noexcept;

/**
 * @brief @p idev is in device_array of pasid_attach[@p pasid].
 * @return true if attached there.
 * @context Any context.
 */
[[nodiscard]] bool iommufd_device_attached(const iommufd_device *idev, std::uint32_t pasid) noexcept;

/**
 * @brief iommufd_device_attach(idev, pasid, pt_id) via iommufd_hw_pagetable_attach().
 * @param idev the device.
 * @param hwpt_id the object id of the hwpt to attach.
 * @param pasid IOMMU_NO_PASID (0) for the RID.
 * @context Allocates (pasid_attach slot, struct iommufd_attach, device_array
 * slot, attach handle); a failure releases all of them.
 * @return 0;
 * -ENOENT @p hwpt_id is not a hwpt;
 * -EBUSY freeze = busy and a device of the group is preserved;
 * -EBUSY @p idev is already attached at @p pasid (even to the same hwpt);
 * -EINVAL the group is attached at @p pasid to another hwpt;
 * -EINVAL first attach at @p pasid: RID with a hwpt that is not pasid_compat
 *  while PASIDs are attached; PASID with a hwpt that is not pasid_compat, or
 *  while the RID's hwpt is not pasid_compat; PASID at or above max_pasids of
 *  a device of the group;
 * -ENOMEM allocation failure.
 */
[[nodiscard]] int iommufd_device_attach(iommufd_device *idev, std::uint32_t pasid,
					std::uint32_t hwpt_id) noexcept;

/**
 * @brief iommufd_device_replace(): move the group's attachment at @p pasid to another hwpt.
 * @context Allocates the new attach handle.
 * @return 0 (also when it is the same hwpt: nothing changes);
 * -ENOENT @p hwpt_id is not a hwpt;
 * -EBUSY freeze = busy and a device of the group is preserved;
 * -EINVAL @p idev is not attached at @p pasid;
 * -EINVAL pasid_compat rules as for attach;
 * -ENOMEM allocation failure.
 */
[[nodiscard]] int iommufd_device_replace(iommufd_device *idev, std::uint32_t pasid,
					 std::uint32_t hwpt_id) noexcept;

/**
 * @brief iommufd_device_detach() behind VFIO_DEVICE_DETACH_IOMMUFD_PT.
 * @context Frees; never allocates.
 * @return 0 (also when @p idev is not attached: the kernel's detach is void);
 * -EBUSY freeze = busy and a device of the group is preserved.
 */
[[nodiscard]] int iommufd_device_detach(iommufd_device *idev, std::uint32_t pasid) noexcept;

} // namespace lu::impl
