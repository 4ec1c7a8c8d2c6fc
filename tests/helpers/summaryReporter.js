// A plain summary at the end of `npm test`: how many tests, by kind, passed and failed.
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
    process.stdout.write(
      `\nRésumé des tests\n${lines.join('\n')}\n  ${ok ? 'TOUT EST VERT' : 'DES TESTS ÉCHOUENT'} : ${results.numPassedTests}/${results.numTotalTests} tests, ${results.numTotalTestSuites} fichiers\n`,
    )
  }
}
module.exports = SummaryReporter
