// SPDX-License-Identifier: GPL-2.0
// LUO file preservation: see lu/impl/luo.h. Follows kernel/liveupdate/luo_file.c
// (luo_preserve_file, luo_file_unpreserve_files, luo_file_freeze).
#include "lu/impl/luo.h"

#include <cerrno>

#include "lu/impl/alloc.h"
#include "lu/impl/mutant.h"

namespace lu::impl {

void luo_global_init(luo_global *g) noexcept
{
	xa_init_flags(&g->preserved_files, 0);
}

void luo_global_destroy(luo_global *g) noexcept
{
	xa_destroy(&g->preserved_files);
}

void luo_session_init(luo_session *s, luo_global *g) noexcept
{
	*s = {};
	s->global = g;
}

luo_file *luo_find_file(const luo_session *s, const lu_file *file) noexcept
{
	for (luo_file *f = s->head; f; f = f->next)
		if (f->file == file)
			return f;
	return nullptr;
}

int luo_preserve_file(luo_session *s, std::uint64_t token, lu_file *file, std::uint32_t flags) noexcept
{
	for (luo_file *f = s->head; f; f = f->next)
		if (f->token == token)
			return -EEXIST;
	if (s->count >= LUO_FILE_MAX)
		return -ENOSPC;
	if (!file->ops)
		return -ENOENT;

	// One file, one session: the global table refuses a second entry (-EBUSY).
	int rc = xa_insert(&s->global->preserved_files, file->ino, file, GFP_KERNEL);
	if (rc)
		return rc;

	// After the global table, as the kernel's kzalloc of the luo_file: a
	// file preserved already is -EBUSY even when this allocation would fail.
	auto *lf = lu_new<luo_file>();
	if (!lf) {
		rc = -ENOMEM;
		goto err_erase;
	}

	{
		liveupdate_file_op_args args{s, file, token, flags, nullptr};
		rc = file->ops->preserve(&args);
		if (rc)
			goto err_free;
		lf->private_data = args.private_data;
		lf->serialized_data = args.serialized_data;
	}
	lf->file = file;
	lf->token = token;
	lf->flags = flags;
	lf->prev = s->tail;
	if (s->tail)
		s->tail->next = lf;
	else
		s->head = lf;
	s->tail = lf;
	s->count++;
	return 0;

err_free:
	lu_delete(lf);
err_erase:
	xa_erase(&s->global->preserved_files, file->ino);
	return rc;
}

static void luo_file_unpreserve(luo_session *s, luo_file *lf) noexcept
{
	liveupdate_file_op_args args{s, lf->file, lf->token, lf->flags, lf->private_data};
	lf->file->ops->unpreserve(&args);
	xa_erase(&s->global->preserved_files, lf->file->ino);
	if (lf->prev)
		lf->prev->next = lf->next;
	else
		s->head = lf->next;
	if (lf->next)
		lf->next->prev = lf->prev;
	else
		s->tail = lf->prev;
	s->count--;
	lu_delete(lf);
}

int luo_unpreserve_file(luo_session *s, lu_file *file) noexcept
{
	luo_file *lf = luo_find_file(s, file);
	if (!lf)
		return -ENOENT;
	luo_file_unpreserve(s, lf);
	return 0;
}

void luo_session_close(luo_session *s) noexcept
{
	while (s->tail)
		luo_file_unpreserve(s, s->tail);
}

static void luo_file_unfreeze_one(luo_session *s, luo_file *lf) noexcept
{
	if (!lf->frozen)
		return;
	if (lf->file->ops->unfreeze) {
		liveupdate_file_op_args args{s, lf->file, lf->token, lf->flags, lf->private_data};
		lf->file->ops->unfreeze(&args);
	}
	lf->frozen = false;
}

int luo_session_freeze(luo_session *s) noexcept
{
	for (luo_file *lf = s->head; lf; lf = lf->next) {
		int rc = 0;
		if (lf->file->ops->freeze) {
			liveupdate_file_op_args args{s, lf->file, lf->token, lf->flags, lf->private_data};
			rc = lf->file->ops->freeze(&args);
		}
		if (rc) {
			// __luo_file_unfreeze(file_set, failed_entry): the earlier ones, in order.
			if (!LU_MUTANT(no_freeze_rollback))
				for (luo_file *u = s->head; u != lf; u = u->next)
					luo_file_unfreeze_one(s, u);
			return rc;
		}
		lf->frozen = true;
	}
	return 0;
}

void luo_session_unfreeze(luo_session *s) noexcept
{
	for (luo_file *lf = s->head; lf; lf = lf->next)
		luo_file_unfreeze_one(s, lf);
}

int liveupdate_get_token_outgoing(const luo_session *s, const lu_file *file, std::uint64_t *token) noexcept
{
	luo_file *lf = luo_find_file(s, file);
	if (!lf)
		return -ENOENT;
	*token = lf->token;
	return 0;
}

void luo_session_serialize(const luo_session *s, luo_incoming *in) noexcept
{
	in->count = 0;
	for (const luo_file *lf = s->head; lf && in->count < LUO_FILE_MAX; lf = lf->next)
		in->files[in->count++] = {lf->file->ops->compatible, lf->token, lf->serialized_data, false};
}

luo_file_ser *luo_incoming_find(luo_incoming *in, std::uint64_t token) noexcept
{
	for (std::uint32_t i = 0; i < in->count; i++)
		if (in->files[i].token == token)
			return &in->files[i];
	return nullptr;
}

} // namespace lu::impl
