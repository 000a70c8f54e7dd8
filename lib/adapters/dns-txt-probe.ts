import { promises as dns } from 'node:dns';

export interface DnsTxtProbeOptions {
  /** Resolvers to ask, as `dns.setServers` takes them (`'127.0.0.1:5353'`); default: the system's. */
  servers?: string[];
  /** Per-try timeout of a query; default 2000 ms. */
  timeoutMs?: number;
  /** Attempts per server before a query fails; default 2. */
  tries?: number;
  /**
   * Overall budget of one lookup, whatever the servers and tries add up to (c-ares doubles the
   * timeout on each round, so 2 servers × 2 tries at 2 s would wait well over 10 s); default 5000 ms,
   * as the HTTP file check.
   */
  budgetMs?: number;
}

/**
 * Looks up TXT records with its own resolver (c-ares, not getaddrinfo), so the servers and
 * timeouts are this probe's and no process-wide DNS setting changes.
 */
export class DnsTxtProbe {
  private readonly options: { timeout: number; tries: number };
  private readonly servers: string[] | undefined;
  private readonly budgetMs: number;

  constructor(options: DnsTxtProbeOptions = {}) {
    this.options = { timeout: options.timeoutMs ?? 2000, tries: options.tries ?? 2 };
    this.servers = options.servers;
    this.budgetMs = options.budgetMs ?? 5000;
  }

  /**
   * True when one TXT record at `name`, its strings joined (a value longer than 255 bytes is
   * split into several strings, RFC 7208 §3.3), equals `value`; both sides trimmed. Every
   * resolver failure — NXDOMAIN, no TXT data, SERVFAIL, timeout, unreachable server — is
   * "not published (yet)": the validation loop asks again later, so nothing is thrown. Past the
   * budget the lookup is cancelled and counts as not published.
   */
  async hasTxtRecord(name: string, value: string): Promise<boolean> {
    const expected = value.trim();
    if (expected === '') return false;
    // A resolver per lookup: cancel() stops every query of its resolver, and checks run side by side.
    const resolver = new dns.Resolver(this.options);
    if (this.servers !== undefined) resolver.setServers(this.servers);
    const timer = setTimeout(() => resolver.cancel(), this.budgetMs);
    let records: string[][];
    try {
      records = await resolver.resolveTxt(name);
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
    }
    return records.some((strings) => strings.join('').trim() === expected);
  }
}
