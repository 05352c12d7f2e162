// SPDX-License-Identifier: GPL-2.0
// The subcommands of iommufd-lu. Each lives in its own cmd_<name>.cpp and
// registers itself on the app; its callback stores the exit status in *rc.
#pragma once

#include <CLI/CLI.hpp>

namespace lu::cli {

/** Exit status of every subcommand (DESIGN section 4). */
enum exit_status : int {
	EXIT_RAN = 0,      // everything ran (a counterexample is a result)
	EXIT_FAILED = 1,   // an expectation failed
	EXIT_BAD_INPUT = 2 // bad usage or input
};

/** iommufd-lu check FILE...: judge scenarios on model and impl (cmd_check.cpp). */
void add_check(CLI::App &app, int *rc);

/** iommufd-lu crosscheck: impl <-> model cross-checks, mutants (cmd_crosscheck.cpp). */
void add_crosscheck(CLI::App &app, int *rc);

/** iommufd-lu prove: the verdict table, then each counterexample (cmd_prove.cpp). */
void add_prove(CLI::App &app, int *rc);

/** iommufd-lu export-smt2 --out DIR: every verdict's certificate as SMT-LIB2 (cmd_export_smt2.cpp). */
void add_export_smt2(CLI::App &app, int *rc);

/** iommufd-lu certify DIR: re-check an export's certificates with other solvers (cmd_certify.cpp). */
void add_certify(CLI::App &app, int *rc);
/** iommufd-lu image inspect|verify|example: hand-over images (cmd_image.cpp). */
void add_image(CLI::App &app, int *rc);

/** iommufd-lu report --format mail|json|uapi: citable output (cmd_report.cpp). */
void add_report(CLI::App &app, int *rc);

} // namespace lu::cli
