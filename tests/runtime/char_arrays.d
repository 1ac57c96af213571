/* OPTIONS: -q */
/*
 * A char array is a string wherever D wants one: stringof(), printf's %s,
 * trace(), aggregation keys (shown by printa's %s and by default), and
 * a translated member (pr_fname).
 */
BEGIN
{
	s = stringof(curthread->comm);
	printf("[%s] [%s] [%s]\n", s, curthread->comm, curpsinfo->pr_fname);
	trace(curthread->comm);
	printf("\n");
	@a[curthread->comm] = count();
	@b[curpsinfo->pr_fname, 2] = sum(3);
	@c[curthread->comm] = count();
	printa("%s %@d\n", @a);
	printa("%s %d %@d\n", @b);
	exit(0);
}
