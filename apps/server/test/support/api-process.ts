import { type BuiltProcess, startBuiltProcess } from './worker-process.js';

export type ApiProcess = BuiltProcess & { url: string };

/** The real API as its own process (the build of `npm run build`), listening on 127.0.0.1:`port`. */
export function startApiProcess(port: number, env: Record<string, string>): ApiProcess {
  const child = startBuiltProcess('main-api.js', { ...env, HOST: '127.0.0.1', PORT: String(port) }) as ApiProcess;
  child.url = `http://127.0.0.1:${port}`;
  return child;
}
