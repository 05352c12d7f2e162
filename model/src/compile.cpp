// SPDX-License-Identifier: GPL-2.0
// Z3 terms to a flat uint64 program (see compile.h). The DAG is walked with
// an explicit stack (ite chains are deep), memoised by Z3's AST id.
#include "compile.h"

#include <unordered_map>

namespace lu::model::internal {

namespace {

std::uint64_t mask_of(unsigned w)
{
	return w >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << w) - 1;
}

std::int64_t sx(std::uint64_t x, unsigned w)
{
	return w >= 64 ? static_cast<std::int64_t>(x) : static_cast<std::int64_t>(x << (64 - w)) >> (64 - w);
}

// Width of a Bool (1) or BV (<= 64) term; 0 for anything else.
unsigned width_of(const z3::expr &e)
{
	const z3::sort s = e.get_sort();
	if (s.is_bool())
		return 1;
	if (s.is_bv() && s.bv_size() >= 1 && s.bv_size() <= 64)
		return s.bv_size();
	return 0;
}

} // namespace

bool program::compile(const std::vector<z3::expr> &inputs, const std::vector<z3::expr> &outputs, std::string *err)
{
	code_.clear();
	init_.clear();
	in_mask_.clear();
	out_.clear();
	std::unordered_map<unsigned, std::uint32_t> slot; // AST id -> value slot
	auto fail = [&](const std::string &why, const z3::expr &e) {
		std::string t = e.to_string();
		if (t.size() > 120)
			t = t.substr(0, 120) + "...";
		*err = "compile: " + why + ": " + t;
		return false;
	};
	for (const auto &x : inputs) {
		const unsigned w = width_of(x);
		if (!x.is_app() || x.num_args() != 0 || x.decl().decl_kind() != Z3_OP_UNINTERPRETED)
			return fail("an input is not a constant", x);
		if (w == 0)
			return fail("an input's sort is neither Bool nor BV of at most 64 bits", x);
		if (!slot.emplace(x.id(), static_cast<std::uint32_t>(init_.size())).second)
			return fail("an input is listed twice", x);
		init_.push_back(0);
		in_mask_.push_back(mask_of(w));
	}
	auto fresh_slot = [&] {
		init_.push_back(0);
		return static_cast<std::uint32_t>(init_.size() - 1);
	};
	auto emit = [&](opc op, unsigned w, unsigned aux, std::uint32_t a, std::uint32_t b = 0, std::uint32_t c = 0) {
		const std::uint32_t d = fresh_slot();
		code_.push_back({op, static_cast<std::uint8_t>(w), static_cast<std::uint8_t>(aux), d, a, b, c});
		return d;
	};

	// Post order: a node is emitted once all its arguments have slots.
	std::vector<std::pair<z3::expr, bool>> stack;
	for (const auto &root : outputs) {
		stack.emplace_back(root, false);
		while (!stack.empty()) {
			auto [e, expanded] = stack.back();
			stack.pop_back();
			if (slot.count(e.id()))
				continue;
			const unsigned w = width_of(e);
			if (w == 0)
				return fail("a sort other than Bool or BV of at most 64 bits", e);
			if (!e.is_app())
				return fail("not an application (quantifier or variable)", e);
			if (e.is_numeral()) {
				std::uint64_t v = 0;
				if (!Z3_get_numeral_uint64(e.ctx(), e, &v))
					return fail("a numeral that does not fit 64 bits", e);
				slot.emplace(e.id(), fresh_slot());
				init_.back() = v & mask_of(w);
				continue;
			}
			const Z3_decl_kind k = e.decl().decl_kind();
			if (k == Z3_OP_TRUE || k == Z3_OP_FALSE) {
				slot.emplace(e.id(), fresh_slot());
				init_.back() = k == Z3_OP_TRUE;
				continue;
			}
			if (k == Z3_OP_UNINTERPRETED)
				return fail(e.num_args() ? "an uninterpreted function" : "a constant that is not an input", e);
			const unsigned n = e.num_args();
			if (!expanded) {
				stack.emplace_back(e, true);
				for (unsigned i = n; i-- > 0;)
					if (!slot.count(e.arg(i).id()))
						stack.emplace_back(e.arg(i), false);
				continue;
			}
			std::vector<std::uint32_t> a;
			for (unsigned i = 0; i < n; ++i)
				a.push_back(slot.at(e.arg(i).id()));
			const unsigned aw = n ? width_of(e.arg(0)) : 0;
			auto need = [&](unsigned lo, unsigned hi) { return n >= lo && n <= hi; };
			// n-ary associative operators fold left into binary instructions
			auto fold = [&](opc op) {
				std::uint32_t r = a[0];
				for (unsigned i = 1; i < n; ++i)
					r = emit(op, w, 0, r, a[i]);
				return n == 1 ? emit(opc::copy, w, 0, r) : r;
			};
			std::uint32_t d;
			switch (k) {
			case Z3_OP_ITE:
				if (!need(3, 3))
					return fail("ite arity", e);
				d = emit(opc::ite, w, 0, a[0], a[1], a[2]);
				break;
			case Z3_OP_EQ:
			case Z3_OP_IFF:
				if (!need(2, 2))
					return fail("= arity", e);
				d = emit(opc::eq, 1, 0, a[0], a[1]);
				break;
			case Z3_OP_DISTINCT: {
				if (!need(2, 64))
					return fail("distinct arity", e);
				std::uint32_t r = 0;
				bool first = true;
				for (unsigned i = 0; i < n; ++i)
					for (unsigned j = i + 1; j < n; ++j) {
						std::uint32_t x = emit(opc::ne, 1, 0, a[i], a[j]);
						r = first ? x : emit(opc::and2, 1, 0, r, x);
						first = false;
					}
				d = r;
				break;
			}
			case Z3_OP_AND:
			case Z3_OP_OR:
			case Z3_OP_XOR:
			case Z3_OP_BAND:
			case Z3_OP_BOR:
			case Z3_OP_BXOR:
			case Z3_OP_BADD:
			case Z3_OP_BMUL:
				if (!need(1, ~0u))
					return fail("arity", e);
				d = fold(k == Z3_OP_AND || k == Z3_OP_BAND   ? opc::and2
					 : k == Z3_OP_OR || k == Z3_OP_BOR   ? opc::or2
					 : k == Z3_OP_XOR || k == Z3_OP_BXOR ? opc::xor2
					 : k == Z3_OP_BADD                   ? opc::add
									     : opc::mul);
				break;
			case Z3_OP_BSUB:
				if (!need(1, ~0u))
					return fail("bvsub arity", e);
				d = fold(opc::sub);
				break;
			case Z3_OP_NOT:
				if (!need(1, 1))
					return fail("not arity", e);
				d = emit(opc::not1, 1, 0, a[0], a[0]);
				break;
			case Z3_OP_IMPLIES:
				if (!need(2, 2))
					return fail("=> arity", e);
				d = emit(opc::implies, 1, 0, a[0], a[1]);
				break;
			case Z3_OP_BNOT:
			case Z3_OP_BNEG:
				if (!need(1, 1))
					return fail("arity", e);
				d = emit(k == Z3_OP_BNOT ? opc::bvnot : opc::neg, w, 0, a[0], a[0]);
				break;
			case Z3_OP_ULT:
			case Z3_OP_ULEQ:
			case Z3_OP_SLT:
			case Z3_OP_SLEQ:
				if (!need(2, 2))
					return fail("comparison arity", e);
				d = emit(k == Z3_OP_ULT ? opc::ult : k == Z3_OP_ULEQ ? opc::ule : k == Z3_OP_SLT ? opc::slt : opc::sle,
					 1, aw, a[0], a[1]);
				break;
			case Z3_OP_UGT:
			case Z3_OP_UGEQ:
			case Z3_OP_SGT:
			case Z3_OP_SGEQ: // a > b is b < a
				if (!need(2, 2))
					return fail("comparison arity", e);
				d = emit(k == Z3_OP_UGT ? opc::ult : k == Z3_OP_UGEQ ? opc::ule : k == Z3_OP_SGT ? opc::slt : opc::sle,
					 1, aw, a[1], a[0]);
				break;
			case Z3_OP_EXTRACT: {
				if (!need(1, 1))
					return fail("extract arity", e);
				const int lo = Z3_get_decl_int_parameter(e.ctx(), e.decl(), 1);
				d = emit(opc::extract, w, static_cast<unsigned>(lo), a[0], a[0]);
				break;
			}
			case Z3_OP_CONCAT: {
				if (!need(1, ~0u))
					return fail("concat arity", e);
				std::uint32_t r = a[0];
				unsigned rw = aw;
				for (unsigned i = 1; i < n; ++i) {
					const unsigned bw = width_of(e.arg(i));
					rw += bw;
					r = emit(opc::concat, rw, bw, r, a[i]);
				}
				d = n == 1 ? emit(opc::copy, w, 0, r) : r;
				break;
			}
			case Z3_OP_ZERO_EXT:
			case Z3_OP_SIGN_EXT:
				if (!need(1, 1))
					return fail("extension arity", e);
				d = emit(k == Z3_OP_ZERO_EXT ? opc::zext : opc::sext, w, aw, a[0], a[0]);
				break;
			case Z3_OP_BSHL:
			case Z3_OP_BLSHR:
			case Z3_OP_BASHR:
				if (!need(2, 2))
					return fail("shift arity", e);
				d = emit(k == Z3_OP_BSHL ? opc::shl : k == Z3_OP_BLSHR ? opc::lshr : opc::ashr, w, 0, a[0], a[1]);
				break;
			default:
				return fail("unsupported operator " + e.decl().name().str(), e);
			}
			slot.emplace(e.id(), d);
		}
		out_.push_back(slot.at(root.id()));
	}
	return true;
}

void program::run(std::uint64_t *v) const
{
	for (const ins &i : code_) {
		const std::uint64_t a = v[i.a], b = v[i.b];
		const std::uint64_t m = mask_of(i.w);
		std::uint64_t r;
		switch (i.op) {
		case opc::ite: r = a ? b : v[i.c]; break;
		case opc::eq: r = a == b; break;
		case opc::ne: r = a != b; break;
		case opc::and2: r = a & b; break;
		case opc::or2: r = a | b; break;
		case opc::xor2: r = a ^ b; break;
		case opc::not1: r = a ^ 1; break;
		case opc::implies: r = (a ^ 1) | b; break;
		case opc::bvnot: r = ~a & m; break;
		case opc::neg: r = (0 - a) & m; break;
		case opc::add: r = (a + b) & m; break;
		case opc::sub: r = (a - b) & m; break;
		case opc::mul: r = (a * b) & m; break;
		case opc::ult: r = a < b; break;
		case opc::ule: r = a <= b; break;
		case opc::slt: r = sx(a, i.aux) < sx(b, i.aux); break;
		case opc::sle: r = sx(a, i.aux) <= sx(b, i.aux); break;
		case opc::extract: r = (a >> i.aux) & m; break;
		case opc::concat: r = ((a << i.aux) | b) & m; break;
		case opc::zext: r = a; break;
		case opc::sext: r = static_cast<std::uint64_t>(sx(a, i.aux)) & m; break;
		case opc::shl: r = b >= i.w ? 0 : (a << b) & m; break;
		case opc::lshr: r = b >= i.w ? 0 : a >> b; break;
		case opc::ashr: r = static_cast<std::uint64_t>(sx(a, i.w) >> (b >= i.w ? i.w - 1 : b)) & m; break;
		case opc::copy: r = a; break;
		default: r = 0; break;
		}
		v[i.dst] = r;
	}
}

} // namespace lu::model::internal
