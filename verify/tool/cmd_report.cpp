// SPDX-License-Identifier: GPL-2.0
// iommufd-lu report --format mail|json|uapi: the citable output of a proof
// run (lu/verify/report.h): a mail of at most 72 columns, the JSON with the
// verdict bundle of every result, or each witness as selftest-shaped ioctls.
#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "selection.h"
#include "lu/verify/report.h"
#include "lu/verify/uapi.h"

namespace lu::cli {

namespace {

struct report_opts {
	std::string format = "mail";
	selection sel;
	bool no_bundle = false;
	bool full = false;              // --full: the whole mail (every trace, C, certificates)
	std::vector<std::string> diff;  // --diff A B
	unsigned cap = 16;              // --cap: causes searched per cell
	std::string certified; // --certified: the output of certify --format json
	bool quiet = false;
};

// Read the output of `certify --format json` (at most 64 MiB); on bad input
// say why and return false.
bool read_certified(const std::string &path, nlohmann::json *out)
{
	std::error_code ec;
	const auto size = std::filesystem::file_size(path, ec);
	if (ec) {
		fmt::print(stderr, "report: --certified {}: {}\n", path, ec.message());
		return false;
	}
	if (size > (64u << 20)) {
		fmt::print(stderr, "report: --certified {}: {} bytes, more than the 64 MiB certify writes\n", path, size);
		return false;
	}
	std::ifstream in(path);
	*out = nlohmann::json::parse(in, nullptr, false);
	if (out->is_discarded()) {
		fmt::print(stderr, "report: --certified {}: not JSON (give the output of certify --format json)\n", path);
		return false;
	}
	return true;
}

// report --diff A B: both variants' cells and causes, then what differs.
int run_diff(const report_opts &o, resolved_selection &sel)
{
	std::vector<lu::variant> vs;
	for (const auto &name : o.diff) {
		const auto v = lu::find_preset(name);
		if (!v) {
			fmt::print(stderr, "report: --diff: unknown variant '{}' (v1, v2, post-v2, doc-only, reject, ack-flag, full)\n", name);
			return EXIT_BAD_INPUT;
		}
		vs.push_back(*v);
	}
	if (o.diff[0] == o.diff[1]) {
		fmt::print(stderr, "report: --diff: give two different variants, not {} twice\n", o.diff[0]);
		return EXIT_BAD_INPUT;
	}
	std::vector<std::vector<lu::model::result>> res(2);
	std::vector<std::vector<lu::verify::cell_causes>> cs(2);
	{
		progress prog("report", o.quiet);
		for (std::size_t i = 0; i < 2; ++i) {
			resolved_selection one = sel;
			one.variants = {vs[i]};
			prog.phase(fmt::format("proving {}", o.diff[i]), one.props.size(), "cells");
			res[i] = lu::verify::prove_cells(one.variants, one.props, sel.run, count_cells(prog, one));
			prog.phase(fmt::format("finding the causes of {}", o.diff[i]), one.props.size(), "cells");
			cs[i] = lu::verify::causes_for(res[i], sel.run, o.cap, count_cells(prog, one));
		}
	}
	if (o.format == "json") {
		nlohmann::json j{{"diff", o.diff},
				 {"a", lu::verify::report_json(res[0], sel.run, {}, &cs[0])},
				 {"b", lu::verify::report_json(res[1], sel.run, {}, &cs[1])}};
		fmt::print("{}\n", j.dump(2));
	} else {
		fmt::print("{}", lu::verify::diff_report(res[0], cs[0], res[1], cs[1], sel.run));
	}
	return EXIT_RAN;
}

int run_report(report_opts o)
{
	o.full = o.full || !o.certified.empty(); // certification is a part of the full mail
	resolved_selection sel;
	if (!resolve_selection("report", o.sel, &sel))
		return EXIT_BAD_INPUT;
	auto &run = sel.run;
	if (o.cap == 0) {
		fmt::print(stderr, "report: --cap 0: at least one cause per cell must be searched\n");
		return EXIT_BAD_INPUT;
	}
	if (!o.diff.empty()) {
		if (!o.sel.variants.empty() || !o.sel.policy.empty() || !o.sel.freeze.empty() || !o.sel.vfio_gate.empty() ||
		    !o.sel.code.empty()) {
			fmt::print(stderr, "report: --diff names its two variants; drop --variant and the knobs\n");
			return EXIT_BAD_INPUT;
		}
		if (o.format == "uapi" || o.full || !o.certified.empty()) {
			fmt::print(stderr, "report: --diff prints mail or json, without --full or --certified\n");
			return EXIT_BAD_INPUT;
		}
		return run_diff(o, sel);
	}

	nlohmann::json certified;
	if (!o.certified.empty() && !read_certified(o.certified, &certified))
		return EXIT_BAD_INPUT;

	const auto t0 = std::chrono::steady_clock::now();
	std::vector<lu::model::result> res;
	std::vector<lu::verify::bundle> bundles;
	std::vector<lu::verify::cell_causes> causes;
	{
		progress prog("report", o.quiet);
		const std::size_t n = sel.variants.size() * sel.props.size();
		prog.phase("proving", n, "cells");
		res = lu::verify::prove_cells(sel.variants, sel.props, run, count_cells(prog, sel));
		if (o.format == "json" || (o.format == "mail" && !o.full)) {
			prog.phase("finding the causes of", n, "cells");
			causes = lu::verify::causes_for(res, run, o.cap, count_cells(prog, sel));
		}
		if (!o.no_bundle && o.format != "uapi" && (o.full || o.format == "json")) {
			prog.phase("exporting and hashing the queries of", n, "cells");
			bundles = lu::verify::bundles_for(res, run, count_cells(prog, sel));
		}
	}
	run.wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
	if (!o.certified.empty()) {
		try {
			lu::verify::apply_certification(res, bundles, certified);
		} catch (const std::invalid_argument &e) {
			fmt::print(stderr, "report: --certified {}: {}\n", o.certified, e.what());
			return EXIT_BAD_INPUT;
		}
	}

	if (o.format == "json") {
		fmt::print("{}\n", lu::verify::report_json(res, run, bundles, &causes).dump(2));
	} else if (o.format == "uapi") {
		for (const auto &r : res)
			if (r.witness)
				fmt::print("{}\n", lu::verify::uapi_selftest_file(r));
	} else if (o.full) {
		fmt::print("{}", lu::verify::mail_report(res, run, bundles));
	} else {
		fmt::print("{}", lu::verify::brief_report(res, causes, run));
	}
	return EXIT_RAN;
}

} // namespace

void add_report(CLI::App &app, int *rc)
{
	auto o = std::make_shared<report_opts>();
	auto *cmd = app.add_subcommand("report", "Citable output: a 72-column mail, JSON with the verdict bundle, "
						 "or each witness as the ioctls a VMM issues");
	cmd->add_option("--format", o->format,
			"mail (default: one screen, the reviewer's case, verdicts, causes, a trace per cause), "
			"json (with every cause) or uapi")
		->check(CLI::IsMember({"mail", "json", "uapi"}));
	cmd->add_flag("--full", o->full,
		      "The whole mail: every counterexample with its C rendering, bounds, versions, certificates");
	cmd->add_option("--diff", o->diff, "Two variants A B: which verdicts and causes change from A to B")
		->expected(2);
	cmd->add_option("--cap", o->cap, "Causes searched per failing cell, at least 1")
		->capture_default_str();
	add_selection_options(cmd, &o->sel);
	auto *nb = cmd->add_flag("--no-bundle", o->no_bundle,
				 "Leave out the certificates' hashes (half the time)");
	cmd->add_option("--certified", o->certified,
			"The output of `certify --format json`: say per verdict which solvers certified its very "
			"certificate (same SHA-256)")
		->excludes(nb);
	add_quiet_flag(cmd, &o->quiet);
	cmd->callback([o, rc] { *rc = run_report(*o); });
}

} // namespace lu::cli
