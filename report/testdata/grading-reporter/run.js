// Prints runner results to stdout as autograding-grading-reporter prints them
// to the workflow log, with its own code (src/). The results are read as its
// main.js reads them: for each name in the comma-separated RUNNERS, the
// environment variable NAME_RESULTS holds base64 of the JSON.
const { ConsoleResults } = require('./src/console-results')

const runnerResults = process.env.RUNNERS.split(',').map((runner) => {
  const encoded = process.env[`${runner.trim().toUpperCase()}_RESULTS`]
  const json = Buffer.from(encoded, 'base64').toString('utf-8')
  return { runner: runner.trim(), results: JSON.parse(json) }
})
ConsoleResults(runnerResults)
