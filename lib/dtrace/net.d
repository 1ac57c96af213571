/*
 * net.d: what the network providers (ip, tcp, udp) share.
 */

/* An IPv6 address, as inet_ntoa6() takes it. */
typedef struct in6_addr in6_addr_t;

/* Which way a packet goes. */
inline int NET_PROBE_OUTBOUND = 0;
inline int NET_PROBE_INBOUND = 1;

/* A connection as application protocol providers describe it. */
typedef struct conninfo {
	string ci_local;	/* local host address */
	string ci_remote;	/* remote host address */
	string ci_protocol;	/* "ipv4", "ipv6" ... */
} conninfo_t;

/* The kernel's address families beyond AF_INET and AF_INET6. */
inline int AF_UNSPEC = 0;
inline int AF_UNIX = 1;
inline int AF_LOCAL = 1;
inline int AF_NETLINK = 16;
inline int AF_PACKET = 17;

/* The kernel's byte order for protocol numbers in sk_buff->protocol. */
inline uint16_t ETH_P_IP = 0x0800;
inline uint16_t ETH_P_IPV6 = 0x86DD;
