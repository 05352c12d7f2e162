// SPDX-License-Identifier: GPL-2.0
// iommufd-lu-mutants: the mutation runner. Linked against lu_impl_mutants
// (never lu_impl), it selects one mutant of lu::impl, or one of lu::model
// (lu/model/mutant.h: a fault in the transition relation, run against the
// unmutated impl), and reruns the cross-checks against it, stopping at the
// first disagreement. A model mutant reruns only the checks whose model side
// is computed live (multi-device and conformance): the guided and replay
// cases and the monitors' verdicts come from the unmutated model in the
// cases file, and fail-nth, image and luo have no model side. Exit status:
// 1 the mutant was caught (stdout says by what), 0 it survived, 2 bad usage.
// `iommufd-lu crosscheck` runs it once per mutant.
#include <algorithm>
#include <fstream>
#include <map>
#include <set>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "lu/impl/mutant.h"
#include "lu/model/mutant.h"
#include "lu/verify/crosscheck.h"

int main(int argc, char **argv)
{
	CLI::App app{"iommufd-lu-mutants: run the cross-checks against one mutant of lu::impl"};
	bool list = false;
	std::string mutant = "none", cases_file;
	lu::verify::crosscheck_options o;
	app.add_flag("--list", list, "Print every mutant name and exit");
	app.add_option("--mutant", mutant, "The mutant to select (none: the real impl and model; model-*: a mutant of the model)");
	app.add_option("--cases", cases_file, "Fixed cases (guided, replay) written by crosscheck");
	app.add_option("--depth", o.exhaustive_depth, "Exhaustive suffix depth of the conformance check");
	app.add_option("--random", o.random, "Random conformance traces");
	app.add_option("--seed", o.seed, "Seed of the random traces");
	app.add_option("--multi-device", o.multi_device, "Multi-device traces");
	std::vector<std::string> variants, skip_checks;
	app.add_option("--skip-check", skip_checks, "Checks not to run (guided, replay, fail-nth, image, luo, multi-device, conformance, monitors)");
	app.add_option("--variant", variants, "Only these variants (preset or policy/freeze/gate)");
	CLI11_PARSE(app, argc, argv);
	for (const auto &v : variants) {
		auto x = lu::verify::parse_variant_label(v);
		if (!x) {
			fmt::print(stderr, "iommufd-lu-mutants: unknown variant '{}'\n", v);
			return 2;
		}
		o.variants.push_back(*x);
	}

	if (!lu::impl::mutants_compiled_in()) {
		fmt::print(stderr, "iommufd-lu-mutants: built without LU_IMPL_MUTANTS\n");
		return 2;
	}
	if (list) {
		for (unsigned i = 1; i < static_cast<unsigned>(lu::impl::mutant::nr_mutants); i++)
			fmt::print("{}\n", lu::impl::name(static_cast<lu::impl::mutant>(i)));
		for (unsigned i = 1; i < static_cast<unsigned>(lu::model::mutant::nr_mutants); i++)
			fmt::print("{}\n", lu::model::name(static_cast<lu::model::mutant>(i)));
		return 0;
	}
	auto m = lu::impl::parse_mutant(mutant);
	const auto mm = lu::model::parse_mutant(mutant);
	if (!m && mm)
		m = lu::impl::mutant::none; // a model mutant: the impl stays real
	if (!m || (mm && *mm == lu::model::mutant::none && *m != lu::impl::mutant::none)) {
		fmt::print(stderr, "iommufd-lu-mutants: no mutant '{}'\n", mutant);
		return 2;
	}
	const bool model_mutant = mm && *mm != lu::model::mutant::none;
	const bool no_mutant = *m == lu::impl::mutant::none && !model_mutant;
	std::vector<lu::verify::fixed_case> cases;
	std::map<std::string, std::set<std::size_t>> known; // check -> cases failing without a mutant
	bool have_known = false;
	if (!cases_file.empty()) {
		std::ifstream in(cases_file);
		if (!in) {
			fmt::print(stderr, "iommufd-lu-mutants: cannot read {}\n", cases_file);
			return 2;
		}
		try {
			auto j = nlohmann::json::parse(in);
			for (const auto &c : j.at("cases"))
				cases.push_back(lu::verify::fixed_case_from_json(c));
			if (j.contains("verdicts"))
				for (const auto &x : j["verdicts"]) {
					lu::verify::model_verdict mv;
					const auto vn = x[2].get<std::string>();
					mv.verdict = vn == "proved"		? lu::model::verdict::proved
						     : vn == "counterexample" ? lu::model::verdict::counterexample
									      : lu::model::verdict::unknown;
					mv.every_depth = x[3];
					mv.depth = x[4];
					mv.devices = x[5];
					mv.hwpts = x[6];
					o.verdicts[{x[0].get<std::string>(), x[1].get<std::string>()}] = mv;
				}
			if (j.contains("known_failures")) {
				have_known = true;
				for (const auto &[k, v] : j["known_failures"].items())
					known[k] = v.get<std::set<std::size_t>>();
			}
		} catch (const std::exception &e) {
			fmt::print(stderr, "iommufd-lu-mutants: {}: {}\n", cases_file, e.what());
			return 2;
		}
	}
	auto impl = lu::verify::make_impl_backend();
	auto model = lu::verify::make_model_backend();
	// Cheapest and most pointed first; conformance (model runs) last.
	std::vector<std::function<lu::verify::check_report(const lu::verify::crosscheck_options &)>> checks{
		[&](const auto &x) { return lu::verify::run_fixed("guided", cases, *impl, x); },
		[&](const auto &x) { return lu::verify::run_fixed("replay", cases, *impl, x); },
		[&](const auto &x) { return lu::verify::run_fail_nth(x); },
		[&](const auto &x) { return lu::verify::run_image_checks(x); },
		[&](const auto &x) { return lu::verify::run_luo_checks(x); },
		[&](const auto &x) { return lu::verify::run_multi_device(*impl, *model, x); },
		[&](const auto &x) { return lu::verify::run_conformance(*impl, *model, x); },
		[&](const auto &x) { return lu::verify::run_monitors(*impl, cases, x); },
	};
	// A mutant is caught when a case that passes on the real impl fails on
	// it: first every check without the mutant, to learn which cases fail
	// anyway (a model bug must not count as a kill), then with it.
	const std::vector<std::string> names{"guided",	     "replay",	    "fail-nth", "image",
					     "luo",	     "multi-device", "conformance", "monitors"};
	for (std::size_t ci = 0; ci < checks.size(); ci++) {
		const auto &run = checks[ci];
		if (std::ranges::find(skip_checks, names[ci]) != skip_checks.end())
			continue;
		if (model_mutant && names[ci] != "multi-device" && names[ci] != "conformance")
			continue; // nothing of the model is computed live there
		lu::verify::crosscheck_options base = o;
		base.stop_at_first = false;
		lu::verify::check_report b;
		if (have_known && !no_mutant) {
			// the main run already judged the real impl on exactly these cases
			base.random = 0;
			base.exhaustive_depth = 0;
			b.name = "known";
		} else {
			lu::impl::mutant_select(lu::impl::mutant::none);
			lu::model::mutant_select(lu::model::mutant::none);
			b = run(base);
		}
		if (no_mutant) {
			if (b.disagreements) {
				fmt::print("fails without a mutant: {} {}/{}: {}\n", b.name, b.disagreements, b.cases,
					   b.samples.empty() ? "" : b.samples.front());
				return 1;
			}
			continue;
		}
		lu::verify::crosscheck_options with = o;
		with.stop_at_first = true;
		with.skip.insert(b.failed.begin(), b.failed.end());
		lu::impl::mutant_select(*m);
		if (model_mutant)
			lu::model::mutant_select(*mm);
		auto r = run(with);
		if (have_known) {
			// the check's name is known only now: re-run with its known failures skipped
			with.skip = known[r.name];
			if (r.disagreements)
				r = run(with);
		}
		lu::impl::mutant_select(lu::impl::mutant::none);
		lu::model::mutant_select(lu::model::mutant::none);
		if (r.disagreements) {
			fmt::print("killed by {}: {}\n", r.name, r.samples.empty() ? "" : r.samples.front());
			return 1;
		}
	}
	fmt::print("survived\n");
	return 0;
}
