import { Button, Group, Select, Stack, Text } from '@mantine/core';
import { formatDateTime, formatRelative, notifyError, notifySuccess } from '@saas/ui';
import { type BackupSchedule, useBackUpNow, useSetBackupHour } from './backups.queries';

const AUTOMATIC = 'auto';
const hourLabel = (h: number) => `${String(h).padStart(2, '0')}:00 UTC`;
const HOUR_OPTIONS = [
  { value: AUTOMATIC, label: 'Automatic (spread over the night)' },
  ...Array.from({ length: 24 }, (_, h) => ({ value: String(h), label: hourLabel(h) })),
];

/** "Back up now", with the plan's daily allowance; disabled (with the reason next to it) once it is used up. */
export function BackUpNow({
  instanceId,
  schedule,
  blockedReason,
}: {
  instanceId: string;
  schedule: BackupSchedule;
  /** Why a backup cannot start right now (instance not running or stopped, one already in flight). */
  blockedReason: string | null;
}) {
  const backUp = useBackUpNow(instanceId);
  const { manualPerDay, manualUsedToday } = schedule;
  const usedUp = manualUsedToday >= manualPerDay;
  const reason =
    blockedReason ??
    (usedUp
      ? manualPerDay === 0
        ? 'Your plan includes no manual backups; scheduled backups continue as usual.'
        : 'Today’s manual backups are used up (they reset at midnight UTC); scheduled backups continue as usual.'
      : null);

  return (
    <Stack gap={6}>
      <Group gap="sm" wrap="wrap">
        <Button
          onClick={() =>
            backUp.mutate(undefined, {
              onSuccess: () => notifySuccess('The backup has started; it carries on if you leave the page.'),
              onError: (e) => notifyError(e, 'The backup was not started'),
            })
          }
          loading={backUp.isPending}
          disabled={reason !== null}
          aria-describedby="backup-allowance"
        >
          Back up now
        </Button>
        <Text size="sm" id="backup-allowance">
          {manualUsedToday} of {manualPerDay} manual {manualPerDay === 1 ? 'backup' : 'backups'} used today (uploads count too).
          {reason && (
            <Text span size="sm" c="dimmed" display="block">
              {reason}
            </Text>
          )}
        </Text>
      </Group>
    </Stack>
  );
}

/** The hour of the daily backup: chosen by the tenant, or spread over the night by the platform. */
export function ScheduleControl({ instanceId, schedule, canManage }: { instanceId: string; schedule: BackupSchedule; canManage: boolean }) {
  const setHour = useSetBackupHour(instanceId);
  const { retention } = schedule;
  const next = (
    <Text size="sm" id="backup-next-run">
      Next scheduled backup: <strong>{formatDateTime(schedule.nextAt)}</strong> ({formatRelative(schedule.nextAt)}). Kept: {retention.daily}{' '}
      daily, {retention.weekly} weekly and {retention.monthly} monthly backups.
    </Text>
  );
  if (!canManage) {
    return (
      <Stack gap={4}>
        <Text size="sm">
          Daily backup at {schedule.hour === null ? 'an hour chosen by the platform during the night' : hourLabel(schedule.hour)}.
        </Text>
        {next}
      </Stack>
    );
  }
  return (
    <Stack gap={6}>
      <Select
        label="Daily backup time"
        description="In UTC. Automatic lets the platform pick a quiet hour during the night."
        data={HOUR_OPTIONS}
        value={schedule.hour === null ? AUTOMATIC : String(schedule.hour)}
        allowDeselect={false}
        disabled={setHour.isPending}
        w={300}
        maw="100%"
        aria-describedby="backup-next-run"
        onChange={(value) => {
          const hour = !value || value === AUTOMATIC ? null : Number(value);
          setHour.mutate(hour, {
            onSuccess: (s) => notifySuccess(`Daily backup ${s.hour === null ? 'spread over the night' : `at ${hourLabel(s.hour)}`}.`),
            onError: (e) => notifyError(e, 'The backup time was not changed'),
          });
        }}
      />
      {next}
    </Stack>
  );
}
