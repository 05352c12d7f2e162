// SPDX-License-Identifier: GPL-2.0
// The one-screen answer to the reviewer (issue 12): the reviewer's case
// under each variant, the verdicts, which variant closes which cause, what
// the verdicts assume, one attributed trace per cause; and the same for
// the difference between two variants (report --diff).
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "lu/core/rules.h"
#include "lu/model/simulate.h"
#include "lu/verify/report.h"
#include "parallel.h"
#include "report_text.h"

namespace lu::verify {

using namespace internal;
using lu::model::cause;
using lu::model::cause_result;
using lu::model::verdict;

std::vector<cell_causes> causes_for(const std::vector<lu::model::result> &rs, const run_info &run, unsigned cap,
				    const cell_done_fn &on_done)
{
	std::vector<cell_causes> out(rs.size());
	parallel_for(
		rs.size(), run.jobs, [&](std::size_t i) { out[i] = lu::model::find_causes(rs[i], run.opt, cap); },
		on_done);
	return out;
}

namespace {

// The seed's trace (verify/scenarios/all+rid+pasid+seed.lu): RID and PASID 5
// of one device attached to a marked, sealed, PASID-capable paging hwpt;
// the iommufd then the cdev preserved; kexec.
struct seed_case {
	lu::config cfg{{{0, 16}}, {{lu::hwpt_kind::paging, 0, true, true}}};
	std::vector<lu::step> trace{
		{lu::op::mark_preserve, 0, 0, 0, 1, 0}, {lu::op::attach, 0, 0, 0, 0, 0},
		{lu::op::attach, 0, 5, 0, 0, 0},        {lu::op::preserve_iommufd, 0, 0, 0, 10, 0},
		{lu::op::preserve_device, 0, 0, 0, 11, 0}, {lu::op::kexec, 0, 0, 0, 0, 0},
	};
};

// What the seed's trace does under @v: preserve's return and PASID 5's fate.
std::string seed_outcome(const lu::variant &v)
{
	const seed_case sc;
	const auto s = lu::model::simulate(sc.cfg, v, sc.trace);
	if (!s.out)
		return "the seed's trace: " + s.error;
	const int ret = s.out->rets[4];
	const bool kept = std::any_of(s.out->restored.begin(), s.out->restored.end(),
				      [](const lu::attachment &a) { return a.dev == 0 && a.pasid == 5; });
	if (ret != 0)
		return fmt::format("preserve = {}", errno_name(ret));
	return kept ? "preserve = 0, PASID 5 restored" : "preserve = 0, PASID 5 lost";
}

const cause_result *cause_of(const cell_causes &cc, cause c)
{
	for (const auto &r : cc)
		if (r.cause == c)
			return &r;
	return nullptr;
}

// The traces of a report: one per distinct cause, numbered in order of
// first appearance (property-major, then variant), shown under the first
// variant that has it (the matrix says which others do).
struct trace_ref {
	cause id;
	std::string shown_under;
	const cause_result *found = nullptr;
};

struct numbering {
	std::vector<trace_ref> traces;
	std::map<cause, std::size_t> number; // 1-based
	void add(const lu::model::result &r, const cause_result &c)
	{
		if (c.status != verdict::counterexample || !c.witness)
			return;
		if (number.try_emplace(c.cause, traces.size() + 1).second)
			traces.push_back({c.cause, variant_key(r), &c});
	}
};

// The verdict of (variant, property) in @rs, or nullptr.
const lu::model::result *cell(const std::vector<lu::model::result> &rs, const std::string &v, lu::model::property p)
{
	for (const auto &r : rs)
		if (variant_key(r) == v && r.property == p)
			return &r;
	return nullptr;
}

// A matrix cell: ok (closed up to the bounds), ok* (every depth), ok** (any
// size, every depth), #N, ?, -.
std::string matrix_cell(const lu::model::result *r, const cause_result *c, const numbering &n)
{
	if (!r || !c)
		return "-";
	switch (c->status) {
	case verdict::proved:
		if (r->verdict != verdict::proved)
			return "ok";
		return r->any_size ? "ok**" : r->every_depth ? "ok*" : "ok";
	case verdict::counterexample: {
		auto it = n.number.find(c->cause);
		return it == n.number.end() ? "?" : fmt::format("#{}", it->second);
	}
	case verdict::unknown:
	case verdict::error: break;
	}
	return "?";
}

// The configuration of a trace, only the objects it uses.
std::string used_config(const lu::model::witness &w)
{
	std::set<std::uint32_t> devs, hwpts;
	if (w.focus)
		devs.insert(w.focus->dev);
	for (const auto &s : w.trace) {
		const lu::operands a = lu::operands_of(s.step.op);
		if (a.dev)
			devs.insert(s.step.dev);
		if (a.hwpt)
			hwpts.insert(s.step.hwpt);
	}
	for (auto h : std::set<std::uint32_t>(hwpts))
		if (h < w.config.hwpts.size() && w.config.hwpts[h].kind == lu::hwpt_kind::nested)
			hwpts.insert(w.config.hwpts[h].parent);
	std::vector<std::string> parts;
	for (auto d : devs) {
		if (d >= w.config.devices.size())
			continue;
		const auto &dc = w.config.devices[d];
		std::string mate;
		for (auto e : devs)
			if (e < d && w.config.devices[e].group == dc.group) {
				mate = fmt::format(", group of dev {}", e);
				break;
			}
		parts.push_back(fmt::format("dev {} (max_pasids {}{}{})", d, dc.max_pasids, dc.vf ? ", a VF" : "", mate));
	}
	for (auto h : hwpts) {
		if (h >= w.config.hwpts.size())
			continue;
		const auto &hc = w.config.hwpts[h];
		std::string attrs = hc.kind == lu::hwpt_kind::nested ? fmt::format("nested on {}", hc.parent) : "paging";
		if (hc.pasid_compat)
			attrs += ", pasid_compat";
		if (hc.kind == lu::hwpt_kind::paging && !hc.sealed)
			attrs += ", not sealed";
		parts.push_back(fmt::format("hwpt {} ({})", h, attrs));
	}
	std::string out;
	for (const auto &p : parts)
		out += (out.empty() ? "" : "; ") + p;
	return out;
}

// A step as step_text() gives it, without flags 0 (the reader's default).
std::string short_step(const lu::step &st)
{
	if (st.op == lu::op::preserve_device && st.flags == 0)
		return fmt::format("preserve_device(dev {}, token {})", st.dev, st.token);
	return step_text(st);
}

// One attributed trace: every step with its return and the rule that
// decided it; the step that made the violation possible marked ">".
void render_trace(std::string &out, std::size_t number, const trace_ref &t)
{
	const std::size_t W = MAIL_COLUMNS;
	auto para = [&](const std::string &s, std::string_view indent = "") { out += wrap(s, W, indent); };
	const auto &ci = lu::model::info(t.id);
	const auto &w = *t.found->witness;
	para(fmt::format("{}. {} ({}): {}", number, ci.name, t.shown_under, ci.text), "   ");
	para("   " + used_config(w), "     ");
	std::size_t sw = 0, rw = 1;
	for (const auto &s : w.trace) {
		sw = std::max(sw, short_step(s.step).size());
		rw = std::max(rw, errno_name(s.ret).size());
	}
	for (std::size_t k = 0; k < w.trace.size(); ++k) {
		const auto &s = w.trace[k];
		const bool mark = t.found->marked_step == k;
		std::string line = fmt::format(" {}{:>2} {:<{}} {:>{}}  {}", mark ? ">" : " ", k + 1, short_step(s.step), sw,
					       errno_name(s.ret), rw, s.rule ? lu::info(*s.rule).rule : "?");
		std::string lost = "; lost (dev,pasid)";
		for (const auto &l : w.lost)
			lost += fmt::format(" ({},{})", l.dev, l.pasid);
		const bool beside = line.size() + lost.size() <= W; // else a line of its own
		if (s.step.op == lu::op::kexec && !w.lost.empty() && beside)
			line += lost;
		para(line, "        ");
		if (s.step.op == lu::op::kexec && !w.lost.empty() && !beside)
			para("     " + lost.substr(2), "       ");
	}
}

// The causes matrix: a heading per property that has a catalog and fails
// under some variant (properties with the same rows share one), a row per
// cause, a column per variant.
void render_matrix(std::string &out, const std::vector<lu::model::result> &rs, const std::vector<cell_causes> &cs,
		   const numbering &n)
{
	const std::size_t W = MAIL_COLUMNS;
	auto para = [&](const std::string &s, std::string_view indent = "") { out += wrap(s, W, indent); };
	const auto vars = variant_names(rs);
	std::size_t lw = 0;
	for (const auto &ci : lu::model::causes)
		lw = std::max(lw, ci.name.size() + 2);
	std::string head = fmt::format("{:<{}}", "", lw);
	for (const auto &v : vars)
		head += fmt::format(" {:<{}}", v, std::max<std::size_t>(v.size(), 3));
	para("Causes: which variant closes which hole (ok: no trace up to the bounds has it; ok*: proved "
	     "for every depth; #N: trace N below; ?: no answer):");
	para(head, "  ");
	std::vector<std::pair<std::string, std::vector<std::string>>> blocks;
	for (const auto p : property_ids(rs)) {
		const auto list = lu::model::causes_of(p);
		bool fails = false, gap = false;
		for (std::size_t i = 0; i < rs.size(); ++i)
			if (rs[i].property == p) {
				fails = fails || rs[i].verdict == verdict::counterexample;
				gap = gap || cause_of(cs[i], cause::unclassified);
			}
		if (list.empty() || !fails)
			continue;
		std::vector<cause> rows(list.begin(), list.end());
		if (gap)
			rows.push_back(cause::unclassified);
		std::vector<std::string> lines;
		for (const cause c : rows) {
			std::string row = fmt::format("  {:<{}}", lu::model::info(c).name, lw - 2);
			for (const auto &v : vars) {
				const lu::model::result *r = cell(rs, v, p);
				const cause_result *cr = r ? cause_of(cs[static_cast<std::size_t>(r - rs.data())], c) : nullptr;
				// no unclassified result: the gap query found none
				const std::string word = c == cause::unclassified && r && !cr ? "ok" : matrix_cell(r, cr, n);
				row += fmt::format(" {:<{}}", word, std::max<std::size_t>(v.size(), 3));
			}
			lines.push_back(row);
		}
		const std::string name(lu::model::info(p).name);
		if (!blocks.empty() && blocks.back().second == lines)
			blocks.back().first += ", " + name;
		else
			blocks.emplace_back(name, lines);
	}
	for (const auto &[heading, lines] : blocks) {
		para(heading, "  ");
		for (const auto &l : lines)
			para(l, "  ");
	}
}

numbering number_traces(const std::vector<lu::model::result> &rs, const std::vector<cell_causes> &cs)
{
	numbering n;
	for (const auto p : property_ids(rs))
		for (std::size_t i = 0; i < rs.size(); ++i)
			if (rs[i].property == p)
				for (const auto &c : cs[i])
					n.add(rs[i], c);
	return n;
}

} // namespace

std::string reviewer_case_line(const lu::model::result &r, const cell_causes &cc, std::size_t trace_number)
{
	const cause_result *c = cause_of(cc, cause::pasid_not_recorded);
	const std::string seed = seed_outcome(r.variant);
	std::string answer = "open (no answer)";
	if (c && c->status == verdict::counterexample)
		answer = trace_number ? fmt::format("yes, trace {}", trace_number) : "yes";
	else if (c && c->status == verdict::proved && seed.ends_with("lost")) // the seed's steps exceed the depth
		answer = fmt::format("not in {} steps", r.bounds.depth);
	else if (c && c->status == verdict::proved)
		answer = r.any_size ? "no, any size" : r.every_depth ? "no, every depth" : "no, up to the bounds";
	return fmt::format("{:<21} {}", answer, seed);
}

std::string brief_report(const std::vector<lu::model::result> &rs, const std::vector<cell_causes> &cs,
			 const run_info &run)
{
	const std::size_t W = MAIL_COLUMNS;
	std::string out;
	auto para = [&](const std::string &s, std::string_view indent = "") { out += wrap(s, W, indent); };
	auto blank = [&] { out += "\n"; };
	if (rs.empty() || cs.size() != rs.size()) {
		para("iommufd-lu report: no results.");
		return out;
	}
	const auto &b = rs.front().bounds;
	const numbering n = number_traces(rs, cs);

	para("iommufd-lu: PASID attachments across a live update");
	para(fmt::format("Bounds: {} devices, {} hwpts (any groups, kinds), traces of up to {} steps, every "
			 "PASID; *: every trace length; **: any size too; rid-ok, pasid-ok: proved = a witness exists.",
			 b.devices, b.hwpts, b.depth),
	     "  ");
	blank();
	const auto vars = variant_names(rs);
	std::size_t vw = 0;
	for (const auto &v : vars)
		vw = std::max(vw, v.size() + 1);
	bool any = false;
	for (const auto &r : rs)
		any = any || r.property == lu::model::property::no_silent_pasid_loss;
	if (any) {
		para("Reviewer's case: can preserve return 0 and leave an attached PASID out? (any trace; "
		     "the seed's: RID, PASID 5)");
		for (std::size_t i = 0; i < rs.size(); ++i) {
			if (rs[i].property != lu::model::property::no_silent_pasid_loss)
				continue;
			const auto it = n.number.find(cause::pasid_not_recorded);
			const std::size_t tn = it == n.number.end() ? 0 : it->second;
			para(fmt::format("  {:<{}} {}", variant_key(rs[i]), vw, reviewer_case_line(rs[i], cs[i], tn)),
			     std::string(vw + 3, ' '));
		}
		blank();
	}
	out += verdict_table(rs, false);
	blank();
	render_matrix(out, rs, cs, n);
	blank();
	std::set<lu::version> versions;
	for (const auto &r : rs)
		versions.insert(r.variant.version);
	std::string code = "Code read:";
	for (const auto v : versions)
		code += fmt::format(" {} {};", lu::name(v), lu::code_read[static_cast<std::size_t>(v)]);
	code.back() = '.';
	para(code, "  ");
	for (const auto &v : vars)
		for (const auto &p : lu::presets)
			if (p.name == v && !p.unconfirmed.empty())
				para(fmt::format("Guess in {}: {}.", v, p.unconfirmed), "  ");
	std::vector<std::string> options;
	for (const auto &v : vars)
		if (v == "doc-only" || v == "reject" || v == "ack-flag" || v == "full")
			options.push_back(v);
	if (!options.empty())
		para(fmt::format("{}: post-v2 with that PASID check and vfio calling iommufd for every cdev "
				 "(options, not posted code).",
				 join(options)),
		     "  ");
	blank();
	for (std::size_t i = 0; i < n.traces.size(); ++i)
		render_trace(out, i + 1, n.traces[i]);
	blank();
	para(fmt::format("Rules: docs/semantics.md; everything: report --full (depth {}, rlimit {}).", b.depth,
			 run.opt.rlimit));
	return out;
}

std::string diff_report(const std::vector<lu::model::result> &a, const std::vector<cell_causes> &ca,
			const std::vector<lu::model::result> &b, const std::vector<cell_causes> &cb, const run_info &run)
{
	const std::size_t W = MAIL_COLUMNS;
	std::string out;
	auto para = [&](const std::string &s, std::string_view indent = "") { out += wrap(s, W, indent); };
	auto blank = [&] { out += "\n"; };
	if (a.empty() || b.empty() || ca.size() != a.size() || cb.size() != b.size()) {
		para("iommufd-lu report --diff: no results.");
		return out;
	}
	const std::string va = variant_key(a.front()), vb = variant_key(b.front());
	// Number the traces of both sides together: a cause found on either side.
	std::vector<lu::model::result> both(a);
	both.insert(both.end(), b.begin(), b.end());
	std::vector<cell_causes> cboth(ca);
	cboth.insert(cboth.end(), cb.begin(), cb.end());
	const numbering n = number_traces(both, cboth);

	para(fmt::format("iommufd-lu: what changes from {} to {}", va, vb));
	para(fmt::format("Bounds: {} devices, {} hwpts, traces of up to {} steps, every PASID.",
			 a.front().bounds.devices, a.front().bounds.hwpts, a.front().bounds.depth),
	     "  ");
	blank();
	std::size_t same_v = 0, same_c = 0;
	std::vector<std::string> vlines, clines;
	for (const auto &ra : a) {
		const auto *rb = cell(b, vb, ra.property);
		if (!rb)
			continue;
		const auto &pi = lu::model::info(ra.property);
		if (cell_word(ra) != cell_word(*rb))
			vlines.push_back(fmt::format("  {:<28} {:<8} -> {}", pi.name, cell_word(ra), cell_word(*rb)));
		else
			++same_v;
		const std::size_t ia = static_cast<std::size_t>(&ra - a.data()), ib = static_cast<std::size_t>(rb - b.data());
		std::vector<cause> list(lu::model::causes_of(ra.property).begin(), lu::model::causes_of(ra.property).end());
		list.push_back(cause::unclassified);
		for (const cause c : list) {
			const auto *x = cause_of(ca[ia], c), *y = cause_of(cb[ib], c);
			if (!x && !y)
				continue;
			const std::string wa = c == cause::unclassified && !x ? "ok" : matrix_cell(&ra, x, n);
			const std::string wb = c == cause::unclassified && !y ? "ok" : matrix_cell(rb, y, n);
			const bool open_a = wa.front() == '#', open_b = wb.front() == '#';
			if (open_a != open_b || wa == "?" || wb == "?")
				clines.push_back(fmt::format("  {:<28} {:<25} {} -> {}", pi.column, lu::model::info(c).name,
							     open_a ? wa : "closed", open_b ? wb : "closed"));
			else
				++same_c;
		}
	}
	para(fmt::format("Verdicts that changed ({} unchanged):", same_v));
	for (const auto &l : vlines)
		para(l, "    ");
	if (vlines.empty())
		para("  none");
	blank();
	para(fmt::format("Causes that changed ({} unchanged; #N: open, trace N below):", same_c));
	for (const auto &l : clines)
		para(l, "    ");
	if (clines.empty())
		para("  none");
	for (std::size_t i = 0; i < n.traces.size(); ++i) {
		blank();
		render_trace(out, i + 1, n.traces[i]);
	}
	blank();
	para(fmt::format("Reproduce: iommufd-lu report --diff {} {} --depth {} (rlimit {}).", va, vb,
			 a.front().bounds.depth, run.opt.rlimit));
	return out;
}

nlohmann::json causes_json(const cell_causes &cc)
{
	nlohmann::json out = nlohmann::json::array();
	for (const auto &c : cc) {
		const auto &ci = lu::model::info(c.cause);
		nlohmann::json j{{"cause", ci.name},
				 {"text", ci.text},
				 {"status", c.status == verdict::counterexample ? "found"
					    : c.status == verdict::proved       ? "closed"
										: "unknown"},
				 {"seconds", c.seconds}};
		if (ci.rule)
			j["rule"] = lu::info(*ci.rule).rule;
		if (!c.reason.empty())
			j["reason"] = c.reason;
		if (c.witness)
			j["witness"] = witness_json(*c.witness);
		if (c.marked_step)
			j["marked_step"] = *c.marked_step;
		out.push_back(j);
	}
	return out;
}

} // namespace lu::verify
