/** The address grammar as `sockit relay/connect/listen/send/recv --help` print it. */
export const ADDRESS_HELP = `Addresses (KIND:BODY,OPTION,OPTION...):
  tcp:HOST:PORT            tcp6:HOST:PORT          connect over TCP (IPv4 / IPv6)
  tcp-listen:[HOST:]PORT   tcp6-listen:[HOST:]PORT listen (default host 0.0.0.0 / ::)
  udp:HOST:PORT            udp6:HOST:PORT          send to / receive from one peer
  udp-listen:[HOST:]PORT   udp6-listen:[HOST:]PORT bind; the first sender becomes the peer
  unix:PATH                unix-listen:PATH        Unix stream socket (PATH @NAME = abstract)
  unix-dgram:PATH          unix-dgram-listen:PATH  Unix datagram socket
  unix-seqpacket:PATH      unix-seqpacket-listen:PATH  Unix seqpacket (boundaries kept)
  abstract:NAME  abstract-listen:NAME  abstract-dgram[-listen]:NAME  abstract-seqpacket[-listen]:NAME
  stdio  -                 stdin and stdout
  exec:CMD                 a child 'sh -c CMD': its stdin and stdout (the rest is the command)
  file:PATH                read PATH if it exists, else create it and write (,append ,create)
  fd:N                     an open file descriptor (a socket fd is used as a socket)
  ws:ws://HOST:PORT/PATH   a WebSocket client      ws-listen:[HOST:]PORT[/PATH]  a WebSocket server
HOST is a numeric IPv4 address, [IPv6] in brackets, or localhost.
Options: reuseaddr  reuseport  bind=ADDR (local address of a client)  fork (listen: serve
every connection)  mode=0600 (Unix socket file)  so=LEVEL:NAME=VALUE (any socket option,
e.g. so=SOL_SOCKET:SO_RCVBUF=1048576, so=IPPROTO_TCP:TCP_NODELAY=1).
Write \\, for a comma inside a path.`;
