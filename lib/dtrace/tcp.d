/*
 * tcp.d: TCP segments and connections as the tcp provider describes them:
 * tcpinfo_t (the header), tcpsinfo_t (the connection), tcplsinfo_t (its
 * previous state), translated from the kernel's tcphdr and sock.
 */

#pragma D depends_on library ip.d

/* Header flags. */
inline int TH_FIN = 0x01;
inline int TH_SYN = 0x02;
inline int TH_RST = 0x04;
inline int TH_PSH = 0x08;
inline int TH_ACK = 0x10;
inline int TH_URG = 0x20;
inline int TH_ECE = 0x40;
inline int TH_CWR = 0x80;

/* Connection states (the kernel's numbers). */
inline int TCP_STATE_IDLE = 0;
inline int TCP_STATE_ESTABLISHED = 1;
inline int TCP_STATE_SYN_SENT = 2;
inline int TCP_STATE_SYN_RECEIVED = 3;
inline int TCP_STATE_FIN_WAIT_1 = 4;
inline int TCP_STATE_FIN_WAIT_2 = 5;
inline int TCP_STATE_TIME_WAIT = 6;
inline int TCP_STATE_CLOSED = 7;
inline int TCP_STATE_CLOSE_WAIT = 8;
inline int TCP_STATE_LAST_ACK = 9;
inline int TCP_STATE_LISTEN = 10;
inline int TCP_STATE_CLOSING = 11;
/* A connection request not yet accepted (the kernel's request socket). */
inline int TCP_STATE_NEW_SYN_RECV = 12;

inline string tcp_state_string[int state] =
    state == TCP_STATE_CLOSED ? "state-closed" :
    state == TCP_STATE_IDLE ? "state-idle" :
    state == TCP_STATE_LISTEN ? "state-listen" :
    state == TCP_STATE_SYN_SENT ? "state-syn-sent" :
    state == TCP_STATE_SYN_RECEIVED ? "state-syn-received" :
    state == TCP_STATE_ESTABLISHED ? "state-established" :
    state == TCP_STATE_CLOSE_WAIT ? "state-close-wait" :
    state == TCP_STATE_FIN_WAIT_1 ? "state-fin-wait-1" :
    state == TCP_STATE_CLOSING ? "state-closing" :
    state == TCP_STATE_LAST_ACK ? "state-last-ack" :
    state == TCP_STATE_FIN_WAIT_2 ? "state-fin-wait-2" :
    state == TCP_STATE_TIME_WAIT ? "state-time-wait" : "<unknown>";

typedef struct tcpinfo {
	uint16_t tcp_sport;	/* source port */
	uint16_t tcp_dport;	/* destination port */
	uint32_t tcp_seq;	/* sequence number */
	uint32_t tcp_ack;	/* acknowledgement number */
	uint8_t tcp_offset;	/* data offset, in bytes */
	uint8_t tcp_flags;	/* TH_* */
	uint16_t tcp_window;	/* window */
	uint16_t tcp_checksum;	/* checksum */
	uint16_t tcp_urgent;	/* urgent pointer */
	uintptr_t tcp_hdr;	/* the header */
} tcpinfo_t;

typedef struct tcpsinfo {
	uintptr_t tcps_addr;	/* the socket */
	int tcps_local;		/* both ends on this host */
	uint16_t tcps_lport;	/* local port */
	uint16_t tcps_rport;	/* remote port */
	string tcps_laddr;	/* local address */
	string tcps_raddr;	/* remote address */
	int tcps_state;		/* TCP_STATE_* */
	uint32_t tcps_iss;	/* initial sequence number sent */
	uint32_t tcps_suna;	/* oldest sequence number not acknowledged */
	uint32_t tcps_snxt;	/* next sequence number to send */
	uint32_t tcps_rnxt;	/* next sequence number expected */
	uint32_t tcps_swnd;	/* send window */
	int32_t tcps_snd_ws;	/* send window scale */
	uint32_t tcps_rwnd;	/* receive window */
	int32_t tcps_rcv_ws;	/* receive window scale */
	uint32_t tcps_cwnd;	/* congestion window */
	uint32_t tcps_cwnd_ssthresh; /* slow start threshold */
	uint32_t tcps_sack_snxt; /* next sequence number a SACK retransmits */
	uint32_t tcps_rto;	/* retransmission timeout (jiffies) */
	uint32_t tcps_mss;	/* maximum segment size */
	int tcps_retransmit;	/* this send is a retransmission */
	uint32_t tcps_rtt;	/* smoothed round-trip time, ms */
	uint32_t tcps_rtt_sd;	/* its deviation, ms */
	uint32_t tcps_irs;	/* initial sequence number received */
} tcpsinfo_t;

typedef struct tcplsinfo {
	int tcps_state;		/* the previous state */
} tcplsinfo_t;

/* The TCP header of a packet: where the stack has set its offset, or after
   the IP header of a packet the device layer just received. */
inline struct tcphdr *tcp_header[struct sk_buff *S] =
    (struct tcphdr *)(S->head + S->transport_header);
inline struct tcphdr *tcp_header_received[struct sk_buff *S] =
    (struct tcphdr *)((uintptr_t)ip_header_received[S] + ip_header_length[ip_header_received[S]]);

/* Whether a socket is a full one (request and time-wait sockets share only
   sock_common with it). */
inline int tcp_full_socket[struct sock *S] = S != NULL &&
    S->__sk_common.skc_state != TCP_STATE_TIME_WAIT &&
    S->__sk_common.skc_state != TCP_STATE_NEW_SYN_RECV;

translator tcpinfo_t < struct tcphdr *T > {
	tcp_sport = T == NULL ? 0 : ntohs(T->source);
	tcp_dport = T == NULL ? 0 : ntohs(T->dest);
	tcp_seq = T == NULL ? 0 : ntohl(T->seq);
	tcp_ack = T == NULL ? 0 : ntohl(T->ack_seq);
	tcp_offset = T == NULL ? 0 : (*((uint8_t *)T + 12) & 0xf0) >> 2;
	tcp_flags = T == NULL ? 0 : *((uint8_t *)T + 13);
	tcp_window = T == NULL ? 0 : ntohs(T->window);
	tcp_checksum = T == NULL ? 0 : ntohs(T->check);
	tcp_urgent = T == NULL ? 0 : ntohs(T->urg_ptr);
	tcp_hdr = (uintptr_t)T;
};

/* A connection, from its socket (full, request or time-wait). */
translator tcpsinfo_t < struct sock *S > {
	tcps_addr = (uintptr_t)S;
	tcps_local = S == NULL ? 0 :
	    S->__sk_common.skc_family == AF_INET ?
	    S->__sk_common.skc_rcv_saddr == S->__sk_common.skc_daddr :
	    ((uint64_t *)&S->__sk_common.skc_v6_rcv_saddr)[0] ==
	    ((uint64_t *)&S->__sk_common.skc_v6_daddr)[0] &&
	    ((uint64_t *)&S->__sk_common.skc_v6_rcv_saddr)[1] ==
	    ((uint64_t *)&S->__sk_common.skc_v6_daddr)[1];
	tcps_lport = S == NULL ? 0 : S->__sk_common.skc_num;
	tcps_rport = S == NULL ? 0 : ntohs(S->__sk_common.skc_dport);
	tcps_laddr = S == NULL ? "<unknown>" :
	    S->__sk_common.skc_family == AF_INET ? inet_ntoa(&S->__sk_common.skc_rcv_saddr) :
	    inet_ntoa6(&S->__sk_common.skc_v6_rcv_saddr);
	tcps_raddr = S == NULL ? "<unknown>" :
	    S->__sk_common.skc_family == AF_INET ? inet_ntoa(&S->__sk_common.skc_daddr) :
	    inet_ntoa6(&S->__sk_common.skc_v6_daddr);
	tcps_state = S == NULL ? TCP_STATE_IDLE :
	    S->__sk_common.skc_state == TCP_STATE_NEW_SYN_RECV ? TCP_STATE_SYN_RECEIVED :
	    S->__sk_common.skc_state;
	tcps_iss = tcp_full_socket[S] ?
	    ((struct tcp_sock *)S)->snd_una - (uint32_t)((struct tcp_sock *)S)->bytes_acked : 0;
	tcps_suna = tcp_full_socket[S] ? ((struct tcp_sock *)S)->snd_una : 0;
	tcps_snxt = tcp_full_socket[S] ? ((struct tcp_sock *)S)->snd_nxt : 0;
	tcps_rnxt = tcp_full_socket[S] ? ((struct tcp_sock *)S)->rcv_nxt : 0;
	tcps_swnd = tcp_full_socket[S] ? ((struct tcp_sock *)S)->snd_wnd : 0;
	tcps_snd_ws = tcp_full_socket[S] ? ((struct tcp_sock *)S)->rx_opt.snd_wscale : 0;
	tcps_rwnd = tcp_full_socket[S] ? ((struct tcp_sock *)S)->rcv_wnd : 0;
	tcps_rcv_ws = tcp_full_socket[S] ? ((struct tcp_sock *)S)->rx_opt.rcv_wscale : 0;
	tcps_cwnd = tcp_full_socket[S] ? ((struct tcp_sock *)S)->snd_cwnd : 0;
	tcps_cwnd_ssthresh = tcp_full_socket[S] ? ((struct tcp_sock *)S)->snd_ssthresh : 0;
	tcps_sack_snxt = tcp_full_socket[S] ? ((struct tcp_sock *)S)->snd_una : 0;
	tcps_rto = tcp_full_socket[S] ? ((struct inet_connection_sock *)S)->icsk_rto : 0;
	tcps_mss = tcp_full_socket[S] ? ((struct tcp_sock *)S)->mss_cache : 0;
	tcps_retransmit = 0;
	tcps_rtt = tcp_full_socket[S] ? (((struct tcp_sock *)S)->srtt_us >> 3) / 1000 : 0;
	tcps_rtt_sd = tcp_full_socket[S] ? (((struct tcp_sock *)S)->mdev_us >> 2) / 1000 : 0;
	tcps_irs = tcp_full_socket[S] && ((struct tcp_sock *)S)->bytes_received > 0 ?
	    ((struct tcp_sock *)S)->rcv_nxt - (uint32_t)((struct tcp_sock *)S)->bytes_received : 0;
};

/* A connection changing state (tcp:::state-change and the connect and
   accept probes, on the kernel's inet_sock_set_state(sk, old, new)): its
   socket, with the state it is changing to. */
struct __dtrace_tcp_state_change { char unused; };

translator tcpsinfo_t < struct __dtrace_tcp_state_change *C > {
	tcps_addr = (uintptr_t)C;
	tcps_local = xlate <tcpsinfo_t *> ((struct sock *)C)->tcps_local;
	tcps_lport = xlate <tcpsinfo_t *> ((struct sock *)C)->tcps_lport;
	tcps_rport = xlate <tcpsinfo_t *> ((struct sock *)C)->tcps_rport;
	tcps_laddr = xlate <tcpsinfo_t *> ((struct sock *)C)->tcps_laddr;
	tcps_raddr = xlate <tcpsinfo_t *> ((struct sock *)C)->tcps_raddr;
	tcps_state = arg2 == TCP_STATE_NEW_SYN_RECV ? TCP_STATE_SYN_RECEIVED : arg2;
	tcps_iss = xlate <tcpsinfo_t *> ((struct sock *)C)->tcps_iss;
	tcps_suna = xlate <tcpsinfo_t *> ((struct sock *)C)->tcps_suna;
	tcps_snxt = xlate <tcpsinfo_t *> ((struct sock *)C)->tcps_snxt;
	tcps_rnxt = xlate <tcpsinfo_t *> ((struct sock *)C)->tcps_rnxt;
	tcps_swnd = xlate <tcpsinfo_t *> ((struct sock *)C)->tcps_swnd;
	tcps_snd_ws = xlate <tcpsinfo_t *> ((struct sock *)C)->tcps_snd_ws;
	tcps_rwnd = xlate <tcpsinfo_t *> ((struct sock *)C)->tcps_rwnd;
	tcps_rcv_ws = xlate <tcpsinfo_t *> ((struct sock *)C)->tcps_rcv_ws;
	tcps_cwnd = xlate <tcpsinfo_t *> ((struct sock *)C)->tcps_cwnd;
	tcps_cwnd_ssthresh = xlate <tcpsinfo_t *> ((struct sock *)C)->tcps_cwnd_ssthresh;
	tcps_sack_snxt = xlate <tcpsinfo_t *> ((struct sock *)C)->tcps_sack_snxt;
	tcps_rto = xlate <tcpsinfo_t *> ((struct sock *)C)->tcps_rto;
	tcps_mss = xlate <tcpsinfo_t *> ((struct sock *)C)->tcps_mss;
	tcps_retransmit = 0;
	tcps_rtt = xlate <tcpsinfo_t *> ((struct sock *)C)->tcps_rtt;
	tcps_rtt_sd = xlate <tcpsinfo_t *> ((struct sock *)C)->tcps_rtt_sd;
	tcps_irs = xlate <tcpsinfo_t *> ((struct sock *)C)->tcps_irs;
};

/* A segment that reached no connection (a refused connection request):
   its ends from its headers, the local one its destination. */
translator tcpsinfo_t < struct __dtrace_packet_in *P > {
	tcps_addr = 0;
	tcps_local = xlate <ipinfo_t> (ip_header[(struct sk_buff *)P]).ip_saddr ==
	    xlate <ipinfo_t> (ip_header[(struct sk_buff *)P]).ip_daddr;
	tcps_lport = ntohs(tcp_header[(struct sk_buff *)P]->dest);
	tcps_rport = ntohs(tcp_header[(struct sk_buff *)P]->source);
	tcps_laddr = xlate <ipinfo_t> (ip_header[(struct sk_buff *)P]).ip_daddr;
	tcps_raddr = xlate <ipinfo_t> (ip_header[(struct sk_buff *)P]).ip_saddr;
	tcps_state = TCP_STATE_CLOSED;
};

/* The IP view of a connection (no packet at hand): local is the source. */
translator ipinfo_t < struct sock *S > {
	ip_ver = S == NULL ? 0 : S->__sk_common.skc_family == AF_INET ? 4 : 6;
	ip_plength = 0;
	ip_saddr = xlate <tcpsinfo_t *> (S)->tcps_laddr;
	ip_daddr = xlate <tcpsinfo_t *> (S)->tcps_raddr;
};

/* The segment behind a state change, where one is implied (the hook passes
   none): connect-request sent a SYN; connect-established received a
   SYN-ACK, accept-established an ACK, connect-refused a RST. Its ends come
   from the socket; sequence numbers and window are not known. */
struct __dtrace_tcp_segment { char unused; };

inline int __dtrace_tcp_segment_in =
    (arg1 == TCP_STATE_SYN_SENT && (arg2 == TCP_STATE_ESTABLISHED || arg2 == TCP_STATE_CLOSED)) ||
    ((arg1 == TCP_STATE_SYN_RECEIVED || arg1 == TCP_STATE_NEW_SYN_RECV) &&
    arg2 == TCP_STATE_ESTABLISHED);
inline int __dtrace_tcp_segment_out = arg1 == TCP_STATE_CLOSED && arg2 == TCP_STATE_SYN_SENT;

translator tcpinfo_t < struct __dtrace_tcp_segment *G > {
	tcp_sport = __dtrace_tcp_segment_in ? xlate <tcpsinfo_t *> ((struct sock *)G)->tcps_rport :
	    __dtrace_tcp_segment_out ? xlate <tcpsinfo_t *> ((struct sock *)G)->tcps_lport : 0;
	tcp_dport = __dtrace_tcp_segment_in ? xlate <tcpsinfo_t *> ((struct sock *)G)->tcps_lport :
	    __dtrace_tcp_segment_out ? xlate <tcpsinfo_t *> ((struct sock *)G)->tcps_rport : 0;
	tcp_seq = 0;
	tcp_ack = 0;
	tcp_offset = __dtrace_tcp_segment_in || __dtrace_tcp_segment_out ? 20 : 0;
	tcp_flags = __dtrace_tcp_segment_out ? TH_SYN :
	    arg1 == TCP_STATE_SYN_SENT && arg2 == TCP_STATE_ESTABLISHED ? TH_SYN | TH_ACK :
	    arg1 == TCP_STATE_SYN_SENT && arg2 == TCP_STATE_CLOSED ? TH_RST | TH_ACK :
	    __dtrace_tcp_segment_in ? TH_ACK : 0;
	tcp_window = 0;
	tcp_checksum = 0;
	tcp_urgent = 0;
	tcp_hdr = 0;
};

translator ipinfo_t < struct __dtrace_tcp_segment *G > {
	ip_ver = xlate <ipinfo_t *> ((struct sock *)G)->ip_ver;
	ip_plength = __dtrace_tcp_segment_in || __dtrace_tcp_segment_out ? 20 : 0;
	ip_saddr = __dtrace_tcp_segment_in ? xlate <tcpsinfo_t *> ((struct sock *)G)->tcps_raddr :
	    xlate <tcpsinfo_t *> ((struct sock *)G)->tcps_laddr;
	ip_daddr = __dtrace_tcp_segment_in ? xlate <tcpsinfo_t *> ((struct sock *)G)->tcps_laddr :
	    xlate <tcpsinfo_t *> ((struct sock *)G)->tcps_raddr;
};

/* A reset received for a connection request (tcp_receive_reset): its
   ends from the socket, the remote one its source. */
struct __dtrace_tcp_reset_in { char unused; };

translator tcpinfo_t < struct __dtrace_tcp_reset_in *R > {
	tcp_sport = xlate <tcpsinfo_t *> ((struct sock *)R)->tcps_rport;
	tcp_dport = xlate <tcpsinfo_t *> ((struct sock *)R)->tcps_lport;
	tcp_seq = 0;
	tcp_ack = 0;
	tcp_offset = 20;
	tcp_flags = TH_RST | TH_ACK;
	tcp_window = 0;
	tcp_checksum = 0;
	tcp_urgent = 0;
	tcp_hdr = 0;
};

translator ipinfo_t < struct __dtrace_tcp_reset_in *R > {
	ip_ver = xlate <ipinfo_t *> ((struct sock *)R)->ip_ver;
	ip_plength = 20;
	ip_saddr = xlate <tcpsinfo_t *> ((struct sock *)R)->tcps_raddr;
	ip_daddr = xlate <tcpsinfo_t *> ((struct sock *)R)->tcps_laddr;
};

translator tcplsinfo_t < int I > {
	tcps_state = I;
};
