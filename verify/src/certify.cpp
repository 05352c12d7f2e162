// SPDX-License-Identifier: GPL-2.0
// certify: re-check an export's certificates with other solvers, each run a
// process under coreutils' timeout(1), a few at a time.
#include "lu/verify/certify.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "lu/verify/report.h"
#include "parallel.h"

extern char **environ;

namespace lu::verify {

namespace {

constexpr std::uintmax_t MANIFEST_MAX_BYTES = 64u << 20;
constexpr std::uintmax_t CERT_FILE_MAX_BYTES = 256u << 20;
constexpr std::size_t OUTPUT_MAX_BYTES = 1u << 20; // of a solver's answer; the rest is drained

bool plain_name(const std::string &n)
{
	return !n.empty() && n != "." && n != ".." && n.find('/') == std::string::npos;
}

std::string read_bounded(const std::filesystem::path &p, std::uintmax_t max, std::string *error)
{
	std::error_code ec;
	const auto size = std::filesystem::file_size(p, ec);
	if (ec) {
		*error = ec.message();
		return {};
	}
	if (size > max) {
		*error = fmt::format("{} bytes, more than the {} a certificate may have", size, max);
		return {};
	}
	std::ifstream in(p, std::ios::binary);
	std::ostringstream ss;
	ss << in.rdbuf();
	if (!in && !in.eof()) {
		*error = "read error";
		return {};
	}
	return ss.str();
}

// Run @argv with standard output captured (standard error to /dev/null);
// return the output and set *status to the wait status, or -errno when the
// process could not be started.
std::string run_process(const std::vector<std::string> &argv, int *status)
{
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) != 0) {
		*status = -errno;
		return {};
	}
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
	posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
	std::vector<char *> cargv;
	for (const auto &a : argv)
		cargv.push_back(const_cast<char *>(a.c_str()));
	cargv.push_back(nullptr);
	pid_t pid = 0;
	const int err = posix_spawnp(&pid, cargv[0], &fa, nullptr, cargv.data(), environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	std::string out;
	if (err != 0) {
		close(fds[0]);
		*status = -err;
		return {};
	}
	char buf[4096];
	for (ssize_t n; (n = read(fds[0], buf, sizeof(buf))) != 0;) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (out.size() < OUTPUT_MAX_BYTES)
			out.append(buf, static_cast<std::size_t>(n));
	}
	close(fds[0]);
	while (waitpid(pid, status, 0) < 0 && errno == EINTR) {
	}
	return out;
}

// The answer of a run: the first line that is sat, unsat or unknown.
std::string answer_of(const std::string &out, int status)
{
	std::istringstream in(out);
	for (std::string line; std::getline(in, line);) {
		while (!line.empty() && (line.back() == '\r' || line.back() == ' '))
			line.pop_back();
		if (line == "sat" || line == "unsat" || line == "unknown")
			return line;
	}
	if (status < 0)
		return fmt::format("error: cannot start timeout(1): {}", std::strerror(-status));
	if (WIFEXITED(status) && WEXITSTATUS(status) == 124)
		return "timeout";
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		return "error: solver not found (exit 127)";
	if (WIFEXITED(status))
		return fmt::format("error: no answer (exit {})", WEXITSTATUS(status));
	return fmt::format("error: no answer (signal {})", WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

} // namespace

const std::vector<cert_solver> &default_cert_solvers()
{
	static const std::vector<cert_solver> s{
		// z3: macros for the any-size files' definitional quantifiers (as
		// in-process). cvc5 and boolector take QF_BV only: cvc5 answers
		// most UFBV files with --finite-model-find but not all within the
		// budget (docs/citing.md); boolector has no quantifiers.
		{"z3", {"z3", "-smt2", "smt.macro_finder=true"}, {"z3", "-smt2", "smt.macro_finder=true"}},
		{"cvc5", {"cvc5", "--lang", "smt2", "--bitblast=eager"}},
		{"boolector", {"boolector", "--smt2"}},
	};
	return s;
}

bool cert_run::agrees() const
{
	return got == expected;
}

bool cert_run::disagrees() const
{
	return (got == "sat" || got == "unsat") && got != expected;
}

std::size_t certify_result::disagreements() const
{
	return static_cast<std::size_t>(std::ranges::count_if(runs, [](const cert_run &r) { return r.disagrees(); }));
}

std::size_t certify_result::no_answer() const
{
	return static_cast<std::size_t>(
		std::ranges::count_if(runs, [](const cert_run &r) { return !r.agrees() && !r.disagrees(); }));
}

bool certify_result::ok() const
{
	return hash_failures.empty() && std::ranges::all_of(runs, [](const cert_run &r) { return r.agrees(); });
}

certificate_set load_certificates(const std::string &dir)
{
	namespace fs = std::filesystem;
	const fs::path mpath = fs::path(dir) / "manifest.json";
	std::string err;
	if (!fs::is_directory(dir))
		throw certify_error(fmt::format("{}: not a folder", dir));
	if (!fs::exists(mpath))
		throw certify_error(fmt::format("{}: no manifest.json (not a folder export-smt2 wrote)", dir));
	const std::string text = read_bounded(mpath, MANIFEST_MAX_BYTES, &err);
	if (!err.empty())
		throw certify_error(fmt::format("{}: {}", mpath.string(), err));
	const auto m = nlohmann::json::parse(text, nullptr, false);
	auto bad = [&](const std::string &why) { return certify_error(fmt::format("{}: {}", mpath.string(), why)); };
	if (!m.is_object() || !m.contains("files") || !m["files"].is_array() || !m.contains("verdicts") ||
	    !m["verdicts"].is_array())
		throw bad("not a manifest of export-smt2 (an object with the arrays 'files' and 'verdicts')");
	certificate_set set;
	set.dir = dir;
	std::map<std::string, std::size_t> index, scenario_index;
	if (m.contains("scenarios") && m["scenarios"].is_array())
		for (const auto &f : m["scenarios"]) {
			if (!f.is_object() || !f.contains("file") || !f["file"].is_string() || !f.contains("sha256") ||
			    !f["sha256"].is_string())
				throw bad(fmt::format("scenarios[{}]: no strings 'file' and 'sha256'", set.scenarios.size()));
			cert_scenario cs{f["file"], f["sha256"]};
			if (!plain_name(cs.name))
				throw bad(fmt::format("scenarios[{}]: '{}' is not a plain file name", set.scenarios.size(),
						      cs.name));
			scenario_index.emplace(cs.name, set.scenarios.size());
			set.scenarios.push_back(std::move(cs));
		}
	for (const auto &f : m["files"]) {
		auto str = [&](const char *k) {
			if (!f.is_object() || !f.contains(k) || !f[k].is_string())
				throw bad(fmt::format("files[{}]: no string '{}'", set.files.size(), k));
			return f[k].get<std::string>();
		};
		cert_file cf{str("file"), str("role"), str("expected"), str("sha256")};
		if (!plain_name(cf.name))
			throw bad(fmt::format("files[{}]: '{}' is not a plain file name", set.files.size(), cf.name));
		if (cf.expected != "sat" && cf.expected != "unsat" && cf.expected != "unknown")
			throw bad(fmt::format("{}: expected '{}' is not sat, unsat or unknown", cf.name, cf.expected));
		if (!index.emplace(cf.name, set.files.size()).second)
			throw bad(fmt::format("{}: listed twice", cf.name));
		set.files.push_back(std::move(cf));
	}
	for (const auto &v : m["verdicts"]) {
		cert_verdict cv;
		if (!v.is_object() || !v.contains("files") || !v["files"].is_array())
			throw bad(fmt::format("verdicts[{}]: no array 'files'", set.verdicts.size()));
		for (const char *k : {"variant", "property", "verdict"})
			if (!v.contains(k) || !v[k].is_string())
				throw bad(fmt::format("verdicts[{}]: no string '{}'", set.verdicts.size(), k));
		cv.variant = v["variant"];
		cv.property = v["property"];
		cv.verdict = v["verdict"];
		const auto ed = v.find("every_depth");
		cv.every_depth = ed != v.end() && *ed == true;
		const auto as = v.find("any_size");
		cv.any_size = as != v.end() && *as == true;
		for (const auto &n : v["files"]) {
			const auto it = n.is_string() ? index.find(n.get<std::string>()) : index.end();
			if (it == index.end())
				throw bad(fmt::format("verdicts[{}]: file {} is not in 'files'", set.verdicts.size(),
						      n.dump()));
			cv.files.push_back(it->second);
		}
		if (v.contains("scenario")) {
			const auto it = v["scenario"].is_string() ? scenario_index.find(v["scenario"].get<std::string>())
								  : scenario_index.end();
			if (it == scenario_index.end())
				throw bad(fmt::format("verdicts[{}]: scenario {} is not in 'scenarios'", set.verdicts.size(),
						      v["scenario"].dump()));
			cv.scenario = static_cast<long>(it->second);
		}
		if (cv.files.empty())
			throw bad(fmt::format("verdicts[{}] ({} {}): no file", set.verdicts.size(), cv.variant, cv.property));
		set.verdicts.push_back(std::move(cv));
	}
	return set;
}

std::string read_scenario(const certificate_set &set, std::size_t i, std::string *error)
{
	const auto &sc = set.scenarios.at(i);
	std::string text = read_bounded(std::filesystem::path(set.dir) / sc.name, CERT_FILE_MAX_BYTES, error);
	if (error->empty() && sha256_hex(text) != sc.sha256)
		*error = fmt::format("SHA-256 {} is not the manifest's {}", sha256_hex(text), sc.sha256);
	return error->empty() ? text : std::string();
}

certify_result certify(const certificate_set &set, const std::vector<cert_solver> &solvers, unsigned seconds,
		       unsigned jobs, const std::function<void(const cert_run &)> &on_done)
{
	const auto t0 = std::chrono::steady_clock::now();
	certify_result res;
	res.solvers = solvers;
	std::vector<std::pair<std::size_t, std::size_t>> todo; // (file, solver)
	std::vector<bool> &quantified = res.quantified;
	quantified.assign(set.files.size(), false);
	for (std::size_t i = 0; i < set.files.size(); ++i) {
		const auto &f = set.files[i];
		std::string err;
		const std::string text = read_bounded(std::filesystem::path(set.dir) / f.name, CERT_FILE_MAX_BYTES, &err);
		if (!err.empty()) {
			res.hash_failures.push_back(fmt::format("{}: {}", f.name, err));
			continue;
		}
		if (sha256_hex(text) != f.sha256) {
			res.hash_failures.push_back(fmt::format("{}: SHA-256 {} is not the manifest's {}", f.name,
								sha256_hex(text), f.sha256));
			continue;
		}
		if (f.expected == "unknown") {
			++res.skipped;
			continue;
		}
		quantified[i] = text.find("(set-logic UFBV)") != std::string::npos;
		for (std::size_t s = 0; s < solvers.size(); ++s) {
			if (quantified[i] && solvers[s].quantified_argv.empty())
				++res.not_applicable;
			else
				todo.emplace_back(i, s);
		}
	}
	res.runs.resize(todo.size());
	internal::parallel_for(todo.size(), jobs, [&](std::size_t k) {
		const auto [fi, si] = todo[k];
		std::vector<std::string> argv{"timeout", "-k", "5", std::to_string(seconds)};
		const auto &cmd = quantified[fi] ? solvers[si].quantified_argv : solvers[si].argv;
		argv.insert(argv.end(), cmd.begin(), cmd.end());
		argv.push_back((std::filesystem::path(set.dir) / set.files[fi].name).string());
		const auto s0 = std::chrono::steady_clock::now();
		int status = 0;
		const std::string out = run_process(argv, &status);
		cert_run &r = res.runs[k];
		r.file = fi;
		r.solver = si;
		r.expected = set.files[fi].expected;
		r.got = answer_of(out, status);
		r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - s0).count();
		if (on_done)
			on_done(r);
	});
	res.wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
	return res;
}

} // namespace lu::verify
