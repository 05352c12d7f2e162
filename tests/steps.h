// SPDX-License-Identifier: GPL-2.0
// Test helpers over lu::core only (configs, presets, step builders), shared
// by the impl and model tests.
#pragma once

#include <gtest/gtest.h>

#include <string_view>

#include "lu/core/trace.h"
#include "lu/core/variant.h"

namespace lu::test {

inline lu::hwpt_config paging(bool pasid_compat = true, bool sealed = true)
{
	lu::hwpt_config h{};
	h.kind = lu::hwpt_kind::paging;
	h.pasid_compat = pasid_compat;
	h.sealed = sealed;
	return h;
}

inline lu::hwpt_config nested(std::uint32_t parent, bool pasid_compat = true)
{
	lu::hwpt_config h{};
	h.kind = lu::hwpt_kind::nested;
	h.parent = parent;
	h.pasid_compat = pasid_compat;
	return h;
}

inline lu::variant preset(std::string_view name)
{
	auto v = lu::find_preset(name);
	EXPECT_TRUE(v.has_value()) << name;
	return v.value_or(lu::variant{});
}

/* Step builders, named after the operations. */
inline lu::step mark(std::uint32_t h, std::uint64_t token) { return {lu::op::mark_preserve, 0, 0, h, token, 0}; }
inline lu::step attach(std::uint32_t d, std::uint32_t p, std::uint32_t h) { return {lu::op::attach, d, p, h, 0, 0}; }
inline lu::step replace(std::uint32_t d, std::uint32_t p, std::uint32_t h) { return {lu::op::replace, d, p, h, 0, 0}; }
inline lu::step detach(std::uint32_t d, std::uint32_t p) { return {lu::op::detach, d, p, 0, 0, 0}; }
inline lu::step preserve_iommufd(std::uint64_t t) { return {lu::op::preserve_iommufd, 0, 0, 0, t, 0}; }
inline lu::step preserve_device(std::uint32_t d, std::uint64_t t, std::uint32_t f = 0)
{
	return {lu::op::preserve_device, d, 0, 0, t, f};
}
inline lu::step unpreserve_device(std::uint32_t d) { return {lu::op::unpreserve_device, d, 0, 0, 0, 0}; }
inline lu::step unpreserve_iommufd() { return {lu::op::unpreserve_iommufd, 0, 0, 0, 0, 0}; }
inline lu::step kexec() { return {lu::op::kexec, 0, 0, 0, 0, 0}; }
inline lu::step dma(std::uint32_t d, std::uint32_t p) { return {lu::op::dma, d, p, 0, 0, 0}; }

/* The seed's configuration: one device (max_pasids 2^20), hwpt 0 for the
 * RID, hwpt 1 for PASIDs, both paging, pasid_compat, sealed. */
inline lu::config seed_config()
{
	lu::config c;
	c.devices = {{0, lu::PASID_LIMIT}};
	c.hwpts = {paging(), paging()};
	return c;
}

} // namespace lu::test
