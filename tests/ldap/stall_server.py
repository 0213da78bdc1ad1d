#!/usr/bin/env python3
"""Loopback listeners that stall an LDAP client, for tests/ldap/run.sh.

  stall_server.py silent PORT    accepts every connection, never says a word
                                 (a wedged server; as ldaps://, a TLS
                                 handshake that never starts)
  stall_server.py full PORT      listens with its accept queue already full,
                                 so the kernel drops new SYNs and connect()
                                 hangs, as for a host behind a dropping
                                 firewall
  stall_server.py reset PORT     answers the first request (the bind) with
                                 success, then resets the connection: the
                                 client's next write fails with EPIPE
With a third argument READY_FILE, creates that file once listening.
Runs until killed.
"""
import socket
import struct
import sys
import time


def main():
    mode, port = sys.argv[1], int(sys.argv[2])
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", port))
    held = []

    def ready():
        if len(sys.argv) > 3:
            open(sys.argv[3], "w").close()

    if mode == "silent":
        server.listen(64)
        ready()
        while True:
            conn, _ = server.accept()
            held.append(conn)
    elif mode == "full":
        server.listen(0)
        # Fill the queue (backlog 0 still admits one, and never accept).
        for _ in range(4):
            filler = socket.socket()
            filler.setblocking(False)
            try:
                filler.connect(("127.0.0.1", port))
            except BlockingIOError:
                pass
            held.append(filler)
        ready()
        while True:
            time.sleep(3600)
    elif mode == "reset":
        server.listen(64)
        ready()
        # BindResponse: messageID 1, resultCode success, empty DN and message.
        bind_ok = bytes([0x30, 0x0C, 0x02, 0x01, 0x01, 0x61, 0x07, 0x0A, 0x01, 0x00, 0x04, 0x00, 0x04, 0x00])
        while True:
            conn, _ = server.accept()
            conn.recv(4096)
            conn.sendall(bind_ok)
            # Linger 0: close() sends RST rather than FIN.
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            conn.close()
    else:
        sys.exit("usage: stall_server.py silent|full|reset PORT")


if __name__ == "__main__":
    main()
