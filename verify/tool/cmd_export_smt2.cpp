// SPDX-License-Identifier: GPL-2.0
// iommufd-lu export-smt2 --out DIR: the certificate of every verdict (each
// check it rests on) as self-contained QF_BV SMT-LIB2 files, with
// manifest.json giving per verdict its files and what Z3 answered on each,
// so that z3, cvc5 or boolector alone can re-check it (`certify DIR`).
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>

#include "commands.h"
#include "selection.h"
#include "lu/model/prove.h"
#include "lu/model/solver_info.h"
#include "lu/verify/emit.h"
#include "lu/verify/report.h"
#include "lu/verify/version.h"

namespace lu::cli {

namespace {

struct export_opts {
	std::string out;
	bool replace = false;
	selection sel;
	bool quiet = false;
};

// What an export writes besides its queries.
constexpr const char *MANIFEST = "manifest.json";
constexpr const char *SUMS = "SHA256SUMS";

// The files a previous export left in @dir: those its manifest names (plain
// names only, so a doctored manifest cannot reach outside @dir), every
// *.smt2, the manifest and SHA256SUMS, whichever exist.
std::vector<std::filesystem::path> previous_export(const std::filesystem::path &dir, std::error_code &ec)
{
	std::set<std::string> names;
	std::ifstream in(dir / MANIFEST);
	if (in) {
		auto m = nlohmann::json::parse(in, nullptr, false);
		for (const char *list : {"files", "scenarios"})
			if (m.is_object() && m.contains(list) && m[list].is_array())
				for (const auto &f : m[list])
					if (f.is_object() && f.contains("file") && f["file"].is_string()) {
						std::string n = f["file"];
						if (!n.empty() && n != "." && n != ".." && n.find('/') == std::string::npos)
							names.insert(n);
					}
	}
	for (const auto &e : std::filesystem::directory_iterator(dir, ec))
		if (e.path().extension() == ".smt2" || e.path().extension() == ".lu")
			names.insert(e.path().filename().string());
	names.insert(MANIFEST);
	names.insert(SUMS);
	std::vector<std::filesystem::path> out;
	for (const auto &n : names)
		if (std::filesystem::is_regular_file(std::filesystem::symlink_status(dir / n)))
			out.push_back(dir / n);
	return out;
}

// Make @o.out an empty or a new folder, or (--replace) one whose previous
// export is about to be removed; on bad input say why and return false.
bool check_out_dir(const export_opts &o, std::vector<std::filesystem::path> *stale)
{
	namespace fs = std::filesystem;
	std::error_code ec;
	const fs::path dir(o.out);
	const bool exists = fs::exists(dir, ec);
	if (ec) {
		fmt::print(stderr, "export-smt2: cannot read {}: {}\n", o.out, ec.message());
		return false;
	}
	if (!exists)
		return true;
	if (!fs::is_directory(dir, ec)) {
		fmt::print(stderr, "export-smt2: --out {}: not a folder\n", o.out);
		return false;
	}
	std::vector<std::string> entries;
	for (const auto &e : fs::directory_iterator(dir, ec))
		entries.push_back(e.path().filename().string());
	if (ec) {
		fmt::print(stderr, "export-smt2: cannot read {}: {}\n", o.out, ec.message());
		return false;
	}
	if (entries.empty())
		return true;
	std::sort(entries.begin(), entries.end());
	if (!o.replace) {
		fmt::print(stderr,
			   "export-smt2: --out {} is not empty ({} entries, first '{}'): new queries beside old ones "
			   "would mix two exports; give an empty or new folder, or --replace to remove the previous "
			   "export first\n",
			   o.out, entries.size(), entries.front());
		return false;
	}
	*stale = previous_export(dir, ec);
	if (ec) {
		fmt::print(stderr, "export-smt2: cannot read {}: {}\n", o.out, ec.message());
		return false;
	}
	bool has_export = std::ranges::any_of(*stale, [](const fs::path &p) {
		return p.filename() == MANIFEST || p.extension() == ".smt2";
	});
	if (!has_export) {
		fmt::print(stderr,
			   "export-smt2: --out {} holds no {} and no *.smt2, so no previous export for --replace to "
			   "remove ({} other entries, first '{}'); give an empty or new folder\n",
			   o.out, MANIFEST, entries.size(), entries.front());
		return false;
	}
	return true;
}

int run_export(const export_opts &o)
{
	resolved_selection sel;
	if (!resolve_selection("export-smt2", o.sel, &sel))
		return EXIT_BAD_INPUT;
	const auto &vars = sel.variants;
	const auto &props = sel.props;
	const auto &popt = sel.run.opt;

	std::vector<std::filesystem::path> stale;
	if (!check_out_dir(o, &stale))
		return EXIT_BAD_INPUT;
	std::error_code ec;
	std::filesystem::create_directories(o.out, ec);
	if (ec) {
		fmt::print(stderr, "export-smt2: cannot create {}: {}\n", o.out, ec.message());
		return EXIT_BAD_INPUT;
	}
	const std::size_t n = vars.size() * props.size();
	std::vector<std::vector<lu::model::smt2_query>> qs(n);
	std::vector<lu::model::result> rs(n);
	std::atomic<std::size_t> next{0};
	{
		progress prog("export-smt2", o.quiet);
		prog.phase("exporting", n, "cells");
		const auto done = count_cells(prog, sel);
		auto worker = [&] {
			for (std::size_t i; (i = next++) < n;) {
				const auto t0 = std::chrono::steady_clock::now();
				rs[i] = lu::model::prove(vars[i / props.size()], props[i % props.size()], popt, &qs[i]);
				if (done)
					done(i, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
			}
		};
		std::vector<std::thread> pool;
		for (unsigned t = 1; t < std::max(1u, sel.run.jobs); ++t)
			pool.emplace_back(worker);
		worker();
		for (auto &t : pool)
			t.join();
	}

	// --replace: the previous export goes only now that the new one is computed.
	for (const auto &p : stale) {
		std::filesystem::remove(p, ec);
		if (ec) {
			fmt::print(stderr, "export-smt2: --replace: cannot remove {}: {}\n", p.string(), ec.message());
			return EXIT_BAD_INPUT;
		}
	}
	if (!stale.empty())
		fmt::print("removed {} files of the previous export in {}\n", stale.size(), o.out);

	nlohmann::json files = nlohmann::json::array(), verdicts = nlohmann::json::array(),
		       scenarios = nlohmann::json::array();
	std::string sums; // SHA256SUMS: `sha256sum -c SHA256SUMS` checks the files
	int rc = EXIT_RAN;
	for (std::size_t i = 0; i < n; ++i) {
		const auto &r = rs[i];
		if (qs[i].empty()) {
			fmt::print(stderr, "export-smt2: {} {}: {}\n", lu::name(vars[i / props.size()]),
				   lu::model::info(props[i % props.size()]).name, r.reason);
			rc = EXIT_FAILED;
			continue;
		}
		nlohmann::json names = nlohmann::json::array();
		for (const auto &q : qs[i])
			names.push_back(q.file);
		nlohmann::json verdict{{"variant", std::string(lu::name(r.variant))},
				       {"property", lu::model::info(r.property).name},
				       {"verdict", lu::model::name(r.verdict)},
				       {"every_depth", r.every_depth},
				       {"any_size", r.any_size},
				       {"files", names}};
		// A witness also as a scenario, for `iommufd-lu check` to replay
		// on model and impl.
		if (const std::string lu_text = lu::verify::witness_scenario(r); !lu_text.empty()) {
			const std::string name = std::string(lu::name(r.variant)) + "__" +
						 std::string(lu::model::info(r.property).name) + ".witness.lu";
			std::ofstream f(std::filesystem::path(o.out) / name);
			f << lu_text;
			if (!f) {
				fmt::print(stderr, "export-smt2: cannot write {}/{}\n", o.out, name);
				return EXIT_BAD_INPUT;
			}
			scenarios.push_back({{"file", name}, {"sha256", lu::verify::sha256_hex(lu_text)}});
			sums += fmt::format("{}  {}\n", lu::verify::sha256_hex(lu_text), name);
			verdict["scenario"] = name;
		}
		verdicts.push_back(verdict);
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
					 {"what", q.what},
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
		{"recheck", "iommufd-lu certify DIR; by hand: sha256sum -c SHA256SUMS, then z3 FILE, cvc5 --bitblast=eager FILE "
			    "or boolector FILE: each prints the file's 'expected' (docs/citing.md, Certificates)"},
		{"bounds", {{"devices", popt.bounds.devices}, {"hwpts", popt.bounds.hwpts}, {"depth", popt.bounds.depth}, {"pasid_bits", lu::PASID_BITS}}},
		{"expected_meaning",
		 "each file's 'what' says what its expected answer proves; a verdict holds when every file of it gives "
		 "its expected answer"},
		{"verdicts", verdicts},
		{"files", files},
		{"scenarios", scenarios}};
	std::ofstream m(std::filesystem::path(o.out) / MANIFEST);
	m << manifest.dump(2) << "\n";
	std::ofstream(std::filesystem::path(o.out) / SUMS) << sums;
	fmt::print("wrote the certificates of {} verdicts ({} files), manifest.json and SHA256SUMS to {}\n",
		   verdicts.size(), files.size(), o.out);
	return rc;
}

} // namespace

void add_export_smt2(CLI::App &app, int *rc)
{
	auto o = std::make_shared<export_opts>();
	auto *cmd = app.add_subcommand("export-smt2", "Write the certificate of every verdict (each check it rests on) as self-contained SMT-LIB2 files with a manifest");
	cmd->add_option("--out", o->out, "Output folder: new or empty (exit 2 otherwise), unless --replace")->required();
	cmd->add_flag("--replace", o->replace,
		      "Into a folder of a previous export: first remove the files it wrote (those its manifest.json "
		      "names, *.smt2, *.lu, manifest.json, SHA256SUMS), leave the rest");
	add_selection_options(cmd, &o->sel);
	add_quiet_flag(cmd, &o->quiet);
	cmd->callback([o, rc] { *rc = run_export(*o); });
}

} // namespace lu::cli
