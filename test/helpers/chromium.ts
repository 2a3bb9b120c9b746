/**
 * Debian's Chromium driven by playwright-core, for the tests and the browser benchmark. Never a
 * downloaded browser: `executablePath` is the system one (CHROMIUM_PATH overrides it), and tests
 * skip with `chromiumMissing` where it is absent. Playwright adds `--headless`, `--no-sandbox`
 * (chromiumSandbox: false) and a new empty `--user-data-dir` of its own; the flags below keep
 * Chromium from reaching for the network (this machine has none: it would retry for ever).
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const chromiumMissing: string | false =
  !existsSync(CHROMIUM_PATH) && `no Chromium at ${CHROMIUM_PATH} (Debian's chromium package: apt-get install chromium; CHROMIUM_PATH names another)`;

const OFFLINE_FLAGS = ['--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export function launchChromium(extraFlags: readonly string[] = []): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, chromiumSandbox: false, args: [...OFFLINE_FLAGS, ...extraFlags] });
}

/** Flags for Chromium's fake camera playing a Y4M file in a loop. */
export function fakeCameraFlags(y4mPath: string): string[] {
  return ['--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${y4mPath}`];
}
