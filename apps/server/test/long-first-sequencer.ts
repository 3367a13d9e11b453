import { relative } from 'node:path';
import { BaseSequencer, type TestSequencerConstructor, type TestSpecification } from 'vitest/node';

/**
 * Vitest's order, except that the files named (paths from apps/server) start first, in that order.
 *
 * Without the timings of an earlier run (a fresh machine, CI) vitest starts the largest files first. A file that
 * is short to read but takes minutes (crash tests waiting on real processes) then starts last and runs alone
 * while the other worker has nothing left to do: started first, it overlaps the many short ones.
 */
export function longFirst(files: string[]): TestSequencerConstructor {
  return class LongFirst extends BaseSequencer {
    override async sort(specs: TestSpecification[]): Promise<TestSpecification[]> {
      const sorted = await super.sort(specs);
      const rank = (spec: TestSpecification) => {
        const index = files.indexOf(relative(spec.project.config.root, spec.moduleId));
        return index < 0 ? files.length : index;
      };
      // Array.prototype.sort is stable: the files not named keep vitest's order.
      return sorted.sort((a, b) => rank(a) - rank(b));
    }
  };
}
