/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The Z3 encoding of the abstract machine (docs/semantics.md), private to
 * model/src. docs/model.md describes it; this header only fixes names.
 *
 * Conventions in this file:
 *   @c      the z3::context
 *   @dev    a device index, BV(dev_bits); @g a group id, BV(dev_bits)
 *   @ref    a hwpt reference, BV(ref_bits): 0 = none, h + 1 = hwpt h
 *   @p      a PASID argument, BV32 (ioasid_t); @pi its table index, BV20
 *   @s      a state, @a a step's arguments, @m the machine (config + variant)
 *
 * Tables (attach[g][p], devs[g][p], the records) are kept at the indices a
 * trace can name: slot 0 is the RID (index 0), slots 1.. hold the trace's
 * PASIDs (symbolic "PASID names" in proofs, the concrete ones in
 * simulate). Slot @j holds the table's value at index idx[j]; a write at
 * index @pi updates every slot whose index equals @pi, a read takes the
 * first slot whose index equals @pi. Every step's PASID is one of the names,
 * so this is exact for the 2^20-entry tables (docs/model.md, "Tables"), and
 * it is pure QF_BV.
 */
#pragma once

#include <z3++.h>

#include <cstdint>
#include <string>
#include <vector>

#include "lu/core/decision.h"
#include "lu/core/trace.h"
#include "lu/core/variant.h"

namespace lu::model::internal {

inline constexpr unsigned OP_BITS = 4;                  // lu::op, 10 values
inline constexpr unsigned ARG_PASID_BITS = 32;          // ioasid_t
inline constexpr unsigned IDX_BITS = lu::PASID_BITS;    // table index
inline constexpr unsigned MAXP_BITS = lu::PASID_BITS + 1; // max_pasids in [0, 2^20]
inline constexpr unsigned TOKEN_BITS = 64;
inline constexpr unsigned FLAG_BITS = 32;
inline constexpr unsigned RET_BITS = 8;  // 0 or a negative errno (-98 .. 0)
inline constexpr unsigned CNT_BITS = 8;  // counters, bounded by the depth
inline constexpr unsigned DEC_BITS = 8;  // lu::decision

/** The value of a decision (which rule decided a step), BV(DEC_BITS). */
inline z3::expr decision_val(z3::context &c, lu::decision d)
{
	return c.bv_val(static_cast<unsigned>(d), DEC_BITS);
}

/**
 * Sizes of one encoding: how many devices and hwpts exist, and the widths of
 * tokens and counters. The defaults are the kernel's (a u64 token); proofs
 * narrow both to what a trace of their depth can tell apart (docs/model.md,
 * "Bounds and budgets").
 */
struct dims {
	unsigned devices = 2;
	unsigned hwpts = 3;
	unsigned token_bits = TOKEN_BITS;
	unsigned cnt_bits = CNT_BITS;
	unsigned dev_bits() const;
	unsigned ref_bits() const;
};

/**
 * The dims of a proof of @depth steps: tokens wide enough for @depth distinct
 * values (and at least 8, for minimisation), counters for @depth.
 */
dims proof_dims(unsigned devices, unsigned hwpts, unsigned depth);

/** The configuration, symbolic: every field is a free constant. */
struct sym_config {
	std::vector<z3::expr> group;      // per device, BV(dev_bits)
	std::vector<z3::expr> max_pasids; // per device, BV21
	std::vector<z3::expr> vf;         // per device, Bool (a PCI VF)
	std::vector<z3::expr> nested;     // per hwpt, Bool
	std::vector<z3::expr> parent;     // per hwpt, ref (0 for paging)
	std::vector<z3::expr> compat;     // per hwpt, Bool (pasid_compat)
	std::vector<z3::expr> sealed;     // per hwpt, Bool
};

/** One state of the old kernel (docs/semantics.md, State). */
struct sym_state {
	std::vector<z3::expr> att;      // [g * slots + j]: attach[g][idx[j]], a ref
	std::vector<z3::expr> in;       // [d * slots + j]: d in devs[g][idx[j]]
	std::vector<z3::expr> cnt;      // [dev * hwpts + h]: #{p > 0 : d in devs, att == h}
	std::vector<z3::expr> marked;   // per hwpt
	std::vector<z3::expr> mtoken;   // per hwpt, BV64
	std::vector<z3::expr> dompres;  // per hwpt: domain_preserved
	std::vector<z3::expr> nr;       // per group: nr_liveupdate_preserved, BV8
	std::vector<z3::expr> ipres;    // [0]: the iommufd is preserved
	std::vector<z3::expr> itoken;   // [0]: its token
	std::vector<z3::expr> dpres;    // per device: preserved
	std::vector<z3::expr> dtoken;   // per device, BV64
	std::vector<z3::expr> dflags;   // per device, BV32
	std::vector<z3::expr> drec;     // per device: has a record
	std::vector<z3::expr> rec_rid;  // per device: recorded RID ref
	std::vector<z3::expr> rec_on;   // per device: PASID entries recorded
	std::vector<z3::expr> rec_att;  // [d * slots + j]: attach[g][idx[j]] at preserve time
	std::vector<z3::expr> rec_in;   // [d * slots + j]: d in devs[g][idx[j]] at preserve time
	std::vector<z3::expr> kexeced;  // [0]
	std::vector<z3::expr> retr;     // per device: the new kernel retrieved its cdev
};

/** Calls f(a_field, b_field) for the record fields of two states. */
template <class A, class B, class F> void zip_records(A &a, B &b, F &&f)
{
	auto each = [&](auto &va, auto &vb) {
		for (std::size_t i = 0; i < va.size(); ++i)
			f(va[i], vb[i]);
	};
	each(a.rec_rid, b.rec_rid);
	each(a.rec_on, b.rec_on);
	each(a.rec_att, b.rec_att);
	each(a.rec_in, b.rec_in);
}

/** Calls f(a_field, b_field) for every scalar or array of two states. */
template <class A, class B, class F> void zip_fields(A &a, B &b, F &&f)
{
	auto each = [&](auto &va, auto &vb) {
		for (std::size_t i = 0; i < va.size(); ++i)
			f(va[i], vb[i]);
	};
	each(a.att, b.att);
	each(a.in, b.in);
	each(a.cnt, b.cnt);
	each(a.marked, b.marked);
	each(a.mtoken, b.mtoken);
	each(a.dompres, b.dompres);
	each(a.nr, b.nr);
	each(a.ipres, b.ipres);
	each(a.itoken, b.itoken);
	each(a.dpres, b.dpres);
	each(a.dtoken, b.dtoken);
	each(a.dflags, b.dflags);
	each(a.drec, b.drec);
	zip_records(a, b, f);
	each(a.kexeced, b.kexeced);
	each(a.retr, b.retr);
}

/** The arguments of one step, symbolic. Unused ones are free (or 0, canonical). */
struct sym_step {
	z3::expr op;    // BV4, the value of lu::op
	z3::expr dev;   // BV(dev_bits)
	z3::expr pasid; // BV32
	z3::expr hwpt;  // ref, 1..hwpts
	z3::expr token; // BV64
	z3::expr flags; // BV32
};

/** The machine: sizes, the kernel variant (concrete) and the configuration. */
class machine {
public:
	/** @idx: the table index of every slot (see above); idx[0] is 0, the RID. */
	machine(z3::context &c, dims d, lu::variant v, sym_config cfg, std::vector<z3::expr> idx);

	z3::context &ctx() const { return *c_; }
	const dims &size() const { return dims_; }
	const lu::variant &var() const { return var_; }
	const sym_config &cfg() const { return cfg_; }
	const std::vector<z3::expr> &idx() const { return idx_; }
	unsigned slots() const { return static_cast<unsigned>(idx_.size()); }
	static constexpr unsigned rid_slot() { return 0; }

	z3::expr none() const;
	z3::expr ref(unsigned h) const;          // hwpt h as a ref (h + 1)
	z3::expr dev_val(unsigned d) const;
	z3::expr op_val(lu::op o) const;
	z3::expr ret_val(int r) const;

	/** The element of a per-device (or per-group) vector at symbolic index @i. */
	z3::expr pick(const std::vector<z3::expr> &per_dev, const z3::expr &i) const;
	/** The element of a per-hwpt vector at @ref, @dflt for none. */
	z3::expr pick_hwpt(const std::vector<z3::expr> &per_hwpt, const z3::expr &ref, const z3::expr &dflt) const;
	z3::expr group_of(const z3::expr &dev) const;
	z3::expr is_nested(const z3::expr &ref) const;   // false for none
	z3::expr is_compat(const z3::expr &ref) const;   // false for none
	z3::expr is_sealed(const z3::expr &ref) const;
	z3::expr paging(const z3::expr &ref) const;      // paging_of, none for none
	z3::expr is_marked(const sym_state &s, const z3::expr &ref) const;
	z3::expr is_dompres(const sym_state &s, const z3::expr &ref) const;
	z3::expr att_at(const sym_state &s, const z3::expr &g, unsigned j) const;
	z3::expr in_at(const sym_state &s, const z3::expr &dev, unsigned j) const;
	z3::expr has_pasids(const sym_state &s, const z3::expr &g) const;
	z3::expr token_used(const sym_state &s, const z3::expr &t) const;

	/** What the record of device @dev says for slot @j (ref, none if nothing). */
	z3::expr record(const sym_state &s, const z3::expr &dev, unsigned j) const;
	/** (dev, idx[j]) is in the restored set (the union of the records of preserved devices). */
	z3::expr restored(const sym_state &s, const z3::expr &dev, unsigned j) const;
	/** The hwpt (ref) device @dev is attached through at slot @j, none if not attached. */
	z3::expr attached(const sym_state &s, const z3::expr &dev, unsigned j) const;
	/** (dev, idx[j]) attached in @s and not restored through the same stage-2 domain. */
	z3::expr lost(const sym_state &s, const z3::expr &dev, unsigned j) const;

	struct step_result {
		z3::expr ret;
		sym_state next;
		z3::expr rule; // the lu::decision that decided ret (never asserted: for decoding)
	};
	/**
	 * The transition relation, as a function: one step from @s with @a.
	 * The low 20 bits of a.pasid must equal some idx[j] (a PASID argument
	 * of 2^20 or more is out of range and never reaches a table).
	 */
	step_result transition(const sym_state &s, const sym_step &a) const;

	/** Constraints every configuration satisfies (ranges, nested parents). */
	z3::expr wellformed_config() const;
	/** Ranges of a step's arguments. */
	z3::expr wellformed_step(const sym_step &a) const;
	/** Symmetry breaking for proofs (group ids in order of first use). */
	z3::expr canonical_config() const;
	/**
	 * Symmetry breaking over a trace (proofs from the initial state): hwpts
	 * of the same kind are named in order of their first use as an argument.
	 */
	z3::expr canonical_trace(const std::vector<sym_step> &steps) const;
	/** Arguments an operation does not use are 0 (decoded traces read cleanly). */
	z3::expr canonical_step(const sym_step &a) const;
	/** The initial state: empty tables, nothing marked or preserved. */
	z3::expr initial(const sym_state &s) const;

private:
	z3::context *c_;
	dims dims_;
	lu::variant var_;
	sym_config cfg_;
	std::vector<z3::expr> idx_;
};

sym_config make_config(z3::context &c, const dims &d, const std::string &prefix);
/** The configuration @sc of @d's sizes takes in @mdl (paging parents 0). */
lu::config decode_config(const z3::model &mdl, const sym_config &sc, const dims &d);
sym_state make_state(z3::context &c, const dims &d, unsigned slots, const std::string &prefix);
sym_step make_step(z3::context &c, const dims &d, const std::string &prefix);

/** Every field equal. */
z3::expr state_eq(const sym_state &a, const sym_state &b);

/** A trace of @depth steps from the initial state, as fresh constants per state. */
struct unrolling {
	machine m;
	std::vector<sym_state> states; // depth + 1
	std::vector<sym_step> steps;   // depth
	std::vector<z3::expr> rets;    // depth, BV8
	std::vector<z3::expr> rules;   // depth, BV(DEC_BITS): the lu::decision of each step (terms, never asserted)
	std::vector<z3::expr> facts;   // initial state, transitions, argument ranges, touches
};

/** Unroll @m over @steps (shared by the two machines of observable-contract). */
/**
 * @from_initial false: states[0] is any state whose slots agree where their
 * indices do (the induction step of a step-local property).
 */
unrolling unroll(const machine &m, const std::vector<sym_step> &steps, const std::string &prefix,
		 bool from_initial = true);

/**
 * Unroll the twin machine @m (observable-contract) over @base's steps,
 * sharing every state field of @base but the records (rec_rid, rec_on,
 * rec_att, rec_in), which @m computes itself, as do its returns. Exact only
 * when the returns agree and twin_lemma() holds (docs/model.md).
 */
unrolling unroll_twin(const machine &m, const unrolling &base, const std::string &prefix);

/** The value of @e in @mdl (completed; a Boolean as 0 or 1), for decoding. */
inline std::uint64_t num(const z3::model &mdl, const z3::expr &e)
{
	z3::expr v = mdl.eval(e, true);
	if (v.is_bool())
		return v.is_true() ? 1 : 0;
	return v.get_numeral_uint64();
}

/** Steps 0..depth-1 named "<prefix>a<k>_...". */
std::vector<sym_step> make_steps(z3::context &c, const dims &d, unsigned depth, const std::string &prefix);

} // namespace lu::model::internal
