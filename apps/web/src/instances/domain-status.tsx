import { Badge, Code, Loader } from '@mantine/core';
import type { ReactNode } from 'react';
import type { DomainStatus } from './domains.queries';

const STATUS: Record<DomainStatus, { label: string; color: string; busy: boolean }> = {
  pending_dns: { label: 'Pending DNS', color: 'orange', busy: false },
  verifying: { label: 'Verifying', color: 'blue', busy: true },
  issuing: { label: 'Issuing certificate', color: 'blue', busy: true },
  active: { label: 'Active', color: 'teal', busy: false },
  failed: { label: 'Failed', color: 'red', busy: false },
};

export const domainStatusLabel = (status: DomainStatus) => STATUS[status].label;

export function DomainStatusBadge({ status }: { status: DomainStatus }) {
  const s = STATUS[status];
  // Same shades as the instance badge: text contrast above 4.5:1 (white on .9 filled, .9 on light).
  const quiet = s.busy || status === 'pending_dns';
  return (
    <Badge
      color={quiet ? s.color : `${s.color}.9`}
      c={quiet ? `${s.color}.9` : undefined}
      variant={quiet ? 'light' : 'filled'}
      leftSection={s.busy ? <Loader size={10} color={`${s.color}.9`} aria-hidden /> : undefined}
      styles={{ root: { textTransform: 'none' } }}
    >
      {s.label}
    </Badge>
  );
}

export interface DomainFailure {
  /** Which part failed: the platform's own HTTP check, or the certificate authority. */
  stage: 'check' | 'certificate';
  /** The ACME problem type the CA named, e.g. `urn:ietf:params:acme:error:caa`. */
  acmeType: string | null;
  /** What to check, most likely first. */
  hints: ReactNode[];
}

// The worker ends a CA refusal with "(urn:ietf:params:acme:error:<type>)" (edge/acme.ts).
const ACME_TYPE = /\((urn:ietf:params:acme:error:[A-Za-z]+)\)\s*$/;

const ACME_HINTS: Record<string, ReactNode> = {
  caa: (
    <>
      A CAA record on your domain (or its parent) does not allow the platform’s certificate authority. Add one that does — for Let’s
      Encrypt: <Code>0 issue "letsencrypt.org"</Code> — or remove the CAA records.
    </>
  ),
  dns: 'The certificate authority could not look up your domain. Check that the record exists at your DNS provider and has propagated.',
  connection:
    'The certificate authority could not connect to your domain on port 80. Make sure no firewall blocks port 80 and that any AAAA (IPv6) record points at the platform too.',
  unauthorized:
    'The certificate authority reached a server that is not this platform. Check that the record (and any AAAA record) points at the platform and that no proxy or CDN sits in front.',
  incorrectResponse:
    'The certificate authority reached a server that is not this platform. Check that the record (and any AAAA record) points at the platform and that no proxy or CDN sits in front.',
  rateLimited: 'The certificate authority’s rate limit was reached for this name. Wait an hour, then verify again.',
  rejectedIdentifier: 'The certificate authority does not issue certificates for this name.',
  serverInternal: 'The certificate authority had a problem of its own. Verify again in a few minutes.',
};

/** Reads the worker's `lastError` for what to show next to it. The text itself is always shown as it is. */
export function describeFailure(lastError: string): DomainFailure {
  const acmeType = ACME_TYPE.exec(lastError)?.[1] ?? null;
  const certificate = acmeType !== null || lastError.startsWith('The certificate authority');
  const hints: ReactNode[] = [];
  if (certificate) {
    const short = acmeType?.split(':').at(-1) ?? '';
    hints.push(ACME_HINTS[short] ?? 'Read the certificate authority’s message above; once the cause is fixed, verify again.');
  } else if (/has no A or AAAA record|could not be resolved/.test(lastError)) {
    hints.push(
      'The DNS record is not visible yet. Create it exactly as shown below; DNS changes can take minutes (sometimes hours) to spread.',
    );
  } else if (/resolves to .*: it must point at this platform/.test(lastError)) {
    hints.push('The name points at a private or reserved address. Point it at the platform with the record shown below.');
  } else if (/failed: .*(ECONNREFUSED|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|timed? ?out|abort)/i.test(lastError)) {
    hints.push(
      'Nothing answered on port 80 at that address. Check that the record points at the platform and that no firewall blocks port 80.',
    );
  } else if (/answered/.test(lastError)) {
    hints.push(
      'Another server answered. The record points elsewhere, or a proxy or CDN sits in front: point the name directly at the platform.',
    );
  }
  hints.push('No other A or AAAA records on the name point somewhere else (an old IPv6 address is a common cause).');
  return { stage: certificate ? 'certificate' : 'check', acmeType, hints };
}
