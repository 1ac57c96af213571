/* OPTIONS: */
struct s { int a; char b; int c; } st;
BEGIN
{
	trace((int8_t)-1);
	trace((uint16_t)65535);
	trace(-5);
	trace(1ul << 40);
	trace("str");
	st.a = 0x1234; st.c = 0x9876;
	trace(st);
	exit(0);
}
