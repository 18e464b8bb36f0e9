"""A fake DNS server for the network lab: answers from a small built-in zone.

UDP and TCP on 127.0.0.53:53 (where a systemd host's stub resolver
listens). A and AAAA from ZONE, a TXT "ok" for any name under the tunnel
domain, NXDOMAIN for the rest. Answers use a compression pointer to the
question name, as real servers do.
"""
import socket
import struct
import sys
import threading

ZONE = {
    'c2.evil.example': ('10.66.0.1', 'fd00:66::1'),
    'pool.supportxmr.com': ('10.66.0.2', None),
    'updates.example.org': ('10.66.0.3', None),
}
TUNNEL = '.t.tunnel.example'


def answer(query):
    qname_end = query.index(b'\0', 12) + 1
    question = query[12:qname_end + 4]
    labels, at = [], 12
    while query[at]:
        labels.append(query[at + 1:at + 1 + query[at]].decode('ascii', 'replace'))
        at += 1 + query[at]
    name = '.'.join(labels).lower()
    qtype = struct.unpack('>H', query[qname_end:qname_end + 2])[0]
    records = []
    v4, v6 = ZONE.get(name, (None, None))
    if qtype == 1 and v4:
        records.append(struct.pack('>HHHIH', 0xc00c, 1, 1, 60, 4) + socket.inet_pton(socket.AF_INET, v4))
    if qtype == 28 and v6:
        records.append(struct.pack('>HHHIH', 0xc00c, 28, 1, 60, 16) + socket.inet_pton(socket.AF_INET6, v6))
    if qtype == 16 and name.endswith(TUNNEL):
        records.append(struct.pack('>HHHIHB', 0xc00c, 16, 1, 0, 3, 2) + b'ok')
    known = name in ZONE or name.endswith(TUNNEL)
    flags = 0x8180 if known else 0x8183
    return query[:2] + struct.pack('>HHHHH', flags, 1, len(records), 0, 0) + question + b''.join(records)


def read_exactly(conn, n):
    data = b''
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def tcp_client(conn):
    """RFC 1035 4.2.2: each message after a two-byte length; several per connection."""
    with conn:
        try:
            while True:
                query = read_exactly(conn, struct.unpack('>H', read_exactly(conn, 2))[0])
                reply = answer(query)
                conn.sendall(struct.pack('>H', len(reply)) + reply)
        except (EOFError, OSError, ValueError, IndexError, struct.error):
            pass


def tcp_server(address):
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    t.bind((address, 53))
    t.listen(16)
    while True:
        conn, _ = t.accept()
        threading.Thread(target=tcp_client, args=(conn,), daemon=True).start()


def main():
    address = sys.argv[1] if len(sys.argv) > 1 else '127.0.0.53'
    threading.Thread(target=tcp_server, args=(address,), daemon=True).start()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((address, 53))
    while True:
        query, peer = s.recvfrom(512)
        try:
            s.sendto(answer(query), peer)
        except (ValueError, IndexError, struct.error):
            pass  # not a query we can read: no answer


main()
