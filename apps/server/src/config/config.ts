import { z } from 'zod';

const DEV_SECRET_MARKERS = ['change-me', 'changeme', 'secret', 'dev-secret'];

const duration = (max: number) => z.coerce.number().int().positive().max(max);

/** The environment the API and worker accept. Parsed once at start-up; nothing else reads process.env. */
export const envSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    HOST: z.string().default('127.0.0.1'),
    PORT: z.coerce.number().int().min(1).max(65535).default(3000),
    PUBLIC_URL: z.url().default('http://localhost:8080'),
    ADMIN_URL: z.url().default('http://admin.localhost:8080'),
    DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL'),
    REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must be a redis:// URL'),
    JWT_SECRET: z.string().min(32, 'must be at least 32 characters'),
    ENCRYPTION_KEY: z.string().refine((v) => Buffer.from(v, 'base64').length === 32, 'must be 32 bytes, base64-encoded'),
    ACCESS_TOKEN_TTL_SECONDS: duration(900).default(900),
    REFRESH_TOKEN_TTL_DAYS: duration(90).default(30),
    SMTP_URL: z
      .string()
      .regex(/^smtps?:\/\//, 'must be an smtp:// or smtps:// URL')
      .optional(),
    MAIL_FROM: z.string().default('Odoo Cloud <no-reply@localhost>'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    TRUST_PROXY: z.string().default('127.0.0.1'),
    BODY_LIMIT_BYTES: z.coerce.number().int().positive().default(1_048_576),
    LOGIN_LOCK_THRESHOLD: z.coerce.number().int().positive().default(10),
    LOGIN_LOCK_MINUTES: z.coerce.number().int().positive().default(15),
  })
  .superRefine((env, ctx) => {
    if (env.NODE_ENV !== 'production') return;
    const unsafe = (name: 'JWT_SECRET' | 'ENCRYPTION_KEY', value: string) => {
      const lower = value.toLowerCase();
      if (DEV_SECRET_MARKERS.some((m) => lower.includes(m)) || new Set(value).size < 10) {
        ctx.addIssue({ code: 'custom', path: [name], message: 'looks like a default or weak secret; generate a random one' });
      }
    };
    unsafe('JWT_SECRET', env.JWT_SECRET);
    unsafe('ENCRYPTION_KEY', env.ENCRYPTION_KEY);
    for (const name of ['PUBLIC_URL', 'ADMIN_URL'] as const) {
      if (!env[name].startsWith('https://')) {
        ctx.addIssue({ code: 'custom', path: [name], message: 'must be https:// in production (cookies are Secure only under TLS)' });
      }
    }
    if (!env.SMTP_URL) {
      ctx.addIssue({ code: 'custom', path: ['SMTP_URL'], message: 'is required in production (verification and reset mails)' });
    }
  });

export type Env = z.infer<typeof envSchema>;

export interface Config {
  env: Env['NODE_ENV'];
  production: boolean;
  host: string;
  port: number;
  publicUrl: string;
  adminUrl: string;
  /** The platform's base domain, e.g. `localhost` or `cloud.example.com`. */
  baseDomain: string;
  databaseUrl: string;
  redisUrl: string;
  jwtSecret: string;
  encryptionKey: Buffer;
  accessTokenTtlSeconds: number;
  refreshTokenTtlDays: number;
  smtpUrl: string | undefined;
  mailFrom: string;
  logLevel: Env['LOG_LEVEL'];
  trustProxy: string;
  bodyLimitBytes: number;
  /** Cookies get the Secure flag when the platform is served over TLS. */
  secureCookies: boolean;
  loginLockThreshold: number;
  loginLockMinutes: number;
}

export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export function parseConfig(source: Record<string, string | undefined>): Config {
  // Empty strings in .env mean "unset", so defaults apply.
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  const result = envSchema.safeParse(cleaned);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((i) => `${i.path.join('.') || '(env)'}: ${i.message}`));
  }
  const env = result.data;
  return {
    env: env.NODE_ENV,
    production: env.NODE_ENV === 'production',
    host: env.HOST,
    port: env.PORT,
    publicUrl: env.PUBLIC_URL.replace(/\/$/, ''),
    adminUrl: env.ADMIN_URL.replace(/\/$/, ''),
    baseDomain: new URL(env.PUBLIC_URL).hostname,
    databaseUrl: env.DATABASE_URL,
    redisUrl: env.REDIS_URL,
    jwtSecret: env.JWT_SECRET,
    encryptionKey: Buffer.from(env.ENCRYPTION_KEY, 'base64'),
    accessTokenTtlSeconds: env.ACCESS_TOKEN_TTL_SECONDS,
    refreshTokenTtlDays: env.REFRESH_TOKEN_TTL_DAYS,
    smtpUrl: env.SMTP_URL,
    mailFrom: env.MAIL_FROM,
    logLevel: env.LOG_LEVEL,
    trustProxy: env.TRUST_PROXY,
    bodyLimitBytes: env.BODY_LIMIT_BYTES,
    secureCookies: env.PUBLIC_URL.startsWith('https://'),
    loginLockThreshold: env.LOGIN_LOCK_THRESHOLD,
    loginLockMinutes: env.LOGIN_LOCK_MINUTES,
  };
}

/** Reads `.env` (if present) into the environment, then validates it. */
export async function loadConfig(): Promise<Config> {
  const dotenv = await import('dotenv');
  dotenv.config({ quiet: true });
  return parseConfig(process.env);
}
