// SPDX-License-Identifier: GPL-2.0
// iommufd objects and attach/replace/detach: see lu/impl/iommufd.h.
//
// Conventions in this file: @ictx the context, @idev a bound device, @igroup
// its group, @hwpt a hw pagetable, @attach the pasid_attach entry at @pasid.
// The paths follow drivers/iommu/iommufd/device.c (merged kernel plus the
// live-update series, DOMAIN section 3); the check order is
// docs/semantics.md's.
#include "lu/impl/iommufd.h"

#include <cerrno>

#include "lu/core/rules.h"
#include "lu/impl/alloc.h"
#include "lu/impl/image_abi.h"
#include "lu/impl/iommufd_lu.h"
#include "lu/impl/mutant.h"

namespace lu::impl {

namespace {

template <typename T>
int object_alloc(iommufd_ctx *ictx, iommufd_object_type type, T **out) noexcept
{
	T *obj = lu_new<T>();
	if (!obj)
		return -ENOMEM;
	obj->type = type;
	std::uint32_t id = 0;
	int rc = xa_alloc(&ictx->objects, &id, obj, xa_limit_31b, GFP_KERNEL_ACCOUNT);
	if (rc) {
		lu_delete(obj);
		return rc;
	}
	obj->id = id;
	*out = obj;
	return 0;
}

iommufd_attach *attach_at(iommufd_group *igroup, std::uint32_t pasid) noexcept
{
	return static_cast<iommufd_attach *>(xa_load(&igroup->pasid_attach, pasid));
}

// iommu_attach_device_pasid(): pasid < max_pasids of every device of the
// group that supports PASIDs (b3f6fcd8, v6.15: max_pasids == 0 is skipped;
// linux-mm iommu.c@7978156e). PASIDs are 20 bits (lu::PASID_LIMIT).
int iommu_check_group_pasid(iommufd_group *igroup, std::uint32_t pasid) noexcept
{
	if (pasid >= lu::PASID_LIMIT)
		return -EINVAL;
	unsigned long index;
	void *entry;
	xa_for_each(&igroup->devices, index, entry) {
		auto *dev = static_cast<iommufd_device *>(entry);
		if (!dev->max_pasids)
			continue;
		bool over = LU_MUTANT(max_pasids_off_by_one) ? pasid > dev->max_pasids : pasid >= dev->max_pasids;
		if (over)
			return -EINVAL;
	}
	return 0;
}

// iommufd_hwpt_pasid_compat() (device.c), DOMAIN section 3.
int iommufd_hwpt_pasid_compat(iommufd_hw_pagetable *hwpt, iommufd_group *igroup, std::uint32_t pasid) noexcept
{
	if (pasid == lu::IOMMU_NO_PASID) {
		if (!hwpt->pasid_compat && iommufd_group_has_pasid_attachments(igroup))
			return -EINVAL;
		return 0;
	}
	if (!hwpt->pasid_compat)
		return -EINVAL;
	iommufd_attach *rid = attach_at(igroup, lu::IOMMU_NO_PASID);
	if (rid && rid->hwpt && !rid->hwpt->pasid_compat)
		return -EINVAL;
	return 0;
}

// The freeze knob: v2's -EBUSY in iommufd_hw_pagetable_attach() and vfio's
// attach/detach ioctls while the group has a preserved device.
bool frozen(const iommufd_device *idev) noexcept
{
	return idev->ictx->variant.freeze == lu::freeze::busy && iommufd_device_is_preserved(idev) &&
	       !LU_MUTANT(skip_freeze);
}

void attach_free(iommufd_attach *attach) noexcept
{
	lu_delete(attach->handle);
	xa_destroy(&attach->device_array);
	lu_delete(attach);
}

} // namespace

void iommufd_ctx_init(iommufd_ctx *ictx, lu::variant v, std::uint32_t ino) noexcept
{
	xa_init_flags(&ictx->objects, XA_FLAGS_ALLOC1);
	xa_init(&ictx->groups);
	ictx->variant = v;
	ictx->file = {&iommufd_lu_file_ops, ictx, ino};
	ictx->lu = nullptr;
}

void iommufd_ctx_destroy(iommufd_ctx *ictx) noexcept
{
	unsigned long index, pasid;
	void *entry, *a;
	xa_for_each(&ictx->groups, index, entry) {
		auto *igroup = static_cast<iommufd_group *>(entry);
		xa_for_each(&igroup->pasid_attach, pasid, a) {
			auto *attach = static_cast<iommufd_attach *>(a);
			if (attach->hwpt)
				attach->hwpt->users = 0;
			attach_free(attach);
		}
		xa_destroy(&igroup->pasid_attach);
		xa_destroy(&igroup->devices);
		lu_delete(igroup);
	}
	xa_destroy(&ictx->groups);
	xa_for_each(&ictx->objects, index, entry) {
		auto *obj = static_cast<iommufd_object *>(entry);
		switch (obj->type) {
		case iommufd_object_type::IOMMUFD_OBJ_DEVICE: {
			auto *idev = static_cast<iommufd_device *>(obj);
			if (idev->lu_record) // left behind by a skipped unpreserve
				lu_kfree(idev->lu_record, idev->lu_record->alloc_size);
			lu_delete(idev);
			break;
		}
		case iommufd_object_type::IOMMUFD_OBJ_HWPT_PAGING:
			lu_delete(static_cast<iommufd_hwpt_paging *>(obj));
			break;
		case iommufd_object_type::IOMMUFD_OBJ_HWPT_NESTED:
			lu_delete(static_cast<iommufd_hwpt_nested *>(obj));
			break;
		case iommufd_object_type::IOMMUFD_OBJ_IOAS:
			lu_delete(static_cast<iommufd_ioas *>(obj));
			break;
		case iommufd_object_type::IOMMUFD_OBJ_NONE:
			break;
		}
	}
	xa_destroy(&ictx->objects);
}

int iommufd_ioas_alloc(iommufd_ctx *ictx, iommufd_ioas **out) noexcept
{
	return object_alloc(ictx, iommufd_object_type::IOMMUFD_OBJ_IOAS, out);
}

int iommufd_hwpt_paging_alloc(iommufd_ctx *ictx, iommufd_ioas *ioas, bool pasid_compat, bool sealed,
			      iommufd_hwpt_paging **out) noexcept
{
	iommufd_hwpt_paging *hwpt;
	int rc = object_alloc(ictx, iommufd_object_type::IOMMUFD_OBJ_HWPT_PAGING, &hwpt);
	if (rc)
		return rc;
	hwpt->pasid_compat = pasid_compat;
	hwpt->image_idx = LU_IMG_NONE;
	hwpt->ioas = ioas;
	hwpt->sealed = sealed;
	*out = hwpt;
	return 0;
}

int iommufd_hwpt_nested_alloc(iommufd_ctx *ictx, iommufd_hwpt_paging *parent, bool pasid_compat,
			      iommufd_hwpt_nested **out) noexcept
{
	iommufd_hwpt_nested *hwpt;
	int rc = object_alloc(ictx, iommufd_object_type::IOMMUFD_OBJ_HWPT_NESTED, &hwpt);
	if (rc)
		return rc;
	hwpt->pasid_compat = pasid_compat;
	hwpt->image_idx = LU_IMG_NONE;
	hwpt->parent = parent;
	*out = hwpt;
	return 0;
}

int iommufd_device_bind(iommufd_ctx *ictx, std::uint32_t devid, std::uint32_t group_id,
			std::uint32_t max_pasids, iommufd_device **out) noexcept
{
	if (max_pasids > lu::PASID_LIMIT)
		return -EINVAL;
	auto *igroup = static_cast<iommufd_group *>(xa_load(&ictx->groups, group_id));
	bool new_group = !igroup;
	if (new_group) {
		igroup = lu_new<iommufd_group>();
		if (!igroup)
			return -ENOMEM;
		igroup->group_id = group_id;
		xa_init(&igroup->pasid_attach);
		xa_init(&igroup->devices);
		int rc = xa_insert(&ictx->groups, group_id, igroup, GFP_KERNEL);
		if (rc) {
			lu_delete(igroup);
			return rc;
		}
	}
	iommufd_device *idev;
	int rc = object_alloc(ictx, iommufd_object_type::IOMMUFD_OBJ_DEVICE, &idev);
	if (rc)
		goto err_group;
	rc = xa_insert(&igroup->devices, idev->id, idev, GFP_KERNEL);
	if (rc)
		goto err_obj;
	idev->ictx = ictx;
	idev->igroup = igroup;
	idev->devid = devid;
	idev->max_pasids = max_pasids;
	*out = idev;
	return 0;

err_obj:
	xa_erase(&ictx->objects, idev->id);
	lu_delete(idev);
err_group:
	if (new_group) {
		xa_erase(&ictx->groups, group_id);
		lu_delete(igroup);
	}
	return rc;
}

iommufd_hw_pagetable *iommufd_get_hwpt(iommufd_ctx *ictx, std::uint32_t id) noexcept
{
	auto *obj = static_cast<iommufd_object *>(xa_load(&ictx->objects, id));
	if (!obj || (obj->type != iommufd_object_type::IOMMUFD_OBJ_HWPT_PAGING &&
		     obj->type != iommufd_object_type::IOMMUFD_OBJ_HWPT_NESTED))
		return nullptr;
	return static_cast<iommufd_hw_pagetable *>(obj);
}

iommufd_hwpt_paging *find_hwpt_paging(iommufd_hw_pagetable *hwpt) noexcept
{
	if (!hwpt)
		return nullptr;
	switch (hwpt->type) {
	case iommufd_object_type::IOMMUFD_OBJ_HWPT_PAGING:
		return static_cast<iommufd_hwpt_paging *>(hwpt);
	case iommufd_object_type::IOMMUFD_OBJ_HWPT_NESTED:
		return static_cast<iommufd_hwpt_nested *>(hwpt)->parent;
	default:
		return nullptr;
	}
}

int iommufd_hwpt_mark_preserve(iommufd_ctx *ictx, std::uint32_t hwpt_id, std::uint64_t token) noexcept
{
	auto *obj = static_cast<iommufd_object *>(xa_load(&ictx->objects, hwpt_id));
	if (!obj || obj->type != iommufd_object_type::IOMMUFD_OBJ_HWPT_PAGING)
		return -ENOENT;
	auto *hwpt = static_cast<iommufd_hwpt_paging *>(obj);
	unsigned long index;
	void *entry;
	// v1 skips the target in its duplicate scan; the xa-mark code (v2 on)
	// does not, so re-marking with its own token is -EADDRINUSE there.
	const bool skip_target = lu::rules(ictx->variant.version).mark_skips_target;
	xa_for_each(&ictx->objects, index, entry) {
		auto *o = static_cast<iommufd_object *>(entry);
		if ((skip_target && o == obj && !LU_MUTANT(mark_scans_target)) ||
		    o->type != iommufd_object_type::IOMMUFD_OBJ_HWPT_PAGING)
			continue;
		auto *other = static_cast<iommufd_hwpt_paging *>(o);
		if (other->liveupdate_preserved && other->liveupdate_token == token &&
		    !LU_MUTANT(duplicate_token_accepted))
			return -EADDRINUSE;
	}
	hwpt->liveupdate_preserved = true;
	hwpt->liveupdate_token = token;
	return 0;
}

bool iommufd_device_is_preserved(const iommufd_device *idev) noexcept
{
	return idev && idev->igroup && idev->igroup->nr_liveupdate_preserved;
}

bool iommufd_group_has_pasid_attachments(iommufd_group *igroup) noexcept
{
	unsigned long start = lu::IOMMU_NO_PASID;
	return xa_find_after(&igroup->pasid_attach, &start, UINT_MAX, XA_PRESENT) != nullptr;
}

bool iommufd_device_attached(const iommufd_device *idev, std::uint32_t pasid) noexcept
{
	iommufd_attach *attach = attach_at(idev->igroup, pasid);
	return attach && xa_load(&attach->device_array, idev->id);
}

int iommufd_device_attach(iommufd_device *idev, std::uint32_t pasid, std::uint32_t hwpt_id) noexcept
{
	iommufd_hw_pagetable *hwpt = iommufd_get_hwpt(idev->ictx, hwpt_id);
	if (!hwpt)
		return -ENOENT;
	iommufd_group *igroup = idev->igroup;
	if (frozen(idev))
		return -EBUSY;

	// Reserve the PASID slot so nobody else sets it up meanwhile.
	void *curr = xa_cmpxchg(&igroup->pasid_attach, pasid, nullptr, XA_ZERO_ENTRY, GFP_KERNEL);
	if (xa_is_err(curr))
		return xa_err(curr);
	auto *attach = static_cast<iommufd_attach *>(curr);
	const bool first = !attach;
	iommufd_attach_handle *handle = nullptr;
	void *old;
	int rc;
	if (first) {
		attach = lu_new<iommufd_attach>();
		if (!attach) {
			rc = -ENOMEM;
			goto err_release_pasid;
		}
		xa_init(&attach->device_array);
	}

	rc = xa_insert(&attach->device_array, idev->id, XA_ZERO_ENTRY, GFP_KERNEL);
	if (rc) {
		if (rc == -EBUSY && LU_MUTANT(second_attach_wrong_errno))
			rc = -EINVAL;
		goto err_free_attach;
	}
	if (attach->hwpt && attach->hwpt != hwpt) {
		rc = -EINVAL;
		goto err_release_devid;
	}

	if (first) {
		// iommufd_hwpt_attach_device(): compat checks, then the iommu core.
		rc = iommufd_hwpt_pasid_compat(hwpt, igroup, pasid);
		if (rc)
			goto err_release_devid;
		if (pasid != lu::IOMMU_NO_PASID) {
			rc = iommu_check_group_pasid(igroup, pasid);
			if (rc)
				goto err_release_devid;
		}
		handle = lu_new<iommufd_attach_handle>();
		if (!handle) {
			rc = -ENOMEM;
			goto err_release_devid;
		}
		handle->hwpt = hwpt;
		attach->hwpt = hwpt;
		attach->handle = handle;
		// Replaces the reserved entry in place: no allocation, cannot fail.
		old = xa_store(&igroup->pasid_attach, pasid, attach, GFP_KERNEL);
		XA_BUG_ON(&igroup->pasid_attach, xa_is_err(old));
	}
	hwpt->users++;
	old = xa_store(&attach->device_array, idev->id, idev, GFP_KERNEL);
	XA_BUG_ON(&attach->device_array, xa_is_err(old));
	return 0;

err_release_devid:
	xa_release(&attach->device_array, idev->id);
err_free_attach:
	if (first) {
		xa_destroy(&attach->device_array);
		lu_delete(attach);
	}
err_release_pasid:
	if (first)
		xa_release(&igroup->pasid_attach, pasid);
	return rc;
}

int iommufd_device_replace(iommufd_device *idev, std::uint32_t pasid, std::uint32_t hwpt_id) noexcept
{
	iommufd_hw_pagetable *hwpt = iommufd_get_hwpt(idev->ictx, hwpt_id);
	if (!hwpt)
		return -ENOENT;
	iommufd_group *igroup = idev->igroup;
	if (frozen(idev))
		return -EBUSY;
	iommufd_attach *attach = attach_at(igroup, pasid);
	if (!attach || !xa_load(&attach->device_array, idev->id))
		return -EINVAL;
	if (attach->hwpt == hwpt)
		return 0;
	int rc = iommufd_hwpt_pasid_compat(hwpt, igroup, pasid);
	if (rc)
		return rc;
	// iommu_replace_group_handle(): a new handle, then the switch.
	auto *handle = lu_new<iommufd_attach_handle>();
	if (!handle)
		return -ENOMEM;
	handle->hwpt = hwpt;
	unsigned long index;
	void *entry;
	std::uint32_t n = 0;
	xa_for_each(&attach->device_array, index, entry)
		n++;
	attach->hwpt->users -= n;
	hwpt->users += n;
	lu_delete(attach->handle);
	attach->handle = handle;
	attach->hwpt = hwpt;
	return 0;
}

int iommufd_device_detach(iommufd_device *idev, std::uint32_t pasid) noexcept
{
	iommufd_group *igroup = idev->igroup;
	if (frozen(idev))
		return -EBUSY;
	iommufd_attach *attach = attach_at(igroup, pasid);
	if (!attach || !xa_load(&attach->device_array, idev->id))
		return 0;
	xa_erase(&attach->device_array, idev->id);
	attach->hwpt->users--;
	if (xa_empty(&attach->device_array)) {
		xa_erase(&igroup->pasid_attach, pasid);
		attach_free(attach);
	}
	return 0;
}

} // namespace lu::impl
