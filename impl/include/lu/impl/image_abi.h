/* SPDX-License-Identifier: GPL-2.0 */
/**
 * @file image_abi.h
 * @brief ABI of the hand-over image: what the old kernel leaves the new one.
 *
 * DOC: iommufd-lu hand-over image, version 1.0 ("iommufd-lu-image-v1")
 *
 * The image stands for everything KHO carries across the kexec for the
 * preserved iommufd and vfio cdevs: the IOMMU FLB (include/linux/kho/abi/
 * iommu.h of the series: iommu_ser, iommu_domain_ser, device_ser), the
 * iommufd file data (iommufd_hwpt_lu: one record per marked hwpt with its
 * token) and vfio-pci's vfio_pci_core_device_ser (the iommufd token), plus a
 * PASID table that only the `full` policy writes. The series links its arrays
 * by physical address; the image puts them one after the other in one
 * buffer, so that it is one self-describing file:
 *
 *     offset                         contents
 *     0                              struct lu_img_header        (96 bytes)
 *     96                             struct lu_img_iommu  [nr_iommus]  (32 bytes each)
 *     ... after the iommus           struct lu_img_hwpt   [nr_hwpts]   (40 bytes each)
 *     ... after the hwpts            struct lu_img_device [nr_devices] (56 bytes each)
 *     ... after the devices          struct lu_img_pasid  [nr_pasids]  (8 bytes each)
 *     total_size                     end; nothing may follow
 *
 * Every integer is little-endian; every record is a multiple of 8 bytes, so
 * every record is 8-byte aligned when the image is. References between
 * records are indices into the referenced array (LU_IMG_NONE = no reference),
 * never pointers. A record's @c idx is its own position (like iommu_obj_ser's
 * idx). A device's PASID entries are the slice [pasid_first, pasid_first +
 * nr_pasids) of the PASID table; the slices follow the device order without
 * gaps, and each slice is sorted by PASID, strictly ascending.
 *
 * The checksum is LU_IMG_CSUM ("fnv1a64x4") over the whole image with the
 * @c checksum field read as zero: the image is read as little-endian 64-bit
 * words w[0..n); word k goes to lane k mod 4, lane = (lane ^ w[k]) *
 * FNV64_PRIME, lanes start at FNV64_OFFSET ^ lane number; the result folds
 * the four lanes and the byte length the same way (see image.cpp:
 * lu_img_checksum()). Any change of a single word changes the sum.
 *
 * Rule: any change of layout, size, or meaning of a field bumps
 * LU_IMG_VERSION_MAJOR and the compatible string; a new optional feature bit
 * bumps LU_IMG_VERSION_MINOR. The static_asserts below pin every offset: if
 * one fires, you changed the ABI. docs/image-format.md is the same text for
 * readers.
 */
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>

namespace lu::impl {

static_assert(std::endian::native == std::endian::little,
	      "the image is little-endian; a big-endian port must byte-swap in image.cpp");

inline constexpr char LU_IMG_MAGIC[8] = {'I', 'O', 'M', 'M', 'U', 'L', 'U', '\x1a'};
inline constexpr char LU_IMG_COMPATIBLE[] = "iommufd-lu-image-v1";
inline constexpr std::uint16_t LU_IMG_VERSION_MAJOR = 1;
inline constexpr std::uint16_t LU_IMG_VERSION_MINOR = 0;

/** @brief Feature: the PASID table is present (written under the `full` policy). */
inline constexpr std::uint32_t LU_IMG_F_PASID_TABLE = 1u << 0;
/** @brief Every feature bit this version knows; others are rejected. */
inline constexpr std::uint32_t LU_IMG_F_KNOWN = LU_IMG_F_PASID_TABLE;

/** @brief "No reference" in an index field. */
inline constexpr std::uint32_t LU_IMG_NONE = 0xffffffffu;

/** @brief iommu record type (the series' enum iommu_lu_type). */
inline constexpr std::uint32_t LU_IMG_IOMMU_INVALID = 0;
inline constexpr std::uint32_t LU_IMG_IOMMU_MOCK = 1; /**< the abstract machine's IOMMU */

/** @brief hwpt flags. */
inline constexpr std::uint32_t LU_IMG_HWPT_NESTED = 1u << 0;       /**< nested; parent_idx set */
inline constexpr std::uint32_t LU_IMG_HWPT_PASID_COMPAT = 1u << 1; /**< IOMMU_HWPT_ALLOC_PASID */
inline constexpr std::uint32_t LU_IMG_HWPT_KNOWN = LU_IMG_HWPT_NESTED | LU_IMG_HWPT_PASID_COMPAT;

/** @brief device flags. */
inline constexpr std::uint32_t LU_IMG_DEV_NO_IOMMUFD = 1u << 0;   /**< vfio skipped iommufd preserve */
inline constexpr std::uint32_t LU_IMG_DEV_IGNORE_PASID = 1u << 1; /**< preserved with IOMMU_LU_FLAG_IGNORE_PASID */
inline constexpr std::uint32_t LU_IMG_DEV_KNOWN = LU_IMG_DEV_NO_IOMMUFD | LU_IMG_DEV_IGNORE_PASID;

/** @brief Parser limits: larger counts are "bad counts" (-EOVERFLOW). */
inline constexpr std::uint32_t LU_IMG_MAX_IOMMUS = 64;
inline constexpr std::uint32_t LU_IMG_MAX_HWPTS = 4096;
inline constexpr std::uint32_t LU_IMG_MAX_DEVICES = 4096;
/** @brief PASID entries of one device at most: PASIDs 1 .. 2^20 - 1, each once. */
inline constexpr std::uint32_t LU_IMG_MAX_DEVICE_PASIDS = (1u << 20) - 1;

/** @brief The image header. If this structure is modified, bump LU_IMG_VERSION_MAJOR. */
struct [[gnu::packed]] lu_img_header {
	char magic[8];                 /* LU_IMG_MAGIC */
	char compatible[32];           /* LU_IMG_COMPATIBLE, NUL padded */
	std::uint16_t version_major;   /* LU_IMG_VERSION_MAJOR */
	std::uint16_t version_minor;   /* LU_IMG_VERSION_MINOR; any minor is accepted */
	std::uint32_t header_size;     /* sizeof(lu_img_header) */
	std::uint32_t features;        /* LU_IMG_F_* */
	std::uint8_t policy;           /* lu::policy of the old kernel (informative) */
	std::uint8_t freeze;           /* lu::freeze */
	std::uint8_t vfio_gate;        /* lu::vfio_gate */
	std::uint8_t code_version;     /* lu::version of the old kernel's code */
	std::uint32_t nr_iommus;       /* records in the iommu array */
	std::uint32_t nr_hwpts;        /* records in the hwpt array */
	std::uint32_t nr_devices;      /* records in the device array */
	std::uint32_t nr_pasids;       /* entries in the PASID table */
	std::uint16_t iommu_rec_size;  /* sizeof(lu_img_iommu) */
	std::uint16_t hwpt_rec_size;   /* sizeof(lu_img_hwpt) */
	std::uint16_t device_rec_size; /* sizeof(lu_img_device) */
	std::uint16_t pasid_rec_size;  /* sizeof(lu_img_pasid) */
	std::uint64_t total_size;      /* bytes of the whole image */
	std::uint64_t checksum;        /* LU_IMG_CSUM with this field as 0 */
};

/** @brief One IOMMU unit (the series' iommu_ser). If modified, bump the major version. */
struct [[gnu::packed]] lu_img_iommu {
	std::uint32_t idx;        /* own position */
	std::uint32_t ref_count;  /* devices that reference it */
	std::uint32_t type;       /* LU_IMG_IOMMU_* */
	std::uint32_t reserved;   /* must be 0 */
	std::uint64_t token;      /* identifies the unit to the new kernel */
	std::uint64_t root_table; /* iommu_intel_ser.root_table (synthetic) */
};

/**
 * @brief One preserved hwpt: iommufd_hwpt_lu + iommu_domain_ser.
 * If this structure is modified, bump the major version.
 */
struct [[gnu::packed]] lu_img_hwpt {
	std::uint32_t idx;         /* own position */
	std::uint32_t flags;       /* LU_IMG_HWPT_* */
	std::uint32_t hwpt_id;     /* the old kernel's object id (ictx->objects) */
	std::uint32_t parent_idx;  /* nested: index of its paging parent; paging: LU_IMG_NONE */
	std::uint64_t token;       /* paging: IOMMU_HWPT_LIVEUPDATE_MARK_PRESERVE token; nested: 0 */
	std::uint64_t domain_data; /* iommu_domain_ser address in the old kernel (synthetic) */
	std::uint32_t top_level;   /* iommu_domain_ser.top_level (synthetic) */
	std::uint32_t reserved;    /* must be 0 */
};

/**
 * @brief One preserved vfio cdev: device_ser + vfio_pci_core_device_ser.
 * If this structure is modified, bump the major version.
 */
struct [[gnu::packed]] lu_img_device {
	std::uint32_t idx;           /* own position */
	std::uint32_t devid;         /* PCI BDF (the abstract machine's device index) */
	std::uint32_t pci_domain;    /* PCI segment */
	std::uint32_t iommu_idx;     /* its IOMMU; LU_IMG_NONE iff LU_IMG_DEV_NO_IOMMUFD */
	std::uint64_t token;         /* the cdev's LUO token */
	std::uint64_t iommufd_token; /* the iommufd's LUO token (u64; v1 had u32, DOMAIN 0) */
	std::uint32_t rid_hwpt_idx;  /* RID (pasid 0) hwpt; LU_IMG_NONE iff LU_IMG_DEV_NO_IOMMUFD */
	std::uint32_t max_pasids;    /* dev->iommu->max_pasids, at most 2^20 */
	std::uint32_t group_id;      /* iommu group */
	std::uint32_t flags;         /* LU_IMG_DEV_* */
	std::uint32_t pasid_first;   /* first entry of its slice of the PASID table */
	std::uint32_t nr_pasids;     /* entries in its slice; 0 without LU_IMG_F_PASID_TABLE */
};

/** @brief One PASID attachment (full only). If modified, bump the major version. */
struct [[gnu::packed]] lu_img_pasid {
	std::uint32_t pasid;    /* 1 .. min(max_pasids, 2^20) - 1 */
	std::uint32_t hwpt_idx; /* the hwpt it translates through */
};

static_assert(sizeof(lu_img_header) == 96);
static_assert(offsetof(lu_img_header, magic) == 0);
static_assert(offsetof(lu_img_header, compatible) == 8);
static_assert(offsetof(lu_img_header, version_major) == 40);
static_assert(offsetof(lu_img_header, version_minor) == 42);
static_assert(offsetof(lu_img_header, header_size) == 44);
static_assert(offsetof(lu_img_header, features) == 48);
static_assert(offsetof(lu_img_header, policy) == 52);
static_assert(offsetof(lu_img_header, freeze) == 53);
static_assert(offsetof(lu_img_header, vfio_gate) == 54);
static_assert(offsetof(lu_img_header, code_version) == 55);
static_assert(offsetof(lu_img_header, nr_iommus) == 56);
static_assert(offsetof(lu_img_header, nr_hwpts) == 60);
static_assert(offsetof(lu_img_header, nr_devices) == 64);
static_assert(offsetof(lu_img_header, nr_pasids) == 68);
static_assert(offsetof(lu_img_header, iommu_rec_size) == 72);
static_assert(offsetof(lu_img_header, hwpt_rec_size) == 74);
static_assert(offsetof(lu_img_header, device_rec_size) == 76);
static_assert(offsetof(lu_img_header, pasid_rec_size) == 78);
static_assert(offsetof(lu_img_header, total_size) == 80);
static_assert(offsetof(lu_img_header, checksum) == 88);

static_assert(sizeof(lu_img_iommu) == 32);
static_assert(offsetof(lu_img_iommu, ref_count) == 4);
static_assert(offsetof(lu_img_iommu, type) == 8);
static_assert(offsetof(lu_img_iommu, token) == 16);
static_assert(offsetof(lu_img_iommu, root_table) == 24);

static_assert(sizeof(lu_img_hwpt) == 40);
static_assert(offsetof(lu_img_hwpt, flags) == 4);
static_assert(offsetof(lu_img_hwpt, hwpt_id) == 8);
static_assert(offsetof(lu_img_hwpt, parent_idx) == 12);
static_assert(offsetof(lu_img_hwpt, token) == 16);
static_assert(offsetof(lu_img_hwpt, domain_data) == 24);
static_assert(offsetof(lu_img_hwpt, top_level) == 32);
static_assert(offsetof(lu_img_hwpt, reserved) == 36);

static_assert(sizeof(lu_img_device) == 56);
static_assert(offsetof(lu_img_device, devid) == 4);
static_assert(offsetof(lu_img_device, pci_domain) == 8);
static_assert(offsetof(lu_img_device, iommu_idx) == 12);
static_assert(offsetof(lu_img_device, token) == 16);
static_assert(offsetof(lu_img_device, iommufd_token) == 24);
static_assert(offsetof(lu_img_device, rid_hwpt_idx) == 32);
static_assert(offsetof(lu_img_device, max_pasids) == 36);
static_assert(offsetof(lu_img_device, group_id) == 40);
static_assert(offsetof(lu_img_device, flags) == 44);
static_assert(offsetof(lu_img_device, pasid_first) == 48);
static_assert(offsetof(lu_img_device, nr_pasids) == 52);

static_assert(sizeof(lu_img_pasid) == 8);
static_assert(offsetof(lu_img_pasid, hwpt_idx) == 4);

/**
 * @brief Size of an image with these counts (the parser's computation; 64-bit, no overflow).
 * @return the size in bytes.
 * @context Any context; constexpr.
 */
constexpr std::uint64_t lu_img_size(std::uint64_t nr_iommus, std::uint64_t nr_hwpts,
				    std::uint64_t nr_devices, std::uint64_t nr_pasids)
{
	return sizeof(lu_img_header) + nr_iommus * sizeof(lu_img_iommu) + nr_hwpts * sizeof(lu_img_hwpt) +
	       nr_devices * sizeof(lu_img_device) + nr_pasids * sizeof(lu_img_pasid);
}

/**
 * @brief The largest legal image, in bytes: every count at its limit
 * (LU_IMG_MAX_IOMMUS, LU_IMG_MAX_HWPTS, LU_IMG_MAX_DEVICES, and
 * LU_IMG_MAX_DEVICE_PASIDS entries for each device), about 32 GiB. No
 * header the parser accepts has a larger total_size, so a reader never
 * needs to hold more; the PASID table is nearly all of it.
 */
inline constexpr std::uint64_t LU_IMG_MAX_SIZE =
	lu_img_size(LU_IMG_MAX_IOMMUS, LU_IMG_MAX_HWPTS, LU_IMG_MAX_DEVICES,
		    std::uint64_t(LU_IMG_MAX_DEVICES) * LU_IMG_MAX_DEVICE_PASIDS);
static_assert(LU_IMG_MAX_SIZE == 34360100960ull);

} // namespace lu::impl
