import { Box } from '@mantine/core';

export interface SparklinePoint {
  t: number;
  v: number | null;
}

/**
 * A small line chart over time, in plain SVG (a charting library for four lines isn't worth its weight).
 * `max` fixes the top of the scale (e.g. the memory limit or 100 %); otherwise the largest value.
 */
export function Sparkline({
  points,
  max,
  label,
  color = 'var(--mantine-primary-color-filled)',
  height = 56,
  windowMs,
}: {
  points: SparklinePoint[];
  max?: number | null;
  label: string;
  color?: string;
  height?: number;
  /** Fixed time span ending at the newest point, so the line grows in from the right. */
  windowMs?: number;
}) {
  const width = 300;
  const values = points.filter((p): p is { t: number; v: number } => p.v !== null);
  const top = Math.max(max ?? 0, ...values.map((p) => p.v), 1e-9);
  const t1 = points[points.length - 1]?.t ?? 1;
  const t0 = windowMs ? t1 - windowMs : (points[0]?.t ?? 0);
  const span = Math.max(t1 - t0, 1);
  const x = (t: number) => ((t - t0) / span) * width;
  const y = (v: number) => height - 2 - (v / top) * (height - 4);
  const line = values.map((p, i) => `${i === 0 ? 'M' : 'L'}${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join(' ');
  const first = values[0];
  const last = values[values.length - 1];
  const area = first && last ? `${line} L${x(last.t).toFixed(1)},${height} L${x(first.t).toFixed(1)},${height} Z` : '';

  return (
    <Box component="figure" m={0}>
      <svg
        viewBox={`0 0 ${width} ${height}`}
        preserveAspectRatio="none"
        width="100%"
        height={height}
        role="img"
        aria-label={label}
        style={{ display: 'block' }}
      >
        <title>{label}</title>
        <line x1="0" x2={width} y1={height - 1} y2={height - 1} stroke="var(--mantine-color-gray-3)" strokeWidth="1" />
        {values.length > 1 && (
          <>
            <path d={area} fill={color} opacity={0.12} />
            <path d={line} fill="none" stroke={color} strokeWidth="2" vectorEffect="non-scaling-stroke" />
          </>
        )}
        {values.length === 1 && last && <circle cx={width - 3} cy={y(last.v)} r="3" fill={color} />}
      </svg>
    </Box>
  );
}
