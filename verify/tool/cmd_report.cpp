// SPDX-License-Identifier: GPL-2.0
// iommufd-lu report --format mail|json|uapi: the citable output of a proof
// run (lu/verify/report.h): a mail of at most 72 columns, the JSON with the
// verdict bundle of every result, or each witness as selftest-shaped ioctls.
#include <fmt/format.h>

#include <chrono>

#include "commands.h"
#include "lu/verify/report.h"
#include "lu/verify/uapi.h"

namespace lu::cli {

namespace {

struct report_opts {
	std::string format = "mail";
	std::vector<std::string> variants;
	std::vector<std::string> props;
	unsigned depth = 8, devices = 2, hwpts = 3;
	std::uint64_t rlimit = lu::model::prove_options{}.rlimit;
	unsigned jobs = 2;
	bool no_bundle = false;
};

int run_report(const report_opts &o)
{
	std::vector<lu::variant> vars;
	if (o.variants.empty())
		for (const auto &p : lu::presets)
			vars.push_back(p.variant);
	for (const auto &n : o.variants) {
		auto p = lu::find_preset(n);
		if (!p) {
			fmt::print(stderr, "report: unknown variant '{}' (v1, v2, doc-only, reject, ack-flag, full)\n", n);
			return EXIT_BAD_INPUT;
		}
		vars.push_back(*p);
	}
	std::vector<lu::model::property> props;
	if (o.props.empty())
		for (const auto &p : lu::model::properties)
			props.push_back(p.id);
	for (const auto &n : o.props) {
		auto p = lu::model::parse_property(n);
		if (!p) {
			fmt::print(stderr, "report: unknown property '{}'\n", n);
			return EXIT_BAD_INPUT;
		}
		props.push_back(*p);
	}
	if (o.depth < 1 || o.depth > 64 || o.devices < 1 || o.devices > 4 || o.hwpts < 2 || o.hwpts > 6) {
		fmt::print(stderr, "report: bounds out of range (1 <= depth <= 64, 1 <= devices <= 4, 2 <= hwpts <= 6)\n");
		return EXIT_BAD_INPUT;
	}
	lu::verify::run_info run;
	run.opt.bounds.depth = o.depth;
	run.opt.bounds.devices = o.devices;
	run.opt.bounds.hwpts = o.hwpts;
	run.opt.rlimit = o.rlimit;
	run.jobs = o.jobs;

	const auto t0 = std::chrono::steady_clock::now();
	const auto res = lu::verify::prove_cells(vars, props, run);
	std::vector<lu::verify::bundle> bundles;
	if (!o.no_bundle && o.format != "uapi")
		bundles = lu::verify::bundles_for(res, run);
	run.wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

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
	cmd->add_option("--variant", o->variants, "Preset(s): v1, v2, doc-only, reject, ack-flag, full (default: all)");
	cmd->add_option("--property", o->props, "Property id(s) (default: all)");
	cmd->add_option("--depth", o->depth, "Trace length bound (default 8)");
	cmd->add_option("--devices", o->devices, "Devices bound (default 2)");
	cmd->add_option("--hwpts", o->hwpts, "Hwpts bound (default 3)");
	cmd->add_option("--rlimit", o->rlimit, "Z3 resource limit per check (deterministic)");
	cmd->add_option("--jobs", o->jobs, "Threads (default 2)");
	cmd->add_flag("--no-bundle", o->no_bundle, "Leave out the hashes of the exported queries (half the time)");
	cmd->callback([o, rc] { *rc = run_report(*o); });
}

} // namespace lu::cli
