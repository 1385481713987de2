#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
Independent ESP-in-UDP wire checker (RFC 4303, RFC 3948), written from the RFCs and
sharing no code with the engine.  Used by test-wireshark.sh next to Wireshark's own
ESP dissector, for what Wireshark 4.0 cannot check: ChaCha20-Poly1305 (RFC 7634) and
extended sequence numbers (RFC 4304) in the ICV / AAD.

  esp-check.py verify --pcap F --sa SPI:TRANSFORM:KEYHEX:ESN ... --inner CIDR ...
      Reads a pcap/pcapng capture (Ethernet, Linux cooked or raw IP), takes every
      UDP port 4500 datagram that is ESP (no non-ESP marker, not a NAT keepalive),
      checks the ICV and decrypts it with the SA of its SPI, then checks the RFC 4303
      trailer (self-describing padding 1,2,3,.., alignment, next header 4/41/59), the
      inner IPv4/IPv6 header (version, length, IPv4 header checksum), that inner
      source and destination lie in the --inner prefixes, that no sequence number
      repeats within an SPI and that no AEAD nonce repeats within an SPI.
      Exit 0 when every ESP packet passes and at least --min-packets were seen.

  esp-check.py synth --out F --sa SPI:TRANSFORM:KEYHEX:ESN ... --src A --dst B
      Writes a pcap of a few reference ESP-in-UDP packets per SA (ICMP echo, IPv4 and
      IPv6 inner), to check the checkers (this script and the Wireshark set-up).

TRANSFORM is one of aes128gcm16 aes256gcm16 chacha20poly1305 aes128-sha256
aes256-sha384 aes256-sha512; KEYHEX is the KEYMAT as in uip-static (AEAD key||salt,
CBC enc key||integ key); ESN is 0 or 1.  The high 32 bits of the ESN are taken as 0
(these tests send far fewer than 2^32 packets per SA).
"""

import argparse
import hashlib
import hmac
import ipaddress
import os
import struct
import sys

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305
from cryptography.exceptions import InvalidTag

# kind, encryption key bytes, salt bytes, integrity key bytes, IV bytes, ICV bytes, hash
TRANSFORMS = {
    "aes128gcm16": ("gcm", 16, 4, 0, 8, 16, None),
    "aes256gcm16": ("gcm", 32, 4, 0, 8, 16, None),
    "chacha20poly1305": ("chacha", 32, 4, 0, 8, 16, None),
    "aes128-sha256": ("cbc", 16, 0, 32, 16, 16, hashlib.sha256),
    "aes256-sha384": ("cbc", 32, 0, 48, 16, 24, hashlib.sha384),
    "aes256-sha512": ("cbc", 32, 0, 64, 16, 32, hashlib.sha512),
}

NAT_T_PORT = 4500


class SA:
    def __init__(self, spec):
        try:
            spi, name, keyhex, esn = spec.split(":")
        except ValueError:
            raise SystemExit(f"bad --sa {spec!r}: want SPI:TRANSFORM:KEYHEX:ESN")
        if name not in TRANSFORMS:
            raise SystemExit(f"bad --sa: unknown transform {name!r}")
        self.spi = int(spi, 0)
        self.name = name
        self.esn = esn in ("1", "true", "yes")
        (self.kind, ekey, salt, ikey, self.iv_len, self.icv_len, self.hash) = TRANSFORMS[name]
        key = bytes.fromhex(keyhex)
        if len(key) != ekey + salt + ikey:
            raise SystemExit(f"bad --sa {spi}: {name} wants {ekey + salt + ikey} key bytes, "
                             f"got {len(key)}")
        self.ekey = key[:ekey]
        self.salt = key[ekey:ekey + salt]
        self.ikey = key[ekey + salt:]
        self.align = 16 if self.kind == "cbc" else 4
        # statistics
        self.packets = 0
        self.ok = 0
        self.seqs = set()
        self.nonces = set()
        self.out_of_order = 0
        self.last_seq = 0
        self.inner = {}

    def aad(self, spi_seq, seq_hi):
        # RFC 4106 section 5 / RFC 7634 section 2.1
        if self.esn:
            return spi_seq[:4] + struct.pack(">I", seq_hi) + spi_seq[4:8]
        return spi_seq[:8]

    def open(self, esp, seq_hi=0):
        """Return the plaintext (payload .. pad, padlen, next header) or raise ValueError."""
        hdr = esp[:8]
        iv = esp[8:8 + self.iv_len]
        body = esp[8 + self.iv_len:]
        if len(body) < self.icv_len + 2:
            raise ValueError("too short")
        if self.kind in ("gcm", "chacha"):
            aead = AESGCM(self.ekey) if self.kind == "gcm" else ChaCha20Poly1305(self.ekey)
            try:
                return aead.decrypt(self.salt + iv, body, self.aad(hdr, seq_hi))
            except InvalidTag:
                raise ValueError("ICV mismatch (AEAD tag)")
        icv = esp[-self.icv_len:]
        authed = esp[:-self.icv_len]
        if self.esn:
            authed += struct.pack(">I", seq_hi)  # RFC 4303 2.2.1: seq-high after the packet
        want = hmac.new(self.ikey, authed, self.hash).digest()[:self.icv_len]
        if not hmac.compare_digest(want, icv):
            raise ValueError("ICV mismatch (HMAC)")
        ct = body[:-self.icv_len]
        if len(ct) % 16:
            raise ValueError(f"CBC ciphertext of {len(ct)} bytes is not a multiple of 16")
        dec = Cipher(algorithms.AES(self.ekey), modes.CBC(iv)).decryptor()
        return dec.update(ct) + dec.finalize()

    def seal(self, seq, inner, nh, seq_hi=0):
        """Build one ESP packet (reference encapsulation, RFC 4303 default padding)."""
        padlen = (-(len(inner) + 2)) % self.align
        pt = inner + bytes(range(1, padlen + 1)) + bytes([padlen, nh])
        hdr = struct.pack(">II", self.spi, seq)
        if self.kind in ("gcm", "chacha"):
            iv = struct.pack(">II", seq_hi, seq)
            aead = AESGCM(self.ekey) if self.kind == "gcm" else ChaCha20Poly1305(self.ekey)
            return hdr + iv + aead.encrypt(self.salt + iv, pt, self.aad(hdr, seq_hi))
        iv = os.urandom(16)
        enc = Cipher(algorithms.AES(self.ekey), modes.CBC(iv)).encryptor()
        pkt = hdr + iv + enc.update(pt) + enc.finalize()
        authed = pkt + (struct.pack(">I", seq_hi) if self.esn else b"")
        return pkt + hmac.new(self.ikey, authed, self.hash).digest()[:self.icv_len]


# ---------------------------------------------------------------- capture files

def read_packets(path):
    """Yield (linktype, frame bytes) from a pcap or pcapng file."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 4:
        return
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        end = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        end = ">"
    elif magic == b"\x0a\x0d\x0d\x0a":
        yield from read_pcapng(data)
        return
    else:
        raise SystemExit(f"{path}: not a pcap or pcapng file")
    linktype = struct.unpack(end + "I", data[20:24])[0] & 0x0FFFFFFF
    off = 24
    while off + 16 <= len(data):
        incl = struct.unpack(end + "I", data[off + 8:off + 12])[0]
        yield linktype, data[off + 16:off + 16 + incl]
        off += 16 + incl


def read_pcapng(data):
    off = 0
    end = "<"
    links = []
    while off + 12 <= len(data):
        btype = struct.unpack(end + "I", data[off:off + 4])[0]
        if btype == 0x0A0D0D0A:
            bom = data[off + 8:off + 12]
            end = "<" if bom == b"\x4d\x3c\x2b\x1a" else ">"
            links = []
        blen = struct.unpack(end + "I", data[off + 4:off + 8])[0]
        if blen < 12:
            break
        body = data[off + 8:off + blen - 4]
        if btype == 1:  # interface description
            links.append(struct.unpack(end + "H", body[:2])[0])
        elif btype == 6:  # enhanced packet
            ifid, _, _, caplen, _ = struct.unpack(end + "IIIII", body[:20])
            yield links[ifid] if ifid < len(links) else 1, body[20:20 + caplen]
        elif btype == 3:  # simple packet
            caplen = min(struct.unpack(end + "I", body[:4])[0], len(body) - 4)
            yield links[0] if links else 1, body[4:4 + caplen]
        off += blen


def l3_of(linktype, frame):
    """Return (ethertype-like version, L3 bytes) or (None, None)."""
    if linktype == 1:  # Ethernet
        et, off = struct.unpack(">H", frame[12:14])[0], 14
        while et in (0x8100, 0x88A8) and len(frame) >= off + 4:
            et, off = struct.unpack(">H", frame[off + 2:off + 4])[0], off + 4
    elif linktype == 113:  # Linux cooked v1
        et, off = struct.unpack(">H", frame[14:16])[0], 16
    elif linktype == 276:  # Linux cooked v2
        et, off = struct.unpack(">H", frame[0:2])[0], 20
    elif linktype in (101, 228, 229):  # raw IP
        v = frame[0] >> 4 if frame else 0
        et, off = {4: 0x0800, 6: 0x86DD}.get(v, 0), 0
    else:
        return None, None
    return et, frame[off:]


def udp_payload(linktype, frame, errors):
    """Return (outer src, outer dst, sport, dport, payload) for UDP, else None."""
    et, l3 = l3_of(linktype, frame)
    if et == 0x0800 and len(l3) >= 20:
        ihl = (l3[0] & 0x0F) * 4
        total = struct.unpack(">H", l3[2:4])[0]
        frag = struct.unpack(">H", l3[6:8])[0]
        if l3[9] != 17:
            return None
        if frag & 0x3FFF:
            errors.append("outer IPv4 fragment (ESP-in-UDP packet larger than the path MTU)")
            return None
        src, dst = ipaddress.ip_address(l3[12:16]), ipaddress.ip_address(l3[16:20])
        udp = l3[ihl:total]
    elif et == 0x86DD and len(l3) >= 40:
        nh = l3[6]
        if nh == 44:
            errors.append("outer IPv6 fragment (ESP-in-UDP packet larger than the path MTU)")
            return None
        if nh != 17:
            return None
        src, dst = ipaddress.ip_address(l3[8:24]), ipaddress.ip_address(l3[24:40])
        udp = l3[40:40 + struct.unpack(">H", l3[4:6])[0]]
    else:
        return None
    if len(udp) < 8:
        return None
    sport, dport, ulen = struct.unpack(">HHH", udp[:6])
    return src, dst, sport, dport, udp[8:ulen]


# ---------------------------------------------------------------- inner packets

def ipv4_checksum_ok(hdr):
    s = 0
    for i in range(0, len(hdr), 2):
        s += (hdr[i] << 8) | hdr[i + 1]
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s == 0xFFFF


INNER_PROTO = {1: "icmp", 6: "tcp", 17: "udp", 58: "icmpv6"}


def check_inner(nh, payload, nets):
    """Return (summary key, error or None)."""
    if nh == 59:
        return "dummy", None  # RFC 4303 2.6 traffic-flow-confidentiality dummy packet
    if nh == 4:
        if len(payload) < 20 or payload[0] >> 4 != 4:
            return None, "next header 4 but not an IPv4 packet"
        ihl = (payload[0] & 0x0F) * 4
        if struct.unpack(">H", payload[2:4])[0] != len(payload):
            return None, (f"inner IPv4 total length {struct.unpack('>H', payload[2:4])[0]} "
                          f"!= {len(payload)} bytes of payload")
        if not ipv4_checksum_ok(payload[:ihl]):
            return None, "inner IPv4 header checksum wrong"
        src, dst, proto = payload[12:16], payload[16:20], payload[9]
    elif nh == 41:
        if len(payload) < 40 or payload[0] >> 4 != 6:
            return None, "next header 41 but not an IPv6 packet"
        if struct.unpack(">H", payload[4:6])[0] + 40 != len(payload):
            return None, "inner IPv6 payload length does not match"
        src, dst, proto = payload[8:24], payload[24:40], payload[6]
    else:
        return None, f"unexpected next header {nh}"
    src, dst = ipaddress.ip_address(src), ipaddress.ip_address(dst)
    for a in (src, dst):
        if not any(a.version == n.version and a in n for n in nets):
            return None, f"inner address {a} outside the protected prefixes"
    fam = "v4" if nh == 4 else "v6"
    return f"{fam}/{INNER_PROTO.get(proto, str(proto))}", None


def verify(args):
    sas = {}
    for spec in args.sa:
        sa = SA(spec)
        sas[sa.spi] = sa
    nets = [ipaddress.ip_network(n, strict=False) for n in args.inner]
    errors = []
    esp_total = keepalives = ike = 0
    for frameno, (lt, frame) in enumerate(read_packets(args.pcap), 1):
        frame_errors = []
        u = udp_payload(lt, frame, frame_errors)
        for e in frame_errors:
            errors.append(f"frame {frameno}: {e}")
        if u is None:
            continue
        src, dst, sport, dport, pl = u
        if NAT_T_PORT not in (sport, dport):
            continue
        if pl == b"\xff":
            keepalives += 1
            continue
        if len(pl) >= 4 and pl[:4] == b"\0\0\0\0":
            ike += 1
            continue
        esp_total += 1
        if len(pl) < 8:
            errors.append(f"frame {frameno}: ESP shorter than its header")
            continue
        spi, seq = struct.unpack(">II", pl[:8])
        sa = sas.get(spi)
        if sa is None:
            errors.append(f"frame {frameno}: unknown SPI 0x{spi:08x}")
            continue
        sa.packets += 1
        where = f"frame {frameno} ({src} -> {dst}, SPI 0x{spi:08x}, seq {seq})"
        if seq == 0:
            errors.append(f"{where}: sequence number 0 (RFC 4303: the first packet has 1)")
        if seq in sa.seqs:
            errors.append(f"{where}: sequence number repeated")
        if seq < sa.last_seq:
            sa.out_of_order += 1
        sa.last_seq = max(sa.last_seq, seq)
        sa.seqs.add(seq)
        if sa.kind != "cbc":
            iv = pl[8:16]
            if iv in sa.nonces:
                errors.append(f"{where}: AEAD IV repeated under one key (nonce reuse)")
            sa.nonces.add(iv)
        try:
            pt = sa.open(pl)
        except ValueError as e:
            errors.append(f"{where}: {e}")
            continue
        if len(pt) < 2:
            errors.append(f"{where}: plaintext shorter than the trailer")
            continue
        if (len(pt)) % sa.align:
            errors.append(f"{where}: payload+trailer of {len(pt)} bytes not aligned to {sa.align}")
        padlen, nh = pt[-2], pt[-1]
        if padlen + 2 > len(pt):
            errors.append(f"{where}: pad length {padlen} exceeds the plaintext")
            continue
        pad = pt[-2 - padlen:-2]
        if pad != bytes(range(1, padlen + 1)):
            errors.append(f"{where}: padding is not 1,2,3,.. (RFC 4303 2.4)")
            continue
        key, err = check_inner(nh, pt[:-2 - padlen], nets)
        if err:
            errors.append(f"{where}: {err}")
            continue
        sa.ok += 1
        sa.inner[key] = sa.inner.get(key, 0) + 1

    for sa in sas.values():
        inner = " ".join(f"{k}={v}" for k, v in sorted(sa.inner.items())) or "-"
        print(f"  SPI 0x{sa.spi:08x} {sa.name:<16} esn={int(sa.esn)} esp={sa.packets} "
              f"verified={sa.ok} out-of-order={sa.out_of_order} inner: {inner}")
    print(f"  total: {esp_total} ESP packets, {ike} non-ESP (IKE), {keepalives} keepalives, "
          f"{len(errors)} errors")
    for e in errors[:20]:
        print(f"  ERROR {e}")
    if len(errors) > 20:
        print(f"  ERROR ... and {len(errors) - 20} more")
    if errors:
        return 1
    if esp_total < args.min_packets:
        print(f"  ERROR only {esp_total} ESP packets, expected at least {args.min_packets}")
        return 1
    return 0


# ---------------------------------------------------------------- reference packets

def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f">{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ipv4(src, dst, proto, payload, ident=0):
    h = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, 0x4000, 64, proto, 0,
                    src.packed, dst.packed)
    return h[:10] + struct.pack(">H", csum(h)) + h[12:] + payload


def ipv6(src, dst, nh, payload):
    return struct.pack(">IHBB16s16s", 0x60000000, len(payload), nh, 64, src.packed,
                       dst.packed) + payload


def icmp_echo(seq):
    body = struct.pack(">HH", 0x1234, seq) + bytes(range(48))
    return struct.pack(">BBH", 8, 0, csum(b"\x08\0\0\0" + body)) + body


def icmpv6_echo(src, dst, seq):
    body = struct.pack(">HH", 0x1234, seq) + bytes(range(48))
    msg = b"\x80\0\0\0" + body
    pseudo = src.packed + dst.packed + struct.pack(">I3xB", len(msg), 58)
    return b"\x80\0" + struct.pack(">H", csum(pseudo + msg)) + body


def synth(args):
    src, dst = ipaddress.ip_address(args.src), ipaddress.ip_address(args.dst)
    i4s, i4d = ipaddress.ip_address(args.inner_src4), ipaddress.ip_address(args.inner_dst4)
    i6s, i6d = ipaddress.ip_address(args.inner_src6), ipaddress.ip_address(args.inner_dst6)
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]
    ts = 1700000000
    for spec in args.sa:
        sa = SA(spec)
        for seq in range(1, args.count + 1):
            if seq % 2:
                inner, nh = ipv4(i4s, i4d, 1, icmp_echo(seq), seq), 4
            else:
                inner, nh = ipv6(i6s, i6d, 58, icmpv6_echo(i6s, i6d, seq)), 41
            esp = sa.seal(seq, inner, nh)
            udp = struct.pack(">HHHH", NAT_T_PORT, NAT_T_PORT, 8 + len(esp), 0) + esp
            ip = ipv4(src, dst, 17, udp, seq)
            eth = b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + b"\x08\x00" + ip
            ts += 1
            out.append(struct.pack("<IIII", ts, 0, len(eth), len(eth)) + eth)
    with open(args.out, "wb") as f:
        f.write(b"".join(out))
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    v = sub.add_parser("verify")
    v.add_argument("--pcap", required=True)
    v.add_argument("--sa", action="append", required=True)
    v.add_argument("--inner", action="append", required=True)
    v.add_argument("--min-packets", type=int, default=1)
    s = sub.add_parser("synth")
    s.add_argument("--out", required=True)
    s.add_argument("--sa", action="append", required=True)
    s.add_argument("--src", required=True)
    s.add_argument("--dst", required=True)
    s.add_argument("--inner-src4", default="198.18.10.1")
    s.add_argument("--inner-dst4", default="198.18.20.1")
    s.add_argument("--inner-src6", default="2001:db8:10::1")
    s.add_argument("--inner-dst6", default="2001:db8:20::1")
    s.add_argument("--count", type=int, default=4)
    args = p.parse_args()
    return verify(args) if args.cmd == "verify" else synth(args)


if __name__ == "__main__":
    sys.exit(main())
