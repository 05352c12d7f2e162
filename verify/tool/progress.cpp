// SPDX-License-Identifier: GPL-2.0
#include "progress.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include <fmt/format.h>

namespace lu::cli {

void add_quiet_flag(CLI::App *cmd, bool *quiet)
{
	cmd->add_flag("-q,--quiet", *quiet,
		      "No progress line on standard error (there is none either when standard error is not a terminal)");
}

progress::progress(std::string_view cmd, bool quiet) : enabled_(!quiet && isatty(STDERR_FILENO)), cmd_(cmd)
{
	if (!enabled_)
		return;
	t0_ = std::chrono::steady_clock::now();
	clock_ = std::thread([this] {
		std::unique_lock lk(mu_);
		while (!stop_cv_.wait_for(lk, std::chrono::seconds(1), [this] { return stop_; }))
			draw_locked();
	});
}

progress::~progress()
{
	finish();
}

void progress::finish()
{
	if (!enabled_.exchange(false))
		return;
	{
		std::lock_guard lk(mu_);
		stop_ = true;
		erase_locked();
	}
	stop_cv_.notify_all();
	clock_.join();
}

void progress::phase(std::string what, std::size_t total, std::string unit)
{
	if (!enabled_)
		return;
	std::lock_guard lk(mu_);
	what_ = std::move(what);
	unit_ = std::move(unit);
	total_ = total;
	done_ = 0;
	status_.clear();
	draw_locked();
}

void progress::done(std::string_view name, double seconds)
{
	if (!enabled_)
		return;
	std::lock_guard lk(mu_);
	done_++;
	if (seconds > slowest_) {
		slowest_ = seconds;
		slowest_name_ = name;
	}
	draw_locked();
}

void progress::status(std::string text)
{
	if (!enabled_)
		return;
	std::lock_guard lk(mu_);
	status_ = std::move(text);
	draw_locked();
}

void progress::log(std::string_view line)
{
	std::lock_guard lk(mu_);
	if (enabled_)
		erase_locked();
	fmt::print(stderr, "{}\n", line);
	if (enabled_)
		draw_locked();
}

void progress::erase_locked()
{
	if (drawn_)
		fmt::print(stderr, "\r{:{}}\r", "", drawn_);
	std::fflush(stderr);
	drawn_ = 0;
}

void progress::draw_locked()
{
	if (stop_)
		return;
	const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
	std::string line = fmt::format("{}: {}{}{}/{} {}", cmd_, what_, what_.empty() ? "" : " ", done_, total_, unit_);
	if (!status_.empty())
		line += fmt::format(" ({})", status_);
	line += fmt::format(", {:.0f} s", secs);
	if (slowest_ >= 0)
		line += fmt::format(", slowest {} {:.1f} s", slowest_name_, slowest_);
	// One terminal line: a line that wraps cannot be redrawn with \r.
	winsize ws{};
	std::size_t cols = ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1 ? ws.ws_col : 80;
	if (line.size() > cols - 1)
		line.resize(cols - 1);
	// Spaces over what is left of a longer line drawn before.
	const std::size_t width = std::max(line.size(), drawn_);
	fmt::print(stderr, "\r{:<{}}", line, width);
	std::fflush(stderr);
	drawn_ = line.size();
}

} // namespace lu::cli
