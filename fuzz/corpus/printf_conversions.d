/* OPTIONS: -q */
BEGIN
{
	printf("%d|%i|%u|%x|%X|%o|%c|%s|%5d|%-5d|%05d|%+d|%%\n", -42, 7, 42, 255, 255, 8, 65, "str",
	    1, 2, 3, 4);
	printf("%hhd %hd %ld %lld\n", (char)-1, (short)-2, -3L, -4LL);
	printf("%10s|%-10s|%.2s|%*d|%-*d|\n", "right", "left", "trunc", 6, 42, 6, 42);
	printf("%x %x\n", (unsigned char)0x1234, (int)-1);
	exit(0);
}
