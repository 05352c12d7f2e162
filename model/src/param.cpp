// SPDX-License-Identifier: GPL-2.0
// Proofs for any number of devices, groups and hwpts (param.h; docs/model.md,
// "Any number of devices, groups and hwpts"). The relation below is
// machine::transition() (encoding.cpp) with its per-object vectors turned
// into functions over uninterpreted sorts and its loops over objects into
// quantifiers; the checks, their order, errnos and the version's rules are
// the same, and bridge_obligations() check that the two agree.
#include "param.h"

#include "checks.h"
#include "lu/core/rules.h"

#include <cerrno>
#include <functional>
#include <string>
#include <utility>

namespace lu::model::internal {

namespace {

using args = std::vector<z3::expr>;

// "<base><i><tail>" (a helper: GCC 12 misfires -Wrestrict on "x" + std::string&&).
std::string name(std::string base, unsigned i, const std::string &tail = "")
{
	base += std::to_string(i);
	base += tail;
	return base;
}
using term = std::function<z3::expr(const args &)>;

z3::expr call(const z3::func_decl &f, const args &a)
{
	z3::expr_vector v(f.ctx());
	for (const auto &x : a)
		v.push_back(x);
	return f(v);
}

z3::expr quantify(bool all, const args &vars, const z3::expr &body)
{
	if (vars.empty())
		return body;
	z3::expr_vector v(body.ctx());
	for (const auto &x : vars)
		v.push_back(x);
	return all ? z3::forall(v, body) : z3::exists(v, body);
}

// Widths: tokens as the kernel's u64; cnt counts PASIDs (< 2^20, so 21 bits
// never wrap); nr counts the devices of a group with a record, so 21 bits
// cover any group of fewer than 2^21 devices.
struct widths {
	unsigned token = TOKEN_BITS, cnt = lu::PASID_BITS + 1, nr = lu::PASID_BITS + 1;
};

// Per-slot fields (att: Grp -> Ref, in: Dev -> Bool, and the records'
// copies), then the rest; a state is one function symbol per field.
enum slot_field : unsigned { ATT, IN, RATT, RIN, NSLOTF };
enum other_field : unsigned {
	CNT,     // Dev x Ref -> BV(cnt): #{p > 0 : d in devs, att == r}
	MARKED,  // Ref -> Bool
	MTOKEN,  // Ref -> BV(token)
	DOMPRES, // Ref -> Bool
	NR,      // Grp -> BV(nr): nr_liveupdate_preserved
	IPRES,   // Bool
	ITOKEN,  // BV(token)
	KEXECED, // Bool
	DPRES,   // Dev -> Bool
	DTOKEN,  // Dev -> BV(token)
	DFLAGS,  // Dev -> BV32
	DREC,    // Dev -> Bool
	REC_RID, // Dev -> Ref
	REC_ON,  // Dev -> Bool
	RETR,    // Dev -> Bool: the new kernel retrieved its cdev
	NOTHERF
};

using state = std::vector<z3::func_decl>;

struct step {
	z3::expr op;    // BV4
	z3::expr dev;   // Dev
	z3::expr pasid; // BV32
	z3::expr hwpt;  // Ref, not none
	z3::expr token; // BV(token)
	z3::expr flags; // BV32
};

class pmachine {
public:
	// The objects: uninterpreted sorts by default (any number of each).
	struct objects_t {
		z3::sort dev, grp, ref;
		z3::expr none;
	};
	static objects_t any_number(z3::context &ctx)
	{
		const z3::sort ref = ctx.uninterpreted_sort("Ref");
		return {ctx.uninterpreted_sort("Dev"), ctx.uninterpreted_sort("Grp"), ref, ctx.constant("none", ref)};
	}

	pmachine(z3::context &ctx, const lu::variant &v, widths wid, std::vector<z3::expr> slots, param_fault f,
		 const objects_t &o, const std::string &cfg_prefix = "")
		: c(ctx), var(v), w(wid), idx(std::move(slots)), fault(f), K(static_cast<unsigned>(idx.size())),
		  dev(o.dev), grp(o.grp), ref(o.ref), none(o.none),
		  group(c.function((cfg_prefix + "group").c_str(), dev, grp)),
		  maxp(c.function((cfg_prefix + "max_pasids").c_str(), dev, c.bv_sort(MAXP_BITS))),
		  vf(c.function((cfg_prefix + "vf").c_str(), dev, c.bool_sort())),
		  nested(c.function((cfg_prefix + "nested").c_str(), ref, c.bool_sort())),
		  parent(c.function((cfg_prefix + "parent").c_str(), ref, ref)),
		  compat(c.function((cfg_prefix + "pasid_compat").c_str(), ref, c.bool_sort())),
		  sealed(c.function((cfg_prefix + "sealed").c_str(), ref, c.bool_sort()))
	{
	}

	z3::context &c;
	lu::variant var;
	widths w;
	std::vector<z3::expr> idx; // the slots' table indices; idx[0] is the RID (0)
	param_fault fault;
	unsigned K;
	z3::sort dev, grp, ref;
	z3::expr none; // "no hwpt"; every other element of Ref is an hwpt
	z3::func_decl group, maxp, vf, nested, parent, compat, sealed;

	unsigned sf(slot_field k, unsigned j) const { return NSLOTF * j + k; }
	unsigned of(other_field k) const { return NSLOTF * K + k; }
	unsigned nfields() const { return NSLOTF * K + NOTHERF; }

	// The domain and range of field @i.
	std::pair<std::vector<z3::sort>, z3::sort> sig(unsigned i) const
	{
		const z3::sort B = c.bool_sort(), T = c.bv_sort(w.token);
		if (i < NSLOTF * K) {
			switch (i % NSLOTF) {
			case ATT: return {{grp}, ref};
			case IN: return {{dev}, B};
			case RATT: return {{dev}, ref};
			default: return {{dev}, B};
			}
		}
		switch (i - NSLOTF * K) {
		case CNT: return {{dev, ref}, c.bv_sort(w.cnt)};
		case MARKED: return {{ref}, B};
		case MTOKEN: return {{ref}, T};
		case DOMPRES: return {{ref}, B};
		case NR: return {{grp}, c.bv_sort(w.nr)};
		case IPRES: return {{}, B};
		case ITOKEN: return {{}, T};
		case KEXECED: return {{}, B};
		case DPRES: return {{dev}, B};
		case DTOKEN: return {{dev}, T};
		case DFLAGS: return {{dev}, c.bv_sort(FLAG_BITS)};
		case DREC: return {{dev}, B};
		case REC_RID: return {{dev}, ref};
		default: return {{dev}, B};
		}
	}

	state make_state(const std::string &prefix) const
	{
		static const char *const slot_names[] = {"att", "in", "rec_att", "rec_in"};
		static const char *const other_names[] = {"cnt",     "marked", "mtoken", "dompres", "nr",
							  "ipres",   "itoken", "kexeced", "dpres",  "dtoken",
							  "dflags",  "drec",   "rec_rid", "rec_on",  "retr"};
		state s;
		for (unsigned i = 0; i < nfields(); ++i) {
			const std::string n = i < NSLOTF * K ? name(std::string(slot_names[i % NSLOTF]) + "_j", i / NSLOTF)
							      : other_names[i - NSLOTF * K];
			auto [dom, rng] = sig(i);
			z3::sort_vector d(c);
			for (const auto &x : dom)
				d.push_back(x);
			s.push_back(c.function((prefix + n).c_str(), d, rng));
		}
		return s;
	}

	// Fresh bound variables for field @i's domain.
	args vars(unsigned i, const std::string &tag = "") const
	{
		args v;
		unsigned n = 0;
		for (const auto &so : sig(i).first)
			v.push_back(c.constant(name("x", n++, tag).c_str(), so));
		return v;
	}

	// Accessors, as encoding.h's machine has them.
	z3::expr att(const state &s, unsigned j, const z3::expr &g) const { return s[sf(ATT, j)](g); }
	z3::expr in(const state &s, unsigned j, const z3::expr &d) const { return s[sf(IN, j)](d); }
	z3::expr ratt(const state &s, unsigned j, const z3::expr &d) const { return s[sf(RATT, j)](d); }
	z3::expr rin(const state &s, unsigned j, const z3::expr &d) const { return s[sf(RIN, j)](d); }
	z3::expr cnt(const state &s, const z3::expr &d, const z3::expr &r) const { return s[of(CNT)](d, r); }
	z3::expr get(const state &s, other_field f) const { return s[of(f)](); }
	z3::expr get(const state &s, other_field f, const z3::expr &x) const { return s[of(f)](x); }
	z3::expr is_nested(const z3::expr &r) const { return r != none && nested(r); }
	z3::expr is_compat(const z3::expr &r) const { return r != none && compat(r); }
	z3::expr is_marked(const state &s, const z3::expr &r) const { return r != none && get(s, MARKED, r); }
	z3::expr is_dompres(const state &s, const z3::expr &r) const { return r != none && get(s, DOMPRES, r); }
	z3::expr paging(const z3::expr &r) const { return z3::ite(is_nested(r), parent(r), r); }

	z3::expr record(const state &s, const z3::expr &d, unsigned j) const
	{
		return z3::ite(idx[j] == c.bv_val(0, IDX_BITS), get(s, REC_RID, d),
			       z3::ite(get(s, REC_ON, d) && s[sf(RIN, j)](d), s[sf(RATT, j)](d), none));
	}
	z3::expr restored(const state &s, const z3::expr &d, unsigned j) const
	{
		return get(s, DPRES, d) && get(s, DREC, d) && record(s, d, j) != none;
	}
	z3::expr attached(const state &s, const z3::expr &d, unsigned j) const
	{
		return z3::ite(in(s, j, d), att(s, j, group(d)), none);
	}
	z3::expr lost(const state &s, const z3::expr &d, unsigned j) const
	{
		const z3::expr h = attached(s, d, j);
		return h != none && !(restored(s, d, j) && paging(record(s, d, j)) == paging(h));
	}
	// What iommufd_device_unpreserve() must find for a record of @d.
	z3::expr found(const state &s, const z3::expr &d) const
	{
		const z3::expr rid = att(s, 0, group(d)), pg = paging(rid);
		const bool by_mark = lu::rules(var.version).preserve_tests_mark;
		return rid != none && (by_mark ? is_marked(s, pg) : is_dompres(s, pg));
	}

	z3::expr wellformed_config() const
	{
		const z3::expr r = c.constant("qr", ref), d = c.constant("qd", dev);
		const z3::expr p = parent(r);
		return !nested(none) && !compat(none) && !sealed(none) && parent(none) == none &&
		       z3::forall(r, z3::implies(nested(r), p != none && p != r && !nested(p)) &&
					     z3::implies(!nested(r), p == none)) &&
		       z3::forall(d, z3::ule(maxp(d), c.bv_val(lu::PASID_LIMIT, MAXP_BITS)));
	}

	z3::expr wellformed_step(const step &a) const
	{
		return z3::ult(a.op, c.bv_val(static_cast<unsigned>(lu::all_ops.size()), OP_BITS)) && a.hwpt != none;
	}

	// The arguments name objects: a Ref argument is an hwpt, not none
	// (at none a field is no state of the machine's).
	z3::expr objects(const args &x) const
	{
		z3::expr r = c.bool_val(true);
		for (const auto &e : x)
			if (z3::eq(e.get_sort(), ref))
				r = r && e != none;
		return r;
	}

	// Field @i at every object: f(x) = value(x).
	z3::expr all_of(const state &s, unsigned i, const std::function<z3::expr(const args &)> &value) const
	{
		const args v = vars(i);
		return quantify(true, v, z3::implies(objects(v), call(s[i], v) == value(v)));
	}

	// Every field at every object.
	z3::expr all(const state &s, const std::function<z3::expr(unsigned, const args &)> &value) const
	{
		z3::expr r = c.bool_val(true);
		for (unsigned i = 0; i < nfields(); ++i)
			r = r && all_of(s, i, [&](const args &v) { return value(i, v); });
		return r;
	}

	z3::expr initial(const state &s) const
	{
		return all(s, [&](unsigned i, const args &) {
			const z3::sort rng = sig(i).second;
			if (rng.is_bool())
				return c.bool_val(false);
			if (rng.is_bv())
				return c.bv_val(0, rng.bv_size());
			return none;
		});
	}

	// Slots with the same index are one table entry.
	z3::expr slots_consistent(const state &s) const
	{
		z3::expr r = c.bool_val(true);
		for (unsigned l = 0; l < K; ++l)
			for (unsigned l2 = l + 1; l2 < K; ++l2)
				for (unsigned k = 0; k < NSLOTF; ++k) {
					const args v = vars(sf(static_cast<slot_field>(k), l));
					r = r && z3::implies(idx[l] == idx[l2],
							     quantify(true, v, call(s[sf(static_cast<slot_field>(k), l)], v) ==
										       call(s[sf(static_cast<slot_field>(k), l2)], v)));
				}
		return r;
	}

	z3::expr equal(const state &a, const state &b) const
	{
		return all(a, [&](unsigned i, const args &v) { return call(b[i], v); });
	}

	struct result {
		z3::expr ret;
		state next;
	};
	// One step from @s: the next state's functions and the guards that
	// quantify over objects (Booleans "<prefix>...") are defined in @facts.
	result transition(const state &s, const step &a, const std::string &prefix, std::vector<z3::expr> &facts) const;
};

pmachine::result pmachine::transition(const state &s, const step &a, const std::string &prefix,
				      std::vector<z3::expr> &facts) const
{
	const lu::variant v = var;
	const lu::code_rules &rule = lu::rules(v.version); // lu/core/rules.h, as encoding.cpp
	const z3::expr T = c.bool_val(true), F = c.bool_val(false);
	const z3::expr zero_cnt = c.bv_val(0, w.cnt), zero_nr = c.bv_val(0, w.nr);
	const z3::expr kex = get(s, KEXECED);
	const z3::expr &d0 = a.dev, &p = a.pasid, &h = a.hwpt, &t = a.token, &f = a.flags;
	const z3::expr g = group(d0);
	const unsigned R = 0;
	const z3::expr inr = z3::ult(p, c.bv_val(lu::PASID_LIMIT, ARG_PASID_BITS));
	const z3::expr pi = p.extract(IDX_BITS - 1, 0);
	const z3::expr qd = c.constant("qd", dev), qr = c.constant("qr", ref);
	auto guard = [&](const std::string &name, const z3::expr &def) {
		const z3::expr b = c.bool_const((prefix + name).c_str());
		facts.push_back(b == def);
		return b;
	};
	// The first slot whose index is pi (machine::transition's read).
	auto read = [&](const std::function<z3::expr(unsigned)> &val) {
		for (unsigned l = 0; l < K; ++l)
			if (z3::eq(idx[l], pi))
				return val(l);
		z3::expr r = val(K - 1);
		for (unsigned l = K - 1; l-- > 0;)
			r = z3::ite(idx[l] == pi, val(l), r);
		return r;
	};
	auto same_index = [&](unsigned l) { return z3::eq(idx[l], pi) ? T : idx[l] == pi; };
	const z3::expr at = z3::ite(inr, read([&](unsigned l) { return att(s, l, g); }), none);
	const z3::expr mem = inr && read([&](unsigned l) { return in(s, l, d0); });
	const z3::expr is_rid = p == c.bv_val(0, ARG_PASID_BITS);
	const z3::expr rid_ref = att(s, R, g), rid_mem = in(s, R, d0);
	z3::expr frozen = v.freeze == lu::freeze::busy && fault != param_fault::freeze_ignored ? get(s, NR, g) != zero_nr : F;
	if (fault == param_fault::freeze_by_mark)
		frozen = is_marked(s, paging(att(s, R, g)));
	// Group-wide: some device of the group is attached at some p > 0.
	const z3::expr hp = guard("has_pasids", z3::exists(qd, qr, group(qd) == g && qr != none && cnt(s, qd, qr) != zero_cnt));
	const z3::expr ign = (f & c.bv_val(lu::IOMMU_LU_FLAG_IGNORE_PASID, FLAG_BITS)) != c.bv_val(0, FLAG_BITS);
	const z3::expr token_used =
		(get(s, IPRES) && get(s, ITOKEN) == t) ||
		guard("token_used", z3::exists(qd, get(s, DPRES, qd) && get(s, DTOKEN, qd) == t));

	// Per operation, the fields it writes: field -> value at the field's arguments.
	struct effect {
		z3::expr ret;
		std::vector<std::pair<unsigned, term>> writes;
	};
	std::vector<effect> eff; // indexed by lu::op
	// att of group g at every slot of index pi, when @cond.
	auto write_att = [&](effect &e, const z3::expr &cond, const z3::expr &val) {
		for (unsigned l = 0; l < K; ++l)
			e.writes.push_back({sf(ATT, l), [=, this, &s](const args &x) {
						    return z3::ite(cond && x[0] == g && same_index(l), val, att(s, l, x[0]));
					    }});
	};
	auto write_in = [&](effect &e, const z3::expr &cond, const z3::expr &val) {
		for (unsigned l = 0; l < K; ++l)
			e.writes.push_back({sf(IN, l), [=, this, &s](const args &x) {
						    return z3::ite(cond && x[0] == d0 && same_index(l), val, in(s, l, x[0]));
					    }});
	};

	// mark_preserve(hwpt h, token t)
	{
		checks ck{c, {}};
		ck.add(kex, ENODEV, lu::decision::after_kexec);
		ck.add(is_nested(h), ENOENT, lu::decision::mark_nested);
		const z3::expr clash = guard("mark_clash", z3::exists(qr, (rule.mark_skips_target ? qr != h : T) &&
									    is_marked(s, qr) && get(s, MTOKEN, qr) == t));
		ck.add(clash, EADDRINUSE, lu::decision::mark_token_in_use);
		const z3::expr ok = fault == param_fault::failure_writes ? !kex && !is_nested(h) : ck.pass();
		effect e{ck.ret(c.bv_val(0, RET_BITS)), {}};
		e.writes.push_back({of(MARKED), [=, this, &s](const args &x) { return z3::ite(ok && x[0] == h, T, get(s, MARKED, x[0])); }});
		e.writes.push_back({of(MTOKEN), [=, this, &s](const args &x) { return z3::ite(ok && x[0] == h, t, get(s, MTOKEN, x[0])); }});
		eff.push_back(std::move(e));
	}

	// attach(dev, pasid, hwpt)
	{
		checks ck{c, {}};
		ck.add(kex, ENODEV, lu::decision::after_kexec);
		ck.add(frozen, EBUSY, lu::decision::attach_frozen);
		ck.add(mem, EBUSY, lu::decision::attach_already);
		ck.add(at != none && at != h, EINVAL, lu::decision::attach_other_hwpt);
		const z3::expr first = at == none;
		ck.add(first && is_rid && !is_compat(h) && hp, EINVAL, lu::decision::attach_rid_not_compat);
		ck.add(first && !is_rid && !is_compat(h), EINVAL, lu::decision::attach_pasid_not_compat);
		ck.add(first && !is_rid && rid_ref != none && !is_compat(rid_ref), EINVAL, lu::decision::attach_rid_hwpt_not_compat);
		// iommu_attach_device_pasid() since b3f6fcd8 (v6.15), as encoding.cpp.
		const z3::expr too_big =
			!inr || guard("pasid_too_big", z3::exists(qd, group(qd) == g && maxp(qd) != c.bv_val(0, MAXP_BITS) &&
								       z3::uge(p, z3::zext(maxp(qd), ARG_PASID_BITS - MAXP_BITS))));
		ck.add(first && !is_rid && too_big, EINVAL, lu::decision::attach_pasid_range);
		const z3::expr ok = ck.pass();
		effect e{ck.ret(c.bv_val(0, RET_BITS)), {}};
		write_att(e, ok, h);
		write_in(e, ok, T);
		e.writes.push_back({of(CNT), [=, this, &s](const args &x) {
					    const z3::expr k = cnt(s, x[0], x[1]);
					    return z3::ite(ok && !is_rid && x[0] == d0 && x[1] == h, inc(k), k);
				    }});
		eff.push_back(std::move(e));
	}

	// replace(dev, pasid, hwpt)
	{
		checks ck{c, {}};
		ck.add(kex, ENODEV, lu::decision::after_kexec);
		ck.add(frozen, EBUSY, lu::decision::replace_frozen);
		ck.add(!mem, EINVAL, lu::decision::replace_not_attached);
		const z3::expr same = at == h;
		ck.add(!same && is_rid && !is_compat(h) && hp, EINVAL, lu::decision::replace_rid_not_compat);
		ck.add(!same && !is_rid && !is_compat(h), EINVAL, lu::decision::replace_pasid_not_compat);
		const z3::expr change = ck.pass() && !same;
		effect e{ck.ret(c.bv_val(0, RET_BITS)), {}};
		write_att(e, change, h);
		// Every device of the group at pi moves from the old hwpt to h.
		e.writes.push_back({of(CNT), [=, this, &s](const args &x) {
					    const z3::expr moving = change && !is_rid && group(x[0]) == g &&
								    read([&](unsigned l) { return in(s, l, x[0]); });
					    z3::expr k = cnt(s, x[0], x[1]);
					    k = z3::ite(moving && x[1] == h, inc(k), k);
					    return z3::ite(moving && at != none && x[1] == at, dec(k), k);
				    }});
		eff.push_back(std::move(e));
	}

	// detach(dev, pasid)
	{
		checks ck{c, {}};
		ck.add(kex, ENODEV, lu::decision::after_kexec);
		ck.add(frozen, EBUSY, lu::decision::detach_frozen);
		const z3::expr change = ck.pass() && mem;
		const z3::expr others =
			guard("detach_others", z3::exists(qd, qd != d0 && group(qd) == g && read([&](unsigned l) { return in(s, l, qd); })));
		effect e{ck.ret(c.bv_val(0, RET_BITS)), {}};
		write_in(e, change, F);
		write_att(e, change && !others, none);
		e.writes.push_back({of(CNT), [=, this, &s](const args &x) {
					    const z3::expr k = cnt(s, x[0], x[1]);
					    return z3::ite(change && !is_rid && x[0] == d0 && at != none && x[1] == at, dec(k), k);
				    }});
		eff.push_back(std::move(e));
	}

	// preserve_iommufd(token)
	{
		checks ck{c, {}};
		ck.add(kex, ENODEV, lu::decision::after_kexec);
		ck.add(token_used, EEXIST, lu::decision::iommufd_token_in_use);
		ck.add(get(s, IPRES), EBUSY, lu::decision::iommufd_preserved);
		ck.add(guard("unsealed", z3::exists(qr, is_marked(s, qr) && !sealed(qr))), EINVAL, lu::decision::iommufd_unsealed);
		const z3::expr ok = ck.pass();
		effect e{ck.ret(c.bv_val(0, RET_BITS)), {}};
		e.writes.push_back({of(DOMPRES), [=, this, &s](const args &x) { return z3::ite(ok, get(s, MARKED, x[0]), get(s, DOMPRES, x[0])); }});
		e.writes.push_back({of(IPRES), [=, this, &s](const args &) { return get(s, IPRES) || ok; }});
		e.writes.push_back({of(ITOKEN), [=, this, &s](const args &) { return z3::ite(ok, t, get(s, ITOKEN)); }});
		eff.push_back(std::move(e));
	}

	// preserve_device(dev, token, flags)
	{
		const lu::policy pol = v.policy;
		const bool full = pol == lu::policy::full;
		checks ck{c, {}};
		ck.add(kex, ENODEV, lu::decision::after_kexec);
		ck.add(token_used, EEXIST, lu::decision::device_token_in_use);
		ck.add(get(s, DPRES, d0), EBUSY, lu::decision::device_preserved);
		const std::uint32_t unknown = ~lu::known_preserve_flags(pol);
		if (fault != param_fault::unknown_flags_accepted)
			ck.add((f & c.bv_val(unknown, FLAG_BITS)) != c.bv_val(0, FLAG_BITS), EINVAL, lu::decision::device_unknown_flags);
		const z3::expr skip = v.vfio_gate == lu::vfio_gate::rid_only ? !rid_mem : F;
		const z3::expr before_skip = ck.pass();
		const z3::expr had = get(s, DREC, d0);
		checks io{c, {}};
		if (rule.device_flag)
			io.add(had, EBUSY, lu::decision::device_has_record);
		if (fault != param_fault::pasid_check_dropped) {
			if (pol == lu::policy::reject)
				io.add(hp, EOPNOTSUPP, lu::decision::device_has_pasids);
			if (pol == lu::policy::ack_flag)
				io.add(hp && !ign, EOPNOTSUPP, lu::decision::device_has_pasids);
		}
		io.add(rid_ref == none, ENOENT, lu::decision::device_no_rid);
		if (rule.device_on_rid)
			io.add(!rid_mem, ENOENT, lu::decision::device_not_on_rid);
		const z3::expr rid_pg = paging(rid_ref);
		if (rule.preserve_tests_mark) {
			io.add(!is_marked(s, rid_pg), EINVAL, lu::decision::device_rid_not_marked);
			io.add(!get(s, IPRES), ENOENT, lu::decision::device_no_iommufd_v1);
			io.add(!is_dompres(s, rid_pg), EINVAL, lu::decision::device_domain_not_preserved_v1);
		} else {
			io.add(!is_dompres(s, rid_pg), EINVAL, lu::decision::device_domain_not_preserved);
			io.add(!get(s, IPRES), ENOENT, lu::decision::device_no_iommufd);
		}
		if (full && fault != param_fault::pasid_check_dropped) {
			const z3::expr bad = guard("pasid_domain_unpreserved",
						   z3::exists(qr, qr != none && cnt(s, d0, qr) != zero_cnt &&
								      !(is_marked(s, paging(qr)) && is_dompres(s, paging(qr)))));
			io.add(!ign && bad, EINVAL, lu::decision::device_pasid_domain);
		}
		// Then pci_liveupdate_preserve() and its unguarded unwind (encoding.cpp).
		const z3::expr is_vf = rule.pci_unwind ? vf(d0) : F;
		const z3::expr passed = before_skip && (skip || io.pass());
		const z3::expr ret_pci = z3::ite(is_vf, c.bv_val(-EINVAL, RET_BITS), c.bv_val(0, RET_BITS));
		const z3::expr ok_rec = passed && !skip && !is_vf;
		const z3::expr ok = passed && !is_vf;
		const z3::expr unwind = passed && is_vf && found(s, d0) && (rule.unpreserve_any_device ? T : !skip || had);
		effect e{ck.ret(z3::ite(skip, ret_pci, io.ret(ret_pci))), {}};
		auto at_me = [&](other_field fld, z3::expr cond, z3::expr val) {
			e.writes.push_back({of(fld), [=, this, &s](const args &x) { return z3::ite(cond && x[0] == d0, val, get(s, fld, x[0])); }});
		};
		at_me(DPRES, ok, T);
		at_me(DTOKEN, ok, t);
		at_me(DFLAGS, ok, f);
		// a skip leaves a record as it was; an unwind removes it
		e.writes.push_back({of(DREC), [=, this, &s](const args &x) {
					    return z3::ite(ok_rec && x[0] == d0, T, z3::ite(unwind && x[0] == d0, F, get(s, DREC, x[0])));
				    }});
		at_me(REC_RID, ok_rec, full ? rid_ref : rid_pg);
		at_me(REC_ON, ok_rec, full ? !ign : F);
		for (unsigned l = 0; l < K; ++l) {
			const z3::expr rec_att = fault == param_fault::record_stale ? att(s, R, g) : att(s, l, g);
			e.writes.push_back({sf(RATT, l), [=, this, &s](const args &x) {
						    return z3::ite(ok_rec && x[0] == d0, rec_att, s[sf(RATT, l)](x[0]));
					    }});
			e.writes.push_back({sf(RIN, l), [=, this, &s](const args &x) {
						    return z3::ite(ok_rec && x[0] == d0, in(s, l, x[0]), s[sf(RIN, l)](x[0]));
					    }});
		}
		// The unwind of a record just made leaves the counter as it was.
		e.writes.push_back({of(NR), [=, this, &s](const args &x) {
					    const z3::expr n = get(s, NR, x[0]);
					    return z3::ite(x[0] == g, z3::ite(ok_rec, inc(n), z3::ite(unwind && skip, dec(n), n)), n);
				    }});
		eff.push_back(std::move(e));
	}

	// unpreserve_device(dev)
	{
		checks ck{c, {}};
		ck.add(kex, ENODEV, lu::decision::after_kexec);
		ck.add(!get(s, DPRES, d0), ENOENT, lu::decision::unpreserve_not_preserved);
		const z3::expr ok = ck.pass();
		const z3::expr had = get(s, DREC, d0);
		const z3::expr calls = v.vfio_gate == lu::vfio_gate::rid_only ? rid_mem : T;
		const z3::expr undo = ok && calls && found(s, d0) && (rule.unpreserve_any_device ? T : had);
		const z3::expr lower = fault == param_fault::counter_kept ? F : undo;
		effect e{ck.ret(c.bv_val(0, RET_BITS)), {}};
		// Only the undo removes the record (encoding.cpp says why).
		e.writes.push_back({of(DPRES), [=, this, &s](const args &x) { return z3::ite(ok && x[0] == d0, F, get(s, DPRES, x[0])); }});
		e.writes.push_back({of(DREC), [=, this, &s](const args &x) { return z3::ite(undo && x[0] == d0, F, get(s, DREC, x[0])); }});
		e.writes.push_back({of(NR), [=, this, &s](const args &x) { return z3::ite(lower && x[0] == g, dec(get(s, NR, x[0])), get(s, NR, x[0])); }});
		eff.push_back(std::move(e));
	}

	// unpreserve_iommufd()
	{
		checks ck{c, {}};
		ck.add(kex, ENODEV, lu::decision::after_kexec);
		ck.add(!get(s, IPRES), ENOENT, lu::decision::unpreserve_iommufd_not_preserved);
		ck.add(guard("iommufd_deps", z3::exists(qd, get(s, DPRES, qd) && get(s, DREC, qd))), EBUSY,
		       lu::decision::unpreserve_iommufd_busy);
		const z3::expr ok = ck.pass();
		effect e{ck.ret(c.bv_val(0, RET_BITS)), {}};
		e.writes.push_back({of(DOMPRES), [=, this, &s](const args &x) { return z3::ite(ok, F, get(s, DOMPRES, x[0])); }});
		e.writes.push_back({of(IPRES), [=, this, &s](const args &) { return get(s, IPRES) && !ok; }});
		eff.push_back(std::move(e));
	}

	// kexec()
	eff.push_back({z3::ite(kex, c.bv_val(static_cast<std::uint8_t>(-ENODEV), RET_BITS), c.bv_val(0, RET_BITS)),
		       {{of(KEXECED), [=](const args &) { return T; }}}});

	// dma(dev, pasid): an observation.
	{
		const z3::expr after = inr && read([&](unsigned l) { return restored(s, d0, l); });
		eff.push_back({z3::ite(z3::ite(kex, after, mem), c.bv_val(0, RET_BITS),
				       c.bv_val(static_cast<std::uint8_t>(-EFAULT), RET_BITS)),
			       {}});
	}

	// The new kernel (encoding.cpp says what each reads).
	const z3::expr nk = !kex;
	// retrieve(token)
	{
		checks ck{c, {}};
		ck.add(nk, ENODEV, lu::decision::before_kexec);
		ck.add(get(s, IPRES) && get(s, ITOKEN) == t, EOPNOTSUPP, lu::decision::retrieve_iommufd);
		ck.add(!guard("cdev_token", z3::exists(qd, get(s, DPRES, qd) && get(s, DTOKEN, qd) == t)), ENOENT,
		       lu::decision::retrieve_unknown);
		const z3::expr ok = ck.pass();
		effect e{ck.ret(c.bv_val(0, RET_BITS)), {}};
		e.writes.push_back({of(RETR), [=, this, &s](const args &x) {
					    return get(s, RETR, x[0]) || (ok && get(s, DPRES, x[0]) && get(s, DTOKEN, x[0]) == t);
				    }});
		eff.push_back(std::move(e));
	}
	// open_device(dev)
	{
		checks ck{c, {}};
		ck.add(nk, ENODEV, lu::decision::before_kexec);
		ck.add(get(s, DPRES, d0), EBUSY, lu::decision::open_preserved);
		eff.push_back({ck.ret(c.bv_val(0, RET_BITS)), {}});
	}
	// bind_device(dev)
	{
		checks ck{c, {}};
		ck.add(nk, ENODEV, lu::decision::before_kexec);
		ck.add(get(s, DPRES, d0) && !get(s, RETR, d0), EBADF, lu::decision::bind_not_retrieved);
		ck.add(guard("group_owned", z3::exists(qd, group(qd) == g && get(s, DPRES, qd) && get(s, DREC, qd))), EPERM,
		       lu::decision::bind_owned);
		eff.push_back({ck.ret(c.bv_val(0, RET_BITS)), {}});
	}
	// finish()
	{
		checks ck{c, {}};
		ck.add(nk, ENODEV, lu::decision::before_kexec);
		ck.add(get(s, IPRES), EBUSY, lu::decision::finish_iommufd);
		ck.add(guard("not_retrieved", z3::exists(qd, get(s, DPRES, qd) && !get(s, RETR, qd))), EBUSY,
		       lu::decision::finish_not_retrieved);
		eff.push_back({ck.ret(c.bv_val(0, RET_BITS)), {}});
	}

	// Dispatch on the operation (an out-of-range op code behaves as the last);
	// the next state is fresh functions defined field by field.
	result out{eff.back().ret, make_state(prefix + "s_")};
	for (std::size_t i = eff.size() - 1; i-- > 0;)
		out.ret = z3::ite(a.op == c.bv_val(static_cast<unsigned>(i), OP_BITS), eff[i].ret, out.ret);
	for (unsigned i = 0; i < nfields(); ++i) {
		const args x = vars(i);
		z3::expr val = call(s[i], x);
		for (std::size_t o = eff.size(); o-- > 0;)
			for (const auto &[fi, write] : eff[o].writes)
				if (fi == i)
					val = z3::ite(a.op == c.bv_val(static_cast<unsigned>(o), OP_BITS), write(x), val);
		facts.push_back(quantify(true, x, call(out.next[i], x) == val));
	}
	return out;
}

// One unrolled step: the next state as fresh functions defined by the
// transition, the return as a fresh constant.
struct run {
	std::vector<state> states;
	std::vector<step> steps;
	std::vector<z3::expr> rets;
	std::vector<z3::expr> facts;
};

void advance(const pmachine &m, run &u, const step &a, const std::string &prefix)
{
	z3::context &c = m.c;
	const state &s = u.states.back();
	u.facts.push_back(m.wellformed_step(a));
	auto r = m.transition(s, a, prefix, u.facts);
	const z3::expr ret = c.bv_const((prefix + "ret").c_str(), RET_BITS);
	u.facts.push_back(ret == r.ret);
	u.rets.push_back(ret);
	u.steps.push_back(a);
	u.states.push_back(std::move(r.next));
}

// The invariants of the any-size proofs (docs/model.md): each a formula
// over one state, universally quantified over the objects.
struct invariants {
	const pmachine &m;
	property prop;

	// Whether nr_liveupdate_preserved counts the devices of its group with
	// a record (checked by the counter lemma): freeze busy, and a version
	// whose unpreserve lowers it only for a device with a record.
	bool counted_nr() const
	{
		return m.var.freeze == lu::freeze::busy && !lu::rules(m.var.version).unpreserve_any_device;
	}
	bool loss() const
	{
		return prop == property::no_silent_pasid_loss || prop == property::loss_only_when_acknowledged;
	}

	// E: attach[g][p] is none iff devs[g][p] is empty, at every slot.
	z3::expr tables(const state &s) const
	{
		z3::context &c = m.c;
		const z3::expr d = c.constant("qd", m.dev), g = c.constant("qg", m.grp);
		z3::expr r = c.bool_val(true);
		for (unsigned j = 0; j < m.K; ++j)
			r = r && z3::forall(d, z3::implies(m.in(s, j, d), m.att(s, j, m.group(d)) != m.none)) &&
			    z3::forall(g, z3::implies(m.att(s, j, g) != m.none, z3::exists(d, m.group(d) == g && m.in(s, j, d))));
		return r;
	}
	// (d, idx[j] > 0) attached through r.
	z3::expr contrib(const state &s, const z3::expr &d, const z3::expr &r, unsigned j) const
	{
		return m.idx[j] != m.c.bv_val(0, IDX_BITS) && m.in(s, j, d) && m.att(s, j, m.group(d)) == r && r != m.none;
	}
	// C: an attached PASID is counted (from E and the counters' step lemma,
	// by the counting argument of docs/model.md; assumed, not checked).
	z3::expr counted(const state &s) const
	{
		z3::context &c = m.c;
		const z3::expr d = c.constant("qd", m.dev);
		z3::expr r = c.bool_val(true);
		for (unsigned j = 0; j < m.K; ++j) {
			const z3::expr a = m.att(s, j, m.group(d));
			r = r && z3::forall(d, z3::implies(contrib(s, d, a, j), m.cnt(s, d, a) != c.bv_val(0, m.w.cnt)));
		}
		if (!counted_nr())
			return r;
		// nr is the number of devices of the group with a record (the nr
		// lemma and the same counting argument): nonzero iff one has.
		const z3::expr g = c.constant("qg", m.grp);
		const z3::expr zero = c.bv_val(0, m.w.nr);
		return r && z3::forall(d, z3::implies(m.get(s, DREC, d), m.get(s, NR, m.group(d)) != zero)) &&
		       z3::forall(g, z3::implies(m.get(s, NR, g) != zero, z3::exists(d, m.group(d) == g && m.get(s, DREC, d))));
	}
	// The session invariant (query.cpp's session_invariant(), per object),
	// and for the loss properties the strengthening of loss_induction().
	z3::expr session(const state &s) const
	{
		z3::context &c = m.c;
		const z3::expr d = c.constant("qd", m.dev), r = c.constant("qr", m.ref);
		z3::expr per_dev = c.bool_val(true);
		if (m.var.vfio_gate == lu::vfio_gate::always)
			per_dev = z3::implies(m.get(s, DPRES, d), m.get(s, DREC, d));
		if (counted_nr()) { // a record's unpreserve finds it (else it outlives the preservation)
			z3::expr f = m.found(s, d);
			if (m.var.vfio_gate == lu::vfio_gate::rid_only)
				f = f && m.in(s, 0, d);
			per_dev = per_dev && z3::implies(m.get(s, DREC, d), m.get(s, DPRES, d) && f);
		}
		if (loss())
			per_dev = per_dev && z3::implies(m.get(s, DPRES, d), record_is_current(s, d));
		return z3::forall(r, z3::implies(m.is_dompres(s, r), m.get(s, IPRES))) && z3::forall(d, per_dev);
	}
	// A preserved device's record is its group's current (frozen) state.
	z3::expr record_is_current(const state &s, const z3::expr &d) const
	{
		z3::context &c = m.c;
		const bool full = m.var.policy == lu::policy::full;
		const z3::expr rid = m.att(s, 0, m.group(d));
		const z3::expr ack =
			(m.get(s, DFLAGS, d) & c.bv_val(lu::IOMMU_LU_FLAG_IGNORE_PASID, FLAG_BITS)) != c.bv_val(0, FLAG_BITS);
		z3::expr rec = rid != m.none && m.get(s, IPRES) && m.is_dompres(s, m.paging(rid)) &&
			       m.get(s, REC_RID, d) == (full ? rid : m.paging(rid)) &&
			       m.get(s, REC_ON, d) == (full ? !ack : c.bool_val(false));
		for (unsigned j = 0; j < m.K; ++j) {
			rec = rec && m.rin(s, j, d) == m.in(s, j, d) && m.ratt(s, j, d) == m.att(s, j, m.group(d));
			if (!full)
				rec = rec && z3::implies(m.idx[j] != c.bv_val(0, IDX_BITS) && !ack, !m.in(s, j, d));
		}
		return rec;
	}
};

z3::expr as_bit(const z3::expr &b, unsigned width)
{
	return z3::ite(b, b.ctx().bv_val(1, width), b.ctx().bv_val(0, width));
}

// The proof's setting: @n steps from an arbitrary state (slots agreeing
// where their indices do), a witness device and PASID index.
struct setting {
	pmachine m;
	run u;
	z3::expr wd, wp;
	unsigned W; // the witness's slot
	std::vector<z3::expr> base; // configuration, slots, the steps
};

setting make_setting(z3::context &c, const lu::variant &v, unsigned n, param_fault fault)
{
	const widths w;
	const z3::sort dev = c.uninterpreted_sort("Dev"), ref = c.uninterpreted_sort("Ref");
	std::vector<step> steps;
	for (unsigned k = 0; k < n; ++k) {
		const std::string pre = name("a", k, "_");
		steps.push_back(step{c.bv_const((pre + "op").c_str(), OP_BITS), c.constant((pre + "dev").c_str(), dev),
				     c.bv_const((pre + "pasid").c_str(), ARG_PASID_BITS), c.constant((pre + "hwpt").c_str(), ref),
				     c.bv_const((pre + "token").c_str(), w.token), c.bv_const((pre + "flags").c_str(), FLAG_BITS)});
	}
	// Slots: the RID, each step's PASID, the witness (any index).
	std::vector<z3::expr> idx{c.bv_val(0, IDX_BITS)};
	for (const auto &a : steps)
		idx.push_back(a.pasid.extract(IDX_BITS - 1, 0));
	const z3::expr wp = c.bv_const("w_pasid", IDX_BITS);
	idx.push_back(wp);
	setting st{pmachine(c, v, w, idx, fault, pmachine::any_number(c)), {}, c.constant("w_dev", dev), wp, n + 1, {}};
	st.u.states.push_back(st.m.make_state("s0_"));
	st.u.facts.push_back(st.m.wellformed_config());
	st.u.facts.push_back(st.m.slots_consistent(st.u.states[0]));
	for (unsigned k = 0; k < n; ++k)
		advance(st.m, st.u, steps[k], name("k", k, "_"));
	st.base = st.u.facts;
	return st;
}

obligation holds_initially(z3::context &c, const lu::variant &v, const std::string &name,
			   const std::function<z3::expr(const invariants &, const state &)> &inv, property p)
{
	setting st = make_setting(c, v, 0, param_fault::none);
	const invariants iv{st.m, p};
	const state &s = st.u.states[0];
	return {name, {{st.m.wellformed_config(), st.m.initial(s)}, !inv(iv, s)}};
}

} // namespace

bool has_any_size_proof(property p)
{
	switch (p) {
	case property::no_silent_pasid_loss:
	case property::loss_only_when_acknowledged:
	case property::unknown_flags_rejected:
	case property::preserved_is_frozen:
	case property::unpreserve_restores:
	case property::failure_changes_nothing:
	case property::freeze_lifts: return true;
	default: return false;
	}
}

std::vector<obligation> any_size_obligations(z3::context &c, const lu::variant &v, property p, param_fault fault)
{
	if (!has_any_size_proof(p))
		return {};
	const bool loss = p == property::no_silent_pasid_loss || p == property::loss_only_when_acknowledged;
	if (loss && (v.freeze != lu::freeze::busy || v.vfio_gate != lu::vfio_gate::always || v.policy == lu::policy::silent_drop))
		return {};
	// A failure changes nothing from any state, unless its unwind reads the
	// device's record (vfio's PCI error path): then from the invariant's.
	const bool stateless = p == property::unknown_flags_rejected ||
			       (p == property::failure_changes_nothing && !lu::rules(v.version).pci_unwind);
	const unsigned n = p == property::unpreserve_restores ? 2 : 1;
	setting st = make_setting(c, v, n, fault);
	const pmachine &m = st.m;
	const invariants iv{m, p};
	const state &s = st.u.states[0], &s1 = st.u.states[1];
	const step &a = st.u.steps[0];
	const z3::expr &wd = st.wd, &wp = st.wp, &r0 = st.u.rets[0];
	const unsigned W = st.W, P = 1;
	const z3::expr T = c.bool_val(true), zero_idx = c.bv_val(0, IDX_BITS), zero_flags = c.bv_val(0, FLAG_BITS);
	auto ret_is = [&](const z3::expr &r, int e) { return r == c.bv_val(static_cast<std::uint8_t>(e), RET_BITS); };
	auto is_op = [&](const step &x, lu::op o) { return x.op == c.bv_val(static_cast<unsigned>(o), OP_BITS); };
	auto ack = [&](const state &x) {
		return (m.get(x, DFLAGS, wd) & c.bv_val(lu::IOMMU_LU_FLAG_IGNORE_PASID, FLAG_BITS)) != zero_flags;
	};
	auto pres = [&](const state &x) { return m.get(x, DPRES, wd); };

	std::vector<obligation> out;
	z3::expr pre = T; // what the property's step may assume of its first state
	if (!stateless) {
		// The invariants, on a one-step setting of their own.
		setting one = make_setting(c, v, 1, fault);
		const invariants i1{one.m, p};
		const state &x = one.u.states[0], &y = one.u.states[1];
		const step &b = one.u.steps[0];
		const z3::expr inr = z3::ult(b.pasid, c.bv_val(lu::PASID_LIMIT, ARG_PASID_BITS));
		out.push_back(holds_initially(c, v, "table invariant holds initially",
					      [](const invariants &i, const state &z) { return i.tables(z); }, p));
		out.push_back({"table invariant is inductive", {one.base, i1.tables(x) && !i1.tables(y)}});
		{
			// A counter moves by exactly the change of its own
			// contribution at the step's PASID; no other index's changes.
			const z3::expr d = c.constant("ld", one.m.dev), r = c.constant("lr", one.m.ref);
			const z3::expr delta = z3::ite(inr, as_bit(i1.contrib(y, d, r, P), one.m.w.cnt) - as_bit(i1.contrib(x, d, r, P), one.m.w.cnt),
						       c.bv_val(0, one.m.w.cnt));
			const z3::expr ok = one.m.cnt(y, d, r) - one.m.cnt(x, d, r) == delta &&
					    z3::implies(!inr || one.m.idx[one.W] != one.m.idx[P],
							i1.contrib(y, d, r, one.W) == i1.contrib(x, d, r, one.W));
			out.push_back({"counters move with the attachments",
				       {one.base, i1.tables(x) && !z3::forall(d, r, z3::implies(r != one.m.none, ok))}});
		}
		if (i1.counted_nr()) {
			// nr moves by exactly the change of the step's device's record.
			const z3::expr g = c.constant("lg", one.m.grp), d = c.constant("ld", one.m.dev);
			const z3::expr delta = z3::ite(g == one.m.group(b.dev),
						       as_bit(one.m.get(y, DREC, b.dev), one.m.w.nr) - as_bit(one.m.get(x, DREC, b.dev), one.m.w.nr),
						       c.bv_val(0, one.m.w.nr));
			const z3::expr ok = z3::forall(g, one.m.get(y, NR, g) - one.m.get(x, NR, g) == delta) &&
					    z3::forall(d, z3::implies(d != b.dev, one.m.get(y, DREC, d) == one.m.get(x, DREC, d)));
			out.push_back({"nr moves with the records",
				       {one.base, i1.tables(x) && i1.counted(x) && i1.session(x) && !ok}});
		}
		out.push_back(holds_initially(c, v, "session invariant holds initially",
					      [](const invariants &i, const state &z) { return i.session(z); }, p));
		out.push_back({"session invariant is inductive",
			       {one.base, i1.tables(x) && i1.counted(x) && i1.session(x) && !i1.session(y)}});
		pre = iv.tables(s) && iv.counted(s) && iv.session(s);
	}

	// The property: its premise is satisfiable (non-vacuity), its violation is not.
	z3::expr premise = T, bad = T;
	switch (p) {
	case property::no_silent_pasid_loss:
	case property::loss_only_when_acknowledged: {
		premise = !m.get(s, KEXECED) && pres(s) && m.attached(s, wd, W) != m.none && wp != zero_idx && ret_is(r0, 0);
		const z3::expr lost = m.get(s, KEXECED) && pres(s) && m.lost(s, wd, W);
		bad = p == property::no_silent_pasid_loss ? lost && !ack(s) : lost && !(wp != zero_idx && ack(s));
		break;
	}
	case property::unknown_flags_rejected: {
		const z3::expr unknown = (a.flags & c.bv_val(~lu::known_preserve_flags(v.policy), FLAG_BITS)) != zero_flags;
		const z3::expr d = c.constant("vd", m.dev);
		const z3::expr fresh = !m.get(s, KEXECED) && !(m.get(s, IPRES) && m.get(s, ITOKEN) == a.token) &&
				       !z3::exists(d, m.get(s, DPRES, d) && m.get(s, DTOKEN, d) == a.token) &&
				       !m.get(s, DPRES, a.dev);
		premise = is_op(a, lu::op::preserve_device) && unknown && fresh;
		bad = is_op(a, lu::op::preserve_device) && unknown &&
		      !(r0 != c.bv_val(0, RET_BITS) && m.equal(s, s1) && z3::implies(fresh, ret_is(r0, -EINVAL)));
		break;
	}
	case property::preserved_is_frozen:
		premise = pres(s) && pres(s1) && !m.get(s, KEXECED) &&
			  (is_op(a, lu::op::attach) || is_op(a, lu::op::replace) || is_op(a, lu::op::detach)) &&
			  m.group(a.dev) == m.group(wd);
		bad = pres(s) && pres(s1) && m.attached(s, wd, W) != m.attached(s1, wd, W);
		break;
	case property::unpreserve_restores: {
		const step &b = st.u.steps[1];
		const z3::expr &r1 = st.u.rets[1];
		const state &s2 = st.u.states[2];
		const z3::expr dev_pair = is_op(a, lu::op::preserve_device) && ret_is(r0, 0) &&
					  is_op(b, lu::op::unpreserve_device) && b.dev == a.dev && ret_is(r1, 0);
		const z3::expr fd_pair = is_op(a, lu::op::preserve_iommufd) && ret_is(r0, 0) &&
					 is_op(b, lu::op::unpreserve_iommufd) && ret_is(r1, 0);
		premise = dev_pair || fd_pair;
		// query.cpp's same_visible(): the session of a preserved device only.
		const z3::expr d = c.constant("vd", m.dev);
		z3::expr rec = m.get(s, REC_RID, d) == m.get(s2, REC_RID, d) && m.get(s, REC_ON, d) == m.get(s2, REC_ON, d);
		for (unsigned j = 0; j < m.K; ++j)
			rec = rec && m.ratt(s, j, d) == m.ratt(s2, j, d) && m.rin(s, j, d) == m.rin(s2, j, d);
		const z3::expr dead = z3::forall(d, z3::implies(m.get(s, DPRES, d),
							       m.get(s, DTOKEN, d) == m.get(s2, DTOKEN, d) &&
								       m.get(s, DFLAGS, d) == m.get(s2, DFLAGS, d) &&
								       m.get(s, DREC, d) == m.get(s2, DREC, d) &&
								       z3::implies(m.get(s, DREC, d), rec)));
		z3::expr same = dead && z3::implies(m.get(s, IPRES), m.get(s, ITOKEN) == m.get(s2, ITOKEN));
		for (unsigned i = 0; i < m.nfields(); ++i) {
			if (i >= NSLOTF * m.K || i % NSLOTF == ATT || i % NSLOTF == IN) {
				const unsigned o = i - NSLOTF * m.K;
				if (i >= NSLOTF * m.K && (o == ITOKEN || o == DTOKEN || o == DFLAGS || o == DREC || o == REC_RID || o == REC_ON))
					continue;
				same = same && m.all_of(s, i, [&](const args &x) { return call(s2[i], x); });
			}
		}
		bad = premise && !same;
		break;
	}
	case property::failure_changes_nothing:
		premise = r0 != c.bv_val(0, RET_BITS);
		bad = premise && !m.equal(s, s1);
		break;
	case property::freeze_lifts: {
		const z3::expr d = c.constant("vd", m.dev);
		const z3::expr none_preserved = z3::forall(d, z3::implies(m.group(d) == m.group(a.dev), !m.get(s, DPRES, d)));
		const z3::expr taken = is_op(a, lu::op::attach) && m.in(s, P, a.dev);
		premise = !m.get(s, KEXECED) && none_preserved && !taken &&
			  (is_op(a, lu::op::attach) || is_op(a, lu::op::replace) || is_op(a, lu::op::detach));
		bad = premise && ret_is(r0, -EBUSY);
		break;
	}
	default: return {};
	}
	out.push_back({"the property's premise is satisfiable", {st.base, pre && premise}, true});
	out.push_back({loss ? "invariant implies the property" : "no step from the invariant violates the property",
		       {st.base, pre && bad}});
	return out;
}

std::vector<obligation> bridge_obligations(z3::context &c, const lu::variant &v)
{
	// The bounded machine at 2 devices and 3 hwpts, the any-size widths.
	const dims dm{2, 3, TOKEN_BITS, lu::PASID_BITS + 1};
	const sym_config cfg = make_config(c, dm, "b_");
	const std::vector<sym_step> bsteps = make_steps(c, dm, 1, "b_");
	const z3::expr wp = c.bv_const("w_pasid", IDX_BITS);
	const std::vector<z3::expr> idx{c.bv_val(0, IDX_BITS), bsteps[0].pasid.extract(IDX_BITS - 1, 0), wp};
	const machine bm(c, dm, v, cfg, idx);
	const unrolling bu = unroll(bm, bsteps, "b_", false);
	// The objects are the bounded machine's own: devices and groups BV1
	// (ids 0 and 1), refs BV2 with none = 0 and hwpt h = h + 1, so the
	// quantifiers range over exactly its 2 devices, 2 groups and 3 hwpts.
	const widths w{TOKEN_BITS, dm.cnt_bits, dm.cnt_bits};
	const z3::sort ref_sort = c.bv_sort(dm.ref_bits());
	const pmachine m(c, v, w, idx, param_fault::none, {c.bv_sort(1), c.bv_sort(1), ref_sort, bm.none()});
	std::vector<z3::expr> facts = bu.facts;
	facts.push_back(bm.wellformed_config());
	facts.push_back(m.wellformed_config());
	std::vector<z3::expr> devs, grps, refs{m.none};
	for (unsigned i = 0; i < 2; ++i) {
		devs.push_back(c.bv_val(i, 1));
		grps.push_back(c.bv_val(i, 1));
	}
	for (unsigned h = 0; h < 3; ++h)
		refs.push_back(bm.ref(h));
	// Device and group ids are below 2 (wellformed): their low bit.
	auto dev_of = [](const z3::expr &b) { return b.extract(0, 0); };
	auto grp_of = dev_of;
	auto ref_of = [](const z3::expr &b) { return b; };
	for (unsigned i = 0; i < 2; ++i) {
		facts.push_back(m.group(devs[i]) == grp_of(cfg.group[i]));
		facts.push_back(m.maxp(devs[i]) == cfg.max_pasids[i]);
		facts.push_back(m.vf(devs[i]) == cfg.vf[i]);
	}
	for (unsigned h = 0; h < 3; ++h) {
		const z3::expr r = refs[h + 1];
		facts.push_back(m.nested(r) == cfg.nested[h] && m.parent(r) == ref_of(cfg.parent[h]) &&
				m.compat(r) == cfg.compat[h] && m.sealed(r) == cfg.sealed[h]);
	}
	// The same state: every field at every object (cnt at none: free).
	auto same = [&](const state &ps, const sym_state &bs) {
		const unsigned K = 3, H = 3;
		z3::expr r = c.bool_val(true);
		for (unsigned j = 0; j < K; ++j)
			for (unsigned i = 0; i < 2; ++i) {
				r = r && m.att(ps, j, grps[i]) == ref_of(bs.att[i * K + j]) && m.in(ps, j, devs[i]) == bs.in[i * K + j] &&
				    m.ratt(ps, j, devs[i]) == ref_of(bs.rec_att[i * K + j]) && m.rin(ps, j, devs[i]) == bs.rec_in[i * K + j];
			}
		for (unsigned h = 0; h < H; ++h) {
			const z3::expr x = refs[h + 1];
			r = r && m.get(ps, MARKED, x) == bs.marked[h] && m.get(ps, MTOKEN, x) == bs.mtoken[h] &&
			    m.get(ps, DOMPRES, x) == bs.dompres[h];
			for (unsigned i = 0; i < 2; ++i)
				r = r && m.cnt(ps, devs[i], x) == bs.cnt[i * H + h];
		}
		for (unsigned i = 0; i < 2; ++i) {
			const z3::expr d = devs[i];
			r = r && m.get(ps, NR, grps[i]) == bs.nr[i] && m.get(ps, DPRES, d) == bs.dpres[i] &&
			    m.get(ps, DTOKEN, d) == bs.dtoken[i] && m.get(ps, DFLAGS, d) == bs.dflags[i] &&
			    m.get(ps, DREC, d) == bs.drec[i] && m.get(ps, REC_RID, d) == ref_of(bs.rec_rid[i]) &&
			    m.get(ps, REC_ON, d) == bs.rec_on[i] && m.get(ps, RETR, d) == bs.retr[i];
		}
		return r && m.get(ps, IPRES) == bs.ipres[0] && m.get(ps, ITOKEN) == bs.itoken[0] &&
		       m.get(ps, KEXECED) == bs.kexeced[0];
	};
	run u;
	u.states.push_back(m.make_state("p_s0_"));
	facts.push_back(same(u.states[0], bu.states[0]));
	const sym_step &b = bsteps[0];
	advance(m, u, step{b.op, dev_of(b.dev), b.pasid, ref_of(b.hwpt), b.token, b.flags}, "p_k0_");
	for (const auto &f : u.facts)
		facts.push_back(f);
	// Marks and cnt at none are not state of the bounded machine: the
	// step leaves them as they were.
	z3::expr untouched = m.get(u.states[1], MARKED, m.none) == m.get(u.states[0], MARKED, m.none);
	for (unsigned i = 0; i < 2; ++i)
		untouched = untouched && m.cnt(u.states[1], devs[i], m.none) == m.cnt(u.states[0], devs[i], m.none);
	const z3::expr differ = !(u.rets[0] == bu.rets[0] && same(u.states[1], bu.states[1]) && untouched);
	std::vector<obligation> out;
	for (lu::op o : lu::all_ops) {
		std::vector<z3::expr> f = facts;
		f.push_back(b.op == c.bv_val(static_cast<unsigned>(o), OP_BITS));
		std::string name = "the any-size relation is the bounded one at 2 devices and 3 hwpts: ";
		name += lu::name(o);
		out.push_back({std::move(name), {std::move(f), differ}});
	}
	return out;
}

} // namespace lu::model::internal
