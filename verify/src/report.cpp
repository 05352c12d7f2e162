// SPDX-License-Identifier: GPL-2.0
// Citable output of a proof run (lu/verify/report.h): mail, JSON,
// observation lines, verdict bundle.
//
// Conventions in this file: r = one result, rs = the results of a run in
// variant-major order, run = the options they were proved with, b = a
// bundle, w = a witness.
#include "lu/verify/report.h"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <map>
#include <stdexcept>

#include "lu/core/rules.h"
#include "lu/model/solver_info.h"
#include "lu/verify/bundle_info.h"
#include "lu/verify/uapi.h"
#include "lu/verify/version.h"
#include "parallel.h"
#include "report_text.h"

namespace lu::verify {

std::string sha256_hex(std::string_view data)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned len = 0;
	if (EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr) != 1)
		throw std::runtime_error("EVP_Digest(sha256) failed");
	std::string out;
	for (unsigned i = 0; i < len; ++i)
		out += fmt::format("{:02x}", md[i]);
	return out;
}

std::string model_source_sha256() { return bundle_info_internal::model_sha256; }

std::string build_config()
{
	return fmt::format("{}\ngit {}\n", bundle_info_internal::build_config, lu::tool_git);
}

std::string build_sha256() { return sha256_hex(build_config()); }

bundle bundle_for(const lu::model::result &r, const run_info &run)
{
	bundle b;
	b.model_sha256 = model_source_sha256();
	b.build_config = build_config();
	b.build_sha256 = sha256_hex(b.build_config);
	b.solver_name = lu::model::solver_name();
	b.solver_version = lu::model::solver_version();
	b.rlimit = run.opt.rlimit;
	b.random_seed = run.opt.random_seed;
	// Certify with the bounds the result holds for, as export-smt2 would.
	auto opt = run.opt;
	opt.bounds = r.bounds;
	std::vector<lu::model::smt2_query> cert;
	const auto again = lu::model::prove(r.variant, r.property, opt, &cert);
	if (cert.empty()) {
		b.error = again.reason.empty() ? "no certificate" : again.reason;
		return b;
	}
	std::string sums;
	for (const auto &q : cert) {
		b.certificate.push_back({q.file, q.role, q.expected, sha256_hex(q.text)});
		sums += fmt::format("{}  {}\n", b.certificate.back().sha256, q.file);
	}
	b.certificate_sha256 = sha256_hex(sums);
	return b;
}

std::size_t apply_certification(const std::vector<lu::model::result> &results, std::vector<bundle> &bundles,
				const nlohmann::json &j)
{
	if (!j.is_object() || !j.contains("verdicts") || !j["verdicts"].is_array())
		throw std::invalid_argument("not the output of `certify --format json` (no array 'verdicts')");
	std::size_t certified = 0;
	for (std::size_t i = 0; i < results.size() && i < bundles.size(); ++i) {
		auto &b = bundles[i];
		b.certification_checked = true;
		b.certified_by.clear();
		for (const auto &v : j["verdicts"]) {
			std::string variant, property, digest;
			std::vector<std::string> by;
			try {
				variant = v.at("variant").get<std::string>();
				property = v.at("property").get<std::string>();
				digest = v.at("certificate_sha256").get<std::string>();
				by = v.at("certified_by").get<std::vector<std::string>>();
			} catch (const nlohmann::json::exception &e) {
				throw std::invalid_argument(std::string("a verdict of the wrong shape: ") + e.what());
			}
			if (variant == lu::name(results[i].variant) &&
			    property == lu::model::info(results[i].property).name && digest == b.certificate_sha256)
				b.certified_by = by;
		}
		certified += !b.certified_by.empty();
	}
	return certified;
}

using internal::parallel_for;

std::vector<lu::model::result> prove_cells(const std::vector<lu::variant> &variants,
					   const std::vector<lu::model::property> &props, const run_info &run,
					   const cell_done_fn &on_done)
{
	std::vector<lu::model::result> res(variants.size() * props.size());
	if (props.empty())
		return res;
	parallel_for(
		res.size(), run.jobs,
		[&](std::size_t i) { res[i] = lu::model::prove(variants[i / props.size()], props[i % props.size()], run.opt); },
		on_done);
	return res;
}

std::vector<bundle> bundles_for(const std::vector<lu::model::result> &rs, const run_info &run,
				const cell_done_fn &on_done)
{
	std::vector<bundle> out(rs.size());
	parallel_for(rs.size(), run.jobs, [&](std::size_t i) { out[i] = bundle_for(rs[i], run); }, on_done);
	return out;
}

std::string attachments_text(const std::vector<lu::attachment> &v)
{
	if (v.empty())
		return "(none)";
	std::string out;
	for (const auto &a : v)
		out += fmt::format("{}(dev {}, pasid {}, hwpt {})", out.empty() ? "" : ", ", a.dev, a.pasid, a.hwpt);
	return out;
}

std::string step_text(const lu::step &s)
{
	const lu::operands a = lu::operands_of(s.op);
	std::vector<std::string> args;
	if (a.dev)
		args.push_back(fmt::format("dev {}", s.dev));
	if (a.pasid)
		args.push_back(fmt::format("pasid {}", s.pasid));
	if (a.hwpt)
		args.push_back(fmt::format("hwpt {}", s.hwpt));
	if (a.token)
		args.push_back(fmt::format("token {}", s.token));
	if (a.flags)
		args.push_back(fmt::format("flags {:#x}", s.flags));
	return fmt::format("{}({})", lu::name(s.op), fmt::join(args, ", "));
}

std::string reproduce_command(const lu::model::result &r, const run_info &run)
{
	const lu::model::prove_options def;
	std::string cmd = "iommufd-lu prove";
	const auto vname = lu::name(r.variant);
	if (vname == "custom")
		cmd += fmt::format(" --policy {} --freeze {} --vfio-gate {} --code {}", lu::name(r.variant.policy),
				   lu::name(r.variant.freeze), lu::name(r.variant.vfio_gate), lu::name(r.variant.version));
	else
		cmd += fmt::format(" --variant {}", vname);
	cmd += fmt::format(" --property {} --depth {}", lu::model::info(r.property).name, r.bounds.depth);
	if (r.bounds.devices != def.bounds.devices)
		cmd += fmt::format(" --devices {}", r.bounds.devices);
	if (r.bounds.hwpts != def.bounds.hwpts)
		cmd += fmt::format(" --hwpts {}", r.bounds.hwpts);
	if (run.opt.rlimit != def.rlimit)
		cmd += fmt::format(" --rlimit {}", run.opt.rlimit);
	if (!run.opt.minimise)
		cmd += " --no-minimise";
	return cmd;
}

namespace internal {

bool is_capability(const lu::model::result &r)
{
	return lu::model::info(r.property).kind == lu::model::property_kind::capability;
}

// The verdict word of an observation line (stable: RFCs grep it).
std::string observation_word(const lu::model::result &r)
{
	using lu::model::verdict;
	switch (r.verdict) {
	case verdict::proved:
		if (r.vacuity == lu::model::vacuity::vacuous)
			return "Vacuous";
		return is_capability(r) ? "Witness" : "Proved";
	case verdict::counterexample: return is_capability(r) ? "NoWitness" : "Counterexample";
	case verdict::unknown: return "Unknown";
	case verdict::error: return "Error";
	}
	return "?";
}

// The cell of the verdict table (the words of `prove`'s table).
std::string cell_word(const lu::model::result &r)
{
	using lu::model::verdict;
	switch (r.verdict) {
	case verdict::proved:
		if (r.vacuity == lu::model::vacuity::vacuous)
			return "VACUOUS";
		return r.any_size ? "proved**" : r.every_depth ? "proved*" : "proved";
	case verdict::counterexample: return "CEX";
	case verdict::unknown: return "unknown";
	case verdict::error: return "ERROR";
	}
	return "?";
}

std::string join(const std::vector<std::string> &v)
{
	std::string out;
	for (std::size_t i = 0; i < v.size(); ++i) {
		if (i > 0)
			out += i + 1 == v.size() ? (v.size() > 2 ? ", and " : " and ") : ", ";
		out += v[i];
	}
	return out;
}

std::string lost_text(const std::vector<lu::model::lost_pair> &v)
{
	std::string out;
	for (const auto &l : v)
		out += fmt::format("{}(dev {}, pasid {})", out.empty() ? "" : ", ", l.dev, l.pasid);
	return out.empty() ? "(none)" : out;
}

std::string bounds_text(const lu::model::bounds &b)
{
	return fmt::format("{} devices (symbolic iommu groups), {} hwpts (symbolic kinds), traces of up to {} "
			   "steps, every 32-bit PASID argument over {}-bit attachment tables",
			   b.devices, b.hwpts, b.depth, b.pasid_bits);
}

std::string variant_key(const lu::model::result &r)
{
	const std::string n(lu::name(r.variant));
	return n == "custom" ? fmt::format("custom({},{},{},{})", lu::name(r.variant.policy), lu::name(r.variant.freeze),
					   lu::name(r.variant.vfio_gate), lu::name(r.variant.version))
			     : n;
}

// Variants of a run in first-seen order.
std::vector<std::string> variant_names(const std::vector<lu::model::result> &rs)
{
	std::vector<std::string> out;
	for (const auto &r : rs)
		if (auto k = variant_key(r); std::find(out.begin(), out.end(), k) == out.end())
			out.push_back(k);
	return out;
}

// Properties of a run in first-seen order.
std::vector<lu::model::property> property_ids(const std::vector<lu::model::result> &rs)
{
	std::vector<lu::model::property> out;
	for (const auto &r : rs)
		if (std::find(out.begin(), out.end(), r.property) == out.end())
			out.push_back(r.property);
	return out;
}

} // namespace internal

using namespace internal;

std::string observation_line(const lu::model::result &r)
{
	// An inductive proof holds for every trace length: depth=any.
	const std::string depth = r.every_depth ? "any" : std::to_string(r.bounds.depth);
	std::string line = fmt::format("Result {} {} {} depth={}", variant_key(r), lu::model::info(r.property).name,
				       observation_word(r), depth);
	if (r.witness && !r.witness->lost.empty()) {
		line += " lost=";
		for (std::size_t i = 0; i < r.witness->lost.size(); ++i)
			line += fmt::format("{}(dev{},pasid{})", i ? "," : "", r.witness->lost[i].dev,
					    r.witness->lost[i].pasid);
	}
	return line;
}

std::string summary_paragraph(const std::vector<lu::model::result> &rs)
{
	using lu::model::property;
	using lu::model::verdict;
	auto pick = [&](property p, auto pred) {
		std::vector<std::string> out;
		for (const auto &r : rs)
			if (r.property == p && pred(r))
				out.push_back(variant_key(r));
		return out;
	};
	auto is = [](verdict v) { return [v](const lu::model::result &r) { return r.verdict == v; }; };
	auto sound = [](const lu::model::result &r) {
		return r.verdict == verdict::proved && r.vacuity != lu::model::vacuity::vacuous;
	};
	auto open = [](const lu::model::result &r) {
		return r.verdict == verdict::unknown || r.verdict == verdict::error ||
		       (r.verdict == verdict::proved && r.vacuity == lu::model::vacuity::vacuous);
	};

	std::string s = "The question (Pranjal Shrivastava, 2026-03-25): can a preserve of a vfio cdev return 0 "
			"while the device's PASID attachments are lost across the live update, so that the VMM "
			"finds out only when a PASID-tagged DMA faults?";
	const auto loses = pick(property::no_silent_pasid_loss, is(verdict::counterexample));
	const auto safe = pick(property::no_silent_pasid_loss, sound);
	const auto unsure = pick(property::no_silent_pasid_loss, open);
	if (loses.empty() && safe.empty() && unsure.empty()) {
		s += " This run did not check no-silent-pasid-loss, the property that answers it.";
	} else {
		if (!loses.empty()) {
			std::size_t shortest = 0;
			std::string where;
			for (const auto &r : rs)
				if (r.property == property::no_silent_pasid_loss && r.witness &&
				    (shortest == 0 || r.witness->trace.size() < shortest)) {
					shortest = r.witness->trace.size();
					where = variant_key(r);
				}
			s += fmt::format(" Yes under {}: the solver found a trace in which preserve returns 0 and "
					 "an attachment is gone after restore",
					 join(loses));
			s += shortest ? fmt::format(" (the shortest, under {}, has {} steps).", where, shortest) : ".";
		}
		if (!safe.empty())
			s += fmt::format(" No under {}: for every configuration, trace and PASID up to the bounds, a "
					 "successful preserve without IOMMU_LU_FLAG_IGNORE_PASID loses nothing.",
					 join(safe));
		if (!unsure.empty())
			s += fmt::format(" Open under {}: the solver gave no answer or the proof was vacuous.",
					 join(unsure));
	}
	if (const auto v = pick(property::rid_only_preservable, is(verdict::counterexample)); !v.empty())
		s += fmt::format(" {} cannot even preserve a device with only a RID attachment, so "
				 "its safety is vacuous in practice.",
				 join(v));
	if (const auto v = pick(property::pasid_survives_update, sound); !v.empty()) {
		const auto all = pick(property::pasid_survives_update, [](const lu::model::result &) { return true; });
		s += v.size() == all.size()
			     ? fmt::format(" A PASID attachment can survive the update under {}.", join(v))
			     : fmt::format(" Of the variants checked, only {} can carry a PASID attachment across "
					   "the update.",
					   join(v));
	}
	if (const auto v = pick(property::observable_contract, is(verdict::counterexample)); !v.empty())
		s += fmt::format(" Under {}, userspace cannot tell from the return values whether it runs on a "
				 "kernel that preserves PASIDs (observable-contract).",
				 join(v));
	if (const auto v = pick(property::loss_only_when_acknowledged, is(verdict::counterexample)); !v.empty())
		s += fmt::format(" Under {}, an attachment can be lost without any acknowledgement "
				 "(loss-only-when-acknowledged).",
				 join(v));
	return s;
}

std::string wrap(std::string_view text, std::size_t width, std::string_view indent)
{
	std::string out;
	std::size_t pos = 0;
	while (pos <= text.size()) {
		std::size_t nl = text.find('\n', pos);
		if (nl == std::string_view::npos)
			nl = text.size();
		std::string line(text.substr(pos, nl - pos));
		std::replace(line.begin(), line.end(), '\t', ' ');
		while (!line.empty() && line.back() == ' ')
			line.pop_back();
		// A line that fits is kept as it is (tables keep their alignment).
		if (line.size() <= width) {
			out += line + "\n";
			if (nl == text.size())
				break;
			pos = nl + 1;
			continue;
		}
		// Leading spaces of the logical line are kept on its first line.
		std::size_t lead = line.find_first_not_of(' ');
		if (lead == std::string::npos)
			lead = line.size();
		std::string cur = line.substr(0, lead);
		bool first_word = true;
		std::size_t i = lead;
		while (i < line.size()) {
			std::size_t j = line.find(' ', i);
			if (j == std::string::npos)
				j = line.size();
			std::string word = line.substr(i, j - i);
			i = j;
			while (i < line.size() && line[i] == ' ')
				++i;
			if (word.empty())
				continue;
			const std::size_t need = cur.size() + (first_word ? 0 : 1) + word.size();
			if (need <= width) {
				cur += (first_word ? "" : " ") + word;
				first_word = false;
				continue;
			}
			if (!first_word) {
				out += cur + "\n";
				cur = std::string(indent);
			}
			// Split a word longer than the room left on an empty line.
			while (cur.size() + word.size() > width) {
				const std::size_t room = width > cur.size() ? width - cur.size() : 1;
				out += cur + word.substr(0, room) + "\n";
				word = word.substr(room);
				cur = std::string(indent);
			}
			cur += word;
			first_word = false;
		}
		// Trailing spaces never reach the mail.
		while (!cur.empty() && cur.back() == ' ')
			cur.pop_back();
		out += cur + "\n";
		if (nl == text.size())
			break;
		pos = nl + 1;
	}
	return out;
}

namespace {

// A shell command wrapped the way a shell reads it back: a line that goes
// on ends in " \\", so that the command can be pasted from the mail.
std::string command_lines(const std::string &prefix, const std::string &cmd, std::size_t width,
			  const std::string &indent)
{
	std::string out, cur = prefix;
	bool first = true;
	std::size_t i = 0;
	while (i < cmd.size()) {
		std::size_t j = cmd.find(' ', i);
		if (j == std::string::npos)
			j = cmd.size();
		// Keep an option with its value: "--depth 8" is one unit.
		if (cmd.compare(i, 2, "--") == 0 && j < cmd.size()) {
			const std::size_t k = cmd.find(' ', j + 1);
			if (cmd.compare(j + 1, 2, "--") != 0)
				j = k == std::string::npos ? cmd.size() : k;
		}
		const std::string unit = cmd.substr(i, j - i);
		i = j < cmd.size() ? j + 1 : j;
		if (!first && cur.size() + 1 + unit.size() + 2 > width) {
			out += cur + " \\\n";
			cur = indent + unit;
		} else {
			cur += (first ? "" : " ") + unit;
		}
		first = false;
	}
	return out + cur + "\n";
}

} // namespace

std::string verdict_table(const std::vector<lu::model::result> &rs, bool legend)
{
	const std::size_t W = MAIL_COLUMNS;
	std::string out;
	auto para = [&](const std::string &s, std::string_view indent = "") { out += wrap(s, W, indent); };
	if (rs.empty())
		return out;

	// One row per property, one column per variant: six presets fit in 72
	// columns; more variants go on in further blocks of columns below.
	const auto vars = variant_names(rs);
	const auto props = property_ids(rs);
	std::map<std::pair<std::string, lu::model::property>, const lu::model::result *> cell;
	for (const auto &r : rs)
		cell[{variant_key(r), r.property}] = &r;
	std::size_t w0 = 10;
	for (auto p : props)
		w0 = std::max(w0, lu::model::info(p).column.size());
	std::vector<std::size_t> cw; // a column is as wide as its name and its widest cell
	for (const auto &v : vars) {
		std::size_t w = std::max<std::size_t>(v.size(), 7);
		for (const auto &r : rs)
			if (variant_key(r) == v)
				w = std::max(w, cell_word(r).size());
		cw.push_back(w);
	}

	if (legend)
		para("Verdicts (rows: properties, columns: kernel variants):");
	for (std::size_t first = 0; first < vars.size();) {
		// A block holds at least one column, so a name too long for the
		// line is wrapped by para() rather than lost.
		std::size_t last = first + 1, width = 2 + w0 + 1 + cw[first];
		while (last < vars.size() && width + 1 + cw[last] <= W)
			width += 1 + cw[last++];
		if (legend || first > 0)
			out += "\n";
		std::string head = fmt::format("  {:<{}}", "property", w0);
		for (std::size_t k = first; k < last; ++k)
			head += fmt::format(" {:<{}}", vars[k], cw[k]);
		para(head, "  ");
		for (auto p : props) {
			std::string row = fmt::format("  {:<{}}", lu::model::info(p).column, w0);
			for (std::size_t k = first; k < last; ++k) {
				auto it = cell.find({vars[k], p});
				row += fmt::format(" {:<{}}", it == cell.end() ? "-" : cell_word(*it->second), cw[k]);
			}
			para(row, "  ");
		}
		first = last;
	}
	if (!legend)
		return out;
	out += "\n";
	para("proved: holds for every configuration, trace and PASID up to the bounds (capability: a "
	     "witness exists). CEX: fails, a counterexample follows (capability: no witness up to the "
	     "bounds). VACUOUS: the premise is unsatisfiable, so the proof says nothing.");
	if (std::any_of(rs.begin(), rs.end(), [](const auto &r) { return r.every_depth && !r.any_size; }))
		para("proved*: proved for every trace length too, by an inductive invariant "
		     "(docs/model.md, \"Beyond bounded model checking\").");
	if (std::any_of(rs.begin(), rs.end(), [](const auto &r) { return r.any_size; }))
		para("proved**: devices any, hwpts any, depth any: proved for every number of devices, groups and hwpts "
		     "and every trace length, by a quantified inductive invariant (docs/model.md, \"Any number of devices, "
		     "groups and hwpts\").");
	para("Rows:");
	for (auto p : props) {
		const auto &pi = lu::model::info(p);
		para(fmt::format("  {:<{}} {} ({})", pi.column, w0, pi.name,
				 pi.kind == lu::model::property_kind::safety ? "safety" : "capability"),
		     std::string(w0 + 3, ' '));
	}
	return out;
}

std::string mail_report(const std::vector<lu::model::result> &rs, const run_info &run,
			const std::vector<bundle> &bundles)
{
	const std::size_t W = MAIL_COLUMNS;
	std::string out;
	auto para = [&](const std::string &s, std::string_view indent = "") { out += wrap(s, W, indent); };
	auto blank = [&] { out += "\n"; };
	if (rs.empty()) {
		para("iommufd-lu report: no results.");
		return out;
	}
	const auto &b0 = rs.front().bounds;

	para("iommufd-lu report: PASID attachments across a live update");
	blank();
	para(summary_paragraph(rs));
	blank();

	out += verdict_table(rs);

	// Counterexamples, numbered; capability witnesses are results too, but
	// only failures and open cells are decoded here (JSON has every witness).
	std::size_t n = 0;
	for (std::size_t i = 0; i < rs.size(); ++i) {
		const auto &r = rs[i];
		using lu::model::verdict;
		const bool show = r.verdict == verdict::counterexample || r.verdict == verdict::unknown ||
				  r.verdict == verdict::error || r.vacuity == lu::model::vacuity::vacuous;
		if (!show)
			continue;
		const auto &pi = lu::model::info(r.property);
		blank();
		para(fmt::format("{}. {}, {}: {}", ++n, variant_key(r), pi.name,
				 r.verdict == verdict::counterexample ? std::string(pi.message)
								      : std::string(lu::model::name(r.verdict))),
		     "   ");
		para(fmt::format("   code {}, policy {}, freeze {}, vfio_gate {}", lu::name(r.variant.version),
				 lu::name(r.variant.policy), lu::name(r.variant.freeze), lu::name(r.variant.vfio_gate)),
		     "   ");
		if (!r.reason.empty())
			para("   reason: " + r.reason, "     ");
		if (r.vacuity == lu::model::vacuity::vacuous)
			para("   The premise is unsatisfiable: this proof says nothing.", "   ");
		if (r.witness) {
			const auto &w = *r.witness;
			std::string cfg = "   config:";
			for (std::size_t d = 0; d < w.config.devices.size(); ++d)
				cfg += fmt::format(" dev {} (group {}, max_pasids {}{});", d, w.config.devices[d].group,
						   w.config.devices[d].max_pasids, w.config.devices[d].vf ? ", a VF" : "");
			for (std::size_t h = 0; h < w.config.hwpts.size(); ++h) {
				const auto &hc = w.config.hwpts[h];
				cfg += fmt::format(" hwpt {} ({}{}{});", h,
						   hc.kind == lu::hwpt_kind::nested ? fmt::format("nested on {}", hc.parent)
										    : "paging",
						   hc.pasid_compat ? ", pasid_compat" : "",
						   hc.kind == lu::hwpt_kind::paging ? (hc.sealed ? ", sealed" : ", not sealed")
										    : "");
			}
			cfg.pop_back();
			para(cfg, "     ");
			for (std::size_t k = 0; k < w.trace.size(); ++k) {
				const auto &s = w.trace[k];
				std::string line =
					fmt::format("   {:>2}. {:<44} = {}", k + 1, step_text(s.step), errno_name(s.ret));
				if (s.ret_other)
					line += fmt::format(" ({}: {})", w.other_variant, errno_name(*s.ret_other));
				para(line, "         ");
			}
			if (!w.at_kexec.empty() || !w.restored.empty()) {
				para("   at kexec: " + attachments_text(w.at_kexec), "     ");
				para("   restored: " + attachments_text(w.restored), "     ");
			}
			if (!w.other_variant.empty())
				para(fmt::format("   restored under {}: {}", w.other_variant,
						 attachments_text(w.restored_other)),
				     "     ");
			if (!w.lost.empty())
				para("   lost: " + lost_text(w.lost), "     ");
			// The uAPI rendering for every counterexample that loses an
			// attachment: what an RFC quotes.
			if (r.verdict == verdict::counterexample && !w.lost.empty()) {
				para("   As the ioctls a VMM issues (iommufd selftest shape):", "   ");
				blank();
				std::string c = uapi_selftest(r, "  ");
				para(c, "        ");
			}
		} else if (r.verdict == verdict::counterexample) {
			para(fmt::format("   No trace of up to {} steps is a witness ({}).", r.bounds.depth, r.note),
			     "   ");
		}
		para("   reproduce:");
		out += command_lines("     $ ", reproduce_command(r, run), W, "         ");
	}

	blank();
	para("Bounds");
	para("  " + bounds_text(b0) + ". Every verdict holds for these bounds only; "
	     "docs/assumptions.md lists what the model leaves out.",
	     "  ");
	for (const auto &r : rs)
		if (!(r.bounds.depth == b0.depth && r.bounds.devices == b0.devices && r.bounds.hwpts == b0.hwpts)) {
			para("  Some results have other bounds; each observation line gives its depth.", "  ");
			break;
		}

	blank();
	para("Versions");
	para(fmt::format("  {} {}, git {}", lu::tool_name, lu::tool_version, lu::tool_git), "    ");
	para(fmt::format("  {} {}, logic QF_BV, rlimit {} per check, random_seed {}, {} minimisation",
			 lu::model::solver_name(), lu::model::solver_version(), run.opt.rlimit, run.opt.random_seed,
			 run.opt.minimise ? "with" : "without"),
	     "    ");
	para("  model source sha256:");
	para("    " + model_source_sha256());
	para("  build sha256 (compiler, flags, git):");
	para("    " + build_sha256());
	if (!bundles.empty()) {
		blank();
		para("Certificates (files; SHA-256 of their lines of export-smt2's "
		     "SHA256SUMS, first 16 hex digits; each file in "
		     "`report --format json`):");
		for (std::size_t i = 0; i < rs.size() && i < bundles.size(); ++i) {
			const auto &b = bundles[i];
			std::string by;
			if (b.certification_checked)
				by = b.certified_by.empty() ? " not certified"
							    : fmt::format(" {}", fmt::join(b.certified_by, "+"));
			para(fmt::format("  {:<8} {:<27} {:>2} {}{}", variant_key(rs[i]), lu::model::info(rs[i].property).name,
					 b.certificate.size(),
					 b.certificate.empty() ? "(not exported)" : b.certificate_sha256.substr(0, 16), by),
			     "    ");
		}
	}

	blank();
	para("Reproduce");
	std::string all = "iommufd-lu report --format mail";
	{
		const auto seen = variant_names(rs);
		const auto props = property_ids(rs);
		if (seen.size() < lu::presets.size())
			for (const auto &k : seen)
				all += " --variant " + k;
		if (props.size() < lu::model::properties.size())
			for (auto p : props)
				all += fmt::format(" --property {}", lu::model::info(p).name);
		all += fmt::format(" --depth {}", b0.depth);
	}
	out += command_lines("  $ ", all, W, "      ");
	para("  Each result alone: the command under its observation line. To re-check without trusting "
	     "iommufd-lu: `iommufd-lu export-smt2 --out q` and run z3 or cvc5 on each q/*.smt2 "
	     "(docs/citing.md).",
	     "  ");

	blank();
	para("Observations (one line per result, for quoting)");
	for (const auto &r : rs) {
		para(observation_line(r), "    ");
		out += command_lines("  $ ", reproduce_command(r, run), W, "      ");
	}
	return out;
}

nlohmann::json witness_json(const lu::model::witness &w)
{
	auto attachments = [](const std::vector<lu::attachment> &v) {
		nlohmann::json j = nlohmann::json::array();
		for (const auto &a : v)
			j.push_back({{"dev", a.dev}, {"pasid", a.pasid}, {"hwpt", a.hwpt}});
		return j;
	};
	nlohmann::json trace = nlohmann::json::array();
	for (const auto &s : w.trace) {
		nlohmann::json j{{"op", lu::name(s.step.op)}, {"dev", s.step.dev},     {"pasid", s.step.pasid},
				 {"hwpt", s.step.hwpt},       {"flags", s.step.flags}, {"ret", s.ret},
				 {"token", s.step.token}};
		if (s.ret_other)
			j["ret_other"] = *s.ret_other;
		if (s.rule) {
			const auto &d = lu::info(*s.rule);
			j["rule"] = d.rule;
			j["rule_text"] = d.text;
			j["rule_code"] = d.code;
		}
		trace.push_back(j);
	}
	nlohmann::json lost = nlohmann::json::array();
	for (const auto &l : w.lost)
		lost.push_back({{"dev", l.dev}, {"pasid", l.pasid}});
	nlohmann::json devs = nlohmann::json::array(), hwpts = nlohmann::json::array();
	for (const auto &d : w.config.devices)
		devs.push_back({{"group", d.group}, {"max_pasids", d.max_pasids}, {"vf", d.vf}});
	for (const auto &h : w.config.hwpts)
		hwpts.push_back({{"kind", h.kind == lu::hwpt_kind::nested ? "nested" : "paging"},
				 {"parent", h.parent},
				 {"pasid_compat", h.pasid_compat},
				 {"sealed", h.sealed}});
	nlohmann::json j{{"trace", trace},
			 {"lost", lost},
			 {"config", {{"devices", devs}, {"hwpts", hwpts}}},
			 {"at_kexec", attachments(w.at_kexec)},
			 {"restored", attachments(w.restored)}};
	if (!w.other_variant.empty()) {
		j["other_variant"] = w.other_variant;
		j["restored_other"] = attachments(w.restored_other);
	}
	if (w.focus)
		j["focus"] = {{"dev", w.focus->dev}, {"pasid", w.focus->pasid}};
	return j;
}

namespace {

// What a verdict rests on that the tool did not check: the code its
// version is read from, and the preset's guesses.
nlohmann::json assumptions_json(const lu::variant &v)
{
	nlohmann::json j{{"code", lu::name(v.version)}, {"code_read", lu::code_read[static_cast<std::size_t>(v.version)]}};
	nlohmann::json guesses = nlohmann::json::array();
	for (const auto &p : lu::presets)
		if (p.variant == v && !p.unconfirmed.empty())
			guesses.push_back(p.unconfirmed);
	j["guesses"] = guesses;
	return j;
}

} // namespace

nlohmann::json result_json(const lu::model::result &r, const bundle *b)
{
	const auto &pi = lu::model::info(r.property);
	nlohmann::json j{{"variant", lu::name(r.variant)},
			 {"policy", lu::name(r.variant.policy)},
			 {"freeze", lu::name(r.variant.freeze)},
			 {"vfio_gate", lu::name(r.variant.vfio_gate)},
			 {"code", lu::name(r.variant.version)},
			 {"property", pi.name},
			 {"kind", pi.kind == lu::model::property_kind::safety ? "safety" : "capability"},
			 {"message", pi.message},
			 {"verdict", lu::model::name(r.verdict)},
			 {"bounds",
			  {{"devices", r.bounds.devices},
			   {"hwpts", r.bounds.hwpts},
			   {"depth", r.bounds.depth},
			   {"pasid_bits", r.bounds.pasid_bits}}},
			 {"vacuity", lu::model::name(r.vacuity)},
			 {"seconds", r.seconds},
			 {"note", r.note},
			 {"every_depth", r.every_depth},
			 {"any_size", r.any_size},
			 {"covers", r.covers()},
			 {"assumptions", assumptions_json(r.variant)},
			 {"observation", observation_line(r)},
			 {"witness", r.witness ? witness_json(*r.witness) : nlohmann::json(nullptr)}};
	if (!r.reason.empty())
		j["reason"] = r.reason;
	if (b) {
		nlohmann::json bj{{"model_sha256", b->model_sha256},
				  {"build_sha256", b->build_sha256},
				  {"certificate_sha256", b->certificate_sha256},
				  {"solver",
				   {{"name", b->solver_name},
				    {"version", b->solver_version},
				    {"params", {{"rlimit", b->rlimit}, {"random_seed", b->random_seed}, {"logic", b->logic}}},
				    {"seed", b->random_seed}}}};
		nlohmann::json files = nlohmann::json::array();
		for (const auto &f : b->certificate)
			files.push_back({{"file", f.name}, {"role", f.role}, {"expected", f.expected}, {"sha256", f.sha256}});
		bj["certificate"] = files;
		if (b->certification_checked)
			bj["certified_by"] = b->certified_by;
		if (!b->error.empty())
			bj["error"] = b->error;
		j["bundle"] = bj;
	}
	return j;
}

nlohmann::json report_json(const std::vector<lu::model::result> &rs, const run_info &run,
			   const std::vector<bundle> &bundles, const std::vector<cell_causes> *causes)
{
	nlohmann::json results = nlohmann::json::array();
	for (std::size_t i = 0; i < rs.size(); ++i) {
		nlohmann::json j = result_json(rs[i], i < bundles.size() ? &bundles[i] : nullptr);
		j["reproduce"] = reproduce_command(rs[i], run);
		if (causes && i < causes->size())
			j["causes"] = causes_json((*causes)[i]);
		results.push_back(j);
	}
	return nlohmann::json{
		{"tool", {{"name", lu::tool_name}, {"version", lu::tool_version}, {"git", lu::tool_git}}},
		{"solver",
		 {{"name", lu::model::solver_name()},
		  {"version", lu::model::solver_version()},
		  {"params", {{"rlimit", run.opt.rlimit}, {"random_seed", run.opt.random_seed}, {"logic", "QF_BV"}}}}},
		{"build", {{"config", build_config()}, {"sha256", build_sha256()}}},
		{"model", {{"sha256", model_source_sha256()}}},
		{"results", results},
		{"seconds", run.wall}};
}

} // namespace lu::verify
