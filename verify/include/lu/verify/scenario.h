/* SPDX-License-Identifier: GPL-2.0 */
/**
 * @file scenario.h
 * @brief Scenarios: a trace and its expected outcome under each variant.
 *
 * A scenario file is to iommufd-lu what a litmus test is to the kernel's
 * memory model (tools/memory-model/litmus-tests): a name that follows a
 * grammar, a paragraph saying what it shows, a small fixed configuration, one
 * trace, and an expected result per kernel variant that a judge compares
 * mechanically with what the model and the impl both do. The format is
 * documented with the corpus in verify/scenarios/README.md:
 *
 * @code
 * scenario v1+rid+pasid+preserve
 * about:
 *   The seed's case under v1: preserve returns 0 and PASID 5 is gone.
 * config:
 *   device 0 group=0 max_pasids=16
 *   hwpt 0 paging pasid_compat
 * trace:
 *   mark_preserve hwpt=0 token=1
 *   attach dev=0 pasid=0 hwpt=0
 *   ...
 * expect v1: rets 0 0 0 0 0 0 0 -EFAULT | loses-pasid | lost (0,5)
 * expect *:  rets 0 0 0 0 -EOPNOTSUPP 0 -EFAULT -EFAULT | intact
 * @endcode
 *
 * Bad input is reported as file:line:column: message (scenario_error); the
 * tool exits 2 on it.
 */
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "lu/core/trace.h"
#include "lu/core/variant.h"

namespace lu::verify {

/**
 * @brief Parse-stage limits of a scenario file: a file above them is bad
 * input (file:line: message, exit 2) before anything runs.
 *
 * The model proves at most 4 devices, 6 hwpts and 64 steps (prove's
 * --devices, --hwpts and --depth), so nothing the tool emits (prove
 * --emit-scenarios, crosscheck's divergences) is larger, and the corpus
 * stays at 3, 3 and 16. The limits leave 4x, 2.7x and 4x that: 16 devices,
 * 16 hwpts, 256 steps. They are not higher because the judge runs every
 * trace on the model's evaluator once per variant, in time that grows about
 * with devices^2 x hwpts x steps (measured per variant, Release: 4/6/64 in
 * 1 s, 8/8/256 in 9 s, 16/16/256 in 55 s, 64 devices alone in 33 s, and
 * 64/64/1024 not done after 10 minutes). The file itself is read up to
 * SCENARIO_MAX_BYTES (256 steps and their expect lines fit many times
 * over), so that reading /dev/zero stops at once.
 */
inline constexpr std::size_t SCENARIO_MAX_DEVICES = 16;
inline constexpr std::size_t SCENARIO_MAX_HWPTS = 16;
inline constexpr std::size_t SCENARIO_MAX_STEPS = 256;
inline constexpr std::size_t SCENARIO_MAX_BYTES = 1u << 20;

/** @brief A (dev, pasid) pair that did not survive the update. */
struct lost_pair {
	std::uint32_t dev = 0;
	std::uint32_t pasid = 0;
	friend auto operator<=>(const lost_pair &, const lost_pair &) = default;
};

/** @brief What a trace's loss looks like at a glance (the `intact` clause). */
enum class loss_summary : std::uint8_t {
	intact,      /**< nothing lost */
	loses_pasid, /**< some PASID (p > 0) lost, the RIDs kept */
	loses_rid,   /**< some RID (p = 0) lost */
};

/**
 * @brief The keyword of a loss summary in scenario files.
 * @param s the summary
 * @context Any context.
 * @return "intact", "loses-pasid" or "loses-rid"; "?" for a value outside
 * the enum.
 */
std::string_view name(loss_summary s);

/**
 * @brief One `expect` line, for one variant: every clause is optional and
 * only the clauses written are judged.
 */
inline constexpr int RET_ANY_ERROR = -1000;

struct expectation {
	std::string label;   /**< the variant as written: a preset name or policy/freeze/gate */
	lu::variant variant; /**< what the label means */
	int line = 0;        /**< line of the expect line in the file */
	/**
	 * `rets`: one per step; nullopt at a position written `_` (any),
	 * RET_ANY_ERROR where written `ERR` (fails, errno not asserted, as the
	 * kernel's selftests often do).
	 */
	std::optional<std::vector<std::optional<int>>> rets;
	std::optional<loss_summary> summary;                   /**< intact | loses-pasid | loses-rid */
	std::optional<std::vector<lost_pair>> lost;            /**< `lost`, sorted */
	std::optional<std::vector<lu::attachment>> at_kexec;   /**< `at-kexec`, sorted */
	std::optional<std::vector<lu::attachment>> restored;   /**< `restored`, sorted */
};

/** @brief A parsed scenario file. */
struct scenario {
	std::string file;                /**< path it was read from (for messages) */
	std::string name;                /**< \<variant\>+\<attachments\>+\<op\>... */
	std::string about;               /**< the paragraph saying what it shows */
	lu::config config;
	std::vector<lu::step> trace;
	std::vector<int> trace_lines;    /**< line of each step in the file */
	std::vector<expectation> expects; /**< in file order, `*` expanded */
};

/** @brief A diagnostic for bad input: where and what. */
struct diagnostic {
	std::string file;
	int line = 0;
	int column = 0;
	std::string message;
	/**
	 * @brief "file:line:column: message"
	 * @return the text.
	 * @context Any context.
	 */
	std::string str() const;
};

/** @brief Thrown by the parser on bad input. */
class scenario_error : public std::runtime_error {
public:
	/**
	 * @brief Wrap @p d; what() is d.str().
	 * @param d where the input is bad, and why
	 * @context Allocates.
	 */
	explicit scenario_error(diagnostic d);
	/**
	 * @brief Where the input is bad, and why.
	 * @context Any context.
	 * @return the diagnostic given to the constructor.
	 */
	const diagnostic &where() const noexcept { return diag_; }

private:
	diagnostic diag_;
};

/**
 * @brief Parse scenario text.
 * @param text the whole file.
 * @param file the name to use in diagnostics.
 * @return the scenario.
 * @throws scenario_error on the first malformation, with its line and column;
 * also at the first device, hwpt or step past SCENARIO_MAX_DEVICES,
 * SCENARIO_MAX_HWPTS or SCENARIO_MAX_STEPS, before any is run.
 * @context Any context.
 */
scenario parse_scenario(std::string_view text, const std::string &file);

/**
 * @brief Read and parse a scenario file.
 * @throws scenario_error if it cannot be read or is longer than
 * SCENARIO_MAX_BYTES (line 0), or is malformed.
 * @return the scenario.
 * @context Reads the file.
 */
scenario load_scenario(const std::string &path);

/**
 * @brief Write a scenario in the format parse_scenario() reads (round trip).
 * @return the text.
 * @context Any context.
 */
std::string format_scenario(const scenario &s);

/**
 * @brief "-EINVAL" for -22, "0" for 0, else the number.
 * @return the name.
 * @context Any context.
 */
std::string errno_name(int ret);

/**
 * @brief Inverse of errno_name() ("-EINVAL", "0" or a decimal integer).
 * @return the value, or std::nullopt if @p s is none of these.
 * @context Any context.
 */
std::optional<int> parse_errno(std::string_view s);

/**
 * @brief A step as it is written in a trace line: "attach dev=0 pasid=5 hwpt=1".
 * @return the text.
 * @context Any context.
 */
std::string format_step(const lu::step &s);

/**
 * @brief Attachments as a scenario writes them: "(dev,pasid,hwpt) ..." or "none".
 * @return the text.
 * @context Any context.
 */
std::string format_attachments(const std::vector<lu::attachment> &v);

/**
 * @brief "v1" for a preset, else "policy/freeze/gate".
 * @return the label.
 * @context Any context.
 */
std::string variant_label(const lu::variant &v);

/**
 * @brief Inverse of variant_label().
 * @return the variant, or std::nullopt if @p s is no label.
 * @context Any context.
 */
std::optional<lu::variant> parse_variant_label(std::string_view s);

} // namespace lu::verify
