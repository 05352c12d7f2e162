// SPDX-License-Identifier: GPL-2.0
#include "selection.h"

#include <fmt/format.h>

#include "lu/verify/scenario.h"

namespace lu::cli {

void add_selection_options(CLI::App *cmd, selection *s)
{
	// A variant is named one way: a preset with --variant, or a custom one
	// with --policy, --freeze and --vfio-gate (and --code). CLI11 exits 2 on
	// both (and names the two options).
	auto *variant = cmd->add_option("--variant", s->variants,
					"Preset(s): v1, v2, post-v2, doc-only, reject, ack-flag, full (default: all)");
	for (auto *knob : {cmd->add_option("--policy", s->policy,
					   "silent-drop, reject, ack-flag or full: a custom variant (with --freeze and "
					   "--vfio-gate)"),
			   cmd->add_option("--freeze", s->freeze, "allowed or busy (a custom variant)"),
			   cmd->add_option("--vfio-gate", s->vfio_gate, "rid-only or always (a custom variant)"),
			   cmd->add_option("--code", s->code,
					   "v1, v2 or post-v2: the code a custom variant reads (default post-v2)")})
		knob->excludes(variant);
	cmd->add_option("--property", s->props, "Property id(s) (default: all)");
	// Every number has a range (CLI11 exits 2 outside it) and shows its
	// default in --help: the bounds are what the model encodes (lu/model/prove.h).
	cmd->add_option("--depth", s->depth, "Trace length bound")
		->check(CLI::Range(selection::MIN_DEPTH, selection::MAX_DEPTH))
		->capture_default_str();
	cmd->add_option("--devices", s->devices, "Devices bound")
		->check(CLI::Range(selection::MIN_DEVICES, selection::MAX_DEVICES))
		->capture_default_str();
	cmd->add_option("--hwpts", s->hwpts, "Hwpts bound")
		->check(CLI::Range(selection::MIN_HWPTS, selection::MAX_HWPTS))
		->capture_default_str();
	cmd->add_option("--rlimit", s->rlimit, "Z3 resource limit per check (deterministic; Z3 takes 32 bits)")
		->check(CLI::Range(std::uint64_t{1}, selection::MAX_RLIMIT))
		->capture_default_str();
	cmd->add_option("--jobs", s->jobs, "Threads (one Z3 context each)")
		->check(CLI::Range(1u, selection::MAX_JOBS))
		->capture_default_str();
}

namespace {

// Parse the value of one --@opt into @out with @parse; on an unknown value
// say which values there are and return false. An empty value keeps @out.
template <typename T, typename Parse>
bool parse_knob(std::string_view cmd, std::string_view opt, const std::string &value, Parse parse,
		std::string_view allowed, T *out)
{
	if (value.empty())
		return true;
	auto v = parse(value);
	if (!v) {
		fmt::print(stderr, "{}: --{}: unknown value '{}' ({})\n", cmd, opt, value, allowed);
		return false;
	}
	*out = *v;
	return true;
}

// A custom variant from --policy, --freeze and --vfio-gate (all three) and
// --code (default post-v2, lu::variant's default). CLI11 has refused them
// beside --variant already.
bool resolve_custom(std::string_view cmd, const selection &s, lu::variant *v)
{
	if (s.policy.empty() || s.freeze.empty() || s.vfio_gate.empty()) {
		fmt::print(stderr,
			   "{}: a custom variant needs all of --policy, --freeze and --vfio-gate (--code is optional); "
			   "for a preset, give --variant alone\n",
			   cmd);
		return false;
	}
	return parse_knob(cmd, "policy", s.policy, lu::parse_policy, "silent-drop, reject, ack-flag, full",
			  &v->policy) &&
	       parse_knob(cmd, "freeze", s.freeze, lu::parse_freeze, "allowed, busy", &v->freeze) &&
	       parse_knob(cmd, "vfio-gate", s.vfio_gate, lu::parse_vfio_gate, "rid-only, always", &v->vfio_gate) &&
	       parse_knob(cmd, "code", s.code, lu::parse_version, "v1, v2, post-v2", &v->version);
}

} // namespace

bool resolve_selection(std::string_view cmd, const selection &s, resolved_selection *out)
{
	*out = {};
	if (!s.policy.empty() || !s.freeze.empty() || !s.vfio_gate.empty() || !s.code.empty()) {
		if (!s.variants.empty()) { // CLI11's excludes() catches this first; kept for other callers
			fmt::print(stderr, "{}: --variant names a preset, --policy/--freeze/--vfio-gate/--code a "
					   "custom variant: give one or the other\n",
				   cmd);
			return false;
		}
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
	// The ranges of add_selection_options(), for a selection not from the command line.
	if (s.depth < selection::MIN_DEPTH || s.depth > selection::MAX_DEPTH || s.devices < selection::MIN_DEVICES ||
	    s.devices > selection::MAX_DEVICES || s.hwpts < selection::MIN_HWPTS || s.hwpts > selection::MAX_HWPTS ||
	    s.rlimit < 1 || s.rlimit > selection::MAX_RLIMIT || s.jobs < 1 || s.jobs > selection::MAX_JOBS) {
		fmt::print(stderr,
			   "{}: bounds out of range ({} <= depth <= {}, {} <= devices <= {}, {} <= hwpts <= {}, "
			   "1 <= rlimit <= {}, 1 <= jobs <= {})\n",
			   cmd, selection::MIN_DEPTH, selection::MAX_DEPTH, selection::MIN_DEVICES, selection::MAX_DEVICES,
			   selection::MIN_HWPTS, selection::MAX_HWPTS, selection::MAX_RLIMIT, selection::MAX_JOBS);
		return false;
	}
	out->run.opt.bounds.depth = s.depth;
	out->run.opt.bounds.devices = s.devices;
	out->run.opt.bounds.hwpts = s.hwpts;
	out->run.opt.rlimit = s.rlimit;
	out->run.jobs = s.jobs;
	return true;
}

lu::verify::cell_done_fn count_cells(progress &p, const resolved_selection &sel)
{
	if (!p.enabled())
		return {};
	return [&p, &sel](std::size_t i, double seconds) {
		const auto n = sel.props.size();
		p.done(fmt::format("{} {}", lu::verify::variant_label(sel.variants[i / n]),
				   lu::model::info(sel.props[i % n]).name),
		       seconds);
	};
}

} // namespace lu::cli
