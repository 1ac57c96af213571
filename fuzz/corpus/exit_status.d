/* OPTIONS: -q */
BEGIN { exit(3); }
