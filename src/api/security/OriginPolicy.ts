import { isLoopbackHost } from '../../config/config.ts';

/**
 * Which Host and Origin headers this server answers: PUBLIC_URL's, and the listen address's (with its loopback
 * aliases when it listens on loopback). The port is the one the connection arrived on, so a server started on
 * port 0 knows its own. A request for another host name (DNS rebinding) or from another site's page is refused.
 */
export class OriginPolicy {
  readonly #publicUrl: URL | undefined;
  readonly #listenHost: string;
  readonly #byPort = new Map<number, { origins: Set<string>; hosts: Set<string> }>();

  constructor(options: { publicUrl: URL | undefined; listenHost: string }) {
    this.#publicUrl = options.publicUrl;
    this.#listenHost = options.listenHost;
  }

  allowsHost(hostHeader: string | undefined, localPort: number): boolean {
    if (hostHeader === undefined || hostHeader === '') return false;
    return this.#allowed(localPort).hosts.has(hostHeader.toLowerCase());
  }

  allowsOrigin(origin: string, localPort: number): boolean {
    return this.#allowed(localPort).origins.has(origin.toLowerCase());
  }

  /** The origin a browser should use, for links such as the sign-in link. */
  publicOrigin(localPort: number): string {
    if (this.#publicUrl) return this.#publicUrl.origin;
    return `http://${hostPart(this.#listenHost)}:${localPort}`;
  }

  #allowed(port: number): { origins: Set<string>; hosts: Set<string> } {
    let allowed = this.#byPort.get(port);
    if (allowed) return allowed;
    const urls: URL[] = [];
    if (this.#publicUrl) urls.push(this.#publicUrl);
    if (isLoopbackHost(this.#listenHost)) {
      for (const name of ['127.0.0.1', 'localhost', '[::1]']) urls.push(new URL(`http://${name}:${port}`));
    } else if (this.#listenHost !== '0.0.0.0' && this.#listenHost !== '::') {
      urls.push(new URL(`http://${hostPart(this.#listenHost)}:${port}`));
    }
    allowed = { origins: new Set(), hosts: new Set() };
    for (const url of urls) {
      allowed.origins.add(url.origin.toLowerCase());
      allowed.hosts.add(url.host.toLowerCase());
      const port = url.port || (url.protocol === 'https:' ? '443' : '80');
      allowed.hosts.add(`${url.hostname}:${port}`.toLowerCase());
    }
    this.#byPort.set(port, allowed);
    return allowed;
  }
}

function hostPart(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}
