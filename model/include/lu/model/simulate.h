/* SPDX-License-Identifier: GPL-2.0 */
/**
 * @file simulate.h
 * @brief Run one concrete trace through the model's transition relation.
 *
 * The same relation the proofs use (model/src/encoding.cpp): the concrete
 * configuration and steps are asserted on an unrolled template, Z3 solves
 * it (everything is determined), and the return values and the attachments
 * at kexec and after restore are read back. verify/ compares this with
 * lu::impl. Z3-free header.
 */
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lu/core/trace.h"
#include "lu/core/variant.h"

namespace lu::model {

/** @brief An outcome, or why there is none. */
struct sim_result {
	std::optional<lu::outcome> out; /**< nullopt: see error */
	std::string error;              /**< bad input (an index out of range) or a solver failure */
};

/**
 * @brief A reusable simulator: one Z3 context, templates cached per
 * (variant, devices, hwpts, depth), one push/pop per run.
 * @context Not thread-safe; use one per thread.
 */
class simulator {
public:
	/**
	 * @brief Create the Z3 context; templates are built on first use.
	 * @context Allocates; throws if the allocation or Z3 fails.
	 */
	simulator();
	/**
	 * @brief Free the Z3 context and every cached template.
	 * @context Any context; on the thread that uses it.
	 */
	~simulator();
	simulator(const simulator &) = delete;
	simulator &operator=(const simulator &) = delete;

	/**
	 * @brief Run @p trace on a fresh machine of @p cfg under @p v.
	 * @return every return value, the attachments at kexec and the restored
	 * ones (sorted, empty without kexec), as docs/semantics.md defines them;
	 * or an error: a step names a device or hwpt the config lacks, a
	 * max_pasids above 2^20, a nested hwpt without a paging parent.
	 * @context Never throws; not thread-safe (one simulator per thread).
	 */
	sim_result run(const lu::config &cfg, const lu::variant &v, const std::vector<lu::step> &trace);

private:
	struct impl;
	std::unique_ptr<impl> p_;
};

/**
 * @brief simulator::run on a thread-local simulator.
 * @param cfg the configuration
 * @param v the kernel variant
 * @param trace the steps to run
 * @return as simulator::run: every return value and the attachments, or an
 *         error for an ill-formed config or step.
 * @context Reuses this thread's Z3 context; never throws.
 */
sim_result simulate(const lu::config &cfg, const lu::variant &v, const std::vector<lu::step> &trace);

} // namespace lu::model
