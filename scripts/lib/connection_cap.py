"""Opens more TLS connections than the intake allows and reports which ones it kept.

usage: connection_cap.py HOST PORT COUNT
Prints one line per connection: 'open' if the handshake completed and the connection stayed up
for a moment, 'closed' if the server closed it.
"""
import socket
import ssl
import sys
import time

host, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
context = ssl.create_default_context()
context.check_hostname = False
context.verify_mode = ssl.CERT_NONE
connections = []
for _ in range(count):
    raw = socket.create_connection((host, port), timeout=5)
    try:
        tls = context.wrap_socket(raw)
        connections.append(tls)
    except (ssl.SSLError, OSError):
        connections.append(None)
    time.sleep(0.1)
time.sleep(0.3)
for c in connections:
    if c is None:
        print("closed")
        continue
    c.setblocking(False)
    try:
        data = c.recv(1)
        print("closed" if data == b"" else "open")
    except (ssl.SSLWantReadError, BlockingIOError):
        print("open")
    except (ssl.SSLError, OSError):
        print("closed")
