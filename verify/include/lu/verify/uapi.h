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
 * `EXPECT_ERRNO(E..., ...)` as in tools/testing/selftests/iommu. The kexec
 * splits the test in two stages as the series' own
 * iommufd_liveupdate_kexec_test.c does (SERIES.md 11): stage 1 before it,
 * stage 2 after, found by whether LIVEUPDATE_IOCTL_RETRIEVE_SESSION finds
 * the test's session.
 *
 * Three things have no uAPI and are marked hypothetical in the output:
 * the acknowledgement flag (`IOMMU_LU_FLAG_IGNORE_PASID`, never merged;
 * LUO's preserve carries no flags, so it is shown as an iommufd ioctl
 * `IOMMU_DEVICE_LU_SET_FLAGS` issued just before the preserve, see
 * docs/assumptions.md), the single-file unpreserve (LUO unpreserves files
 * only when the session is closed), and the DMA check of the new kernel
 * (a `dma_translates()` helper standing for a device's DMA, which the
 * file declares weak: it knows nothing until one is linked, and
 * `EXPECT_DMA` then only logs). The mock iommu's nested data
 * (`IOMMU_HWPT_DATA_SELFTEST`) is in no uAPI header either: the file
 * declares it from drivers/iommu/iommufd/iommufd_test.h. The
 * acknowledgement ioctl has no number: the file uses 0xff, which every
 * kernel refuses with -ENOTTY.
 */
#pragma once

#include <string>

#include "lu/model/prove.h"

namespace lu::verify {

/**
 * @brief Render the witness of @p r as a selftest-shaped C fragment: the
 * TEST_F of uapi_selftest_file() alone, for a mail.
 * @param r a result with a witness (a counterexample or a capability's
 *        witness); its variant and property name the test
 * @param indent one level of indentation ("\t" as in the kernel, or spaces
 *        for a mail)
 * @return the fragment: a comment with the variant and property, then
 *         `TEST_F(iommufd_liveupdate, <variant>_<property>)` on the fixture
 *         of uapi_selftest_file() (`self->iommufd`, `self->cdev_fd[d]`,
 *         ...). With a kexec in the trace the body has two stages: stage 1
 *         (`self->stage == 1`) allocates the hwpts the trace uses, issues
 *         every step before the kexec with its expected return, then
 *         leaves a child holding the fds until the kexec; stage 2
 *         retrieves each cdev preserved at kexec and expects DMA of every
 *         attachment it had then to translate (marked FAILS where the
 *         model loses it). Empty if @p r has no witness.
 * @context Any context; pure function of @p r.
 */
std::string uapi_selftest(const lu::model::result &r, const std::string &indent = "\t");

/**
 * @brief Render the witness of @p r as a whole C file in the shape of the
 * series' tools/testing/selftests/iommu/iommufd_liveupdate_kexec_test.c,
 * on kselftest_harness.h (what `iommufd-lu report --format uapi` prints).
 * @param r a result with a witness
 * @return the file: a header comment (what the witness shows, how to
 *         build and run both stages); the includes, with
 *         `__has_include(<linux/iommufd.h>)` and `<linux/liveupdate.h>`;
 *         for each struct and ioctl number the trace needs, a block marked
 *         "Not in this machine's headers" that declares it from the
 *         series' uAPI (SERIES.md 5, DOMAIN.md 1.4, 2 and 3) under an
 *         `#ifndef` of its macro; the hypothetical helpers the trace needs;
 *         `FIXTURE(iommufd_liveupdate)` with only the objects the trace
 *         uses (its devices and their group mates, its hwpts and their
 *         parents; array indices are the model's), `FIXTURE_SETUP` (LUO
 *         session created in stage 1 or retrieved in stage 2; /dev/iommu
 *         and each cdev, from `$LU_VFIO_CDEV<d>`, bound in stage 1),
 *         `FIXTURE_TEARDOWN`, the TEST_F of uapi_selftest() indented with
 *         tabs, and TEST_HARNESS_MAIN. It compiles with
 *         `gcc -std=gnu11 -Wall -Werror` against Debian's linux-libc-dev
 *         and a kselftest_harness.h (ctest verify.uapi_compiles). Empty if
 *         @p r has no witness.
 * @context Any context; pure function of @p r.
 */
std::string uapi_selftest_file(const lu::model::result &r);

/**
 * @brief The positive errno macro name of a return, for EXPECT_ERRNO.
 * @param ret a negative errno
 * @return "EINVAL", "EOPNOTSUPP", ...; the number as text if unnamed here.
 * @context Any context.
 */
std::string errno_macro(int ret);

} // namespace lu::verify
