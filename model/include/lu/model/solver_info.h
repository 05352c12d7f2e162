/* SPDX-License-Identifier: GPL-2.0 */
/**
 * @file solver_info.h
 * @brief Which solver the model runs on, for every report.
 */
#pragma once

#include <string>

namespace lu::model {

/** @brief The solver's name ("z3"). */
std::string solver_name();

/** @brief The solver's full version, e.g. "4.8.12.0". */
std::string solver_version();

} // namespace lu::model
