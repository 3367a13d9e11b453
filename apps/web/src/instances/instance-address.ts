/**
 * The address an instance will get. The API builds `instance.url` as `<protocol>//<slug>.<host of the
 * web app>`, and this app is served from that host, so the preview can be derived before creation.
 */
export function instanceAddress(slug: string): string {
  return `${window.location.protocol}//${slug}.${window.location.host}`;
}

/** A subdomain suggestion from a display name: lowercase ASCII letters, digits and single hyphens. */
export function suggestSlug(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '');
}

/** The rules the API enforces, shown next to the field (the API's answer stays the authority). */
export const SLUG_HINT = '3–63 characters: lowercase letters, digits and hyphens; no hyphen at the start or end. Some names are reserved.';
