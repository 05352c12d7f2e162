/* SPDX-License-Identifier: GPL-2.0 */
/**
 * @file enumerate.h
 * @brief Model-guided test generation: concrete cases that cover every
 * distinct behaviour of each operation (DESIGN section 4, verify 1).
 *
 * For one kernel variant and one operation, Z3 solves the unrolled
 * transition relation (model/src/encoding.cpp) with the operation as the
 * last step and a free configuration and prefix, reads a concrete case back,
 * and blocks its outcome projection (return value, and the branch features
 * that select it: PASID class with the edges 0, 1, max_pasids-1, 2^20-1 and
 * out of range, token class, flags class, hwpt kind, the policy's inputs)
 * until no new projection is left. A feature counts only where it can
 * matter (not after kexec; for preserve_device only once the checks before
 * it passed, with the edge tokens as a second pass), so every projection
 * is exhausted well below the default cap. Each case carries the model's return
 * values and the model's whole post-state, for verify/ to compare with
 * lu::impl. Z3-free header.
 */
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "lu/core/trace.h"
#include "lu/core/variant.h"

namespace lu::model {

/** @brief The old kernel's state as the model holds it (docs/semantics.md, State). */
struct state_snapshot {
	std::vector<lu::attachment> attachments;       /**< sorted, at the PASIDs the trace names */
	std::vector<std::uint8_t> marked;              /**< per hwpt */
	std::vector<std::uint64_t> mark_token;         /**< per hwpt, 0 unless marked */
	std::vector<std::uint8_t> domain_preserved;    /**< per hwpt */
	std::vector<std::pair<std::uint32_t, int>> nr_preserved; /**< (group, counter) per group of the config */
	bool iommufd_preserved = false;
	std::uint64_t iommufd_token = 0;               /**< 0 unless preserved */
	struct device {
		bool preserved = false;
		std::uint64_t token = 0;                   /**< 0 unless preserved */
		std::uint32_t flags = 0;                   /**< 0 unless preserved */
		bool has_record = false;
		std::vector<lu::attachment> record;        /**< sorted */
	};
	std::vector<device> devices;
	bool kexeced = false;
};

/** @brief One generated case. */
struct guided_case {
	lu::config config;
	std::vector<lu::step> trace;  /**< the last step is the operation under test */
	std::vector<int> rets;        /**< the model's return value of every step */
	state_snapshot post;          /**< the model's state after the last step */
	std::string projection;       /**< the outcome class it covers, e.g. "ret=-22 pasid=max-1 kexeced=0" */
};

/** @brief Bounds and budget of the enumeration. */
struct enumerate_options {
	unsigned devices = 2;
	unsigned hwpts = 3;
	unsigned depth = 6;              /**< steps, the last one the operation under test */
	unsigned max_cases = 400;        /**< per (variant, operation) */
	std::uint64_t rlimit = 50'000'000; /**< Z3 resource limit per check */
};

/** @brief The cases of one (variant, operation), or an error. */
struct enumerate_result {
	std::vector<guided_case> cases;
	bool complete = false; /**< the last check was unsat: every projection is covered */
	std::string error;     /**< solver failure or gave up (then complete is false) */
};

/**
 * @brief Enumerate the outcome classes of @p o under @p v.
 * @param v the kernel variant
 * @param o the operation whose behaviours are enumerated
 * @param opt bounds and solver budget
 * @return the cases found; enumerate_result::complete when every class is
 *         covered, enumerate_result::error when the solver failed or gave up.
 * @context Creates its own Z3 context; never throws.
 */
enumerate_result enumerate(const lu::variant &v, lu::op o, const enumerate_options &opt);

} // namespace lu::model
