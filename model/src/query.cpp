// SPDX-License-Identifier: GPL-2.0
// The properties of DESIGN section 3 as formulas over an unrolling. Each one
// gives bad_at(k) (a violation, or a capability's witness, visible by depth
// k) and premise_at(k) (the implication's premise, for non-vacuity).
// docs/model.md states each formula in words and symbols.
#include "query.h"

#include "lu/core/rules.h"

#include <cerrno>

namespace lu::model::internal {

z3::expr disjunction(z3::context &c, const std::vector<z3::expr> &v)
{
	z3::expr r = c.bool_val(false);
	for (const auto &e : v)
		r = r || e;
	return r;
}

z3::expr conjunction(z3::context &c, const std::vector<z3::expr> &v)
{
	z3::expr r = c.bool_val(true);
	for (const auto &e : v)
		r = r && e;
	return r;
}

void configure(z3::solver &s, std::uint64_t rlimit, unsigned seed)
{
	z3::params ps(s.ctx());
	ps.set("rlimit", static_cast<unsigned>(rlimit > 0xffffffffu ? 0xffffffffu : rlimit));
	ps.set("random_seed", seed);
	// The any-size obligations define each next-state function by a
	// quantified equation; Z3 solves them fast only when it expands those as
	// macros (param.cpp). Quantifier-free queries are unaffected.
	ps.set("smt.macro_finder", true);
	s.set(ps);
}

namespace {

// Everything of a state that preserve + unpreserve must give back: the
// tables, the counters, the marks, the session. Records and tokens of a
// device that is not preserved are dead data and not compared.
z3::expr same_visible(const machine &m, const sym_state &a, const sym_state &b)
{
	z3::context &c = m.ctx();
	z3::expr r = c.bool_val(true);
	auto all = [&](const std::vector<z3::expr> &x, const std::vector<z3::expr> &y) {
		for (std::size_t i = 0; i < x.size(); ++i)
			r = r && x[i] == y[i];
	};
	all(a.att, b.att);
	all(a.in, b.in);
	all(a.cnt, b.cnt);
	all(a.marked, b.marked);
	all(a.mtoken, b.mtoken);
	all(a.dompres, b.dompres);
	all(a.nr, b.nr);
	all(a.ipres, b.ipres);
	all(a.dpres, b.dpres);
	all(a.kexeced, b.kexeced);
	r = r && z3::implies(a.ipres[0], a.itoken[0] == b.itoken[0]);
	for (unsigned d = 0; d < m.size().devices; ++d) {
		z3::expr rec = a.rec_rid[d] == b.rec_rid[d] && a.rec_on[d] == b.rec_on[d];
		for (unsigned l = 0; l < m.slots(); ++l) {
			const unsigned x = d * m.slots() + l;
			rec = rec && a.rec_att[x] == b.rec_att[x] && a.rec_in[x] == b.rec_in[x];
		}
		r = r && z3::implies(a.dpres[d], a.dtoken[d] == b.dtoken[d] && a.dflags[d] == b.dflags[d] &&
							    a.drec[d] == b.drec[d] && z3::implies(a.drec[d], rec));
	}
	return r;
}

} // namespace

z3::expr query::goal() const
{
	return monotone ? bad_at.back() : disjunction(bad_at.back().ctx(), bad_at);
}

z3::expr query::premise() const
{
	return monotone ? premise_at.back() : disjunction(premise_at.back().ctx(), premise_at);
}

std::vector<z3::expr> query::inputs() const
{
	std::vector<z3::expr> in{wd, wp};
	for (const auto *f : {&cfg.group, &cfg.max_pasids, &cfg.vf, &cfg.nested, &cfg.parent, &cfg.compat, &cfg.sealed})
		in.insert(in.end(), f->begin(), f->end());
	for (const auto &a : steps)
		in.insert(in.end(), {a.op, a.dev, a.pasid, a.hwpt, a.token, a.flags});
	return in;
}

unsigned induction_window(property p)
{
	switch (p) {
	case property::unknown_flags_rejected:
	case property::preserved_is_frozen:
	case property::failure_changes_nothing: return 1;
	case property::unpreserve_restores: return 2;
	default: return 0;
	}
}

lemma twin_lemma(z3::context &c, const lu::variant &v, const bounds &b)
{
	// The main query's shape: slot 0 the RID, one slot per step, the
	// witness; the step's PASID in slot 1, the others any index.
	const dims dm = proof_dims(b.devices, b.hwpts, b.depth);
	const unsigned K = b.depth;
	const sym_config cfg = make_config(c, dm, "");
	const std::vector<sym_step> steps = make_steps(c, dm, 1, "");
	std::vector<z3::expr> idx{c.bv_val(0, IDX_BITS), steps[0].pasid.extract(IDX_BITS - 1, 0)};
	for (unsigned j = 2; j < K + 2; ++j)
		idx.push_back(c.bv_const(("idx" + std::to_string(j)).c_str(), IDX_BITS));
	const machine m(c, dm, v, cfg, idx);
	const lu::variant full{lu::policy::full, lu::freeze::busy, lu::vfio_gate::always};
	const machine m2(c, dm, full, cfg, idx);
	const unrolling u = unroll(m, steps, "", false);
	// The twin's state: the variant's, with records of its own (any values).
	sym_state s2 = u.states[0];
	const sym_state own = make_state(c, dm, m.slots(), "full_s0_");
	zip_records(s2, own, [](z3::expr &x, const z3::expr &o) { x = o; });
	const auto r2 = m2.transition(s2, steps[0]);
	lemma l{u.facts, c.bool_val(false)};
	l.facts.push_back(m.wellformed_config());
	l.facts.push_back(m.canonical_config());
	l.facts.push_back(m.canonical_step(steps[0]));
	l.facts.push_back(z3::ult(steps[0].token, c.bv_val(K, dm.token_bits)));
	// Every field but the records: blank the records on both sides.
	sym_state a = u.states[1], n2 = r2.next;
	zip_records(a, n2, [](z3::expr &x, z3::expr &y) { y = x; });
	l.goal = u.rets[0] == r2.ret && !state_eq(a, n2);
	return l;
}

query build_query(z3::context &c, const lu::variant &v, property p, const bounds &b, bool from_initial,
		  bool share_twin)
{
	dims dm = proof_dims(b.devices, b.hwpts, b.depth);
	if (!from_initial) // an arbitrary state's nr counts up to the devices
		dm.cnt_bits = CNT_BITS;
	const unsigned K = b.depth;
	query q{dm,
		K,
		make_config(c, dm, ""),
		make_steps(c, dm, K, ""),
		{},
		c.bv_const("w_dev", dm.dev_bits()),
		c.bv_const("w_pasid", IDX_BITS),
		{},
		{},
		{},
		info(p).kind};

	// Slots: 0 the RID, 1..K each step's PASID index, K + 1 the witness.
	std::vector<z3::expr> idx{c.bv_val(0, IDX_BITS)};
	for (const auto &a : q.steps)
		idx.push_back(a.pasid.extract(IDX_BITS - 1, 0));
	idx.push_back(q.wp);
	const unsigned R = machine::rid_slot(), W = K + 1;
	const machine m(c, dm, v, q.cfg, idx);
	q.runs.push_back(unroll(m, q.steps, "", from_initial));
	const bool two = p == property::observable_contract;
	const lu::variant full{lu::policy::full, lu::freeze::busy, lu::vfio_gate::always};
	if (two && share_twin && from_initial)
		q.runs.push_back(unroll_twin(machine(c, dm, full, q.cfg, idx), q.runs[0], "full_"));
	else if (two)
		q.runs.push_back(unroll(machine(c, dm, full, q.cfg, idx), q.steps, "full_", from_initial));

	q.facts.push_back(m.wellformed_config());
	q.facts.push_back(m.canonical_config());
	for (const auto &a : q.steps)
		q.facts.push_back(m.canonical_step(a));
	if (from_initial)
		q.facts.push_back(m.canonical_trace(q.steps));
	// Devices are labels too: swapping two (and renumbering groups by first
	// use) maps any violation or witness to one about device 0.
	q.facts.push_back(q.wd == m.dev_val(0));
	for (const auto &u : q.runs)
		for (const auto &f : u.facts)
			q.facts.push_back(f);
	// Tokens are only compared for equality and a trace names at most K of
	// them (the initial zeros are never compared), so tokens below K lose
	// nothing: any trace maps to one with small tokens by renaming.
	for (const auto &a : q.steps)
		q.facts.push_back(z3::ult(a.token, c.bv_val(K, dm.token_bits)));
	switch (p) {
	case property::no_silent_pasid_loss:
	case property::loss_only_when_acknowledged:
	case property::rid_only_preservable:
	case property::pasid_survives_update:
	case property::observable_contract:
	case property::image_round_trip:
	case property::nested_survives:
		q.monotone = true;
		break;
	default:
		q.monotone = false;
	}

	const unrolling &u = q.runs[0];
	const z3::expr &wd = q.wd, &wp = q.wp;
	const z3::expr zero_idx = c.bv_val(0, IDX_BITS);
	const z3::expr ign = c.bv_val(lu::IOMMU_LU_FLAG_IGNORE_PASID, FLAG_BITS);
	const z3::expr zero_flags = c.bv_val(0, FLAG_BITS);
	auto pres = [&](const sym_state &s) { return m.pick(s.dpres, wd); };
	auto ack = [&](const sym_state &s) { return (m.pick(s.dflags, wd) & ign) != zero_flags; };
	auto is_op = [&](const sym_step &a, lu::op o) { return a.op == m.op_val(o); };
	auto ret_is = [&](std::size_t i, int r) { return u.rets[i] == m.ret_val(r); };

	for (unsigned k = 1; k <= K; ++k) {
		const sym_state &S = u.states[k];
		const z3::expr kex = S.kexeced[0];
		const z3::expr held = m.attached(S, wd, W);
		z3::expr bad = c.bool_val(false), premise = c.bool_val(false);
		switch (p) {
		case property::no_silent_pasid_loss:
			bad = kex && pres(S) && !ack(S) && m.lost(S, wd, W);
			premise = kex && pres(S) && !ack(S) && held != m.none();
			break;
		case property::loss_only_when_acknowledged:
			bad = kex && pres(S) && m.lost(S, wd, W) && !(wp != zero_idx && ack(S));
			premise = kex && pres(S) && held != m.none();
			break;
		case property::rid_only_preservable: {
			std::vector<z3::expr> at;
			for (unsigned i = 0; i < k; ++i) {
				const sym_state &Si = u.states[i];
				const z3::expr r = m.attached(Si, wd, R);
				at.push_back(is_op(q.steps[i], lu::op::preserve_device) && q.steps[i].dev == wd &&
					     q.steps[i].flags == zero_flags && ret_is(i, 0) && r != m.none() &&
					     !m.is_nested(r) && m.is_marked(Si, r) && m.is_sealed(r) && Si.ipres[0] &&
					     !m.has_pasids(Si, m.group_of(wd)));
			}
			bad = wp == zero_idx && disjunction(c, at) && kex && pres(S) && held != m.none() &&
			      !m.lost(S, wd, W);
			premise = bad;
			break;
		}
		case property::pasid_survives_update:
			bad = kex && pres(S) && wp != zero_idx && held != m.none() && !m.lost(S, wd, W);
			premise = bad;
			break;
		case property::observable_contract: {
			const machine &m2 = q.runs[1].m;
			const sym_state &S2 = q.runs[1].states[k];
			z3::expr same = c.bool_val(true);
			for (unsigned i = 0; i < k; ++i)
				same = same && u.rets[i] == q.runs[1].rets[i];
			auto view = [&](const machine &mm, const sym_state &s) {
				return z3::ite(mm.restored(s, wd, W), mm.paging(mm.record(s, wd, W)), mm.none());
			};
			bad = same && kex && S2.kexeced[0] && view(m, S) != view(m2, S2);
			premise = same && kex && S2.kexeced[0] && pres(S) && m2.pick(S2.dpres, wd);
			break;
		}
		case property::unknown_flags_rejected: {
			const sym_step &a = q.steps[k - 1];
			const sym_state &P = u.states[k - 1];
			const z3::expr unknown =
				(a.flags & c.bv_val(~lu::known_preserve_flags(v.policy), FLAG_BITS)) != zero_flags;
			const z3::expr fresh = !P.kexeced[0] && !m.token_used(P, a.token) && !m.pick(P.dpres, a.dev);
			const z3::expr pre = is_op(a, lu::op::preserve_device) && unknown;
			bad = pre && !(u.rets[k - 1] != m.ret_val(0) && state_eq(P, S) &&
				       z3::implies(fresh, ret_is(k - 1, -EINVAL)));
			premise = pre && fresh;
			break;
		}
		case property::preserved_is_frozen: {
			const sym_state &P = u.states[k - 1];
			const sym_step &a = q.steps[k - 1];
			bad = pres(P) && pres(S) && m.attached(P, wd, W) != held;
			premise = pres(P) && pres(S) && !P.kexeced[0] &&
				  (is_op(a, lu::op::attach) || is_op(a, lu::op::replace) || is_op(a, lu::op::detach)) &&
				  m.group_of(a.dev) == m.group_of(wd);
			break;
		}
		case property::unpreserve_restores: {
			if (k < 2)
				break;
			const std::size_t i = k - 2, j = k - 1;
			const sym_step &a = q.steps[i], &b2 = q.steps[j];
			const z3::expr dev_pair = is_op(a, lu::op::preserve_device) && ret_is(i, 0) &&
						  is_op(b2, lu::op::unpreserve_device) && b2.dev == a.dev && ret_is(j, 0);
			const z3::expr fd_pair = is_op(a, lu::op::preserve_iommufd) && ret_is(i, 0) &&
						 is_op(b2, lu::op::unpreserve_iommufd) && ret_is(j, 0);
			premise = dev_pair || fd_pair;
			bad = premise && !same_visible(m, u.states[i], S);
			break;
		}
		case property::failure_changes_nothing: {
			const z3::expr failed = u.rets[k - 1] != m.ret_val(0);
			bad = failed && !state_eq(u.states[k - 1], S);
			premise = failed;
			break;
		}
		case property::image_round_trip: {
			const z3::expr rec = m.record(S, wd, W);
			const z3::expr pg = m.paging(rec);
			const z3::expr tok = m.pick_hwpt(S.mtoken, pg, c.bv_val(0, dm.token_bits));
			z3::expr unique = c.bool_val(true);
			for (unsigned h = 0; h < dm.hwpts; ++h)
				unique = unique && z3::implies(m.ref(h) != pg && S.marked[h] && S.dompres[h], S.mtoken[h] != tok);
			// max_pasids 0: the group's PASIDs, not validated (b3f6fcd8)
			const z3::expr maxp = m.pick(q.cfg.max_pasids, wd);
			const z3::expr in_bounds = z3::implies(wp != zero_idx && maxp != c.bv_val(0, MAXP_BITS),
								z3::ult(z3::zext(wp, MAXP_BITS - IDX_BITS), maxp));
			const z3::expr resolves = m.is_marked(S, pg) && m.is_dompres(S, pg) && unique && in_bounds;
			premise = kex && m.restored(S, wd, W);
			bad = premise && !resolves;
			break;
		}
		case property::nested_survives:
			premise = kex && pres(S) && m.is_nested(held) && m.restored(S, wd, W);
			bad = premise && m.record(S, wd, W) != held;
			break;
		case property::freeze_lifts: {
			// Step k - 1 changes an attachment of a group none of whose
			// devices is preserved; -EBUSY may then only be attach's
			// "already attached here" (xa_insert into device_array).
			const sym_step &a = q.steps[k - 1];
			const sym_state &P = u.states[k - 1];
			const z3::expr g = m.group_of(a.dev);
			z3::expr none_preserved = c.bool_val(true);
			for (unsigned d = 0; d < dm.devices; ++d)
				none_preserved = none_preserved && !(q.cfg.group[d] == g && P.dpres[d]);
			const z3::expr taken = is_op(a, lu::op::attach) && m.in_at(P, a.dev, k); // slot k: step k - 1's PASID
			premise = !P.kexeced[0] && none_preserved && !taken &&
				  (is_op(a, lu::op::attach) || is_op(a, lu::op::replace) || is_op(a, lu::op::detach));
			bad = premise && ret_is(k - 1, -EBUSY);
			break;
		}
		}
		q.bad_at.push_back(bad);
		q.premise_at.push_back(premise);
	}
	return q;
}

std::vector<obligation> loss_induction(z3::context &c, const lu::variant &v, property p, const bounds &b)
{
	if (p != property::no_silent_pasid_loss && p != property::loss_only_when_acknowledged)
		return {};
	if (v.freeze != lu::freeze::busy || v.vfio_gate != lu::vfio_gate::always || v.policy == lu::policy::silent_drop)
		return {};
	const bool full = v.policy == lu::policy::full;
	// The kernel's widths, not the bounded proofs': a trace of any length
	// names any token, and a counter counts at most 2^20 - 1 PASIDs, so 21
	// bits never wrap.
	const dims dm{b.devices, b.hwpts, TOKEN_BITS, lu::PASID_BITS + 1};
	const unsigned D = dm.devices, H = dm.hwpts;
	const sym_config cfg = make_config(c, dm, "");
	const std::vector<sym_step> steps = make_steps(c, dm, 1, "");
	const z3::expr wd = c.bv_const("w_dev", dm.dev_bits());
	const z3::expr wp = c.bv_const("w_pasid", IDX_BITS);
	// The fixed slots: the RID, the step's PASID, the witness (any index).
	const std::vector<z3::expr> idx{c.bv_val(0, IDX_BITS), steps[0].pasid.extract(IDX_BITS - 1, 0), wp};
	const unsigned K = 3, W = 2, P = 1;
	const machine m(c, dm, v, cfg, idx);
	const unrolling u = unroll(m, steps, "", false); // states[0]: any slot-consistent state
	const z3::expr T = c.bool_val(true), zero_idx = c.bv_val(0, IDX_BITS);
	const z3::expr zero_flags = c.bv_val(0, FLAG_BITS);
	const z3::expr ign_bit = c.bv_val(lu::IOMMU_LU_FLAG_IGNORE_PASID, FLAG_BITS);
	auto ack = [&](const sym_state &s, unsigned d) { return (s.dflags[d] & ign_bit) != zero_flags; };
	auto cnt_val = [&](unsigned n) { return c.bv_val(n, dm.cnt_bits); };

	// E: attach[g][p] is none iff devs[g][p] is empty (every slot); and
	// every hwpt reference of the state names an hwpt (none or 1..H): a ref
	// is H + 1 bits wide only when H + 1 is a power of two, so without this
	// an arbitrary state may hold a dangling ref that no trace can make.
	auto table_inv = [&](const sym_state &s) {
		z3::expr r = T;
		const z3::expr top = m.ref(H - 1);
		for (const auto *refs : {&s.att, &s.rec_rid, &s.rec_att})
			for (const auto &x : *refs)
				r = r && z3::ule(x, top);
		for (unsigned g = 0; g < D; ++g)
			for (unsigned j = 0; j < K; ++j) {
				z3::expr some = c.bool_val(false);
				for (unsigned d = 0; d < D; ++d)
					some = some || (cfg.group[d] == m.dev_val(g) && s.in[d * K + j]);
				r = r && ((s.att[g * K + j] != m.none()) == some);
			}
		return r;
	};
	// contrib(d, h, j): PASID idx[j] > 0 of device d is attached through h.
	auto contrib = [&](const sym_state &s, unsigned d, unsigned h, unsigned j) {
		return idx[j] != zero_idx && s.in[d * K + j] && m.att_at(s, cfg.group[d], j) == m.ref(h);
	};
	// C: the counters' consequence used below (justified by E and the step
	// lemma, docs/model.md): an attached PASID is counted.
	auto counted = [&](const sym_state &s) {
		z3::expr r = T;
		for (unsigned d = 0; d < D; ++d)
			for (unsigned h = 0; h < H; ++h)
				for (unsigned j = 0; j < K; ++j)
					r = r && z3::implies(contrib(s, d, h, j), s.cnt[d * H + h] != cnt_val(0));
		return r;
	};
	// The strengthening invariant: nr counts the preserved devices of the
	// group (each with a record: gate always), and a preserved device's
	// record is the current (frozen) state of its group.
	auto inv = [&](const sym_state &s) {
		z3::expr r = T;
		for (unsigned g = 0; g < D; ++g) {
			z3::expr n = cnt_val(0);
			for (unsigned d = 0; d < D; ++d)
				n = n + z3::ite(cfg.group[d] == m.dev_val(g) && s.dpres[d] && s.drec[d], cnt_val(1), cnt_val(0));
			r = r && s.nr[g] == n;
		}
		for (unsigned d = 0; d < D; ++d) {
			const z3::expr &g = cfg.group[d];
			const z3::expr rid = m.att_at(s, g, machine::rid_slot());
			r = r && s.dpres[d] == s.drec[d];
			// ... and its RID's domain stays found by the unpreserve
			// (iommufd_device_unpreserve() looks it up in the preserved set).
			z3::expr rec = rid != m.none() && s.ipres[0] && m.is_dompres(s, m.paging(rid)) &&
				       s.rec_rid[d] == (full ? rid : m.paging(rid)) &&
				       s.rec_on[d] == (full ? !ack(s, d) : c.bool_val(false));
			for (unsigned j = 0; j < K; ++j) {
				rec = rec && s.rec_in[d * K + j] == s.in[d * K + j] && s.rec_att[d * K + j] == m.att_at(s, g, j);
				if (!full) // the policy refused PASIDs unless acknowledged
					rec = rec && z3::implies(idx[j] != zero_idx && !ack(s, d), !s.in[d * K + j]);
			}
			r = r && z3::implies(s.dpres[d], rec);
		}
		return r;
	};
	auto bad = [&](const sym_state &S) {
		const z3::expr pres = m.pick(S.dpres, wd);
		const z3::expr a = (m.pick(S.dflags, wd) & ign_bit) != zero_flags;
		if (p == property::no_silent_pasid_loss)
			return S.kexeced[0] && pres && !a && m.lost(S, wd, W);
		return S.kexeced[0] && pres && m.lost(S, wd, W) && !(wp != zero_idx && a);
	};

	std::vector<z3::expr> base{m.wellformed_config(), m.canonical_config(), z3::ult(wd, c.bv_val(D, dm.dev_bits()))};
	for (const auto &f : u.facts) // slot consistency, the step's range, the transition
		base.push_back(f);
	base.push_back(m.canonical_step(steps[0]));
	const sym_state &s = u.states[0], &n = u.states[1];
	std::vector<obligation> out;
	{
		sym_state s0 = make_state(c, dm, K, "t_");
		out.push_back({"table invariant holds initially", {{m.wellformed_config(), m.initial(s0)}, !table_inv(s0)}});
	}
	out.push_back({"table invariant is inductive", {base, table_inv(s) && !table_inv(n)}});
	// The counters' step lemma: a counter moves by exactly the change of
	// its own contribution at the step's PASID, and no other index's
	// contribution changes.
	{
		const z3::expr inr = z3::ult(steps[0].pasid, c.bv_val(lu::PASID_LIMIT, ARG_PASID_BITS));
		z3::expr ok = T;
		for (unsigned d = 0; d < D; ++d)
			for (unsigned h = 0; h < H; ++h) {
				auto as_cnt = [&](const z3::expr &b2) { return z3::ite(b2, cnt_val(1), cnt_val(0)); };
				const z3::expr delta = z3::ite(inr, as_cnt(contrib(n, d, h, P)) - as_cnt(contrib(s, d, h, P)), cnt_val(0));
				ok = ok && n.cnt[d * H + h] - s.cnt[d * H + h] == delta;
				ok = ok && z3::implies(!inr || idx[W] != idx[P], contrib(n, d, h, W) == contrib(s, d, h, W));
			}
		out.push_back({"counters move with the attachments", {base, table_inv(s) && !ok}});
	}
	{
		sym_state s0 = make_state(c, dm, K, "i_");
		std::vector<z3::expr> f0{m.wellformed_config(), m.initial(s0)};
		out.push_back({"invariant holds initially", {f0, !inv(s0)}});
	}
	out.push_back({"invariant is inductive", {base, table_inv(s) && counted(s) && inv(s) && !inv(n)}});
	// Non-vacuity: the step's premise admits a preserved device attached
	// at the witness index, and a successful step.
	out.push_back({"the step's premise is satisfiable",
		       {base, table_inv(s) && counted(s) && inv(s) && !s.kexeced[0] && m.pick(s.dpres, wd) &&
				      m.attached(s, wd, W) != m.none() && wp != zero_idx && u.rets[0] == m.ret_val(0)},
		       true});
	out.push_back({"invariant implies the property", {base, table_inv(s) && counted(s) && inv(s) && bad(s)}});
	return out;
}

z3::expr session_invariant(const machine &m, const sym_state &s)
{
	z3::context &c = m.ctx();
	const unsigned D = m.size().devices, w = m.size().cnt_bits;
	z3::expr r = c.bool_val(true);
	for (const auto &dp : s.dompres)
		r = r && z3::implies(!s.ipres[0], !dp);
	if (m.var().vfio_gate == lu::vfio_gate::always)
		for (unsigned d = 0; d < D; ++d)
			r = r && z3::implies(s.dpres[d], s.drec[d]);
	// The counter is only read under freeze busy (v1's code has none); there
	// it counts the records, a record's RID stays where the unpreserve finds
	// it (iommufd_device_unpreserve()'s lookups, vfio's gate), so a record
	// goes with its preservation. Without the freeze a WARNed unpreserve
	// leaves the record behind (docs/semantics.md).
	if (m.var().freeze != lu::freeze::busy)
		return r;
	const bool by_mark = lu::rules(m.var().version).preserve_tests_mark;
	for (unsigned d = 0; d < D; ++d) {
		const z3::expr dv = m.dev_val(d), rid = m.att_at(s, m.group_of(dv), machine::rid_slot());
		const z3::expr pg = m.paging(rid);
		z3::expr found = rid != m.none() && (by_mark ? m.is_marked(s, pg) : m.is_dompres(s, pg));
		if (m.var().vfio_gate == lu::vfio_gate::rid_only)
			found = found && m.in_at(s, dv, machine::rid_slot());
		r = r && z3::implies(s.drec[d], s.dpres[d] && found);
	}
	for (unsigned g = 0; g < D; ++g) {
		z3::expr n = c.bv_val(0, w);
		for (unsigned d = 0; d < D; ++d)
			n = n + z3::ite(m.cfg().group[d] == m.dev_val(g) && s.drec[d], c.bv_val(1, w), c.bv_val(0, w));
		r = r && s.nr[g] == n;
	}
	return r;
}

std::vector<obligation> session_invariant_checks(z3::context &c, const lu::variant &v, const bounds &b)
{
	bounds b1 = b;
	b1.depth = 1;
	const query q = build_query(c, v, property::failure_changes_nothing, b1, false);
	const unrolling &u = q.runs[0];
	std::vector<obligation> out;
	const sym_state s0 = make_state(c, q.dm, u.m.slots(), "i_");
	out.push_back({"session invariant holds initially", {{u.m.initial(s0)}, !session_invariant(u.m, s0)}});
	out.push_back({"session invariant is inductive",
		       {q.facts, session_invariant(u.m, u.states[0]) && !session_invariant(u.m, u.states[1])}});
	return out;
}

} // namespace lu::model::internal
