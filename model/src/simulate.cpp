// SPDX-License-Identifier: GPL-2.0
// simulate(): a concrete trace through the same transition relation the
// proofs use. One unrolled template per (variant, devices, hwpts, depth) sits
// in a solver; a run pushes the concrete configuration and steps, solves
// (everything is determined, so this is propagation) and reads back.
#include "lu/model/simulate.h"

#include <algorithm>

#include "concrete.h"
#include "encoding.h"
#include "query.h"

namespace lu::model {

namespace {

using namespace internal;

std::vector<z3::expr> slot_vars(z3::context &c, unsigned n)
{
	std::vector<z3::expr> idx{c.bv_val(0, IDX_BITS)};
	for (unsigned j = 1; j < n; ++j)
		idx.push_back(c.bv_const(("slot" + std::to_string(j)).c_str(), IDX_BITS));
	return idx;
}

// Slots: the RID and one per distinct PASID index of the trace (depth + 1).
struct tmpl {
	tmpl(z3::context &c, dims dm, const lu::variant &v, unsigned depth)
		: cfg(make_config(c, dm, "")), steps(make_steps(c, dm, depth, "")),
		  u(unroll(machine(c, dm, v, cfg, slot_vars(c, depth + 1)), steps, "")), s(c)
	{
		s.add(u.m.wellformed_config());
		for (const auto &f : u.facts)
			s.add(f);
	}
	sym_config cfg;
	std::vector<sym_step> steps;
	unrolling u;
	z3::solver s;
};

} // namespace

struct simulator::impl {
	z3::context c;
	template_cache<tmpl> cache;

	tmpl &get(const lu::variant &v, const dims &dm, unsigned depth)
	{
		return cache.get(v, dm.devices, dm.hwpts, depth, [&] { return std::make_unique<tmpl>(c, dm, v, depth); });
	}
};

simulator::simulator() : p_(std::make_unique<impl>()) {}
simulator::~simulator() = default;

sim_result simulator::run(const lu::config &cfg, const lu::variant &v, const std::vector<lu::step> &trace)
{
	if (std::string bad = check_concrete(cfg, trace); !bad.empty())
		return {std::nullopt, bad};
	const auto nd = static_cast<unsigned>(cfg.devices.size());
	const auto nh = static_cast<unsigned>(cfg.hwpts.size());
	try {
		// A dummy device or hwpt fills an empty config; no step can name it.
		const dims dm{std::max(nd, 1u), std::max(nh, 1u)};
		const auto depth = static_cast<unsigned>(trace.size());
		tmpl &t = p_->get(v, dm, depth);
		z3::context &c = p_->c;
		const machine &m = t.u.m;
		scoped_push guard(t.s);
		// Group ids are labels: renumbered 0, 1, ... in order of first use.
		const auto gid = concrete_groups(cfg, dm.devices);
		for (unsigned d = 0; d < dm.devices; ++d) {
			t.s.add(t.cfg.group[d] == m.dev_val(gid[d]));
			t.s.add(t.cfg.max_pasids[d] == c.bv_val(d < nd ? cfg.devices[d].max_pasids : 0, MAXP_BITS));
			t.s.add(t.cfg.vf[d] == c.bool_val(d < nd && cfg.devices[d].vf));
		}
		for (unsigned h = 0; h < dm.hwpts; ++h) {
			const lu::hwpt_config hc = h < nh ? cfg.hwpts[h] : lu::hwpt_config{};
			const bool nested = hc.kind == lu::hwpt_kind::nested;
			t.s.add(t.cfg.nested[h] == c.bool_val(nested));
			t.s.add(t.cfg.parent[h] == (nested ? m.ref(hc.parent) : m.none()));
			t.s.add(t.cfg.compat[h] == c.bool_val(hc.pasid_compat));
			t.s.add(t.cfg.sealed[h] == c.bool_val(hc.sealed));
		}
		for (unsigned i = 0; i < depth; ++i) {
			const auto &st = trace[i];
			const sym_step &a = t.steps[i];
			t.s.add(a.op == m.op_val(st.op));
			t.s.add(a.dev == m.dev_val(uses_dev(st.op) ? st.dev : 0));
			t.s.add(a.hwpt == m.ref(uses_hwpt(st.op) ? st.hwpt : 0));
			t.s.add(a.pasid == c.bv_val(st.pasid, ARG_PASID_BITS));
			t.s.add(a.token == c.bv_val(st.token, TOKEN_BITS));
			t.s.add(a.flags == c.bv_val(st.flags, FLAG_BITS));
		}
		// Slot j > 0: the j-th distinct nonzero index; spare slots repeat 0
		// (a copy of the RID slot, kept in sync by every write).
		const auto slot_of = concrete_slots(trace);
		for (auto j = static_cast<unsigned>(slot_of.size()); j < m.slots(); ++j)
			t.s.add(m.idx()[j] == c.bv_val(0, IDX_BITS));
		for (const auto &[pi, j] : slot_of)
			if (j > 0)
				t.s.add(m.idx()[j] == c.bv_val(pi, IDX_BITS));
		const z3::check_result r = t.s.check();
		if (r != z3::sat)
			return {std::nullopt, r == z3::unsat ? "model: no run (the relation is not total: a bug)"
							     : "model: solver gave up: " + t.s.reason_unknown()};
		const z3::model mdl = t.s.get_model();
		lu::outcome out;
		for (unsigned i = 0; i < depth; ++i)
			out.rets.push_back(static_cast<std::int8_t>(static_cast<std::uint8_t>(num(mdl, t.u.rets[i]))));
		const sym_state &S = t.u.states[depth];
		if (num(mdl, S.kexeced[0]) != 0)
			read_attachments(nd, slot_of, [&](unsigned d, unsigned j) {
				const z3::expr dv = m.dev_val(d);
				return slot_view{num(mdl, m.attached(S, dv, j)), num(mdl, m.restored(S, dv, j)) != 0,
						 num(mdl, m.record(S, dv, j))};
			}, &out);
		return {std::move(out), ""};
	} catch (const z3::exception &e) {
		return {std::nullopt, std::string("model: z3: ") + e.msg()};
	}
}

sim_result simulate(const lu::config &cfg, const lu::variant &v, const std::vector<lu::step> &trace)
{
	thread_local simulator sim;
	return sim.run(cfg, v, trace);
}

} // namespace lu::model
