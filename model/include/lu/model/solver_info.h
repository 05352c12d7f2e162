/* SPDX-License-Identifier: GPL-2.0 */
/**
 * @file solver_info.h
 * @brief Which solver the model runs on, for every report.
 */
#pragma once

#include <string>

namespace lu::model {

/**
 * @brief The solver's name ("z3").
 * @return the name.
 * @context Any context.
 */
std::string solver_name();

/**
 * @brief The solver's full version, e.g. "4.8.12.0".
 * @return the version of the linked libz3 (Z3_get_version()).
 * @context Any context.
 */
std::string solver_version();

} // namespace lu::model
