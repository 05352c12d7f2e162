// SPDX-License-Identifier: GPL-2.0
// A witness as the ioctls a VMM would issue (lu/verify/uapi.h).
//
// Conventions in this file: d = device index, h = hwpt index, n = step
// number (from 1); the C names its handles as the fixture's fields
// self->iommufd, self->session_fd, self->cdev_fd[d], self->dev_id[d],
// self->hwpt_id[h], with the model's indices, so that a comment "dev 1" is
// cdev_fd[1]. The shape is the series' own
// tools/testing/selftests/iommu/iommufd_liveupdate_kexec_test.c
// (SERIES.md 11): stage 1 before kexec, stage 2 after.
#include "lu/verify/uapi.h"

#include "lu/verify/report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <optional>
#include <set>

namespace lu::verify {

std::string errno_macro(int ret)
{
	const std::string n = errno_name(ret); // "-EINVAL", or a number
	return n.starts_with("-E") ? n.substr(1) : std::to_string(-ret);
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

// The LUO session of the test: at most 63 characters and a NUL.
std::string session_name(const lu::model::result &r)
{
	std::string n = fmt::format("iommufd-lu-{}-{}", lu::name(r.variant), lu::model::info(r.property).name);
	if (n.size() > 63)
		n.resize(63);
	return n;
}

struct emitter {
	const std::string &i;
	std::string out;
	// Every line of @s (split at '\n') at @level; a continuation line
	// carries its own extra indentation (written with cont()).
	void line(int level, const std::string &s)
	{
		std::size_t pos = 0;
		for (;;) {
			const std::size_t nl = s.find('\n', pos);
			const std::string part = s.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
			if (!part.empty())
				for (int k = 0; k < level; ++k)
					out += i;
			out += part;
			out += '\n';
			if (nl == std::string::npos)
				break;
			pos = nl + 1;
		}
	}
	// A continuation: a line break and two more levels.
	std::string cont() const { return "\n" + i + i; }
};

// What the witness uses: the file declares and opens only these.
struct plan {
	std::set<std::uint32_t> devs;  // bound devices: the trace's, their group mates
	std::set<std::uint32_t> hwpts; // allocated hwpts: the trace's, their parents
	std::size_t ndevs = 0, nhwpts = 0; // array sizes (largest index + 1)
	std::optional<std::size_t> kexec; // index of the kexec step
	std::map<std::uint32_t, std::uint64_t> kept; // dev -> token, preserved at kexec
	std::optional<std::uint64_t> iommufd_token;  // preserved at kexec
	bool pasid = false, attach = false, detach = false, mark = false, set_flags = false;
	bool unpreserve = false, errors = false, dma = false, nested = false;
	bool sealed = false, unsealed = false, pasid_compat = false;
	bool new_kernel = false, finish = false; // the trace's own operations of the new kernel
	std::uint64_t memfd_token = 0; // first token of the memfds, above every token of the trace
};

bool in_config(const lu::config &c, std::uint32_t d) { return d < c.devices.size(); }

plan plan_of(const lu::model::witness &w)
{
	plan p;
	const auto &c = w.config;
	std::uint64_t max_token = 0;
	auto use_hwpt = [&](std::uint32_t h) {
		p.hwpts.insert(h);
		if (h < c.hwpts.size() && c.hwpts[h].kind == lu::hwpt_kind::nested)
			p.hwpts.insert(c.hwpts[h].parent);
	};
	for (std::size_t n = 0; n < w.trace.size(); ++n) {
		const auto &ws = w.trace[n];
		const auto &s = ws.step;
		max_token = std::max(max_token, s.token);
		if (ws.ret != 0)
			p.errors = true;
		const bool after = p.kexec.has_value();
		switch (s.op) {
		case lu::op::mark_preserve:
			p.mark = !after || p.mark;
			use_hwpt(s.hwpt);
			break;
		case lu::op::attach:
		case lu::op::replace:
			p.devs.insert(s.dev);
			use_hwpt(s.hwpt);
			p.attach = !after || p.attach;
			p.pasid = p.pasid || (!after && s.pasid != 0);
			break;
		case lu::op::detach:
			p.devs.insert(s.dev);
			p.detach = !after || p.detach;
			p.pasid = p.pasid || (!after && s.pasid != 0);
			break;
		case lu::op::preserve_device:
			p.devs.insert(s.dev);
			p.set_flags = p.set_flags || (!after && s.flags != 0);
			if (!after && ws.ret == 0)
				p.kept[s.dev] = s.token;
			break;
		case lu::op::unpreserve_device:
			p.devs.insert(s.dev);
			p.unpreserve = p.unpreserve || !after;
			if (!after && ws.ret == 0)
				p.kept.erase(s.dev);
			break;
		case lu::op::preserve_iommufd:
			if (!after && ws.ret == 0)
				p.iommufd_token = s.token;
			break;
		case lu::op::unpreserve_iommufd:
			p.unpreserve = p.unpreserve || !after;
			if (!after && ws.ret == 0)
				p.iommufd_token.reset();
			break;
		case lu::op::dma:
			p.devs.insert(s.dev);
			p.dma = true;
			break;
		case lu::op::kexec:
			if (!after)
				p.kexec = n;
			break;
		case lu::op::open_device:
		case lu::op::bind_device:
			p.devs.insert(s.dev);
			[[fallthrough]];
		case lu::op::retrieve:
		case lu::op::finish:
			p.new_kernel = p.new_kernel || after;
			p.finish = p.finish || (after && s.op == lu::op::finish);
			break;
		}
	}
	if (p.kexec)
		for (const auto &a : w.at_kexec) {
			p.devs.insert(a.dev);
			p.dma = true;
		}
	// A hwpt is allocated for a device: bind one even if the trace names none.
	if (!p.hwpts.empty() && p.devs.empty() && !c.devices.empty())
		p.devs.insert(0);
	// Group mates share pasid_attach: they are part of the configuration.
	for (auto d : std::set<std::uint32_t>(p.devs))
		if (in_config(c, d))
			for (std::uint32_t o = 0; o < c.devices.size(); ++o)
				if (c.devices[o].group == c.devices[d].group)
					p.devs.insert(o);
	for (auto h : p.hwpts)
		if (h < c.hwpts.size()) {
			const auto &hc = c.hwpts[h];
			p.nested = p.nested || hc.kind == lu::hwpt_kind::nested;
			p.pasid_compat = p.pasid_compat || hc.pasid_compat;
			if (hc.kind == lu::hwpt_kind::paging) {
				p.sealed = p.sealed || hc.sealed;
				p.unsealed = p.unsealed || !hc.sealed;
			}
		}
	p.ndevs = p.devs.empty() ? 0 : *p.devs.rbegin() + 1;
	p.nhwpts = p.hwpts.empty() ? 0 : *p.hwpts.rbegin() + 1;
	p.memfd_token = std::max<std::uint64_t>(0x890123, max_token + 1); // MEMFD_TOKEN of the series' test
	return p;
}

// The bound device a hwpt is allocated for (IOMMU_HWPT_ALLOC's dev_id).
std::uint32_t alloc_dev(const plan &p, const lu::config &c)
{
	for (auto d : p.devs)
		if (in_config(c, d))
			return d;
	return 0;
}

void emit_hwpts(emitter &e, int l, const lu::config &c, const plan &p)
{
	std::set<std::uint32_t> parents;
	for (auto h : p.hwpts)
		if (h < c.hwpts.size() && c.hwpts[h].kind == lu::hwpt_kind::nested)
			parents.insert(c.hwpts[h].parent);
	const std::uint32_t ad = alloc_dev(p, c);
	std::uint64_t memfd_token = p.memfd_token;
	// Paging hwpts first: a nested one needs its parent's id.
	for (int pass = 0; pass < 2; ++pass)
		for (auto h : p.hwpts) {
			if (h >= c.hwpts.size()) {
				if (pass == 0)
					e.line(l, fmt::format("/* hwpt {}: not in the configuration */", h));
				continue;
			}
			const auto &hc = c.hwpts[h];
			const bool paging = hc.kind == lu::hwpt_kind::paging;
			if (paging != (pass == 0))
				continue;
			const std::string a = fmt::format("alloc_{}", h);
			if (paging && hc.sealed) {
				e.line(l, fmt::format("/* hwpt {}: paging over its own IOAS, which maps a", h));
				e.line(l, " * sealed memfd (F_SEAL_SEAL|GROW|SHRINK), preserved");
				e.line(l, " * first as in the series' selftest (SERIES.md 5) */");
			} else if (paging) {
				e.line(l, fmt::format("/* hwpt {}: paging over its own IOAS, which maps", h));
				e.line(l, " * anonymous memory (not file-backed and sealed) */");
			} else {
				e.line(l, fmt::format("/* hwpt {}: nested over hwpt {} (the mock iommu's", h, hc.parent));
				e.line(l, " * IOMMU_HWPT_DATA_SELFTEST) */");
			}
			if (paging) {
				e.line(l, fmt::format("struct iommu_ioas_alloc ioas_{} = {{", h));
				e.line(l + 1, fmt::format(".size = sizeof(ioas_{}),", h));
				e.line(l, "};");
				e.line(l, fmt::format("ASSERT_EQ(0, ioctl(self->iommufd, IOMMU_IOAS_ALLOC, &ioas_{}));", h));
			}
			if (paging && hc.sealed) {
				e.line(l, fmt::format("self->memfd[{0}] = memfd_create(\"iommufd-lu-{0}\",", h));
				e.line(l + 2, "MFD_ALLOW_SEALING);");
				e.line(l, fmt::format("ASSERT_LE(0, self->memfd[{}]);", h));
				e.line(l, fmt::format("ASSERT_EQ(0, ftruncate(self->memfd[{}], LU_MAP_SIZE));", h));
				e.line(l, fmt::format("ASSERT_EQ(0, fcntl(self->memfd[{}], F_ADD_SEALS,", h));
				e.line(l + 2, "F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL));");
				e.line(l, fmt::format("struct iommu_ioas_map_file map_{} = {{", h));
				e.line(l + 1, fmt::format(".size = sizeof(map_{}),", h));
				e.line(l + 1, ".flags = IOMMU_IOAS_MAP_FIXED_IOVA |");
				e.line(l + 2, "IOMMU_IOAS_MAP_WRITEABLE | IOMMU_IOAS_MAP_READABLE,");
				e.line(l + 1, fmt::format(".ioas_id = ioas_{}.out_ioas_id,", h));
				e.line(l + 1, fmt::format(".fd = self->memfd[{}],", h));
				e.line(l + 1, ".length = LU_MAP_SIZE,");
				e.line(l + 1, ".iova = LU_MAP_IOVA,");
				e.line(l, "};");
				e.line(l, fmt::format("ASSERT_EQ(0, ioctl(self->iommufd, IOMMU_IOAS_MAP_FILE,{}&map_{}));",
						      e.cont(), h));
				e.line(l, fmt::format("struct liveupdate_session_preserve_fd keep_{} = {{", h));
				e.line(l + 1, fmt::format(".size = sizeof(keep_{}),", h));
				e.line(l + 1, fmt::format(".fd = self->memfd[{}],", h));
				e.line(l + 1, fmt::format(".token = {:#x},", memfd_token++));
				e.line(l, "};");
				e.line(l, fmt::format("ASSERT_EQ(0, ioctl(self->session_fd,{}LIVEUPDATE_SESSION_PRESERVE_FD, &keep_{}));",
						      e.cont(), h));
			} else if (paging) {
				e.line(l, fmt::format("void *buf_{} = mmap(NULL, LU_MAP_SIZE, PROT_READ | PROT_WRITE,", h));
				e.line(l + 2, "MAP_SHARED | MAP_ANONYMOUS, -1, 0);");
				e.line(l, fmt::format("ASSERT_NE(MAP_FAILED, buf_{});", h));
				e.line(l, fmt::format("struct iommu_ioas_map map_{} = {{", h));
				e.line(l + 1, fmt::format(".size = sizeof(map_{}),", h));
				e.line(l + 1, ".flags = IOMMU_IOAS_MAP_FIXED_IOVA |");
				e.line(l + 2, "IOMMU_IOAS_MAP_WRITEABLE | IOMMU_IOAS_MAP_READABLE,");
				e.line(l + 1, fmt::format(".ioas_id = ioas_{}.out_ioas_id,", h));
				e.line(l + 1, fmt::format(".user_va = (uintptr_t)buf_{},", h));
				e.line(l + 1, ".length = LU_MAP_SIZE,");
				e.line(l + 1, ".iova = LU_MAP_IOVA,");
				e.line(l, "};");
				e.line(l, fmt::format("ASSERT_EQ(0, ioctl(self->iommufd, IOMMU_IOAS_MAP, &map_{}));", h));
			} else {
				e.line(l, fmt::format("struct iommu_hwpt_selftest data_{} = {{", h));
				e.line(l + 1, ".iotlb = IOMMU_TEST_IOTLB_DEFAULT,");
				e.line(l, "};");
			}
			std::vector<std::string> flags;
			if (hc.pasid_compat)
				flags.emplace_back("IOMMU_HWPT_ALLOC_PASID");
			if (paging && parents.count(h))
				flags.emplace_back("IOMMU_HWPT_ALLOC_NEST_PARENT");
			e.line(l, fmt::format("struct iommu_hwpt_alloc {} = {{", a));
			e.line(l + 1, fmt::format(".size = sizeof({}),", a));
			if (flags.size() == 2) {
				e.line(l + 1, fmt::format(".flags = {} |", flags[0]));
				e.line(l + 2, fmt::format("{},", flags[1]));
			} else if (flags.size() == 1) {
				e.line(l + 1, fmt::format(".flags = {},", flags[0]));
			}
			if (p.devs.empty())
				e.line(l + 1, ".dev_id = 0, /* no device in the configuration */");
			else
				e.line(l + 1, fmt::format(".dev_id = self->dev_id[{}],", ad));
			if (paging) {
				e.line(l + 1, fmt::format(".pt_id = ioas_{}.out_ioas_id,", h));
			} else {
				e.line(l + 1, fmt::format(".pt_id = self->hwpt_id[{}],", hc.parent));
				e.line(l + 1, ".data_type = IOMMU_HWPT_DATA_SELFTEST,");
				e.line(l + 1, fmt::format(".data_len = sizeof(data_{}),", h));
				e.line(l + 1, fmt::format(".data_uptr = (uintptr_t)&data_{},", h));
			}
			e.line(l, "};");
			e.line(l, fmt::format("ASSERT_EQ(0, ioctl(self->iommufd, IOMMU_HWPT_ALLOC, &{}));", a));
			e.line(l, fmt::format("self->hwpt_id[{}] = {}.out_hwpt_id;", h, a));
		}
}

std::string step_head(std::size_t n, const lu::model::witness_step &ws, const std::string &other)
{
	std::string head = fmt::format("/* {}. {}", n, step_text(ws.step));
	if (ws.ret_other)
		head += fmt::format(", under {}: {}", other.empty() ? "the other" : other,
				    *ws.ret_other == 0 ? std::string("0") : fmt::format("-{}", errno_macro(*ws.ret_other)));
	return head + " */";
}

// One step of stage 1 (before kexec) at level l.
void emit_step(emitter &e, int l, std::size_t n, const lu::model::witness_step &ws, const std::string &other)
{
	const auto &s = ws.step;
	const std::string v = fmt::format("cmd_{}", n);
	e.line(l, step_head(n, ws, other));

	switch (s.op) {
	case lu::op::mark_preserve:
		e.line(l, fmt::format("struct iommu_hwpt_liveupdate_mark_preserve {} = {{", v));
		e.line(l + 1, fmt::format(".size = sizeof({}),", v));
		e.line(l + 1, fmt::format(".hwpt_id = self->hwpt_id[{}],", s.hwpt));
		e.line(l + 1, fmt::format(".hwpt_token = {},", s.token));
		e.line(l, "};");
		e.line(l, expect(ws.ret, fmt::format("ioctl(self->iommufd,{}IOMMU_HWPT_LIVEUPDATE_MARK_PRESERVE, &{})",
						     e.cont(), v)));
		return;
	case lu::op::attach:
	case lu::op::replace:
		if (s.op == lu::op::replace)
			e.line(l, "/* vfio: attach on an attached PASID replaces */");
		e.line(l, fmt::format("struct vfio_device_attach_iommufd_pt {} = {{", v));
		e.line(l + 1, fmt::format(".argsz = sizeof({}),", v));
		if (s.pasid != 0)
			e.line(l + 1, ".flags = VFIO_DEVICE_ATTACH_PASID,");
		e.line(l + 1, fmt::format(".pt_id = self->hwpt_id[{}],", s.hwpt));
		if (s.pasid != 0)
			e.line(l + 1, fmt::format(".pasid = {},", s.pasid));
		e.line(l, "};");
		e.line(l, expect(ws.ret, fmt::format("ioctl(self->cdev_fd[{}],{}VFIO_DEVICE_ATTACH_IOMMUFD_PT, &{})",
						     s.dev, e.cont(), v)));
		return;
	case lu::op::detach:
		e.line(l, fmt::format("struct vfio_device_detach_iommufd_pt {} = {{", v));
		e.line(l + 1, fmt::format(".argsz = sizeof({}),", v));
		if (s.pasid != 0) {
			e.line(l + 1, ".flags = VFIO_DEVICE_DETACH_PASID,");
			e.line(l + 1, fmt::format(".pasid = {},", s.pasid));
		}
		e.line(l, "};");
		e.line(l, expect(ws.ret, fmt::format("ioctl(self->cdev_fd[{}],{}VFIO_DEVICE_DETACH_IOMMUFD_PT, &{})",
						     s.dev, e.cont(), v)));
		return;
	case lu::op::preserve_iommufd:
	case lu::op::preserve_device: {
		const bool dev = s.op == lu::op::preserve_device;
		if (dev && s.flags != 0) {
			e.line(l, "/* HYPOTHETICAL: no kernel has this ioctl; LUO's");
			e.line(l, " * preserve carries no flags. Its return is the");
			e.line(l, " * preserve's below (docs/assumptions.md). */");
			e.line(l, fmt::format("struct iommu_device_lu_set_flags {}f = {{", v));
			e.line(l + 1, fmt::format(".size = sizeof({}f),", v));
			e.line(l + 1, fmt::format(".dev_id = self->dev_id[{}],", s.dev));
			if (s.flags == lu::IOMMU_LU_FLAG_IGNORE_PASID)
				e.line(l + 1, ".flags = IOMMU_LU_FLAG_IGNORE_PASID,");
			else
				e.line(l + 1, fmt::format(".flags = {:#x},", s.flags));
			e.line(l, "};");
			e.line(l, fmt::format("(void)ioctl(self->iommufd, IOMMU_DEVICE_LU_SET_FLAGS, &{}f);", v));
		}
		e.line(l, fmt::format("struct liveupdate_session_preserve_fd {} = {{", v));
		e.line(l + 1, fmt::format(".size = sizeof({}),", v));
		e.line(l + 1, dev ? fmt::format(".fd = self->cdev_fd[{}],", s.dev) : std::string(".fd = self->iommufd,"));
		e.line(l + 1, fmt::format(".token = {},", s.token));
		e.line(l, "};");
		e.line(l, expect(ws.ret, fmt::format("ioctl(self->session_fd,{}LIVEUPDATE_SESSION_PRESERVE_FD, &{})",
						     e.cont(), v)));
		return;
	}
	case lu::op::unpreserve_device:
	case lu::op::unpreserve_iommufd: {
		const std::string what = s.op == lu::op::unpreserve_device ? fmt::format("self->cdev_fd[{}]", s.dev)
									   : std::string("self->iommufd");
		e.line(l, "/* HYPOTHETICAL: LUO unpreserves files only when the");
		e.line(l, " * session fd is closed; this is that file's");
		e.line(l, " * .unpreserve() on its own. */");
		e.line(l, expect(ws.ret, fmt::format("session_unpreserve(self->session_fd,{}{})", e.cont(), what)));
		return;
	}
	case lu::op::kexec:
		return; // the end of stage 1, written by the caller
	case lu::op::dma:
		e.line(l, fmt::format("EXPECT_DMA({}, self->cdev_fd[{}], {});", ws.ret == 0 ? 1 : 0, s.dev, s.pasid));
		return;
	case lu::op::retrieve:
	case lu::op::open_device:
	case lu::op::bind_device:
	case lu::op::finish:
		e.line(l, fmt::format("/* the model: -{} (no incoming session before", errno_macro(ws.ret)));
		e.line(l, " * kexec); not issued */");
		return;
	}
}

// A step of the new kernel (stage 2) at level l: the selftests' calls.
void emit_new_kernel_step(emitter &e, int l, std::size_t n, const lu::model::witness_step &ws, const plan &p,
			  bool &iommufd_opened)
{
	const auto &s = ws.step;
	const std::string v = fmt::format("cmd_{}", n);
	switch (s.op) {
	case lu::op::retrieve: {
		e.line(l, fmt::format("struct liveupdate_session_retrieve_fd {} = {{", v));
		e.line(l + 1, fmt::format(".size = sizeof({}),", v));
		e.line(l + 1, fmt::format(".token = {},", s.token));
		e.line(l, "};");
		e.line(l, expect(ws.ret, fmt::format("ioctl(self->session_fd,{}LIVEUPDATE_SESSION_RETRIEVE_FD, &{})",
						     e.cont(), v)));
		for (const auto &[d, token] : p.kept)
			if (ws.ret == 0 && token == s.token)
				e.line(l, fmt::format("self->cdev_fd[{}] = {}.fd;", d, v));
		return;
	}
	case lu::op::open_device: {
		const std::string call = fmt::format("open(getenv(\"LU_VFIO_CDEV{}\"), O_RDWR)", s.dev);
		if (ws.ret == 0) {
			e.line(l, fmt::format("self->cdev_fd[{}] = {};", s.dev, call));
			e.line(l, fmt::format("ASSERT_LE(0, self->cdev_fd[{}]);", s.dev));
		} else {
			e.line(l, fmt::format("EXPECT_ERRNO({}, {});", errno_macro(ws.ret), call));
		}
		return;
	}
	case lu::op::bind_device:
		if (!iommufd_opened) {
			e.line(l, "self->iommufd = open(\"/dev/iommu\", O_RDWR); /* a new iommufd */");
			e.line(l, "ASSERT_LE(0, self->iommufd);");
			iommufd_opened = true;
		}
		e.line(l, fmt::format("struct vfio_device_bind_iommufd {} = {{", v));
		e.line(l + 1, fmt::format(".argsz = sizeof({}),", v));
		e.line(l + 1, ".iommufd = self->iommufd,");
		e.line(l, "};");
		e.line(l, expect(ws.ret, fmt::format("ioctl(self->cdev_fd[{}],{}VFIO_DEVICE_BIND_IOMMUFD, &{})", s.dev,
						     e.cont(), v)));
		return;
	case lu::op::finish:
		e.line(l, fmt::format("struct liveupdate_session_finish {} = {{ .size = sizeof({}) }};", v, v));
		e.line(l, expect(ws.ret, fmt::format("ioctl(self->session_fd,{}LIVEUPDATE_SESSION_FINISH, &{})", e.cont(), v)));
		return;
	default: return;
	}
}

bool has_pair(const std::vector<lu::attachment> &v, std::uint32_t d, std::uint32_t p)
{
	return std::any_of(v.begin(), v.end(), [&](const lu::attachment &b) { return b.dev == d && b.pasid == p; });
}

// Stage 2 at level 1: retrieve the session's cdevs, the steps after kexec,
// what the VMM expects of every attachment it had at kexec.
void emit_stage2(emitter &e, const lu::model::witness &w, const plan &p)
{
	const int l = 1;
	e.line(l, "/* ---- stage 2, after kexec: the new kernel restored");
	e.line(l, " * from the hand-over image alone ---- */");
	// The VMM retrieves what it preserved, unless the trace says itself
	// what the new kernel is asked.
	for (const auto &[d, token] : p.new_kernel ? std::map<std::uint32_t, std::uint64_t>{} : p.kept) {
		e.line(l, fmt::format("/* dev {} was preserved with token {}: retrieve it */", d, token));
		e.line(l, fmt::format("struct liveupdate_session_retrieve_fd get_{} = {{", d));
		e.line(l + 1, fmt::format(".size = sizeof(get_{}),", d));
		e.line(l + 1, fmt::format(".token = {},", token));
		e.line(l, "};");
		e.line(l, fmt::format("ASSERT_EQ(0, ioctl(self->session_fd,{}LIVEUPDATE_SESSION_RETRIEVE_FD, &get_{}));",
				      e.cont(), d));
		e.line(l, fmt::format("self->cdev_fd[{0}] = get_{0}.fd;", d));
	}
	if (p.iommufd_token && !p.new_kernel) {
		e.line(l, fmt::format("/* The iommufd (token {}) is restored with them; the", *p.iommufd_token));
		e.line(l, " * series does not let it be retrieved yet (SERIES.md 11,");
		e.line(l, " * step 16). */");
	}
	bool iommufd_opened = false;
	for (std::size_t n = *p.kexec + 1; n < w.trace.size(); ++n) {
		const auto &ws = w.trace[n];
		e.line(0, "");
		e.line(l, step_head(n + 1, ws, w.other_variant));
		if (lu::new_kernel_op(ws.step.op)) {
			emit_new_kernel_step(e, l, n + 1, ws, p, iommufd_opened);
		} else if (ws.step.op == lu::op::dma) {
			e.line(l, fmt::format("EXPECT_DMA({}, self->cdev_fd[{}], {});", ws.ret == 0 ? 1 : 0, ws.step.dev,
					      ws.step.pasid));
		} else {
			// fmt, not "-" + std::string: GCC 12's -Wrestrict misfires on that at -O2
			e.line(l, fmt::format("/* the model: {}{} (the old kernel's objects are", ws.ret == 0 ? "" : "-",
					      ws.ret == 0 ? std::string("0") : errno_macro(ws.ret)));
			e.line(l, " * gone); not issued */");
		}
	}
	if (w.at_kexec.empty() && w.restored.empty())
		return;
	e.line(0, "");
	e.line(l, "/* What the VMM expects: every attachment a preserved");
	e.line(l, " * device had at kexec still translates. */");
	for (const auto &a : w.at_kexec) {
		if (!p.kept.count(a.dev)) {
			e.line(l, fmt::format("/* dev {} was not preserved: nobody asked to keep", a.dev));
			e.line(l, fmt::format(" * its pasid {} */", a.pasid));
			continue;
		}
		const bool lost = !has_pair(w.restored, a.dev, a.pasid) ||
				  std::any_of(w.lost.begin(), w.lost.end(), [&](const lu::model::lost_pair &x) {
					  return x.dev == a.dev && x.pasid == a.pasid;
				  });
		e.line(l, fmt::format("EXPECT_DMA(1, self->cdev_fd[{}], {});{}", a.dev, a.pasid,
				      lost ? " /* FAILS: lost */" : ""));
	}
	for (const auto &b : w.restored)
		if (!has_pair(w.at_kexec, b.dev, b.pasid) && p.kept.count(b.dev))
			e.line(l, fmt::format("EXPECT_DMA(0, self->cdev_fd[{}], {}); /* FAILS: never attached */",
					      b.dev, b.pasid));
}

void emit_test(emitter &e, const lu::model::result &r, const plan &p)
{
	const auto &w = *r.witness;
	const auto &pi = lu::model::info(r.property);
	e.line(0, fmt::format("/* iommufd-lu: {} {}: {}", lu::name(r.variant), pi.name,
			      r.verdict == lu::model::verdict::counterexample ? "counterexample" : "witness"));
	e.line(0, fmt::format(" * code {}, policy {}, freeze {},", lu::name(r.variant.version),
			      lu::name(r.variant.policy), lu::name(r.variant.freeze)));
	e.line(0, fmt::format(" * vfio_gate {}, depth {}.", lu::name(r.variant.vfio_gate), r.bounds.depth));
	e.line(0, " * Generated from the decoded trace; calls marked");
	e.line(0, " * HYPOTHETICAL have no kernel uAPI. */");
	e.line(0, fmt::format("TEST_F(iommufd_liveupdate, {})", test_name(r)));
	e.line(0, "{");
	const int l = p.kexec ? 2 : 1;
	if (p.kexec) {
		e.line(1, "if (self->stage == 1) {");
		e.line(l, "/* ---- stage 1, before kexec: alloc, mark, attach,");
		e.line(l, " * preserve ---- */");
	}
	emit_hwpts(e, l, w.config, p);
	const std::size_t end = p.kexec ? *p.kexec : w.trace.size();
	for (std::size_t n = 0; n < end; ++n) {
		e.line(0, "");
		emit_step(e, l, n + 1, w.trace[n], w.other_variant);
	}
	if (p.kexec) {
		e.line(0, "");
		e.line(l, step_head(*p.kexec + 1, w.trace[*p.kexec], w.other_variant));
		e.line(l, "/* Every fd stays open in a child until the kexec, as");
		e.line(l, " * the series' daemonize_and_wait(); then, from a");
		e.line(l, " * shell, kexec into the new kernel (LUO freezes,");
		e.line(l, " * serializes and hands over) and run this test again.");
		e.line(l, " * As there, /dev/liveupdate is closed first. */");
		e.line(l, "close(self->luo_fd);");
		e.line(l, "self->luo_fd = -1;");
		e.line(l, "lu_daemonize_and_wait();");
		e.line(l, "TH_LOG(\"stage 1 done: kexec, then run again for stage 2\");");
		e.line(l, "return;");
		e.line(1, "}");
		e.line(0, "");
		emit_stage2(e, w, p);
	}
	e.line(0, "}");
}

// ---- the whole file ----

void emit_preamble(emitter &e, const lu::model::result &r, const plan &p)
{
	const auto &pi = lu::model::info(r.property);
	e.line(0, "// SPDX-License-Identifier: GPL-2.0-only");
	e.line(0, "/*");
	e.line(0, fmt::format(" * iommufd-lu reproducer: {} {}: {}", lu::name(r.variant), pi.name,
			      r.verdict == lu::model::verdict::counterexample ? "counterexample" : "witness"));
	e.line(0, fmt::format(" * {}", pi.message));
	e.line(0, " *");
	e.line(0, " * Generated by `iommufd-lu report --format uapi` from the decoded");
	e.line(0, " * witness, in the shape of the series' own selftest");
	e.line(0, " * tools/testing/selftests/iommu/iommufd_liveupdate_kexec_test.c.");
	if (p.kexec) {
		e.line(0, " * The kexec splits it in two stages, one binary for both:");
		e.line(0, " *   stage 1, before kexec: open, alloc, mark, attach, preserve;");
		e.line(0, " *   stage 2, after kexec: retrieve the cdevs, check what survived.");
		e.line(0, " * The fixture is in stage 2 when LIVEUPDATE_IOCTL_RETRIEVE_SESSION");
		e.line(0, " * finds the test's session (LU_SESSION), else in stage 1.");
	}
	e.line(0, " *");
	e.line(0, " * Build: gcc -std=gnu11 -Wall -I tools/testing/selftests \\");
	e.line(0, " *            -o lu_repro this.c");
	std::string env;
	for (auto d : p.devs)
		if (d < r.witness->config.devices.size())
			env += fmt::format("LU_VFIO_CDEV{}=/dev/vfio/devices/vfioN ", d);
	e.line(0, fmt::format(" * Run:   {}./lu_repro", env));
	if (p.kexec)
		e.line(0, " *        kexec into the new kernel, then ./lu_repro again");
	e.line(0, " * Calls marked HYPOTHETICAL have no kernel uAPI.");
	e.line(0, " */");
	e.line(0, "#define _GNU_SOURCE");
	for (const char *h : {"errno.h", "fcntl.h", "stdint.h", "stdio.h", "stdlib.h", "string.h", "sys/ioctl.h"})
		e.line(0, fmt::format("#include <{}>", h));
	if (p.sealed || p.unsealed)
		e.line(0, "#include <sys/mman.h>");
	e.line(0, "#include <unistd.h>");
	e.line(0, "");
	e.line(0, "#include <linux/types.h>");
	e.line(0, "#include <linux/version.h>");
	e.line(0, "#include <linux/vfio.h>");
	e.line(0, "#if __has_include(<linux/iommufd.h>)");
	e.line(0, "#include <linux/iommufd.h>");
	e.line(0, "#endif");
	e.line(0, "#if __has_include(<linux/liveupdate.h>)");
	e.line(0, "#include <linux/liveupdate.h>");
	e.line(0, "#endif");
	e.line(0, "");
	e.line(0, "#include \"kselftest_harness.h\"");
}

void emit_declarations(emitter &e, const plan &p)
{
	if (!p.hwpts.empty() || p.mark || p.set_flags) {
		e.line(0, "");
		e.line(0, "/*");
		e.line(0, " * Not in this machine's headers: <linux/iommufd.h> (mainline 6.2;");
		e.line(0, " * IOMMU_HWPT_ALLOC_PASID 6.13, IOMMU_IOAS_MAP_FILE 6.14), as in the");
		e.line(0, " * series' include/uapi/linux/iommufd.h (SERIES.md 5, pran005@cf6bb4a4).");
		e.line(0, " */");
		e.line(0, "#ifndef IOMMUFD_TYPE");
		e.line(0, "#define IOMMUFD_TYPE (';')");
		e.line(0, "#endif");
	}
	if (!p.hwpts.empty()) {
		e.line(0, "#ifndef IOMMU_HWPT_ALLOC");
		e.line(0, "enum {");
		e.line(1, "IOMMUFD_CMD_IOAS_ALLOC = 0x81,");
		if (p.unsealed)
			e.line(1, "IOMMUFD_CMD_IOAS_MAP = 0x85,");
		e.line(1, "IOMMUFD_CMD_HWPT_ALLOC = 0x89,");
		if (p.sealed)
			e.line(1, "IOMMUFD_CMD_IOAS_MAP_FILE = 0x8f,");
		e.line(0, "};");
		e.line(0, "enum iommufd_ioas_map_flags {");
		e.line(1, "IOMMU_IOAS_MAP_FIXED_IOVA = 1 << 0,");
		e.line(1, "IOMMU_IOAS_MAP_WRITEABLE = 1 << 1,");
		e.line(1, "IOMMU_IOAS_MAP_READABLE = 1 << 2,");
		e.line(0, "};");
		e.line(0, "enum iommufd_hwpt_alloc_flags {");
		e.line(1, "IOMMU_HWPT_ALLOC_NEST_PARENT = 1 << 0,");
		e.line(1, "IOMMU_HWPT_ALLOC_DIRTY_TRACKING = 1 << 1,");
		e.line(1, "IOMMU_HWPT_FAULT_ID_VALID = 1 << 2,");
		e.line(1, "IOMMU_HWPT_ALLOC_PASID = 1 << 3,");
		e.line(0, "};");
		e.line(0, "struct iommu_ioas_alloc {");
		e.line(1, "__u32 size;");
		e.line(1, "__u32 flags;");
		e.line(1, "__u32 out_ioas_id;");
		e.line(0, "};");
		e.line(0, "#define IOMMU_IOAS_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_ALLOC)");
		if (p.unsealed) {
			e.line(0, "struct iommu_ioas_map {");
			for (const char *f : {"__u32 size;", "__u32 flags;", "__u32 ioas_id;", "__u32 __reserved;",
					      "__aligned_u64 user_va;", "__aligned_u64 length;", "__aligned_u64 iova;"})
				e.line(1, f);
			e.line(0, "};");
			e.line(0, "#define IOMMU_IOAS_MAP _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_MAP)");
		}
		if (p.sealed) {
			e.line(0, "struct iommu_ioas_map_file {");
			for (const char *f : {"__u32 size;", "__u32 flags;", "__u32 ioas_id;", "__s32 fd;",
					      "__aligned_u64 start;", "__aligned_u64 length;", "__aligned_u64 iova;"})
				e.line(1, f);
			e.line(0, "};");
			e.line(0, "#define IOMMU_IOAS_MAP_FILE _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_MAP_FILE)");
		}
		e.line(0, "struct iommu_hwpt_alloc {");
		for (const char *f : {"__u32 size;", "__u32 flags;", "__u32 dev_id;", "__u32 pt_id;", "__u32 out_hwpt_id;",
				      "__u32 __reserved;", "__u32 data_type;", "__u32 data_len;", "__aligned_u64 data_uptr;",
				      "__u32 fault_id;", "__u32 __reserved2;"})
			e.line(1, f);
		e.line(0, "};");
		e.line(0, "#define IOMMU_HWPT_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_HWPT_ALLOC)");
		if (p.sealed) {
			e.line(0, "#elif LINUX_VERSION_CODE < KERNEL_VERSION(6, 14, 0)");
			e.line(0, "#error \"<linux/iommufd.h> before 6.14: no IOMMU_IOAS_MAP_FILE; build without it\"");
		} else if (p.pasid_compat) {
			e.line(0, "#elif LINUX_VERSION_CODE < KERNEL_VERSION(6, 13, 0)");
			e.line(0, "#error \"<linux/iommufd.h> before 6.13: no IOMMU_HWPT_ALLOC_PASID; build without it\"");
		}
		e.line(0, "#endif");
	}
	if (p.mark) {
		e.line(0, "");
		e.line(0, "/* Not in this machine's headers: from the series' uAPI (SERIES.md 5;");
		e.line(0, " * DOMAIN.md 1.4: IOMMUFD_CMD_HWPT_LU_MARK_PRESERVE = 0x95) */");
		e.line(0, "#ifndef IOMMU_HWPT_LIVEUPDATE_MARK_PRESERVE");
		e.line(0, "struct iommu_hwpt_liveupdate_mark_preserve {");
		e.line(1, "__u32 size;");
		e.line(1, "__u32 hwpt_id;");
		e.line(1, "__aligned_u64 hwpt_token;");
		e.line(0, "};");
		e.line(0, "#define IOMMU_HWPT_LIVEUPDATE_MARK_PRESERVE _IO(IOMMUFD_TYPE, 0x95)");
		e.line(0, "#endif");
	}
	if (p.nested) {
		e.line(0, "");
		e.line(0, "/* In no uAPI header: the mock iommu's nested data, from");
		e.line(0, " * drivers/iommu/iommufd/iommufd_test.h (CONFIG_IOMMUFD_TEST); on");
		e.line(0, " * hardware use the vendor's (IOMMU_HWPT_DATA_VTD_S1, ...). */");
		e.line(0, "#ifndef IOMMU_HWPT_DATA_SELFTEST");
		e.line(0, "#define IOMMU_HWPT_DATA_SELFTEST 0xdead");
		e.line(0, "#define IOMMU_TEST_IOTLB_DEFAULT 0xbadbeef");
		e.line(0, "struct iommu_hwpt_selftest {");
		e.line(1, "__u32 iotlb;");
		e.line(0, "};");
		e.line(0, "#endif");
	}
	if (!p.devs.empty()) {
		e.line(0, "");
		e.line(0, "/* Not in this machine's headers: the vfio cdev uAPI of <linux/vfio.h>");
		e.line(0, " * (mainline 6.6; PASID 6.13), DOMAIN.md 3 */");
		e.line(0, "#ifndef VFIO_DEVICE_BIND_IOMMUFD");
		e.line(0, "struct vfio_device_bind_iommufd {");
		for (const char *f : {"__u32 argsz;", "__u32 flags;", "__s32 iommufd;", "__u32 out_devid;"})
			e.line(1, f);
		e.line(0, "};");
		e.line(0, "#define VFIO_DEVICE_BIND_IOMMUFD _IO(VFIO_TYPE, VFIO_BASE + 18)");
		e.line(0, "#endif");
		if (p.attach || p.detach) {
			e.line(0, "#ifndef VFIO_DEVICE_ATTACH_IOMMUFD_PT");
			if (p.attach) {
				e.line(0, "struct vfio_device_attach_iommufd_pt {");
				e.line(1, "__u32 argsz;");
				e.line(1, "__u32 flags;");
				e.line(0, "#define VFIO_DEVICE_ATTACH_PASID (1 << 0)");
				e.line(1, "__u32 pt_id;");
				e.line(1, "__u32 pasid;");
				e.line(0, "};");
				e.line(0, "#define VFIO_DEVICE_ATTACH_IOMMUFD_PT _IO(VFIO_TYPE, VFIO_BASE + 19)");
			}
			if (p.detach) {
				e.line(0, "struct vfio_device_detach_iommufd_pt {");
				e.line(1, "__u32 argsz;");
				e.line(1, "__u32 flags;");
				e.line(0, "#define VFIO_DEVICE_DETACH_PASID (1 << 0)");
				e.line(1, "__u32 pasid;");
				e.line(0, "};");
				e.line(0, "#define VFIO_DEVICE_DETACH_IOMMUFD_PT _IO(VFIO_TYPE, VFIO_BASE + 20)");
			}
			if (p.pasid) {
				e.line(0, p.attach ? "#elif !defined(VFIO_DEVICE_ATTACH_PASID)"
						   : "#elif !defined(VFIO_DEVICE_DETACH_PASID)");
				e.line(0, "#error \"<linux/vfio.h> before 6.13: no PASID attach; build without it\"");
			}
			e.line(0, "#endif");
		}
	}
	e.line(0, "");
	e.line(0, "/* Not in this machine's headers: LUO's <linux/liveupdate.h>,");
	e.line(0, " * DOMAIN.md 2 (ioctl type 0xBA; /dev/liveupdate: create 0x00,");
	e.line(0, " * retrieve 0x01; session fd: preserve 0x40, retrieve 0x41,");
	e.line(0, " * finish 0x42) */");
	e.line(0, "#ifndef LIVEUPDATE_IOCTL_TYPE");
	e.line(0, "#define LIVEUPDATE_IOCTL_TYPE 0xBA");
	e.line(0, "#define LIVEUPDATE_SESSION_NAME_LENGTH 64");
	auto session_struct = [&](const char *name) {
		e.line(0, fmt::format("struct {} {{", name));
		e.line(1, "__u32 size;");
		e.line(1, "__s32 fd;");
		e.line(1, "__u8 name[LIVEUPDATE_SESSION_NAME_LENGTH];");
		e.line(0, "};");
	};
	auto fd_struct = [&](const char *name) {
		e.line(0, fmt::format("struct {} {{", name));
		e.line(1, "__u32 size;");
		e.line(1, "__s32 fd;");
		e.line(1, "__aligned_u64 token;");
		e.line(0, "};");
	};
	session_struct("liveupdate_ioctl_create_session");
	e.line(0, "#define LIVEUPDATE_IOCTL_CREATE_SESSION _IO(LIVEUPDATE_IOCTL_TYPE, 0x00)");
	if (p.kexec) {
		session_struct("liveupdate_ioctl_retrieve_session");
		e.line(0, "#define LIVEUPDATE_IOCTL_RETRIEVE_SESSION _IO(LIVEUPDATE_IOCTL_TYPE, 0x01)");
	}
	fd_struct("liveupdate_session_preserve_fd");
	e.line(0, "#define LIVEUPDATE_SESSION_PRESERVE_FD _IO(LIVEUPDATE_IOCTL_TYPE, 0x40)");
	if (p.kexec && (!p.kept.empty() || p.new_kernel)) {
		fd_struct("liveupdate_session_retrieve_fd");
		e.line(0, "#define LIVEUPDATE_SESSION_RETRIEVE_FD _IO(LIVEUPDATE_IOCTL_TYPE, 0x41)");
	}
	if (p.finish) {
		e.line(0, "struct liveupdate_session_finish {");
		e.line(1, "__u32 size;");
		e.line(1, "__u32 reserved;");
		e.line(0, "};");
		e.line(0, "#define LIVEUPDATE_SESSION_FINISH _IO(LIVEUPDATE_IOCTL_TYPE, 0x42)");
	}
	e.line(0, "#endif");

	if (p.errors) {
		e.line(0, "");
		e.line(0, "/* As tools/testing/selftests/iommu/iommufd_utils.h */");
		e.line(0, "#ifndef EXPECT_ERRNO");
		e.line(0, "#define EXPECT_ERRNO(expected_errno, cmd)         \\");
		e.line(1, "({                                        \\");
		e.line(2, "ASSERT_EQ(-1, cmd);               \\");
		e.line(2, "EXPECT_EQ(expected_errno, errno); \\");
		e.line(1, "})");
		e.line(0, "#endif");
	}
	if (p.set_flags) {
		e.line(0, "");
		e.line(0, "/* HYPOTHETICAL: IOMMU_LU_FLAG_IGNORE_PASID was never merged and");
		e.line(0, " * LUO's preserve carries no flags (docs/assumptions.md); this");
		e.line(0, " * ioctl has no number: 0xff gets -ENOTTY from any kernel. */");
		e.line(0, "#define IOMMU_LU_FLAG_IGNORE_PASID (1 << 0)");
		e.line(0, "struct iommu_device_lu_set_flags {");
		e.line(1, "__u32 size;");
		e.line(1, "__u32 dev_id;");
		e.line(1, "__u32 flags;");
		e.line(0, "};");
		e.line(0, "#define IOMMU_DEVICE_LU_SET_FLAGS _IO(IOMMUFD_TYPE, 0xff)");
	}
	if (p.unpreserve) {
		e.line(0, "");
		e.line(0, "/* HYPOTHETICAL: LUO unpreserves a file only when its session fd");
		e.line(0, " * is closed; no ioctl unpreserves one file. Link your own to try");
		e.line(0, " * it; this one fails with ENOTTY. */");
		e.line(0, "__attribute__((weak)) int session_unpreserve(int session_fd, int fd)");
		e.line(0, "{");
		e.line(1, "(void)session_fd;");
		e.line(1, "(void)fd;");
		e.line(1, "errno = ENOTTY;");
		e.line(1, "return -1;");
		e.line(0, "}");
	}
	if (p.dma) {
		e.line(0, "");
		e.line(0, "/* HYPOTHETICAL: no uAPI shows whether a device's DMA through a");
		e.line(0, " * PASID translates. Link a dma_translates() for your device (1:");
		e.line(0, " * translates, 0: faults); the default knows nothing (-1) and");
		e.line(0, " * EXPECT_DMA then only logs. */");
		e.line(0, "__attribute__((weak)) int dma_translates(int cdev_fd, __u32 pasid)");
		e.line(0, "{");
		e.line(1, "(void)cdev_fd;");
		e.line(1, "(void)pasid;");
		e.line(1, "return -1;");
		e.line(0, "}");
		e.line(0, "#define EXPECT_DMA(want, cdev_fd, pasid)                           \\");
		e.line(1, "do {                                                        \\");
		e.line(2, "int _got = dma_translates(cdev_fd, pasid);          \\");
		e.line(2, "if (_got < 0)                                       \\");
		e.line(3, "TH_LOG(\"DMA of pasid %u not checked\", pasid); \\");
		e.line(2, "else                                                \\");
		e.line(3, "EXPECT_EQ(want, _got);                      \\");
		e.line(1, "} while (0)");
	}
	if (p.kexec) {
		e.line(0, "");
		e.line(0, "/* As the series' daemonize_and_wait() (tools/testing/selftests/");
		e.line(0, " * liveupdate/lib): a child keeps every fd, so the session and what");
		e.line(0, " * it preserves, open until the kexec; the test itself goes on. */");
		e.line(0, "static void lu_daemonize_and_wait(void)");
		e.line(0, "{");
		e.line(1, "if (fork() != 0)");
		e.line(2, "return;");
		e.line(1, "setsid();");
		e.line(1, "for (;;)");
		e.line(2, "pause();");
		e.line(0, "}");
	}
	if (p.sealed || p.unsealed) {
		e.line(0, "");
		e.line(0, "/* The mapping of each paging hwpt's IOAS, as the series' test */");
		e.line(0, "#define LU_MAP_SIZE (1UL << 20)");
		e.line(0, "#define LU_MAP_IOVA (1ULL << 32)");
	}
}

void emit_fixture(emitter &e, const lu::model::result &r, const plan &p)
{
	const auto &c = r.witness->config;
	e.line(0, "");
	e.line(0, fmt::format("#define LU_SESSION \"{}\"", session_name(r)));
	e.line(0, "");
	e.line(0, "FIXTURE(iommufd_liveupdate) {");
	e.line(1, "int stage; /* 1: before kexec, 2: after */");
	e.line(1, "int luo_fd;");
	e.line(1, "int session_fd;");
	e.line(1, "int iommufd;");
	if (p.ndevs) {
		e.line(1, fmt::format("int cdev_fd[{}];", p.ndevs));
		e.line(1, fmt::format("__u32 dev_id[{}];", p.ndevs));
	}
	if (p.nhwpts)
		e.line(1, fmt::format("__u32 hwpt_id[{}];", p.nhwpts));
	if (p.sealed)
		e.line(1, fmt::format("int memfd[{}];", p.nhwpts));
	e.line(0, "};");
	e.line(0, "");
	e.line(0, "FIXTURE_SETUP(iommufd_liveupdate)");
	e.line(0, "{");
	if (p.kexec)
		e.line(1, "struct liveupdate_ioctl_retrieve_session found = { .size = sizeof(found) };");
	e.line(1, "struct liveupdate_ioctl_create_session create = { .size = sizeof(create) };");
	if (!p.devs.empty())
		e.line(1, "const char *path;");
	e.line(0, "");
	e.line(1, "self->luo_fd = self->session_fd = self->iommufd = -1;");
	if (p.ndevs)
		e.line(1, "memset(self->cdev_fd, -1, sizeof(self->cdev_fd));");
	if (p.sealed)
		e.line(1, "memset(self->memfd, -1, sizeof(self->memfd));");
	e.line(1, "self->luo_fd = open(\"/dev/liveupdate\", O_RDWR);");
	e.line(1, "if (self->luo_fd < 0)");
	e.line(2, "SKIP(return, \"no /dev/liveupdate (CONFIG_LIVEUPDATE)\");");
	if (p.kexec) {
		e.line(1, "snprintf((char *)found.name, sizeof(found.name), \"%s\", LU_SESSION);");
		e.line(1, "if (!ioctl(self->luo_fd, LIVEUPDATE_IOCTL_RETRIEVE_SESSION, &found)) {");
		e.line(2, "self->stage = 2;");
		e.line(2, "self->session_fd = found.fd;");
		e.line(2, "return;");
		e.line(1, "}");
		e.line(1, "ASSERT_EQ(ENOENT, errno);");
	}
	e.line(1, "self->stage = 1;");
	e.line(1, "snprintf((char *)create.name, sizeof(create.name), \"%s\", LU_SESSION);");
	e.line(1, "ASSERT_EQ(0, ioctl(self->luo_fd, LIVEUPDATE_IOCTL_CREATE_SESSION, &create));");
	e.line(1, "self->session_fd = create.fd;");
	e.line(1, "self->iommufd = open(\"/dev/iommu\", O_RDWR);");
	e.line(1, "if (self->iommufd < 0)");
	e.line(2, "SKIP(return, \"no /dev/iommu (CONFIG_IOMMUFD)\");");
	for (auto d : p.devs) {
		if (!in_config(c, d)) {
			e.line(1, fmt::format("/* dev {}: not in the configuration, never opened */", d));
			continue;
		}
		const auto &dc = c.devices[d];
		e.line(0, "");
		e.line(1, fmt::format("/* dev {}: iommu group {}, max_pasids {}{} */", d, dc.group, dc.max_pasids,
				      dc.vf ? ", a PCI VF" : ""));
		e.line(1, fmt::format("path = getenv(\"LU_VFIO_CDEV{}\");", d));
		e.line(1, "if (!path)");
		e.line(2, fmt::format("SKIP(return, \"set LU_VFIO_CDEV{0} to dev {0}'s vfio cdev\");", d));
		e.line(1, fmt::format("self->cdev_fd[{}] = open(path, O_RDWR);", d));
		e.line(1, fmt::format("ASSERT_LE(0, self->cdev_fd[{}]);", d));
		e.line(1, fmt::format("struct vfio_device_bind_iommufd bind_{} = {{", d));
		e.line(2, fmt::format(".argsz = sizeof(bind_{}),", d));
		e.line(2, ".iommufd = self->iommufd,");
		e.line(1, "};");
		e.line(1, fmt::format("ASSERT_EQ(0, ioctl(self->cdev_fd[{}], VFIO_DEVICE_BIND_IOMMUFD, &bind_{}));", d, d));
		e.line(1, fmt::format("self->dev_id[{0}] = bind_{0}.out_devid;", d));
	}
	e.line(0, "}");
	e.line(0, "");
	e.line(0, "FIXTURE_TEARDOWN(iommufd_liveupdate)");
	e.line(0, "{");
	if (p.kexec)
		e.line(1, "/* stage 1: the child of lu_daemonize_and_wait() keeps them open */");
	if (p.ndevs) {
		e.line(1, fmt::format("for (int i = 0; i < {}; i++)", p.ndevs));
		e.line(2, "if (self->cdev_fd[i] >= 0)");
		e.line(3, "close(self->cdev_fd[i]);");
	}
	if (p.sealed) {
		e.line(1, fmt::format("for (int i = 0; i < {}; i++)", p.nhwpts));
		e.line(2, "if (self->memfd[i] >= 0)");
		e.line(3, "close(self->memfd[i]);");
	}
	for (const char *f : {"iommufd", "session_fd", "luo_fd"}) {
		e.line(1, fmt::format("if (self->{} >= 0)", f));
		e.line(2, fmt::format("close(self->{});", f));
	}
	e.line(0, "}");
}

} // namespace

std::string uapi_selftest(const lu::model::result &r, const std::string &indent)
{
	if (!r.witness)
		return {};
	emitter e{indent, {}};
	emit_test(e, r, plan_of(*r.witness));
	return e.out;
}

std::string uapi_selftest_file(const lu::model::result &r)
{
	if (!r.witness)
		return {};
	const std::string tab = "\t";
	const plan p = plan_of(*r.witness);
	emitter e{tab, {}};
	emit_preamble(e, r, p);
	emit_declarations(e, p);
	emit_fixture(e, r, p);
	e.line(0, "");
	emit_test(e, r, p);
	e.line(0, "");
	e.line(0, "TEST_HARNESS_MAIN");
	return e.out;
}

} // namespace lu::verify
