/* OPTIONS: -q */
/* cleanpath, progenyof, strtok across calls, string offsets, if/else. */
#pragma D depends_on provider syscall
BEGIN
{
	printf("%s|%s|%s|%s\n", cleanpath("/usr/./lib//../bin/"), cleanpath("a/../../b"),
	    cleanpath("/.."), cleanpath("./"));
	printf("%d %d %d\n", progenyof($pid), progenyof(1), progenyof(-5));
	s = "alpha,beta;gamma";
	printf("%s ", strtok(s, ","));
	printf("%s ", strtok(NULL, ";"));
	printf("%s\n", strtok(NULL, ";"));
	t = "offset";
	printf("%s %s %s\n", t + 2, 3 + t, t + 100);
	if (strlen(t) > 10) {
		printf("long\n");
	} else if (strlen(t) > 3) {
		printf("medium\n");
	} else {
		printf("short\n");
	}
	exit(0);
}
