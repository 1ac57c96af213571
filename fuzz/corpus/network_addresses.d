/* OPTIONS: -q */
/* inet_ntoa, inet_ntoa6, inet_ntop and link_ntop on addresses built in alloca'd memory. */
BEGIN
{
	this->v4 = (ipaddr_t *)alloca(sizeof(ipaddr_t));
	*this->v4 = htonl(0x0a000201);
	printf("%s %s\n", inet_ntoa(this->v4), inet_ntop(AF_INET, this->v4));

	this->v6 = (uint8_t *)alloca(16);
	this->v6[0] = 0x20; this->v6[1] = 0x01; this->v6[2] = 0x0d; this->v6[3] = 0xb8;
	this->v6[15] = 0x01;
	printf("%s\n", inet_ntop(AF_INET6, this->v6));
	this->v6[0] = 0; this->v6[1] = 0; this->v6[2] = 0; this->v6[3] = 0;
	this->v6[10] = 0xff; this->v6[11] = 0xff; this->v6[12] = 192; this->v6[13] = 168;
	printf("%s %s\n", inet_ntop(AF_INET6, this->v6),
	    inet_ntoa6((struct in6_addr *)this->v6));

	this->mac = (uint8_t *)alloca(6);
	this->mac[0] = 0xde; this->mac[1] = 0xad; this->mac[2] = 0xbe;
	this->mac[3] = 0xef; this->mac[4] = 0x00; this->mac[5] = 0x01;
	af = ARPHRD_ETHER;
	printf("%s\n", link_ntop(af, this->mac));
	exit(0);
}
