// SPDX-License-Identifier: GPL-2.0+
/*
 * XArray implementation: a userspace port of lib/xarray.c (Matthew Wilcox).
 * See lu/impl/xarray.h for the contract; each function cites the kernel
 * function it follows and says in one line where it deviates.
 *
 * Coding conventions in this file:
 *
 * @xa is used to refer to the entire xarray.
 * @xas is the 'xarray operation state'.  It may be either a pointer to
 * an xa_state, or an xa_state stored on the stack.  This is an unfortunate
 * ambiguity.
 * @index is the index of the entry being operated on
 * @mark is an xa_mark_t; a small number indicating one of the mark bits.
 * @node refers to an xa_node; usually the primary one being operated on by
 * this function.
 * @offset is the index into the slots array inside an xa_node.
 * @parent refers to the @xa_node closer to the head than @node.
 * @entry refers to something stored in a slot in the xarray
 *
 * Port notes: there is no lock (single-threaded) and RCU is emulated per
 * thread (see xa_node_free()); multi-index entries are compiled out as with
 * CONFIG_XARRAY_MULTI=n; nodes come from a node cache, as the kernel's
 * radix_tree_node_cachep slab, through lu_kmem_cache_alloc(), so each is
 * counted and its allocation can be failed (fail_nth), and they go back to
 * it zeroed, as radix_tree_node_rcu_free() gives them back.
 */
#include "lu/impl/xarray.h"
#include "lu/impl/mutant.h"

#include <cstdio>
#include <cstddef>
#include <cstdlib>
#include <cstring>

namespace lu::impl {

static inline bool xa_track_free(const xarray *xa)
{
	return xa->xa_flags & XA_FLAGS_TRACK_FREE;
}

static inline bool xa_zero_busy(const xarray *xa)
{
	return xa->xa_flags & XA_FLAGS_ZERO_BUSY;
}

static inline void xa_mark_set(xarray *xa, xa_mark_t mark)
{
	if (!(xa->xa_flags & XA_FLAGS_MARK(mark)))
		xa->xa_flags |= XA_FLAGS_MARK(mark);
}

static inline void xa_mark_clear(xarray *xa, xa_mark_t mark)
{
	if (xa->xa_flags & XA_FLAGS_MARK(mark))
		xa->xa_flags &= ~(XA_FLAGS_MARK(mark));
}

static inline unsigned long *node_marks(xa_node *node, xa_mark_t mark)
{
	return node->marks[mark];
}

static inline bool node_get_mark(xa_node *node, unsigned int offset, xa_mark_t mark)
{
	return (*node_marks(node, mark) >> offset) & 1;
}

/* returns true if the bit was set */
static inline bool node_set_mark(xa_node *node, unsigned int offset, xa_mark_t mark)
{
	unsigned long *word = node_marks(node, mark);
	bool was = (*word >> offset) & 1;
	*word |= 1UL << offset;
	return was;
}

/* returns true if the bit was set */
static inline bool node_clear_mark(xa_node *node, unsigned int offset, xa_mark_t mark)
{
	unsigned long *word = node_marks(node, mark);
	bool was = (*word >> offset) & 1;
	*word &= ~(1UL << offset);
	return was;
}

static inline bool node_any_mark(xa_node *node, xa_mark_t mark)
{
	return *node_marks(node, mark) != 0;
}

static inline void node_mark_all(xa_node *node, xa_mark_t mark)
{
	*node_marks(node, mark) = ~0UL;
}

/* extracts the offset within this node from the index */
static inline unsigned int get_offset(unsigned long index, const xa_node *node)
{
	return static_cast<unsigned int>((index >> node->shift) & XA_CHUNK_MASK);
}

static inline void xas_set_offset(xa_state *xas)
{
	xas->xa_offset = static_cast<unsigned char>(get_offset(xas->xa_index, xas->xa_node));
}

/* move the index either forwards (find) or backwards (sibling slot) */
static inline void xas_move_index(xa_state *xas, unsigned long offset)
{
	unsigned int shift = xas->xa_node->shift;
	xas->xa_index &= ~XA_CHUNK_MASK << shift;
	xas->xa_index += offset << shift;
}

static inline void xas_next_offset(xa_state *xas)
{
	xas->xa_offset++;
	xas_move_index(xas, xas->xa_offset);
}

static inline void *set_bounds(xa_state *xas)
{
	xas->xa_node = XAS_BOUNDS;
	return nullptr;
}

/*
 * Starts a walk.  If the @xas is already valid, we assume that it's on
 * the right path and just return where we've got to.  If we're in an
 * error state, return NULL.  If the index is outside the current scope
 * of the xarray, return NULL without changing @xas->xa_node.  Otherwise
 * set @xas->xa_node to NULL and return the current head of the array.
 */
static void *xas_start(xa_state *xas)
{
	void *entry;

	if (xas_valid(xas))
		return xas_reload(xas);
	if (xas_error(xas))
		return nullptr;

	entry = xa_head(xas->xa);
	if (!xa_is_node(entry)) {
		if (xas->xa_index)
			return set_bounds(xas);
	} else {
		if ((xas->xa_index >> xa_to_node(entry)->shift) > XA_CHUNK_MASK)
			return set_bounds(xas);
	}

	xas->xa_node = nullptr;
	return entry;
}

static inline void *xas_descend(xa_state *xas, xa_node *node)
{
	unsigned int offset = get_offset(xas->xa_index, node);
	void *entry = xa_entry(xas->xa, node, offset);

	xas->xa_node = node;
	if (xa_is_sibling(entry)) {
		offset = static_cast<unsigned int>(xa_to_sibling(entry));
		entry = xa_entry(xas->xa, node, offset);
	}

	xas->xa_offset = static_cast<unsigned char>(offset);
	return entry;
}

/*
 * Follows lib/xarray.c: xas_load().  A leaf's slots hold entries, never
 * nodes, so the walk stops at shift 0 even if an entry looks like a node (a
 * pointer that is 2 mod 4, "XArray: Permit storing 2-byte-aligned
 * pointers"); every walk in this file does the same.
 */
void *xas_load(xa_state *xas) noexcept
{
	void *entry = xas_start(xas);

	while (xa_is_node(entry)) {
		xa_node *node = xa_to_node(entry);

		if (xas->xa_shift > node->shift)
			break;
		entry = xas_descend(xas, node);
		if (node->shift == 0)
			break;
	}
	return entry;
}

/*
 * Deviation: node->occupied mirrors which slots are non-NULL, so that
 * xas_find() need not test empty slots one by one.  Every store into a
 * live node's slot goes through node_set_slot(); nodes being freed are not
 * kept up to date.
 */
static thread_local xa_find_mode find_mode = xa_find_mode::occupancy;

void xa_set_find_mode(xa_find_mode mode) noexcept
{
	find_mode = mode;
}

xa_find_mode xa_get_find_mode() noexcept
{
	return find_mode;
}

static inline void node_set_slot(xa_node *node, unsigned int offset, void *entry)
{
	node->slots[offset] = entry;
	if (entry)
		node->occupied |= 1UL << offset;
	else
		node->occupied &= ~(1UL << offset);
}

/*
 * Node memory: the kernel's radix_tree_node_cachep slab.  Freed nodes are
 * reused before the system allocator is called; every allocation, cached
 * or not, is counted and can be failed (lu_kmem_cache_alloc()).  As in the
 * kernel, whose cache has a constructor that zeroes a node, a node is
 * zeroed when it is freed (radix_tree_node_rcu_free()), not when it is
 * allocated.  One cache per thread, as the counters and fail_nth.
 */
namespace {
struct xa_node_cache {
	lu_kmem_cache cache{sizeof(xa_node)};
	~xa_node_cache() { lu_kmem_cache_shrink(&cache); }
};
thread_local xa_node_cache radix_tree_node_cachep;

/*
 * RCU, as much as one thread needs.  The kernel's xa_node_free() sets
 * node->array = XA_RCU_FREE and frees the node with call_rcu(), so a walker
 * that started before an erase can still read the node, find
 * XA_RETRY_ENTRY (or NULL) and restart with xas_retry().  Here a read-side
 * section is rcu_read_lock() .. rcu_read_unlock() or a held xa_lock (in the
 * kernel a spinlock is one too).  A node freed inside a section goes on a
 * per-thread pending list, linked through node->array with bit 0 set (the
 * last one holds exactly XA_RCU_FREE); rcu_read_unlock() of the outermost
 * section ends the grace period and hands them to the node cache.  A node
 * freed outside any section goes to the cache at once.  (node->rcu_head is
 * not used for the link: it shares its word with node->occupied, which a
 * walker in the dead node still reads.)
 */
thread_local unsigned rcu_depth;
thread_local xa_node *rcu_pending;
} // namespace

#define XA_RCU_FREE (reinterpret_cast<xarray *>(1UL))

[[maybe_unused]] static inline bool xa_node_freed(const xa_node *node)
{
	return reinterpret_cast<unsigned long>(node->array) & 1;
}

/*
 * Follows lib/radix-tree.c: radix_tree_node_rcu_free(), the end of a node's
 * grace period: "must only free zeroed nodes into the slab".  The cache
 * keeps its nodes zeroed, as radix_tree_node_ctor() makes them, so that
 * xas_alloc() gets a zeroed node without clearing 576 bytes
 * (lu_kmem_cache_alloc()).  Only what can be non-zero is written: the
 * header, the slots node->occupied names (every live store goes through
 * node_set_slot(), and xas_free_nodes() and xas_shrink() put retry entries
 * only into slots that held an entry; a node emptied by erases has none)
 * and the marks.
 */
static void radix_tree_node_rcu_free(xa_node *node)
{
	unsigned long occupied = node->occupied;

	for (unsigned int n = 0; occupied && n < 8; n++, occupied &= occupied - 1)
		node->slots[__builtin_ctzl(occupied)] = nullptr;
	if (occupied)
		std::memset(static_cast<void *>(node->slots), 0, sizeof(node->slots));
	std::memset(static_cast<void *>(node->marks), 0, sizeof(node->marks));
	std::memset(static_cast<void *>(node), 0, offsetof(xa_node, slots));
	lu_kmem_cache_free(&radix_tree_node_cachep.cache, node);
}

static void rcu_reclaim()
{
	while (xa_node *node = rcu_pending) {
		rcu_pending = reinterpret_cast<xa_node *>(reinterpret_cast<unsigned long>(node->array) & ~1UL);
		radix_tree_node_rcu_free(node);
	}
}

void rcu_read_lock() noexcept
{
	rcu_depth++;
}

void rcu_read_unlock() noexcept
{
	XA_BUG_ON(static_cast<const xarray *>(nullptr), rcu_depth == 0);
	if (--rcu_depth == 0 && rcu_pending)
		rcu_reclaim();
}

// Follows lib/xarray.c: xa_node_free() (call_rcu() is the pending list above).
static void xa_node_free(xa_node *node)
{
	if (rcu_depth) {
		node->array = reinterpret_cast<xarray *>(reinterpret_cast<unsigned long>(rcu_pending) | 1UL);
		rcu_pending = node;
		return;
	}
	radix_tree_node_rcu_free(node);
}

static xa_node *xa_node_alloc()
{
	return static_cast<xa_node *>(lu_kmem_cache_alloc(&radix_tree_node_cachep.cache));
}

/* xas_destroy() - Free any resources allocated during the XArray operation. */
static void xas_destroy(xa_state *xas)
{
	xa_node *node = xas->xa_alloc;

	if (!node)
		return;
	xa_node_free(node);
	xas->xa_alloc = nullptr;
}

/*
 * Follows lib/xarray.c: xas_nomem(), but for one deviation: an -ENOMEM here
 * comes from xas_alloc() whose allocation failed, and that allocation was
 * already the one the kernel makes here (there is no lock to drop, see
 * xas_alloc()), so there is nothing to retry: return false and leave the
 * error for the caller.
 */
bool xas_nomem(xa_state *xas, gfp_t) noexcept
{
	if (xas->xa_node != XA_ERROR(-ENOMEM)) {
		xas_destroy(xas);
		return false;
	}
	return false;
}

/*
 * __xas_nomem() - Drop locks and allocate memory if needed.  The kernel
 * drops the lock when @gfp allows blocking; there is no lock here, so it is
 * xas_nomem().
 */
static bool __xas_nomem(xa_state *xas, gfp_t gfp)
{
	return xas_nomem(xas, gfp);
}

static inline void xas_update(xa_state *xas, xa_node *node)
{
	if (xas->xa_update)
		xas->xa_update(node);
}

/*
 * Follows lib/xarray.c: xas_alloc().  The kernel tries a GFP_NOWAIT
 * allocation under the lock and, if that fails, has the caller drop the
 * lock and allocate in xas_nomem().  There is no lock here, so the one
 * attempt is made here and may be the blocking one: each node is exactly
 * one lu_kmem_cache_zalloc(), made where the node is needed (no walk is
 * restarted), and an injected failure of it surfaces as -ENOMEM.
 */
static xa_node *xas_alloc(xa_state *xas, unsigned int shift)
{
	xa_node *parent = xas->xa_node;
	xa_node *node = xas->xa_alloc;

	if (xas_invalid(xas))
		return nullptr;

	if (node) {
		xas->xa_alloc = nullptr;
	} else {
		node = xa_node_alloc();
		if (!node) {
			xas_set_err(xas, -ENOMEM);
			return nullptr;
		}
	}

	if (parent) {
		node->offset = xas->xa_offset;
		parent->count++;
		XA_NODE_BUG_ON(node, parent->count > XA_CHUNK_SIZE);
		xas_update(xas, parent);
	}
	XA_NODE_BUG_ON(node, shift > BITS_PER_LONG);
	node->shift = static_cast<unsigned char>(shift);
	node->count = 0;
	node->nr_values = 0;
	node->parent = xas->xa_node;
	node->array = xas->xa;

	return node;
}

/*
 * Use this to calculate the maximum index that will need to be created
 * in order to add the entry described by @xas (single-index entries only).
 */
static unsigned long xas_max(xa_state *xas)
{
	return xas->xa_index;
}

/* The maximum index that can be contained in the array without expanding it */
static unsigned long max_index(void *entry)
{
	if (!xa_is_node(entry))
		return 0;
	return (XA_CHUNK_SIZE << xa_to_node(entry)->shift) - 1;
}

/*
 * Follows lib/xarray.c: xas_shrink() (with the ZERO_BUSY case), but stops
 * at the root @keep, if given (xa_trim_failed(): a root the failed call did
 * not create).
 */
static void xas_shrink(xa_state *xas, const void *keep = nullptr)
{
	xarray *xa = xas->xa;
	xa_node *node = xas->xa_node;

	for (;;) {
		void *entry;

		if (xa_mk_node(node) == keep)
			break;
		XA_NODE_BUG_ON(node, node->count > XA_CHUNK_SIZE);
		if (node->count != 1)
			break;
		entry = xa_entry_locked(xa, node, 0);
		if (!entry)
			break;
		if (!xa_is_node(entry) && node->shift)
			break;
		/*
		 * Deviation: the head never takes what xas_store() refuses to
		 * put there (allow_root).  A pointer that looks like a node (2
		 * mod 4, check_align) would be walked as one: the kernel moves
		 * it to the head and then writes its "parent".  A reserved
		 * index 0 must keep its slot, so that a store into it never
		 * allocates (check_align_2), and so that a failed call that
		 * trims its nodes (xa_trim_failed()) leaves the tree as it was.
		 */
		if (!node->shift && (xa_is_node(entry) || (xa_is_zero(entry) && !xa_zero_busy(xa))))
			break;
		if (xa_is_zero(entry) && xa_zero_busy(xa))
			entry = nullptr;
		xas->xa_node = XAS_BOUNDS;

		xa->xa_head = entry;
		if (xa_track_free(xa) && !node_get_mark(node, 0, XA_FREE_MARK))
			xa_mark_clear(xa, XA_FREE_MARK);

		node->count = 0;
		node->nr_values = 0;
		if (!xa_is_node(entry))
			node->slots[0] = XA_RETRY_ENTRY;
		xas_update(xas, node);
		xa_node_free(node);
		if (!xa_is_node(entry))
			break;
		node = xa_to_node(entry);
		node->parent = nullptr;
	}
}

/*
 * xas_delete_node() - Attempt to delete an xa_node
 * @xas: Array operation state.
 *
 * Attempts to delete the @xas->xa_node.  This will fail if xa->node has
 * a non-zero reference count.  Follows lib/xarray.c.
 */
static void xas_delete_node(xa_state *xas, const void *keep = nullptr)
{
	xa_node *node = xas->xa_node;

	for (;;) {
		xa_node *parent;

		XA_NODE_BUG_ON(node, node->count > XA_CHUNK_SIZE);
		if (node->count)
			break;

		parent = xa_parent_locked(xas->xa, node);
		xas->xa_node = parent;
		xas->xa_offset = node->offset;
		xa_node_free(node);

		if (!parent) {
			xas->xa->xa_head = nullptr;
			xas->xa_node = XAS_BOUNDS;
			return;
		}

		node_set_slot(parent, xas->xa_offset, nullptr);
		parent->count--;
		XA_NODE_BUG_ON(parent, parent->count > XA_CHUNK_SIZE);
		node = parent;
		xas_update(xas, node);
	}

	if (!node->parent)
		xas_shrink(xas, keep);
}

/*
 * xas_free_nodes() - Free this node and all nodes that it references.
 * Follows lib/xarray.c: there may be RCU walkers with references into the
 * tree, so every entry is replaced with a retry marker.
 */
static void xas_free_nodes(xa_state *xas, xa_node *top)
{
	unsigned int offset = 0;
	xa_node *node = top;

	for (;;) {
		/*
		 * Deviation: go straight to the next slot that is not NULL
		 * (node->occupied), where the kernel tests each of the 64.
		 */
		unsigned long rest = offset < XA_CHUNK_SIZE ? node->occupied & (~0UL << offset) : 0;

		if (!node->shift) { // a leaf: all its entries at once (rest ends 0)
			for (; rest; rest &= rest - 1)
				node->slots[__builtin_ctzl(rest)] = XA_RETRY_ENTRY;
		}
		offset = rest ? static_cast<unsigned int>(__builtin_ctzl(rest)) : XA_CHUNK_SIZE;
		if (offset < XA_CHUNK_SIZE) {
			void *entry = xa_entry_locked(xas->xa, node, offset);

			if (node->shift && xa_is_node(entry)) {
				node = xa_to_node(entry);
				offset = 0;
				continue;
			}
			XA_NODE_BUG_ON(node, !entry);
			node->slots[offset] = XA_RETRY_ENTRY;
			offset++;
		}
		while (offset == XA_CHUNK_SIZE) {
			xa_node *parent;

			parent = xa_parent_locked(xas->xa, node);
			offset = node->offset + 1u;
			node->count = 0;
			node->nr_values = 0;
			xas_update(xas, node);
			xa_node_free(node);
			if (node == top)
				return;
			node = parent;
		}
	}
}

/*
 * xas_expand adds nodes to the head of the tree until it has reached
 * sufficient height to be able to contain @xas->xa_index.  Follows
 * lib/xarray.c.
 */
static int xas_expand(xa_state *xas, void *head)
{
	xarray *xa = xas->xa;
	xa_node *node = nullptr;
	unsigned int shift = 0;
	unsigned long max = xas_max(xas);

	if (!head) {
		if (max == 0)
			return 0;
		while ((max >> shift) >= XA_CHUNK_SIZE)
			shift += XA_CHUNK_SHIFT;
		return static_cast<int>(shift + XA_CHUNK_SHIFT);
	} else if (xa_is_node(head)) {
		node = xa_to_node(head);
		shift = node->shift + XA_CHUNK_SHIFT;
	}
	xas->xa_node = nullptr;

	while (max > max_index(head)) {
		xa_mark_t mark = 0;

		XA_NODE_BUG_ON(node, shift > BITS_PER_LONG);
		node = xas_alloc(xas, shift);
		if (!node)
			return -ENOMEM;

		node->count = 1;
		if (xa_is_value(head))
			node->nr_values = 1;
		node_set_slot(node, 0, head);

		/* Propagate the aggregated mark info to the new child */
		for (;;) {
			if (xa_track_free(xa) && mark == XA_FREE_MARK) {
				node_mark_all(node, XA_FREE_MARK);
				if (!xa_marked(xa, XA_FREE_MARK)) {
					node_clear_mark(node, 0, XA_FREE_MARK);
					xa_mark_set(xa, XA_FREE_MARK);
				}
			} else if (xa_marked(xa, mark)) {
				node_set_mark(node, 0, mark);
			}
			if (mark == XA_MARK_MAX)
				break;
			mark++;
		}

		/*
		 * Now that the new node is fully initialised, we can add
		 * it to the tree
		 */
		if (xa_is_node(head)) {
			xa_to_node(head)->offset = 0;
			xa_to_node(head)->parent = node;
		}
		head = xa_mk_node(node);
		xa->xa_head = head;
		xas_update(xas, node);

		shift += XA_CHUNK_SHIFT;
	}

	xas->xa_node = node;
	return static_cast<int>(shift);
}

/*
 * xas_create() - Create a slot to store an entry in.  Follows lib/xarray.c.
 * @allow_root: true if we can store the entry in the root directly (not
 * for zero entries nor pointers that look like nodes).
 *
 * Return: If the slot already existed, returns the contents of this slot.
 * If the slot was newly created, returns %NULL.  If it failed to create the
 * slot, returns %NULL and indicates the error in @xas.
 */
static void *xas_create(xa_state *xas, bool allow_root)
{
	xarray *xa = xas->xa;
	void *entry;
	void **slot;
	xa_node *node = xas->xa_node;
	int shift;
	unsigned int order = xas->xa_shift;

	if (xas_top(node)) {
		entry = xa_head_locked(xa);
		xas->xa_node = nullptr;
		if (!entry && xa_zero_busy(xa))
			entry = XA_ZERO_ENTRY;
		shift = xas_expand(xas, entry);
		if (shift < 0)
			return nullptr;
		if (!shift && !allow_root)
			shift = XA_CHUNK_SHIFT;
		entry = xa_head_locked(xa);
		slot = &xa->xa_head;
	} else if (xas_error(xas)) {
		return nullptr;
	} else if (node) {
		unsigned int offset = xas->xa_offset;

		shift = node->shift;
		entry = xa_entry_locked(xa, node, offset);
		slot = &node->slots[offset];
	} else {
		shift = 0;
		entry = xa_head_locked(xa);
		slot = &xa->xa_head;
	}

	while (shift > static_cast<int>(order)) {
		shift -= static_cast<int>(XA_CHUNK_SHIFT);
		if (!entry) {
			node = xas_alloc(xas, static_cast<unsigned int>(shift));
			if (!node)
				break;
			if (xa_track_free(xa))
				node_mark_all(node, XA_FREE_MARK);
			if (node->parent) // slot is node->parent->slots[node->offset]
				node_set_slot(node->parent, node->offset, xa_mk_node(node));
			else
				*slot = xa_mk_node(node);
		} else if (xa_is_node(entry)) {
			node = xa_to_node(entry);
		} else {
			break;
		}
		entry = xas_descend(xas, node);
		slot = &node->slots[xas->xa_offset];
	}

	return entry;
}

// Follows lib/xarray.c: xas_create_range() (single-index: shift and sibs are 0).
void xas_create_range(xa_state *xas) noexcept
{
	unsigned long index = xas->xa_index;
	unsigned char shift = xas->xa_shift;
	unsigned char sibs = xas->xa_sibs;

	xas->xa_index |= ((sibs + 1UL) << shift) - 1;
	if (xas_is_node(xas) && xas->xa_node->shift == xas->xa_shift)
		xas->xa_offset |= sibs;
	xas->xa_shift = 0;
	xas->xa_sibs = 0;

	for (;;) {
		xas_create(xas, true);
		if (xas_error(xas))
			goto restore;
		if (xas->xa_index <= (index | XA_CHUNK_MASK))
			goto success;
		xas->xa_index -= XA_CHUNK_SIZE;

		for (;;) {
			xa_node *node = xas->xa_node;
			if (node->shift >= shift)
				break;
			xas->xa_node = xa_parent_locked(xas->xa, node);
			xas->xa_offset = static_cast<unsigned char>(node->offset - 1);
			if (node->offset != 0)
				break;
		}
	}

restore:
	xas->xa_shift = shift;
	xas->xa_sibs = sibs;
	xas->xa_index = index;
	return;
success:
	xas->xa_index = index;
	if (xas->xa_node)
		xas_set_offset(xas);
}

static void update_node(xa_state *xas, xa_node *node, int count, int values)
{
	if (!node || (!count && !values))
		return;

	node->count = static_cast<unsigned char>(node->count + count);
	node->nr_values = static_cast<unsigned char>(node->nr_values + values);
	XA_NODE_BUG_ON(node, node->count > XA_CHUNK_SIZE);
	XA_NODE_BUG_ON(node, node->nr_values > XA_CHUNK_SIZE);
	xas_update(xas, node);
	if (count < 0)
		xas_delete_node(xas);
}

/*
 * Whether xas_init_marks() would change nothing: the slot has none of the
 * marks and the array does not track free slots.  One test of the three
 * mark words, where xas_init_marks() makes three calls.
 */
static inline bool xas_marks_clear(const xa_state *xas)
{
	const xa_node *node = xas->xa_node;

	if (xa_track_free(xas->xa) || !xas_is_node(xas))
		return false;
	static_assert(XA_MAX_MARKS == 3 && XA_MARK_LONGS == 1);
	return !(((node->marks[0][0] | node->marks[1][0] | node->marks[2][0]) >> xas->xa_offset) & 1);
}

// Follows lib/xarray.c: xas_store(), without the multi-index (sibling) loop.
void *xas_store(xa_state *xas, void *entry) noexcept
{
	xa_node *node;
	void **slot = &xas->xa->xa_head;
	int count = 0;
	int values = 0;
	void *first, *next;
	bool value = xa_is_value(entry);

	if (entry) {
		bool allow_root = !xa_is_node(entry) && !xa_is_zero(entry);
		first = xas_create(xas, allow_root);
	} else {
		first = xas_load(xas);
	}

	if (xas_invalid(xas))
		return first;
	node = xas->xa_node;
	if (first == entry)
		return first;

	next = first;
	if (node)
		slot = &node->slots[xas->xa_offset];
	if (!entry && !xas_marks_clear(xas))
		xas_init_marks(xas);

	/*
	 * Must clear the marks before setting the entry to NULL,
	 * otherwise xas_for_each_marked may find a NULL entry and
	 * stop early.
	 */
	if (node)
		node_set_slot(node, xas->xa_offset, entry);
	else
		*slot = entry;
	if (xa_is_node(next) && (!node || node->shift))
		xas_free_nodes(xas, xa_to_node(next));
	if (node) {
		count += !next - !entry;
		values += !xa_is_value(first) - !value;
	}

	update_node(xas, node, count, values);
	/*
	 * Deviation: an entry the head can take, stored over a reserved index
	 * 0 (or a 2-mod-4 pointer) that was alone in a leaf root, moves to the
	 * head, as if it had been stored into an empty array; the kernel keeps
	 * the leaf until the next erase shrinks it.  So the tree has one shape
	 * for its contents, and a failed call that is unwound leaves the same
	 * number of nodes (xa_trim_failed()).  @xas then stands at the head.
	 */
	if (entry && node && !node->shift && !node->parent && node->count == 1 && !xas->xa_offset &&
	    !xa_is_node(entry) && !xa_is_zero(entry)) {
		xas_shrink(xas);
		xas->xa_node = nullptr;
	}
	return first;
}

// Follows lib/xarray.c: xas_get_mark().
bool xas_get_mark(const xa_state *xas, xa_mark_t mark) noexcept
{
	if (xas_invalid(xas))
		return false;
	if (!xas->xa_node)
		return xa_marked(xas->xa, mark);
	return node_get_mark(xas->xa_node, xas->xa_offset, mark);
}

// Follows lib/xarray.c: xas_set_mark().
void xas_set_mark(const xa_state *xas, xa_mark_t mark) noexcept
{
	xa_node *node = xas->xa_node;
	unsigned int offset = xas->xa_offset;

	if (xas_invalid(xas))
		return;

	while (node) {
		if (node_set_mark(node, offset, mark))
			return;
		offset = node->offset;
		node = xa_parent_locked(xas->xa, node);
	}

	if (!xa_marked(xas->xa, mark))
		xa_mark_set(xas->xa, mark);
}

// Follows lib/xarray.c: xas_clear_mark().
void xas_clear_mark(const xa_state *xas, xa_mark_t mark) noexcept
{
	xa_node *node = xas->xa_node;
	unsigned int offset = xas->xa_offset;

	if (xas_invalid(xas))
		return;

	while (node) {
		if (!node_clear_mark(node, offset, mark))
			return;
		if (node_any_mark(node, mark))
			return;

		offset = node->offset;
		node = xa_parent_locked(xas->xa, node);
	}

	if (xa_marked(xas->xa, mark))
		xa_mark_clear(xas->xa, mark);
}

// Follows lib/xarray.c: xas_init_marks().
void xas_init_marks(const xa_state *xas) noexcept
{
	xa_mark_t mark = 0;

	for (;;) {
		if (xa_track_free(xas->xa) && mark == XA_FREE_MARK)
			xas_set_mark(xas, mark);
		else
			xas_clear_mark(xas, mark);
		if (mark == XA_MARK_MAX)
			break;
		mark++;
	}
}

// Follows lib/xarray.c: xas_pause().
void xas_pause(xa_state *xas) noexcept
{
	xa_node *node = xas->xa_node;

	if (xas_invalid(xas))
		return;

	xas->xa_node = XAS_RESTART;
	if (node) {
		unsigned long offset = xas->xa_offset;
		while (++offset < XA_CHUNK_SIZE) {
			if (!xa_is_sibling(xa_entry(xas->xa, node, static_cast<unsigned int>(offset))))
				break;
		}
		xas->xa_index &= ~0UL << node->shift;
		xas->xa_index += (offset - xas->xa_offset) << node->shift;
		if (xas->xa_index == 0)
			xas->xa_node = XAS_BOUNDS;
	} else {
		xas->xa_index++;
	}
}

// Follows lib/xarray.c: __xas_prev().
void *__xas_prev(xa_state *xas) noexcept
{
	void *entry;

	if (!xas_frozen(xas->xa_node))
		xas->xa_index--;
	if (!xas->xa_node)
		return set_bounds(xas);
	if (xas_not_node(xas->xa_node))
		return xas_load(xas);

	if (xas->xa_offset != get_offset(xas->xa_index, xas->xa_node))
		xas->xa_offset--;

	while (xas->xa_offset == 255) {
		xas->xa_offset = static_cast<unsigned char>(xas->xa_node->offset - 1);
		xas->xa_node = xa_parent(xas->xa, xas->xa_node);
		if (!xas->xa_node)
			return set_bounds(xas);
	}

	for (;;) {
		entry = xa_entry(xas->xa, xas->xa_node, xas->xa_offset);
		if (!xas->xa_node->shift || !xa_is_node(entry))
			return entry;

		xas->xa_node = xa_to_node(entry);
		xas_set_offset(xas);
	}
}

// Follows lib/xarray.c: __xas_next().
void *__xas_next(xa_state *xas) noexcept
{
	void *entry;

	if (!xas_frozen(xas->xa_node))
		xas->xa_index++;
	if (!xas->xa_node)
		return set_bounds(xas);
	if (xas_not_node(xas->xa_node))
		return xas_load(xas);

	if (xas->xa_offset != get_offset(xas->xa_index, xas->xa_node))
		xas->xa_offset++;

	while (xas->xa_offset == XA_CHUNK_SIZE) {
		xas->xa_offset = static_cast<unsigned char>(xas->xa_node->offset + 1);
		xas->xa_node = xa_parent(xas->xa, xas->xa_node);
		if (!xas->xa_node)
			return set_bounds(xas);
	}

	for (;;) {
		entry = xa_entry(xas->xa, xas->xa_node, xas->xa_offset);
		if (!xas->xa_node->shift || !xa_is_node(entry))
			return entry;

		xas->xa_node = xa_to_node(entry);
		xas_set_offset(xas);
	}
}

// Follows lib/xarray.c: xas_find(), but for the occupancy jump (deviation).
void *xas_find(xa_state *xas, unsigned long max) noexcept
{
	const bool occupancy = find_mode == xa_find_mode::occupancy;
	void *entry;

	if (xas_error(xas) || xas->xa_node == XAS_BOUNDS)
		return nullptr;
	if (xas->xa_index > max)
		return set_bounds(xas);

	if (!xas->xa_node) {
		xas->xa_index = 1;
		return set_bounds(xas);
	} else if (xas->xa_node == XAS_RESTART) {
		entry = xas_load(xas);
		if (entry || xas_not_node(xas->xa_node))
			return entry;
	} else if (!xas->xa_node->shift && xas->xa_offset != (xas->xa_index & XA_CHUNK_MASK)) {
		xas->xa_offset = static_cast<unsigned char>(((xas->xa_index - 1) & XA_CHUNK_MASK) + 1);
	}

	xas_next_offset(xas);

	while (xas->xa_node && (xas->xa_index <= max)) {
		if (xas->xa_offset == XA_CHUNK_SIZE) [[unlikely]] {
			xas->xa_offset = static_cast<unsigned char>(xas->xa_node->offset + 1);
			xas->xa_node = xa_parent(xas->xa, xas->xa_node);
			continue;
		}

		entry = xa_entry(xas->xa, xas->xa_node, xas->xa_offset);
		if (xas->xa_node->shift && xa_is_node(entry)) {
			xas->xa_node = xa_to_node(entry);
			xas->xa_offset = 0;
			continue;
		}
		if (entry && !xa_is_sibling(entry))
			return entry;

		if (occupancy) {
			// Deviation: jump to the next non-NULL slot (or past the node).
			unsigned int next = xas->xa_offset + 1u;
			unsigned long rest = next < XA_CHUNK_SIZE ? xas->xa_node->occupied >> next : 0;
			XA_NODE_BUG_ON(xas->xa_node, !xa_node_freed(xas->xa_node) &&
				       __builtin_popcountl(xas->xa_node->occupied) != xas->xa_node->count);
			next = rest ? next + static_cast<unsigned int>(__builtin_ctzl(rest)) : XA_CHUNK_SIZE;
			xas->xa_offset = static_cast<unsigned char>(next);
			xas_move_index(xas, next);
			continue;
		}
		xas_next_offset(xas);
	}

	if (!xas->xa_node)
		xas->xa_node = XAS_BOUNDS;
	return nullptr;
}

// Follows lib/xarray.c: xas_find_marked().
void *xas_find_marked(xa_state *xas, unsigned long max, xa_mark_t mark) noexcept
{
	bool advance = true;
	unsigned int offset;
	void *entry;

	if (xas_error(xas))
		return nullptr;
	if (xas->xa_index > max)
		goto max;

	if (!xas->xa_node) {
		xas->xa_index = 1;
		goto out;
	} else if (xas_top(xas->xa_node)) {
		advance = false;
		entry = xa_head(xas->xa);
		xas->xa_node = nullptr;
		if (xas->xa_index > max_index(entry))
			goto out;
		if (!xa_is_node(entry)) {
			if (xa_marked(xas->xa, mark))
				return entry;
			xas->xa_index = 1;
			goto out;
		}
		xas->xa_node = xa_to_node(entry);
		xas->xa_offset = static_cast<unsigned char>(xas->xa_index >> xas->xa_node->shift);
	}

	while (xas->xa_index <= max) {
		if (xas->xa_offset == XA_CHUNK_SIZE) [[unlikely]] {
			xas->xa_offset = static_cast<unsigned char>(xas->xa_node->offset + 1);
			xas->xa_node = xa_parent(xas->xa, xas->xa_node);
			if (!xas->xa_node)
				break;
			advance = false;
			continue;
		}

		if (!advance) {
			entry = xa_entry(xas->xa, xas->xa_node, xas->xa_offset);
			if (xa_is_sibling(entry)) {
				xas->xa_offset = static_cast<unsigned char>(xa_to_sibling(entry));
				xas_move_index(xas, xas->xa_offset);
			}
		}

		offset = xas_find_chunk(xas, advance, mark);
		if (offset > xas->xa_offset) {
			advance = false;
			xas_move_index(xas, offset);
			/* Mind the wrap */
			if ((xas->xa_index - 1) >= max)
				goto max;
			xas->xa_offset = static_cast<unsigned char>(offset);
			if (offset == XA_CHUNK_SIZE)
				continue;
		}

		entry = xa_entry(xas->xa, xas->xa_node, xas->xa_offset);
		/*
		 * The kernel skips a marked NULL slot (only a concurrent erase
		 * leaves one) with a bare "continue", which finds the same bit
		 * again; here the walk moves past it.
		 */
		if (!entry && !(xa_track_free(xas->xa) && mark == XA_FREE_MARK)) {
			advance = true;
			continue;
		}
		if (!xas->xa_node->shift || !xa_is_node(entry))
			return entry;
		xas->xa_node = xa_to_node(entry);
		xas_set_offset(xas);
	}

out:
	if (xas->xa_index > max)
		goto max;
	return set_bounds(xas);
max:
	xas->xa_node = XAS_RESTART;
	return nullptr;
}

// Follows lib/xarray.c: xas_find_conflict().
void *xas_find_conflict(xa_state *xas) noexcept
{
	void *curr;

	if (xas_error(xas))
		return nullptr;

	if (!xas->xa_node)
		return nullptr;

	if (xas_top(xas->xa_node)) {
		curr = xas_start(xas);
		if (!curr)
			return nullptr;
		while (xa_is_node(curr)) {
			xa_node *node = xa_to_node(curr);
			curr = xas_descend(xas, node);
			if (!node->shift)
				break;
		}
		if (curr)
			return curr;
	}

	if (xas->xa_node->shift > xas->xa_shift)
		return nullptr;

	for (;;) {
		if (xas->xa_node->shift == xas->xa_shift) {
			if ((xas->xa_offset & xas->xa_sibs) == xas->xa_sibs)
				break;
		} else if (xas->xa_offset == XA_CHUNK_MASK) {
			xas->xa_offset = xas->xa_node->offset;
			xas->xa_node = xa_parent_locked(xas->xa, xas->xa_node);
			if (!xas->xa_node)
				break;
			continue;
		}
		curr = xa_entry_locked(xas->xa, xas->xa_node, ++xas->xa_offset);
		if (xa_is_sibling(curr))
			continue;
		while (xas->xa_node->shift && xa_is_node(curr)) {
			xas->xa_node = xa_to_node(curr);
			xas->xa_offset = 0;
			curr = xa_entry_locked(xas->xa, xas->xa_node, 0);
		}
		if (curr)
			return curr;
	}
	xas->xa_offset = static_cast<unsigned char>(xas->xa_offset - xas->xa_sibs);
	return nullptr;
}

/* ------------------------------------------------------------------------ */
/* Normal API                                                               */

static inline void *xa_zero_to_null(void *entry)
{
	return xa_is_zero(entry) ? nullptr : entry;
}

static void *xas_result(xa_state *xas, void *curr)
{
	if (xas_error(xas))
		curr = xas->xa_node;
	return curr;
}

/*
 * Deviation: after a normal-API call failed with -ENOMEM, free the empty
 * nodes it created (xas_create() installs nodes top-down, xas_expand()
 * grows the root) so that the array is as it was.  The kernel leaves them
 * for a later store to use.  Only nodes on the path to @index can have
 * been created, and only those with count 0 (or roots with a lone child
 * in slot 0, which xas_shrink() collapses) are removed, down to the root
 * the call found, @head.
 */
static void xa_trim_failed(xarray *xa, unsigned long index, const void *head)
{
	XA_STATE(xas, xa, index);
	void *entry = xa_head_locked(xa);
	xa_node *node = nullptr;

	if (!xa_is_node(entry))
		return;
	node = xa_to_node(entry);
	if ((index >> node->shift) <= XA_CHUNK_MASK) {
		for (;;) {
			entry = node->slots[get_offset(index, node)];
			if (!node->shift || !xa_is_node(entry))
				break;
			node = xa_to_node(entry);
		}
	}
	xas.xa_node = node;
	if (!node->count) {
		xas_delete_node(&xas, head);
		return;
	}
	while (node->parent)
		node = node->parent;
	xas.xa_node = node;
	xas_shrink(&xas, head);
}

// @head: the array's head when the call began.
static void *xa_finish(xa_state *xas, void *curr, const void *head)
{
	if (xas_error(xas) == -ENOMEM)
		xa_trim_failed(xas->xa, xas->xa_index, head);
	return xas_result(xas, curr);
}

// Follows lib/xarray.c: __xa_erase().
void *__xa_erase(xarray *xa, unsigned long index) noexcept
{
	XA_STATE(xas, xa, index);
	return xas_result(&xas, xa_zero_to_null(xas_store(&xas, nullptr)));
}

void *xa_erase(xarray *xa, unsigned long index) noexcept
{
	void *entry;

	xa_lock(xa);
	entry = __xa_erase(xa, index);
	xa_unlock(xa);

	return entry;
}

// Follows lib/xarray.c: __xa_store().
void *__xa_store(xarray *xa, unsigned long index, void *entry, gfp_t gfp) noexcept
{
	XA_STATE(xas, xa, index);
	const void *head = xa_head_locked(xa);
	void *curr;

	if (xa_is_advanced(entry)) [[unlikely]]
		return XA_ERROR(-EINVAL);
	if (xa_track_free(xa) && !entry)
		entry = XA_ZERO_ENTRY;

	do {
		curr = xas_store(&xas, entry);
		if (xa_track_free(xa))
			xas_clear_mark(&xas, XA_FREE_MARK);
	} while (__xas_nomem(&xas, gfp));

	return xa_finish(&xas, xa_zero_to_null(curr), head);
}

void *xa_store(xarray *xa, unsigned long index, void *entry, gfp_t gfp) noexcept
{
	void *curr;

	xa_lock(xa);
	curr = __xa_store(xa, index, entry, gfp);
	xa_unlock(xa);

	return curr;
}

// Follows lib/xarray.c: __xa_cmpxchg_raw() + xa_zero_to_null().
void *__xa_cmpxchg(xarray *xa, unsigned long index, void *old, void *entry, gfp_t gfp) noexcept
{
	XA_STATE(xas, xa, index);
	const void *head = xa_head_locked(xa);
	void *curr;

	if (xa_is_advanced(entry)) [[unlikely]]
		return XA_ERROR(-EINVAL);

	do {
		curr = xas_load(&xas);
		if (curr == old) {
			xas_store(&xas, entry);
			if (xa_track_free(xa) && entry && !curr)
				xas_clear_mark(&xas, XA_FREE_MARK);
		}
	} while (__xas_nomem(&xas, gfp));

	return xa_zero_to_null(xa_finish(&xas, curr, head));
}

void *xa_cmpxchg(xarray *xa, unsigned long index, void *old, void *entry, gfp_t gfp) noexcept
{
	void *curr;

	xa_lock(xa);
	curr = __xa_cmpxchg(xa, index, old, entry, gfp);
	xa_unlock(xa);

	return curr;
}

// Follows lib/xarray.c: __xa_insert().
int __xa_insert(xarray *xa, unsigned long index, void *entry, gfp_t gfp) noexcept
{
	XA_STATE(xas, xa, index);
	const void *head = xa_head_locked(xa);
	void *curr;

	if (xa_is_advanced(entry)) [[unlikely]]
		return -EINVAL;
	if (!entry)
		entry = XA_ZERO_ENTRY;

	do {
		curr = xas_load(&xas);
		if (!curr) {
			xas_store(&xas, entry);
			if (xa_track_free(xa))
				xas_clear_mark(&xas, XA_FREE_MARK);
		} else {
			xas_set_err(&xas, -EBUSY);
		}
	} while (__xas_nomem(&xas, gfp));

	xa_finish(&xas, nullptr, head);
	return xas_error(&xas);
}

int xa_insert(xarray *xa, unsigned long index, void *entry, gfp_t gfp) noexcept
{
	int err;

	xa_lock(xa);
	err = __xa_insert(xa, index, entry, gfp);
	xa_unlock(xa);

	return err;
}

// Follows include/linux/xarray.h: xa_reserve().
int xa_reserve(xarray *xa, unsigned long index, gfp_t gfp) noexcept
{
	return xa_err(xa_cmpxchg(xa, index, nullptr, XA_ZERO_ENTRY, gfp));
}

// Follows include/linux/xarray.h: xa_release().
void xa_release(xarray *xa, unsigned long index) noexcept
{
	xa_cmpxchg(xa, index, XA_ZERO_ENTRY, nullptr, 0);
}

// Follows lib/xarray.c: __xa_alloc().
int __xa_alloc(xarray *xa, std::uint32_t *id, void *entry, xa_limit limit, gfp_t gfp) noexcept
{
	XA_STATE(xas, xa, 0);
	const void *head = xa_head_locked(xa);

	if (xa_is_advanced(entry)) [[unlikely]]
		return -EINVAL;
	if (!xa_track_free(xa)) [[unlikely]]
		return -EINVAL;

	if (!entry)
		entry = XA_ZERO_ENTRY;

	do {
		xas.xa_index = limit.min;
		xas_find_marked(&xas, limit.max, XA_FREE_MARK);
		if (xas.xa_node == XAS_RESTART)
			xas_set_err(&xas, -EBUSY);
		xas_store(&xas, entry);
		xas_clear_mark(&xas, XA_FREE_MARK);
	} while (__xas_nomem(&xas, gfp));

	xa_finish(&xas, nullptr, head);
	int err = xas_error(&xas);
	// Deviation: *id is written on success only (the kernel writes it
	// before the store, for concurrent readers; an -ENOMEM then leaves it
	// changed).
	if (!err)
		*id = static_cast<std::uint32_t>(xas.xa_index);
	return err;
}

int xa_alloc(xarray *xa, std::uint32_t *id, void *entry, xa_limit limit, gfp_t gfp) noexcept
{
	int err;

	xa_lock(xa);
	err = __xa_alloc(xa, id, entry, limit, gfp);
	xa_unlock(xa);

	return err;
}

// Follows lib/xarray.c: __xa_alloc_cyclic().
int __xa_alloc_cyclic(xarray *xa, std::uint32_t *id, void *entry, xa_limit limit,
		      std::uint32_t *next, gfp_t gfp) noexcept
{
	std::uint32_t min = limit.min;
	int ret;

	limit.min = min > *next ? min : *next;
	ret = __xa_alloc(xa, id, entry, limit, gfp);
	if ((xa->xa_flags & XA_FLAGS_ALLOC_WRAPPED) && ret == 0) {
		xa->xa_flags &= ~XA_FLAGS_ALLOC_WRAPPED;
		ret = 1;
	}

	if (ret < 0 && limit.min > min) {
		limit.min = min;
		ret = __xa_alloc(xa, id, entry, limit, gfp);
		if (ret == 0)
			ret = 1;
	}

	if (ret >= 0) {
		*next = *id + 1;
		if (*next == 0)
			xa->xa_flags |= XA_FLAGS_ALLOC_WRAPPED;
	}
	return ret;
}

int xa_alloc_cyclic(xarray *xa, std::uint32_t *id, void *entry, xa_limit limit, std::uint32_t *next,
		    gfp_t gfp) noexcept
{
	int err;

	xa_lock(xa);
	err = __xa_alloc_cyclic(xa, id, entry, limit, next, gfp);
	xa_unlock(xa);

	return err;
}

// Follows lib/xarray.c: __xa_set_mark().
void __xa_set_mark(xarray *xa, unsigned long index, xa_mark_t mark) noexcept
{
	XA_STATE(xas, xa, index);
	void *entry = xas_load(&xas);

	if (entry)
		xas_set_mark(&xas, mark);
}

// Follows lib/xarray.c: __xa_clear_mark().
void __xa_clear_mark(xarray *xa, unsigned long index, xa_mark_t mark) noexcept
{
	XA_STATE(xas, xa, index);
	void *entry = xas_load(&xas);

	if (entry)
		xas_clear_mark(&xas, mark);
}

// Follows lib/xarray.c: xa_get_mark().
bool xa_get_mark(xarray *xa, unsigned long index, xa_mark_t mark) noexcept
{
	XA_STATE(xas, xa, index);
	void *entry;

	entry = xas_start(&xas);
	while (xas_get_mark(&xas, mark)) {
		if (!xa_is_node(entry) || (xas.xa_node && !xas.xa_node->shift))
			return true;
		entry = xas_descend(&xas, xa_to_node(entry));
	}
	return false;
}

void xa_set_mark(xarray *xa, unsigned long index, xa_mark_t mark) noexcept
{
	xa_lock(xa);
	__xa_set_mark(xa, index, mark);
	xa_unlock(xa);
}

void xa_clear_mark(xarray *xa, unsigned long index, xa_mark_t mark) noexcept
{
	xa_lock(xa);
	__xa_clear_mark(xa, index, mark);
	xa_unlock(xa);
}

// Follows lib/xarray.c: xa_find().
void *xa_find(xarray *xa, unsigned long *indexp, unsigned long max, xa_mark_t filter) noexcept
{
	XA_STATE(xas, xa, *indexp);
	void *entry;

	do {
		if (filter < XA_MAX_MARKS)
			entry = xas_find_marked(&xas, max, filter);
		else
			entry = xas_find(&xas, max);
	} while (xas_retry(&xas, entry));

	if (entry)
		*indexp = xas.xa_index;
	return entry;
}

// Follows lib/xarray.c: xa_find_after() (xas_sibling() is always false here).
void *xa_find_after(xarray *xa, unsigned long *indexp, unsigned long max, xa_mark_t filter) noexcept
{
	XA_STATE(xas, xa, *indexp + 1);
	void *entry;

	if (xas.xa_index == 0)
		return nullptr;

	for (;;) {
		if (filter < XA_MAX_MARKS)
			entry = xas_find_marked(&xas, max, filter);
		else
			entry = xas_find(&xas, max);

		if (xas_invalid(&xas))
			break;
		if (!xas_retry(&xas, entry))
			break;
	}

	if (LU_MUTANT(xa_find_after_first_chunk) && entry && xas.xa_index >= XA_CHUNK_SIZE)
		entry = nullptr;
	if (entry)
		*indexp = xas.xa_index;
	return entry;
}

// Follows lib/xarray.c: xas_extract_present() and xas_extract_marked().
static unsigned int xas_extract(xa_state *xas, void **dst, unsigned long max, unsigned int n,
				xa_mark_t filter)
{
	void *entry;
	unsigned int i = 0;

	rcu_read_lock();
	if (filter < XA_MAX_MARKS) {
		xas_for_each_marked(xas, entry, max, filter) {
			if (xas_retry(xas, entry))
				continue;
			dst[i++] = entry;
			if (i == n)
				break;
		}
	} else {
		xas_for_each(xas, entry, max) {
			if (xas_retry(xas, entry))
				continue;
			dst[i++] = entry;
			if (i == n)
				break;
		}
	}
	rcu_read_unlock();

	return i;
}

// Follows lib/xarray.c: xa_extract().
unsigned int xa_extract(xarray *xa, void **dst, unsigned long start, unsigned long max, unsigned int n,
			xa_mark_t filter) noexcept
{
	XA_STATE(xas, xa, start);

	if (!n)
		return 0;
	return xas_extract(&xas, dst, max, n, filter);
}

// Follows lib/xarray.c: xa_delete_node().
void xa_delete_node(xa_node *node, xa_update_node_t update) noexcept
{
	xa_state xas = {.xa = node->array,
			.xa_index = static_cast<unsigned long>(node->offset) << (node->shift + XA_CHUNK_SHIFT),
			.xa_shift = static_cast<unsigned char>(node->shift + XA_CHUNK_SHIFT),
			.xa_sibs = 0,
			.xa_offset = node->offset,
			.xa_pad = 0,
			.xa_node = xa_parent_locked(node->array, node),
			.xa_alloc = nullptr,
			.xa_update = update,
			.xa_lru = nullptr};

	xas_store(&xas, nullptr);
}

// Follows lib/xarray.c: xa_destroy().
void xa_destroy(xarray *xa) noexcept
{
	XA_STATE(xas, xa, 0);
	void *entry;

	xas.xa_node = nullptr;
	entry = xa_head_locked(xa);
	xa->xa_head = nullptr;
	xas_init_marks(&xas);
	if (xa_zero_busy(xa))
		xa_mark_clear(xa, XA_FREE_MARK);
	if (xa_is_node(entry))
		xas_free_nodes(&xas, xa_to_node(entry));
}

/* ------------------------------------------------------------------------ */
/* Debugging: follows lib/xarray.c's XA_DEBUG section, to stderr.           */

void xa_dump_node(const xa_node *node) noexcept
{
	unsigned i, j;

	if (!node)
		return;
	if (reinterpret_cast<unsigned long>(node) & 3) {
		std::fprintf(stderr, "node %p\n", static_cast<const void *>(node));
		return;
	}

	std::fprintf(stderr, "node %p %s %d parent %p shift %d count %d values %d array %p marks",
		     static_cast<const void *>(node), node->parent ? "offset" : "max", node->offset,
		     static_cast<const void *>(node->parent), node->shift, node->count, node->nr_values,
		     static_cast<const void *>(node->array));
	for (i = 0; i < XA_MAX_MARKS; i++)
		for (j = 0; j < XA_MARK_LONGS; j++)
			std::fprintf(stderr, " %lx", node->marks[i][j]);
	std::fprintf(stderr, "\n");
}

static void xa_dump_index(unsigned long index, unsigned int shift)
{
	if (!shift)
		std::fprintf(stderr, "%lu: ", index);
	else if (shift >= BITS_PER_LONG)
		std::fprintf(stderr, "0-%lu: ", ~0UL);
	else
		std::fprintf(stderr, "%lu-%lu: ", index, index | ((1UL << shift) - 1));
}

static void xa_dump_entry(const void *entry, unsigned long index, unsigned long shift)
{
	if (!entry)
		return;

	xa_dump_index(index, static_cast<unsigned int>(shift));

	if (xa_is_node(entry)) {
		if (shift == 0) {
			std::fprintf(stderr, "%p\n", entry);
		} else {
			unsigned long i;
			const xa_node *node = xa_to_node(entry);
			xa_dump_node(node);
			for (i = 0; i < XA_CHUNK_SIZE; i++)
				xa_dump_entry(node->slots[i], index + (i << node->shift), node->shift);
		}
	} else if (xa_is_value(entry)) {
		std::fprintf(stderr, "value %ld (0x%lx) [%p]\n", static_cast<long>(xa_to_value(entry)),
			     xa_to_value(entry), entry);
	} else if (!xa_is_internal(entry)) {
		std::fprintf(stderr, "%p\n", entry);
	} else if (xa_is_retry(entry)) {
		std::fprintf(stderr, "retry (%ld)\n", xa_to_internal(entry));
	} else if (xa_is_sibling(entry)) {
		std::fprintf(stderr, "sibling (slot %ld)\n", xa_to_sibling(entry));
	} else if (xa_is_zero(entry)) {
		std::fprintf(stderr, "zero (%ld)\n", xa_to_internal(entry));
	} else {
		std::fprintf(stderr, "UNKNOWN ENTRY (%p)\n", entry);
	}
}

void xa_dump(const xarray *xa) noexcept
{
	if (!xa) {
		std::fprintf(stderr, "xarray: (null)\n");
		return;
	}
	void *entry = xa->xa_head;
	unsigned int shift = 0;

	std::fprintf(stderr, "xarray: %p head %p flags %x marks %d %d %d\n", static_cast<const void *>(xa),
		     entry, xa->xa_flags, xa_marked(xa, XA_MARK_0), xa_marked(xa, XA_MARK_1),
		     xa_marked(xa, XA_MARK_2));
	if (xa_is_node(entry))
		shift = xa_to_node(entry)->shift + XA_CHUNK_SHIFT;
	xa_dump_entry(entry, 0, shift);
}

void xa_bug(const char *file, int line, const char *cond) noexcept
{
	std::fprintf(stderr, "XA_BUG_ON(%s) at %s:%d\n", cond, file, line);
	std::fflush(stderr);
	std::abort();
}

} // namespace lu::impl
