import type Docker from 'dockerode';
import { RuntimeError } from '../instance-runtime.js';
import { engineStatus } from './docker-errors.js';

const DEFAULT_PULL_TIMEOUT_MS = 10 * 60_000;

export async function ensureImage(
  docker: Docker,
  image: string,
  options: { pull: boolean; timeoutMs?: number },
): Promise<'present' | 'pulled'> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_PULL_TIMEOUT_MS;
  try {
    await docker.getImage(image).inspect();
    return 'present';
  } catch (err) {
    if (engineStatus(err) !== 404) throw new RuntimeError('ensureImage', image, err instanceof Error ? err.message : String(err));
  }
  if (!options.pull) {
    throw new RuntimeError('ensureImage', image, 'the image is not on this engine (pulling is turned off: IMAGE_PULL=false)', {
      statusCode: 404,
    });
  }
  try {
    const stream = await docker.pull(image);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`pull did not finish within ${Math.round(timeoutMs / 1000)} s`)), timeoutMs);
      docker.modem.followProgress(stream, (error: Error | null) => {
        clearTimeout(timer);
        if (error) reject(error);
        else resolve();
      });
    });
    return 'pulled';
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new RuntimeError('ensureImage', image, `the image is not on this engine and could not be pulled: ${reason}`, {
      statusCode: engineStatus(err) ?? 404,
    });
  }
}
