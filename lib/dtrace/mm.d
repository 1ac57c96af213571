/*
 * Address spaces (struct mm_struct) as kernels before 6.2 keep their
 * counters; lib/dtrace/6.2/mm.d has the later layout. procfs.d uses these.
 */

/* Resident pages: file, anonymous and shared memory (not swap entries). */
inline long __dtrace_rss_pages[struct mm_struct *M] =
    M->rss_stat.count[0].counter + M->rss_stat.count[1].counter +
    M->rss_stat.count[3].counter;
