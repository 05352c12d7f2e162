// SPDX-License-Identifier: GPL-2.0
// Distinct causes (lu/model/causes.h): which variant closes which hole,
// each found cause with a minimal trace that shows it, attributed per step.
#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>

#include "lu/model/causes.h"

namespace {

using lu::model::cause;
using lu::model::property;
using lu::model::verdict;

lu::model::prove_options opts(unsigned depth)
{
	lu::model::prove_options o;
	o.bounds.depth = depth;
	return o;
}

const lu::model::cause_result *find(const std::vector<lu::model::cause_result> &v, cause c)
{
	auto it = std::find_if(v.begin(), v.end(), [c](const auto &r) { return r.cause == c; });
	return it == v.end() ? nullptr : &*it;
}

std::vector<lu::model::cause_result> causes(const char *variant, property p, unsigned depth)
{
	const auto v = lu::find_preset(variant);
	EXPECT_TRUE(v.has_value()) << variant;
	const auto o = opts(depth);
	const auto r = lu::model::prove(*v, p, o);
	return lu::model::find_causes(r, o);
}

// The reviewer's case under v1: RID and PASID attached, preserve returns 0,
// the PASID is not in the record. The trace is the reader's: one device,
// one paging hwpt, the RID attached, flags 0.
TEST(Causes, V1DropsAnAttachedPasidSilently)
{
	const auto cs = causes("v1", property::no_silent_pasid_loss, 6);
	const auto *r = find(cs, cause::pasid_not_recorded);
	ASSERT_NE(r, nullptr);
	ASSERT_EQ(r->status, verdict::counterexample) << r->reason;
	const auto &w = *r->witness;
	ASSERT_TRUE(w.focus.has_value());
	EXPECT_GT(w.focus->pasid, 0u);
	EXPECT_EQ(w.config.hwpts.size() > 0, true);
	for (const auto &s : w.trace) {
		EXPECT_EQ(s.step.dev, 0u);
		EXPECT_EQ(s.step.flags, 0u);
		ASSERT_TRUE(s.rule.has_value());
	}
	// The RID and the PASID attached at kexec, only the RID restored.
	EXPECT_TRUE(std::any_of(w.at_kexec.begin(), w.at_kexec.end(), [](const auto &a) { return a.pasid == 0; }));
	EXPECT_TRUE(std::none_of(w.restored.begin(), w.restored.end(), [](const auto &a) { return a.pasid != 0; }));
	ASSERT_TRUE(r->marked_step.has_value());
	const auto &m = w.trace[*r->marked_step];
	EXPECT_EQ(m.step.op, lu::op::preserve_device);
	EXPECT_EQ(m.ret, 0);
	EXPECT_EQ(m.rule, lu::decision::device_ok);
}

// v1 has every cause the catalog names for the loss, each with a trace
// that shows its own rule; nothing is unclassified.
TEST(Causes, V1LossHasEveryCauseAndNoGap)
{
	const auto cs = causes("v1", property::no_silent_pasid_loss, 6);
	EXPECT_EQ(find(cs, cause::unclassified), nullptr);
	for (const cause c : {cause::no_record, cause::pasid_not_recorded, cause::attached_after_preserve}) {
		const auto *r = find(cs, c);
		ASSERT_NE(r, nullptr) << info(c).name;
		EXPECT_EQ(r->status, verdict::counterexample) << info(c).name << ": " << r->reason;
		ASSERT_TRUE(r->marked_step.has_value()) << info(c).name;
		EXPECT_EQ(r->witness->trace[*r->marked_step].rule, info(c).rule) << info(c).name;
	}
}

// v2 refuses the reviewer's case (-EOPNOTSUPP) and freezes the group: the
// only way left to lose state is a device that vfio preserved without
// calling iommufd.
TEST(Causes, V2ClosesEverythingButTheVfioGate)
{
	const auto cs = causes("v2", property::no_silent_pasid_loss, 6);
	EXPECT_EQ(find(cs, cause::unclassified), nullptr);
	EXPECT_EQ(find(cs, cause::pasid_not_recorded)->status, verdict::proved);
	EXPECT_EQ(find(cs, cause::moved_after_preserve)->status, verdict::proved);
	const auto *r = find(cs, cause::no_record);
	ASSERT_EQ(r->status, verdict::counterexample) << r->reason;
	ASSERT_TRUE(r->marked_step.has_value());
	EXPECT_EQ(r->witness->trace[*r->marked_step].rule, lu::decision::device_vfio_skips);
}

// A proved cell closes every cause without a query.
TEST(Causes, AProvedCellClosesEveryCause)
{
	const auto cs = causes("reject", property::no_silent_pasid_loss, 4);
	ASSERT_EQ(cs.size(), lu::model::causes_of(property::no_silent_pasid_loss).size());
	for (const auto &r : cs) {
		EXPECT_EQ(r.status, verdict::proved);
		EXPECT_EQ(r.seconds, 0);
	}
}

// v2's counter bug has its own cause, the step that lowers the counter marked.
TEST(Causes, V2FreezeStuckIsTheCounter)
{
	const auto cs = causes("v2", property::freeze_lifts, 8);
	const auto *r = find(cs, cause::counter_below_zero);
	ASSERT_NE(r, nullptr);
	ASSERT_EQ(r->status, verdict::counterexample) << r->reason;
	ASSERT_TRUE(r->marked_step.has_value());
	EXPECT_EQ(r->witness->trace[*r->marked_step].step.op, lu::op::unpreserve_device);
	EXPECT_EQ(find(cs, cause::unclassified), nullptr);
}

TEST(Causes, CapZeroIsRefused)
{
	lu::model::result r;
	EXPECT_THROW(lu::model::find_causes(r, opts(2), 0), std::invalid_argument);
}

TEST(Causes, CapturesOnlyUpToTheCap)
{
	const auto v = lu::find_preset("v1");
	const auto o = opts(5);
	const auto r = lu::model::prove(*v, property::no_silent_pasid_loss, o);
	const auto cs = lu::model::find_causes(r, o, 1);
	ASSERT_GE(cs.size(), 2u);
	EXPECT_NE(cs[0].status, verdict::unknown);
	EXPECT_EQ(cs[1].status, verdict::unknown);
	EXPECT_EQ(cs[1].reason, "over the cap");
}

} // namespace
