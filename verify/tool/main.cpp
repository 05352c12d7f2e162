// SPDX-License-Identifier: GPL-2.0
// iommufd-lu: proofs, checks and images for the live-update PASID question.
#include <cstdio>

#include "commands.h"
#include "lu/model/solver_info.h"
#include "lu/verify/version.h"

int main(int argc, char **argv)
{
	CLI::App app{"iommufd-lu: what may a live-update preserve do with PASID attachments?"};
	app.require_subcommand(1);
	app.set_version_flag("--version",
			     std::string(lu::tool_name) + " " + lu::tool_version + " (git " + lu::tool_git +
				     ", " + lu::model::solver_name() + " " + lu::model::solver_version() + ")");

	int rc = lu::cli::EXIT_RAN;
	(void)rc; // subcommands register here as they land
	lu::cli::add_check(app, &rc);
	lu::cli::add_crosscheck(app, &rc);
	lu::cli::add_prove(app, &rc);
	lu::cli::add_export_smt2(app, &rc);
	lu::cli::add_certify(app, &rc);
	lu::cli::add_image(app, &rc);
	lu::cli::add_report(app, &rc);

	try {
		app.parse(argc, argv);
	} catch (const CLI::ParseError &e) {
		// CLI11 prints help/version with exit 0; usage errors become EXIT_BAD_INPUT.
		int code = app.exit(e);
		return code == 0 ? 0 : lu::cli::EXIT_BAD_INPUT;
	}
	return rc;
}
