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

int run_report(const report_opts &o)
{
	resolved_selection sel;
	if (!resolve_selection("report", o.sel, &sel))
		return EXIT_BAD_INPUT;
	auto &run = sel.run;

	nlohmann::json certified;
	if (!o.certified.empty() && !read_certified(o.certified, &certified))
		return EXIT_BAD_INPUT;

	const auto t0 = std::chrono::steady_clock::now();
	std::vector<lu::model::result> res;
	std::vector<lu::verify::bundle> bundles;
	{
		progress prog("report", o.quiet);
		const std::size_t n = sel.variants.size() * sel.props.size();
		prog.phase("proving", n, "cells");
		res = lu::verify::prove_cells(sel.variants, sel.props, run, count_cells(prog, sel));
		if (!o.no_bundle && o.format != "uapi") {
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
		fmt::print("{}\n", lu::verify::report_json(res, run, bundles).dump(2));
	} else if (o.format == "uapi") {
		for (const auto &r : res)
			if (r.witness)
				fmt::print("{}\n", lu::verify::uapi_selftest(r));
	} else {
		fmt::print("{}", lu::verify::mail_report(res, run, bundles));
	}
	return EXIT_RAN;
}

} // namespace

void add_report(CLI::App &app, int *rc)
{
	auto o = std::make_shared<report_opts>();
	auto *cmd = app.add_subcommand("report", "Citable output: a 72-column mail, JSON with the verdict bundle, "
						 "or each witness as the ioctls a VMM issues");
	cmd->add_option("--format", o->format, "mail (default), json or uapi")
		->check(CLI::IsMember({"mail", "json", "uapi"}));
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
