inline lwpsinfo_t *myinfo = xlate <lwpsinfo_t *> (curthread);
#pragma D attributes Stable/Stable/Common myinfo
dtrace:::BEGIN { trace(myinfo->pr_flag); }
