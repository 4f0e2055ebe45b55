// Access links as the console hands them out: `<origin>/#/redeem/<token>`. The token rides in the
// URL fragment, which browsers never send to a server, and the redeem page clears it on arrival.
import { href } from './router.js';

const TOKEN = /cairn_lnk_[A-Za-z0-9_-]+/;

/** The address to give a link's recipient. */
export function linkAddress(token: string): string {
  return `${location.origin}/${href('redeem', token)}`;
}

/** The token in a pasted link or token, if there is one. */
export function linkToken(text: string): string | undefined {
  return TOKEN.exec(text.trim())?.[0];
}
