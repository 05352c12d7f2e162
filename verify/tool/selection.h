// SPDX-License-Identifier: GPL-2.0
// What a proof run covers (variants, properties, bounds, budget): the options
// prove, report and export-smt2 share, parsed and checked in one place.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

#include "lu/model/prove.h"
#include "lu/verify/report.h"

namespace lu::cli {

/** The options as given on the command line. */
struct selection {
	std::vector<std::string> variants; // presets; empty: all
	std::string policy, freeze, vfio_gate, code; // a custom variant, or knobs on one --variant
	std::vector<std::string> props; // empty: all
	unsigned depth = 8, devices = 2, hwpts = 3;
	std::uint64_t rlimit = lu::model::prove_options{}.rlimit;
	unsigned jobs = 2;
};

/** The selection resolved: the variants, properties and run settings. */
struct resolved_selection {
	std::vector<lu::variant> variants;
	std::vector<lu::model::property> props;
	lu::verify::run_info run;
};

/** Add --variant, --policy, --freeze, --vfio-gate, --property, --depth, --devices, --hwpts, --rlimit, --jobs. */
void add_selection_options(CLI::App *cmd, selection *s);

/**
 * Resolve @s; on bad input print "<cmd>: what was wrong" to stderr and
 * return false (the caller exits EXIT_BAD_INPUT).
 */
[[nodiscard]] bool resolve_selection(std::string_view cmd, const selection &s, resolved_selection *out);

} // namespace lu::cli
