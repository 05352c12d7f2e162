// SPDX-License-Identifier: GPL-2.0
// The prover: one query per (variant, property), bounded model checking at
// the full depth, then minimisation (fewest steps, then smallest PASIDs and
// tokens) and decoding of the witness; the non-vacuity check of the premise.
// z3::exception stops here and becomes verdict::error.
#include "lu/model/prove.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <set>

#include "query.h"

namespace lu::model {

namespace {

using namespace internal;

int ret_of(const z3::model &mdl, const z3::expr &e)
{
	return static_cast<std::int8_t>(static_cast<std::uint8_t>(num(mdl, e)));
}

lu::config decode_config(const z3::model &mdl, const query &q)
{
	lu::config cfg;
	for (unsigned d = 0; d < q.dm.devices; ++d)
		cfg.devices.push_back({static_cast<std::uint32_t>(num(mdl, q.cfg.group[d])),
				       static_cast<std::uint32_t>(num(mdl, q.cfg.max_pasids[d]))});
	for (unsigned h = 0; h < q.dm.hwpts; ++h) {
		lu::hwpt_config hc;
		const bool nested = num(mdl, q.cfg.nested[h]) != 0;
		hc.kind = nested ? lu::hwpt_kind::nested : lu::hwpt_kind::paging;
		hc.parent = nested ? static_cast<std::uint32_t>(num(mdl, q.cfg.parent[h]) - 1) : 0;
		hc.pasid_compat = num(mdl, q.cfg.compat[h]) != 0;
		hc.sealed = num(mdl, q.cfg.sealed[h]) != 0;
		cfg.hwpts.push_back(hc);
	}
	return cfg;
}

// The attachments of a state at the indices the trace names (its slots).
std::vector<lu::attachment> table(const z3::model &mdl, const machine &m, const sym_state &s, bool restored_view)
{
	std::map<std::uint32_t, unsigned> slot_of; // index -> first slot with it
	for (unsigned j = 0; j < m.slots(); ++j)
		slot_of.emplace(static_cast<std::uint32_t>(num(mdl, m.idx()[j])), j);
	std::vector<lu::attachment> out;
	for (unsigned d = 0; d < m.size().devices; ++d)
		for (const auto &[p, j] : slot_of) {
			const z3::expr dv = m.dev_val(d);
			const bool present = restored_view ? num(mdl, m.restored(s, dv, j)) != 0
							   : num(mdl, m.attached(s, dv, j)) != 0;
			if (!present)
				continue;
			const z3::expr h = restored_view ? m.record(s, dv, j) : m.attached(s, dv, j);
			out.push_back({d, p, static_cast<std::uint32_t>(num(mdl, h) - 1)});
		}
	return out;
}

witness decode(const z3::model &mdl, const query &q, unsigned k, property p)
{
	witness w;
	w.config = decode_config(mdl, q);
	const unrolling &u = q.runs[0];
	for (unsigned i = 0; i < k; ++i) {
		const sym_step &a = q.steps[i];
		witness_step ws;
		ws.step.op = static_cast<lu::op>(num(mdl, a.op));
		ws.step.dev = static_cast<std::uint32_t>(num(mdl, a.dev));
		ws.step.pasid = static_cast<std::uint32_t>(num(mdl, a.pasid));
		ws.step.hwpt = static_cast<std::uint32_t>(num(mdl, a.hwpt) - 1);
		ws.step.token = num(mdl, a.token);
		ws.step.flags = static_cast<std::uint32_t>(num(mdl, a.flags));
		ws.ret = ret_of(mdl, u.rets[i]);
		if (q.runs.size() > 1)
			ws.ret_other = ret_of(mdl, q.runs[1].rets[i]);
		w.trace.push_back(ws);
	}
	const auto wd = static_cast<std::uint32_t>(num(mdl, q.wd));
	const auto wp = static_cast<std::uint32_t>(num(mdl, q.wp));
	const sym_state &S = u.states[k];
	if (num(mdl, S.kexeced[0]) != 0) {
		w.at_kexec = table(mdl, u.m, S, false);
		w.restored = table(mdl, u.m, S, true);
		if (q.runs.size() > 1) {
			w.restored_other = table(mdl, q.runs[1].m, q.runs[1].states[k], true);
			w.other_variant = "full";
		}
		std::set<lost_pair> lost;
		for (unsigned d = 0; d < q.dm.devices; ++d)
			for (unsigned j = 0; j < u.m.slots(); ++j)
				if (num(mdl, S.dpres[d]) != 0 && num(mdl, u.m.lost(S, u.m.dev_val(d), j)) != 0)
					lost.insert({d, static_cast<std::uint32_t>(num(mdl, u.m.idx()[j]))});
		w.lost.assign(lost.begin(), lost.end());
	}
	switch (p) {
	case property::unknown_flags_rejected:
	case property::failure_changes_nothing:
	case property::unpreserve_restores:
	case property::freeze_lifts:
		break; // about a step, not a (dev, pasid)
	default:
		w.focus = lost_pair{wd, wp};
	}
	return w;
}

// One check on a fresh solver (non-incremental: Z3 then preprocesses and
// bit-blasts the whole query, much faster here than its incremental core).
// unknown carries the solver's reason.
z3::check_result solve(z3::context &c, const query &q, const prove_options &opt, const std::vector<z3::expr> &extra,
		       std::optional<z3::model> *mdl, std::string *reason)
{
	z3::solver s(c);
	configure(s, opt.rlimit, opt.random_seed);
	for (const auto &f : q.facts)
		s.add(f);
	for (const auto &e : extra)
		s.add(e);
	const z3::check_result r = s.check();
	if (r == z3::sat && mdl)
		*mdl = s.get_model();
	if (r == z3::unknown && reason)
		*reason = s.reason_unknown();
	return r;
}

// Fewest steps first, then small tokens, then small PASIDs (and max_pasids):
// each bound is kept only if the query stays sat under it, so an edge value
// (max_pasids - 1, 2^20 - 1, an out-of-range PASID) survives when it matters.
unsigned minimise(z3::context &c, const query &q, const prove_options &opt, z3::model &mdl)
{
	unsigned k = q.depth;
	for (unsigned d = 1; d <= q.depth; ++d) {
		if (!mdl.eval(q.bad_at[d - 1], true).is_true() && d < q.depth) {
			std::optional<z3::model> m2;
			if (solve(c, q, opt, {q.bad_at[d - 1]}, &m2, nullptr) != z3::sat)
				continue;
			mdl = *m2;
		}
		k = d;
		break;
	}
	std::vector<z3::expr> extra{q.bad_at[k - 1]};
	auto keep_if_sat = [&](const z3::expr &bound) {
		extra.push_back(bound);
		std::optional<z3::model> m2;
		if (solve(c, q, opt, extra, &m2, nullptr) == z3::sat) {
			mdl = *m2;
			return true;
		}
		extra.pop_back();
		return false;
	};
	z3::expr tokens = c.bool_val(true);
	for (const auto &a : q.steps)
		tokens = tokens && z3::ule(a.token, c.bv_val(7, q.dm.token_bits));
	keep_if_sat(tokens);
	for (std::uint64_t b : std::initializer_list<std::uint64_t>{1, 3, 255, lu::PASID_LIMIT - 1}) {
		z3::expr small = z3::ule(q.wp, c.bv_val(b, IDX_BITS));
		for (const auto &a : q.steps)
			small = small && z3::ule(a.pasid, c.bv_val(b, ARG_PASID_BITS));
		for (const auto &mp : q.cfg.max_pasids)
			small = small && z3::ule(mp, c.bv_val(b + 1, MAXP_BITS));
		if (keep_if_sat(small))
			break;
	}
	return k;
}

// One obligation of an inductive argument gives its expected answer.
bool holds(z3::context &c, const obligation &o, const prove_options &opt, std::string *got = nullptr)
{
	z3::solver s(c);
	configure(s, opt.rlimit, opt.random_seed);
	for (const auto &f : o.check.facts)
		s.add(f);
	s.add(o.check.goal);
	const z3::check_result r = s.check();
	if (got)
		*got = r == z3::sat ? "sat" : r == z3::unsat ? "unsat" : "unknown";
	return r == (o.expect_sat ? z3::sat : z3::unsat);
}

// observable-contract's full twin shares the variant's state but the
// records when twin_lemma() is proved for this variant (every variant with
// full's knobs); otherwise it is unrolled on its own. Either way the query
// is the same formula up to fields that provably agree.
query build(z3::context &c, const lu::variant &v, property p, const prove_options &opt)
{
	bool share = false;
	if (p == property::observable_contract) {
		const lemma l = twin_lemma(c, v, opt.bounds);
		z3::solver s(c);
		configure(s, opt.rlimit, opt.random_seed);
		for (const auto &f : l.facts)
			s.add(f);
		s.add(l.goal);
		share = s.check() == z3::unsat;
	}
	return build_query(c, v, p, opt.bounds, true, share);
}

} // namespace

result prove(const lu::variant &v, property p, const prove_options &opt)
{
	const auto t0 = std::chrono::steady_clock::now();
	result r;
	r.variant = v;
	r.property = p;
	r.bounds = opt.bounds;
	try {
		if (opt.bounds.devices < 1 || opt.bounds.hwpts < 2 || opt.bounds.depth < 1 || opt.bounds.depth > 200)
			throw std::invalid_argument("bounds out of range (devices >= 1, hwpts >= 2, 1 <= depth <= 200)");
		z3::context c;
		const query q = build(c, v, p, opt);
		const bool capability = q.kind == property_kind::capability;
		std::optional<z3::model> mdl;
		// A step-local property first gets the induction step: from any
		// state (not only reachable ones) the step cannot violate it. unsat
		// proves it for every depth; sat may be an unreachable state, so BMC
		// decides then.
		bool inductive = false;
		if (const unsigned w = induction_window(p); opt.induction && w > 0 && w <= opt.bounds.depth) {
			bounds bw = opt.bounds;
			bw.depth = w;
			const query qi = build_query(c, v, p, bw, false);
			const z3::expr inv = session_invariant(qi.runs[0].m, qi.runs[0].states[0]);
			inductive = solve(c, qi, opt, {qi.bad_at.back(), inv}, nullptr, nullptr) == z3::unsat;
			for (const auto &o : session_invariant_checks(c, v, opt.bounds))
				inductive = inductive && holds(c, o, opt);
		}
		// A loss property may have an unbounded proof: an inductive
		// strengthening (docs/model.md). Every obligation must give its
		// expected answer; then BMC is not needed.
		bool strengthened = false;
		std::string unbounded;
		if (opt.induction && !capability) {
			const std::vector<obligation> obs = loss_induction(c, v, p, opt.bounds);
			strengthened = !obs.empty();
			for (const auto &o : obs) {
				std::string got;
				if (!holds(c, o, opt, &got)) {
					unbounded = "; every depth: not proved (" + o.name + ": " + got + ")";
					strengthened = false;
					break;
				}
			}
		}
		const z3::check_result main =
			inductive || strengthened ? z3::unsat : solve(c, q, opt, {q.goal()}, &mdl, &r.reason);
		if (main == z3::sat) {
			z3::model m = *mdl;
			unsigned k = q.depth;
			if (opt.minimise) {
				k = minimise(c, q, opt, m);
			} else {
				for (unsigned d = 1; d <= q.depth; ++d)
					if (m.eval(q.bad_at[d - 1], true).is_true()) {
						k = d;
						break;
					}
			}
			r.witness = decode(m, q, k, p);
			r.note = "sat at depth " + std::to_string(k);
		}
		r.every_depth = main == z3::unsat && !capability && (inductive || strengthened);
		switch (main) {
		case z3::sat:
			r.verdict = capability ? verdict::proved : verdict::counterexample;
			break;
		case z3::unsat:
			r.verdict = capability ? verdict::counterexample : verdict::proved;
			r.note = inductive ? "inductive: no step from any state (with the session invariant) violates it (every depth)"
				 : strengthened
					 ? "inductive invariant (k-induction, k = 1): every depth, no BMC needed"
					 : "unsat up to depth " + std::to_string(q.depth) + unbounded;
			break;
		case z3::unknown:
			r.verdict = verdict::unknown;
			break;
		}
		if (capability) {
			r.vacuity = main == z3::sat ? vacuity::ok : vacuity::not_applicable;
		} else if (main != z3::unknown) {
			std::string why;
			switch (solve(c, q, opt, {q.premise()}, nullptr, &why)) {
			case z3::sat: r.vacuity = vacuity::ok; break;
			case z3::unsat: r.vacuity = vacuity::vacuous; break;
			case z3::unknown: r.vacuity = vacuity::unknown; break;
			}
		}
	} catch (const z3::exception &e) {
		r.verdict = verdict::error;
		r.reason = e.msg();
		r.witness.reset();
	} catch (const std::exception &e) {
		r.verdict = verdict::error;
		r.reason = e.what();
		r.witness.reset();
	}
	r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
	return r;
}

std::vector<smt2_query> export_smt2(const lu::variant &v, property p, const prove_options &opt, std::string *error)
{
	std::vector<smt2_query> out;
	try {
		z3::context c;
		query q = build(c, v, p, opt);
		const std::string base = std::string(lu::name(v)) + "__" + std::string(info(p).name);
		auto emit = [&](const std::string &role, const z3::expr &goal) {
			z3::solver s(c);
			configure(s, opt.rlimit, opt.random_seed);
			std::vector<Z3_ast> asts;
			for (const auto &f : q.facts) {
				s.add(f);
				asts.push_back(f);
			}
			s.add(goal);
			std::string expected = "unknown";
			switch (s.check()) {
			case z3::sat: expected = "sat"; break;
			case z3::unsat: expected = "unsat"; break;
			case z3::unknown: break;
			}
			const char *txt = Z3_benchmark_to_smtlib_string(c, (base + "." + role).c_str(), "QF_BV", expected.c_str(),
									"", static_cast<unsigned>(asts.size()), asts.data(), goal);
			c.check_error();
			smt2_query sq;
			sq.file = base + (role == "query" ? "" : "." + role) + ".smt2";
			sq.variant = std::string(lu::name(v));
			sq.property = std::string(info(p).name);
			sq.role = role;
			sq.expected = expected;
			sq.text = std::string("; iommufd-lu ") + sq.variant + " " + sq.property + " (" + role + "), depth " +
				  std::to_string(q.depth) + ", z3 answered " + expected + "\n" + txt;
			if (sq.text.find("(set-logic") == std::string::npos)
				throw std::runtime_error("exported text has no set-logic");
			out.push_back(std::move(sq));
		};
		emit("query", q.goal());
		if (q.kind == property_kind::safety)
			emit("premise", q.premise());
	} catch (const z3::exception &e) {
		if (error)
			*error = e.msg();
		out.clear();
	} catch (const std::exception &e) {
		if (error)
			*error = e.what();
		out.clear();
	}
	return out;
}

} // namespace lu::model
