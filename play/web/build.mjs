// Builds the page's script and style into one file each, minified:
//   node play/web/build.mjs [OUTDIR]     (default play/assets; npm run build:play)
// The bundle is committed, so that go build needs no npm; play's tests
// rebuild it into a temporary folder and fail when the committed one is stale.
import * as esbuild from 'esbuild';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const outdir = process.argv[2] ? path.resolve(process.argv[2]) : path.join(here, '..', 'assets');

await esbuild.build({
  entryPoints: { play: path.join(here, 'src', 'main.js') },
  outdir,
  bundle: true,
  minify: true,
  format: 'iife',
  target: ['es2020'],
  charset: 'utf8',
  legalComments: 'eof',
  logLevel: 'warning',
});
