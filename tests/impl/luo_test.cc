// SPDX-License-Identifier: GPL-2.0
// LUO file preservation (DOMAIN section 2): errnos in check order, LIFO
// unpreserve on close, FIFO freeze with rollback. Handlers are mocks that
// log what LUO calls.
#include <cerrno>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "lu/impl/alloc.h"
#include "lu/impl/luo.h"

namespace lu::test {
namespace {

using namespace lu::impl;

struct mock {
	std::string name;
	int preserve_rc = 0;
	int freeze_rc = 0;
	bool frozen = false;
	std::vector<std::string> *log = nullptr;
};

int mock_preserve(liveupdate_file_op_args *a)
{
	auto *m = static_cast<mock *>(a->file->private_data);
	m->log->push_back("preserve " + m->name);
	a->private_data = m;
	return m->preserve_rc;
}
void mock_unpreserve(liveupdate_file_op_args *a)
{
	auto *m = static_cast<mock *>(a->private_data);
	m->log->push_back("unpreserve " + m->name);
}
int mock_freeze(liveupdate_file_op_args *a)
{
	auto *m = static_cast<mock *>(a->private_data);
	m->log->push_back("freeze " + m->name);
	if (!m->freeze_rc)
		m->frozen = true;
	return m->freeze_rc;
}
void mock_unfreeze(liveupdate_file_op_args *a)
{
	auto *m = static_cast<mock *>(a->private_data);
	m->log->push_back("unfreeze " + m->name);
	m->frozen = false;
}

const liveupdate_file_ops mock_ops = {"mock-v1", mock_preserve, mock_unpreserve, mock_freeze, mock_unfreeze};

struct Luo : ::testing::Test {
	std::vector<std::string> log;
	std::vector<mock> mocks;
	std::vector<lu_file> files;
	luo_global g{};
	luo_session s{}, s2{};
	std::size_t live0 = 0;

	void SetUp() override
	{
		live0 = alloc_stats_get().live_allocs;
		mocks.resize(LUO_FILE_MAX + 2);
		files.resize(mocks.size());
		for (std::size_t i = 0; i < mocks.size(); i++) {
			mocks[i].name = std::to_string(i);
			mocks[i].log = &log;
			files[i] = {&mock_ops, &mocks[i], static_cast<std::uint32_t>(i)};
		}
		luo_global_init(&g);
		luo_session_init(&s, &g);
		luo_session_init(&s2, &g);
	}
	void TearDown() override
	{
		luo_session_close(&s);
		luo_session_close(&s2);
		luo_global_destroy(&g);
		EXPECT_EQ(alloc_stats_get().live_allocs, live0);
	}
};

TEST_F(Luo, TokenReuseIsEEXIST)
{
	ASSERT_EQ(luo_preserve_file(&s, 7, &files[0], 0), 0);
	EXPECT_EQ(luo_preserve_file(&s, 7, &files[1], 0), -EEXIST);
	EXPECT_EQ(s.count, 1u);
	EXPECT_EQ(luo_preserve_file(&s2, 7, &files[1], 0), 0); // tokens are per session
}

TEST_F(Luo, FullSessionIsENOSPC)
{
	for (std::uint32_t i = 0; i < LUO_FILE_MAX; i++)
		ASSERT_EQ(luo_preserve_file(&s, i, &files[i], 0), 0);
	EXPECT_EQ(luo_preserve_file(&s, 1000, &files[LUO_FILE_MAX], 0), -ENOSPC);
	EXPECT_EQ(luo_preserve_file(&s, 0, &files[LUO_FILE_MAX], 0), -EEXIST); // token first
}

TEST_F(Luo, FileWithoutHandlerIsENOENT)
{
	lu_file plain{nullptr, nullptr, 999};
	EXPECT_EQ(luo_preserve_file(&s, 1, &plain, 0), -ENOENT);
}

TEST_F(Luo, FileInAnotherSessionIsEBUSY)
{
	ASSERT_EQ(luo_preserve_file(&s, 1, &files[0], 0), 0);
	EXPECT_EQ(luo_preserve_file(&s2, 2, &files[0], 0), -EBUSY);
	EXPECT_EQ(luo_preserve_file(&s, 2, &files[0], 0), -EBUSY); // and in the same one
	EXPECT_EQ(log, (std::vector<std::string>{"preserve 0"}));  // the handler never ran again
}

TEST_F(Luo, HandlerErrorIsReturnedAndRolledBack)
{
	mocks[0].preserve_rc = -EIO;
	EXPECT_EQ(luo_preserve_file(&s, 1, &files[0], 0), -EIO);
	EXPECT_EQ(s.count, 0u);
	mocks[0].preserve_rc = 0;
	EXPECT_EQ(luo_preserve_file(&s2, 1, &files[0], 0), 0); // global table was cleaned
}

TEST_F(Luo, AllocationFailureIsENOMEM)
{
	fail_nth_set(1);
	EXPECT_EQ(luo_preserve_file(&s, 1, &files[0], 0), -ENOMEM);
	fail_nth_set(0);
	EXPECT_EQ(s.count, 0u);
}

// kernel/liveupdate/luo_file.c allocates the luo_file after the global
// xa_insert(): preserving a preserved file is -EBUSY and allocates nothing,
// so an injected failure of the first allocation cannot turn it into -ENOMEM.
TEST_F(Luo, PreservedFileIsEBUSYBeforeAnyAllocation)
{
	ASSERT_EQ(luo_preserve_file(&s, 1, &files[0], 0), 0);
	const auto live = alloc_stats_get().live_allocs;
	for (luo_session *in : {&s, &s2}) {
		fail_nth_set(1);
		EXPECT_EQ(luo_preserve_file(in, 2, &files[0], 0), -EBUSY);
		EXPECT_FALSE(fail_nth_fired());
		fail_nth_set(0);
	}
	EXPECT_EQ(alloc_stats_get().live_allocs, live);
	EXPECT_EQ(s.count, 1u);
	EXPECT_EQ(s2.count, 0u);
}

// The allocation after the global table fails: the table entry goes again.
TEST_F(Luo, AllocationFailureAfterTheGlobalTableUnwindsIt)
{
	ASSERT_EQ(luo_preserve_file(&s, 1, &files[1], 0), 0); // the table has nodes now
	const auto live = alloc_stats_get().live_allocs;
	fail_nth_set(1);
	EXPECT_EQ(luo_preserve_file(&s, 2, &files[0], 0), -ENOMEM);
	EXPECT_TRUE(fail_nth_fired());
	fail_nth_set(0);
	EXPECT_EQ(alloc_stats_get().live_allocs, live);
	EXPECT_EQ(luo_preserve_file(&s2, 2, &files[0], 0), 0); // not left in the table
	EXPECT_EQ(log, (std::vector<std::string>{"preserve 1", "preserve 0"}));
}

TEST_F(Luo, CloseUnpreservesInReverseOrder)
{
	for (std::uint32_t i = 0; i < 3; i++)
		ASSERT_EQ(luo_preserve_file(&s, i, &files[i], 0), 0);
	log.clear();
	luo_session_close(&s);
	EXPECT_EQ(log, (std::vector<std::string>{"unpreserve 2", "unpreserve 1", "unpreserve 0"}));
	EXPECT_EQ(s.count, 0u);
}

TEST_F(Luo, UnpreserveOfUnknownFileIsENOENT)
{
	EXPECT_EQ(luo_unpreserve_file(&s, &files[0]), -ENOENT);
	ASSERT_EQ(luo_preserve_file(&s, 1, &files[0], 0), 0);
	EXPECT_EQ(luo_unpreserve_file(&s, &files[0]), 0);
	EXPECT_EQ(luo_unpreserve_file(&s, &files[0]), -ENOENT);
}

TEST_F(Luo, FreezeRunsInOrder)
{
	for (std::uint32_t i = 0; i < 3; i++)
		ASSERT_EQ(luo_preserve_file(&s, i, &files[i], 0), 0);
	log.clear();
	EXPECT_EQ(luo_session_freeze(&s), 0);
	EXPECT_EQ(log, (std::vector<std::string>{"freeze 0", "freeze 1", "freeze 2"}));
}

TEST_F(Luo, FailingFreezeUnfreezesTheEarlierOnes)
{
	for (std::uint32_t i = 0; i < 3; i++)
		ASSERT_EQ(luo_preserve_file(&s, i, &files[i], 0), 0);
	mocks[2].freeze_rc = -EAGAIN;
	log.clear();
	EXPECT_EQ(luo_session_freeze(&s), -EAGAIN);
	EXPECT_EQ(log, (std::vector<std::string>{"freeze 0", "freeze 1", "freeze 2", "unfreeze 0", "unfreeze 1"}));
	for (int i = 0; i < 3; i++)
		EXPECT_FALSE(mocks[i].frozen) << i;
	for (luo_file *f = s.head; f; f = f->next)
		EXPECT_FALSE(f->frozen);
}

TEST_F(Luo, TokenOutgoingIsENOENTForUnpreservedFile)
{
	std::uint64_t t = 0;
	EXPECT_EQ(liveupdate_get_token_outgoing(&s, &files[0], &t), -ENOENT);
	ASSERT_EQ(luo_preserve_file(&s, 42, &files[0], 0), 0);
	EXPECT_EQ(liveupdate_get_token_outgoing(&s, &files[0], &t), 0);
	EXPECT_EQ(t, 42u);
	EXPECT_EQ(liveupdate_get_token_outgoing(&s2, &files[0], &t), -ENOENT); // other session
}

} // namespace
} // namespace lu::test
