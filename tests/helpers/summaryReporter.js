// A plain summary at the end of `npm test`: how many tests, by kind, passed and failed, and the
// slowest files (where the suite's time goes: issue 18 §6).
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const byKind = {}
    for (const file of results.testResults) {
      const kind = (file.testFilePath.match(/tests\/(\w+)\//) || [])[1] || 'autres'
      byKind[kind] ??= { passed: 0, failed: 0 }
      byKind[kind].passed += file.numPassingTests
      byKind[kind].failed += file.numFailingTests
    }
    const lines = Object.entries(byKind).map(([k, v]) => `  ${k.padEnd(12)} ${String(v.passed).padStart(4)} réussis, ${v.failed} en échec`)
    const ok = results.numFailedTests === 0 && results.numRuntimeErrorTestSuites === 0
    const slowest = results.testResults
      .map((f) => ({ file: f.testFilePath.replace(/^.*?tests\//, 'tests/'), s: (f.perfStats.end - f.perfStats.start) / 1000 }))
      .sort((a, b) => b.s - a.s)
      .slice(0, 10)
      .map((f) => `  ${f.s.toFixed(1).padStart(6)} s  ${f.file}`)
    const total = results.testResults.reduce((sum, f) => sum + (f.perfStats.end - f.perfStats.start) / 1000, 0)
    process.stdout.write(
      `\nFichiers les plus longs (somme de tous : ${total.toFixed(0)} s)\n${slowest.join('\n')}\n` +
        `\nRésumé des tests\n${lines.join('\n')}\n  ${ok ? 'TOUT EST VERT' : 'DES TESTS ÉCHOUENT'} : ${results.numPassedTests}/${results.numTotalTests} tests, ${results.numTotalTestSuites} fichiers\n`,
    )
  }
}
module.exports = SummaryReporter
