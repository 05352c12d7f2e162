// SPDX-License-Identifier: GPL-2.0
// evaluate(): a concrete trace through the transition relation's own terms,
// compiled (compile.h) instead of solved. Per (variant, dims, slots) one
// template: machine::transition() over a symbolic configuration, slots,
// pre-state and step; per operation its instance (op code substituted,
// simplified) compiled once; a step is then one run of a flat program.
#include "lu/model/evaluate.h"

#include <array>
#include <map>

#include "compile.h"
#include "concrete.h"
#include "encoding.h"

namespace lu::model {

namespace {

using namespace internal;

std::vector<z3::expr> fields_of(const sym_state &s)
{
	std::vector<z3::expr> v;
	zip_fields(s, s, [&](const z3::expr &x, const z3::expr &) { v.push_back(x); });
	return v;
}

// The initial state, read off machine::initial(): a conjunction that pins
// every field (x = numeral, x, or not x). Anything else is an error.
bool initial_values(const z3::expr &init, const std::vector<z3::expr> &fields, std::vector<std::uint64_t> *out,
		    std::string *err)
{
	std::map<unsigned, std::uint64_t> val; // AST id -> value
	std::vector<z3::expr> todo{init};
	while (!todo.empty()) {
		z3::expr e = todo.back();
		todo.pop_back();
		const Z3_decl_kind k = e.is_app() ? e.decl().decl_kind() : Z3_OP_UNINTERPRETED;
		if (k == Z3_OP_AND) {
			for (unsigned i = 0; i < e.num_args(); ++i)
				todo.push_back(e.arg(i));
		} else if (k == Z3_OP_TRUE) {
			continue;
		} else if (k == Z3_OP_NOT && e.arg(0).is_const() && !e.arg(0).is_numeral()) {
			val[e.arg(0).id()] = 0;
		} else if (k == Z3_OP_EQ && e.arg(0).is_const() && e.arg(1).is_numeral()) {
			val[e.arg(0).id()] = e.arg(1).get_numeral_uint64();
		} else if (e.is_const() && e.is_bool() && !e.is_numeral() && k == Z3_OP_UNINTERPRETED) {
			val[e.id()] = 1;
		} else {
			*err = "initial state: a conjunct that is not a field's value: " + e.to_string();
			return false;
		}
	}
	out->clear();
	for (const auto &f : fields) {
		auto it = val.find(f.id());
		if (it == val.end()) {
			*err = "initial state: no value for " + f.to_string();
			return false;
		}
		out->push_back(it->second);
	}
	return true;
}

struct tmpl {
	std::size_t idx_at = 0, state_at = 0, step_at = 0, nstate = 0, ninputs = 0;
	unsigned slots = 0;
	program cfg_ok;                               // wellformed_config()
	std::array<program, lu::all_ops.size()> step; // per op: ret, wellformed_step, next fields
	program readback;                             // kexeced, then per (d, j): attached, restored, record
	std::vector<std::uint64_t> init;              // the initial state's fields
	// scratch value arrays, one per program (numerals stay in place)
	std::vector<std::uint64_t> v_cfg, v_rb;
	std::array<std::vector<std::uint64_t>, lu::all_ops.size()> v_step;
	std::string error; // the template could not be compiled
};

std::unique_ptr<tmpl> build(z3::context &c, const dims &dm, const lu::variant &v, unsigned K)
{
	auto t = std::make_unique<tmpl>();
	t->slots = K;
	sym_config cfg = make_config(c, dm, "");
	std::vector<z3::expr> inputs;
	auto add = [&](const std::vector<z3::expr> &xs) { inputs.insert(inputs.end(), xs.begin(), xs.end()); };
	add(cfg.group);
	add(cfg.max_pasids);
	add(cfg.vf);
	add(cfg.nested);
	add(cfg.parent);
	add(cfg.compat);
	add(cfg.sealed);
	std::vector<z3::expr> idx{c.bv_val(0, IDX_BITS)};
	t->idx_at = inputs.size();
	for (unsigned j = 1; j < K; ++j) {
		idx.push_back(c.bv_const(("slot" + std::to_string(j)).c_str(), IDX_BITS));
		inputs.push_back(idx.back());
	}
	machine m(c, dm, v, cfg, idx);
	const sym_state s = make_state(c, dm, K, "s_");
	const std::vector<z3::expr> sf = fields_of(s);
	t->state_at = inputs.size();
	t->nstate = sf.size();
	add(sf);
	const sym_step a = make_step(c, dm, "a_");
	t->step_at = inputs.size();
	add({a.op, a.dev, a.pasid, a.hwpt, a.token, a.flags});
	t->ninputs = inputs.size();

	std::string err;
	if (!t->cfg_ok.compile(inputs, {m.wellformed_config()}, &err) || !initial_values(m.initial(s), sf, &t->init, &err)) {
		t->error = err;
		return t;
	}
	const machine::step_result r = m.transition(s, a);
	std::vector<z3::expr> outs{r.ret, m.wellformed_step(a)};
	for (const auto &x : fields_of(r.next))
		outs.push_back(x);
	for (std::size_t o = 0; o < lu::all_ops.size(); ++o) {
		z3::expr_vector from(c), to(c);
		from.push_back(a.op);
		to.push_back(m.op_val(static_cast<lu::op>(o)));
		std::vector<z3::expr> inst;
		for (const auto &x : outs)
			inst.push_back(z3::expr(x).substitute(from, to).simplify());
		if (!t->step[o].compile(inputs, inst, &err)) {
			t->error = err;
			return t;
		}
		t->v_step[o] = t->step[o].fresh();
	}
	std::vector<z3::expr> rb{s.kexeced[0]};
	for (unsigned d = 0; d < dm.devices; ++d)
		for (unsigned j = 0; j < K; ++j) {
			const z3::expr dv = m.dev_val(d);
			rb.push_back(m.attached(s, dv, j));
			rb.push_back(m.restored(s, dv, j));
			rb.push_back(m.record(s, dv, j));
		}
	if (!t->readback.compile(inputs, rb, &err)) {
		t->error = err;
		return t;
	}
	t->v_cfg = t->cfg_ok.fresh();
	t->v_rb = t->readback.fresh();
	return t;
}

} // namespace

struct evaluator::impl {
	z3::context c;
	template_cache<tmpl> cache;

	tmpl &get(const lu::variant &v, const dims &dm, unsigned K)
	{
		return cache.get(v, dm.devices, dm.hwpts, K, [&] { return build(c, dm, v, K); });
	}
};

evaluator::evaluator() : p_(std::make_unique<impl>()) {}
evaluator::~evaluator() = default;

std::size_t evaluator::program_size(const lu::config &cfg, const lu::variant &v, const std::vector<lu::step> &trace,
				    lu::op o)
{
	try {
		const dims dm{std::max<unsigned>(static_cast<unsigned>(cfg.devices.size()), 1u),
			      std::max<unsigned>(static_cast<unsigned>(cfg.hwpts.size()), 1u)};
		tmpl &t = p_->get(v, dm, static_cast<unsigned>(concrete_slots(trace).size()));
		return t.error.empty() ? t.step[static_cast<std::size_t>(o)].size() : 0;
	} catch (const std::exception &) {
		return 0;
	}
}

sim_result evaluator::run(const lu::config &cfg, const lu::variant &v, const std::vector<lu::step> &trace)
{
	if (std::string bad = check_concrete(cfg, trace); !bad.empty())
		return {std::nullopt, bad};
	const auto nd = static_cast<unsigned>(cfg.devices.size());
	const auto nh = static_cast<unsigned>(cfg.hwpts.size());
	try {
		// A dummy device or hwpt fills an empty config; no step can name it.
		const dims dm{std::max(nd, 1u), std::max(nh, 1u)};
		const auto slot_of = concrete_slots(trace);
		const auto K = static_cast<unsigned>(slot_of.size());
		tmpl &t = p_->get(v, dm, K);
		if (!t.error.empty())
			return {std::nullopt, "model: " + t.error};
		// The inputs, in the template's order (build()).
		std::vector<std::uint64_t> in(t.ninputs, 0);
		std::size_t at = 0;
		const auto gid = concrete_groups(cfg, dm.devices);
		for (unsigned d = 0; d < dm.devices; ++d)
			in[at++] = gid[d];
		for (unsigned d = 0; d < dm.devices; ++d)
			in[at++] = d < nd ? cfg.devices[d].max_pasids : 0;
		for (unsigned d = 0; d < dm.devices; ++d)
			in[at++] = d < nd && cfg.devices[d].vf;
		std::vector<lu::hwpt_config> hs;
		for (unsigned h = 0; h < dm.hwpts; ++h)
			hs.push_back(h < nh ? cfg.hwpts[h] : lu::hwpt_config{});
		for (const auto &hc : hs)
			in[at++] = hc.kind == lu::hwpt_kind::nested;
		for (const auto &hc : hs)
			in[at++] = hc.kind == lu::hwpt_kind::nested ? hc.parent + 1 : 0; // ref: 0 none, h + 1
		for (const auto &hc : hs)
			in[at++] = hc.pasid_compat;
		for (const auto &hc : hs)
			in[at++] = hc.sealed;
		for (const auto &[pi, j] : slot_of)
			if (j > 0)
				in[t.idx_at + j - 1] = pi;
		std::copy(t.init.begin(), t.init.end(), in.begin() + static_cast<std::ptrdiff_t>(t.state_at));
		for (std::size_t i = 0; i < t.ninputs; ++i)
			in[i] &= t.cfg_ok.input_mask(i);

		std::copy(in.begin(), in.end(), t.v_cfg.begin());
		t.cfg_ok.run(t.v_cfg.data());
		if (t.v_cfg[t.cfg_ok.out(0)] != 1)
			return {std::nullopt, "model: the configuration is not well-formed"};

		lu::outcome out;
		for (std::size_t i = 0; i < trace.size(); ++i) {
			const auto &st = trace[i];
			const auto o = static_cast<std::size_t>(st.op);
			std::uint64_t *a = in.data() + t.step_at;
			a[0] = o;
			a[1] = uses_dev(st.op) ? st.dev : 0;
			a[2] = st.pasid;
			a[3] = (uses_hwpt(st.op) ? st.hwpt : 0) + 1;
			a[4] = st.token;
			a[5] = st.flags;
			for (std::size_t k = 0; k < 6; ++k)
				a[k] &= t.cfg_ok.input_mask(t.step_at + k);
			const program &p = t.step[o];
			std::vector<std::uint64_t> &vals = t.v_step[o];
			std::copy(in.begin(), in.end(), vals.begin());
			p.run(vals.data());
			if (vals[p.out(1)] != 1)
				return {std::nullopt, "model: step " + std::to_string(i) + " is not well-formed"};
			out.rets.push_back(static_cast<std::int8_t>(static_cast<std::uint8_t>(vals[p.out(0)])));
			for (std::size_t f = 0; f < t.nstate; ++f)
				in[t.state_at + f] = vals[p.out(2 + f)];
		}

		std::copy(in.begin(), in.end(), t.v_rb.begin());
		t.readback.run(t.v_rb.data());
		auto rb = [&](std::size_t k) { return t.v_rb[t.readback.out(k)]; };
		if (rb(0) != 0)
			read_attachments(nd, slot_of, [&](unsigned d, unsigned j) {
				const std::size_t base = 1 + 3 * (static_cast<std::size_t>(d) * K + j);
				return slot_view{rb(base), rb(base + 1) != 0, rb(base + 2)};
			}, &out);
		return {std::move(out), ""};
	} catch (const z3::exception &e) {
		return {std::nullopt, std::string("model: z3: ") + e.msg()};
	} catch (const std::exception &e) {
		return {std::nullopt, std::string("model: ") + e.what()};
	}
}

sim_result evaluate(const lu::config &cfg, const lu::variant &v, const std::vector<lu::step> &trace)
{
	thread_local evaluator ev;
	return ev.run(cfg, v, trace);
}

} // namespace lu::model
