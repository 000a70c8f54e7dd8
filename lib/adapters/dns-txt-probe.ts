import { promises as dns } from 'node:dns';

export interface DnsTxtProbeOptions {
  /** Resolvers to ask, as `dns.setServers` takes them (`'127.0.0.1:5353'`); default: the system's. */
  servers?: string[];
  /** Per-try timeout of a query; default 2000 ms. */
  timeoutMs?: number;
  /** Attempts per server before a query fails; default 2. */
  tries?: number;
}

/**
 * Looks up TXT records with its own resolver (c-ares, not getaddrinfo), so the servers and
 * timeouts are this probe's and no process-wide DNS setting changes.
 */
export class DnsTxtProbe {
  private readonly resolver: dns.Resolver;

  constructor(options: DnsTxtProbeOptions = {}) {
    this.resolver = new dns.Resolver({ timeout: options.timeoutMs ?? 2000, tries: options.tries ?? 2 });
    if (options.servers !== undefined) this.resolver.setServers(options.servers);
  }

  /**
   * True when one TXT record at `name`, its strings joined (a value longer than 255 bytes is
   * split into several strings, RFC 7208 §3.3), equals `value`; both sides trimmed. Every
   * resolver failure — NXDOMAIN, no TXT data, SERVFAIL, timeout, unreachable server — is
   * "not published (yet)": the validation loop asks again later, so nothing is thrown.
   */
  async hasTxtRecord(name: string, value: string): Promise<boolean> {
    const expected = value.trim();
    if (expected === '') return false;
    let records: string[][];
    try {
      records = await this.resolver.resolveTxt(name);
    } catch {
      return false;
    }
    return records.some((strings) => strings.join('').trim() === expected);
  }
}
