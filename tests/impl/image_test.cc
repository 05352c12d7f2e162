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
		const lu_restored_hwpt *rid = lu_new_kernel_translation(&nk, 0, d, 0);
		ASSERT_NE(rid, nullptr);
		EXPECT_EQ(rid->hwpt_id, 10u);
		seen += dev.nr_pasids;
		// Every PASID translates through what was written, and nothing else does.
		for (std::uint32_t p = 1; p <= dev.nr_pasids; p++) {
			const lu_restored_hwpt *h = lu_new_kernel_translation(&nk, 0, d, p);
			if (!h || h->hwpt_id != (p & 1 ? 11u : 10u)) {
				ADD_FAILURE() << "device " << d << " pasid " << p;
				break;
			}
		}
		EXPECT_EQ(lu_new_kernel_dma(&nk, 0, d, dev.nr_pasids + 1), -EFAULT);
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

/* ---- every refusal: errno, offset and message, on a checksum-valid image ----
 *
 * Each test below starts from a valid image (`img`: example_image("full", 3),
 * one device; `multi`: multi_device_image(), four devices, three hwpts one of
 * them nested), changes the field one check is about, recomputes the checksum
 * (so the refusal is never the checksum's) and asserts the errno, the byte
 * offset and that the message names the record and the field. The fail()
 * sites of impl/src/image.cpp, by message, and the test that reaches each:
 *
 *   lu_img_parse_header()
 *     "truncated: %zu bytes, the magic alone needs"    Refusal.TruncatedBeforeTheMagicEnds
 *     "wrong magic"                                    Refusal.WrongMagic
 *     "truncated: %zu bytes, the header needs"         Refusal.TruncatedInTheHeader
 *     "unknown major version"                          Refusal.UnknownMajorVersion
 *     "compatible string is not"                       Refusal.WrongCompatibleString
 *     "header_size %u, expected"                       Refusal.WrongHeaderSize
 *     "%s record size %u, expected" (each of four)     Refusal.WrongRecordSizes
 *     "unknown feature bits"                           Refusal.UnknownFeatureBits
 *     "bad variant bytes" (each of four)               Refusal.BadVariantBytes
 *     "nr_iommus %u above"                             Refusal.TooManyIommus
 *     "nr_hwpts %u above"                              Refusal.TooManyHwpts
 *     "nr_devices %u above"                            Refusal.TooManyDevices
 *     "nr_pasids %u: more than %u devices can hold"    Refusal.MorePasidsThanDevicesHold
 *     "nr_pasids %u without the PASID-table feature"   Refusal.PasidsWithoutTheirFeature
 *     "total_size %llu, the counts give"               Refusal.TotalSizeNotTheCounts
 *     "truncated: %llu bytes of %llu"                  Refusal.TruncatedBeforeTotalSize
 *     "%llu trailing bytes after the image"            Refusal.TrailingBytes
 *   lu_img_parse()
 *     "bad checksum"                                   Refusal.BadChecksum
 *     "iommu[%u]: idx %u is not its position"          Refusal.IommuIdxNotItsPosition
 *     "iommu[%u]: bad type"                            Refusal.IommuBadType
 *     "iommu[%u]: reserved %#x, not 0"                 Refusal.IommuReservedNotZero
 *     "hwpt[%u]: idx %u is not its position"           Refusal.HwptIdxNotItsPosition
 *     "hwpt[%u]: unknown flags"                        Refusal.HwptUnknownFlags
 *     "hwpt[%u]: reserved %#x, not 0"                  Refusal.HwptReservedNotZero
 *     "hwpt[%u]: parent %u dangles"                    Refusal.NestedParentDangles
 *     "hwpt[%u]: parent %u is nested, not paging"      Refusal.NestedParentIsNested
 *     "hwpt[%u]: nested hwpt with a token"             Refusal.NestedHwptWithAToken
 *     "hwpt[%u]: paging hwpt with parent"              Refusal.PagingHwptWithAParent
 *     "hwpt[%u]: hwpt id %u duplicates"                Refusal.DuplicateHwptId
 *     "hwpt[%u]: token %#llx duplicates"               Refusal.DuplicateHwptToken
 *     "device[%u]: idx %u is not its position"         Refusal.DeviceIdxNotItsPosition
 *     "device[%u]: unknown flags"                      Refusal.DeviceUnknownFlags
 *     "device[%u]: max_pasids %u above 2^20"           Refusal.MaxPasidsAbove2To20
 *     "device[%u]: BDF %#x above 16 bits"              Refusal.BdfAbove16Bits
 *     "device[%u]: references without an iommufd"      Refusal.NoIommufdDeviceWithReferences
 *     "device[%u]: iommu %u dangles"                   Refusal.DeviceIommuDangles
 *     "device[%u]: RID hwpt %u dangles"                Refusal.DeviceRidHwptDangles
 *     "device[%u]: PCI %x:%x (segment:BDF) duplicates" Refusal.DuplicateBdf
 *     "device[%u]: token %#llx duplicates"             Refusal.DuplicateDeviceToken
 *     "device[%u]: PASID slice starts at"              Refusal.PasidSliceNotWhereThePreviousEnds
 *     "device[%u]: PASID slice [%u, +%u) past"         Refusal.PasidSlicePastTheTable
 *     "device[%u] pasid[%u]: PASID %u outside"         Refusal.PasidZeroOrAtOrAbove2To20
 *     "device[%u] pasid[%u]: PASID %u not below"       Refusal.PasidNotBelowMaxPasids
 *     "device[%u] pasid[%u]: PASID %u twice"           Refusal.PasidTwiceInADevice
 *     "device[%u] pasid[%u]: ... not sorted"           Refusal.PasidsNotSorted
 *     "device[%u] pasid[%u]: hwpt %u dangles"          Refusal.PasidHwptDangles
 *     "device[%u] pasid[%u]: hwpt %u is not pasid_compat" Refusal.PasidHwptNotPasidCompat
 *     "device PASID slices hold %llu entries"          Refusal.PasidSlicesShortOfTheTable
 *     "iommu[%u]: ref_count %u, %u devices"            Refusal.WrongIommuRefCount
 *
 * A new fail() site needs a row here and a test.
 */

/* The devices of multi_device_image(): each its own BDF, token and PASIDs. */
struct multi_dev {
	std::uint32_t devid;
	std::uint64_t token;
	std::uint32_t max_pasids;
	std::vector<lu_img_pasid> pasids; // {pasid, hwpt index}, ascending
};

// Three devices with PASIDs, no two alike (one PASID number, 2, on two of
// them through different hwpts), and one without; hwpt 0 paging (the RIDs),
// hwpt 1 paging pasid_compat, hwpt 2 nested pasid_compat on hwpt 0.
const std::vector<multi_dev> MULTI = {
	{0x0108, 0x5001, lu::PASID_LIMIT, {{1, 1}, {2, 1}, {3, 2}}},
	{0x0010, 0x5002, 4096, {{2, 2}, {7, 1}, {4000, 1}}},
	{0x0a21, 0x5003, lu::PASID_LIMIT, {{5, 2}, {100, 2}}},
	{0x0300, 0x5004, lu::PASID_LIMIT, {}},
};
constexpr std::uint32_t MULTI_HWPT_IDS[] = {20, 21, 22};
constexpr std::uint32_t MULTI_PASIDS = 8;

bytes multi_device_image()
{
	lu_img_counts c{};
	c.nr_iommus = 1;
	c.nr_hwpts = 3;
	c.nr_devices = std::uint32_t(MULTI.size());
	c.nr_pasids = MULTI_PASIDS;
	c.features = LU_IMG_F_PASID_TABLE;
	c.variant = preset("full");
	image_writer w;
	EXPECT_EQ(w.begin(c), 0);
	w.add_iommu(std::uint32_t(MULTI.size()), 1, 2);
	w.add_hwpt(0, MULTI_HWPT_IDS[0], LU_IMG_NONE, 0x100);
	w.add_hwpt(LU_IMG_HWPT_PASID_COMPAT, MULTI_HWPT_IDS[1], LU_IMG_NONE, 0x101);
	w.add_hwpt(LU_IMG_HWPT_PASID_COMPAT | LU_IMG_HWPT_NESTED, MULTI_HWPT_IDS[2], 0, 0);
	for (std::uint32_t i = 0; i < MULTI.size(); i++) {
		const multi_dev &m = MULTI[i];
		lu_img_device d{};
		d.devid = m.devid;
		d.token = m.token;
		d.iommufd_token = 1;
		d.iommu_idx = 0;
		d.rid_hwpt_idx = 0;
		d.max_pasids = m.max_pasids;
		d.group_id = i;
		d.nr_pasids = std::uint32_t(m.pasids.size());
		w.add_device(d);
		for (const auto &p : m.pasids)
			w.add_pasid(p.pasid, p.hwpt_idx);
	}
	lu_image out;
	EXPECT_EQ(w.finish(&out), 0);
	bytes b(out.data, out.data + out.size);
	lu_image_free(&out);
	return b;
}

/* Offsets into multi_device_image(). */
constexpr std::size_t M_IOMMU = sizeof(lu_img_header);
constexpr std::size_t M_HWPT = M_IOMMU + sizeof(lu_img_iommu);
constexpr std::size_t M_DEV = M_HWPT + 3 * sizeof(lu_img_hwpt);
constexpr std::size_t M_PASID = M_DEV + 4 * sizeof(lu_img_device);
constexpr std::size_t m_hwpt(std::size_t i, std::size_t field) { return M_HWPT + i * sizeof(lu_img_hwpt) + field; }
constexpr std::size_t m_dev(std::size_t i, std::size_t field) { return M_DEV + i * sizeof(lu_img_device) + field; }
constexpr std::size_t m_pasid(std::size_t k, std::size_t field) { return M_PASID + k * sizeof(lu_img_pasid) + field; }

struct Refusal : Image {
	bytes multi = multi_device_image();
	void SetUp() override
	{
		Image::SetUp();
		ASSERT_EQ(multi.size(), M_PASID + MULTI_PASIDS * sizeof(lu_img_pasid));
		ASSERT_EQ(parse(multi), 0);
	}
	// @b is refused with @err at @off, and its message holds each of @says.
	// The checksum is recomputed first unless @keep_checksum (or @b is
	// shorter than the header).
	static void refused(bytes b, int err, std::uint64_t off, std::initializer_list<const char *> says,
			    bool keep_checksum = false)
	{
		if (!keep_checksum && b.size() >= sizeof(lu_img_header))
			fix_checksum(b);
		lu_img_error e;
		ASSERT_EQ(parse(b, &e), err) << e.what;
		EXPECT_EQ(e.err, err);
		EXPECT_EQ(e.offset, off) << e.what;
		for (const char *s : says)
			EXPECT_NE(std::strstr(e.what, s), nullptr) << "\"" << s << "\" is not in: " << e.what;
	}
	// @base with one field at @off set to @v, then refused().
	template <typename T>
	static void field_refused(const bytes &base, std::size_t off, T v, int err, std::uint64_t want_off,
				  std::initializer_list<const char *> says)
	{
		bytes b = base;
		poke(b, off, v);
		refused(b, err, want_off, says);
	}
	template <typename T>
	static T peek(const bytes &b, std::size_t off)
	{
		T v;
		std::memcpy(&v, b.data() + off, sizeof(v));
		return v;
	}
};

/* -- the header (lu_img_parse_header(), which lu_img_parse() runs first) -- */

TEST_F(Refusal, TruncatedBeforeTheMagicEnds)
{
	refused(bytes(), -ENODATA, 0, {"truncated: 0 bytes", "magic alone needs 8"});
	refused(bytes(img.begin(), img.begin() + 7), -ENODATA, 0, {"truncated: 7 bytes", "magic"});
}

TEST_F(Refusal, WrongMagic)
{
	bytes b = img;
	b[7] = 0;
	refused(b, -ENOEXEC, 0, {"wrong magic", "not an iommufd-lu image"});
}

TEST_F(Refusal, TruncatedInTheHeader)
{
	refused(bytes(img.begin(), img.begin() + 50), -ENODATA, 50, {"truncated: 50 bytes", "header needs 96"});
	refused(bytes(img.begin(), img.begin() + 95), -ENODATA, 95, {"truncated: 95 bytes", "header needs 96"});
}

TEST_F(Refusal, UnknownMajorVersion)
{
	field_refused<std::uint16_t>(img, offsetof(lu_img_header, version_major), 2, -EPROTONOSUPPORT,
				     offsetof(lu_img_header, version_major), {"unknown major version 2", "reads 1"});
}

TEST_F(Refusal, WrongCompatibleString)
{
	field_refused<char>(img, offsetof(lu_img_header, compatible) + 18, '2', -EPROTONOSUPPORT,
			    offsetof(lu_img_header, compatible), {"compatible string is not \"iommufd-lu-image-v1\""});
	// The NUL padding is part of the string.
	field_refused<char>(img, offsetof(lu_img_header, compatible) + 31, 'x', -EPROTONOSUPPORT,
			    offsetof(lu_img_header, compatible), {"compatible string"});
}

TEST_F(Refusal, WrongHeaderSize)
{
	field_refused<std::uint32_t>(img, offsetof(lu_img_header, header_size), 104, -EPROTO,
				     offsetof(lu_img_header, header_size), {"header_size 104, expected 96"});
}

TEST_F(Refusal, WrongRecordSizes)
{
	field_refused<std::uint16_t>(img, offsetof(lu_img_header, iommu_rec_size), 40, -EPROTO,
				     offsetof(lu_img_header, iommu_rec_size), {"iommu record size 40, expected 32"});
	field_refused<std::uint16_t>(img, offsetof(lu_img_header, hwpt_rec_size), 48, -EPROTO,
				     offsetof(lu_img_header, hwpt_rec_size), {"hwpt record size 48, expected 40"});
	field_refused<std::uint16_t>(img, offsetof(lu_img_header, device_rec_size), 64, -EPROTO,
				     offsetof(lu_img_header, device_rec_size), {"device record size 64, expected 56"});
	field_refused<std::uint16_t>(img, offsetof(lu_img_header, pasid_rec_size), 16, -EPROTO,
				     offsetof(lu_img_header, pasid_rec_size), {"pasid record size 16, expected 8"});
}

TEST_F(Refusal, UnknownFeatureBits)
{
	field_refused<std::uint32_t>(img, offsetof(lu_img_header, features), LU_IMG_F_PASID_TABLE | 0x10, -EOPNOTSUPP,
				     offsetof(lu_img_header, features), {"unknown feature bits 0x10"});
}

TEST_F(Refusal, BadVariantBytes)
{
	// One message for the four bytes: it shows each, the offset is the first.
	const std::size_t at = offsetof(lu_img_header, policy);
	field_refused<std::uint8_t>(img, offsetof(lu_img_header, policy), 4, -EINVAL, at,
				    {"bad variant bytes", "policy=4 "});
	field_refused<std::uint8_t>(img, offsetof(lu_img_header, freeze), 2, -EINVAL, at, {"freeze=2 "});
	field_refused<std::uint8_t>(img, offsetof(lu_img_header, vfio_gate), 2, -EINVAL, at, {"vfio_gate=2 "});
	field_refused<std::uint8_t>(img, offsetof(lu_img_header, code_version), 3, -EINVAL, at,
				    {"code_version=3 (0 v1, 1 v2, 2 post-v2)"});
}

TEST_F(Refusal, TooManyIommus)
{
	field_refused<std::uint32_t>(img, offsetof(lu_img_header, nr_iommus), LU_IMG_MAX_IOMMUS + 1, -EOVERFLOW,
				     offsetof(lu_img_header, nr_iommus), {"nr_iommus 65 above 64"});
}

TEST_F(Refusal, TooManyHwpts)
{
	field_refused<std::uint32_t>(img, offsetof(lu_img_header, nr_hwpts), LU_IMG_MAX_HWPTS + 1, -EOVERFLOW,
				     offsetof(lu_img_header, nr_hwpts), {"nr_hwpts 4097 above 4096"});
}

TEST_F(Refusal, TooManyDevices)
{
	field_refused<std::uint32_t>(img, offsetof(lu_img_header, nr_devices), LU_IMG_MAX_DEVICES + 1, -EOVERFLOW,
				     offsetof(lu_img_header, nr_devices), {"nr_devices 4097 above 4096"});
}

TEST_F(Refusal, MorePasidsThanDevicesHold)
{
	field_refused<std::uint32_t>(img, offsetof(lu_img_header, nr_pasids), LU_IMG_MAX_DEVICE_PASIDS + 1,
				     -EOVERFLOW, offsetof(lu_img_header, nr_pasids),
				     {"nr_pasids 1048576: more than 1 devices can hold"});
}

TEST_F(Refusal, PasidsWithoutTheirFeature)
{
	field_refused<std::uint32_t>(img, offsetof(lu_img_header, features), 0, -EINVAL,
				     offsetof(lu_img_header, nr_pasids), {"nr_pasids 3 without the PASID-table feature"});
}

TEST_F(Refusal, TotalSizeNotTheCounts)
{
	field_refused<std::uint64_t>(img, offsetof(lu_img_header, total_size), img.size() + 8, -EOVERFLOW,
				     offsetof(lu_img_header, total_size), {"total_size 296, the counts give 288"});
	// A count changed alone: total_size no longer matches it.
	field_refused<std::uint32_t>(img, offsetof(lu_img_header, nr_hwpts), 3, -EOVERFLOW,
				     offsetof(lu_img_header, total_size), {"total_size 288, the counts give 328"});
}

TEST_F(Refusal, TruncatedBeforeTotalSize)
{
	refused(bytes(img.begin(), img.end() - 1), -ENODATA, img.size() - 1, {"truncated: 287 bytes of 288"});
	refused(bytes(img.begin(), img.begin() + sizeof(lu_img_header)), -ENODATA, sizeof(lu_img_header),
		{"truncated: 96 bytes of 288"});
}

TEST_F(Refusal, TrailingBytes)
{
	bytes b = img;
	b.resize(b.size() + 3);
	refused(b, -E2BIG, img.size(), {"3 trailing bytes after the image"});
}

/* -- lu_img_parse(): the checksum, then the records in array order -- */

TEST_F(Refusal, BadChecksum)
{
	bytes b = img;
	b[OFF_PASID + 1] ^= 1;
	refused(b, -EBADMSG, offsetof(lu_img_header, checksum), {"bad checksum", "computed"}, true);
	b = img;
	b[offsetof(lu_img_header, checksum)] ^= 1;
	refused(b, -EBADMSG, offsetof(lu_img_header, checksum), {"bad checksum"}, true);
}

TEST_F(Refusal, IommuIdxNotItsPosition)
{
	field_refused<std::uint32_t>(img, OFF_IOMMU + offsetof(lu_img_iommu, idx), 1, -EINVAL,
				     OFF_IOMMU + offsetof(lu_img_iommu, idx), {"iommu[0]: idx 1 is not its position"});
}

TEST_F(Refusal, IommuBadType)
{
	field_refused<std::uint32_t>(img, OFF_IOMMU + offsetof(lu_img_iommu, type), LU_IMG_IOMMU_INVALID, -EINVAL,
				     OFF_IOMMU + offsetof(lu_img_iommu, type), {"iommu[0]: bad type 0"});
}

TEST_F(Refusal, IommuReservedNotZero)
{
	field_refused<std::uint32_t>(img, OFF_IOMMU + offsetof(lu_img_iommu, reserved), 0x40, -EINVAL,
				     OFF_IOMMU + offsetof(lu_img_iommu, reserved), {"iommu[0]: reserved 0x40, not 0"});
}

TEST_F(Refusal, HwptIdxNotItsPosition)
{
	field_refused<std::uint32_t>(multi, m_hwpt(2, offsetof(lu_img_hwpt, idx)), 0, -EINVAL,
				     m_hwpt(2, offsetof(lu_img_hwpt, idx)), {"hwpt[2]: idx 0 is not its position"});
}

TEST_F(Refusal, HwptUnknownFlags)
{
	field_refused<std::uint32_t>(multi, m_hwpt(1, offsetof(lu_img_hwpt, flags)), LU_IMG_HWPT_PASID_COMPAT | 0x80,
				     -EINVAL, m_hwpt(1, offsetof(lu_img_hwpt, flags)), {"hwpt[1]: unknown flags 0x82"});
}

TEST_F(Refusal, HwptReservedNotZero)
{
	field_refused<std::uint32_t>(multi, m_hwpt(1, offsetof(lu_img_hwpt, reserved)), 1, -EINVAL,
				     m_hwpt(1, offsetof(lu_img_hwpt, reserved)), {"hwpt[1]: reserved 0x1, not 0"});
}

TEST_F(Refusal, NestedParentDangles)
{
	field_refused<std::uint32_t>(multi, m_hwpt(2, offsetof(lu_img_hwpt, parent_idx)), 3, -ENXIO,
				     m_hwpt(2, offsetof(lu_img_hwpt, parent_idx)), {"hwpt[2]: parent 3 dangles (nr_hwpts 3)"});
	field_refused<std::uint32_t>(multi, m_hwpt(2, offsetof(lu_img_hwpt, parent_idx)), LU_IMG_NONE, -ENXIO,
				     m_hwpt(2, offsetof(lu_img_hwpt, parent_idx)), {"hwpt[2]: parent 4294967295 dangles"});
}

TEST_F(Refusal, NestedParentIsNested)
{
	// Its own parent: nested, not paging.
	field_refused<std::uint32_t>(multi, m_hwpt(2, offsetof(lu_img_hwpt, parent_idx)), 2, -EINVAL,
				     m_hwpt(2, offsetof(lu_img_hwpt, parent_idx)), {"hwpt[2]: parent 2 is nested, not paging"});
}

TEST_F(Refusal, NestedHwptWithAToken)
{
	field_refused<std::uint64_t>(multi, m_hwpt(2, offsetof(lu_img_hwpt, token)), 0x77, -EINVAL,
				     m_hwpt(2, offsetof(lu_img_hwpt, token)), {"hwpt[2]: nested hwpt with a token"});
}

TEST_F(Refusal, PagingHwptWithAParent)
{
	field_refused<std::uint32_t>(multi, m_hwpt(1, offsetof(lu_img_hwpt, parent_idx)), 0, -EINVAL,
				     m_hwpt(1, offsetof(lu_img_hwpt, parent_idx)), {"hwpt[1]: paging hwpt with parent 0"});
}

TEST_F(Refusal, DuplicateHwptId)
{
	field_refused<std::uint32_t>(multi, m_hwpt(2, offsetof(lu_img_hwpt, hwpt_id)), MULTI_HWPT_IDS[1], -EEXIST,
				     m_hwpt(2, offsetof(lu_img_hwpt, hwpt_id)), {"hwpt[2]: hwpt id 21 duplicates hwpt[1]"});
}

TEST_F(Refusal, DuplicateHwptToken)
{
	field_refused<std::uint64_t>(multi, m_hwpt(1, offsetof(lu_img_hwpt, token)), 0x100, -EEXIST,
				     m_hwpt(1, offsetof(lu_img_hwpt, token)), {"hwpt[1]: token 0x100 duplicates hwpt[0]"});
}

TEST_F(Refusal, DeviceIdxNotItsPosition)
{
	field_refused<std::uint32_t>(multi, m_dev(2, offsetof(lu_img_device, idx)), 7, -EINVAL,
				     m_dev(2, offsetof(lu_img_device, idx)), {"device[2]: idx 7 is not its position"});
}

TEST_F(Refusal, DeviceUnknownFlags)
{
	field_refused<std::uint32_t>(multi, m_dev(1, offsetof(lu_img_device, flags)), 0x80, -EINVAL,
				     m_dev(1, offsetof(lu_img_device, flags)), {"device[1]: unknown flags 0x80"});
}

TEST_F(Refusal, MaxPasidsAbove2To20)
{
	field_refused<std::uint32_t>(multi, m_dev(1, offsetof(lu_img_device, max_pasids)), lu::PASID_LIMIT + 1,
				     -ERANGE, m_dev(1, offsetof(lu_img_device, max_pasids)),
				     {"device[1]: max_pasids 1048577 above 2^20"});
}

TEST_F(Refusal, BdfAbove16Bits)
{
	field_refused<std::uint32_t>(multi, m_dev(2, offsetof(lu_img_device, devid)), 0x10000, -ERANGE,
				     m_dev(2, offsetof(lu_img_device, devid)), {"device[2]: BDF 0x10000 above 16 bits"});
}

TEST_F(Refusal, NoIommufdDeviceWithReferences)
{
	// Device 3 (no PASIDs) claims vfio skipped iommufd, yet names an iommu and a RID hwpt.
	field_refused<std::uint32_t>(multi, m_dev(3, offsetof(lu_img_device, flags)), LU_IMG_DEV_NO_IOMMUFD, -EINVAL,
				     m_dev(3, offsetof(lu_img_device, iommu_idx)),
				     {"device[3]: references without an iommufd record"});
}

TEST_F(Refusal, DeviceIommuDangles)
{
	field_refused<std::uint32_t>(multi, m_dev(1, offsetof(lu_img_device, iommu_idx)), 1, -ENXIO,
				     m_dev(1, offsetof(lu_img_device, iommu_idx)), {"device[1]: iommu 1 dangles (nr_iommus 1)"});
}

TEST_F(Refusal, DeviceRidHwptDangles)
{
	field_refused<std::uint32_t>(multi, m_dev(1, offsetof(lu_img_device, rid_hwpt_idx)), 3, -ENXIO,
				     m_dev(1, offsetof(lu_img_device, rid_hwpt_idx)),
				     {"device[1]: RID hwpt 3 dangles (nr_hwpts 3)"});
}

TEST_F(Refusal, DuplicateBdf)
{
	// Two records for one PCI function: device 2 takes device 0's BDF.
	field_refused<std::uint32_t>(multi, m_dev(2, offsetof(lu_img_device, devid)), MULTI[0].devid, -EEXIST,
				     m_dev(2, offsetof(lu_img_device, devid)),
				     {"device[2]: PCI 0:108 (segment:BDF) duplicates device[0]"});
	// Adjacent records too.
	field_refused<std::uint32_t>(multi, m_dev(1, offsetof(lu_img_device, devid)), MULTI[0].devid, -EEXIST,
				     m_dev(1, offsetof(lu_img_device, devid)),
				     {"device[1]: PCI 0:108 (segment:BDF) duplicates device[0]"});
	// The same segment other than 0 and the same BDF: one function again.
	bytes b = multi;
	poke<std::uint32_t>(b, m_dev(0, offsetof(lu_img_device, pci_domain)), 0x12);
	poke<std::uint32_t>(b, m_dev(3, offsetof(lu_img_device, pci_domain)), 0x12);
	poke<std::uint32_t>(b, m_dev(3, offsetof(lu_img_device, devid)), MULTI[0].devid);
	refused(b, -EEXIST, m_dev(3, offsetof(lu_img_device, devid)),
		{"device[3]: PCI 12:108 (segment:BDF) duplicates device[0]"});
}

TEST_F(Refusal, DuplicateDeviceToken)
{
	field_refused<std::uint64_t>(multi, m_dev(3, offsetof(lu_img_device, token)), MULTI[1].token, -EEXIST,
				     m_dev(3, offsetof(lu_img_device, token)), {"device[3]: token 0x5002 duplicates device[1]"});
}

TEST_F(Refusal, PasidSliceNotWhereThePreviousEnds)
{
	field_refused<std::uint32_t>(multi, m_dev(1, offsetof(lu_img_device, pasid_first)), 2, -EINVAL,
				     m_dev(1, offsetof(lu_img_device, pasid_first)),
				     {"device[1]: PASID slice starts at 2, expected 3"});
	// A device without PASIDs has its (empty) slice where the previous one ends, too.
	field_refused<std::uint32_t>(multi, m_dev(3, offsetof(lu_img_device, pasid_first)), 0, -EINVAL,
				     m_dev(3, offsetof(lu_img_device, pasid_first)),
				     {"device[3]: PASID slice starts at 0, expected 8"});
}

TEST_F(Refusal, PasidSlicePastTheTable)
{
	field_refused<std::uint32_t>(multi, m_dev(2, offsetof(lu_img_device, nr_pasids)), 3, -EOVERFLOW,
				     m_dev(2, offsetof(lu_img_device, nr_pasids)),
				     {"device[2]: PASID slice [6, +3) past nr_pasids 8"});
	field_refused<std::uint32_t>(img, OFF_DEV + offsetof(lu_img_device, nr_pasids), 0xffffffffu, -EOVERFLOW,
				     OFF_DEV + offsetof(lu_img_device, nr_pasids),
				     {"device[0]: PASID slice [0, +4294967295) past nr_pasids 3"});
}

TEST_F(Refusal, PasidZeroOrAtOrAbove2To20)
{
	// Device 1's first entry (table entry 3), then device 0's last (entry 2).
	field_refused<std::uint32_t>(multi, m_pasid(3, 0), 0, -ERANGE, m_pasid(3, 0),
				     {"device[1] pasid[0]: PASID 0 outside 1..2^20-1"});
	field_refused<std::uint32_t>(multi, m_pasid(2, 0), lu::PASID_LIMIT, -ERANGE, m_pasid(2, 0),
				     {"device[0] pasid[2]: PASID 1048576 outside 1..2^20-1"});
}

TEST_F(Refusal, PasidNotBelowMaxPasids)
{
	// Device 1 has PASID 4000: a max_pasids of 4000 leaves it out.
	field_refused<std::uint32_t>(multi, m_dev(1, offsetof(lu_img_device, max_pasids)), 4000, -ERANGE,
				     m_pasid(5, 0), {"device[1] pasid[2]: PASID 4000 not below max_pasids 4000"});
	// max_pasids 0 (no PASID support: the group's PASIDs) is not checked.
	bytes b = multi;
	poke<std::uint32_t>(b, m_dev(1, offsetof(lu_img_device, max_pasids)), 0);
	fix_checksum(b);
	EXPECT_EQ(parse(b), 0);
}

TEST_F(Refusal, PasidTwiceInADevice)
{
	field_refused<std::uint32_t>(multi, m_pasid(4, 0), 2, -EEXIST, m_pasid(4, 0),
				     {"device[1] pasid[1]: PASID 2 twice"});
}

TEST_F(Refusal, PasidsNotSorted)
{
	field_refused<std::uint32_t>(multi, m_pasid(4, 0), 1, -EINVAL, m_pasid(4, 0),
				     {"device[1] pasid[1]: PASID 1 after 2, not sorted"});
}

TEST_F(Refusal, PasidHwptDangles)
{
	field_refused<std::uint32_t>(multi, m_pasid(6, offsetof(lu_img_pasid, hwpt_idx)), 3, -ENXIO,
				     m_pasid(6, offsetof(lu_img_pasid, hwpt_idx)),
				     {"device[2] pasid[0]: hwpt 3 dangles (nr_hwpts 3)"});
}

TEST_F(Refusal, PasidHwptNotPasidCompat)
{
	field_refused<std::uint32_t>(multi, m_pasid(6, offsetof(lu_img_pasid, hwpt_idx)), 0, -EINVAL,
				     m_pasid(6, offsetof(lu_img_pasid, hwpt_idx)),
				     {"device[2] pasid[0]: hwpt 0 is not pasid_compat"});
}

TEST_F(Refusal, PasidSlicesShortOfTheTable)
{
	// The only device's slice holds 2 of the table's 3 entries.
	field_refused<std::uint32_t>(img, OFF_DEV + offsetof(lu_img_device, nr_pasids), 2, -EOVERFLOW,
				     offsetof(lu_img_header, nr_pasids), {"device PASID slices hold 2 entries, nr_pasids is 3"});
}

TEST_F(Refusal, WrongIommuRefCount)
{
	field_refused<std::uint32_t>(multi, M_IOMMU + offsetof(lu_img_iommu, ref_count), 3, -EINVAL,
				     M_IOMMU + offsetof(lu_img_iommu, ref_count), {"iommu[0]: ref_count 3, 4 devices reference it"});
}

/* ---- accepted variations the refusals above must not catch ---- */

using ImageMultiDevice = Refusal;

TEST_F(ImageMultiDevice, SameBdfOnAnotherSegmentIsAnotherFunction)
{
	bytes b = multi;
	poke<std::uint32_t>(b, m_dev(2, offsetof(lu_img_device, devid)), MULTI[0].devid);
	poke<std::uint32_t>(b, m_dev(2, offsetof(lu_img_device, pci_domain)), 1);
	fix_checksum(b);
	EXPECT_EQ(parse(b), 0);
}

/* ---- restore: a device is its segment and BDF together ---- */

// Device 2 has device 0's BDF on segment 1 and device 3 the same BDF on
// segment 0xffff: three functions, each restored with its own token, RID and
// PASIDs, found by (segment, BDF) and by nothing less.
TEST_F(ImageMultiDevice, RestoreKeysDevicesBySegmentAndBdf)
{
	auto live0 = alloc_stats_get().live_allocs;
	const std::uint32_t bdf = MULTI[0].devid;
	const std::uint32_t segment[] = {0, 0, 1, 0xffff}; // per device of MULTI
	bytes b = multi;
	for (std::size_t i : {2, 3}) {
		poke<std::uint32_t>(b, m_dev(i, offsetof(lu_img_device, devid)), bdf);
		poke<std::uint32_t>(b, m_dev(i, offsetof(lu_img_device, pci_domain)), segment[i]);
	}
	// Device 3 had no PASIDs and the RID on hwpt 0: give its RID hwpt 1, so
	// that each of the three has something the others have not.
	poke<std::uint32_t>(b, m_dev(3, offsetof(lu_img_device, rid_hwpt_idx)), 1);
	fix_checksum(b);
	lu_img_view v;
	ASSERT_EQ(lu_img_parse(b.data(), b.size(), &v, nullptr), 0);
	new_kernel nk;
	new_kernel_init(&nk);
	ASSERT_EQ(lu_restore(&nk, v), 0);
	ASSERT_EQ(nk.nr_devices, MULTI.size());
	for (std::size_t i : {0, 2, 3}) {
		const multi_dev &m = MULTI[i];
		SCOPED_TRACE(::testing::Message() << "device " << i << " segment " << segment[i]);
		const lu_restored_device *d = lu_new_kernel_device(&nk, segment[i], bdf);
		ASSERT_EQ(d, &nk.devices[i]);
		EXPECT_EQ(d->pci_domain, segment[i]);
		EXPECT_EQ(d->devid, bdf);
		EXPECT_EQ(d->token, m.token);
		const lu_restored_hwpt *rid = lu_new_kernel_translation(&nk, segment[i], bdf, lu::IOMMU_NO_PASID);
		ASSERT_NE(rid, nullptr);
		EXPECT_EQ(rid->hwpt_id, MULTI_HWPT_IDS[i == 3 ? 1 : 0]);
		for (const auto &p : m.pasids) {
			const lu_restored_hwpt *h = lu_new_kernel_translation(&nk, segment[i], bdf, p.pasid);
			ASSERT_NE(h, nullptr) << "pasid " << p.pasid;
			EXPECT_EQ(h->hwpt_id, MULTI_HWPT_IDS[p.hwpt_idx]) << "pasid " << p.pasid;
		}
		std::uint32_t translating = 0;
		for (std::uint32_t pasid = 1; pasid <= 4100; pasid++)
			translating += lu_new_kernel_dma(&nk, segment[i], bdf, pasid) == 0;
		EXPECT_EQ(translating, m.pasids.size());
	}
	// Device 1 keeps its own BDF on segment 0; no other segment has the BDF.
	EXPECT_EQ(lu_new_kernel_device(&nk, 0, MULTI[1].devid), &nk.devices[1]);
	EXPECT_EQ(lu_new_kernel_device(&nk, 2, bdf), nullptr);
	EXPECT_EQ(lu_new_kernel_dma(&nk, 2, bdf, lu::IOMMU_NO_PASID), -EFAULT);
	EXPECT_EQ(lu_new_kernel_device(&nk, 1, MULTI[1].devid), nullptr);
	new_kernel_destroy(&nk);
	EXPECT_EQ(alloc_stats_get().live_allocs, live0);
}

// lu_restore() of a view the parser did not check: two records of one
// function are -EEXIST (not -ENOMEM), and nothing is left allocated.
TEST_F(ImageMultiDevice, RestoreRefusesOneFunctionTwice)
{
	auto live0 = alloc_stats_get().live_allocs;
	bytes b = multi;
	lu_img_view v;
	ASSERT_EQ(lu_img_parse(b.data(), b.size(), &v, nullptr), 0);
	// The view points into @b: make device 2 device 0's function after the parse.
	poke<std::uint32_t>(b, m_dev(2, offsetof(lu_img_device, devid)), MULTI[0].devid);
	new_kernel nk;
	new_kernel_init(&nk);
	EXPECT_EQ(lu_restore(&nk, v), -EEXIST);
	EXPECT_EQ(nk.nr_devices, 0u);
	EXPECT_EQ(nk.devices, nullptr);
	new_kernel_destroy(&nk);
	EXPECT_EQ(alloc_stats_get().live_allocs, live0);
}

/* ---- restore: each device gets its own PASIDs ---- */

TEST_F(ImageMultiDevice, RestoreGivesEachDeviceItsOwnPasids)
{
	auto live0 = alloc_stats_get().live_allocs;
	lu_img_view v;
	ASSERT_EQ(lu_img_parse(multi.data(), multi.size(), &v, nullptr), 0);
	new_kernel nk;
	new_kernel_init(&nk);
	ASSERT_EQ(lu_restore(&nk, v), 0);
	ASSERT_EQ(nk.nr_devices, MULTI.size());
	ASSERT_EQ(nk.nr_hwpts, 3u);
	EXPECT_EQ(nk.hwpts[2].parent, &nk.hwpts[0]);
	for (std::size_t i = 0; i < MULTI.size(); i++) {
		const multi_dev &m = MULTI[i];
		SCOPED_TRACE(::testing::Message() << "device " << i << " BDF " << m.devid);
		EXPECT_EQ(nk.devices[i].devid, m.devid);
		EXPECT_EQ(nk.devices[i].token, m.token);
		EXPECT_EQ(nk.devices[i].nr_pasids, m.pasids.size());
		const lu_restored_hwpt *rid = lu_new_kernel_translation(&nk, 0, m.devid, lu::IOMMU_NO_PASID);
		ASSERT_NE(rid, nullptr);
		EXPECT_EQ(rid->hwpt_id, MULTI_HWPT_IDS[0]);
		// Its own PASIDs through their own hwpts...
		for (const auto &p : m.pasids) {
			const lu_restored_hwpt *h = lu_new_kernel_translation(&nk, 0, m.devid, p.pasid);
			ASSERT_NE(h, nullptr) << "pasid " << p.pasid;
			EXPECT_EQ(h->hwpt_id, MULTI_HWPT_IDS[p.hwpt_idx]) << "pasid " << p.pasid;
		}
		// ... and no other PASID, whichever device had it.
		std::uint32_t translating = 0;
		for (std::uint32_t pasid = 1; pasid <= 4100; pasid++)
			translating += lu_new_kernel_dma(&nk, 0, m.devid, pasid) == 0;
		EXPECT_EQ(translating, m.pasids.size());
		EXPECT_EQ(lu_new_kernel_dma(&nk, 0, m.devid, lu::PASID_LIMIT - 1), -EFAULT);
	}
	// A BDF that was not preserved translates nothing.
	EXPECT_EQ(lu_new_kernel_dma(&nk, 0, 0x0109, lu::IOMMU_NO_PASID), -EFAULT);
	new_kernel_destroy(&nk);
	EXPECT_EQ(alloc_stats_get().live_allocs, live0);
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
