import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/** The test's image with nftables for SWARM_EGRESS_IMAGE: built here, as no registry is reachable. */
export const TEST_NFT_IMAGE = 'saas-nft:test';

// This machine's nft and the libraries it links (ldd also names the dynamic loader), in an image of its own.
const BUILD = `set -euo pipefail
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
mkdir -p "$work/rootfs/usr/sbin"
cp "$(command -v nft)" "$work/rootfs/usr/sbin/nft"
ldd "$work/rootfs/usr/sbin/nft" | grep -oE '/[^ ]+' | sort -u | while read -r lib; do
  mkdir -p "$work/rootfs$(dirname "$lib")"; cp -L "$lib" "$work/rootfs$lib"
done
printf 'FROM scratch\\nCOPY rootfs /\\nENTRYPOINT ["/usr/sbin/nft"]\\n' > "$work/Dockerfile"
DOCKER_BUILDKIT=0 docker build -q -t "$1" "$work" >/dev/null`;

/**
 * An image holding only this machine's `nft` (Debian's nftables, which the test set-up installs): what an operator's
 * SWARM_EGRESS_IMAGE provides in production. Rebuilt each time (a second or two); the nodes get it from the host.
 */
export async function buildNftImage(tag = TEST_NFT_IMAGE): Promise<string> {
  await exec('bash', ['-c', BUILD, 'build-nft-image', tag], { timeout: 120_000 });
  return tag;
}
