/* SPDX-License-Identifier: GPL-2.0 */
/**
 * @file certify.h
 * @brief Re-check the certificates that export-smt2 wrote with solvers other
 * than the Z3 that produced them (z3, cvc5 and boolector as processes).
 *
 * A certificate is every check a verdict rests on (lu::model::prove()): the
 * obligations of an every-depth proof, the BMC query of a bounded one, the
 * decoded trace of a counterexample fixed, the premise. A verdict is
 * certified by a solver when that solver gives every file of it the answer
 * the manifest records. Nothing here links Z3: what is trusted is the files,
 * their SHA-256 and the other solvers (docs/citing.md, "Certificates").
 */
#pragma once

#include <cstddef>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace lu::verify {

/** @brief A solver that re-checks certificates: a command, then the file. */
struct cert_solver {
	std::string name;              /**< "z3", "cvc5", "boolector" */
	std::vector<std::string> argv; /**< the command and its options (QF_BV files); the file is appended */
	/**
	 * the same for files with quantifiers (UFBV: the any-size proofs);
	 * empty: the solver does not take them and is not run on them
	 */
	std::vector<std::string> quantified_argv = {};
};

/**
 * @brief The solvers `certify` runs by default, with the options that make
 * these bit-vector queries tractable (cvc5: eager bit-blasting; its default
 * lazy solver does not answer some depth-8 queries within minutes).
 * @context Any context; thread-safe.
 * @return z3, cvc5 and boolector (static storage).
 */
const std::vector<cert_solver> &default_cert_solvers();

/** @brief One file of an export (manifest.json "files"). */
struct cert_file {
	std::string name;     /**< plain file name inside the export folder */
	std::string role;     /**< lu::model::smt2_query::role */
	std::string expected; /**< "sat", "unsat" or "unknown" (Z3 gave up: not re-checked) */
	std::string sha256;   /**< of the file's text, as the manifest records it */
};

/** @brief One verdict of an export (manifest.json "verdicts"). */
struct cert_verdict {
	std::string variant, property, verdict;
	bool every_depth = false;
	bool any_size = false;    /**< proved for any number of devices, groups and hwpts (manifest "any_size") */
	std::vector<std::size_t> files; /**< indices into certificate_set::files */
	/** its witness as a scenario: an index into certificate_set::scenarios, or -1 */
	long scenario = -1;
};

/** @brief A witness's scenario file (manifest.json "scenarios"). */
struct cert_scenario {
	std::string name;   /**< plain file name inside the export folder */
	std::string sha256; /**< of its text */
};

/** @brief What an export folder holds, read from its manifest. */
struct certificate_set {
	std::string dir;
	std::vector<cert_file> files;
	std::vector<cert_verdict> verdicts;
	std::vector<cert_scenario> scenarios;
};

/** @brief Bad input: a folder that is not a readable export. what() says where and why. */
class certify_error : public std::runtime_error {
public:
	using std::runtime_error::runtime_error;
};

/**
 * @brief Read @p dir/manifest.json (at most 64 MiB) and check its shape:
 * every file a plain name listed once, every verdict's files listed.
 * @param dir an export-smt2 folder
 * @context Reads the file system.
 * @return the set; the files themselves are read (and hashed) by certify().
 * @throws certify_error when the manifest is missing, too large, not JSON
 * or not of that shape.
 */
certificate_set load_certificates(const std::string &dir);

/**
 * @brief The text of a scenario of @p set, checked against its SHA-256.
 * @param set from load_certificates()
 * @param i an index into set.scenarios
 * @param error set to why, when it cannot be read or does not match
 * @return the text; empty on error.
 * @context Reads the file system.
 */
std::string read_scenario(const certificate_set &set, std::size_t i, std::string *error);

/** @brief One solver on one file. */
struct cert_run {
	std::size_t file = 0; /**< index into certificate_set::files */
	std::size_t solver = 0; /**< index into the solver list */
	std::string expected; /**< the file's expected answer, "sat" or "unsat" */
	/** "sat", "unsat", "unknown", "timeout" or "error: ..." (no answer line) */
	std::string got;
	double seconds = 0;
	/**
	 * @brief Whether the solver gave the expected answer.
	 * @context Any context.
	 * @return got == expected.
	 */
	bool agrees() const;
	/**
	 * @brief Whether the solver answered, but not the expected answer.
	 * @context Any context.
	 * @return got is sat or unsat and not expected.
	 */
	bool disagrees() const;
};

/** @brief What certify() found. */
struct certify_result {
	std::vector<cert_solver> solvers;
	std::vector<cert_run> runs;             /**< every (file, solver) that was run */
	std::vector<std::string> hash_failures; /**< files missing, unreadable or not matching their SHA-256 */
	std::size_t skipped = 0;                /**< files Z3 gave up on (expected "unknown"): not run */
	std::size_t not_applicable = 0;         /**< (file, solver) pairs not run: a UFBV file, a QF_BV-only solver */
	std::vector<bool> quantified;           /**< per file of the set: UFBV (the any-size proofs) */
	double wall = 0;                        /**< seconds, the whole run */
	/**
	 * @brief Runs that answered, but not the expected answer.
	 * @context Any context.
	 * @return their number.
	 */
	std::size_t disagreements() const;
	/**
	 * @brief Runs without an answer (timeout, unknown, a solver missing).
	 * @context Any context.
	 * @return their number.
	 */
	std::size_t no_answer() const;
	/**
	 * @brief Whether the export is certified by every solver.
	 * @context Any context.
	 * @return every file hashed right and every run agreed.
	 */
	bool ok() const;
};

/**
 * @brief Check every file's SHA-256, then run every solver on every file
 * whose expected answer is sat or unsat, @p jobs processes at a time, each
 * under `timeout @p seconds`.
 * @param set from load_certificates()
 * @param solvers the solvers (default_cert_solvers())
 * @param seconds the budget of one run
 * @param jobs processes at once (>= 1)
 * @param on_done if not empty, called after each run (from worker threads)
 * @return every run's answer; a file that fails its hash is not run.
 * @context Spawns processes (posix_spawnp); thread-safe callers only need
 * @p on_done to be.
 */
certify_result certify(const certificate_set &set, const std::vector<cert_solver> &solvers, unsigned seconds,
		       unsigned jobs, const std::function<void(const cert_run &)> &on_done = {});

} // namespace lu::verify
