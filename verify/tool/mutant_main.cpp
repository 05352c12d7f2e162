// SPDX-License-Identifier: GPL-2.0
// iommufd-lu-mutants: the mutation runner. Linked against lu_impl_mutants
// (never lu_impl), it selects one mutant of lu::impl and reruns the
// cross-checks against it, stopping at the first disagreement. Exit status:
// 1 the mutant was caught (stdout says by what), 0 it survived, 2 bad usage.
// `iommufd-lu crosscheck` runs it once per mutant.
#include <fstream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "lu/impl/mutant.h"
#include "lu/verify/crosscheck.h"

int main(int argc, char **argv)
{
	CLI::App app{"iommufd-lu-mutants: run the cross-checks against one mutant of lu::impl"};
	bool list = false;
	std::string mutant = "none", cases_file;
	lu::verify::crosscheck_options o;
	app.add_flag("--list", list, "Print every mutant name and exit");
	app.add_option("--mutant", mutant, "The mutant to select (none: the real impl)");
	app.add_option("--cases", cases_file, "Fixed cases (guided, replay) written by crosscheck");
	app.add_option("--depth", o.exhaustive_depth, "Exhaustive suffix depth of the conformance check");
	app.add_option("--random", o.random, "Random conformance traces");
	app.add_option("--seed", o.seed, "Seed of the random traces");
	CLI11_PARSE(app, argc, argv);

	if (!lu::impl::mutants_compiled_in()) {
		fmt::print(stderr, "iommufd-lu-mutants: built without LU_IMPL_MUTANTS\n");
		return 2;
	}
	if (list) {
		for (unsigned i = 1; i < static_cast<unsigned>(lu::impl::mutant::nr_mutants); i++)
			fmt::print("{}\n", lu::impl::name(static_cast<lu::impl::mutant>(i)));
		return 0;
	}
	auto m = lu::impl::parse_mutant(mutant);
	if (!m) {
		fmt::print(stderr, "iommufd-lu-mutants: no mutant '{}'\n", mutant);
		return 2;
	}
	std::vector<lu::verify::fixed_case> cases;
	if (!cases_file.empty()) {
		std::ifstream in(cases_file);
		if (!in) {
			fmt::print(stderr, "iommufd-lu-mutants: cannot read {}\n", cases_file);
			return 2;
		}
		try {
			auto j = nlohmann::json::parse(in);
			for (const auto &c : j)
				cases.push_back(lu::verify::fixed_case_from_json(c));
		} catch (const std::exception &e) {
			fmt::print(stderr, "iommufd-lu-mutants: {}: {}\n", cases_file, e.what());
			return 2;
		}
	}
	lu::impl::mutant_select(*m);
	o.stop_at_first = true;
	auto impl = lu::verify::make_impl_backend();
	auto model = lu::verify::make_model_backend();
	// Cheapest and most pointed first; conformance (model runs) last.
	std::vector<std::function<lu::verify::check_report()>> checks{
		[&] { return lu::verify::run_fixed("guided", cases, *impl, o); },
		[&] { return lu::verify::run_fixed("replay", cases, *impl, o); },
		[&] { return lu::verify::run_fail_nth(o); },
		[&] { return lu::verify::run_image_checks(o); },
		[&] { return lu::verify::run_conformance(*impl, *model, o); },
	};
	for (const auto &run : checks) {
		auto r = run();
		if (r.disagreements) {
			fmt::print("killed by {}: {}\n", r.name, r.samples.empty() ? "" : r.samples.front());
			return 1;
		}
	}
	fmt::print("survived\n");
	return 0;
}
