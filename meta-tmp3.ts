import { build } from 'esbuild';
import { bundleAliases, BUNDLING } from './infra/constructs/vault-function.js';
const name = process.argv[2]; const pat = process.argv[3];
const r = await build({ bundle: true, platform: 'node', target: 'node22', format: 'esm', outfile: `/tmp/meta-x.mjs`, minify: true, mainFields: BUNDLING.mainFields, alias: bundleAliases(), metafile: true, logLevel: 'silent', entryPoints: [`functions/${name}/index.ts`] });
const out = Object.values(r.metafile.outputs)[0];
for (const [f, v] of Object.entries(out.inputs).filter(([f]) => f.includes(pat)).sort((a, b) => b[1].bytesInOutput - a[1].bytesInOutput).slice(0, 40)) console.log(String(v.bytesInOutput).padStart(8), f);
