import type { RouteState } from './edge-router.js';

/**
 * The platform's own pages that nginx answers with (inlined into the config with `return`, so they
 * need no files and survive anything the upstream does). Static text only: no request data.
 */

export interface StatusPage {
  status: number;
  /** Seconds for Retry-After, when trying again later makes sense. */
  retryAfter: number | null;
  title: string;
  message: string;
}

export const STATUS_PAGES: Record<Exclude<RouteState, 'active'>, StatusPage> = {
  provisioning: {
    status: 503,
    retryAfter: 15,
    title: 'This instance is being prepared',
    message: 'Your Odoo database is being created. This page will work in a minute or two.',
  },
  stopped: {
    status: 503,
    retryAfter: 60,
    title: 'This instance is stopped',
    message: 'Its owner has stopped this Odoo instance. Start it again from the dashboard.',
  },
  failed: {
    status: 503,
    retryAfter: 300,
    title: 'This instance is unavailable',
    message:
      'This Odoo instance could not be started. The platform team has been notified; its owner can see the details in the dashboard.',
  },
  suspended: {
    status: 503,
    retryAfter: 3600,
    title: 'This instance is suspended',
    message: 'This Odoo instance is suspended. Its owner can restore it from the billing page of the dashboard.',
  },
};

/** Answered when an active instance's container does not answer (restarting, crashed): not a bare 502. */
export const UPSTREAM_DOWN_PAGE: StatusPage = {
  status: 503,
  retryAfter: 10,
  title: 'This instance is starting',
  message: 'Odoo is not answering yet, usually because it is restarting. Try again in a few seconds.',
};

export const UNKNOWN_HOST_PAGE: StatusPage = {
  status: 404,
  retryAfter: null,
  title: 'No site here',
  message: 'This address is not served by this platform. Check the address, or the DNS record if this is your own domain.',
};

export const DATABASE_MANAGER_PAGE: StatusPage = {
  status: 404,
  retryAfter: null,
  title: 'Not available',
  message: 'The database manager is not available on hosted instances. Backups and restores are in the dashboard.',
};

export const TOO_MANY_REQUESTS_PAGE: StatusPage = {
  status: 429,
  retryAfter: 30,
  title: 'Too many attempts',
  message: 'Too many requests from your address. Wait a moment and try again.',
};

export function renderStatusHtml(page: StatusPage): string {
  // Single line, no `$`, no single quotes: it is embedded in an nginx string.
  return [
    '<!doctype html><html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${page.title}</title>`,
    '<style>body{font-family:system-ui,sans-serif;background:#f6f7f9;color:#1f2933;display:flex;min-height:100vh;margin:0;align-items:center;justify-content:center}',
    'main{max-width:32rem;padding:2rem;background:#fff;border-radius:12px;box-shadow:0 1px 3px rgba(0,0,0,.1)}',
    'h1{font-size:1.4rem;margin:0 0 .75rem}p{line-height:1.5;margin:0}small{display:block;margin-top:1.5rem;color:#7b8794}</style>',
    `</head><body><main><h1>${page.title}</h1><p>${page.message}</p><small>HTTP ${page.status}</small></main></body></html>`,
  ].join('');
}
