import { defineConfig } from 'vitest/config';

/** Labs that start a whole cluster (three Kafka brokers, a Kubernetes node): run last, one at a time. */
const CLUSTERS = ['test/integration/kafka.test.ts', 'test/integration/k8s-probes.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 120_000,
    reporters: ['default', './test/helpers/closing-line-reporter.ts'],
    projects: [
      {
        extends: true,
        // Integration tests start namespaces, captures and containers: two at a time on two cores.
        test: { name: 'labs', include: ['test/**/*.test.ts'], exclude: CLUSTERS, maxWorkers: 2, sequence: { groupOrder: 0 } },
      },
      {
        extends: true,
        // A cluster takes both cores while it starts and a gigabyte or more of memory: alone, after the rest.
        test: { name: 'clusters', include: CLUSTERS, maxWorkers: 1, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
