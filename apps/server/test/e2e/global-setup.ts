import { removeDeadBrowserNamespaces } from './browser-netns.js';

/** The browser suite's own set-up: the network namespaces of its browsers are gone before and after the run. */
export default async function setup() {
  await removeDeadBrowserNamespaces();
  return () => removeDeadBrowserNamespaces(15_000);
}
