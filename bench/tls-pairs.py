#!/usr/bin/env python3
"""A device's provisioning run over TLS, repeated: the binary file, then the
XML file, with a client certificate (bench/run-tls.sh, keep-alive rows).

  tls-pairs.py MODE PORT PREFIX MAC CERT KEY TLS SECONDS LEN_BIN LEN_XML

MODE  ka      one connection, both requests on it (HTTP/1.1 keep-alive)
      two     two connections, each a full handshake
      resume  two connections, the second resuming the first's session
TLS   1.2 or 1.3.  Every answer must be 200 with the expected length (the
bytes of the static copy); the first wrong one ends the run with status 1.
Prints "pairs=N seconds=S resumed=R".

openssl s_time cannot send two requests on one connection, and curl starts
a process per device (its start-up would be most of what is measured);
this loop costs the client about what s_time does per connection.
"""
import socket
import ssl
import sys
import time

mode, port, prefix, mac, cert, key, tls, secs, len_bin, len_xml = sys.argv[1:]
port, secs, lens = int(port), float(secs), (int(len_bin), int(len_xml))
ver = ssl.TLSVersion.TLSv1_3 if tls == "1.3" else ssl.TLSVersion.TLSv1_2
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE     # as openssl s_time: no server check
ctx.minimum_version = ctx.maximum_version = ver
ctx.load_cert_chain(cert, key)
paths = (f"{prefix}/cfg{mac}", f"{prefix}/cfg{mac}.xml")


def connect(session=None):
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return ctx.wrap_socket(s, session=session)


def get(conn, buf, path, last):
    """One request on conn; returns the bytes read past this answer."""
    conn.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                 f"{'Connection: close' if last else ''}\r\n\r\n".encode())
    while b"\r\n\r\n" not in buf:
        chunk = conn.recv(65536)
        if not chunk:
            sys.exit(f"{path}: connection closed before the headers")
        buf += chunk
    head, _, buf = buf.partition(b"\r\n\r\n")
    status = head.split(b" ", 2)[1]
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    want = lens[paths.index(path)]
    if status != b"200" or length != want:
        sys.exit(f"{path}: status {status.decode()}, length {length} (want 200, {want})")
    while len(buf) < length:
        chunk = conn.recv(65536)
        if not chunk:
            sys.exit(f"{path}: connection closed in the body")
        buf += chunk
    return buf[length:]


pairs = resumed = 0
start = time.monotonic()
while time.monotonic() - start < secs:
    if mode == "ka":
        c = connect()
        rest = get(c, b"", paths[0], False)
        get(c, rest, paths[1], True)
        c.close()
    else:
        c = connect()
        get(c, b"", paths[0], True)
        sess = c.session if mode == "resume" else None
        c.close()
        c = connect(sess)
        resumed += c.session_reused
        get(c, b"", paths[1], True)
        c.close()
    pairs += 1
print(f"pairs={pairs} seconds={time.monotonic() - start:.3f} resumed={resumed}")
