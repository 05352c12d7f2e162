/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the two concrete runners of the relation (simulate.cpp: Z3 solves an
 * unrolled template; evaluate.cpp: compiled terms) share, private to
 * model/src: input checks, how a concrete trace maps onto the encoding's
 * slots, group ids and step arguments (encoding.h), and the cache of
 * templates.
 */
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "lu/core/trace.h"
#include "lu/core/variant.h"
#include "lu/model/mutant.h"

namespace lu::model::internal {

inline bool uses_dev(lu::op o) { return lu::operands_of(o).dev; }
inline bool uses_hwpt(lu::op o) { return lu::operands_of(o).hwpt; }

/* Bad input for a concrete run, or "" when the config and trace are well-formed. */
inline std::string check_concrete(const lu::config &cfg, const std::vector<lu::step> &trace)
{
	const auto nd = static_cast<unsigned>(cfg.devices.size());
	const auto nh = static_cast<unsigned>(cfg.hwpts.size());
	for (const auto &d : cfg.devices)
		if (d.max_pasids > lu::PASID_LIMIT)
			return "max_pasids above 2^20";
	for (unsigned h = 0; h < nh; ++h) {
		const auto &hc = cfg.hwpts[h];
		if (hc.kind == lu::hwpt_kind::nested &&
		    (hc.parent >= nh || hc.parent == h || cfg.hwpts[hc.parent].kind != lu::hwpt_kind::paging))
			return "hwpt " + std::to_string(h) + ": a nested hwpt needs a paging parent";
	}
	for (std::size_t i = 0; i < trace.size(); ++i) {
		const auto &st = trace[i];
		if (static_cast<unsigned>(st.op) >= lu::all_ops.size())
			return "step " + std::to_string(i) + ": unknown op";
		if (uses_dev(st.op) && st.dev >= nd)
			return "step " + std::to_string(i) + ": no device " + std::to_string(st.dev);
		if (uses_hwpt(st.op) && st.hwpt >= nh)
			return "step " + std::to_string(i) + ": no hwpt " + std::to_string(st.hwpt);
	}
	return "";
}

/* Slot 0 is the RID; slot j > 0 the j-th distinct nonzero table index of the trace. */
inline std::map<std::uint32_t, unsigned> concrete_slots(const std::vector<lu::step> &trace)
{
	std::map<std::uint32_t, unsigned> slot_of{{0, 0}};
	for (const auto &st : trace) {
		const std::uint32_t pi = st.pasid & (lu::PASID_LIMIT - 1);
		if (pi != 0 && !slot_of.count(pi)) {
			const auto j = static_cast<unsigned>(slot_of.size());
			slot_of.emplace(pi, j);
		}
	}
	return slot_of;
}

/* Group ids are labels: renumbered 0, 1, ... in order of first use (a dummy device gets its own). */
inline std::vector<unsigned> concrete_groups(const lu::config &cfg, unsigned devices)
{
	std::map<std::uint32_t, unsigned> gid;
	std::vector<unsigned> out;
	for (unsigned d = 0; d < devices; ++d) {
		const std::uint32_t g = d < cfg.devices.size() ? cfg.devices[d].group : 0xffffffffu;
		out.push_back(gid.emplace(g, static_cast<unsigned>(gid.size())).first->second);
	}
	return out;
}

/* What a runner reads at (device, slot): the hwpt attached and the restored one, as refs (0 = none). */
struct slot_view {
	std::uint64_t attached;
	bool restored;
	std::uint64_t record;
};

/* The attachments at kexec and the restored ones, device by device, slot by slot. */
template <class Read>
void read_attachments(unsigned devices, const std::map<std::uint32_t, unsigned> &slot_of, Read &&read,
		      lu::outcome *out)
{
	for (unsigned d = 0; d < devices; ++d)
		for (const auto &[pi, j] : slot_of) {
			const slot_view v = read(d, j);
			if (v.attached != 0)
				out->at_kexec.push_back({d, pi, static_cast<std::uint32_t>(v.attached - 1)});
			if (v.restored)
				out->restored.push_back({d, pi, static_cast<std::uint32_t>(v.record - 1)});
		}
}

/*
 * Templates built on first use, one per (variant, devices, hwpts, slots or
 * depth) and per model mutant (lu/model/mutant.h): a template holds the
 * relation it was built with, so a mutant selected later gets its own.
 */
template <class T> class template_cache {
public:
	/* @build() returns a std::unique_ptr<T>; it runs once per key. */
	template <class Build>
	T &get(const lu::variant &v, unsigned devices, unsigned hwpts, unsigned n, Build &&build)
	{
		const auto key = std::make_tuple(v.policy, v.freeze, v.vfio_gate, v.version, devices, hwpts, n,
						 lu::model::mutant_selected());
		auto it = map_.find(key);
		if (it == map_.end())
			it = map_.emplace(key, build()).first;
		return *it->second;
	}

private:
	std::map<std::tuple<lu::policy, lu::freeze, lu::vfio_gate, lu::version, unsigned, unsigned, unsigned,
			    lu::model::mutant>,
		 std::unique_ptr<T>>
		map_;
};

} // namespace lu::model::internal
