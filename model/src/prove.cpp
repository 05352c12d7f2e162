// SPDX-License-Identifier: GPL-2.0
// The prover: per (variant, property) the inductive arguments first, else
// bounded model checking at the full depth, then minimisation (fewest steps,
// then smallest PASIDs and tokens) and decoding of the witness; the
// non-vacuity check of the premise. Every check a verdict rests on is kept
// and, on request, rendered as its certificate. z3::exception stops here
// and becomes verdict::error.
#include "lu/model/prove.h"
#include "lu/model/mutant.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <tuple>
#include <stdexcept>

#include "param.h"
#include "solve.h"

namespace lu::model {

namespace internal {

int ret_of(const z3::model &mdl, const z3::expr &e)
{
	return static_cast<std::int8_t>(static_cast<std::uint8_t>(num(mdl, e)));
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
	w.config = decode_config(mdl, q.cfg, q.dm);
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
		ws.rule = lu::decision_from(num(mdl, u.rules[i]));
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

// Run a check on a fresh solver (non-incremental: Z3 then preprocesses and
// bit-blasts the whole query, much faster here than its incremental core).
// unknown carries the solver's reason.
check run_check(z3::context &c, std::string role, std::string what, std::vector<z3::expr> facts, z3::expr goal,
		const prove_options &opt, std::optional<z3::model> *mdl, std::string *reason)
{
	z3::solver s(c);
	configure(s, opt.rlimit, opt.random_seed);
	for (const auto &f : facts)
		s.add(f);
	s.add(goal);
	const z3::check_result r = s.check();
	if (r == z3::sat && mdl)
		*mdl = s.get_model();
	if (r == z3::unknown && reason)
		*reason = s.reason_unknown();
	return {std::move(role), std::move(what), std::move(facts), goal, r};
}

// Fewest steps first, then @prefs, then small tokens, then small PASIDs (and max_pasids):
// each bound is kept only if at[k - 1] (a violation, or a premise, by depth
// k) stays sat under it, so an edge value (max_pasids - 1, 2^20 - 1, an
// out-of-range PASID) survives when it matters.
unsigned minimise(z3::context &c, const query &q, const prove_options &opt, z3::model &mdl,
		  const std::vector<z3::expr> &at, const preferences &prefs)
{
	unsigned k = q.depth;
	for (unsigned d = 1; d <= q.depth; ++d) {
		if (!mdl.eval(at[d - 1], true).is_true() && d < q.depth) {
			std::optional<z3::model> m2;
			if (run_check(c, "", "", q.facts, at[d - 1], opt, &m2).answer != z3::sat)
				continue;
			mdl = *m2;
		}
		k = d;
		break;
	}
	std::vector<z3::expr> extra{at[k - 1]};
	auto keep_if_sat = [&](const z3::expr &bound) {
		extra.push_back(bound);
		std::optional<z3::model> m2;
		if (run_check(c, "", "", q.facts, conjunction(c, extra), opt, &m2).answer == z3::sat) {
			mdl = *m2;
			return true;
		}
		extra.pop_back();
		return false;
	};
	if (prefs)
		for (const auto &ladder : prefs(k))
			for (const auto &p : ladder)
				if (keep_if_sat(p))
					break;
	// Tokens below k: a trace of k steps names at most k of them (and the
	// query of depth k, the certificate's, admits no more).
	z3::expr tokens = c.bool_val(true);
	for (unsigned i = 0; i < q.steps.size(); ++i)
		tokens = tokens && z3::ule(q.steps[i].token, c.bv_val(i < k ? k - 1 : 7, q.dm.token_bits));
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

std::vector<z3::expr> plus(std::vector<z3::expr> v, const z3::expr &e)
{
	v.push_back(e);
	return v;
}

// "the invariant is inductive" -> "the-invariant-is-inductive"
std::string kebab(const std::string &name)
{
	std::string out;
	for (char ch : name)
		if (std::isalnum(static_cast<unsigned char>(ch)))
			out += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
		else if (!out.empty() && out.back() != '-')
			out += '-';
	while (!out.empty() && out.back() == '-')
		out.pop_back();
	return out;
}

// The roles of the any-size proof's checks start with this.
const std::string ANY_SIZE_ROLE = "any-size-";

// An obligation of an inductive proof, run; its expected answer is unsat
// (sat for a non-vacuity check).
check run_obligation(z3::context &c, const obligation &o, const prove_options &opt, const std::string &role_prefix = "")
{
	return run_check(c, role_prefix + kebab(o.name),
			 o.name + (o.expect_sat ? " (sat: the premise is satisfiable)" : " (unsat proves it)"),
			 o.check.facts, o.check.goal, opt);
}

// The bridge of a variant is the same query for each of its properties:
// checked once per process (and in every certificate, which needs the
// query itself). A model mutant changes the bounded relation, so it is part
// of the key (its bridge then fails: the any-size relation has no mutant).
check bridge_check(z3::context &c, const lu::variant &v, const obligation &o, const prove_options &opt)
{
	static std::mutex mu;
	static std::map<std::tuple<int, int, int, int, int, std::uint64_t, unsigned, std::string>, z3::check_result> known;
	const auto key = std::make_tuple(static_cast<int>(v.policy), static_cast<int>(v.freeze), static_cast<int>(v.vfio_gate),
					 static_cast<int>(v.version), static_cast<int>(lu::model::mutant_selected()), opt.rlimit,
					 opt.random_seed, o.name);
	{
		const std::lock_guard<std::mutex> lock(mu);
		if (const auto it = known.find(key); it != known.end())
			return check{ANY_SIZE_ROLE + kebab(o.name), o.name, o.check.facts, o.check.goal, it->second};
	}
	check k = run_obligation(c, o, opt, ANY_SIZE_ROLE);
	const std::lock_guard<std::mutex> lock(mu);
	known.emplace(key, k.answer);
	return k;
}

bool gave_expected(const check &k, const obligation &o)
{
	return k.answer == (o.expect_sat ? z3::sat : z3::unsat);
}

std::string answer_name(z3::check_result r)
{
	return r == z3::sat ? "sat" : r == z3::unsat ? "unsat" : "unknown";
}

// A check as a self-contained script; its first line says what Z3 answered
// (tests/model/certify reads it). QF_BV, but UFBV for the any-size
// obligations (quantifiers over the uninterpreted sorts of param.cpp).
smt2_query render(z3::context &c, const lu::variant &v, property p, unsigned depth, const check &k)
{
	smt2_query sq;
	sq.variant = std::string(lu::name(v));
	sq.property = std::string(info(p).name);
	sq.role = k.role;
	sq.what = k.what;
	sq.expected = answer_name(k.answer);
	sq.file = sq.variant + "__" + sq.property + "." + k.role + ".smt2";
	std::vector<Z3_ast> asts(k.facts.begin(), k.facts.end());
	const std::string name = sq.variant + "__" + sq.property + "." + k.role;
	const char *logic = k.role.starts_with(ANY_SIZE_ROLE) ? "UFBV" : "QF_BV";
	const char *txt = Z3_benchmark_to_smtlib_string(c, name.c_str(), logic, sq.expected.c_str(), "",
							static_cast<unsigned>(asts.size()), asts.data(), k.goal);
	c.check_error();
	sq.text = "; iommufd-lu " + sq.variant + " " + sq.property + " (" + k.role + "), depth " + std::to_string(depth) +
		  ", z3 answered " + sq.expected + "\n; " + sq.what + "\n" + txt;
	if (sq.text.find("(set-logic") == std::string::npos)
		throw std::runtime_error("exported text has no set-logic");
	return sq;
}

// observable-contract's full twin shares the variant's state but the
// records when twin_lemma() is proved for this variant (every variant with
// full's knobs); otherwise it is unrolled on its own. Either way the query
// is the same formula up to fields that provably agree. A proved lemma is
// part of the certificate.
bool twin_shares(z3::context &c, const lu::variant &v, property p, const prove_options &opt, std::vector<check> *cert)
{
	if (p != property::observable_contract)
		return false;
	const lemma l = twin_lemma(c, v, opt.bounds);
	check k = run_check(c, "twin-lemma",
			    "a step that returns the same value here and under full keeps the two states equal "
			    "but for the records (unsat proves it; the query then shares them)",
			    l.facts, l.goal, opt);
	if (k.answer != z3::unsat)
		return false;
	cert->push_back(std::move(k));
	return true;
}

// The trace of model @m (of @q) fixed: the query of its first depth at which
// @at(query, depth) holds, with the configuration, the witness and every
// step's arguments pinned to their values in @m. Unrolled to that depth
// only, so that the file is as short as the trace (tokens keep their width
// up to depth 8; beyond, the full depth).
check pinned(z3::context &c, const lu::variant &v, property p, const prove_options &opt, bool share, const query &q,
	     const z3::model &m, const std::function<z3::expr(const query &, unsigned)> &at, std::string role,
	     std::string what)
{
	unsigned k = q.depth;
	for (unsigned d = 1; d < q.depth; ++d)
		if (m.eval(at(q, d), true).is_true()) {
			k = d;
			break;
		}
	// At depth k if that query admits the pinned trace (tokens below k),
	// else at the full depth.
	std::vector<unsigned> depths{q.depth};
	if (k < q.depth && proof_dims(opt.bounds.devices, opt.bounds.hwpts, k).token_bits == q.dm.token_bits)
		depths.insert(depths.begin(), k);
	std::optional<check> out;
	for (const unsigned d : depths) {
		bounds bd = opt.bounds;
		bd.depth = d;
		const query qd = d == q.depth ? q : build_query(c, v, p, bd, true, share);
		std::vector<z3::expr> facts = qd.facts;
		for (const auto &in : qd.inputs())
			facts.push_back(in == m.eval(in, true));
		out = run_check(c, role, what, std::move(facts), at(qd, d), opt);
		if (out->answer == z3::sat)
			return *out;
	}
	throw std::logic_error("the decoded trace does not reproduce its " + role + " (z3: " + answer_name(out->answer) +
			       ")");
}

} // namespace internal

using namespace internal;

std::string result::covers() const
{
	const bool proof = verdict == verdict::proved && info(property).kind == property_kind::safety;
	auto one = [](std::string what, unsigned n, bool any) {
		what += ' ';
		what += any ? std::string("any") : std::to_string(n);
		return what;
	};
	return one("devices", bounds.devices, proof && any_size) + ", " + one("hwpts", bounds.hwpts, proof && any_size) +
	       ", " + one("depth", bounds.depth, proof && every_depth);
}

result prove(const lu::variant &v, property p, const prove_options &opt, std::vector<smt2_query> *certificate)
{
	const auto t0 = std::chrono::steady_clock::now();
	result r;
	r.variant = v;
	r.property = p;
	r.bounds = opt.bounds;
	if (certificate)
		certificate->clear();
	try {
		if (opt.bounds.devices < 1 || opt.bounds.hwpts < 1 || opt.bounds.depth < 1 || opt.bounds.depth > 200)
			throw std::invalid_argument("bounds out of range (devices >= 1, hwpts >= 1, 1 <= depth <= 200)");
		z3::context c;
		std::vector<check> cert; // the checks the verdict rests on
		const bool share = twin_shares(c, v, p, opt, &cert);
		const query q = build_query(c, v, p, opt.bounds, true, share);
		const bool capability = q.kind == property_kind::capability;
		std::optional<z3::model> mdl;
		// A step-local property first gets the induction step: from any
		// state (not only reachable ones) the step cannot violate it. unsat
		// proves it for every depth; sat may be an unreachable state, so BMC
		// decides then.
		// First the proof for any number of devices, groups and hwpts
		// (param.h): the bridge to this relation, then its obligations.
		std::string any_size;
		if (opt.induction && has_any_size_proof(p)) {
			std::vector<obligation> obs = any_size_obligations(c, v, p);
			std::size_t nb = 0; // the bridge's obligations come first
			if (!obs.empty()) {
				std::vector<obligation> bridge = bridge_obligations(c, v);
				nb = bridge.size();
				obs.insert(obs.begin(), bridge.begin(), bridge.end());
			}
			std::vector<check> steps;
			r.any_size = !obs.empty();
			for (const auto &o : obs) {
				const bool bridge = static_cast<std::size_t>(&o - obs.data()) < nb;
				steps.push_back(bridge && !certificate ? bridge_check(c, v, o, opt)
								       : run_obligation(c, o, opt, ANY_SIZE_ROLE));
				if (!gave_expected(steps.back(), o)) {
					any_size = "; any size: not proved (" + o.name + ": " + answer_name(steps.back().answer) + ")";
					r.any_size = false;
					break;
				}
			}
			if (r.any_size)
				cert.insert(cert.end(), steps.begin(), steps.end());
		}
		bool inductive = false;
		if (const unsigned w = induction_window(p); !r.any_size && opt.induction && w > 0 && w <= opt.bounds.depth) {
			bounds bw = opt.bounds;
			bw.depth = w;
			const query qi = build_query(c, v, p, bw, false);
			const z3::expr inv = session_invariant(qi.runs[0].m, qi.runs[0].states[0]);
			std::vector<check> steps{run_check(
				c, "step",
				"no step from any state of the session invariant violates the property (unsat proves it)",
				plus(qi.facts, inv), qi.bad_at.back(), opt)};
			inductive = steps.back().answer == z3::unsat;
			for (const auto &o : session_invariant_checks(c, v, opt.bounds)) {
				if (!inductive)
					break;
				steps.push_back(run_obligation(c, o, opt));
				inductive = gave_expected(steps.back(), o);
			}
			if (inductive)
				cert.insert(cert.end(), steps.begin(), steps.end());
		}
		// A loss property may have an unbounded proof: an inductive
		// strengthening (docs/model.md). Every obligation must give its
		// expected answer; then BMC is not needed.
		bool strengthened = false;
		std::string unbounded;
		if (!r.any_size && opt.induction && !capability) {
			const std::vector<obligation> obs = loss_induction(c, v, p, opt.bounds);
			std::vector<check> steps;
			strengthened = !obs.empty();
			for (const auto &o : obs) {
				steps.push_back(run_obligation(c, o, opt));
				if (!gave_expected(steps.back(), o)) {
					unbounded = "; every depth: not proved (" + o.name + ": " +
						    answer_name(steps.back().answer) + ")";
					strengthened = false;
					break;
				}
			}
			if (strengthened)
				cert.insert(cert.end(), steps.begin(), steps.end());
		}
		z3::check_result main = z3::unsat;
		if (!r.any_size && !inductive && !strengthened) {
			check k = run_check(c, "query",
					    capability ? "no trace up to the depth is a witness (unsat proves it)"
						       : "no trace up to the depth violates the property (unsat proves it)",
					    q.facts, q.goal(), opt, &mdl, &r.reason);
			main = k.answer;
			if (main != z3::sat)
				cert.push_back(std::move(k));
		}
		if (main == z3::sat) {
			z3::model m = *mdl;
			unsigned k = q.depth;
			if (opt.minimise) {
				k = minimise(c, q, opt, m, q.bad_at);
			} else {
				for (unsigned d = 1; d <= q.depth; ++d)
					if (m.eval(q.bad_at[d - 1], true).is_true()) {
						k = d;
						break;
					}
			}
			r.witness = decode(m, q, k, p);
			r.note = "sat at depth " + std::to_string(k);
			// The decoded trace, fixed: every input pinned to its value
			// must still give the violation (or the witness).
			check w = pinned(
				c, v, p, opt, share, q, m, [](const query &x, unsigned d) { return x.bad_at[d - 1]; },
				"witness",
				std::string(capability ? "the decoded trace is a witness" : "the decoded trace violates the property") +
					" (sat shows it: configuration and every step's arguments fixed)");
			cert.push_back(std::move(w));
		}
		r.every_depth = main == z3::unsat && !capability && (r.any_size || inductive || strengthened);
		switch (main) {
		case z3::sat:
			r.verdict = capability ? verdict::proved : verdict::counterexample;
			break;
		case z3::unsat:
			r.verdict = capability ? verdict::counterexample : verdict::proved;
			r.note = r.any_size ? "inductive invariant over any number of devices, groups and hwpts (quantified; "
					      "bridged to this relation at 2 devices, 3 hwpts): every size and depth"
				 : inductive ? "inductive: no step from any state (with the session invariant) violates it (every depth)"
				 : strengthened
					 ? "inductive invariant (k-induction, k = 1): every depth, no BMC needed"
					 : "unsat up to depth " + std::to_string(q.depth) + unbounded;
			r.note += any_size;
			break;
		case z3::unknown:
			r.verdict = verdict::unknown;
			break;
		}
		if (capability) {
			r.vacuity = main == z3::sat ? vacuity::ok : vacuity::not_applicable;
		} else if (main != z3::unknown) {
			std::string why;
			std::optional<z3::model> pm;
			check k = run_check(c, "premise",
					    "no trace up to the depth meets the property's premise: the proof is vacuous "
					    "(unsat shows it)",
					    q.facts, q.premise(), opt, &pm, &why);
			switch (k.answer) {
			case z3::sat: r.vacuity = vacuity::ok; break;
			case z3::unsat: r.vacuity = vacuity::vacuous; break;
			case z3::unknown: r.vacuity = vacuity::unknown; break;
			}
			// A proof's certificate says whether it is vacuous: no trace
			// meets the premise, or this one does, fixed. (A counterexample
			// rests on its witness alone.)
			if (main == z3::unsat && k.answer == z3::unsat)
				cert.push_back(std::move(k));
			if (main == z3::unsat && pm && certificate) {
				minimise(c, q, opt, *pm, q.premise_at);
				cert.push_back(pinned(
					c, v, p, opt, share, q, *pm, [](const query &x, unsigned d) { return x.premise_at[d - 1]; },
					"premise",
					"a trace meets the property's premise, so the proof is not vacuous (sat shows it: "
					"configuration and every step's arguments fixed)"));
			}
		}
		if (certificate)
			for (const auto &k : cert)
				certificate->push_back(render(c, v, p, q.depth, k));
	} catch (const z3::exception &e) {
		r.verdict = verdict::error;
		r.reason = e.msg();
		r.witness.reset();
	} catch (const std::exception &e) {
		r.verdict = verdict::error;
		r.reason = e.what();
		r.witness.reset();
	}
	if (r.verdict == verdict::error && certificate)
		certificate->clear();
	r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
	return r;
}

} // namespace lu::model
