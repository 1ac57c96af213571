#pragma D option quiet
syscall::read:entry, syscall::write:entry /pid == $target && arg2 > 0/ { @[probefunc, execname] = count(); self->ts = timestamp; }
syscall::read:return /self->ts/ { @t = avg(timestamp - self->ts); self->ts = 0; }
tick-1s { printa(@t); trunc(@t); }
END { printf("%s %d\n", strjoin("a", lltostr(10)), strlen(cleanpath("/a/../b"))); }
