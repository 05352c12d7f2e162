// SPDX-License-Identifier: GPL-2.0
// Observations both sides share: paging_of, devices preserved at kexec, loss
// (docs/semantics.md, "Loss"). Computed here, from the trace and the outcome,
// so that neither side grades itself.
#include <algorithm>
#include <set>

#include "lu/verify/backend.h"

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
