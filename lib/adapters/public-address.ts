import { isIP } from 'node:net';

/** A CIDR block: the network's bytes and its prefix length in bits. */
type Block = readonly [network: readonly number[], bits: number];

/**
 * IPv4 blocks that are not publicly routable (RFC 6890 special-purpose registry): what a
 * validation fetch must never reach, or it becomes a way to probe the platform's own network.
 */
const IPV4_NON_PUBLIC: readonly Block[] = [
  [[0, 0, 0, 0], 8], // "this network"
  [[10, 0, 0, 0], 8], // private
  [[100, 64, 0, 0], 10], // carrier-grade NAT
  [[127, 0, 0, 0], 8], // loopback
  [[169, 254, 0, 0], 16], // link-local, incl. the cloud metadata service 169.254.169.254
  [[172, 16, 0, 0], 12], // private
  [[192, 0, 0, 0], 24], // IETF protocol assignments
  [[192, 0, 2, 0], 24], // documentation (TEST-NET-1)
  [[192, 88, 99, 0], 24], // deprecated 6to4 relay anycast
  [[192, 168, 0, 0], 16], // private
  [[198, 18, 0, 0], 15], // benchmarking
  [[198, 51, 100, 0], 24], // documentation (TEST-NET-2)
  [[203, 0, 113, 0], 24], // documentation (TEST-NET-3)
  [[224, 0, 0, 0], 4], // multicast
  [[240, 0, 0, 0], 4], // reserved, incl. broadcast 255.255.255.255
];

/** Global unicast 2000::/3: the only IPv6 space a public site lives in. */
const IPV6_GLOBAL_UNICAST: Block = [[0x20], 3];

/** Non-public blocks inside 2000::/3 (everything outside it — ::1, fc00::/7, fe80::/10, ff00::/8 — is refused anyway). */
const IPV6_NON_PUBLIC: readonly Block[] = [
  [[0x20, 0x01, 0x00, 0x00], 23], // IETF protocol assignments, incl. Teredo 2001::/32
  [[0x20, 0x01, 0x0d, 0xb8], 32], // documentation
  [[0x20, 0x02], 16], // 6to4: tunnels to an arbitrary embedded IPv4 address
  [[0x3f, 0xfe], 16], // former 6bone
  [[0x3f, 0xff, 0x00], 20], // documentation (RFC 9637)
];

/** ::ffff:0:0/96 — an IPv4 address written as IPv6; the socket reaches the IPv4 address. */
const IPV4_MAPPED: Block = [[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff], 96];

/** 64:ff9b::/96 — NAT64 well-known prefix: the gateway forwards to the embedded IPv4 address. */
const NAT64: Block = [[0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0], 96];

/**
 * Whether `ip` (a literal IPv4 or IPv6 address, as `dns.lookup` returns it) is a publicly
 * routable unicast address. Loopback, private, link-local (cloud metadata), CGNAT, unique-local,
 * multicast, reserved, documentation and unspecified addresses are not — nor are IPv4-mapped or
 * NAT64 forms of them, nor IPv6 addresses with a zone id (link scope). Anything that is not an
 * IP literal (a host name, `0x7f.1`, an empty string) is not public either.
 */
export function isPublicAddress(ip: string): boolean {
  switch (isIP(ip)) {
    case 4:
      return isPublicIpv4(parseIpv4(ip));
    case 6: {
      // A zone id (fe80::1%eth0) only exists for link-scoped addresses.
      if (ip.includes('%')) return false;
      const bytes = parseIpv6(ip);
      if (inBlock(bytes, IPV4_MAPPED) || inBlock(bytes, NAT64)) return isPublicIpv4(bytes.slice(12));
      return inBlock(bytes, IPV6_GLOBAL_UNICAST) && !IPV6_NON_PUBLIC.some((block) => inBlock(bytes, block));
    }
    default:
      return false;
  }
}

function isPublicIpv4(bytes: readonly number[]): boolean {
  return !IPV4_NON_PUBLIC.some((block) => inBlock(bytes, block));
}

/** Whether the first `bits` bits of `bytes` equal the block's network. */
function inBlock(bytes: readonly number[], [network, bits]: Block): boolean {
  for (let bit = 0; bit < bits; bit += 8) {
    const index = bit / 8;
    const mask = bits - bit >= 8 ? 0xff : (0xff << (8 - (bits - bit))) & 0xff;
    if (((bytes[index] ?? 0) & mask) !== ((network[index] ?? 0) & mask)) return false;
  }
  return true;
}

/** Four bytes of a dotted quad that `isIP` accepted (so: four decimal octets, no leading zeros). */
function parseIpv4(ip: string): number[] {
  return ip.split('.').map(Number);
}

/** Sixteen bytes of an IPv6 literal that `isIP` accepted (with `::` and an optional dotted-quad tail). */
function parseIpv6(ip: string): number[] {
  const groups = (part: string): number[] => {
    if (part === '') return [];
    return part.split(':').flatMap((group) => {
      if (group.includes('.')) {
        const [a = 0, b = 0, c = 0, d = 0] = parseIpv4(group);
        return [(a << 8) | b, (c << 8) | d];
      }
      return [Number.parseInt(group, 16)];
    });
  };
  const [head = '', tail] = ip.split('::');
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const words = [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
  return words.flatMap((word) => [word >> 8, word & 0xff]);
}
