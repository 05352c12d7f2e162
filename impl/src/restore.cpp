// SPDX-License-Identifier: GPL-2.0
// The new kernel rebuilt from the image: see lu/impl/restore.h.
#include "lu/impl/restore.h"

#include <cerrno>

#include "lu/core/trace.h"

#include "lu/impl/alloc.h"
#include "lu/impl/mutant.h"

namespace lu::impl {

void new_kernel_init(new_kernel *nk) noexcept
{
	*nk = {};
	xa_init(&nk->by_devid);
}

void new_kernel_destroy(new_kernel *nk) noexcept
{
	for (std::uint32_t i = 0; i < nk->nr_devices; i++)
		xa_destroy(&nk->devices[i].pasids);
	lu_kfree(nk->devices, std::size_t(nk->nr_devices) * sizeof(lu_restored_device));
	lu_kfree(nk->hwpts, std::size_t(nk->nr_hwpts) * sizeof(lu_restored_hwpt));
	xa_destroy(&nk->by_devid);
	new_kernel_init(nk);
}

int lu_restore(new_kernel *nk, const lu_img_view &v) noexcept
{
	const lu_img_header *hdr = v.hdr;
	nk->variant = {static_cast<lu::policy>(hdr->policy), static_cast<lu::freeze>(hdr->freeze),
		       static_cast<lu::vfio_gate>(hdr->vfio_gate)};
	nk->features = hdr->features;
	if (hdr->nr_hwpts) {
		nk->hwpts = static_cast<lu_restored_hwpt *>(lu_kzalloc(hdr->nr_hwpts * sizeof(lu_restored_hwpt)));
		if (!nk->hwpts)
			goto err;
		nk->nr_hwpts = hdr->nr_hwpts;
	}
	for (std::uint32_t i = 0; i < hdr->nr_hwpts; i++) {
		const lu_img_hwpt &r = v.hwpts[i];
		lu_restored_hwpt &h = nk->hwpts[i];
		h.hwpt_id = r.hwpt_id;
		h.flags = r.flags;
		h.token = r.token;
		// The S2 parent first: a nested domain without it translates nothing.
		if ((r.flags & LU_IMG_HWPT_NESTED) && !LU_MUTANT(restore_ignores_nested_parent))
			h.parent = &nk->hwpts[r.parent_idx];
	}
	if (hdr->nr_devices) {
		nk->devices = static_cast<lu_restored_device *>(
			lu_kzalloc(std::size_t(hdr->nr_devices) * sizeof(lu_restored_device)));
		if (!nk->devices)
			goto err;
		nk->nr_devices = hdr->nr_devices;
		for (std::uint32_t i = 0; i < hdr->nr_devices; i++)
			xa_init(&nk->devices[i].pasids);
	}
	for (std::uint32_t i = 0; i < hdr->nr_devices; i++) {
		const lu_img_device &r = v.devices[i];
		lu_restored_device &d = nk->devices[i];
		d.devid = r.devid;
		d.group_id = r.group_id;
		d.max_pasids = r.max_pasids;
		d.flags = r.flags;
		d.token = r.token;
		d.iommufd_token = r.iommufd_token;
		d.rid = r.rid_hwpt_idx == LU_IMG_NONE ? nullptr : &nk->hwpts[r.rid_hwpt_idx];
		// Sorted input: each store lands right of the last one.
		for (std::uint32_t k = 0; k < r.nr_pasids; k++) {
			const lu_img_pasid &pe = v.pasids[r.pasid_first + k];
			void *old = xa_store(&d.pasids, pe.pasid, &nk->hwpts[pe.hwpt_idx], GFP_KERNEL);
			if (xa_is_err(old))
				goto err;
			d.nr_pasids++;
		}
		int rc = xa_insert(&nk->by_devid, r.devid, &d, GFP_KERNEL);
		if (rc)
			goto err;
	}
	return 0;

err:
	new_kernel_destroy(nk);
	return -ENOMEM;
}

const lu_restored_hwpt *lu_new_kernel_translation(new_kernel *nk, std::uint32_t devid,
						  std::uint32_t pasid) noexcept
{
	auto *d = static_cast<lu_restored_device *>(xa_load(&nk->by_devid, devid));
	if (!d)
		return nullptr;
	const lu_restored_hwpt *h = pasid == lu::IOMMU_NO_PASID
					    ? d->rid
					    : static_cast<const lu_restored_hwpt *>(xa_load(&d->pasids, pasid));
	if (!h)
		return nullptr;
	if ((h->flags & LU_IMG_HWPT_NESTED) && !h->parent)
		return nullptr;
	return h;
}

int lu_new_kernel_dma(new_kernel *nk, std::uint32_t devid, std::uint32_t pasid) noexcept
{
	return lu_new_kernel_translation(nk, devid, pasid) ? 0 : -EFAULT;
}

} // namespace lu::impl
