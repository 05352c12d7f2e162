/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The words the renderers of report.cpp and brief.cpp share (defined in
 * report.cpp). Private to verify/src.
 */
#pragma once

#include <string>
#include <vector>

#include "lu/model/prove.h"

namespace lu::verify::internal {

bool is_capability(const lu::model::result &r);
/** The verdict table's word for a cell: proved, proved*, proved**, CEX, VACUOUS, unknown, ERROR. */
std::string cell_word(const lu::model::result &r);
/** "a", "a and b", "a, b, and c". */
std::string join(const std::vector<std::string> &v);
std::string lost_text(const std::vector<lu::model::lost_pair> &v);
/** A preset's name, or custom(policy,freeze,gate,code). */
std::string variant_key(const lu::model::result &r);
/** Variants of a run in first-seen order. */
std::vector<std::string> variant_names(const std::vector<lu::model::result> &rs);
/** Properties of a run in first-seen order. */
std::vector<lu::model::property> property_ids(const std::vector<lu::model::result> &rs);

} // namespace lu::verify::internal
