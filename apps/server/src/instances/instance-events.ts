import type { Redis } from 'ioredis';
import type { InstanceRow } from './instances.repo.js';
import type { InstanceDto } from './instances.schemas.js';

/*
 * Live updates. The worker announces on Redis that an instance changed; every API process holds one
 * subscription (InstanceUpdateHub) and, for each client following that instance, reads it again and sends
 * it as the REST routes show it (toInstanceDto). The notice carries no instance data on purpose: there is no
 * second shape to keep in step with the REST view, and nothing from the row (which holds the encrypted
 * initial password) goes through Redis.
 */

export const instanceChannel = (id: string) => `instance-updates:${id}`;

/** Tells the API processes that the instance changed (status, progress, error...). */
export async function publishInstanceUpdate(redis: Redis, instance: Pick<InstanceRow, 'id'>) {
  await redis.publish(instanceChannel(instance.id), instance.id);
}

/**
 * One Redis subscription per API process, fanned out to every open event stream.
 */
export class InstanceUpdateHub {
  private readonly listeners = new Map<string, Set<() => void>>();

  constructor(private readonly subscriber: Redis) {
    subscriber.on('message', (channel: string) => {
      const id = channel.slice('instance-updates:'.length);
      for (const listener of this.listeners.get(id) ?? []) listener();
    });
  }

  async subscribe(id: string, onChange: () => void): Promise<() => Promise<void>> {
    let set = this.listeners.get(id);
    if (!set) {
      set = new Set();
      this.listeners.set(id, set);
      await this.subscriber.subscribe(instanceChannel(id));
    }
    set.add(onChange);
    return async () => {
      set.delete(onChange);
      if (set.size === 0) {
        this.listeners.delete(id);
        await this.subscriber.unsubscribe(instanceChannel(id));
      }
    };
  }
}

/**
 * Follows one instance for one client: `send` gets the instance as it is now, then again after every
 * change, in order. Reads never overlap; changes announced while a read runs are folded into one more
 * read. `read` resolves to null once the instance no longer exists. Returns the function that stops.
 */
export async function followInstance<T = InstanceDto>(
  hub: InstanceUpdateHub,
  id: string,
  read: () => Promise<T | null>,
  send: (value: T | null) => void,
  onError: (err: unknown) => void,
): Promise<() => Promise<void>> {
  let queued = false;
  let reading = Promise.resolve();
  const refresh = () => {
    if (queued) return;
    queued = true;
    reading = reading
      .then(async () => {
        queued = false;
        send(await read());
      })
      .catch(onError);
  };
  const stop = await hub.subscribe(id, refresh);
  // Read after subscribing so a change between the client's request and the subscription is not lost.
  refresh();
  return stop;
}

/** Nothing more will happen without a new request: failed, deleted, or running/stopped as desired. */
export function isSettled(instance: Pick<InstanceDto, 'status' | 'desiredState'>): boolean {
  if (instance.status === 'failed' || instance.status === 'deleted') return true;
  return (instance.status === 'running' || instance.status === 'stopped') && instance.status === instance.desiredState;
}
