/* SPDX-License-Identifier: GPL-2.0 */
/**
 * @file judge.h
 * @brief Judge a scenario mechanically against the model and the impl.
 *
 * As tools/memory-model/scripts/judgelitmus.sh tells a wrong result from an
 * unknown one, the judge has four verdicts: the sides agree and match the
 * expectation (pass), agree and do not (fail), do not agree with each other
 * (disagree: a bug in one of them), or one side could not run (unknown).
 */
#pragma once

#include <string>
#include <vector>

#include "lu/verify/backend.h"
#include "lu/verify/scenario.h"

namespace lu::verify {

enum class verdict : std::uint8_t { pass, fail, disagree, unknown };

/**
 * @brief The name of a scenario verdict, as `check` prints it.
 * @param v the verdict
 * @context Any context.
 * @return "pass", "fail", "disagree" or "unknown"; "?" for a value outside
 * the enum.
 */
std::string_view name(verdict v);

/** @brief The verdict for one expect line (one variant). */
struct variant_judgement {
	std::string label;  /**< the variant */
	int line = 0;       /**< its expect line */
	verdict result = verdict::unknown;
	std::string detail; /**< for anything but pass: what differed, where */
};

/** @brief The verdicts of one scenario; overall is the worst of them. */
struct scenario_judgement {
	verdict overall = verdict::pass;
	std::vector<variant_judgement> variants;
};

/**
 * @brief Describe the first difference between two outcomes of one trace,
 * in the form "step 5 preserve_device dev=0 token=11: impl -EOPNOTSUPP,
 * model 0"; empty when they are equal.
 * @return the description, or "" when the outcomes are equal.
 * @context Any context.
 */
std::string describe_difference(const std::vector<lu::step> &trace, const lu::outcome &a, std::string_view a_name,
				const lu::outcome &b, std::string_view b_name);

/**
 * @brief Why @p out does not meet @p e (empty when it does).
 * @return the reason, or "" when @p out meets @p e.
 * @context Any context.
 */
std::string check_expectation(const scenario &s, const expectation &e, const lu::outcome &out);

/**
 * @brief Run every expect line of @p s on both backends and judge it.
 * @return the verdict of each expect line on each side.
 * @context Runs every trace on both backends (the model side creates Z3 contexts).
 */
scenario_judgement judge(const scenario &s, const backend &impl, const backend &model);

} // namespace lu::verify
