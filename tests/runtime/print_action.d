/* OPTIONS: -q */
/* print(): an object member by member with its types; zero members left
   out; bit-fields, enums, nested structs and arrays; printsize cuts it. */
enum color { RED = 1, GREEN = 2 };
struct inner { short x; char tag[4]; };
struct outer {
	int count;
	unsigned int flag : 3;
	unsigned int mode : 5;
	enum color c;
	struct inner in;
	long unused;
	void *p;
};
BEGIN
{
	o = (struct outer *)alloca(sizeof (struct outer));
	o->count = -7;
	o->flag = 5;
	o->mode = 17;
	o->c = GREEN;
	o->in.x = 300;
	o->in.tag[0] = 'o';
	o->in.tag[1] = 'k';
	o->p = (void *)0x1234;
	print(o);
	setopt("printsize", "12");
	print(o);
	exit(0);
}
