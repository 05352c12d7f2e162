// SPDX-License-Identifier: GPL-2.0
// impl-only checks (see crosscheck.h): fail_nth over every step, and image
// robustness. Built with the impl backend, so the mutation runner reruns them
// against lu_impl_mutants.
#include <cstring>

#include <fmt/format.h>

#include "lu/core/rules.h"
#include "lu/impl/alloc.h"
#include "lu/impl/image.h"
#include "lu/impl/luo.h"
#include "lu/impl/machine.h"
#include "lu/impl/restore.h"
#include "lu/verify/crosscheck.h"

namespace lu::verify {

namespace {

using lu::op;
using impl::liveupdate_file_op_args;
using impl::liveupdate_file_ops;
using impl::lu_file;

// One device with the full PASID range (edge 2^20-1 on a second hwpt, RID on
// a nested hwpt), one small device in another group: every record kind.
struct sample {
	lu::config cfg;
	std::vector<lu::step> trace;
};

std::vector<sample> samples()
{
	lu::config c;
	c.devices = {{0, lu::PASID_LIMIT}, {1, 16}};
	c.hwpts = {{hwpt_kind::paging, 0, true, true}, {hwpt_kind::nested, 0, true, true},
		   {hwpt_kind::paging, 0, true, true}};
	std::vector<lu::step> t{
		{op::mark_preserve, 0, 0, 0, 1, 0},
		{op::mark_preserve, 0, 0, 2, 2, 0},
		{op::attach, 0, 0, 1, 0, 0},
		{op::attach, 0, lu::PASID_LIMIT - 1, 2, 0, 0},
		{op::attach, 1, 0, 0, 0, 0},
		{op::attach, 1, 15, 0, 0, 0},
		{op::preserve_iommufd, 0, 0, 0, 10, 0},
		{op::preserve_device, 0, 0, 0, 11, 0},
		{op::preserve_device, 1, 0, 0, 12, 0},
		{op::kexec, 0, 0, 0, 0, 0},
		{op::dma, 0, 0, 0, 0, 0},
		{op::dma, 0, lu::PASID_LIMIT - 1, 0, 0, 0},
	};
	auto t_ack = t;
	t_ack[7].flags = t_ack[8].flags = IOMMU_LU_FLAG_IGNORE_PASID;
	// preserve, unpreserve, replace: the unwinding paths
	std::vector<lu::step> u{
		{op::mark_preserve, 0, 0, 0, 1, 0},
		{op::attach, 1, 0, 0, 0, 0},
		{op::preserve_iommufd, 0, 0, 0, 10, 0},
		{op::preserve_device, 1, 0, 0, 12, 0},
		{op::unpreserve_device, 1, 0, 0, 0, 0},
		{op::replace, 1, 0, 2, 0, 0},
		{op::detach, 1, 0, 0, 0, 0},
		{op::unpreserve_iommufd, 0, 0, 0, 0, 0},
	};
	return {{c, t}, {c, t_ack}, {c, u}};
}

std::vector<lu::variant> variants_or_presets(const crosscheck_options &o)
{
	if (!o.variants.empty())
		return o.variants;
	std::vector<lu::variant> v;
	for (const auto &p : presets)
		v.push_back(p.variant);
	return v;
}

void note(check_report &r, const crosscheck_options &o, std::string what)
{
	r.disagreements++;
	r.failed.push_back(r.cases - 1);
	if (r.samples.size() < 5)
		r.samples.push_back(std::move(what));
	(void)o;
}

// A file type whose .freeze() fails on request, for the LUO rollback check:
// no handler of the machine has a .freeze() (v1: no-op), so the rollback of
// luo_session_freeze() is checked on mock files, as luo_test does.
struct freeze_mock {
	bool fail = false;
	int frozen = 0; // .freeze() minus .unfreeze() calls
};

int mock_preserve(liveupdate_file_op_args *a)
{
	a->private_data = a->file->private_data;
	return 0;
}
void mock_unpreserve(liveupdate_file_op_args *) {}
int mock_freeze(liveupdate_file_op_args *a)
{
	auto *m = static_cast<freeze_mock *>(a->private_data);
	if (m->fail)
		return -EAGAIN;
	m->frozen++;
	return 0;
}
void mock_unfreeze(liveupdate_file_op_args *a)
{
	static_cast<freeze_mock *>(a->private_data)->frozen--;
}
const liveupdate_file_ops freeze_mock_ops = {"verify-freeze-v1", mock_preserve, mock_unpreserve, mock_freeze,
					     mock_unfreeze};

} // namespace

// LUO: a failing .freeze() leaves no file frozen (luo_file_freeze's rollback).
check_report run_luo_checks(const crosscheck_options &o)
{
	check_report r;
	r.name = "luo";
	constexpr std::size_t nr = 4;
	for (std::size_t failing = 0; failing < nr; failing++) {
		std::vector<freeze_mock> mocks(nr);
		std::vector<lu_file> files(nr);
		mocks[failing].fail = true;
		impl::luo_global g{};
		impl::luo_session s{};
		impl::luo_global_init(&g);
		impl::luo_session_init(&s, &g);
		bool ok = true;
		for (std::size_t i = 0; i < nr; i++) {
			files[i] = {&freeze_mock_ops, &mocks[i], static_cast<std::uint32_t>(100 + i)};
			ok &= impl::luo_preserve_file(&s, 1000 + i, &files[i], 0) == 0;
		}
		r.cases++;
		r.coverage[fmt::format("fail-at-{}", failing)]++;
		int rc = ok ? impl::luo_session_freeze(&s) : 0;
		std::size_t still = 0;
		for (const auto &m : mocks)
			still += m.frozen != 0;
		for (auto *lf = s.head; lf; lf = lf->next)
			still += lf->frozen;
		if (!ok || rc != -EAGAIN || still) {
			note(r, o, fmt::format("freeze failing at file {} of {}: rc {}, {} file(s) left frozen", failing + 1,
					       nr, errno_name(rc), still));
		}
		impl::luo_session_close(&s);
		impl::luo_global_destroy(&g);
		if (r.disagreements && o.stop_at_first)
			break;
	}
	return r;
}

namespace {

// The one failure the code itself does not unwind: vfio's ser allocation
// from v2 on (`goto err_unpreserve` past err_iommufd_unpreserve,
// vfio_pci_liveupdate.c samikhawaja@03855e7d) leaves the iommufd
// preservation behind: one group counts one device more, all else as before.
bool ser_leak(const lu::variant &v, const lu::step &s, int rc, const impl::machine_state &before,
	      const impl::machine_state &after)
{
	if (!lu::rules(v.version).pci_unwind || s.op != lu::op::preserve_device || rc != -ENOMEM ||
	    after.nr_preserved.size() != before.nr_preserved.size())
		return false;
	unsigned raised = 0;
	for (std::size_t g = 0; g < after.nr_preserved.size(); g++)
		raised += after.nr_preserved[g].second == before.nr_preserved[g].second + 1;
	impl::machine_state rest = after;
	rest.nr_preserved = before.nr_preserved;
	return raised == 1 && rest == before;
}

} // namespace

check_report run_fail_nth(const crosscheck_options &o)
{
	check_report r;
	r.name = "fail-nth";
	for (const auto &v : variants_or_presets(o)) {
		for (const auto &smp : samples()) {
			for (std::size_t i = 0; i < smp.trace.size(); i++) {
				for (std::uint64_t n = 1;; n++) {
					impl::machine_ptr m;
					if (impl::machine::create(smp.cfg, v, &m))
						break;
					for (std::size_t k = 0; k < i; k++)
						(void)m->run(smp.trace[k]);
					auto before = m->snapshot();
					auto stats = impl::alloc_stats_get();
					impl::fail_nth_set(n);
					int rc = m->run(smp.trace[i]);
					impl::fail_nth_set(0);
					bool fired = impl::alloc_stats_get().failed_allocs != stats.failed_allocs;
					if (!fired)
						break;
					r.cases++;
					r.coverage[std::string(name(smp.trace[i].op))]++;
					const auto after = m->snapshot();
					if (ser_leak(v, smp.trace[i], rc, before, after))
						r.coverage["preserve_device (v2+: ser leaks iommufd)"]++;
					else if (rc != 0 && !(after == before)) {
						note(r, o, fmt::format("{} step {} {}: allocation {} failed with {}, but the state changed",
								       variant_label(v), i + 1, format_step(smp.trace[i]), n,
								       errno_name(rc)));
						if (o.stop_at_first)
							return r;
					}
				}
			}
		}
	}
	return r;
}

namespace {

void fix_checksum(std::vector<std::uint8_t> &b)
{
	constexpr std::size_t at = offsetof(impl::lu_img_header, checksum);
	std::uint64_t sum = impl::lu_img_checksum(b.data(), b.size(), at / 8);
	std::memcpy(b.data() + at, &sum, sizeof(sum));
}

// @img (parsed as @view, two devices at least) with device 1 on device 0's
// BDF: on segment 1 it parses and restores both devices, each found by its
// segment and BDF with its own RID and PASID attachments; on device 0's
// segment the parser refuses it (-EEXIST). Returns what went wrong, or "".
std::string segments_case(const std::vector<std::uint8_t> &img, const impl::lu_img_view &view)
{
	const auto devs = static_cast<std::size_t>(reinterpret_cast<const std::uint8_t *>(view.devices) - img.data());
	auto at = [&](std::size_t i, std::size_t field) { return devs + i * sizeof(impl::lu_img_device) + field; };
	auto poke = [](std::vector<std::uint8_t> &b, std::size_t off, std::uint32_t x) {
		std::memcpy(b.data() + off, &x, sizeof(x));
	};
	const std::uint32_t bdf = view.devices[0].devid, seg0 = view.devices[0].pci_domain;
	auto two = img;
	poke(two, at(1, offsetof(impl::lu_img_device, devid)), bdf);
	poke(two, at(1, offsetof(impl::lu_img_device, pci_domain)), seg0 + 1);
	fix_checksum(two);
	impl::lu_img_view tv;
	impl::lu_img_error e;
	if (int rc = impl::lu_img_parse(two.data(), two.size(), &tv, &e); rc)
		return fmt::format("one BDF on two segments does not parse: {} ({})", e.what, errno_name(rc));
	impl::new_kernel nk;
	impl::new_kernel_init(&nk);
	std::string why;
	if (int rc = impl::lu_restore(&nk, tv); rc)
		why = fmt::format("one BDF on two segments does not restore: {}", errno_name(rc));
	for (std::uint32_t i = 0; why.empty() && i < 2; i++) {
		const impl::lu_img_device &d = tv.devices[i];
		// (PASID, hwpt index) of each recorded attachment, the RID first
		std::vector<std::pair<std::uint32_t, std::uint32_t>> want;
		if (d.rid_hwpt_idx != impl::LU_IMG_NONE)
			want.emplace_back(lu::IOMMU_NO_PASID, d.rid_hwpt_idx);
		for (std::uint32_t k = 0; k < d.nr_pasids; k++)
			want.emplace_back(tv.pasids[d.pasid_first + k].pasid, tv.pasids[d.pasid_first + k].hwpt_idx);
		for (const auto &[pasid, h] : want) {
			const impl::lu_restored_hwpt *t = impl::lu_new_kernel_translation(&nk, d.pci_domain, d.devid, pasid);
			if (!t || t->hwpt_id != tv.hwpts[h].hwpt_id) {
				why = fmt::format("one BDF on two segments: device {} (segment {}) PASID {} translates through {}, "
						  "its record says hwpt {}",
						  i, d.pci_domain, pasid, t ? fmt::format("hwpt {}", t->hwpt_id) : "nothing",
						  tv.hwpts[h].hwpt_id);
				break;
			}
		}
	}
	impl::new_kernel_destroy(&nk);
	if (!why.empty())
		return why;
	poke(two, at(1, offsetof(impl::lu_img_device, pci_domain)), seg0);
	fix_checksum(two);
	if (int rc = impl::lu_img_parse(two.data(), two.size(), &tv, nullptr); rc != -EEXIST)
		return fmt::format("one function twice (same segment and BDF) is {}, not -EEXIST", errno_name(rc));
	return "";
}

} // namespace

check_report run_image_checks(const crosscheck_options &o)
{
	check_report r;
	r.name = "image";
	for (const auto &v : variants_or_presets(o)) {
		for (const auto &smp : samples()) {
			impl::machine_ptr m;
			if (impl::machine::create(smp.cfg, v, &m))
				continue;
			for (const auto &s : smp.trace)
				(void)m->run(s);
			auto img = m->image();
			if (img.empty())
				continue;
			std::vector<std::uint8_t> buf(img.begin(), img.end());
			impl::lu_img_view view;
			r.cases++;
			r.coverage["parses"]++;
			if (int rc = impl::lu_img_parse(buf.data(), buf.size(), &view, nullptr); rc) {
				note(r, o, fmt::format("{}: the kexec image does not parse: {}", variant_label(v), errno_name(rc)));
				if (o.stop_at_first)
					return r;
				continue;
			}
			// Every single-byte change is rejected (the checksum covers every word).
			for (std::size_t at = 0; at < buf.size(); at++) {
				auto bad = buf;
				bad[at] ^= 0x01;
				r.cases++;
				r.coverage["byte-flip"]++;
				if (impl::lu_img_parse(bad.data(), bad.size(), &view, nullptr) == 0) {
					note(r, o, fmt::format("{}: a flipped bit at byte {} parses", variant_label(v), at));
					if (o.stop_at_first)
						return r;
					break;
				}
			}
			// A PASID at 2^20 with a correct checksum is out of range.
			if (impl::lu_img_parse(buf.data(), buf.size(), &view, nullptr) == 0 && view.hdr->nr_pasids) {
				auto bad = buf;
				auto off = reinterpret_cast<const std::uint8_t *>(view.pasids) - buf.data();
				for (std::uint32_t k = 0; k < view.hdr->nr_pasids; k++) {
					auto pe = static_cast<std::size_t>(off) + k * sizeof(impl::lu_img_pasid);
					std::uint32_t p;
					std::memcpy(&p, bad.data() + pe + offsetof(impl::lu_img_pasid, pasid), sizeof(p));
					if (p != lu::PASID_LIMIT - 1)
						continue;
					p = lu::PASID_LIMIT;
					std::memcpy(bad.data() + pe + offsetof(impl::lu_img_pasid, pasid), &p, sizeof(p));
				}
				std::uint64_t zero = 0;
				std::memcpy(bad.data() + offsetof(impl::lu_img_header, checksum), &zero, sizeof(zero));
				std::uint64_t sum = impl::lu_img_checksum(bad.data(), bad.size(),
									  offsetof(impl::lu_img_header, checksum) / 8);
				std::memcpy(bad.data() + offsetof(impl::lu_img_header, checksum), &sum, sizeof(sum));
				r.cases++;
				r.coverage["pasid-limit"]++;
				if (bad != buf && impl::lu_img_parse(bad.data(), bad.size(), &view, nullptr) != -ERANGE) {
					note(r, o, fmt::format("{}: an image with PASID 2^20 is not -ERANGE", variant_label(v)));
					if (o.stop_at_first)
						return r;
				}
			}
			// A PCI function is domain:bus:dev.fn: device 1 takes device 0's
			// BDF on segment 1 and both restore, each with its own
			// attachments; on device 0's segment it is one function twice.
			if (impl::lu_img_parse(buf.data(), buf.size(), &view, nullptr) == 0 && view.hdr->nr_devices >= 2) {
				r.cases += 2;
				r.coverage["segments"] += 2;
				if (std::string why = segments_case(buf, view); !why.empty()) {
					note(r, o, fmt::format("{}: {}", variant_label(v), why));
					if (o.stop_at_first)
						return r;
				}
			}
		}
	}
	return r;
}

} // namespace lu::verify
