// The 1EdTech Open Badges 3.0 AchievementCredential JSON Schema (vendored, draft 2019-09).
import {readFileSync} from 'node:fs';
import {fileURLToPath} from 'node:url';
import Ajv2019 from 'ajv/dist/2019.js';
import addFormats from 'ajv-formats';

const schema = JSON.parse(readFileSync(
  new URL('vendor/ob_v3p0_achievementcredential_schema.json', import.meta.url), 'utf8'));
const ajv = new Ajv2019({allErrors: true, strict: false});
addFormats(ajv);
const validate = ajv.compile(schema);

/** Errors of ``credential`` against the schema, as "<path> <message>" lines. */
export function schemaErrors(credential) {
  if(validate(credential)) {
    return [];
  }
  return validate.errors.map(e => `${e.instancePath || '/'} ${e.message}`);
}

if(process.argv[1] === fileURLToPath(import.meta.url)) {
  let failed = false;
  for(const path of process.argv.slice(2)) {
    const errors = schemaErrors(JSON.parse(readFileSync(path, 'utf8')));
    console.log(`${path}: ${errors.length ? errors.join('; ') : 'valid'}`);
    failed ||= errors.length > 0;
  }
  process.exit(failed ? 1 : 0);
}
