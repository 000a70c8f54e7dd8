import { describe, expect, it } from 'vitest';
import { isPublicAddress } from '../../lib/adapters/public-address.js';

// What the domain-validation fetch may connect to: public unicast only, whatever the spelling.

const publicAddresses: [string, string][] = [
  ['1.1.1.1', 'public IPv4'],
  ['8.8.8.8', 'public IPv4'],
  ['93.184.215.14', 'public IPv4'],
  ['9.255.255.255', 'just below 10/8'],
  ['11.0.0.0', 'just above 10/8'],
  ['100.63.255.255', 'just below 100.64/10'],
  ['100.128.0.0', 'just above 100.64/10'],
  ['126.255.255.255', 'just below 127/8'],
  ['128.0.0.0', 'just above 127/8'],
  ['169.253.255.255', 'just below 169.254/16'],
  ['169.255.0.0', 'just above 169.254/16'],
  ['172.15.255.255', 'just below 172.16/12'],
  ['172.32.0.0', 'just above 172.16/12'],
  ['192.167.255.255', 'just below 192.168/16'],
  ['192.169.0.0', 'just above 192.168/16'],
  ['198.17.255.255', 'just below 198.18/15'],
  ['198.20.0.0', 'just above 198.18/15'],
  ['223.255.255.255', 'just below multicast'],
  ['2606:4700:4700::1111', 'public IPv6'],
  ['2001:4860:4860::8888', 'public IPv6 in 2001::/16 but outside 2001::/23'],
  ['2a00:1450:4001:80b::200e', 'public IPv6'],
  ['2606:4700:4700:0:0:0:0:1111', 'public IPv6, uncompressed'],
  ['2A00:1450:4001:80B::200E', 'public IPv6, upper case'],
  ['::ffff:8.8.8.8', 'IPv4-mapped public address, dotted'],
  ['::ffff:808:808', 'IPv4-mapped public address, hex'],
  ['64:ff9b::808:808', 'NAT64 of a public address'],
];

const nonPublicAddresses: [string, string][] = [
  // IPv4
  ['0.0.0.0', 'unspecified'],
  ['0.1.2.3', '"this network" 0/8'],
  ['10.0.0.1', 'private 10/8'],
  ['10.255.255.255', 'private 10/8, last'],
  ['100.64.0.1', 'carrier-grade NAT'],
  ['100.127.255.255', 'carrier-grade NAT, last'],
  ['127.0.0.1', 'loopback'],
  ['127.255.255.254', 'loopback, elsewhere in 127/8'],
  ['169.254.169.254', 'cloud metadata service'],
  ['169.254.0.1', 'link-local'],
  ['172.16.0.1', 'private 172.16/12'],
  ['172.31.255.255', 'private 172.16/12, last'],
  ['192.0.0.1', 'IETF protocol assignments'],
  ['192.0.2.1', 'documentation TEST-NET-1'],
  ['192.88.99.1', '6to4 relay anycast'],
  ['192.168.1.1', 'private 192.168/16'],
  ['198.18.0.1', 'benchmarking'],
  ['198.19.255.255', 'benchmarking, last'],
  ['198.51.100.1', 'documentation TEST-NET-2'],
  ['203.0.113.1', 'documentation TEST-NET-3'],
  ['224.0.0.1', 'multicast'],
  ['239.255.255.250', 'multicast (SSDP)'],
  ['240.0.0.1', 'reserved 240/4'],
  ['255.255.255.255', 'broadcast'],
  // IPv6
  ['::', 'unspecified'],
  ['::1', 'loopback'],
  ['0:0:0:0:0:0:0:1', 'loopback, uncompressed'],
  ['fe80::1', 'link-local'],
  ['febf:ffff::1', 'link-local, end of fe80::/10'],
  ['fe80::1%eth0', 'link-local with a zone id'],
  ['fc00::1', 'unique-local fc00::/8'],
  ['fd12:3456:789a::1', 'unique-local fd00::/8'],
  ['fec0::1', 'deprecated site-local'],
  ['ff02::1', 'multicast'],
  ['ff05::1:3', 'multicast'],
  ['2001:db8::1', 'documentation'],
  ['2001::1', 'Teredo'],
  ['2001:2::1', 'benchmarking'],
  ['2002:7f00:1::', '6to4 (of 127.0.0.1)'],
  ['2002:808:808::', '6to4 (tunnels to an arbitrary IPv4 address)'],
  ['3fff::1', 'documentation (RFC 9637)'],
  ['100::1', 'discard-only'],
  ['::127.0.0.1', 'deprecated IPv4-compatible form'],
  ['::ffff:0:7f00:1', 'IPv4-translated form'],
  // IPv4-mapped and NAT64 forms of non-public IPv4
  ['::ffff:127.0.0.1', 'IPv4-mapped loopback, dotted'],
  ['::ffff:7f00:1', 'IPv4-mapped loopback, hex'],
  ['::FFFF:7F00:0001', 'IPv4-mapped loopback, upper case and zero-padded'],
  ['0:0:0:0:0:ffff:7f00:1', 'IPv4-mapped loopback, uncompressed'],
  ['::ffff:169.254.169.254', 'IPv4-mapped metadata service'],
  ['::ffff:a9fe:a9fe', 'IPv4-mapped metadata service, hex'],
  ['::ffff:10.0.0.1', 'IPv4-mapped private'],
  ['::ffff:c0a8:101', 'IPv4-mapped 192.168.1.1, hex'],
  ['::ffff:0.0.0.0', 'IPv4-mapped unspecified'],
  ['::ffff:100.64.0.1', 'IPv4-mapped CGNAT'],
  ['::ffff:224.0.0.1', 'IPv4-mapped multicast'],
  ['64:ff9b::7f00:1', 'NAT64 of loopback'],
  ['64:ff9b::169.254.169.254', 'NAT64 of the metadata service'],
  ['64:ff9b:1::a00:1', 'NAT64 local-use prefix'],
  // Not IP literals at all: refused rather than guessed at.
  ['', 'empty'],
  ['localhost', 'a host name'],
  ['example.com', 'a host name'],
  ['127.1', 'shorthand IPv4 (inet_aton style)'],
  ['0x7f.0.0.1', 'hex IPv4'],
  ['2130706433', 'decimal IPv4'],
  ['127.000.000.001', 'zero-padded IPv4'],
  ['1.2.3.4.5', 'too many octets'],
  ['[::1]', 'bracketed IPv6'],
  ['::1:', 'malformed IPv6'],
  [' 8.8.8.8', 'leading space'],
];

describe('isPublicAddress', () => {
  it.each(publicAddresses)('accepts %s (%s)', (ip) => {
    expect(isPublicAddress(ip)).toBe(true);
  });

  it.each(nonPublicAddresses)('rejects %s (%s)', (ip) => {
    expect(isPublicAddress(ip)).toBe(false);
  });
});
