// SPDX-License-Identifier: GPL-2.0
#include "selection.h"

#include <fmt/format.h>

namespace lu::cli {

void add_selection_options(CLI::App *cmd, selection *s)
{
	cmd->add_option("--variant", s->variants,
			"Preset(s): v1, v2, post-v2, doc-only, reject, ack-flag, full (default: all)");
	cmd->add_option("--policy", s->policy, "silent-drop, reject, ack-flag or full (a custom variant)");
	cmd->add_option("--freeze", s->freeze, "allowed or busy");
	cmd->add_option("--vfio-gate", s->vfio_gate, "rid-only or always");
	cmd->add_option("--code", s->code, "v1, v2 or post-v2: the code a custom variant reads (default post-v2)");
	cmd->add_option("--property", s->props, "Property id(s) (default: all)");
	cmd->add_option("--depth", s->depth, "Trace length bound (default 8)");
	cmd->add_option("--devices", s->devices, "Devices bound (default 2)");
	cmd->add_option("--hwpts", s->hwpts, "Hwpts bound (default 3)");
	cmd->add_option("--rlimit", s->rlimit, "Z3 resource limit per check (deterministic)");
	cmd->add_option("--jobs", s->jobs, "Threads (default 2)");
}

namespace {

// A variant from --policy/--freeze/--vfio-gate, each modifying --variant (or
// all three given, without a --variant).
bool resolve_custom(std::string_view cmd, const selection &s, lu::variant *v)
{
	if (s.variants.size() > 1) {
		fmt::print(stderr, "{}: --policy/--freeze/--vfio-gate modify one --variant\n", cmd);
		return false;
	}
	if (!s.variants.empty()) {
		auto p = lu::find_preset(s.variants[0]);
		if (!p) {
			fmt::print(stderr, "{}: unknown variant '{}'\n", cmd, s.variants[0]);
			return false;
		}
		*v = *p;
	} else if (s.policy.empty() || s.freeze.empty() || s.vfio_gate.empty()) {
		// a custom variant's code defaults to post-v2 (lu::variant's default)
		fmt::print(stderr, "{}: without --variant, give all of --policy, --freeze and --vfio-gate\n", cmd);
		return false;
	}
	if (!s.policy.empty()) {
		auto p = lu::parse_policy(s.policy);
		if (!p) {
			fmt::print(stderr, "{}: unknown policy '{}' (silent-drop, reject, ack-flag, full)\n", cmd, s.policy);
			return false;
		}
		v->policy = *p;
	}
	if (!s.freeze.empty()) {
		auto f = lu::parse_freeze(s.freeze);
		if (!f) {
			fmt::print(stderr, "{}: unknown freeze '{}' (allowed, busy)\n", cmd, s.freeze);
			return false;
		}
		v->freeze = *f;
	}
	if (!s.vfio_gate.empty()) {
		auto g = lu::parse_vfio_gate(s.vfio_gate);
		if (!g) {
			fmt::print(stderr, "{}: unknown vfio gate '{}' (rid-only, always)\n", cmd, s.vfio_gate);
			return false;
		}
		v->vfio_gate = *g;
	}
	if (!s.code.empty()) {
		auto c = lu::parse_version(s.code);
		if (!c) {
			fmt::print(stderr, "{}: unknown code version '{}' (v1, v2, post-v2)\n", cmd, s.code);
			return false;
		}
		v->version = *c;
	}
	return true;
}

} // namespace

bool resolve_selection(std::string_view cmd, const selection &s, resolved_selection *out)
{
	*out = {};
	if (!s.policy.empty() || !s.freeze.empty() || !s.vfio_gate.empty() || !s.code.empty()) {
		lu::variant v{};
		if (!resolve_custom(cmd, s, &v))
			return false;
		out->variants.push_back(v);
	} else if (s.variants.empty()) {
		for (const auto &p : lu::presets)
			out->variants.push_back(p.variant);
	} else {
		for (const auto &n : s.variants) {
			auto p = lu::find_preset(n);
			if (!p) {
				fmt::print(stderr, "{}: unknown variant '{}' (v1, v2, post-v2, doc-only, reject, ack-flag, full)\n",
					   cmd, n);
				return false;
			}
			out->variants.push_back(*p);
		}
	}
	if (s.props.empty())
		for (const auto &p : lu::model::properties)
			out->props.push_back(p.id);
	for (const auto &n : s.props) {
		auto p = lu::model::parse_property(n);
		if (!p) {
			fmt::print(stderr, "{}: unknown property '{}'\n", cmd, n);
			return false;
		}
		out->props.push_back(*p);
	}
	if (s.depth < 1 || s.depth > 64 || s.devices < 1 || s.devices > 4 || s.hwpts < 2 || s.hwpts > 6) {
		fmt::print(stderr, "{}: bounds out of range (1 <= depth <= 64, 1 <= devices <= 4, 2 <= hwpts <= 6)\n",
			   cmd);
		return false;
	}
	out->run.opt.bounds.depth = s.depth;
	out->run.opt.bounds.devices = s.devices;
	out->run.opt.bounds.hwpts = s.hwpts;
	out->run.opt.rlimit = s.rlimit;
	out->run.jobs = s.jobs;
	return true;
}

} // namespace lu::cli
