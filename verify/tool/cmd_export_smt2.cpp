// SPDX-License-Identifier: GPL-2.0
// iommufd-lu export-smt2 --out DIR: every query (and each safety query's
// premise) as a self-contained QF_ABV SMT-LIB2 file, with manifest.json
// giving what Z3 answered, so that z3, cvc5 or boolector alone can recheck.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "commands.h"
#include "selection.h"
#include "lu/model/prove.h"
#include "lu/model/solver_info.h"
#include "lu/verify/report.h"
#include "lu/verify/version.h"

namespace lu::cli {

namespace {

struct export_opts {
	std::string out;
	selection sel;
};

int run_export(const export_opts &o)
{
	resolved_selection sel;
	if (!resolve_selection("export-smt2", o.sel, &sel))
		return EXIT_BAD_INPUT;
	const auto &vars = sel.variants;
	const auto &props = sel.props;
	const auto &popt = sel.run.opt;

	std::error_code ec;
	std::filesystem::create_directories(o.out, ec);
	if (ec) {
		fmt::print(stderr, "export-smt2: cannot create {}: {}\n", o.out, ec.message());
		return EXIT_BAD_INPUT;
	}
	const std::size_t n = vars.size() * props.size();
	std::vector<std::vector<lu::model::smt2_query>> qs(n);
	std::vector<std::string> errs(n);
	std::atomic<std::size_t> next{0};
	auto worker = [&] {
		for (std::size_t i; (i = next++) < n;)
			qs[i] = lu::model::export_smt2(vars[i / props.size()], props[i % props.size()], popt, &errs[i]);
	};
	std::vector<std::thread> pool;
	for (unsigned t = 1; t < std::max(1u, sel.run.jobs); ++t)
		pool.emplace_back(worker);
	worker();
	for (auto &t : pool)
		t.join();

	nlohmann::json files = nlohmann::json::array();
	std::string sums; // SHA256SUMS: `sha256sum -c SHA256SUMS` checks the files
	int rc = EXIT_RAN;
	for (std::size_t i = 0; i < n; ++i) {
		if (!errs[i].empty() || qs[i].empty()) {
			fmt::print(stderr, "export-smt2: {} {}: {}\n", lu::name(vars[i / props.size()]),
				   lu::model::info(props[i % props.size()]).name, errs[i]);
			rc = EXIT_FAILED;
			continue;
		}
		for (auto &q : qs[i]) {
			const auto path = std::filesystem::path(o.out) / q.file;
			std::ofstream f(path);
			f << q.text;
			if (!f) {
				fmt::print(stderr, "export-smt2: cannot write {}\n", path.string());
				return EXIT_BAD_INPUT;
			}
			files.push_back({{"file", q.file},
					 {"variant", q.variant},
					 {"property", q.property},
					 {"role", q.role},
					 {"expected", q.expected},
					 {"logic", "QF_BV"},
					 {"sha256", lu::verify::sha256_hex(q.text)}});
			sums += fmt::format("{}  {}\n", lu::verify::sha256_hex(q.text), q.file);
		}
	}
	nlohmann::json manifest{
		{"tool", {{"name", lu::tool_name}, {"version", lu::tool_version}, {"git", lu::tool_git}}},
		{"solver",
		 {{"name", lu::model::solver_name()},
		  {"version", lu::model::solver_version()},
		  {"params", {{"rlimit", popt.rlimit}, {"random_seed", popt.random_seed}, {"logic", "QF_BV"}}}}},
		{"model", {{"sha256", lu::verify::model_source_sha256()}}},
		{"build", {{"config", lu::verify::build_config()}, {"sha256", lu::verify::build_sha256()}}},
		{"recheck", "sha256sum -c SHA256SUMS, then z3 FILE or cvc5 FILE: each prints the file's 'expected' (docs/citing.md)"},
		{"bounds", {{"devices", popt.bounds.devices}, {"hwpts", popt.bounds.hwpts}, {"depth", popt.bounds.depth}, {"pasid_bits", lu::PASID_BITS}}},
		{"expected_meaning",
		 "query: sat = counterexample (safety) or witness (capability); premise: sat = non-vacuous"},
		{"files", files}};
	std::ofstream m(std::filesystem::path(o.out) / "manifest.json");
	m << manifest.dump(2) << "\n";
	std::ofstream(std::filesystem::path(o.out) / "SHA256SUMS") << sums;
	fmt::print("wrote {} files, manifest.json and SHA256SUMS to {}\n", files.size(), o.out);
	return rc;
}

} // namespace

void add_export_smt2(CLI::App &app, int *rc)
{
	auto o = std::make_shared<export_opts>();
	auto *cmd = app.add_subcommand("export-smt2", "Write every query as a self-contained SMT-LIB2 file with a manifest");
	cmd->add_option("--out", o->out, "Output directory")->required();
	add_selection_options(cmd, &o->sel);
	cmd->callback([o, rc] { *rc = run_export(*o); });
}

} // namespace lu::cli
