/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A flat, straight-line program over uint64 values compiled from Z3 terms,
 * private to model/src. evaluate.cpp compiles the terms machine::transition()
 * builds once and then runs them on concrete inputs, so a concrete step is
 * the same relation the proofs use, without a solver.
 *
 * Every node of the terms' DAG becomes one value slot (shared subterms once,
 * by Z3's AST id); inputs (uninterpreted constants) come first, numerals are
 * filled in at compile time, every other node is one instruction in post
 * order. Booleans are 0 or 1; a bit-vector of width w <= 64 is kept masked
 * to its low w bits. Only the decl kinds the encoding uses are known; any
 * other kind, or a sort other than Bool and BV(<= 64), is a compile error:
 * the evaluator never guesses a meaning.
 */
#pragma once

#include <z3++.h>

#include <cstdint>
#include <string>
#include <vector>

namespace lu::model::internal {

class program {
public:
	/**
	 * Compile @outputs over @inputs (uninterpreted constants of sort Bool
	 * or BV <= 64). On failure returns false and says why in @err.
	 */
	bool compile(const std::vector<z3::expr> &inputs, const std::vector<z3::expr> &outputs, std::string *err);

	/** A value array for run(): inputs zero, numerals filled in. */
	std::vector<std::uint64_t> fresh() const { return init_; }
	/** Input @i lives at vals[i]; its width mask. */
	std::uint64_t input_mask(std::size_t i) const { return in_mask_[i]; }
	std::size_t inputs() const { return in_mask_.size(); }
	/** Evaluate every instruction; output @k is then vals[out(k)]. */
	void run(std::uint64_t *vals) const;
	std::uint32_t out(std::size_t k) const { return out_[k]; }
	std::size_t outputs() const { return out_.size(); }
	/** Instructions per run (for reports and tests). */
	std::size_t size() const { return code_.size(); }

	enum class opc : std::uint8_t {
		ite, eq, ne, and2, or2, xor2, not1, implies, bvnot, neg, add, sub, mul,
		ult, ule, slt, sle, extract, concat, zext, sext, shl, lshr, ashr, copy,
	};
	struct ins {
		opc op;
		std::uint8_t w;    // result width (1 for Bool)
		std::uint8_t aux;  // argument width (signed ops, sext), shift (extract), low width (concat)
		std::uint32_t dst, a, b, c;
	};

private:
	std::vector<ins> code_;
	std::vector<std::uint64_t> init_;
	std::vector<std::uint64_t> in_mask_;
	std::vector<std::uint32_t> out_;
};

} // namespace lu::model::internal
