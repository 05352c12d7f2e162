// SPDX-License-Identifier: GPL-2.0
// iommufd-lu prove: every property x every preset (or the variants and
// properties asked for), as a verdict table, then each counterexample
// decoded step by step; --format json keeps the keys of DESIGN section 4.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstring>

#include "commands.h"
#include "selection.h"
#include "lu/model/prove.h"
#include "lu/model/solver_info.h"
#include "lu/verify/emit.h"
#include "lu/verify/report.h"
#include "lu/verify/version.h"

namespace lu::cli {

namespace {

struct prove_opts {
	selection sel;
	std::string format = "text";
	bool no_minimise = false;
	std::string emit_dir; // --emit-scenarios: every witness as a scenario (verify/src/emit.cpp)
	bool quiet = false;
};

std::string config_text(const lu::config &c)
{
	std::string out;
	for (std::size_t d = 0; d < c.devices.size(); ++d)
		out += fmt::format("  dev {}: group {}, max_pasids {}{}\n", d, c.devices[d].group, c.devices[d].max_pasids,
				   c.devices[d].vf ? ", a VF" : "");
	for (std::size_t h = 0; h < c.hwpts.size(); ++h) {
		const auto &hc = c.hwpts[h];
		out += fmt::format("  hwpt {}: {}{}{}{}\n", h,
				   hc.kind == lu::hwpt_kind::nested ? fmt::format("nested (parent {})", hc.parent) : "paging",
				   hc.pasid_compat ? ", pasid_compat" : "",
				   hc.kind == lu::hwpt_kind::paging ? (hc.sealed ? ", sealed" : ", not sealed") : "", "");
	}
	return out;
}

void print_text(const prove_opts &o, const std::vector<lu::variant> &vars, const std::vector<lu::model::property> &props,
		const std::vector<lu::model::result> &res, double wall)
{
	const auto &b = res.front().bounds;
	fmt::print("iommufd-lu prove: {} variant(s) x {} propert{}; bounds: {} devices, {} hwpts, depth {}, {}-bit PASIDs\n\n",
		   vars.size(), props.size(), props.size() == 1 ? "y" : "ies", b.devices, b.hwpts, b.depth, b.pasid_bits);
	fmt::print("{}", lu::verify::verdict_table(res));

	for (const auto &r : res) {
		const auto &pi = lu::model::info(r.property);
		const bool show = r.verdict == lu::model::verdict::counterexample || r.verdict == lu::model::verdict::unknown ||
				  r.verdict == lu::model::verdict::error || r.vacuity == lu::model::vacuity::vacuous;
		if (!show)
			continue;
		fmt::print("\n== {} ({}): {}\n", lu::name(r.variant), pi.name, r.verdict == lu::model::verdict::counterexample ? pi.message : lu::model::name(r.verdict));
		if (!r.reason.empty())
			fmt::print("reason: {}\n", r.reason);
		if (r.vacuity == lu::model::vacuity::vacuous)
			fmt::print("the premise is unsatisfiable: this proof says nothing (a defect)\n");
		if (!r.witness) {
			if (r.verdict == lu::model::verdict::counterexample)
				fmt::print("no trace of up to {} steps has a witness ({})\n", r.bounds.depth, r.note);
			continue;
		}
		const auto &w = *r.witness;
		fmt::print("variant: code {}, policy {}, freeze {}, vfio_gate {}\nconfig:\n{}", lu::name(r.variant.version),
			   lu::name(r.variant.policy), lu::name(r.variant.freeze), lu::name(r.variant.vfio_gate),
			   config_text(w.config));
		for (std::size_t i = 0; i < w.trace.size(); ++i) {
			const auto &s = w.trace[i];
			fmt::print("  {:>2}. {:<52} = {}", i + 1, lu::verify::step_text(s.step), lu::verify::errno_name(s.ret));
			if (s.ret_other)
				fmt::print("   ({}: {})", w.other_variant, lu::verify::errno_name(*s.ret_other));
			fmt::print("\n");
		}
		if (w.focus)
			fmt::print("about: dev {}, pasid {}\n", w.focus->dev, w.focus->pasid);
		fmt::print("at kexec: {}\nrestored: {}\n", lu::verify::attachments_text(w.at_kexec), lu::verify::attachments_text(w.restored));
		if (!w.other_variant.empty())
			fmt::print("restored under {}: {}\n", w.other_variant, lu::verify::attachments_text(w.restored_other));
		std::string lost;
		for (const auto &l : w.lost)
			lost += fmt::format("{}(dev {}, pasid {})", lost.empty() ? "" : ", ", l.dev, l.pasid);
		fmt::print("lost: {}\n", lost.empty() ? "(none)" : lost);
	}
	double sum = 0;
	for (const auto &r : res)
		sum += r.seconds;
	fmt::print("\nbounds: {} devices (symbolic groups), {} hwpts (symbolic kinds), traces up to {} steps, all 2^32 PASID "
		   "arguments over {}-bit tables\nsolver: {} {}, rlimit {} per check, random_seed 0; {:.1f} s of solving, "
		   "{:.1f} s wall ({} jobs)\n",
		   b.devices, b.hwpts, b.depth, b.pasid_bits, lu::model::solver_name(), lu::model::solver_version(), o.sel.rlimit,
		   sum, wall, o.sel.jobs);
}

int run_prove(const prove_opts &o)
{
	resolved_selection sel;
	if (!resolve_selection("prove", o.sel, &sel))
		return EXIT_BAD_INPUT;
	const auto &props = sel.props;
	auto run = sel.run;
	run.opt.minimise = !o.no_minimise;

	// Cells are independent (one Z3 context each): run them on --jobs threads.
	const auto t0 = std::chrono::steady_clock::now();
	std::vector<lu::model::result> res;
	{
		progress prog("prove", o.quiet);
		prog.phase("proving", sel.variants.size() * props.size(), "cells");
		res = lu::verify::prove_cells(sel.variants, props, run, count_cells(prog, sel));
	}
	const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

	bool any_error = false;
	for (const auto &r : res)
		any_error |= r.verdict == lu::model::verdict::error;
	if (!o.emit_dir.empty()) {
		try {
			auto nw = lu::verify::emit_scenarios(o.emit_dir, res);
			fmt::print(stderr, "prove: wrote {} scenario(s) to {}\n", nw, o.emit_dir);
		} catch (const std::exception &e) {
			fmt::print(stderr, "prove: --emit-scenarios: {}\n", e.what());
			return EXIT_BAD_INPUT;
		}
	}

	if (o.format == "json") {
		run.wall = wall;
		fmt::print("{}\n", lu::verify::report_json(res, run, {}).dump(2));
	} else if (o.format == "mail") {
		run.wall = wall;
		fmt::print("{}", lu::verify::mail_report(res, run, {}));
	} else {
		print_text(o, sel.variants, props, res, wall);
	}
	return any_error ? EXIT_FAILED : EXIT_RAN;
}

} // namespace

void add_prove(CLI::App &app, int *rc)
{
	auto o = std::make_shared<prove_opts>();
	auto *cmd = app.add_subcommand("prove", "Prove every property for every kernel variant (bounded model checking)");
	add_selection_options(cmd, &o->sel);
	cmd->add_option("--format", o->format, "text, json or mail (72 columns; report adds the query hashes)")
		->check(CLI::IsMember({"text", "json", "mail"}));
	cmd->add_flag("--no-minimise", o->no_minimise, "Report the first counterexample found");
	cmd->add_option("--emit-scenarios", o->emit_dir, "Write every counterexample and witness as a scenario file here");
	add_quiet_flag(cmd, &o->quiet);
	cmd->callback([o, rc] { *rc = run_prove(*o); });
}

} // namespace lu::cli
