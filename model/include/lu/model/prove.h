/* SPDX-License-Identifier: GPL-2.0 */
/**
 * @file prove.h
 * @brief The properties of DESIGN section 3 as named queries, and their results.
 *
 * Z3-free: the encoding lives in model/src (docs/model.md gives every
 * formula). A result is a value, as Alive2's Result is: a verdict, the reason
 * when the solver gave up, the bounds it holds for, the non-vacuity check,
 * the time, and a decoded witness (never a raw Z3 model).
 */
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lu/core/decision.h"
#include "lu/core/trace.h"
#include "lu/core/variant.h"

namespace lu::model {

/** @brief A property's verdict for one kernel variant (DESIGN section 3). */
enum class verdict : std::uint8_t {
	proved,         /**< holds up to the bounds (capability: a witness exists) */
	counterexample, /**< fails: a decoded trace shows it (capability: no witness) */
	unknown,        /**< the solver gave up; the reason says why */
	error,          /**< the query could not be run */
};

/**
 * @brief The stable name of a verdict (JSON "verdict", the text table).
 * @param v the verdict
 * @context Any context; constexpr.
 * @return "proved", "counterexample", "unknown" or "error"; "?" for a value
 * outside the enum.
 */
constexpr std::string_view name(verdict v)
{
	switch (v) {
	case verdict::proved: return "proved";
	case verdict::counterexample: return "counterexample";
	case verdict::unknown: return "unknown";
	case verdict::error: return "error";
	}
	return "?";
}

/** @brief Safety: refute a violation. Capability: find a witness. */
enum class property_kind : std::uint8_t { safety, capability };

/** @brief The properties, in report order (DESIGN section 3, then the extra). */
enum class property : std::uint8_t {
	no_silent_pasid_loss,
	loss_only_when_acknowledged,
	rid_only_preservable,
	pasid_survives_update,
	observable_contract,
	unknown_flags_rejected,
	preserved_is_frozen,
	unpreserve_restores,
	failure_changes_nothing,
	image_round_trip,
	nested_survives,
	freeze_lifts,
};

/** @brief Stable id, kind, column label and the one-line message of a property. */
struct property_info {
	lu::model::property id;
	std::string_view name;    /**< stable id, e.g. "no-silent-pasid-loss" */
	property_kind kind;
	std::string_view column;  /**< short label for the verdict table */
	std::string_view message; /**< what a counterexample (or a missing witness) means */
};

inline constexpr std::array<property_info, 12> properties{{
	{property::no_silent_pasid_loss, "no-silent-pasid-loss", property_kind::safety, "no-silent",
	 "preserve returns 0 without IGNORE_PASID but an attachment is lost across the update"},
	{property::loss_only_when_acknowledged, "loss-only-when-acknowledged", property_kind::safety, "ack-loss",
	 "an attachment is lost that no successful preserve with IGNORE_PASID dropped"},
	{property::rid_only_preservable, "rid-only-preservable", property_kind::capability, "rid-ok",
	 "a device with only a RID attachment to a marked, sealed hwpt cannot be preserved and survive"},
	{property::pasid_survives_update, "pasid-survives-update", property_kind::capability, "pasid-ok",
	 "no trace carries a PASID attachment across the update"},
	{property::observable_contract, "observable-contract", property_kind::safety, "contract",
	 "the same request returns the same values here and under full but restores a different state"},
	{property::unknown_flags_rejected, "unknown-flags-rejected", property_kind::safety, "flags",
	 "preserve_device with unknown flag bits does not fail with -EINVAL, or changes state"},
	{property::preserved_is_frozen, "preserved-is-frozen", property_kind::safety, "frozen",
	 "an operation changes the attachments of a preserved device after its record was taken"},
	{property::unpreserve_restores, "unpreserve-restores", property_kind::safety, "unpreserve",
	 "preserve then unpreserve leaves the state different from before"},
	{property::failure_changes_nothing, "failure-changes-nothing", property_kind::safety, "failure",
	 "an operation returns an error but changes the state"},
	{property::image_round_trip, "image-round-trip", property_kind::safety, "image",
	 "a restored attachment does not resolve through the image to its serialized domain"},
	{property::nested_survives, "nested-survives", property_kind::safety, "nested",
	 "a nested attachment of a preserved device is restored as its stage-2 parent"},
	{property::freeze_lifts, "freeze-lifts", property_kind::safety, "lifts",
	 "attach, replace or detach is refused with -EBUSY on a group none of whose devices is preserved"},
}};

/**
 * @brief A property's stable id, kind, column label and message.
 * @param p the property
 * @context Any context; constexpr.
 * @return its entry of @c properties (static storage).
 */
constexpr const property_info &info(property p)
{
	return properties[static_cast<std::size_t>(p)];
}

/**
 * @brief The property with a given stable id (inverse of info(p).name).
 * @param s the id, e.g. "no-silent-pasid-loss"
 * @context Any context; constexpr.
 * @return the property; std::nullopt if @p s names none.
 */
constexpr std::optional<property> parse_property(std::string_view s)
{
	for (const auto &p : properties)
		if (p.name == s)
			return p.id;
	return std::nullopt;
}

/** @brief Result of the non-vacuity check (is the implication's premise satisfiable?). */
enum class vacuity : std::uint8_t {
	ok,             /**< the premise is satisfiable (or the witness satisfies it) */
	vacuous,        /**< the premise is unsatisfiable: the proof says nothing (a defect) */
	unknown,        /**< the solver gave up on the premise */
	not_applicable, /**< no premise to check (a capability without witness, an error) */
};

/**
 * @brief The stable name of a non-vacuity result (JSON "vacuity").
 * @param v the result
 * @context Any context; constexpr.
 * @return "ok", "vacuous", "unknown" or "n/a"; "?" for a value outside the
 * enum.
 */
constexpr std::string_view name(vacuity v)
{
	switch (v) {
	case vacuity::ok: return "ok";
	case vacuity::vacuous: return "vacuous";
	case vacuity::unknown: return "unknown";
	case vacuity::not_applicable: return "n/a";
	}
	return "?";
}

/** @brief The bounds a verdict holds for (reported with every verdict). */
struct bounds {
	unsigned devices = 2;                /**< devices, each in a symbolic group */
	unsigned hwpts = 3;                  /**< hwpts, each paging or nested */
	unsigned depth = 8;                  /**< trace length */
	unsigned pasid_bits = lu::PASID_BITS; /**< table index width (arguments are 32-bit) */
};

/** @brief A (dev, pasid) pair lost across the update. */
struct lost_pair {
	std::uint32_t dev = 0;
	std::uint32_t pasid = 0;
	friend auto operator<=>(const lost_pair &, const lost_pair &) = default;
};

/** @brief One decoded step: the operation, its arguments and its return value. */
struct witness_step {
	lu::step step;
	int ret = 0;
	std::optional<int> ret_other; /**< observable-contract: the return under the other variant */
	std::optional<lu::decision> rule = {}; /**< the rule of docs/semantics.md that decided ret */
};

/** @brief A decoded trace with the configuration needed to replay it. */
struct witness {
	lu::config config;
	std::vector<witness_step> trace;
	std::vector<lost_pair> lost;                   /**< empty when the property is not about loss */
	std::vector<lu::attachment> at_kexec;           /**< empty without kexec */
	std::vector<lu::attachment> restored;
	std::vector<lu::attachment> restored_other;     /**< observable-contract: under the other variant */
	std::optional<lu::model::lost_pair> focus;      /**< the (dev, pasid) the violation is about */
	std::string other_variant;                      /**< observable-contract: name of the other variant */
};

/** @brief One cell of the verdict table. */
struct result {
	lu::variant variant{};
	lu::model::property property{};
	lu::model::verdict verdict = verdict::error;
	std::string reason;  /**< unknown/error: the solver's reason or the exception */
	lu::model::bounds bounds;
	lu::model::vacuity vacuity = vacuity::not_applicable;
	double seconds = 0;
	std::optional<lu::model::witness> witness; /**< counterexample, or a capability's witness */
	std::string note;   /**< how the verdict was reached (e.g. "unsat at depth 8") */
	/**
	 * proved for every trace length, not only up to bounds.depth (an
	 * inductive argument; the note says which, docs/model.md gives it)
	 */
	bool every_depth = false;
	/**
	 * proved for any number of devices, groups and hwpts (and every depth),
	 * not only bounds.devices and bounds.hwpts: the any-size proof of
	 * docs/model.md, "Any number of devices, groups and hwpts"
	 */
	bool any_size = false;
	/**
	 * @brief The class of systems the verdict covers.
	 * @return e.g. "devices any, hwpts any, depth any" (any_size), "devices
	 * 2, hwpts 3, depth any" (every_depth) or the bounds.
	 * @context Any context.
	 */
	std::string covers() const;
};

/** @brief Solver budget and bounds of a proof run. */
struct prove_options {
	lu::model::bounds bounds;
	std::uint64_t rlimit = 400'000'000; /**< Z3 resource limit per check (deterministic) */
	unsigned random_seed = 0;
	bool minimise = true; /**< fewest steps, then smallest PASIDs and tokens */
	/**
	 * try the inductive arguments first (step-local properties, the loss
	 * properties' strengthening): when one holds, the verdict is proved
	 * for every depth without BMC; false: bounded model checking only
	 */
	bool induction = true;
};

/**
 * @brief One check a verdict rests on, as a self-contained SMT-LIB2 script:
 * one file of the verdict's certificate (docs/citing.md, "Certificates").
 */
struct smt2_query {
	std::string file;     /**< suggested file name, e.g. "v1__no-silent-pasid-loss.witness.smt2" */
	std::string variant;  /**< preset name or "custom" */
	std::string property; /**< property id */
	/**
	 * which check: "query" (the BMC query at the full depth), "witness"
	 * (that query with the configuration and every step's arguments fixed
	 * to the decoded trace), "premise" (non-vacuity), "twin-lemma", "step"
	 * (a step-local induction step), or an obligation of an inductive
	 * proof by its name in kebab case (e.g. "invariant-is-inductive")
	 */
	std::string role;
	std::string what;     /**< what the expected answer proves, in words */
	std::string expected; /**< what Z3 answered here: "sat", "unsat" or "unknown" */
	std::string text;     /**< the script: set-logic, declarations, assertions, check-sat */
};

/**
 * @brief Check one property for one kernel variant.
 * @param v the kernel variant
 * @param p the property
 * @param opt bounds, solver budget and seed
 * @param certificate if not nullptr, receives the verdict's certificate:
 * every check the verdict rests on, each with Z3's answer (an every-depth
 * proof: each obligation; a bounded proof or a missing witness: the BMC
 * query; a counterexample or a witness: the query with the decoded trace
 * fixed; a safety property: also its premise). Empty on verdict::error.
 * @context Creates its own Z3 context; safe to call from several threads.
 * @return a result; never throws (a z3::exception becomes verdict::error).
 */
result prove(const lu::variant &v, property p, const prove_options &opt,
	     std::vector<smt2_query> *certificate = nullptr);

} // namespace lu::model
