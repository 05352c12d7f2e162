// SPDX-License-Identifier: GPL-2.0
// prove's witnesses as scenario files.
#include "lu/verify/emit.h"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "lu/verify/scenario.h"

namespace lu::verify {

namespace {

std::string first_part(const lu::variant &v)
{
	std::string_view n = name(v);
	return std::string(n == "custom" ? name(v.policy) : n);
}

std::string file_name(const lu::model::result &r)
{
	const auto &pi = lu::model::info(r.property);
	std::string kind = r.verdict == lu::model::verdict::counterexample ? "cex" : "witness";
	return fmt::format("{}+{}+{}", first_part(r.variant), pi.name, kind);
}

} // namespace

std::string witness_scenario(const lu::model::result &r)
{
	if (!r.witness)
		return {};
	const auto &w = *r.witness;
	const auto &pi = lu::model::info(r.property);
	scenario s;
	s.name = file_name(r);
	bool cex = r.verdict == lu::model::verdict::counterexample;
	s.about = fmt::format("Written by iommufd-lu prove --emit-scenarios: {} of {} under {} "
			      "(bounds: {} devices, {} hwpts, depth {}).\n{}{}",
			      cex ? "a counterexample" : "a witness", pi.name, variant_label(r.variant),
			      r.bounds.devices, r.bounds.hwpts, r.bounds.depth, cex ? "It shows: " : "",
			      cex ? std::string(pi.message) : std::string("The property's capability is reachable."));
	if (w.focus)
		s.about += fmt::format("\nThe (dev, pasid) in question: ({},{}).", w.focus->dev, w.focus->pasid);
	s.config = w.config;
	for (const auto &ws : w.trace)
		s.trace.push_back(lu::clean_step(ws.step));
	bool kexec = std::ranges::any_of(s.trace, [](const lu::step &x) { return x.op == lu::op::kexec; });
	expectation e;
	e.label = variant_label(r.variant);
	e.variant = r.variant;
	std::vector<std::optional<int>> rets;
	for (const auto &ws : w.trace)
		rets.push_back(ws.ret);
	e.rets = rets;
	if (kexec) {
		std::vector<lost_pair> lost;
		for (const auto &l : w.lost)
			lost.push_back({l.dev, l.pasid});
		std::ranges::sort(lost);
		e.lost = lost;
		e.restored = w.restored;
	}
	s.expects.push_back(e);
	if (!w.other_variant.empty() && !w.trace.empty() && w.trace.front().ret_other) {
		if (auto other = parse_variant_label(w.other_variant); other && !(*other == r.variant)) {
			expectation o;
			o.label = variant_label(*other);
			o.variant = *other;
			std::vector<std::optional<int>> ro;
			for (const auto &ws : w.trace)
				ro.push_back(ws.ret_other);
			o.rets = ro;
			if (kexec)
				o.restored = w.restored_other;
			s.expects.push_back(o);
		}
	}
	return format_scenario(s);
}

std::size_t emit_scenarios(const std::string &dir, const std::vector<lu::model::result> &results)
{
	std::filesystem::create_directories(dir);
	std::size_t n = 0;
	for (const auto &r : results) {
		auto text = witness_scenario(r);
		if (text.empty())
			continue;
		std::ofstream(std::filesystem::path(dir) / (file_name(r) + ".lu")) << text;
		n++;
	}
	return n;
}

} // namespace lu::verify
