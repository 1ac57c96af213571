/* OPTIONS: -q */
BEGIN
{
	s = "hello";
	t = strjoin(s, ", world");
	printf("%s %d %d %d %d\n", t, strlen(t), s == "hello", s != "hello", s < "help");
	printf("[%s]\n", execname == "dtrace" ? "self" : "other");
	exit(0);
}
