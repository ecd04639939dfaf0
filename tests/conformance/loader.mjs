// Offline JSON-LD contexts and a did:web / status-list fetch against the running platform.
import {readFileSync} from 'node:fs';

const here = new URL('.', import.meta.url);
const vendored = name => JSON.parse(readFileSync(new URL(`vendor/${name}`, here), 'utf8'));

// The only contexts a credential may use: VC 2.0 and Open Badges 3.0 (no network, ever).
export const CONTEXTS = new Map([
  ['https://www.w3.org/ns/credentials/v2', vendored('credentials_v2.jsonld')],
  ['https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json', vendored('ob_v3p0_context-3.0.3.json')],
]);

// did:web resolves over https; a platform running on this machine serves plain http.
export function localUrl(url) {
  const parsed = new URL(url);
  if(parsed.protocol === 'https:' && ['127.0.0.1', 'localhost'].includes(parsed.hostname)) {
    parsed.protocol = 'http:';
  }
  return parsed.toString();
}

export async function localFetch(input, init) {
  const url = typeof input === 'string' ? input : input.url;
  return fetch(localUrl(url), init);
}

// Contexts from the vendored copies only; anything else is an error (safe, offline).
export async function contextLoader(url) {
  const document = CONTEXTS.get(url);
  if(!document) {
    throw new Error(`context ${url} is not one of the offline contexts`);
  }
  return {contextUrl: null, documentUrl: url, document};
}
