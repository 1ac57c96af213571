/*
 * lockstat.d: the lockstat provider's constants. args[2] of rw-spin and
 * rw-block says how the thread wanted the lock.
 */

inline int RW_WRITER = 0;	/* for writing (exclusively) */
inline int RW_READER = 1;	/* for reading (shared) */
