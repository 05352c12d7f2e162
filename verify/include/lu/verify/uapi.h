/* SPDX-License-Identifier: GPL-2.0 */
/**
 * @file uapi.h
 * @brief A decoded witness as the uAPI call sequence a VMM would issue,
 * shaped like an iommufd selftest, so that an RFC can quote it.
 *
 * The rendering uses the real ioctl and struct names (DOMAIN sections 1.4,
 * 2 and 3): `IOMMU_HWPT_ALLOC` (with `IOMMU_HWPT_ALLOC_PASID` and, for a
 * nested hwpt, `IOMMU_HWPT_DATA_SELFTEST` data over an
 * `IOMMU_HWPT_ALLOC_NEST_PARENT` parent), the v2 series'
 * `IOMMU_HWPT_LIVEUPDATE_MARK_PRESERVE {size, hwpt_id, hwpt_token}`,
 * `VFIO_DEVICE_ATTACH_IOMMUFD_PT {argsz, flags, pt_id, pasid}` (a second
 * attach on the same PASID is vfio's replace), `VFIO_DEVICE_DETACH_IOMMUFD_PT`,
 * and LUO's `LIVEUPDATE_SESSION_PRESERVE_FD {size, fd, token}` on the
 * session fd. Returns become `ASSERT_EQ(0, ...)` or
 * `EXPECT_ERRNO(E..., ...)` as in tools/testing/selftests/iommu.
 *
 * Three things have no uAPI and are marked hypothetical in the output:
 * the acknowledgement flag (`IOMMU_LU_FLAG_IGNORE_PASID`, never merged;
 * LUO's preserve carries no flags, so it is shown as an iommufd ioctl
 * `IOMMU_DEVICE_LU_SET_FLAGS` issued just before the preserve, see
 * docs/assumptions.md), the single-file unpreserve (LUO unpreserves files
 * only when the session is closed), and the DMA check of the new kernel
 * (a `dma_translates()` helper standing for a mock device's DMA).
 */
#pragma once

#include <string>

#include "lu/model/prove.h"

namespace lu::verify {

/**
 * @brief Render the witness of @p r as a selftest-shaped C fragment.
 * @param r a result with a witness (a counterexample or a capability's
 *        witness); its variant and property name the test
 * @param indent one level of indentation ("\t" as in the kernel, or spaces
 *        for a mail)
 * @return the fragment: a comment with the variant and property, a
 *         `TEST_F(iommufd_liveupdate, ...)` body that allocates the hwpts
 *         of the configuration, issues every step with its expected return,
 *         then, after kexec, one DMA expectation per attachment at kexec
 *         (translates if restored, faults if lost). Empty if @p r has no
 *         witness. Lines stay under 72 columns when @p indent is at most
 *         two spaces.
 * @context Any context; pure function of @p r.
 */
std::string uapi_selftest(const lu::model::result &r, const std::string &indent = "\t");

/**
 * @brief The positive errno macro name of a return, for EXPECT_ERRNO.
 * @param ret a negative errno
 * @return "EINVAL", "EOPNOTSUPP", ...; the number as text if unnamed here.
 * @context Any context.
 */
std::string errno_macro(int ret);

} // namespace lu::verify
