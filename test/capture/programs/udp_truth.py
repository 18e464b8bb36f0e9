"""Datagrams whose destination a sender could make the capture misreport
(an exploratory tester's findings), each printed as one JSON line with what
the receivers really got, for test/capture/udp-truth.test.ts. Runs as root in
a private network namespace (unshare --net): it sets lo's MTU to 1280 and adds
a veth pair.

  connected  a UDP socket connected to A sends to B with sendto() (UDP
             allows it), and a DNS query the same way: recorded as sent to A,
             with no net_dns, before the fix; connected-arp: the same to an
             address whose neighbour is not resolved yet (held for ARP).
  frag4/6    one datagram larger than the MTU whose second IP fragment starts
             with bytes shaped as a UDP header to port 53 and a DNS query:
             recorded from that last fragment (a forged net_dns) before.
  unspec     connect(AF_UNSPEC) on a connected UDP socket (a disconnect):
             read as a connect to 0.0.0.0:0 before.
  lsrr       a datagram with a loose source route to 10.66.0.1 via 10.77.0.1:
             recorded as sent to the first hop before.
  cork       a DNS query corked on a socket is sent by setsockopt(UDP_CORK, 0),
             then the socket sends to an address whose neighbour is not yet
             resolved (held for ARP): the second send was paired with the
             first's packet, unflagged, before.
  close      a child connects, sends, closes and exits; the parent closes its
             end 0.2 s later, so the child's socket reaches CLOSE after the
             child exited: that `closed` record was dropped under --follow.
"""
import ctypes
import json
import os
import socket
import struct
import subprocess
import time


def say(**fields):
    print(json.dumps(fields), flush=True)


def sh(cmd):
    subprocess.run(cmd, shell=True, check=True)


def query(name, qid=0x1234):
    q = struct.pack('>HHHHHH', qid, 0x0100, 1, 0, 0, 0)
    for label in name.split('.'):
        q += bytes([len(label)]) + label.encode()
    return q + b'\0' + struct.pack('>HH', 1, 1)


def udp(family=socket.AF_INET, bind=None):
    s = socket.socket(family, socket.SOCK_DGRAM)
    if bind is not None:
        s.bind(bind)
        s.settimeout(1)
    return s


def cookie(s):
    return struct.unpack('=Q', s.getsockopt(socket.SOL_SOCKET, 57, 8))[0]  # SO_COOKIE: the record's sock_cookie


def got(r):
    try:
        return r.recv(65535)
    except socket.timeout:
        return None


sh('ip link set lo mtu 1280 up')
sh('ip link add rgv0 type veth peer name rgv1 && ip addr add 10.9.0.1/24 dev rgv0 && ip link set rgv0 up && ip link set rgv1 up')
dns = udp(bind=('127.0.0.1', 53))

# connected: a socket connected to A that sends to B, and a query to port 53.
a, b = udp(bind=('127.0.0.1', 0)), udp(bind=('127.0.0.1', 0))
s = udp()
s.connect(a.getsockname())
s.sendto(b'to-B-not-A', b.getsockname())
s.sendto(query('connected.example.org'), ('127.0.0.1', 53))
a.settimeout(0.2)  # nothing should come
say(step='connected', pid=os.getpid(), fd=s.fileno(), cookie=cookie(s), peer_port=a.getsockname()[1], b_port=b.getsockname()[1],
    a_got=len(got(a) or b''), b_got=(got(b) or b'').decode(), dns_got=len(got(dns) or b''))
s.close()

# connected-arp: the same, to an address whose neighbour is not resolved yet (the packet leaves later, from softirq).
a2 = udp(bind=('10.9.0.1', 0))
a2.settimeout(0.2)
s = udp()
s.connect(a2.getsockname())
n = s.sendto(b'held-for-arp', ('10.9.0.3', 4444))
say(step='connected-arp', cookie=cookie(s), sent=n, a_got=len(got(a2) or b''))
s.close()

# unspec: connect(AF_UNSPEC) dissolves a UDP socket's association (a disconnect, not a connect to 0.0.0.0:0).
s = udp()
s.connect(a.getsockname())
libc = ctypes.CDLL(None, use_errno=True)
unspec = ctypes.create_string_buffer(16)  # sa_family 0 (AF_UNSPEC), the rest zero
r = libc.connect(s.fileno(), unspec, 16)
try:
    s.getpeername()
    peer_after = True
except OSError:
    peer_after = False
say(step='unspec', cookie=cookie(s), fd=s.fileno(), result=r, connected_after=peer_after)
s.close()

# lsrr: a loose source route (IP_OPTIONS): the IP header's daddr is the first hop, the destination is last in the option.
sh('ip addr add 10.66.0.1/32 dev lo && ip addr add 10.77.0.1/32 dev lo && sysctl -qw net.ipv4.conf.all.accept_source_route=1 net.ipv4.conf.lo.accept_source_route=1')
sniff = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(0x0800))  # what lo carries, from the IP header on
sniff.bind(('lo', 0))
sniff.settimeout(1)
s = udp()
s.setsockopt(socket.IPPROTO_IP, socket.IP_OPTIONS, bytes([131, 7, 4]) + socket.inet_aton('10.77.0.1') + b'\x01')
n = s.sendto(b'via-lsrr', ('10.66.0.1', 4445))
wire = None
while wire is None:
    ip = sniff.recv(2048)
    ihl = (ip[0] & 15) * 4
    if ip[9] == 17 and struct.unpack('>H', ip[ihl + 2:ihl + 4])[0] == 4445:
        # the header's destination, and the source route's last address (option type 131 right after the header)
        wire = {'header_daddr': socket.inet_ntoa(ip[16:20]), 'route_end': socket.inet_ntoa(ip[20 + ip[21] - 4:20 + ip[21]])}
say(step='lsrr', cookie=cookie(s), sent=n, **wire)
s.close()
sniff.close()

# frag4, frag6: the forged header starts the second fragment exactly.
for step, family, host, header in (('frag4', socket.AF_INET, '127.0.0.1', 20), ('frag6', socket.AF_INET6, '::1', 48)):
    per = (1280 - header) // 8 * 8  # datagram bytes in each fragment (v6: behind a 40-byte header and an 8-byte fragment header)
    q = query(f'{step}.forged.example.org')
    fake = struct.pack('>HHHH', 33333, 53, 8 + len(q), 0) + q
    payload = b'C2-BEACON ' + b'A' * (per - 8 - 10) + fake
    sink = udp(family, (host, 4444))
    s = udp(family)
    n = s.sendto(payload, (host, 4444))
    say(step=step, fd=s.fileno(), cookie=cookie(s), sent=n, received=len(got(sink) or b''))
    s.close()
    sink.close()

# cork: the corked query leaves in setsockopt; the next send's packet waits for ARP.
UDP_CORK = 1
s = udp()
s.setsockopt(socket.IPPROTO_UDP, UDP_CORK, 1)
s.sendto(query('corked.example.org'), ('127.0.0.1', 53))
s.setsockopt(socket.IPPROTO_UDP, UDP_CORK, 0)
n = s.sendto(b'beacon-to-c2', ('10.9.0.2', 4444))
say(step='cork', fd=s.fileno(), cookie=cookie(s), sent=n, dns_got=len(got(dns) or b''))
s.close()

# close: the child's socket closes after the child exited.
listener = socket.socket()
listener.bind(('127.0.0.1', 0))
listener.listen(1)
child = os.fork()
if child == 0:
    c = socket.create_connection(listener.getsockname())
    c.sendall(b'x' * 100)
    c.close()
    os._exit(0)
conn, peer = listener.accept()
received = 0
while True:
    chunk = conn.recv(1000)
    if not chunk:
        break
    received += len(chunk)
os.waitpid(child, 0)
time.sleep(0.2)
conn.close()
time.sleep(0.3)
say(step='close', child=child, child_port=peer[1], server_received=received)
