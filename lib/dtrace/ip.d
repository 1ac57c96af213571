/*
 * ip.d: IP packets as the ip, tcp and udp providers describe them:
 * pktinfo_t, csinfo_t, ipinfo_t, ifinfo_t, ipv4info_t and ipv6info_t,
 * translated from the kernel's sk_buff, sock, IP headers and net_device.
 */

#pragma D depends_on library net.d

inline int IPPROTO_IP = 0;
inline int IPPROTO_HOPOPTS = 0;
inline int IPPROTO_ICMP = 1;
inline int IPPROTO_IGMP = 2;
inline int IPPROTO_IPIP = 4;
inline int IPPROTO_TCP = 6;
inline int IPPROTO_EGP = 8;
inline int IPPROTO_PUP = 12;
inline int IPPROTO_UDP = 17;
inline int IPPROTO_IDP = 22;
inline int IPPROTO_TP = 29;
inline int IPPROTO_DCCP = 33;
inline int IPPROTO_IPV6 = 41;
inline int IPPROTO_ROUTING = 43;
inline int IPPROTO_FRAGMENT = 44;
inline int IPPROTO_RSVP = 46;
inline int IPPROTO_GRE = 47;
inline int IPPROTO_ESP = 50;
inline int IPPROTO_AH = 51;
inline int IPPROTO_ICMPV6 = 58;
inline int IPPROTO_NONE = 59;
inline int IPPROTO_DSTOPTS = 60;
inline int IPPROTO_OSPF = 89;
inline int IPPROTO_MTP = 92;
inline int IPPROTO_BEETPH = 94;
inline int IPPROTO_ENCAP = 98;
inline int IPPROTO_PIM = 103;
inline int IPPROTO_COMP = 108;
inline int IPPROTO_SCTP = 132;
inline int IPPROTO_MH = 135;
inline int IPPROTO_UDPLITE = 136;
inline int IPPROTO_RAW = 255;
inline int IPPROTO_MAX = 256;

/* Solaris's network stack instance: here the network namespace. */
typedef uint64_t netstackid_t;

/* A pointer to an IPv4 or IPv6 header: its first nibble says which. */
typedef uintptr_t void_ip_t;

typedef struct pktinfo {
	uintptr_t pkt_addr;	/* the sk_buff */
} pktinfo_t;

typedef struct csinfo {
	uintptr_t cs_addr;	/* the socket */
	uint64_t cs_cid;	/* connection ID: the socket's cookie */
	pid_t cs_pid;		/* (Solaris) */
	zoneid_t cs_zoneid;	/* (Solaris) */
} csinfo_t;

typedef struct ipinfo {
	uint8_t ip_ver;		/* 4 or 6 */
	uint32_t ip_plength;	/* payload length */
	string ip_saddr;	/* source address */
	string ip_daddr;	/* destination address */
} ipinfo_t;

typedef struct ifinfo {
	string if_name;		/* interface name */
	int8_t if_local;	/* delivered locally (no interface) */
	netstackid_t if_ipstack; /* the interface's network namespace */
	uintptr_t if_addr;	/* the net_device */
} ifinfo_t;

typedef struct ipv4info {
	uint8_t ipv4_ver;	/* 4 */
	uint8_t ipv4_ihl;	/* header length, in bytes */
	uint8_t ipv4_tos;	/* type of service */
	uint16_t ipv4_length;	/* header and payload length */
	uint16_t ipv4_ident;	/* identification */
	uint8_t ipv4_flags;	/* flags */
	uint16_t ipv4_offset;	/* fragment offset */
	uint8_t ipv4_ttl;	/* time to live */
	uint8_t ipv4_protocol;	/* the next protocol */
	string ipv4_protostr;	/* the next protocol's name */
	uint16_t ipv4_checksum;	/* header checksum */
	ipaddr_t ipv4_src;	/* source address */
	ipaddr_t ipv4_dst;	/* destination address */
	string ipv4_saddr;	/* source address, as text */
	string ipv4_daddr;	/* destination address, as text */
	struct iphdr *ipv4_hdr;	/* the header */
} ipv4info_t;

typedef struct ipv6info {
	uint8_t ipv6_ver;	/* 6 */
	uint8_t ipv6_tclass;	/* traffic class */
	uint32_t ipv6_flow;	/* flow label */
	uint16_t ipv6_plen;	/* payload length */
	uint8_t ipv6_nexthdr;	/* the next header's protocol */
	string ipv6_nextstr;	/* its name */
	uint8_t ipv6_hlim;	/* hop limit */
	in6_addr_t *ipv6_src;	/* source address */
	in6_addr_t *ipv6_dst;	/* destination address */
	string ipv6_saddr;	/* source address, as text */
	string ipv6_daddr;	/* destination address, as text */
	struct ipv6hdr *ipv6_hdr; /* the header */
} ipv6info_t;

/* A protocol number's name, as ipv4_protostr and ipv6_nextstr give it. */
inline string ip_protocol_name[int p] =
    p == IPPROTO_TCP ? "TCP" : p == IPPROTO_UDP ? "UDP" : p == IPPROTO_IP ? "IP" :
    p == IPPROTO_ICMP ? "ICMP" : p == IPPROTO_IGMP ? "IGMP" : p == IPPROTO_EGP ? "EGP" :
    p == IPPROTO_IPV6 ? "IPv6" : p == IPPROTO_ROUTING ? "ROUTE" : p == IPPROTO_ESP ? "ESP" :
    p == IPPROTO_AH ? "AH" : p == IPPROTO_ICMPV6 ? "ICMPv6" : p == IPPROTO_OSPF ? "OSPF" :
    p == IPPROTO_SCTP ? "SCTP" : p == IPPROTO_RAW ? "RAW" : lltostr(p);

/* A packet (sk_buff) going out or coming in, for translators that tell the
   local end from the remote one by the way it goes. */
struct __dtrace_packet_out { char unused; };
struct __dtrace_packet_in { char unused; };

/* Where a packet's IP header is: where the stack has set its offset (a
   packet sent, or one received once IP has seen it), or where the device
   layer leaves the data of a packet just received. */
inline void_ip_t *ip_header[struct sk_buff *S] =
    (void_ip_t *)(S->head + S->network_header);
inline void_ip_t *ip_header_received[struct sk_buff *S] = (void_ip_t *)S->data;

/* The version of the header at I (4, 6, or something else). */
inline int ip_version[void_ip_t *I] = I == NULL ? 0 : *(uint8_t *)I >> 4;
/* The protocol after the IP header (IPv6 extension headers aside). */
inline int ip_next_protocol[void_ip_t *I] =
    ip_version[I] == 4 ? ((struct iphdr *)I)->protocol :
    ip_version[I] == 6 ? ((struct ipv6hdr *)I)->nexthdr : -1;
/* The length of the IP header at I. */
inline int ip_header_length[void_ip_t *I] =
    ip_version[I] == 4 ? (*(uint8_t *)I & 0xf) << 2 : ip_version[I] == 6 ? 40 : 0;

translator pktinfo_t < struct sk_buff *S > {
	pkt_addr = (uintptr_t)S;
};

translator csinfo_t < struct sock *S > {
	cs_addr = (uintptr_t)S;
	cs_cid = S == NULL ? 0 : S->__sk_common.skc_cookie.counter;
	cs_pid = 0;
	cs_zoneid = 0;
};

translator ipinfo_t < void_ip_t *I > {
	ip_ver = ip_version[I];
	ip_plength = ip_version[I] == 4 ?
	    ntohs(((struct iphdr *)I)->tot_len) - ip_header_length[I] :
	    ip_version[I] == 6 ? ntohs(((struct ipv6hdr *)I)->payload_len) : 0;
	ip_saddr = ip_version[I] == 4 ? inet_ntoa(&((struct iphdr *)I)->saddr) :
	    ip_version[I] == 6 ? inet_ntoa6(&((struct ipv6hdr *)I)->saddr) : "<unknown>";
	ip_daddr = ip_version[I] == 4 ? inet_ntoa(&((struct iphdr *)I)->daddr) :
	    ip_version[I] == 6 ? inet_ntoa6(&((struct ipv6hdr *)I)->daddr) : "<unknown>";
};

translator ipinfo_t < struct iphdr *I > {
	ip_ver = 4;
	ip_plength = I == NULL ? 0 : ntohs(I->tot_len) - ((*(uint8_t *)I & 0xf) << 2);
	ip_saddr = I == NULL ? "<unknown>" : inet_ntoa(&I->saddr);
	ip_daddr = I == NULL ? "<unknown>" : inet_ntoa(&I->daddr);
};

translator ipinfo_t < struct ipv6hdr *I > {
	ip_ver = 6;
	ip_plength = I == NULL ? 0 : ntohs(I->payload_len);
	ip_saddr = I == NULL ? "<unknown>" : inet_ntoa6(&I->saddr);
	ip_daddr = I == NULL ? "<unknown>" : inet_ntoa6(&I->daddr);
};

translator ifinfo_t < struct net_device *N > {
	if_name = N == NULL ? "<unknown>" : stringof(N->name);
	if_local = N == NULL;
	if_ipstack = N == NULL ? 0 : (uint64_t)N->nd_net.net;
	if_addr = (uintptr_t)N;
};

translator ipv4info_t < struct iphdr *I > {
	ipv4_ver = I == NULL ? 0 : 4;
	ipv4_ihl = I == NULL ? 0 : (*(uint8_t *)I & 0xf) << 2;
	ipv4_tos = I == NULL ? 0 : I->tos;
	ipv4_length = I == NULL ? 0 : ntohs(I->tot_len);
	ipv4_ident = I == NULL ? 0 : ntohs(I->id);
	ipv4_flags = I == NULL ? 0 : ntohs(I->frag_off) >> 13;
	ipv4_offset = I == NULL ? 0 : ntohs(I->frag_off) & 0x1fff;
	ipv4_ttl = I == NULL ? 0 : I->ttl;
	ipv4_protocol = I == NULL ? 0 : I->protocol;
	ipv4_protostr = I == NULL ? "<null>" : ip_protocol_name[I->protocol];
	ipv4_checksum = I == NULL ? 0 : ntohs(I->check);
	ipv4_src = I == NULL ? 0 : I->saddr;
	ipv4_dst = I == NULL ? 0 : I->daddr;
	ipv4_saddr = I == NULL ? "<null>" : inet_ntoa(&I->saddr);
	ipv4_daddr = I == NULL ? "<null>" : inet_ntoa(&I->daddr);
	ipv4_hdr = I;
};

translator ipv6info_t < struct ipv6hdr *I > {
	ipv6_ver = I == NULL ? 0 : *(uint8_t *)I >> 4;
	ipv6_tclass = I == NULL ? 0 : (ntohl(*(uint32_t *)I) >> 20) & 0xff;
	ipv6_flow = I == NULL ? 0 : ntohl(*(uint32_t *)I) & 0x000fffff;
	ipv6_plen = I == NULL ? 0 : ntohs(I->payload_len);
	ipv6_nexthdr = I == NULL ? 0 : I->nexthdr;
	ipv6_nextstr = I == NULL ? "<null>" : ip_protocol_name[I->nexthdr];
	ipv6_hlim = I == NULL ? 0 : I->hop_limit;
	ipv6_src = I == NULL ? NULL : &I->saddr;
	ipv6_dst = I == NULL ? NULL : &I->daddr;
	ipv6_saddr = I == NULL ? "<null>" : inet_ntoa6(&I->saddr);
	ipv6_daddr = I == NULL ? "<null>" : inet_ntoa6(&I->daddr);
	ipv6_hdr = I;
};
