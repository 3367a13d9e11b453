import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';

/** Responses without a body. */
export const noContent = z.null().describe('No content');

/** Where a request came from, as sessions and the audit log record it. */
export interface ClientInfo {
  ip: string;
  userAgent: string | null;
}

export const clientInfo = (request: FastifyRequest): ClientInfo => ({
  ip: request.ip,
  userAgent: request.headers['user-agent']?.slice(0, 500) ?? null,
});

export const sendNoContent = (reply: FastifyReply, status: 202 | 204 = 204) => reply.status(status).send();

export const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
});

export const page = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), total: z.number().int() });
