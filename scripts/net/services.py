"""The network lab's other services, one thread each:

- a C2 server on 0.0.0.0:4444: sends `id; exit` to whoever connects (a
  reverse shell runs it), reads what comes back, closes;
- a web server on 0.0.0.0:18080 and 0.0.0.0:8080: answers one HTTP line;
- a fake Docker daemon on /var/run/docker.sock: answers `[]`.
"""
import os
import socket
import threading
import time


def serve(sock, handle):
    while True:
        conn, _ = sock.accept()
        threading.Thread(target=handle, args=(conn,), daemon=True).start()


def c2(conn):
    with conn:
        conn.settimeout(5)
        conn.sendall(b'id; exit\n')
        try:
            while conn.recv(4096):
                pass
        except OSError:
            pass


def web(conn):
    with conn:
        conn.settimeout(5)
        try:
            conn.recv(4096)
            conn.sendall(b'HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok')
        except OSError:
            pass


def tcp(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(('0.0.0.0', port))
    s.listen(16)
    return s


def main():
    listeners = [(tcp(4444), c2), (tcp(18080), web), (tcp(8080), web)]
    path = '/var/run/docker.sock'
    if os.path.exists(path):
        os.unlink(path)
    docker = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    docker.bind(path)
    docker.listen(16)
    listeners.append((docker, web))
    for sock, handle in listeners:
        threading.Thread(target=serve, args=(sock, handle), daemon=True).start()
    while True:
        time.sleep(3600)


main()
