/** The error for a --topic that no lab has. */
import { didYouMean } from '../core/nearest.ts';
import { UsageError } from '../core/usage-error.ts';

export function unknownTopic(topic: string, labs: { topic: string }[]): UsageError {
  const topics = [...new Set(labs.map((l) => l.topic))].sort();
  return new UsageError(`no labs for topic "${topic}"${didYouMean(topic, topics, ` (topics with labs: ${topics.join(', ')})`)}`);
}
