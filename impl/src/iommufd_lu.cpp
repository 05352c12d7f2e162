// SPDX-License-Identifier: GPL-2.0
// Live update of iommufd and vfio cdevs: see lu/impl/iommufd_lu.h.
//
// Follows the series (DOMAIN section 1.5): iommufd_save_hwpts() for the
// iommufd file (v1 #11), iommufd_device_preserve() (v1 #12, v2 14/16 for the
// PASID check and nr_liveupdate_preserved, post-v2 pran005@20d150d0),
// vfio-pci's preserve (v1 #13, v2 03855e7d). Where the versions differ,
// lu::rules() of the context's version decides (lu/core/rules.h); the check
// order is docs/semantics.md's preserve_device.
#include "lu/impl/iommufd_lu.h"

#include <cerrno>
#include <cstring>

#include "lu/core/rules.h"

#include "lu/impl/alloc.h"
#include "lu/impl/mutant.h"

namespace lu::impl {

namespace {

/* ---- the iommufd file ---- */

int iommufd_lu_preserve(liveupdate_file_op_args *args) noexcept
{
	auto *ictx = static_cast<iommufd_ctx *>(args->file->private_data);
	unsigned long index;
	void *entry;
	std::uint32_t n = 0;

	// Pass 1 (count): every marked hwpt must be file-backed and sealed.
	xa_for_each(&ictx->objects, index, entry) {
		auto *o = static_cast<iommufd_object *>(entry);
		if (o->type != iommufd_object_type::IOMMUFD_OBJ_HWPT_PAGING)
			continue;
		auto *hwpt = static_cast<iommufd_hwpt_paging *>(o);
		if (!hwpt->liveupdate_preserved)
			continue;
		if (!hwpt->sealed)
			return -EINVAL;
		n++;
	}
	// kho_alloc_preserve(struct_size(lu, hwpts, n))
	std::size_t size = sizeof(iommufd_lu) + std::size_t(n) * sizeof(iommufd_hwpt_paging *);
	auto *lu = static_cast<iommufd_lu *>(lu_kzalloc(size));
	if (!lu)
		return -ENOMEM;
	lu->alloc_size = size;
	lu->hwpts = reinterpret_cast<iommufd_hwpt_paging **>(lu + 1);

	// Pass 2: iommu_domain_preserve() of each.
	xa_for_each(&ictx->objects, index, entry) {
		auto *o = static_cast<iommufd_object *>(entry);
		if (o->type != iommufd_object_type::IOMMUFD_OBJ_HWPT_PAGING)
			continue;
		auto *hwpt = static_cast<iommufd_hwpt_paging *>(o);
		if (!hwpt->liveupdate_preserved)
			continue;
		hwpt->domain_preserved = true;
		if (hwpt->ioas)
			hwpt->ioas->lu_map_immutable = true;
		lu->hwpts[lu->nr_hwpts++] = hwpt;
	}
	ictx->lu = lu;
	args->private_data = lu;
	return 0;
}

void iommufd_lu_unpreserve(liveupdate_file_op_args *args) noexcept
{
	auto *ictx = static_cast<iommufd_ctx *>(args->file->private_data);
	iommufd_lu *lu = ictx->lu;
	if (!lu)
		return;
	for (std::uint32_t i = 0; i < lu->nr_hwpts; i++) {
		if (!(LU_MUTANT(unpreserve_keeps_domains) && ictx->variant.version == lu::version::v1))
			lu->hwpts[i]->domain_preserved = false;
		if (lu->hwpts[i]->ioas)
			lu->hwpts[i]->ioas->lu_map_immutable = false;
	}
	ictx->lu = nullptr;
	lu_kfree(lu, lu->alloc_size);
}

/* ---- the vfio cdev ---- */

// pci_liveupdate_preserve()'s first check (drivers/pci/liveupdate.c
// linux-mm@257e1028): `if (dev->is_virtfn) return -EINVAL;`. The machine's
// devices pass its others (FLB, frozen, ACS quirks, table space).
int pci_liveupdate_preserve(const vfio_device *vdev) noexcept
{
	return vdev->is_virtfn ? -EINVAL : 0;
}

int vfio_lu_preserve(liveupdate_file_op_args *args) noexcept
{
	auto *vdev = static_cast<vfio_device *>(args->file->private_data);
	iommufd_device *idev = vdev->idev;
	const lu::variant &v = idev->ictx->variant;

	if (args->flags & ~lu::known_preserve_flags(v.policy))
		return -EINVAL;

	// vfio calls iommufd only if device->iommufd_attached (the RID), under rid-only.
	lu::vfio_gate gate = v.vfio_gate;
	if (LU_MUTANT(invert_vfio_gate))
		gate = gate == lu::vfio_gate::always ? lu::vfio_gate::rid_only : lu::vfio_gate::always;
	const bool call = gate == lu::vfio_gate::always || iommufd_device_attached(idev, lu::IOMMU_NO_PASID);

	if (call) {
		int rc = iommufd_device_preserve(args->session, idev, args->flags);
		if (rc)
			return rc;
	}
	if (lu::rules(v.version).pci_unwind) {
		int rc = pci_liveupdate_preserve(vdev);
		if (rc) {
			// err_iommufd_unpreserve: unguarded, whether or not the gate called iommufd.
			if (call || !LU_MUTANT(pci_unwind_guarded))
				iommufd_device_unpreserve(idev);
			return rc;
		}
	}
	auto *ser = lu_new<vfio_pci_core_device_ser>();
	if (!ser) {
		// v1 13/14 unwinds iommufd here (DOMAIN 1.5). From v2 on
		// kho_alloc_preserve()'s failure does `goto err_unpreserve`, past
		// err_iommufd_unpreserve (03855e7d): the iommufd preservation (the
		// record, nr_liveupdate_preserved) stays, with no file to undo it.
		if (call && !lu::rules(v.version).pci_unwind)
			iommufd_device_unpreserve(idev);
		return -ENOMEM;
	}
	ser->devid = idev->devid;
	ser->flags = args->flags;
	args->private_data = ser;
	args->serialized_data = ser->devid; // virt_to_phys(ser): its BDF finds the device again
	return 0;
}

void vfio_lu_unpreserve(liveupdate_file_op_args *args) noexcept
{
	auto *vdev = static_cast<vfio_device *>(args->file->private_data);
	iommufd_device *idev = vdev->idev;
	// vfio-pci's unpreserve: `if (device->iommufd_attached)` under rid-only.
	if (idev->ictx->variant.vfio_gate == lu::vfio_gate::always ||
	    iommufd_device_attached(idev, lu::IOMMU_NO_PASID))
		iommufd_device_unpreserve(idev);
	lu_delete(static_cast<vfio_pci_core_device_ser *>(args->private_data));
}

// The RID's paging hwpt, if its lookups in iommufd_device_(un)preserve()
// pass: v1 tests the mark (lu_preserve), later versions liveupdate_preserved,
// which the iommufd file preserve sets (domain_preserved here).
iommufd_hwpt_paging *rid_paging(iommufd_group *igroup, bool by_mark) noexcept
{
	auto *rid = static_cast<iommufd_attach *>(xa_load(&igroup->pasid_attach, lu::IOMMU_NO_PASID));
	if (!rid)
		return nullptr;
	iommufd_hwpt_paging *paging = find_hwpt_paging(rid->hwpt);
	if (!paging || !(by_mark ? paging->liveupdate_preserved : paging->domain_preserved))
		return nullptr;
	return paging;
}

// Does this PASID's domain survive? Its paging domain is marked and preserved.
bool domain_preserved(iommufd_hw_pagetable *hwpt) noexcept
{
	iommufd_hwpt_paging *paging = find_hwpt_paging(hwpt);
	return paging && paging->liveupdate_preserved && paging->domain_preserved;
}

} // namespace

const liveupdate_file_ops iommufd_lu_file_ops = {
	"iommufd-v1", iommufd_lu_preserve, iommufd_lu_unpreserve, nullptr, nullptr,
};

const liveupdate_file_ops vfio_lu_file_ops = {
	"vfio-pci-v1", vfio_lu_preserve, vfio_lu_unpreserve, nullptr, nullptr,
};

void vfio_device_init(vfio_device *vdev, iommufd_device *idev, std::uint32_t ino, bool is_virtfn) noexcept
{
	vdev->file = {&vfio_lu_file_ops, vdev, ino};
	vdev->idev = idev;
	vdev->is_virtfn = is_virtfn;
}

int iommufd_device_preserve(luo_session *s, iommufd_device *idev, std::uint32_t flags) noexcept
{
	iommufd_group *igroup = idev->igroup;
	iommufd_ctx *ictx = idev->ictx;
	const lu::policy policy = ictx->variant.policy;
	const lu::code_rules &rule = lu::rules(ictx->variant.version);
	const bool ignore = flags & lu::IOMMU_LU_FLAG_IGNORE_PASID;

	// post-v2: `if (idev->liveupdate_preserved) return -EBUSY;`
	if (rule.device_flag && idev->lu_record)
		return -EBUSY;

	// Step 5 (v2 14/16): PASID attachments, group-wide, before the RID lookup.
	if (!LU_MUTANT(skip_pasid_check) && iommufd_group_has_pasid_attachments(igroup) &&
	    (policy == lu::policy::reject || (policy == lu::policy::ack_flag && !ignore)))
		return -EOPNOTSUPP;

	// Step 6: xa_load(pasid_attach, IOMMU_NO_PASID); post-v2 also wants this
	// device in its device_array.
	auto *rid = static_cast<iommufd_attach *>(xa_load(&igroup->pasid_attach, lu::IOMMU_NO_PASID));
	if (!rid)
		return -ENOENT;
	if (rule.device_on_rid && !xa_load(&rid->device_array, idev->id) && !LU_MUTANT(device_on_rid_unchecked))
		return -ENOENT;

	// Steps 7-9: find_hwpt_paging(); v1 tests the mark, then the token
	// lookup, then iommu_preserve_device()'s preserved domain; later
	// versions test liveupdate_preserved (the domain) before the lookup.
	iommufd_hwpt_paging *paging = find_hwpt_paging(rid->hwpt);
	if (!rid_paging(igroup, rule.preserve_tests_mark && !LU_MUTANT(preserve_tests_domain)))
		return -EINVAL;
	std::uint64_t iommufd_token;
	int rc = liveupdate_get_token_outgoing(s, &ictx->file, &iommufd_token);
	if (rc)
		return rc;
	if (!paging->domain_preserved)
		return -EINVAL;

	// Step 10 (full): every PASID of this device needs a preserved domain.
	const bool keep_pasids = policy == lu::policy::full && !ignore;
	std::uint32_t n = 0;
	unsigned long pasid;
	void *entry;
	if (keep_pasids) {
		pasid = lu::IOMMU_NO_PASID;
		for (entry = xa_find_after(&igroup->pasid_attach, &pasid, UINT_MAX, XA_PRESENT); entry;
		     entry = xa_find_after(&igroup->pasid_attach, &pasid, UINT_MAX, XA_PRESENT)) {
			auto *attach = static_cast<iommufd_attach *>(entry);
			if (!xa_load(&attach->device_array, idev->id))
				continue;
			if (!domain_preserved(attach->hwpt))
				return -EINVAL;
			n++;
		}
	}

	// Step 11: the record, one block.
	std::size_t size = sizeof(iommufd_lu_record) + std::size_t(n) * sizeof(iommufd_lu_pasid);
	auto *rec = static_cast<iommufd_lu_record *>(lu_kzalloc(size));
	if (!rec)
		return -ENOMEM;
	rec->alloc_size = size;
	rec->pasids = reinterpret_cast<iommufd_lu_pasid *>(rec + 1);
	rec->rid_hwpt = policy == lu::policy::full ? rid->hwpt : paging;
	rec->iommufd_token = iommufd_token;
	rec->flags = flags;
	if (keep_pasids) {
		pasid = lu::IOMMU_NO_PASID;
		for (entry = xa_find_after(&igroup->pasid_attach, &pasid, UINT_MAX, XA_PRESENT); entry;
		     entry = xa_find_after(&igroup->pasid_attach, &pasid, UINT_MAX, XA_PRESENT)) {
			auto *attach = static_cast<iommufd_attach *>(entry);
			if (xa_load(&attach->device_array, idev->id)) {
				rec->pasids[rec->nr_pasids++] = {static_cast<std::uint32_t>(pasid), attach->hwpt};
				if (attach->hwpt->type == iommufd_object_type::IOMMUFD_OBJ_HWPT_NESTED)
					rec->pasid_nested = true;
			}
		}
	}
	igroup->nr_liveupdate_preserved++;
	if (idev->lu_record) // v1/v2: a second preserve replaces what the first left
		lu_kfree(idev->lu_record, idev->lu_record->alloc_size);
	idev->lu_record = rec;
	return 0;
}

void iommufd_device_unpreserve(iommufd_device *idev) noexcept
{
	const lu::code_rules &rule = lu::rules(idev->ictx->variant.version);
	iommufd_lu_record *rec = idev->lu_record;
	// post-v2: `if (!idev->liveupdate_preserved) goto out;`; v2 has no
	// per-device state and undoes whatever its lookups find.
	if (!rec && !(rule.unpreserve_any_device && !LU_MUTANT(unpreserve_needs_record)) &&
	    !(rule.device_flag && LU_MUTANT(unpreserve_ignores_device_flag)))
		return;
	// The RID attach and its domain, else WARN and nothing changes.
	if (!rid_paging(idev->igroup, rule.preserve_tests_mark))
		return;
	if (!LU_MUTANT(unpreserve_keeps_counter))
		idev->igroup->nr_liveupdate_preserved--;
	if (rec)
		lu_kfree(rec, rec->alloc_size);
	idev->lu_record = nullptr;
}

const iommufd_lu_record *vfio_file_record(const luo_file *lf) noexcept
{
	return static_cast<const vfio_device *>(lf->file->private_data)->idev->lu_record;
}

const iommufd_lu_record *vfio_device_record(const luo_session *s, const vfio_device *vdev) noexcept
{
	return luo_find_file(s, &vdev->file) ? vdev->idev->lu_record : nullptr;
}

int iommufd_lu_serialize(const luo_session *s, iommufd_ctx *ictx, lu_image *out) noexcept
{
	const bool full = ictx->variant.policy == lu::policy::full;
	lu_img_counts counts{};
	counts.variant = ictx->variant;
	counts.features = full ? LU_IMG_F_PASID_TABLE : 0;
	const bool drop_last = LU_MUTANT(serializer_drops_last_pasid);
	std::uint32_t nr_records = 0;
	std::uint64_t nr_pasids = 0;

	// Give every hwpt the image needs an index: the iommufd's preserved
	// domains, then whatever records use that is not among them (nested).
	std::uint32_t nh = 0;
	auto need = [&](iommufd_hw_pagetable *hwpt) {
		if (hwpt->image_idx == LU_IMG_NONE)
			hwpt->image_idx = nh++;
	};
	if (ictx->lu)
		for (std::uint32_t i = 0; i < ictx->lu->nr_hwpts; i++)
			need(ictx->lu->hwpts[i]);
	for (luo_file *lf = s->head; lf; lf = lf->next) {
		if (lf->file->ops != &vfio_lu_file_ops)
			continue;
		counts.nr_devices++;
		const iommufd_lu_record *rec = vfio_file_record(lf);
		if (!rec)
			continue;
		nr_records++;
		if (iommufd_hwpt_paging *p = find_hwpt_paging(rec->rid_hwpt); p && p != rec->rid_hwpt)
			need(p);
		need(rec->rid_hwpt);
		std::uint32_t np = rec->nr_pasids - (drop_last && rec->nr_pasids ? 1 : 0);
		// Preserve checked that every PASID's paging domain is preserved,
		// so only nested PASID hwpts can lack an index: skip the walk
		// (2^20 entries, a fifth of the serialize time) when there are none.
		for (std::uint32_t k = 0; rec->pasid_nested && k < np; k++) {
			iommufd_hw_pagetable *h = rec->pasids[k].hwpt;
			if (h->image_idx == LU_IMG_NONE) {
				if (iommufd_hwpt_paging *p = find_hwpt_paging(h); p && p != h)
					need(p);
				need(h);
			}
		}
		nr_pasids += np;
	}
	counts.nr_hwpts = nh;
	counts.nr_iommus = nr_records ? 1 : 0;
	int rc = -EOVERFLOW;
	image_writer w;
	if (nr_pasids > UINT32_MAX)
		goto out_reset;
	counts.nr_pasids = static_cast<std::uint32_t>(nr_pasids);
	rc = w.begin(counts);
	if (rc)
		goto out_reset;

	if (nr_records)
		w.add_iommu(nr_records, 0x1000, 0x2000);
	{
		// hwpt records in index order: walk the objects once per kind is
		// not enough (indices were given in need order), so place directly.
		std::uint32_t written = 0;
		unsigned long index;
		void *entry;
		// Write in index order: index i is written when found; nh is small.
		for (std::uint32_t i = 0; i < nh; i++) {
			xa_for_each(&ictx->objects, index, entry) {
				auto *o = static_cast<iommufd_object *>(entry);
				if (o->type != iommufd_object_type::IOMMUFD_OBJ_HWPT_PAGING &&
				    o->type != iommufd_object_type::IOMMUFD_OBJ_HWPT_NESTED)
					continue;
				auto *h = static_cast<iommufd_hw_pagetable *>(o);
				if (h->image_idx != i)
					continue;
				std::uint32_t flags = h->pasid_compat ? LU_IMG_HWPT_PASID_COMPAT : 0;
				if (o->type == iommufd_object_type::IOMMUFD_OBJ_HWPT_NESTED) {
					auto *nested = static_cast<iommufd_hwpt_nested *>(h);
					w.add_hwpt(flags | LU_IMG_HWPT_NESTED, h->id, nested->parent->image_idx, 0);
				} else {
					auto *p = static_cast<iommufd_hwpt_paging *>(h);
					w.add_hwpt(flags, h->id, LU_IMG_NONE, p->liveupdate_token);
				}
				written++;
				break;
			}
		}
		(void)written;
	}
	for (luo_file *lf = s->head; lf; lf = lf->next) {
		if (lf->file->ops != &vfio_lu_file_ops)
			continue;
		auto *vdev = static_cast<vfio_device *>(lf->file->private_data);
		const auto *ser = static_cast<vfio_pci_core_device_ser *>(lf->private_data);
		const iommufd_lu_record *rec = vfio_file_record(lf);
		lu_img_device d{};
		d.devid = vdev->idev->devid;
		d.token = lf->token;
		d.max_pasids = vdev->idev->max_pasids;
		d.group_id = vdev->idev->igroup->group_id;
		d.flags = (ser->flags & lu::IOMMU_LU_FLAG_IGNORE_PASID) ? LU_IMG_DEV_IGNORE_PASID : 0;
		if (!rec) {
			d.flags |= LU_IMG_DEV_NO_IOMMUFD;
			d.iommu_idx = LU_IMG_NONE;
			d.rid_hwpt_idx = LU_IMG_NONE;
			w.add_device(d);
			continue;
		}
		std::uint32_t np = rec->nr_pasids - (drop_last && rec->nr_pasids ? 1 : 0);
		d.iommu_idx = 0;
		d.iommufd_token = rec->iommufd_token;
		d.rid_hwpt_idx = rec->rid_hwpt->image_idx;
		d.nr_pasids = np;
		w.add_device(d);
		for (std::uint32_t k = 0; k < np; k++)
			w.add_pasid(rec->pasids[k].pasid, rec->pasids[k].hwpt->image_idx);
	}
	rc = w.finish(out);

out_reset:
	// Reset the scratch indices.
	{
		unsigned long index;
		void *entry;
		xa_for_each(&ictx->objects, index, entry) {
			auto *o = static_cast<iommufd_object *>(entry);
			if (o->type == iommufd_object_type::IOMMUFD_OBJ_HWPT_PAGING ||
			    o->type == iommufd_object_type::IOMMUFD_OBJ_HWPT_NESTED)
				static_cast<iommufd_hw_pagetable *>(o)->image_idx = LU_IMG_NONE;
		}
	}
	return rc;
}

} // namespace lu::impl
