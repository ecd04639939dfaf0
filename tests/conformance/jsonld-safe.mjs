// jsonld.js expansion in safe mode: any term the contexts do not define is an error.
import {readFileSync} from 'node:fs';
import {fileURLToPath} from 'node:url';
import jsonld from 'jsonld';
import {contextLoader} from './loader.mjs';

/** The problems safe-mode expansion reports for ``document`` (empty when it expands cleanly). */
export async function safeModeErrors(document) {
  try {
    await jsonld.expand(document, {documentLoader: contextLoader, safe: true});
    return [];
  } catch(e) {
    const details = e.details?.event?.details;
    const term = details?.term ?? details?.property;
    return [term ? `${e.message} (${term})` : `${e.name}: ${e.message}`];
  }
}

/** Every undefined term (safe mode stops at the first, so drop it and expand again). */
export async function undefinedTerms(document) {
  const terms = [];
  let copy = structuredClone(document);
  for(let round = 0; round < 50; round++) {
    let found = null;
    try {
      await jsonld.expand(copy, {documentLoader: contextLoader, safe: true});
    } catch(e) {
      found = e.details?.event?.details?.property ?? e.details?.event?.details?.term;
      if(!found) {
        terms.push(`${e.name}: ${e.message}`);
        break;
      }
    }
    if(!found) {
      break;
    }
    terms.push(found);
    copy = dropKey(copy, found);
  }
  return terms;
}

function dropKey(node, key) {
  if(Array.isArray(node)) {
    return node.map(item => dropKey(item, key));
  }
  if(node && typeof node === 'object') {
    return Object.fromEntries(Object.entries(node)
      .filter(([k]) => k !== key || k === '@context')
      .map(([k, v]) => [k, k === '@context' ? v : dropKey(v, key)]));
  }
  return node;
}

if(process.argv[1] === fileURLToPath(import.meta.url)) {
  let failed = false;
  for(const path of process.argv.slice(2)) {
    const terms = await undefinedTerms(JSON.parse(readFileSync(path, 'utf8')));
    console.log(`${path}: ${terms.length ? 'undefined terms: ' + terms.join(', ') : 'expands in safe mode'}`);
    failed ||= terms.length > 0;
  }
  process.exit(failed ? 1 : 0);
}
