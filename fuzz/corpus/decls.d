struct s { int a; char b[8]; unsigned c : 3; };
union u { int i; long l; };
enum e { A, B = 5, C };
typedef struct s s_t;
inline int four = 4;
translator struct s < int x > { a = x; };
self int t;
int g[int, string];
BEGIN { this->v = xlate<struct s>(1).a; g[1, "x"] = sizeof(s_t) + offsetof(struct s, b); exit(0); }
