import { describe, expect, it } from 'vitest';
import { watchUpstreamAddresses } from './api-upstream-watch.js';

/** A resolver whose answers the test sets: the system's own would need a DNS the test controls. */
function resolver(initial: string[] | Error) {
  let answer = initial;
  const asked: string[] = [];
  return {
    set: (next: string[] | Error) => {
      answer = next;
    },
    asked,
    resolveAll: async (host: string) => {
      asked.push(host);
      if (answer instanceof Error) throw answer;
      return answer;
    },
  };
}

const HOUR = 3_600_000;

/** A watch of `api:3000` that only checks when told to, recording each change it reports. */
function recordingWatch(dns: ReturnType<typeof resolver>) {
  const changes: string[][] = [];
  const watch = watchUpstreamAddresses({
    upstream: 'api:3000',
    everyMs: HOUR,
    resolveAll: dns.resolveAll,
    onChange: async (a) => void changes.push(a),
  });
  return { watch, changes };
}

describe('watchUpstreamAddresses', () => {
  it('calls onChange when the set of addresses changes, not on the first lookup nor on a reordering', async () => {
    const dns = resolver(['10.0.1.5']);
    const { watch, changes } = recordingWatch(dns);
    try {
      await watch.check();
      expect(dns.asked[0]).toBe('api');
      expect(changes).toEqual([]);
      // A start-first update: the new task beside the old one, then the old one gone.
      dns.set(['10.0.1.9', '10.0.1.5']);
      await watch.check();
      dns.set(['10.0.1.5', '10.0.1.9']);
      await watch.check();
      dns.set(['10.0.1.9']);
      await watch.check();
      expect(changes).toEqual([['10.0.1.5', '10.0.1.9'], ['10.0.1.9']]);
    } finally {
      watch.stop();
    }
  });

  it('keeps the last addresses when a lookup fails or finds none', async () => {
    const dns = resolver(['10.0.1.5']);
    const { watch, changes } = recordingWatch(dns);
    try {
      await watch.check();
      dns.set(Object.assign(new Error('getaddrinfo ENOTFOUND api'), { code: 'ENOTFOUND' }));
      await watch.check();
      dns.set([]);
      await watch.check();
      dns.set(['10.0.1.5']);
      await watch.check();
      expect(changes).toEqual([]);
    } finally {
      watch.stop();
    }
  });

  it('reports a failed onChange and tries again at the next change', async () => {
    const dns = resolver(['10.0.1.5']);
    const errors: unknown[] = [];
    let calls = 0;
    const watch = watchUpstreamAddresses({
      upstream: 'api:3000',
      everyMs: HOUR,
      resolveAll: dns.resolveAll,
      onChange: async () => {
        calls++;
        if (calls === 1) throw new Error('nginx refused the reload');
      },
      onError: (e) => errors.push(e),
    });
    try {
      await watch.check();
      dns.set(['10.0.1.6']);
      await watch.check();
      dns.set(['10.0.1.7']);
      await watch.check();
      expect(calls).toBe(2);
      expect((errors[0] as Error).message).toBe('nginx refused the reload');
    } finally {
      watch.stop();
    }
  });

  it('never watches an address', async () => {
    const dns = resolver(['10.0.1.5']);
    for (const upstream of ['127.0.0.1:3000', '[::1]:3000']) {
      const watch = watchUpstreamAddresses({ upstream, everyMs: HOUR, resolveAll: dns.resolveAll, onChange: async () => undefined });
      await watch.check();
      watch.stop();
    }
    expect(dns.asked).toEqual([]);
  });
});
