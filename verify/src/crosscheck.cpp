// SPDX-License-Identifier: GPL-2.0
// Cross-checks: fixed cases (guided, replay), trace conformance, the report.
//
// Conventions in this file: @cfg a configuration, @v a variant, @t a trace,
// @o the options, @r the check_report being filled.
#include "lu/verify/crosscheck.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <set>
#include <string_view>

#include <fmt/format.h>

#include "lu/model/enumerate.h"
#include "lu/model/prove.h"
#include "lu/verify/judge.h"
#include "lu/verify/monitors.h"
#include "lu/verify/scenario.h"

namespace lu::verify {

namespace {

constexpr std::size_t max_samples = 12;

std::vector<lu::variant> variants_of(const crosscheck_options &o)
{
	if (!o.variants.empty())
		return o.variants;
	std::vector<lu::variant> v;
	for (const auto &p : presets)
		v.push_back(p.variant);
	return v;
}

// A name part from a variant: the preset name, else the policy.
std::string name_part(const lu::variant &v)
{
	std::string_view n = name(v);
	return std::string(n == "custom" ? name(v.policy) : n);
}

// The shape of a disagreement: the text after the case label, digits dropped,
// so that one sample per kind of divergence is kept.
std::string shape(const std::string &what)
{
	std::string s;
	for (char c : what.substr(what.find(": ") == std::string::npos ? 0 : what.find(": ")))
		if (c < '0' || c > '9')
			s += c;
	return s;
}

void note_disagreement(check_report &r, const crosscheck_options &o, std::string what,
		       const std::function<std::string()> &scenario_text)
{
	r.disagreements++;
	r.failed.push_back(r.cases - 1);
	bool seen = std::ranges::any_of(r.samples, [&](const std::string &x) { return shape(x) == shape(what); });
	if (!seen && r.samples.size() < max_samples)
		r.samples.push_back(std::move(what));
	if (!o.emit_dir.empty() && r.disagreements == 1) {
		std::error_code ec;
		std::filesystem::create_directories(o.emit_dir, ec);
		const auto path = std::filesystem::path(o.emit_dir) / fmt::format("divergence-{}.lu", r.name);
		std::ofstream f(path);
		f << scenario_text();
		if (f.flush())
			r.scenario = path.string();
		else
			r.note += fmt::format("cannot write {}; ", path.string());
	}
}

state_view to_view(const lu::model::state_snapshot &m)
{
	state_view v;
	v.attachments = m.attachments;
	std::ranges::sort(v.attachments);
	v.marked = m.marked;
	v.mark_token = m.mark_token;
	v.domain_preserved = m.domain_preserved;
	v.nr_preserved = m.nr_preserved;
	v.iommufd_preserved = m.iommufd_preserved;
	v.iommufd_token = m.iommufd_token;
	for (const auto &d : m.devices) {
		state_view::device x;
		x.preserved = d.preserved;
		x.token = d.token;
		x.flags = d.flags;
		x.has_record = d.has_record;
		x.record = d.record;
		std::ranges::sort(x.record);
		v.devices.push_back(std::move(x));
	}
	v.kexeced = m.kexeced;
	return v;
}

// The impl's state restricted to what the model can show: attachments at the
// PASIDs the trace names (the model's tables are read only there).
state_view restrict(state_view v, const std::vector<lu::step> &t)
{
	std::set<std::uint32_t> pasids{0};
	for (const auto &s : t) {
		pasids.insert(s.pasid);
		pasids.insert(s.pasid & (lu::PASID_LIMIT - 1)); // the model's table index
	}
	std::erase_if(v.attachments, [&](const attachment &a) { return !pasids.contains(a.pasid); });
	for (auto &d : v.devices)
		std::erase_if(d.record, [&](const attachment &a) { return !pasids.contains(a.pasid); });
	return v;
}

std::string outcome_rets(const std::vector<int> &rets)
{
	std::string s;
	for (int r : rets)
		s += fmt::format("{}{}", s.empty() ? "" : " ", errno_name(r));
	return s;
}

} // namespace

std::string divergence_scenario(const std::string &name, const lu::config &cfg, const lu::variant &v,
				const std::vector<lu::step> &trace, const lu::outcome *model, const lu::outcome *impl,
				const std::string &why)
{
	scenario s;
	s.name = name;
	s.about = fmt::format("Written by iommufd-lu crosscheck: impl and model differ on this trace under {}.\n{}\n"
			      "The expect line is the model's outcome; impl returned: {}.",
			      variant_label(v), why, impl ? outcome_rets(impl->rets) : std::string("(no run)"));
	s.config = cfg;
	for (const auto &st : trace)
		s.trace.push_back(lu::clean_step(st));
	expectation e;
	e.label = variant_label(v);
	e.variant = v;
	if (model) {
		std::vector<std::optional<int>> rets(model->rets.begin(), model->rets.end());
		e.rets = rets;
		e.at_kexec = model->at_kexec;
		e.restored = model->restored;
		e.lost = lost_pairs(cfg, s.trace, *model);
	} else {
		e.rets = std::vector<std::optional<int>>(trace.size(), std::nullopt);
	}
	s.expects.push_back(e);
	return format_scenario(s);
}

// ---- report -------------------------------------------------------------

std::size_t crosscheck_report::cases() const
{
	std::size_t n = 0;
	for (const auto &c : checks)
		n += c.cases;
	return n;
}

std::size_t crosscheck_report::disagreements() const
{
	std::size_t n = 0;
	for (const auto &c : checks)
		n += c.disagreements;
	return n;
}

nlohmann::json crosscheck_report::to_json() const
{
	nlohmann::json j;
	j["cases"] = cases();
	j["disagreements"] = disagreements();
	j["checks"] = nlohmann::json::object();
	for (const auto &c : checks)
		j["checks"][c.name] = {{"cases", c.cases},
				       {"disagreements", c.disagreements},
				       {"samples", c.samples},
				       {"coverage", c.coverage},
				       {"counts", c.counts},
				       {"scenario", c.scenario},
				       {"note", c.note}};
	nlohmann::json killed_by = nlohmann::json::object();
	for (const auto &[m, by] : mutants.killed_by)
		killed_by[m] = by;
	nlohmann::json components = nlohmann::json::object();
	for (const auto &[c, killed, total] : mutants.components)
		components[c] = {{"killed", killed}, {"total", total}};
	j["mutants"] = {{"total", mutants.total},
			{"components", components},
			{"killed", mutants.killed},
			{"survivors", mutants.survivors},
			{"killed_by", killed_by},
			{"ran", mutants.ran},
			{"note", mutants.note}};
	return j;
}

// ---- fixed cases --------------------------------------------------------

nlohmann::json to_json(const fixed_case &c)
{
	nlohmann::json j;
	j["check"] = c.check;
	j["label"] = c.label;
	j["variant"] = variant_label(c.variant);
	nlohmann::json devs = nlohmann::json::array(), hwpts = nlohmann::json::array();
	for (const auto &d : c.config.devices)
		devs.push_back({d.group, d.max_pasids, d.vf});
	for (const auto &h : c.config.hwpts)
		hwpts.push_back({h.kind == hwpt_kind::nested, h.parent, h.pasid_compat, h.sealed});
	j["devices"] = devs;
	j["hwpts"] = hwpts;
	nlohmann::json t = nlohmann::json::array();
	for (const auto &s : c.trace)
		t.push_back({static_cast<int>(s.op), s.dev, s.pasid, s.hwpt, s.token, s.flags});
	j["trace"] = t;
	j["rets"] = c.rets;
	auto att = [](const std::vector<attachment> &v) {
		nlohmann::json a = nlohmann::json::array();
		for (const auto &x : v)
			a.push_back({x.dev, x.pasid, x.hwpt});
		return a;
	};
	if (c.post) {
		const auto &p = *c.post;
		nlohmann::json d = nlohmann::json::array();
		for (const auto &x : p.devices)
			d.push_back({x.preserved, x.token, x.flags, x.has_record, att(x.record)});
		j["post"] = {{"attachments", att(p.attachments)}, {"marked", p.marked},
			     {"mark_token", p.mark_token},       {"domain_preserved", p.domain_preserved},
			     {"nr", p.nr_preserved},             {"ipres", p.iommufd_preserved},
			     {"itoken", p.iommufd_token},        {"devices", d},
			     {"kexeced", p.kexeced}};
	}
	if (c.lost) {
		nlohmann::json l = nlohmann::json::array();
		for (const auto &x : *c.lost)
			l.push_back({x.dev, x.pasid});
		j["lost"] = l;
	}
	if (c.restored)
		j["restored"] = att(*c.restored);
	if (!c.property.empty())
		j["property"] = {c.property, c.verdict, c.other_variant};
	return j;
}

fixed_case fixed_case_from_json(const nlohmann::json &j)
{
	fixed_case c;
	c.check = j.at("check");
	c.label = j.at("label");
	c.variant = *parse_variant_label(j.at("variant").get<std::string>());
	for (const auto &d : j.at("devices"))
		c.config.devices.push_back({d[0], d[1], d.size() > 2 && d[2].get<bool>()});
	for (const auto &h : j.at("hwpts"))
		c.config.hwpts.push_back({h[0].get<bool>() ? hwpt_kind::nested : hwpt_kind::paging, h[1], h[2], h[3]});
	for (const auto &s : j.at("trace"))
		c.trace.push_back({static_cast<lu::op>(s[0].get<int>()), s[1], s[2], s[3], s[4], s[5]});
	c.rets = j.at("rets").get<std::vector<int>>();
	auto att = [](const nlohmann::json &a) {
		std::vector<attachment> v;
		for (const auto &x : a)
			v.push_back({x[0], x[1], x[2]});
		return v;
	};
	if (j.contains("post")) {
		const auto &p = j["post"];
		state_view v;
		v.attachments = att(p["attachments"]);
		v.marked = p["marked"].get<std::vector<std::uint8_t>>();
		v.mark_token = p["mark_token"].get<std::vector<std::uint64_t>>();
		v.domain_preserved = p["domain_preserved"].get<std::vector<std::uint8_t>>();
		v.nr_preserved = p["nr"].get<std::vector<std::pair<std::uint32_t, int>>>();
		v.iommufd_preserved = p["ipres"];
		v.iommufd_token = p["itoken"];
		for (const auto &d : p["devices"])
			v.devices.push_back({d[0], d[1], d[2], d[3], att(d[4])});
		v.kexeced = p["kexeced"];
		c.post = v;
	}
	if (j.contains("lost")) {
		std::vector<lost_pair> l;
		for (const auto &x : j["lost"])
			l.push_back({x[0], x[1]});
		c.lost = l;
	}
	if (j.contains("restored"))
		c.restored = att(j["restored"]);
	if (j.contains("property")) {
		c.property = j["property"][0];
		c.verdict = j["property"][1];
		c.other_variant = j["property"][2];
	}
	return c;
}

std::vector<fixed_case> generate_guided(const crosscheck_options &o, std::string *note,
					std::map<std::string, std::uint64_t> *counts)
{
	std::map<std::string, std::uint64_t> mine;
	if (!counts)
		counts = &mine;
	std::vector<fixed_case> out;
	lu::model::enumerate_options eo;
	eo.depth = o.guided_depth;
	eo.max_cases = o.guided_max;
	for (const auto &v : variants_of(o)) {
		for (lu::op op : lu::all_ops) {
			if (o.progress)
				o.progress(fmt::format("guided: {} {}", variant_label(v), name(op)));
			auto r = lu::model::enumerate(v, op, eo);
			(*counts)["enumerations"]++;
			const bool capped = r.error.empty() && !r.complete;
			(*counts)["complete"] += r.complete;
			(*counts)["capped"] += capped;
			if (!r.error.empty() || !r.complete)
				*note += fmt::format("{} {}: {}{}; ", variant_label(v), name(op),
						     capped ? fmt::format("cap of {} cases hit", o.guided_max) : "incomplete",
						     r.error.empty() ? "" : ": " + r.error);
			for (auto &gc : r.cases) {
				fixed_case c;
				c.check = "guided";
				c.label = fmt::format("{} {} {}", variant_label(v), name(op), gc.projection);
				c.config = gc.config;
				c.variant = v;
				for (const auto &s : gc.trace)
					c.trace.push_back(lu::clean_step(s));
				c.rets = gc.rets;
				c.post = to_view(gc.post);
				out.push_back(std::move(c));
			}
		}
	}
	return out;
}

std::vector<fixed_case> generate_replay(const crosscheck_options &o, std::string *note, verdict_table *verdicts)
{
	std::vector<fixed_case> out;
	lu::model::prove_options po;
	po.bounds.depth = o.prove_depth;
	for (const auto &v : variants_of(o)) {
		for (const auto &pi : lu::model::properties) {
			if (o.progress)
				o.progress(fmt::format("replay: prove {} {}", variant_label(v), pi.name));
			auto r = lu::model::prove(v, pi.id, po);
			if (verdicts)
				(*verdicts)[{variant_label(v), std::string(pi.name)}] = {
					r.verdict, r.every_depth, r.bounds.depth, r.bounds.devices, r.bounds.hwpts};
			if (r.verdict == lu::model::verdict::unknown || r.verdict == lu::model::verdict::error)
				*note += fmt::format("{} {}: {}; ", variant_label(v), pi.name, name(r.verdict));
			if (!r.witness)
				continue;
			const auto &w = *r.witness;
			fixed_case c;
			c.check = "replay";
			c.label = fmt::format("{} {} {}", variant_label(v), pi.name, name(r.verdict));
			c.config = w.config;
			c.variant = v;
			for (const auto &ws : w.trace) {
				c.trace.push_back(lu::clean_step(ws.step));
				c.rets.push_back(ws.ret);
			}
			std::vector<lost_pair> lost;
			for (const auto &l : w.lost)
				lost.push_back({l.dev, l.pasid});
			std::ranges::sort(lost);
			c.lost = lost;
			c.restored = w.restored;
			c.property = pi.name;
			c.verdict = name(r.verdict);
			c.other_variant = w.other_variant;
			out.push_back(c);
			// observable-contract: the same request under the other variant
			if (!w.other_variant.empty() && !w.trace.empty() && w.trace.front().ret_other) {
				auto other = parse_variant_label(w.other_variant);
				if (!other)
					continue;
				fixed_case d = c;
				d.property.clear(); // the monitor judges the pair from c
				d.label += " (other: " + w.other_variant + ")";
				d.variant = *other;
				d.rets.clear();
				for (const auto &ws : w.trace)
					d.rets.push_back(ws.ret_other.value_or(0));
				d.lost.reset();
				d.restored = w.restored_other;
				out.push_back(std::move(d));
			}
		}
	}
	return out;
}

check_report run_fixed(const std::string &check, const std::vector<fixed_case> &cases, const backend &impl,
		       const crosscheck_options &o)
{
	check_report r;
	r.name = check;
	for (const auto &c : cases) {
		if (c.check != check)
			continue;
		r.cases++;
		if (o.skip.contains(r.cases - 1))
			continue;
		// per variant, operation (or property) and outcome: the label's first three words
		std::size_t sp = c.label.find(' ', c.label.find(' ', c.label.find(' ') + 1) + 1);
		std::string cls = c.label.substr(0, sp);
		r.coverage[cls]++;
		auto ri = impl.run(c.config, c.variant, c.trace);
		std::string why;
		if (!ri.out) {
			why = "impl: " + ri.error;
		} else {
			lu::outcome expected;
			expected.rets = c.rets;
			for (std::size_t i = 0; i < c.rets.size() && i < ri.out->rets.size(); i++)
				if (c.rets[i] != ri.out->rets[i]) {
					why = fmt::format("step {} {}: impl {}, model {}", i + 1, format_step(c.trace[i]),
							  errno_name(ri.out->rets[i]), errno_name(c.rets[i]));
					break;
				}
			if (why.empty() && c.lost) {
				auto lost = lost_pairs(c.config, c.trace, *ri.out);
				// the model reports loss at the PASIDs its witness reads
				std::vector<lost_pair> mine;
				for (const auto &l : lost)
					if (std::ranges::any_of(c.trace, [&](const lu::step &s) { return s.pasid == l.pasid; }) ||
					    l.pasid == 0)
						mine.push_back(l);
				if (mine != *c.lost)
					why = fmt::format("lost: impl {} pairs, model {} pairs", mine.size(), c.lost->size());
			}
			if (why.empty() && c.restored) {
				auto got = ri.out->restored;
				std::erase_if(got, [&](const attachment &a) {
					return a.pasid != 0 && std::ranges::none_of(c.trace, [&](const lu::step &s) {
						       return s.pasid == a.pasid;
					       });
				});
				if (got != *c.restored) {
					lu::outcome m{ri.out->rets, ri.out->at_kexec, *c.restored};
					lu::outcome i{ri.out->rets, ri.out->at_kexec, got};
					why = describe_difference(c.trace, i, "impl", m, "model");
				}
			}
			if (why.empty() && c.post) {
				auto st = impl.state_after(c.config, c.variant, c.trace);
				if (st) {
					auto mine = restrict(*st, c.trace);
					if (!(mine == *c.post))
						why = "post-state: " + describe_state_difference(mine, "impl", *c.post, "model");
				}
			}
		}
		if (!why.empty()) {
			note_disagreement(r, o, fmt::format("{}: {}", c.label, why), [&] {
				lu::outcome m{c.rets, {}, c.restored.value_or(std::vector<attachment>{})};
				return divergence_scenario(fmt::format("{}+{}+divergence", name_part(c.variant), check),
							   c.config, c.variant, c.trace, &m, ri.out ? &*ri.out : nullptr,
							   c.label + ": " + why);
			});
			if (o.stop_at_first)
				break;
		}
	}
	return r;
}

// ---- trace conformance --------------------------------------------------

namespace {

using lu::op;

lu::step mk(op o, std::uint32_t dev = 0, std::uint32_t pasid = 0, std::uint32_t hwpt = 0, std::uint64_t token = 0,
	    std::uint32_t flags = 0)
{
	return {o, dev, pasid, hwpt, token, flags};
}

// Two small configurations: separate groups with a nested hwpt, and a shared
// group with an unsealed hwpt and a VF (PCI refuses it: vfio's error path).
// Indices line up so one alphabet serves both.
std::vector<lu::config> conformance_configs()
{
	lu::config a;
	a.devices = {{0, 16}, {1, 0}};
	a.hwpts = {{hwpt_kind::paging, 0, true, true}, {hwpt_kind::paging, 0, false, true},
		   {hwpt_kind::nested, 0, true, true}};
	lu::config b;
	b.devices = {{0, 16}, {0, 16, true}};
	b.hwpts = {{hwpt_kind::paging, 0, true, true}, {hwpt_kind::paging, 0, true, false},
		   {hwpt_kind::nested, 0, false, true}};
	return {a, b};
}

std::vector<lu::step> alphabet()
{
	return {
		mk(op::mark_preserve, 0, 0, 0, 1),
		mk(op::mark_preserve, 0, 0, 1, 2),
		mk(op::mark_preserve, 0, 0, 2, 1),
		mk(op::attach, 0, 0, 0),
		mk(op::attach, 0, 15, 0),
		mk(op::attach, 0, 16, 0),
		mk(op::attach, 1, 0, 1),
		mk(op::attach, 0, 0, 2),
		mk(op::attach, 1, 5, 0),
		mk(op::replace, 0, 0, 1),
		mk(op::replace, 0, 15, 2),
		mk(op::detach, 0, 0),
		mk(op::detach, 0, 15),
		mk(op::preserve_iommufd, 0, 0, 0, 10),
		mk(op::preserve_iommufd, 0, 0, 0, 11),
		mk(op::preserve_device, 0, 0, 0, 11),
		mk(op::preserve_device, 0, 0, 0, 12, IOMMU_LU_FLAG_IGNORE_PASID),
		mk(op::preserve_device, 0, 0, 0, 13, 2),
		mk(op::preserve_device, 1, 0, 0, 12),
		mk(op::unpreserve_device, 0),
		mk(op::unpreserve_iommufd),
		mk(op::kexec),
		mk(op::dma, 0, 15),
	};
}

std::vector<std::vector<lu::step>> prefixes()
{
	std::vector<lu::step> p1{mk(op::mark_preserve, 0, 0, 0, 1), mk(op::attach, 0, 0, 0)};
	std::vector<lu::step> p2 = p1;
	p2.push_back(mk(op::attach, 0, 15, 0));
	p2.push_back(mk(op::preserve_iommufd, 0, 0, 0, 10));
	std::vector<lu::step> p3 = p2;
	p3.push_back(mk(op::preserve_device, 0, 0, 0, 11));
	// the RID on the nested hwpt, preserved: restore must link it to its parent
	std::vector<lu::step> p4{mk(op::mark_preserve, 0, 0, 0, 1), mk(op::attach, 0, 0, 2),
				 mk(op::preserve_iommufd, 0, 0, 0, 10), mk(op::preserve_device, 0, 0, 0, 11)};
	// preserved, then unpreserved: the freeze must have lifted (an attach,
	// replace or detach after it is not -EBUSY), the iommufd is still
	// preserved, and the device may be preserved again
	std::vector<lu::step> p5 = p3;
	p5.push_back(mk(op::unpreserve_device, 0));
	// undone before any device is preserved: the PASID detached (the group
	// has no PASID left for a policy to see), the iommufd unpreserved (its
	// domains are no longer preserved)
	std::vector<lu::step> p6 = p2;
	p6.push_back(mk(op::detach, 0, 15));
	std::vector<lu::step> p7 = p2;
	p7.push_back(mk(op::unpreserve_iommufd));
	// preserved before its RID is attached (vfio's rid-only gate skips
	// iommufd: no record), then attached and unpreserved: v2 lowers the
	// counter anyway (below zero: the group stays frozen), post-v2 does not
	std::vector<lu::step> p8{mk(op::mark_preserve, 0, 0, 0, 1), mk(op::preserve_iommufd, 0, 0, 0, 10),
				 mk(op::preserve_device, 0, 0, 0, 11), mk(op::attach, 0, 0, 0), mk(op::unpreserve_device, 0)};
	// config 1: dev 0 preserved, then its group-mate, a VF that vfio's gate
	// skips, refused by PCI: v2's unguarded unwind lowers dev 0's counter
	// (the freeze lifts), post-v2's device flag makes it a no-op
	std::vector<lu::step> p9 = p3;
	p9.push_back(mk(op::preserve_device, 1, 0, 0, 12));
	return {{}, p1, p2, p3, p4, p5, p6, p7, p8, p9};
}

// What every trace ends with: kexec, dma on every interesting pair, then
// the new kernel as the selftests ask it: open, retrieve device 0 (token
// 11), bind it to a new iommufd, finish.
std::vector<lu::step> tail()
{
	return {mk(op::kexec),	   mk(op::dma, 0, 0),	 mk(op::dma, 0, 15),	     mk(op::dma, 1, 0),
		mk(op::dma, 1, 5), mk(op::open_device, 0), mk(op::retrieve, 0, 0, 0, 11), mk(op::bind_device, 0),
		mk(op::finish)};
}

// Fixed trace length for the model's template cache: pad with dma (a no-op).
void pad(std::vector<lu::step> &t, std::size_t len)
{
	while (t.size() < len)
		t.push_back(mk(op::dma, 0, 0));
}

struct random_gen {
	std::mt19937_64 rng;
	explicit random_gen(std::uint64_t seed) : rng(seed) {}
	std::uint64_t below(std::uint64_t n) { return std::uniform_int_distribution<std::uint64_t>(0, n - 1)(rng); }
	bool chance(unsigned pct) { return below(100) < pct; }

	lu::config config()
	{
		static constexpr std::uint32_t maxp[] = {0, 1, 2, 16, 64, lu::PASID_LIMIT};
		lu::config c;
		bool shared = chance(40);
		for (std::uint32_t d = 0; d < 2; d++)
			c.devices.push_back({shared ? 0 : d, maxp[below(std::size(maxp))]});
		for (std::uint32_t h = 0; h < 3; h++) {
			hwpt_config hc;
			hc.pasid_compat = chance(60);
			hc.sealed = chance(85);
			if (h > 0 && chance(30)) {
				std::vector<std::uint32_t> parents;
				for (std::uint32_t x = 0; x < h; x++)
					if (c.hwpts[x].kind == hwpt_kind::paging)
						parents.push_back(x);
				hc.kind = hwpt_kind::nested;
				hc.parent = parents[below(parents.size())];
				hc.sealed = true;
			}
			c.hwpts.push_back(hc);
		}
		return c;
	}

	std::uint32_t pasid(const lu::config &c, std::uint32_t dev)
	{
		std::uint32_t m = c.devices[dev].max_pasids;
		switch (below(11)) {
		case 0:
		case 1:
		case 2: return 0;
		case 3: return 1;
		case 4: return 5;
		case 5: return m ? m - 1 : 0;
		case 6: return m;
		case 7: return lu::PASID_LIMIT - 1;
		case 8: return lu::PASID_LIMIT;
		case 9: return m > 2 ? static_cast<std::uint32_t>(1 + below(m - 1)) : 2;
		default: return 0xffffffffu;
		}
	}

	std::uint64_t token()
	{
		static constexpr std::uint64_t tokens[] = {1, 2, 10, 11, 12, 13, 0, ~std::uint64_t{0}};
		return tokens[below(std::size(tokens))];
	}

	std::uint32_t flags()
	{
		switch (below(10)) {
		case 0:
		case 1: return IOMMU_LU_FLAG_IGNORE_PASID;
		case 2: return 2;
		case 3: return 3;
		default: return 0;
		}
	}

	lu::step step(const lu::config &c)
	{
		// weights: attach-heavy, as real traces are
		static constexpr op ops[] = {op::mark_preserve, op::mark_preserve, op::attach, op::attach, op::attach,
					     op::attach, op::replace, op::detach, op::preserve_iommufd,
					     op::preserve_iommufd, op::preserve_device, op::preserve_device,
					     op::preserve_device, op::unpreserve_device, op::unpreserve_iommufd,
					     op::kexec, op::dma};
		lu::step s;
		s.op = ops[below(std::size(ops))];
		s.dev = static_cast<std::uint32_t>(below(2));
		s.hwpt = static_cast<std::uint32_t>(below(3));
		s.pasid = pasid(c, s.dev);
		s.token = token();
		s.flags = flags();
		return lu::clean_step(s);
	}
};

constexpr std::size_t random_len = 16;

// One seeded random case: a config, 1..10 random steps, kexec (70%), then
// dma observations up to a fixed length.
std::pair<lu::config, std::vector<lu::step>> random_trace(random_gen &g)
{
	lu::config cfg = g.config();
	std::vector<lu::step> t;
	std::size_t len = 1 + g.below(10);
	for (std::size_t i = 0; i < len; i++)
		t.push_back(g.step(cfg));
	const bool kexec = g.chance(70);
	if (kexec)
		t.push_back(mk(op::kexec));
	// After it, dma observations and now and then the new kernel's calls.
	static constexpr op new_kernel[] = {op::retrieve, op::open_device, op::bind_device, op::finish};
	while (t.size() < random_len) {
		const auto dev = static_cast<std::uint32_t>(g.below(2));
		if (kexec && g.chance(25))
			t.push_back(lu::clean_step({new_kernel[g.below(std::size(new_kernel))], dev, 0, 0, g.token(), 0}));
		else
			t.push_back(mk(op::dma, dev, g.pasid(cfg, 0)));
	}
	return {std::move(cfg), std::move(t)};
}


// The conformance traces of @o: on each conformance configuration, every
// suffix up to o.exhaustive_depth over the alphabet from each prefix
// ("exhaustive-c<config>"), then o.random seeded random traces ("random").
// @fn returns false to stop; progress is reported as "<phase>: ...".
void for_each_conformance_trace(
	const crosscheck_options &o, std::string_view phase,
	const std::function<bool(const lu::config &, const std::vector<lu::step> &, const std::string &)> &fn)
{
	auto alpha = alphabet();
	auto cfgs = conformance_configs();
	std::size_t longest = 0;
	for (const auto &pre : prefixes())
		longest = std::max(longest, pre.size());
	const std::size_t exhaustive_len = longest + o.exhaustive_depth + tail().size();
	for (std::size_t ci = 0; ci < cfgs.size(); ci++) {
		if (o.progress)
			o.progress(fmt::format("{}: exhaustive depth {} on config {}", phase, o.exhaustive_depth, ci));
		for (const auto &pre : prefixes()) {
			std::vector<std::size_t> idx;
			for (unsigned len = 0; len <= o.exhaustive_depth; len++) {
				idx.assign(len, 0);
				while (true) {
					std::vector<lu::step> t = pre;
					for (auto i : idx)
						t.push_back(alpha[i]);
					for (const auto &s : tail())
						t.push_back(s);
					pad(t, exhaustive_len);
					if (!fn(cfgs[ci], t, fmt::format("exhaustive-c{}", ci)))
						return;
					std::size_t k = 0;
					while (k < len && ++idx[k] == alpha.size())
						idx[k++] = 0;
					if (k == len)
						break;
				}
			}
		}
	}
	random_gen g(o.seed);
	for (std::size_t n = 0; n < o.random; n++) {
		if (o.progress && n % 100000 == 0)
			o.progress(fmt::format("{}: random {}/{} (seed {})", phase, n, o.random, o.seed));
		auto [cfg, t] = random_trace(g);
		if (!fn(cfg, t, "random"))
			return;
	}
}

} // namespace

check_report run_conformance(const backend &impl, const backend &model, const crosscheck_options &o)
{
	check_report r;
	r.name = "conformance";
	auto vs = variants_of(o);
	auto one = [&](const lu::config &cfg, const std::vector<lu::step> &t, const std::string &cls) {
		for (const auto &v : vs) {
			r.cases++;
			r.coverage[cls]++;
			if (o.skip.contains(r.cases - 1))
				continue;
			auto ri = impl.run(cfg, v, t);
			auto rm = model.run(cfg, v, t);
			std::string why;
			if (!ri.out || !rm.out)
				why = !ri.out ? "impl: " + ri.error : "model: " + rm.error;
			else
				why = describe_difference(t, *ri.out, "impl", *rm.out, "model");
			if (why.empty())
				continue;
			// Cut the trace after the first diverging step for the scenario.
			std::vector<lu::step> cut = t;
			if (ri.out && rm.out)
				for (std::size_t i = 0; i < t.size(); i++)
					if (ri.out->rets[i] != rm.out->rets[i]) {
						cut.resize(i + 1);
						break;
					}
			note_disagreement(r, o, fmt::format("{} {}: {}", variant_label(v), cls, why), [&] {
				auto mi = impl.run(cfg, v, cut), mm = model.run(cfg, v, cut);
				return divergence_scenario(fmt::format("{}+{}+divergence", name_part(v), cls), cfg, v, cut,
							   mm.out ? &*mm.out : nullptr, mi.out ? &*mi.out : nullptr, why);
			});
			if (o.stop_at_first)
				return false;
		}
		return true;
	};

	// Exhaustive: every suffix up to the depth over the alphabet, from each
	// prefix; then seeded random traces.
	r.counts["variants"] = vs.size();
	r.counts["exhaustive_depth"] = o.exhaustive_depth;
	r.counts["seed"] = o.seed;
	for_each_conformance_trace(o, "conformance",
				   [&](const lu::config &cfg, const std::vector<lu::step> &t, const std::string &cls) {
					   r.counts[cls == "random" ? "random_traces" : "exhaustive_traces"]++;
					   return one(cfg, t, cls);
				   });
	return r;
}

check_report run_engine_check(const backend &model, const backend &reference, const crosscheck_options &o)
{
	check_report r;
	r.name = "evaluator";
	r.counts["seed"] = o.seed;
	const auto vs = variants_of(o);
	random_gen g(o.seed);
	const std::size_t n_traces = std::min(o.solver_sample, o.random);
	for (std::size_t n = 0; n < n_traces; n++) {
		if (o.progress && n % 20 == 0)
			o.progress(fmt::format("evaluator: trace {}/{} on the Z3 simulator", n, n_traces));
		auto [cfg, t] = random_trace(g);
		r.counts["random_traces"]++;
		// one variant per trace, in turn: Z3 takes about a second per run
		for (const auto &v : {vs[n % vs.size()]}) {
			r.cases++;
			r.coverage[name_part(v)]++;
			const auto a = model.run(cfg, v, t), b = reference.run(cfg, v, t);
			std::string why;
			if (!a.out || !b.out)
				why = !a.out ? "evaluator: " + a.error : "z3: " + b.error;
			else
				why = describe_difference(t, *a.out, "evaluator", *b.out, "z3");
			if (why.empty())
				continue;
			note_disagreement(r, o, fmt::format("{} random {}: {}", variant_label(v), n, why), [&] {
				return divergence_scenario(fmt::format("{}+evaluator+divergence", name_part(v)), cfg, v, t,
							   b.out ? &*b.out : nullptr, a.out ? &*a.out : nullptr,
							   "the evaluator (impl line) and the Z3 simulator (expect line): " + why);
			});
			if (o.stop_at_first)
				return r;
		}
	}
	return r;
}

// ---- property monitors ------------------------------------------------------

namespace {

// Steps up to the last that is not dma: dma changes nothing, so a violation
// on the trace is one on this prefix (the bound a proof's depth covers).
std::size_t effective_length(const std::vector<lu::step> &t)
{
	std::size_t n = t.size();
	while (n > 0 && t[n - 1].op == op::dma)
		n--;
	return n;
}

// Whether the model's verdict @p mv covers @p t on @p cfg (bounds).
bool within_bounds(const model_verdict &mv, const lu::config &cfg, const std::vector<lu::step> &t)
{
	if (cfg.devices.size() > mv.devices || cfg.hwpts.size() > mv.hwpts)
		return false;
	return mv.every_depth || effective_length(t) <= mv.depth;
}

lu::variant full_variant()
{
	return *lu::find_preset("full");
}

// The monitors on one impl run: a violation of a safety property the model
// proves within its bounds, or a capability witness where the model has
// none, is a disagreement. Counts every violation and witness.
void judge_monitors(check_report &r, const crosscheck_options &o, const observed_run &run, const observed_run *full,
		    const std::string &cls)
{
	const std::string label = variant_label(run.variant);
	for (const auto &pi : lu::model::properties) {
		auto seen = run_monitor(pi.id, run, full);
		if (!seen)
			continue;
		const bool capability = pi.kind == lu::model::property_kind::capability;
		r.counts[fmt::format("{} {}", capability ? "witnesses" : "violations", pi.name)]++;
		auto it = o.verdicts.find({label, std::string(pi.name)});
		if (it == o.verdicts.end() || !within_bounds(it->second, run.config, run.trace))
			continue;
		const auto want = capability ? lu::model::verdict::counterexample : lu::model::verdict::proved;
		if (it->second.verdict != want)
			continue;
		const std::string why = fmt::format("monitor {} under {} ({}): {} (the model: {} {})", pi.name, label, cls,
						    *seen, name(it->second.verdict),
						    it->second.every_depth ? "for every depth"
									   : fmt::format("up to depth {}", it->second.depth));
		note_disagreement(r, o, why, [&] {
			return divergence_scenario(fmt::format("{}+monitor+{}", name_part(run.variant), pi.name), run.config,
						   run.variant, run.trace, &run.out, &run.out,
						   "The impl's run, judged by the monitor: " + why);
		});
		if (o.stop_at_first)
			return;
	}
}

} // namespace

check_report run_monitors(const backend &impl, const std::vector<fixed_case> &cases, const crosscheck_options &o)
{
	check_report r;
	r.name = "monitors";
	if (o.verdicts.empty())
		r.note = "no model verdicts (replay off): violations are counted, not judged";
	const auto vs = variants_of(o);
	const lu::variant full = full_variant();
	// One trace under every variant; `full` once for observable-contract.
	auto one = [&](const lu::config &cfg, const std::vector<lu::step> &t, const std::string &cls) {
		auto f = impl.observe(cfg, full, t);
		r.counts["traces"]++;
		for (const auto &v : vs) {
			r.cases++;
			r.coverage[cls]++;
			if (o.skip.contains(r.cases - 1))
				continue;
			std::optional<observed_run> mine;
			if (v == full && f)
				mine = f;
			else
				mine = impl.observe(cfg, v, t);
			if (!mine) {
				note_disagreement(r, o, fmt::format("{} {}: impl cannot run it", variant_label(v), cls),
						  [] { return std::string(); });
				continue;
			}
			const std::size_t before = r.disagreements;
			judge_monitors(r, o, *mine, f ? &*f : nullptr, cls);
			if (o.stop_at_first && r.disagreements > before)
				return false;
		}
		return true;
	};

	// Replay: every counterexample and capability witness of the model must
	// be confirmed by the monitor on the impl.
	for (const auto &c : cases) {
		if (c.check != "replay" || c.property.empty())
			continue;
		auto p = lu::model::parse_property(c.property);
		if (!p)
			continue;
		const auto &pi = lu::model::info(*p);
		const bool capability = pi.kind == lu::model::property_kind::capability;
		// a safety counterexample must show a violation; a capability's
		// proof carries the witness; a capability without one has no trace
		if (c.verdict != (capability ? "proved" : "counterexample"))
			continue;
		r.cases++;
		r.coverage["replay " + c.property]++;
		if (o.skip.contains(r.cases - 1))
			continue;
		auto mine = impl.observe(c.config, c.variant, c.trace);
		std::optional<observed_run> other;
		if (!c.other_variant.empty())
			if (auto ov = parse_variant_label(c.other_variant))
				other = impl.observe(c.config, *ov, c.trace);
		std::optional<std::string> seen;
		if (mine)
			seen = run_monitor(*p, *mine, other ? &*other : nullptr);
		if (seen) {
			r.counts["replay_confirmed"]++;
			continue;
		}
		const std::string why = fmt::format("replay {} under {} ({} of the model): the monitor does not confirm it "
						    "on the impl",
						    c.property, variant_label(c.variant), c.verdict);
		note_disagreement(r, o, why, [&] {
			return divergence_scenario(fmt::format("{}+monitor-replay+{}", name_part(c.variant), c.property),
						   c.config, c.variant, c.trace, nullptr, mine ? &mine->out : nullptr, why);
		});
		if (o.stop_at_first)
			return r;
	}

	// Guided cases: the traces the model chose, each under its own variant.
	for (const auto &c : cases) {
		if (c.check != "guided")
			continue;
		r.cases++;
		r.coverage["guided"]++;
		if (o.skip.contains(r.cases - 1))
			continue;
		auto mine = impl.observe(c.config, c.variant, c.trace);
		if (!mine)
			continue;
		auto f = impl.observe(c.config, full, c.trace);
		const std::size_t before = r.disagreements;
		judge_monitors(r, o, *mine, f ? &*f : nullptr, "guided");
		if (o.stop_at_first && r.disagreements > before)
			return r;
	}

	// The conformance traces: the same exhaustive suffixes and seeded random traces.
	for_each_conformance_trace(o, "monitors", one);
	return r;
}

// ---- multi-device traces ------------------------------------------------------

namespace {

constexpr std::size_t multi_len = 20;

// Two devices with PASIDs, in two groups or in one, both preserved, kexec,
// then dma on every (device, PASID) pair the trace names.
std::pair<lu::config, std::vector<lu::step>> multi_device_trace(random_gen &g, bool one_group)
{
	static constexpr std::uint32_t maxp[] = {0, 16, 256, lu::PASID_LIMIT};
	lu::config cfg;
	for (std::uint32_t d = 0; d < 2; d++)
		cfg.devices.push_back({one_group ? 0 : d, maxp[1 + g.below(std::size(maxp) - 1)]});
	if (g.chance(10))
		cfg.devices[g.below(2)].max_pasids = 0; // a member without PASID support
	if (g.chance(10))
		cfg.devices[g.below(2)].vf = true; // PCI refuses it (preserve_device step 12)
	// h0, h1 paging (pasid_compat, sealed); h2 nested on one of them, or a third paging
	cfg.hwpts = {{hwpt_kind::paging, 0, true, true}, {hwpt_kind::paging, 0, true, true}};
	hwpt_config h2{hwpt_kind::paging, 0, true, true};
	if (g.chance(40)) {
		h2.kind = hwpt_kind::nested;
		h2.parent = static_cast<std::uint32_t>(g.below(2));
	} else if (g.chance(15)) {
		h2.sealed = false;
	}
	cfg.hwpts.push_back(h2);
	auto pasid = [&](std::uint32_t d) -> std::uint32_t {
		std::uint32_t m = cfg.devices[d].max_pasids;
		switch (g.below(6)) {
		case 0: return 1;
		case 1: return 5;
		case 2: return m > 1 ? m - 1 : 3;
		case 3: return m > 2 ? static_cast<std::uint32_t>(1 + g.below(m - 1)) : 2;
		case 4: return 100;
		default: return lu::PASID_LIMIT - 1;
		}
	};
	auto hwpt = [&] { return static_cast<std::uint32_t>(g.below(3)); };
	std::vector<lu::step> t;
	t.push_back(mk(op::mark_preserve, 0, 0, 0, 1));
	t.push_back(mk(op::mark_preserve, 0, 0, 1, 2));
	if (cfg.hwpts[2].kind == hwpt_kind::paging && g.chance(70))
		t.push_back(mk(op::mark_preserve, 0, 0, 2, 3));
	// RIDs: in one group the second device joins the first's hwpt
	const std::uint32_t rid0 = g.chance(80) ? static_cast<std::uint32_t>(g.below(2)) : 2;
	const std::uint32_t rid1 = one_group ? rid0 : (g.chance(80) ? static_cast<std::uint32_t>(g.below(2)) : 2);
	t.push_back(mk(op::attach, 0, 0, rid0));
	if (g.chance(90))
		t.push_back(mk(op::attach, 1, 0, rid1));
	// PASIDs: one to three per device, on any hwpt
	std::vector<std::pair<std::uint32_t, std::uint32_t>> named{{0, 0}, {1, 0}};
	std::vector<std::uint32_t> pasids;
	for (std::uint32_t d = 0; d < 2; d++) {
		const std::size_t n = 1 + g.below(3);
		for (std::size_t k = 0; k < n; k++) {
			std::uint32_t p = pasid(d);
			// in one group, the same PASID twice: the second device shares it
			if (one_group && !pasids.empty() && g.chance(30))
				p = pasids[g.below(pasids.size())];
			pasids.push_back(p);
			t.push_back(mk(op::attach, d, p, hwpt()));
		}
	}
	for (auto p : pasids)
		for (std::uint32_t d = 0; d < 2; d++)
			named.emplace_back(d, p);
	std::ranges::sort(named);
	named.erase(std::unique(named.begin(), named.end()), named.end());
	if (g.chance(20)) // a late mark: its domain is not preserved
		t.push_back(mk(op::mark_preserve, 0, 0, 2, 4));
	t.push_back(mk(op::preserve_iommufd, 0, 0, 0, 10));
	auto flags = [&] { return g.chance(35) ? IOMMU_LU_FLAG_IGNORE_PASID : 0u; };
	const bool swap = g.chance(50);
	t.push_back(mk(op::preserve_device, swap ? 1 : 0, 0, 0, 11, flags()));
	t.push_back(mk(op::preserve_device, swap ? 0 : 1, 0, 0, 12, flags()));
	t.push_back(mk(op::kexec));
	// every (device, PASID) pair the trace names, as many as fit
	for (std::size_t k = 0; k < named.size() && t.size() < multi_len; k++)
		t.push_back(mk(op::dma, named[k].first, named[k].second));
	while (t.size() < multi_len)
		t.push_back(mk(op::dma, 0, 0));
	return {std::move(cfg), std::move(t)};
}

} // namespace

check_report run_multi_device(const backend &impl, const backend &model, const crosscheck_options &o)
{
	check_report r;
	r.name = "multi-device";
	const auto vs = variants_of(o);
	const lu::variant full = full_variant();
	random_gen g(o.seed ^ 0x6d756c7469ULL);
	for (std::size_t n = 0; n < o.multi_device; n++) {
		if (o.progress && n % 500 == 0)
			o.progress(fmt::format("multi-device: trace {}/{}", n, o.multi_device));
		const bool one_group = n % 2 == 1;
		auto [cfg, t] = multi_device_trace(g, one_group);
		r.counts["multi_device_traces"]++;
		r.counts[one_group ? "one_group" : "two_groups"]++;
		const std::string cls = one_group ? "one-group" : "two-groups";
		auto f = impl.observe(cfg, full, t);
		for (const auto &v : vs) {
			r.cases++;
			r.coverage[fmt::format("{} {}", name_part(v), cls)]++;
			if (o.skip.contains(r.cases - 1))
				continue;
			auto mine = v == full && f ? f : impl.observe(cfg, v, t);
			auto rm = model.run(cfg, v, t);
			std::string why;
			if (!mine || !rm.out)
				why = !mine ? "impl: cannot run it" : "model: " + rm.error;
			else
				why = describe_difference(t, mine->out, "impl", *rm.out, "model");
			if (!why.empty()) {
				note_disagreement(r, o, fmt::format("{} {}: {}", variant_label(v), cls, why), [&] {
					return divergence_scenario(fmt::format("{}+multi-device+divergence", name_part(v)), cfg,
								   v, t, rm.out ? &*rm.out : nullptr,
								   mine ? &mine->out : nullptr, why);
				});
				if (o.stop_at_first)
					return r;
				continue;
			}
			const std::size_t before = r.disagreements;
			judge_monitors(r, o, *mine, f ? &*f : nullptr, cls);
			if (o.stop_at_first && r.disagreements > before)
				return r;
		}
	}
	return r;
}

} // namespace lu::verify
