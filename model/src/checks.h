/* SPDX-License-Identifier: GPL-2.0 */
/*
 * An operation's checks in the order of its code: the first failing one
 * decides the errno and names the rule (lu::decision) that decided it.
 * Shared by the bounded relation (encoding.cpp) and the any-size one
 * (param.cpp). Private to model/src.
 */
#pragma once

#include <z3++.h>

#include <cstdint>
#include <vector>

#include "encoding.h"
#include "lu/core/decision.h"

namespace lu::model::internal {

struct checks {
	struct check {
		z3::expr fails;
		int err;
		lu::decision rule;
	};
	z3::context &c;
	std::vector<check> list;
	void add(const z3::expr &fails, int err, lu::decision rule) { list.push_back({fails, err, rule}); }
	/** The return value: the first failing check's -errno, else @on_success. */
	z3::expr ret(const z3::expr &on_success) const
	{
		z3::expr r = on_success;
		for (auto it = list.rbegin(); it != list.rend(); ++it)
			r = z3::ite(it->fails, c.bv_val(static_cast<std::uint64_t>(static_cast<std::uint8_t>(-it->err)), RET_BITS), r);
		return r;
	}
	/** The rule that decided: the first failing check's, else @on_success. */
	z3::expr rule(const z3::expr &on_success) const
	{
		z3::expr r = on_success;
		for (auto it = list.rbegin(); it != list.rend(); ++it)
			r = z3::ite(it->fails, decision_val(c, it->rule), r);
		return r;
	}
	/** Every check passes. */
	z3::expr pass() const
	{
		z3::expr r = c.bool_val(true);
		for (const auto &k : list)
			r = r && !k.fails;
		return r;
	}
};

inline z3::expr inc(const z3::expr &x)
{
	return x + x.ctx().bv_val(1, x.get_sort().bv_size());
}

inline z3::expr dec(const z3::expr &x)
{
	return x - x.ctx().bv_val(1, x.get_sort().bv_size());
}

} // namespace lu::model::internal
