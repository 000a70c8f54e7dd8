import type { DomainProbe } from '../app/ports.js';
import { DnsTxtProbe, type DnsTxtProbeOptions } from './dns-txt-probe.js';
import { HttpFileProbe, type HttpFileProbeOptions } from './http-file-probe.js';

export interface NetworkDomainProbeOptions {
  dns?: DnsTxtProbeOptions;
  http?: HttpFileProbeOptions;
}

/** Domain validation against the real network: TXT records over DNS, files over HTTP(S). */
export class NetworkDomainProbe implements DomainProbe {
  private readonly dns: DnsTxtProbe;
  private readonly http: HttpFileProbe;

  constructor(options: NetworkDomainProbeOptions = {}) {
    this.dns = new DnsTxtProbe(options.dns);
    this.http = new HttpFileProbe(options.http);
  }

  hasTxtRecord(name: string, value: string): Promise<boolean> {
    return this.dns.hasTxtRecord(name, value);
  }

  servesFile(url: string, content: string): Promise<boolean> {
    return this.http.servesFile(url, content);
  }
}
