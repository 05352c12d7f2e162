// SPDX-License-Identifier: GPL-2.0
// The distinct causes of a failing cell (lu/model/causes.h): each cause a
// predicate on the violating state, asked for one at a time, then the rest.
// docs/semantics.md, "Causes", gives each predicate in words.
#include "lu/model/causes.h"

#include <chrono>
#include <stdexcept>

#include "solve.h"

namespace lu::model {

namespace {

using namespace internal;

constexpr std::array loss_causes{cause::no_record, cause::pasid_not_recorded, cause::attached_after_preserve,
				 cause::moved_after_preserve};
constexpr std::array frozen_causes{cause::attached_after_preserve, cause::moved_after_preserve,
				   cause::detached_after_preserve};
constexpr std::array contract_causes{cause::no_record, cause::pasid_not_recorded};
constexpr std::array nested_causes{cause::nested_as_parent};
constexpr std::array lifts_causes{cause::counter_below_zero, cause::failed_preserve_unwound};
constexpr std::array one_cause{cause::violation};

// Cause @cs of a violation of @q's property by depth @k (to be conjoined
// with bad_at[k - 1]).
z3::expr cause_at(const query &q, property p, cause cs, unsigned k)
{
	const unrolling &u = q.runs[0];
	const machine &m = u.m;
	z3::context &c = m.ctx();
	const unsigned W = q.depth + 1, K = m.slots();
	const sym_state &S = u.states[k];
	auto rec_in = [&](const sym_state &s) { // the witness pair was attached when the device was preserved
		std::vector<z3::expr> col;
		for (unsigned d = 0; d < q.dm.devices; ++d)
			col.push_back(s.rec_in[d * K + W]);
		return m.pick(col, q.wd);
	};
	const z3::expr drec = m.pick(S.drec, q.wd);
	const z3::expr rid_or_pasid = q.wp != c.bv_val(0, IDX_BITS);
	auto is_op = [&](lu::op o) { return q.steps[k - 1].op == m.op_val(o); };
	switch (cs) {
	case cause::no_record: return m.pick(S.dpres, q.wd) && !drec;
	case cause::pasid_not_recorded:
		if (p == property::observable_contract)
			return drec && rid_or_pasid && m.record(S, q.wd, W) == m.none() &&
			       q.runs[1].m.restored(q.runs[1].states[k], q.wd, W);
		return drec && rid_or_pasid && rec_in(S) && m.record(S, q.wd, W) == m.none();
	case cause::attached_after_preserve:
		return p == property::preserved_is_frozen ? is_op(lu::op::attach) : drec && !rec_in(S);
	case cause::moved_after_preserve:
		return p == property::preserved_is_frozen ? is_op(lu::op::replace)
							  : drec && rec_in(S) && m.record(S, q.wd, W) != m.none();
	case cause::detached_after_preserve: return is_op(lu::op::detach);
	case cause::counter_below_zero: {
		std::vector<z3::expr> any;
		for (unsigned i = 0; i + 1 < k; ++i)
			any.push_back(u.rules[i] == decision_val(c, lu::decision::unpreserve_undone_without_record));
		return disjunction(c, any);
	}
	case cause::failed_preserve_unwound: {
		std::vector<z3::expr> any;
		for (unsigned i = 0; i + 1 < k; ++i) {
			z3::expr lowered = c.bool_val(false);
			for (unsigned g = 0; g < q.dm.devices; ++g)
				lowered = lowered || u.states[i + 1].nr[g] != u.states[i].nr[g];
			any.push_back(u.rules[i] == decision_val(c, lu::decision::device_pci_refused) && lowered);
		}
		return disjunction(c, any);
	}
	case cause::nested_as_parent:
	case cause::violation:
	case cause::unclassified: break;
	}
	return c.bool_val(true);
}

// What a reader wants of a trace, most important first (issue 12): the
// fewest devices and hwpts, singleton groups, paging hwpts, the witness's
// RID attached, flags 0. A cause that needs otherwise keeps it.
preferences for_a_reader(const query &q, property p)
{
	return [&q, p](unsigned k) {
		const machine &m = q.runs[0].m;
		z3::context &c = m.ctx();
		std::vector<std::vector<z3::expr>> out;
		std::vector<z3::expr> devs, hwpts;
		for (unsigned b = 0; b < q.dm.devices; ++b) {
			z3::expr e = c.bool_val(true);
			for (unsigned i = 0; i < k; ++i)
				e = e && z3::ule(q.steps[i].dev, m.dev_val(b));
			devs.push_back(e);
		}
		for (unsigned b = 0; b < q.dm.hwpts; ++b) {
			z3::expr e = c.bool_val(true);
			for (unsigned i = 0; i < k; ++i)
				e = e && z3::ule(q.steps[i].hwpt, m.ref(b));
			for (unsigned h = 0; h <= b; ++h)
				e = e && z3::ule(q.cfg.parent[h], m.ref(b));
			hwpts.push_back(e);
		}
		z3::expr singleton = c.bool_val(true), paging = c.bool_val(true), flags = c.bool_val(true);
		z3::expr sealed = c.bool_val(true), in_range = c.bool_val(true);
		z3::expr no_vf = c.bool_val(true);
		for (unsigned d = 0; d < q.dm.devices; ++d) {
			singleton = singleton && q.cfg.group[d] == m.dev_val(d);
			no_vf = no_vf && !q.cfg.vf[d];
		}
		for (unsigned h = 0; h < q.dm.hwpts; ++h)
			paging = paging && !q.cfg.nested[h];
		for (const auto &x : q.cfg.sealed)
			sealed = sealed && x;
		// A device supports the PASIDs it is given (max_pasids 0 passes
		// the attach since v6.15, which a reader takes for a bug).
		for (unsigned i = 0; i < k; ++i)
			in_range = in_range && z3::ult(z3::zext(q.steps[i].pasid, 1),
						       z3::zext(m.pick(q.cfg.max_pasids, q.steps[i].dev), ARG_PASID_BITS + 1 - MAXP_BITS));
		for (unsigned i = 0; i < k; ++i)
			flags = flags && q.steps[i].flags == c.bv_val(0, FLAG_BITS);
		out.push_back(devs);
		out.push_back(hwpts);
		out.push_back({singleton});
		out.push_back({no_vf});
		out.push_back({paging});
		out.push_back({sealed});
		out.push_back({in_range});
		if (q.monotone && p != property::image_round_trip)
			out.push_back({m.attached(q.runs[0].states[k], q.wd, machine::rid_slot()) != m.none()});
		out.push_back({flags});
		return out;
	};
}

// The step of the cause's rule: the last one of the focus device, else the
// last one of any device.
std::optional<std::size_t> marked_step(const witness &w, cause cs)
{
	const auto rule = info(cs).rule;
	if (!rule)
		return std::nullopt;
	std::optional<std::size_t> any, own;
	for (std::size_t i = 0; i < w.trace.size(); ++i) {
		if (w.trace[i].rule != rule)
			continue;
		any = i;
		if (w.focus && w.trace[i].step.dev == w.focus->dev)
			own = i;
	}
	return own ? own : any;
}

} // namespace

std::span<const cause> causes_of(property p)
{
	switch (p) {
	case property::no_silent_pasid_loss:
	case property::loss_only_when_acknowledged: return loss_causes;
	case property::preserved_is_frozen: return frozen_causes;
	case property::observable_contract: return contract_causes;
	case property::nested_survives: return nested_causes;
	case property::freeze_lifts: return lifts_causes;
	case property::rid_only_preservable:
	case property::pasid_survives_update: return {};
	case property::unknown_flags_rejected:
	case property::unpreserve_restores:
	case property::failure_changes_nothing:
	case property::image_round_trip: break;
	}
	return one_cause;
}

std::vector<cause_result> find_causes(const result &r, const prove_options &opt, unsigned cap)
{
	if (cap == 0)
		throw std::invalid_argument("the cap on causes must be at least 1");
	const std::span<const cause> list = causes_of(r.property);
	std::vector<cause_result> out;
	if (list.empty() || (r.verdict != verdict::proved && r.verdict != verdict::counterexample))
		return out;
	if (r.verdict == verdict::proved) { // the cell's proof closes every cause
		for (const cause cs : list)
			out.push_back({cs, verdict::proved, std::nullopt, std::nullopt, r.note, 0});
		return out;
	}
	const property p = r.property;
	auto attempt = [&](cause cs, const std::function<z3::expr(const query &, unsigned)> &at) {
		const auto t0 = std::chrono::steady_clock::now();
		cause_result cr{cs, verdict::unknown, std::nullopt, std::nullopt, {}, 0};
		try {
			z3::context c;
			std::vector<check> unused;
			const bool share = twin_shares(c, r.variant, p, opt, &unused);
			const query q = build_query(c, r.variant, p, opt.bounds, true, share);
			std::vector<z3::expr> by_depth;
			for (unsigned k = 1; k <= q.depth; ++k)
				by_depth.push_back(at(q, k));
			const z3::expr goal = q.monotone ? by_depth.back() : disjunction(c, by_depth);
			std::optional<z3::model> mdl;
			const check k = run_check(c, "", "", q.facts, goal, opt, &mdl, &cr.reason);
			if (k.answer == z3::unsat) {
				cr.status = verdict::proved;
				cr.reason = "unsat up to depth " + std::to_string(q.depth);
			} else if (k.answer == z3::sat) {
				z3::model m = *mdl;
				const unsigned depth = opt.minimise ? minimise(c, q, opt, m, by_depth, for_a_reader(q, p)) : q.depth;
				pinned(c, r.variant, p, opt, share, q, m, at, "cause", "the decoded trace has the cause");
				cr.status = verdict::counterexample;
				cr.witness = decode(m, q, depth, p);
				cr.marked_step = marked_step(*cr.witness, cs);
			}
		} catch (const z3::exception &e) {
			cr.status = verdict::error;
			cr.reason = e.msg();
		} catch (const std::exception &e) {
			cr.status = verdict::error;
			cr.reason = e.what();
		}
		cr.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
		return cr;
	};
	for (const cause cs : list) {
		if (out.size() >= cap) {
			out.push_back({cs, verdict::unknown, std::nullopt, std::nullopt, "over the cap", 0});
			continue;
		}
		out.push_back(attempt(cs, [&](const query &q, unsigned k) { return q.bad_at[k - 1] && cause_at(q, p, cs, k); }));
	}
	// A violation with none of the causes: a gap in the catalog.
	if (list.size() > 1 || list.front() != cause::violation) {
		cause_result rest = attempt(cause::unclassified, [&](const query &q, unsigned k) {
			z3::expr e = q.bad_at[k - 1];
			for (const cause cs : list)
				e = e && !cause_at(q, p, cs, k);
			return e;
		});
		if (rest.status != verdict::proved)
			out.push_back(std::move(rest));
	}
	return out;
}

} // namespace lu::model
