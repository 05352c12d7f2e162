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
#include "lu/model/prove.h"
#include "lu/model/solver_info.h"
#include "lu/verify/report.h"
#include "lu/verify/version.h"

namespace lu::cli {

namespace {

struct export_opts {
	std::string out;
	std::vector<std::string> variants;
	std::vector<std::string> props;
	unsigned depth = 8, devices = 2, hwpts = 3;
	unsigned jobs = 2;
};

// FNV-1a, 64 bits: a content fingerprint for the manifest (not a security hash).
std::string fnv1a64(const std::string &s)
{
	std::uint64_t h = 0xcbf29ce484222325ull;
	for (unsigned char ch : s) {
		h ^= ch;
		h *= 0x100000001b3ull;
	}
	return fmt::format("{:016x}", h);
}

int run_export(const export_opts &o)
{
	std::vector<std::pair<std::string, lu::variant>> vars;
	if (o.variants.empty())
		for (const auto &p : lu::presets)
			vars.emplace_back(std::string(p.name), p.variant);
	for (const auto &n : o.variants) {
		auto p = lu::find_preset(n);
		if (!p) {
			fmt::print(stderr, "export-smt2: unknown variant '{}'\n", n);
			return EXIT_BAD_INPUT;
		}
		vars.emplace_back(n, *p);
	}
	std::vector<lu::model::property> props;
	if (o.props.empty())
		for (const auto &p : lu::model::properties)
			props.push_back(p.id);
	for (const auto &n : o.props) {
		auto p = lu::model::parse_property(n);
		if (!p) {
			fmt::print(stderr, "export-smt2: unknown property '{}'\n", n);
			return EXIT_BAD_INPUT;
		}
		props.push_back(*p);
	}
	if (o.depth < 1 || o.depth > 64 || o.devices < 1 || o.devices > 4 || o.hwpts < 2 || o.hwpts > 6) {
		fmt::print(stderr, "export-smt2: bounds out of range\n");
		return EXIT_BAD_INPUT;
	}
	std::error_code ec;
	std::filesystem::create_directories(o.out, ec);
	if (ec) {
		fmt::print(stderr, "export-smt2: cannot create {}: {}\n", o.out, ec.message());
		return EXIT_BAD_INPUT;
	}
	lu::model::prove_options popt;
	popt.bounds.depth = o.depth;
	popt.bounds.devices = o.devices;
	popt.bounds.hwpts = o.hwpts;

	const std::size_t n = vars.size() * props.size();
	std::vector<std::vector<lu::model::smt2_query>> qs(n);
	std::vector<std::string> errs(n);
	std::atomic<std::size_t> next{0};
	auto worker = [&] {
		for (std::size_t i; (i = next++) < n;)
			qs[i] = lu::model::export_smt2(vars[i / props.size()].second, props[i % props.size()], popt, &errs[i]);
	};
	std::vector<std::thread> pool;
	for (unsigned t = 1; t < std::max(1u, o.jobs); ++t)
		pool.emplace_back(worker);
	worker();
	for (auto &t : pool)
		t.join();

	nlohmann::json files = nlohmann::json::array();
	std::string sums; // SHA256SUMS: `sha256sum -c SHA256SUMS` checks the files
	int rc = EXIT_RAN;
	for (std::size_t i = 0; i < n; ++i) {
		if (!errs[i].empty() || qs[i].empty()) {
			fmt::print(stderr, "export-smt2: {} {}: {}\n", vars[i / props.size()].first,
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
					 {"fnv1a64", fnv1a64(q.text)},
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
		{"bounds", {{"devices", o.devices}, {"hwpts", o.hwpts}, {"depth", o.depth}, {"pasid_bits", lu::PASID_BITS}}},
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
	cmd->add_option("--variant", o->variants, "Preset(s) (default: all)");
	cmd->add_option("--property", o->props, "Property id(s) (default: all)");
	cmd->add_option("--depth", o->depth, "Trace length bound (default 8)");
	cmd->add_option("--devices", o->devices, "Devices bound (default 2)");
	cmd->add_option("--hwpts", o->hwpts, "Hwpts bound (default 3)");
	cmd->add_option("--jobs", o->jobs, "Threads (default 2)");
	cmd->callback([o, rc] { *rc = run_export(*o); });
}

} // namespace lu::cli
