// SPDX-License-Identifier: GPL-2.0
// Allocation-failure injection at every allocation of attach, preserve,
// serialize and restore, as tools/testing/selftests/iommu/iommufd_fail_nth.c
// does: for N = 1, 2, ... fail the Nth allocation of the operation until one
// run completes without the injection firing. Each failed run must return
// -ENOMEM, leave the machine's state as it was, and leak nothing; where
// the code itself does not unwind (vfio's ser from v2 on), the test says so.
#include <cerrno>
#include <string>

#include "lu/core/rules.h"

#include "machine_helpers.h"

namespace lu::test {
namespace {

using lu::impl::alloc_stats_get;
using lu::impl::fail_nth_fired;
using lu::impl::fail_nth_set;

// Returns how many allocations the successful run made (the points swept).
int sweep(const machine_ptr &m, const lu::step &s, int want)
{
	for (int n = 1; n < 100000; n++) {
		SCOPED_TRACE(std::string(lu::name(s.op)) + " fail_nth=" + std::to_string(n));
		const auto before = m->snapshot();
		const auto live = alloc_stats_get().live_allocs;
		fail_nth_set(static_cast<std::uint64_t>(n));
		int rc = m->run(s);
		const bool fired = fail_nth_fired();
		fail_nth_set(0);
		if (!fired) {
			EXPECT_EQ(rc, want);
			return n - 1;
		}
		EXPECT_EQ(rc, -ENOMEM);
		EXPECT_TRUE(m->snapshot() == before) << "failure changed state";
		EXPECT_EQ(alloc_stats_get().live_allocs, live) << "failure leaked";
		if (rc != -ENOMEM)
			return -1;
	}
	ADD_FAILURE() << "never completed";
	return -1;
}

machine_ptr seeded(std::string_view name, std::uint32_t nr_pasids)
{
	auto m = make(seed_config(), preset(name));
	EXPECT_EQ(m->run(mark(0, 0x100)), 0);
	EXPECT_EQ(m->run(mark(1, 0x101)), 0);
	EXPECT_EQ(m->run(attach(0, 0, 0)), 0);
	for (std::uint32_t p = 1; p <= nr_pasids; p++)
		EXPECT_EQ(m->run(attach(0, p * 7, 1)), 0);
	return m;
}

TEST(FailNth, MachineCreateUnwindsEveryAllocation)
{
	lu::config c = seed_config();
	c.devices.push_back({0, 16});
	c.devices.push_back({3, 0});
	c.hwpts.push_back(nested(0));
	const auto live = alloc_stats_get().live_allocs;
	int n = 1;
	for (;; n++) {
		machine_ptr m;
		fail_nth_set(static_cast<std::uint64_t>(n));
		int rc = machine::create(c, preset("full"), &m);
		bool fired = fail_nth_fired();
		fail_nth_set(0);
		if (!fired) {
			EXPECT_EQ(rc, 0);
			break;
		}
		EXPECT_EQ(rc, -ENOMEM) << n;
		EXPECT_EQ(m, nullptr);
		EXPECT_EQ(alloc_stats_get().live_allocs, live) << n;
	}
	EXPECT_GT(n, 8);
	EXPECT_EQ(alloc_stats_get().live_allocs, live);
}

TEST(FailNth, AttachRidUnwindsEveryAllocation)
{
	auto m = make(seed_config(), preset("v2"));
	EXPECT_GE(sweep(m, attach(0, 0, 0), 0), 3); // slot, attach, device slot, handle
}

TEST(FailNth, AttachPasidUnwindsEveryAllocation)
{
	auto m = seeded("full", 0);
	EXPECT_GE(sweep(m, attach(0, 0x12345, 1), 0), 3);
}

TEST(FailNth, AttachSecondDeviceOfGroupUnwinds)
{
	lu::config c = seed_config();
	c.devices.push_back({0, lu::PASID_LIMIT});
	auto m = make(c, preset("v1"));
	ASSERT_EQ(m->run(attach(0, 0, 0)), 0);
	EXPECT_GE(sweep(m, attach(1, 0, 0), 0), 0); // may fit in existing nodes
}

TEST(FailNth, ReplaceUnwinds)
{
	auto m = seeded("v1", 3);
	EXPECT_GE(sweep(m, replace(0, 7, 0), 0), 1);
}

TEST(FailNth, PreserveIommufdUnwinds)
{
	auto m = seeded("full", 3);
	EXPECT_GE(sweep(m, preserve_iommufd(1), 0), 2); // luo_file, global slot, iommufd_lu
}

// v1's vfio unwinds iommufd when its ser allocation fails: every failure
// changes nothing.
TEST(FailNth, PreserveDeviceUnwindsUnderV1)
{
	auto m = seeded("v1", 3);
	ASSERT_EQ(m->run(preserve_iommufd(1)), 0);
	EXPECT_GE(sweep(m, preserve_device(0, 2), 0), 1);
}

// From v2 on kho_alloc_preserve()'s failure jumps past the iommufd unwind
// (`goto err_unpreserve`, vfio_pci_liveupdate.c samikhawaja@03855e7d): the
// preserve returns -ENOMEM and leaves the device's iommufd record and its
// group's nr_liveupdate_preserved raised (the group frozen), with no LUO
// file to undo them. Every other injected failure changes nothing. Returns
// how many injected failures left that behind (a fresh machine for each).
unsigned ser_failures_that_leak(std::string_view name, const lu::step &s, int want)
{
	unsigned leaks = 0;
	for (int n = 1; n < 100; n++) {
		SCOPED_TRACE("fail_nth=" + std::to_string(n));
		auto m = seeded(name, 3);
		EXPECT_EQ(m->run(preserve_iommufd(1)), 0);
		const auto before = m->snapshot();
		fail_nth_set(static_cast<std::uint64_t>(n));
		const int rc = m->run(s);
		const bool fired = fail_nth_fired();
		fail_nth_set(0);
		if (!fired) {
			EXPECT_EQ(rc, want);
			return leaks;
		}
		EXPECT_EQ(rc, -ENOMEM);
		const auto after = m->snapshot();
		if (after == before)
			continue;
		leaks++;
		EXPECT_EQ(after.files.size(), before.files.size()) << "the cdev is not in the session";
		EXPECT_EQ(after.nr_preserved.at(0).second, before.nr_preserved.at(0).second + 1);
		EXPECT_EQ(m->run(attach(0, 100, 1)), -EBUSY) << "the group stays frozen";
	}
	ADD_FAILURE() << "never completed";
	return leaks;
}

TEST(FailNth, PreserveDeviceSerFailureLeavesIommufdPreservedFromV2On)
{
	for (const auto &p : lu::presets) {
		if (!lu::rules(p.variant.version).pci_unwind)
			continue;
		SCOPED_TRACE(p.name);
		// a policy that refuses the PASIDs allocates nothing
		const bool rejects = p.variant.policy == lu::policy::reject || p.variant.policy == lu::policy::ack_flag;
		EXPECT_EQ(ser_failures_that_leak(p.name, preserve_device(0, 2), rejects ? -EOPNOTSUPP : 0), rejects ? 0u : 1u);
	}
	EXPECT_EQ(ser_failures_that_leak("ack-flag", preserve_device(0, 2, lu::IOMMU_LU_FLAG_IGNORE_PASID), 0), 1u);
}

// A second preserve of a preserved file is -EBUSY from LUO's global table
// before anything is allocated (luo_file.c kzallocs the luo_file after the
// xa_insert()): no injected failure can make it -ENOMEM.
TEST(FailNth, PreserveOfAPreservedFileAllocatesNothing)
{
	for (const auto &p : lu::presets) {
		SCOPED_TRACE(p.name);
		bool rejects = p.variant.policy == lu::policy::reject || p.variant.policy == lu::policy::ack_flag;
		auto m = seeded(p.name, rejects ? 0 : 3);
		ASSERT_EQ(m->run(preserve_iommufd(1)), 0);
		ASSERT_EQ(m->run(preserve_device(0, 2)), 0);
		EXPECT_EQ(sweep(m, preserve_iommufd(3), -EBUSY), 0);
		EXPECT_EQ(sweep(m, preserve_device(0, 4), -EBUSY), 0);
	}
}

TEST(FailNth, KexecSerializeAndRestoreUnwind)
{
	for (std::string_view name : {"v1", "full"}) {
		SCOPED_TRACE(name);
		auto m = seeded(name, 200);
		ASSERT_EQ(m->run(preserve_iommufd(1)), 0);
		ASSERT_EQ(m->run(preserve_device(0, 2)), 0);
		// image buffer, two restore arrays, the xarray nodes
		int n = sweep(m, kexec(), 0);
		EXPECT_GE(n, name == "full" ? 6 : 3);
		EXPECT_TRUE(m->kexeced());
		EXPECT_EQ(m->restored().size(), name == "full" ? 201u : 1u);
	}
}

} // namespace
} // namespace lu::test
