// SPDX-License-Identifier: GPL-2.0
// The property monitors (lu/verify/monitors.h) on hand-written traces: for
// each property one run that violates it (or, for a capability, is a
// witness) and one that does not. Runs come from the impl backend's
// observe(); where the impl never violates a property (failure changes
// nothing, the image round trip, ...), the run is then edited by hand to
// show the fault the monitor must see.
#include <gtest/gtest.h>

#include <cerrno>

#include "../steps.h"
#include "lu/verify/backend.h"
#include "lu/verify/monitors.h"

namespace {

using namespace lu::test;
using lu::verify::observed_run;

// One device (max_pasids 16); h0, h1 paging, pasid_compat, sealed; h2 nested on h0.
lu::config one_device()
{
	lu::config c;
	c.devices = {{0, 16}};
	c.hwpts = {paging(), paging(), nested(0)};
	return c;
}

// Two devices in two groups, same hwpts.
lu::config two_devices()
{
	lu::config c = one_device();
	c.devices = {{0, 16}, {1, 16}};
	return c;
}

observed_run observe(const lu::config &c, std::string_view v, const std::vector<lu::step> &t)
{
	auto impl = lu::verify::make_impl_backend();
	auto r = impl->observe(c, preset(v), t);
	EXPECT_TRUE(r.has_value());
	return r.value_or(observed_run{});
}

// RID on h0, PASID 5 on h1, both marked; iommufd then the device preserved; kexec.
std::vector<lu::step> rid_and_pasid(std::uint32_t flags = 0)
{
	return {mark(0, 1),	    mark(1, 2), attach(0, 0, 0), attach(0, 5, 1), preserve_iommufd(10),
		preserve_device(0, 11, flags), kexec(),	   dma(0, 0),	    dma(0, 5)};
}

TEST(Monitors, NoSilentPasidLoss)
{
	auto v1 = observe(one_device(), "v1", rid_and_pasid());
	ASSERT_EQ(v1.out.rets[5], 0);
	auto seen = lu::verify::monitor_no_silent_pasid_loss(v1);
	ASSERT_TRUE(seen);
	EXPECT_NE(seen->find("pasid 5"), std::string::npos) << *seen;
	EXPECT_FALSE(lu::verify::monitor_no_silent_pasid_loss(observe(one_device(), "full", rid_and_pasid())));
	// acknowledged: not silent
	EXPECT_FALSE(lu::verify::monitor_no_silent_pasid_loss(
		observe(one_device(), "ack-flag", rid_and_pasid(lu::IOMMU_LU_FLAG_IGNORE_PASID))));
}

TEST(Monitors, LossOnlyWhenAcknowledged)
{
	EXPECT_TRUE(lu::verify::monitor_loss_only_when_acknowledged(observe(one_device(), "doc-only", rid_and_pasid())));
	auto acked = observe(one_device(), "ack-flag", rid_and_pasid(lu::IOMMU_LU_FLAG_IGNORE_PASID));
	ASSERT_EQ(acked.out.rets[5], 0);
	EXPECT_FALSE(lu::verify::monitor_loss_only_when_acknowledged(acked));
	// a lost RID is never acknowledged: drop it from the restored set by hand
	std::erase_if(acked.out.restored, [](const lu::attachment &a) { return a.pasid == 0; });
	EXPECT_TRUE(lu::verify::monitor_loss_only_when_acknowledged(acked));
}

TEST(Monitors, RidOnlyPreservable)
{
	std::vector<lu::step> t{mark(0, 1), preserve_iommufd(10), attach(0, 0, 0), preserve_device(0, 11), kexec(),
				dma(0, 0)};
	EXPECT_TRUE(lu::verify::monitor_rid_only_preservable(observe(one_device(), "v2", t)));
	// no kexec: nothing survives
	t.resize(4);
	EXPECT_FALSE(lu::verify::monitor_rid_only_preservable(observe(one_device(), "v2", t)));
	// a PASID too: not "only a RID attachment"
	EXPECT_FALSE(lu::verify::monitor_rid_only_preservable(observe(one_device(), "full", rid_and_pasid())));
}

TEST(Monitors, PasidSurvivesUpdate)
{
	auto full = observe(one_device(), "full", rid_and_pasid());
	EXPECT_TRUE(lu::verify::monitor_pasid_survives_update(full));
	EXPECT_FALSE(lu::verify::monitor_pasid_survives_update(observe(one_device(), "v1", rid_and_pasid())));
}

// rid_and_pasid() up to kexec: no dma tells the variants apart
std::vector<lu::step> up_to_kexec()
{
	auto t = rid_and_pasid();
	t.resize(7);
	return t;
}

TEST(Monitors, ObservableContract)
{
	auto full = observe(one_device(), "full", up_to_kexec());
	// doc-only returns what full returns but restores no PASID
	auto doc = observe(one_device(), "doc-only", up_to_kexec());
	ASSERT_EQ(doc.out.rets, full.out.rets);
	EXPECT_TRUE(lu::verify::monitor_observable_contract(doc, full));
	// reject returns -EOPNOTSUPP: the returns tell the variants apart
	auto rej = observe(one_device(), "reject", up_to_kexec());
	ASSERT_EQ(rej.out.rets[5], -EOPNOTSUPP);
	EXPECT_FALSE(lu::verify::monitor_observable_contract(rej, full));
	EXPECT_FALSE(lu::verify::monitor_observable_contract(full, full));
}

TEST(Monitors, UnknownFlagsRejected)
{
	// an unknown bit: -EINVAL; with the iommufd's token: -EEXIST first
	std::vector<lu::step> t{mark(0, 1), attach(0, 0, 0), preserve_iommufd(10), preserve_device(0, 11, 2),
				preserve_device(0, 10, 2)};
	auto r = observe(one_device(), "v2", t);
	ASSERT_EQ(r.out.rets[3], -EINVAL);
	ASSERT_EQ(r.out.rets[4], -EEXIST);
	EXPECT_FALSE(lu::verify::monitor_unknown_flags_rejected(r));
	auto wrong = r;
	wrong.out.rets[4] = -EINVAL; // the token check comes first
	EXPECT_TRUE(lu::verify::monitor_unknown_flags_rejected(wrong));
	auto accepted = r;
	accepted.out.rets[3] = 0;
	EXPECT_TRUE(lu::verify::monitor_unknown_flags_rejected(accepted));
	auto changed = r;
	changed.states[4].devices[0].preserved = true; // "changes nothing"
	EXPECT_TRUE(lu::verify::monitor_unknown_flags_rejected(changed));
}

TEST(Monitors, PreservedIsFrozen)
{
	std::vector<lu::step> t{mark(0, 1), attach(0, 0, 0), preserve_iommufd(10), preserve_device(0, 11),
				attach(0, 5, 0)};
	auto v1 = observe(one_device(), "v1", t); // freeze allowed
	ASSERT_EQ(v1.out.rets[4], 0);
	EXPECT_TRUE(lu::verify::monitor_preserved_is_frozen(v1));
	auto rej = observe(one_device(), "reject", t); // freeze busy
	ASSERT_EQ(rej.out.rets[4], -EBUSY);
	EXPECT_FALSE(lu::verify::monitor_preserved_is_frozen(rej));
}

TEST(Monitors, UnpreserveRestores)
{
	std::vector<lu::step> t{mark(0, 1), attach(0, 0, 0), preserve_iommufd(10), preserve_device(0, 11),
				unpreserve_device(0), unpreserve_iommufd()};
	auto r = observe(one_device(), "v2", t);
	ASSERT_EQ(r.out.rets[4], 0);
	EXPECT_FALSE(lu::verify::monitor_unpreserve_restores(r));
	auto kept = r;
	kept.states[5].nr_preserved[0].second = 1; // the counter left raised
	EXPECT_TRUE(lu::verify::monitor_unpreserve_restores(kept));
	auto domains = r;
	domains.states[6].domain_preserved[0] = 1; // preserve_iommufd then unpreserve_iommufd
	EXPECT_FALSE(lu::verify::monitor_unpreserve_restores(domains)); // not adjacent: 2..5 is no pair
	std::vector<lu::step> t2{mark(0, 1), preserve_iommufd(10), unpreserve_iommufd()};
	auto r2 = observe(one_device(), "v1", t2);
	EXPECT_FALSE(lu::verify::monitor_unpreserve_restores(r2));
	r2.states[3].domain_preserved[0] = 1;
	EXPECT_TRUE(lu::verify::monitor_unpreserve_restores(r2));
}

TEST(Monitors, FailureChangesNothing)
{
	std::vector<lu::step> t{attach(0, 5, 1), attach(0, 0, 0), attach(0, 0, 1), detach(0, 0)};
	auto r = observe(one_device(), "post-v2", t);
	ASSERT_EQ(r.out.rets[2], -EBUSY);
	EXPECT_FALSE(lu::verify::monitor_failure_changes_nothing(r));
	r.states[3].attachments.clear(); // the failing attach detached the RID
	EXPECT_TRUE(lu::verify::monitor_failure_changes_nothing(r));
}

TEST(Monitors, ImageRoundTrip)
{
	auto r = observe(two_devices(), "full",
			 {mark(0, 1), mark(1, 2), attach(0, 0, 0), attach(1, 0, 1), attach(0, 5, 1), attach(1, 7, 0),
			  preserve_iommufd(10), preserve_device(0, 11), preserve_device(1, 12), kexec()});
	ASSERT_EQ(r.out.restored.size(), 4u);
	EXPECT_FALSE(lu::verify::monitor_image_round_trip(r));
	// a restore that gives device 1 device 0's PASIDs
	for (auto &a : r.out.restored)
		if (a.dev == 1 && a.pasid == 7)
			a = {1, 5, 1};
	EXPECT_TRUE(lu::verify::monitor_image_round_trip(r));
}

TEST(Monitors, NestedSurvives)
{
	std::vector<lu::step> t{mark(0, 1), attach(0, 0, 2), preserve_iommufd(10), preserve_device(0, 11), kexec()};
	EXPECT_TRUE(lu::verify::monitor_nested_survives(observe(one_device(), "v2", t)));
	EXPECT_FALSE(lu::verify::monitor_nested_survives(observe(one_device(), "full", t)));
}

TEST(Monitors, FreezeLifts)
{
	// v2: a device preserved without a record (not on the RID), attached
	// later, unpreserved: the counter goes to -1 and the group stays frozen
	std::vector<lu::step> t{mark(0, 1),	     preserve_iommufd(10), preserve_device(0, 11), attach(0, 0, 0),
				unpreserve_device(0), attach(0, 5, 0)};
	auto v2 = observe(one_device(), "v2", t);
	ASSERT_EQ(v2.out.rets[5], -EBUSY);
	EXPECT_TRUE(lu::verify::monitor_freeze_lifts(v2));
	EXPECT_FALSE(lu::verify::monitor_freeze_lifts(observe(one_device(), "post-v2", t)));
	// attach's own -EBUSY (already attached there) is no violation
	auto again = observe(one_device(), "v2", {attach(0, 0, 0), attach(0, 0, 0)});
	ASSERT_EQ(again.out.rets[1], -EBUSY);
	EXPECT_FALSE(lu::verify::monitor_freeze_lifts(again));
}

TEST(Monitors, RunMonitorDispatchesEveryProperty)
{
	auto full = observe(one_device(), "full", up_to_kexec());
	auto doc = observe(one_device(), "doc-only", up_to_kexec());
	using lu::model::property;
	EXPECT_TRUE(lu::verify::run_monitor(property::observable_contract, doc, &full));
	EXPECT_FALSE(lu::verify::run_monitor(property::observable_contract, doc, nullptr));
	EXPECT_TRUE(lu::verify::run_monitor(property::pasid_survives_update, full, nullptr));
	for (const auto &pi : lu::model::properties) {
		if (pi.kind == lu::model::property_kind::safety) {
			EXPECT_FALSE(lu::verify::run_monitor(pi.id, full, &full)) << pi.name;
		}
	}
}

} // namespace
