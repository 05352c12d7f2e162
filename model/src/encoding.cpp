// SPDX-License-Identifier: GPL-2.0
// The transition relation of docs/semantics.md in Z3 (see encoding.h for the
// conventions and docs/model.md for the encoding). Each operation is written
// as its checks in the order of docs/semantics.md, the first failing one
// deciding the errno, and its own updates guarded by its own success: the
// "failure changes nothing" property is checked, not built in.
#include "encoding.h"
#include "checks.h"

#include "lu/core/decision.h"
#include "lu/core/rules.h"
#include "lu/model/mutant.h"

#include <cerrno>
#include <utility>

namespace lu::model::internal {

namespace {

unsigned bits_for(unsigned max_value)
{
	unsigned b = 1;
	while ((1u << b) <= max_value)
		++b;
	return b;
}

// ite that keeps the term small when both branches are the same term.
z3::expr merge(const z3::expr &cond, const z3::expr &a, const z3::expr &b)
{
	if (z3::eq(a, b))
		return a;
	return z3::ite(cond, a, b);
}

z3::expr any_of(z3::context &c, const std::vector<z3::expr> &v)
{
	z3::expr r = c.bool_val(false);
	for (const auto &e : v)
		r = r || e;
	return r;
}

} // namespace

unsigned dims::dev_bits() const
{
	return bits_for(devices); // holds the value devices itself, for range checks
}

unsigned dims::ref_bits() const
{
	return bits_for(hwpts);
}

dims proof_dims(unsigned devices, unsigned hwpts, unsigned depth)
{
	return dims{devices, hwpts, bits_for(depth > 8 ? depth : 8), bits_for(depth)};
}

machine::machine(z3::context &c, dims d, lu::variant v, sym_config cfg, std::vector<z3::expr> idx)
	: c_(&c), dims_(d), var_(v), cfg_(std::move(cfg)), idx_(std::move(idx))
{
}

z3::expr machine::none() const
{
	return c_->bv_val(0, dims_.ref_bits());
}

z3::expr machine::ref(unsigned h) const
{
	return c_->bv_val(h + 1, dims_.ref_bits());
}

z3::expr machine::dev_val(unsigned d) const
{
	return c_->bv_val(d, dims_.dev_bits());
}

z3::expr machine::op_val(lu::op o) const
{
	return c_->bv_val(static_cast<unsigned>(o), OP_BITS);
}

z3::expr machine::ret_val(int r) const
{
	return c_->bv_val(static_cast<std::uint64_t>(static_cast<std::uint8_t>(r)), RET_BITS);
}

z3::expr machine::group_of(const z3::expr &dev) const
{
	z3::expr r = cfg_.group.back();
	for (unsigned d = dims_.devices - 1; d-- > 0;)
		r = z3::ite(dev == dev_val(d), cfg_.group[d], r);
	return r;
}

namespace {

z3::expr by_ref(const machine &m, const std::vector<z3::expr> &vals, const z3::expr &ref, const z3::expr &dflt)
{
	z3::expr r = dflt;
	for (unsigned h = m.size().hwpts; h-- > 0;)
		r = z3::ite(ref == m.ref(h), vals[h], r);
	return r;
}

z3::expr by_group(const machine &m, const std::vector<z3::expr> &vals, const z3::expr &g)
{
	z3::expr r = vals.back();
	for (unsigned i = m.size().devices - 1; i-- > 0;)
		r = z3::ite(g == m.dev_val(i), vals[i], r);
	return r;
}

} // namespace

z3::expr machine::pick(const std::vector<z3::expr> &per_dev, const z3::expr &i) const
{
	return by_group(*this, per_dev, i);
}

z3::expr machine::pick_hwpt(const std::vector<z3::expr> &per_hwpt, const z3::expr &r, const z3::expr &dflt) const
{
	return by_ref(*this, per_hwpt, r, dflt);
}

z3::expr machine::is_nested(const z3::expr &r) const
{
	return by_ref(*this, cfg_.nested, r, c_->bool_val(false));
}

z3::expr machine::is_compat(const z3::expr &r) const
{
	return by_ref(*this, cfg_.compat, r, c_->bool_val(false));
}

z3::expr machine::is_sealed(const z3::expr &r) const
{
	return by_ref(*this, cfg_.sealed, r, c_->bool_val(false));
}

z3::expr machine::paging(const z3::expr &r) const
{
	std::vector<z3::expr> vals;
	for (unsigned h = 0; h < dims_.hwpts; ++h)
		vals.push_back(z3::ite(cfg_.nested[h], cfg_.parent[h], ref(h)));
	return by_ref(*this, vals, r, none());
}

z3::expr machine::is_marked(const sym_state &s, const z3::expr &r) const
{
	return by_ref(*this, s.marked, r, c_->bool_val(false));
}

z3::expr machine::is_dompres(const sym_state &s, const z3::expr &r) const
{
	return by_ref(*this, s.dompres, r, c_->bool_val(false));
}

namespace {

std::vector<z3::expr> column(const std::vector<z3::expr> &v, unsigned n, unsigned slots, unsigned j)
{
	std::vector<z3::expr> out;
	for (unsigned i = 0; i < n; ++i)
		out.push_back(v[i * slots + j]);
	return out;
}

} // namespace

z3::expr machine::att_at(const sym_state &s, const z3::expr &g, unsigned j) const
{
	return by_group(*this, column(s.att, dims_.devices, slots(), j), g);
}

z3::expr machine::in_at(const sym_state &s, const z3::expr &dev, unsigned j) const
{
	return by_group(*this, column(s.in, dims_.devices, slots(), j), dev); // devices index like groups
}

z3::expr machine::has_pasids(const sym_state &s, const z3::expr &g) const
{
	// Group-wide (v2's xa_find_after from IOMMU_NO_PASID): some device of the
	// group is attached at some p > 0. Exact by the counters' invariant.
	std::vector<z3::expr> any;
	for (unsigned d = 0; d < dims_.devices; ++d)
		for (unsigned h = 0; h < dims_.hwpts; ++h)
			any.push_back(cfg_.group[d] == g && s.cnt[d * dims_.hwpts + h] != c_->bv_val(0, dims_.cnt_bits));
	return any_of(*c_, any);
}

z3::expr machine::token_used(const sym_state &s, const z3::expr &t) const
{
	std::vector<z3::expr> any{s.ipres[0] && s.itoken[0] == t};
	for (unsigned d = 0; d < dims_.devices; ++d)
		any.push_back(s.dpres[d] && s.dtoken[d] == t);
	return any_of(*c_, any);
}

z3::expr machine::record(const sym_state &s, const z3::expr &dev, unsigned j) const
{
	const unsigned n = dims_.devices, k = slots();
	z3::expr rid = by_group(*this, s.rec_rid, dev);
	z3::expr on = by_group(*this, s.rec_on, dev);
	z3::expr rin = by_group(*this, column(s.rec_in, n, k, j), dev);
	z3::expr ratt = by_group(*this, column(s.rec_att, n, k, j), dev);
	z3::expr zero = c_->bv_val(0, IDX_BITS);
	return z3::ite(idx_[j] == zero, rid, z3::ite(on && rin, ratt, none()));
}

z3::expr machine::restored(const sym_state &s, const z3::expr &dev, unsigned j) const
{
	return by_group(*this, s.dpres, dev) && by_group(*this, s.drec, dev) && record(s, dev, j) != none();
}

z3::expr machine::attached(const sym_state &s, const z3::expr &dev, unsigned j) const
{
	return z3::ite(in_at(s, dev, j), att_at(s, group_of(dev), j), none());
}

z3::expr machine::lost(const sym_state &s, const z3::expr &dev, unsigned j) const
{
	z3::expr h = attached(s, dev, j);
	return h != none() && !(restored(s, dev, j) && paging(record(s, dev, j)) == paging(h));
}

machine::step_result machine::transition(const sym_state &s, const sym_step &a) const
{
	z3::context &c = *c_;
	const unsigned D = dims_.devices, H = dims_.hwpts;
	const lu::variant v = var_;
	const lu::code_rules &rule = lu::rules(v.version); // what this version's code does (lu/core/rules.h)
	const z3::expr T = c.bool_val(true), F = c.bool_val(false);
	const z3::expr zero_cnt = c.bv_val(0, dims_.cnt_bits);
	const z3::expr kex = s.kexeced[0];

	const z3::expr &dev = a.dev, &p = a.pasid, &h = a.hwpt, &t = a.token, &f = a.flags;
	const z3::expr g = group_of(dev);
	const unsigned K = slots(), R = rid_slot();
	const z3::expr inr = z3::ult(p, c.bv_val(lu::PASID_LIMIT, ARG_PASID_BITS));
	const z3::expr pi = p.extract(IDX_BITS - 1, 0);
	// Read a slot vector at pi: the first slot whose index is pi.
	auto read = [&](auto &&slot_value) {
		for (unsigned l = 0; l < K; ++l)
			if (z3::eq(idx_[l], pi))
				return slot_value(l); // the step's own slot
		z3::expr r = slot_value(K - 1);
		for (unsigned l = K - 1; l-- > 0;)
			r = z3::ite(idx_[l] == pi, slot_value(l), r);
		return r;
	};
	const z3::expr at = z3::ite(inr, read([&](unsigned l) { return att_at(s, g, l); }), none());
	const z3::expr mem = inr && read([&](unsigned l) { return in_at(s, dev, l); });
	const z3::expr is_rid = p == c.bv_val(0, ARG_PASID_BITS);
	const z3::expr rid_ref = att_at(s, g, R);
	const z3::expr rid_mem = in_at(s, dev, R);
	// iommufd_device_unpreserve()'s lookups: the RID attach and its domain
	// (v1: marked; later: preserved), else it WARNs and changes nothing.
	const z3::expr rid_pg = paging(rid_ref);
	const z3::expr found = rid_ref != none() && (rule.preserve_tests_mark ? is_marked(s, rid_pg) : is_dompres(s, rid_pg));
	const z3::expr nr_g = by_group(*this, s.nr, g);
	const z3::expr frozen = v.freeze == lu::freeze::busy ? nr_g != zero_cnt : F;
	const z3::expr hp = has_pasids(s, g);
	const z3::expr ign = (f & c.bv_val(lu::IOMMU_LU_FLAG_IGNORE_PASID, FLAG_BITS)) != c.bv_val(0, FLAG_BITS);

	std::vector<step_result> eff; // indexed by lu::op

	auto same_index = [&](unsigned l) { return z3::eq(idx_[l], pi) ? c.bool_val(true) : idx_[l] == pi; };
	// Store @val at idx[j] in the table of group @g (of device @dev) when
	// @cond: every slot with the same index sees the write.
	auto set_att = [&](sym_state &n, const z3::expr &cond, const z3::expr &val) {
		for (unsigned gi = 0; gi < D; ++gi)
			for (unsigned l = 0; l < K; ++l) {
				z3::expr &x = n.att[gi * K + l];
				x = merge(cond && g == dev_val(gi) && same_index(l), val, x);
			}
	};
	auto set_in = [&](sym_state &n, const z3::expr &cond, const z3::expr &val) {
		for (unsigned d = 0; d < D; ++d)
			for (unsigned l = 0; l < K; ++l) {
				z3::expr &x = n.in[d * K + l];
				x = merge(cond && dev == dev_val(d) && same_index(l), val, x);
			}
	};

	// mark_preserve(hwpt h, token t)
	{
		checks ck{c, {}};
		ck.add(kex, ENODEV, lu::decision::after_kexec);
		ck.add(is_nested(h), LU_MODEL_MUTANT(mark_nested_einval) ? EINVAL : ENOENT, lu::decision::mark_nested);
		std::vector<z3::expr> clash;
		for (unsigned x = 0; x < H; ++x)
			clash.push_back((rule.mark_skips_target ? h != ref(x) : T) && s.marked[x] && s.mtoken[x] == t);
		if (!LU_MODEL_MUTANT(mark_accepts_used_token))
			ck.add(any_of(c, clash), EADDRINUSE, lu::decision::mark_token_in_use);
		sym_state n = s;
		z3::expr ok = ck.pass();
		for (unsigned x = 0; x < H; ++x) {
			n.marked[x] = z3::ite(ok && h == ref(x), T, s.marked[x]);
			n.mtoken[x] = z3::ite(ok && h == ref(x), t, s.mtoken[x]);
		}
		eff.push_back({ck.ret(ret_val(0)), n, ck.rule(decision_val(c, lu::decision::mark_ok))});
	}

	// attach(dev, pasid, hwpt)
	{
		checks ck{c, {}};
		ck.add(kex, ENODEV, lu::decision::after_kexec);
		if (!LU_MODEL_MUTANT(attach_ignores_freeze))
			ck.add(frozen, EBUSY, lu::decision::attach_frozen);
		ck.add(mem, EBUSY, lu::decision::attach_already);
		ck.add(at != none() && at != h, EINVAL, lu::decision::attach_other_hwpt);
		const z3::expr first = at == none();
		ck.add(first && is_rid && !is_compat(h) && hp, EINVAL, lu::decision::attach_rid_not_compat);
		ck.add(first && !is_rid && !is_compat(h), EINVAL, lu::decision::attach_pasid_not_compat);
		ck.add(first && !is_rid && rid_ref != none() && !is_compat(rid_ref), EINVAL, lu::decision::attach_rid_hwpt_not_compat);
		// iommu_attach_device_pasid() since b3f6fcd8 (v6.15): members with
		// max_pasids == 0 are skipped; PASIDs are 20 bits (the model's space).
		std::vector<z3::expr> too_big{!inr};
		for (unsigned d = 0; d < D; ++d)
			too_big.push_back(cfg_.group[d] == g && cfg_.max_pasids[d] != c.bv_val(0, MAXP_BITS) &&
					  z3::uge(p, z3::zext(cfg_.max_pasids[d], ARG_PASID_BITS - MAXP_BITS)));
		ck.add(first && !is_rid && any_of(c, too_big), EINVAL, lu::decision::attach_pasid_range);
		sym_state n = s;
		const z3::expr ok = ck.pass();
		set_att(n, ok, h);
		set_in(n, ok, T);
		for (unsigned d = 0; d < D; ++d)
			for (unsigned x = 0; x < H; ++x) {
				z3::expr &k = n.cnt[d * H + x];
				k = z3::ite(ok && !is_rid && dev == dev_val(d) && h == ref(x), inc(k), k);
			}
		eff.push_back({ck.ret(ret_val(0)), n, ck.rule(decision_val(c, lu::decision::attach_ok))});
	}

	// replace(dev, pasid, hwpt)
	{
		checks ck{c, {}};
		ck.add(kex, ENODEV, lu::decision::after_kexec);
		ck.add(frozen, EBUSY, lu::decision::replace_frozen);
		ck.add(!mem, EINVAL, lu::decision::replace_not_attached);
		const z3::expr same = at == h; // success, nothing changes
		ck.add(!same && is_rid && !is_compat(h) && hp, EINVAL, lu::decision::replace_rid_not_compat);
		ck.add(!same && !is_rid && !is_compat(h), EINVAL, lu::decision::replace_pasid_not_compat);
		sym_state n = s;
		const z3::expr change = ck.pass() && !same;
		set_att(n, change, h);
		for (unsigned d = 0; d < D; ++d) {
			const z3::expr moving = change && !is_rid && cfg_.group[d] == g && read([&](unsigned l) { return s.in[d * K + l]; });
			for (unsigned x = 0; x < H; ++x) {
				z3::expr &k = n.cnt[d * H + x];
				k = z3::ite(moving && h == ref(x), inc(k), k);
				k = z3::ite(moving && at == ref(x), dec(k), k);
			}
		}
		eff.push_back({ck.ret(ret_val(0)), n, ck.rule(z3::ite(same, decision_val(c, lu::decision::replace_same), decision_val(c, lu::decision::replace_ok)))});
	}

	// detach(dev, pasid)
	{
		checks ck{c, {}};
		ck.add(kex, ENODEV, lu::decision::after_kexec);
		ck.add(frozen, EBUSY, lu::decision::detach_frozen);
		sym_state n = s;
		const z3::expr change = ck.pass() && mem;
		std::vector<z3::expr> others;
		for (unsigned d = 0; d < D; ++d)
			others.push_back(dev != dev_val(d) && cfg_.group[d] == g && read([&](unsigned l) { return s.in[d * K + l]; }));
		set_in(n, change, F);
		set_att(n, change && !any_of(c, others), none());
		for (unsigned d = 0; d < D; ++d)
			for (unsigned x = 0; x < H; ++x) {
				z3::expr &k = n.cnt[d * H + x];
				if (!LU_MODEL_MUTANT(detach_keeps_pasid_count))
					k = z3::ite(change && !is_rid && dev == dev_val(d) && at == ref(x), dec(k), k);
			}
		eff.push_back({ck.ret(ret_val(0)), n, ck.rule(z3::ite(mem, decision_val(c, lu::decision::detach_ok), decision_val(c, lu::decision::detach_not_attached)))});
	}

	// preserve_iommufd(token)
	{
		checks ck{c, {}};
		ck.add(kex, ENODEV, lu::decision::after_kexec);
		if (LU_MODEL_MUTANT(iommufd_busy_before_token)) {
			ck.add(s.ipres[0], EBUSY, lu::decision::iommufd_preserved);
			ck.add(token_used(s, t), EEXIST, lu::decision::iommufd_token_in_use);
		} else {
			ck.add(token_used(s, t), EEXIST, lu::decision::iommufd_token_in_use);
			ck.add(s.ipres[0], EBUSY, lu::decision::iommufd_preserved);
		}
		std::vector<z3::expr> unsealed;
		for (unsigned x = 0; x < H; ++x)
			unsealed.push_back(s.marked[x] && !cfg_.sealed[x]);
		ck.add(any_of(c, unsealed), EINVAL, lu::decision::iommufd_unsealed);
		sym_state n = s;
		const z3::expr ok = ck.pass();
		for (unsigned x = 0; x < H; ++x)
			n.dompres[x] = z3::ite(ok, s.marked[x], s.dompres[x]);
		n.ipres[0] = s.ipres[0] || ok;
		n.itoken[0] = z3::ite(ok, t, s.itoken[0]);
		eff.push_back({ck.ret(ret_val(0)), n, ck.rule(decision_val(c, lu::decision::iommufd_ok))});
	}

	// preserve_device(dev, token, flags)
	{
		const lu::policy pol = v.policy;
		const bool full = pol == lu::policy::full;
		checks ck{c, {}};
		ck.add(kex, ENODEV, lu::decision::after_kexec);
		ck.add(token_used(s, t), EEXIST, lu::decision::device_token_in_use);
		ck.add(by_group(*this, s.dpres, dev), EBUSY, lu::decision::device_preserved);
		const std::uint32_t unknown = ~lu::known_preserve_flags(pol);
		ck.add((f & c.bv_val(unknown, FLAG_BITS)) != c.bv_val(0, FLAG_BITS), EINVAL, lu::decision::device_unknown_flags);
		const z3::expr skip = v.vfio_gate == lu::vfio_gate::rid_only ? !rid_mem : F;
		const z3::expr before_skip = ck.pass();
		// The checks after vfio's gate (iommufd_device_preserve()), in the
		// order of the version's code.
		const z3::expr had = by_group(*this, s.drec, dev);
		checks io{c, {}};
		if (rule.device_flag)
			io.add(had, EBUSY, lu::decision::device_has_record);
		if (pol == lu::policy::reject)
			io.add(hp, EOPNOTSUPP, lu::decision::device_has_pasids);
		if (pol == lu::policy::ack_flag)
			io.add(hp && !ign, EOPNOTSUPP, lu::decision::device_has_pasids);
		io.add(rid_ref == none(), ENOENT, lu::decision::device_no_rid);
		if (rule.device_on_rid)
			io.add(!rid_mem, ENOENT, lu::decision::device_not_on_rid);
		if (rule.preserve_tests_mark) {
			io.add(!is_marked(s, rid_pg), EINVAL, lu::decision::device_rid_not_marked);
			io.add(!s.ipres[0], ENOENT, lu::decision::device_no_iommufd_v1);
			io.add(!is_dompres(s, rid_pg), EINVAL, lu::decision::device_domain_not_preserved_v1);
		} else if (LU_MODEL_MUTANT(device_iommufd_before_domain)) {
			io.add(!s.ipres[0], ENOENT, lu::decision::device_no_iommufd);
			io.add(!is_dompres(s, rid_pg), EINVAL, lu::decision::device_domain_not_preserved);
		} else {
			io.add(!is_dompres(s, rid_pg), EINVAL, lu::decision::device_domain_not_preserved);
			io.add(!s.ipres[0], ENOENT, lu::decision::device_no_iommufd);
		}
		if (full) {
			std::vector<z3::expr> bad;
			for (unsigned x = 0; x < H; ++x) {
				const z3::expr pg = paging(ref(x));
				bad.push_back(by_group(*this, [&] {
					std::vector<z3::expr> k;
					for (unsigned d = 0; d < D; ++d)
						k.push_back(s.cnt[d * H + x]);
					return k;
				}(), dev) != zero_cnt && !(is_marked(s, pg) && is_dompres(s, pg)));
			}
			io.add(!ign && any_of(c, bad), EINVAL, lu::decision::device_pasid_domain);
		}
		// Then pci_liveupdate_preserve() (a VF: -EINVAL), whose failure
		// unwinds iommufd unguarded: the record just made, or, for a device
		// the gate skipped, whatever iommufd_device_unpreserve() finds.
		const z3::expr vf = rule.pci_unwind ? pick(cfg_.vf, dev) : F;
		const z3::expr passed = before_skip && (skip || io.pass());
		const z3::expr ret_pci = z3::ite(vf, ret_val(-EINVAL), ret_val(0));
		const z3::expr ret = ck.ret(z3::ite(skip, ret_pci, io.ret(ret_pci)));
		const z3::expr ok_rec = passed && !skip && !vf;
		const z3::expr ok = passed && !vf;
		// (post-v2: `if (!idev->liveupdate_preserved) goto out;`; v2 undoes
		// whatever its lookups find)
		const z3::expr unwind = passed && vf && found && (rule.unpreserve_any_device ? T : !skip || had) &&
					(LU_MODEL_MUTANT(pci_unwind_guarded) ? !skip : T);
		sym_state n = s;
		for (unsigned d = 0; d < D; ++d) {
			const z3::expr me = dev == dev_val(d);
			n.dpres[d] = z3::ite(ok && me, T, s.dpres[d]);
			n.dtoken[d] = z3::ite(ok && me, t, s.dtoken[d]);
			n.dflags[d] = z3::ite(ok && me, f, s.dflags[d]);
			// a skip leaves a record as it was; an unwind removes it
			n.drec[d] = z3::ite(ok_rec && me, T, z3::ite(unwind && me, F, s.drec[d]));
			if (!LU_MODEL_MUTANT(record_drops_rid))
				n.rec_rid[d] = z3::ite(ok_rec && me, full ? rid_ref : rid_pg, s.rec_rid[d]);
			n.rec_on[d] = z3::ite(ok_rec && me, full ? !ign : F, s.rec_on[d]);
			for (unsigned l = 0; l < K; ++l) {
				if (!LU_MODEL_MUTANT(record_drops_pasid_hwpts))
					n.rec_att[d * K + l] = z3::ite(ok_rec && me, att_at(s, g, l), s.rec_att[d * K + l]);
				n.rec_in[d * K + l] = z3::ite(ok_rec && me, s.in[d * K + l], s.rec_in[d * K + l]);
			}
		}
		// The unwind of a record just made leaves the counter as it was.
		for (unsigned gi = 0; gi < D; ++gi)
			n.nr[gi] = z3::ite(g == dev_val(gi), z3::ite(ok_rec, inc(s.nr[gi]), z3::ite(unwind && skip, dec(s.nr[gi]), s.nr[gi])), s.nr[gi]);
		const z3::expr pci = decision_val(c, lu::decision::device_pci_refused);
		eff.push_back({ret, n, ck.rule(z3::ite(skip, z3::ite(vf, pci, decision_val(c, lu::decision::device_vfio_skips)),
						     io.rule(z3::ite(vf, pci, decision_val(c, lu::decision::device_ok)))))});
	}

	// unpreserve_device(dev): vfio's unpreserve behind its gate, then
	// iommufd_device_unpreserve(), which undoes the device only when its
	// lookups pass (the RID attach and its domain; else WARN and nothing).
	{
		checks ck{c, {}};
		ck.add(kex, ENODEV, lu::decision::after_kexec);
		ck.add(!by_group(*this, s.dpres, dev), ENOENT, lu::decision::unpreserve_not_preserved);
		const z3::expr ok = ck.pass();
		const z3::expr had = by_group(*this, s.drec, dev);
		const z3::expr calls = v.vfio_gate == lu::vfio_gate::rid_only ? rid_mem : T;
		const z3::expr undo = ok && calls && found && (rule.unpreserve_any_device ? T : had);
		sym_state n = s;
		// Only the undo removes the record (and, post-v2, the device flag):
		// a skipped or WARNed unpreserve jumps past it (`goto out`, v1 12/14,
		// pran005@20d150d0), so the iommu core still holds the device.
		for (unsigned d = 0; d < D; ++d) {
			n.dpres[d] = z3::ite(ok && dev == dev_val(d), F, s.dpres[d]);
			n.drec[d] = z3::ite(undo && dev == dev_val(d), F, s.drec[d]);
		}
		for (unsigned gi = 0; gi < D; ++gi)
			n.nr[gi] = LU_MODEL_MUTANT(unpreserve_keeps_counter) ? s.nr[gi]
									     : z3::ite(undo && g == dev_val(gi), dec(s.nr[gi]), s.nr[gi]);
		eff.push_back({ck.ret(ret_val(0)), n,
			       ck.rule(z3::ite(undo, z3::ite(had, decision_val(c, lu::decision::unpreserve_undone),
							    decision_val(c, lu::decision::unpreserve_undone_without_record)),
					       decision_val(c, lu::decision::unpreserve_not_undone)))});
	}

	// unpreserve_iommufd()
	{
		checks ck{c, {}};
		ck.add(kex, ENODEV, lu::decision::after_kexec);
		ck.add(!s.ipres[0], ENOENT, lu::decision::unpreserve_iommufd_not_preserved);
		std::vector<z3::expr> deps;
		for (unsigned d = 0; d < D; ++d)
			deps.push_back(s.dpres[d] && s.drec[d]);
		ck.add(any_of(c, deps), EBUSY, lu::decision::unpreserve_iommufd_busy);
		const z3::expr ok = ck.pass();
		sym_state n = s;
		for (unsigned x = 0; x < H; ++x)
			n.dompres[x] = LU_MODEL_MUTANT(unpreserve_iommufd_keeps_domains) ? s.dompres[x]
											  : z3::ite(ok, F, s.dompres[x]);
		n.ipres[0] = s.ipres[0] && !ok;
		eff.push_back({ck.ret(ret_val(0)), n, ck.rule(decision_val(c, lu::decision::unpreserve_iommufd_ok))});
	}

	// kexec()
	{
		sym_state n = s;
		n.kexeced[0] = T;
		eff.push_back({z3::ite(kex, ret_val(-ENODEV), ret_val(0)), n,
			       z3::ite(kex, decision_val(c, lu::decision::after_kexec), decision_val(c, lu::decision::kexec_ok))});
	}

	// dma(dev, pasid): an observation, before or after the update.
	{
		const z3::expr after = inr && read([&](unsigned l) { return restored(s, dev, l); });
		eff.push_back({z3::ite(z3::ite(kex, after, mem), ret_val(0), ret_val(-EFAULT)), s,
			       z3::ite(kex, decision_val(c, lu::decision::dma_after), decision_val(c, lu::decision::dma_before))});
	}

	// The new kernel as the selftests observe it (docs/semantics.md, "After
	// kexec"): the old kernel's session, records and groups, frozen at kexec.
	const z3::expr nk = !kex; // before kexec there is no incoming session
	// retrieve(token)
	{
		checks ck{c, {}};
		ck.add(nk, ENODEV, lu::decision::before_kexec);
		ck.add(s.ipres[0] && s.itoken[0] == t, EOPNOTSUPP, lu::decision::retrieve_iommufd);
		std::vector<z3::expr> cdev;
		for (unsigned d = 0; d < D; ++d)
			cdev.push_back(s.dpres[d] && s.dtoken[d] == t);
		ck.add(!any_of(c, cdev), ENOENT, lu::decision::retrieve_unknown);
		const z3::expr ok = ck.pass();
		sym_state n = s;
		for (unsigned d = 0; d < D; ++d)
			n.retr[d] = s.retr[d] || (ok && cdev[d]);
		eff.push_back({ck.ret(ret_val(0)), n, ck.rule(decision_val(c, lu::decision::retrieve_ok))});
	}
	// open_device(dev)
	{
		checks ck{c, {}};
		ck.add(nk, ENODEV, lu::decision::before_kexec);
		ck.add(by_group(*this, s.dpres, dev), EBUSY, lu::decision::open_preserved);
		eff.push_back({ck.ret(ret_val(0)), s, ck.rule(decision_val(c, lu::decision::open_ok))});
	}
	// bind_device(dev): the restored group's owner is the old domain's
	// token, so no device of the group can claim DMA ownership for a new
	// iommufd.
	{
		checks ck{c, {}};
		ck.add(nk, ENODEV, lu::decision::before_kexec);
		ck.add(by_group(*this, s.dpres, dev) && !by_group(*this, s.retr, dev), EBADF, lu::decision::bind_not_retrieved);
		std::vector<z3::expr> owned;
		for (unsigned d = 0; d < D; ++d)
			owned.push_back(cfg_.group[d] == g && s.dpres[d] && s.drec[d]);
		ck.add(any_of(c, owned), EPERM, lu::decision::bind_owned);
		eff.push_back({ck.ret(ret_val(0)), s, ck.rule(decision_val(c, lu::decision::bind_ok))});
	}
	// finish()
	{
		checks ck{c, {}};
		ck.add(nk, ENODEV, lu::decision::before_kexec);
		ck.add(s.ipres[0], EBUSY, lu::decision::finish_iommufd);
		std::vector<z3::expr> waiting;
		for (unsigned d = 0; d < D; ++d)
			waiting.push_back(s.dpres[d] && !s.retr[d]);
		ck.add(any_of(c, waiting), EBUSY, lu::decision::finish_not_retrieved);
		eff.push_back({ck.ret(ret_val(0)), s, ck.rule(decision_val(c, lu::decision::finish_ok))});
	}

	// Dispatch on the operation; an out-of-range op code behaves as the last.
	step_result out = eff.back();
	for (std::size_t i = eff.size() - 1; i-- > 0;) {
		const z3::expr is_op = a.op == c.bv_val(static_cast<unsigned>(i), OP_BITS);
		out.ret = z3::ite(is_op, eff[i].ret, out.ret);
		out.rule = z3::ite(is_op, eff[i].rule, out.rule);
		zip_fields(out.next, eff[i].next, [&](z3::expr &o, const z3::expr &e) { o = merge(is_op, e, o); });
	}
	return out;
}

z3::expr machine::wellformed_config() const
{
	z3::context &c = *c_;
	z3::expr r = c.bool_val(true);
	for (unsigned d = 0; d < dims_.devices; ++d) {
		r = r && z3::ult(cfg_.group[d], c.bv_val(dims_.devices, dims_.dev_bits()));
		r = r && z3::ule(cfg_.max_pasids[d], c.bv_val(lu::PASID_LIMIT, MAXP_BITS));
	}
	for (unsigned h = 0; h < dims_.hwpts; ++h) {
		const z3::expr &par = cfg_.parent[h];
		z3::expr parent_ok = par != none() && z3::ule(par, ref(dims_.hwpts - 1)) && par != ref(h) && !is_nested(par);
		r = r && z3::implies(cfg_.nested[h], parent_ok) && z3::implies(!cfg_.nested[h], par == none());
	}
	return r;
}

z3::expr machine::canonical_config() const
{
	// Group ids are labels: number them in order of first use.
	z3::context &c = *c_;
	z3::expr r = cfg_.group[0] == dev_val(0);
	// Hwpt indices are labels too: the nested ones come last.
	for (unsigned h = 0; h + 1 < dims_.hwpts; ++h)
		r = r && z3::implies(cfg_.nested[h], cfg_.nested[h + 1]);
	for (unsigned d = 1; d < dims_.devices; ++d) {
		z3::expr bound = c.bool_val(false);
		for (unsigned e = 0; e < d; ++e)
			bound = bound || z3::ule(cfg_.group[d], cfg_.group[e] + dev_val(1));
		r = r && bound;
	}
	return r;
}

z3::expr machine::canonical_trace(const std::vector<sym_step> &steps) const
{
	// Hwpts of one kind are labels (a permutation within the paging ones,
	// renaming nested parents alike, or within the nested ones, keeps
	// canonical_config()): sort each kind by the first step naming it. For
	// neighbours h, h + 1 of one kind, h + 1 named at step i implies h named
	// at some step <= i.
	z3::context &c = *c_;
	using lu::op;
	z3::expr r = c.bool_val(true);
	std::vector<z3::expr> names; // names[i]: step i takes a hwpt argument
	for (const auto &a : steps)
		names.push_back(a.op == op_val(op::mark_preserve) || a.op == op_val(op::attach) ||
				a.op == op_val(op::replace));
	for (unsigned h = 0; h + 1 < dims_.hwpts; ++h) {
		const z3::expr same_kind = cfg_.nested[h] == cfg_.nested[h + 1];
		z3::expr seen = c.bool_val(false); // h named at a step <= i
		for (std::size_t i = 0; i < steps.size(); ++i) {
			seen = seen || (names[i] && steps[i].hwpt == ref(h));
			r = r && z3::implies(same_kind && names[i] && steps[i].hwpt == ref(h + 1), seen);
		}
	}
	return r;
}

z3::expr machine::wellformed_step(const sym_step &a) const
{
	z3::context &c = *c_;
	return z3::ult(a.op, c.bv_val(static_cast<unsigned>(lu::all_ops.size()), OP_BITS)) &&
	       z3::ult(a.dev, c.bv_val(dims_.devices, dims_.dev_bits())) && a.hwpt != none() &&
	       z3::ule(a.hwpt, ref(dims_.hwpts - 1));
}

z3::expr machine::canonical_step(const sym_step &a) const
{
	z3::context &c = *c_;
	// The operations reading each argument (lu::operands_of(), one table).
	z3::expr uses_dev = c.bool_val(false), uses_pasid = uses_dev, uses_hwpt = uses_dev, uses_token = uses_dev,
		 uses_flags = uses_dev;
	for (lu::op o : lu::all_ops) {
		const lu::operands x = lu::operands_of(o);
		const z3::expr is = a.op == op_val(o);
		uses_dev = x.dev ? uses_dev || is : uses_dev;
		uses_pasid = x.pasid ? uses_pasid || is : uses_pasid;
		uses_hwpt = x.hwpt ? uses_hwpt || is : uses_hwpt;
		uses_token = x.token ? uses_token || is : uses_token;
		uses_flags = x.flags ? uses_flags || is : uses_flags;
	}
	// Flag bits other than IGNORE_PASID all act alike, so bit 1 stands for them.
	const z3::expr small = z3::ule(a.flags, c.bv_val(3, FLAG_BITS));
	return small && z3::implies(!uses_dev, a.dev == dev_val(0)) &&
	       z3::implies(!uses_pasid, a.pasid == c.bv_val(0, ARG_PASID_BITS)) &&
	       z3::implies(!uses_hwpt, a.hwpt == ref(0)) &&
	       z3::implies(!uses_token, a.token == c.bv_val(0, dims_.token_bits)) &&
	       z3::implies(!uses_flags, a.flags == c.bv_val(0, FLAG_BITS));
}

z3::expr machine::initial(const sym_state &s) const
{
	z3::context &c = *c_;
	const z3::expr T = c.bool_val(true);
	z3::expr r = !s.ipres[0] && s.itoken[0] == c.bv_val(0, dims_.token_bits) && !s.kexeced[0];
	for (const auto &k : s.cnt)
		r = r && k == c.bv_val(0, dims_.cnt_bits);
	for (unsigned h = 0; h < dims_.hwpts; ++h)
		r = r && !s.marked[h] && s.mtoken[h] == c.bv_val(0, dims_.token_bits) && !s.dompres[h];
	for (unsigned g = 0; g < dims_.devices; ++g)
		r = r && s.nr[g] == c.bv_val(0, dims_.cnt_bits);
	for (unsigned d = 0; d < dims_.devices; ++d)
		r = r && !s.dpres[d] && s.dtoken[d] == c.bv_val(0, dims_.token_bits) && s.dflags[d] == c.bv_val(0, FLAG_BITS) &&
		    !s.drec[d] && s.rec_rid[d] == none() && !s.rec_on[d] && !s.retr[d];
	for (const auto &x : s.att)
		r = r && x == none();
	for (const auto &x : s.in)
		r = r && !x;
	for (const auto &x : s.rec_att)
		r = r && x == none();
	for (const auto &x : s.rec_in)
		r = r && !x;
	(void)T;
	return r;
}

sym_config make_config(z3::context &c, const dims &d, const std::string &prefix)
{
	sym_config k;
	for (unsigned i = 0; i < d.devices; ++i) {
		const std::string n = prefix + "dev" + std::to_string(i) + "_";
		k.group.push_back(c.bv_const((n + "group").c_str(), d.dev_bits()));
		k.max_pasids.push_back(c.bv_const((n + "max_pasids").c_str(), MAXP_BITS));
		k.vf.push_back(c.bool_const((n + "vf").c_str()));
	}
	for (unsigned h = 0; h < d.hwpts; ++h) {
		const std::string n = prefix + "hwpt" + std::to_string(h) + "_";
		k.nested.push_back(c.bool_const((n + "nested").c_str()));
		k.parent.push_back(c.bv_const((n + "parent").c_str(), d.ref_bits()));
		k.compat.push_back(c.bool_const((n + "pasid_compat").c_str()));
		k.sealed.push_back(c.bool_const((n + "sealed").c_str()));
	}
	return k;
}

lu::config decode_config(const z3::model &mdl, const sym_config &sc, const dims &d)
{
	lu::config cfg;
	for (unsigned i = 0; i < d.devices; ++i)
		cfg.devices.push_back({static_cast<std::uint32_t>(num(mdl, sc.group[i])),
				       static_cast<std::uint32_t>(num(mdl, sc.max_pasids[i])), num(mdl, sc.vf[i]) != 0});
	for (unsigned h = 0; h < d.hwpts; ++h) {
		lu::hwpt_config hc;
		const bool nested = num(mdl, sc.nested[h]) != 0;
		const std::uint64_t parent = num(mdl, sc.parent[h]);
		hc.kind = nested ? lu::hwpt_kind::nested : lu::hwpt_kind::paging;
		hc.parent = nested && parent > 0 ? static_cast<std::uint32_t>(parent - 1) : 0;
		hc.pasid_compat = num(mdl, sc.compat[h]) != 0;
		hc.sealed = num(mdl, sc.sealed[h]) != 0;
		cfg.hwpts.push_back(hc);
	}
	return cfg;
}

sym_state make_state(z3::context &c, const dims &d, unsigned slots, const std::string &prefix)
{
	sym_state s;
	const z3::sort ref = c.bv_sort(d.ref_bits());
	auto name = [&](const std::string &what, unsigned i) { return prefix + what + std::to_string(i); };
	auto slot = [&](const std::string &what, unsigned i, unsigned j) { return name(what, i) + "_j" + std::to_string(j); };
	for (unsigned g = 0; g < d.devices; ++g) {
		for (unsigned j = 0; j < slots; ++j)
			s.att.push_back(c.constant(slot("att_g", g, j).c_str(), ref));
		s.nr.push_back(c.bv_const(name("nr_g", g).c_str(), d.cnt_bits));
	}
	for (unsigned i = 0; i < d.devices; ++i) {
		for (unsigned j = 0; j < slots; ++j) {
			s.in.push_back(c.bool_const(slot("in_d", i, j).c_str()));
			s.rec_att.push_back(c.constant(slot("rec_att_d", i, j).c_str(), ref));
			s.rec_in.push_back(c.bool_const(slot("rec_in_d", i, j).c_str()));
		}
		for (unsigned h = 0; h < d.hwpts; ++h)
			s.cnt.push_back(c.bv_const((name("cnt_d", i) + "_h" + std::to_string(h)).c_str(), d.cnt_bits));
		s.dpres.push_back(c.bool_const(name("dpres_d", i).c_str()));
		s.dtoken.push_back(c.bv_const(name("dtoken_d", i).c_str(), d.token_bits));
		s.dflags.push_back(c.bv_const(name("dflags_d", i).c_str(), FLAG_BITS));
		s.drec.push_back(c.bool_const(name("drec_d", i).c_str()));
		s.rec_rid.push_back(c.constant(name("rec_rid_d", i).c_str(), ref));
		s.rec_on.push_back(c.bool_const(name("rec_on_d", i).c_str()));
		s.retr.push_back(c.bool_const(name("retr_d", i).c_str()));
	}
	for (unsigned h = 0; h < d.hwpts; ++h) {
		s.marked.push_back(c.bool_const(name("marked_h", h).c_str()));
		s.mtoken.push_back(c.bv_const(name("mtoken_h", h).c_str(), d.token_bits));
		s.dompres.push_back(c.bool_const(name("dompres_h", h).c_str()));
	}
	s.ipres.push_back(c.bool_const((prefix + "ipres").c_str()));
	s.itoken.push_back(c.bv_const((prefix + "itoken").c_str(), d.token_bits));
	s.kexeced.push_back(c.bool_const((prefix + "kexeced").c_str()));
	return s;
}

sym_step make_step(z3::context &c, const dims &d, const std::string &prefix)
{
	return sym_step{
		c.bv_const((prefix + "op").c_str(), OP_BITS),
		c.bv_const((prefix + "dev").c_str(), d.dev_bits()),
		c.bv_const((prefix + "pasid").c_str(), ARG_PASID_BITS),
		c.bv_const((prefix + "hwpt").c_str(), d.ref_bits()),
		c.bv_const((prefix + "token").c_str(), d.token_bits),
		c.bv_const((prefix + "flags").c_str(), FLAG_BITS),
	};
}

std::vector<sym_step> make_steps(z3::context &c, const dims &d, unsigned depth, const std::string &prefix)
{
	std::vector<sym_step> v;
	for (unsigned k = 0; k < depth; ++k)
		v.push_back(make_step(c, d, prefix + "a" + std::to_string(k) + "_"));
	return v;
}

z3::expr state_eq(const sym_state &a, const sym_state &b)
{
	z3::expr r = a.kexeced[0].ctx().bool_val(true);
	zip_fields(a, b, [&](const z3::expr &x, const z3::expr &y) { r = r && x == y; });
	return r;
}

unrolling unroll(const machine &m, const std::vector<sym_step> &steps, const std::string &prefix, bool from_initial)
{
	z3::context &c = m.ctx();
	unrolling u{m, {}, steps, {}, {}, {}};
	u.states.push_back(make_state(c, m.size(), m.slots(), prefix + "s0_"));
	if (from_initial) {
		u.facts.push_back(m.initial(u.states[0]));
	} else {
		// Slots with the same index are one table entry.
		const sym_state &s0 = u.states[0];
		const unsigned K = m.slots();
		for (unsigned l = 0; l < K; ++l)
			for (unsigned l2 = l + 1; l2 < K; ++l2) {
				z3::expr same = c.bool_val(true);
				for (unsigned i = 0; i < m.size().devices; ++i)
					same = same && s0.att[i * K + l] == s0.att[i * K + l2] && s0.in[i * K + l] == s0.in[i * K + l2] &&
					       s0.rec_att[i * K + l] == s0.rec_att[i * K + l2] &&
					       s0.rec_in[i * K + l] == s0.rec_in[i * K + l2];
				u.facts.push_back(z3::implies(m.idx()[l] == m.idx()[l2], same));
			}
	}
	for (std::size_t k = 0; k < steps.size(); ++k) {
		const std::string sk = prefix + "s" + std::to_string(k + 1) + "_";
		u.facts.push_back(m.wellformed_step(steps[k]));
		auto r = m.transition(u.states[k], steps[k]);
		sym_state next = make_state(c, m.size(), m.slots(), sk);
		zip_fields(next, r.next, [&](const z3::expr &x, const z3::expr &e) { u.facts.push_back(x == e); });
		z3::expr ret = c.bv_const((prefix + "ret" + std::to_string(k)).c_str(), RET_BITS);
		u.facts.push_back(ret == r.ret);
		u.rets.push_back(ret);
		u.rules.push_back(r.rule);
		u.states.push_back(std::move(next));
	}
	return u;
}

unrolling unroll_twin(const machine &m, const unrolling &base, const std::string &prefix)
{
	z3::context &c = m.ctx();
	unrolling u{m, {base.states[0]}, base.steps, {}, {}, {}};
	for (std::size_t k = 0; k < base.steps.size(); ++k) {
		const std::string sk = prefix + "s" + std::to_string(k + 1) + "_";
		auto r = m.transition(u.states[k], base.steps[k]);
		sym_state next = base.states[k + 1];
		const sym_state own = make_state(c, m.size(), m.slots(), sk);
		zip_records(next, own, [](z3::expr &x, const z3::expr &o) { x = o; });
		zip_records(next, r.next, [&](const z3::expr &x, const z3::expr &e) { u.facts.push_back(x == e); });
		z3::expr ret = c.bv_const((prefix + "ret" + std::to_string(k)).c_str(), RET_BITS);
		u.facts.push_back(ret == r.ret);
		u.rets.push_back(ret);
		u.rules.push_back(r.rule);
		u.states.push_back(std::move(next));
	}
	return u;
}

} // namespace lu::model::internal
