// SPDX-License-Identifier: GPL-2.0
// iommufd-lu certify DIR: re-check every certificate of an export-smt2
// folder with z3, cvc5 and boolector (lu/verify/certify.h); per verdict,
// which solvers certify it and in how many seconds.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <map>
#include <mutex>

#include "commands.h"
#include "progress.h"
#include "lu/verify/backend.h"
#include "lu/verify/certify.h"
#include "lu/verify/judge.h"
#include "lu/verify/report.h"
#include "lu/verify/scenario.h"

namespace lu::cli {

namespace {

struct certify_opts {
	std::string dir;
	std::vector<std::string> solvers;
	unsigned timeout = 300;
	unsigned jobs = 2;
	std::string format = "text";
	bool quiet = false;
};

// One verdict's standing with one solver.
struct standing {
	bool certified = true; // every file of the verdict agreed
	bool takes = true;     // the solver takes every file's logic (else n/a)
	double seconds = 0;
};

int run_certify(const certify_opts &o)
{
	using namespace lu::verify;
	std::vector<cert_solver> solvers;
	for (const auto &name : o.solvers) {
		const auto &all = default_cert_solvers();
		const auto it = std::ranges::find_if(all, [&](const cert_solver &s) { return s.name == name; });
		solvers.push_back(*it); // CLI::IsMember checked the name
	}
	if (solvers.empty())
		solvers = default_cert_solvers();
	certificate_set set;
	try {
		set = load_certificates(o.dir);
	} catch (const certify_error &e) {
		fmt::print(stderr, "certify: {}\n", e.what());
		return EXIT_BAD_INPUT;
	}
	certify_result res;
	{
		progress prog("certify", o.quiet);
		std::size_t runs = 0;
		for (const auto &f : set.files)
			runs += f.expected == "unknown" ? 0 : solvers.size();
		prog.phase("checking", runs, "runs");
		res = certify(set, solvers, o.timeout, o.jobs, [&](const cert_run &r) {
			prog.done(fmt::format("{} {}", solvers[r.solver].name, set.files[r.file].name), r.seconds);
		});
	}

	// Each witness's scenario, replayed on the model and on the impl: they
	// must give the decoded trace's returns, loss and restored set.
	std::vector<std::string> replay(set.verdicts.size()); // "", "pass" or why not
	std::size_t replay_failures = 0;
	{
		const auto impl = make_impl_backend();
		const auto model = make_model_backend();
		for (std::size_t v = 0; v < set.verdicts.size(); ++v) {
			if (set.verdicts[v].scenario < 0)
				continue;
			const auto &sc = set.scenarios[static_cast<std::size_t>(set.verdicts[v].scenario)];
			std::string err;
			const std::string text = read_scenario(set, static_cast<std::size_t>(set.verdicts[v].scenario), &err);
			if (err.empty()) {
				try {
					const auto j = judge(parse_scenario(text, sc.name), *impl, *model);
					if (j.overall != lu::verify::verdict::pass)
						err = fmt::format("{} on replay", name(j.overall));
				} catch (const scenario_error &e) {
					err = e.what();
				}
			}
			replay[v] = err.empty() ? "pass" : fmt::format("{}: {}", sc.name, err);
			replay_failures += !err.empty();
		}
	}
	const bool ok = res.ok() && replay_failures == 0;

	// Per verdict and solver: certified when every file agreed.
	std::map<std::size_t, const cert_run *> by_key; // file * solvers + solver
	for (const auto &r : res.runs)
		by_key[r.file * solvers.size() + r.solver] = &r;
	std::vector<std::vector<standing>> st(set.verdicts.size(), std::vector<standing>(solvers.size()));
	std::size_t certified_by_all = 0;
	for (std::size_t v = 0; v < set.verdicts.size(); ++v) {
		bool all = true;
		for (std::size_t s = 0; s < solvers.size(); ++s) {
			bool &takes = st[v][s].takes;
			for (const std::size_t f : set.verdicts[v].files) {
				const auto it = by_key.find(f * solvers.size() + s);
				if (it == by_key.end()) { // hash failure, skipped or not its logic: not certified
					st[v][s].certified = false;
					takes = takes && !(f < res.quantified.size() && res.quantified[f] &&
							   solvers[s].quantified_argv.empty());
					continue;
				}
				st[v][s].certified = st[v][s].certified && it->second->agrees();
				st[v][s].seconds += it->second->seconds;
			}
			all = all && (st[v][s].certified || !takes);
		}
		certified_by_all += all;
	}
	std::vector<double> solver_seconds(solvers.size());
	std::vector<std::size_t> solver_agree(solvers.size()), solver_runs(solvers.size());
	for (const auto &r : res.runs) {
		solver_seconds[r.solver] += r.seconds;
		solver_runs[r.solver] += 1;
		solver_agree[r.solver] += r.agrees();
	}

	if (o.format == "json") {
		nlohmann::json j;
		j["dir"] = o.dir;
		j["timeout"] = o.timeout;
		j["jobs"] = o.jobs;
		for (std::size_t s = 0; s < solvers.size(); ++s)
			j["solvers"].push_back({{"name", solvers[s].name},
						{"command", solvers[s].argv},
						{"runs", solver_runs[s]},
						{"agree", solver_agree[s]},
						{"seconds", solver_seconds[s]}});
		j["verdicts"] = nlohmann::json::array();
		for (std::size_t v = 0; v < set.verdicts.size(); ++v) {
			const auto &cv = set.verdicts[v];
			nlohmann::json by = nlohmann::json::array(), per = nlohmann::json::object();
			for (std::size_t s = 0; s < solvers.size(); ++s) {
				if (st[v][s].certified)
					by.push_back(solvers[s].name);
				per[solvers[s].name] = {{"certified", st[v][s].certified}, {"seconds", st[v][s].seconds}};
			}
			std::string sums; // as lu::verify::bundle::certificate_sha256
			for (const std::size_t f : cv.files)
				sums += fmt::format("{}  {}\n", set.files[f].sha256, set.files[f].name);
			j["verdicts"].push_back({{"variant", cv.variant},
						 {"property", cv.property},
						 {"certificate_sha256", sha256_hex(sums)},
						 {"verdict", cv.verdict},
						 {"every_depth", cv.every_depth},
						 {"any_size", cv.any_size},
						 {"files", cv.files.size()},
						 {"certified_by", by},
						 {"solvers", per},
						 {"replay", replay[v].empty() ? nlohmann::json(nullptr) : nlohmann::json(replay[v])}});
		}
		j["problems"] = nlohmann::json::array();
		for (const auto &r : res.runs)
			if (!r.agrees())
				j["problems"].push_back({{"file", set.files[r.file].name},
							 {"solver", solvers[r.solver].name},
							 {"expected", r.expected},
							 {"got", r.got},
							 {"seconds", r.seconds}});
		j["hash_failures"] = res.hash_failures;
		j["disagreements"] = res.disagreements();
		j["no_answer"] = res.no_answer();
		j["skipped"] = res.skipped;
		j["not_applicable"] = res.not_applicable;
		j["certified_verdicts"] = certified_by_all;
		j["replay_failures"] = replay_failures;
		j["wall"] = res.wall;
		j["ok"] = ok;
		fmt::print("{}\n", j.dump(2));
		return ok ? EXIT_RAN : EXIT_FAILED;
	}

	std::string names;
	for (const auto &s : solvers)
		names += (names.empty() ? "" : ", ") + fmt::format("{}", fmt::join(s.argv, " "));
	fmt::print("certify {}: {} verdicts, {} files; solvers: {}; {} s per run, {} jobs\n\n", o.dir,
		   set.verdicts.size(), set.files.size(), names, o.timeout, o.jobs);
	std::string head = fmt::format("  {:<52}", "verdict (files)");
	for (const auto &s : solvers)
		head += fmt::format(" {:<11}", s.name);
	head += " replay";
	fmt::print("{}\n", head);
	for (std::size_t v = 0; v < set.verdicts.size(); ++v) {
		const auto &cv = set.verdicts[v];
		std::string line = fmt::format("  {:<52}", fmt::format("{} {} {}{} ({})", cv.variant, cv.property, cv.verdict,
								  cv.any_size ? "**" : cv.every_depth ? "*" : "", cv.files.size()));
		for (std::size_t s = 0; s < solvers.size(); ++s)
			line += fmt::format(" {:<11}", !st[v][s].takes ? std::string("n/a")
								       : fmt::format("{} {:.1f}s", st[v][s].certified ? "ok" : "FAIL",
										     st[v][s].seconds));
		line += replay[v].empty() ? " -" : replay[v] == "pass" ? " pass" : " FAIL";
		fmt::print("{}\n", line);
	}
	fmt::print("\n");
	for (const auto &h : res.hash_failures)
		fmt::print("HASH {}\n", h);
	for (const auto &r : replay)
		if (!r.empty() && r != "pass")
			fmt::print("REPLAY {}\n", r);
	for (const auto &r : res.runs)
		if (!r.agrees())
			fmt::print("{} {}: {} says {}, z3 in-process said {} ({:.1f} s)\n",
				   r.disagrees() ? "DISAGREE" : "NO ANSWER", set.files[r.file].name, solvers[r.solver].name,
				   r.got, r.expected, r.seconds);
	for (std::size_t s = 0; s < solvers.size(); ++s)
		fmt::print("{}: {}/{} runs agree, {:.1f} s in all\n", solvers[s].name, solver_agree[s], solver_runs[s],
			   solver_seconds[s]);
	fmt::print("{} of {} verdicts certified by every solver that takes their logic; {} disagreements, {} without "
		   "an answer, {} hash failures, {} files skipped (z3 gave up in-process), {} runs not made (UFBV files, "
		   "a QF_BV-only solver); {} witnesses replayed on model and impl, {} failed; {:.1f} s wall\n",
		   certified_by_all, set.verdicts.size(), res.disagreements(), res.no_answer(), res.hash_failures.size(),
		   res.skipped, res.not_applicable, set.scenarios.size(), replay_failures, res.wall);
	return ok ? EXIT_RAN : EXIT_FAILED;
}

} // namespace

void add_certify(CLI::App &app, int *rc)
{
	auto o = std::make_shared<certify_opts>();
	auto *cmd = app.add_subcommand(
		"certify", "Re-check every certificate of an export-smt2 folder with z3, cvc5 and boolector");
	cmd->add_option("dir", o->dir, "A folder export-smt2 wrote")->required()->check(CLI::ExistingDirectory);
	std::vector<std::string> names;
	for (const auto &s : lu::verify::default_cert_solvers())
		names.push_back(s.name);
	cmd->add_option("--solver", o->solvers, "Solver(s) to run (default: all)")->check(CLI::IsMember(names));
	cmd->add_option("--timeout", o->timeout, "Seconds per solver run")
		->check(CLI::Range(1u, 3600u))
		->capture_default_str();
	cmd->add_option("--jobs", o->jobs, "Solver processes at once")->check(CLI::Range(1u, 256u))->capture_default_str();
	cmd->add_option("--format", o->format, "text or json")
		->check(CLI::IsMember({"text", "json"}))
		->capture_default_str();
	add_quiet_flag(cmd, &o->quiet);
	cmd->callback([o, rc] { *rc = run_certify(*o); });
}

} // namespace lu::cli
