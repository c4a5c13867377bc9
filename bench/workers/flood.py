# W7's Python sender (the one issue 14 measured with): N UDP datagrams of SIZE
# bytes to 127.0.0.1:PORT as fast as the interpreter sends them, each numbered
# (a big-endian u32 at the start of its payload).
#
#   python3 flood.py N [SIZE [PORT]]
import socket
import struct
import sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 400000
size = int(sys.argv[2]) if len(sys.argv) > 2 else 64
port = int(sys.argv[3]) if len(sys.argv) > 3 else 9999
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
pad = bytes(size - 4)
addr = ("127.0.0.1", port)
send = s.sendto
pack = struct.Struct("!I").pack
for i in range(n):
    send(pack(i) + pad, addr)
