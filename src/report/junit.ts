/** JUnit XML: a test suite per lab, a test case per claim (the claim's text, then the verdict and summary, as its output); errored and skipped labs say why. */
import { drifted } from '../core/expect.ts';
import type { ClaimResult, RunReport } from '../core/types.ts';
import { escapeXml as x } from './escape.ts';
import { statementOf, summaryIn, type Lang } from './lang.ts';

export function toJunit(report: RunReport): string {
  const lang = report.lang ?? 'en';
  const suites = report.labs.map((lab) => {
    const seconds = (lab.durationMs / 1000).toFixed(3);
    const ranOn = lab.ranOn ? Object.entries(lab.ranOn).map(([name, value]) => [`kubernetes.${name}`, value] as const) : [];
    const properties = [...Object.entries(lab.environment), ...ranOn]
      .map(([name, value]) => `      <property name="${x(name)}" value="${x(value)}"/>`)
      .join('\n');
    const cases =
      lab.status === 'passed'
        ? lab.claims.map(
            (claim) =>
              `    <testcase classname="${x(lab.id)}" name="${x(claim.id)}" time="0">\n${failure(claim, lang)}      <system-out>${x(`${statementOf(claim)?.[lang] ?? claim.id}\n${claim.verdict}: ${summaryIn(claim, lang)}`)}</system-out>\n    </testcase>`,
          )
        : [
            `    <testcase classname="${x(lab.id)}" name="${x(lab.id)}" time="${seconds}">\n      ${
              lab.status === 'skipped' ? `<skipped message="${x(lab.reason ?? '')}"/>` : `<error message="${x(lab.reason ?? 'error')}"/>`
            }\n    </testcase>`,
          ];
    const counts = `tests="${cases.length}" errors="${lab.status === 'error' ? 1 : 0}" skipped="${lab.status === 'skipped' ? 1 : 0}" failures="${lab.claims.filter(drifted).length}"`;
    return `  <testsuite name="${x(lab.id)}" ${counts} time="${seconds}"${lab.ranOn ? ` hostname="${x(lab.ranOn.node)}"` : ''}>\n    <properties>\n${properties}\n    </properties>\n${cases.join('\n')}\n  </testsuite>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="labs run ${x(report.runId)}">\n${suites.join('\n')}\n</testsuites>\n`;
}

/** A verdict that drifted from the baseline is a test failure naming both verdicts, with what was observed. */
function failure(claim: ClaimResult, lang: Lang): string {
  if (!drifted(claim)) return '';
  const was = claim.expected === null ? 'not in the baseline' : `expected ${claim.expected}`;
  return `      <failure type="drift" message="${x(`verdict drifted: ${was}, got ${claim.verdict}`)}">${x(summaryIn(claim, lang))}</failure>\n`;
}
