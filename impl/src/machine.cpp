// SPDX-License-Identifier: GPL-2.0
// The abstract machine on the lu::impl objects: see lu/impl/machine.h.
#include "lu/impl/machine.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <new>

#include "lu/impl/alloc.h"

namespace lu::impl {

void machine_deleter::operator()(machine *m) const noexcept
{
	if (!m)
		return;
	m->~machine();
	lu_kfree(m, sizeof(machine));
}

machine::machine() noexcept
{
	luo_global_init(&luo_);
	luo_session_init(&session_, &luo_);
	new_kernel_init(&nk_);
}

machine::~machine()
{
	luo_session_close(&session_);
	luo_global_destroy(&luo_);
	new_kernel_destroy(&nk_);
	lu_image_free(&img_);
	iommufd_ctx_destroy(&ictx_);
	lu_kfree(hwpts_, std::size_t(nr_hwpts_) * sizeof(*hwpts_));
	lu_kfree(vdevs_, std::size_t(nr_devices_) * sizeof(*vdevs_));
}

int machine::create(const lu::config &cfg, lu::variant v, machine_ptr *out) noexcept
{
	const std::size_t nh = cfg.hwpts.size(), nd = cfg.devices.size();
	for (const auto &h : cfg.hwpts)
		if (h.kind == lu::hwpt_kind::nested &&
		    (h.parent >= nh || cfg.hwpts[h.parent].kind != lu::hwpt_kind::paging))
			return -EINVAL;
	for (const auto &d : cfg.devices)
		if (d.max_pasids > lu::PASID_LIMIT)
			return -EINVAL;
	if (nh > LU_IMG_MAX_HWPTS || nd > LU_IMG_MAX_DEVICES)
		return -EINVAL;

	void *p = lu_kzalloc(sizeof(machine));
	if (!p)
		return -ENOMEM;
	machine_ptr m(new (p) machine());
	iommufd_ctx_init(&m->ictx_, v, 1);

	int rc = iommufd_ioas_alloc(&m->ictx_, &m->ioas_);
	if (rc)
		return rc;
	if (nh) {
		m->hwpts_ = static_cast<iommufd_hw_pagetable **>(lu_kzalloc(nh * sizeof(*m->hwpts_)));
		if (!m->hwpts_)
			return -ENOMEM;
		m->nr_hwpts_ = static_cast<std::uint32_t>(nh);
	}
	// Paging first, so that every nested hwpt finds its parent.
	for (std::size_t h = 0; h < nh; h++) {
		const auto &hc = cfg.hwpts[h];
		if (hc.kind != lu::hwpt_kind::paging)
			continue;
		iommufd_hwpt_paging *hwpt;
		rc = iommufd_hwpt_paging_alloc(&m->ictx_, m->ioas_, hc.pasid_compat, hc.sealed, &hwpt);
		if (rc)
			return rc;
		m->hwpts_[h] = hwpt;
	}
	for (std::size_t h = 0; h < nh; h++) {
		const auto &hc = cfg.hwpts[h];
		if (hc.kind != lu::hwpt_kind::nested)
			continue;
		iommufd_hwpt_nested *hwpt;
		auto *parent = static_cast<iommufd_hwpt_paging *>(m->hwpts_[hc.parent]);
		rc = iommufd_hwpt_nested_alloc(&m->ictx_, parent, hc.pasid_compat, &hwpt);
		if (rc)
			return rc;
		m->hwpts_[h] = hwpt;
	}
	if (nd) {
		m->vdevs_ = static_cast<vfio_device *>(lu_kzalloc(nd * sizeof(*m->vdevs_)));
		if (!m->vdevs_)
			return -ENOMEM;
		m->nr_devices_ = static_cast<std::uint32_t>(nd);
	}
	for (std::size_t d = 0; d < nd; d++) {
		iommufd_device *idev;
		rc = iommufd_device_bind(&m->ictx_, static_cast<std::uint32_t>(d), cfg.devices[d].group,
					 cfg.devices[d].max_pasids, &idev);
		if (rc)
			return rc;
		vfio_device_init(&m->vdevs_[d], idev, static_cast<std::uint32_t>(2 + d), cfg.devices[d].vf);
	}
	*out = std::move(m);
	return 0;
}

int machine::run(const lu::step &s) noexcept
{
	if (s.op != lu::op::dma && kexeced_ != lu::new_kernel_op(s.op))
		return -ENODEV;
	const bool dev_ok = s.dev < nr_devices_;
	const bool hwpt_ok = s.hwpt < nr_hwpts_;
	switch (s.op) {
	case lu::op::mark_preserve:
		if (!hwpt_ok)
			return -ENOENT;
		return iommufd_hwpt_mark_preserve(&ictx_, hwpts_[s.hwpt]->id, s.token);
	case lu::op::attach:
		if (!dev_ok)
			return -EBADF;
		if (!hwpt_ok)
			return -ENOENT;
		return iommufd_device_attach(vdevs_[s.dev].idev, s.pasid, hwpts_[s.hwpt]->id);
	case lu::op::replace:
		if (!dev_ok)
			return -EBADF;
		if (!hwpt_ok)
			return -ENOENT;
		return iommufd_device_replace(vdevs_[s.dev].idev, s.pasid, hwpts_[s.hwpt]->id);
	case lu::op::detach:
		if (!dev_ok)
			return -EBADF;
		return iommufd_device_detach(vdevs_[s.dev].idev, s.pasid);
	case lu::op::preserve_iommufd:
		return luo_preserve_file(&session_, s.token, &ictx_.file, 0);
	case lu::op::preserve_device:
		if (!dev_ok)
			return -EBADF;
		return luo_preserve_file(&session_, s.token, &vdevs_[s.dev].file, s.flags);
	case lu::op::unpreserve_device:
		if (!dev_ok)
			return -EBADF;
		return luo_unpreserve_file(&session_, &vdevs_[s.dev].file);
	case lu::op::unpreserve_iommufd:
		return do_unpreserve_iommufd();
	case lu::op::kexec:
		return do_kexec();
	case lu::op::dma:
		if (!kexeced_) {
			if (!dev_ok)
				return -EFAULT;
			return iommufd_device_attached(vdevs_[s.dev].idev, s.pasid) ? 0 : -EFAULT;
		}
		return lu_new_kernel_dma(&nk_, 0, s.dev, s.pasid); // the machine's devices: segment 0
	case lu::op::retrieve:
		return do_retrieve(s.token);
	case lu::op::open_device:
		if (!dev_ok)
			return -EBADF;
		// vfio_device_fops_cdev_open(): an incoming device is busy until
		// its preserved file is retrieved and finished.
		return incoming_cdev(s.dev) ? -EBUSY : 0;
	case lu::op::bind_device:
		if (!dev_ok)
			return -EBADF;
		return do_bind(s.dev);
	case lu::op::finish:
		return do_finish();
	}
	return -EINVAL;
}

// LIVEUPDATE_SESSION_RETRIEVE_FD: luo_retrieve_file() finds the token, then
// the handler's .retrieve(): iommufd's is Phase 1's stub (v1 11/14), vfio's
// finds the device by the BDF its data names.
int machine::do_retrieve(std::uint64_t token) noexcept
{
	luo_file_ser *f = luo_incoming_find(&incoming_, token);
	if (!f)
		return -ENOENT;
	if (std::strcmp(f->compatible, vfio_lu_file_ops.compatible) != 0)
		return -EOPNOTSUPP;
	if (f->data >= nr_devices_) // vfio_find_device()
		return -ENODEV;
	f->retrieved = true;
	return 0;
}

luo_file_ser *machine::incoming_cdev(std::uint32_t dev) noexcept
{
	for (std::uint32_t i = 0; i < incoming_.count; i++)
		if (std::strcmp(incoming_.files[i].compatible, vfio_lu_file_ops.compatible) == 0 &&
		    incoming_.files[i].data == dev)
			return &incoming_.files[i];
	return nullptr;
}

// VFIO_DEVICE_BIND_IOMMUFD to a new iommufd: a preserved cdev has an fd
// only once retrieved; iommu_device_claim_dma_owner() then fails for any
// device of a group whose domain the iommu core restored (its owner is the
// old kernel's token: v1 08/14 __iommu_group_maybe_restore_domain()).
int machine::do_bind(std::uint32_t dev) noexcept
{
	if (const luo_file_ser *f = incoming_cdev(dev); f && !f->retrieved)
		return -EBADF;
	const std::uint32_t group = vdevs_[dev].idev->igroup->group_id;
	for (std::uint32_t i = 0; i < nk_.nr_devices; i++)
		if (nk_.devices[i].group_id == group && !(nk_.devices[i].flags & LU_IMG_DEV_NO_IOMMUFD))
			return -EPERM;
	return 0;
}

// LIVEUPDATE_SESSION_FINISH: every file's .can_finish() first, nothing
// finished if one says no (-EBUSY): iommufd's is false in Phase 1, vfio's
// until its file was retrieved.
int machine::do_finish() noexcept
{
	for (std::uint32_t i = 0; i < incoming_.count; i++) {
		const luo_file_ser &f = incoming_.files[i];
		if (std::strcmp(f.compatible, vfio_lu_file_ops.compatible) != 0 || !f.retrieved)
			return -EBUSY;
	}
	return 0;
}

int machine::do_unpreserve_iommufd() noexcept
{
	if (!luo_find_file(&session_, &ictx_.file))
		return -ENOENT;
	// LUO unwinds LIFO: the cdevs that went through iommufd go first.
	for (luo_file *lf = session_.head; lf; lf = lf->next)
		if (lf->file->ops == &vfio_lu_file_ops && vfio_file_record(lf))
			return -EBUSY;
	return luo_unpreserve_file(&session_, &ictx_.file);
}

int machine::do_kexec() noexcept
{
	// liveupdate_reboot(): freeze every file in order, then serialize.
	int rc = luo_session_freeze(&session_);
	if (rc)
		return rc;
	lu_image img{};
	rc = iommufd_lu_serialize(&session_, &ictx_, &img);
	if (rc)
		goto err_unfreeze;
	{
		// The new kernel: nothing but the image.
		lu_img_view v;
		rc = lu_img_parse(img.data, img.size, &v, nullptr);
		if (rc)
			goto err_free;
		rc = lu_restore(&nk_, v);
		if (rc)
			goto err_free;
	}
	luo_session_serialize(&session_, &incoming_);
	img_ = img;
	kexeced_ = true;
	return 0;

err_free:
	lu_image_free(&img);
err_unfreeze:
	luo_session_unfreeze(&session_);
	return rc;
}

int machine::hwpt_index(std::uint32_t hwpt_id) const noexcept
{
	for (std::uint32_t h = 0; h < nr_hwpts_; h++)
		if (hwpts_[h]->id == hwpt_id)
			return static_cast<int>(h);
	return -1;
}

void machine::attachments(std::vector<lu::attachment> *out) const
{
	out->clear();
	auto *groups = const_cast<xarray *>(&ictx_.groups);
	unsigned long gi, pasid, di;
	void *g, *a, *d;
	xa_for_each(groups, gi, g) {
		auto *igroup = static_cast<iommufd_group *>(g);
		xa_for_each(&igroup->pasid_attach, pasid, a) {
			auto *attach = static_cast<iommufd_attach *>(a);
			xa_for_each(&attach->device_array, di, d) {
				auto *idev = static_cast<iommufd_device *>(d);
				out->push_back({idev->devid, static_cast<std::uint32_t>(pasid),
						static_cast<std::uint32_t>(hwpt_index(attach->hwpt->id))});
			}
		}
	}
	std::sort(out->begin(), out->end());
}

std::vector<lu::attachment> machine::at_kexec() const
{
	std::vector<lu::attachment> v;
	if (kexeced_)
		attachments(&v);
	return v;
}

std::vector<lu::attachment> machine::restored() const
{
	std::vector<lu::attachment> v;
	if (!kexeced_)
		return v;
	auto *nk = const_cast<new_kernel *>(&nk_);
	for (std::uint32_t i = 0; i < nk->nr_devices; i++) {
		lu_restored_device &d = nk->devices[i];
		if (const lu_restored_hwpt *h = lu_new_kernel_translation(nk, d.pci_domain, d.devid, lu::IOMMU_NO_PASID))
			v.push_back({d.devid, 0, static_cast<std::uint32_t>(hwpt_index(h->hwpt_id))});
		unsigned long pasid;
		void *entry;
		xa_for_each(&d.pasids, pasid, entry) {
			auto p = static_cast<std::uint32_t>(pasid);
			if (const lu_restored_hwpt *h = lu_new_kernel_translation(nk, d.pci_domain, d.devid, p))
				v.push_back({d.devid, p, static_cast<std::uint32_t>(hwpt_index(h->hwpt_id))});
		}
	}
	std::sort(v.begin(), v.end());
	return v;
}

machine_state machine::snapshot() const
{
	machine_state st;
	attachments(&st.attachments);
	st.hwpts.resize(nr_hwpts_);
	for (std::uint32_t h = 0; h < nr_hwpts_; h++) {
		st.hwpts[h].users = hwpts_[h]->users;
		if (hwpts_[h]->type == iommufd_object_type::IOMMUFD_OBJ_HWPT_PAGING) {
			auto *p = static_cast<iommufd_hwpt_paging *>(hwpts_[h]);
			st.hwpts[h].marked = p->liveupdate_preserved;
			st.hwpts[h].token = p->liveupdate_token;
			st.hwpts[h].domain_preserved = p->domain_preserved;
		}
	}
	unsigned long gi;
	void *g;
	xa_for_each(const_cast<xarray *>(&ictx_.groups), gi, g) {
		auto *igroup = static_cast<iommufd_group *>(g);
		st.nr_preserved.emplace_back(igroup->group_id, igroup->nr_liveupdate_preserved);
	}
	for (luo_file *lf = session_.head; lf; lf = lf->next) {
		file_state f;
		f.iommufd = lf->file == &ictx_.file;
		f.token = lf->token;
		f.flags = lf->flags;
		f.frozen = lf->frozen;
		if (!f.iommufd) {
			auto *vdev = static_cast<vfio_device *>(lf->file->private_data);
			f.dev = vdev->idev->devid;
			const iommufd_lu_record *rec = vfio_file_record(lf);
			f.has_record = rec != nullptr;
			if (rec) {
				f.record.push_back({f.dev, 0, static_cast<std::uint32_t>(hwpt_index(rec->rid_hwpt->id))});
				for (std::uint32_t k = 0; k < rec->nr_pasids; k++)
					f.record.push_back({f.dev, rec->pasids[k].pasid,
							    static_cast<std::uint32_t>(
								    hwpt_index(rec->pasids[k].hwpt->id))});
			}
		}
		st.files.push_back(std::move(f));
	}
	st.kexeced = kexeced_;
	return st;
}

void example_trace(std::uint32_t nr_pasids, lu::config *cfg, std::vector<lu::step> *steps)
{
	cfg->devices = {{0, lu::PASID_LIMIT}};
	lu::hwpt_config paging{};
	paging.kind = lu::hwpt_kind::paging;
	paging.pasid_compat = true;
	paging.sealed = true;
	cfg->hwpts = {paging, paging};
	steps->clear();
	steps->push_back({lu::op::mark_preserve, 0, 0, 0, 0x100, 0});
	steps->push_back({lu::op::mark_preserve, 0, 0, 1, 0x101, 0});
	steps->push_back({lu::op::attach, 0, 0, 0, 0, 0});
	for (std::uint32_t p = 1; p <= nr_pasids; p++)
		steps->push_back({lu::op::attach, 0, p, 1, 0, 0});
	steps->push_back({lu::op::preserve_iommufd, 0, 0, 0, 1, 0});
	steps->push_back({lu::op::preserve_device, 0, 0, 0, 2, 0});
	steps->push_back({lu::op::kexec, 0, 0, 0, 0, 0});
}

} // namespace lu::impl
