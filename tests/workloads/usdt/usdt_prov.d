/*
 * The USDT provider of the usdt_app workload: built with dtrace -h (the
 * header) and dtrace -G (the semaphores' object).
 */
provider usdtapp {
	probe work__start(int, char *);
	probe work__done(int, long long, short);
	probe idle();
};
