"""A UDP beacon: COUNT datagrams to HOST PORT, INTERVAL seconds apart, from one socket."""
import socket
import sys
import time

host, port, count, interval = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(count):
    s.sendto(b'beacon %d' % i, (host, port))
    time.sleep(interval)
