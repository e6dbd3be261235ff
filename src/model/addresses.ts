/**
 * Which network addresses an outbound request may reach. Gatehouse fetches identity providers'
 * documents (OpenID discovery, keys, tokens, userinfo) at URLs that organization administrators
 * configure, so without a rule anybody who can create an organization could make the server fetch
 * from its own network: loopback, cloud metadata (169.254.169.254), private ranges (SSRF).
 *
 * The rule: only **public** unicast addresses, unless the operator lists a host (or an address
 * range) in GATEHOUSE_IDP_ALLOWED_HOSTS. Public means: not in any special-purpose block of the IANA
 * IPv4 and IPv6 registries, and for IPv6 forms that embed an IPv4 address (mapped, NAT64, 6to4),
 * the embedded address must be public too. Pure: no I/O (net.BlockList only compares addresses).
 */
import { BlockList, isIP } from 'node:net';

/** IPv4 special-purpose blocks (RFC 6890 and successors), and multicast and reserved space. */
const SPECIAL_V4: ReadonlyArray<[string, number]> = [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // shared address space (carrier-grade NAT)
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local (cloud metadata lives here)
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.31.196.0', 24], // AS112
  ['192.52.193.0', 24], // AMT
  ['192.88.99.0', 24], // 6to4 relay anycast
  ['192.168.0.0', 16], // private
  ['192.175.48.0', 24], // AS112
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation
  ['203.0.113.0', 24], // documentation
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, and the broadcast address
];

/** IPv6 special-purpose blocks; the IPv4-embedding ones are checked through the embedded address. */
const SPECIAL_V6: ReadonlyArray<[string, number]> = [
  ['::', 128], // unspecified
  ['::1', 128], // loopback
  ['::', 96], // IPv4-compatible (deprecated)
  ['64:ff9b:1::', 48], // local-use NAT64
  ['100::', 64], // discard-only
  ['2001::', 23], // IETF protocol assignments (Teredo, ORCHIDs, documentation…)
  ['2001:db8::', 32], // documentation
  ['3fff::', 20], // documentation
  ['5f00::', 16], // segment routing SIDs
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
];

const special = new BlockList();
for (const [address, prefix] of SPECIAL_V4) special.addSubnet(address, prefix, 'ipv4');
for (const [address, prefix] of SPECIAL_V6) special.addSubnet(address, prefix, 'ipv6');

/** `[a:b::c]` → `a:b::c`; other text unchanged. */
function unbracket(address: string): string {
  return address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
}

/** The IPv4 address embedded in an IPv6 one (mapped, NAT64 64:ff9b::/96, 6to4 2002::/16), if any. */
export function embeddedIPv4(address: string): string | null {
  const groups = expandIPv6(address);
  if (!groups) return null;
  const v4 = (hi: number, lo: number) => `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
  const zero = (from: number, to: number) => groups.slice(from, to).every((g) => g === 0);
  if (zero(0, 5) && groups[5] === 0xffff) return v4(groups[6] as number, groups[7] as number); // ::ffff:a.b.c.d
  if (groups[0] === 0x64 && groups[1] === 0xff9b && zero(2, 6)) return v4(groups[6] as number, groups[7] as number);
  if (groups[0] === 0x2002) return v4(groups[1] as number, groups[2] as number);
  return null;
}

/** The eight 16-bit groups of an IPv6 address, or null when it is not one. */
function expandIPv6(text: string): number[] | null {
  const address = unbracket(text).split('%')[0] ?? '';
  if (isIP(address) !== 6) return null;
  // The URL parser writes IPv6 in hexadecimal groups only (`::ffff:127.0.0.1` → `::ffff:7f00:1`).
  const canonical = new URL(`http://[${address}]/`).hostname.slice(1, -1);
  const [head = '', rest] = canonical.split('::');
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((g) => Number.parseInt(g, 16)));
  const left = parse(head);
  const right = rest === undefined ? [] : parse(rest);
  return [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
}

/**
 * Whether an address is a public unicast address: not loopback, private, link-local, shared,
 * documentation, multicast or otherwise special, directly or through an embedded IPv4 address.
 * Anything that is not an IP address at all is not public.
 */
export function isPublicAddress(text: string): boolean {
  const address = unbracket(text).split('%')[0] ?? '';
  const family = isIP(address);
  if (family === 4) return !special.check(address, 'ipv4');
  if (family !== 6) return false;
  const embedded = embeddedIPv4(address);
  if (embedded !== null) return isPublicAddress(embedded);
  return !special.check(address, 'ipv6');
}

/**
 * The operator's exceptions (GATEHOUSE_IDP_ALLOWED_HOSTS): host names (exact, case-insensitive),
 * addresses, and address ranges in CIDR notation.
 */
export class AllowedHosts {
  private readonly names = new Set<string>();
  private readonly ranges = new BlockList();
  private empty = true;

  constructor(entries: readonly string[]) {
    for (const raw of entries) {
      const entry = raw.trim().toLowerCase().replace(/\.$/, '');
      if (entry === '') continue;
      this.empty = false;
      const [address, prefixText] = entry.split('/') as [string, string | undefined];
      const bare = unbracket(address);
      const family = isIP(bare);
      if (family === 0) {
        if (prefixText !== undefined) throw new Error(`"${raw}" is neither a host name nor an address range`);
        this.names.add(entry);
        continue;
      }
      const type = family === 4 ? 'ipv4' : 'ipv6';
      const prefix = prefixText === undefined ? (family === 4 ? 32 : 128) : Number(prefixText);
      if (!Number.isInteger(prefix) || prefix < 0 || prefix > (family === 4 ? 32 : 128) || !/^\d*$/.test(prefixText ?? '')) {
        throw new Error(`"${raw}" has an invalid prefix length`);
      }
      this.ranges.addSubnet(bare, prefix, type);
    }
  }

  get isEmpty(): boolean {
    return this.empty;
  }

  /** Whether the host name (as written in a URL) is listed by name, or is a listed address. */
  allowsHost(hostname: string): boolean {
    const host = unbracket(hostname.toLowerCase()).replace(/\.$/, '');
    return this.names.has(host) || (isIP(host) !== 0 && this.allowsAddress(host));
  }

  /** Whether an address lies in a listed address or range. */
  allowsAddress(address: string): boolean {
    const bare = unbracket(address).split('%')[0] ?? '';
    const family = isIP(bare);
    if (family === 0) return false;
    if (this.ranges.check(bare, family === 4 ? 'ipv4' : 'ipv6')) return true;
    const embedded = family === 6 ? embeddedIPv4(bare) : null;
    return embedded !== null && this.ranges.check(embedded, 'ipv4');
  }
}

/** Host names that name this machine or a local network whatever DNS says. */
export function isLocalName(hostname: string): boolean {
  const host = unbracket(hostname.toLowerCase()).replace(/\.$/, '');
  return host === 'localhost' || host.endsWith('.localhost') || host.endsWith('.local') || host.endsWith('.internal');
}
