/* SPDX-License-Identifier: GPL-2.0 */
/**
 * @file crosscheck.h
 * @brief The impl <-> model cross-checks (DESIGN section 4, verify 1-4).
 *
 *  - guided:      model-guided cases (lu::model::enumerate): Z3 covers every
 *                 outcome class of each operation; the impl must give the
 *                 same return values and the same whole post-state.
 *  - conformance: every trace up to a depth over a reduced alphabet from a
 *                 few prefixes, and seeded random traces, on both sides
 *                 (the model side by the compiled evaluator,
 *                 lu::model::evaluate).
 *  - evaluator:   a sample of the random traces on the evaluator and on
 *                 the Z3-solving simulator (lu::model::simulate), which
 *                 must agree: the evaluator is the same relation.
 *  - replay:      every counterexample and witness of prove, on the impl:
 *                 same return values, same loss.
 *  - mutants:     the checks above rerun by the mutation runner
 *                 (iommufd-lu-mutants) against each mutant of lu::impl;
 *                 each must be caught.
 *
 * Each check counts its cases and disagreements; the first divergence of
 * each check can be written out as a scenario file.
 */
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include "lu/core/trace.h"
#include "lu/core/variant.h"
#include "lu/model/prove.h"
#include "lu/verify/backend.h"

namespace lu::verify {

/** @brief What one check covered and where it disagreed. */
struct check_report {
	std::string name;
	std::size_t cases = 0;
	std::size_t disagreements = 0;
	std::vector<std::string> samples;             /**< the first few disagreements, described */
	std::map<std::string, std::size_t> coverage;  /**< cases per class (e.g. "v2 attach ret=-22") */
	std::string note;                             /**< incompleteness, solver trouble, ... */
	std::map<std::string, std::uint64_t> counts;  /**< what ran (e.g. "random_traces", "seed", "capped") */
	std::string scenario;                         /**< the file the first divergence was written to, if any */
	std::vector<std::size_t> failed;              /**< numbers of the cases that disagreed */
};

/** @brief The mutation check. */
struct mutants_report {
	bool ran = false;
	std::size_t total = 0;
	std::size_t killed = 0;
	std::vector<std::string> survivors;
	std::vector<std::pair<std::string, std::string>> killed_by; /**< mutant, what caught it */
	/** per component (xarray, iommufd, LUO, image, restore, model): name, killed, total */
	std::vector<std::tuple<std::string, std::size_t, std::size_t>> components;
	std::string note;
};

struct crosscheck_report {
	std::vector<check_report> checks;
	mutants_report mutants;
	/**
	 * @brief Cases run, summed over the checks.
	 * @context Any context.
	 * @return the sum of every check's cases.
	 */
	std::size_t cases() const;
	/**
	 * @brief Disagreements, summed over the checks.
	 * @context Any context.
	 * @return the sum of every check's disagreements (0: impl and model agree).
	 */
	std::size_t disagreements() const;
	/**
	 * @brief {"cases", "disagreements", "checks": {NAME: {...}}, "mutants": {...}}
	 * @return the document of DESIGN section 4.
	 * @context Any context.
	 */
	nlohmann::json to_json() const;
};

/**
 * @brief A case with the model's answer fixed in advance (guided, replay):
 * the impl alone is run and compared with it. Serialisable, so the mutation
 * runner replays exactly the cases the main run generated.
 */
struct fixed_case {
	std::string check;                          /**< "guided" or "replay" */
	std::string label;                          /**< coverage class, e.g. "v2 attach ret=-22 pasid=2" */
	lu::config config;
	lu::variant variant{};
	std::vector<lu::step> trace;
	std::vector<int> rets;                      /**< expected return values */
	std::optional<state_view> post;             /**< expected post-state (guided) */
	std::optional<std::vector<lost_pair>> lost; /**< expected loss (replay) */
	std::optional<std::vector<lu::attachment>> restored; /**< expected restored set (replay) */
	std::string property;      /**< replay: the property (stable id) whose witness this is; "" otherwise */
	std::string verdict;       /**< replay: the model's verdict ("proved", "counterexample") */
	std::string other_variant; /**< replay of observable-contract: the variant compared with */
};

/** @brief The model's verdict of one property under one variant, as prove gave it. */
struct model_verdict {
	lu::model::verdict verdict = lu::model::verdict::unknown;
	bool every_depth = false; /**< proved for every trace length (else up to depth) */
	unsigned depth = 0;       /**< the bound it was proved at */
	unsigned devices = 0;     /**< the device bound */
	unsigned hwpts = 0;       /**< the hwpt bound */
};

/** @brief Verdicts by (variant_label(), property id). */
using verdict_table = std::map<std::pair<std::string, std::string>, model_verdict>;

/**
 * @brief Serialise a fixed case for the mutation runner.
 * @param c the case
 * @context Allocates.
 * @return the case as JSON (read back by fixed_case_from_json()).
 */
nlohmann::json to_json(const fixed_case &c);
/**
 * @brief Read back a case written by to_json(const fixed_case &).
 * @param j the JSON
 * @context Allocates; throws nlohmann::json::exception on a missing or
 * mistyped key.
 * @return the case.
 */
fixed_case fixed_case_from_json(const nlohmann::json &j);

struct crosscheck_options {
	std::vector<lu::variant> variants;   /**< default: every preset */
	bool guided = true;
	unsigned guided_depth = 6;
	unsigned guided_max = 400;           /**< cases per (variant, op) at most */
	bool conformance = true;
	unsigned exhaustive_depth = 1;       /**< suffix depth of the exhaustive traces */
	std::size_t random = 1000;           /**< seeded random traces (each under every variant) */
	std::uint64_t seed = 1;
	std::size_t solver_sample = 30;      /**< random traces also run on the Z3-solving simulator */
	bool replay = true;
	unsigned prove_depth = 6;
	std::string emit_dir;                /**< write the first divergence of each check here */
	bool stop_at_first = false;          /**< stop a check at its first disagreement (mutation runs) */
	std::set<std::size_t> skip;          /**< case numbers not to judge (they fail without a mutant) */
	verdict_table verdicts;              /**< the model's verdicts the monitors are judged against (from replay's proofs) */
	bool monitors = true;                /**< run the property monitors (run_monitors) */
	std::size_t multi_device = 1500;     /**< multi-device traces (each under every variant) */
	std::function<void(const std::string &)> progress; /**< one line per phase, may be empty */
};

/**
 * @brief Generate the guided cases (Z3).
 * @param o the options (variants, depth, cap per enumeration)
 * @param note says what the enumeration did not cover (caps hit, solver trouble)
 * @param counts if not null: "enumerations", "complete" (exhausted their
 *        projection) and "capped" (stopped at o.guided_max)
 * @return the cases.
 * @context Creates Z3 contexts; slow (one enumeration per variant and operation).
 */
std::vector<fixed_case> generate_guided(const crosscheck_options &o, std::string *note,
					std::map<std::string, std::uint64_t> *counts = nullptr);

/**
 * @brief Generate the replay cases from prove's counterexamples and witnesses (Z3).
 * @return the cases; @p note says what was replayed.
 * @context Runs the prover (Z3); slow.
 */
std::vector<fixed_case> generate_replay(const crosscheck_options &o, std::string *note,
					verdict_table *verdicts = nullptr);

/**
 * @brief The property monitors (lu/verify/monitors.h) on every trace of the
 * conformance check (the same exhaustive and seeded random traces), on the
 * guided cases and on the replay cases, run on @p impl.
 *
 * A safety monitor's violation under a variant for which the model proves
 * the property (o.verdicts; within the bounds of the proof: its depth
 * unless proved for every depth, its devices and hwpts) is a disagreement,
 * and so is a capability's witness where the model finds none. A replayed
 * counterexample (or capability witness) that the monitor does not confirm
 * on the impl is a disagreement. observable-contract compares each run with
 * the same requests under `full`.
 * @return cases (one per trace and variant, all properties) and
 *         disagreements; counts "violations PROPERTY", "witnesses
 *         PROPERTY", "replay_confirmed", "traces".
 * @context Runs on the calling thread; one impl snapshot per step.
 */
check_report run_monitors(const backend &impl, const std::vector<fixed_case> &cases, const crosscheck_options &o);

/**
 * @brief Multi-device traces on purpose: two devices with PASIDs, in two
 * groups and in one group, each preserved (flags 0 or IGNORE_PASID, in
 * either order, iommufd first), then kexec and dma on every (device, PASID)
 * pair, under every variant: the impl (serialize, parse, restore) and the
 * model (the compiled evaluator) must give the same outcome, and the
 * monitors judge the impl's run as in run_monitors().
 * @return cases (one per trace and variant) and disagreements; counts
 *         "multi_device_traces", "two_groups", "one_group".
 * @context Runs on the calling thread.
 */
check_report run_multi_device(const backend &impl, const backend &model, const crosscheck_options &o);

/**
 * @brief Run fixed cases on @p impl; cases of other checks are skipped.
 * @return cases run and disagreements.
 * @context Runs on the calling thread.
 */
check_report run_fixed(const std::string &check, const std::vector<fixed_case> &cases, const backend &impl,
		       const crosscheck_options &o);

/**
 * @brief Trace conformance: exhaustive small depth plus seeded random traces on both sides.
 * @return cases run (one per trace and variant) and disagreements; counts
 *         "exhaustive_traces", "random_traces", "seed", "variants".
 * @context Runs on the calling thread; the model backend decides whether
 *          Z3 solves (simulate) or the compiled relation is evaluated.
 */
check_report run_conformance(const backend &impl, const backend &model, const crosscheck_options &o);

/**
 * @brief The evaluator against the reference: the first o.solver_sample
 * random conformance traces (same seed, same generator), each under one
 * variant in turn, on @p model and on @p reference; any difference is a
 * disagreement.
 * @param model the backend under check (the compiled evaluator)
 * @param reference the Z3-solving simulator
 * @param o the options (variants, seed, solver_sample)
 * @return cases run and disagreements.
 * @context Runs on the calling thread; the reference uses Z3 (slow).
 */
check_report run_engine_check(const backend &model, const backend &reference, const crosscheck_options &o);

/**
 * @brief A scenario text for a trace on which impl and model differ: the
 * model's outcome as the expectation, the impl's in the paragraph.
 * @return the scenario text.
 * @context Any context.
 */
std::string divergence_scenario(const std::string &name, const lu::config &cfg, const lu::variant &v,
				const std::vector<lu::step> &trace, const lu::outcome *model, const lu::outcome *impl,
				const std::string &why);

} // namespace lu::verify

namespace lu::verify {

/**
 * @brief impl-only check that no model can answer, fail-nth: every
 * allocation of every step of a set of traces fails in turn
 * (iommufd_fail_nth style); a failed step must leave the snapshot unchanged
 * (failure-changes-nothing under -ENOMEM).
 *
 * The impl-only checks (this one, run_image_checks() and run_luo_checks())
 * are built with the impl backend (src/impl_checks.cpp) so that the
 * mutation runner runs them on mutants.
 * @return cases run and disagreements.
 * @context Runs on the calling thread; allocation failures are injected.
 */
check_report run_fail_nth(const crosscheck_options &o);
/**
 * @brief impl-only check of the image: every kexec image parses; every
 * single-byte change is rejected; a PASID at 2^20 (checksum fixed up) is
 * -ERANGE.
 * @return cases run and disagreements.
 * @context Runs on the calling thread.
 */
check_report run_image_checks(const crosscheck_options &o);
/**
 * @brief LUO: a .freeze() failing at any position leaves no file frozen.
 * @return cases run and disagreements.
 * @context Runs on the calling thread.
 */
check_report run_luo_checks(const crosscheck_options &o);

} // namespace lu::verify
