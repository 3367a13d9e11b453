import type { Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { locked, rateLimited } from '../errors/domain-error.js';

interface Limit {
  points: number;
  durationSeconds: number;
}

/**
 * Limits for the endpoints attackers aim at, counted per client IP and per address. The address key is
 * the typed email whether or not an account has it, so a limit never tells which addresses exist.
 * Login has no account-wide limit on purpose: anyone could spend it to lock the owner out (see `LoginLocks`).
 */
export const AUTH_LIMITS = {
  signup: { ip: { points: 10, durationSeconds: 3600 }, account: { points: 5, durationSeconds: 3600 } },
  login: { ip: { points: 30, durationSeconds: 900 } },
  passwordReset: { ip: { points: 10, durationSeconds: 3600 }, account: { points: 5, durationSeconds: 3600 } },
  resendVerification: { ip: { points: 10, durationSeconds: 3600 }, account: { points: 3, durationSeconds: 3600 } },
  refresh: { ip: { points: 60, durationSeconds: 60 }, account: { points: 30, durationSeconds: 60 } },
} satisfies Record<string, { ip: Limit; account?: Limit }>;

export type LimitedAction = keyof typeof AUTH_LIMITS;

export interface LoginLockSettings {
  loginLockThreshold: number;
  loginLockMinutes: number;
  /**
   * The platform's Redis namespace (its queues' prefix): the counters live under it, so platforms that
   * share a Redis (test stacks side by side) never count each other's requests.
   */
  queuePrefix: string;
}

export class RateLimits {
  private readonly limiters = new Map<string, RateLimiterRedis>();
  readonly loginLocks: LoginLocks;

  constructor(redis: Redis, lockSettings: LoginLockSettings) {
    for (const [action, limits] of Object.entries(AUTH_LIMITS)) {
      for (const [scope, limit] of Object.entries(limits)) {
        this.limiters.set(
          `${action}:${scope}`,
          new RateLimiterRedis({
            storeClient: redis,
            keyPrefix: `${lockSettings.queuePrefix}:rl:${action}:${scope}`,
            points: limit.points,
            duration: limit.durationSeconds,
          }),
        );
      }
    }
    this.loginLocks = new LoginLocks(redis, lockSettings);
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

/**
 * Failed logins counted per source and address together: after the threshold, that source (IP) is locked
 * out of that address for a while. The owner logging in from elsewhere is unaffected, so a lock cannot be
 * used to deny them service, and unknown addresses are counted and locked exactly like known ones.
 */
export class LoginLocks {
  private readonly failures: RateLimiterRedis;
  private readonly notices: RateLimiterRedis;

  constructor(
    redis: Redis,
    private readonly settings: LoginLockSettings,
  ) {
    this.failures = new RateLimiterRedis({
      storeClient: redis,
      keyPrefix: `${settings.queuePrefix}:rl:login-fail`,
      points: settings.loginLockThreshold,
      duration: settings.loginLockMinutes * 60,
    });
    this.notices = new RateLimiterRedis({
      storeClient: redis,
      keyPrefix: `${settings.queuePrefix}:rl:login-lock-mail`,
      points: 1,
      duration: settings.loginLockMinutes * 60,
    });
  }

  private key(ip: string, email: string) {
    return `${ip}|${email.toLowerCase()}`;
  }

  /** Throws 423 `account_locked` with Retry-After while this source is locked out of this address. */
  async assertOpen(ip: string, email: string): Promise<void> {
    const state = await this.failures.get(this.key(ip, email));
    if (state && state.consumedPoints >= this.settings.loginLockThreshold) {
      throw locked(
        'account_locked',
        'Too many failed attempts from here: logging in to this account is paused for a while. Check your email.',
        Math.max(1, state.msBeforeNext / 1000),
      );
    }
  }

  /** Counts a failure; returns true when this one locked the source out (the lock then lasts the full time). */
  async recordFailure(ip: string, email: string): Promise<boolean> {
    const key = this.key(ip, email);
    const state = await this.failures.penalty(key, 1);
    if (state.consumedPoints !== this.settings.loginLockThreshold) return false;
    await this.failures.block(key, this.settings.loginLockMinutes * 60);
    return true;
  }

  /** At most one "your account was locked" mail per address and lock period, however many sources get locked. */
  async claimNotice(email: string): Promise<boolean> {
    try {
      await this.notices.consume(email.toLowerCase());
      return true;
    } catch (err) {
      if (err instanceof RateLimiterRes) return false;
      throw err;
    }
  }

  async clear(ip: string, email: string): Promise<void> {
    await this.failures.delete(this.key(ip, email));
  }
}
