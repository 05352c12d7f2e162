// SPDX-License-Identifier: GPL-2.0
// Verdict stability: every preset x property at the default bounds must give
// the verdict recorded, with its reason, in tests/model/expected_verdicts.txt.
// A model change that flips a cell fails here until the file says why.
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "lu/model/prove.h"

namespace {

struct cell {
	std::string verdict, reason;
};

std::map<std::pair<std::string, std::string>, cell> load_expected()
{
	std::map<std::pair<std::string, std::string>, cell> out;
	std::ifstream f(LU_EXPECTED_VERDICTS);
	std::string line;
	while (std::getline(f, line)) {
		if (line.empty() || line[0] == '#')
			continue;
		std::istringstream in(line.substr(0, line.find('|')));
		std::string v, p, verdict;
		in >> v >> p >> verdict;
		const auto bar = line.find('|');
		out[{v, p}] = {verdict, bar == std::string::npos ? "" : line.substr(bar + 2)};
	}
	return out;
}

TEST(ModelVerdicts, EveryCellAsRecorded)
{
	const auto expected = load_expected();
	ASSERT_EQ(expected.size(), lu::presets.size() * lu::model::properties.size());
	struct job {
		std::string variant;
		lu::variant v;
		lu::model::property p;
		lu::model::result r;
	};
	std::vector<job> jobs;
	for (const auto &pr : lu::presets)
		for (const auto &pi : lu::model::properties)
			jobs.push_back({std::string(pr.name), pr.variant, pi.id, {}});
	std::atomic<std::size_t> next{0};
	auto worker = [&] {
		for (std::size_t i; (i = next++) < jobs.size();)
			jobs[i].r = lu::model::prove(jobs[i].v, jobs[i].p, lu::model::prove_options{});
	};
	std::thread t(worker);
	worker();
	t.join();
	for (const auto &j : jobs) {
		const std::string pname(lu::model::info(j.p).name);
		SCOPED_TRACE(j.variant + " " + pname);
		const auto it = expected.find({j.variant, pname});
		ASSERT_NE(it, expected.end());
		EXPECT_EQ(std::string(lu::model::name(j.r.verdict)), it->second.verdict)
			<< "expected because: " << it->second.reason << "; got note: " << j.r.note << " " << j.r.reason;
		if (j.r.verdict == lu::model::verdict::proved) {
			EXPECT_EQ(j.r.vacuity, lu::model::vacuity::ok) << "a proof with an unsatisfiable premise";
		}
		if (j.r.verdict == lu::model::verdict::counterexample &&
		    lu::model::info(j.p).kind == lu::model::property_kind::safety) {
			ASSERT_TRUE(j.r.witness);
			EXPECT_FALSE(j.r.witness->trace.empty());
		}
	}
}

} // namespace
