// Types of scripts/build-browser.mjs for the TypeScript that imports it (the demo server, the tests).
import type { BuildResult, Message, Plugin } from 'esbuild';

export const ROOT: string;
export const BROWSER_BUNDLE: string;
export const STAGE_WORKER_BUNDLE: string;
export const STAGE_WORKER_ENTRY: string;
export const BROWSER_TWINS: Readonly<Record<string, string>>;
export const noNodeBuiltins: Plugin;
export function bundleForBrowser(options?: { entry?: string; outfile?: string | undefined }): Promise<BuildResult | { errors: Message[]; warnings: Message[] }>;
export function buildBrowser(): Promise<(BuildResult & { ms: number }) | { errors: Message[]; warnings: Message[] }>;
