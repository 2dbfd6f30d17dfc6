/** Ends the test output with the plain line CI reads: `tests: N passed, N failed, N skipped`. */
import type { Reporter, TestModule } from 'vitest/node';

export default class ClosingLineReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const counts = { passed: 0, failed: 0, skipped: 0 };
    for (const module of modules) {
      let failedHere = 0;
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'failed') failedHere++;
        else if (state === 'passed') counts.passed++;
        else counts.skipped++;
      }
      // A suite that failed outside its tests (in a hook, or on import) counts as one failure.
      counts.failed += failedHere || (module.state() === 'failed' ? 1 : 0);
    }
    process.stdout.write(`\ntests: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped\n`);
  }
}
