/*
 * Address spaces (struct mm_struct) from kernel 6.2 on: each counter of
 * rss_stat is a per-CPU counter, whose count is the total as last folded.
 */

/* Resident pages: file, anonymous and shared memory (not swap entries). */
inline long __dtrace_rss_pages[struct mm_struct *M] =
    M->rss_stat[0].count + M->rss_stat[1].count + M->rss_stat[3].count;
