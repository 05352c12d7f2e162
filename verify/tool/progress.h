// SPDX-License-Identifier: GPL-2.0
// A progress line for the long commands (prove, report, export-smt2,
// crosscheck): on standard error, redrawn in place with \r, only when
// standard error is a terminal and --quiet was not given, so that output to a
// file or a pipe (text, JSON, mail) is the same byte for byte with or without
// it. One line, for example:
//
//   report: proving 12/70 cells, 34 s, slowest v1 nested-survives 8.1 s
//
// The line is erased when the command finishes (the destructor), before the
// command's own output.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include <CLI/CLI.hpp>

namespace lu::cli {

/** Add --quiet (no progress line) to @cmd, storing into @quiet. */
void add_quiet_flag(CLI::App *cmd, bool *quiet);

class progress {
public:
	/**
	 * Show progress for @cmd ("report") if standard error is a terminal and
	 * not @quiet; otherwise every member below does nothing.
	 */
	progress(std::string_view cmd, bool quiet);
	progress(const progress &) = delete;
	progress &operator=(const progress &) = delete;
	/** finish() */
	~progress();

	/**
	 * Erase the line and stop the clock's redraws, before the command prints
	 * its result; later calls draw nothing. Idempotent.
	 */
	void finish();

	/** Whether anything is drawn. */
	bool enabled() const { return enabled_.load(std::memory_order_relaxed); }

	/**
	 * Start counting @total units of @what ("proving", "cells"): the line
	 * shows "@what done/total @unit". The slowest unit so far is kept
	 * across phases.
	 */
	void phase(std::string what, std::size_t total, std::string unit);

	/** One unit, named @name, took @seconds. Thread-safe. */
	void done(std::string_view name, double seconds);

	/** What is running now, in a word or a phrase (shown after the count). Thread-safe. */
	void status(std::string text);

	/** A whole line printed above the progress line (verbose output). Thread-safe. */
	void log(std::string_view line);

private:
	void draw_locked(); // with mu_ held
	void erase_locked();

	std::atomic<bool> enabled_; // false from finish() on
	std::string cmd_;
	std::mutex mu_;
	std::string what_, unit_, status_;
	std::size_t done_ = 0, total_ = 0;
	std::string slowest_name_;
	double slowest_ = -1;
	std::size_t drawn_ = 0; // columns of the line on the terminal
	std::chrono::steady_clock::time_point t0_;
	// Redraws once a second, so that the elapsed time moves during a long unit.
	std::condition_variable stop_cv_;
	bool stop_ = false;
	std::thread clock_;
};

} // namespace lu::cli
