/* SPDX-License-Identifier: GPL-2.0 */
/**
 * @file variant.h
 * @brief Kernel variants of the live-update preserve path (DESIGN section 1).
 *
 * A kernel variant is a version of the series' code (lu/core/rules.h: which
 * rules that version's code has) times a PASID policy times two knobs. The
 * names here are the stable identifiers used on the command line, in JSON
 * and in scenario files. This header is vocabulary only: what each rule does
 * is written once in impl/ and once in model/, independently
 * (docs/semantics.md).
 */
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace lu {

/** @brief What iommufd_device_preserve() does with PASID attachments. */
enum class policy : std::uint8_t {
	silent_drop, /**< v1: ignores them, returns 0 */
	reject,      /**< v2: -EOPNOTSUPP if any exist */
	ack_flag,    /**< option 3: -EOPNOTSUPP unless IOMMU_LU_FLAG_IGNORE_PASID */
	full,        /**< a future kernel: preserves them */
};

/** @brief Attach/replace/detach on a group with a preserved device. */
enum class freeze : std::uint8_t {
	allowed, /**< v1: nothing blocks them */
	busy,    /**< v2: -EBUSY while the group's nr_liveupdate_preserved != 0 */
};

/** @brief When vfio's preserve calls iommufd_device_preserve(). */
enum class vfio_gate : std::uint8_t {
	rid_only, /**< v1: only if the RID is attached (device->iommufd_attached) */
	always,   /**< every preserved cdev goes through iommufd */
};

/**
 * @brief Which version of the series' code a variant reads (lu/core/rules.h
 * says, rule by rule, what differs and where each is read).
 */
enum class version : std::uint8_t {
	v1,      /**< the series as posted 2026-02-03 */
	v2,      /**< the series as posted 2026-04-27 */
	post_v2, /**< the newest code read (pran005 device.c\@20d150d0, anolis liveupdate.c\@e0c90453) */
};

/** @brief One kernel variant: policy x freeze x vfio_gate on a version's code. */
struct variant {
	lu::policy policy;
	lu::freeze freeze;
	lu::vfio_gate vfio_gate;
	/** The code the other rules are read from; the options are deltas on post-v2. */
	lu::version version = lu::version::post_v2;
	friend constexpr bool operator==(const variant &, const variant &) = default;
};

/**
 * @brief The flag a caller passes to acknowledge dropped PASID attachments.
 *
 * Proposed in review, never merged. LUO's LIVEUPDATE_SESSION_PRESERVE_FD
 * carries no flags, so a real kernel would need an iommufd or vfio ioctl of
 * its own before the preserve; the model treats the flag as part of the
 * device's preserve request (docs/semantics.md).
 */
inline constexpr std::uint32_t IOMMU_LU_FLAG_IGNORE_PASID = 1u << 0;

/**
 * @brief Flag bits a variant's preserve_device() knows; others get -EINVAL.
 *
 * ack-flag introduces IOMMU_LU_FLAG_IGNORE_PASID; full keeps it (it would grow
 * out of ack-flag and must not break its callers). The others know no flag.
 * @param p the PASID policy
 * @return the mask of known bits (IOMMU_LU_FLAG_IGNORE_PASID or 0).
 * @context Any context; constexpr.
 */
constexpr std::uint32_t known_preserve_flags(policy p)
{
	return (p == policy::ack_flag || p == policy::full) ? IOMMU_LU_FLAG_IGNORE_PASID : 0;
}

/** @brief A named variant (DESIGN section 1, preset table). */
struct preset {
	std::string_view name;
	lu::variant variant;
	std::string_view stands_for;
	/** What the preset's reading rests on that no code shows (empty: nothing). */
	std::string_view unconfirmed = {};
};

/**
 * @brief Every named preset, in report order.
 *
 * v1, v2 and post-v2 are the code of the series as read (lu/core/rules.h).
 * The seed's options are deltas on post-v2: each changes the PASID policy
 * (the -EOPNOTSUPP check of iommufd_device_preserve()) and calls iommufd
 * from vfio for every cdev (vfio_gate always), nothing else.
 */
inline constexpr std::array<preset, 7> presets{{
	{"v1", {policy::silent_drop, freeze::allowed, vfio_gate::rid_only, version::v1}, "the series as first posted (2026-02-03)"},
	{"v2", {policy::reject, freeze::busy, vfio_gate::rid_only, version::v2}, "the series after review (2026-04-27)"},
	{"post-v2", {policy::reject, freeze::busy, vfio_gate::rid_only, version::post_v2}, "the newest code read (v3-v5 era trees)",
	 "vfio_gate rid-only and the PCI error path: vfio-pci's preserve after v2 is unseen (SERIES 13.4); v2's is assumed"},
	{"doc-only", {policy::silent_drop, freeze::busy, vfio_gate::always}, "option 1 on post-v2"},
	{"reject", {policy::reject, freeze::busy, vfio_gate::always}, "option 2 on post-v2, vfio calls iommufd always"},
	{"ack-flag", {policy::ack_flag, freeze::busy, vfio_gate::always}, "option 3 on post-v2"},
	{"full", {policy::full, freeze::busy, vfio_gate::always}, "a post-v2 kernel that preserves PASIDs"},
}};

/**
 * @brief The stable name of a PASID policy (command line, JSON, scenarios).
 * @param p the policy
 * @context Any context; constexpr.
 * @return "silent-drop", "reject", "ack-flag" or "full"; "?" for a value
 * outside the enum.
 */
constexpr std::string_view name(policy p)
{
	switch (p) {
	case policy::silent_drop: return "silent-drop";
	case policy::reject: return "reject";
	case policy::ack_flag: return "ack-flag";
	case policy::full: return "full";
	}
	return "?";
}

/**
 * @brief The stable name of a freeze knob.
 * @param f the knob
 * @context Any context; constexpr.
 * @return "allowed" or "busy".
 */
constexpr std::string_view name(freeze f)
{
	return f == freeze::allowed ? "allowed" : "busy";
}

/**
 * @brief The stable name of a vfio gate.
 * @param g the gate
 * @context Any context; constexpr.
 * @return "rid-only" or "always".
 */
constexpr std::string_view name(vfio_gate g)
{
	return g == vfio_gate::rid_only ? "rid-only" : "always";
}

/**
 * @brief The stable name of a code version.
 * @param v the version
 * @context Any context; constexpr.
 * @return "v1", "v2" or "post-v2"; "?" for a value outside the enum.
 */
constexpr std::string_view name(version v)
{
	switch (v) {
	case version::v1: return "v1";
	case version::v2: return "v2";
	case version::post_v2: return "post-v2";
	}
	return "?";
}

/**
 * @brief The code version with a given stable name (inverse of name(version)).
 * @param s the name
 * @context Any context; constexpr.
 * @return the version; std::nullopt if @p s names none.
 */
constexpr std::optional<version> parse_version(std::string_view s)
{
	for (auto v : {version::v1, version::v2, version::post_v2})
		if (name(v) == s)
			return v;
	return std::nullopt;
}

/**
 * @brief The preset's name, or "custom" for any other combination.
 * @param v the variant
 * @return the name of the first preset equal to @p v, else "custom".
 * @context Any context; constexpr.
 */
constexpr std::string_view name(const variant &v)
{
	for (const auto &p : presets)
		if (p.variant == v)
			return p.name;
	return "custom";
}

/**
 * @brief The policy with a given stable name (inverse of name(policy)).
 * @param s the name
 * @context Any context; constexpr.
 * @return the policy; std::nullopt if @p s names none.
 */
constexpr std::optional<policy> parse_policy(std::string_view s)
{
	for (auto p : {policy::silent_drop, policy::reject, policy::ack_flag, policy::full})
		if (name(p) == s)
			return p;
	return std::nullopt;
}

/**
 * @brief The freeze knob with a given stable name (inverse of name(freeze)).
 * @param s the name
 * @context Any context; constexpr.
 * @return the knob; std::nullopt if @p s names none.
 */
constexpr std::optional<freeze> parse_freeze(std::string_view s)
{
	for (auto f : {freeze::allowed, freeze::busy})
		if (name(f) == s)
			return f;
	return std::nullopt;
}

/**
 * @brief The vfio gate with a given stable name (inverse of name(vfio_gate)).
 * @param s the name
 * @context Any context; constexpr.
 * @return the gate; std::nullopt if @p s names none.
 */
constexpr std::optional<vfio_gate> parse_vfio_gate(std::string_view s)
{
	for (auto g : {vfio_gate::rid_only, vfio_gate::always})
		if (name(g) == s)
			return g;
	return std::nullopt;
}

/**
 * @brief The variant of a preset, by name.
 * @param s the preset's name ("v1", "v2", "post-v2", "doc-only", "reject",
 * "ack-flag", "full")
 * @context Any context; constexpr.
 * @return the preset's variant; std::nullopt if @p s names no preset
 * ("custom" included).
 */
constexpr std::optional<variant> find_preset(std::string_view s)
{
	for (const auto &p : presets)
		if (p.name == s)
			return p.variant;
	return std::nullopt;
}

} // namespace lu
