/* OPTIONS: -q */
/* tracemem(): DTrace's hex dump of memory, all of it or the count given
   (a negative count shows all). */
BEGIN
{
	x = (char *)alloca(20);
	x[0] = 'D'; x[1] = 'T'; x[2] = 'r'; x[3] = 'a'; x[4] = 'c'; x[5] = 'e';
	x[16] = 0x7f;
	tracemem(x, 20);
	tracemem(x, 20, 6);
	tracemem(x, 8, -1);
	exit(0);
}
