/* SPDX-License-Identifier: GPL-2.0 */
/**
 * @file machine.h
 * @brief The abstract machine of docs/semantics.md on the real lu::impl objects.
 *
 * verify/ and bench/ drive lu::impl through this facade: a machine is built
 * from a lu::config (every device bound, every hwpt allocated, in config
 * order) and a kernel variant, and run() applies one lu::step, translating
 * config indices (dev, hwpt) to the objects: ictx->objects ids,
 * igroup->pasid_attach, the LUO session. The outcome pieces (attachments at
 * kexec, restored attachments, the image) and a comparable snapshot of the
 * old kernel's state are read through accessors.
 *
 * The machine itself and every object live in counted memory (fail_nth
 * reaches every allocation of run()). The accessors that return std::vector
 * (at_kexec(), restored(), snapshot()) allocate outside that accounting;
 * they are observations, not operations, and are not part of the fail_nth
 * claims.
 */
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "lu/core/trace.h"
#include "lu/core/variant.h"
#include "lu/impl/image.h"
#include "lu/impl/iommufd.h"
#include "lu/impl/iommufd_lu.h"
#include "lu/impl/luo.h"
#include "lu/impl/restore.h"

namespace lu::impl {

/** @brief A preserved file as a snapshot shows it. */
struct file_state {
	bool iommufd = false;                /**< the iommufd, else a device cdev */
	std::uint32_t dev = 0;               /**< the device (cdev only) */
	std::uint64_t token = 0;             /**< its LUO token */
	std::uint32_t flags = 0;             /**< the request's flags */
	bool frozen = false;                 /**< LUO froze it */
	bool has_record = false;             /**< iommufd_device_preserve() ran */
	std::vector<lu::attachment> record;  /**< what it will restore */
	friend bool operator==(const file_state &, const file_state &) = default;
};

/** @brief A hwpt's live-update state. */
struct hwpt_state {
	bool marked = false;           /**< liveupdate_preserved */
	std::uint64_t token = 0;       /**< liveupdate_token */
	bool domain_preserved = false; /**< domain->preserved_state */
	std::uint32_t users = 0;       /**< attachments holding it */
	friend bool operator==(const hwpt_state &, const hwpt_state &) = default;
};

/**
 * @brief The old kernel's whole observable state, comparable with ==, so a
 * test can show that a failed operation changed nothing.
 */
struct machine_state {
	std::vector<lu::attachment> attachments;                   /**< (dev, pasid, hwpt), sorted */
	std::vector<hwpt_state> hwpts;                             /**< by config index */
	std::vector<std::pair<std::uint32_t, int>> nr_preserved;   /**< (group, nr_liveupdate_preserved) */
	std::vector<file_state> files;                             /**< the session, in order */
	bool kexeced = false;                                      /**< the update happened */
	friend bool operator==(const machine_state &, const machine_state &) = default;
};

class machine;
/** @brief Frees a machine (lu_delete). */
struct machine_deleter {
	/**
	 * @brief Destroy and free @p m (nullptr allowed).
	 * @context Any context; never fails.
	 */
	void operator()(machine *m) const noexcept;
};
/** @brief An owned machine. */
using machine_ptr = std::unique_ptr<machine, machine_deleter>;

/** @brief The abstract machine on lu::impl. Not copyable; single-threaded. */
class machine {
public:
	/**
	 * @brief Build the old kernel for @p cfg under variant @p v: an iommufd
	 * with one IOAS, the hwpts (paging first, then nested, each with its
	 * config's pasid_compat and sealed), every device bound.
	 * @context Allocates (fail_nth reaches it; a failure frees everything).
	 * @return 0 and *@p out; -EINVAL bad config (nested parent not a paging
	 * index, max_pasids above 2^20); -ENOMEM.
	 */
	[[nodiscard]] static int create(const lu::config &cfg, lu::variant v, machine_ptr *out) noexcept;

	machine(const machine &) = delete;
	machine &operator=(const machine &) = delete;
	/**
	 * @brief Close the session (unpreserving what is still preserved), free
	 * both kernels' objects and the image.
	 * @context Any context; never fails.
	 */
	~machine();

	/**
	 * @brief Apply one operation of docs/semantics.md.
	 * @context Allocates as the operation does; a failure changes nothing.
	 * @return the operation's 0 or negative errno, as docs/semantics.md
	 * lists for it (and -ENOMEM when fail_nth hits); -ENODEV for an old
	 * kernel's operation after kexec and a new kernel's before it (dma
	 * observes both); -EBADF for a device index outside the config and
	 * -ENOENT for a hwpt index outside it.
	 */
	[[nodiscard]] int run(const lu::step &s) noexcept;

	/**
	 * @brief Whether the update happened.
	 * @context Any context.
	 * @return true once a kexec step returned 0.
	 */
	[[nodiscard]] bool kexeced() const noexcept { return kexeced_; }

	/**
	 * @brief Every (dev, pasid, hwpt) attached at kexec, sorted.
	 * @context Allocates with new (std::bad_alloc; not counted by fail_nth).
	 * @return the attachments; empty before kexec.
	 */
	[[nodiscard]] std::vector<lu::attachment> at_kexec() const;

	/**
	 * @brief Every (dev, pasid, hwpt) the new kernel translates, sorted.
	 * @context Allocates with new (std::bad_alloc; not counted by fail_nth).
	 * @return the attachments; empty before kexec.
	 */
	[[nodiscard]] std::vector<lu::attachment> restored() const;

	/**
	 * @brief The hand-over image kexec produced.
	 * @context Any context; valid until the machine is destroyed.
	 * @return its bytes; empty before kexec.
	 */
	[[nodiscard]] std::span<const std::uint8_t> image() const noexcept { return {img_.data, img_.size}; }

	/**
	 * @brief The old kernel's state now.
	 * @context Allocates with new (std::bad_alloc; not counted by fail_nth).
	 * @return attachments, hwpts, preserve counts and session files.
	 */
	[[nodiscard]] machine_state snapshot() const;

	/**
	 * @brief The variant it runs.
	 * @context Any context.
	 * @return the variant create() was given.
	 */
	[[nodiscard]] lu::variant variant() const noexcept { return ictx_.variant; }

	/**
	 * @brief The old kernel's iommufd, for white-box tests.
	 * @context Any context.
	 * @return the context (never NULL).
	 */
	[[nodiscard]] iommufd_ctx *ictx() noexcept { return &ictx_; }
	/**
	 * @brief The LUO session, for white-box tests.
	 * @context Any context.
	 * @return the session (never NULL).
	 */
	[[nodiscard]] luo_session *session() noexcept { return &session_; }
	/**
	 * @brief The new kernel (restored state), for white-box tests.
	 * @context Any context.
	 * @return the new kernel (never NULL; empty before kexec).
	 */
	[[nodiscard]] new_kernel *next_kernel() noexcept { return &nk_; }
	/**
	 * @brief A bound device by config index, for white-box tests.
	 * @context Any context.
	 * @return the iommufd_device; nullptr if @p dev is outside the config.
	 */
	[[nodiscard]] iommufd_device *device(std::uint32_t dev) noexcept
	{
		return dev < nr_devices_ ? vdevs_[dev].idev : nullptr;
	}
	/**
	 * @brief A hwpt by config index, for white-box tests.
	 * @context Any context.
	 * @return the hwpt; nullptr if @p h is outside the config.
	 */
	[[nodiscard]] iommufd_hw_pagetable *hwpt(std::uint32_t h) noexcept
	{
		return h < nr_hwpts_ ? hwpts_[h] : nullptr;
	}

private:
	friend struct machine_deleter;
	friend machine *lu_new_machine() noexcept;
	machine() noexcept;

	int do_kexec() noexcept;
	int do_unpreserve_iommufd() noexcept;
	int do_retrieve(std::uint64_t token) noexcept;
	luo_file_ser *incoming_cdev(std::uint32_t dev) noexcept;
	int do_bind(std::uint32_t dev) noexcept;
	int do_finish() noexcept;
	int hwpt_index(std::uint32_t hwpt_id) const noexcept;
	void attachments(std::vector<lu::attachment> *out) const;

	iommufd_ctx ictx_{};
	iommufd_ioas *ioas_ = nullptr;
	luo_global luo_{};
	luo_session session_{};
	std::uint32_t nr_hwpts_ = 0;
	iommufd_hw_pagetable **hwpts_ = nullptr; /* config index -> hwpt */
	std::uint32_t nr_devices_ = 0;
	vfio_device *vdevs_ = nullptr;           /* config index -> cdev */
	bool kexeced_ = false;
	lu_image img_{};
	new_kernel nk_{};
	luo_incoming incoming_{}; /* LUO's hand-over: the new kernel's session */
};

/**
 * @brief The canned scenario of `iommufd-lu image example`: one device
 * (max_pasids 2^20) with its RID on paging hwpt 0 and PASIDs 1..@p nr_pasids
 * on paging hwpt 1 (both pasid_compat, sealed, marked with tokens 0x100 and
 * 0x101), then preserve_iommufd (token 1), preserve_device (token 2, no
 * flags) and kexec.
 * @param nr_pasids how many PASIDs (1..nr_pasids) are attached.
 * @param cfg set to the configuration.
 * @param steps set to the trace.
 * @context Allocates with new (std::bad_alloc; not counted by fail_nth).
 */
void example_trace(std::uint32_t nr_pasids, lu::config *cfg, std::vector<lu::step> *steps);

} // namespace lu::impl
