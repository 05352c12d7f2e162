// SPDX-License-Identifier: GPL-2.0
// Every mutation point of lu/impl/mutant.h is reachable in lu_impl_mutants
// and is killed by at least one of these checks; with no mutant selected
// every check passes. (verify/ runs the full mutation analysis; this test
// only shows that each point is wired and observable.)
#include <cerrno>
#include <cstring>
#include <string>

#include "lu/impl/image.h"
#include "lu/impl/luo.h"
#include "lu/impl/mutant.h"
#include "lu/impl/restore.h"
#include "machine_helpers.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#define LU_LSAN_IGNORE_LEAKS_HERE const __lsan::ScopedDisabler lsan_disabled
#else
#define LU_LSAN_IGNORE_LEAKS_HERE static_cast<void>(0)
#endif

namespace lu::test {
namespace {

using namespace lu::impl;

#define CHECK_OR(name, cond)             \
	do {                             \
		if (!(cond))             \
			return name;     \
	} while (0)

int noop_preserve(liveupdate_file_op_args *) { return 0; }
void noop_unpreserve(liveupdate_file_op_args *) {}
int fail_freeze(liveupdate_file_op_args *) { return -EAGAIN; }
int ok_freeze(liveupdate_file_op_args *) { return 0; }

// The first check that fails, or "" when all pass.
std::string battery()
{
	machine_ptr m;
	lu::config c = seed_config();
	c.devices[0].max_pasids = 16;
	c.hwpts.push_back(nested(0));

	CHECK_OR("pasid-check", machine::create(c, preset("reject"), &m) == 0);
	(void)m->run(mark(0, 1));
	(void)m->run(attach(0, 0, 0));
	(void)m->run(attach(0, 3, 1));
	(void)m->run(preserve_iommufd(9));
	CHECK_OR("pasid-check", m->run(preserve_device(0, 2)) == -EOPNOTSUPP);
	CHECK_OR("max-pasids", m->run(attach(0, 16, 1)) == -EINVAL);
	CHECK_OR("second-attach", m->run(attach(0, 3, 1)) == -EBUSY);
	CHECK_OR("duplicate-token", m->run(mark(1, 1)) == -EADDRINUSE);
	CHECK_OR("freeze", m->run(detach(0, 3)) == 0 && m->run(preserve_device(0, 2)) == 0);
	CHECK_OR("freeze", m->run(attach(0, 4, 1)) == -EBUSY);
	CHECK_OR("unpreserve", m->run(unpreserve_device(0)) == 0 && m->snapshot().nr_preserved[0].second == 0);

	// vfio gate: rid-only with the RID attached must call iommufd (a record).
	CHECK_OR("gate", machine::create(seed_config(), preset("v2"), &m) == 0);
	(void)m->run(mark(0, 1));
	(void)m->run(attach(0, 0, 0));
	(void)m->run(preserve_iommufd(9));
	CHECK_OR("gate", m->run(preserve_device(0, 2)) == 0 && m->snapshot().files[1].has_record);
	// ... and without the RID it must not (a PASID-only device slips past reject).
	CHECK_OR("gate", machine::create(seed_config(), preset("v2"), &m) == 0);
	(void)m->run(attach(0, 3, 1));
	CHECK_OR("gate", m->run(preserve_device(0, 2)) == 0 && !m->snapshot().files[0].has_record);

	// full: every PASID and a nested RID come back.
	CHECK_OR("full", machine::create(c, preset("full"), &m) == 0);
	(void)m->run(mark(0, 1));
	(void)m->run(mark(1, 2));
	(void)m->run(attach(0, 0, 2));
	(void)m->run(attach(0, 3, 1));
	(void)m->run(attach(0, 5, 1));
	(void)m->run(preserve_iommufd(9));
	CHECK_OR("full", m->run(preserve_device(0, 2)) == 0 && m->run(kexec()) == 0);
	CHECK_OR("serializer", m->restored().size() == 3 && m->run(dma(0, 5)) == 0);
	CHECK_OR("nested", m->run(dma(0, 0)) == 0);

	// v1: unpreserving the iommufd takes its domains back.
	{
		machine_ptr m1;
		CHECK_OR("unpreserve-domains", machine::create(seed_config(), preset("v1"), &m1) == 0);
		(void)m1->run(mark(0, 1));
		CHECK_OR("unpreserve-domains", m1->run(preserve_iommufd(9)) == 0 && m1->run(unpreserve_iommufd()) == 0 &&
						       !m1->snapshot().hwpts[0].domain_preserved);
		// reject sees a PASID far from 0 (xa_find_after() past the first node).
		CHECK_OR("far-pasid", machine::create(seed_config(), preset("reject"), &m1) == 0);
		(void)m1->run(mark(0, 1));
		(void)m1->run(attach(0, 0, 0));
		(void)m1->run(attach(0, 100, 1));
		(void)m1->run(preserve_iommufd(9));
		CHECK_OR("far-pasid", m1->run(preserve_device(0, 2)) == -EOPNOTSUPP);
		// full, two devices: each gets its own PASIDs back.
		lu::config two = seed_config();
		two.devices = {{0, 16}, {1, 16}};
		CHECK_OR("two-devices", machine::create(two, preset("full"), &m1) == 0);
		(void)m1->run(mark(0, 1));
		(void)m1->run(mark(1, 2));
		(void)m1->run(attach(0, 0, 0));
		(void)m1->run(attach(1, 0, 0));
		(void)m1->run(attach(0, 3, 1));
		(void)m1->run(attach(1, 7, 1));
		(void)m1->run(preserve_iommufd(9));
		CHECK_OR("two-devices", m1->run(preserve_device(0, 2)) == 0 && m1->run(preserve_device(1, 3)) == 0 &&
						m1->run(kexec()) == 0);
		CHECK_OR("two-devices", m1->run(dma(1, 7)) == 0 && m1->run(dma(1, 3)) == -EFAULT);
		// ... and device 1 on device 0's BDF, on another segment, is another
		// function: it parses and restores; on the same segment it is refused.
		{
			auto img2 = m1->image();
			std::vector<std::uint8_t> seg(img2.begin(), img2.end());
			lu_img_view v;
			CHECK_OR("segments", lu_img_parse(seg.data(), seg.size(), &v, nullptr) == 0 && v.hdr->nr_devices == 2);
			const std::size_t d1 = reinterpret_cast<const std::uint8_t *>(v.devices + 1) - seg.data();
			const std::uint32_t bdf = v.devices[0].devid, one = 1, zero = 0;
			std::memcpy(seg.data() + d1 + offsetof(lu_img_device, devid), &bdf, 4);
			std::memcpy(seg.data() + d1 + offsetof(lu_img_device, pci_domain), &one, 4);
			auto fix = [&] {
				std::uint64_t sum = lu_img_checksum(seg.data(), seg.size(), offsetof(lu_img_header, checksum) / 8);
				std::memcpy(seg.data() + offsetof(lu_img_header, checksum), &sum, 8);
			};
			fix();
			CHECK_OR("segments", lu_img_parse(seg.data(), seg.size(), &v, nullptr) == 0);
			new_kernel nk;
			new_kernel_init(&nk);
			const bool restored = lu_restore(&nk, v) == 0 && lu_new_kernel_dma(&nk, 1, bdf, 7) == 0 &&
					      lu_new_kernel_dma(&nk, 0, bdf, 3) == 0 && lu_new_kernel_dma(&nk, 0, bdf, 7) == -EFAULT;
			new_kernel_destroy(&nk);
			CHECK_OR("segments", restored);
			std::memcpy(seg.data() + d1 + offsetof(lu_img_device, pci_domain), &zero, 4);
			fix();
			CHECK_OR("segments", lu_img_parse(seg.data(), seg.size(), nullptr, nullptr) == -EEXIST);
		}

		// The rules of lu/core/rules.h, each under the version that has it.
		// v1 (mark_skips_target): re-marking a hwpt with its own token succeeds.
		CHECK_OR("rule-mark", machine::create(seed_config(), preset("v1"), &m1) == 0);
		CHECK_OR("rule-mark", m1->run(mark(0, 1)) == 0 && m1->run(mark(0, 1)) == 0);
		// v1 (preserve_tests_mark): a marked RID passes, the missing iommufd is -ENOENT.
		CHECK_OR("rule-tests-mark", machine::create(seed_config(), preset("v1"), &m1) == 0);
		(void)m1->run(mark(0, 1));
		(void)m1->run(attach(0, 0, 0));
		CHECK_OR("rule-tests-mark", m1->run(preserve_device(0, 2)) == -ENOENT);
		// v2 (unpreserve_any_device): a device preserved without a record
		// (vfio skipped iommufd: no RID yet), then attached and unpreserved,
		// lowers the counter below zero: the group stays frozen.
		// post-v2 (device_flag): the same device is not undone.
		for (const char *v : {"v2", "post-v2"}) {
			CHECK_OR("rule-unpreserve", machine::create(seed_config(), preset(v), &m1) == 0);
			(void)m1->run(mark(0, 1));
			(void)m1->run(preserve_iommufd(9));
			CHECK_OR("rule-unpreserve", m1->run(preserve_device(0, 2)) == 0 && !m1->snapshot().files[1].has_record);
			CHECK_OR("rule-unpreserve", m1->run(attach(0, 0, 0)) == 0 && m1->run(unpreserve_device(0)) == 0);
			CHECK_OR("rule-unpreserve", m1->run(attach(0, 3, 1)) == (std::string_view(v) == "v2" ? -EBUSY : 0));
		}
		// post-v2 (device_on_rid): the group's RID attach is not enough, the
		// device itself must be on it (reject: vfio calls iommufd always).
		lu::config shared = seed_config();
		shared.devices = {{0, 16}, {0, 16}};
		CHECK_OR("rule-on-rid", machine::create(shared, preset("reject"), &m1) == 0);
		(void)m1->run(mark(0, 1));
		(void)m1->run(attach(1, 0, 0));
		(void)m1->run(preserve_iommufd(9));
		CHECK_OR("rule-on-rid", m1->run(preserve_device(0, 2)) == -ENOENT);
		// v2 (pci_unwind): PCI refuses a VF that vfio's gate skipped, and the
		// unguarded unwind lowers its group-mate's counter: the freeze lifts.
		lu::config vf = seed_config();
		vf.devices = {{0, 16}, {0, 16, true}};
		CHECK_OR("rule-pci-unwind", machine::create(vf, preset("v2"), &m1) == 0);
		(void)m1->run(mark(0, 1));
		(void)m1->run(attach(0, 0, 0));
		(void)m1->run(preserve_iommufd(9));
		CHECK_OR("rule-pci-unwind", m1->run(preserve_device(0, 2)) == 0);
		CHECK_OR("rule-pci-unwind", m1->run(preserve_device(1, 3)) == -EINVAL);
		CHECK_OR("rule-pci-unwind", m1->run(attach(0, 3, 1)) == 0);
	}
	// parser: PASID 2^20 and a bad checksum.
	auto img = m->image();
	std::vector<std::uint8_t> b(img.begin(), img.end());
	CHECK_OR("image", b.size() > 200);
	std::uint8_t *p = b.data();
	CHECK_OR("image", p != nullptr);
	const std::size_t last = b.size() - sizeof(lu_img_pasid);
	const std::size_t dev = last - sizeof(lu_img_pasid) - sizeof(lu_img_device);
	std::uint32_t v = lu::PASID_LIMIT;
	std::memcpy(p + dev + offsetof(lu_img_device, max_pasids), &v, 4);
	std::memcpy(p + last, &v, 4);
	std::uint64_t sum = lu_img_checksum(p, b.size(), offsetof(lu_img_header, checksum) / 8);
	std::memcpy(p + offsetof(lu_img_header, checksum), &sum, 8);
	CHECK_OR("parser-pasid", lu_img_parse(p, b.size(), nullptr, nullptr) == -ERANGE);
	b.assign(img.begin(), img.end());
	b[last] ^= 1;
	CHECK_OR("checksum", lu_img_parse(b.data(), b.size(), nullptr, nullptr) == -EBADMSG);

	// LUO: a failing freeze unfreezes the earlier files.
	const liveupdate_file_ops ok{"ok", noop_preserve, noop_unpreserve, ok_freeze, nullptr};
	const liveupdate_file_ops bad{"bad", noop_preserve, noop_unpreserve, fail_freeze, nullptr};
	lu_file f1{&ok, nullptr, 1}, f2{&bad, nullptr, 2};
	luo_global g;
	luo_session s;
	luo_global_init(&g);
	luo_session_init(&s, &g);
	bool rolled_back = luo_preserve_file(&s, 1, &f1, 0) == 0 && luo_preserve_file(&s, 2, &f2, 0) == 0 &&
			   luo_session_freeze(&s) == -EAGAIN && !s.head->frozen;
	luo_session_close(&s);
	luo_global_destroy(&g);
	CHECK_OR("freeze-rollback", rolled_back);
	return "";
}

TEST(Mutant, PointsAreReachableOnlyInTheMutantsLibrary)
{
	EXPECT_TRUE(mutants_compiled_in());
	for (int i = 0; i < static_cast<int>(mutant::nr_mutants); i++)
		EXPECT_EQ(parse_mutant(name(static_cast<mutant>(i))), static_cast<mutant>(i));
}

TEST(Mutant, NoMutantPassesTheBattery)
{
	mutant_select(mutant::none);
	EXPECT_EQ(battery(), "");
}

TEST(Mutant, EveryMutantIsKilled)
{
	for (int i = 1; i < static_cast<int>(mutant::nr_mutants); i++) {
		auto mu = static_cast<mutant>(i);
		// A mutant may break the teardown of the machine it corrupts
		// (xa-find-after-first-chunk hides entries from the destroy
		// walk): what leaks under a mutant is the mutant's doing.
		LU_LSAN_IGNORE_LEAKS_HERE;
		mutant_select(mu);
		std::string killed_by = battery();
		mutant_select(mutant::none);
		EXPECT_NE(killed_by, "") << name(mu) << " survives";
	}
}

} // namespace
} // namespace lu::test
