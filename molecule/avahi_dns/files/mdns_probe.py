#!/usr/bin/python3
"""Ask over mDNS which service types are announced (a PTR query for _services._dns-sd._udp.local)
and print, as JSON, the addresses that answered within WAIT seconds.

    mdns_probe.py --to 224.0.0.251 --via LOCAL_ADDRESS   multicast out of the interface of LOCAL_ADDRESS
    mdns_probe.py --to ADDRESS                           unicast to ADDRESS:5353

The query leaves from an ephemeral port, so responders answer it by unicast to
that port (a "legacy unicast" query, RFC 6762 section 6.7). Standard library only.
"""

import argparse
import json
import socket
import struct
import time

QNAME = "_services._dns-sd._udp.local"


def query() -> bytes:
    header = struct.pack("!6H", 0x4242, 0, 1, 0, 0, 0)
    name = b"".join(bytes([len(label)]) + label.encode() for label in QNAME.split(".")) + b"\0"
    return header + name + struct.pack("!2H", 12, 1)  # PTR, IN


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--to", required=True)
    parser.add_argument("--via", help="local address whose interface sends the multicast query")
    parser.add_argument("--wait", type=float, default=2.0)
    args = parser.parse_args()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((args.via or "0.0.0.0", 0))
    if args.via:
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(args.via))
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 255)
    sock.sendto(query(), (args.to, 5353))
    answered = set()
    end = time.monotonic() + args.wait
    while (left := end - time.monotonic()) > 0:
        sock.settimeout(left)
        try:
            data, (address, _port) = sock.recvfrom(9000)
        except TimeoutError:
            break
        # An answer to our query: same id, QR bit set, at least one answer record.
        answers = struct.unpack("!H", data[6:8])[0] if len(data) >= 12 else 0
        if data[:2] == b"\x42\x42" and data[2] & 0x80 and answers:
            answered.add(address)
    print(json.dumps({"to": args.to, "via": args.via, "answered": sorted(answered)}))


if __name__ == "__main__":
    main()
