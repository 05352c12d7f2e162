/* SPDX-License-Identifier: GPL-2.0 */
/**
 * @file backend.h
 * @brief One interface over the two implementations of the abstract machine.
 *
 * verify/ runs the same (config, variant, trace) through lu::impl and
 * lu::model and compares the outcomes; this is the seam. The impl backend is
 * in its own translation unit so that the mutation runner can build it
 * against lu_impl_mutants while the normal tool never sees a mutant.
 */
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lu/core/trace.h"
#include "lu/core/variant.h"
#include "lu/verify/scenario.h"

namespace lu::verify {

/** @brief The result of one run: an outcome, or why there is none. */
struct run_result {
	std::optional<lu::outcome> out; /**< nullopt: the backend could not run it */
	std::string error;              /**< why, when out is nullopt */
};

/**
 * @brief The old kernel's state as both sides can show it (docs/semantics.md,
 * State), for the "whole post-state" comparisons. Fields either side lacks
 * (session order, hwpt user counts) are left out.
 */
struct state_view {
	std::vector<lu::attachment> attachments;         /**< (dev, pasid, hwpt) with dev in devs[g][p], sorted */
	std::vector<std::uint8_t> marked;                /**< per hwpt */
	std::vector<std::uint64_t> mark_token;           /**< per hwpt, 0 unless marked */
	std::vector<std::uint8_t> domain_preserved;      /**< per hwpt */
	std::vector<std::pair<std::uint32_t, int>> nr_preserved; /**< (group, counter) for every group in the config */
	bool iommufd_preserved = false;
	std::uint64_t iommufd_token = 0;                 /**< 0 unless preserved */
	struct device {
		bool preserved = false;
		std::uint64_t token = 0;                     /**< 0 unless preserved */
		std::uint32_t flags = 0;                     /**< 0 unless preserved */
		bool has_record = false;
		std::vector<lu::attachment> record;          /**< sorted, empty without record */
		friend bool operator==(const device &, const device &) = default;
	};
	std::vector<device> devices;                     /**< per device */
	bool kexeced = false;
	friend bool operator==(const state_view &, const state_view &) = default;
};

/**
 * @brief The first field where @p a and @p b differ, empty if none.
 * @return a description of the first difference, or "" if none.
 * @context Any context.
 */
std::string describe_state_difference(const state_view &a, std::string_view a_name, const state_view &b,
				      std::string_view b_name);

/**
 * @brief One run seen step by step, for the property monitors
 * (lu/verify/monitors.h): the trace, its outcome and the state before and
 * after every step.
 */
struct observed_run {
	lu::config config;
	lu::variant variant{};
	std::vector<lu::step> trace;
	lu::outcome out;                 /**< every return value, at_kexec, restored */
	std::vector<state_view> states;  /**< states[i] before step i; states[trace.size()] after the last */
};

/** @brief Runs a trace on one side (impl or model). */
class backend {
public:
	virtual ~backend() = default;
	/**
	 * @brief Which side this is.
	 * @context Any context.
	 * @return "impl" or "model".
	 */
	virtual std::string_view name() const = 0;
	/**
	 * @brief Run @p trace on a fresh machine of @p cfg under @p v.
	 * @context Never throws; a failure to run is an error in the result.
	 * @return the outcome (every return value, at_kexec, restored).
	 */
	virtual run_result run(const lu::config &cfg, const lu::variant &v,
			       const std::vector<lu::step> &trace) const = 0;
	/**
	 * @brief The state after @p trace (before kexec it is the old kernel's),
	 * if this side can show it.
	 * @context Runs @p trace again on a fresh machine; allocates.
	 * @return the state; std::nullopt if this side cannot show one (the
	 * default) or the trace could not be run.
	 */
	virtual std::optional<state_view> state_after(const lu::config &, const lu::variant &,
						      const std::vector<lu::step> &) const
	{
		return std::nullopt;
	}
	/**
	 * @brief Run @p trace on a fresh machine and keep the state before and
	 * after every step (the property monitors read it).
	 * @context Allocates; one snapshot per step.
	 * @return the run; std::nullopt if this side cannot show its state
	 * (the default) or the machine could not be built.
	 */
	virtual std::optional<observed_run> observe(const lu::config &, const lu::variant &,
						    const std::vector<lu::step> &) const
	{
		return std::nullopt;
	}
};

/**
 * @brief lu::impl::machine, step by step (backend_impl.cpp).
 * @return a new backend; it keeps no state between runs.
 * @context Allocates.
 */
std::unique_ptr<backend> make_impl_backend();

/** @brief How the model backend runs the model's transition relation. */
enum class model_engine {
	evaluator, /**< lu::model::evaluate: the relation's terms compiled, no solver (fast) */
	solver,    /**< lu::model::simulate: Z3 solves the unrolled relation (the reference) */
};

/**
 * @brief The model's transition relation run on concrete traces.
 * @param e the engine; both run the same terms of model/src/encoding.cpp
 * @return a new backend; it keeps no state between runs.
 * @context Allocates; the engine keeps a thread-local Z3 context.
 */
std::unique_ptr<backend> make_model_backend(model_engine e = model_engine::evaluator);

/**
 * @brief paging_of(h): h if paging, else its parent (docs/semantics.md).
 * @return the index of the paging hwpt.
 * @context Any context.
 */
std::uint32_t paging_of(const lu::config &cfg, std::uint32_t h);

/**
 * @brief The devices preserved at kexec: preserve_device returned 0 for them
 * and no later unpreserve_device did, before the first successful kexec.
 * @return the device indices, sorted; empty without a successful kexec.
 * @context Any context.
 */
std::vector<std::uint32_t> preserved_at_kexec(const std::vector<lu::step> &trace, const std::vector<int> &rets);

/**
 * @brief Lost pairs (docs/semantics.md, Loss): attachments at kexec of a
 * device preserved at kexec with no restored attachment at the same
 * (dev, pasid) through the same stage-2 paging domain. Sorted.
 * @return the lost (dev, pasid) pairs; empty without kexec.
 * @context Any context.
 */
std::vector<lost_pair> lost_pairs(const lu::config &cfg, const std::vector<lu::step> &trace,
				  const lu::outcome &out);

/**
 * @brief intact / loses-pasid / loses-rid of a set of lost pairs.
 * @return the summary of @p lost.
 * @context Any context.
 */
loss_summary summarize(const std::vector<lost_pair> &lost);

} // namespace lu::verify
