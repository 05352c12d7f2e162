// SPDX-License-Identifier: GPL-2.0
// The compiled evaluator (lu::model::evaluate) against hand-known outcomes,
// against the Z3-solving simulator (the reference) on seeded random traces
// under every preset, and its compiler (model/src/compile.h) against Z3's own
// evaluation of terms with every supported operator.
#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <random>

#include "compile.h"
#include "lu/model/evaluate.h"
#include "lu/model/simulate.h"
#include "steps.h"

namespace {

using namespace lu::test;
using lu::op;
using lu::step;

constexpr lu::variant v1 = *lu::find_preset("v1");
constexpr lu::variant full = *lu::find_preset("full");
constexpr lu::variant reject = *lu::find_preset("reject");

lu::config cfg()
{
	lu::config c;
	c.devices = {{0, 16}, {0, 16}};
	c.hwpts = {{lu::hwpt_kind::paging, 0, true, true},
		   {lu::hwpt_kind::paging, 0, false, true},
		   {lu::hwpt_kind::nested, 0, true, true}};
	return c;
}

lu::outcome eval(const lu::variant &v, const std::vector<step> &t, const lu::config &c = cfg())
{
	auto r = lu::model::evaluate(c, v, t);
	EXPECT_TRUE(r.out.has_value()) << r.error;
	return r.out.value_or(lu::outcome{});
}

TEST(ModelEvaluate, HandKnownReturns)
{
	EXPECT_EQ(eval(full, {mark(2, 1)}).rets, std::vector<int>{-ENOENT});
	EXPECT_EQ(eval(full, {mark(0, 1), mark(1, 1)}).rets, (std::vector<int>{0, -EADDRINUSE}));
	EXPECT_EQ(eval(full, {attach(0, 5, 1)}).rets, std::vector<int>{-EINVAL}); // hwpt 1 not pasid_compat
	EXPECT_EQ(eval(full, {attach(0, 16, 0)}).rets, std::vector<int>{-EINVAL}); // max_pasids 16
	EXPECT_EQ(eval(full, {attach(0, 15, 0), attach(1, 15, 0)}).rets, (std::vector<int>{0, 0}));
	// 2^20 + 15 is out of range although its table index is 15
	EXPECT_EQ(eval(full, {attach(0, 15, 0), attach(1, lu::PASID_LIMIT + 15, 0)}).rets,
		  (std::vector<int>{0, -EINVAL}));
	EXPECT_EQ(eval(reject, {kexec(), kexec(), attach(0, 0, 0)}).rets, (std::vector<int>{0, -ENODEV, -ENODEV}));
}

TEST(ModelEvaluate, HandKnownRestore)
{
	// full keeps the PASID; reject refuses the preserve
	const std::vector<step> t{mark(0, 1), attach(0, 0, 0), attach(0, 3, 0), preserve_iommufd(10), preserve_device(0, 11),
				  kexec(), dma(0, 3), dma(1, 3)};
	lu::outcome f = eval(full, t);
	EXPECT_EQ(f.rets, (std::vector<int>{0, 0, 0, 0, 0, 0, 0, -EFAULT}));
	EXPECT_EQ(f.at_kexec, (std::vector<lu::attachment>{{0, 0, 0}, {0, 3, 0}}));
	EXPECT_EQ(f.restored, (std::vector<lu::attachment>{{0, 0, 0}, {0, 3, 0}}));
	lu::outcome r = eval(reject, t);
	EXPECT_EQ(r.rets, (std::vector<int>{0, 0, 0, 0, -EOPNOTSUPP, 0, -EFAULT, -EFAULT}));
	EXPECT_TRUE(r.restored.empty());
	// v1's hole (docs/model.md): no RID, so vfio skips iommufd; a later PASID is lost
	lu::outcome h = eval(v1, {preserve_device(0, 4), attach(0, 1, 0), kexec(), dma(0, 1)});
	EXPECT_EQ(h.rets, (std::vector<int>{0, 0, 0, -EFAULT}));
	EXPECT_EQ(h.at_kexec, (std::vector<lu::attachment>{{0, 1, 0}}));
	EXPECT_TRUE(h.restored.empty());
	// without kexec nothing is read back
	EXPECT_TRUE(eval(full, {attach(0, 0, 0)}).at_kexec.empty());
}

TEST(ModelEvaluate, RejectsBadInput)
{
	EXPECT_FALSE(lu::model::evaluate(cfg(), full, {attach(5, 0, 0)}).out);
	EXPECT_FALSE(lu::model::evaluate(cfg(), full, {attach(0, 0, 9)}).out);
	auto c = cfg();
	c.hwpts[2].parent = 2;
	EXPECT_FALSE(lu::model::evaluate(c, full, {kexec()}).out);
	c = cfg();
	c.devices[0].max_pasids = lu::PASID_LIMIT + 1;
	EXPECT_FALSE(lu::model::evaluate(c, full, {kexec()}).out);
	step bad = kexec();
	bad.op = static_cast<op>(lu::all_ops.size());
	EXPECT_FALSE(lu::model::evaluate(cfg(), full, {bad}).out);
	EXPECT_TRUE(lu::model::evaluate(lu::config{}, full, {kexec()}).out);
}

// Random configurations and traces with the edge values of the arguments.
struct gen {
	std::mt19937_64 rng;
	explicit gen(std::uint64_t seed) : rng(seed) {}
	std::uint64_t below(std::uint64_t n) { return std::uniform_int_distribution<std::uint64_t>(0, n - 1)(rng); }

	lu::config config()
	{
		static constexpr std::uint32_t maxp[] = {0, 1, 2, 16, lu::PASID_LIMIT};
		lu::config c;
		const bool shared = below(2);
		for (std::uint32_t d = 0; d < 2; d++)
			c.devices.push_back({shared ? 0 : d * 7, maxp[below(5)]});
		for (std::uint32_t h = 0; h < 3; h++) {
			lu::hwpt_config hc;
			hc.pasid_compat = below(3) != 0;
			hc.sealed = below(6) != 0;
			if (h > 0 && below(3) == 0 && c.hwpts[0].kind == lu::hwpt_kind::paging) {
				hc.kind = lu::hwpt_kind::nested;
				hc.parent = 0;
			}
			c.hwpts.push_back(hc);
		}
		return c;
	}

	step any()
	{
		static constexpr std::uint32_t pasids[] = {0, 0, 1, 5, 15, 16, lu::PASID_LIMIT - 1, lu::PASID_LIMIT,
							   lu::PASID_LIMIT + 5, 0xffffffffu};
		static constexpr std::uint64_t tokens[] = {0, 1, 2, 3, ~std::uint64_t{0}};
		step s;
		s.op = lu::all_ops[below(lu::all_ops.size())];
		if (s.op == op::kexec && below(2))
			s.op = op::attach; // kexec early ends the interesting part
		s.dev = static_cast<std::uint32_t>(below(2));
		s.pasid = pasids[below(std::size(pasids))];
		s.hwpt = static_cast<std::uint32_t>(below(3));
		s.token = tokens[below(std::size(tokens))];
		s.flags = static_cast<std::uint32_t>(below(4));
		return s;
	}
};

// The reference: the Z3-solving simulator on the same relation. 8 steps (one
// unrolled template per variant), 50 traces per preset.
TEST(ModelEvaluate, AgreesWithSolverOnRandomTraces)
{
	gen g(20261124);
	lu::model::simulator sim;
	lu::model::evaluator ev;
	std::size_t kexeced = 0, failures = 0, restored = 0;
	for (const auto &p : lu::presets)
		for (int n = 0; n < 50; n++) {
			const lu::config c = g.config();
			std::vector<step> t;
			// half of them from a prefix that makes a preserve likely to succeed
			if (n % 2)
				t = {mark(0, 1), attach(0, 0, 0), preserve_iommufd(2)};
			while (t.size() < 6)
				t.push_back(g.any());
			t.push_back(n % 4 == 1 ? preserve_device(static_cast<std::uint32_t>(g.below(2)), 3, static_cast<std::uint32_t>(g.below(2)))
					       : g.any());
			t.push_back(g.below(3) ? kexec() : dma(0, 0));
			auto a = ev.run(c, p.variant, t);
			auto b = sim.run(c, p.variant, t);
			ASSERT_TRUE(a.out) << a.error;
			ASSERT_TRUE(b.out) << b.error;
			EXPECT_EQ(a.out->rets, b.out->rets) << p.name << " trace " << n;
			EXPECT_EQ(a.out->at_kexec, b.out->at_kexec) << p.name << " trace " << n;
			EXPECT_EQ(a.out->restored, b.out->restored) << p.name << " trace " << n;
			kexeced += !a.out->at_kexec.empty();
			restored += !a.out->restored.empty();
			failures += std::ranges::count_if(a.out->rets, [](int r) { return r != 0; });
		}
	// the traces exercise something: attachments at kexec, restores, errors
	EXPECT_GT(kexeced, 10u);
	EXPECT_GT(restored, 0u);
	EXPECT_GT(failures, 100u);
}

TEST(ModelEvaluate, SpecialisedProgramsAreSmall)
{
	lu::model::evaluator ev;
	const std::vector<step> t{attach(0, 5, 0)};
	const std::size_t dma_size = ev.program_size(cfg(), full, t, op::dma);
	const std::size_t pd_size = ev.program_size(cfg(), full, t, op::preserve_device);
	EXPECT_GT(dma_size, 0u);
	EXPECT_GT(pd_size, dma_size);
}

// The compiler against Z3: every supported operator on random inputs.
TEST(ModelCompile, AgreesWithZ3OnEveryOperator)
{
	using lu::model::internal::program;
	z3::context c;
	const z3::expr x = c.bv_const("x", 8), y = c.bv_const("y", 8), w = c.bv_const("w", 64), z = c.bv_const("z", 64);
	const z3::expr p = c.bool_const("p"), q = c.bool_const("q");
	std::vector<z3::expr> in{x, y, w, z, p, q};
	std::vector<z3::expr> out{
		x + y, x - y, x * y, -x, ~x, x & y, x | y, x ^ y, z3::ult(x, y), z3::ule(x, y), x < y, x <= y,
		z3::ugt(x, y), z3::uge(x, y), x > y, x >= y, x == y, x != y, z3::ite(p, x, y), p && q, p || q,
		!p, z3::implies(p, q), p ^ q, z3::distinct([&] {
			z3::expr_vector v(c);
			v.push_back(x);
			v.push_back(y);
			v.push_back(x + 1);
			return v;
		}()),
		x.extract(6, 2), z3::concat(x, y), z3::zext(x, 24), z3::sext(x, 24), z3::shl(x, y), z3::lshr(x, y),
		z3::ashr(x, y), w + z, w * z, w - z, z3::slt(w, z), z3::concat(x.extract(3, 0), z.extract(59, 0)),
		z3::sext(x, 56), z3::ashr(w, z), z3::shl(w, z3::zext(y, 56)),
	};
	program prg;
	std::string err;
	ASSERT_TRUE(prg.compile(in, out, &err)) << err;
	std::mt19937_64 rng(7);
	for (int n = 0; n < 300; n++) {
		std::uint64_t vx = rng() & 0xff, vy = n % 3 ? rng() & 0xff : rng() & 7, vw = rng(), vz = n % 2 ? rng() : rng() & 63;
		if (n % 5 == 0)
			vy = vx;
		const std::uint64_t vp = rng() & 1, vq = rng() & 1;
		std::vector<std::uint64_t> vals = prg.fresh();
		const std::uint64_t inv[] = {vx, vy, vw, vz, vp, vq};
		z3::expr_vector from(c), to(c);
		for (std::size_t i = 0; i < in.size(); i++) {
			vals[i] = inv[i];
			from.push_back(in[i]);
			to.push_back(in[i].is_bool() ? c.bool_val(inv[i] != 0) : c.bv_val(inv[i], in[i].get_sort().bv_size()));
		}
		prg.run(vals.data());
		for (std::size_t k = 0; k < out.size(); k++) {
			z3::expr r = out[k].substitute(from, to).simplify();
			const std::uint64_t want = r.is_bool() ? r.is_true() : r.get_numeral_uint64();
			ASSERT_EQ(vals[prg.out(k)], want) << out[k] << " at x=" << vx << " y=" << vy << " w=" << vw << " z=" << vz;
		}
	}
}

TEST(ModelCompile, RefusesWhatItDoesNotKnow)
{
	using lu::model::internal::program;
	z3::context c;
	const z3::expr x = c.bv_const("x", 8), y = c.bv_const("y", 8), big = c.bv_const("big", 128);
	program prg;
	std::string err;
	EXPECT_FALSE(prg.compile({x, y}, {z3::udiv(x, y)}, &err));
	EXPECT_NE(err.find("unsupported operator"), std::string::npos) << err;
	EXPECT_FALSE(prg.compile({x, big}, {big.extract(7, 0) == x}, &err));
	EXPECT_NE(err.find("64 bits"), std::string::npos) << err;
	EXPECT_FALSE(prg.compile({x}, {x == y}, &err)); // y is not an input
	EXPECT_NE(err.find("not an input"), std::string::npos) << err;
	EXPECT_FALSE(prg.compile({x + y}, {x}, &err));
	const z3::expr r = c.real_const("r");
	EXPECT_FALSE(prg.compile({x}, {r > c.real_val(0) && x == 1}, &err));
}

} // namespace
