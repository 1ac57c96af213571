/* OPTIONS: -q */
/* self-> variables belong to the thread and outlive the firing (BEGIN and
   END run in dtrace's own thread); this-> variables are shared by the
   clauses of one firing and start at zero in the next. */
this int seen;
BEGIN { self->n = 5; this->seen = 1; }
BEGIN { self->n++; this->seen++; printf("BEGIN n=%d this=%d\n", self->n, this->seen); exit(0); }
END { printf("END n=%d this=%d\n", self->n, this->seen); self->n = 0; printf("deleted: %d\n", self->n); }
