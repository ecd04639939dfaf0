// Digital Bazaar's verifier: @digitalbazaar/vc with the eddsa-jcs-2022 cryptosuite, did:web
// resolved by did-method-web, and the status read with vc-bitstring-status-list.
import {readFileSync} from 'node:fs';
import {fileURLToPath} from 'node:url';
import * as vc from '@digitalbazaar/vc';
import {CachedResolver} from '@digitalbazaar/did-io';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {DidWebDriver} from '@digitalbazaar/did-method-web';
import {createVerifyCryptosuite} from '@digitalbazaar/eddsa-jcs-2022-cryptosuite';
import {checkStatus, decodeList} from '@digitalbazaar/vc-bitstring-status-list';
import {contextLoader, localFetch} from './loader.mjs';

const resolver = new CachedResolver();
resolver.use(new DidWebDriver({fetchOptions: {fetch: localFetch}}));

const MULTIKEY_CONTEXT = 'https://w3id.org/security/multikey/v1';
const DID_CONTEXT = 'https://www.w3.org/ns/did/v1';

async function documentLoader(url) {
  if(url.startsWith('did:')) {
    return {contextUrl: null, documentUrl: url, document: await resolver.get({url})};
  }
  if(url === MULTIKEY_CONTEXT || url === DID_CONTEXT) {
    // eddsa-jcs-2022 never expands these; only their URLs are compared.
    return {contextUrl: null, documentUrl: url, document: {'@context': {}}};
  }
  if(url.startsWith('https://www.w3.org/') || url.startsWith('https://purl.imsglobal.org/')) {
    return contextLoader(url);
  }
  // A status list credential, from the running platform.
  const response = await localFetch(url);
  if(!response.ok) {
    throw new Error(`${url} answered ${response.status}`);
  }
  return {contextUrl: null, documentUrl: url, document: await response.json()};
}

const suite = new DataIntegrityProof({cryptosuite: createVerifyCryptosuite()});

function entriesOf(credential) {
  const status = credential.credentialStatus;
  return status === undefined ? [] : Array.isArray(status) ? status : [status];
}

// The status value of an entry of statusSize bits (statusSize > 1 is read from the
// list the library decoded; its checkStatus reads a single bit).
async function statusValue(entry) {
  const size = entry.statusSize ?? 1;
  const {document: list} = await documentLoader(entry.statusListCredential);
  const bits = await decodeList({encodedList: list.credentialSubject.encodedList});
  const first = parseInt(entry.statusListIndex, 10) * size;
  let value = 0;
  for(let offset = 0; offset < size; offset++) {
    value = (value << 1) | (bits.getStatus(first + offset) ? 1 : 0);
  }
  return value;
}

/** What the status entries say: purpose -> value (and the message for message lists). */
async function readStatuses(credential) {
  // checkStatus verifies each list credential's proof, its issuer and purpose.
  const checked = await checkStatus({credential, documentLoader, suite,
    verifyBitstringStatusListCredential: true, verifyMatchingIssuers: true});
  if(!checked.verified) {
    throw new Error(`status lists not verified: ${checked.error?.message}`);
  }
  const statuses = {};
  for(const entry of entriesOf(credential)) {
    const value = await statusValue(entry);
    const hex = `0x${value.toString(16)}`;
    const message = (entry.statusMessage || []).find(m => m.status === hex)?.message;
    statuses[entry.statusPurpose] = message === undefined ? value : {value: hex, message};
  }
  return statuses;
}

/** Verify ``credential``: {verified, error, status}. */
export async function verifyWithDigitalBazaar(credential) {
  const result = await vc.verifyCredential({
    credential, suite, documentLoader,
    checkStatus: async () => ({verified: true}),
  });
  if(!result.verified) {
    const error = result.error?.errors?.[0] ?? result.error ?? result.results?.[0]?.error;
    return {verified: false, error: `${error?.name}: ${error?.message}`};
  }
  try {
    return {verified: true, status: await readStatuses(credential)};
  } catch(e) {
    return {verified: true, status: null, error: `status: ${e.message}`};
  }
}

if(process.argv[1] === fileURLToPath(import.meta.url)) {
  let failed = false;
  for(const path of process.argv.slice(2)) {
    const outcome = await verifyWithDigitalBazaar(JSON.parse(readFileSync(path, 'utf8')));
    console.log(`${path}: ${JSON.stringify(outcome)}`);
    failed ||= !outcome.verified;
  }
  process.exit(failed ? 1 : 0);
}
