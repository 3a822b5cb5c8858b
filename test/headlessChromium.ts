/**
 * Debian's Chromium for the browser tests (the explorer end to end, Mermaid rendering), driven
 * by playwright-core. Without it a test skips on a developer's machine but fails in CI, where it
 * must run (`npm test` installs it as root: scripts/system-deps.sh).
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/** Whether the browser tests named `what` skip here; says so on stderr when they do. */
export function skipWithoutChromium(what: string): boolean {
  const skip = !existsSync(CHROMIUM) && !process.env.CI;
  if (skip) console.warn(`${what}: skipped: ${CHROMIUM} not found (apt-get install -y chromium)`);
  return skip;
}

/** Launches Chromium headless with the flags this machine needs; fails plainly when it is missing. */
export function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}
