/* Network traffic on the loopback interface for the ip, tcp and udp
 * providers' tests: a TCP connection (connect, accept, "hello" one way,
 * "world" the other, close), a connection refused by a closed port, and
 * one UDP datagram of 10 bytes to port 9. Prints the listening port. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void) {
    struct sockaddr_in addr;
    socklen_t len = sizeof addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int l = socket(AF_INET, SOCK_STREAM, 0);
    if (l < 0 || bind(l, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(l, 1) != 0)
        return 1;
    getsockname(l, (struct sockaddr *)&addr, &len);
    printf("port %d\n", ntohs(addr.sin_port));
    fflush(stdout);
    int c = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(c, (struct sockaddr *)&addr, sizeof addr) != 0) return 1;
    int a = accept(l, NULL, NULL);
    char buf[16];
    if (write(c, "hello", 5) != 5 || read(a, buf, sizeof buf) != 5) return 1;
    if (write(a, "world", 5) != 5 || read(c, buf, sizeof buf) != 5) return 1;
    close(c);
    close(a);
    close(l);
    /* Port 1 is closed: the connection is refused. */
    addr.sin_port = htons(1);
    int r = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(r, (struct sockaddr *)&addr, sizeof addr) == 0) return 1;
    close(r);
    int u = socket(AF_INET, SOCK_DGRAM, 0);
    addr.sin_port = htons(9);
    sendto(u, "0123456789", 10, 0, (struct sockaddr *)&addr, sizeof addr);
    close(u);
    usleep(200000);
    return 0;
}
