// SPDX-License-Identifier: GPL-2.0
// iommufd-lu crosscheck: the impl <-> model cross-checks and mutation testing.
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "commands.h"
#include "progress.h"
#include "lu/impl/mutant.h"
#include "lu/model/mutant.h"
#include "lu/verify/crosscheck.h"
#include "lu/verify/scenario.h"

namespace lu::cli {

namespace {

struct crosscheck_opts {
	lu::verify::crosscheck_options x;
	std::string format = "text";
	std::string size = "ci";
	std::vector<std::string> variants;
	std::string runner;
	bool no_mutants = false;
	bool verbose = false;
	bool quiet = false;
	bool no_guided = false, no_replay = false, no_conformance = false, no_monitors = false;
	std::string cases_out;
};

std::string self_dir()
{
	std::error_code ec;
	auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
	return ec ? std::string(".") : p.parent_path().string();
}

// Run one command, return its exit status and first line of output.
int spawn(const std::string &cmd, std::string *first_line)
{
	FILE *f = popen(cmd.c_str(), "r");
	if (!f)
		return -1;
	std::array<char, 512> buf{};
	first_line->clear();
	while (std::fgets(buf.data(), buf.size(), f))
		if (first_line->empty())
			*first_line = buf.data();
	while (!first_line->empty() && first_line->back() == '\n')
		first_line->pop_back();
	int st = pclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

std::string quote(const std::string &s)
{
	std::string q = "'";
	for (char c : s)
		q += c == '\'' ? std::string("'\\''") : std::string(1, c);
	return q + "'";
}

// The row of component @p c in the per-component kill rates (every component
// of lu::impl::component() listed, in its order, even with no mutant).
std::tuple<std::string, std::size_t, std::size_t> &component_row(lu::verify::mutants_report &mr, const std::string &c)
{
	if (mr.components.empty())
		for (auto n : lu::impl::mutant_components)
			mr.components.emplace_back(std::string(n), 0, 0);
	for (auto &row : mr.components)
		if (std::get<0>(row) == c)
			return row;
	mr.components.emplace_back(c, 0, 0);
	return mr.components.back();
}

void run_mutants(crosscheck_opts &o, const std::string &cases_file, lu::verify::mutants_report &mr, progress &prog)
{
	std::string runner = o.runner.empty() ? self_dir() + "/iommufd-lu-mutants" : o.runner;
	mr.ran = true;
	if (!std::filesystem::exists(runner)) {
		mr.note = "mutation runner not found: " + runner;
		return;
	}
	std::string common = fmt::format(" --cases {} --depth {} --random {} --seed {} --multi-device {}", quote(cases_file),
					 o.x.exhaustive_depth, std::min<std::size_t>(o.x.random, 20000), o.x.seed,
					 o.x.multi_device);
	for (const auto &v : o.variants)
		common += " --variant " + quote(v);
	if (!o.x.guided)
		common += " --skip-check guided";
	if (!o.x.replay)
		common += " --skip-check replay";
	if (!o.x.conformance)
		common += " --skip-check conformance --skip-check monitors";
	if (!o.x.monitors)
		common += " --skip-check monitors";
	(void)component_row(mr, "model"); // every component listed, even without a mutant
	// The runner on the real impl must find nothing, or every kill is noise.
	std::string line;
	int rc = spawn(quote(runner) + " --mutant none" + common + " 2>&1", &line);
	if (rc != 0)
		mr.note = "without a mutant: " + line + " (those cases are not counted as kills)";
	// The impl's mutants, then the model's (each against the real impl).
	std::vector<std::pair<std::string, std::string>> all; // name, component
	for (unsigned i = 1; i < static_cast<unsigned>(lu::impl::mutant::nr_mutants); i++)
		all.emplace_back(lu::impl::name(static_cast<lu::impl::mutant>(i)),
				 lu::impl::component(static_cast<lu::impl::mutant>(i)));
	for (unsigned i = 1; i < static_cast<unsigned>(lu::model::mutant::nr_mutants); i++)
		all.emplace_back(lu::model::name(static_cast<lu::model::mutant>(i)), "model");
	for (const auto &[name, component] : all) {
		if (o.x.progress)
			o.x.progress("mutants: " + name);
		mr.total++;
		const auto t0 = std::chrono::steady_clock::now();
		rc = spawn(quote(runner) + " --mutant " + name + common + " 2>&1", &line);
		prog.done("mutant " + name, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
		auto &row = component_row(mr, component);
		std::get<2>(row)++;
		if (rc == 1) {
			mr.killed++;
			std::get<1>(row)++;
			mr.killed_by.emplace_back(name, line);
		} else {
			mr.survivors.push_back(name);
			if (rc != 0)
				mr.note += fmt::format("{}: runner exit {}: {}; ", name, rc, line);
		}
	}
}

int run_crosscheck(crosscheck_opts &o)
{
	using namespace lu::verify;
	auto t0 = std::chrono::steady_clock::now();
	if (o.size == "big") {
		o.x.exhaustive_depth = std::max(o.x.exhaustive_depth, 3u);
		o.x.random = std::max<std::size_t>(o.x.random, 1000000);
		o.x.solver_sample = std::max<std::size_t>(o.x.solver_sample, 300);
	}
	for (const auto &name : o.variants) {
		auto v = parse_variant_label(name);
		if (!v) {
			fmt::print(stderr, "crosscheck: unknown variant '{}'\n", name);
			return EXIT_BAD_INPUT;
		}
		o.x.variants.push_back(*v);
	}
	if (o.x.emit_dir.empty())
		o.x.emit_dir = "crosscheck-divergences";
	o.x.guided = !o.no_guided;
	o.x.replay = !o.no_replay;
	o.x.conformance = !o.no_conformance;
	o.x.monitors = !o.no_monitors;
	// The progress line counts the steps below (each check, and generating
	// the cases of guided and replay) and each mutant; the phase lines of
	// crosscheck_options::progress say what runs inside a step.
	progress prog("crosscheck", o.quiet);
	if (o.verbose)
		o.x.progress = [&prog](const std::string &s) {
			prog.log("crosscheck: " + s);
			prog.status(s);
		};
	else if (prog.enabled())
		o.x.progress = [&prog](const std::string &s) { prog.status(s); };
	const std::size_t nr_steps = 3 + 2 * o.x.guided + 2 * o.x.replay +
				     (o.x.conformance ? 1 + o.x.monitors + (o.x.solver_sample > 0) : 0) + (o.x.multi_device > 0) +
				     (o.no_mutants ? 0
						   : static_cast<std::size_t>(lu::impl::mutant::nr_mutants) - 1 +
							     static_cast<std::size_t>(lu::model::mutant::nr_mutants) - 1);
	prog.phase("", nr_steps, "steps");
	auto step = [&prog](std::string_view name, auto fn) {
		prog.status(std::string(name));
		const auto start = std::chrono::steady_clock::now();
		fn();
		prog.done(name, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
	};

	crosscheck_report rep;
	std::vector<fixed_case> cases;
	std::string guided_note, replay_note;
	std::map<std::string, std::uint64_t> guided_counts;
	if (o.x.guided)
		step("generating guided cases", [&] { cases = generate_guided(o.x, &guided_note, &guided_counts); });
	if (o.x.replay)
		step("generating replay cases", [&] {
			auto rc = generate_replay(o.x, &replay_note, &o.x.verdicts);
			cases.insert(cases.end(), rc.begin(), rc.end());
		});
	auto impl = make_impl_backend();
	auto model = make_model_backend();
	if (o.x.guided)
		step("guided", [&] {
			rep.checks.push_back(run_fixed("guided", cases, *impl, o.x));
			rep.checks.back().note = guided_note;
			rep.checks.back().counts = guided_counts;
		});
	if (o.x.conformance) {
		if (o.x.progress)
			o.x.progress(fmt::format("conformance: seed {}", o.x.seed));
		step("conformance", [&] { rep.checks.push_back(run_conformance(*impl, *model, o.x)); });
		if (o.x.solver_sample)
			step("evaluator", [&] {
				auto z3 = make_model_backend(model_engine::solver);
				rep.checks.push_back(run_engine_check(*model, *z3, o.x));
			});
	}
	if (o.x.replay)
		step("replay", [&] {
			rep.checks.push_back(run_fixed("replay", cases, *impl, o.x));
			rep.checks.back().note = replay_note;
		});
	if (o.x.multi_device)
		step("multi-device", [&] { rep.checks.push_back(run_multi_device(*impl, *model, o.x)); });
	if (o.x.conformance && o.x.monitors)
		step("monitors", [&] { rep.checks.push_back(run_monitors(*impl, cases, o.x)); });
	step("fail-nth", [&] { rep.checks.push_back(run_fail_nth(o.x)); });
	step("image", [&] { rep.checks.push_back(run_image_checks(o.x)); });
	step("luo", [&] { rep.checks.push_back(run_luo_checks(o.x)); });

	std::string cases_file = o.cases_out;
	if (cases_file.empty())
		cases_file = (std::filesystem::temp_directory_path() / fmt::format("iommufd-lu-cases-{}.json", getpid()))
				     .string();
	{
		nlohmann::json j;
		j["cases"] = nlohmann::json::array();
		for (const auto &c : cases)
			j["cases"].push_back(to_json(c));
		// what fails on the real impl is no kill (e.g. a model bug)
		j["known_failures"] = nlohmann::json::object();
		for (const auto &c : rep.checks)
			j["known_failures"][c.name] = c.failed;
		// the model's verdicts the monitors are judged against
		j["verdicts"] = nlohmann::json::array();
		for (const auto &[k, mv] : o.x.verdicts)
			j["verdicts"].push_back({k.first, k.second, std::string(name(mv.verdict)), mv.every_depth, mv.depth,
						 mv.devices, mv.hwpts});
		std::ofstream(cases_file) << j.dump();
	}
	if (!o.no_mutants)
		run_mutants(o, cases_file, rep.mutants, prog);
	if (o.cases_out.empty())
		std::filesystem::remove(cases_file);
	prog.finish();

	double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
	if (o.format == "json") {
		auto j = rep.to_json();
		j["seconds"] = secs;
		j["seed"] = o.x.seed;
		fmt::print("{}\n", j.dump(2));
	} else {
		fmt::print("{:<12} {:>8} {:>13}\n", "check", "cases", "disagreements");
		for (const auto &c : rep.checks) {
			fmt::print("{:<12} {:>8} {:>13}\n", c.name, c.cases, c.disagreements);
			if (!c.counts.empty()) {
				std::string line;
				for (const auto &[k, n] : c.counts)
					line += fmt::format("{}{} {}", line.empty() ? "" : ", ", k, n);
				fmt::print("  {}\n", line);
			}
			for (const auto &s : c.samples)
				fmt::print("  {}\n", s);
			if (!c.scenario.empty())
				fmt::print("  first divergence written to {}\n", c.scenario);
			if (!c.note.empty())
				fmt::print("  note: {}\n", c.note);
			if (o.verbose)
				for (const auto &[k, n] : c.coverage)
					fmt::print("    {:<40} {}\n", k, n);
		}
		fmt::print("{:<12} {:>8} {:>13}\n", "total", rep.cases(), rep.disagreements());
		if (rep.mutants.ran) {
			fmt::print("mutants: {}/{} killed ({:.0f}%)", rep.mutants.killed, rep.mutants.total,
				   rep.mutants.total ? 100.0 * rep.mutants.killed / rep.mutants.total : 0.0);
			if (!rep.mutants.survivors.empty())
				fmt::print(", survivors: {}", fmt::join(rep.mutants.survivors, " "));
			fmt::print("\n");
			std::string per;
			for (const auto &[c, killed, total] : rep.mutants.components)
				per += fmt::format("{}{} {}/{}", per.empty() ? "" : ", ", c, killed, total);
			fmt::print("mutants by component: {}\n", per);
			if (o.verbose)
				for (const auto &[m, by] : rep.mutants.killed_by)
					fmt::print("  {:<30} {}\n", m, by);
			if (!rep.mutants.note.empty())
				fmt::print("  note: {}\n", rep.mutants.note);
		}
		fmt::print("{:.1f} s\n", secs);
	}
	bool ok = rep.disagreements() == 0 && rep.mutants.survivors.empty();
	return ok ? EXIT_RAN : EXIT_FAILED;
}

} // namespace

void add_crosscheck(CLI::App &app, int *rc)
{
	auto o = std::make_shared<crosscheck_opts>();
	auto *sub = app.add_subcommand("crosscheck", "Cross-check impl against model; mutation testing");
	sub->add_option("--size", o->size, "ci (minutes) or big (depth 3, 1e6 random traces, 300 of them on Z3)")
		->check(CLI::IsMember({"ci", "big"}));
	// Every number has a range (CLI11 exits 2 outside it) and shows its
	// default: the upper bounds are far above what any run here needs
	// (--size big is depth 3, 1e6 random traces, 300 on Z3), so that a
	// slip of the finger fails at once instead of running for days; the
	// lower bounds keep what the checks cannot take (a guided trace needs
	// its operation, a proof a step). --depth 4 is already ~24 times the
	// traces of --depth 3 (the alphabet has ~24 steps).
	sub->add_option("--depth", o->x.exhaustive_depth, "Exhaustive suffix depth of the conformance traces")
		->check(CLI::Range(0u, 4u))
		->capture_default_str();
	sub->add_option("--random", o->x.random, "Seeded random conformance traces")
		->check(CLI::Range(std::size_t{0}, std::size_t{1'000'000'000}))
		->capture_default_str();
	sub->add_option("--seed", o->x.seed, "Seed of the random traces (any 64-bit number)")
		->check(CLI::Validator(
			[](std::string &in) {
				// CLI11 would wrap "-1" to 2^64-1; a seed is written as it is printed.
				return !in.empty() && in[0] == '-' ? "Value " + in + " is negative: a seed is 0 to 2^64-1"
								   : std::string();
			},
			"0..2^64-1"))
		->capture_default_str();
	sub->add_option("--solver-sample", o->x.solver_sample,
			"Random traces also run on the Z3-solving simulator, to check the evaluator (0: none)")
		->check(CLI::Range(std::size_t{0}, std::size_t{100'000}))
		->capture_default_str();
	sub->add_option("--multi-device", o->x.multi_device,
			"Multi-device traces (two preserved devices with PASIDs, in two groups and in one; 0: none)")
		->check(CLI::Range(std::size_t{0}, std::size_t{10'000'000}))
		->capture_default_str();
	sub->add_option("--guided-max", o->x.guided_max, "Model-guided cases per (variant, op) at most")
		->check(CLI::Range(1u, 100'000u))
		->capture_default_str();
	sub->add_option("--guided-depth", o->x.guided_depth,
			"Trace length of the model-guided cases (the last step is the operation under test)")
		->check(CLI::Range(1u, 64u))
		->capture_default_str();
	sub->add_option("--prove-depth", o->x.prove_depth,
			"Depth of the proofs whose witnesses are replayed (prove's --depth bounds)")
		->check(CLI::Range(1u, 64u))
		->capture_default_str();
	sub->add_option("--variant", o->variants, "Only these variants (preset or policy/freeze/gate)");
	sub->add_option("--emit-dir", o->x.emit_dir,
			"Write the first divergence of each check here as a scenario (default crosscheck-divergences, "
			"created only on a divergence)");
	sub->add_option("--mutant-runner", o->runner, "Path of iommufd-lu-mutants (default: next to iommufd-lu)");
	sub->add_option("--cases-out", o->cases_out, "Keep the generated fixed cases in this JSON file");
	sub->add_flag("--no-mutants", o->no_mutants, "Skip the mutation check");
	sub->add_flag("--no-guided", o->no_guided, "Skip the model-guided cases");
	sub->add_flag("--no-replay", o->no_replay, "Skip the counterexample replay");
	sub->add_flag("--no-conformance", o->no_conformance, "Skip trace conformance (and the monitors on its traces)");
	sub->add_flag("--no-monitors", o->no_monitors, "Skip the property monitors on the conformance, guided and replay traces");
	sub->add_option("--format", o->format, "text or json")->check(CLI::IsMember({"text", "json"}));
	sub->add_flag("-v,--verbose", o->verbose, "Progress on stderr, coverage per class");
	add_quiet_flag(sub, &o->quiet);
	sub->callback([o, rc] { *rc = run_crosscheck(*o); });
}

} // namespace lu::cli
