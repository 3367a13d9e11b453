import { Stepper } from '@mantine/core';

const STEPS = ['Details', 'Setting up', 'Ready'] as const;

/** Where the user is in "create your Odoo": details → setting up → ready. */
export function OnboardingSteps({ active }: { active: 0 | 1 | 2 | 3 }) {
  return (
    <Stepper
      active={active}
      size="sm"
      allowNextStepsSelect={false}
      aria-label={`Step ${Math.min(active + 1, 3)} of 3: ${STEPS[Math.min(active, 2)]}`}
      styles={{ stepBody: { marginInlineStart: 6 }, separator: { marginInline: 6 } }}
    >
      {STEPS.map((label) => (
        <Stepper.Step key={label} label={label} />
      ))}
    </Stepper>
  );
}
