// SPDX-License-Identifier: GPL-2.0
// Scenario files: parser and writer (format: verify/scenarios/README.md).
//
// Conventions in this file: @ln is a 1-based line number, @col a 1-based
// column (bytes), a "word" is a maximal run of non-blank characters with the
// column it starts at. Every malformation throws scenario_error at the word
// that is wrong.
#include "lu/verify/scenario.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <fmt/format.h>

namespace lu::verify {

namespace {

struct errno_entry {
	int value;
	std::string_view name;
};

// Every errno docs/semantics.md uses, plus a few neighbours for reports.
constexpr std::array<errno_entry, 13> errnos{{
	{EPERM, "EPERM"},
	{ENOENT, "ENOENT"},
	{EBADF, "EBADF"},
	{EFAULT, "EFAULT"},
	{ENOMEM, "ENOMEM"},
	{EBUSY, "EBUSY"},
	{EEXIST, "EEXIST"},
	{ENODEV, "ENODEV"},
	{EINVAL, "EINVAL"},
	{ENOSPC, "ENOSPC"},
	{EOPNOTSUPP, "EOPNOTSUPP"},
	{EADDRINUSE, "EADDRINUSE"},
	{EAGAIN, "EAGAIN"},
}};

struct word {
	std::string_view text;
	int col;
};

std::vector<word> split_words(std::string_view line, int first_col = 1)
{
	std::vector<word> out;
	std::size_t i = 0;
	while (i < line.size()) {
		while (i < line.size() && (line[i] == ' ' || line[i] == '\t'))
			i++;
		std::size_t start = i;
		while (i < line.size() && line[i] != ' ' && line[i] != '\t')
			i++;
		if (i > start)
			out.push_back({line.substr(start, i - start), first_col + static_cast<int>(start)});
	}
	return out;
}

std::string_view trim(std::string_view s)
{
	while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
		s.remove_prefix(1);
	while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
		s.remove_suffix(1);
	return s;
}

template <typename T> std::optional<T> parse_number(std::string_view s)
{
	T v{};
	int base = 10;
	if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		s.remove_prefix(2);
		base = 16;
	}
	if (s.empty())
		return std::nullopt;
	auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
	if (ec != std::errc() || p != s.data() + s.size())
		return std::nullopt;
	return v;
}

class parser {
public:
	parser(std::string_view text, const std::string &file) : file_(file)
	{
		std::size_t pos = 0;
		while (pos <= text.size()) {
			std::size_t nl = text.find('\n', pos);
			if (nl == std::string_view::npos) {
				if (pos < text.size())
					lines_.push_back(text.substr(pos));
				break;
			}
			lines_.push_back(text.substr(pos, nl - pos));
			pos = nl + 1;
		}
		for (auto &l : lines_)
			if (!l.empty() && l.back() == '\r')
				l.remove_suffix(1);
	}

	scenario run();

private:
	enum class section { none, about, config, trace, expect };

	[[noreturn]] void fail(int ln, int col, std::string msg) const
	{
		throw scenario_error({file_, ln, col, std::move(msg)});
	}

	void header(int ln, const std::vector<word> &w);
	void config_line(int ln, const std::vector<word> &w);
	void trace_line(int ln, const std::vector<word> &w);
	void expect_line(int ln, std::string_view line);
	void finish();

	std::uint64_t number(int ln, const word &w, std::string_view what, std::uint64_t max) const;
	std::vector<std::uint32_t> tuple(int ln, const word &w, std::size_t n) const;

	std::string file_;
	std::vector<std::string_view> lines_;
	scenario s_;
	section sec_ = section::none;
	bool seen_about_ = false, seen_config_ = false, seen_trace_ = false;
	std::map<std::string, int> labels_; // label -> line it was given on
	std::vector<std::pair<int, expectation>> stars_; // `*` lines, expanded at the end
};

std::uint64_t parser::number(int ln, const word &w, std::string_view what, std::uint64_t max) const
{
	auto v = parse_number<std::uint64_t>(w.text);
	if (!v)
		fail(ln, w.col, fmt::format("{} must be a number, not '{}'", what, w.text));
	if (*v > max)
		fail(ln, w.col, fmt::format("{} {} is out of range (at most {})", what, *v, max));
	return *v;
}

std::vector<std::uint32_t> parser::tuple(int ln, const word &w, std::size_t n) const
{
	std::string_view t = w.text;
	std::string_view shape = n == 2 ? "(dev,pasid)" : "(dev,pasid,hwpt)";
	if (t.size() < 2 || t.front() != '(' || t.back() != ')')
		fail(ln, w.col, fmt::format("expected {} without blanks, not '{}'", shape, t));
	std::vector<std::uint32_t> out;
	std::size_t pos = 1;
	while (pos < t.size()) {
		std::size_t end = t.find_first_of(",)", pos);
		std::string_view part = t.substr(pos, end - pos);
		word pw{part, w.col + static_cast<int>(pos)};
		out.push_back(static_cast<std::uint32_t>(number(ln, pw, "tuple element", UINT32_MAX)));
		pos = end + 1;
	}
	if (out.size() != n)
		fail(ln, w.col, fmt::format("expected {}, got {} elements", shape, out.size()));
	return out;
}

void parser::header(int ln, const std::vector<word> &w)
{
	if (w[0].text != "scenario")
		fail(ln, w[0].col, fmt::format("expected 'scenario NAME' first, not '{}'", w[0].text));
	if (w.size() != 2)
		fail(ln, w.size() < 2 ? w[0].col + 8 : w[2].col, "expected exactly one name after 'scenario'");
	std::string_view name = w[1].text;
	// <variant>+<attachments>+<op>[+...]: at least three non-empty parts
	// made of [a-z0-9-_=.,]; the first names a preset, a policy or "all".
	std::vector<std::string_view> parts;
	std::size_t pos = 0;
	while (true) {
		std::size_t plus = name.find('+', pos);
		parts.push_back(name.substr(pos, plus - pos));
		if (plus == std::string_view::npos)
			break;
		pos = plus + 1;
	}
	int col = w[1].col;
	for (auto p : parts) {
		if (p.empty())
			fail(ln, col, "empty part in name (grammar: <variant>+<attachments>+<op>)");
		for (std::size_t i = 0; i < p.size(); i++) {
			char c = p[i];
			bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
				  c == '=' || c == '.' || c == ',';
			if (!ok)
				fail(ln, col + static_cast<int>(i), fmt::format("character '{}' not allowed in a name", c));
		}
		col += static_cast<int>(p.size()) + 1;
	}
	if (parts.size() < 3)
		fail(ln, w[1].col, "name must be <variant>+<attachments>+<op> (at least three parts)");
	if (parts[0] != "all" && !find_preset(parts[0]) && !parse_policy(parts[0]))
		fail(ln, w[1].col, fmt::format("name must start with a preset, a policy or 'all', not '{}'", parts[0]));
	s_.name = std::string(name);
}

void parser::config_line(int ln, const std::vector<word> &w)
{
	auto index = [&](std::size_t expected) {
		if (w.size() < 2)
			fail(ln, w[0].col + static_cast<int>(w[0].text.size()) + 1,
			     fmt::format("expected an index after '{}'", w[0].text));
		auto v = number(ln, w[1], "index", UINT32_MAX);
		if (v != expected)
			fail(ln, w[1].col, fmt::format("{} indices count from 0 in order: expected {}, got {}",
						       w[0].text, expected, v));
	};
	// The limits (scenario.h) stop a file before it asks for minutes of work.
	auto limit = [&](std::size_t have, std::size_t max, std::string_view what) {
		if (have >= max)
			fail(ln, w[0].col, fmt::format("more than {} {} (the limit of a scenario file)", max, what));
	};
	if (w[0].text == "device") {
		limit(s_.config.devices.size(), SCENARIO_MAX_DEVICES, "devices");
		index(s_.config.devices.size());
		device_config d;
		std::set<std::string_view> seen;
		for (std::size_t i = 2; i < w.size(); i++) {
			auto eq = w[i].text.find('=');
			std::string_view key = w[i].text.substr(0, eq);
			if (!seen.insert(key).second)
				fail(ln, w[i].col, fmt::format("'{}' given twice", key));
			if (key == "vf" && eq == std::string_view::npos) {
				d.vf = true;
				continue;
			}
			if (eq == std::string_view::npos)
				fail(ln, w[i].col, fmt::format("expected key=value or vf, not '{}'", w[i].text));
			word val{w[i].text.substr(eq + 1), w[i].col + static_cast<int>(eq) + 1};
			if (key == "group")
				d.group = static_cast<std::uint32_t>(number(ln, val, "group", UINT32_MAX));
			else if (key == "max_pasids")
				d.max_pasids = static_cast<std::uint32_t>(number(ln, val, "max_pasids", PASID_LIMIT));
			else
				fail(ln, w[i].col, fmt::format("unknown device key '{}' (group, max_pasids, vf)", key));
		}
		s_.config.devices.push_back(d);
	} else if (w[0].text == "hwpt") {
		limit(s_.config.hwpts.size(), SCENARIO_MAX_HWPTS, "hwpts");
		index(s_.config.hwpts.size());
		if (w.size() < 3)
			fail(ln, w[1].col + static_cast<int>(w[1].text.size()) + 1, "expected 'paging' or 'nested'");
		hwpt_config h;
		if (w[2].text == "paging")
			h.kind = hwpt_kind::paging;
		else if (w[2].text == "nested")
			h.kind = hwpt_kind::nested;
		else
			fail(ln, w[2].col, fmt::format("expected 'paging' or 'nested', not '{}'", w[2].text));
		bool has_parent = false, has_seal = false;
		for (std::size_t i = 3; i < w.size(); i++) {
			std::string_view t = w[i].text;
			if (t == "pasid_compat") {
				if (h.pasid_compat)
					fail(ln, w[i].col, "'pasid_compat' given twice");
				h.pasid_compat = true;
			} else if (t == "sealed" || t == "unsealed") {
				if (h.kind != hwpt_kind::paging)
					fail(ln, w[i].col, fmt::format("'{}' applies to paging hwpts only", t));
				if (has_seal)
					fail(ln, w[i].col, "'sealed'/'unsealed' given twice");
				has_seal = true;
				h.sealed = t == "sealed";
			} else if (t.starts_with("parent=")) {
				if (h.kind != hwpt_kind::nested)
					fail(ln, w[i].col, "only a nested hwpt has a parent");
				if (has_parent)
					fail(ln, w[i].col, "'parent' given twice");
				has_parent = true;
				word val{t.substr(7), w[i].col + 7};
				auto p = number(ln, val, "parent", UINT32_MAX);
				if (p >= s_.config.hwpts.size() || s_.config.hwpts[p].kind != hwpt_kind::paging)
					fail(ln, val.col, fmt::format("parent {} is not an earlier paging hwpt", p));
				h.parent = static_cast<std::uint32_t>(p);
			} else {
				fail(ln, w[i].col,
				     fmt::format("unknown hwpt attribute '{}' (pasid_compat, sealed, unsealed, parent=N)", t));
			}
		}
		if (h.kind == hwpt_kind::nested && !has_parent)
			fail(ln, w[2].col, "a nested hwpt needs parent=N");
		s_.config.hwpts.push_back(h);
	} else {
		fail(ln, w[0].col, fmt::format("expected 'device' or 'hwpt' in config, not '{}'", w[0].text));
	}
}

// Which keys each operation takes (docs/semantics.md), required unless optional.
struct op_keys {
	std::vector<std::string_view> required;
	std::vector<std::string_view> optional;
};

op_keys keys_of(op o)
{
	const operands a = operands_of(o);
	op_keys k;
	for (auto [used, key] : {std::pair{a.dev, "dev"}, {a.pasid, "pasid"}, {a.hwpt, "hwpt"}, {a.token, "token"}})
		if (used)
			k.required.push_back(key);
	if (a.flags)
		k.optional.push_back("flags");
	return k;
}

void parser::trace_line(int ln, const std::vector<word> &w)
{
	if (s_.trace.size() >= SCENARIO_MAX_STEPS)
		fail(ln, w[0].col,
		     fmt::format("more than {} steps (the limit of a scenario file)", SCENARIO_MAX_STEPS));
	auto o = parse_op(w[0].text);
	if (!o)
		fail(ln, w[0].col, fmt::format("unknown operation '{}'", w[0].text));
	step st;
	st.op = *o;
	op_keys keys = keys_of(*o);
	std::set<std::string_view> seen;
	for (std::size_t i = 1; i < w.size(); i++) {
		auto eq = w[i].text.find('=');
		if (eq == std::string_view::npos)
			fail(ln, w[i].col, fmt::format("expected key=value, not '{}'", w[i].text));
		std::string_view key = w[i].text.substr(0, eq);
		word val{w[i].text.substr(eq + 1), w[i].col + static_cast<int>(eq) + 1};
		bool known = std::ranges::find(keys.required, key) != keys.required.end() ||
			     std::ranges::find(keys.optional, key) != keys.optional.end();
		if (!known)
			fail(ln, w[i].col, fmt::format("{} takes no '{}'", w[0].text, key));
		if (!seen.insert(key).second)
			fail(ln, w[i].col, fmt::format("'{}' given twice", key));
		if (key == "dev") {
			auto d = number(ln, val, "dev", UINT32_MAX);
			if (d >= s_.config.devices.size())
				fail(ln, val.col, fmt::format("no device {} in config", d));
			st.dev = static_cast<std::uint32_t>(d);
		} else if (key == "hwpt") {
			auto h = number(ln, val, "hwpt", UINT32_MAX);
			if (h >= s_.config.hwpts.size())
				fail(ln, val.col, fmt::format("no hwpt {} in config", h));
			st.hwpt = static_cast<std::uint32_t>(h);
		} else if (key == "pasid") {
			st.pasid = static_cast<std::uint32_t>(number(ln, val, "pasid", UINT32_MAX));
		} else if (key == "token") {
			st.token = number(ln, val, "token", UINT64_MAX);
		} else if (key == "flags") {
			// a number, or names joined by '|': IGNORE_PASID
			if (val.text == "IGNORE_PASID")
				st.flags = IOMMU_LU_FLAG_IGNORE_PASID;
			else
				st.flags = static_cast<std::uint32_t>(number(ln, val, "flags", UINT32_MAX));
		}
	}
	for (auto k : keys.required)
		if (!seen.contains(k))
			fail(ln, w[0].col, fmt::format("{} needs '{}='", w[0].text, k));
	s_.trace.push_back(st);
	s_.trace_lines.push_back(ln);
}

void parser::expect_line(int ln, std::string_view line)
{
	// expect LABEL[,LABEL...]: CLAUSE [| CLAUSE ...]
	std::size_t kw = line.find("expect");
	std::size_t colon = line.find(':');
	if (colon == std::string_view::npos)
		fail(ln, static_cast<int>(line.size()) + 1, "expected ':' after the variants of an expect line");
	std::size_t lpos = kw + 6;
	std::string_view labels = line.substr(lpos, colon - lpos);
	if (trim(labels).empty())
		fail(ln, static_cast<int>(colon) + 1, "expected a variant before ':'");

	expectation proto;
	proto.line = ln;
	// clauses
	std::size_t pos = colon + 1;
	std::set<std::string_view> seen_clauses;
	bool any = false;
	while (pos <= line.size()) {
		std::size_t bar = line.find('|', pos);
		std::size_t end = bar == std::string_view::npos ? line.size() : bar;
		auto w = split_words(line.substr(pos, end - pos), static_cast<int>(pos) + 1);
		if (w.empty())
			fail(ln, static_cast<int>(pos) + 1, "empty clause");
		std::string_view k = w[0].text;
		if (!seen_clauses.insert(k == "loses-pasid" || k == "loses-rid" ? "intact" : k).second)
			fail(ln, w[0].col, fmt::format("clause '{}' given twice", k));
		auto no_args = [&] {
			if (w.size() > 1)
				fail(ln, w[1].col, fmt::format("'{}' takes no arguments", k));
		};
		if (k == "rets") {
			std::vector<std::optional<int>> rets;
			for (std::size_t i = 1; i < w.size(); i++) {
				if (w[i].text == "_") {
					rets.push_back(std::nullopt);
					continue;
				}
				if (w[i].text == "ERR") {
					rets.push_back(RET_ANY_ERROR);
					continue;
				}
				auto r = parse_errno(w[i].text);
				if (!r)
					fail(ln, w[i].col,
					     fmt::format("expected a return value (0, -EINVAL, -22, _ or ERR), not '{}'", w[i].text));
				rets.push_back(*r);
			}
			if (rets.size() != s_.trace.size())
				fail(ln, w[0].col, fmt::format("'rets' has {} values for {} steps", rets.size(),
							       s_.trace.size()));
			proto.rets = std::move(rets);
		} else if (k == "intact") {
			no_args();
			proto.summary = loss_summary::intact;
		} else if (k == "loses-pasid") {
			no_args();
			proto.summary = loss_summary::loses_pasid;
		} else if (k == "loses-rid") {
			no_args();
			proto.summary = loss_summary::loses_rid;
		} else if (k == "lost" || k == "at-kexec" || k == "restored") {
			bool pairs = k == "lost";
			if (w.size() < 2)
				fail(ln, w[0].col, fmt::format("'{}' needs 'none' or tuples", k));
			std::vector<lost_pair> lp;
			std::vector<attachment> at;
			if (w.size() == 2 && w[1].text == "none") {
				// empty set
			} else {
				for (std::size_t i = 1; i < w.size(); i++) {
					auto t = tuple(ln, w[i], pairs ? 2 : 3);
					if (pairs)
						lp.push_back({t[0], t[1]});
					else
						at.push_back({t[0], t[1], t[2]});
				}
			}
			std::ranges::sort(lp);
			std::ranges::sort(at);
			if (k == "lost")
				proto.lost = lp;
			else if (k == "at-kexec")
				proto.at_kexec = at;
			else
				proto.restored = at;
		} else {
			fail(ln, w[0].col,
			     fmt::format("unknown clause '{}' (rets, intact, loses-pasid, loses-rid, lost, at-kexec, restored)", k));
		}
		any = true;
		if (bar == std::string_view::npos)
			break;
		pos = bar + 1;
	}
	if (!any)
		fail(ln, static_cast<int>(colon) + 2, "expected at least one clause");

	// labels
	auto lw = split_words(std::string_view(line).substr(lpos, colon - lpos), static_cast<int>(lpos) + 1);
	std::vector<word> items;
	for (const auto &w : lw) {
		std::size_t p = 0;
		while (p <= w.text.size()) {
			std::size_t c = w.text.find(',', p);
			std::size_t e = c == std::string_view::npos ? w.text.size() : c;
			if (e > p)
				items.push_back({w.text.substr(p, e - p), w.col + static_cast<int>(p)});
			if (c == std::string_view::npos)
				break;
			p = c + 1;
		}
	}
	for (const auto &it : items) {
		if (it.text == "*") {
			if (!stars_.empty())
				fail(ln, it.col, fmt::format("'*' already used on line {}", stars_.front().first));
			stars_.push_back({ln, proto});
			continue;
		}
		auto v = parse_variant_label(it.text);
		if (!v)
			fail(ln, it.col,
			     fmt::format("unknown variant '{}' (a preset, policy/freeze/gate[/code], or *)", it.text));
		std::string label = variant_label(*v);
		if (auto prev = labels_.find(label); prev != labels_.end())
			fail(ln, it.col, fmt::format("variant '{}' already expected on line {}", label, prev->second));
		labels_[label] = ln;
		expectation e = proto;
		e.label = label;
		e.variant = *v;
		s_.expects.push_back(std::move(e));
	}
}

void parser::finish()
{
	int ln = static_cast<int>(lines_.size()) + 1;
	if (s_.name.empty())
		fail(ln, 1, "missing 'scenario NAME' line");
	if (!seen_about_)
		fail(ln, 1, "missing 'about:' section");
	if (s_.about.empty())
		fail(ln, 1, "the 'about:' section is empty: say what the scenario shows");
	if (!seen_config_)
		fail(ln, 1, "missing 'config:' section");
	if (!seen_trace_)
		fail(ln, 1, "missing 'trace:' section");
	if (s_.trace.empty())
		fail(ln, 1, "the trace has no step");
	if (s_.expects.empty() && stars_.empty())
		fail(ln, 1, "missing 'expect' line");
	if (!stars_.empty()) {
		bool any = false;
		for (const auto &p : presets) {
			std::string label(p.name);
			if (labels_.contains(label))
				continue;
			expectation e = stars_.front().second;
			e.label = label;
			e.variant = p.variant;
			s_.expects.push_back(std::move(e));
			any = true;
		}
		if (!any)
			fail(stars_.front().first, 1, "'*' matches no preset: every preset has its own line");
	}
}

scenario parser::run()
{
	s_.file = file_;
	for (std::size_t i = 0; i < lines_.size(); i++) {
		int ln = static_cast<int>(i) + 1;
		std::string_view line = lines_[i];
		// Plain text only: a control character (a stray CR, a NUL) would
		// not survive a round trip through format_scenario() unchanged.
		if (const auto bad = std::ranges::find_if(
			    line, [](char ch) { return (static_cast<unsigned char>(ch) < 0x20 && ch != '\t') || ch == 0x7f; });
		    bad != line.end())
			fail(ln, static_cast<int>(bad - line.begin()) + 1,
			     fmt::format("control character 0x{:02x}: a scenario is plain text",
					 static_cast<unsigned char>(*bad)));
		std::string_view t = trim(line);
		if (t.empty() || t.front() == '#') {
			if (sec_ == section::about && t.empty() && !s_.about.empty())
				s_.about += "\n";
			continue;
		}
		auto w = split_words(line);
		// section headers
		if (sec_ == section::none) {
			header(ln, w);
			sec_ = section::about; // only 'about:' may follow
			continue;
		}
		if (w[0].text == "about:" || w[0].text == "config:" || w[0].text == "trace:") {
			if (w.size() > 1)
				fail(ln, w[1].col, fmt::format("nothing may follow '{}' on its line", w[0].text));
			if (w[0].text == "about:") {
				if (seen_about_)
					fail(ln, w[0].col, "'about:' given twice");
				seen_about_ = true;
				sec_ = section::about;
			} else if (w[0].text == "config:") {
				if (!seen_about_)
					fail(ln, w[0].col, "expected 'about:' before 'config:'");
				if (seen_config_)
					fail(ln, w[0].col, "'config:' given twice");
				seen_config_ = true;
				sec_ = section::config;
			} else {
				if (!seen_config_)
					fail(ln, w[0].col, "expected 'config:' before 'trace:'");
				if (seen_trace_)
					fail(ln, w[0].col, "'trace:' given twice");
				seen_trace_ = true;
				sec_ = section::trace;
			}
			continue;
		}
		if (w[0].text == "expect" || w[0].text.starts_with("expect")) {
			if (w[0].text != "expect")
				fail(ln, w[0].col, "write 'expect VARIANT: ...' with a blank after 'expect'");
			if (!seen_trace_ || s_.trace.empty())
				fail(ln, w[0].col, "an 'expect' line must follow a non-empty 'trace:'");
			sec_ = section::expect;
			expect_line(ln, line);
			continue;
		}
		switch (sec_) {
		case section::about:
			if (!seen_about_)
				fail(ln, w[0].col, "expected 'about:'");
			// lines joined by '\n'; each blank line above added one more
			if (!s_.about.empty())
				s_.about += "\n";
			s_.about += std::string(t);
			break;
		case section::config: config_line(ln, w); break;
		case section::trace: trace_line(ln, w); break;
		case section::expect:
			fail(ln, w[0].col, fmt::format("expected another 'expect' line, not '{}'", w[0].text));
		case section::none: break;
		}
	}
	while (!s_.about.empty() && s_.about.back() == '\n')
		s_.about.pop_back();
	finish();
	return std::move(s_);
}

} // namespace

std::string_view name(loss_summary s)
{
	switch (s) {
	case loss_summary::intact: return "intact";
	case loss_summary::loses_pasid: return "loses-pasid";
	case loss_summary::loses_rid: return "loses-rid";
	}
	return "?";
}

std::string diagnostic::str() const
{
	return fmt::format("{}:{}:{}: {}", file, line, column, message);
}

scenario_error::scenario_error(diagnostic d) : std::runtime_error(d.str()), diag_(std::move(d)) {}

scenario parse_scenario(std::string_view text, const std::string &file)
{
	return parser(text, file).run();
}

scenario load_scenario(const std::string &path)
{
	// The errno of a failed open or read (libstdc++ leaves it), when there is one.
	auto cannot_read = [&path] {
		int err = errno;
		return scenario_error({path, 0, 0, err ? fmt::format("cannot read the file: {}", std::strerror(err))
						       : std::string("cannot read the file")});
	};
	errno = 0;
	std::ifstream in(path, std::ios::binary);
	if (!in)
		throw cannot_read();
	// At most one byte past the limit, so that /dev/zero or a huge file stops at once.
	std::string text(SCENARIO_MAX_BYTES + 1, '\0');
	in.read(text.data(), static_cast<std::streamsize>(text.size()));
	if (in.bad())
		throw cannot_read();
	text.resize(static_cast<std::size_t>(in.gcount()));
	if (text.size() > SCENARIO_MAX_BYTES)
		throw scenario_error({path, 0, 0,
				      fmt::format("longer than {} bytes (the limit of a scenario file)",
						  SCENARIO_MAX_BYTES)});
	return parse_scenario(text, path);
}

std::string errno_name(int ret)
{
	if (ret == 0)
		return "0";
	for (const auto &e : errnos)
		if (-e.value == ret)
			return fmt::format("-{}", e.name);
	return std::to_string(ret);
}

std::optional<int> parse_errno(std::string_view s)
{
	if (s.size() > 2 && s[0] == '-' && s[1] == 'E') {
		for (const auto &e : errnos)
			if (s.substr(1) == e.name)
				return -e.value;
		return std::nullopt;
	}
	std::string_view digits = s;
	bool neg = !digits.empty() && digits[0] == '-';
	if (neg)
		digits.remove_prefix(1);
	auto v = parse_number<int>(digits);
	if (!v || digits.starts_with("0x"))
		return std::nullopt;
	return neg ? -*v : *v;
}

std::string variant_label(const lu::variant &v)
{
	std::string_view n = name(v);
	if (n != "custom")
		return std::string(n);
	// The code version is written only where it is not post-v2, the code of
	// every custom variant before versions existed (so old files keep meaning).
	std::string label = fmt::format("{}/{}/{}", name(v.policy), name(v.freeze), name(v.vfio_gate));
	if (v.version != lu::version::post_v2)
		label += fmt::format("/{}", name(v.version));
	return label;
}

std::optional<lu::variant> parse_variant_label(std::string_view s)
{
	if (auto p = find_preset(s))
		return p;
	lu::version code = lu::version::post_v2; // policy/freeze/gate[/code]
	if (std::count(s.begin(), s.end(), '/') == 3) {
		std::size_t last = s.rfind('/');
		auto c = parse_version(s.substr(last + 1));
		if (!c)
			return std::nullopt;
		code = *c;
		s = s.substr(0, last);
	}
	std::size_t a = s.find('/');
	if (a == std::string_view::npos)
		return std::nullopt;
	std::size_t b = s.find('/', a + 1);
	if (b == std::string_view::npos)
		return std::nullopt;
	auto p = parse_policy(s.substr(0, a));
	auto f = parse_freeze(s.substr(a + 1, b - a - 1));
	auto g = parse_vfio_gate(s.substr(b + 1));
	if (!p || !f || !g)
		return std::nullopt;
	return lu::variant{*p, *f, *g, code};
}

std::string format_step(const lu::step &s)
{
	std::string out(name(s.op));
	const operands a = operands_of(s.op);
	if (a.dev)
		out += fmt::format(" dev={}", s.dev);
	if (a.pasid)
		out += fmt::format(" pasid={}", s.pasid);
	if (a.hwpt)
		out += fmt::format(" hwpt={}", s.hwpt);
	if (a.token)
		out += fmt::format(" token={}", s.token);
	if (a.flags && s.flags == IOMMU_LU_FLAG_IGNORE_PASID)
		out += " flags=IGNORE_PASID";
	else if (a.flags && s.flags)
		out += fmt::format(" flags={:#x}", s.flags);
	return out;
}

std::string format_attachments(const std::vector<attachment> &v)
{
	if (v.empty())
		return "none";
	std::string out;
	for (const auto &a : v)
		out += fmt::format("{}({},{},{})", out.empty() ? "" : " ", a.dev, a.pasid, a.hwpt);
	return out;
}

namespace {

} // namespace

std::string format_scenario(const scenario &s)
{
	std::string out = fmt::format("scenario {}\nabout:\n", s.name);
	std::istringstream about(s.about);
	for (std::string l; std::getline(about, l);)
		out += l.empty() ? "\n" : fmt::format("  {}\n", l);
	out += "config:\n";
	for (std::size_t i = 0; i < s.config.devices.size(); i++)
		out += fmt::format("  device {} group={} max_pasids={}{}\n", i, s.config.devices[i].group,
				   s.config.devices[i].max_pasids, s.config.devices[i].vf ? " vf" : "");
	for (std::size_t i = 0; i < s.config.hwpts.size(); i++) {
		const auto &h = s.config.hwpts[i];
		out += fmt::format("  hwpt {} {}", i, h.kind == hwpt_kind::paging ? "paging" : "nested");
		if (h.kind == hwpt_kind::nested)
			out += fmt::format(" parent={}", h.parent);
		if (h.pasid_compat)
			out += " pasid_compat";
		if (h.kind == hwpt_kind::paging && !h.sealed)
			out += " unsealed";
		out += "\n";
	}
	out += "trace:\n";
	for (const auto &st : s.trace)
		out += fmt::format("  {}\n", format_step(st));
	for (const auto &e : s.expects) {
		std::vector<std::string> clauses;
		if (e.rets) {
			std::string r = "rets";
			for (const auto &x : *e.rets)
				r += fmt::format(" {}", !x ? std::string("_") : *x == RET_ANY_ERROR ? std::string("ERR") : errno_name(*x));
			clauses.push_back(r);
		}
		if (e.summary)
			clauses.emplace_back(name(*e.summary));
		if (e.lost) {
			std::string l = "lost";
			if (e.lost->empty())
				l += " none";
			for (const auto &p : *e.lost)
				l += fmt::format(" ({},{})", p.dev, p.pasid);
			clauses.push_back(l);
		}
		if (e.at_kexec)
			clauses.push_back("at-kexec " + format_attachments(*e.at_kexec));
		if (e.restored)
			clauses.push_back("restored " + format_attachments(*e.restored));
		out += fmt::format("expect {}: {}\n", e.label, fmt::join(clauses, " | "));
	}
	return out;
}

} // namespace lu::verify
