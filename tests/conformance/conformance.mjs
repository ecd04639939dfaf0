// All three independent checks over credentials in JSON files; one JSON report per file.
// Usage: node conformance.mjs credential.json...   (prints a JSON array)
import {readFileSync} from 'node:fs';
import {schemaErrors} from './schema.mjs';
import {undefinedTerms} from './jsonld-safe.mjs';
import {verifyWithDigitalBazaar} from './verify.mjs';

const reports = [];
for(const path of process.argv.slice(2)) {
  const credential = JSON.parse(readFileSync(path, 'utf8'));
  reports.push({
    file: path,
    schema: schemaErrors(credential),
    jsonldUndefinedTerms: await undefinedTerms(credential),
    digitalBazaar: await verifyWithDigitalBazaar(credential),
  });
}
console.log(JSON.stringify(reports, null, 2));
