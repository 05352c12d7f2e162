/* SPDX-License-Identifier: GPL-2.0 */
/**
 * @file luo.h
 * @brief The Live Update Orchestrator's file preservation (kernel/liveupdate/luo_file.c).
 *
 * A session keeps the files userspace preserved, with their tokens, in the
 * order they were preserved. Each file type has a handler (struct
 * liveupdate_file_ops) that does the real work; LUO does the bookkeeping,
 * the errnos of DOMAIN section 2 and the ordering rules: unpreserve in
 * reverse order on close, freeze in order with rollback on failure.
 *
 * Deviation: LIVEUPDATE_SESSION_PRESERVE_FD carries no flags; here the
 * request carries @c flags to the handler, because the model treats
 * IOMMU_LU_FLAG_IGNORE_PASID as part of the device's preserve request
 * (DESIGN section 1; a real kernel would need an ioctl of its own).
 * FLBs (file-lifecycle-bound global data) are not modelled: the IOMMU FLB's
 * content is produced by the serializer at kexec instead.
 */
#pragma once

#include <cstdint>

#include "lu/impl/xarray.h"

namespace lu::impl {

struct luo_session;
struct lu_file;

/** @brief Arguments of every handler op (liveupdate_file_op_args). */
struct liveupdate_file_op_args {
	luo_session *session;  /**< the session the file is preserved in */
	lu_file *file;         /**< the file */
	std::uint64_t token;   /**< its token */
	std::uint32_t flags;   /**< the preserve request's flags (see file comment) */
	void *private_data;    /**< set by .preserve(), handed to the other ops */
	std::uint64_t serialized_data = 0; /**< set by .preserve(): what LUO hands over for the file */
};

/** @brief A file type's live-update handler (struct liveupdate_file_ops). */
struct liveupdate_file_ops {
	const char *compatible;                                /**< e.g. "iommufd-v1" */
	int (*preserve)(liveupdate_file_op_args *args);        /**< required */
	void (*unpreserve)(liveupdate_file_op_args *args);     /**< required */
	int (*freeze)(liveupdate_file_op_args *args);          /**< optional */
	void (*unfreeze)(liveupdate_file_op_args *args);       /**< optional */
};

/** @brief An open file (struct file): its handler and its object. */
struct lu_file {
	const liveupdate_file_ops *ops; /**< nullptr: no handler, cannot be preserved */
	void *private_data;             /**< the iommufd_ctx, the vfio device, ... */
	std::uint32_t ino;              /**< unique per file; the global table's index */
};

/** @brief One preserved file of a session (struct luo_file). */
struct luo_file {
	lu_file *file;       /**< the file */
	std::uint64_t token; /**< userspace's token, unique in the session */
	std::uint32_t flags; /**< the request's flags */
	void *private_data;  /**< from .preserve() */
	std::uint64_t serialized_data; /**< from .preserve(), handed over at kexec */
	bool frozen;         /**< .freeze() succeeded and was not undone */
	luo_file *prev;      /**< preservation order */
	luo_file *next;
};

/**
 * @brief LUO's global state: the table of files preserved in any session
 * (luo_preserved_files), which makes a file preservable only once.
 */
struct luo_global {
	xarray preserved_files; /**< ino -> lu_file */
};

/** @brief Set up @p g empty. @context Any context. */
void luo_global_init(luo_global *g) noexcept;
/**
 * @brief Tear down @p g (every session must be closed first).
 * @context Frees; every session must be closed.
 */
void luo_global_destroy(luo_global *g) noexcept;

/** @brief Files per session: LUO_FILE_MAX = 2 pages / sizeof(struct luo_file_ser) (64 bytes). */
inline constexpr std::uint32_t LUO_FILE_MAX = 2 * 4096 / 64;

/** @brief An outgoing session (struct luo_session with its luo_file_set). */
struct luo_session {
	luo_global *global = nullptr; /**< the global table */
	luo_file *head = nullptr;     /**< first preserved */
	luo_file *tail = nullptr;     /**< last preserved */
	std::uint32_t count = 0;      /**< files preserved */
};

/** @brief Set up an empty session on @p g. @context Any context. */
void luo_session_init(luo_session *s, luo_global *g) noexcept;

/**
 * @brief luo_preserve_file(): preserve @p file under @p token.
 * @context Calls the handler's .preserve(); allocates.
 *
 * Checks in the kernel's order: token, capacity, handler, the global table,
 * the luo_file allocation, then .preserve() (kernel/liveupdate/luo_file.c
 * kzallocs the luo_file only after xa_insert() into luo_preserved_files, so
 * a file preserved already is -EBUSY, never -ENOMEM). A failure undoes
 * everything done so far.
 *
 * @return 0;
 * -EEXIST @p token is already used in this session;
 * -ENOSPC the session holds LUO_FILE_MAX files;
 * -ENOENT the file has no live-update handler;
 * -EBUSY the file is preserved already (in this or another session);
 * -ENOMEM allocation failure;
 * else the handler's error.
 */
[[nodiscard]] int luo_preserve_file(luo_session *s, std::uint64_t token, lu_file *file,
				    std::uint32_t flags) noexcept;

/**
 * @brief Unpreserve one file: what session close does to each of its files
 * (the abstract machine's unpreserve_device/unpreserve_iommufd).
 * @context Calls the handler's .unpreserve().
 * @return 0; -ENOENT if @p file is not preserved in @p s.
 */
[[nodiscard]] int luo_unpreserve_file(luo_session *s, lu_file *file) noexcept;

/**
 * @brief Close the session: unpreserve every file, last preserved first
 * (luo_file_unpreserve_files()).
 * @context Calls each handler's .unpreserve(). Cannot fail.
 */
void luo_session_close(luo_session *s) noexcept;

/**
 * @brief Freeze every file before the reboot, first preserved first
 * (luo_file_freeze()). If a .freeze() fails, the files frozen before it are
 * unfrozen again and the error is returned: the reboot fails.
 * @context Calls each handler's .freeze(), on error .unfreeze().
 * @return 0, or the first handler error.
 */
[[nodiscard]] int luo_session_freeze(luo_session *s) noexcept;

/** @brief Undo luo_session_freeze() (reboot aborted after it). @context Calls .unfreeze(). */
void luo_session_unfreeze(luo_session *s) noexcept;

/**
 * @brief liveupdate_get_token_outgoing(): the token @p file is preserved
 * with in @p s.
 * @context Any context.
 * @return 0 and *@p token; -ENOENT if @p file is not preserved in @p s.
 */
[[nodiscard]] int liveupdate_get_token_outgoing(const luo_session *s, const lu_file *file,
						std::uint64_t *token) noexcept;

/**
 * @brief The session's entry for @p file, or nullptr.
 * @return the entry, or nullptr if @p file is not preserved in @p s.
 * @context Any context.
 */
[[nodiscard]] luo_file *luo_find_file(const luo_session *s, const lu_file *file) noexcept;

/**
 * @brief What LUO hands over of one preserved file (the kernel's struct
 * luo_file_ser): its handler, its token and the handler's data.
 */
struct luo_file_ser {
	const char *compatible; /**< the handler's, e.g. "vfio-pci-v1" */
	std::uint64_t token;    /**< userspace's token */
	std::uint64_t data;     /**< the handler's serialized_data */
	bool retrieved;         /**< the new kernel: LIVEUPDATE_SESSION_RETRIEVE_FD gave it out */
};

/** @brief The new kernel's incoming session: the files the old one preserved, in order. */
struct luo_incoming {
	luo_file_ser files[LUO_FILE_MAX]; /**< the first @c count are used */
	std::uint32_t count = 0;          /**< files handed over */
};

/**
 * @brief At kexec: hand @p s over as @p in (its files in preservation order).
 * @context Does not allocate; never fails.
 */
void luo_session_serialize(const luo_session *s, luo_incoming *in) noexcept;

/**
 * @brief The incoming file with @p token, or nullptr (luo_retrieve_file's lookup).
 * @return the file; nullptr if no file of @p in has @p token.
 * @context Any context.
 */
[[nodiscard]] luo_file_ser *luo_incoming_find(luo_incoming *in, std::uint64_t token) noexcept;

} // namespace lu::impl
