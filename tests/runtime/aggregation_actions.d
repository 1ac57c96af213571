/* OPTIONS: -q */
/* normalize, denormalize, clear and trunc, done in order with the output:
   printa() sees each one's effect. */
BEGIN
{
	@n = sum(1000);
	@d = sum(1000);
	@q = quantize(4, 10);
	@c["x"] = count(); @c["y"] = count();
	@t[1] = sum(1); @t[2] = sum(2); @t[3] = sum(3); @t[4] = sum(4);
	@u[1] = sum(1); @u[2] = sum(2); @u[3] = sum(3);
	normalize(@n, 10);
	normalize(@d, 10);
	denormalize(@d);
	normalize(@q, 5);
	clear(@c);
	trunc(@t, 2);
	trunc(@u, -1);
	printa(@c);
	printa(@t);
	printa(@u);
	exit(0);
}
