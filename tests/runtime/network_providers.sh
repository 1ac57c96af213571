# ip, tcp and udp: a loopback TCP connection's state changes, connect and
# accept probes, segments sent and received with their headers and
# connection; a connection refused; a UDP datagram sent and received.
set -u
[ -x "${WORKLOADS:-}/loopback" ] || { echo "SKIP: workloads not built"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
out=$(timeout 30 "$DTRACE" -q -c "$WORKLOADS/loopback" -n '
tcp:::state-change /pid == $target/ {
	printf("state %s -> %s\n", tcp_state_string[args[5]->tcps_state],
	    tcp_state_string[args[3]->tcps_state]);
}
tcp:::connect-request, tcp:::connect-established, tcp:::connect-refused,
tcp:::accept-established
/args[3]->tcps_raddr == "127.0.0.1"/
{
	printf("%s %s %d\n", probename, args[3]->tcps_raddr, args[3]->tcps_rport);
}
tcp:::accept-refused { printf("accept-refused %d\n", args[3]->tcps_lport); }
/* The segment each implies: its ports and flags, the remote end first
   for one received. */
tcp:::connect-request, tcp:::connect-established, tcp:::connect-refused,
tcp:::accept-established
/args[3]->tcps_raddr == "127.0.0.1"/
{
	printf("segment %s %d %d %x\n", probename,
	    args[4]->tcp_sport == args[3]->tcps_lport && args[4]->tcp_dport == args[3]->tcps_rport,
	    args[4]->tcp_sport == args[3]->tcps_rport && args[4]->tcp_dport == args[3]->tcps_lport &&
	    args[4]->tcp_sport != 0, args[4]->tcp_flags);
}
tcp:::send, tcp:::receive
/args[4]->tcp_flags & TH_PSH && args[3]->tcps_laddr == "127.0.0.1"/
{
	printf("%s %s %s %d bytes %d %d\n", probename, args[2]->ip_saddr, args[2]->ip_daddr,
	    args[2]->ip_plength - args[4]->tcp_offset, args[3]->tcps_state, args[1]->cs_addr != 0);
}
udp:::send, udp:::receive /args[4]->udp_dport == 9/ {
	printf("udp %s %s %d %s %d %d\n", probename, args[3]->udps_laddr, args[3]->udps_lport == 9,
	    args[3]->udps_raddr, args[3]->udps_rport == 9, args[4]->udp_length);
}
ip:::send /args[4]->ipv4_protocol == IPPROTO_UDP && args[2]->ip_daddr == "127.0.0.1"/ {
	printf("ip send %s %s %d %s\n", args[3]->if_name, args[4]->ipv4_protostr,
	    args[4]->ipv4_ttl > 0, args[5]->ipv6_ver == 0 ? "no-v6" : "v6");
}
' 2>&1)
echo "$out"
for line in "state state-closed -> state-listen" "state state-closed -> state-syn-sent" \
    "state state-syn-sent -> state-established" "state state-established -> state-fin-wait-1" \
    "connect-established 127.0.0.1" "accept-established 127.0.0.1" \
    "send 127.0.0.1 127.0.0.1 5 bytes 1 1" "receive 127.0.0.1 127.0.0.1 5 bytes 1 1" \
    "accept-refused 1" "connect-refused 127.0.0.1 1" \
    "udp send 127.0.0.1 0 127.0.0.1 1 18" "udp receive 127.0.0.1 1 127.0.0.1 0 18" \
    "ip send lo UDP 1 no-v6" "segment connect-request 1 0 2" "segment connect-established 0 1 12" \
    "segment accept-established 0 1 10" "segment connect-refused 0 1 14"; do
	echo "$out" | grep -q "^$line" || fail "no line '$line'"
done
exit 0
