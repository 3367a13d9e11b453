/** The alert rules (docs/monitoring.md). Names are a contract: the dashboard and tests refer to them. */
export const ALERT_NAMES = [
  'WorkerDown',
  'QueueBackingUp',
  'DiskAlmostFull',
  'CertificateExpiring',
  'ProvisioningFailing',
  'InstanceCrashLooping',
] as const;
export type AlertName = (typeof ALERT_NAMES)[number];

/** How long each condition must hold before the alert fires (production values; tests shorten them). */
export const DEFAULT_RULE_FOR: Record<AlertName, string> = {
  WorkerDown: '1m',
  QueueBackingUp: '10m',
  DiskAlmostFull: '10m',
  CertificateExpiring: '1h',
  ProvisioningFailing: '5m',
  InstanceCrashLooping: '5m',
};

export interface AlertRuleOptions {
  /** One duration for every rule, or per rule; unset rules keep DEFAULT_RULE_FOR. */
  ruleFor?: string | Partial<Record<AlertName, string>>;
  /** Jobs waiting in one queue above which QueueBackingUp fires. */
  queueWaitingThreshold?: number;
}

interface Rule {
  alert: AlertName;
  expr: string;
  severity: 'critical' | 'warning';
  summary: string;
  description: string;
}

// Pseudo and container file systems are not the host's disks.
const realFs = 'fstype!~"tmpfs|devtmpfs|overlay|squashfs|ramfs|nsfs|fuse.*",mountpoint!~"/run.*|/var/lib/docker/.+|/snap/.+"';

function rules(queueThreshold: number): Rule[] {
  return [
    {
      alert: 'WorkerDown',
      // Per target that stops answering; and, when no worker target is up at all (none configured,
      // or all gone), one alert without an instance: `or on()` adds it only when the left side is empty.
      expr: 'up{job="worker"} == 0 or on() absent(up{job="worker"} == 1)',
      severity: 'critical',
      summary: 'Worker {{ with $labels.instance }}{{ . }} {{ end }}is down',
      description:
        'Prometheus cannot scrape the worker. Provisioning, backups, mail and the reconciler stop until a worker runs again (check supervisord: worker).',
    },
    {
      alert: 'QueueBackingUp',
      // Every API process reports the same count (from Redis): max, never sum, over them.
      expr: `max by (queue) (saas_queue_jobs{state="waiting"}) > ${queueThreshold}`,
      severity: 'warning',
      summary: 'Queue {{ $labels.queue }} has {{ $value }} waiting jobs',
      description: `More than ${queueThreshold} jobs have been waiting in the queue: the workers are not keeping up, or are stuck.`,
    },
    {
      alert: 'DiskAlmostFull',
      expr: `1 - node_filesystem_avail_bytes{${realFs}} / node_filesystem_size_bytes{${realFs}} > 0.85`,
      severity: 'warning',
      summary: 'Disk {{ $labels.mountpoint }} is {{ $value | humanizePercentage }} full',
      description: 'More than 85% of the file system is used. Instances, databases and backups fail when it fills up.',
    },
    {
      alert: 'CertificateExpiring',
      // One alert per domain, however many API processes report it.
      expr: 'min by (domain) (saas_certificate_expiry_timestamp_seconds) - time() < 14 * 86400',
      severity: 'warning',
      summary: 'Certificate for {{ $labels.domain }} expires in {{ $value | humanizeDuration }}',
      description:
        'Renewal runs 30 days before expiry; a certificate this close to expiring means renewal keeps failing (System page, Certificates).',
    },
    {
      alert: 'ProvisioningFailing',
      expr:
        'sum(increase(saas_provisioning_total{result="failure"}[30m])) / clamp_min(sum(increase(saas_provisioning_total[30m])), 1) > 0.25' +
        ' and sum(increase(saas_provisioning_total{result="failure"}[30m])) >= 2',
      severity: 'critical',
      summary: 'Provisioning fails: {{ $value | humanizePercentage }} of the last 30 minutes',
      description:
        'More than a quarter of new instances failed to provision in 30 minutes (Instances page, failed; the worker log says why).',
    },
    {
      alert: 'InstanceCrashLooping',
      // The restart count is a gauge of the container's RestartCount; recreating the container resets it.
      expr: 'delta(saas_instance_restarts[15m]) >= 3',
      severity: 'warning',
      summary: 'Instance {{ $labels.slug }} restarted {{ $value }} times in 15 minutes',
      description: 'The instance container keeps restarting: look at its logs in the admin dashboard.',
    },
  ];
}

/** The rules file's content as an object (rendered to YAML by monitoring-config.ts). */
export function alertRules(options: AlertRuleOptions = {}) {
  const forOf = (name: AlertName) =>
    typeof options.ruleFor === 'string' ? options.ruleFor : (options.ruleFor?.[name] ?? DEFAULT_RULE_FOR[name]);
  return {
    groups: [
      {
        name: 'saas-platform',
        rules: rules(options.queueWaitingThreshold ?? 100).map((rule) => ({
          alert: rule.alert,
          expr: rule.expr,
          for: forOf(rule.alert),
          labels: { severity: rule.severity },
          annotations: { summary: rule.summary, description: rule.description },
        })),
      },
    ],
  };
}
