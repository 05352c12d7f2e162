/* SPDX-License-Identifier: GPL-2.0+ */
/**
 * @file xarray.h
 * @brief The XArray: a faithful userspace port of include/linux/xarray.h.
 *
 * An XArray is an abstract data type which behaves like a very large array
 * of pointers, indexed by unsigned long.  It is the kernel's lib/xarray.c,
 * with the same names, the same node layout (64-slot nodes, three marks),
 * the same entry encoding and the same return conventions, so that checks
 * from lib/test_xarray.c port one-to-one and iommufd code reads the same.
 *
 * Entry encoding (the low two bits of every entry; xarray.h's table):
 *
 * | bits | meaning                                                      |
 * |------|--------------------------------------------------------------|
 * | 00   | pointer entry (NULL is "no entry")                            |
 * | x1   | value entry, xa_mk_value(v) = (v << 1) \| 1, v < 2^63          |
 * | 10   | internal entry, xa_mk_internal(v) = (v << 2) \| 2              |
 *
 * Internal entries: 0..62 siblings (multi-index, not built here), 256
 * XA_RETRY_ENTRY, 257 XA_ZERO_ENTRY (a reserved slot that reads as NULL),
 * a node pointer | 2 (always > 4096), and -MAX_ERRNO..-1 errors (only ever
 * returned, never stored: xa_is_err(), xa_err()).
 *
 * Three tiers, as in the kernel: xa_* (normal API, hides internal
 * entries), __xa_* (the same, "with xa_lock held") and xas_* (the advanced
 * API on a struct xa_state cursor; everything after "Advanced API" below).
 *
 * Locking: this is a single-threaded userspace port.  xa_lock() and
 * friends take no lock; "Context:" paragraphs keep the kernel's wording so
 * callers know what the kernel would require, but serialising access is
 * entirely the caller's business.
 *
 * RCU: a node freed by an erase stays readable until the end of the
 * read-side section in which it was freed, as the kernel's call_rcu() in
 * xa_node_free() guarantees: a walker that started before the erase reads
 * XA_RETRY_ENTRY (or NULL) there and restarts (xas_retry()).  A read-side
 * section is rcu_read_lock() .. rcu_read_unlock(), or a held xa_lock (a
 * spinlock is one in the kernel too).  Outside any section a node is freed
 * at once.  Sections are per thread.
 *
 * Not built (as with CONFIG_XARRAY_MULTI=n): multi-index entries.  So
 * xa_store_range(), xas_split(), xas_split_alloc() and xas_try_split() do
 * not exist; XA_STATE_ORDER() and xas_set_order() accept order 0 only (and
 * abort otherwise); xa_get_order() and xas_get_order() return 0, as the
 * kernel's !CONFIG_XARRAY_MULTI stubs do.  Supported for single-index
 * entries: xas_create_range(), xas_find_conflict(), xa_extract(),
 * xa_delete_node() and the update callback (xas_set_update()).
 *
 * Memory: every node comes from a node cache (lu_kmem_cache_alloc(),
 * lu/impl/alloc.h), as the kernel's radix_tree_node_cachep slab: freed
 * nodes are reused (zeroed when freed, at the end of their grace period,
 * as radix_tree_node_rcu_free() does, so that an allocation need not clear
 * them), and every allocation is counted and can be failed with
 * fail_nth_set().  xas_alloc() allocates where the node is needed (the
 * kernel's GFP_NOWAIT try under the lock; with no lock to drop it is also
 * the blocking attempt), so each node is exactly one allocation, and an
 * injected failure of it makes the call return -ENOMEM (xas_nomem() does
 * not retry an attempt that just failed).  The @p gfp argument is not
 * interpreted.
 *
 * Pointers that are 2 mod 4 (check_align; m68k's statics) may be stored,
 * but not at the head: xas_store() puts them in a leaf node, and every walk
 * stops at a leaf (shift 0) even if the entry there looks like a node.
 *
 * Deviation from the kernel, in one line: a normal-API call that fails with
 * -ENOMEM frees the empty nodes it created on the way (the kernel leaves
 * them for a later store), so a failed call changes nothing and leaks
 * nothing.
 */
#pragma once

#include <cerrno>
#include <climits>
#include <cstddef>
#include <cstdint>

#include "lu/impl/alloc.h"

namespace lu::impl {

static_assert(sizeof(unsigned long) == 8, "the port assumes LP64, as x86-64 Linux");
static_assert(sizeof(void *) == sizeof(unsigned long), "entries are unsigned longs");

/* ------------------------------------------------------------------------ */
/* gfp flags: only "may this allocation block" matters in userspace.        */

/** Allocation flags, as the kernel's gfp_t. */
using gfp_t = unsigned;

inline constexpr gfp_t __GFP_IO = 0x40u;             /**< may start I/O */
inline constexpr gfp_t __GFP_FS = 0x80u;             /**< may call into the FS */
inline constexpr gfp_t __GFP_DIRECT_RECLAIM = 0x400u; /**< may sleep to reclaim */
inline constexpr gfp_t __GFP_KSWAPD_RECLAIM = 0x800u; /**< may wake kswapd */
inline constexpr gfp_t __GFP_NOWARN = 0x2000u;        /**< no failure warning */
inline constexpr gfp_t __GFP_ACCOUNT = 0x400000u;     /**< charge to memcg */
/** Bits above this are free for XA_FLAGS_MARK() (kernel: ___GFP_LAST_BIT). */
inline constexpr unsigned __GFP_BITS_SHIFT = 26;

inline constexpr gfp_t GFP_NOWAIT = __GFP_KSWAPD_RECLAIM | __GFP_NOWARN; /**< never sleeps */
inline constexpr gfp_t GFP_KERNEL = __GFP_DIRECT_RECLAIM | __GFP_KSWAPD_RECLAIM | __GFP_IO |
				    __GFP_FS; /**< may sleep */
inline constexpr gfp_t GFP_KERNEL_ACCOUNT = GFP_KERNEL | __GFP_ACCOUNT; /**< iommufd's choice */

/**
 * @brief Is this allocation allowed to block (kernel's gfpflags_allow_blocking())?
 * @param gfp Memory allocation flags.
 * @context Any context.
 * @return true if @p gfp has __GFP_DIRECT_RECLAIM, so the allocator may sleep.
 */
constexpr bool gfpflags_allow_blocking(gfp_t gfp) noexcept
{
	return (gfp & __GFP_DIRECT_RECLAIM) != 0;
}

/* ------------------------------------------------------------------------ */
/* Entries                                                                  */

inline constexpr long MAX_ERRNO = 4095; /**< errors are internal(-4095..-1) */

/**
 * @brief Create an XArray entry from an integer.
 * @param v Value to store in the XArray (0 <= v <= LONG_MAX).
 * @context Any context.
 * @return An entry suitable for storing in the XArray.
 */
inline void *xa_mk_value(unsigned long v) noexcept
{
	return reinterpret_cast<void *>((v << 1) | 1);
}

/**
 * @brief Get the value stored in an XArray entry.
 * @param entry XArray entry.
 * @context Any context.
 * @return The value stored in the XArray entry.
 */
inline unsigned long xa_to_value(const void *entry) noexcept
{
	return reinterpret_cast<unsigned long>(entry) >> 1;
}

/**
 * @brief Determine if an entry is a value.
 * @param entry XArray entry.
 * @context Any context.
 * @return True if the entry is a value, false if it is a pointer.
 */
inline bool xa_is_value(const void *entry) noexcept
{
	return reinterpret_cast<unsigned long>(entry) & 1;
}

/**
 * @brief Create an XArray entry for a tagged pointer.
 * @param p Plain pointer (4-byte aligned).
 * @param tag Tag value (0, 1 or 3).
 *
 * Three tags are available (0, 1 and 3); they are distinct from the
 * xa_mark_t as they are not replicated up through the array and cannot be
 * searched for.
 *
 * @context Any context.
 * @return An XArray entry.
 */
inline void *xa_tag_pointer(void *p, unsigned long tag) noexcept
{
	return reinterpret_cast<void *>(reinterpret_cast<unsigned long>(p) | tag);
}

/**
 * @brief Turn an XArray entry into a plain pointer.
 * @param entry XArray entry (a tagged pointer).
 * @context Any context.
 * @return A pointer: @p entry with its tag cleared.
 */
inline void *xa_untag_pointer(void *entry) noexcept
{
	return reinterpret_cast<void *>(reinterpret_cast<unsigned long>(entry) & ~3UL);
}

/**
 * @brief Get the tag stored in an XArray entry.
 * @param entry XArray entry (a tagged pointer).
 * @context Any context.
 * @return A tag (0..3).
 */
inline unsigned int xa_pointer_tag(void *entry) noexcept
{
	return static_cast<unsigned int>(reinterpret_cast<unsigned long>(entry) & 3UL);
}

/**
 * @brief Create an internal entry.
 * @param v Value to turn into an internal entry.
 *
 * Internal entries are used for sibling entries (0-62), the retry entry
 * (256), the zero entry (257), errnos (negative) and node pointers; the
 * normal API never returns one but for an errno.
 *
 * @context Any context.
 * @return An XArray internal entry corresponding to this value.
 */
inline void *xa_mk_internal(unsigned long v) noexcept
{
	return reinterpret_cast<void *>((v << 2) | 2);
}

/**
 * @brief Extract the value from an internal entry.
 * @param entry XArray entry.
 * @context Any context.
 * @return The value which was stored in the internal entry (signed, so
 * that an errno comes back negative; the kernel's is unsigned).
 */
inline long xa_to_internal(const void *entry) noexcept
{
	return static_cast<long>(reinterpret_cast<unsigned long>(entry)) >> 2;
}

/**
 * @brief Is the entry an internal entry?
 * @param entry XArray entry.
 * @context Any context.
 * @return true if the entry is an internal entry.
 */
inline bool xa_is_internal(const void *entry) noexcept
{
	return (reinterpret_cast<unsigned long>(entry) & 3) == 2;
}

/** A reserved slot: reads as NULL, but xa_insert() sees it as busy. */
#define XA_ZERO_ENTRY (::lu::impl::xa_mk_internal(257))
/** Placeholder an RCU walker must retry; never seen in a live tree here. */
#define XA_RETRY_ENTRY (::lu::impl::xa_mk_internal(256))

/**
 * @brief Is the entry a zero entry?
 * @param entry Entry retrieved from the XArray.
 *
 * The normal API returns NULL as the contents of a slot containing a zero
 * entry; only the advanced API sees zero entries.
 *
 * @context Any context.
 * @return true if the entry is a zero (reserved) entry.
 */
inline bool xa_is_zero(const void *entry) noexcept
{
	return entry == XA_ZERO_ENTRY;
}

/**
 * @brief Is the entry a retry entry?
 * @param entry Entry retrieved from the XArray.
 * @context Any context.
 * @return true if the entry is a retry entry.
 */
inline bool xa_is_retry(const void *entry) noexcept
{
	return entry == XA_RETRY_ENTRY;
}

/**
 * @brief Is the entry only permitted for the advanced API?
 * @param entry Entry to be stored in the XArray.
 * @context Any context.
 * @return true if the entry (a sibling or retry entry) cannot be stored by
 * the normal API, which then fails with -EINVAL.
 */
inline bool xa_is_advanced(const void *entry) noexcept
{
	return xa_is_internal(entry) &&
	       reinterpret_cast<unsigned long>(entry) <= reinterpret_cast<unsigned long>(XA_RETRY_ENTRY);
}

/**
 * @brief Report whether this entry is an error (an internal -MAX_ERRNO..-1).
 * @param entry Result from calling an XArray function.
 * @context Any context.
 * @return true if the entry indicates an error.
 */
inline bool xa_is_err(const void *entry) noexcept
{
	return xa_is_internal(entry) &&
	       reinterpret_cast<unsigned long>(entry) >=
		       reinterpret_cast<unsigned long>(xa_mk_internal(static_cast<unsigned long>(-MAX_ERRNO)));
}

/**
 * @brief Turn an XArray result into an errno.
 * @param entry Result from calling an XArray function.
 * @context Any context.
 * @return A negative errno (-ENOMEM, -EINVAL, ...) or 0.
 */
inline int xa_err(const void *entry) noexcept
{
	if (xa_is_err(entry))
		return static_cast<int>(static_cast<long>(reinterpret_cast<unsigned long>(entry)) >> 2);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Marks, flags, limits                                                     */

/** A mark number (0..2), or XA_PRESENT as a search filter. */
using xa_mark_t = unsigned;
inline constexpr xa_mark_t XA_MARK_0 = 0;        /**< user mark 0 */
inline constexpr xa_mark_t XA_MARK_1 = 1;        /**< user mark 1 */
inline constexpr xa_mark_t XA_MARK_2 = 2;        /**< user mark 2 */
inline constexpr xa_mark_t XA_PRESENT = 8;       /**< filter: any present entry */
inline constexpr xa_mark_t XA_MARK_MAX = XA_MARK_2; /**< highest mark */
inline constexpr xa_mark_t XA_FREE_MARK = XA_MARK_0; /**< "free index" in allocating arrays */

inline constexpr unsigned XA_FLAGS_LOCK_IRQ = 1u;      /**< lock type (no-op here) */
inline constexpr unsigned XA_FLAGS_LOCK_BH = 2u;       /**< lock type (no-op here) */
inline constexpr unsigned XA_FLAGS_TRACK_FREE = 4u;    /**< keep XA_FREE_MARK up to date */
inline constexpr unsigned XA_FLAGS_ZERO_BUSY = 8u;     /**< index 0 is never allocated */
inline constexpr unsigned XA_FLAGS_ALLOC_WRAPPED = 16u; /**< xa_alloc_cyclic() wrapped */
inline constexpr unsigned XA_FLAGS_ACCOUNT = 32u;      /**< memcg accounting (no-op here) */
/**
 * @brief The xa_flags bit that holds the xarray-wide copy of a mark.
 * @param mark Mark number.
 * @context Any context; constexpr.
 * @return The bit of xa_flags that is set iff some entry carries @p mark.
 */
constexpr unsigned XA_FLAGS_MARK(xa_mark_t mark) noexcept
{
	return 1u << (__GFP_BITS_SHIFT + mark);
}
inline constexpr unsigned XA_FLAGS_MARK_MASK =
	XA_FLAGS_MARK(XA_MARK_0) | XA_FLAGS_MARK(XA_MARK_1) | XA_FLAGS_MARK(XA_MARK_2); /**< all marks */
/** Allocating array: ids from 0. */
inline constexpr unsigned XA_FLAGS_ALLOC = XA_FLAGS_TRACK_FREE | XA_FLAGS_MARK(XA_FREE_MARK);
/** Allocating array: ids from 1 (index 0 is busy). */
inline constexpr unsigned XA_FLAGS_ALLOC1 = XA_FLAGS_TRACK_FREE | XA_FLAGS_ZERO_BUSY;

/** Inclusive range of ids for xa_alloc(). */
struct xa_limit {
	std::uint32_t max; /**< highest id that may be allocated */
	std::uint32_t min; /**< lowest id that may be allocated */
};

/** An xa_limit from @p _min to @p _max inclusive. */
#define XA_LIMIT(_min, _max) \
	(::lu::impl::xa_limit{.max = static_cast<std::uint32_t>(_max), .min = static_cast<std::uint32_t>(_min)})
inline constexpr xa_limit xa_limit_32b = XA_LIMIT(0, UINT_MAX); /**< any u32 */
inline constexpr xa_limit xa_limit_31b = XA_LIMIT(0, INT_MAX);  /**< any non-negative int */
inline constexpr xa_limit xa_limit_16b = XA_LIMIT(0, USHRT_MAX); /**< any u16 */

/* ------------------------------------------------------------------------ */
/* The array and its nodes                                                  */

/**
 * struct xarray - The anchor of the XArray.
 *
 * If all of the entries in the array are NULL, @p xa_head is a NULL pointer.
 * If the only non-NULL entry in the array is at index 0, @p xa_head is that
 * entry.  If any other entry in the array is non-NULL, @p xa_head points to
 * an @p xa_node.  (The kernel's xa_lock member is omitted: locks are no-ops.)
 */
struct xarray {
	gfp_t xa_flags; /**< XA_FLAGS_* and the xarray-wide marks */
	void *xa_head;  /**< NULL, the entry at index 0, or a node | 2 */
};

/** Static initialiser for an xarray with @p flags. */
#define XARRAY_INIT(name, flags) {.xa_flags = (flags), .xa_head = nullptr}
/** Define an empty xarray. */
#define DEFINE_XARRAY(name) ::lu::impl::xarray name = XARRAY_INIT(name, 0)
/** Define an empty allocating xarray (ids from 0). */
#define DEFINE_XARRAY_ALLOC(name) ::lu::impl::xarray name = XARRAY_INIT(name, ::lu::impl::XA_FLAGS_ALLOC)
/** Define an empty allocating xarray (ids from 1). */
#define DEFINE_XARRAY_ALLOC1(name) ::lu::impl::xarray name = XARRAY_INIT(name, ::lu::impl::XA_FLAGS_ALLOC1)

inline constexpr unsigned XA_CHUNK_SHIFT = 6;                     /**< 64 slots per node */
inline constexpr unsigned long XA_CHUNK_SIZE = 1UL << XA_CHUNK_SHIFT; /**< slots per node */
inline constexpr unsigned long XA_CHUNK_MASK = XA_CHUNK_SIZE - 1; /**< offset mask */
inline constexpr unsigned XA_MAX_MARKS = 3;                       /**< marks per node */
inline constexpr unsigned BITS_PER_LONG = 64;                     /**< bits in a long */
inline constexpr unsigned XA_MARK_LONGS = (XA_CHUNK_SIZE + BITS_PER_LONG - 1) / BITS_PER_LONG; /**< = 1 */

/** Kernel list_head, kept only so that struct xa_node has the kernel's layout. */
struct xa_list_head {
	xa_list_head *next; /**< unused here */
	xa_list_head *prev; /**< unused here */
};
/** Kernel rcu_head, kept only so that struct xa_node has the kernel's layout. */
struct xa_rcu_head {
	xa_rcu_head *next;          /**< unused here */
	void (*func)(xa_rcu_head *); /**< unused here */
};

/**
 * struct xa_node - An internal node of the tree (576 bytes, as the kernel's).
 *
 * @p count counts every non-NULL slot (entries, child nodes, zero entries);
 * @p nr_values counts the value entries.  The union is unused by this port
 * but for @p occupied (deviation): bit i is set iff slots[i] is not NULL, so
 * that xas_find() jumps to the next non-NULL slot in one step instead of
 * testing up to 64 (xa_set_find_mode()).  The node keeps its size.
 */
struct xa_node {
	unsigned char shift;     /**< Bits remaining in each slot */
	unsigned char offset;    /**< Slot offset in parent */
	unsigned char count;     /**< Total entry count */
	unsigned char nr_values; /**< Value entry count */
	xa_node *parent;         /**< NULL at top of tree */
	xarray *array;           /**< The array we belong to */
	union {
		xa_list_head private_list; /**< For tree user (unused) */
		xa_rcu_head rcu_head;      /**< Used when freeing node (unused) */
		unsigned long occupied;    /**< Deviation: bit i set iff slots[i] != NULL */
	};
	void *slots[XA_CHUNK_SIZE];                    /**< entries or child nodes */
	unsigned long marks[XA_MAX_MARKS][XA_MARK_LONGS]; /**< one bitmap per mark */
};
static_assert(sizeof(xa_node) == 576, "struct xa_node must keep the kernel's 64-bit layout");

/**
 * @brief Private: is the entry a pointer to a node?
 * @param entry XArray entry.
 * @context Any context.
 * @return true if @p entry is an internal entry above 4096: not a sibling,
 * retry or zero entry.  (An errno entry would pass too, but errnos are only
 * returned, never stored in a slot.)
 */
inline bool xa_is_node(const void *entry) noexcept
{
	return xa_is_internal(entry) && reinterpret_cast<unsigned long>(entry) > 4096;
}
/**
 * @brief Private: the node an entry points to.
 * @param entry XArray entry for which xa_is_node() holds.
 * @context Any context.
 * @return The node, untagged.
 */
inline xa_node *xa_to_node(const void *entry) noexcept
{
	return reinterpret_cast<xa_node *>(reinterpret_cast<unsigned long>(entry) - 2);
}
/**
 * @brief Private: tag a node pointer as an internal entry.
 * @param node Node.
 * @context Any context.
 * @return @p node | 2, the entry that a parent slot or xa_head holds.
 */
inline void *xa_mk_node(const xa_node *node) noexcept
{
	return reinterpret_cast<void *>(reinterpret_cast<unsigned long>(node) | 2);
}

/** Multi-index entries are not built (kernel: CONFIG_XARRAY_MULTI=n). */
inline constexpr bool CONFIG_XARRAY_MULTI = false;

/**
 * @brief Private: create a sibling entry (never stored while CONFIG_XARRAY_MULTI is off).
 * @param offset Offset of the canonical slot in the node.
 * @context Any context.
 * @return The internal entry for @p offset.
 */
inline void *xa_mk_sibling(unsigned int offset) noexcept
{
	return xa_mk_internal(offset);
}
/**
 * @brief Private: the canonical slot a sibling entry refers to.
 * @param entry Sibling entry.
 * @context Any context.
 * @return The offset stored in @p entry.
 */
inline unsigned long xa_to_sibling(const void *entry) noexcept
{
	return static_cast<unsigned long>(xa_to_internal(entry));
}
/**
 * @brief Is the entry a sibling entry?
 * @param entry Entry retrieved from the XArray.
 * @context Any context.
 * @return true if the entry is a sibling entry; always false here, as
 * multi-index entries are not built (CONFIG_XARRAY_MULTI=n).
 */
inline bool xa_is_sibling(const void *entry) noexcept
{
	return CONFIG_XARRAY_MULTI && xa_is_internal(entry) &&
	       reinterpret_cast<unsigned long>(entry) <
		       reinterpret_cast<unsigned long>(xa_mk_sibling(XA_CHUNK_SIZE - 1));
}

/*
 * Private accessors.  In the kernel the plain ones are
 * rcu_dereference_check() and the _locked ones rcu_dereference_protected();
 * without RCU both are plain loads here.
 */

/**
 * @brief Private: the head of the tree.
 * @param xa XArray.
 * @context Any context.  The kernel wants the RCU lock or the xa_lock.
 * @return NULL, the entry at index 0, or a node entry.
 */
inline void *xa_head(const xarray *xa) noexcept { return xa->xa_head; }
/**
 * @brief Private: the head of the tree, with the xa_lock held.
 * @param xa XArray.
 * @context Any context.  The kernel wants the xa_lock held.
 * @return As xa_head().
 */
inline void *xa_head_locked(const xarray *xa) noexcept { return xa->xa_head; }
/**
 * @brief Private: the entry in one slot of a node.
 * @param xa XArray (unused: the kernel's lockdep check).
 * @param node Node.
 * @param offset Slot offset (< XA_CHUNK_SIZE).
 * @context Any context.  The kernel wants the RCU lock or the xa_lock.
 * @return The slot's entry, internal entries included.
 */
inline void *xa_entry([[maybe_unused]] const xarray *xa, const xa_node *node, unsigned int offset) noexcept
{
	return node->slots[offset];
}
/**
 * @brief Private: the entry in one slot of a node, with the xa_lock held.
 * @param xa XArray (unused: the kernel's lockdep check).
 * @param node Node.
 * @param offset Slot offset (< XA_CHUNK_SIZE).
 * @context Any context.  The kernel wants the xa_lock held.
 * @return As xa_entry().
 */
inline void *xa_entry_locked([[maybe_unused]] const xarray *xa, const xa_node *node, unsigned int offset) noexcept
{
	return node->slots[offset];
}
/**
 * @brief Private: the parent of a node.
 * @param xa XArray (unused: the kernel's lockdep check).
 * @param node Node.
 * @context Any context.  The kernel wants the RCU lock or the xa_lock.
 * @return The parent node, or NULL at the top of the tree.
 */
inline xa_node *xa_parent([[maybe_unused]] const xarray *xa, const xa_node *node) noexcept { return node->parent; }
/**
 * @brief Private: the parent of a node, with the xa_lock held.
 * @param xa XArray (unused: the kernel's lockdep check).
 * @param node Node.
 * @context Any context.  The kernel wants the xa_lock held.
 * @return As xa_parent().
 */
inline xa_node *xa_parent_locked([[maybe_unused]] const xarray *xa, const xa_node *node) noexcept { return node->parent; }

/**
 * @brief Inquire whether any entry in this array has a mark set.
 * @param xa Array.
 * @param mark Mark value.
 * @context Any context.
 * @return true if any entry has this mark set (the xarray-wide copy).
 */
inline bool xa_marked(const xarray *xa, xa_mark_t mark) noexcept
{
	return xa->xa_flags & XA_FLAGS_MARK(mark);
}

/*
 * Locking: no lock is taken in this single-threaded port (see the file
 * comment), but a held xa_lock is an RCU read-side section, as a spinlock
 * is in the kernel: nodes freed under it stay readable until the unlock.
 */

/**
 * @brief Begin an RCU read-side section (per thread; may nest).
 *
 * Nodes freed until the matching outermost rcu_read_unlock() stay readable,
 * so that a walk that started before an erase can finish or retry.
 *
 * @context Any context.
 */
void rcu_read_lock() noexcept;
/**
 * @brief End an RCU read-side section; the outermost end frees the nodes
 * erased inside it (the end of the grace period).
 * @context The calling thread is in a section (rcu_read_lock() or a held
 * xa_lock); XA_BUG_ON otherwise.
 */
void rcu_read_unlock() noexcept;

/**
 * @brief Take the xa_lock (here: an RCU read-side section, no lock).
 * @param xa XArray.
 * @context Process or softirq context in the kernel (spin_lock()).
 */
inline void xa_lock([[maybe_unused]] xarray *xa) noexcept { rcu_read_lock(); }
/**
 * @brief Release the xa_lock (ends the section xa_lock() began).
 * @param xa XArray.
 * @context The caller holds the xa_lock.
 */
inline void xa_unlock([[maybe_unused]] xarray *xa) noexcept { rcu_read_unlock(); }
/**
 * @brief Take the xa_lock, disabling interrupts (as xa_lock() here).
 * @param xa XArray.
 * @context Process context in the kernel (spin_lock_irq()).
 */
inline void xa_lock_irq(xarray *xa) noexcept { xa_lock(xa); }
/**
 * @brief Release the xa_lock, enabling interrupts (as xa_unlock() here).
 * @param xa XArray.
 * @context The caller holds the xa_lock, taken with xa_lock_irq().
 */
inline void xa_unlock_irq(xarray *xa) noexcept { xa_unlock(xa); }
/**
 * @brief Take the xa_lock, disabling softirqs (as xa_lock() here).
 * @param xa XArray.
 * @context Process context in the kernel (spin_lock_bh()).
 */
inline void xa_lock_bh(xarray *xa) noexcept { xa_lock(xa); }
/**
 * @brief Release the xa_lock, enabling softirqs (as xa_unlock() here).
 * @param xa XArray.
 * @context The caller holds the xa_lock, taken with xa_lock_bh().
 */
inline void xa_unlock_bh(xarray *xa) noexcept { xa_unlock(xa); }

/* ------------------------------------------------------------------------ */
/* Debugging                                                                */

/**
 * @brief Print the whole tree to stderr, as lib/xarray.c's xa_dump().
 * @param xa XArray (may be NULL).
 * @context Any context.
 */
void xa_dump(const xarray *xa) noexcept;
/**
 * @brief Print one node's header line (shift, count, values, marks) to stderr.
 * @param node Node (may be NULL).
 * @context Any context.
 */
void xa_dump_node(const xa_node *node) noexcept;
/**
 * @brief Print "XA_BUG_ON(...) at file:line" and abort(); never returns.
 * @param file Source file of the failed check.
 * @param line Source line of the failed check.
 * @param cond The failed condition, as text.
 * @context Any context (the kernel's BUG()).
 */
[[noreturn]] void xa_bug(const char *file, int line, const char *cond) noexcept;

#if !defined(NDEBUG) || defined(LU_XA_DEBUG)
#define XA_DEBUG 1
/** Dump @p xa and abort if @p x holds (only when NDEBUG is not defined or LU_XA_DEBUG is). */
#define XA_BUG_ON(xa, x)                                              \
	do {                                                          \
		if (x) {                                              \
			::lu::impl::xa_dump(xa);                      \
			::lu::impl::xa_bug(__FILE__, __LINE__, #x);   \
		}                                                     \
	} while (0)
/** Dump @p node and abort if @p x holds. */
#define XA_NODE_BUG_ON(node, x)                                       \
	do {                                                          \
		if (x) {                                              \
			::lu::impl::xa_dump_node(node);               \
			::lu::impl::xa_bug(__FILE__, __LINE__, #x);   \
		}                                                     \
	} while (0)
#else
#define XA_BUG_ON(xa, x) do { (void)sizeof(xa); (void)sizeof(x); } while (0)
#define XA_NODE_BUG_ON(node, x) do { (void)sizeof(node); (void)sizeof(x); } while (0)
#endif

/* ------------------------------------------------------------------------ */
/* Normal API                                                               */

/**
 * @brief Initialise an empty XArray with flags.
 * @param xa XArray.
 * @param flags XA_FLAGS values (XA_FLAGS_ALLOC, XA_FLAGS_ALLOC1, ...).
 * @context Any context.
 */
inline void xa_init_flags(xarray *xa, gfp_t flags) noexcept
{
	xa->xa_flags = flags;
	xa->xa_head = nullptr;
}

/**
 * @brief Initialise an empty XArray.
 * @param xa XArray.
 * @context Any context.
 */
inline void xa_init(xarray *xa) noexcept
{
	xa_init_flags(xa, 0);
}

/**
 * @brief Determine if an array has any present entries.
 * @param xa XArray.
 * @context Any context.
 * @return true if the array contains only NULL pointers.  A reserved
 * (zero) entry makes the array non-empty.
 */
inline bool xa_empty(const xarray *xa) noexcept
{
	return xa->xa_head == nullptr;
}

/**
 * @brief Load an entry from an XArray.
 * @param xa XArray.
 * @param index index into array.
 * @context Any context.  Takes and releases the RCU lock in the kernel.
 * @return The entry at @p index in @p xa; NULL if there is none or if it
 * is reserved (a zero entry).
 *
 * Inline fast path of lib/xarray.c: xa_load() = xas_start() + xas_descend()
 * until a non-node entry or a leaf; retry entries cannot be seen without
 * concurrent writers, so there is no retry loop.
 */
inline void *xa_load(xarray *xa, unsigned long index) noexcept
{
	void *entry = xa->xa_head;

	if (xa_is_node(entry)) {
		const xa_node *node = xa_to_node(entry);

		if ((index >> node->shift) > XA_CHUNK_MASK)
			return nullptr;
		for (;;) {
			entry = node->slots[(index >> node->shift) & XA_CHUNK_MASK];
			if (!node->shift || !xa_is_node(entry))
				break;
			node = xa_to_node(entry);
		}
	} else if (index) {
		return nullptr;
	}
	return xa_is_zero(entry) ? nullptr : entry;
}

/**
 * @brief Store this entry in the XArray.
 * @param xa XArray.
 * @param index Index into array.
 * @param entry New entry (NULL erases, except in an allocating array where
 * it reserves the index as the kernel does).
 * @param gfp Memory allocation flags.
 *
 * After this function returns, loads from this index will return @p entry.
 * The marks associated with @p index are unaffected unless @p entry is NULL.
 *
 * @context Any context.  Takes and releases the xa_lock.  May sleep if the
 * @p gfp flags permit.
 * @return The old entry at this index on success (NULL for a reserved
 * one), xa_err(-EINVAL) if @p entry cannot be stored in an XArray (a
 * sibling or retry entry), or xa_err(-ENOMEM) if memory allocation failed
 * (then nothing changed).
 */
void *xa_store(xarray *xa, unsigned long index, void *entry, gfp_t gfp) noexcept;

/**
 * @brief Erase this entry from the XArray.
 * @param xa XArray.
 * @param index Index of entry.
 *
 * This function is the equivalent of calling xa_store() with NULL in a
 * non-allocating array.  It clears every mark of @p index (sets
 * XA_FREE_MARK in an allocating array), frees nodes that become empty and
 * shrinks the tree.  It never allocates memory.
 *
 * @context Any context.  Takes and releases the xa_lock.
 * @return The entry which used to be at this index (NULL if it was reserved).
 */
void *xa_erase(xarray *xa, unsigned long index) noexcept;

/**
 * @brief Conditionally replace an entry in the XArray.
 * @param xa XArray.
 * @param index Index into array.
 * @param old Old value to test against (compared raw: XA_ZERO_ENTRY
 * matches a reserved entry, NULL matches only an absent one).
 * @param entry New value to place in array.
 * @param gfp Memory allocation flags.
 *
 * If the entry at @p index is the same as @p old, replace it with @p entry.
 * If the return value is equal to @p old, then the exchange was successful.
 *
 * @context Any context.  Takes and releases the xa_lock.  May sleep if the
 * @p gfp flags permit.
 * @return The old value at this index (NULL for a reserved one), or
 * xa_err(-EINVAL) if @p entry is a sibling or retry entry, or
 * xa_err(-ENOMEM) if memory allocation failed (then nothing changed).
 */
void *xa_cmpxchg(xarray *xa, unsigned long index, void *old, void *entry, gfp_t gfp) noexcept;

/**
 * @brief Store this entry in the XArray unless another entry is already present.
 * @param xa XArray.
 * @param index Index into array.
 * @param entry New entry (NULL reserves the index).
 * @param gfp Memory allocation flags.
 *
 * Inserting a NULL entry will store a reserved entry (like xa_reserve()).
 *
 * @context Any context.  Takes and releases the xa_lock.  May sleep if the
 * @p gfp flags permit.
 * @return 0 if the store succeeded, -EBUSY if another entry (including a
 * reserved one) was present, -EINVAL if @p entry is a sibling or retry
 * entry, or -ENOMEM if memory could not be allocated.
 */
[[nodiscard]] int xa_insert(xarray *xa, unsigned long index, void *entry, gfp_t gfp) noexcept;

/**
 * @brief Reserve this index in the XArray (= xa_cmpxchg(NULL -> XA_ZERO_ENTRY)).
 * @param xa XArray.
 * @param index Index into array.
 * @param gfp Memory allocation flags.
 *
 * Ensures there is somewhere to store an entry at @p index.  If there is
 * already something stored at @p index, this function does nothing.  If
 * there was nothing there, the entry is marked as reserved: loads return
 * NULL, xa_insert() returns -EBUSY, iteration skips it, and xa_empty() is
 * false.  Undo with xa_release() or xa_erase().
 *
 * @context Any context.  Takes and releases the xa_lock.  May sleep if the
 * @p gfp flags permit.
 * @return 0 if the reservation succeeded or -ENOMEM if it failed.
 */
[[nodiscard]] int xa_reserve(xarray *xa, unsigned long index, gfp_t gfp) noexcept;

/**
 * @brief Release a reserved entry (= xa_cmpxchg(XA_ZERO_ENTRY -> NULL)).
 * @param xa XArray.
 * @param index Index of entry.
 *
 * After calling xa_reserve(), you can call this function to release the
 * reservation.  If the entry at @p index has been stored to, this function
 * does nothing.
 *
 * @context Any context.  Takes and releases the xa_lock.
 */
void xa_release(xarray *xa, unsigned long index) noexcept;

/**
 * @brief Find somewhere to store this entry in the XArray.
 * @param xa XArray (initialised with XA_FLAGS_ALLOC or XA_FLAGS_ALLOC1).
 * @param id Pointer to ID; set only on success.
 * @param entry New entry (NULL allocates a reserved entry).
 * @param limit Range of ID to allocate.
 * @param gfp Memory allocation flags.
 *
 * Finds the lowest free index in @p limit (the XA_FREE_MARK search),
 * stores @p entry there and writes the index to @p id.
 *
 * @context Any context.  Takes and releases the xa_lock.  May sleep if the
 * @p gfp flags permit.
 * @return 0 on success, -ENOMEM if memory could not be allocated, -EBUSY if
 * there are no free entries in @p limit, or -EINVAL if @p xa does not track
 * free entries or @p entry is a sibling or retry entry.
 */
[[nodiscard]] int xa_alloc(xarray *xa, std::uint32_t *id, void *entry, xa_limit limit,
			   gfp_t gfp) noexcept;

/**
 * @brief Find somewhere to store this entry in the XArray, cyclically.
 * @param xa XArray (initialised with XA_FLAGS_ALLOC or XA_FLAGS_ALLOC1).
 * @param id Pointer to ID.
 * @param entry New entry.
 * @param limit Range of allocated ID.
 * @param next Pointer to next ID to allocate.
 * @param gfp Memory allocation flags.
 *
 * Finds an empty entry in @p xa between @p limit.min and @p limit.max,
 * starting the search at @p next and wrapping to @p limit.min.
 *
 * @context Any context.  Takes and releases the xa_lock.  May sleep if the
 * @p gfp flags permit.
 * @return 0 if the allocation succeeded without wrapping, 1 if it succeeded
 * after wrapping, -ENOMEM if memory could not be allocated, -EBUSY if there
 * are no free entries in @p limit, or -EINVAL as xa_alloc().
 */
[[nodiscard]] int xa_alloc_cyclic(xarray *xa, std::uint32_t *id, void *entry, xa_limit limit,
				  std::uint32_t *next, gfp_t gfp) noexcept;

/**
 * @brief Search the XArray for an entry.
 * @param xa XArray.
 * @param indexp Pointer to an index.
 * @param max Maximum index to search to.
 * @param filter Selection criterion: a mark, or XA_PRESENT.
 *
 * Finds the entry in @p xa which matches the @p filter, and has the lowest
 * index that is at least @p *indexp and no more than @p max.  If an entry
 * is found, @p *indexp is updated to be the index of the entry.  Reserved
 * (zero) entries are skipped.
 *
 * @context Any context.  Takes and releases the RCU lock in the kernel.
 * @return The entry, if found, otherwise NULL.
 */
void *xa_find(xarray *xa, unsigned long *indexp, unsigned long max, xa_mark_t filter) noexcept;

/**
 * enum xa_find_mode - How xas_find() (xa_find(), xa_find_after() with
 * XA_PRESENT, xas_for_each()) passes over empty slots.
 *
 * Deviation, for speed only: the results are the same in both modes.
 * @p occupancy jumps to the next non-NULL slot of a node with its @p occupied
 * bitmap (the default); @p kernel_scan tests the slots one by one, as
 * lib/xarray.c does, so that its cost can be measured
 * (bench/preserve_bench.cc).
 */
enum class xa_find_mode : unsigned char { occupancy, kernel_scan };

/**
 * @brief Choose how xas_find() skips empty slots (see xa_find_mode).
 * @context Per thread, like fail_nth_set().
 */
void xa_set_find_mode(xa_find_mode mode) noexcept;

/**
 * @brief The calling thread's xa_find_mode.
 * @context Per thread, like fail_nth_set().
 * @return The mode last set with xa_set_find_mode(), xa_find_mode::occupancy
 * by default.
 */
[[nodiscard]] xa_find_mode xa_get_find_mode() noexcept;

/**
 * @brief Search the XArray for a present entry above an index.
 * @param xa XArray.
 * @param indexp Pointer to an index.
 * @param max Maximum index to search to.
 * @param filter Selection criterion: a mark, or XA_PRESENT.
 *
 * Finds the entry in @p xa which matches the @p filter and has the lowest
 * index that is above @p *indexp and no more than @p max.  If an entry is
 * found, @p *indexp is updated to be the index of the entry.  Returns NULL
 * at once if @p *indexp is ULONG_MAX.  The kernel scans up to 64 slots per
 * level; with XA_PRESENT this port jumps over empty slots with the nodes'
 * occupancy bitmaps (xa_set_find_mode()).
 *
 * @context Any context.  Takes and releases the RCU lock in the kernel.
 * @return The pointer, if found, otherwise NULL.
 */
void *xa_find_after(xarray *xa, unsigned long *indexp, unsigned long max, xa_mark_t filter) noexcept;

/**
 * @brief Set this mark on this entry.
 * @param xa XArray.
 * @param index Index of entry.
 * @param mark Mark number (XA_MARK_0..2).
 *
 * Attempting to set a mark on a NULL entry does not succeed.  A reserved
 * entry can carry marks.
 *
 * @context Process context.  Takes and releases the xa_lock.
 */
void xa_set_mark(xarray *xa, unsigned long index, xa_mark_t mark) noexcept;

/**
 * @brief Clear this mark on this entry.
 * @param xa XArray.
 * @param index Index of entry.
 * @param mark Mark number.
 *
 * Clearing a mark always succeeds.
 *
 * @context Process context.  Takes and releases the xa_lock.
 */
void xa_clear_mark(xarray *xa, unsigned long index, xa_mark_t mark) noexcept;

/**
 * @brief Inquire whether this mark is set on this entry.
 * @param xa XArray.
 * @param index Index of entry.
 * @param mark Mark number.
 * @context Any context.  Takes and releases the RCU lock in the kernel.
 * @return True if the entry at @p index has this mark set, false if it doesn't.
 */
bool xa_get_mark(xarray *xa, unsigned long index, xa_mark_t mark) noexcept;

/**
 * @brief Free all internal data structures.
 * @param xa XArray.
 *
 * After calling this function, the XArray is empty and has freed all memory
 * allocated for its internal data structures.  You are responsible for
 * freeing the objects referenced by the XArray.
 *
 * @context Any context.  Takes and releases the xa_lock, interrupt-safe.
 */
void xa_destroy(xarray *xa) noexcept;

/**
 * @brief Copy selected entries from the XArray into a normal array.
 * @param xa The source XArray to copy from.
 * @param dst The buffer to copy entries into.
 * @param start The first index in the XArray eligible to be selected.
 * @param max The last index in the XArray eligible to be selected.
 * @param n The maximum number of entries to copy.
 * @param filter Selection criterion: a mark, or XA_PRESENT.
 *
 * Copies up to @p n entries that match @p filter, in index order, from
 * indices between @p start and @p max inclusive.  Reserved entries are
 * skipped.
 *
 * @context Any context.  Takes and releases the RCU lock.
 * @return The number of entries copied.
 */
unsigned int xa_extract(xarray *xa, void **dst, unsigned long start, unsigned long max, unsigned int n,
			xa_mark_t filter) noexcept;

/**
 * @brief Get the order of an entry.
 * @param xa XArray.
 * @param index Index of the entry.
 * @context Any context.
 * @return 0: every entry is single-index here (the kernel's
 * !CONFIG_XARRAY_MULTI stub).
 */
inline int xa_get_order([[maybe_unused]] xarray *xa, [[maybe_unused]] unsigned long index) noexcept
{
	return 0;
}

/*
 * The __xa_* tier: versions of the normal API which require the caller to
 * hold the xa_lock (locks are no-ops here, so each is its xa_* twin).
 */

/**
 * @brief Store this entry in the XArray (xa_store() with the xa_lock held).
 * @param xa XArray.
 * @param index Index into array.
 * @param entry New entry.
 * @param gfp Memory allocation flags.
 * @context Any context.  Expects xa_lock to be held on entry.  May release
 * and reacquire xa_lock if @p gfp flags permit.
 * @return The old entry at this index, xa_err(-EINVAL) for a sibling or
 * retry entry, or xa_err(-ENOMEM) if memory allocation failed.
 */
void *__xa_store(xarray *xa, unsigned long index, void *entry, gfp_t gfp) noexcept;
/**
 * @brief Erase this entry from the XArray (xa_erase() with the xa_lock held).
 * @param xa XArray.
 * @param index Index of entry.
 * @context Any context.  Expects xa_lock to be held on entry.
 * @return The entry which used to be at this index.
 */
void *__xa_erase(xarray *xa, unsigned long index) noexcept;
/**
 * @brief Conditionally replace an entry (xa_cmpxchg() with the xa_lock held).
 * @param xa XArray.
 * @param index Index into array.
 * @param old Old value to test against.
 * @param entry New value to place in array.
 * @param gfp Memory allocation flags.
 * @context Any context.  Expects xa_lock to be held on entry.  May release
 * and reacquire xa_lock if @p gfp flags permit.
 * @return The old value at this index, xa_err(-EINVAL) for a sibling or
 * retry entry, or xa_err(-ENOMEM) if memory allocation failed.
 */
void *__xa_cmpxchg(xarray *xa, unsigned long index, void *old, void *entry, gfp_t gfp) noexcept;
/**
 * @brief Store this entry unless another is present (xa_insert() with the xa_lock held).
 * @param xa XArray.
 * @param index Index into array.
 * @param entry New entry.
 * @param gfp Memory allocation flags.
 * @context Any context.  Expects xa_lock to be held on entry.  May release
 * and reacquire xa_lock if @p gfp flags permit.
 * @return 0 if the store succeeded, -EBUSY if another entry (including a
 * reserved one) was present, -EINVAL for a sibling or retry entry, or
 * -ENOMEM if memory could not be allocated.
 */
[[nodiscard]] int __xa_insert(xarray *xa, unsigned long index, void *entry, gfp_t gfp) noexcept;
/**
 * @brief Find somewhere to store this entry (xa_alloc() with the xa_lock held).
 * @param xa XArray (initialised with XA_FLAGS_ALLOC or XA_FLAGS_ALLOC1).
 * @param id Pointer to ID; set only on success.
 * @param entry New entry.
 * @param limit Range of ID to allocate.
 * @param gfp Memory allocation flags.
 * @context Any context.  Expects xa_lock to be held on entry.  May release
 * and reacquire xa_lock if @p gfp flags permit.
 * @return 0 on success, -ENOMEM if memory could not be allocated, -EBUSY if
 * there are no free entries in @p limit, or -EINVAL if @p xa does not track
 * free entries or @p entry is a sibling or retry entry.
 */
[[nodiscard]] int __xa_alloc(xarray *xa, std::uint32_t *id, void *entry, xa_limit limit,
			     gfp_t gfp) noexcept;
/**
 * @brief Find somewhere to store this entry, cyclically (xa_alloc_cyclic() with the xa_lock held).
 * @param xa XArray (initialised with XA_FLAGS_ALLOC or XA_FLAGS_ALLOC1).
 * @param id Pointer to ID.
 * @param entry New entry.
 * @param limit Range of allocated ID.
 * @param next Pointer to next ID to allocate.
 * @param gfp Memory allocation flags.
 * @context Any context.  Expects xa_lock to be held on entry.  May release
 * and reacquire xa_lock if @p gfp flags permit.
 * @return 0 if the allocation succeeded without wrapping, 1 if it succeeded
 * after wrapping, -ENOMEM if memory could not be allocated, -EBUSY if there
 * are no free entries in @p limit, or -EINVAL as __xa_alloc().
 */
[[nodiscard]] int __xa_alloc_cyclic(xarray *xa, std::uint32_t *id, void *entry, xa_limit limit,
				    std::uint32_t *next, gfp_t gfp) noexcept;
/**
 * @brief Set this mark on this entry (xa_set_mark() with the xa_lock held).
 * @param xa XArray.
 * @param index Index of entry.
 * @param mark Mark number.
 * @context Any context.  Expects xa_lock to be held on entry.
 */
void __xa_set_mark(xarray *xa, unsigned long index, xa_mark_t mark) noexcept;
/**
 * @brief Clear this mark on this entry (xa_clear_mark() with the xa_lock held).
 * @param xa XArray.
 * @param index Index of entry.
 * @param mark Mark number.
 * @context Any context.  Expects xa_lock to be held on entry.
 */
void __xa_clear_mark(xarray *xa, unsigned long index, xa_mark_t mark) noexcept;

/**
 * xa_for_each_range() - Iterate over a portion of an XArray.
 * @p xa: XArray.  @p index: Index of @p entry.  @p entry: Entry retrieved from array.
 * @p start: First index to retrieve from array.  @p last: Last index to retrieve.
 *
 * Each step is an xa_find_after() that walks from the root, so a full
 * iteration is O(n log n); it is safe against modification of the array
 * during the iteration.  Use xas_for_each() for an O(n) walk.
 */
#define xa_for_each_range(xa, index, entry, start, last)                              \
	for (index = start, entry = ::lu::impl::xa_find(xa, &index, last, ::lu::impl::XA_PRESENT); \
	     entry; entry = ::lu::impl::xa_find_after(xa, &index, last, ::lu::impl::XA_PRESENT))
/** Iterate over present entries from @p start (see xa_for_each_range()). */
#define xa_for_each_start(xa, index, entry, start) \
	xa_for_each_range(xa, index, entry, start, ULONG_MAX)
/** Iterate over all present entries (see xa_for_each_range()). */
#define xa_for_each(xa, index, entry) xa_for_each_start(xa, index, entry, 0)
/** Iterate over entries carrying mark @p filter (see xa_for_each_range()). */
#define xa_for_each_marked(xa, index, entry, filter)                                  \
	for (index = 0, entry = ::lu::impl::xa_find(xa, &index, ULONG_MAX, filter); entry; \
	     entry = ::lu::impl::xa_find_after(xa, &index, ULONG_MAX, filter))

/* ======================================================================== */
/* Everything below here is the Advanced API.  Proceed with caution.        */
/* ======================================================================== */

/**
 * Callback when a node changes (the page cache's workingset code).  It is
 * called with each node whose count or nr_values changed, and with each
 * node about to be freed (count 0).  Deviation: it cannot keep the node on
 * a list through node->private_list, which shares its word with
 * node->occupied here.
 */
using xa_update_node_t = void (*)(xa_node *node);

/**
 * @brief Private interface for workingset code: remove a node from its tree.
 * @param node Node to be removed from the tree (with everything under it).
 * @param update Function to call to update ancestor nodes.
 * @context The kernel wants the xa_lock held; it is not released.
 */
void xa_delete_node(xa_node *node, xa_update_node_t update) noexcept;

/**
 * struct xa_state - XArray operation state (a cursor).
 *
 * @p xa_node is a node, NULL (at the head), or one of the special values
 * XAS_BOUNDS (index outside the current tree), XAS_RESTART (walk not
 * started) or XAS_ERROR(err) (sticky error: every later xas_* call is a
 * no-op, so the caller checks xas_error() once).
 */
struct xa_state {
	xarray *xa;                /**< the array */
	unsigned long xa_index;    /**< current index */
	unsigned char xa_shift;    /**< order of the entry (always 0 here) */
	unsigned char xa_sibs;     /**< siblings of the entry (always 0 here) */
	unsigned char xa_offset;   /**< offset of xa_index in xa_node */
	unsigned char xa_pad;      /**< helps gcc generate better code */
	struct xa_node *xa_node;   /**< current node or special value */
	struct xa_node *xa_alloc;  /**< node preallocated by xas_nomem() */
	xa_update_node_t xa_update; /**< node-change callback (xas_set_update()) */
	void *xa_lru;              /**< list_lru (unused) */
};

/* Special values of xa_state.xa_node (kernel macros). */
#define XAS_BOUNDS (reinterpret_cast<::lu::impl::xa_node *>(1UL))
#define XAS_RESTART (reinterpret_cast<::lu::impl::xa_node *>(3UL))
#define XA_ERROR(err) \
	(reinterpret_cast<::lu::impl::xa_node *>((static_cast<unsigned long>(err) << 2) | 2UL))

/** Declare an XArray operation state @p name on @p array at @p index. */
#define XA_STATE(name, array, index)                                               \
	::lu::impl::xa_state name = {.xa = (array), .xa_index = (index), .xa_shift = 0, \
				     .xa_sibs = 0, .xa_offset = 0, .xa_pad = 0,        \
				     .xa_node = XAS_RESTART, .xa_alloc = nullptr,       \
				     .xa_update = nullptr, .xa_lru = nullptr}

/**
 * @brief Private: the index of an XA_STATE_ORDER(); aborts for order > 0.
 * @param index Index of the entry.
 * @param order Order of the entry (only 0 is supported).
 * @context Any context.
 * @return @p index.
 */
inline unsigned long xa_order_index(unsigned long index, unsigned int order) noexcept
{
	XA_BUG_ON(static_cast<const xarray *>(nullptr), order > 0); // CONFIG_XARRAY_MULTI=n
	return index;
}

/** XA_STATE for an entry of @p order; only order 0 exists here (BUG otherwise). */
#define XA_STATE_ORDER(name, array, index, order) \
	XA_STATE(name, array, ::lu::impl::xa_order_index(index, order))

/* Locking of the advanced API: xa_lock(xas->xa), an RCU read-side section here. */

/**
 * @brief Take the xa_lock of the array @p xas walks (an RCU section here).
 * @param xas XArray operation state.
 * @context Process or softirq context in the kernel (spin_lock()).
 */
inline void xas_lock(xa_state *xas) noexcept { xa_lock(xas->xa); }
/**
 * @brief Release the xa_lock of the array @p xas walks.
 * @param xas XArray operation state.
 * @context The caller holds the xa_lock.
 */
inline void xas_unlock(xa_state *xas) noexcept { xa_unlock(xas->xa); }
/**
 * @brief Take the xa_lock, disabling interrupts (as xas_lock() here).
 * @param xas XArray operation state.
 * @context Process context in the kernel (spin_lock_irq()).
 */
inline void xas_lock_irq(xa_state *xas) noexcept { xa_lock(xas->xa); }
/**
 * @brief Release the xa_lock, enabling interrupts (as xas_unlock() here).
 * @param xas XArray operation state.
 * @context The caller holds the xa_lock, taken with xas_lock_irq().
 */
inline void xas_unlock_irq(xa_state *xas) noexcept { xa_unlock(xas->xa); }

/**
 * @brief Set up XArray operation state for a different index and order.
 * @param xas XArray operation state.
 * @param index New index into the XArray.
 * @param order New order (only 0: multi-index entries are not built; BUG
 * otherwise, as the kernel's !CONFIG_XARRAY_MULTI version).
 * @context Any context.
 */
inline void xas_set_order(xa_state *xas, unsigned long index, unsigned int order) noexcept
{
	xas->xa_index = xa_order_index(index, order);
	xas->xa_node = XAS_RESTART;
}

/**
 * @brief Set up XArray operation state for a callback on node changes.
 * @param xas XArray operation state.
 * @param update Function to call when updating a node.
 * @context Any context.
 */
inline void xas_set_update(xa_state *xas, xa_update_node_t update) noexcept
{
	xas->xa_update = update;
}

/**
 * @brief Get the order of the loaded entry.
 * @param xas XArray operation state (after xas_load()).
 * @context Any context.
 * @return 0: every entry is single-index here (the kernel's
 * !CONFIG_XARRAY_MULTI stub).
 */
inline int xas_get_order([[maybe_unused]] xa_state *xas) noexcept
{
	return 0;
}

/**
 * @brief Return an errno stored in the xa_state.
 * @param xas XArray operation state.
 * @context Any context.
 * @return 0 if no error has been noted, or a negative errno (-ENOMEM,
 * -EINVAL, -EBUSY, ...) if one has.
 */
inline int xas_error(const xa_state *xas) noexcept
{
	return xa_err(xas->xa_node);
}

/**
 * @brief Note an error in the xa_state.
 * @param xas XArray operation state.
 * @param err Negative error number.
 *
 * Only call this function with a negative @p err; zero or positive errors
 * will probably not behave the way you think they should.  If you want to
 * clear the error from an xa_state, use xas_reset().
 *
 * @context Any context.
 */
inline void xas_set_err(xa_state *xas, long err) noexcept
{
	xas->xa_node = XA_ERROR(err);
}

/**
 * @brief Is the xas in a retry or error state?
 * @param xas XArray operation state.
 * @context Any context.
 * @return true if the xas cannot be used for operations.
 */
inline bool xas_invalid(const xa_state *xas) noexcept
{
	return reinterpret_cast<unsigned long>(xas->xa_node) & 3;
}
/**
 * @brief Is the xas a valid cursor into the array?
 * @param xas XArray operation state.
 * @context Any context.
 * @return true if the xas can be used for operations.
 */
inline bool xas_valid(const xa_state *xas) noexcept
{
	return !xas_invalid(xas);
}
/**
 * @brief Does the xas point to a node?
 * @param xas XArray operation state.
 * @context Any context.
 * @return true if the xas currently references a node.
 */
inline bool xas_is_node(const xa_state *xas) noexcept
{
	return xas_valid(xas) && xas->xa_node;
}
/**
 * @brief Private: is the xa_node value something other than a node?
 * @param node An xa_state's xa_node.
 * @context Any context.
 * @return true for NULL (the head), XAS_BOUNDS, XAS_RESTART or an error.
 */
inline bool xas_not_node(const xa_node *node) noexcept
{
	return (reinterpret_cast<unsigned long>(node) & 3) || !node;
}
/**
 * @brief Private: does the xa_node value represent RESTART or an error?
 * @param node An xa_state's xa_node.
 * @context Any context.
 * @return true for XAS_RESTART or XA_ERROR(err).
 */
inline bool xas_frozen(const xa_node *node) noexcept
{
	return reinterpret_cast<unsigned long>(node) & 2;
}
/**
 * @brief Private: does the xa_node value represent head-of-tree, RESTART or BOUNDS?
 * @param node An xa_state's xa_node.
 * @context Any context.
 * @return true for NULL, XAS_BOUNDS or XAS_RESTART.
 */
inline bool xas_top(const xa_node *node) noexcept
{
	return reinterpret_cast<unsigned long>(node) <= 3UL;
}

/**
 * @brief Reset an XArray operation state.
 * @param xas XArray operation state.
 *
 * Resets the error or walk state of the @p xas so future walks of the
 * array will start from the root.  Use this if you have dropped the
 * xarray lock and want to reuse the xa_state.
 *
 * @context Any context.
 */
inline void xas_reset(xa_state *xas) noexcept
{
	xas->xa_node = XAS_RESTART;
}

/**
 * @brief Set up XArray operation state for a different index.
 * @param xas XArray operation state.
 * @param index New index into the XArray.
 *
 * Move the operation state to refer to a different index.  This will have
 * the effect of starting a walk from the top; see xas_next() to move to an
 * adjacent index.
 *
 * @context Any context.
 */
inline void xas_set(xa_state *xas, unsigned long index) noexcept
{
	xas->xa_index = index;
	xas->xa_node = XAS_RESTART;
}

/**
 * @brief Retry the operation if appropriate.
 * @param xas XArray operation state.
 * @param entry Entry from xarray.
 *
 * The advanced functions may sometimes return an internal entry, such as a
 * retry entry or a zero entry.  This function sets up the @p xas to restart
 * the walk from the head of the array if needed.
 *
 * @context Any context.
 * @return true if the operation needs to be retried: for a zero entry
 * (skip it) or a retry entry (the walk is reset).
 */
inline bool xas_retry(xa_state *xas, const void *entry) noexcept
{
	if (xa_is_zero(entry))
		return true;
	if (!xa_is_retry(entry))
		return false;
	xas_reset(xas);
	return true;
}

/**
 * @brief Refetch an entry from the xarray.
 * @param xas XArray operation state.
 * @context Any context.
 * @return The entry at the current position of @p xas, which must be valid.
 */
inline void *xas_reload(xa_state *xas) noexcept
{
	xa_node *node = xas->xa_node;

	if (!node)
		return xa_head(xas->xa);
	return xa_entry(xas->xa, node, xas->xa_offset);
}

/**
 * @brief Load an entry from the XArray (advanced).
 * @param xas XArray operation state.
 * @context Any context.  The caller should hold the xa_lock or the RCU lock.
 * @return The entry at xa_index (internal entries included), or NULL if
 * @p xas is in an error state or beyond the tree (then xa_node is
 * XAS_BOUNDS).  Never expands the tree.
 */
void *xas_load(xa_state *xas) noexcept;

/**
 * @brief Store this entry in the XArray (advanced).
 * @param xas XArray operation state.
 * @param entry New entry (NULL erases and clears marks).
 * @context Any context.  The caller should hold the xa_lock.
 * @return The old entry at this index.  On allocation failure returns NULL
 * and notes -ENOMEM in @p xas: call xas_nomem() and retry.
 */
void *xas_store(xa_state *xas, void *entry) noexcept;

/**
 * @brief Allocate memory if needed.
 * @param xas XArray operation state.
 * @param gfp Memory allocation flags.
 *
 * If xas_store() failed with -ENOMEM, allocate one node, keep it in @p xas
 * for the retry and reset the walk.  Otherwise free any node kept.
 *
 * @context Any context.  Call with the xa_lock dropped.
 * @return true if memory was needed, and was successfully allocated.
 */
bool xas_nomem(xa_state *xas, gfp_t gfp) noexcept;

/**
 * @brief Find the next present entry in the XArray.
 * @param xas XArray operation state.
 * @param max Highest index to return.
 *
 * If @p xas has not yet been walked to an entry, return the entry which has
 * an index >= xas.xa_index.  If it has been walked, the entry currently
 * being pointed at has been processed, and so we move to the next entry.
 * Zero entries are returned (use xas_retry() to skip them).
 *
 * @context Any context.  The caller should hold the xa_lock or the RCU lock.
 * @return The entry, if found, otherwise NULL.
 */
void *xas_find(xa_state *xas, unsigned long max) noexcept;

/**
 * @brief Ensure that stores to this range will succeed.
 * @param xas XArray operation state.
 *
 * Creates all of the slots in the range covered by @p xas (one index
 * here) and positions it at the beginning of the range.  On failure the
 * error (-ENOMEM) is noted in @p xas: call xas_nomem() and retry.
 *
 * @context Any context.  The caller should hold the xa_lock.
 */
void xas_create_range(xa_state *xas) noexcept;

/**
 * @brief Find the next present entry in a range.
 * @param xas XArray operation state (the range is its one index here).
 * @context Any context.  Expects xa_lock to be held.
 * @return The next entry in the range covered by @p xas, or NULL.
 */
void *xas_find_conflict(xa_state *xas) noexcept;

/** Iterate over the entries that a store through @p xas would overwrite. */
#define xas_for_each_conflict(xas, entry) while ((entry = ::lu::impl::xas_find_conflict(xas)))

/**
 * @brief Find the next marked entry in the XArray.
 * @param xas XArray operation state.
 * @param max Highest index to return.
 * @param mark Mark number to search for.
 *
 * As xas_find() for entries with @p mark.  If no entry is found before
 * @p max is reached, @p xas is set to the restart state; if the array is
 * smaller than @p max, to the bounds state with xa_index the smallest index
 * not yet in the array (so that @p xas can be passed to xas_store()).
 *
 * @context Any context.  The caller should hold the xa_lock or the RCU lock.
 * @return The entry, if found, otherwise NULL.
 */
void *xas_find_marked(xa_state *xas, unsigned long max, xa_mark_t mark) noexcept;

/**
 * @brief Returns the state of this mark.
 * @param xas XArray operation state.
 * @param mark Mark number.
 * @context Any context.  The caller should hold the xa_lock or the RCU lock.
 * @return true if the mark is set, false if the mark is clear or @p xas is
 * in an error state.
 */
bool xas_get_mark(const xa_state *xas, xa_mark_t mark) noexcept;
/**
 * @brief Sets the mark on this entry and its parents.
 * @param xas XArray operation state.
 * @param mark Mark number.
 *
 * Sets the specified mark on this entry, and walks up the tree setting it
 * on all the ancestor entries.  Does nothing if @p xas has not been walked
 * to an entry, or is in an error state.
 *
 * @context Any context.  The caller should hold the xa_lock.
 */
void xas_set_mark(const xa_state *xas, xa_mark_t mark) noexcept;
/**
 * @brief Clears the mark on this entry and its parents.
 * @param xas XArray operation state.
 * @param mark Mark number.
 *
 * Clears the mark on this entry, and walks back to the head, clearing it
 * on each ancestor entry that no longer has a child with the mark.  Does
 * nothing if @p xas has not been walked to an entry, or is in an error
 * state.
 *
 * @context Any context.  The caller should hold the xa_lock.
 */
void xas_clear_mark(const xa_state *xas, xa_mark_t mark) noexcept;
/**
 * @brief Initialise all marks for the entry.
 * @param xas XArray operation state.
 *
 * If the array tracks free entries (XA_FLAGS_TRACK_FREE), sets
 * XA_FREE_MARK on the entry; every other mark is cleared.
 *
 * @context Any context.  The caller should hold the xa_lock.
 */
void xas_init_marks(const xa_state *xas) noexcept;

/**
 * @brief Pause a walk to drop a lock (or modify the array).
 * @param xas XArray operation state.
 *
 * Resets @p xas so that the next iteration of the loop restarts from the
 * root at the index after the current one.  Only works for forward
 * iteration.
 *
 * @context Any context.  Call it before dropping the xa_lock or the RCU
 * lock.
 */
void xas_pause(xa_state *xas) noexcept;

/**
 * @brief Private: the out-of-line slow path of xas_next().
 * @param xas XArray operation state.
 * @context Any context.  The caller should hold the xa_lock or the RCU lock.
 * @return As xas_next().
 */
void *__xas_next(xa_state *xas) noexcept;
/**
 * @brief Private: the out-of-line slow path of xas_prev().
 * @param xas XArray operation state.
 * @context Any context.  The caller should hold the xa_lock or the RCU lock.
 * @return As xas_prev().
 */
void *__xas_prev(xa_state *xas) noexcept;

/**
 * @brief Move state to next index.
 * @param xas XArray operation state.
 *
 * If the @p xas was in an error state, it will remain in an error state
 * and this function will return NULL.  If the @p xas has never been walked,
 * it will have the effect of calling xas_load().  Otherwise one is added
 * to the index and the state is walked to it.  Wraps to 0 after ULONG_MAX.
 *
 * @context Any context.  The caller should hold the xa_lock or the RCU lock.
 * @return The entry at the new index.  This may be NULL or an internal
 * entry.
 */
inline void *xas_next(xa_state *xas) noexcept
{
	xa_node *node = xas->xa_node;

	if (xas_not_node(node) || node->shift || xas->xa_offset == XA_CHUNK_MASK) [[unlikely]]
		return __xas_next(xas);

	xas->xa_index++;
	xas->xa_offset++;
	return xa_entry(xas->xa, node, xas->xa_offset);
}

/**
 * @brief Move iterator to previous index.
 * @param xas XArray operation state.
 *
 * As xas_next(), but one is subtracted from the index.  Wraps to ULONG_MAX
 * before 0.
 *
 * @context Any context.  The caller should hold the xa_lock or the RCU lock.
 * @return The entry at the new index.  This may be NULL or an internal
 * entry.
 */
inline void *xas_prev(xa_state *xas) noexcept
{
	xa_node *node = xas->xa_node;

	if (xas_not_node(node) || node->shift || xas->xa_offset == 0) [[unlikely]]
		return __xas_prev(xas);

	xas->xa_index--;
	xas->xa_offset--;
	return xa_entry(xas->xa, node, xas->xa_offset);
}

/**
 * @brief Advance iterator to next present entry.
 * @param xas XArray operation state.
 * @param max Highest index to return.
 *
 * The inline fast path of xas_for_each(): steps along a leaf node and
 * falls back to xas_find() at node boundaries or internal entries.
 *
 * @context Any context.  The caller should hold the xa_lock or the RCU lock.
 * @return The next present entry after the one currently referred to by
 * @p xas, or NULL.
 */
inline void *xas_next_entry(xa_state *xas, unsigned long max) noexcept
{
	xa_node *node = xas->xa_node;
	void *entry;

	if (xas_not_node(node) || node->shift ||
	    xas->xa_offset != (xas->xa_index & XA_CHUNK_MASK)) [[unlikely]]
		return xas_find(xas, max);

	do {
		if (xas->xa_index >= max) [[unlikely]]
			return xas_find(xas, max);
		if (xas->xa_offset == XA_CHUNK_MASK) [[unlikely]]
			return xas_find(xas, max);
		entry = xa_entry(xas->xa, node, xas->xa_offset + 1u);
		if (xa_is_internal(entry)) [[unlikely]]
			return xas_find(xas, max);
		xas->xa_offset++;
		xas->xa_index++;
	} while (!entry);

	return entry;
}

/**
 * @brief Private: the next slot of the current node that carries a mark.
 * @param xas XArray operation state (on a node).
 * @param advance Start after xa_offset rather than at it.
 * @param mark Mark number.
 * @context Any context.  The caller should hold the xa_lock or the RCU lock.
 * @return The offset of the first slot at or after xa_offset (+1 if
 * @p advance) whose @p mark bit is set, or XA_CHUNK_SIZE if there is none.
 */
inline unsigned int xas_find_chunk(xa_state *xas, bool advance, xa_mark_t mark) noexcept
{
	const unsigned long *addr = xas->xa_node->marks[mark];
	unsigned int offset = xas->xa_offset;

	if (advance)
		offset++;
	if (offset < XA_CHUNK_SIZE) {
		unsigned long data = *addr & (~0UL << offset);
		if (data)
			return static_cast<unsigned int>(__builtin_ctzl(data));
	}
	return XA_CHUNK_SIZE;
}

/**
 * @brief Advance iterator to next marked entry.
 * @param xas XArray operation state.
 * @param max Highest index to return.
 * @param mark Mark to search for.
 *
 * The inline fast path of xas_for_each_marked(), equivalent to
 * xas_find_marked(), which it calls for all the hard cases.
 *
 * @context Any context.  The caller should hold the xa_lock or the RCU lock.
 * @return The next marked entry after the one currently referred to by
 * @p xas, or NULL.
 */
inline void *xas_next_marked(xa_state *xas, unsigned long max, xa_mark_t mark) noexcept
{
	xa_node *node = xas->xa_node;
	void *entry;
	unsigned int offset;

	if (xas_not_node(node) || node->shift) [[unlikely]]
		return xas_find_marked(xas, max, mark);
	offset = xas_find_chunk(xas, true, mark);
	xas->xa_offset = static_cast<unsigned char>(offset);
	xas->xa_index = (xas->xa_index & ~XA_CHUNK_MASK) + offset;
	if (xas->xa_index > max)
		return nullptr;
	if (offset == XA_CHUNK_SIZE)
		return xas_find_marked(xas, max, mark);
	entry = xa_entry(xas->xa, node, offset);
	if (!entry)
		return xas_find_marked(xas, max, mark);
	return entry;
}

/**
 * xas_for_each() - Iterate over a range of an XArray, O(n) in total.
 * @p xas: XArray operation state.  @p entry: Entry retrieved from the array.
 * @p max: Maximum index to retrieve from array.
 *
 * The loop body is executed for each entry present in the xarray between
 * the current xas position and @p max, zero entries included (skip them with
 * xas_retry()).  The body may xas_store() at the current position.
 */
#define xas_for_each(xas, entry, max) \
	for (entry = ::lu::impl::xas_find(xas, max); entry; entry = ::lu::impl::xas_next_entry(xas, max))

/** Iterate over entries with @p mark between the xas position and @p max. */
#define xas_for_each_marked(xas, entry, max, mark)                     \
	for (entry = ::lu::impl::xas_find_marked(xas, max, mark); entry; \
	     entry = ::lu::impl::xas_next_marked(xas, max, mark))

} // namespace lu::impl
