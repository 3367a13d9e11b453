import type { Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { rateLimited } from '../errors/domain-error.js';

interface Limit {
  points: number;
  durationSeconds: number;
}

/** Limits for the endpoints attackers aim at, each counted per client IP and per account. */
export const AUTH_LIMITS = {
  signup: { ip: { points: 10, durationSeconds: 3600 } },
  login: { ip: { points: 30, durationSeconds: 900 }, account: { points: 20, durationSeconds: 900 } },
  passwordReset: { ip: { points: 10, durationSeconds: 3600 }, account: { points: 5, durationSeconds: 3600 } },
  refresh: { ip: { points: 60, durationSeconds: 60 }, account: { points: 30, durationSeconds: 60 } },
} satisfies Record<string, { ip: Limit; account?: Limit }>;

export type LimitedAction = keyof typeof AUTH_LIMITS;

export class RateLimits {
  private readonly limiters = new Map<string, RateLimiterRedis>();

  constructor(redis: Redis) {
    for (const [action, limits] of Object.entries(AUTH_LIMITS)) {
      for (const [scope, limit] of Object.entries(limits)) {
        this.limiters.set(
          `${action}:${scope}`,
          new RateLimiterRedis({
            storeClient: redis,
            keyPrefix: `rl:${action}:${scope}`,
            points: limit.points,
            duration: limit.durationSeconds,
          }),
        );
      }
    }
  }

  /** Counts one attempt; throws 429 with Retry-After when over the limit. */
  async consume(action: LimitedAction, keys: { ip: string; account?: string }): Promise<void> {
    const scopes: [string, string | undefined][] = [
      ['ip', keys.ip],
      ['account', keys.account?.toLowerCase()],
    ];
    for (const [scope, key] of scopes) {
      const limiter = this.limiters.get(`${action}:${scope}`);
      if (!limiter || !key) continue;
      try {
        await limiter.consume(key);
      } catch (err) {
        if (err instanceof RateLimiterRes) throw rateLimited(err.msBeforeNext / 1000);
        throw err;
      }
    }
  }
}
