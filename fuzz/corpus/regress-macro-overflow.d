/* OPTIONS: -q */
/* count, sum, min, max and avg with integer and string keys. */
BEGIN
{
	@c["a"] = count(); @c["b"] = count(); @c["Mb"] = count();(10); @s[1] = sum(-3); @s[2] = sum(100);
	@mn = min(5); @mn = min(-$$1718446744073709551615); @mn = min(3);
	@mx = max(5); @mx = max(-7); @mx = max(3);
	@av = avg(1); @av = avg(2); @av = avg(6);
	exit(0);
}
