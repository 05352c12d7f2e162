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
	xa_init(&nk->by_pci);
}

void new_kernel_destroy(new_kernel *nk) noexcept
{
	for (std::uint32_t i = 0; i < nk->nr_devices; i++)
		xa_destroy(&nk->devices[i].pasids);
	lu_kfree(nk->devices, std::size_t(nk->nr_devices) * sizeof(lu_restored_device));
	lu_kfree(nk->hwpts, std::size_t(nk->nr_hwpts) * sizeof(lu_restored_hwpt));
	xa_destroy(&nk->by_pci);
	new_kernel_init(nk);
}

namespace {

// Fill an empty xarray from an image slice sorted by PASID, strictly
// ascending (lu_img_parse() checked it). Same tree as one xa_store() per
// PASID, but through the advanced API, as the kernel fills a range under one
// lock: a PASID in the leaf the cursor is on is reached with xas_next()
// (no walk from the root), any other with xas_set(); nodes come from
// xas_nomem(). 2^20 dense PASIDs: about 5x faster than xa_store() each.
int xa_fill_sorted(xarray *xa, const lu_img_pasid *pe, std::uint32_t n, lu_restored_hwpt *hwpts) noexcept
{
	XA_STATE(xas, xa, 0);
	for (std::uint32_t k = 0; k < n; k++) {
		const unsigned long index = pe[k].pasid;
		if (k && !xas_not_node(xas.xa_node) && !xas.xa_node->shift && index > xas.xa_index &&
		    (index >> XA_CHUNK_SHIFT) == (xas.xa_index >> XA_CHUNK_SHIFT)) {
			while (xas.xa_index < index)
				xas_next(&xas);
		} else {
			xas_set(&xas, index);
		}
		do {
			xas_store(&xas, &hwpts[pe[k].hwpt_idx]);
		} while (xas_nomem(&xas, GFP_KERNEL));
		if (xas_error(&xas))
			return xas_error(&xas);
	}
	return 0;
}

} // namespace

int lu_restore(new_kernel *nk, const lu_img_view &v) noexcept
{
	const lu_img_header *hdr = v.hdr;
	nk->variant = {static_cast<lu::policy>(hdr->policy), static_cast<lu::freeze>(hdr->freeze),
		       static_cast<lu::vfio_gate>(hdr->vfio_gate), static_cast<lu::version>(hdr->code_version)};
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
		d.pci_domain = r.pci_domain;
		d.devid = r.devid;
		d.group_id = r.group_id;
		d.max_pasids = r.max_pasids;
		d.flags = r.flags;
		d.token = r.token;
		d.iommufd_token = r.iommufd_token;
		d.rid = r.rid_hwpt_idx == LU_IMG_NONE ? nullptr : &nk->hwpts[r.rid_hwpt_idx];
		// Sorted input (the parser checked it): a bulk fill, not n walks.
		const lu_img_device &pr = LU_MUTANT(restore_first_device_pasids) ? v.devices[0] : r;
		int rc = xa_fill_sorted(&d.pasids, v.pasids + pr.pasid_first, pr.nr_pasids, nk->hwpts);
		if (rc)
			goto err;
		d.nr_pasids = r.nr_pasids;
		// The kernel names a PCI function domain:bus:dev.fn: the same BDF
		// on another segment is another device.
		rc = xa_insert(&nk->by_pci, lu_pci_key(LU_MUTANT(restore_ignores_segment) ? 0 : r.pci_domain, r.devid), &d,
			       GFP_KERNEL);
		if (rc) {
			new_kernel_destroy(nk);
			return rc == -EBUSY ? -EEXIST : rc;
		}
	}
	return 0;

err:
	new_kernel_destroy(nk);
	return -ENOMEM;
}

lu_restored_device *lu_new_kernel_device(new_kernel *nk, std::uint32_t pci_domain, std::uint32_t devid) noexcept
{
	return static_cast<lu_restored_device *>(xa_load(&nk->by_pci, lu_pci_key(pci_domain, devid)));
}

const lu_restored_hwpt *lu_new_kernel_translation(new_kernel *nk, std::uint32_t pci_domain, std::uint32_t devid,
						  std::uint32_t pasid) noexcept
{
	lu_restored_device *d = lu_new_kernel_device(nk, pci_domain, devid);
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

int lu_new_kernel_dma(new_kernel *nk, std::uint32_t pci_domain, std::uint32_t devid, std::uint32_t pasid) noexcept
{
	return lu_new_kernel_translation(nk, pci_domain, devid, pasid) ? 0 : -EFAULT;
}

} // namespace lu::impl
