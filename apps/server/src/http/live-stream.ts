import type { FastifyReply, FastifyRequest } from 'fastify';
import { followInstance, type InstanceUpdateHub } from '../instances/instance-events.js';

/**
 * Serves one instance's live view as Server-Sent Events: `read()` now, then again after every change the
 * worker announces (instance-events.ts), each as `event: <event>` with the value as JSON data. Ends when the
 * value is gone (null), when `settled` says nothing more will happen, when the client leaves, or after 15 minutes.
 */
export async function serveLiveStream<T>(
  request: FastifyRequest,
  reply: FastifyReply,
  options: { hub: InstanceUpdateHub; instanceId: string; event: string; read: () => Promise<T | null>; settled: (value: T) => boolean },
): Promise<void> {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    'x-accel-buffering': 'no',
    'x-request-id': request.id,
  });
  let closed = false;
  let unsubscribe: (() => Promise<void>) | undefined;
  const timers: NodeJS.Timeout[] = [];
  const finish = async () => {
    if (closed) return;
    closed = true;
    for (const timer of timers) clearTimeout(timer);
    // Redis may be away (a restart): the subscription goes with the connection anyway.
    await unsubscribe?.().catch((err: Error) => request.log.warn({ err: err.message }, 'live stream: unsubscribe failed'));
    res.end();
  };
  res.on('close', () => void finish());
  const send = (value: T | null) => {
    if (closed) return;
    if (value === null) return void finish();
    res.write(`event: ${options.event}\ndata: ${JSON.stringify(value)}\n\n`);
    // Nothing more to follow; clients reconnect for the next operation.
    if (options.settled(value)) void finish();
  };
  const stop = await followInstance(options.hub, options.instanceId, options.read, send, (err) => {
    request.log.warn({ err }, 'live stream: reading failed');
    void finish();
  });
  unsubscribe = stop;
  if (closed) return stop();
  timers.push(setInterval(() => !closed && res.write(': keep-alive\n\n'), 15_000));
  timers.push(setTimeout(() => void finish(), 15 * 60_000));
}
