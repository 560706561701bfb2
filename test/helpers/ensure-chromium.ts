/**
 * `npm test` sets up what it needs: the operator page's browser test drives Debian's Chromium
 * (a registry package; nothing is downloaded by a test tool). Installs it with apt when it is
 * missing and we may; otherwise says how, and the browser test names the same command.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';

export const CHROMIUM_PATH = '/usr/bin/chromium';
export const CHROMIUM_INSTALL = 'apt-get update && apt-get install -y chromium';

function main(): void {
  if (fs.existsSync(CHROMIUM_PATH)) return;
  const isRoot = process.getuid?.() === 0;
  const hasApt = spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
  if (!isRoot || !hasApt) {
    console.error(`Chromium is missing for the browser test: install it with \`${CHROMIUM_INSTALL}\` (as root).`);
    return;
  }
  console.error(`Installing Chromium from Debian's packages for the browser test (${CHROMIUM_INSTALL})…`);
  const result = spawnSync('sh', ['-c', `${CHROMIUM_INSTALL.replace('install -y', 'install -y -qq')} > /dev/null`], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (result.status !== 0) console.error('Installing Chromium failed; the browser test will say so.');
}

if (require.main === module) main();
