// SPDX-License-Identifier: GPL-2.0
#include "lu/model/solver_info.h"

#include <z3++.h>

namespace lu::model {

std::string solver_name()
{
	return "z3";
}

std::string solver_version()
{
	unsigned major, minor, build, rev;
	Z3_get_version(&major, &minor, &build, &rev);
	return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(build) + "." +
	       std::to_string(rev);
}

} // namespace lu::model
