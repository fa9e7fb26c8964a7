import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose';

export interface OidcProvider {
  issuer: string;
  audience: string;
  /** A signed JWT with these claims; `expiresIn` (seconds, may be negative) and `audience` override the defaults. */
  token(
    claims: JWTPayload,
    options?: { expiresIn?: number; audience?: string; signWithStrangerKey?: boolean },
  ): Promise<string>;
  /** How many times the JWKS was fetched. */
  jwksFetches(): number;
  close(): Promise<void>;
}

/**
 * A local OpenID Connect provider for tests: a discovery document and a JWKS on loopback, keys made by jose. Tokens
 * are RS256 JWTs for the audience `tributary`.
 */
export async function startOidcProvider(): Promise<OidcProvider> {
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  const stranger = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };
  let fetches = 0;
  let issuer = '';
  const server: Server = createServer((request, response) => {
    if (request.url === '/.well-known/openid-configuration') {
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks.json` }));
      return;
    }
    if (request.url === '/jwks.json') {
      fetches++;
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ keys: [jwk] }));
      return;
    }
    response.statusCode = 404;
    response.end();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no address');
  issuer = `http://127.0.0.1:${address.port}`;
  const audience = 'tributary';
  return {
    issuer,
    audience,
    async token(claims, options = {}) {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ ...claims })
        .setProtectedHeader({ alg: 'RS256', kid: 'test-key' })
        .setIssuer(issuer)
        .setAudience(options.audience ?? audience)
        .setSubject(typeof claims.sub === 'string' ? claims.sub : 'user-1')
        .setIssuedAt(now - 60)
        .setExpirationTime(now + (options.expiresIn ?? 600))
        .sign(options.signWithStrangerKey ? stranger.privateKey : privateKey);
    },
    jwksFetches: () => fetches,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
