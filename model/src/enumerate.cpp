// SPDX-License-Identifier: GPL-2.0
// Model-guided test generation (see lu/model/enumerate.h): all-SAT over an
// outcome projection of the last step of an unrolled trace, with blocking
// clauses, on the same transition relation the proofs use.
#include "lu/model/enumerate.h"

#include <algorithm>
#include <set>

#include "encoding.h"
#include "lu/core/rules.h"
#include "query.h"

namespace lu::model {

namespace {

using namespace internal;

bool uses_pasid(lu::op o) { return lu::operands_of(o).pasid; }
bool uses_dev(lu::op o) { return lu::operands_of(o).dev; }
bool uses_hwpt(lu::op o) { return lu::operands_of(o).hwpt; }
bool uses_token(lu::op o) { return lu::operands_of(o).token; }

struct feature {
	std::string name;
	z3::expr e;
};

// The projection: what makes two cases of one operation "the same outcome".
// A feature is only told apart where it can matter: after kexec every
// operation but dma returns -ENODEV whatever its arguments, so there the
// other features read "n/a" (7). Each feature is a BV3 class.
std::vector<feature> projection(const machine &m, const sym_state &s, const sym_step &a, z3::expr ret, lu::op o)
{
	z3::context &c = m.ctx();
	const dims &dm = m.size();
	auto bv3 = [&](unsigned v) { return c.bv_val(v, 3); };
	const z3::expr live = o == lu::op::dma ? c.bool_val(true) : !s.kexeced[0];
	std::vector<feature> f{{"ret", ret}, {"kexeced", z3::ite(s.kexeced[0], bv3(1), bv3(0))}};
	// @e (Bool or BV3) where @when holds, else n/a
	auto add = [&](const char *name, const z3::expr &e, const z3::expr &when) {
		z3::expr v = e.is_bool() ? z3::ite(e, bv3(1), bv3(0)) : e;
		f.push_back({name, z3::ite(live && when, v, bv3(7))});
	};
	const z3::expr T = c.bool_val(true);
	if (uses_pasid(o)) {
		// Edge PASIDs first: 0, 1, max_pasids-1, 2^20-1, >= 2^20, >= max_pasids.
		z3::expr maxp = m.pick(m.cfg().max_pasids, a.dev);
		z3::expr maxp32 = z3::zext(maxp, ARG_PASID_BITS - MAXP_BITS);
		z3::expr p = a.pasid;
		auto k = [&](std::uint64_t v) { return c.bv_val(v, ARG_PASID_BITS); };
		z3::expr cls = z3::ite(p == k(0), bv3(0),
			       z3::ite(p == k(1), bv3(1),
			       z3::ite(maxp32 != k(0) && p == maxp32 - k(1), bv3(2),
			       z3::ite(p == k(lu::PASID_LIMIT - 1), bv3(3),
			       z3::ite(z3::uge(p, k(lu::PASID_LIMIT)), bv3(4),
			       z3::ite(z3::uge(p, maxp32), bv3(5), bv3(6)))))));
		add("pasid", cls, T);
	}
	if (uses_dev(o) && dm.devices > 1 && o != lu::op::preserve_device)
		add("shared-group", m.cfg().group[0] == m.cfg().group[1], T);
	if (uses_hwpt(o)) {
		add("nested", m.is_nested(a.hwpt), T);
		add("compat", m.is_compat(a.hwpt), T);
	}
	if (o == lu::op::mark_preserve)
		add("remark", m.is_marked(s, a.hwpt), T);
	auto token_class = [&] {
		std::vector<z3::expr> marked_tok;
		for (unsigned h = 0; h < dm.hwpts; ++h)
			marked_tok.push_back(s.marked[h] && s.mtoken[h] == a.token);
		z3::expr any_marked = c.bool_val(false);
		for (const auto &e : marked_tok)
			any_marked = any_marked || e;
		auto t = [&](std::uint64_t v) { return c.bv_val(v, TOKEN_BITS); };
		return z3::ite(m.token_used(s, a.token), bv3(0),
		       z3::ite(any_marked, bv3(1),
		       z3::ite(a.token == t(0), bv3(2),
		       z3::ite(a.token == t(~std::uint64_t{0}), bv3(3), bv3(4)))));
	};
	if (uses_token(o) && o != lu::op::preserve_device)
		add("token", token_class(), T);
	if (o == lu::op::preserve_device) {
		// Its features in the order of its checks (docs/semantics.md), each
		// told apart only once the checks before it passed; otherwise the
		// product of eight features is far beyond any cap. The edge tokens
		// are a second pass (edge_projection).
		auto w = [&](std::uint32_t v) { return c.bv_val(v, FLAG_BITS); };
		z3::expr flags = z3::ite(a.flags == w(0), bv3(0),
				 z3::ite(a.flags == w(lu::IOMMU_LU_FLAG_IGNORE_PASID), bv3(1), bv3(2)));
		const z3::expr fresh = !m.token_used(s, a.token) && !m.pick(s.dpres, a.dev);
		const z3::expr known =
			(a.flags & c.bv_val(~lu::known_preserve_flags(m.var().policy), FLAG_BITS)) == w(0);
		const z3::expr dev_rid = m.in_at(s, a.dev, m.rid_slot());
		const z3::expr gate = m.var().vfio_gate == lu::vfio_gate::rid_only ? dev_rid : T;
		z3::expr g = m.group_of(a.dev);
		add("flags", flags, fresh);
		add("dev-rid", dev_rid, fresh && known);
		if (lu::rules(m.var().version).pci_unwind)
			add("vf", m.pick(m.cfg().vf, a.dev), fresh && known);
		if (dm.devices > 1)
			add("shared-group", m.cfg().group[0] == m.cfg().group[1], fresh && known);
		add("pasids", m.has_pasids(s, g), fresh && known && gate);
		add("group-rid", m.att_at(s, g, m.rid_slot()) != m.none(), fresh && known && gate);
		add("iommufd", s.ipres[0], fresh && known && gate);
	}
	if (o == lu::op::unpreserve_device)
		add("record", m.pick(s.drec, a.dev), T);
	if (o == lu::op::unpreserve_iommufd || o == lu::op::kexec) {
		z3::expr any_rec = c.bool_val(false);
		for (unsigned d = 0; d < dm.devices; ++d)
			any_rec = any_rec || (s.dpres[d] && s.drec[d]);
		add("records", any_rec, T);
	}
	return f;
}

// The second pass of preserve_device: every return value with each token
// class (in use, a mark's token, 0, ~0, other) and flags class.
std::vector<feature> edge_projection(const machine &m, const sym_state &s, const sym_step &a, z3::expr ret)
{
	z3::context &c = m.ctx();
	auto bv3 = [&](unsigned v) { return c.bv_val(v, 3); };
	z3::expr any_marked = c.bool_val(false);
	for (unsigned h = 0; h < m.size().hwpts; ++h)
		any_marked = any_marked || (s.marked[h] && s.mtoken[h] == a.token);
	auto t = [&](std::uint64_t v) { return c.bv_val(v, TOKEN_BITS); };
	auto w = [&](std::uint32_t v) { return c.bv_val(v, FLAG_BITS); };
	const z3::expr live = !s.kexeced[0];
	z3::expr token = z3::ite(m.token_used(s, a.token), bv3(0),
			 z3::ite(any_marked, bv3(1),
			 z3::ite(a.token == t(0), bv3(2),
			 z3::ite(a.token == t(~std::uint64_t{0}), bv3(3), bv3(4)))));
	z3::expr flags = z3::ite(a.flags == w(0), bv3(0),
			 z3::ite(a.flags == w(lu::IOMMU_LU_FLAG_IGNORE_PASID), bv3(1), bv3(2)));
	return {{"ret", ret}, {"token", z3::ite(live, token, bv3(7))}, {"flags", z3::ite(live, flags, bv3(7))}};
}

lu::step decode_step(const z3::model &mdl, const sym_step &a)
{
	lu::step st;
	st.op = static_cast<lu::op>(num(mdl, a.op));
	st.dev = uses_dev(st.op) ? static_cast<std::uint32_t>(num(mdl, a.dev)) : 0;
	std::uint64_t ref = num(mdl, a.hwpt);
	st.hwpt = uses_hwpt(st.op) && ref > 0 ? static_cast<std::uint32_t>(ref - 1) : 0;
	st.pasid = uses_pasid(st.op) ? static_cast<std::uint32_t>(num(mdl, a.pasid)) : 0;
	st.token = uses_token(st.op) ? num(mdl, a.token) : 0;
	st.flags = st.op == lu::op::preserve_device ? static_cast<std::uint32_t>(num(mdl, a.flags)) : 0;
	return st;
}

// The state at the slots' indices (every PASID the trace names, and the RID).
state_snapshot decode_state(const z3::model &mdl, const machine &m, const sym_state &s, const lu::config &cfg)
{
	state_snapshot st;
	const unsigned D = m.size().devices, H = m.size().hwpts;
	std::vector<std::pair<std::uint32_t, unsigned>> slot_of; // pasid -> first slot with it
	for (unsigned j = 0; j < m.slots(); ++j) {
		auto p = static_cast<std::uint32_t>(num(mdl, m.idx()[j]));
		if (std::ranges::none_of(slot_of, [&](const auto &x) { return x.first == p; }))
			slot_of.emplace_back(p, j);
	}
	for (unsigned d = 0; d < D; ++d)
		for (const auto &[p, j] : slot_of) {
			std::uint64_t h = num(mdl, m.attached(s, m.dev_val(d), j));
			if (h)
				st.attachments.push_back({d, p, static_cast<std::uint32_t>(h - 1)});
		}
	std::ranges::sort(st.attachments);
	for (unsigned h = 0; h < H; ++h) {
		bool mk = num(mdl, s.marked[h]) != 0;
		st.marked.push_back(mk);
		st.mark_token.push_back(mk ? num(mdl, s.mtoken[h]) : 0);
		st.domain_preserved.push_back(num(mdl, s.dompres[h]) != 0);
	}
	std::set<std::uint32_t> groups;
	for (const auto &d : cfg.devices)
		groups.insert(d.group);
	// The kernel's counter is an int: the bit-vector's value, two's complement.
	for (auto g : groups) {
		const unsigned w = s.nr[g].get_sort().bv_size();
		const auto v = static_cast<std::int64_t>(num(mdl, s.nr[g]));
		st.nr_preserved.emplace_back(g, static_cast<int>(v >= (std::int64_t{1} << (w - 1)) ? v - (std::int64_t{1} << w) : v));
	}
	st.iommufd_preserved = num(mdl, s.ipres[0]) != 0;
	st.iommufd_token = st.iommufd_preserved ? num(mdl, s.itoken[0]) : 0;
	for (unsigned d = 0; d < D; ++d) {
		state_snapshot::device dv;
		dv.preserved = num(mdl, s.dpres[d]) != 0;
		if (dv.preserved) {
			dv.token = num(mdl, s.dtoken[d]);
			dv.flags = static_cast<std::uint32_t>(num(mdl, s.dflags[d]));
			dv.has_record = num(mdl, s.drec[d]) != 0;
			if (dv.has_record)
				for (const auto &[p, j] : slot_of) {
					std::uint64_t h = num(mdl, m.record(s, m.dev_val(d), j));
					if (h)
						dv.record.push_back({d, p, static_cast<std::uint32_t>(h - 1)});
				}
			std::ranges::sort(dv.record);
		}
		st.devices.push_back(std::move(dv));
	}
	st.kexeced = num(mdl, s.kexeced[0]) != 0;
	return st;
}

} // namespace

enumerate_result enumerate(const lu::variant &v, lu::op o, const enumerate_options &opt)
{
	enumerate_result res;
	try {
		z3::context c;
		const dims dm{opt.devices, opt.hwpts};
		sym_config cfg = make_config(c, dm, "e_");
		auto steps = make_steps(c, dm, opt.depth, "e_");
		// slot 0 the RID, then one slot per step: its PASID's table index
		std::vector<z3::expr> idx{c.bv_val(0, IDX_BITS)};
		for (const auto &a : steps)
			idx.push_back(a.pasid.extract(IDX_BITS - 1, 0));
		machine m(c, dm, v, cfg, idx);
		unrolling u = unroll(m, steps, "e_");
		z3::solver s(c);
		configure(s, opt.rlimit, 0);
		s.add(m.wellformed_config());
		s.add(m.canonical_config());
		for (const auto &f : u.facts)
			s.add(f);
		for (const auto &a : steps)
			s.add(m.canonical_step(a));
		const unsigned last = opt.depth - 1;
		s.add(steps[last].op == m.op_val(o));
		std::vector<std::vector<feature>> passes{projection(u.m, u.states[last], steps[last], u.rets[last], o)};
		if (o == lu::op::preserve_device)
			passes.push_back(edge_projection(u.m, u.states[last], steps[last], u.rets[last]));
		// Each pass blocks its own projection until none is left (push/pop).
		std::size_t pass = 0;
		s.push();
		while (res.cases.size() < opt.max_cases) {
			const auto &feats = passes[pass];
			z3::check_result r = s.check();
			if (r == z3::unsat) {
				s.pop();
				if (++pass == passes.size()) {
					res.complete = true;
					break;
				}
				s.push();
				continue;
			}
			if (r == z3::unknown) {
				res.error = "solver gave up: " + s.reason_unknown();
				break;
			}
			z3::model mdl = s.get_model();
			guided_case gc;
			gc.config = decode_config(mdl, m.cfg(), m.size());
			for (unsigned k = 0; k < opt.depth; ++k) {
				gc.trace.push_back(decode_step(mdl, steps[k]));
				gc.rets.push_back(static_cast<std::int8_t>(static_cast<std::uint8_t>(num(mdl, u.rets[k]))));
			}
			gc.post = decode_state(mdl, u.m, u.states[opt.depth], gc.config);
			z3::expr block = c.bool_val(false);
			std::string proj;
			for (const auto &f : feats) {
				z3::expr val = mdl.eval(f.e, true);
				block = block || f.e != val;
				std::uint64_t n = num(mdl, f.e);
				if (f.name == "ret")
					proj += "ret=" + std::to_string(static_cast<int>(static_cast<std::int8_t>(n)));
				else if (n == 7)
					proj += " " + f.name + "=n/a";
				else
					proj += " " + f.name + "=" + std::to_string(n);
			}
			if (pass > 0)
				proj += " pass=edge";
			gc.projection = proj;
			s.add(block);
			res.cases.push_back(std::move(gc));
		}
	} catch (const z3::exception &e) {
		res.error = std::string("z3: ") + e.msg();
	}
	return res;
}

} // namespace lu::model
