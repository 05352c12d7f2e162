// SPDX-License-Identifier: GPL-2.0
// libFuzzer target: the scenario parser (verify/src/scenario.cpp) must
// either return a scenario within the limits of lu/verify/scenario.h or
// throw scenario_error saying where (a line of the input) and what; nothing
// else (no other exception, no crash, no out-of-bounds read, no runaway).
// What it accepts must round-trip: format_scenario() of it parses again, to
// the same text.
// Build: cmake -DLU_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++; seeds: verify/scenarios/.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "lu/verify/scenario.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
	using namespace lu::verify;
	// load_scenario() reads no more than this.
	if (size > SCENARIO_MAX_BYTES)
		return 0;
	const std::string_view text(reinterpret_cast<const char *>(data), size);
	const auto lines = static_cast<int>(std::count(text.begin(), text.end(), '\n')) + 1;
	scenario s;
	try {
		s = parse_scenario(text, "fuzz.lu");
	} catch (const scenario_error &e) {
		const auto &d = e.where();
		// Every rejection says where (a line of the input, or past its last
		// line for a missing section) and what.
		if (d.file != "fuzz.lu" || d.line < 1 || d.line > lines + 1 || d.column < 0 || d.message.empty())
			std::abort();
		return 0;
	}
	if (s.config.devices.size() > SCENARIO_MAX_DEVICES || s.config.hwpts.size() > SCENARIO_MAX_HWPTS ||
	    s.trace.size() > SCENARIO_MAX_STEPS || s.trace_lines.size() != s.trace.size())
		std::abort();
	const std::string once = format_scenario(s);
	std::string twice;
	try {
		twice = format_scenario(parse_scenario(once, "formatted.lu"));
	} catch (const scenario_error &) {
		std::abort(); // the writer wrote what the parser refuses
	}
	if (twice != once)
		std::abort();
	return 0;
}
