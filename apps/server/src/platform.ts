import type { FastifyBaseLogger } from 'fastify';
import { Redis } from 'ioredis';
import pino from 'pino';
import { AccessTokens } from './auth/access-token.js';
import { AuthService } from './auth/auth.service.js';
import { RateLimits } from './auth/rate-limits.js';
import { TotpService } from './auth/totp.service.js';
import type { Config } from './config/config.js';
import { createDatabase, type Database, type Db } from './db/client.js';
import { REDACTED_PATHS } from './http/logger.js';
import { createQueues, type Queues } from './jobs/queues.js';
import { MailService } from './mail/mail.service.js';
import { TenantsRepository } from './tenants/tenants.repo.js';
import { TenantsService } from './tenants/tenants.service.js';

/** The wired-up platform: connections and services, shared by the API, the worker and the CLI. */
export interface Platform {
  config: Config;
  log: FastifyBaseLogger;
  database: Database;
  db: Db;
  redis: Redis;
  queues: Queues;
  mail: MailService;
  auth: AuthService;
  totp: TotpService;
  tenants: TenantsService;
  tenantsRepo: TenantsRepository;
  close(): Promise<void>;
}

export function createPlatform(config: Config, options: { queuePrefix?: string; log?: FastifyBaseLogger } = {}): Platform {
  const log =
    options.log ?? (pino({ level: config.logLevel, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }) as FastifyBaseLogger);
  const database = createDatabase(config.databaseUrl);
  const db = database.db;
  const redis = new Redis(config.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 2 });
  redis.on('error', (err) => log.warn({ err: err.message }, 'redis connection error'));
  const queues = createQueues(config.redisUrl, options.queuePrefix);
  for (const queue of [queues.mail, queues.maintenance])
    queue.on('error', (err) => log.warn({ err: err.message, queue: queue.name }, 'queue connection error'));
  const mail = new MailService(db, queues, log);
  const totp = new TotpService(db, config.encryptionKey);
  const auth = new AuthService({
    db,
    config,
    tokens: new AccessTokens(config.jwtSecret, config.accessTokenTtlSeconds),
    limits: new RateLimits(redis),
    mail,
    totp,
  });
  return {
    config,
    log,
    database,
    db,
    redis,
    queues,
    mail,
    auth,
    totp,
    tenants: new TenantsService({ db, mail, config }),
    tenantsRepo: new TenantsRepository(db),
    async close() {
      await queues.close();
      redis.disconnect();
      await database.close();
    },
  };
}
