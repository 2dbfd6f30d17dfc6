import { defineConfig } from 'vitest/config';

/**
 * Run last, one at a time: labs that start a whole cluster (three Kafka brokers, a Kubernetes node),
 * and labs whose verdicts rest on timing (a retransmission within one round trip, a close's segments,
 * requests in flight through a reload, transfer times through pipes and shared memory, switch costs), which a neighbour's load on two cores can skew.
 */
const ALONE = [
  'test/integration/kafka.test.ts',
  'test/integration/kubernetes.test.ts',
  'test/integration/kubernetes-existing.test.ts',
  'test/integration/kubernetes-jobs.test.ts',
  'test/integration/kubernetes-kind.test.ts',
  'test/integration/tcp-congestion.test.ts',
  'test/integration/tcp-lifecycle.test.ts',
  'test/integration/nginx-processes.test.ts',
  'test/integration/os-ipc.test.ts',
  'test/integration/os-switches.test.ts',
  'test/integration/quic.test.ts',
];

export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 120_000,
    reporters: ['default', './test/helpers/closing-line-reporter.ts'],
    projects: [
      {
        extends: true,
        // Integration tests start namespaces, captures and containers: two at a time on two cores.
        test: { name: 'labs', include: ['test/**/*.test.ts'], exclude: ALONE, maxWorkers: 2, sequence: { groupOrder: 0 } },
      },
      {
        extends: true,
        test: { name: 'alone', include: ALONE, maxWorkers: 1, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
