import type { Redis } from 'ioredis';
import type { InstanceRow } from './instances.repo.js';

/** What clients following an instance live receive (Server-Sent Events), on every status or progress change. */
export interface InstanceUpdate {
  id: string;
  status: InstanceRow['status'];
  desiredState: InstanceRow['desiredState'];
  progress: InstanceRow['progress'];
  lastError: string | null;
  at: string;
}

export const instanceChannel = (id: string) => `instance-updates:${id}`;

export function toUpdate(instance: InstanceRow): InstanceUpdate {
  return {
    id: instance.id,
    status: instance.status,
    desiredState: instance.desiredState,
    progress: instance.progress,
    lastError: instance.lastError,
    at: new Date().toISOString(),
  };
}

export async function publishInstanceUpdate(redis: Redis, instance: InstanceRow) {
  await redis.publish(instanceChannel(instance.id), JSON.stringify(toUpdate(instance)));
}

/**
 * One Redis subscription per API process, fanned out to every open event stream.
 */
export class InstanceUpdateHub {
  private readonly listeners = new Map<string, Set<(update: InstanceUpdate) => void>>();

  constructor(private readonly subscriber: Redis) {
    subscriber.on('message', (channel: string, message: string) => {
      const id = channel.slice('instance-updates:'.length);
      for (const listener of this.listeners.get(id) ?? []) listener(JSON.parse(message) as InstanceUpdate);
    });
  }

  async subscribe(id: string, listener: (update: InstanceUpdate) => void): Promise<() => Promise<void>> {
    let set = this.listeners.get(id);
    if (!set) {
      set = new Set();
      this.listeners.set(id, set);
      await this.subscriber.subscribe(instanceChannel(id));
    }
    set.add(listener);
    return async () => {
      set.delete(listener);
      if (set.size === 0) {
        this.listeners.delete(id);
        await this.subscriber.unsubscribe(instanceChannel(id));
      }
    };
  }
}

/** Nothing more will happen without a new request: failed, deleted, or running/stopped as desired. */
export function isSettled(update: InstanceUpdate): boolean {
  if (update.status === 'failed' || update.status === 'deleted') return true;
  return (update.status === 'running' || update.status === 'stopped') && update.status === update.desiredState;
}
