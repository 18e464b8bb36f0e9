"""Network actions whose truth the kernel can tell, each printed as one JSON
line (what getsockname/getpeername/errno say) for the test to compare the
capture with. Runs inside the network lab (scripts/net/lab.sh)."""
import errno
import json
import os
import socket
import subprocess
import sys
import time


def say(**fields):
    print(json.dumps(fields), flush=True)


def addr(a):
    return {'addr': a[0], 'port': a[1]}


# A listener on a port the kernel picks, a connection to it, some bytes each way, then both closed.
server = socket.socket()
server.bind(('10.66.0.1', 0))
server.listen(5)
say(step='listen', pid=os.getpid(), fd=server.fileno(), **addr(server.getsockname()))
client = socket.create_connection(server.getsockname())
conn, _ = server.accept()
say(step='accept', fd=server.fileno(), new_fd=conn.fileno(), local=addr(conn.getsockname()), peer=addr(conn.getpeername()))
say(step='connect', fd=client.fileno(), local=addr(client.getsockname()), peer=addr(client.getpeername()))
client.sendall(b'x' * 1000)
got = 0
while got < 1000:
    got += len(conn.recv(4096))
conn.sendall(b'y' * 300)
got = 0
while got < 300:
    got += len(client.recv(4096))
client.close()
conn.close()
server.close()

# A non-blocking connect that the kernel refuses later (the syscall only says EINPROGRESS).
refused = socket.socket()
refused.setblocking(False)
try:
    refused.connect(('10.66.0.1', 1))
except BlockingIOError:
    pass
time.sleep(0.1)
say(step='refused', error=refused.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR))
refused.close()

# A bind the kernel refuses: no such local address.
bad = socket.socket()
try:
    bad.bind(('10.99.0.1', 7777))
except OSError as e:
    say(step='bind_failed', fd=bad.fileno(), errno=e.errno)
bad.close()

# UDP: five datagrams from one unconnected socket, then two on a connected one.
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(5):
    udp.sendto(b'hello %d' % i, ('10.66.0.2', 9999))
say(step='udp', fd=udp.fileno(), count=5, size=7)
connected = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
connected.connect(('10.66.0.3', 9998))
results = []
for data in (b'a', b'b'):
    try:
        results.append(connected.send(data))
    except ConnectionRefusedError:  # the first datagram's ICMP port-unreachable, reported by the next send
        results.append(-errno.ECONNREFUSED)
say(step='udp_connected', fd=connected.fileno(), results=results)

# TCP Fast Open: a connect made by sendto, with its data on the SYN.
tfo = socket.socket()
tfo.sendto(b'GET / HTTP/1.0\r\n\r\n', socket.MSG_FASTOPEN, ('10.66.0.1', 8080))
say(step='fastopen', fd=tfo.fileno(), peer=addr(tfo.getpeername()))
tfo.close()

# A Unix socket server (another process, for the peer pid) and a client.
path = '/run/rg-truth.sock'
child = subprocess.Popen([sys.executable, '-c', f'''
import socket, sys
s = socket.socket(socket.AF_UNIX); s.bind({path!r}); s.listen(1)
print('up', flush=True)
c, _ = s.accept(); c.recv(10)
'''], stdout=subprocess.PIPE)
child.stdout.readline()
unix = socket.socket(socket.AF_UNIX)
unix.connect(path)
unix.send(b'hi')
child.wait()
say(step='unix', fd=unix.fileno(), server_pid=child.pid, client_pid=os.getpid(), path=path)

# An abstract Unix name (Linux): no file, a leading NUL.
abstract = socket.socket(socket.AF_UNIX)
abstract.bind('\0rg-truth-abstract')
abstract.listen(1)
abstract_client = socket.socket(socket.AF_UNIX)
abstract_client.connect('\0rg-truth-abstract')
say(step='unix_abstract', fd=abstract_client.fileno(), name='rg-truth-abstract')
# The same name with more behind a NUL: another socket (both are bound at once), which a reader that stops at the
# first NUL would show as the one above. Its name as the kernel keeps it, from getsockname.
hidden = socket.socket(socket.AF_UNIX)
hidden.bind(b'\0rg-truth-abstract\0c2')
hidden.listen(1)
hidden_client = socket.socket(socket.AF_UNIX)
hidden_client.connect(b'\0rg-truth-abstract\0c2')
say(step='unix_hidden', fd=hidden_client.fileno(), name=hidden.getsockname()[1:].decode())
hidden_client.close()
hidden.close()
abstract_client.close()
abstract.close()

# Name resolution through glibc (A and AAAA at once, sendmmsg), then a connect to the answer.
infos = socket.getaddrinfo('c2.evil.example', 8080, proto=socket.IPPROTO_TCP)
say(step='resolved', addrs=sorted({i[4][0] for i in infos}))
web = socket.create_connection(('10.66.0.1', 8080))
say(step='web', fd=web.fileno())
web.close()

# DNS over TCP: glibc's resolver with `use-vc`, in a child so the option stays there.
tcp_dns = subprocess.run([sys.executable, '-c', 'import socket, os; print(os.getpid()); socket.getaddrinfo("updates.example.org", 80, socket.AF_INET)'],
                         env={**os.environ, 'RES_OPTIONS': 'use-vc'}, stdout=subprocess.PIPE, check=True)
say(step='dns_tcp', pid=int(tcp_dns.stdout))
