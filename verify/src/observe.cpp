// SPDX-License-Identifier: GPL-2.0
// Observations both sides share: paging_of, devices preserved at kexec, loss
// (docs/semantics.md, "Loss"). Computed here, from the trace and the outcome,
// so that neither side grades itself.
#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "lu/verify/backend.h"
#include "lu/verify/scenario.h"

namespace lu::verify {

std::uint32_t paging_of(const lu::config &cfg, std::uint32_t h)
{
	if (h < cfg.hwpts.size() && cfg.hwpts[h].kind == hwpt_kind::nested)
		return cfg.hwpts[h].parent;
	return h;
}

std::vector<std::uint32_t> preserved_at_kexec(const std::vector<lu::step> &trace, const std::vector<int> &rets)
{
	std::set<std::uint32_t> preserved;
	for (std::size_t i = 0; i < trace.size() && i < rets.size(); i++) {
		const auto &s = trace[i];
		if (s.op == op::kexec && rets[i] == 0)
			return {preserved.begin(), preserved.end()};
		if (rets[i] != 0)
			continue;
		if (s.op == op::preserve_device)
			preserved.insert(s.dev);
		else if (s.op == op::unpreserve_device)
			preserved.erase(s.dev);
	}
	return {}; // no kexec: nothing was carried, nothing lost
}

std::vector<lost_pair> lost_pairs(const lu::config &cfg, const std::vector<lu::step> &trace, const lu::outcome &out)
{
	auto kept = preserved_at_kexec(trace, out.rets);
	std::vector<lost_pair> lost;
	for (const auto &a : out.at_kexec) {
		if (!std::ranges::binary_search(kept, a.dev))
			continue;
		bool survives = std::ranges::any_of(out.restored, [&](const attachment &r) {
			return r.dev == a.dev && r.pasid == a.pasid && paging_of(cfg, r.hwpt) == paging_of(cfg, a.hwpt);
		});
		if (!survives)
			lost.push_back({a.dev, a.pasid});
	}
	std::ranges::sort(lost);
	lost.erase(std::unique(lost.begin(), lost.end()), lost.end());
	return lost;
}

loss_summary summarize(const std::vector<lost_pair> &lost)
{
	if (lost.empty())
		return loss_summary::intact;
	if (std::ranges::any_of(lost, [](const lost_pair &p) { return p.pasid == 0; }))
		return loss_summary::loses_rid;
	return loss_summary::loses_pasid;
}

} // namespace lu::verify

namespace lu::verify {


std::string describe_state_difference(const state_view &a, std::string_view an, const state_view &b,
				      std::string_view bn)
{
	if (a.attachments != b.attachments)
		return fmt::format("attachments: {} {}, {} {}", an, format_attachments(a.attachments), bn, format_attachments(b.attachments));
	for (std::size_t h = 0; h < std::min(a.marked.size(), b.marked.size()); h++) {
		if (a.marked[h] != b.marked[h] || a.mark_token[h] != b.mark_token[h])
			return fmt::format("hwpt {} mark: {} {}/{}, {} {}/{}", h, an, a.marked[h], a.mark_token[h], bn,
					   b.marked[h], b.mark_token[h]);
		if (a.domain_preserved[h] != b.domain_preserved[h])
			return fmt::format("hwpt {} domain_preserved: {} {}, {} {}", h, an, a.domain_preserved[h], bn,
					   b.domain_preserved[h]);
	}
	if (a.marked.size() != b.marked.size())
		return fmt::format("hwpt count: {} {}, {} {}", an, a.marked.size(), bn, b.marked.size());
	if (a.nr_preserved != b.nr_preserved) {
		for (std::size_t i = 0; i < std::min(a.nr_preserved.size(), b.nr_preserved.size()); i++)
			if (a.nr_preserved[i] != b.nr_preserved[i])
				return fmt::format("group {} nr_liveupdate_preserved: {} {}, {} {}", a.nr_preserved[i].first,
						   an, a.nr_preserved[i].second, bn, b.nr_preserved[i].second);
		return "nr_liveupdate_preserved: group lists differ";
	}
	if (a.iommufd_preserved != b.iommufd_preserved || a.iommufd_token != b.iommufd_token)
		return fmt::format("iommufd preserved: {} {}/{}, {} {}/{}", an, a.iommufd_preserved, a.iommufd_token,
				   bn, b.iommufd_preserved, b.iommufd_token);
	for (std::size_t d = 0; d < std::min(a.devices.size(), b.devices.size()); d++) {
		const auto &x = a.devices[d], &y = b.devices[d];
		if (x.preserved != y.preserved || x.token != y.token || x.flags != y.flags)
			return fmt::format("device {} preserved/token/flags: {} {}/{}/{:#x}, {} {}/{}/{:#x}", d, an,
					   x.preserved, x.token, x.flags, bn, y.preserved, y.token, y.flags);
		if (x.has_record != y.has_record || x.record != y.record)
			return fmt::format("device {} record: {} {}{}, {} {}{}", d, an, x.has_record ? "" : "(none) ",
					   format_attachments(x.record), bn, y.has_record ? "" : "(none) ", format_attachments(y.record));
	}
	if (a.devices.size() != b.devices.size())
		return "device count differs";
	if (a.kexeced != b.kexeced)
		return fmt::format("kexeced: {} {}, {} {}", an, a.kexeced, bn, b.kexeced);
	return {};
}

} // namespace lu::verify
