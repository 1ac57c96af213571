inline lwpsinfo_t *myinfo = xlate <lwpsinfo_t *> (curthread);
dtrace:::BEGIN { trace(myinfo->pr_flag); }
