import { Badge, Group, Text, Title } from '@mantine/core';

/**
 * PLACEHOLDER — custom domains for an instance (e.g. erp.example.com instead of <slug>.<base>).
 * The API has no custom-domain routes yet; once it does, this component lists the instance's domains,
 * their DNS and certificate status, and adds/removes them. Until then it shows a note only — no data.
 */
export function CustomDomains() {
  return (
    <section aria-labelledby="custom-domains-title">
      <Group gap="xs" mb="xs">
        <Title order={3} size="h4" id="custom-domains-title">
          Custom domains
        </Title>
        <Badge color="gray.7" variant="outline">
          Coming soon
        </Badge>
      </Group>
      <Text size="sm" c="dimmed">
        Soon you will be able to reach this Odoo at your own domain, with a certificate issued automatically.
      </Text>
    </section>
  );
}
