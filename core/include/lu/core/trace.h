/* SPDX-License-Identifier: GPL-2.0 */
/**
 * @file trace.h
 * @brief The abstract machine's configurations, operations and traces.
 *
 * docs/semantics.md defines what every operation does and returns; impl/ and
 * model/ each implement that text on their own, and verify/ runs the same
 * trace through both. Indices (dev, hwpt, group) are positions in a config.
 */
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace lu {

/** @brief PASIDs are 20 bits (PCIe; VT-d PASID_MAX 0x100000). */
inline constexpr unsigned PASID_BITS = 20;
/** @brief One past the largest PASID, and the largest max_pasids. */
inline constexpr std::uint32_t PASID_LIMIT = 1u << PASID_BITS;
/** @brief The RID (no-PASID) path, as the kernel's IOMMU_NO_PASID. */
inline constexpr std::uint32_t IOMMU_NO_PASID = 0;

enum class hwpt_kind : std::uint8_t { paging, nested };

/** @brief A hardware page table allocated before the trace starts. */
struct hwpt_config {
	hwpt_kind kind = hwpt_kind::paging;
	std::uint32_t parent = 0;  /**< nested only: index of its paging parent */
	bool pasid_compat = false; /**< allocated with IOMMU_HWPT_ALLOC_PASID */
	bool sealed = true;        /**< paging only: all mappings file-backed and sealed */
	friend bool operator==(const hwpt_config &, const hwpt_config &) = default;
};

/** @brief A vfio cdev bound to the iommufd. */
struct device_config {
	std::uint32_t group = 0;      /**< iommu group; devices sharing it share pasid_attach */
	std::uint32_t max_pasids = 0; /**< dev->iommu->max_pasids, 0 = no PASID support */
	bool vf = false;              /**< pdev->is_virtfn: pci_liveupdate_preserve() refuses it */
	friend bool operator==(const device_config &, const device_config &) = default;
};

/** @brief The fixed part of a state: what exists before the trace starts. */
struct config {
	std::vector<device_config> devices;
	std::vector<hwpt_config> hwpts;
	friend bool operator==(const config &, const config &) = default;
};

/** @brief Operations of DESIGN section 2 (hwpt_alloc is folded into config). */
enum class op : std::uint8_t {
	mark_preserve,      /**< (hwpt, token) IOMMU_HWPT_LIVEUPDATE_MARK_PRESERVE */
	attach,             /**< (dev, pasid, hwpt); pasid 0 = RID */
	replace,            /**< (dev, pasid, hwpt) */
	detach,             /**< (dev, pasid) */
	preserve_iommufd,   /**< (token) LIVEUPDATE_SESSION_PRESERVE_FD of the iommufd */
	preserve_device,    /**< (dev, token, flags) LIVEUPDATE_SESSION_PRESERVE_FD of the cdev */
	unpreserve_device,  /**< (dev) the cdev's .unpreserve() */
	unpreserve_iommufd, /**< () the iommufd's .unpreserve() */
	kexec,              /**< () freeze, serialize, boot the new kernel, restore */
	dma,                /**< (dev, pasid) new kernel: 0 translates, -EFAULT faults */
	/* The new kernel, as the selftests observe it: */
	retrieve,           /**< (token) LIVEUPDATE_SESSION_RETRIEVE_FD */
	open_device,        /**< (dev) open() of the cdev */
	bind_device,        /**< (dev) VFIO_DEVICE_BIND_IOMMUFD of the cdev to a new iommufd */
	finish,             /**< () LIVEUPDATE_SESSION_FINISH */
};

inline constexpr std::array<op, 14> all_ops{
	op::mark_preserve, op::attach,	 op::replace,	  op::detach,	   op::preserve_iommufd,
	op::preserve_device, op::unpreserve_device, op::unpreserve_iommufd, op::kexec, op::dma,
	op::retrieve,	   op::open_device, op::bind_device, op::finish,
};

/** @brief Which arguments of a step an operation reads (the others are 0). */
struct operands {
	bool dev = false, pasid = false, hwpt = false, token = false, flags = false;
};

/**
 * @brief The arguments @p o reads, one table for every layer.
 * @param o the operation
 * @context Any context; constexpr.
 * @return its operands.
 */
constexpr operands operands_of(op o)
{
	switch (o) {
	case op::mark_preserve: return {.hwpt = true, .token = true};
	case op::attach:
	case op::replace: return {.dev = true, .pasid = true, .hwpt = true};
	case op::detach:
	case op::dma: return {.dev = true, .pasid = true};
	case op::preserve_iommufd:
	case op::retrieve: return {.token = true};
	case op::preserve_device: return {.dev = true, .token = true, .flags = true};
	case op::unpreserve_device:
	case op::open_device:
	case op::bind_device: return {.dev = true};
	case op::unpreserve_iommufd:
	case op::kexec:
	case op::finish: return {};
	}
	return {};
}

/**
 * @brief Whether @p o is an operation of the new kernel: -ENODEV before
 * kexec, as the old kernel's operations are after it (dma observes both).
 * @param o the operation
 * @context Any context; constexpr.
 * @return true for retrieve, open_device, bind_device and finish.
 */
constexpr bool new_kernel_op(op o)
{
	return o == op::retrieve || o == op::open_device || o == op::bind_device || o == op::finish;
}

/**
 * @brief The stable name of an operation (scenario files, JSON, traces).
 * @param o the operation
 * @context Any context; constexpr.
 * @return the name ("attach", "preserve_device", ...); "?" for a value
 * outside the enum.
 */
constexpr std::string_view name(op o)
{
	switch (o) {
	case op::mark_preserve: return "mark_preserve";
	case op::attach: return "attach";
	case op::replace: return "replace";
	case op::detach: return "detach";
	case op::preserve_iommufd: return "preserve_iommufd";
	case op::preserve_device: return "preserve_device";
	case op::unpreserve_device: return "unpreserve_device";
	case op::unpreserve_iommufd: return "unpreserve_iommufd";
	case op::kexec: return "kexec";
	case op::dma: return "dma";
	case op::retrieve: return "retrieve";
	case op::open_device: return "open_device";
	case op::bind_device: return "bind_device";
	case op::finish: return "finish";
	}
	return "?";
}

/**
 * @brief The operation with a given stable name (inverse of name(op)).
 * @param s the name
 * @context Any context; constexpr.
 * @return the operation; std::nullopt if @p s names none.
 */
constexpr std::optional<op> parse_op(std::string_view s)
{
	for (op o : all_ops)
		if (name(o) == s)
			return o;
	return std::nullopt;
}

/** @brief One operation of a trace with its arguments (unused ones are 0). */
struct step {
	lu::op op = op::kexec;
	std::uint32_t dev = 0;
	std::uint32_t pasid = 0;
	std::uint32_t hwpt = 0;
	std::uint64_t token = 0;
	std::uint32_t flags = 0;
	friend bool operator==(const step &, const step &) = default;
};

/**
 * @brief @p s with the arguments its operation does not read set to 0, so
 * that traces print and compare cleanly.
 * @param s a step
 * @context Any context; constexpr.
 * @return the cleaned step.
 */
constexpr step clean_step(step s)
{
	const operands a = operands_of(s.op);
	return {s.op, a.dev ? s.dev : 0, a.pasid ? s.pasid : 0, a.hwpt ? s.hwpt : 0, a.token ? s.token : 0,
		a.flags ? s.flags : 0};
}

/** @brief One attachment: (dev, pasid) translates through hwpt. */
struct attachment {
	std::uint32_t dev = 0;
	std::uint32_t pasid = 0;
	std::uint32_t hwpt = 0;
	friend auto operator<=>(const attachment &, const attachment &) = default;
};

/**
 * @brief What a trace did: every return value, and the attachments at kexec
 * and after restore (sorted by dev, pasid; empty when the trace has no kexec).
 */
struct outcome {
	std::vector<int> rets;
	std::vector<attachment> at_kexec;
	std::vector<attachment> restored;
	friend bool operator==(const outcome &, const outcome &) = default;
};

} // namespace lu
