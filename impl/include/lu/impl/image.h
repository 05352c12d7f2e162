/* SPDX-License-Identifier: GPL-2.0 */
/**
 * @file image.h
 * @brief Writing and parsing the hand-over image (layout: image_abi.h).
 *
 * The writer fills one preallocated buffer with fixed-size records, in array
 * order, with no allocation per record. The parser trusts nothing: it checks
 * the header, the sizes and counts, the checksum, then every record and
 * reference, never reads outside the buffer, and on error says what is wrong
 * and where. Restoring the new kernel's state from a parsed image is in
 * restore.h.
 */
#pragma once

#include <cerrno>
#include <cstddef>
#include <cstdint>

#include "lu/core/variant.h"
#include "lu/impl/image_abi.h"

namespace lu::impl {

/** @brief An image in counted memory (lu_kzalloc). Owned by whoever holds it. */
struct lu_image {
	std::uint8_t *data = nullptr; /**< the bytes */
	std::size_t size = 0;         /**< their number */
};

/**
 * @brief Free an image's buffer and empty it.
 * @context Any context. @p img may be empty.
 */
void lu_image_free(lu_image *img) noexcept;

/**
 * @brief LU_IMG_CSUM ("fnv1a64x4", image_abi.h) of @p size bytes.
 * @param data the bytes to hash.
 * @param size their number.
 * @param skip_word index of a 64-bit word read as zero (the checksum field:
 *        offsetof(lu_img_header, checksum) / 8), or SIZE_MAX for none.
 * @context Any context. Bytes after the last whole word are hashed as a
 * zero-padded word.
 * @return the checksum.
 */
[[nodiscard]] std::uint64_t lu_img_checksum(const void *data, std::size_t size,
					    std::size_t skip_word) noexcept;

/** @brief What an image will hold; image_writer::begin() sizes the buffer from it. */
struct lu_img_counts {
	std::uint32_t nr_iommus = 0;
	std::uint32_t nr_hwpts = 0;
	std::uint32_t nr_devices = 0;
	std::uint32_t nr_pasids = 0;
	std::uint32_t features = 0; /**< LU_IMG_F_* */
	lu::variant variant{};      /**< recorded in the header */
};

/**
 * @brief Fills an image record by record, in array order.
 *
 * begin() allocates the whole buffer once; the add_*() calls write one fixed
 * size record each and set its idx (and a device's pasid_first); the first
 * misuse (more records than counted, a PASID outside its device's slice)
 * makes the writer keep the error, like xas_set_err(), and finish() returns
 * it. Destroying an unfinished writer frees its buffer.
 */
class image_writer {
public:
	image_writer() = default;
	image_writer(const image_writer &) = delete;
	image_writer &operator=(const image_writer &) = delete;
	/**
	 * @brief Free the buffer of an unfinished writer (finish() hands it on).
	 * @context Any context.
	 */
	~image_writer();

	/**
	 * @brief Allocate the buffer and write the header.
	 * @context Allocates (lu_kzalloc, fail_nth reaches it).
	 * @return 0; -EOVERFLOW if the counts exceed the parser's limits;
	 * -ENOMEM if the buffer cannot be allocated.
	 */
	[[nodiscard]] int begin(const lu_img_counts &counts) noexcept;

	/**
	 * @brief Append an iommu record.
	 * @context Any context; never allocates (begin() did).  A record beyond
	 * begin()'s count is a sticky error (finish() returns -EFAULT).
	 * @return its index; LU_IMG_NONE on that error.
	 */
	std::uint32_t add_iommu(std::uint32_t ref_count, std::uint64_t token, std::uint64_t root_table) noexcept;

	/**
	 * @brief Append a hwpt record (@p parent_idx LU_IMG_NONE for paging).
	 * @context Any context; never allocates (begin() did).  A record beyond
	 * begin()'s count is a sticky error (finish() returns -EFAULT).
	 * @return its index; LU_IMG_NONE on that error.
	 */
	std::uint32_t add_hwpt(std::uint32_t flags, std::uint32_t hwpt_id, std::uint32_t parent_idx,
			       std::uint64_t token) noexcept;

	/**
	 * @brief Append a device record; idx and pasid_first are set here, the
	 * rest comes from @p dev. Its @c nr_pasids add_pasid() calls follow.
	 * @context Any context; never allocates (begin() did).  A record beyond
	 * begin()'s count, or one whose PASIDs overflow it, or one added before
	 * the previous device's PASIDs are all written, is a sticky error
	 * (finish() returns -EFAULT).
	 * @return its index; LU_IMG_NONE on that error.
	 */
	std::uint32_t add_device(const lu_img_device &dev) noexcept;

	/**
	 * @brief Append a PASID entry of the last device added.
	 * @context Any context; never allocates (begin() did).  An entry beyond
	 * that device's nr_pasids is a sticky error (finish() returns -EFAULT).
	 */
	void add_pasid(std::uint32_t pasid, std::uint32_t hwpt_idx) noexcept
	{
		if (pasid_pos_ >= pasid_end_) [[unlikely]] {
			err_ = err_ ? err_ : -EFAULT;
			return;
		}
		auto *e = pasids_ + pasid_pos_++;
		e->pasid = pasid;
		e->hwpt_idx = hwpt_idx;
	}

	/**
	 * @brief Check that every counted record was written, write the
	 * checksum, and hand the buffer to @p out.
	 * @context Any context.
	 * @return 0; the first error kept (-EFAULT: record counts differ from
	 * begin()'s, as iommufd_save_hwpts()'s count mismatch).
	 */
	[[nodiscard]] int finish(lu_image *out) noexcept;

private:
	lu_image img_{};
	lu_img_counts counts_{};
	lu_img_iommu *iommus_ = nullptr;
	lu_img_hwpt *hwpts_ = nullptr;
	lu_img_device *devices_ = nullptr;
	lu_img_pasid *pasids_ = nullptr;
	std::uint32_t nr_iommus_ = 0, nr_hwpts_ = 0, nr_devices_ = 0;
	std::uint32_t pasid_pos_ = 0; /* next PASID entry */
	std::uint32_t pasid_end_ = 0; /* end of the last device's slice */
	int err_ = 0;
};

/** @brief Why the parser rejected an image: the errno, where, and what. */
struct lu_img_error {
	int err = 0;              /**< negative errno, 0 when valid */
	std::uint64_t offset = 0; /**< byte offset of the offending field */
	char what[192] = {};      /**< one line, NUL terminated */
};

/** @brief A parsed image: typed views into the caller's buffer (no copy). */
struct lu_img_view {
	const lu_img_header *hdr = nullptr;
	const lu_img_iommu *iommus = nullptr;
	const lu_img_hwpt *hwpts = nullptr;
	const lu_img_device *devices = nullptr;
	const lu_img_pasid *pasids = nullptr;
};

/**
 * @brief Validate an image and return views of its arrays.
 * @param data the image bytes (any alignment).
 * @param size their number.
 * @param view set on success.
 * @param err set on failure (may be nullptr).
 * @context Any context. Never allocates, never reads outside [data, data+size).
 *
 * Checks run in this order, the first failure decides:
 * size for the magic, magic, size for the header, major version and
 * compatible string, header and record sizes, feature bits, variant bytes and
 * reserved fields, counts, total size versus the buffer, checksum, then the
 * records in array order (iommus, hwpts, devices with their PASID slices).
 *
 * @return 0 if the image is valid;
 * -ENODATA truncated: shorter than the magic, the header or total_size;
 * -ENOEXEC wrong magic;
 * -EPROTONOSUPPORT unknown major version or compatible string;
 * -EPROTO wrong header_size or record size;
 * -EOPNOTSUPP unknown feature bit;
 * -EOVERFLOW bad counts (above the limits, total_size not what the counts give,
 *  PASID slices not adding up to nr_pasids);
 * -E2BIG trailing bytes after total_size;
 * -EBADMSG checksum mismatch;
 * -ERANGE a PASID of 0, at or above 2^20, or at or above its device's
 *  max_pasids; max_pasids above 2^20;
 * -ENXIO a dangling reference (index past its array);
 * -EEXIST a duplicate (hwpt id or token, device BDF or token, PASID in a device);
 * -EINVAL any other bad field (idx not its position, unknown flag or enum,
 *  reserved not zero, nested parent not paging, slice out of order, PASID
 *  table without its feature bit, iommu ref_count wrong, PASID hwpt not
 *  pasid_compat).
 */
[[nodiscard]] int lu_img_parse(const void *data, std::size_t size, lu_img_view *view,
			       lu_img_error *err) noexcept;

/** @brief lu_img_parse_header()'s @p size when the input's length is not known (a pipe). */
inline constexpr std::uint64_t LU_IMG_SIZE_UNKNOWN = UINT64_MAX;

/**
 * @brief Check an image's header alone, before the rest of it is read.
 * @param data the first bytes of the input (any alignment).
 * @param avail their number: at least sizeof(lu_img_header), unless the
 *        input is shorter and @p data is all of it.
 * @param size the whole input's length when it is known (a regular file's),
 *        else LU_IMG_SIZE_UNKNOWN.
 * @param total_size set on success to the header's total_size: the bytes to
 *        read, never more than LU_IMG_MAX_SIZE.
 * @param err set on failure (may be nullptr).
 * @context Any context. Never allocates, never reads outside
 * [data, data + min(avail, sizeof(lu_img_header))).
 *
 * Runs lu_img_parse()'s checks up to "total size versus the buffer", in the
 * same order and with the same errors and messages; lu_img_parse() starts
 * with it. A reader that checks the header first, then reads total_size
 * bytes and hands them to lu_img_parse(), holds at most LU_IMG_MAX_SIZE
 * bytes, and rejects a too long or too short regular file without reading
 * past its header.
 *
 * @return 0 if the header is valid (and @p size, if known, is its
 * total_size); else the first failure as lu_img_parse() reports it:
 * -ENODATA, -ENOEXEC, -EPROTONOSUPPORT, -EPROTO, -EOPNOTSUPP, -EINVAL,
 * -EOVERFLOW or -E2BIG.
 */
[[nodiscard]] int lu_img_parse_header(const void *data, std::size_t avail, std::uint64_t size,
				      std::uint64_t *total_size, lu_img_error *err) noexcept;

/**
 * @brief A short name for a parser errno ("truncated", "bad checksum", ...).
 * @return a static string; "error" for any other value.
 * @context Any context.
 */
const char *lu_img_strerror(int err) noexcept;

} // namespace lu::impl
