#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""UDP through the tunnel the way QUIC senders send it: super-datagrams with UDP_SEGMENT
(Linux 4.18+), which the kernel hands to a TUN device with USO (Linux 6.2+) as one frame.

  udp-gso.py recv ADDR PORT SECONDS          count the datagrams (and check each one's
                                             header: sequence number, length) until
                                             SECONDS pass with none; print "recv N BYTES
                                             bad B reordered R drops D" (D: dropped at the
                                             socket, its buffer full)
  udp-gso.py send ADDR PORT SEG COUNT [SECONDS]
                                             COUNT datagrams of SEG bytes, 32 per sendmsg
                                             (one super-datagram); with SECONDS, as many as
                                             it can for that long, COUNT ignored; print
                                             "sent N BYTES SECONDS"

Each datagram starts with its sequence number (8 bytes) and its length (4 bytes); the
receiver counts those that are whole and in range, and how many were out of order.
Exit: 0, 1 on a bad datagram or an error, 2 on bad arguments.
"""
import errno
import socket
import struct
import sys
import time

UDP_SEGMENT = 103  # linux/udp.h
SO_RCVBUFFORCE = 33  # asm-generic/socket.h; Python does not name it
PER_CALL = 32


def recv(addr, port, idle):
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(family, socket.SOCK_DGRAM)
    try:  # root (the tests): past net.core.rmem_max
        s.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 4 << 20)
    except OSError:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    for _ in range(30):  # an address just added may not be usable yet
        try:
            s.bind((addr, port))
            break
        except OSError as e:
            if e.errno != errno.EADDRNOTAVAIL:
                raise
            time.sleep(0.1)
    else:
        s.bind((addr, port))
    s.settimeout(idle)
    n = nbytes = bad = reordered = 0
    last = -1
    print("ready", flush=True)
    while True:
        try:
            d = s.recv(65536)
        except socket.timeout:
            break
        if len(d) < 12:
            bad += 1
            continue
        seq, ln = struct.unpack("!QI", d[:12])
        if ln != len(d):
            bad += 1
            continue
        if seq < last:
            reordered += 1
        last = seq
        n += 1
        nbytes += len(d)
    drops = socket_drops(family, port)
    print(f"recv {n} {nbytes} bad {bad} reordered {reordered} drops {drops}", flush=True)
    return 1 if bad else 0


def socket_drops(family, port):
    """Datagrams the kernel dropped at our socket (its receive buffer was full): they reached
    this host, so a tunnel delivered them (/proc/net/udp's last column)."""
    path = "/proc/net/udp6" if family == socket.AF_INET6 else "/proc/net/udp"
    with open(path) as f:
        for line in f.readlines()[1:]:
            fields = line.split()
            if int(fields[1].split(":")[1], 16) == port:
                return int(fields[-1])
    return -1


def send(addr, port, seg, count, seconds):
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_UDP, UDP_SEGMENT, seg)
    s.connect((addr, port))
    body = bytes(range(256)) * (seg // 256 + 1)
    seq = 0
    t0 = time.monotonic()
    end = t0 + seconds if seconds else None
    while (end and time.monotonic() < end) or (not end and seq < count):
        k = PER_CALL if end else min(PER_CALL, count - seq)
        buf = b"".join(struct.pack("!QI", seq + i, seg) + body[: seg - 12] for i in range(k))
        try:
            s.send(buf)
        except OSError as e:
            if e.errno in (errno.ENOBUFS, errno.EAGAIN):  # a full queue: again
                continue
            raise
        seq += k
    el = time.monotonic() - t0
    print(f"sent {seq} {seq * seg} {el:.3f}", flush=True)
    return 0


def main(argv):
    try:
        if argv[1] == "recv":
            return recv(argv[2], int(argv[3]), float(argv[4]))
        if argv[1] == "send":
            secs = float(argv[6]) if len(argv) > 6 else 0.0
            seg = int(argv[4])
            if seg < 12 or seg > 8000:
                raise ValueError("SEG")
            return send(argv[2], int(argv[3]), seg, int(argv[5]), secs)
    except (IndexError, ValueError):
        pass
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
