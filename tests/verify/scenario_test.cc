// SPDX-License-Identifier: GPL-2.0
// Scenario parser: a good file round-trips; every malformation is reported
// at its file:line:column.
#include <gtest/gtest.h>

#include "lu/verify/scenario.h"

namespace {

using lu::verify::parse_scenario;
using lu::verify::scenario_error;

constexpr const char *good = R"(# a comment
scenario v1+rid+pasid+preserve
about:
  The seed's case under v1.
  Second line.
config:
  device 0 group=0 max_pasids=16
  device 1 group=1
  hwpt 0 paging pasid_compat
  hwpt 1 nested parent=0
  hwpt 2 paging unsealed
trace:
  mark_preserve hwpt=0 token=1
  attach dev=0 pasid=0 hwpt=0
  attach dev=0 pasid=5 hwpt=0
  preserve_iommufd token=0x10
  preserve_device dev=0 token=11 flags=IGNORE_PASID
  kexec
  dma dev=0 pasid=5
expect v1,doc-only: rets 0 0 0 0 -EINVAL 0 -EFAULT | intact | restored none
expect full/allowed/rid-only: rets _ _ _ _ 0 0 -14 | loses-pasid | lost (0,5) | at-kexec (0,0,0) (0,5,0)
expect *: rets 0 0 0 0 _ 0 _
)";

// Parse @p text and demand a scenario_error at @p line:@p col whose message
// contains @p what.
::testing::AssertionResult fails_at(const std::string &text, int line, int col, const std::string &what)
{
	try {
		parse_scenario(text, "t.lu");
	} catch (const scenario_error &e) {
		const auto &d = e.where();
		if (d.file != "t.lu" || d.line != line || d.column != col || d.message.find(what) == std::string::npos)
			return ::testing::AssertionFailure() << "got " << d.str() << ", want t.lu:" << line << ":" << col
							      << ": ..." << what << "...";
		if (std::string(e.what()) != d.str())
			return ::testing::AssertionFailure() << "what() is not file:line:column: " << e.what();
		return ::testing::AssertionSuccess();
	}
	return ::testing::AssertionFailure() << "parsed without error";
}

// A well-formed prefix to which the malformed tests append or substitute.
const std::string head = "scenario all+rid+x\nabout:\n  text\nconfig:\n  device 0 max_pasids=16\n  hwpt 0 paging\n";
const std::string trace1 = "trace:\n  kexec\n";

TEST(Scenario, GoodFileParses)
{
	auto s = parse_scenario(good, "good.lu");
	EXPECT_EQ(s.name, "v1+rid+pasid+preserve");
	EXPECT_EQ(s.about, "The seed's case under v1.\nSecond line.");
	ASSERT_EQ(s.config.devices.size(), 2u);
	EXPECT_EQ(s.config.devices[0].max_pasids, 16u);
	EXPECT_EQ(s.config.devices[1].group, 1u);
	ASSERT_EQ(s.config.hwpts.size(), 3u);
	EXPECT_TRUE(s.config.hwpts[0].pasid_compat);
	EXPECT_EQ(s.config.hwpts[1].kind, lu::hwpt_kind::nested);
	EXPECT_FALSE(s.config.hwpts[2].sealed);
	ASSERT_EQ(s.trace.size(), 7u);
	EXPECT_EQ(s.trace[3].token, 0x10u);
	EXPECT_EQ(s.trace[4].flags, lu::IOMMU_LU_FLAG_IGNORE_PASID);
	EXPECT_EQ(s.trace_lines[0], 13);
	// v1, doc-only, custom, then '*' = v2, post-v2, reject, ack-flag, full
	ASSERT_EQ(s.expects.size(), 8u);
	EXPECT_EQ(s.expects[2].label, "full/allowed/rid-only");
	EXPECT_EQ((*s.expects[2].rets)[6], -14);
	EXPECT_FALSE((*s.expects[2].rets)[0].has_value());
	EXPECT_EQ(s.expects[2].lost->size(), 1u);
	EXPECT_EQ(s.expects[3].label, "v2");
	EXPECT_EQ(s.expects[7].label, "full");
	EXPECT_EQ(s.expects[6].line, 22);
}

TEST(Scenario, FormatRoundTrips)
{
	auto s = parse_scenario(good, "good.lu");
	auto text = lu::verify::format_scenario(s);
	auto t = parse_scenario(text, "again.lu");
	EXPECT_EQ(t.name, s.name);
	EXPECT_EQ(t.about, s.about);
	EXPECT_EQ(t.config, s.config);
	EXPECT_EQ(t.trace, s.trace);
	ASSERT_EQ(t.expects.size(), s.expects.size());
	for (std::size_t i = 0; i < s.expects.size(); i++) {
		SCOPED_TRACE(s.expects[i].label);
		EXPECT_EQ(t.expects[i].label, s.expects[i].label);
		EXPECT_EQ(t.expects[i].rets, s.expects[i].rets);
		EXPECT_EQ(t.expects[i].lost, s.expects[i].lost);
		EXPECT_EQ(t.expects[i].at_kexec, s.expects[i].at_kexec);
		EXPECT_EQ(t.expects[i].restored, s.expects[i].restored);
		EXPECT_EQ(t.expects[i].summary, s.expects[i].summary);
	}
	EXPECT_EQ(lu::verify::format_scenario(t), text);
}

// Blank lines inside `about:` are kept, one for one: a paragraph break
// survives a round trip (found by verify/fuzz/scenario_fuzz.cc).
TEST(Scenario, AboutKeepsItsBlankLines)
{
	const std::string text = "scenario all+rid+preserve\nabout:\n  One.\n\n  Two,\n  still two.\n\n\n  Three.\n\n"
				 "config:\n  device 0 group=0 max_pasids=0\n  hwpt 0 paging\ntrace:\n"
				 "  mark_preserve hwpt=0 token=1\nexpect *: rets 0\n";
	auto s = parse_scenario(text, "paragraphs.lu");
	EXPECT_EQ(s.about, "One.\n\nTwo,\nstill two.\n\n\nThree.");
	auto again = lu::verify::format_scenario(s);
	EXPECT_EQ(parse_scenario(again, "again.lu").about, s.about);
	EXPECT_EQ(lu::verify::format_scenario(parse_scenario(again, "again.lu")), again);
}

// A control character anywhere (here a second CR, which the CRLF rule does
// not strip) is refused with its line and column (found by
// verify/fuzz/scenario_fuzz.cc: it did not survive a round trip).
TEST(Scenario, RefusesControlCharacters)
{
	const std::string before = "scenario all+rid+preserve\nabout:\n  One.";
	const std::string after = "\nconfig:\n  device 0 group=0 max_pasids=0\n  hwpt 0 paging\ntrace:\n"
				 "  mark_preserve hwpt=0 token=1\nexpect *: rets 0\n";
	EXPECT_NO_THROW(parse_scenario(before + "\r" + after, "crlf.lu"));
	for (const std::string &bad : std::vector<std::string>{"\r\r", std::string("\0", 1), "\x1b", "\x7f"}) {
		try {
			parse_scenario(before + bad + after, "ctl.lu");
			ADD_FAILURE() << "accepted a control character";
		} catch (const lu::verify::scenario_error &e) {
			EXPECT_EQ(e.where().line, 3);
			EXPECT_EQ(e.where().column, 7);
			EXPECT_NE(e.where().message.find("control character"), std::string::npos) << e.what();
		}
	}
}

TEST(Scenario, ErrnoNamesRoundTrip)
{
	for (int r : {0, -2, -14, -16, -17, -19, -22, -95, -98, -7})
		EXPECT_EQ(lu::verify::parse_errno(lu::verify::errno_name(r)), r);
	EXPECT_EQ(lu::verify::errno_name(-95), "-EOPNOTSUPP");
	EXPECT_FALSE(lu::verify::parse_errno("-ENOSUCH"));
	EXPECT_FALSE(lu::verify::parse_errno("x"));
}

TEST(ScenarioError, MissingScenarioLine)
{
	EXPECT_TRUE(fails_at("about:\n", 1, 1, "expected 'scenario NAME'"));
}

TEST(ScenarioError, NameWithoutEnoughParts)
{
	EXPECT_TRUE(fails_at("scenario v1+rid\n", 1, 10, "at least three parts"));
}

TEST(ScenarioError, NameWithBadCharacter)
{
	EXPECT_TRUE(fails_at("scenario v1+r!d+x\n", 1, 14, "character '!'"));
}

TEST(ScenarioError, NameWithEmptyPart)
{
	EXPECT_TRUE(fails_at("scenario v1++x\n", 1, 13, "empty part"));
}

TEST(ScenarioError, NameWithUnknownVariant)
{
	EXPECT_TRUE(fails_at("scenario v9+rid+x\n", 1, 10, "must start with a preset"));
}

TEST(ScenarioError, AboutMissing)
{
	EXPECT_TRUE(fails_at("scenario v1+rid+x\nconfig:\n", 2, 1, "expected 'about:' before 'config:'"));
}

TEST(ScenarioError, AboutEmpty)
{
	EXPECT_TRUE(fails_at("scenario v1+rid+x\nabout:\nconfig:\n  device 0\ntrace:\n  kexec\nexpect *: intact\n", 8, 1,
			     "'about:' section is empty"));
}

TEST(ScenarioError, TextAfterSectionHeader)
{
	EXPECT_TRUE(fails_at("scenario v1+rid+x\nabout: hi\n", 2, 8, "nothing may follow"));
}

TEST(ScenarioError, TraceBeforeConfig)
{
	EXPECT_TRUE(fails_at("scenario v1+rid+x\nabout:\n  a\ntrace:\n", 4, 1, "expected 'config:' before 'trace:'"));
}

TEST(ScenarioError, DeviceIndexOutOfOrder)
{
	EXPECT_TRUE(fails_at(head + "  device 2\n", 7, 10, "expected 1, got 2"));
}

TEST(ScenarioError, DeviceUnknownKey)
{
	EXPECT_TRUE(fails_at(head + "  device 1 grp=0\n", 7, 12, "unknown device key 'grp'"));
}

TEST(ScenarioError, DeviceKeyWithoutValue)
{
	EXPECT_TRUE(fails_at(head + "  device 1 group\n", 7, 12, "expected key=value"));
}

TEST(ScenarioError, MaxPasidsAbove20Bits)
{
	EXPECT_TRUE(fails_at(head + "  device 1 max_pasids=1048577\n", 7, 23, "out of range"));
}

TEST(ScenarioError, DeviceKeyTwice)
{
	EXPECT_TRUE(fails_at(head + "  device 1 group=1 group=2\n", 7, 20, "'group' given twice"));
}

TEST(ScenarioError, HwptKindMissing)
{
	EXPECT_TRUE(fails_at(head + "  hwpt 1\n", 7, 10, "expected 'paging' or 'nested'"));
}

TEST(ScenarioError, HwptKindUnknown)
{
	EXPECT_TRUE(fails_at(head + "  hwpt 1 flat\n", 7, 10, "not 'flat'"));
}

TEST(ScenarioError, NestedWithoutParent)
{
	EXPECT_TRUE(fails_at(head + "  hwpt 1 nested\n", 7, 10, "needs parent=N"));
}

TEST(ScenarioError, NestedParentNotPaging)
{
	EXPECT_TRUE(fails_at(head + "  hwpt 1 nested parent=0\n  hwpt 2 nested parent=1\n", 8, 24,
			     "not an earlier paging hwpt"));
}

TEST(ScenarioError, PagingWithParent)
{
	EXPECT_TRUE(fails_at(head + "  hwpt 1 paging parent=0\n", 7, 17, "only a nested hwpt has a parent"));
}

TEST(ScenarioError, NestedSealed)
{
	EXPECT_TRUE(fails_at(head + "  hwpt 1 nested parent=0 unsealed\n", 7, 26, "paging hwpts only"));
}

TEST(ScenarioError, HwptUnknownAttribute)
{
	EXPECT_TRUE(fails_at(head + "  hwpt 1 paging compat\n", 7, 17, "unknown hwpt attribute"));
}

TEST(ScenarioError, ConfigUnknownLine)
{
	EXPECT_TRUE(fails_at(head + "  iommu 0\n", 7, 3, "expected 'device' or 'hwpt'"));
}

TEST(ScenarioError, UnknownOperation)
{
	EXPECT_TRUE(fails_at(head + "trace:\n  attach_all dev=0\n", 8, 3, "unknown operation 'attach_all'"));
}

TEST(ScenarioError, OperationMissingArgument)
{
	EXPECT_TRUE(fails_at(head + "trace:\n  attach dev=0 hwpt=0\n", 8, 3, "attach needs 'pasid='"));
}

TEST(ScenarioError, OperationUnknownArgument)
{
	EXPECT_TRUE(fails_at(head + "trace:\n  detach dev=0 pasid=0 hwpt=0\n", 8, 24, "detach takes no 'hwpt'"));
}

TEST(ScenarioError, OperationArgumentTwice)
{
	EXPECT_TRUE(fails_at(head + "trace:\n  dma dev=0 dev=0 pasid=0\n", 8, 13, "'dev' given twice"));
}

TEST(ScenarioError, OperationBadNumber)
{
	EXPECT_TRUE(fails_at(head + "trace:\n  dma dev=0 pasid=five\n", 8, 19, "pasid must be a number"));
}

TEST(ScenarioError, PasidAbove32Bits)
{
	EXPECT_TRUE(fails_at(head + "trace:\n  dma dev=0 pasid=4294967296\n", 8, 19, "out of range"));
}

TEST(ScenarioError, DeviceNotInConfig)
{
	EXPECT_TRUE(fails_at(head + "trace:\n  dma dev=3 pasid=0\n", 8, 11, "no device 3"));
}

TEST(ScenarioError, HwptNotInConfig)
{
	EXPECT_TRUE(fails_at(head + "trace:\n  mark_preserve hwpt=4 token=1\n", 8, 22, "no hwpt 4"));
}

TEST(ScenarioError, EmptyTrace)
{
	EXPECT_TRUE(fails_at(head + "trace:\nexpect *: intact\n", 8, 1, "must follow a non-empty 'trace:'"));
}

TEST(ScenarioError, MissingExpect)
{
	EXPECT_TRUE(fails_at(head + trace1, 9, 1, "missing 'expect' line"));
}

TEST(ScenarioError, ExpectWithoutColon)
{
	EXPECT_TRUE(fails_at(head + trace1 + "expect v1 rets 0\n", 9, 17, "expected ':'"));
}

TEST(ScenarioError, ExpectUnknownVariant)
{
	EXPECT_TRUE(fails_at(head + trace1 + "expect v1,v3: rets 0\n", 9, 11, "unknown variant 'v3'"));
}

TEST(ScenarioError, ExpectVariantTwice)
{
	EXPECT_TRUE(fails_at(head + trace1 + "expect v1: rets 0\nexpect v2, v1: rets 0\n", 10, 12,
			     "already expected on line 9"));
}

TEST(ScenarioError, ExpectRetsWrongCount)
{
	EXPECT_TRUE(fails_at(head + trace1 + "expect *: rets 0 0\n", 9, 11, "2 values for 1 steps"));
}

TEST(ScenarioError, ExpectBadReturnValue)
{
	EXPECT_TRUE(fails_at(head + trace1 + "expect *: rets -ENOSUCH\n", 9, 16, "expected a return value"));
}

TEST(ScenarioError, ExpectUnknownClause)
{
	EXPECT_TRUE(fails_at(head + trace1 + "expect *: rets 0 | safe\n", 9, 20, "unknown clause 'safe'"));
}

TEST(ScenarioError, ExpectClauseTwice)
{
	EXPECT_TRUE(fails_at(head + trace1 + "expect *: intact | loses-pasid\n", 9, 20, "given twice"));
}

TEST(ScenarioError, ExpectEmptyClause)
{
	EXPECT_TRUE(fails_at(head + trace1 + "expect *: rets 0 | \n", 9, 19, "empty clause"));
}

TEST(ScenarioError, ExpectBadTuple)
{
	EXPECT_TRUE(fails_at(head + trace1 + "expect *: lost (0,x)\n", 9, 19, "tuple element must be a number"));
}

TEST(ScenarioError, ExpectTupleWrongArity)
{
	EXPECT_TRUE(fails_at(head + trace1 + "expect *: restored (0,5)\n", 9, 20, "got 2 elements"));
}

TEST(ScenarioError, ExpectStarMatchesNothing)
{
	EXPECT_TRUE(fails_at(head + trace1 +
				     "expect v1,v2,post-v2,doc-only,reject,ack-flag,full: intact\nexpect *: intact\n",
			     10, 1, "'*' matches no preset"));
}

TEST(ScenarioError, LineAfterExpect)
{
	EXPECT_TRUE(fails_at(head + trace1 + "expect *: intact\n  kexec\n", 10, 3, "expected another 'expect' line"));
}

// A file with @p devices devices, @p hwpts hwpts and @p steps steps: config
// lines start on line 5, trace lines after the config and 'trace:'.
std::string sized(std::size_t devices, std::size_t hwpts, std::size_t steps)
{
	std::string t = "scenario all+rid+limits\nabout:\n  text\nconfig:\n";
	for (std::size_t i = 0; i < devices; i++)
		t += "  device " + std::to_string(i) + "\n";
	for (std::size_t i = 0; i < hwpts; i++)
		t += "  hwpt " + std::to_string(i) + " paging\n";
	t += "trace:\n";
	for (std::size_t i = 0; i < steps; i++)
		t += "  dma dev=0 pasid=0\n";
	return t + "expect *: intact\n";
}

TEST(ScenarioLimits, AtTheLimitsParses)
{
	using namespace lu::verify;
	auto s = parse_scenario(sized(SCENARIO_MAX_DEVICES, SCENARIO_MAX_HWPTS, SCENARIO_MAX_STEPS), "t.lu");
	EXPECT_EQ(s.config.devices.size(), SCENARIO_MAX_DEVICES);
	EXPECT_EQ(s.config.hwpts.size(), SCENARIO_MAX_HWPTS);
	EXPECT_EQ(s.trace.size(), SCENARIO_MAX_STEPS);
}

TEST(ScenarioLimits, OneDeviceTooMany)
{
	using namespace lu::verify;
	const int ln = 5 + static_cast<int>(SCENARIO_MAX_DEVICES);
	EXPECT_TRUE(fails_at(sized(SCENARIO_MAX_DEVICES + 1, 1, 1), ln, 3,
			     "more than " + std::to_string(SCENARIO_MAX_DEVICES) + " devices"));
	// Thousands fail at the first one past the limit, not after reading them all.
	EXPECT_TRUE(fails_at(sized(5000, 1, 1), ln, 3, "devices"));
}

TEST(ScenarioLimits, OneHwptTooMany)
{
	using namespace lu::verify;
	const int ln = 6 + static_cast<int>(SCENARIO_MAX_HWPTS);
	EXPECT_TRUE(fails_at(sized(1, SCENARIO_MAX_HWPTS + 1, 1), ln, 3,
			     "more than " + std::to_string(SCENARIO_MAX_HWPTS) + " hwpts"));
}

TEST(ScenarioLimits, OneStepTooMany)
{
	using namespace lu::verify;
	const int ln = 8 + static_cast<int>(SCENARIO_MAX_STEPS);
	EXPECT_TRUE(fails_at(sized(1, 1, SCENARIO_MAX_STEPS + 1), ln, 3,
			     "more than " + std::to_string(SCENARIO_MAX_STEPS) + " steps"));
}

TEST(ScenarioLimits, EndlessFileStopsAtTheByteLimit)
{
	try {
		lu::verify::load_scenario("/dev/zero");
		FAIL() << "loaded /dev/zero";
	} catch (const scenario_error &e) {
		EXPECT_EQ(e.where().file, "/dev/zero");
		EXPECT_NE(e.where().message.find(std::to_string(lu::verify::SCENARIO_MAX_BYTES)), std::string::npos)
			<< e.what();
	}
}

TEST(ScenarioError, UnreadableFile)
{
	try {
		lu::verify::load_scenario("/nonexistent/x.lu");
		FAIL() << "loaded a missing file";
	} catch (const scenario_error &e) {
		EXPECT_EQ(e.where().file, "/nonexistent/x.lu");
	}
}

} // namespace
