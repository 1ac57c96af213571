/* OPTIONS: -q */
/* count, sum, min, max, avg and stddev with integer and string keys;
   at exit, after one blank line, aggregations print one after the other. */
BEGIN
{
	@c["a"] = count(); @c["b"] = count(); @c["b"] = count();
	@s[1] = sum(10); @s[1] = sum(-3); @s[2] = sum(100);
	@mn = min(5); @mn = min(-7); @mn = min(3);
	@mx = max(5); @mx = max(-7); @mx = max(3);
	@av = avg(1); @av = avg(2); @av = avg(6);
	/* squares beyond 64 bits: 5e9^2 */
	@sd = stddev(-5000000000); @sd = stddev(5000000000); @sd = stddev(5000000000);
	exit(0);
}
