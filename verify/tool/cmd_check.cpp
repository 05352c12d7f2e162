// SPDX-License-Identifier: GPL-2.0
// iommufd-lu check FILE...: judge scenario files on both model and impl.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "lu/verify/judge.h"
#include "lu/verify/scenario.h"

namespace lu::cli {

namespace {

struct check_opts {
	std::vector<std::string> files;
	std::string format = "text";
	bool verbose = false;
	std::string side = "both";
};

// Judges against one side only: runs it twice, so there is nothing to disagree.
class same_side final : public lu::verify::backend {
public:
	explicit same_side(const lu::verify::backend &b) : b_(b) {}
	std::string_view name() const override { return b_.name(); }
	lu::verify::run_result run(const lu::config &c, const lu::variant &v,
				   const std::vector<lu::step> &t) const override
	{
		return b_.run(c, v, t);
	}

private:
	const lu::verify::backend &b_;
};

int run_check(const check_opts &o)
{
	using namespace lu::verify;
	std::vector<scenario> scenarios;
	for (const auto &f : o.files) {
		try {
			scenarios.push_back(load_scenario(f));
		} catch (const scenario_error &e) {
			fmt::print(stderr, "{}\n", e.what());
			return EXIT_BAD_INPUT;
		}
	}
	std::unique_ptr<backend> impl = make_impl_backend();
	std::unique_ptr<backend> model = make_model_backend();
	if (o.side == "impl")
		model = std::make_unique<same_side>(*impl);
	else if (o.side == "model")
		impl = std::make_unique<same_side>(*model);
	std::map<verdict, int> count;
	nlohmann::json out = nlohmann::json::array();
	for (const auto &s : scenarios) {
		auto j = judge(s, *impl, *model);
		count[j.overall]++;
		if (o.format == "json") {
			nlohmann::json vs = nlohmann::json::array();
			for (const auto &v : j.variants)
				vs.push_back({{"variant", v.label}, {"line", v.line}, {"verdict", name(v.result)},
					      {"detail", v.detail}});
			out.push_back({{"file", s.file}, {"name", s.name}, {"verdict", name(j.overall)}, {"variants", vs}});
			continue;
		}
		fmt::print("{:<8} {} ({})\n", name(j.overall), s.name, s.file);
		for (const auto &v : j.variants)
			if (v.result != verdict::pass || o.verbose)
				fmt::print("  {}:{}: {}: {}{}{}\n", s.file, v.line, v.label, name(v.result),
					   v.detail.empty() ? "" : ": ", v.detail);
	}
	if (o.format == "json")
		fmt::print("{}\n", nlohmann::json({{"scenarios", out},
						   {"pass", count[verdict::pass]},
						   {"fail", count[verdict::fail]},
						   {"disagree", count[verdict::disagree]},
						   {"unknown", count[verdict::unknown]}})
					   .dump(2));
	else
		fmt::print("{} scenarios: {} pass, {} fail, {} disagree, {} unknown\n", scenarios.size(),
			   count[verdict::pass], count[verdict::fail], count[verdict::disagree], count[verdict::unknown]);
	return count[verdict::pass] == static_cast<int>(scenarios.size()) ? EXIT_RAN : EXIT_FAILED;
}

} // namespace

void add_check(CLI::App &app, int *rc)
{
	auto o = std::make_shared<check_opts>();
	auto *sub = app.add_subcommand("check", "Judge scenario files on both model and impl");
	sub->add_option("files", o->files,
			fmt::format("Scenario files (verify/scenarios/*.lu), each at most {} devices, {} hwpts, {} steps "
				    "and {} bytes (exit 2 above)",
				    lu::verify::SCENARIO_MAX_DEVICES, lu::verify::SCENARIO_MAX_HWPTS,
				    lu::verify::SCENARIO_MAX_STEPS, lu::verify::SCENARIO_MAX_BYTES))
		->required();
	sub->add_option("--format", o->format, "text or json")->check(CLI::IsMember({"text", "json"}));
	sub->add_option("--side", o->side, "Judge both sides (default), or only impl or model")
		->check(CLI::IsMember({"both", "impl", "model"}));
	sub->add_flag("-v,--verbose", o->verbose, "Show every variant, not only the failing ones");
	sub->callback([o, rc] { *rc = run_check(*o); });
}

} // namespace lu::cli
