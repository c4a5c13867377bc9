/** The address grammar as `sockit relay/connect/listen/send/recv --help` print it (lines under 80 columns). */
export const ADDRESS_HELP = `Addresses (KIND:BODY,OPTION,OPTION...):
  tcp:HOST:PORT  tcp6:HOST:PORT          connect over TCP (IPv4 / IPv6)
  tcp-listen:[HOST:]PORT  tcp6-listen:…  listen (default host 127.0.0.1 / ::1)
  udp:HOST:PORT  udp6:HOST:PORT          send to / receive from one peer
  udp-listen:[HOST:]PORT  udp6-listen:…  bind; the first sender is the peer
  unix:PATH  unix-listen:PATH            Unix stream (PATH @NAME: abstract)
  unix-dgram:PATH  unix-dgram-listen:PATH
  unix-seqpacket:PATH  unix-seqpacket-listen:PATH   (boundaries kept)
  abstract:NAME  abstract-listen:NAME    the same without a file; also
  abstract-dgram[-listen]:NAME  abstract-seqpacket[-listen]:NAME
  stdio  -                               stdin and stdout
  exec:CMD                               'sh -c CMD' (the rest is the command)
  file:PATH                              read PATH if it exists, else write it
  fd:N                                   an inherited file descriptor
  ws:ws://HOST:PORT/PATH                 a WebSocket client
  ws-listen:[HOST:]PORT[/PATH]           a WebSocket server (127.0.0.1 default)
WebSocket frames: text stays text and binary stays binary between two
WebSocket ends; on a byte stream or datagram a text frame is its UTF-8
bytes, and bytes from one reach a WebSocket as binary frames.
HOST: a numeric IPv4 address, [IPv6] in brackets, localhost, or a host name.
PORT, HOST:PORT, [IPv6]:PORT without a kind mean TCP, as in ncat: tcp:
(a bare PORT: tcp:localhost:PORT), or tcp-listen: for listen and recv.
A listener without HOST binds loopback: name 0.0.0.0 or [::] to open it wider.
Options:
  reuseaddr, reuseport     SO_REUSEADDR / SO_REUSEPORT before bind
  bind=ADDR                the local address of a client (bind=127.0.0.1:0)
  fork                     listen: serve every connection, concurrently
  mode=0600                permissions of a Unix socket file it creates
  unlink                   remove a stale socket file at PATH first (never a
                           live one)
  origin=ORIGIN            ws-listen: a page origin allowed (* = any page);
                           browser pages are refused unless listed
  so=LEVEL:NAME=VALUE      any socket option: so=SOL_SOCKET:SO_RCVBUF=1048576
  append, create           file: append to / truncate PATH
Write \\, for a comma and \\\\ for a backslash inside a path.`;
