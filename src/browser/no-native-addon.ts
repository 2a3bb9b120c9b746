/** The browser bundle's twin of src/kernels/native/native-addon.ts: a page has no Node-API, so frames convert in JavaScript. */
export function loadNativeAddon(): { error: string } {
  return { error: 'no native kernels in a browser' };
}
