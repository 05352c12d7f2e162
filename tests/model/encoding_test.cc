// SPDX-License-Identifier: GPL-2.0
// The encoding's errno rules, one behaviour per test, on small concrete
// states: each trace runs through lu::model::simulate (the solver evaluates
// the same transition relation the proofs use) and the returns are checked
// against docs/semantics.md.
#include <gtest/gtest.h>

#include <cerrno>

#include "lu/model/simulate.h"
#include "steps.h"

namespace {

using namespace lu::test;
using lu::op;
using lu::step;

constexpr lu::variant v1 = *lu::find_preset("v1");
constexpr lu::variant v2 = *lu::find_preset("v2");
constexpr lu::variant reject = *lu::find_preset("reject");
constexpr lu::variant ack = *lu::find_preset("ack-flag");
constexpr lu::variant full = *lu::find_preset("full");
constexpr lu::variant doc_only = *lu::find_preset("doc-only");

// Two devices in one group (or two), PASID-capable; hwpt 0 paging pasid_compat
// sealed, hwpt 1 paging not compat, hwpt 2 nested on 0, pasid_compat.
lu::config cfg(bool one_group = true)
{
	lu::config c;
	c.devices = {{0, 16}, {one_group ? 0u : 1u, 16}};
	c.hwpts = {{lu::hwpt_kind::paging, 0, true, true},
		   {lu::hwpt_kind::paging, 0, false, true},
		   {lu::hwpt_kind::nested, 0, true, true}};
	return c;
}

// Runs and asserts it ran: the returns.
std::vector<int> rets(const lu::variant &v, const std::vector<step> &t, const lu::config &c = cfg())
{
	auto r = lu::model::simulate(c, v, t);
	EXPECT_TRUE(r.out.has_value()) << r.error;
	return r.out ? r.out->rets : std::vector<int>{};
}

// The RID of dev 0 on hwpt 0, marked, iommufd preserved: ready to preserve dev 0.
std::vector<step> ready()
{
	return {mark(0, 10), attach(0, 0, 0), preserve_iommufd(1)};
}

std::vector<step> operator+(std::vector<step> a, const std::vector<step> &b)
{
	a.insert(a.end(), b.begin(), b.end());
	return a;
}

TEST(ModelEncoding, MarkPreserveRules)
{
	EXPECT_EQ(rets(full, {mark(2, 1)}), std::vector<int>{-ENOENT});
	EXPECT_EQ(rets(full, {mark(0, 1), mark(1, 1)}), (std::vector<int>{0, -EADDRINUSE}));
	// v1's scan skips the target; the xa-mark code (v2 on) does not
	EXPECT_EQ(rets(v1, {mark(0, 1), mark(0, 1)}), (std::vector<int>{0, 0}));
	EXPECT_EQ(rets(v2, {mark(0, 1), mark(0, 1)}), (std::vector<int>{0, -EADDRINUSE}));
	EXPECT_EQ(rets(full, {mark(0, 1), mark(0, 1)}), (std::vector<int>{0, -EADDRINUSE}));
	EXPECT_EQ(rets(full, {mark(0, 1), mark(0, 2)}), (std::vector<int>{0, 0})); // a new token is fine
}

TEST(ModelEncoding, AttachRules)
{
	EXPECT_EQ(rets(full, {attach(0, 0, 0), attach(0, 0, 0)}), (std::vector<int>{0, -EBUSY}));
	EXPECT_EQ(rets(full, {attach(0, 0, 0), attach(1, 0, 1)}), (std::vector<int>{0, -EINVAL}));
	EXPECT_EQ(rets(full, {attach(0, 0, 0), attach(1, 0, 0)}), (std::vector<int>{0, 0}));
	EXPECT_EQ(rets(full, {attach(0, 5, 1)}), std::vector<int>{-EINVAL});            // not pasid_compat
	EXPECT_EQ(rets(full, {attach(0, 0, 1), attach(0, 5, 0)}), (std::vector<int>{0, -EINVAL})); // RID not compat
	EXPECT_EQ(rets(full, {attach(0, 5, 0), attach(0, 0, 1)}), (std::vector<int>{0, -EINVAL})); // PASIDs exist
	EXPECT_EQ(rets(full, {attach(0, 15, 0)}), std::vector<int>{0});                 // max_pasids - 1
	EXPECT_EQ(rets(full, {attach(0, 16, 0)}), std::vector<int>{-EINVAL});           // max_pasids
	EXPECT_EQ(rets(full, {attach(0, lu::PASID_LIMIT, 0)}), std::vector<int>{-EINVAL}); // 2^20
	auto c = cfg();
	c.devices[1].max_pasids = 0; // a group-mate without PASID support is skipped (b3f6fcd8)
	EXPECT_EQ(rets(full, {attach(0, 1, 0)}, c), std::vector<int>{0});
	EXPECT_EQ(rets(full, {attach(0, 16, 0)}, c), std::vector<int>{-EINVAL}); // dev 0's bound still holds
}

TEST(ModelEncoding, ReplaceAndDetachRules)
{
	EXPECT_EQ(rets(full, {replace(0, 3, 0)}), std::vector<int>{-EINVAL});
	EXPECT_EQ(rets(full, {attach(0, 3, 0), replace(0, 3, 0)}), (std::vector<int>{0, 0}));
	EXPECT_EQ(rets(full, {attach(0, 3, 0), replace(0, 3, 1)}), (std::vector<int>{0, -EINVAL}));
	EXPECT_EQ(rets(full, {attach(0, 3, 0), replace(0, 3, 2), dma(0, 3)}), (std::vector<int>{0, 0, 0}));
	EXPECT_EQ(rets(full, {detach(0, 3), dma(0, 3)}), (std::vector<int>{0, -EFAULT}));
	EXPECT_EQ(rets(full, {attach(0, 3, 0), detach(0, 3), dma(0, 3), attach(0, 0, 1)}),
		  (std::vector<int>{0, 0, -EFAULT, 0})); // the PASID is gone: the RID may be non-compat
}

TEST(ModelEncoding, FreezeBusyBlocksTheGroup)
{
	const auto t = ready() + std::vector<step>{preserve_device(0, 2), attach(1, 0, 0), detach(0, 0), replace(0, 0, 1)};
	EXPECT_EQ(rets(reject, t), (std::vector<int>{0, 0, 0, 0, -EBUSY, -EBUSY, -EBUSY}));
	EXPECT_EQ(rets(v1, t), (std::vector<int>{0, 0, 0, 0, 0, 0, -EINVAL}));
	// Another group is not blocked.
	EXPECT_EQ(rets(reject, t, cfg(false)), (std::vector<int>{0, 0, 0, 0, 0, -EBUSY, -EBUSY}));
}

TEST(ModelEncoding, PreserveIommufdRules)
{
	EXPECT_EQ(rets(full, {preserve_iommufd(1), preserve_iommufd(1)}), (std::vector<int>{0, -EEXIST}));
	EXPECT_EQ(rets(full, {preserve_iommufd(1), preserve_iommufd(2)}), (std::vector<int>{0, -EBUSY}));
	auto c = cfg();
	c.hwpts[1].sealed = false;
	EXPECT_EQ(rets(full, {mark(1, 3), preserve_iommufd(1)}, c), (std::vector<int>{0, -EINVAL}));
}

TEST(ModelEncoding, PreserveDeviceChecksInOrder)
{
	EXPECT_EQ(rets(full, ready() + std::vector<step>{preserve_device(0, 1)}).back(), -EEXIST);
	EXPECT_EQ(rets(full, ready() + std::vector<step>{preserve_device(0, 2), preserve_device(0, 3)}).back(), -EBUSY);
	EXPECT_EQ(rets(reject, ready() + std::vector<step>{preserve_device(0, 2, lu::IOMMU_LU_FLAG_IGNORE_PASID)}).back(), -EINVAL);
	EXPECT_EQ(rets(full, ready() + std::vector<step>{preserve_device(0, 2, 2)}).back(), -EINVAL);
	EXPECT_EQ(rets(full, {preserve_device(0, 2)}).back(), -ENOENT);                  // no RID in the group
	EXPECT_EQ(rets(full, {attach(0, 0, 0), preserve_device(0, 2)}).back(), -EINVAL); // not marked
	EXPECT_EQ(rets(v1, {mark(0, 1), attach(0, 0, 0), preserve_device(0, 2)}).back(), -ENOENT); // v1: no token
	EXPECT_EQ(rets(full, {mark(0, 1), attach(0, 0, 0), preserve_device(0, 2)}).back(), -EINVAL); // v2 on: not preserved
	EXPECT_EQ(rets(full, {attach(0, 0, 0), preserve_iommufd(1), mark(0, 5), preserve_device(0, 2)}).back(), -EINVAL); // not dompres
	EXPECT_EQ(rets(full, ready() + std::vector<step>{preserve_device(0, 2)}).back(), 0);
}

TEST(ModelEncoding, PasidPolicies)
{
	const auto t = ready() + std::vector<step>{attach(0, 7, 0), preserve_device(0, 2)};
	EXPECT_EQ(rets(reject, t).back(), -EOPNOTSUPP);
	EXPECT_EQ(rets(ack, t).back(), -EOPNOTSUPP);
	EXPECT_EQ(rets(doc_only, t).back(), 0);
	EXPECT_EQ(rets(full, t).back(), 0);
	auto tf = t;
	tf.back().flags = lu::IOMMU_LU_FLAG_IGNORE_PASID;
	EXPECT_EQ(rets(ack, tf).back(), 0);
	// The PASID check is group-wide: the group-mate's PASID blocks dev 0.
	const auto mate = ready() + std::vector<step>{attach(1, 7, 0), preserve_device(0, 2)};
	EXPECT_EQ(rets(reject, mate).back(), -EOPNOTSUPP);
	// full: a PASID through an unmarked hwpt cannot be preserved.
	auto c = cfg();
	c.hwpts[1].pasid_compat = true;
	EXPECT_EQ(rets(full, ready() + std::vector<step>{attach(0, 7, 1), preserve_device(0, 2)}, c).back(), -EINVAL);
}

TEST(ModelEncoding, VfioGateRidOnlySkipsIommufd)
{
	// v2: a PASID-only device preserves with 0 and no record.
	const auto t = std::vector<step>{attach(0, 7, 0), preserve_device(0, 2), kexec(), dma(0, 7)};
	EXPECT_EQ(rets(v2, t), (std::vector<int>{0, 0, 0, -EFAULT}));
	EXPECT_EQ(rets(reject, t), (std::vector<int>{0, -EOPNOTSUPP, 0, -EFAULT}));
}

TEST(ModelEncoding, RestoreAndDma)
{
	const auto t = ready() + std::vector<step>{attach(0, 7, 0), preserve_device(0, 2), kexec(), dma(0, 0), dma(0, 7)};
	EXPECT_EQ(rets(doc_only, t), (std::vector<int>{0, 0, 0, 0, 0, 0, 0, -EFAULT}));
	EXPECT_EQ(rets(full, t), (std::vector<int>{0, 0, 0, 0, 0, 0, 0, 0}));
	auto r = lu::model::simulate(cfg(), doc_only, t);
	ASSERT_TRUE(r.out);
	EXPECT_EQ(r.out->at_kexec, (std::vector<lu::attachment>{{0, 0, 0}, {0, 7, 0}}));
	EXPECT_EQ(r.out->restored, (std::vector<lu::attachment>{{0, 0, 0}}));
	// After kexec every operation but dma returns -ENODEV.
	EXPECT_EQ(rets(full, {kexec(), attach(0, 0, 0), kexec(), preserve_iommufd(1)}),
		  (std::vector<int>{0, -ENODEV, -ENODEV, -ENODEV}));
}

TEST(ModelEncoding, NestedRidIsRecordedAsParentExceptUnderFull)
{
	const auto t = std::vector<step>{mark(0, 10), attach(0, 0, 2), preserve_iommufd(1), preserve_device(0, 2), kexec()};
	auto r = lu::model::simulate(cfg(), reject, t);
	ASSERT_TRUE(r.out);
	EXPECT_EQ(r.out->restored, (std::vector<lu::attachment>{{0, 0, 0}}));
	r = lu::model::simulate(cfg(), full, t);
	ASSERT_TRUE(r.out);
	EXPECT_EQ(r.out->restored, (std::vector<lu::attachment>{{0, 0, 2}}));
}

TEST(ModelEncoding, UnpreserveRules)
{
	EXPECT_EQ(rets(full, {unpreserve_device(0), unpreserve_iommufd()}), (std::vector<int>{-ENOENT, -ENOENT}));
	const auto t = ready() + std::vector<step>{preserve_device(0, 2), unpreserve_iommufd(), unpreserve_device(0), unpreserve_iommufd(), attach(1, 0, 0)};
	EXPECT_EQ(rets(reject, t), (std::vector<int>{0, 0, 0, 0, -EBUSY, 0, 0, 0}));
}

TEST(ModelSimulate, RejectsBadInput)
{
	EXPECT_FALSE(lu::model::simulate(cfg(), full, {attach(5, 0, 0)}).out);
	EXPECT_FALSE(lu::model::simulate(cfg(), full, {attach(0, 0, 9)}).out);
	auto c = cfg();
	c.hwpts[2].parent = 2;
	EXPECT_FALSE(lu::model::simulate(c, full, {kexec()}).out);
	EXPECT_TRUE(lu::model::simulate(lu::config{}, full, {kexec()}).out); // empty config, no device named
}

} // namespace
