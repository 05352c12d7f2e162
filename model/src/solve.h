/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The solver steps prove() is made of, shared with find_causes(): run one
 * check, shrink a model for a reader, decode it, pin it. Private to
 * model/src; defined in prove.cpp.
 */
#pragma once

#include <z3++.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "query.h"

namespace lu::model::internal {

/** One check a verdict rests on (a file of its certificate): facts, goal and Z3's answer. */
struct check {
	std::string role, what;
	std::vector<z3::expr> facts;
	z3::expr goal;
	z3::check_result answer;
};

/**
 * Run a check on a fresh solver (non-incremental: Z3 then preprocesses and
 * bit-blasts the whole query, much faster here than its incremental core).
 * @mdl receives the model on sat, @reason the solver's reason on unknown.
 */
check run_check(z3::context &c, std::string role, std::string what, std::vector<z3::expr> facts, z3::expr goal,
		const prove_options &opt, std::optional<z3::model> *mdl = nullptr, std::string *reason = nullptr);

/**
 * Extra preferences of a minimisation, given the depth the trace was shrunk
 * to: ladders tried in order after the fewest steps; of each ladder the
 * first bound under which the goal stays sat is kept (the rest of the
 * ladder is looser).
 */
using preferences = std::function<std::vector<std::vector<z3::expr>>(unsigned depth)>;

/**
 * Shrink the model @mdl of @q's goal: fewest steps (@at[k - 1]: the goal by
 * depth k), then @prefs, then small tokens and PASIDs. Returns the depth.
 */
unsigned minimise(z3::context &c, const query &q, const prove_options &opt, z3::model &mdl,
		  const std::vector<z3::expr> &at, const preferences &prefs = {});

/** The witness of the first @k steps of @q in @mdl. */
witness decode(const z3::model &mdl, const query &q, unsigned k, property p);

/**
 * The trace of @m fixed: the query at its first depth where @at holds, with
 * the configuration, the witness and every step's arguments pinned to their
 * values in @m; sat, or a std::logic_error (the decoded trace does not
 * reproduce its @role).
 */
check pinned(z3::context &c, const lu::variant &v, property p, const prove_options &opt, bool share, const query &q,
	     const z3::model &m, const std::function<z3::expr(const query &, unsigned)> &at, std::string role,
	     std::string what);

/**
 * observable-contract's full twin may share the variant's state but the
 * records: true when twin_lemma() is proved for @v (its check goes to @cert).
 */
bool twin_shares(z3::context &c, const lu::variant &v, property p, const prove_options &opt, std::vector<check> *cert);

} // namespace lu::model::internal
