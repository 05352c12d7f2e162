/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One property of one kernel variant as a BMC query over the unrolled
 * transition relation (docs/model.md gives each formula). Private to model/src.
 */
#pragma once

#include <z3++.h>

#include <optional>
#include <string>
#include <vector>

#include "encoding.h"
#include "lu/model/prove.h"

namespace lu::model::internal {

struct query {
	dims dm;
	unsigned depth = 0;
	sym_config cfg;
	std::vector<sym_step> steps;
	std::vector<unrolling> runs; // runs[0]: the variant; runs[1]: full (observable-contract)
	z3::expr wd;                 // witness device, BV(dev_bits)
	z3::expr wp;                 // witness PASID index, BV20 (the last slot)
	std::vector<z3::expr> facts; // configuration, initial state, transitions, canonical form
	std::vector<z3::expr> bad_at;     // [k - 1]: violation (or witness) visible by depth k
	std::vector<z3::expr> premise_at; // [k - 1]: the implication's premise at depth k
	property_kind kind = property_kind::safety;
	// bad_at(k) implies bad_at(depth): the violation is about the state
	// after kexec, which no later step changes. The query then needs only
	// bad_at(depth) (and premise_at(depth)).
	bool monotone = false;
	z3::expr goal() const;    // what the main query asserts
	z3::expr premise() const; // what the non-vacuity query asserts
	// The free inputs: the configuration, every step's arguments and the
	// witness (dev, PASID); fixing them fixes the whole trace.
	std::vector<z3::expr> inputs() const;
};

/**
 * Build the query of (@v, @p) with the given bounds. @share_twin
 * (observable-contract only): the full twin shares every state field but
 * the records with the variant's run (unroll_twin); only sound when
 * twin_lemma(@v) is unsat.
 */
query build_query(z3::context &c, const lu::variant &v, property p, const bounds &b, bool from_initial = true,
		  bool share_twin = false);

/** A check: facts and the goal whose unsat proves something. */
struct lemma {
	std::vector<z3::expr> facts;
	z3::expr goal;
};

/**
 * The lemma behind observable-contract's shared twin: from any state of the
 * variant and any state of full that agree on every field but the records,
 * a step (as the query admits them, over the query's slots) that returns
 * the same value under both leaves them agreeing on every field but the
 * records. The goal is its violation: unsat proves it.
 */
lemma twin_lemma(z3::context &c, const lu::variant &v, const bounds &b);

/** One obligation of an unbounded proof: unsat proves it (sat, for a non-vacuity check). */
struct obligation {
	std::string name;
	lemma check;
	bool expect_sat = false;
};

/**
 * The unbounded proof of a loss property (no-silent-pasid-loss,
 * loss-only-when-acknowledged) for @v: the obligations that together show
 * it for every trace length (docs/model.md, "Beyond bounded model
 * checking"): the table invariant and the counters' step lemma, then the
 * strengthening invariant's base, step, non-vacuity and safety. Empty when the property
 * is not a loss property or the variant has no such proof (a rid-only gate,
 * freeze allowed, or silent-drop).
 */
std::vector<obligation> loss_induction(z3::context &c, const lu::variant &v, property p, const bounds &b);

/**
 * The invariant the induction step of a step-local property may assume of
 * its arbitrary first state: a domain is preserved only while the iommufd
 * is; a device has a record only while preserved (always, under the vfio
 * gate always); nr[g] counts the devices of g with a record.
 */
z3::expr session_invariant(const machine &m, const sym_state &s);

/** The obligations that make session_invariant() hold in every reachable state (unsat each). */
std::vector<obligation> session_invariant_checks(z3::context &c, const lu::variant &v, const bounds &b);

/** Steps a step-local property looks at (1 or 2), 0 if it is not step-local. */
unsigned induction_window(property p);

/** OR of a vector (false when empty). */
z3::expr disjunction(z3::context &c, const std::vector<z3::expr> &v);

/** AND of a vector (true when empty). */
z3::expr conjunction(z3::context &c, const std::vector<z3::expr> &v);

/** Push on construction, pop on destruction (Alive2's SolverPush). */
class scoped_push {
public:
	explicit scoped_push(z3::solver &s) : s_(s) { s_.push(); }
	~scoped_push()
	{
		try {
			s_.pop();
		} catch (const z3::exception &) {
			// pop only fails on a broken context; the caller's next call reports it
		}
	}
	scoped_push(const scoped_push &) = delete;
	scoped_push &operator=(const scoped_push &) = delete;

private:
	z3::solver &s_;
};

/** Solver parameters of every query: deterministic budget, fixed seed. */
void configure(z3::solver &s, std::uint64_t rlimit, unsigned seed);

} // namespace lu::model::internal
