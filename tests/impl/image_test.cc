// SPDX-License-Identifier: GPL-2.0
// The hand-over image: round trips (0, 1, 1000, 2^20 PASIDs), and one
// rejection test per malformation, each with its own errno.
#include <cerrno>
#include <cstring>
#include <vector>

#include "lu/impl/image.h"
#include "lu/impl/restore.h"
#include "machine_helpers.h"

namespace lu::test {
namespace {

using namespace lu::impl;
using bytes = std::vector<std::uint8_t>;

// The image of the canned scenario (image example) under @preset.
bytes example_image(std::string_view preset_name, std::uint32_t nr_pasids)
{
	lu::config cfg;
	std::vector<lu::step> steps;
	example_trace(nr_pasids, &cfg, &steps);
	auto m = make(cfg, preset(preset_name));
	for (const auto &s : steps)
		(void)m->run(s);
	EXPECT_TRUE(m->kexeced());
	auto img = m->image();
	return bytes(img.begin(), img.end());
}

void fix_checksum(bytes &b)
{
	std::uint64_t sum = lu_img_checksum(b.data(), b.size(), offsetof(lu_img_header, checksum) / 8);
	std::memcpy(b.data() + offsetof(lu_img_header, checksum), &sum, 8);
}

template <typename T>
void poke(bytes &b, std::size_t off, T v)
{
	ASSERT_LE(off + sizeof(T), b.size());
	std::memcpy(b.data() + off, &v, sizeof(T));
}

int parse(const bytes &b, lu_img_error *e = nullptr)
{
	lu_img_view v;
	lu_img_error local;
	int rc = lu_img_parse(b.data(), b.size(), &v, e ? e : &local);
	lu_img_error &err = e ? *e : local;
	if (rc) {
		EXPECT_EQ(err.err, rc);
		EXPECT_GT(std::strlen(err.what), 0u);
		EXPECT_LE(err.offset, b.size());
	}
	return rc;
}

/* Offsets into example_image("full", 3): header, 1 iommu, 2 hwpts, 1 device, 3 PASIDs. */
constexpr std::size_t OFF_IOMMU = sizeof(lu_img_header);
constexpr std::size_t OFF_HWPT = OFF_IOMMU + sizeof(lu_img_iommu);
constexpr std::size_t OFF_DEV = OFF_HWPT + 2 * sizeof(lu_img_hwpt);
constexpr std::size_t OFF_PASID = OFF_DEV + sizeof(lu_img_device);

struct Image : ::testing::Test {
	bytes img = example_image("full", 3);
	void SetUp() override
	{
		ASSERT_EQ(img.size(), OFF_PASID + 3 * sizeof(lu_img_pasid));
		ASSERT_EQ(parse(img), 0);
	}
	// Change a field, fix the checksum, expect @want.
	template <typename T>
	void expect_field(std::size_t off, T v, int want)
	{
		bytes b = img;
		poke(b, off, v);
		fix_checksum(b);
		lu_img_error e;
		EXPECT_EQ(parse(b, &e), want) << e.what;
	}
};

/* ---- round trips ---- */

// An image with @n PASIDs spread over devices of 2^20 - 1 each.
bytes synthetic(std::uint32_t n)
{
	const std::uint32_t per = lu::PASID_LIMIT - 1;
	const std::uint32_t nd = n ? (n + per - 1) / per : 1;
	lu_img_counts c{};
	c.nr_iommus = 1;
	c.nr_hwpts = 2;
	c.nr_devices = nd;
	c.nr_pasids = n;
	c.features = LU_IMG_F_PASID_TABLE;
	c.variant = preset("full");
	image_writer w;
	EXPECT_EQ(w.begin(c), 0);
	w.add_iommu(nd, 1, 2);
	w.add_hwpt(LU_IMG_HWPT_PASID_COMPAT, 10, LU_IMG_NONE, 0x100);
	w.add_hwpt(LU_IMG_HWPT_PASID_COMPAT | LU_IMG_HWPT_NESTED, 11, 0, 0);
	std::uint32_t left = n;
	for (std::uint32_t d = 0; d < nd; d++) {
		std::uint32_t k = left < per ? left : per;
		lu_img_device dev{};
		dev.devid = d;
		dev.token = 100 + d;
		dev.iommufd_token = 1;
		dev.iommu_idx = 0;
		dev.rid_hwpt_idx = 0;
		dev.max_pasids = lu::PASID_LIMIT;
		dev.nr_pasids = k;
		w.add_device(dev);
		for (std::uint32_t p = 1; p <= k; p++)
			w.add_pasid(p, p & 1);
		left -= k;
	}
	lu_image out;
	EXPECT_EQ(w.finish(&out), 0);
	bytes b(out.data, out.data + out.size);
	lu_image_free(&out);
	return b;
}

void round_trip(std::uint32_t n)
{
	SCOPED_TRACE(n);
	auto live0 = alloc_stats_get().live_allocs;
	bytes b = synthetic(n);
	EXPECT_EQ(b.size(), lu_img_size(1, 2, n ? (n + lu::PASID_LIMIT - 2) / (lu::PASID_LIMIT - 1) : 1, n));
	lu_img_view v;
	ASSERT_EQ(lu_img_parse(b.data(), b.size(), &v, nullptr), 0);
	new_kernel nk;
	new_kernel_init(&nk);
	ASSERT_EQ(lu_restore(&nk, v), 0);
	std::uint64_t seen = 0;
	for (std::uint32_t d = 0; d < nk.nr_devices; d++) {
		const lu_restored_device &dev = nk.devices[d];
		EXPECT_EQ(dev.token, 100u + d);
		const lu_restored_hwpt *rid = lu_new_kernel_translation(&nk, d, 0);
		ASSERT_NE(rid, nullptr);
		EXPECT_EQ(rid->hwpt_id, 10u);
		seen += dev.nr_pasids;
		// Every PASID translates through what was written, and nothing else does.
		for (std::uint32_t p = 1; p <= dev.nr_pasids; p++) {
			const lu_restored_hwpt *h = lu_new_kernel_translation(&nk, d, p);
			if (!h || h->hwpt_id != (p & 1 ? 11u : 10u)) {
				ADD_FAILURE() << "device " << d << " pasid " << p;
				break;
			}
		}
		EXPECT_EQ(lu_new_kernel_dma(&nk, d, dev.nr_pasids + 1), -EFAULT);
	}
	EXPECT_EQ(seen, n);
	new_kernel_destroy(&nk);
	EXPECT_EQ(alloc_stats_get().live_allocs, live0);
}

TEST(ImageRoundTrip, ZeroPasids) { round_trip(0); }
TEST(ImageRoundTrip, OnePasid) { round_trip(1); }
TEST(ImageRoundTrip, ThousandPasids) { round_trip(1000); }
TEST(ImageRoundTrip, TwoTo20Pasids) { round_trip(lu::PASID_LIMIT); }

TEST(ImageRoundTrip, MachineImagesRestoreEveryRecordedAttachment)
{
	for (std::uint32_t n : {0u, 1u, 1000u}) {
		SCOPED_TRACE(n);
		lu::config cfg;
		std::vector<lu::step> steps;
		example_trace(n, &cfg, &steps);
		auto m = make(cfg, preset("full"));
		for (const auto &s : steps)
			ASSERT_EQ(m->run(s), 0);
		EXPECT_EQ(m->restored(), m->at_kexec());
		EXPECT_EQ(m->restored().size(), n + 1);
		lu_img_view v;
		ASSERT_EQ(lu_img_parse(m->image().data(), m->image().size(), &v, nullptr), 0);
		EXPECT_EQ(v.hdr->nr_pasids, n);
		EXPECT_TRUE(v.hdr->features & LU_IMG_F_PASID_TABLE);
	}
}

TEST(ImageRoundTrip, SerializingTwiceGivesTheSameBytes)
{
	EXPECT_EQ(example_image("full", 50), example_image("full", 50));
	EXPECT_EQ(example_image("v1", 50), example_image("v1", 50));
}

TEST(ImageRoundTrip, NonFullImagesHaveNoPasidTable)
{
	bytes b = example_image("v1", 10);
	lu_img_view v;
	ASSERT_EQ(lu_img_parse(b.data(), b.size(), &v, nullptr), 0);
	EXPECT_FALSE(v.hdr->features & LU_IMG_F_PASID_TABLE);
	EXPECT_EQ(v.hdr->nr_pasids, 0u);
	EXPECT_EQ(v.hdr->nr_devices, 1u);
}

/* ---- one rejection per malformation ---- */

TEST_F(Image, TruncatedIsENODATA)
{
	EXPECT_EQ(parse(bytes(img.begin(), img.begin() + 4)), -ENODATA);
	EXPECT_EQ(parse(bytes(img.begin(), img.begin() + 50)), -ENODATA);
	EXPECT_EQ(parse(bytes(img.begin(), img.end() - 1)), -ENODATA);
	EXPECT_EQ(parse(bytes()), -ENODATA);
}

TEST_F(Image, EveryTruncationIsRejected)
{
	for (std::size_t n = 0; n < img.size(); n++)
		ASSERT_NE(parse(bytes(img.begin(), img.begin() + n)), 0) << n;
}

TEST_F(Image, WrongMagicIsENOEXEC)
{
	bytes b = img;
	b[0] ^= 0x20;
	EXPECT_EQ(parse(b), -ENOEXEC);
}

TEST_F(Image, UnknownMajorVersionIsEPROTONOSUPPORT)
{
	expect_field<std::uint16_t>(offsetof(lu_img_header, version_major), 2, -EPROTONOSUPPORT);
	expect_field<char>(offsetof(lu_img_header, compatible) + 18, '2', -EPROTONOSUPPORT);
}

TEST_F(Image, NewerMinorVersionIsAccepted)
{
	expect_field<std::uint16_t>(offsetof(lu_img_header, version_minor), 7, 0);
}

TEST_F(Image, WrongHeaderOrRecordSizeIsEPROTO)
{
	expect_field<std::uint32_t>(offsetof(lu_img_header, header_size), 104, -EPROTO);
	expect_field<std::uint16_t>(offsetof(lu_img_header, hwpt_rec_size), 48, -EPROTO);
	expect_field<std::uint16_t>(offsetof(lu_img_header, pasid_rec_size), 16, -EPROTO);
}

TEST_F(Image, UnknownFeatureBitIsEOPNOTSUPP)
{
	expect_field<std::uint32_t>(offsetof(lu_img_header, features), LU_IMG_F_PASID_TABLE | 4, -EOPNOTSUPP);
}

TEST_F(Image, BadCountsAreEOVERFLOW)
{
	expect_field<std::uint32_t>(offsetof(lu_img_header, nr_hwpts), 3, -EOVERFLOW);
	expect_field<std::uint32_t>(offsetof(lu_img_header, nr_devices), 0xffffffffu, -EOVERFLOW);
	expect_field<std::uint32_t>(offsetof(lu_img_header, nr_pasids), 0x7fffffffu, -EOVERFLOW);
	expect_field<std::uint64_t>(offsetof(lu_img_header, total_size), 1u << 30, -EOVERFLOW);
}

TEST_F(Image, DeviceSliceBeyondTableIsEOVERFLOW)
{
	expect_field<std::uint32_t>(OFF_DEV + offsetof(lu_img_device, nr_pasids), 4, -EOVERFLOW);
}

TEST_F(Image, TrailingBytesAreE2BIG)
{
	bytes b = img;
	b.push_back(0);
	EXPECT_EQ(parse(b), -E2BIG);
}

TEST_F(Image, BadChecksumIsEBADMSG)
{
	bytes b = img;
	b[OFF_PASID + 1] ^= 1;
	EXPECT_EQ(parse(b), -EBADMSG);
}

TEST_F(Image, EveryBitFlipIsRejected)
{
	for (std::size_t i = 0; i < img.size(); i++)
		for (int bit = 0; bit < 8; bit++) {
			bytes b = img;
			b[i] ^= std::uint8_t(1u << bit);
			ASSERT_NE(parse(b), 0) << "byte " << i << " bit " << bit;
		}
}

TEST_F(Image, PasidAtOrAbove2To20IsERANGE)
{
	expect_field<std::uint32_t>(OFF_PASID + 2 * 8, lu::PASID_LIMIT, -ERANGE);
	expect_field<std::uint32_t>(OFF_PASID + 2 * 8, 0xffffffffu, -ERANGE);
}

TEST_F(Image, PasidZeroIsERANGE)
{
	expect_field<std::uint32_t>(OFF_PASID, 0, -ERANGE);
}

TEST_F(Image, PasidAtOrAboveMaxPasidsIsERANGE)
{
	expect_field<std::uint32_t>(OFF_DEV + offsetof(lu_img_device, max_pasids), 3, -ERANGE);
	expect_field<std::uint32_t>(OFF_DEV + offsetof(lu_img_device, max_pasids), lu::PASID_LIMIT + 1, -ERANGE);
}

TEST_F(Image, DanglingReferenceIsENXIO)
{
	expect_field<std::uint32_t>(OFF_PASID + offsetof(lu_img_pasid, hwpt_idx), 2, -ENXIO);
	expect_field<std::uint32_t>(OFF_DEV + offsetof(lu_img_device, rid_hwpt_idx), 9, -ENXIO);
	expect_field<std::uint32_t>(OFF_DEV + offsetof(lu_img_device, iommu_idx), 1, -ENXIO);
}

TEST_F(Image, NestedParentDanglingIsENXIO)
{
	bytes b = img;
	poke<std::uint32_t>(b, OFF_HWPT + sizeof(lu_img_hwpt) + offsetof(lu_img_hwpt, flags),
			    LU_IMG_HWPT_NESTED | LU_IMG_HWPT_PASID_COMPAT);
	poke<std::uint64_t>(b, OFF_HWPT + sizeof(lu_img_hwpt) + offsetof(lu_img_hwpt, token), 0);
	poke<std::uint32_t>(b, OFF_HWPT + sizeof(lu_img_hwpt) + offsetof(lu_img_hwpt, parent_idx), 5);
	fix_checksum(b);
	EXPECT_EQ(parse(b), -ENXIO);
}

TEST_F(Image, DuplicatePasidIsEEXIST)
{
	lu_img_pasid first;
	std::memcpy(&first, img.data() + OFF_PASID, sizeof(first));
	expect_field<std::uint32_t>(OFF_PASID + 8, first.pasid, -EEXIST);
}

TEST_F(Image, DuplicateHwptTokenOrIdIsEEXIST)
{
	lu_img_hwpt h0;
	std::memcpy(&h0, img.data() + OFF_HWPT, sizeof(h0));
	expect_field<std::uint64_t>(OFF_HWPT + sizeof(lu_img_hwpt) + offsetof(lu_img_hwpt, token), h0.token,
				    -EEXIST);
	expect_field<std::uint32_t>(OFF_HWPT + sizeof(lu_img_hwpt) + offsetof(lu_img_hwpt, hwpt_id), h0.hwpt_id,
				    -EEXIST);
}

TEST_F(Image, UnsortedPasidsAreEINVAL)
{
	expect_field<std::uint32_t>(OFF_PASID + 16, 1, -EINVAL); // 1, 2, 1
}

TEST_F(Image, IdxNotItsPositionIsEINVAL)
{
	expect_field<std::uint32_t>(OFF_HWPT + offsetof(lu_img_hwpt, idx), 1, -EINVAL);
}

TEST_F(Image, ReservedOrUnknownFlagsAreEINVAL)
{
	expect_field<std::uint8_t>(offsetof(lu_img_header, code_version), 3, -EINVAL);
	expect_field<std::uint8_t>(offsetof(lu_img_header, policy), 4, -EINVAL);
	expect_field<std::uint32_t>(OFF_DEV + offsetof(lu_img_device, flags), 0x80, -EINVAL);
	expect_field<std::uint32_t>(OFF_HWPT + offsetof(lu_img_hwpt, reserved), 1, -EINVAL);
}

TEST_F(Image, WrongIommuRefCountIsEINVAL)
{
	expect_field<std::uint32_t>(OFF_IOMMU + offsetof(lu_img_iommu, ref_count), 2, -EINVAL);
}

TEST_F(Image, PasidTableWithoutItsFeatureIsEINVAL)
{
	expect_field<std::uint32_t>(offsetof(lu_img_header, features), 0, -EINVAL);
}

TEST_F(Image, ErrorMessageSaysWhatAndWhere)
{
	bytes b = img;
	poke<std::uint32_t>(b, OFF_PASID + 16, lu::PASID_LIMIT);
	fix_checksum(b);
	lu_img_error e;
	ASSERT_EQ(parse(b, &e), -ERANGE);
	EXPECT_EQ(e.offset, OFF_PASID + 16);
	EXPECT_NE(std::strstr(e.what, "pasid[2]"), nullptr) << e.what;
	EXPECT_STREQ(lu_img_strerror(e.err), "PASID out of range");
}

/* ---- the header alone (a reader checks it before reading the rest) ---- */

int parse_header(const bytes &b, std::size_t avail, std::uint64_t size, std::uint64_t *total = nullptr,
		 lu_img_error *e = nullptr)
{
	std::uint64_t t = 0;
	lu_img_error local;
	lu_img_error &err = e ? *e : local;
	int rc = lu_img_parse_header(b.data(), avail, size, &t, &err);
	if (total)
		*total = t;
	if (rc) {
		EXPECT_EQ(err.err, rc);
		EXPECT_GT(std::strlen(err.what), 0u);
	}
	return rc;
}

TEST_F(Image, HeaderGivesTotalSizeWithoutTheRecords)
{
	bytes hdr(img.begin(), img.begin() + sizeof(lu_img_header));
	std::uint64_t total = 0;
	EXPECT_EQ(parse_header(hdr, hdr.size(), LU_IMG_SIZE_UNKNOWN, &total), 0);
	EXPECT_EQ(total, img.size());
	EXPECT_EQ(parse_header(hdr, hdr.size(), img.size(), &total), 0);
}

TEST_F(Image, HeaderRejectsAFileOfTheWrongLengthUnread)
{
	// Only the header is there: the length alone decides, as in lu_img_parse().
	bytes hdr(img.begin(), img.begin() + sizeof(lu_img_header));
	lu_img_error e;
	EXPECT_EQ(parse_header(hdr, hdr.size(), std::uint64_t(100) << 30, nullptr, &e), -E2BIG);
	EXPECT_EQ(e.offset, img.size());
	EXPECT_EQ(parse_header(hdr, hdr.size(), img.size() - 1, nullptr, &e), -ENODATA);
	EXPECT_EQ(parse_header(hdr, hdr.size(), LU_IMG_MAX_SIZE + 1), -E2BIG);
}

TEST_F(Image, HeaderChecksAreParsesChecks)
{
	// Truncated inputs and every one-byte change of the header: where the
	// header check rejects, lu_img_parse() rejects the same way (where it
	// accepts, the change was harmless, as a newer minor version, or
	// lu_img_parse() finds the fault behind the header).
	for (std::size_t n = 0; n < sizeof(lu_img_header); n++) {
		bytes b(img.begin(), img.begin() + n);
		ASSERT_EQ(parse_header(b, n, n), parse(b)) << n;
		ASSERT_EQ(parse_header(b, n, LU_IMG_SIZE_UNKNOWN), parse(b)) << n;
	}
	for (std::size_t off = 0; off < offsetof(lu_img_header, checksum); off++) {
		bytes b = img;
		b[off] ^= 0x41;
		fix_checksum(b);
		lu_img_error eh, ep;
		int rh = parse_header(b, sizeof(lu_img_header), b.size(), nullptr, &eh);
		int rp = parse(b, &ep);
		if (rh) {
			ASSERT_EQ(rh, rp) << off;
			ASSERT_EQ(eh.offset, ep.offset) << off;
			ASSERT_STREQ(eh.what, ep.what) << off;
		}
	}
}

TEST(ImageLimits, MaxSizeIsTheLargestTotalSizeAHeaderMayGive)
{
	// A header with every count at its limit (the records need not be there).
	bytes b = example_image("full", 3);
	b.resize(sizeof(lu_img_header));
	poke<std::uint32_t>(b, offsetof(lu_img_header, nr_iommus), LU_IMG_MAX_IOMMUS);
	poke<std::uint32_t>(b, offsetof(lu_img_header, nr_hwpts), LU_IMG_MAX_HWPTS);
	poke<std::uint32_t>(b, offsetof(lu_img_header, nr_devices), LU_IMG_MAX_DEVICES);
	poke<std::uint32_t>(b, offsetof(lu_img_header, nr_pasids), LU_IMG_MAX_DEVICES * LU_IMG_MAX_DEVICE_PASIDS);
	poke<std::uint64_t>(b, offsetof(lu_img_header, total_size), LU_IMG_MAX_SIZE);
	std::uint64_t total = 0;
	EXPECT_EQ(parse_header(b, b.size(), LU_IMG_SIZE_UNKNOWN, &total), 0);
	EXPECT_EQ(total, LU_IMG_MAX_SIZE);
	// One PASID entry more is more than the devices can hold.
	poke<std::uint32_t>(b, offsetof(lu_img_header, nr_pasids), LU_IMG_MAX_DEVICES * LU_IMG_MAX_DEVICE_PASIDS + 1);
	poke<std::uint64_t>(b, offsetof(lu_img_header, total_size), LU_IMG_MAX_SIZE + sizeof(lu_img_pasid));
	EXPECT_EQ(parse_header(b, b.size(), LU_IMG_SIZE_UNKNOWN), -EOVERFLOW);
	EXPECT_EQ(LU_IMG_MAX_DEVICE_PASIDS, lu::PASID_LIMIT - 1);
}

TEST(ImageWriter, TooFewRecordsIsEFAULT)
{
	lu_img_counts c{};
	c.nr_hwpts = 1;
	image_writer w;
	ASSERT_EQ(w.begin(c), 0);
	lu_image out;
	EXPECT_EQ(w.finish(&out), -EFAULT);
}

TEST(ImageWriter, TooManyPasidsIsEFAULT)
{
	lu_img_counts c{};
	c.nr_devices = 1;
	c.nr_pasids = 1;
	image_writer w;
	ASSERT_EQ(w.begin(c), 0);
	lu_img_device d{};
	d.nr_pasids = 1;
	w.add_device(d);
	w.add_pasid(1, 0);
	w.add_pasid(2, 0);
	lu_image out;
	EXPECT_EQ(w.finish(&out), -EFAULT);
}

TEST(ImageWriter, CountsAboveLimitsAreEOVERFLOW)
{
	lu_img_counts c{};
	c.nr_hwpts = LU_IMG_MAX_HWPTS + 1;
	image_writer w;
	EXPECT_EQ(w.begin(c), -EOVERFLOW);
}

} // namespace
} // namespace lu::test
