#!/usr/bin/env python3
"""SCTP on a kernel without SCTP sockets: send INIT chunks, or catch one, through raw IP sockets.

This kernel has SCTP conntrack and NAT (CONFIG_NF_CT_PROTO_SCTP) but no SCTP stack
(CONFIG_IP_SCTP is off), so no program can open an SCTP association. The e2e tests prove the
proxy's SCTP rules with real packets instead: `send` writes INIT chunks (with a correct CRC32c, which
conntrack checks) to an address and port; `listen` waits for one SCTP packet to arrive in its
network namespace and prints what the kernel delivered — after any DNAT — as JSON:
{"src": ..., "dst": ..., "sport": ..., "dport": ..., "chunk": 1}.
Only the standard library; IPv4 only.
"""
import argparse
import json
import os
import socket
import struct
import sys
import time

IPPROTO_SCTP = 132


def _crc32c_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_TABLE = _crc32c_table()


def crc32c(data: bytes) -> int:
    c = 0xFFFFFFFF
    for b in data:
        c = _TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def init_packet(sport: int, dport: int) -> bytes:
    """An SCTP common header (verification tag 0) and one INIT chunk."""
    tag = struct.unpack("!I", os.urandom(4))[0] or 1
    # INIT: type 1, flags 0, length 20, initiate tag, a_rwnd, outbound/inbound streams, initial TSN.
    chunk = struct.pack("!BBHIIHHI", 1, 0, 20, tag, 65535, 10, 10, tag)
    header = struct.pack("!HHII", sport, dport, 0, 0)
    checksum = crc32c(header + chunk)
    # SCTP's CRC32c goes on the wire in little-endian byte order (RFC 4960, appendix B).
    return struct.pack("!HHI", sport, dport, 0) + struct.pack("<I", checksum) + chunk


def send(args) -> int:
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, IPPROTO_SCTP)
    pkt = init_packet(args.sport, args.port)
    for _ in range(args.count):
        s.sendto(pkt, (args.address, 0))
        time.sleep(args.interval)
    return 0


def listen(args) -> int:
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, IPPROTO_SCTP)
    s.settimeout(args.timeout)
    print("ready", file=sys.stderr, flush=True)
    try:
        data, _ = s.recvfrom(65535)
    except socket.timeout:
        print(json.dumps({"error": f"no SCTP packet within {args.timeout} s"}))
        return 1
    ihl = (data[0] & 0x0F) * 4
    src = socket.inet_ntoa(data[12:16])
    dst = socket.inet_ntoa(data[16:20])
    sport, dport = struct.unpack("!HH", data[ihl:ihl + 4])
    chunk = data[ihl + 12] if len(data) > ihl + 12 else None
    print(json.dumps({"src": src, "dst": dst, "sport": sport, "dport": dport, "chunk": chunk}))
    return 0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    sp = sub.add_parser("send", help="send INIT chunks to ADDRESS PORT")
    sp.add_argument("address")
    sp.add_argument("port", type=int)
    sp.add_argument("--sport", type=int, default=40000)
    sp.add_argument("--count", type=int, default=10)
    sp.add_argument("--interval", type=float, default=0.1)
    lp = sub.add_parser("listen", help="print the first SCTP packet that arrives")
    lp.add_argument("--timeout", type=float, default=10.0)
    args = p.parse_args()
    return send(args) if args.cmd == "send" else listen(args)


if __name__ == "__main__":
    sys.exit(main())
