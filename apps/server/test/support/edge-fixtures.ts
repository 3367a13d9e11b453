import type { InstanceRoute } from '../../src/edge/edge-router.js';
import { DEFAULT_LIMITS, type EdgeSettings } from '../../src/edge/edge-settings.js';

/** Edge settings for rendering tests (a platform at cloud.example.com), with overrides. */
export const edgeSettings = (over: Partial<EdgeSettings> = {}): EdgeSettings => ({
  dir: '/srv/edge',
  user: null,
  workerProcesses: 'auto',
  listenAddress: '',
  httpPort: 80,
  httpsPort: null,
  publicHost: 'cloud.example.com',
  adminHost: 'admin.cloud.example.com',
  webRoot: '/srv/app/web',
  adminRoot: '/srv/app/admin',
  apiUpstream: '127.0.0.1:3000',
  resolvers: [],
  limits: DEFAULT_LIMITS,
  backupUploadMaxMb: 64,
  mimeTypesFile: '/etc/nginx/mime.types',
  ...over,
});

/** An active instance route with a subdomain and a custom domain, with overrides. */
export const instanceRoute = (over: Partial<InstanceRoute> = {}): InstanceRoute => ({
  instanceId: '0b6f2a4e-6a43-4c1e-9d2e-0d1f6a1e2b3c',
  slug: 'acme',
  hosts: ['acme.cloud.example.com', 'erp.acme-corp.com'],
  upstream: { http: '127.0.0.1:20010', websocket: '127.0.0.1:20011' },
  state: 'active',
  ...over,
});
