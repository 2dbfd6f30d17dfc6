/** Java's String.hashCode, over UTF-16 code units in 32-bit arithmetic: what Kafka and RocketMQ hash keys and ids with. */
export function javaHashCode(text: string): number {
  let hash = 0;
  for (let i = 0; i < text.length; i++) hash = (Math.imul(31, hash) + text.charCodeAt(i)) | 0;
  return hash;
}
