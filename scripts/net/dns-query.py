"""One DNS query of TYPE for NAME to SERVER:53 over UDP, as a tool would send
it itself (no resolver library); prints the answer's size."""
import random
import socket
import struct
import sys

server, name, qtype = sys.argv[1], sys.argv[2], {'A': 1, 'AAAA': 28, 'TXT': 16}[sys.argv[3]]
query = struct.pack('>HHHHHH', random.randrange(65536), 0x0100, 1, 0, 0, 0)
query += b''.join(bytes([len(label)]) + label.encode() for label in name.split('.')) + b'\0'
query += struct.pack('>HH', qtype, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
s.sendto(query, (server, 53))
print(len(s.recvfrom(4096)[0]))
