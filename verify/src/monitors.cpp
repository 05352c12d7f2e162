// SPDX-License-Identifier: GPL-2.0
// The property monitors: one function per property of docs/semantics.md
// ("Properties"), each written from the sentence it quotes, on a concrete run
// (the state before and after every step, the outcome). They never read the
// model's formulas (model/src/query.cpp); where a word needs a reading, the
// reading is the one docs/semantics.md gives elsewhere (Loss, "preserved at
// kexec", the order of preserve_device's checks).
#include "lu/verify/monitors.h"

#include <algorithm>
#include <cerrno>
#include <map>

#include <fmt/format.h>

#include "lu/verify/scenario.h"

namespace lu::verify {

namespace {

constexpr std::size_t none = static_cast<std::size_t>(-1);

// kexec(): "Returns 0." The step of the update, or none.
std::size_t kexec_step(const observed_run &r)
{
	for (std::size_t i = 0; i < r.trace.size() && i < r.out.rets.size(); i++)
		if (r.trace[i].op == op::kexec && r.out.rets[i] == 0)
			return i;
	return none;
}

// "A device is preserved at kexec when preserve_device returned 0 for it and
// no later unpreserve_device did": device -> (step of that preserve, its flags).
std::map<std::uint32_t, std::pair<std::size_t, std::uint32_t>> preserved_at_kexec_with_flags(const observed_run &r)
{
	std::map<std::uint32_t, std::pair<std::size_t, std::uint32_t>> m;
	const std::size_t k = kexec_step(r);
	if (k == none)
		return {};
	for (std::size_t i = 0; i < k; i++) {
		const auto &s = r.trace[i];
		if (r.out.rets[i] != 0)
			continue;
		if (s.op == op::preserve_device)
			m[s.dev] = {i, s.flags};
		else if (s.op == op::unpreserve_device)
			m.erase(s.dev);
	}
	return m;
}

std::vector<attachment> attachments_of(const state_view &s, std::uint32_t d)
{
	std::vector<attachment> v;
	for (const auto &a : s.attachments)
		if (a.dev == d)
			v.push_back(a);
	return v;
}

// Loss: "(d, p, h) at kexec survives if restored has (d, p, h') with
// paging_of(h') == paging_of(h)".
bool survives(const observed_run &r, const attachment &a)
{
	return std::ranges::any_of(r.out.restored, [&](const attachment &x) {
		return x.dev == a.dev && x.pasid == a.pasid && paging_of(r.config, x.hwpt) == paging_of(r.config, a.hwpt);
	});
}

std::string at(const observed_run &r, std::size_t i)
{
	return fmt::format("step {} {} = {}", i + 1, format_step(r.trace[i]), errno_name(r.out.rets[i]));
}

bool is_preserved_file_token(const state_view &s, std::uint64_t t)
{
	if (s.iommufd_preserved && s.iommufd_token == t)
		return true;
	return std::ranges::any_of(s.devices, [&](const state_view::device &d) { return d.preserved && d.token == t; });
}

} // namespace

// "no device preserved at kexec without IGNORE_PASID loses an attachment"
std::optional<std::string> monitor_no_silent_pasid_loss(const observed_run &r)
{
	const auto kept = preserved_at_kexec_with_flags(r);
	for (const auto &l : lost_pairs(r.config, r.trace, r.out)) {
		auto it = kept.find(l.dev);
		if (it != kept.end() && !(it->second.second & IOMMU_LU_FLAG_IGNORE_PASID))
			return fmt::format("device {} preserved at {} without IGNORE_PASID loses its attachment at pasid {}",
					   l.dev, at(r, it->second.first), l.pasid);
	}
	return std::nullopt;
}

// "every lost (d, p) has p > 0 and d preserved with IGNORE_PASID"
std::optional<std::string> monitor_loss_only_when_acknowledged(const observed_run &r)
{
	const auto kept = preserved_at_kexec_with_flags(r);
	for (const auto &l : lost_pairs(r.config, r.trace, r.out)) {
		auto it = kept.find(l.dev);
		const bool acked = it != kept.end() && (it->second.second & IOMMU_LU_FLAG_IGNORE_PASID);
		if (l.pasid == 0 || !acked)
			return fmt::format("device {} loses its attachment at pasid {}{}", l.dev, l.pasid,
					   l.pasid == 0 ? " (the RID)" : " without a preserve with IGNORE_PASID");
	}
	return std::nullopt;
}

// "some trace: a device with only a RID attachment to a marked, sealed paging
// hwpt, iommufd preserved first, preserves with 0 and survives"
std::optional<std::string> monitor_rid_only_preservable(const observed_run &r)
{
	for (const auto &[d, pf] : preserved_at_kexec_with_flags(r)) {
		const std::size_t i = pf.first;
		const state_view &before = r.states[i];
		const auto mine = attachments_of(before, d);
		if (mine.size() != 1 || mine[0].pasid != 0)
			continue; // not "only a RID attachment"
		const std::uint32_t h = mine[0].hwpt;
		if (h >= r.config.hwpts.size() || r.config.hwpts[h].kind != hwpt_kind::paging || !r.config.hwpts[h].sealed ||
		    h >= before.marked.size() || !before.marked[h])
			continue; // not a marked, sealed paging hwpt
		if (!before.iommufd_preserved)
			continue; // "iommufd preserved first"
		if (!survives(r, mine[0]))
			continue;
		return fmt::format("device {} with only its RID on marked, sealed paging hwpt {} preserved at {} "
				   "(iommufd preserved first) and its RID survives kexec",
				   d, h, at(r, i));
	}
	return std::nullopt;
}

// "some trace carries a p > 0 attachment across kexec"
std::optional<std::string> monitor_pasid_survives_update(const observed_run &r)
{
	if (kexec_step(r) == none)
		return std::nullopt;
	for (const auto &a : r.out.at_kexec)
		if (a.pasid > 0 && survives(r, a))
			return fmt::format("({}, {}, {}) at kexec survives the update", a.dev, a.pasid, a.hwpt);
	return std::nullopt;
}

// "for every request, two variants that return the same values leave the same
// restored state". The restored state is read as Loss reads translation:
// through the paging domain the DMA walks at stage 2 ("comparing stage 2
// keeps the PASID question apart from the nested one"; a nested hwpt
// restored as its parent is nested-survives' business).
std::optional<std::string> monitor_observable_contract(const observed_run &r, const observed_run &full)
{
	if (r.out.rets != full.out.rets)
		return std::nullopt; // the returns tell the variants apart
	auto stage2 = [](const observed_run &x) {
		std::vector<attachment> v;
		for (const auto &a : x.out.restored)
			v.push_back({a.dev, a.pasid, paging_of(x.config, a.hwpt)});
		std::ranges::sort(v);
		return v;
	};
	if (stage2(r) == stage2(full))
		return std::nullopt;
	return fmt::format("same return values under {} and {}, restored {} and {}", variant_label(r.variant),
			   variant_label(full.variant), format_attachments(r.out.restored),
			   format_attachments(full.out.restored));
}

// "preserve_device with a bit outside the known flags never returns 0 and
// changes nothing, and returns -EINVAL after the token and already-preserved
// checks (steps 1 and 2 come first and keep their -EEXIST and -EBUSY; after
// kexec it is -ENODEV)"
std::optional<std::string> monitor_unknown_flags_rejected(const observed_run &r)
{
	const std::uint32_t known = known_preserve_flags(r.variant.policy);
	for (std::size_t i = 0; i < r.trace.size() && i < r.out.rets.size(); i++) {
		const auto &s = r.trace[i];
		if (s.op != op::preserve_device || !(s.flags & ~known) || s.dev >= r.config.devices.size())
			continue;
		const state_view &before = r.states[i];
		int want = -EINVAL;
		if (before.kexeced)
			want = -ENODEV;
		else if (is_preserved_file_token(before, s.token))
			want = -EEXIST;
		else if (before.devices[s.dev].preserved)
			want = -EBUSY;
		if (r.out.rets[i] != want)
			return fmt::format("{}: unknown flag bits {:#x} must return {}", at(r, i), s.flags & ~known,
					   errno_name(want));
		if (!(r.states[i + 1] == before))
			return fmt::format("{} with unknown flag bits changed the state: {}", at(r, i),
					   describe_state_difference(r.states[i + 1], "after", before, "before"));
	}
	return std::nullopt;
}

// "no step changes the attachments of a device that is preserved before and
// after it"
std::optional<std::string> monitor_preserved_is_frozen(const observed_run &r)
{
	for (std::size_t i = 0; i < r.trace.size() && i < r.out.rets.size(); i++) {
		const state_view &a = r.states[i], &b = r.states[i + 1];
		if (a.kexeced || b.kexeced)
			break; // the old kernel is gone: kexec carries, it does not attach
		for (std::uint32_t d = 0; d < a.devices.size() && d < b.devices.size(); d++) {
			if (!a.devices[d].preserved || !b.devices[d].preserved)
				continue;
			auto x = attachments_of(a, d), y = attachments_of(b, d);
			if (x != y)
				return fmt::format("{} changes the attachments of preserved device {}: {} -> {}", at(r, i), d,
						   format_attachments(x), format_attachments(y));
		}
	}
	return std::nullopt;
}

// "preserve then unpreserve returns counters, marks, session and attachments
// to what they were"
std::optional<std::string> monitor_unpreserve_restores(const observed_run &r)
{
	for (std::size_t i = 0; i + 1 < r.trace.size() && i + 1 < r.out.rets.size(); i++) {
		const auto &p = r.trace[i], &u = r.trace[i + 1];
		const bool pair = r.out.rets[i] == 0 && r.out.rets[i + 1] == 0 &&
				  ((p.op == op::preserve_device && u.op == op::unpreserve_device && p.dev == u.dev) ||
				   (p.op == op::preserve_iommufd && u.op == op::unpreserve_iommufd));
		if (!pair)
			continue;
		if (!(r.states[i + 2] == r.states[i]))
			return fmt::format("{} then {}: {}", at(r, i), at(r, i + 1),
					   describe_state_difference(r.states[i + 2], "after", r.states[i], "before"));
	}
	return std::nullopt;
}

// "every error return leaves the state as it was"
std::optional<std::string> monitor_failure_changes_nothing(const observed_run &r)
{
	for (std::size_t i = 0; i < r.trace.size() && i < r.out.rets.size(); i++)
		if (r.out.rets[i] != 0 && !(r.states[i + 1] == r.states[i]))
			return fmt::format("{} changed the state: {}", at(r, i),
					   describe_state_difference(r.states[i + 1], "after", r.states[i], "before"));
	return std::nullopt;
}

// "the restored attachments are exactly the records (impl:
// restore(serialize(S)) = S)"; kexec(): "restored = the union of the records
// of the preserved devices (a device without a record restores nothing)"
std::optional<std::string> monitor_image_round_trip(const observed_run &r)
{
	const std::size_t k = kexec_step(r);
	if (k == none)
		return std::nullopt;
	std::vector<attachment> records;
	for (const auto &d : r.states[k].devices)
		if (d.preserved && d.has_record)
			records.insert(records.end(), d.record.begin(), d.record.end());
	std::ranges::sort(records);
	auto restored = r.out.restored;
	std::ranges::sort(restored);
	if (restored == records)
		return std::nullopt;
	return fmt::format("records at kexec {}, restored {}", format_attachments(records), format_attachments(restored));
}

// "no nested attachment of a device preserved at kexec is restored as its
// parent"
std::optional<std::string> monitor_nested_survives(const observed_run &r)
{
	const auto kept = preserved_at_kexec_with_flags(r);
	for (const auto &a : r.out.at_kexec) {
		if (!kept.contains(a.dev) || a.hwpt >= r.config.hwpts.size() ||
		    r.config.hwpts[a.hwpt].kind != hwpt_kind::nested)
			continue;
		const std::uint32_t parent = r.config.hwpts[a.hwpt].parent;
		if (std::ranges::find(r.out.restored, attachment{a.dev, a.pasid, parent}) != r.out.restored.end())
			return fmt::format("nested ({}, {}, {}) restored as its parent ({}, {}, {})", a.dev, a.pasid, a.hwpt,
					   a.dev, a.pasid, parent);
	}
	return std::nullopt;
}

// "an attach, replace or detach on a group none of whose devices is preserved
// is not refused with -EBUSY (attach's own -EBUSY for a device already
// attached at that PASID excepted)"
std::optional<std::string> monitor_freeze_lifts(const observed_run &r)
{
	for (std::size_t i = 0; i < r.trace.size() && i < r.out.rets.size(); i++) {
		const auto &s = r.trace[i];
		if ((s.op != op::attach && s.op != op::replace && s.op != op::detach) || r.out.rets[i] != -EBUSY ||
		    s.dev >= r.config.devices.size())
			continue;
		const state_view &before = r.states[i];
		if (before.kexeced)
			continue;
		const std::uint32_t g = r.config.devices[s.dev].group;
		bool any_preserved = false;
		for (std::uint32_t d = 0; d < r.config.devices.size() && d < before.devices.size(); d++)
			any_preserved |= r.config.devices[d].group == g && before.devices[d].preserved;
		if (any_preserved)
			continue;
		if (s.op == op::attach && std::ranges::any_of(before.attachments, [&](const attachment &a) {
			    return a.dev == s.dev && a.pasid == s.pasid;
		    }))
			continue; // attach's own -EBUSY
		return fmt::format("{}: no device of group {} is preserved", at(r, i), g);
	}
	return std::nullopt;
}

std::optional<std::string> run_monitor(lu::model::property p, const observed_run &r, const observed_run *full)
{
	using lu::model::property;
	switch (p) {
	case property::no_silent_pasid_loss: return monitor_no_silent_pasid_loss(r);
	case property::loss_only_when_acknowledged: return monitor_loss_only_when_acknowledged(r);
	case property::rid_only_preservable: return monitor_rid_only_preservable(r);
	case property::pasid_survives_update: return monitor_pasid_survives_update(r);
	case property::observable_contract:
		return full ? monitor_observable_contract(r, *full) : std::nullopt;
	case property::unknown_flags_rejected: return monitor_unknown_flags_rejected(r);
	case property::preserved_is_frozen: return monitor_preserved_is_frozen(r);
	case property::unpreserve_restores: return monitor_unpreserve_restores(r);
	case property::failure_changes_nothing: return monitor_failure_changes_nothing(r);
	case property::image_round_trip: return monitor_image_round_trip(r);
	case property::nested_survives: return monitor_nested_survives(r);
	case property::freeze_lifts: return monitor_freeze_lifts(r);
	}
	return std::nullopt;
}

} // namespace lu::verify
