// Reads TAP on stdin with node's tap-parser in strict mode and prints what it
// understood as JSON: the final counts, every test point with its YAML
// diagnostics, and every parse error or line that is not TAP. Run by
// report/consumers_test.go.
import { Parser } from 'tap-parser'

const asserts = []
const problems = []
const p = new Parser({ strict: true }, (final) => {
  for (const f of final.failures) {
    if (f.tapError) problems.push(f.tapError)
  }
  process.stdout.write(JSON.stringify({
    ok: final.ok, count: final.count, pass: final.pass, fail: final.fail,
    plan: { start: final.plan.start, end: final.plan.end },
    asserts, problems,
  }) + '\n')
})
p.on('version', (v) => { if (v !== 13) problems.push(`version ${v}`) })
p.on('assert', (a) => asserts.push({ id: a.id, ok: a.ok, name: a.name, diag: a.diag ?? null }))
p.on('extra', (line) => problems.push(`not TAP: ${JSON.stringify(line)}`))
p.on('bailout', (reason) => problems.push(`bail out: ${reason}`))
process.stdin.pipe(p)
