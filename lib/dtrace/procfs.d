/*
 * procfs.d: the process model of proc(4), as D programs see it on Linux.
 * psinfo_t and lwpsinfo_t are translated from the kernel's task_struct
 * (curpsinfo, curlwpsinfo, and the proc and sched providers' arguments).
 * Members Linux has no counterpart for (pr_nice, pr_cpu, pr_oldpri, the
 * CPU times ...) are left undefined, as Oracle's library leaves them, so
 * using one is a compile-time error (D_XLATE_NOCONV), never a made-up
 * value.
 */

typedef struct timestruc {
	time_t tv_sec;		/* seconds */
	long tv_nsec;		/* and nanoseconds */
} timestruc_t;

typedef struct lwpsinfo {
	int pr_flag;		/* thread flags: PR_STOPPED ... */
	id_t pr_lwpid;		/* thread ID */
	uintptr_t pr_addr;	/* the thread's task_struct */
	uintptr_t pr_wchan;	/* what a sleeping thread waits for */
	char pr_stype;		/* synchronization event type */
	char pr_state;		/* SSLEEP, SRUN ... */
	char pr_sname;		/* the state as a letter: S, R, Z, T, W */
	char pr_nice;		/* nice value */
	short pr_syscall;	/* system call number, if in one */
	char pr_oldpri;		/* (Solaris) pre-SVR4 priority */
	char pr_cpu;		/* (Solaris) CPU usage */
	int pr_pri;		/* priority: higher runs first */
	ushort_t pr_pctcpu;	/* (Solaris) recent CPU use */
	ushort_t pr_pad;
	timestruc_t pr_start;	/* when the thread started */
	timestruc_t pr_time;	/* its user and system CPU time */
	char pr_clname[8];	/* scheduling class */
	char pr_name[16];	/* name (comm) */
	processorid_t pr_onpro;	/* CPU it last ran on */
	processorid_t pr_bindpro; /* CPU it is bound to, or -1 */
	psetid_t pr_bindpset;	/* processor set, or -1 */
	int pr_lgrp;		/* home locality group */
	int pr_filler[4];
} lwpsinfo_t;

typedef struct psinfo {
	int pr_flag;		/* process flags */
	int pr_nlwp;		/* threads */
	pid_t pr_pid;		/* process ID */
	pid_t pr_ppid;		/* parent's process ID */
	pid_t pr_pgid;		/* process group */
	pid_t pr_sid;		/* session */
	uid_t pr_uid;		/* real user ID */
	uid_t pr_euid;		/* effective user ID */
	gid_t pr_gid;		/* real group ID */
	gid_t pr_egid;		/* effective group ID */
	uintptr_t pr_addr;	/* the process's mm_struct */
	size_t pr_size;		/* virtual size in KB */
	size_t pr_rssize;	/* resident set size in KB */
	size_t pr_pad1;
	struct tty_struct *pr_ttydev; /* controlling terminal, or -1 */
	ushort_t pr_pctcpu;	/* (Solaris) recent CPU use */
	ushort_t pr_pctmem;	/* (Solaris) recent memory use */
	timestruc_t pr_start;	/* when the process started */
	timestruc_t pr_time;	/* its user and system CPU time */
	timestruc_t pr_ctime;	/* CPU time of its reaped children */
	char pr_fname[16];	/* name of the executable (comm) */
	char pr_psargs[80];	/* the start of its argument list */
	int pr_wstat;		/* exit status, for a zombie */
	int pr_argc;		/* number of arguments */
	uintptr_t pr_argv;	/* where its arguments start (user address) */
	uintptr_t pr_envp;	/* where its environment starts (user address) */
	char pr_dmodel;		/* PR_MODEL_ILP32 or PR_MODEL_LP64 */
	char pr_pad2[3];
	taskid_t pr_taskid;	/* (Solaris) task */
	projid_t pr_projid;	/* (Solaris) project */
	int pr_nzomb;		/* zombie threads */
	poolid_t pr_poolid;	/* (Solaris) resource pool */
	zoneid_t pr_zoneid;	/* (Solaris) zone: 0, the global zone */
	id_t pr_contract;	/* (Solaris) process contract */
	int pr_filler[1];
	lwpsinfo_t pr_lwp;	/* the representative thread */
} psinfo_t;

inline char PR_MODEL_ILP32 = 1;
inline char PR_MODEL_LP64 = 2;

/* pr_flag of a thread. */
inline int PR_STOPPED = 0x00000001;
inline int PR_ISTOP = 0x00000002;
inline int PR_DSTOP = 0x00000004;
inline int PR_IDLE = 0x10000000;

/* pr_state. */
inline char SSLEEP = 1;
inline char SRUN = 2;
inline char SZOMB = 3;
inline char SSTOP = 4;
inline char SIDL = 5;
inline char SONPROC = 6;
inline char SWAIT = 7;

/* The kernel's task states (task_struct's __state, exit_state). */
inline int TASK_RUNNING = 0x0000;
inline int TASK_INTERRUPTIBLE = 0x0001;
inline int TASK_UNINTERRUPTIBLE = 0x0002;
inline int __TASK_STOPPED = 0x0004;
inline int __TASK_TRACED = 0x0008;
inline int EXIT_DEAD = 0x0010;
inline int EXIT_ZOMBIE = 0x0020;
inline int TASK_PARKED = 0x0040;
inline int TASK_DEAD = 0x0080;
inline int TASK_WAKEKILL = 0x0100;
inline int TASK_WAKING = 0x0200;
inline int TASK_NOLOAD = 0x0400;
inline int TASK_NEW = 0x0800;

/* The kinds of pid a task has (struct pid). */
inline int PIDTYPE_PID = 0;
inline int PIDTYPE_TGID = 1;
inline int PIDTYPE_PGID = 2;
inline int PIDTYPE_SID = 3;

/* si_code of SIGCHLD: why a child changed state. */
inline int CLD_EXITED = 1;
inline int CLD_KILLED = 2;
inline int CLD_DUMPED = 3;
inline int CLD_TRAPPED = 4;
inline int CLD_STOPPED = 5;
inline int CLD_CONTINUED = 6;

translator lwpsinfo_t < struct task_struct *T > {
	pr_flag = (T->__state & (__TASK_STOPPED | __TASK_TRACED)) ? PR_STOPPED : 0;
	pr_lwpid = T->pid;
	pr_addr = (uintptr_t)T;
	pr_wchan = 0;
	pr_stype = 0;
	pr_state = T->exit_state & (EXIT_ZOMBIE | EXIT_DEAD) ? SZOMB :
	    T->__state == TASK_RUNNING ? SRUN :
	    T->__state & (TASK_INTERRUPTIBLE | TASK_UNINTERRUPTIBLE) ? SSLEEP :
	    T->__state & (__TASK_STOPPED | __TASK_TRACED) ? SSTOP :
	    T->__state & TASK_NEW ? SIDL : SWAIT;
	pr_sname = T->exit_state & (EXIT_ZOMBIE | EXIT_DEAD) ? 'Z' :
	    T->__state == TASK_RUNNING ? 'R' :
	    T->__state & TASK_INTERRUPTIBLE ? 'S' :
	    T->__state & TASK_UNINTERRUPTIBLE ? 'D' :
	    T->__state & (__TASK_STOPPED | __TASK_TRACED) ? 'T' :
	    T->__state & TASK_NEW ? 'I' : 'W';
	pr_syscall = 0;
	pr_pri = T->prio;
	pr_name = T->comm;
	pr_clname = T->policy == 1 ? "FIFO" : T->policy == 2 ? "RR" :
	    T->policy == 3 ? "BATCH" : T->policy == 5 ? "IDLE" :
	    T->policy == 6 ? "DEADLINE" : "TS";
	pr_onpro = T->thread_info.cpu;
	pr_bindpro = -1;
	pr_bindpset = -1;
	pr_lgrp = 0;
};

translator psinfo_t < struct task_struct *T > {
	pr_nlwp = T->signal->nr_threads;
	pr_pid = T->tgid;
	pr_ppid = T->real_parent->tgid;
	pr_pgid = T->signal->pids[PIDTYPE_PGID]->numbers[0].nr;
	pr_sid = T->signal->pids[PIDTYPE_SID]->numbers[0].nr;
	pr_uid = T->cred->uid.val;
	pr_euid = T->cred->euid.val;
	pr_gid = T->cred->gid.val;
	pr_egid = T->cred->egid.val;
	pr_addr = (uintptr_t)T->mm;
	/* Pages of 4 KB (x86-64 and arm64 kernels as distributions build them). */
	pr_size = T->mm ? T->mm->total_vm * 4 : 0;
	pr_rssize = T->mm ? __dtrace_rss_pages[T->mm] * 4 : 0;
	pr_ttydev = T->signal->tty ? T->signal->tty : (struct tty_struct *)-1;
	pr_fname = T->comm;
	/* Another process's arguments are in its memory, out of reach: its name. */
	pr_psargs = T == curthread ? execargs : stringof(T->comm);
	pr_wstat = T->exit_code;
	pr_argv = T->mm ? T->mm->arg_start : 0;
	pr_envp = T->mm ? T->mm->env_start : 0;
	pr_dmodel = PR_MODEL_LP64;
	pr_taskid = 0;
	pr_projid = 0;
	pr_nzomb = 0;
	pr_poolid = 0;
	pr_zoneid = 0;
	pr_contract = 0;
};

inline psinfo_t *curpsinfo = xlate <psinfo_t *> (curthread);
inline lwpsinfo_t *curlwpsinfo = xlate <lwpsinfo_t *> (curthread);

/* The current thread's working and root directories. */
inline string cwd = d_path(&curthread->fs->pwd);
inline string root = d_path(&curthread->fs->root);
