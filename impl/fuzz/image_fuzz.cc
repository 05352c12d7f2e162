// SPDX-License-Identifier: GPL-2.0
// libFuzzer target: the hand-over image parser must never read out of
// bounds, crash or accept an image that restore cannot rebuild.
// Build: cmake -DLU_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++; seeds: impl/fuzz/corpus/.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "lu/impl/image.h"
#include "lu/impl/restore.h"

static int one(const std::uint8_t *data, std::size_t size)
{
	using namespace lu::impl;
	lu_img_view v;
	lu_img_error e;
	int rc = lu_img_parse(data, size, &v, &e);
	if (rc) {
		if (e.err != rc || !e.what[0] || e.offset > size)
			std::abort(); // every rejection says what and where
		return 0;
	}
	// Accepted: restore must succeed and every recorded PASID must translate.
	new_kernel nk;
	new_kernel_init(&nk);
	if (lu_restore(&nk, v))
		std::abort();
	for (std::uint32_t d = 0; d < v.hdr->nr_devices; d++) {
		const lu_img_device &dev = v.devices[d];
		for (std::uint32_t k = 0; k < dev.nr_pasids; k++)
			if (!lu_new_kernel_translation(&nk, dev.pci_domain, dev.devid, v.pasids[dev.pasid_first + k].pasid) &&
			    !(v.hwpts[v.pasids[dev.pasid_first + k].hwpt_idx].flags & LU_IMG_HWPT_NESTED))
				std::abort();
	}
	new_kernel_destroy(&nk);
	return 0;
}

// Each input twice: as it is, and with its checksum made right, so that
// mutations reach the record checks behind the checksum.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
	one(data, size);
	constexpr std::size_t at = offsetof(lu::impl::lu_img_header, checksum);
	if (size < sizeof(lu::impl::lu_img_header) || size > (1u << 20))
		return 0;
	std::vector<std::uint8_t> copy(data, data + size);
	std::uint64_t sum = lu::impl::lu_img_checksum(copy.data(), size, at / 8);
	std::memcpy(copy.data() + at, &sum, sizeof(sum));
	return one(copy.data(), size);
}
