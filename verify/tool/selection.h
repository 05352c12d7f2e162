// SPDX-License-Identifier: GPL-2.0
// What a proof run covers (variants, properties, bounds, budget): the options
// prove, report and export-smt2 share, parsed and checked in one place.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

#include "progress.h"
#include "lu/model/prove.h"
#include "lu/verify/report.h"

namespace lu::cli {

/** The options as given on the command line. */
struct selection {
	// The ranges of the numbers, shown by --help: the bounds the model is
	// run at (lu::verify::SCENARIO_MAX_* leave 4x room above them), Z3's
	// 32-bit rlimit (0 would mean none), and threads of one Z3 context each.
	static constexpr unsigned MIN_DEPTH = 1, MAX_DEPTH = 64;
	static constexpr unsigned MIN_DEVICES = 1, MAX_DEVICES = 4;
	static constexpr unsigned MIN_HWPTS = 1, MAX_HWPTS = 6;
	static constexpr std::uint64_t MAX_RLIMIT = 0xffffffffu;
	static constexpr unsigned MAX_JOBS = 256;

	std::vector<std::string> variants; // presets; empty: all
	std::string policy, freeze, vfio_gate, code; // a custom variant (never with variants)
	std::vector<std::string> props; // empty: all
	unsigned depth = lu::model::bounds{}.depth, devices = lu::model::bounds{}.devices,
		 hwpts = lu::model::bounds{}.hwpts;
	std::uint64_t rlimit = lu::model::prove_options{}.rlimit;
	unsigned jobs = 2;
};

/** The selection resolved: the variants, properties and run settings. */
struct resolved_selection {
	std::vector<lu::variant> variants;
	std::vector<lu::model::property> props;
	lu::verify::run_info run;
};

/**
 * Add --variant, --policy, --freeze, --vfio-gate, --code, --property, --depth,
 * --devices, --hwpts, --rlimit, --jobs: --variant excludes the four knobs of a
 * custom variant, and every number has its range and default in --help.
 */
void add_selection_options(CLI::App *cmd, selection *s);

/**
 * Resolve @s; on bad input print "<cmd>: what was wrong" to stderr and
 * return false (the caller exits EXIT_BAD_INPUT).
 */
[[nodiscard]] bool resolve_selection(std::string_view cmd, const selection &s, resolved_selection *out);

/**
 * A callback for prove_cells() and bundles_for() over @sel that counts each
 * finished cell on @p, named "<variant> <property>" for the slowest one.
 * @p and @sel must outlive the callback.
 */
lu::verify::cell_done_fn count_cells(progress &p, const resolved_selection &sel);

} // namespace lu::cli
