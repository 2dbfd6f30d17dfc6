/** The `labs` command line. */
import { parseArgs } from 'node:util';
import { didYouMean } from '../core/nearest.ts';
import { UsageError } from '../core/usage-error.ts';
import { kubeProvider, PROVIDER_CHOICES, PROVIDERS } from '../resources/kube-provider.ts';
import { OPTIONS, type Flags } from './flags.ts';

const USAGE = `usage: labs <command> [options]

commands:
  list [--topic T] [--json]          labs and the claims they test
  show <lab-or-claim-id> [--json]    a lab's handout and its claims in full, without running it
  run <lab-or-claim-id...>           run labs (a claim id runs the lab that covers it)
  run --topic T | --all
      --json                         the results as JSON on stdout (nothing else there)
      --junit FILE                   JUnit XML for CI
      --report DIR                   a self-contained HTML report with the evidence
      --jobs N                       labs run at once (default 1)
      --repeat N                     run the selection N times; list each claim's verdicts, flips last
      --retries N                    run a lab again (up to N times) when a claim lacked evidence
                                     (with --expect: unless the baseline expects it unverifiable)
      --expect FILE                  fail when a verdict differs from this baseline
      --write-expect FILE            record this run's verdicts as a baseline
      --workshop                     one lab, for a room: predict each claim's verdict (a key each),
                                     run, then reveal each verdict with its evidence and the prediction
      --on kubernetes                each lab as a Kubernetes Job on the run's cluster (--cluster,
                                     --context), in the project's image; the Kubernetes labs run
                                     on that cluster from here; each verdict names its node
      --parallel N                   with --on: Jobs at once (default 1)
      --node-selector K=V[,K=V]      with --on: only nodes with these labels
  doctor [--json]                    what this machine can do and which labs that enables
  clean                              remove what dead runs left behind
  coverage [--json]                  per topic, how many claims have a lab
  report <results.json...> --report DIR | --junit FILE
                                     render the reports of earlier --json runs (several: merged,
                                     with a matrix of each claim across the nodes they ran on)
options for every command:
  --cluster local|kind|existing      the Kubernetes labs' cluster: one built from upstream on this host
                                     (default); a kind cluster of a node image built from the same
                                     binaries; or a kubeconfig's (LABS_CLUSTER_LOAD_IMAGE puts images in,
                                     e.g. "kind load docker-image {image}"). On kind and existing, labs
                                     that need the node itself are skipped
  --context NAME                     the kubeconfig context of --cluster existing (implies it)
  --labs-dir DIR                     where lab files live (default: the labs/ folder)
  --lang en|zh                       language of claim texts and report headings (default: from LANG)`;

/** Passes --cluster and --context on as the environment every part of the run (and its children) reads. */
function chooseCluster(flags: Flags): void {
  if (flags.cluster !== undefined && !(PROVIDERS as readonly string[]).includes(flags.cluster)) throw new UsageError(`--cluster takes ${PROVIDER_CHOICES}, not "${flags.cluster}"`);
  if (flags.context !== undefined && flags.cluster !== undefined && flags.cluster !== 'existing') throw new UsageError(`--context names a kubeconfig context: it goes with --cluster existing, not ${flags.cluster}`);
  // --context implies existing, even over a LABS_CLUSTER=local of the shell.
  const cluster = flags.cluster ?? (flags.context !== undefined ? 'existing' : undefined);
  if (cluster) process.env.LABS_CLUSTER = cluster;
  if (flags.context !== undefined) process.env.LABS_CLUSTER_CONTEXT = flags.context;
  try {
    kubeProvider();
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

type Command = (args: string[], flags: Flags) => Promise<number>;

/** Each command is imported only when it is the one asked for. */
const COMMANDS: Record<string, () => Promise<Command>> = {
  list: async () => (await import('./commands/list.ts')).list,
  show: async () => (await import('./commands/show.ts')).show,
  run: async () => (await import('./commands/run.ts')).run,
  doctor: async () => (await import('./commands/doctor.ts')).doctor,
  clean: async () => (await import('./commands/clean.ts')).clean,
  coverage: async () => (await import('./commands/coverage.ts')).coverage,
  report: async () => (await import('./commands/report.ts')).report,
};

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    const message = (error as Error).message.split('\n')[0]!;
    const flag = message.match(/Unknown option '--([^']+)'/)?.[1];
    throw new UsageError(flag ? `${message.replace(/\. To specify.*$/, '')}${didYouMean(flag, Object.keys(OPTIONS)).replace(/"([^"]+)"/, '"--$1"')}` : message);
  }
  const [command, ...args] = parsed.positionals;
  if (parsed.values.help || !command) {
    process.stdout.write(`${USAGE}\n`);
    return command || parsed.values.help ? 0 : 2;
  }
  chooseCluster(parsed.values);
  const load = COMMANDS[command];
  if (!load) throw new UsageError(`unknown command "${command}"${didYouMean(command, Object.keys(COMMANDS), ` (commands: ${Object.keys(COMMANDS).join(', ')})`)}`);
  return (await load())(args, parsed.values);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: Error) => {
    process.stderr.write(`labs: ${error.message.split('\n')[0]}\n`);
    process.exitCode = error instanceof UsageError ? 2 : 1;
  },
);
