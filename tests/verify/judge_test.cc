// SPDX-License-Identifier: GPL-2.0
// The judge tells pass, fail, disagreement and unknown apart, and computes
// loss as docs/semantics.md defines it.
#include <gtest/gtest.h>

#include "lu/verify/judge.h"

namespace {

using namespace lu::verify;

// A backend that returns a canned outcome (or an error) whatever it is asked.
class canned final : public backend {
public:
	canned(std::string_view n, std::optional<lu::outcome> o) : name_(n), out_(std::move(o)) {}
	std::string_view name() const override { return name_; }
	run_result run(const lu::config &, const lu::variant &, const std::vector<lu::step> &) const override
	{
		if (!out_)
			return {std::nullopt, "no backend"};
		return {out_, {}};
	}

private:
	std::string_view name_;
	std::optional<lu::outcome> out_;
};

const char *seed = R"(scenario v1+rid+pasid+seed
about:
  test
config:
  device 0 max_pasids=16
  hwpt 0 paging pasid_compat
trace:
  mark_preserve hwpt=0 token=1
  attach dev=0 pasid=0 hwpt=0
  attach dev=0 pasid=5 hwpt=0
  preserve_iommufd token=10
  preserve_device dev=0 token=11
  kexec
expect v1: rets 0 0 0 0 0 0 | loses-pasid | lost (0,5) | restored (0,0,0)
)";

lu::outcome v1_outcome()
{
	return {{0, 0, 0, 0, 0, 0}, {{0, 0, 0}, {0, 5, 0}}, {{0, 0, 0}}};
}

TEST(Judge, AgreeingAndExpectedIsPass)
{
	auto s = parse_scenario(seed, "s.lu");
	canned a("impl", v1_outcome()), b("model", v1_outcome());
	auto j = judge(s, a, b);
	EXPECT_EQ(j.overall, verdict::pass);
	ASSERT_EQ(j.variants.size(), 1u);
	EXPECT_EQ(j.variants[0].label, "v1");
	EXPECT_TRUE(j.variants[0].detail.empty());
}

TEST(Judge, AgreeingButUnexpectedIsFail)
{
	auto s = parse_scenario(seed, "s.lu");
	auto o = v1_outcome();
	o.rets[4] = -95;
	o.restored.clear();
	canned a("impl", o), b("model", o);
	auto j = judge(s, a, b);
	EXPECT_EQ(j.overall, verdict::fail);
	EXPECT_NE(j.variants[0].detail.find("step 5 (line 12) preserve_device dev=0 token=11: expected 0, got -EOPNOTSUPP"),
		  std::string::npos)
		<< j.variants[0].detail;
}

// `ERR` asserts that a step fails without naming the errno: a step that
// returns 0 instead is reported as "expected an error (ERR)", never as the
// parser's sentinel RET_ANY_ERROR (-1000).
TEST(Judge, UnmetErrExpectationSaysAnError)
{
	std::string text = seed;
	const std::string line = "rets 0 0 0 0 0 0 | loses-pasid | lost (0,5) | restored (0,0,0)";
	text.replace(text.find(line), line.size(), "rets 0 0 0 0 ERR 0");
	auto s = parse_scenario(text, "s.lu");
	canned a("impl", v1_outcome()), b("model", v1_outcome());
	auto j = judge(s, a, b);
	EXPECT_EQ(j.overall, verdict::fail);
	ASSERT_EQ(j.variants.size(), 1u);
	EXPECT_EQ(j.variants[0].detail,
		  "step 5 (line 12) preserve_device dev=0 token=11: expected an error (ERR), got 0 "
		  "(impl and model agree)");
	EXPECT_EQ(j.variants[0].detail.find("1000"), std::string::npos) << j.variants[0].detail;
	// A step that does fail meets it, whatever its errno.
	auto o = v1_outcome();
	o.rets[4] = -95;
	canned c("impl", o), d("model", o);
	auto k = judge(s, c, d);
	EXPECT_EQ(k.overall, verdict::pass) << k.variants[0].detail;
}

TEST(Judge, DifferentSidesIsDisagreementNotFail)
{
	auto s = parse_scenario(seed, "s.lu");
	auto o = v1_outcome();
	o.rets[4] = -95;
	canned a("impl", o), b("model", v1_outcome());
	auto j = judge(s, a, b);
	EXPECT_EQ(j.overall, verdict::disagree);
	EXPECT_EQ(j.variants[0].detail, "step 5 preserve_device dev=0 token=11: impl -EOPNOTSUPP, model 0");
}

TEST(Judge, MissingSideIsUnknown)
{
	auto s = parse_scenario(seed, "s.lu");
	canned a("impl", v1_outcome()), b("model", std::nullopt);
	auto j = judge(s, a, b);
	EXPECT_EQ(j.overall, verdict::unknown);
	EXPECT_EQ(j.variants[0].detail, "model: no backend");
}

TEST(Judge, WrongLossIsFail)
{
	auto s = parse_scenario(seed, "s.lu");
	auto o = v1_outcome();
	o.restored.push_back({0, 5, 0}); // now nothing is lost
	canned a("impl", o), b("model", o);
	auto j = judge(s, a, b);
	EXPECT_EQ(j.overall, verdict::fail);
	EXPECT_NE(j.variants[0].detail.find("expected loses-pasid, got intact"), std::string::npos);
}

TEST(Judge, DifferenceInRestoredIsDescribed)
{
	std::vector<lu::step> t(1);
	lu::outcome a{{0}, {}, {{0, 0, 0}}}, b{{0}, {}, {}};
	EXPECT_EQ(describe_difference(t, a, "impl", b, "model"), "restored: impl (0,0,0), model none");
	EXPECT_EQ(describe_difference(t, a, "impl", a, "model"), "");
}

lu::config nested_cfg()
{
	lu::config c;
	c.devices = {{0, 16}, {0, 16}};
	c.hwpts = {{lu::hwpt_kind::paging, 0, true, true}, {lu::hwpt_kind::nested, 0, true, true},
		   {lu::hwpt_kind::paging, 0, true, true}};
	return c;
}

TEST(Loss, NestedRestoredAsParentIsNotLost)
{
	using lu::op;
	std::vector<lu::step> t{{op::preserve_device, 0, 0, 0, 11, 0}, {op::kexec}};
	lu::outcome o{{0, 0}, {{0, 0, 1}}, {{0, 0, 0}}};
	EXPECT_TRUE(lost_pairs(nested_cfg(), t, o).empty());
	o.restored = {{0, 0, 2}};
	EXPECT_EQ(lost_pairs(nested_cfg(), t, o), (std::vector<lost_pair>{{0, 0}}));
	EXPECT_EQ(summarize(lost_pairs(nested_cfg(), t, o)), loss_summary::loses_rid);
}

TEST(Loss, OnlyDevicesPreservedAtKexecCount)
{
	using lu::op;
	// device 0 preserved then unpreserved, device 1 preserve failed
	std::vector<lu::step> t{{op::preserve_device, 0, 0, 0, 11, 0},
				{op::unpreserve_device, 0, 0, 0, 0, 0},
				{op::preserve_device, 1, 0, 0, 12, 0},
				{op::kexec}};
	lu::outcome o{{0, 0, -95, 0}, {{0, 0, 0}, {1, 5, 0}}, {}};
	EXPECT_TRUE(lost_pairs(nested_cfg(), t, o).empty());
	o.rets[2] = 0;
	EXPECT_EQ(lost_pairs(nested_cfg(), t, o), (std::vector<lost_pair>{{1, 5}}));
	EXPECT_EQ(summarize(lost_pairs(nested_cfg(), t, o)), loss_summary::loses_pasid);
}

TEST(Loss, NoKexecLosesNothing)
{
	using lu::op;
	std::vector<lu::step> t{{op::preserve_device, 0, 0, 0, 11, 0}};
	lu::outcome o{{0}, {{0, 0, 0}}, {}};
	EXPECT_TRUE(preserved_at_kexec(t, o.rets).empty());
	EXPECT_TRUE(lost_pairs(nested_cfg(), t, o).empty());
}

} // namespace
