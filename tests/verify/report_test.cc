// SPDX-License-Identifier: GPL-2.0
// The citable output (lu/verify/report.h, lu/verify/uapi.h): the mail fits
// 72 columns, its answer follows the verdicts, the uAPI rendering of a known
// witness, the bundle's hashes, and the JSON keys of DESIGN section 4.
#include <gtest/gtest.h>

#include <sstream>

#include "lu/verify/report.h"
#include "lu/verify/uapi.h"

namespace {

using lu::model::property;
using lu::model::verdict;

lu::variant preset(std::string_view n)
{
	auto v = lu::find_preset(n);
	EXPECT_TRUE(v.has_value()) << n;
	return v.value_or(lu::variant{});
}

// A small, fast run: shallow depth, two cells of one variant.
lu::verify::run_info small_run()
{
	lu::verify::run_info run;
	run.opt.bounds.depth = 4;
	run.jobs = 2;
	return run;
}

// The witness of the seed: dev 0 has its RID and PASID 1 on hwpt 0; preserve
// returns 0 and PASID 1 is gone after restore.
lu::model::result seed_counterexample(std::string_view variant)
{
	lu::model::result r;
	r.variant = preset(variant);
	r.property = property::no_silent_pasid_loss;
	r.verdict = verdict::counterexample;
	lu::model::witness w;
	w.config.devices = {{0, 2}};
	w.config.hwpts = {{lu::hwpt_kind::paging, 0, true, true}};
	auto st = [](lu::op o, std::uint32_t dev, std::uint32_t pasid, std::uint32_t hwpt, std::uint64_t token,
		     std::uint32_t flags, int ret) {
		return lu::model::witness_step{lu::step{o, dev, pasid, hwpt, token, flags}, ret, std::nullopt};
	};
	w.trace = {st(lu::op::mark_preserve, 0, 0, 0, 1, 0, 0), st(lu::op::attach, 0, 0, 0, 0, 0, 0),
		   st(lu::op::attach, 0, 1, 0, 0, 0, 0),        st(lu::op::preserve_iommufd, 0, 0, 0, 2, 0, 0),
		   st(lu::op::preserve_device, 0, 0, 0, 3, 0, 0), st(lu::op::kexec, 0, 0, 0, 0, 0, 0)};
	w.at_kexec = {{0, 0, 0}, {0, 1, 0}};
	w.restored = {{0, 0, 0}};
	w.lost = {{0, 1}};
	r.witness = w;
	return r;
}

lu::model::result synthetic(std::string_view variant, property p, verdict v)
{
	lu::model::result r;
	r.variant = preset(variant);
	r.property = p;
	r.verdict = v;
	r.vacuity = v == verdict::proved ? lu::model::vacuity::ok : lu::model::vacuity::not_applicable;
	return r;
}

void expect_mail_shape(const std::string &mail)
{
	std::istringstream in(mail);
	std::string line;
	int n = 0;
	while (std::getline(in, line)) {
		++n;
		SCOPED_TRACE(testing::Message() << "line " << n << ": " << line);
		EXPECT_LE(line.size(), lu::verify::MAIL_COLUMNS);
		EXPECT_EQ(line.find('\t'), std::string::npos);
		EXPECT_TRUE(line.empty() || line.back() != ' ');
	}
	EXPECT_GT(n, 10);
}

TEST(Report, WrapKeepsEveryLineWithinWidth)
{
	const std::string long_word(100, 'x');
	const auto out = lu::verify::wrap("a\tb " + long_word + " c d e f g", 20, "    ");
	expect_mail_shape(out + std::string(11, '\n'));
	EXPECT_NE(out.find("a b"), std::string::npos);
	EXPECT_EQ(lu::verify::wrap("  keep   this  ", 72, ""), "  keep   this\n");
}

TEST(Report, MailOfARealRunFitsSeventyTwoColumns)
{
	const auto run = small_run();
	const auto rs = lu::verify::prove_cells({preset("v2")},
						{property::no_silent_pasid_loss, property::rid_only_preservable}, run);
	ASSERT_EQ(rs.size(), 2u);
	for (const auto &r : rs)
		ASSERT_NE(r.verdict, verdict::error) << r.reason;
	const auto mail = lu::verify::mail_report(rs, run, {});
	expect_mail_shape(mail);
	EXPECT_NE(mail.find("Result v2 no-silent-pasid-loss"), std::string::npos);
	// Commands are wrapped as a shell reads them back (" \\" at the end).
	std::string joined;
	for (std::size_t i = 0; i < mail.size(); ++i) {
		if (mail.compare(i, 3, " \\\n") == 0) {
			i += 3;
			while (i < mail.size() && mail[i] == ' ')
				++i;
			--i;
			joined += ' ';
			continue;
		}
		joined += mail[i];
	}
	EXPECT_NE(joined.find("$ iommufd-lu prove --variant v2 --property no-silent-pasid-loss --depth 4\n"),
		  std::string::npos)
		<< joined;
	EXPECT_NE(mail.find("model source sha256:"), std::string::npos);
}

// Every preset x property: v1's first cell the seed's counterexample, its
// second unknown, every other one proved.
std::vector<lu::model::result> every_cell()
{
	std::vector<lu::model::result> rs;
	for (const auto &p : lu::presets)
		for (const auto &pi : lu::model::properties)
			rs.push_back(synthetic(p.name, pi.id, verdict::proved));
	rs[0] = seed_counterexample("v1");
	rs[1].verdict = verdict::unknown;
	return rs;
}

TEST(Report, MailOfSyntheticCellsFitsSeventyTwoColumns)
{
	auto rs = every_cell();
	rs[1].reason = std::string(200, 'r');
	expect_mail_shape(lu::verify::mail_report(rs, small_run(), {}));
}

std::vector<std::string> lines_of(const std::string &text)
{
	std::vector<std::string> out;
	std::istringstream in(text);
	for (std::string line; std::getline(in, line);)
		out.push_back(line);
	return out;
}

// prove's text output and the mail print the same table (one renderer).
TEST(Report, VerdictTableIsTheMailsTable)
{
	auto rs = every_cell();
	rs.back().vacuity = lu::model::vacuity::vacuous;
	const auto table = lu::verify::verdict_table(rs);
	expect_mail_shape(table);
	EXPECT_NE(lu::verify::mail_report(rs, small_run(), {}).find(table), std::string::npos);

	const auto lines = lines_of(table);
	ASSERT_GE(lines.size(), 3u + lu::model::properties.size());
	EXPECT_EQ(lines[0], "Verdicts (rows: properties, columns: kernel variants):");
	EXPECT_EQ(lines[2], "  property   v1      v2      post-v2 doc-only reject  ack-flag full");
	EXPECT_EQ(lines[3], "  no-silent  CEX     proved  proved  proved   proved  proved   proved");
	EXPECT_EQ(lines[4], "  ack-loss   unknown proved  proved  proved   proved  proved   proved");
	EXPECT_EQ(lines[2 + lu::model::properties.size()],
		  "  lifts      proved  proved  proved  proved   proved  proved   VACUOUS");
	EXPECT_NE(table.find("  no-silent  no-silent-pasid-loss (safety)"), std::string::npos) << table;
	EXPECT_TRUE(lu::verify::verdict_table({}).empty());
}

// Variants that do not fit beside each other go on in further blocks of
// columns, never past 72 columns; a cell that was not run is "-".
TEST(Report, VerdictTableSplitsWideRuns)
{
	std::vector<lu::model::result> rs;
	for (auto pol : {lu::policy::silent_drop, lu::policy::reject, lu::policy::ack_flag, lu::policy::full})
		for (auto fr : {lu::freeze::allowed, lu::freeze::busy})
			for (auto g : {lu::vfio_gate::rid_only, lu::vfio_gate::always}) {
				auto r = synthetic("v1", property::no_silent_pasid_loss, verdict::proved);
				r.variant = {pol, fr, g};
				if (lu::name(r.variant) != "custom")
					continue;
				rs.push_back(r);
			}
	ASSERT_EQ(rs.size(), 11u); // 16 combinations on post-v2 code, 5 of them presets
	rs.push_back(synthetic("v2", property::image_round_trip, verdict::counterexample));
	const auto table = lu::verify::verdict_table(rs);
	expect_mail_shape(table);
	std::size_t heads = 0;
	for (const auto &l : lines_of(table))
		heads += l.starts_with("  property ");
	EXPECT_GT(heads, 1u) << table;
	EXPECT_NE(table.find("custom(silent-drop,allowed,always,post-v2)"), std::string::npos) << table;
	EXPECT_NE(table.find("  image      -"), std::string::npos) << table;
	EXPECT_NE(table.find("  property   custom(full,busy,rid-only,post-v2) v2\n"
			     "  no-silent  proved                             -\n"
			     "  image      -                                  CEX\n"),
		  std::string::npos)
		<< table;
}

TEST(Report, SummaryAnswerFollowsTheVerdicts)
{
	std::vector<lu::model::result> rs{seed_counterexample("v1"),
					  synthetic("reject", property::no_silent_pasid_loss, verdict::proved)};
	auto s = lu::verify::summary_paragraph(rs);
	EXPECT_NE(s.find("Yes under v1"), std::string::npos) << s;
	EXPECT_NE(s.find("No under reject"), std::string::npos) << s;

	rs[0] = synthetic("v1", property::no_silent_pasid_loss, verdict::proved);
	s = lu::verify::summary_paragraph(rs);
	EXPECT_EQ(s.find("Yes under"), std::string::npos) << s;
	EXPECT_NE(s.find("No under v1 and reject"), std::string::npos) << s;

	rs[1].verdict = verdict::unknown;
	s = lu::verify::summary_paragraph(rs);
	EXPECT_NE(s.find("Open under reject"), std::string::npos) << s;

	s = lu::verify::summary_paragraph({synthetic("v2", property::image_round_trip, verdict::proved)});
	EXPECT_NE(s.find("did not check no-silent-pasid-loss"), std::string::npos) << s;
}

TEST(Report, ObservationLineIsStable)
{
	EXPECT_EQ(lu::verify::observation_line(seed_counterexample("v2")),
		  "Result v2 no-silent-pasid-loss Counterexample depth=8 lost=(dev0,pasid1)");
	EXPECT_EQ(lu::verify::observation_line(synthetic("full", property::pasid_survives_update, verdict::proved)),
		  "Result full pasid-survives-update Witness depth=8");
	EXPECT_EQ(lu::verify::observation_line(
			  synthetic("reject", property::pasid_survives_update, verdict::counterexample)),
		  "Result reject pasid-survives-update NoWitness depth=8");
}

// A proof for every trace length is told apart from a bounded one in the
// table, the observation line and the JSON; a bounded one stays as it was.
TEST(Report, EveryDepthProofIsMarked)
{
	auto inductive = synthetic("reject", property::no_silent_pasid_loss, verdict::proved);
	inductive.every_depth = true;
	const auto bounded = synthetic("full", property::no_silent_pasid_loss, verdict::proved);

	const auto table = lu::verify::verdict_table({inductive, bounded});
	const auto lines = lines_of(table);
	ASSERT_GE(lines.size(), 4u);
	EXPECT_EQ(lines[3], "  no-silent  proved* proved");
	EXPECT_NE(table.find("proved*: proved for every trace length"), std::string::npos) << table;
	EXPECT_EQ(lu::verify::verdict_table({bounded}).find("proved*"), std::string::npos);

	EXPECT_EQ(lu::verify::observation_line(inductive), "Result reject no-silent-pasid-loss Proved depth=any");
	EXPECT_EQ(lu::verify::observation_line(bounded), "Result full no-silent-pasid-loss Proved depth=8");

	const auto j = lu::verify::report_json({inductive, bounded}, small_run(), {});
	EXPECT_EQ(j["results"][0]["every_depth"], true);
	EXPECT_EQ(j["results"][1]["every_depth"], false);
}

// A proof for any number of devices, groups and hwpts says so in the
// table (proved**, with its legend) and in the JSON (any_size, covers).
TEST(Report, AnySizeProofIsMarked)
{
	auto any = synthetic("reject", property::no_silent_pasid_loss, verdict::proved);
	any.every_depth = any.any_size = true;
	auto inductive = synthetic("full", property::no_silent_pasid_loss, verdict::proved);
	inductive.every_depth = true;

	const auto table = lu::verify::verdict_table({any, inductive});
	const auto lines = lines_of(table);
	ASSERT_GE(lines.size(), 4u);
	EXPECT_EQ(lines[3], "  no-silent  proved** proved*");
	EXPECT_NE(table.find("proved**: devices any, hwpts any, depth any"), std::string::npos) << table;
	EXPECT_EQ(lu::verify::verdict_table({inductive}).find("proved**"), std::string::npos);

	const auto j = lu::verify::report_json({any, inductive}, small_run(), {});
	EXPECT_EQ(j["results"][0]["any_size"], true);
	EXPECT_EQ(j["results"][0]["covers"], "devices any, hwpts any, depth any");
	EXPECT_EQ(j["results"][1]["any_size"], false);
	EXPECT_EQ(j["results"][1]["covers"], "devices 2, hwpts 3, depth any");
}

TEST(Uapi, SeedWitnessAsSelftest)
{
	const auto c = lu::verify::uapi_selftest(seed_counterexample("v1"), "\t");
	for (const char *want :
	     {"TEST_F(iommufd_liveupdate, v1_no_silent_pasid_loss)", "\tif (self->stage == 1) {",
	      "IOMMU_HWPT_ALLOC_PASID", "IOMMU_HWPT_LIVEUPDATE_MARK_PRESERVE", ".hwpt_token = 1,",
	      "VFIO_DEVICE_ATTACH_PASID", ".pasid = 1,", "LIVEUPDATE_SESSION_PRESERVE_FD", ".fd = self->iommufd,",
	      ".fd = self->cdev_fd[0],", ".token = 3,", "IOMMU_IOAS_MAP_FILE", "lu_daemonize_and_wait();",
	      "stage 2, after kexec", "LIVEUPDATE_SESSION_RETRIEVE_FD, &get_0));", "self->cdev_fd[0] = get_0.fd;",
	      "EXPECT_DMA(1, self->cdev_fd[0], 0);\n", "EXPECT_DMA(1, self->cdev_fd[0], 1); /* FAILS: lost */"})
		EXPECT_NE(c.find(want), std::string::npos) << want << "\n" << c;
	EXPECT_EQ(c.find("HYPOTHETICAL: no kernel"), std::string::npos) << "no flag, no hypothetical ioctl";
	// Stage 1 ends at the kexec: everything after it is stage 2.
	EXPECT_LT(c.find("IOMMU_HWPT_LIVEUPDATE_MARK_PRESERVE"), c.find("lu_daemonize_and_wait();"));
	EXPECT_LT(c.find("lu_daemonize_and_wait();"), c.find("LIVEUPDATE_SESSION_RETRIEVE_FD"));
	// As the series' test: /dev/liveupdate is closed, the session is kept.
	EXPECT_LT(c.find("close(self->luo_fd);"), c.find("lu_daemonize_and_wait();"));
}

TEST(Uapi, WholeFileDeclaresWhatTheHeadersLack)
{
	const auto f = lu::verify::uapi_selftest_file(seed_counterexample("v1"));
	for (const char *want :
	     {"#include \"kselftest_harness.h\"", "#if __has_include(<linux/iommufd.h>)",
	      "/* Not in this machine's headers: from the series' uAPI (SERIES.md 5;",
	      "#ifndef IOMMU_HWPT_LIVEUPDATE_MARK_PRESERVE", "_IO(IOMMUFD_TYPE, 0x95)", "#ifndef IOMMUFD_TYPE",
	      "#ifndef IOMMU_HWPT_ALLOC\n",
	      "#ifndef VFIO_DEVICE_ATTACH_IOMMUFD_PT", "#ifndef LIVEUPDATE_IOCTL_TYPE",
	      "LIVEUPDATE_SESSION_RETRIEVE_FD _IO(LIVEUPDATE_IOCTL_TYPE, 0x41)", "FIXTURE(iommufd_liveupdate) {",
	      "\tint cdev_fd[1];", "\t__u32 hwpt_id[1];", "FIXTURE_SETUP(iommufd_liveupdate)",
	      "LIVEUPDATE_IOCTL_RETRIEVE_SESSION, &found)", "getenv(\"LU_VFIO_CDEV0\")", "VFIO_DEVICE_BIND_IOMMUFD, &bind_0",
	      "FIXTURE_TEARDOWN(iommufd_liveupdate)", "\nTEST_HARNESS_MAIN\n"})
		EXPECT_NE(f.find(want), std::string::npos) << want << "\n" << f;
	EXPECT_NE(f.find(lu::verify::uapi_selftest(seed_counterexample("v1"), "\t")), std::string::npos)
		<< "the file holds the fragment";
	// Only what the trace uses: no error, no nested hwpt, no detach, no
	// hypothetical helper but the DMA check.
	for (const char *absent : {"EXPECT_ERRNO", "IOMMU_HWPT_DATA_SELFTEST", "VFIO_DEVICE_DETACH_IOMMUFD_PT ",
				   "session_unpreserve", "IOMMU_DEVICE_LU_SET_FLAGS", "IOMMU_IOAS_MAP _IO"})
		EXPECT_EQ(f.find(absent), std::string::npos) << absent << "\n" << f;
	EXPECT_TRUE(lu::verify::uapi_selftest_file(synthetic("v2", property::image_round_trip, verdict::proved)).empty());
}

TEST(Uapi, ErrorsAndTheAcknowledgementFlag)
{
	auto r = seed_counterexample("ack-flag");
	r.witness->trace[4].step.flags = lu::IOMMU_LU_FLAG_IGNORE_PASID;
	r.witness->trace[3].ret = -EOPNOTSUPP;
	r.witness->trace.insert(r.witness->trace.begin() + 5,
				{lu::step{lu::op::detach, 0, 1, 0, 0, 0}, -EBUSY, std::nullopt});
	r.witness->trace.push_back({lu::step{lu::op::attach, 0, 1, 0, 0, 0}, -ENODEV, std::nullopt});
	const auto c = lu::verify::uapi_selftest(r, "  ");
	for (const char *want : {"EXPECT_ERRNO(EOPNOTSUPP, ioctl(self->session_fd,", "HYPOTHETICAL",
				 ".flags = IOMMU_LU_FLAG_IGNORE_PASID,", "IOMMU_DEVICE_LU_SET_FLAGS",
				 "VFIO_DEVICE_DETACH_PASID", "EXPECT_ERRNO(EBUSY, ioctl(self->cdev_fd[0],",
				 "/* 8. attach(dev 0, pasid 1, hwpt 0) */", "/* the model: -ENODEV (the old kernel's"})
		EXPECT_NE(c.find(want), std::string::npos) << want << "\n" << c;
	EXPECT_EQ(c.find('\t'), std::string::npos);
	// A mail quotes it: two-space indentation stays within 72 columns.
	std::istringstream in(c);
	for (std::string line; std::getline(in, line);)
		EXPECT_LE(line.size(), lu::verify::MAIL_COLUMNS) << line;
	EXPECT_TRUE(lu::verify::uapi_selftest(synthetic("v2", property::image_round_trip, verdict::proved), "\t").empty());
}

TEST(Bundle, HashesArePresentAndStable)
{
	EXPECT_EQ(lu::verify::sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	EXPECT_EQ(lu::verify::model_source_sha256().size(), 64u);
	EXPECT_EQ(lu::verify::build_sha256().size(), 64u);
	EXPECT_NE(lu::verify::build_config().find("compiler"), std::string::npos);
	// The flags that change how impl and model compile are hashed too: the
	// build type's flags and the per-target options (warnings, sanitizers).
	const auto cfg = lu::verify::build_config();
	for (const char *want : {"\nbuild type ", "\nflags ", "\nsanitize", "\nlu_impl options ", "\nlu_model options ",
				 "\nlu_model definitions", "\ngit "})
		EXPECT_NE(cfg.find(want), std::string::npos) << want << "\n" << cfg;
	const auto model_opts = cfg.substr(cfg.find("\nlu_model options "));
	EXPECT_LT(model_opts.find("-Wall"), model_opts.find('\n', 1)) << cfg;
	EXPECT_LT(model_opts.find("-Wshadow"), model_opts.find('\n', 1)) << cfg;

	auto run = small_run();
	run.opt.bounds.depth = 3;
	const auto r = synthetic("v2", property::no_silent_pasid_loss, verdict::counterexample);
	auto rr = r;
	rr.bounds.depth = 3;
	const auto a = lu::verify::bundle_for(rr, run), b = lu::verify::bundle_for(rr, run);
	ASSERT_TRUE(a.error.empty()) << a.error;
	// A counterexample's certificate: the decoded trace fixed (sat), and
	// nothing else (it does not rest on the premise).
	ASSERT_EQ(a.certificate.size(), 1u);
	EXPECT_EQ(a.certificate[0].name, "v2__no-silent-pasid-loss.witness.smt2");
	EXPECT_EQ(a.certificate[0].role, "witness");
	EXPECT_EQ(a.certificate[0].expected, "sat");
	for (const auto &f : a.certificate)
		EXPECT_EQ(f.sha256.size(), 64u) << f.name;
	EXPECT_EQ(a.certificate_sha256.size(), 64u);
	EXPECT_EQ(a.certificate_sha256, b.certificate_sha256) << "the same run gives the same certificate";
	EXPECT_EQ(a.model_sha256, b.model_sha256);
	EXPECT_EQ(a.build_sha256, b.build_sha256);
	EXPECT_EQ(a.solver_name, "z3");
}

TEST(Report, JsonHasTheDesignKeys)
{
	const auto run = small_run();
	const std::vector<lu::model::result> rs{seed_counterexample("v2")};
	const auto j = lu::verify::report_json(rs, run, {lu::verify::bundle{}});
	for (const char *k : {"name", "version", "git"})
		EXPECT_TRUE(j["tool"].contains(k)) << k;
	for (const char *k : {"name", "version", "params"})
		EXPECT_TRUE(j["solver"].contains(k)) << k;
	ASSERT_EQ(j["results"].size(), 1u);
	const auto &r = j["results"][0];
	for (const char *k : {"variant", "policy", "freeze", "vfio_gate", "property", "verdict", "bounds", "vacuity",
			      "seconds", "witness", "bundle", "observation", "reproduce"})
		EXPECT_TRUE(r.contains(k)) << k;
	for (const char *k : {"devices", "hwpts", "depth", "pasid_bits"})
		EXPECT_TRUE(r["bounds"].contains(k)) << k;
	for (const char *k : {"op", "dev", "pasid", "hwpt", "flags", "ret"})
		EXPECT_TRUE(r["witness"]["trace"][0].contains(k)) << k;
	EXPECT_EQ(r["witness"]["lost"][0]["pasid"], 1);
	EXPECT_EQ(r["verdict"], "counterexample");
	EXPECT_EQ(r["variant"], "v2");
	for (const char *k : {"model_sha256", "build_sha256", "certificate_sha256", "certificate", "solver"})
		EXPECT_TRUE(r["bundle"].contains(k)) << k;
	EXPECT_TRUE(r["bundle"]["solver"].contains("seed"));
}


// The default mail (issue 12): every claim it makes is checked against the
// JSON of the same run: the reviewer's case per variant against the cause
// pasid-not-recorded, every cell of the causes matrix against its cause's
// status, every trace's cause and variant against a found cause.
namespace brief {

std::vector<std::string> lines_of(const std::string &text)
{
	std::vector<std::string> out;
	std::istringstream in(text);
	for (std::string l; std::getline(in, l);)
		out.push_back(l);
	return out;
}

std::vector<std::string> words(const std::string &line)
{
	std::vector<std::string> out;
	std::istringstream in(line);
	for (std::string w; in >> w;)
		out.push_back(w);
	return out;
}

TEST(BriefReport, EveryClaimMatchesTheJson)
{
	lu::verify::run_info run;
	run.opt.bounds.depth = 6;
	const std::vector<lu::variant> vars{preset("v1"), preset("v2"), preset("reject")};
	const std::vector<property> props{property::no_silent_pasid_loss, property::nested_survives};
	const auto rs = lu::verify::prove_cells(vars, props, run);
	const auto cs = lu::verify::causes_for(rs, run, 16);
	const std::string mail = lu::verify::brief_report(rs, cs, run);
	const auto js = lu::verify::report_json(rs, run, {}, &cs)["results"];
	// status of (variant, property, cause) in the JSON
	auto status = [&](const std::string &v, const std::string &p, const std::string &c) -> std::string {
		for (const auto &r : js)
			if (r["variant"] == v && r["property"] == p)
				for (const auto &x : r["causes"])
					if (x["cause"] == c)
						return x["status"];
		return "absent";
	};
	const auto ls = lines_of(mail);
	std::size_t reviewer = 0, cells = 0, traces = 0;
	std::vector<std::string> heading_props, columns;
	for (std::size_t i = 0; i < ls.size(); ++i) {
		const auto w = words(ls[i]);
		EXPECT_LE(ls[i].size(), lu::verify::MAIL_COLUMNS) << ls[i];
		if (w.size() >= 3 && ls[i].starts_with("  ") && (w[1] == "yes," || w[1] == "no," || w[1] == "not") &&
		    (w[0] == "v1" || w[0] == "v2" || w[0] == "reject")) {
			const auto st = status(w[0], "no-silent-pasid-loss", "pasid-not-recorded");
			EXPECT_EQ(st, w[1] == "yes," ? "found" : "closed") << ls[i];
			++reviewer;
		}
		if (!w.empty() && w[0] == "v1" && w.size() == vars.size() && !ls[i].starts_with("  v1"))
			columns = w; // the matrix head
		if (!ls[i].starts_with(" ") && (ls[i] == "no-silent-pasid-loss" || ls[i] == "nested-survives"))
			heading_props = {ls[i]};
		if (ls[i].empty())
			heading_props.clear(); // the matrix ends at a blank line
		if (!heading_props.empty() && !columns.empty() && w.size() == columns.size() + 1 && ls[i].starts_with("  ") &&
		    !ls[i].starts_with("   ")) {
			for (std::size_t k = 0; k < columns.size(); ++k) {
				const auto st = status(columns[k], heading_props[0], w[0]);
				if (w[k + 1].starts_with("#"))
					EXPECT_EQ(st, "found") << ls[i];
				else
					EXPECT_TRUE(st == "closed" || (w[0] == "unclassified" && st == "absent")) << ls[i];
				++cells;
			}
		}
		// "N. cause (variant): text"
		if (w.size() >= 3 && w[0].ends_with(".") && std::isdigit(static_cast<unsigned char>(w[0][0])) &&
		    w[2].starts_with("(") && w[2].ends_with("):")) {
			const std::string v = w[2].substr(1, w[2].size() - 3);
			EXPECT_TRUE(status(v, "no-silent-pasid-loss", w[1]) == "found" ||
				    status(v, "nested-survives", w[1]) == "found")
				<< ls[i];
			++traces;
		}
	}
	EXPECT_EQ(reviewer, vars.size()) << mail;
	EXPECT_EQ(cells, vars.size() * (4 + 1)) << mail; // 4 loss causes + nested-as-parent
	EXPECT_GE(traces, 3u) << mail;                  // no-record, pasid-not-recorded, nested-as-parent at least
}

} // namespace brief

} // namespace
