/**
 * The address rules of outbound requests (model/addresses.ts), on random addresses: private and
 * special ranges are never public, and IPv6 spellings that embed an IPv4 address always get the
 * IPv4 address's verdict, so no spelling of 127.0.0.1 or 169.254.169.254 slips through.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AllowedHosts, embeddedIPv4, isLocalName, isPublicAddress } from '../../src/model/addresses.js';

const octet = fc.integer({ min: 0, max: 255 });
const ipv4 = fc.tuple(octet, octet, octet, octet).map((o) => o.join('.'));
const hex = (n: number) => n.toString(16);
const group = fc.integer({ min: 0, max: 0xffff });

describe('isPublicAddress', () => {
  it('known answers', () => {
    for (const address of ['8.8.8.8', '1.1.1.1', '93.184.216.34', '2606:4700::1111', '2001:4860:4860::8888', '::ffff:8.8.8.8']) {
      expect(isPublicAddress(address), address).toBe(true);
    }
    for (const address of [
      '127.0.0.1',
      '10.0.0.1',
      '172.31.255.255',
      '192.168.0.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '255.255.255.255',
      '224.0.0.1',
      '::',
      '::1',
      '[::1]',
      'fe80::1%eth0',
      'fd12:3456::1',
      'ff02::1',
      '2001:db8::1',
      '::ffff:127.0.0.1',
      '::ffff:7f00:1',
      '64:ff9b::a9fe:a9fe',
      '2002:c0a8:101::1',
      'localhost',
      'example.com',
      '',
    ]) {
      expect(isPublicAddress(address), address).toBe(false);
    }
  });

  it('every address of the private, loopback, link-local and shared ranges is not public', () => {
    const ranges: Array<fc.Arbitrary<string>> = [
      fc.tuple(octet, octet, octet).map(([b, c, d]) => `10.${b}.${c}.${d}`),
      fc.tuple(octet, octet, octet).map(([b, c, d]) => `127.${b}.${c}.${d}`),
      fc.tuple(octet, octet).map(([c, d]) => `169.254.${c}.${d}`),
      fc.tuple(fc.integer({ min: 16, max: 31 }), octet, octet).map(([b, c, d]) => `172.${b}.${c}.${d}`),
      fc.tuple(octet, octet).map(([c, d]) => `192.168.${c}.${d}`),
      fc.tuple(fc.integer({ min: 64, max: 127 }), octet, octet).map(([b, c, d]) => `100.${b}.${c}.${d}`),
      fc.tuple(fc.integer({ min: 224, max: 255 }), octet, octet, octet).map((o) => o.join('.')),
      fc.tuple(group, group, group).map(([a, b, c]) => `fd${hex(a & 0xff).padStart(2, '0')}:${hex(b)}::${hex(c)}`),
      fc.tuple(group, group).map(([a, b]) => `fe80::${hex(a)}:${hex(b)}`),
    ];
    fc.assert(
      fc.property(fc.oneof(...ranges), (address) => {
        expect(isPublicAddress(address), address).toBe(false);
      }),
      { numRuns: 3000 },
    );
  });

  it('an IPv4 address gets the same verdict in every IPv6 spelling that embeds it', () => {
    fc.assert(
      fc.property(ipv4, (address) => {
        const [a, b, c, d] = address.split('.').map(Number) as [number, number, number, number];
        const hi = hex((a << 8) | b);
        const lo = hex((c << 8) | d);
        const verdict = isPublicAddress(address);
        for (const spelling of [`::ffff:${address}`, `::ffff:${hi}:${lo}`, `[::ffff:${address}]`, `64:ff9b::${hi}:${lo}`]) {
          expect(embeddedIPv4(spelling), spelling).toBe(address);
          expect(isPublicAddress(spelling), spelling).toBe(verdict);
        }
        // 6to4 carries its IPv4 address in the next 32 bits.
        expect(isPublicAddress(`2002:${hi}:${lo}::1`)).toBe(verdict);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('AllowedHosts', () => {
  it('names match exactly (case and trailing dot aside), addresses and ranges by address, mapped forms included', () => {
    const allowed = new AllowedHosts(['IdP.Corp.Example', '127.0.0.1', '10.20.0.0/16', 'fd00::/8']);
    expect(allowed.allowsHost('idp.corp.example.')).toBe(true);
    expect(allowed.allowsHost('evil.idp.corp.example')).toBe(false);
    expect(allowed.allowsHost('127.0.0.1')).toBe(true);
    expect(allowed.allowsHost('localhost')).toBe(false);
    expect(allowed.allowsAddress('10.20.255.1')).toBe(true);
    expect(allowed.allowsAddress('10.21.0.1')).toBe(false);
    expect(allowed.allowsAddress('::ffff:10.20.1.1')).toBe(true);
    expect(allowed.allowsAddress('fd12::1')).toBe(true);
    expect(() => new AllowedHosts(['10.0.0.0/40'])).toThrow(/prefix/);
    expect(() => new AllowedHosts(['idp.example/8'])).toThrow(/neither/);
    expect(new AllowedHosts([]).isEmpty).toBe(true);
  });

  it('local names', () => {
    for (const name of ['localhost', 'LOCALHOST.', 'a.localhost', 'printer.local', 'metadata.google.internal']) {
      expect(isLocalName(name), name).toBe(true);
    }
    expect(isLocalName('login.example.com')).toBe(false);
  });
});
