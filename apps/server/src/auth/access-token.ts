import { createSigner, createVerifier, TokenError } from 'fast-jwt';
import { unauthenticated } from '../errors/domain-error.js';

const ISSUER = 'odoo-saas';
const AUDIENCE = 'odoo-saas-api';

/**
 * Short-lived HS256 access tokens naming a user and a session (the session is checked per request).
 * fast-jwt verifies with node:crypto synchronously: a WebCrypto verify (jose) cost ~100 µs of every
 * authenticated request, most of it a hop through the thread pool (docs/benchmarks.md).
 */
export class AccessTokens {
  private readonly sign: (payload: { sub: string; sid: string }) => string;
  private readonly check: (token: string) => Record<string, unknown>;

  constructor(
    secret: string,
    private readonly ttlSeconds: number,
  ) {
    this.sign = createSigner({ key: secret, algorithm: 'HS256', iss: ISSUER, aud: AUDIENCE, expiresIn: ttlSeconds * 1000 });
    this.check = createVerifier({
      key: secret,
      algorithms: ['HS256'],
      allowedIss: ISSUER,
      allowedAud: AUDIENCE,
      requiredClaims: ['sub', 'sid', 'exp'],
      // A token seen before skips the HMAC (entries end at the token's expiry); failures are not cached.
      cache: true,
    });
  }

  async issue(userId: string, sessionId: string): Promise<{ accessToken: string; expiresIn: number }> {
    return { accessToken: this.sign({ sub: userId, sid: sessionId }), expiresIn: this.ttlSeconds };
  }

  verify(token: string): { userId: string; sessionId: string } {
    let payload: Record<string, unknown>;
    try {
      payload = this.check(token);
    } catch (err) {
      if (err instanceof TokenError && err.code === TokenError.codes.expired) {
        throw unauthenticated('token_expired', 'The access token has expired.');
      }
      throw unauthenticated('invalid_token', 'The access token is not valid.');
    }
    if (typeof payload.sub !== 'string' || typeof payload.sid !== 'string') {
      throw unauthenticated('invalid_token', 'The access token is not valid.');
    }
    return { userId: payload.sub, sessionId: payload.sid };
  }
}
