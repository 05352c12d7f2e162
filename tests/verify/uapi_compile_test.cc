// SPDX-License-Identifier: GPL-2.0
// The reproducers of `report --format uapi` (lu/verify/uapi.h) are C a
// kernel developer can build: every witness of a small run, and synthetic
// witnesses that reach every operation, is written to its own .c file and
// compiled with gcc -std=gnu11 -Wall -Werror -fsyntax-only against this
// machine's kernel headers (linux-libc-dev) and the stand-in
// tests/verify/kselftest_harness.h. One is also linked and run: without
// /dev/liveupdate its fixture skips.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sys/wait.h>

#include "lu/verify/report.h"
#include "lu/verify/uapi.h"

namespace {

using lu::model::property;
using lu::model::verdict;

namespace fs = std::filesystem;

struct ran {
	int status = -1;
	std::string out;
};

ran run(const std::string &cmd)
{
	ran r;
	FILE *f = popen((cmd + " 2>&1").c_str(), "r");
	if (!f)
		return r;
	char buf[4096];
	std::size_t n;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		r.out.append(buf, n);
	const int st = pclose(f);
	r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	return r;
}

fs::path out_dir()
{
	fs::path d = fs::path(LU_UAPI_OUT_DIR);
	fs::create_directories(d);
	return d;
}

std::string file_name(const lu::model::result &r, const std::string &tag = "")
{
	std::string n = std::string(lu::name(r.variant)) + "_" + std::string(lu::model::info(r.property).name) + tag;
	return n + ".c";
}

std::string gcc_syntax_only(const fs::path &f)
{
	return std::string(LU_GCC) + " -std=gnu11 -Wall -Werror -fsyntax-only -I" + LU_HARNESS_DIR + " " + f.string();
}

// Write @c to @name in the output directory and compile it; fails the
// test with gcc's words if it does not compile.
void expect_compiles(const std::string &c, const std::string &name)
{
	SCOPED_TRACE(name);
	ASSERT_FALSE(c.empty());
	for (const char *want : {"FIXTURE(iommufd_liveupdate) {", "FIXTURE_SETUP(iommufd_liveupdate)",
				 "FIXTURE_TEARDOWN(iommufd_liveupdate)", "TEST_F(iommufd_liveupdate, ",
				 "\nTEST_HARNESS_MAIN\n", "#include \"kselftest_harness.h\""})
		EXPECT_NE(c.find(want), std::string::npos) << want;
	const fs::path f = out_dir() / name;
	std::ofstream(f) << c;
	const auto r = run(gcc_syntax_only(f));
	EXPECT_EQ(r.status, 0) << f << " does not compile:\n" << r.out;
}

lu::variant preset(std::string_view n)
{
	auto v = lu::find_preset(n);
	EXPECT_TRUE(v.has_value()) << n;
	return v.value_or(lu::variant{});
}

lu::model::witness_step st(lu::op o, std::uint32_t dev, std::uint32_t pasid, std::uint32_t hwpt, std::uint64_t token,
			   std::uint32_t flags, int ret)
{
	return lu::model::witness_step{lu::step{o, dev, pasid, hwpt, token, flags}, ret, std::nullopt};
}

// The seed: dev 0 has its RID and PASID 1 on hwpt 0; preserve returns 0
// and PASID 1 is gone after restore.
lu::model::result seed(std::string_view variant)
{
	lu::model::result r;
	r.variant = preset(variant);
	r.property = property::no_silent_pasid_loss;
	r.verdict = verdict::counterexample;
	lu::model::witness w;
	w.config.devices = {{0, 2}};
	w.config.hwpts = {{lu::hwpt_kind::paging, 0, true, true}};
	w.trace = {st(lu::op::mark_preserve, 0, 0, 0, 1, 0, 0), st(lu::op::attach, 0, 0, 0, 0, 0, 0),
		   st(lu::op::attach, 0, 1, 0, 0, 0, 0),        st(lu::op::preserve_iommufd, 0, 0, 0, 2, 0, 0),
		   st(lu::op::preserve_device, 0, 0, 0, 3, 0, 0), st(lu::op::kexec, 0, 0, 0, 0, 0, 0)};
	w.at_kexec = {{0, 0, 0}, {0, 1, 0}};
	w.restored = {{0, 0, 0}};
	w.lost = {{0, 1}};
	r.witness = w;
	return r;
}

// Every operation and every kind of object: two groups, a nested hwpt over
// an unsealed parent, a replace and a detach, the hypothetical flag and
// unpreserve, errors, dma before and after kexec, an operation after kexec,
// a restored attachment that was never attached.
lu::model::result everything()
{
	auto r = seed("ack-flag");
	r.property = property::nested_survives;
	auto &w = *r.witness;
	w.config.devices = {{0, 2}, {0, 4}, {1, 0}};
	w.config.hwpts = {{lu::hwpt_kind::paging, 0, true, true},
			  {lu::hwpt_kind::paging, 0, true, false},
			  {lu::hwpt_kind::nested, 1, true, true}};
	w.trace = {st(lu::op::mark_preserve, 0, 0, 0, 1, 0, 0),
		   st(lu::op::mark_preserve, 0, 0, 2, 1, 0, -ENOENT),
		   st(lu::op::attach, 0, 0, 0, 0, 0, 0),
		   st(lu::op::attach, 0, 5, 2, 0, 0, 0),
		   st(lu::op::replace, 0, 5, 0, 0, 0, 0),
		   st(lu::op::attach, 2, 0, 1, 0, 0, 0),
		   st(lu::op::detach, 2, 0, 0, 0, 0, 0),
		   st(lu::op::detach, 0, 7, 0, 0, 0, -EINVAL),
		   st(lu::op::dma, 0, 5, 0, 0, 0, 0),
		   st(lu::op::preserve_iommufd, 0, 0, 0, 2, 0, 0),
		   st(lu::op::unpreserve_iommufd, 0, 0, 0, 0, 0, 0),
		   st(lu::op::preserve_iommufd, 0, 0, 0, 2, 0, 0),
		   st(lu::op::preserve_device, 0, 0, 0, 3, lu::IOMMU_LU_FLAG_IGNORE_PASID, 0),
		   st(lu::op::preserve_device, 1, 0, 0, 4, 0x6, -EINVAL),
		   st(lu::op::unpreserve_device, 1, 0, 0, 0, 0, -ENOENT),
		   st(lu::op::kexec, 0, 0, 0, 0, 0, 0),
		   st(lu::op::dma, 0, 5, 0, 0, 0, -EFAULT),
		   st(lu::op::attach, 0, 0, 0, 0, 0, -ENODEV)};
	w.at_kexec = {{0, 0, 0}, {0, 5, 0}};
	w.restored = {{0, 0, 0}, {0, 9, 0}};
	w.lost = {{0, 5}};
	return r;
}

TEST(UapiFile, SyntheticWitnessesCompile)
{
	expect_compiles(lu::verify::uapi_selftest_file(seed("v1")), "seed_v1.c");
	expect_compiles(lu::verify::uapi_selftest_file(everything()), "everything.c");
	// No kexec: one stage, no retrieve.
	auto r = seed("v2");
	r.property = property::unknown_flags_rejected;
	r.witness->trace = {st(lu::op::preserve_device, 0, 0, 0, 3, 0x2, -EINVAL)};
	r.witness->at_kexec.clear();
	r.witness->restored.clear();
	r.witness->lost.clear();
	const auto c = lu::verify::uapi_selftest_file(r);
	EXPECT_EQ(c.find("RETRIEVE"), std::string::npos) << c;
	expect_compiles(c, "no_kexec.c");
	// A kexec with nothing preserved: stage 2 retrieves no cdev.
	auto k = seed("v1");
	k.witness->trace = {st(lu::op::attach, 0, 0, 0, 0, 0, 0), st(lu::op::kexec, 0, 0, 0, 0, 0, 0)};
	k.witness->at_kexec = {{0, 0, 0}};
	k.witness->restored.clear();
	k.witness->lost.clear();
	const auto ck = lu::verify::uapi_selftest_file(k);
	EXPECT_EQ(ck.find("LIVEUPDATE_SESSION_RETRIEVE_FD"), std::string::npos) << ck;
	EXPECT_NE(ck.find("/* dev 0 was not preserved"), std::string::npos) << ck;
	expect_compiles(ck, "kexec_nothing_kept.c");
	// The new kernel as the iommufd selftest asks it (SERIES.md 11.A steps
	// 15-18): open, retrieve the cdev and the iommufd, bind to a new
	// iommufd, finish; and one of them before kexec (not issued).
	auto n = seed("v2");
	const auto before = seed("v2").witness->trace;
	auto &nt = n.witness->trace;
	nt = {st(lu::op::finish, 0, 0, 0, 0, 0, -ENODEV)};
	nt.insert(nt.end(), before.begin(), before.end());
	for (const auto &x : {st(lu::op::open_device, 0, 0, 0, 0, 0, -EBUSY), st(lu::op::retrieve, 0, 0, 0, 3, 0, 0),
			      st(lu::op::retrieve, 0, 0, 0, 2, 0, -EOPNOTSUPP), st(lu::op::bind_device, 0, 0, 0, 0, 0, -EPERM),
			      st(lu::op::finish, 0, 0, 0, 0, 0, -EBUSY)})
		nt.push_back(x);
	const auto cn = lu::verify::uapi_selftest_file(n);
	for (const char *call : {"LIVEUPDATE_SESSION_RETRIEVE_FD", "LIVEUPDATE_SESSION_FINISH", "EXPECT_ERRNO(EPERM,",
				 "EXPECT_ERRNO(EBUSY, open(", "self->cdev_fd[0] = cmd_9.fd;"})
		EXPECT_NE(cn.find(call), std::string::npos) << call << "\n" << cn;
	expect_compiles(cn, "new_kernel.c");
}

// Every counterexample and witness of a small run: all presets, all
// properties, depth 5 (what `report --format uapi --depth 5` prints).
TEST(UapiFile, EveryWitnessOfASmallRunCompiles)
{
	std::vector<lu::variant> vs;
	for (const auto &p : lu::presets)
		vs.push_back(p.variant);
	std::vector<property> ps;
	for (const auto &pi : lu::model::properties)
		ps.push_back(pi.id);
	lu::verify::run_info run;
	run.opt.bounds.depth = 5;
	run.jobs = 2;
	const auto rs = lu::verify::prove_cells(vs, ps, run);
	std::size_t n = 0;
	for (std::size_t i = 0; i < rs.size(); ++i) {
		const auto &r = rs[i];
		if (!r.witness)
			continue;
		++n;
		// fmt, not "_" + std::string: GCC 12's -Wrestrict misfires on that at -O2
		expect_compiles(lu::verify::uapi_selftest_file(r), file_name(r, fmt::format("_{}", i)));
	}
	EXPECT_GE(n, 10u) << "a small run has counterexamples under v1 and v2";
}

// The stand-in harness runs the fixture: without /dev/liveupdate (or
// without the cdevs in $LU_VFIO_CDEVn) the setup skips, exit 0.
TEST(UapiFile, SeedLinksAndSkipsWithoutLiveUpdate)
{
	if (fs::exists("/dev/liveupdate"))
		GTEST_SKIP() << "this machine has /dev/liveupdate: running the reproducer would preserve for real";
	const fs::path c = out_dir() / "seed_run.c", exe = out_dir() / "seed_run";
	std::ofstream(c) << lu::verify::uapi_selftest_file(seed("v1"));
	const auto b = run(std::string(LU_GCC) + " -std=gnu11 -Wall -Werror -I" + LU_HARNESS_DIR + " -o " + exe.string() +
			   " " + c.string());
	ASSERT_EQ(b.status, 0) << b.out;
	const auto r = run("env -u LU_VFIO_CDEV0 " + exe.string());
	EXPECT_EQ(r.status, 0) << r.out;
	EXPECT_NE(r.out.find("ok # SKIP iommufd_liveupdate.v1_no_silent_pasid_loss"), std::string::npos) << r.out;
}

} // namespace
