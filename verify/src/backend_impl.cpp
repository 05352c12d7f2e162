// SPDX-License-Identifier: GPL-2.0
// The impl backend: lu::impl::machine, one step at a time. Built twice: into
// lu_verify against lu_impl, and into the mutation runner against
// lu_impl_mutants (LU_IMPL_MUTANTS), so the normal tool never holds a mutant.
#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "lu/impl/machine.h"
#include "lu/verify/backend.h"

namespace lu::verify {

namespace {

class impl_backend final : public backend {
public:
	std::string_view name() const override { return "impl"; }

	run_result run(const lu::config &cfg, const lu::variant &v, const std::vector<lu::step> &trace) const override
	{
		impl::machine_ptr m;
		if (int err = impl::machine::create(cfg, v, &m); err)
			return {std::nullopt, fmt::format("machine::create: {}", errno_name(err))};
		lu::outcome out;
		out.rets.reserve(trace.size());
		for (const auto &s : trace)
			out.rets.push_back(m->run(s));
		out.at_kexec = m->at_kexec();
		out.restored = m->restored();
		return {std::move(out), {}};
	}

	std::optional<state_view> state_after(const lu::config &cfg, const lu::variant &v,
					      const std::vector<lu::step> &trace) const override
	{
		impl::machine_ptr m;
		if (impl::machine::create(cfg, v, &m))
			return std::nullopt;
		for (const auto &s : trace)
			(void)m->run(s);
		return view_of(cfg, m->snapshot());
	}

	std::optional<observed_run> observe(const lu::config &cfg, const lu::variant &v,
					    const std::vector<lu::step> &trace) const override
	{
		impl::machine_ptr m;
		if (impl::machine::create(cfg, v, &m))
			return std::nullopt;
		observed_run r;
		r.config = cfg;
		r.variant = v;
		r.trace = trace;
		r.out.rets.reserve(trace.size());
		r.states.reserve(trace.size() + 1);
		r.states.push_back(view_of(cfg, m->snapshot()));
		for (const auto &s : trace) {
			const bool was_kexeced = m->kexeced();
			r.out.rets.push_back(m->run(s));
			// After kexec only dma runs (every other operation is -ENODEV):
			// the old kernel's state is snapshotted until then and once after.
			if (was_kexeced && s.op == lu::op::dma)
				r.states.push_back(r.states.back());
			else
				r.states.push_back(view_of(cfg, m->snapshot()));
		}
		r.out.at_kexec = m->at_kexec();
		r.out.restored = m->restored();
		return r;
	}

private:
	static state_view view_of(const lu::config &cfg, const impl::machine_state &st)
	{
		state_view sv;
		sv.attachments = st.attachments;
		std::ranges::sort(sv.attachments);
		for (const auto &h : st.hwpts) {
			sv.marked.push_back(h.marked);
			sv.mark_token.push_back(h.marked ? h.token : 0);
			sv.domain_preserved.push_back(h.domain_preserved);
		}
		std::set<std::uint32_t> groups;
		for (const auto &d : cfg.devices)
			groups.insert(d.group);
		for (auto g : groups) {
			int n = 0;
			for (const auto &[gg, c] : st.nr_preserved)
				if (gg == g)
					n = c;
			sv.nr_preserved.emplace_back(g, n);
		}
		sv.devices.resize(cfg.devices.size());
		for (const auto &f : st.files) {
			if (f.iommufd) {
				sv.iommufd_preserved = true;
				sv.iommufd_token = f.token;
				continue;
			}
			if (f.dev >= sv.devices.size())
				continue;
			auto &d = sv.devices[f.dev];
			d.preserved = true;
			d.token = f.token;
			d.flags = f.flags;
			d.has_record = f.has_record;
			d.record = f.has_record ? f.record : std::vector<lu::attachment>{};
			std::ranges::sort(d.record);
		}
		sv.kexeced = st.kexeced;
		return sv;
	}
};

} // namespace

std::unique_ptr<backend> make_impl_backend()
{
	return std::make_unique<impl_backend>();
}

} // namespace lu::verify
