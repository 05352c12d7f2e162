// SPDX-License-Identifier: GPL-2.0
// iommufd-lu image inspect|verify|example: decode, validate or produce a
// hand-over image (layout: impl/include/lu/impl/image_abi.h, docs/image-format.md).
#include <cerrno>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "commands.h"
#include "lu/impl/image.h"
#include "lu/impl/machine.h"

namespace lu::cli {

namespace {

using namespace lu::impl;

const char *errno_name(int err)
{
	switch (-err) {
	case ENODATA: return "ENODATA";
	case ENOEXEC: return "ENOEXEC";
	case EPROTONOSUPPORT: return "EPROTONOSUPPORT";
	case EPROTO: return "EPROTO";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case EOVERFLOW: return "EOVERFLOW";
	case E2BIG: return "E2BIG";
	case EBADMSG: return "EBADMSG";
	case ERANGE: return "ERANGE";
	case ENXIO: return "ENXIO";
	case EEXIST: return "EEXIST";
	case EINVAL: return "EINVAL";
	case ENOENT: return "ENOENT";
	case EBUSY: return "EBUSY";
	case ENOMEM: return "ENOMEM";
	case EFAULT: return "EFAULT";
	case ENODEV: return "ENODEV";
	case EADDRINUSE: return "EADDRINUSE";
	default: return "E?";
	}
}

std::string ret_str(int rc)
{
	return rc ? fmt::format("-{} ({})", errno_name(rc), rc) : "0";
}

bool read_file(const std::string &path, std::vector<std::uint8_t> *out)
{
	std::FILE *f = path == "-" ? stdin : std::fopen(path.c_str(), "rb");
	if (!f)
		return false;
	std::uint8_t chunk[65536];
	std::size_t n;
	while ((n = std::fread(chunk, 1, sizeof(chunk), f)) > 0)
		out->insert(out->end(), chunk, chunk + n);
	bool ok = !std::ferror(f);
	if (f != stdin)
		std::fclose(f);
	return ok;
}

// Parse @path; on failure print what, where and which errno, and return false.
bool load(const std::string &path, std::vector<std::uint8_t> *buf, lu_img_view *v)
{
	if (!read_file(path, buf)) {
		fmt::print(stderr, "{}: cannot read the file\n", path);
		return false;
	}
	lu_img_error e;
	int rc = lu_img_parse(buf->data(), buf->size(), v, &e);
	if (rc) {
		fmt::print(stderr, "{}: invalid image: {} at offset {} ({}, -{} = {})\n", path, e.what, e.offset,
			   lu_img_strerror(rc), errno_name(rc), rc);
		return false;
	}
	return true;
}

std::string hwpt_str(const lu_img_view &v, std::uint32_t idx)
{
	const lu_img_hwpt &h = v.hwpts[idx];
	if (h.flags & LU_IMG_HWPT_NESTED)
		return fmt::format("hwpt[{}] (id {}, nested on hwpt[{}])", idx, h.hwpt_id, h.parent_idx);
	return fmt::format("hwpt[{}] (id {}, token {:#x})", idx, h.hwpt_id, h.token);
}

void inspect(const std::string &path, const lu_img_view &v)
{
	const lu_img_header &h = *v.hdr;
	fmt::print("{}: iommufd-lu hand-over image, {} bytes\n", path, h.total_size);
	fmt::print("  compatible  {:.32s}, version {}.{}\n", h.compatible, h.version_major, h.version_minor);
	lu::variant var{static_cast<lu::policy>(h.policy), static_cast<lu::freeze>(h.freeze),
			static_cast<lu::vfio_gate>(h.vfio_gate)};
	fmt::print("  kernel      {} (policy {}, freeze {}, vfio_gate {})\n", lu::name(var), lu::name(var.policy),
		   lu::name(var.freeze), lu::name(var.vfio_gate));
	fmt::print("  features    {:#x}{}\n", h.features,
		   (h.features & LU_IMG_F_PASID_TABLE) ? " (PASID table present)" : " (no PASID table)");
	fmt::print("  records     {} iommu, {} hwpt, {} device, {} PASID\n", h.nr_iommus, h.nr_hwpts, h.nr_devices,
		   h.nr_pasids);
	fmt::print("  checksum    {:#018x} (fnv1a64x4, valid)\n", h.checksum);
	for (std::uint32_t i = 0; i < h.nr_iommus; i++)
		fmt::print("iommu[{}]: token {:#x}, {} device(s)\n", i, v.iommus[i].token, v.iommus[i].ref_count);
	for (std::uint32_t i = 0; i < h.nr_hwpts; i++)
		fmt::print("{}{}\n", hwpt_str(v, i), (v.hwpts[i].flags & LU_IMG_HWPT_PASID_COMPAT) ? ", pasid_compat" : "");
	if (!h.nr_devices)
		fmt::print("no device preserved: the new kernel restores no attachment\n");
	for (std::uint32_t i = 0; i < h.nr_devices; i++) {
		const lu_img_device &d = v.devices[i];
		fmt::print("device[{}]: BDF {:04x}:{:02x}:{:02x}.{}, group {}, max_pasids {}, token {:#x}\n", i,
			   d.pci_domain, (d.devid >> 8) & 0xff, (d.devid >> 3) & 0x1f, d.devid & 7, d.group_id,
			   d.max_pasids, d.token);
		if (d.flags & LU_IMG_DEV_NO_IOMMUFD) {
			fmt::print("  no iommufd record (vfio skipped iommufd preserve): nothing is restored\n");
			continue;
		}
		fmt::print("  iommufd token {:#x}{}\n", d.iommufd_token,
			   (d.flags & LU_IMG_DEV_IGNORE_PASID) ? ", preserved with IOMMU_LU_FLAG_IGNORE_PASID" : "");
		fmt::print("  RID      -> {}\n", hwpt_str(v, d.rid_hwpt_idx));
		// PASIDs as runs of consecutive PASIDs on the same hwpt.
		for (std::uint32_t k = 0; k < d.nr_pasids;) {
			const lu_img_pasid *p = v.pasids + d.pasid_first;
			std::uint32_t j = k;
			while (j + 1 < d.nr_pasids && p[j + 1].pasid == p[j].pasid + 1 && p[j + 1].hwpt_idx == p[k].hwpt_idx)
				j++;
			std::string range = j == k ? fmt::format("{}", p[k].pasid)
						   : fmt::format("{}-{}", p[k].pasid, p[j].pasid);
			fmt::print("  PASID {} -> {}\n", range, hwpt_str(v, p[k].hwpt_idx));
			k = j + 1;
		}
		if (!(h.features & LU_IMG_F_PASID_TABLE))
			fmt::print("  PASIDs   not recorded by this kernel variant\n");
		else if (!d.nr_pasids)
			fmt::print("  PASIDs   none\n");
	}
}

struct image_opts {
	std::string file;
	std::string preset = "full";
	std::uint32_t pasids = 0;
};

int example(const image_opts &o)
{
	auto var = lu::find_preset(o.preset);
	if (!var) {
		fmt::print(stderr, "image example: unknown preset '{}'\n", o.preset);
		return EXIT_BAD_INPUT;
	}
	if (o.pasids >= lu::PASID_LIMIT) {
		fmt::print(stderr, "image example: --pasids {} must be below 2^20\n", o.pasids);
		return EXIT_BAD_INPUT;
	}
	lu::config cfg;
	std::vector<lu::step> steps;
	example_trace(o.pasids, &cfg, &steps);
	machine_ptr m;
	int rc = machine::create(cfg, *var, &m);
	if (rc) {
		fmt::print(stderr, "image example: machine: {}\n", ret_str(rc));
		return EXIT_FAILED;
	}
	for (const auto &s : steps) {
		rc = m->run(s);
		// The attach loop is long; report only what is not 0, and the preserves.
		if (rc || s.op == lu::op::preserve_iommufd || s.op == lu::op::preserve_device || s.op == lu::op::kexec)
			fmt::print(stderr, "{}: {}{}\n", lu::name(s.op),
				   s.op == lu::op::attach ? fmt::format("pasid {} ", s.pasid) : "", ret_str(rc));
	}
	if (!m->kexeced()) {
		fmt::print(stderr, "image example: kexec failed\n");
		return EXIT_FAILED;
	}
	auto img = m->image();
	std::fwrite(img.data(), 1, img.size(), stdout);
	std::fflush(stdout);
	fmt::print(stderr, "image: {} bytes, preset {}, {} attachment(s) at kexec, {} restored\n", img.size(),
		   o.preset, m->at_kexec().size(), m->restored().size());
	return EXIT_RAN;
}

} // namespace

void add_image(CLI::App &app, int *rc)
{
	auto o = std::make_shared<image_opts>();
	CLI::App *img = app.add_subcommand("image", "Decode, validate or produce a hand-over image");
	img->require_subcommand(1);

	CLI::App *ins = img->add_subcommand("inspect", "Print what an image preserves (exit 2 if invalid)");
	ins->add_option("FILE", o->file, "image file")->required();
	ins->callback([o, rc] {
		std::vector<std::uint8_t> buf;
		lu_img_view v;
		if (!load(o->file, &buf, &v)) {
			*rc = EXIT_BAD_INPUT;
			return;
		}
		inspect(o->file, v);
		*rc = EXIT_RAN;
	});

	CLI::App *ver = img->add_subcommand("verify", "Validate an image: exit 0 valid, 2 invalid");
	ver->add_option("FILE", o->file, "image file")->required();
	ver->callback([o, rc] {
		std::vector<std::uint8_t> buf;
		lu_img_view v;
		if (!load(o->file, &buf, &v)) {
			*rc = EXIT_BAD_INPUT;
			return;
		}
		fmt::print("{}: valid ({} bytes, {} device(s), {} PASID(s))\n", o->file, buf.size(), v.hdr->nr_devices,
			   v.hdr->nr_pasids);
		*rc = EXIT_RAN;
	});

	CLI::App *ex = img->add_subcommand(
		"example", "Write to stdout the image of one device with its RID and N PASIDs under a preset");
	ex->add_option("--preset", o->preset, "v1, v2, doc-only, reject, ack-flag or full")->capture_default_str();
	ex->add_option("--pasids", o->pasids, "PASIDs 1..N attached besides the RID (N < 2^20)")
		->capture_default_str();
	ex->callback([o, rc] { *rc = example(*o); });
}

} // namespace lu::cli
