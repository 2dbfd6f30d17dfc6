/** Runs the linux-text-tools lab: the sheet's commands on a real nginx access log. */
import { beforeAll, describe, expect, it } from 'vitest';
import { leftovers, NOTHING } from '../helpers/cli.ts';
import { runLab, type LabRun } from '../helpers/run-lab.ts';

let run: LabRun;
beforeAll(async () => {
  run = await runLab('linux-text-tools');
}, 120_000);

describe('labs run linux-text-tools', () => {
  it('passes and matches the baseline', () => {
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr).toContain('verdicts match');
  });

  it('counts the lines and words of the requests it sent', () => {
    const lines = run.claim('linux.wc.lines').observed;
    expect(lines.printed).toBe(lines.requestsSent);
    expect(run.claim('linux.wc.words').verdict).toBe('confirmed');
  });

  it('counts characters with wc -m only in a UTF-8 locale, and a Chinese line as one word', () => {
    expect(run.claim('linux.wc.chars').observed).toMatchObject({ characters: 44, bytes: 68, wcMUtf8: 44, wcMC: 68, wcW: 6 });
  });

  it('catches a truncated copy of the log by its counts, not a copy with GET changed to PUT', () => {
    const o = run.claim('linux.wc.integrity').observed as { counts: Record<string, string>; sha256: Record<string, string>; truncationCaught: boolean; sameLengthChangeCaught: boolean };
    expect(o).toMatchObject({ truncationCaught: true, sameLengthChangeCaught: false });
    expect(o.sha256.changed).not.toBe(o.sha256.original);
  });

  it("lists HTTP, HTTPS, FTP and SMTP among this machine's curl protocols", () => {
    expect((run.claim('linux.curl.protocols').observed as { protocols: string[] }).protocols).toEqual(expect.arrayContaining(['http', 'https', 'ftp', 'smtp']));
  });

  it('tails the last ten and follows new lines', () => {
    expect(run.claim('linux.tail.default-ten').observed.linesPrinted).toBe(10);
    expect(run.claim('linux.tail.follow').observed.printedThem).toBe(true);
  });

  it('filters one client with sed, and shows the prefix pitfall', () => {
    const o = run.claim('linux.sed.filter-ip').observed;
    expect(o.linesPrinted).toBe(o.requestsFromIp);
    expect((o.prefixMatchedOtherAddresses as string[]).length).toBe(2);
  });

  it("shows where the sheet's awk and sed lines say more than the commands do", () => {
    expect(run.claim('linux.awk.first-field').observed).toMatchObject({ missed: ['203.0.113.7'] });
    expect(run.claim('linux.awk.sum').observed).toMatchObject({ oneNumberPerLine: '5050', twoNumbersPerLine: '9', allNumbersThere: 21 });
    const pattern = run.claim('linux.awk.pattern').observed as { plainWordLinesPrinted: number; linesContainingTheString: number; linesPrinted: number };
    expect(pattern.plainWordLinesPrinted).toBe(1);
    expect(pattern.linesPrinted).toBeGreaterThan(pattern.linesContainingTheString);
    expect(run.claim('linux.sed.strip-quotes').observed).toMatchObject({ fileChanged: false, doubleQuotesLeftInOutput: 0, singleQuotesLeftInOutput: 2 });
  });

  it('gets every other command right', () => {
    for (const id of ['linux.sed.in-place-backup', 'linux.curl.get', 'linux.curl.download', 'linux.curl.post']) {
      expect(run.claim(id).verdict, `${id}: ${run.claim(id).summary}`).toBe('confirmed');
    }
  });

  it('leaves nothing behind', async () => {
    expect(await leftovers(run.report.runId)).toEqual(NOTHING);
  });
});
