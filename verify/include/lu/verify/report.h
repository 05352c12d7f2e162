/* SPDX-License-Identifier: GPL-2.0 */
/**
 * @file report.h
 * @brief Citable output of a proof run: the mail report, the JSON report,
 * the one-line observations, and the verdict bundle (issue 7).
 *
 * The users of iommufd-lu quote its results in mailing-list RFCs, so every
 * result must be quotable as is and checkable by someone who does not trust
 * it. A result therefore travels with a bundle: hashes of the model source,
 * of the exported SMT-LIB2 query and of the build, and the solver's name,
 * version, parameters and seed. docs/citing.md says how to use them.
 *
 * Nothing here runs a proof except bundle_for(), which exports the query of
 * a result to hash it; the renderers are pure functions of their inputs, so
 * tests can feed them synthetic results.
 */
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "lu/model/causes.h"
#include "lu/model/prove.h"
#include "lu/verify/scenario.h" // errno_name()

namespace lu::verify {

/** @brief Width of every line of the mail report (plain text, no tabs). */
inline constexpr std::size_t MAIL_COLUMNS = 72;

/**
 * @brief How a set of results was produced: the options of the run, so that
 * the report can state the bounds and the exact command that reproduces it.
 */
struct run_info {
	lu::model::prove_options opt; /**< bounds, rlimit, seed, minimisation */
	unsigned jobs = 2;            /**< threads the cells ran on */
	double wall = 0;              /**< wall-clock seconds of the whole run */
};

/**
 * @brief The verdict bundle of one result: what a sceptic needs to re-check
 * it. Every hash is SHA-256, in lower-case hex.
 */
struct bundle {
	std::string model_sha256; /**< model/src and model/include, at build time */
	std::string build_sha256; /**< compiler, flags, build type and git hash */
	std::string build_config; /**< the text build_sha256 hashes */
	/** @brief One file of the verdict's certificate, as export-smt2 writes it. */
	struct file {
		std::string name;     /**< file name, e.g. "v2__no-silent-pasid-loss.witness.smt2" */
		std::string role;     /**< lu::model::smt2_query::role */
		std::string expected; /**< what Z3 answered on it */
		std::string sha256;   /**< of its text */
	};
	std::vector<file> certificate; /**< every check the verdict rests on; empty if export failed */
	/**
	 * SHA-256 of the certificate's lines of SHA256SUMS ("<sha256>  <name>\n"
	 * per file, in order): one digest for the whole certificate
	 */
	std::string certificate_sha256;
	/**
	 * the solvers that certified this very certificate (same digest) in the
	 * output of `certify --format json` given to apply_certification();
	 * empty when none did or none was given
	 */
	std::vector<std::string> certified_by;
	bool certification_checked = false; /**< apply_certification() saw this bundle */
	std::string solver_name;    /**< "z3" */
	std::string solver_version; /**< e.g. "4.8.12.0" */
	std::uint64_t rlimit = 0;   /**< Z3 resource limit per check */
	unsigned random_seed = 0;   /**< Z3 random seed */
	std::string logic = "QF_BV"; /**< SMT-LIB2 logic of the exported queries */
	std::string error;          /**< why the query could not be exported, if it could not */
};

/**
 * @brief Record in each bundle which solvers certified its certificate,
 * from the output of `iommufd-lu certify --format json`: the verdict of the
 * same variant and property whose certificate_sha256 is the bundle's.
 * @param results the results of @p bundles (same order)
 * @param bundles the bundles to update
 * @param certify_json the parsed output of certify --format json
 * @return the number of bundles found certified by at least one solver.
 * @throws std::invalid_argument when @p certify_json is not of that shape.
 * @context Any context.
 */
std::size_t apply_certification(const std::vector<lu::model::result> &results, std::vector<bundle> &bundles,
				const nlohmann::json &certify_json);

/**
 * @brief SHA-256 of @p data as 64 lower-case hex digits (OpenSSL's EVP).
 * @param data the bytes to hash
 * @return the digest; never fails for in-memory data.
 * @context Any context; thread-safe.
 */
std::string sha256_hex(std::string_view data);

/**
 * @brief SHA-256 over model/src and model/include as of the build: each
 * file's path and digest, sorted by path, hashed again.
 * @return the digest computed when iommufd-lu was built.
 * @context Any context.
 */
std::string model_source_sha256();

/**
 * @brief The build configuration iommufd-lu was built with (compiler id and
 * version, build type, flags, sanitizers, git hash), one item a line.
 * @return the text that build_sha256() hashes.
 * @context Any context.
 */
std::string build_config();

/**
 * @brief SHA-256 of build_config().
 * @return the digest.
 * @context Any context.
 */
std::string build_sha256();

/**
 * @brief The bundle of @p r: exports its query with the options of @p run
 * (as `export-smt2` does) and hashes it.
 * @param r a result of lu::model::prove()
 * @param run the options @p r was proved with
 * @return the bundle; if the export fails, bundle::error says why and the
 *         query hashes are empty.
 * @context Creates its own Z3 context and runs the solver once per exported
 * query (the export records Z3's answer): as slow as the proof itself.
 * Thread-safe.
 */
bundle bundle_for(const lu::model::result &r, const run_info &run);

/**
 * @brief Called as each cell of prove_cells() or bundles_for() finishes:
 * its index in the result vector and the seconds it took (for a progress
 * line). Called from the worker threads, concurrently.
 */
using cell_done_fn = std::function<void(std::size_t index, double seconds)>;

/**
 * @brief Prove every (variant, property) cell, variant-major, on
 * run_info::jobs threads (each cell has its own Z3 context).
 * @param variants the kernel variants (rows of the result vector)
 * @param props the properties (columns)
 * @param run the options; run_info::wall is left as it is
 * @param on_done if not empty, called as each cell finishes
 * @return variants.size() * props.size() results; a cell that fails to run
 *         is a verdict::error result, never an exception.
 * @context Starts and joins run_info::jobs - 1 threads; blocks until done.
 * @p on_done runs on those threads and must be thread-safe.
 */
std::vector<lu::model::result> prove_cells(const std::vector<lu::variant> &variants,
					   const std::vector<lu::model::property> &props, const run_info &run,
					   const cell_done_fn &on_done = {});

/**
 * @brief bundle_for() of every result, on run_info::jobs threads.
 * @param results the results to bundle
 * @param run the options they were proved with
 * @param on_done if not empty, called as each bundle is made
 * @return one bundle per result, in the same order.
 * @context Starts and joins threads; as slow as proving @p results again.
 * @p on_done runs on those threads and must be thread-safe.
 */
std::vector<bundle> bundles_for(const std::vector<lu::model::result> &results, const run_info &run,
				const cell_done_fn &on_done = {});

/**
 * @brief Attachments in prose: "(dev 0, pasid 5, hwpt 1), ..." or "(none)".
 * @param v the attachments
 * @return the text.
 * @context Any context.
 */
std::string attachments_text(const std::vector<lu::attachment> &v);

/**
 * @brief One step as text, e.g. "attach(dev 0, pasid 1, hwpt 2)".
 * @param s the step
 * @return the text, at most about 50 columns.
 * @context Any context.
 */
std::string step_text(const lu::step &s);

/**
 * @brief The command that reproduces @p r exactly (same variant, property,
 * bounds and solver budget), e.g. `iommufd-lu prove --variant v2
 * --property no-silent-pasid-loss --depth 8`.
 * @param r the result
 * @param run the options it was proved with
 * @return the command line; options at their defaults are left out.
 * @context Any context.
 */
std::string reproduce_command(const lu::model::result &r, const run_info &run);

/**
 * @brief The one-line summary of @p r, for quoting, in the spirit of
 * herd7's "Observation" line, e.g.
 * `Result v2 no-silent-pasid-loss Counterexample depth=8 lost=(dev0,pasid1)`.
 * @param r the result
 * @return the line: "Result", variant, property, verdict word (Proved,
 *         Counterexample, Witness, NoWitness, Vacuous, Unknown, Error), the
 *         bounds and, when there is one, what was lost. Stable: scripts and
 *         RFCs may grep it.
 * @context Any context.
 */
std::string observation_line(const lu::model::result &r);

/**
 * @brief The summary paragraph: the answer to the seed's question (can
 * preserve return 0 and lose a PASID attachment silently?) as the verdicts
 * give it, computed from @p results, never fixed text.
 * @param results the cells of the run, any subset of variants and properties
 * @return one paragraph, unwrapped.
 * @context Any context.
 */
std::string summary_paragraph(const std::vector<lu::model::result> &results);

/**
 * @brief The verdict table, the one renderer of `prove`'s text output and
 * of the mail report: a heading, one row per property (first-seen order)
 * and one column per variant (first-seen order, custom variants spelled
 * out), the words proved, CEX, VACUOUS, unknown and ERROR ("-" for a cell
 * not run), then the legend of the words and rows.
 * @param results the cells of a run, in any order
 * @param legend false: the rows alone, without heading and legend (the
 *        caller explains the words, as the one-screen mail does)
 * @return plain text in which every line has at most MAIL_COLUMNS
 *         characters and no tab: variants that do not fit beside each other
 *         go on in a further block of columns; empty for no results.
 * @context Any context.
 */
std::string verdict_table(const std::vector<lu::model::result> &results, bool legend = true);

/**
 * @brief The mail report: summary, verdict table, numbered counterexample
 * traces, bounds, versions with the git hash and the bundle, the command
 * that reproduces each result, and the observation lines.
 * @param results the cells of the run, in variant-major order
 * @param run the options of the run
 * @param bundles one per result (same order), or empty to leave the hashes
 *        of the queries out
 * @return plain text in which every line has at most MAIL_COLUMNS
 *         characters and no tab (long lines are wrapped, with indentation).
 * @context Any context.
 */
std::string mail_report(const std::vector<lu::model::result> &results, const run_info &run,
			const std::vector<bundle> &bundles);

/** @brief The causes of one cell (lu::model::find_causes()). */
using cell_causes = std::vector<lu::model::cause_result>;

/**
 * @brief lu::model::find_causes() of every result, on run_info::jobs threads.
 * @param results the cells of a run
 * @param run the options they were proved with
 * @param cap at most this many causes searched per cell (at least 1)
 * @param on_done if not empty, called as each cell's causes are found
 * @return one list per result, in the same order.
 * @throws std::invalid_argument when @p cap is 0.
 * @context Starts and joins threads; several BMC queries per cause of a
 * failing cell.
 */
std::vector<cell_causes> causes_for(const std::vector<lu::model::result> &results, const run_info &run,
				    unsigned cap, const cell_done_fn &on_done = {});

/**
 * @brief The answer to the seed's question for one no-silent-pasid-loss
 * cell: "yes (trace N)" when a trace with the cause pasid-not-recorded was
 * found, "no (...)" when that cause is closed, "open" otherwise; then what
 * the seed's own trace (RID and PASID 5 attached, preserve, kexec) does
 * under the cell's variant, run on the model.
 * @param r a no-silent-pasid-loss cell
 * @param causes its causes
 * @param trace_number the number of the cause's trace in the report, 0 for none
 * @return one line, unwrapped.
 * @context Any context (runs the model's simulator once).
 */
std::string reviewer_case_line(const lu::model::result &r, const cell_causes &causes, std::size_t trace_number);

/**
 * @brief The default mail (`report`): at most about 100 lines of at most
 * MAIL_COLUMNS: the reviewer's case per variant, the verdict table, the
 * matrix of causes against variants, what the verdicts assume (code read,
 * guesses), one attributed trace per distinct cause (each step's rule, the
 * step that made the violation possible marked ">").
 * @param results the cells of the run
 * @param causes causes_for(results) (same order)
 * @param run the options of the run
 * @return the text; "no results" when @p results is empty or the sizes differ.
 * @context Any context (runs the model's simulator for the seed's trace).
 */
std::string brief_report(const std::vector<lu::model::result> &results, const std::vector<cell_causes> &causes,
			 const run_info &run);

/**
 * @brief `report --diff A B`: which verdicts and which causes differ
 * between two variants (same properties), and a trace per cause open on
 * either side.
 * @param a the cells of variant A
 * @param ca causes_for(a)
 * @param b the cells of variant B
 * @param cb causes_for(b)
 * @param run the options of the run
 * @return the text, every line at most MAIL_COLUMNS.
 * @context Any context.
 */
std::string diff_report(const std::vector<lu::model::result> &a, const std::vector<cell_causes> &ca,
			const std::vector<lu::model::result> &b, const std::vector<cell_causes> &cb,
			const run_info &run);

/**
 * @brief The causes of a cell as JSON: per cause its id, text, rule,
 * status (found, closed, unknown), seconds, and when found the witness
 * with each step's rule and the marked step.
 * @param causes the causes
 * @return the array.
 * @context Any context.
 */
nlohmann::json causes_json(const cell_causes &causes);

/**
 * @brief A decoded witness as JSON: trace (op, dev, pasid, hwpt, flags, ret,
 * token), lost pairs, configuration, attachments at kexec and restored.
 * @param w the witness
 * @return the object (DESIGN section 4 keys and more).
 * @context Any context.
 */
nlohmann::json witness_json(const lu::model::witness &w);

/**
 * @brief One result as JSON with the keys of DESIGN section 4 (variant,
 * policy, freeze, vfio_gate, property, verdict, bounds, vacuity, seconds,
 * witness), plus "observation" and, if @p b is given, "bundle".
 * @param r the result
 * @param b its bundle, or nullptr
 * @return the object.
 * @context Any context.
 */
nlohmann::json result_json(const lu::model::result &r, const bundle *b);

/**
 * @brief The whole run as JSON: "tool" (name, version, git), "solver"
 * (name, version, params), "build" (config, sha256), "model" (sha256),
 * "results" and "seconds"; the document `prove --format json` and
 * `report --format json` print.
 * @param results the cells of the run
 * @param run the options of the run
 * @param bundles one per result, or empty
 * @param causes if given, one list per result: each result gets "causes"
 * @return the document.
 * @context Any context.
 */
nlohmann::json report_json(const std::vector<lu::model::result> &results, const run_info &run,
			   const std::vector<bundle> &bundles, const std::vector<cell_causes> *causes = nullptr);

/**
 * @brief Wrap @p text to at most @p width columns: words are kept whole
 * where they fit, tabs become spaces, continuation lines get @p indent.
 * A word longer than the line is split.
 * @param text one logical line or paragraph (newlines are kept)
 * @param width the column limit, more than @p indent
 * @param indent the prefix of every continuation line
 * @return the wrapped text, each line ending in a newline.
 * @context Any context.
 */
std::string wrap(std::string_view text, std::size_t width, std::string_view indent);

} // namespace lu::verify
