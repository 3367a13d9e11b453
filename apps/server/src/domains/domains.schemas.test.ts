import { describe, expect, it } from 'vitest';
import { domainProblem } from './domains.schemas.js';

const config = {
  baseDomain: 'cloud.example.com',
  instanceDomain: 'odoo-customers.example.net',
  publicUrl: 'https://cloud.example.com',
  adminUrl: 'https://admin.cloud.example.com',
};

describe('custom domain names', () => {
  it("refuses names under the platform's domain and under the instances' own domain", () => {
    // Another tenant's instance already answers at `<slug>.<instance domain>`: claiming it would take its traffic.
    expect(domainProblem('shop.odoo-customers.example.net', config)?.code).toBe('reserved_domain');
    expect(domainProblem('odoo-customers.example.net', config)?.code).toBe('reserved_domain');
    expect(domainProblem('x.cloud.example.com', config)?.code).toBe('reserved_domain');
    expect(domainProblem('erp.example.org', config)).toBeNull();
  });
});
