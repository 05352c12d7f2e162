/* SPDX-License-Identifier: GPL-2.0 */
/**
 * @file emit.h
 * @brief Write prove's counterexamples and witnesses as scenario files
 * (`iommufd-lu prove --emit-scenarios DIR`), so `iommufd-lu check` can
 * replay them on both model and impl.
 */
#pragma once

#include <string>
#include <vector>

#include "lu/model/prove.h"

namespace lu::verify {

/**
 * @brief The scenario text of one result's witness (empty if it has none):
 * named \<variant\>+\<property\>+cex (or +witness for a capability), with the
 * decoded return values, loss and restored set as the expectation.
 * @return the scenario text, or "" without a witness.
 * @context Any context.
 */
std::string witness_scenario(const lu::model::result &r);

/**
 * @brief Write every result with a witness to @p dir as \<variant\>+\<property\>+\<kind\>.lu.
 * @return the number of files written; throws std::filesystem::filesystem_error.
 * @context Creates @p dir and writes files.
 */
std::size_t emit_scenarios(const std::string &dir, const std::vector<lu::model::result> &results);

} // namespace lu::verify
