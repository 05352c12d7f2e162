// SPDX-License-Identifier: GPL-2.0
// The hand-over image: writer, checksum and parser (layout in image_abi.h).
//
// Conventions in this file: @img is an image buffer, @hdr its header, @v a
// parsed view, @e the error being reported. Offsets in messages are bytes
// from the start of the image.
#include "lu/impl/image.h"

#include <cstdarg>
#include <cstdio>
#include <cstring>

#include "lu/core/trace.h"
#include "lu/impl/alloc.h"
#include "lu/impl/mutant.h"

namespace lu::impl {

namespace {

constexpr std::uint64_t FNV64_OFFSET = 0xcbf29ce484222325ull;
constexpr std::uint64_t FNV64_PRIME = 0x100000001b3ull;
constexpr std::size_t CSUM_WORD = offsetof(lu_img_header, checksum) / 8;

inline std::uint64_t load64(const std::uint8_t *p)
{
	std::uint64_t w;
	std::memcpy(&w, p, 8); // little-endian host (image_abi.h)
	return w;
}

} // namespace

std::uint64_t lu_img_checksum(const void *data, std::size_t size, std::size_t skip_word) noexcept
{
	const auto *p = static_cast<const std::uint8_t *>(data);
	std::uint64_t lane[4] = {FNV64_OFFSET, FNV64_OFFSET ^ 1, FNV64_OFFSET ^ 2, FNV64_OFFSET ^ 3};
	std::size_t nwords = size / 8, k = 0;

	// Four independent lanes keep the multiplier busy: ~memcpy speed.
	for (; k + 4 <= nwords; k += 4) {
		std::uint64_t w0 = load64(p + 8 * k), w1 = load64(p + 8 * k + 8);
		std::uint64_t w2 = load64(p + 8 * k + 16), w3 = load64(p + 8 * k + 24);
		if (skip_word - k < 4) [[unlikely]] {
			std::uint64_t *w[4] = {&w0, &w1, &w2, &w3};
			*w[skip_word - k] = 0;
		}
		lane[0] = (lane[0] ^ w0) * FNV64_PRIME;
		lane[1] = (lane[1] ^ w1) * FNV64_PRIME;
		lane[2] = (lane[2] ^ w2) * FNV64_PRIME;
		lane[3] = (lane[3] ^ w3) * FNV64_PRIME;
	}
	for (; k < nwords; k++) {
		std::uint64_t w = k == skip_word ? 0 : load64(p + 8 * k);
		lane[k % 4] = (lane[k % 4] ^ w) * FNV64_PRIME;
	}
	if (size % 8) {
		std::uint8_t tail[8] = {};
		std::memcpy(tail, p + 8 * nwords, size % 8);
		lane[nwords % 4] = (lane[nwords % 4] ^ load64(tail)) * FNV64_PRIME;
	}
	std::uint64_t h = FNV64_OFFSET;
	for (auto l : lane)
		h = (h ^ l) * FNV64_PRIME;
	h = (h ^ size) * FNV64_PRIME;
	return h ^ (h >> 32);
}

void lu_image_free(lu_image *img) noexcept
{
	lu_kfree(img->data, img->size);
	img->data = nullptr;
	img->size = 0;
}

/* ---- writer ---- */

image_writer::~image_writer()
{
	lu_image_free(&img_);
}

int image_writer::begin(const lu_img_counts &counts) noexcept
{
	if (counts.nr_iommus > LU_IMG_MAX_IOMMUS || counts.nr_hwpts > LU_IMG_MAX_HWPTS ||
	    counts.nr_devices > LU_IMG_MAX_DEVICES ||
	    counts.nr_pasids > std::uint64_t(counts.nr_devices) * (lu::PASID_LIMIT - 1))
		return -EOVERFLOW;
	std::uint64_t size = lu_img_size(counts.nr_iommus, counts.nr_hwpts, counts.nr_devices, counts.nr_pasids);
	auto *buf = static_cast<std::uint8_t *>(lu_kzalloc(size));
	if (!buf)
		return -ENOMEM;
	lu_image_free(&img_);
	img_ = {buf, size};
	counts_ = counts;

	lu_img_header hdr{};
	std::memcpy(hdr.magic, LU_IMG_MAGIC, sizeof(hdr.magic));
	std::memcpy(hdr.compatible, LU_IMG_COMPATIBLE, sizeof(LU_IMG_COMPATIBLE));
	hdr.version_major = LU_IMG_VERSION_MAJOR;
	hdr.version_minor = LU_IMG_VERSION_MINOR;
	hdr.header_size = sizeof(lu_img_header);
	hdr.features = counts.features;
	hdr.policy = static_cast<std::uint8_t>(counts.variant.policy);
	hdr.freeze = static_cast<std::uint8_t>(counts.variant.freeze);
	hdr.vfio_gate = static_cast<std::uint8_t>(counts.variant.vfio_gate);
	hdr.code_version = static_cast<std::uint8_t>(counts.variant.version);
	hdr.nr_iommus = counts.nr_iommus;
	hdr.nr_hwpts = counts.nr_hwpts;
	hdr.nr_devices = counts.nr_devices;
	hdr.nr_pasids = counts.nr_pasids;
	hdr.iommu_rec_size = sizeof(lu_img_iommu);
	hdr.hwpt_rec_size = sizeof(lu_img_hwpt);
	hdr.device_rec_size = sizeof(lu_img_device);
	hdr.pasid_rec_size = sizeof(lu_img_pasid);
	hdr.total_size = size;
	std::memcpy(buf, &hdr, sizeof(hdr));

	std::uint8_t *p = buf + sizeof(lu_img_header);
	iommus_ = reinterpret_cast<lu_img_iommu *>(p);
	p += counts.nr_iommus * sizeof(lu_img_iommu);
	hwpts_ = reinterpret_cast<lu_img_hwpt *>(p);
	p += counts.nr_hwpts * sizeof(lu_img_hwpt);
	devices_ = reinterpret_cast<lu_img_device *>(p);
	p += std::size_t(counts.nr_devices) * sizeof(lu_img_device);
	pasids_ = reinterpret_cast<lu_img_pasid *>(p);
	nr_iommus_ = nr_hwpts_ = nr_devices_ = pasid_pos_ = pasid_end_ = 0;
	err_ = 0;
	return 0;
}

std::uint32_t image_writer::add_iommu(std::uint32_t ref_count, std::uint64_t token,
				      std::uint64_t root_table) noexcept
{
	if (nr_iommus_ >= counts_.nr_iommus) {
		err_ = err_ ? err_ : -EFAULT;
		return LU_IMG_NONE;
	}
	auto *r = iommus_ + nr_iommus_;
	r->idx = nr_iommus_;
	r->ref_count = ref_count;
	r->type = LU_IMG_IOMMU_MOCK;
	r->token = token;
	r->root_table = root_table;
	return nr_iommus_++;
}

std::uint32_t image_writer::add_hwpt(std::uint32_t flags, std::uint32_t hwpt_id, std::uint32_t parent_idx,
				     std::uint64_t token) noexcept
{
	if (nr_hwpts_ >= counts_.nr_hwpts) {
		err_ = err_ ? err_ : -EFAULT;
		return LU_IMG_NONE;
	}
	auto *r = hwpts_ + nr_hwpts_;
	r->idx = nr_hwpts_;
	r->flags = flags;
	r->hwpt_id = hwpt_id;
	r->parent_idx = parent_idx;
	r->token = token;
	r->domain_data = std::uint64_t(hwpt_id) << 12; // stands for the iommu_domain_ser's address
	r->top_level = 4;
	return nr_hwpts_++;
}

std::uint32_t image_writer::add_device(const lu_img_device &dev) noexcept
{
	if (nr_devices_ >= counts_.nr_devices || pasid_pos_ != pasid_end_ ||
	    std::uint64_t(pasid_end_) + dev.nr_pasids > counts_.nr_pasids) {
		err_ = err_ ? err_ : -EFAULT;
		return LU_IMG_NONE;
	}
	auto *r = devices_ + nr_devices_;
	std::memcpy(r, &dev, sizeof(dev));
	r->idx = nr_devices_;
	r->pasid_first = pasid_end_;
	pasid_end_ += dev.nr_pasids;
	return nr_devices_++;
}

int image_writer::finish(lu_image *out) noexcept
{
	if (!err_ && (!img_.data || nr_iommus_ != counts_.nr_iommus || nr_hwpts_ != counts_.nr_hwpts ||
		      nr_devices_ != counts_.nr_devices || pasid_pos_ != counts_.nr_pasids))
		err_ = -EFAULT;
	if (err_)
		return err_;
	std::uint64_t sum = lu_img_checksum(img_.data, img_.size, CSUM_WORD);
	std::memcpy(img_.data + offsetof(lu_img_header, checksum), &sum, sizeof(sum));
	*out = img_;
	img_ = {};
	return 0;
}

/* ---- parser ---- */

namespace {

// Records a rejection once; returns the errno so callers can `return fail(...)`.
[[gnu::format(printf, 4, 5)]] int fail(lu_img_error *e, int err, std::uint64_t off, const char *fmt, ...)
{
	if (e) {
		e->err = err;
		e->offset = off;
		va_list ap;
		va_start(ap, fmt);
		std::vsnprintf(e->what, sizeof(e->what), fmt, ap);
		va_end(ap);
	}
	return err;
}

} // namespace

const char *lu_img_strerror(int err) noexcept
{
	switch (err) {
	case 0: return "valid";
	case -ENODATA: return "truncated";
	case -ENOEXEC: return "wrong magic";
	case -EPROTONOSUPPORT: return "unknown version";
	case -EPROTO: return "bad header or record size";
	case -EOPNOTSUPP: return "unknown feature";
	case -EOVERFLOW: return "bad counts";
	case -E2BIG: return "trailing bytes";
	case -EBADMSG: return "bad checksum";
	case -ERANGE: return "PASID out of range";
	case -ENXIO: return "dangling reference";
	case -EEXIST: return "duplicate";
	case -EINVAL: return "bad field";
	default: return "error";
	}
}

static_assert(LU_IMG_MAX_DEVICE_PASIDS == lu::PASID_LIMIT - 1, "image_abi.h and core disagree on PASIDs");

int lu_img_parse_header(const void *data, std::size_t avail, std::uint64_t size, std::uint64_t *total_size,
			lu_img_error *e) noexcept
{
	const auto *img = static_cast<const std::uint8_t *>(data);
	if (e)
		*e = {};
	if (!img || avail < sizeof(LU_IMG_MAGIC))
		return fail(e, -ENODATA, 0, "truncated: %zu bytes, the magic alone needs %zu", img ? avail : 0,
			    sizeof(LU_IMG_MAGIC));
	if (std::memcmp(img, LU_IMG_MAGIC, sizeof(LU_IMG_MAGIC)) != 0)
		return fail(e, -ENOEXEC, 0, "wrong magic: not an iommufd-lu image");
	if (avail < sizeof(lu_img_header))
		return fail(e, -ENODATA, avail, "truncated: %zu bytes, the header needs %zu", avail,
			    sizeof(lu_img_header));

	// The header is packed: alignment 1, safe to view in place.
	const auto *hdr = reinterpret_cast<const lu_img_header *>(img);
	if (hdr->version_major != LU_IMG_VERSION_MAJOR)
		return fail(e, -EPROTONOSUPPORT, offsetof(lu_img_header, version_major),
			    "unknown major version %u (this parser reads %u)", unsigned(hdr->version_major),
			    unsigned(LU_IMG_VERSION_MAJOR));
	char compat[sizeof(hdr->compatible)] = {};
	std::memcpy(compat, LU_IMG_COMPATIBLE, sizeof(LU_IMG_COMPATIBLE));
	if (std::memcmp(hdr->compatible, compat, sizeof(compat)) != 0)
		return fail(e, -EPROTONOSUPPORT, offsetof(lu_img_header, compatible),
			    "compatible string is not \"%s\"", LU_IMG_COMPATIBLE);
	if (hdr->header_size != sizeof(lu_img_header))
		return fail(e, -EPROTO, offsetof(lu_img_header, header_size), "header_size %u, expected %zu",
			    unsigned(hdr->header_size), sizeof(lu_img_header));
	struct {
		std::uint16_t got;
		std::size_t want;
		std::size_t off;
		const char *name;
	} const sizes[] = {
		{hdr->iommu_rec_size, sizeof(lu_img_iommu), offsetof(lu_img_header, iommu_rec_size), "iommu"},
		{hdr->hwpt_rec_size, sizeof(lu_img_hwpt), offsetof(lu_img_header, hwpt_rec_size), "hwpt"},
		{hdr->device_rec_size, sizeof(lu_img_device), offsetof(lu_img_header, device_rec_size), "device"},
		{hdr->pasid_rec_size, sizeof(lu_img_pasid), offsetof(lu_img_header, pasid_rec_size), "pasid"},
	};
	for (const auto &s : sizes)
		if (s.got != s.want)
			return fail(e, -EPROTO, s.off, "%s record size %u, expected %zu", s.name, unsigned(s.got),
				    s.want);
	if (hdr->features & ~LU_IMG_F_KNOWN)
		return fail(e, -EOPNOTSUPP, offsetof(lu_img_header, features), "unknown feature bits %#x",
			    unsigned(hdr->features & ~LU_IMG_F_KNOWN));
	if (hdr->policy > static_cast<std::uint8_t>(lu::policy::full) ||
	    hdr->freeze > static_cast<std::uint8_t>(lu::freeze::busy) ||
	    hdr->vfio_gate > static_cast<std::uint8_t>(lu::vfio_gate::always) ||
	    hdr->code_version > static_cast<std::uint8_t>(lu::version::post_v2))
		return fail(e, -EINVAL, offsetof(lu_img_header, policy),
			    "bad variant bytes policy=%u freeze=%u vfio_gate=%u code_version=%u (0 v1, 1 v2, 2 post-v2)",
			    unsigned(hdr->policy), unsigned(hdr->freeze), unsigned(hdr->vfio_gate),
			    unsigned(hdr->code_version));

	const std::uint32_t ni = hdr->nr_iommus, nh = hdr->nr_hwpts, nd = hdr->nr_devices, np = hdr->nr_pasids;
	if (ni > LU_IMG_MAX_IOMMUS)
		return fail(e, -EOVERFLOW, offsetof(lu_img_header, nr_iommus), "nr_iommus %u above %u", ni,
			    LU_IMG_MAX_IOMMUS);
	if (nh > LU_IMG_MAX_HWPTS)
		return fail(e, -EOVERFLOW, offsetof(lu_img_header, nr_hwpts), "nr_hwpts %u above %u", nh,
			    LU_IMG_MAX_HWPTS);
	if (nd > LU_IMG_MAX_DEVICES)
		return fail(e, -EOVERFLOW, offsetof(lu_img_header, nr_devices), "nr_devices %u above %u", nd,
			    LU_IMG_MAX_DEVICES);
	if (np > std::uint64_t(nd) * LU_IMG_MAX_DEVICE_PASIDS)
		return fail(e, -EOVERFLOW, offsetof(lu_img_header, nr_pasids),
			    "nr_pasids %u: more than %u devices can hold", np, nd);
	if (np && !(hdr->features & LU_IMG_F_PASID_TABLE))
		return fail(e, -EINVAL, offsetof(lu_img_header, nr_pasids),
			    "nr_pasids %u without the PASID-table feature", np);
	const std::uint64_t want = lu_img_size(ni, nh, nd, np);
	if (hdr->total_size != want)
		return fail(e, -EOVERFLOW, offsetof(lu_img_header, total_size),
			    "total_size %llu, the counts give %llu", static_cast<unsigned long long>(hdr->total_size),
			    static_cast<unsigned long long>(want));
	if (size == LU_IMG_SIZE_UNKNOWN) {
		// The reader finds out the length by reading total_size bytes, then one more.
	} else if (size < want) {
		return fail(e, -ENODATA, size, "truncated: %llu bytes of %llu", static_cast<unsigned long long>(size),
			    static_cast<unsigned long long>(want));
	} else if (size > want) {
		return fail(e, -E2BIG, want, "%llu trailing bytes after the image",
			    static_cast<unsigned long long>(size - want));
	}
	if (total_size)
		*total_size = want;
	return 0;
}

int lu_img_parse(const void *data, std::size_t size, lu_img_view *view, lu_img_error *e) noexcept
{
	const auto *img = static_cast<const std::uint8_t *>(data);
	int rc = lu_img_parse_header(data, size, size, nullptr, e);
	if (rc)
		return rc;
	// The header is packed: alignment 1, safe to view in place.
	const auto *hdr = reinterpret_cast<const lu_img_header *>(img);
	const std::uint32_t ni = hdr->nr_iommus, nh = hdr->nr_hwpts, nd = hdr->nr_devices, np = hdr->nr_pasids;
	std::uint64_t sum = lu_img_checksum(img, size, CSUM_WORD);
	if (sum != hdr->checksum && !LU_MUTANT(checksum_not_checked))
		return fail(e, -EBADMSG, offsetof(lu_img_header, checksum), "bad checksum %#llx, computed %#llx",
			    static_cast<unsigned long long>(hdr->checksum), static_cast<unsigned long long>(sum));

	const std::uint64_t off_iommus = sizeof(lu_img_header);
	const std::uint64_t off_hwpts = off_iommus + std::uint64_t(ni) * sizeof(lu_img_iommu);
	const std::uint64_t off_devices = off_hwpts + std::uint64_t(nh) * sizeof(lu_img_hwpt);
	const std::uint64_t off_pasids = off_devices + std::uint64_t(nd) * sizeof(lu_img_device);
	const auto *iommus = reinterpret_cast<const lu_img_iommu *>(img + off_iommus);
	const auto *hwpts = reinterpret_cast<const lu_img_hwpt *>(img + off_hwpts);
	const auto *devices = reinterpret_cast<const lu_img_device *>(img + off_devices);
	const auto *pasids = reinterpret_cast<const lu_img_pasid *>(img + off_pasids);

	for (std::uint32_t i = 0; i < ni; i++) {
		const auto &r = iommus[i];
		const std::uint64_t at = off_iommus + std::uint64_t(i) * sizeof(r);
		if (r.idx != i)
			return fail(e, -EINVAL, at, "iommu[%u]: idx %u is not its position", i, r.idx);
		if (r.type != LU_IMG_IOMMU_MOCK)
			return fail(e, -EINVAL, at + offsetof(lu_img_iommu, type), "iommu[%u]: bad type %u", i,
				    r.type);
		if (r.reserved)
			return fail(e, -EINVAL, at + offsetof(lu_img_iommu, reserved), "iommu[%u]: reserved %#x, not 0",
				    i, r.reserved);
	}

	for (std::uint32_t i = 0; i < nh; i++) {
		const auto &r = hwpts[i];
		const std::uint64_t at = off_hwpts + std::uint64_t(i) * sizeof(r);
		if (r.idx != i)
			return fail(e, -EINVAL, at, "hwpt[%u]: idx %u is not its position", i, r.idx);
		if (r.flags & ~LU_IMG_HWPT_KNOWN)
			return fail(e, -EINVAL, at + offsetof(lu_img_hwpt, flags), "hwpt[%u]: unknown flags %#x", i,
				    r.flags);
		if (r.reserved)
			return fail(e, -EINVAL, at + offsetof(lu_img_hwpt, reserved), "hwpt[%u]: reserved %#x, not 0", i,
				    r.reserved);
		if (r.flags & LU_IMG_HWPT_NESTED) {
			if (r.parent_idx >= nh)
				return fail(e, -ENXIO, at + offsetof(lu_img_hwpt, parent_idx),
					    "hwpt[%u]: parent %u dangles (nr_hwpts %u)", i, r.parent_idx, nh);
			if (hwpts[r.parent_idx].flags & LU_IMG_HWPT_NESTED)
				return fail(e, -EINVAL, at + offsetof(lu_img_hwpt, parent_idx),
					    "hwpt[%u]: parent %u is nested, not paging", i, r.parent_idx);
			if (r.token)
				return fail(e, -EINVAL, at + offsetof(lu_img_hwpt, token),
					    "hwpt[%u]: nested hwpt with a token", i);
		} else if (r.parent_idx != LU_IMG_NONE) {
			return fail(e, -EINVAL, at + offsetof(lu_img_hwpt, parent_idx),
				    "hwpt[%u]: paging hwpt with parent %u", i, r.parent_idx);
		}
		for (std::uint32_t j = 0; j < i; j++) {
			if (hwpts[j].hwpt_id == r.hwpt_id)
				return fail(e, -EEXIST, at + offsetof(lu_img_hwpt, hwpt_id),
					    "hwpt[%u]: hwpt id %u duplicates hwpt[%u]", i, r.hwpt_id, j);
			if (!(r.flags & LU_IMG_HWPT_NESTED) && !(hwpts[j].flags & LU_IMG_HWPT_NESTED) &&
			    hwpts[j].token == r.token)
				return fail(e, -EEXIST, at + offsetof(lu_img_hwpt, token),
					    "hwpt[%u]: token %#llx duplicates hwpt[%u]", i,
					    static_cast<unsigned long long>(r.token), j);
		}
	}

	std::uint32_t iommu_refs[LU_IMG_MAX_IOMMUS] = {};
	std::uint64_t next_pasid = 0;
	for (std::uint32_t i = 0; i < nd; i++) {
		const auto &d = devices[i];
		const std::uint64_t at = off_devices + std::uint64_t(i) * sizeof(d);
		if (d.idx != i)
			return fail(e, -EINVAL, at, "device[%u]: idx %u is not its position", i, d.idx);
		if (d.flags & ~LU_IMG_DEV_KNOWN)
			return fail(e, -EINVAL, at + offsetof(lu_img_device, flags), "device[%u]: unknown flags %#x",
				    i, d.flags);
		if (d.max_pasids > lu::PASID_LIMIT)
			return fail(e, -ERANGE, at + offsetof(lu_img_device, max_pasids),
				    "device[%u]: max_pasids %u above 2^20", i, d.max_pasids);
		// pci_dev_id() is u16 (bus << 8 | devfn); the segment is an int
		// (VMD domains start at 0x10000), so only the BDF is bounded.
		if (d.devid > 0xffff)
			return fail(e, -ERANGE, at + offsetof(lu_img_device, devid),
				    "device[%u]: BDF %#x above 16 bits", i, d.devid);
		const bool no_iommufd = d.flags & LU_IMG_DEV_NO_IOMMUFD;
		if (no_iommufd) {
			if (d.iommu_idx != LU_IMG_NONE || d.rid_hwpt_idx != LU_IMG_NONE || d.nr_pasids)
				return fail(e, -EINVAL, at + offsetof(lu_img_device, iommu_idx),
					    "device[%u]: references without an iommufd record", i);
		} else {
			if (d.iommu_idx >= ni)
				return fail(e, -ENXIO, at + offsetof(lu_img_device, iommu_idx),
					    "device[%u]: iommu %u dangles (nr_iommus %u)", i, d.iommu_idx, ni);
			if (d.rid_hwpt_idx >= nh)
				return fail(e, -ENXIO, at + offsetof(lu_img_device, rid_hwpt_idx),
					    "device[%u]: RID hwpt %u dangles (nr_hwpts %u)", i, d.rid_hwpt_idx, nh);
			iommu_refs[d.iommu_idx]++;
		}
		for (std::uint32_t j = 0; j < i; j++) {
			// A PCI function is domain:bus:dev.fn: the same BDF on
			// another segment is another device (restore keys both).
			if (devices[j].devid == d.devid &&
			    (devices[j].pci_domain == d.pci_domain || LU_MUTANT(parser_ignores_segment)))
				return fail(e, -EEXIST, at + offsetof(lu_img_device, devid),
					    "device[%u]: PCI %x:%x (segment:BDF) duplicates device[%u]: one function "
					    "twice",
					    i, d.pci_domain, d.devid, j);
			if (devices[j].token == d.token)
				return fail(e, -EEXIST, at + offsetof(lu_img_device, token),
					    "device[%u]: token %#llx duplicates device[%u]", i,
					    static_cast<unsigned long long>(d.token), j);
		}
		if (d.pasid_first != next_pasid)
			return fail(e, -EINVAL, at + offsetof(lu_img_device, pasid_first),
				    "device[%u]: PASID slice starts at %u, expected %llu", i, d.pasid_first,
				    static_cast<unsigned long long>(next_pasid));
		if (next_pasid + d.nr_pasids > np)
			return fail(e, -EOVERFLOW, at + offsetof(lu_img_device, nr_pasids),
				    "device[%u]: PASID slice [%u, +%u) past nr_pasids %u", i, d.pasid_first,
				    d.nr_pasids, np);
		// PASIDs: 1 .. min(max_pasids, 2^20) - 1, strictly ascending, pasid_compat hwpts.
		const std::uint32_t limit = LU_MUTANT(parser_accepts_pasid_limit) ? lu::PASID_LIMIT + 1
										   : lu::PASID_LIMIT;
		std::uint32_t prev = 0;
		for (std::uint32_t k = 0; k < d.nr_pasids; k++) {
			const auto &pe = pasids[d.pasid_first + k];
			const std::uint64_t pat = off_pasids + (std::uint64_t(d.pasid_first) + k) * sizeof(pe);
			if (pe.pasid == 0 || pe.pasid >= limit)
				return fail(e, -ERANGE, pat, "device[%u] pasid[%u]: PASID %u outside 1..2^20-1", i, k,
					    pe.pasid);
			// A device without PASID support (max_pasids 0) holds the PASIDs
			// of its group (iommu core since b3f6fcd8): not validated.
			if (d.max_pasids && pe.pasid >= d.max_pasids && !(LU_MUTANT(parser_accepts_pasid_limit) &&
							  pe.pasid == lu::PASID_LIMIT))
				return fail(e, -ERANGE, pat, "device[%u] pasid[%u]: PASID %u not below max_pasids %u",
					    i, k, pe.pasid, d.max_pasids);
			if (pe.pasid == prev)
				return fail(e, -EEXIST, pat, "device[%u] pasid[%u]: PASID %u twice", i, k, pe.pasid);
			if (pe.pasid < prev)
				return fail(e, -EINVAL, pat, "device[%u] pasid[%u]: PASID %u after %u, not sorted", i,
					    k, pe.pasid, prev);
			if (pe.hwpt_idx >= nh)
				return fail(e, -ENXIO, pat + offsetof(lu_img_pasid, hwpt_idx),
					    "device[%u] pasid[%u]: hwpt %u dangles (nr_hwpts %u)", i, k, pe.hwpt_idx,
					    nh);
			if (!(hwpts[pe.hwpt_idx].flags & LU_IMG_HWPT_PASID_COMPAT))
				return fail(e, -EINVAL, pat + offsetof(lu_img_pasid, hwpt_idx),
					    "device[%u] pasid[%u]: hwpt %u is not pasid_compat", i, k, pe.hwpt_idx);
			prev = pe.pasid;
		}
		next_pasid += d.nr_pasids;
	}
	if (next_pasid != np)
		return fail(e, -EOVERFLOW, offsetof(lu_img_header, nr_pasids),
			    "device PASID slices hold %llu entries, nr_pasids is %u",
			    static_cast<unsigned long long>(next_pasid), np);
	for (std::uint32_t i = 0; i < ni; i++)
		if (iommus[i].ref_count != iommu_refs[i])
			return fail(e, -EINVAL, off_iommus + std::uint64_t(i) * sizeof(lu_img_iommu) +
						offsetof(lu_img_iommu, ref_count),
				    "iommu[%u]: ref_count %u, %u devices reference it", i, iommus[i].ref_count,
				    iommu_refs[i]);

	if (view)
		*view = {hdr, iommus, hwpts, devices, pasids};
	return 0;
}

} // namespace lu::impl
