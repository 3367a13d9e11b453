import { Box, Code, Divider, Stack, Text } from '@mantine/core';
import { CopyValueButton } from './copy-button';
import type { DnsRecord } from './domains.queries';
import { withWrapPoints } from './wrap-points';

function RecordRow({ label, value, copyLabel }: { label: string; value: string; copyLabel?: string }) {
  return (
    <>
      <Text size="sm" c="dimmed" component="dt">
        {label}
      </Text>
      <Box component="dd" m={0} miw={0}>
        <Code fz="sm" style={{ overflowWrap: 'anywhere', whiteSpace: 'normal' }}>
          {withWrapPoints(value)}
        </Code>
      </Box>
      <Box component="dd" m={0}>
        {copyLabel && <CopyValueButton value={value} label={copyLabel} />}
      </Box>
    </>
  );
}

/** How DNS providers that append the zone usually want the name: `erp` for erp.example.com, `@` for example.com. */
const shortName = (domain: string) => {
  const labels = domain.split('.');
  return labels.length > 2 ? labels.slice(0, -2).join('.') : '@';
};

/** The records the API offers, exactly as it gives them (type, name, value), each with when to use it. */
export function DnsRecords({ records, domain }: { records: DnsRecord[]; domain: string }) {
  return (
    <Stack gap="xs">
      <Text size="sm" fw={600}>
        {records.length > 1 ? 'Create one of these records at your DNS provider' : 'Create this record at your DNS provider'}
      </Text>
      {records.map((r, i) => (
        <Box key={`${r.type}-${r.name}-${r.value}`}>
          {i > 0 && <Divider my={6} />}
          <Text size="xs" c="dimmed" mb={2}>
            {r.use.charAt(0).toUpperCase() + r.use.slice(1)}:
          </Text>
          <Box
            component="dl"
            m={0}
            style={{
              display: 'grid',
              gridTemplateColumns: 'auto minmax(0, max-content) auto',
              justifyContent: 'start',
              columnGap: 10,
              rowGap: 2,
              alignItems: 'center',
            }}
          >
            <RecordRow label="Type" value={r.type} />
            <RecordRow label="Name" value={r.name} copyLabel={`Copy the ${r.type} record’s name`} />
            <RecordRow label="Value" value={r.value} copyLabel={`Copy the ${r.type} record’s value`} />
          </Box>
        </Box>
      ))}
      <Text size="xs" c="dimmed">
        If your DNS provider adds the zone to names itself, enter only the part before it (e.g. <Code fz="xs">{shortName(domain)}</Code>
        {shortName(domain) === '@' ? ' for the zone itself' : ''}).
      </Text>
    </Stack>
  );
}
