/* SPDX-License-Identifier: GPL-2.0 */
/**
 * @file evaluate.h
 * @brief Run one concrete trace through the model's transition relation,
 * fast: the relation's terms compiled once, then evaluated without a solver.
 *
 * The terms are the ones the proofs use: machine::transition() of
 * model/src/encoding.cpp builds a one-step template over a symbolic
 * configuration, slots, pre-state and step; each operation's instance of it
 * (the op code substituted, then Z3's simplifier, which preserves meaning)
 * and the read-back terms (attached, restored, record) are compiled into a
 * flat program over 64-bit values (model/src/compile.h). The initial state
 * is read off machine::initial(); wellformed_config() and wellformed_step()
 * are evaluated too. An operator or sort the compiler does not know is an
 * error, never a guess. lu::model::simulator (simulate.h) solves the same
 * terms with Z3 and stays the reference; tests/model/ checks that the two
 * agree. Z3-free header.
 */
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "lu/core/trace.h"
#include "lu/core/variant.h"
#include "lu/model/simulate.h"

namespace lu::model {

/**
 * @brief A reusable evaluator: compiled templates cached per (variant,
 * devices, hwpts, slots), where slots is 1 + the number of distinct nonzero
 * PASID table indices of the trace.
 * @context Not thread-safe; use one per thread.
 */
class evaluator {
public:
	/**
	 * @brief Create the Z3 context; templates are built on first use.
	 * @context Allocates; throws if the allocation or Z3 fails.
	 */
	evaluator();
	/**
	 * @brief Free the Z3 context and every compiled template.
	 * @context Any context; on the thread that uses it.
	 */
	~evaluator();
	evaluator(const evaluator &) = delete;
	evaluator &operator=(const evaluator &) = delete;

	/**
	 * @brief Run @p trace on a fresh machine of @p cfg under @p v.
	 * @param cfg the configuration
	 * @param v the kernel variant
	 * @param trace the steps to run
	 * @return as simulator::run: every return value, the attachments at
	 *         kexec and the restored ones (sorted, empty without kexec); or
	 *         an error: ill-formed input (a step names a device or hwpt the
	 *         config lacks, max_pasids above 2^20, a nested hwpt without a
	 *         paging parent), or a term the compiler does not support.
	 * @context Never throws; the first run of a template builds and
	 * compiles it (Z3), later runs use no solver.
	 */
	sim_result run(const lu::config &cfg, const lu::variant &v, const std::vector<lu::step> &trace);

	/**
	 * @brief Instructions of the compiled step program for @p o in the
	 * template that a run of @p cfg and @p trace under @p v uses.
	 * @param cfg the configuration
	 * @param v the kernel variant
	 * @param trace the steps (their PASIDs decide the slots)
	 * @param o the operation
	 * @return the program's size, 0 if the template cannot be built.
	 * @context Never throws; builds the template if needed.
	 */
	std::size_t program_size(const lu::config &cfg, const lu::variant &v, const std::vector<lu::step> &trace,
				 lu::op o);

private:
	struct impl;
	std::unique_ptr<impl> p_;
};

/**
 * @brief evaluator::run on a thread-local evaluator.
 * @param cfg the configuration
 * @param v the kernel variant
 * @param trace the steps to run
 * @return as evaluator::run.
 * @context Reuses this thread's evaluator; never throws.
 */
sim_result evaluate(const lu::config &cfg, const lu::variant &v, const std::vector<lu::step> &trace);

} // namespace lu::model
