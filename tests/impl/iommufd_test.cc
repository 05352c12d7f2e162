// SPDX-License-Identifier: GPL-2.0
// lu::impl iommufd objects and preserve paths, one test per errno path of
// DOMAIN sections 1.5 and 3 as docs/semantics.md orders them. Every error
// is run through LU_RUN, which also demands that the failure changed nothing.
#include <cerrno>

#include "lu/impl/iommufd.h"
#include "machine_helpers.h"

namespace lu::test {
namespace {

const lu::variant V1 = preset("v1");
const lu::variant V2 = preset("v2");
const lu::variant REJECT = preset("reject");
const lu::variant ACK = preset("ack-flag");
const lu::variant FULL = preset("full");
const lu::variant DOC = preset("doc-only");

/* ---- mark_preserve ---- */

TEST(MarkPreserve, NestedHwptIsENOENT)
{
	lu::config c = seed_config();
	c.hwpts.push_back(nested(0));
	auto m = make(c, V2);
	LU_RUN(m, mark(2, 7), -ENOENT);
	LU_RUN(m, mark(0, 7), 0);
}

TEST(MarkPreserve, DuplicateTokenIsEADDRINUSE)
{
	auto m = make(seed_config(), V2);
	LU_RUN(m, mark(0, 7), 0);
	LU_RUN(m, mark(1, 7), -EADDRINUSE);
	LU_RUN(m, mark(0, 7), -EADDRINUSE); // v2's xa-mark scan does not skip the target
	LU_RUN(m, mark(0, 8), 0); // re-marking changes the token
	EXPECT_EQ(m->snapshot().hwpts[0].token, 8u);
	LU_RUN(m, mark(1, 7), 0); // 7 is free again
}

TEST(MarkPreserve, IdsComeFromTheObjectTableStartingAtOne)
{
	auto m = make(seed_config(), V2);
	// ALLOC1: the IOAS is id 1, hwpts follow.
	EXPECT_EQ(m->hwpt(0)->id, 2u);
	EXPECT_EQ(m->hwpt(1)->id, 3u);
	EXPECT_EQ(lu::impl::iommufd_get_hwpt(m->ictx(), 1), nullptr); // the IOAS is not a hwpt
}

/* ---- attach ---- */

TEST(Attach, SecondAttachOfSameDeviceIsEBUSYEvenSameHwpt)
{
	auto m = make(seed_config(), V1);
	LU_RUN(m, attach(0, 0, 0), 0);
	LU_RUN(m, attach(0, 0, 0), -EBUSY);
	LU_RUN(m, attach(0, 0, 1), -EBUSY);
}

TEST(Attach, GroupAttachedToOtherHwptIsEINVAL)
{
	lu::config c = seed_config();
	c.devices.push_back({0, lu::PASID_LIMIT}); // same group
	auto m = make(c, V1);
	LU_RUN(m, attach(0, 0, 0), 0);
	LU_RUN(m, attach(1, 0, 1), -EINVAL);
	LU_RUN(m, attach(1, 0, 0), 0); // same hwpt: joins the group's attachment
	EXPECT_EQ(m->snapshot().attachments.size(), 2u);
}

TEST(Attach, RidWithoutPasidCompatWhilePasidsAttachedIsEINVAL)
{
	lu::config c = seed_config();
	c.hwpts.push_back(paging(false));
	auto m = make(c, V1);
	LU_RUN(m, attach(0, 5, 1), 0);
	LU_RUN(m, attach(0, 0, 2), -EINVAL);
	LU_RUN(m, attach(0, 0, 0), 0);
}

TEST(Attach, PasidWithoutPasidCompatIsEINVAL)
{
	lu::config c = seed_config();
	c.hwpts.push_back(paging(false));
	auto m = make(c, V1);
	LU_RUN(m, attach(0, 5, 2), -EINVAL);
}

TEST(Attach, PasidWhileRidHwptNotPasidCompatIsEINVAL)
{
	lu::config c = seed_config();
	c.hwpts.push_back(paging(false));
	auto m = make(c, V1);
	LU_RUN(m, attach(0, 0, 2), 0);
	LU_RUN(m, attach(0, 5, 1), -EINVAL);
}

TEST(Attach, PasidAtOrAboveMaxPasidsIsEINVAL)
{
	lu::config c = seed_config();
	c.devices[0].max_pasids = 16;
	auto m = make(c, V1);
	LU_RUN(m, attach(0, 16, 1), -EINVAL);
	LU_RUN(m, attach(0, 17, 1), -EINVAL);
	LU_RUN(m, attach(0, 15, 1), 0); // max_pasids - 1 is the last one
	LU_RUN(m, attach(0, 1, 1), 0);
}

TEST(Attach, PasidOnDeviceWithoutPasidSupportIsSkipped)
{
	// iommu_attach_device_pasid() since b3f6fcd8 (v6.15) skips members with
	// max_pasids 0; only PASIDs beyond 20 bits are refused then.
	lu::config c = seed_config();
	c.devices[0].max_pasids = 0;
	auto m = make(c, V1);
	LU_RUN(m, attach(0, 1, 1), 0);
	LU_RUN(m, attach(0, lu::PASID_LIMIT, 1), -EINVAL);
	LU_RUN(m, attach(0, 0, 1), 0);
}

TEST(MarkPreserve, V1RemarkWithOwnTokenIsFine)
{
	auto m = make(seed_config(), V1);
	LU_RUN(m, mark(0, 7), 0);
	LU_RUN(m, mark(0, 7), 0); // v1's scan skips the target (samikhawaja@6f017580)
	LU_RUN(m, mark(1, 7), -EADDRINUSE);
}

TEST(Attach, PasidAtOrAbove2To20IsEINVAL)
{
	auto m = make(seed_config(), V1);
	LU_RUN(m, attach(0, lu::PASID_LIMIT, 1), -EINVAL);
	LU_RUN(m, attach(0, 0xffffffffu, 1), -EINVAL);
	LU_RUN(m, attach(0, lu::PASID_LIMIT - 1, 1), 0);
}

TEST(Attach, PasidLimitIsTheSmallestMaxPasidsOfTheGroup)
{
	lu::config c = seed_config();
	c.devices.push_back({0, 8}); // same group, fewer PASIDs
	auto m = make(c, V1);
	LU_RUN(m, attach(0, 8, 1), -EINVAL);
	LU_RUN(m, attach(0, 7, 1), 0);
}

TEST(Attach, FreezeBusyBlocksAttachReplaceDetachOfPreservedGroup)
{
	lu::config c = seed_config();
	c.devices.push_back({0, lu::PASID_LIMIT}); // same group, not preserved itself
	auto m = make(c, V2);
	LU_RUN(m, mark(0, 0x10), 0);
	LU_RUN(m, attach(0, 0, 0), 0);
	LU_RUN(m, preserve_iommufd(1), 0);
	LU_RUN(m, preserve_device(0, 2), 0);
	LU_RUN(m, attach(0, 3, 1), -EBUSY);
	LU_RUN(m, attach(1, 0, 0), -EBUSY); // group-wide
	LU_RUN(m, replace(0, 0, 1), -EBUSY);
	LU_RUN(m, detach(0, 0), -EBUSY);
	LU_RUN(m, unpreserve_device(0), 0);
	LU_RUN(m, attach(0, 3, 1), 0);
}

TEST(Attach, FreezeAllowedLetsAttachChangeAPreservedGroup)
{
	auto m = make(seed_config(), V1);
	LU_RUN(m, mark(0, 0x10), 0);
	LU_RUN(m, attach(0, 0, 0), 0);
	LU_RUN(m, preserve_iommufd(1), 0);
	LU_RUN(m, preserve_device(0, 2), 0);
	LU_RUN(m, attach(0, 3, 1), 0);
	LU_RUN(m, replace(0, 0, 1), 0);
	// The record was taken at preserve time: still (0, 0, 0).
	auto st = m->snapshot();
	ASSERT_EQ(st.files.size(), 2u);
	ASSERT_EQ(st.files[1].record.size(), 1u);
	EXPECT_EQ(st.files[1].record[0], (lu::attachment{0, 0, 0}));
	LU_RUN(m, detach(0, 0), 0);
}

/* ---- replace ---- */

TEST(Replace, NotAttachedIsEINVAL)
{
	auto m = make(seed_config(), V1);
	LU_RUN(m, replace(0, 0, 0), -EINVAL);
	LU_RUN(m, replace(0, 200, 1), -EINVAL);
}

TEST(Replace, SameHwptIsANoOp)
{
	auto m = make(seed_config(), V1);
	LU_RUN(m, attach(0, 0, 0), 0);
	auto before = m->snapshot();
	LU_RUN(m, replace(0, 0, 0), 0);
	EXPECT_TRUE(m->snapshot() == before);
}

TEST(Replace, PasidCompatRulesAreEINVAL)
{
	lu::config c = seed_config();
	c.hwpts.push_back(paging(false));
	auto m = make(c, V1);
	LU_RUN(m, attach(0, 0, 0), 0);
	LU_RUN(m, attach(0, 4, 1), 0);
	LU_RUN(m, replace(0, 0, 2), -EINVAL); // RID to non-compat while PASIDs exist
	LU_RUN(m, replace(0, 4, 2), -EINVAL); // PASID to non-compat
	LU_RUN(m, replace(0, 4, 0), 0);
}

TEST(Replace, MovesEveryDeviceOfTheGroup)
{
	lu::config c = seed_config();
	c.devices.push_back({0, lu::PASID_LIMIT});
	auto m = make(c, V1);
	LU_RUN(m, attach(0, 0, 0), 0);
	LU_RUN(m, attach(1, 0, 0), 0);
	LU_RUN(m, replace(0, 0, 1), 0);
	auto st = m->snapshot();
	ASSERT_EQ(st.attachments.size(), 2u);
	EXPECT_EQ(st.attachments[0], (lu::attachment{0, 0, 1}));
	EXPECT_EQ(st.attachments[1], (lu::attachment{1, 0, 1}));
	EXPECT_EQ(st.hwpts[0].users, 0u);
	EXPECT_EQ(st.hwpts[1].users, 2u);
}

/* ---- detach ---- */

TEST(Detach, NotAttachedIsZeroAndChangesNothing)
{
	auto m = make(seed_config(), V1);
	auto before = m->snapshot();
	LU_RUN(m, detach(0, 0), 0);
	LU_RUN(m, detach(0, 9), 0);
	EXPECT_TRUE(m->snapshot() == before);
}

TEST(Detach, LastDeviceErasesTheGroupsEntry)
{
	auto m = make(seed_config(), V1);
	LU_RUN(m, attach(0, 9, 1), 0);
	LU_RUN(m, detach(0, 9), 0);
	EXPECT_TRUE(m->snapshot().attachments.empty());
	lu::impl::iommufd_device *idev = m->device(0);
	ASSERT_TRUE(idev && idev->igroup);
	EXPECT_TRUE(lu::impl::xa_empty(&idev->igroup->pasid_attach));
	LU_RUN(m, dma(0, 9), -EFAULT);
}

/* ---- preserve_iommufd (DOMAIN 1.5, 2) ---- */

TEST(PreserveIommufd, TokenInUseIsEEXIST)
{
	auto m = make(seed_config(), V2);
	LU_RUN(m, preserve_iommufd(1), 0);
	LU_RUN(m, preserve_iommufd(1), -EEXIST);
}

TEST(PreserveIommufd, AlreadyPreservedIsEBUSY)
{
	auto m = make(seed_config(), V2);
	LU_RUN(m, preserve_iommufd(1), 0);
	LU_RUN(m, preserve_iommufd(2), -EBUSY);
}

TEST(PreserveIommufd, MarkedHwptNotSealedIsEINVAL)
{
	lu::config c = seed_config();
	c.hwpts[1].sealed = false;
	auto m = make(c, V2);
	LU_RUN(m, preserve_iommufd(1), 0); // unmarked: does not matter
	LU_RUN(m, unpreserve_iommufd(), 0);
	LU_RUN(m, mark(1, 5), 0);
	LU_RUN(m, preserve_iommufd(1), -EINVAL);
}

TEST(PreserveIommufd, PreservesExactlyTheMarkedDomains)
{
	auto m = make(seed_config(), V2);
	LU_RUN(m, mark(0, 5), 0);
	LU_RUN(m, preserve_iommufd(1), 0);
	auto st = m->snapshot();
	EXPECT_TRUE(st.hwpts[0].domain_preserved);
	EXPECT_FALSE(st.hwpts[1].domain_preserved);
	auto *h0 = static_cast<lu::impl::iommufd_hwpt_paging *>(m->hwpt(0));
	ASSERT_NE(h0, nullptr);
	ASSERT_NE(h0->ioas, nullptr);
	EXPECT_TRUE(h0->ioas->lu_map_immutable);
}

/* ---- preserve_device: every step of docs/semantics.md ---- */

struct PreserveDevice : ::testing::Test {
	// RID on marked hwpt 0, iommufd preserved: ready for preserve_device.
	machine_ptr ready(lu::variant v, lu::config c = seed_config())
	{
		auto m = make(c, v);
		LU_RUN(m, mark(0, 0x10), 0);
		LU_RUN(m, attach(0, 0, 0), 0);
		LU_RUN(m, preserve_iommufd(1), 0);
		return m;
	}
};

TEST_F(PreserveDevice, TokenOfAnotherFileIsEEXIST)
{
	auto m = ready(V2);
	LU_RUN(m, preserve_device(0, 1), -EEXIST);
}

TEST_F(PreserveDevice, AlreadyPreservedIsEBUSY)
{
	auto m = ready(V2);
	LU_RUN(m, preserve_device(0, 2), 0);
	LU_RUN(m, preserve_device(0, 3), -EBUSY);
}

TEST_F(PreserveDevice, UnknownFlagBitsAreEINVALUnderEveryPolicy)
{
	for (const auto &p : lu::presets) {
		SCOPED_TRACE(p.name);
		auto m = ready(p.variant);
		LU_RUN(m, preserve_device(0, 2, 1u << 5), -EINVAL);
		LU_RUN(m, preserve_device(0, 2, 0x80000000u), -EINVAL);
	}
}

TEST_F(PreserveDevice, IgnorePasidFlagIsUnknownToSilentDropAndReject)
{
	struct {
		lu::variant v;
		int want;
	} const cases[] = {{V1, -EINVAL}, {DOC, -EINVAL}, {REJECT, -EINVAL}, {ACK, 0}, {FULL, 0}};
	for (const auto &c : cases) {
		auto m = ready(c.v);
		LU_RUN(m, preserve_device(0, 2, lu::IOMMU_LU_FLAG_IGNORE_PASID), c.want);
	}
}

TEST_F(PreserveDevice, RidOnlyGateSkipsIommufdWithoutRid)
{
	auto m = make(seed_config(), V2);
	LU_RUN(m, attach(0, 3, 1), 0); // PASID only
	LU_RUN(m, preserve_device(0, 2), 0); // vfio never asks iommufd: no -EOPNOTSUPP
	auto st = m->snapshot();
	ASSERT_EQ(st.files.size(), 1u);
	EXPECT_FALSE(st.files[0].has_record);
	EXPECT_EQ(st.nr_preserved[0].second, 0); // not frozen either
	LU_RUN(m, attach(0, 4, 1), 0);
}

TEST_F(PreserveDevice, AlwaysGateWithoutRidIsENOENT)
{
	auto m = make(seed_config(), DOC);
	LU_RUN(m, preserve_iommufd(1), 0);
	LU_RUN(m, preserve_device(0, 2), -ENOENT);
}

TEST_F(PreserveDevice, RejectWithPasidIsEOPNOTSUPP)
{
	auto m = ready(REJECT);
	LU_RUN(m, attach(0, 3, 1), 0);
	LU_RUN(m, preserve_device(0, 2), -EOPNOTSUPP);
	LU_RUN(m, detach(0, 3), 0);
	LU_RUN(m, preserve_device(0, 2), 0);
}

TEST_F(PreserveDevice, PasidCheckIsGroupWideAndComesBeforeTheRidLookup)
{
	lu::config c = seed_config();
	c.devices.push_back({0, lu::PASID_LIMIT});
	auto m = make(c, REJECT);
	LU_RUN(m, attach(1, 3, 1), 0); // another device of the group, no RID anywhere
	LU_RUN(m, preserve_iommufd(1), 0);
	LU_RUN(m, preserve_device(0, 2), -EOPNOTSUPP); // not -ENOENT
}

TEST_F(PreserveDevice, AckFlagWithoutFlagIsEOPNOTSUPPWithFlagDrops)
{
	auto m = ready(ACK);
	LU_RUN(m, attach(0, 3, 1), 0);
	LU_RUN(m, preserve_device(0, 2), -EOPNOTSUPP);
	LU_RUN(m, preserve_device(0, 2, lu::IOMMU_LU_FLAG_IGNORE_PASID), 0);
	auto st = m->snapshot();
	ASSERT_EQ(st.files[1].record.size(), 1u); // RID only
}

TEST_F(PreserveDevice, SilentDropReturnsZeroAndRecordsRidOnly)
{
	auto m = ready(V1);
	LU_RUN(m, attach(0, 3, 1), 0);
	LU_RUN(m, preserve_device(0, 2), 0);
	auto st = m->snapshot();
	ASSERT_EQ(st.files[1].record.size(), 1u);
	EXPECT_EQ(st.files[1].record[0].pasid, 0u);
}

TEST_F(PreserveDevice, RidHwptNotMarkedIsEINVAL)
{
	auto m = make(seed_config(), V2);
	LU_RUN(m, attach(0, 0, 1), 0);
	LU_RUN(m, preserve_iommufd(1), 0);
	LU_RUN(m, preserve_device(0, 2), -EINVAL);
}

TEST_F(PreserveDevice, IommufdNotPreservedIsENOENTInV1AndEINVALFromV2)
{
	for (const lu::variant &v : {V1, V2}) {
		auto m = make(seed_config(), v);
		LU_RUN(m, mark(0, 0x10), 0);
		LU_RUN(m, attach(0, 0, 0), 0);
		LU_RUN(m, preserve_device(0, 2), v == V1 ? -ENOENT : -EINVAL);
	}
}

TEST_F(PreserveDevice, MarkedAfterIommufdPreserveIsEINVAL)
{
	auto m = make(seed_config(), V2);
	LU_RUN(m, attach(0, 0, 0), 0);
	LU_RUN(m, preserve_iommufd(1), 0);
	LU_RUN(m, mark(0, 0x10), 0);
	EXPECT_FALSE(m->snapshot().hwpts[0].domain_preserved);
	LU_RUN(m, preserve_device(0, 2), -EINVAL);
}

TEST_F(PreserveDevice, FullWithPasidOnUnmarkedDomainIsEINVAL)
{
	auto m = ready(FULL);
	LU_RUN(m, attach(0, 3, 1), 0); // hwpt 1 is not marked
	LU_RUN(m, preserve_device(0, 2), -EINVAL);
	LU_RUN(m, preserve_device(0, 2, lu::IOMMU_LU_FLAG_IGNORE_PASID), 0);
}

TEST_F(PreserveDevice, FullRecordsEveryPasidOfTheDevice)
{
	auto m = make(seed_config(), FULL);
	LU_RUN(m, mark(0, 0x10), 0);
	LU_RUN(m, mark(1, 0x11), 0);
	LU_RUN(m, attach(0, 0, 0), 0);
	LU_RUN(m, attach(0, 3, 1), 0);
	LU_RUN(m, attach(0, 9, 0), 0);
	LU_RUN(m, preserve_iommufd(1), 0);
	LU_RUN(m, preserve_device(0, 2), 0);
	auto st = m->snapshot();
	std::vector<lu::attachment> want{{0, 0, 0}, {0, 3, 1}, {0, 9, 0}};
	EXPECT_EQ(st.files[1].record, want);
	EXPECT_EQ(st.nr_preserved[0].second, 1);
}

TEST_F(PreserveDevice, NestedRidIsRecordedAsItsParentExceptUnderFull)
{
	lu::config c = seed_config();
	c.hwpts.push_back(nested(0));
	for (auto v : {V2, FULL}) {
		auto m = make(c, v);
		LU_RUN(m, mark(0, 0x10), 0);
		LU_RUN(m, attach(0, 0, 2), 0);
		LU_RUN(m, preserve_iommufd(1), 0);
		LU_RUN(m, preserve_device(0, 2), 0);
		EXPECT_EQ(m->snapshot().files[1].record[0].hwpt, v == FULL ? 2u : 0u);
	}
}

/* ---- unpreserve ---- */

TEST(Unpreserve, DeviceNotPreservedIsENOENT)
{
	auto m = make(seed_config(), V2);
	LU_RUN(m, unpreserve_device(0), -ENOENT);
}

TEST(Unpreserve, IommufdNotPreservedIsENOENT)
{
	auto m = make(seed_config(), V2);
	LU_RUN(m, unpreserve_iommufd(), -ENOENT);
}

TEST(Unpreserve, IommufdWithRecordedDeviceIsEBUSY)
{
	auto m = make(seed_config(), V2);
	LU_RUN(m, mark(0, 0x10), 0);
	LU_RUN(m, attach(0, 0, 0), 0);
	LU_RUN(m, preserve_iommufd(1), 0);
	LU_RUN(m, preserve_device(0, 2), 0);
	LU_RUN(m, unpreserve_iommufd(), -EBUSY);
	LU_RUN(m, unpreserve_device(0), 0);
	LU_RUN(m, unpreserve_iommufd(), 0);
}

TEST(Unpreserve, IommufdWithUnrecordedDeviceSucceeds)
{
	auto m = make(seed_config(), V2);
	LU_RUN(m, preserve_iommufd(1), 0);
	LU_RUN(m, preserve_device(0, 2), 0); // rid-only gate, no RID: no record
	LU_RUN(m, unpreserve_iommufd(), 0);
}

TEST(Unpreserve, PreserveThenUnpreserveRestoresTheState)
{
	for (const auto &p : lu::presets) {
		SCOPED_TRACE(p.name);
		auto m = make(seed_config(), p.variant);
		LU_RUN(m, mark(0, 0x10), 0);
		LU_RUN(m, attach(0, 0, 0), 0);
		auto before = m->snapshot();
		LU_RUN(m, preserve_iommufd(1), 0);
		LU_RUN(m, preserve_device(0, 2), 0);
		EXPECT_FALSE(m->snapshot() == before);
		LU_RUN(m, unpreserve_device(0), 0);
		LU_RUN(m, unpreserve_iommufd(), 0);
		EXPECT_TRUE(m->snapshot() == before);
	}
}

/* ---- after kexec ---- */

// Each kernel's operations are -ENODEV in the other (dma observes both).
TEST(Kexec, EveryOldKernelOperationIsENODEVAfterwards)
{
	auto m = make(seed_config(), V2);
	for (lu::op o : lu::all_ops) {
		if (lu::new_kernel_op(o)) {
			EXPECT_EQ(m->run(lu::step{o, 0, 0, 0, 99, 0}), -ENODEV) << lu::name(o) << " before kexec";
		}
	}
	LU_RUN(m, kexec(), 0);
	for (lu::op o : lu::all_ops) {
		if (o != lu::op::dma && !lu::new_kernel_op(o)) {
			EXPECT_EQ(m->run(lu::step{o, 0, 0, 0, 99, 0}), -ENODEV) << lu::name(o);
		}
	}
	EXPECT_EQ(m->run(dma(0, 0)), -EFAULT);
}

TEST(Dma, BeforeKexecReflectsTheAttachments)
{
	auto m = make(seed_config(), V2);
	LU_RUN(m, dma(0, 0), -EFAULT);
	LU_RUN(m, attach(0, 0, 0), 0);
	LU_RUN(m, dma(0, 0), 0);
	LU_RUN(m, dma(0, 1), -EFAULT);
}

TEST(Machine, BadConfigIsEINVAL)
{
	lu::config c = seed_config();
	c.hwpts.push_back(nested(5));
	machine_ptr m;
	EXPECT_EQ(machine::create(c, V2, &m), -EINVAL);
	c = seed_config();
	c.devices[0].max_pasids = lu::PASID_LIMIT + 1;
	EXPECT_EQ(machine::create(c, V2, &m), -EINVAL);
	EXPECT_EQ(m, nullptr);
}

TEST(Machine, DestroyFreesEverything)
{
	auto before = lu::impl::alloc_stats_get().live_allocs;
	{
		auto m = make(seed_config(), preset("full"));
		LU_RUN(m, mark(0, 0x10), 0);
		LU_RUN(m, mark(1, 0x11), 0);
		LU_RUN(m, attach(0, 0, 0), 0);
		for (std::uint32_t p = 1; p < 100; p++)
			LU_RUN(m, attach(0, p, 1), 0);
		LU_RUN(m, preserve_iommufd(1), 0);
		LU_RUN(m, preserve_device(0, 2), 0);
		LU_RUN(m, kexec(), 0);
		EXPECT_GT(lu::impl::alloc_stats_get().live_allocs, before);
	}
	EXPECT_EQ(lu::impl::alloc_stats_get().live_allocs, before);
}

} // namespace
} // namespace lu::test
