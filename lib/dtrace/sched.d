/*
 * sched.d: CPUs as the sched provider and curcpu describe them.
 */

typedef struct cpuinfo {
	processorid_t cpu_id;	/* CPU number */
	psetid_t cpu_pset;	/* processor set (Linux: -1) */
	chipid_t cpu_chip;	/* physical package */
	lgrp_id_t cpu_lgrp;	/* locality group (NUMA node) */
	uintptr_t cpu_info;	/* the kernel's per-CPU information */
} cpuinfo_t;

inline cpuinfo_t *curcpu = (cpuinfo_t *)__cpuinfo(cpu);
inline chipid_t chip = curcpu->cpu_chip;
inline lgrp_id_t lgrp = curcpu->cpu_lgrp;
inline psetid_t pset = curcpu->cpu_pset;
