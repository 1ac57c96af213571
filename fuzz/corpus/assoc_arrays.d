/* OPTIONS: -q */
/* Associative arrays with integer and string tuple keys; assigning 0 deletes. */
BEGIN
{
	a[1, "one"] = 10;
	a[2, "two"] = 20;
	b["x"] = "ex";
	a[1, "one"] += 5;
	printf("%d %d %d %s\n", a[1, "one"], a[2, "two"], a[3, "none"], b["x"]);
	a[2, "two"] = 0;
	printf("%d\n", a[2, "two"]);
	exit(0);
}
