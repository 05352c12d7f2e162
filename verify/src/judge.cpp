// SPDX-License-Identifier: GPL-2.0
// The scenario judge: pass, fail, model-impl disagreement, unknown.
#include "lu/verify/judge.h"

#include <fmt/format.h>

namespace lu::verify {

std::string_view name(verdict v)
{
	switch (v) {
	case verdict::pass: return "pass";
	case verdict::fail: return "fail";
	case verdict::disagree: return "disagree";
	case verdict::unknown: return "unknown";
	}
	return "?";
}

namespace {

std::string pairs(const std::vector<lost_pair> &v)
{
	if (v.empty())
		return "none";
	std::string out;
	for (const auto &p : v)
		out += fmt::format("{}({},{})", out.empty() ? "" : " ", p.dev, p.pasid);
	return out;
}

// Worse verdicts win: disagreement > fail > unknown > pass.
int rank(verdict v)
{
	switch (v) {
	case verdict::pass: return 0;
	case verdict::unknown: return 1;
	case verdict::fail: return 2;
	case verdict::disagree: return 3;
	}
	return 3;
}

} // namespace

std::string describe_difference(const std::vector<lu::step> &trace, const lu::outcome &a, std::string_view a_name,
				const lu::outcome &b, std::string_view b_name)
{
	std::size_t n = std::min(a.rets.size(), b.rets.size());
	for (std::size_t i = 0; i < n; i++)
		if (a.rets[i] != b.rets[i])
			return fmt::format("step {} {}: {} {}, {} {}", i + 1,
					   i < trace.size() ? format_step(trace[i]) : "?", a_name,
					   errno_name(a.rets[i]), b_name, errno_name(b.rets[i]));
	if (a.rets.size() != b.rets.size())
		return fmt::format("{} returned {} values, {} {}", a_name, a.rets.size(), b_name, b.rets.size());
	if (a.at_kexec != b.at_kexec)
		return fmt::format("at kexec: {} {}, {} {}", a_name, format_attachments(a.at_kexec), b_name,
				   format_attachments(b.at_kexec));
	if (a.restored != b.restored)
		return fmt::format("restored: {} {}, {} {}", a_name, format_attachments(a.restored), b_name,
				   format_attachments(b.restored));
	return {};
}

std::string check_expectation(const scenario &s, const expectation &e, const lu::outcome &out)
{
	if (e.rets) {
		for (std::size_t i = 0; i < e.rets->size(); i++) {
			const auto &want = (*e.rets)[i];
			if (!want)
				continue;
			int got = i < out.rets.size() ? out.rets[i] : 1;
			if (*want == RET_ANY_ERROR ? got >= 0 : got != *want)
				// ERR asserts no errno: say so, not the sentinel's value.
				return fmt::format("step {} (line {}) {}: expected {}, got {}", i + 1, s.trace_lines[i],
						   format_step(s.trace[i]),
						   *want == RET_ANY_ERROR ? "an error (ERR)" : errno_name(*want),
						   errno_name(got));
		}
	}
	auto lost = lost_pairs(s.config, s.trace, out);
	if (e.summary && summarize(lost) != *e.summary)
		return fmt::format("expected {}, got {} (lost {})", name(*e.summary), name(summarize(lost)), pairs(lost));
	if (e.lost && lost != *e.lost)
		return fmt::format("expected lost {}, got lost {}", pairs(*e.lost), pairs(lost));
	if (e.at_kexec && out.at_kexec != *e.at_kexec)
		return fmt::format("expected at-kexec {}, got {}", format_attachments(*e.at_kexec), format_attachments(out.at_kexec));
	if (e.restored && out.restored != *e.restored)
		return fmt::format("expected restored {}, got {}", format_attachments(*e.restored), format_attachments(out.restored));
	return {};
}

scenario_judgement judge(const scenario &s, const backend &impl, const backend &model)
{
	scenario_judgement j;
	for (const auto &e : s.expects) {
		variant_judgement vj{e.label, e.line, verdict::pass, {}};
		auto ri = impl.run(s.config, e.variant, s.trace);
		auto rm = model.run(s.config, e.variant, s.trace);
		if (!ri.out || !rm.out) {
			vj.result = verdict::unknown;
			vj.detail = !ri.out ? fmt::format("impl: {}", ri.error) : fmt::format("model: {}", rm.error);
		} else if (*ri.out != *rm.out) {
			vj.result = verdict::disagree;
			vj.detail = describe_difference(s.trace, *ri.out, "impl", *rm.out, "model");
		} else if (auto why = check_expectation(s, e, *ri.out); !why.empty()) {
			vj.result = verdict::fail;
			vj.detail = why + " (impl and model agree)";
		}
		if (rank(vj.result) > rank(j.overall))
			j.overall = vj.result;
		j.variants.push_back(std::move(vj));
	}
	return j;
}

} // namespace lu::verify
