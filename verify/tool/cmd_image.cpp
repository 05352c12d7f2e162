// SPDX-License-Identifier: GPL-2.0
// iommufd-lu image inspect|verify|example: decode, validate or produce a
// hand-over image (layout: impl/include/lu/impl/image_abi.h, docs/image-format.md).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
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
	case EISDIR: return "EISDIR";
	case EACCES: return "EACCES";
	case EIO: return "EIO";
	default: return "E?";
	}
}

std::string ret_str(int rc)
{
	return rc ? fmt::format("-{} ({})", errno_name(rc), rc) : "0";
}

// Read up to @n bytes (fewer only at the end of the input); -errno on error.
ssize_t read_full(int fd, std::uint8_t *p, std::size_t n)
{
	std::size_t got = 0;
	while (got < n) {
		ssize_t r = ::read(fd, p + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			break;
		got += static_cast<std::size_t>(r);
	}
	return static_cast<ssize_t>(got);
}

bool cannot_read(const std::string &path, int err)
{
	fmt::print(stderr, "{}: cannot read the file: {} ({})\n", path, std::strerror(err), errno_name(-err));
	return false;
}

bool invalid(const std::string &path, int rc, const lu_img_error &e)
{
	fmt::print(stderr, "{}: invalid image: {} at offset {} ({}, -{} = {})\n", path, e.what, e.offset,
		   lu_img_strerror(rc), errno_name(rc), rc);
	return false;
}

// Read @path ("-": standard input) as an image and parse it; on failure print
// what, where and which errno, and return false. The header is read and
// checked first, then exactly its total_size bytes (never more than
// LU_IMG_MAX_SIZE), the buffer growing only as they arrive: /dev/zero fails
// at the magic, a regular file of the wrong length at its header, and a
// stream that goes on past total_size as soon as it does.
bool load(const std::string &path, std::vector<std::uint8_t> *buf, lu_img_view *v)
{
	const bool is_stdin = path == "-";
	int fd = is_stdin ? STDIN_FILENO : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cannot_read(path, errno);
	struct closer {
		int fd;
		bool mine;
		~closer()
		{
			if (mine)
				::close(fd);
		}
	} guard{fd, !is_stdin};
	struct stat st {};
	if (::fstat(fd, &st))
		return cannot_read(path, errno);
	if (S_ISDIR(st.st_mode))
		return cannot_read(path, EISDIR);
	// A regular file's length is known (procfs says 0: read it as a stream).
	const std::uint64_t size = S_ISREG(st.st_mode) && st.st_size > 0 ? static_cast<std::uint64_t>(st.st_size)
									  : LU_IMG_SIZE_UNKNOWN;

	buf->assign(sizeof(lu_img_header), 0);
	ssize_t n = read_full(fd, buf->data(), buf->size());
	if (n < 0)
		return cannot_read(path, static_cast<int>(-n));
	buf->resize(static_cast<std::size_t>(n));
	lu_img_error e;
	std::uint64_t total = 0;
	int rc = lu_img_parse_header(buf->data(), buf->size(), size, &total, &e);
	if (rc)
		return invalid(path, rc, e);

	// The records: a regular file is total_size long (checked above); a
	// stream may end sooner (the parser says truncated) or go on.
	if (size != LU_IMG_SIZE_UNKNOWN)
		buf->reserve(static_cast<std::size_t>(total));
	while (buf->size() < total) {
		const std::size_t have = buf->size();
		const std::size_t chunk = static_cast<std::size_t>(std::min<std::uint64_t>(total - have, 1u << 20));
		if (buf->capacity() < have + chunk)
			buf->reserve(static_cast<std::size_t>(std::min<std::uint64_t>(total, 2 * (have + chunk))));
		buf->resize(have + chunk);
		n = read_full(fd, buf->data() + have, chunk);
		if (n < 0)
			return cannot_read(path, static_cast<int>(-n));
		buf->resize(have + static_cast<std::size_t>(n));
		if (static_cast<std::size_t>(n) < chunk)
			break;
	}
	if (buf->size() == total) {
		std::uint8_t more;
		n = read_full(fd, &more, 1);
		if (n < 0)
			return cannot_read(path, static_cast<int>(-n));
		if (n > 0) {
			e = {};
			e.err = -E2BIG;
			e.offset = total;
			std::snprintf(e.what, sizeof(e.what),
				      "the input goes on past total_size %llu (no image is larger than %llu bytes)",
				      static_cast<unsigned long long>(total),
				      static_cast<unsigned long long>(LU_IMG_MAX_SIZE));
			return invalid(path, -E2BIG, e);
		}
	}
	rc = lu_img_parse(buf->data(), buf->size(), v, &e);
	if (rc)
		return invalid(path, rc, e);
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
			static_cast<lu::vfio_gate>(h.vfio_gate), static_cast<lu::version>(h.code_version)};
	fmt::print("  kernel      {} (code {}, policy {}, freeze {}, vfio_gate {})\n", lu::name(var),
		   lu::name(var.version), lu::name(var.policy), lu::name(var.freeze), lu::name(var.vfio_gate));
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
	ins->add_option("FILE", o->file, "image file, or - for standard input")->required();
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
	ver->add_option("FILE", o->file,
			fmt::format("image file, or - for standard input (read up to its header's total_size, at most "
				    "{} bytes)",
				    LU_IMG_MAX_SIZE))
		->required();
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
	ex->add_option("--pasids", o->pasids, "PASIDs 1..N attached besides the RID (PASIDs are 20 bits)")
		->check(CLI::Range(std::uint32_t{0}, lu::PASID_LIMIT - 1))
		->capture_default_str();
	ex->callback([o, rc] { *rc = example(*o); });
}

} // namespace lu::cli
