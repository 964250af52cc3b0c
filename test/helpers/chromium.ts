// Debian's Chromium, as every browser test launches it: headless, and kept off the network
// (this machine refuses outside connections, which Chromium would otherwise retry at start).

export const CHROMIUM = '/usr/bin/chromium';

export const CHROMIUM_FLAGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
