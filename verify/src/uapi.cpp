// SPDX-License-Identifier: GPL-2.0
// A witness as the ioctls a VMM would issue (lu/verify/uapi.h).
//
// Conventions in this file: d = device index, h = hwpt index, i = indent
// string; the C fragment names its handles iommufd, ioas_id, session_fd,
// cdev_fd[d], dev_id[d] and hwpt_id[h], as the iommufd selftests do.
#include "lu/verify/uapi.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <set>

namespace lu::verify {

std::string errno_macro(int ret)
{
	switch (-ret) {
	case ENOENT: return "ENOENT";
	case EFAULT: return "EFAULT";
	case EBUSY: return "EBUSY";
	case EEXIST: return "EEXIST";
	case ENODEV: return "ENODEV";
	case EINVAL: return "EINVAL";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case EADDRINUSE: return "EADDRINUSE";
	case ENOMEM: return "ENOMEM";
	}
	return std::to_string(-ret);
}

namespace {

// "ASSERT_EQ(0, call);" or "EXPECT_ERRNO(EINVAL, call);"
std::string expect(int ret, const std::string &call)
{
	if (ret == 0)
		return fmt::format("ASSERT_EQ(0, {});", call);
	return fmt::format("EXPECT_ERRNO({}, {});", errno_macro(ret), call);
}

std::string test_name(const lu::model::result &r)
{
	std::string n = fmt::format("{}_{}", lu::name(r.variant), lu::model::info(r.property).name);
	std::replace(n.begin(), n.end(), '-', '_');
	return n;
}

struct emitter {
	const std::string &i;
	std::string out;
	void line(int level, const std::string &s)
	{
		for (int k = 0; k < level; ++k)
			out += i;
		out += s;
		out += '\n';
	}
};

void emit_config(emitter &e, const lu::config &c)
{
	e.line(1, "/* Configuration: devices bound to one iommufd. */");
	for (std::size_t d = 0; d < c.devices.size(); ++d)
		e.line(1, fmt::format("/* dev {}: iommu group {}, max_pasids {} */", d, c.devices[d].group,
				      c.devices[d].max_pasids));
	e.line(1, "/* VFIO_DEVICE_BIND_IOMMUFD gave dev_id[]; IOMMU_IOAS_ALLOC");
	e.line(1, " * gave ioas_id. */");
	std::set<std::uint32_t> parents;
	for (const auto &h : c.hwpts)
		if (h.kind == lu::hwpt_kind::nested)
			parents.insert(h.parent);
	for (std::size_t h = 0; h < c.hwpts.size(); ++h) {
		const auto &hc = c.hwpts[h];
		const std::string var = fmt::format("alloc_{}", h);
		if (hc.kind == lu::hwpt_kind::paging)
			e.line(1, fmt::format("/* hwpt {}: paging, {} */", h,
					      hc.sealed ? "memfd mappings sealed (F_SEAL_SEAL|GROW|SHRINK)"
							: "mappings not file-backed and sealed"));
		else
			e.line(1, fmt::format("/* hwpt {}: nested over hwpt {} */", h, hc.parent));
		std::vector<std::string> flags;
		if (hc.pasid_compat)
			flags.emplace_back("IOMMU_HWPT_ALLOC_PASID");
		if (hc.kind == lu::hwpt_kind::paging && parents.count(static_cast<std::uint32_t>(h)))
			flags.emplace_back("IOMMU_HWPT_ALLOC_NEST_PARENT");
		const std::string f = flags.empty() ? "0" : flags[0];
		e.line(1, fmt::format("struct iommu_hwpt_alloc {} = {{", var));
		e.line(2, fmt::format(".size = sizeof({}),", var));
		if (flags.size() <= 1) {
			e.line(2, fmt::format(".flags = {},", f));
		} else {
			e.line(2, fmt::format(".flags = {} |", flags[0]));
			e.line(3, fmt::format("{},", flags[1]));
		}
		e.line(2, ".dev_id = dev_id[0],");
		if (hc.kind == lu::hwpt_kind::paging) {
			e.line(2, ".pt_id = ioas_id,");
		} else {
			e.line(2, fmt::format(".pt_id = hwpt_id[{}],", hc.parent));
			e.line(2, ".data_type = IOMMU_HWPT_DATA_SELFTEST,");
			e.line(2, ".data_len = sizeof(data),");
			e.line(2, ".data_uptr = (uintptr_t)&data,");
		}
		e.line(1, "};");
		e.line(1, fmt::format("ASSERT_EQ(0, ioctl(iommufd, IOMMU_HWPT_ALLOC, &{}));", var));
		e.line(1, fmt::format("hwpt_id[{}] = {}.out_hwpt_id;", h, var));
	}
}

void emit_step(emitter &e, std::size_t n, const lu::model::witness_step &ws, const std::string &other)
{
	const auto &s = ws.step;
	const std::string v = fmt::format("cmd_{}", n);
	std::string head = fmt::format("/* {}. {}", n, lu::name(s.op));
	switch (s.op) {
	case lu::op::mark_preserve: head += fmt::format("(hwpt {}, token {})", s.hwpt, s.token); break;
	case lu::op::attach:
	case lu::op::replace: head += fmt::format("(dev {}, pasid {}, hwpt {})", s.dev, s.pasid, s.hwpt); break;
	case lu::op::detach:
	case lu::op::dma: head += fmt::format("(dev {}, pasid {})", s.dev, s.pasid); break;
	case lu::op::preserve_iommufd: head += fmt::format("(token {})", s.token); break;
	case lu::op::preserve_device:
		head += fmt::format("(dev {}, token {}, flags {:#x})", s.dev, s.token, s.flags);
		break;
	case lu::op::unpreserve_device: head += fmt::format("(dev {})", s.dev); break;
	case lu::op::unpreserve_iommufd:
	case lu::op::kexec: head += "()"; break;
	}
	if (ws.ret_other)
		head += fmt::format(", under {}: {}", other.empty() ? "the other" : other,
				    *ws.ret_other == 0 ? std::string("0") : fmt::format("-{}", errno_macro(*ws.ret_other)));
	head += " */";
	e.line(1, head);

	switch (s.op) {
	case lu::op::mark_preserve:
		e.line(1, fmt::format("struct iommu_hwpt_liveupdate_mark_preserve {} = {{", v));
		e.line(2, fmt::format(".size = sizeof({}),", v));
		e.line(2, fmt::format(".hwpt_id = hwpt_id[{}],", s.hwpt));
		e.line(2, fmt::format(".hwpt_token = {},", s.token));
		e.line(1, "};");
		e.line(1, expect(ws.ret, fmt::format("ioctl(iommufd,\n{0}{0}IOMMU_HWPT_LIVEUPDATE_MARK_PRESERVE, &{1})",
						     e.i, v)));
		return;
	case lu::op::attach:
	case lu::op::replace:
		if (s.op == lu::op::replace)
			e.line(1, "/* vfio: attach on an attached PASID replaces */");
		e.line(1, fmt::format("struct vfio_device_attach_iommufd_pt {} = {{", v));
		e.line(2, fmt::format(".argsz = sizeof({}),", v));
		e.line(2, s.pasid == 0 ? ".flags = 0," : ".flags = VFIO_DEVICE_ATTACH_PASID,");
		e.line(2, fmt::format(".pt_id = hwpt_id[{}],", s.hwpt));
		if (s.pasid != 0)
			e.line(2, fmt::format(".pasid = {},", s.pasid));
		e.line(1, "};");
		e.line(1, expect(ws.ret, fmt::format("ioctl(cdev_fd[{0}],\n{2}{2}VFIO_DEVICE_ATTACH_IOMMUFD_PT, &{1})",
						     s.dev, v, e.i)));
		return;
	case lu::op::detach:
		e.line(1, fmt::format("struct vfio_device_detach_iommufd_pt {} = {{", v));
		e.line(2, fmt::format(".argsz = sizeof({}),", v));
		e.line(2, s.pasid == 0 ? ".flags = 0," : ".flags = VFIO_DEVICE_DETACH_PASID,");
		if (s.pasid != 0)
			e.line(2, fmt::format(".pasid = {},", s.pasid));
		e.line(1, "};");
		e.line(1, expect(ws.ret, fmt::format("ioctl(cdev_fd[{0}],\n{2}{2}VFIO_DEVICE_DETACH_IOMMUFD_PT, &{1})",
						     s.dev, v, e.i)));
		return;
	case lu::op::preserve_iommufd:
	case lu::op::preserve_device: {
		const bool dev = s.op == lu::op::preserve_device;
		if (dev && s.flags != 0) {
			e.line(1, "/* HYPOTHETICAL: no kernel has this ioctl; LUO's");
			e.line(1, " * preserve carries no flags. Its return is the");
			e.line(1, " * preserve's below (docs/assumptions.md). */");
			e.line(1, fmt::format("struct iommu_device_lu_set_flags {}f = {{", v));
			e.line(2, fmt::format(".size = sizeof({}f),", v));
			e.line(2, fmt::format(".dev_id = dev_id[{}],", s.dev));
			if (s.flags == lu::IOMMU_LU_FLAG_IGNORE_PASID)
				e.line(2, ".flags = IOMMU_LU_FLAG_IGNORE_PASID,");
			else
				e.line(2, fmt::format(".flags = {:#x},", s.flags));
			e.line(1, "};");
			e.line(1, fmt::format("ioctl(iommufd, IOMMU_DEVICE_LU_SET_FLAGS, &{}f);", v));
		}
		e.line(1, fmt::format("struct liveupdate_session_preserve_fd {} = {{", v));
		e.line(2, fmt::format(".size = sizeof({}),", v));
		e.line(2, dev ? fmt::format(".fd = cdev_fd[{}],", s.dev) : std::string(".fd = iommufd,"));
		e.line(2, fmt::format(".token = {},", s.token));
		e.line(1, "};");
		e.line(1, expect(ws.ret, fmt::format("ioctl(session_fd,\n{0}{0}LIVEUPDATE_SESSION_PRESERVE_FD, &{1})",
						     e.i, v)));
		return;
	}
	case lu::op::unpreserve_device:
	case lu::op::unpreserve_iommufd: {
		const std::string what =
			s.op == lu::op::unpreserve_device ? fmt::format("cdev_fd[{}]", s.dev) : std::string("iommufd");
		e.line(1, "/* HYPOTHETICAL: LUO unpreserves files only when the");
		e.line(1, " * session fd is closed; this is that file's");
		e.line(1, " * .unpreserve() on its own. */");
		e.line(1, expect(ws.ret, fmt::format("session_unpreserve({}, {})", "session_fd", what)));
		return;
	}
	case lu::op::kexec:
		e.line(1, "/* liveupdate_reboot(): freeze, serialize, kexec */");
		e.line(1, expect(ws.ret, "kexec_into_new_kernel()"));
		e.line(0, "");
		e.line(1, "/* ---- new kernel: restore from the hand-over image;");
		e.line(1, " * LIVEUPDATE_IOCTL_RETRIEVE_SESSION, then");
		e.line(1, " * LIVEUPDATE_SESSION_RETRIEVE_FD of each cdev ---- */");
		return;
	case lu::op::dma:
		e.line(1, "/* HYPOTHETICAL helper: a mock device's DMA */");
		e.line(1, ws.ret == 0 ? fmt::format("ASSERT_TRUE(dma_translates(dev_id[{}], {}));", s.dev, s.pasid)
				      : fmt::format("ASSERT_FALSE(dma_translates(dev_id[{}], {}));", s.dev, s.pasid));
		return;
	}
}

} // namespace

std::string uapi_selftest(const lu::model::result &r, const std::string &indent)
{
	if (!r.witness)
		return {};
	const auto &w = *r.witness;
	const auto &pi = lu::model::info(r.property);
	emitter e{indent, {}};
	e.line(0, fmt::format("/* iommufd-lu: {} {}: {}", lu::name(r.variant), pi.name,
			      r.verdict == lu::model::verdict::counterexample ? "counterexample" : "witness"));
	e.line(0, fmt::format(" * code {}, policy {}, freeze {}, vfio_gate {}, depth {}.", lu::name(r.variant.version),
			      lu::name(r.variant.policy), lu::name(r.variant.freeze), lu::name(r.variant.vfio_gate),
			      r.bounds.depth));
	e.line(0, " * Generated from the decoded trace; calls marked");
	e.line(0, " * HYPOTHETICAL have no kernel uAPI. */");
	e.line(0, fmt::format("TEST_F(iommufd_liveupdate, {})", test_name(r)));
	e.line(0, "{");
	emit_config(e, w.config);
	for (std::size_t n = 0; n < w.trace.size(); ++n) {
		e.line(0, "");
		emit_step(e, n + 1, w.trace[n], w.other_variant);
	}
	const bool kexeced = std::any_of(w.trace.begin(), w.trace.end(),
					 [](const auto &s) { return s.step.op == lu::op::kexec && s.ret == 0; });
	if (kexeced && !w.at_kexec.empty()) {
		e.line(0, "");
		e.line(1, "/* What the VMM expects: every attachment it had at");
		e.line(1, " * kexec still translates. */");
		for (const auto &a : w.at_kexec) {
			const bool kept = std::any_of(w.restored.begin(), w.restored.end(), [&](const lu::attachment &b) {
				return b.dev == a.dev && b.pasid == a.pasid;
			});
			const bool lost = std::any_of(w.lost.begin(), w.lost.end(), [&](const lu::model::lost_pair &l) {
				return l.dev == a.dev && l.pasid == a.pasid;
			});
			if (kept && !lost)
				e.line(1, fmt::format("ASSERT_TRUE(dma_translates(dev_id[{}], {}));", a.dev, a.pasid));
			else
				e.line(1, fmt::format("ASSERT_TRUE(dma_translates(dev_id[{}], {})); /* FAILS: lost */", a.dev,
						      a.pasid));
		}
	}
	e.line(0, "}");
	return e.out;
}

} // namespace lu::verify
