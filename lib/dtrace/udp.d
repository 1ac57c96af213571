/*
 * udp.d: UDP datagrams as the udp provider describes them: udpinfo_t (the
 * header) and udpsinfo_t (the socket, or the addresses of a datagram that
 * reached none yet).
 */

#pragma D depends_on library ip.d

typedef struct udpinfo {
	uint16_t udp_sport;	/* source port */
	uint16_t udp_dport;	/* destination port */
	uint16_t udp_length;	/* length of header and payload */
	uint16_t udp_checksum;	/* checksum */
	uintptr_t udp_hdr;	/* the header */
} udpinfo_t;

typedef struct udpsinfo {
	uintptr_t udps_addr;	/* the socket */
	uint16_t udps_lport;	/* local port */
	uint16_t udps_rport;	/* remote port */
	string udps_laddr;	/* local address */
	string udps_raddr;	/* remote address */
} udpsinfo_t;

inline struct udphdr *udp_header[struct sk_buff *S] =
    (struct udphdr *)(S->head + S->transport_header);
inline struct udphdr *udp_header_received[struct sk_buff *S] =
    (struct udphdr *)((uintptr_t)ip_header_received[S] + ip_header_length[ip_header_received[S]]);

translator udpinfo_t < struct udphdr *U > {
	udp_sport = U == NULL ? 0 : ntohs(U->source);
	udp_dport = U == NULL ? 0 : ntohs(U->dest);
	udp_length = U == NULL ? 0 : ntohs(U->len);
	udp_checksum = U == NULL ? 0 : ntohs(U->check);
	udp_hdr = (uintptr_t)U;
};

/* The ends of a datagram: local is the source of one sent, the
   destination of one received. */
translator udpsinfo_t < struct __dtrace_packet_out *P > {
	udps_addr = (uintptr_t)((struct sk_buff *)P)->sk;
	udps_lport = ntohs(udp_header[(struct sk_buff *)P]->source);
	udps_rport = ntohs(udp_header[(struct sk_buff *)P]->dest);
	udps_laddr = xlate <ipinfo_t> (ip_header[(struct sk_buff *)P]).ip_saddr;
	udps_raddr = xlate <ipinfo_t> (ip_header[(struct sk_buff *)P]).ip_daddr;
};

translator udpsinfo_t < struct __dtrace_packet_in *P > {
	udps_addr = 0;
	udps_lport = ntohs(udp_header_received[(struct sk_buff *)P]->dest);
	udps_rport = ntohs(udp_header_received[(struct sk_buff *)P]->source);
	udps_laddr = xlate <ipinfo_t> (ip_header_received[(struct sk_buff *)P]).ip_daddr;
	udps_raddr = xlate <ipinfo_t> (ip_header_received[(struct sk_buff *)P]).ip_saddr;
};
