/*
 * The labs' Kafka workload and admin client, on Kafka's own Java client (the reference
 * implementation, which speaks every group protocol: classic eager, classic cooperative and the
 * KIP-848 consumer protocol). It prints one JSON object per line, each stamped with the wall
 * clock in ms ("t"), so that the lab can put every event on its timeline.
 *
 *   java LabClient <mode> bootstrap=HOST:9092 [topic=T] [option=value ...] [kafka.property=value ...]
 *
 * An argument whose name contains a dot, or is acks or retries, is passed to the Kafka client as a property.
 *   consume  group=G [commit=auto|after|before] [process-ms=N]
 *                                             : events assigned, revoked, lost, rec (a record processed,
 *                                               after process-ms), commit, closed; commit=after commits
 *                                               what a poll returned once it is processed, before once
 *                                               it is returned, auto leaves it to enable.auto.commit
 *   produce  count=N [rate=R] [prefix=k] [timestamp-offset-ms=D] [transaction=commit|abort]
 *                                             : events config (the producer's effective retries,
 *                                               idempotence, delivery timeout and acks), ack, err, done;
 *                                               each record's timestamp is the producer's clock plus D;
 *                                               with transaction= all of them are sent in one transaction
 *                                               (transactional.id), then committed or aborted: event
 *                                               committed or aborted
 *   dump                                      : every record of the topic from the start: rec, end
 *   coordinators groups=G1,G2,... [topic=T]   : coordinator of each group
 *   partitions                                : leader and ISR of each partition of the topic
 * rec events carry the partition (p), offset (o), key (k) and the record's timestamp (ts).
 * consume stops (leaving the group politely) when its standard input closes.
 */
import java.time.Duration;
import java.util.*;
import java.util.concurrent.*;
import java.util.concurrent.atomic.*;
import org.apache.kafka.clients.admin.*;
import org.apache.kafka.clients.consumer.*;
import org.apache.kafka.clients.producer.*;
import org.apache.kafka.common.*;
import org.apache.kafka.common.serialization.*;

public final class LabClient {
  /** The Kafka client settings whose names have no dot, which would otherwise be taken for options. */
  private static final Set<String> CLIENT_SETTINGS_WITHOUT_A_DOT = Set.of("acks", "retries");

  private static synchronized void emit(String body) {
    System.out.println("{\"t\":" + System.currentTimeMillis() + "," + body + "}");
    System.out.flush();
  }

  private static String str(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", " ") + "\"";
  }

  private static String partitions(Collection<TopicPartition> parts) {
    StringJoiner j = new StringJoiner(",", "[", "]");
    parts.stream().map(TopicPartition::partition).sorted().forEach(p -> j.add(String.valueOf(p)));
    return j.toString();
  }

  private static String error(Throwable e) {
    Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
    return str(cause.getClass().getSimpleName() + ": " + cause.getMessage());
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> options = new HashMap<>();
    Properties props = new Properties();
    for (int i = 1; i < args.length; i++) {
      String[] kv = args[i].split("=", 2);
      if (kv.length != 2) throw new IllegalArgumentException("expected name=value, not " + args[i]);
      if (kv[0].contains(".") || CLIENT_SETTINGS_WITHOUT_A_DOT.contains(kv[0])) props.put(kv[0], kv[1]);
      else options.put(kv[0], kv[1]);
    }
    props.put("bootstrap.servers", options.getOrDefault("bootstrap", "localhost:9092"));
    switch (args.length > 0 ? args[0] : "") {
      case "consume" -> consume(options, props);
      case "produce" -> produce(options, props);
      case "dump" -> dump(options, props);
      case "coordinators" -> coordinators(options, props);
      case "partitions" -> partitionsOf(options, props);
      default -> throw new IllegalArgumentException("mode: consume, produce, dump, coordinators or partitions");
    }
  }

  private static void consume(Map<String, String> o, Properties props) throws InterruptedException {
    props.put("group.id", o.get("group"));
    props.putIfAbsent("key.deserializer", StringDeserializer.class.getName());
    props.putIfAbsent("value.deserializer", StringDeserializer.class.getName());
    props.putIfAbsent("auto.offset.reset", "earliest");
    String commit = o.getOrDefault("commit", "auto");
    if (!commit.equals("auto")) props.put("enable.auto.commit", "false");
    long processMs = Long.parseLong(o.getOrDefault("process-ms", "0"));
    KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props);
    AtomicBoolean running = new AtomicBoolean(true);
    Thread stdin = new Thread(() -> {
      try {
        while (System.in.read() >= 0) { }
      } catch (Exception ignored) { }
      running.set(false);
      consumer.wakeup();
    });
    stdin.setDaemon(true);
    stdin.start();
    consumer.subscribe(List.of(o.get("topic")), new ConsumerRebalanceListener() {
      public void onPartitionsRevoked(Collection<TopicPartition> parts) { emit("\"e\":\"revoked\",\"p\":" + partitions(parts)); }
      public void onPartitionsAssigned(Collection<TopicPartition> parts) { emit("\"e\":\"assigned\",\"p\":" + partitions(parts)); }
      public void onPartitionsLost(Collection<TopicPartition> parts) { emit("\"e\":\"lost\",\"p\":" + partitions(parts)); }
    });
    emit("\"e\":\"subscribed\"");
    try {
      while (running.get()) {
        ConsumerRecords<String, String> records = consumer.poll(Duration.ofMillis(100));
        if (commit.equals("before") && !records.isEmpty()) {
          consumer.commitSync();
          emit("\"e\":\"commit\",\"p\":" + partitions(records.partitions()));
        }
        for (ConsumerRecord<String, String> r : records) {
          if (processMs > 0) Thread.sleep(processMs);
          emit(record(r));
        }
        if (commit.equals("after") && !records.isEmpty()) {
          consumer.commitSync();
          emit("\"e\":\"commit\",\"p\":" + partitions(records.partitions()));
        }
      }
    } catch (org.apache.kafka.common.errors.WakeupException stopping) {
      // standard input closed: leave the group
    } finally {
      consumer.close();
      emit("\"e\":\"closed\"");
    }
  }

  private static String record(ConsumerRecord<String, String> r) {
    return "\"e\":\"rec\",\"p\":" + r.partition() + ",\"o\":" + r.offset() + ",\"k\":" + str(String.valueOf(r.key())) + ",\"ts\":" + r.timestamp();
  }

  private static void produce(Map<String, String> o, Properties props) throws Exception {
    props.putIfAbsent("key.serializer", StringSerializer.class.getName());
    props.putIfAbsent("value.serializer", StringSerializer.class.getName());
    String topic = o.get("topic");
    String prefix = o.getOrDefault("prefix", "k");
    int count = Integer.parseInt(o.getOrDefault("count", "100"));
    double rate = Double.parseDouble(o.getOrDefault("rate", "0"));
    long timestampOffset = Long.parseLong(o.getOrDefault("timestamp-offset-ms", "0"));
    String transaction = o.get("transaction");
    if (transaction != null) props.putIfAbsent("transactional.id", "lab-" + UUID.randomUUID());
    long start = System.nanoTime();
    ProducerConfig effective = new ProducerConfig(props);
    emit("\"e\":\"config\",\"retries\":" + effective.getInt(ProducerConfig.RETRIES_CONFIG) + ",\"idempotence\":" + effective.getBoolean(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG)
        + ",\"deliveryTimeoutMs\":" + effective.getInt(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG) + ",\"acks\":" + str(effective.getString(ProducerConfig.ACKS_CONFIG)));
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(props)) {
      if (transaction != null) {
        producer.initTransactions();
        producer.beginTransaction();
      }
      for (int i = 0; i < count; i++) {
        if (rate > 0) {
          long due = start + (long) (i * 1e9 / rate);
          long wait = due - System.nanoTime();
          if (wait > 0) Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
        }
        String key = prefix + i;
        emit("\"e\":\"send\",\"k\":" + str(key));
        ProducerRecord<String, String> record = new ProducerRecord<>(topic, null, System.currentTimeMillis() + timestampOffset, key, "value-" + i);
        producer.send(record, (meta, e) -> {
          if (e == null) emit("\"e\":\"ack\",\"k\":" + str(key) + ",\"p\":" + meta.partition() + ",\"o\":" + meta.offset());
          else emit("\"e\":\"err\",\"k\":" + str(key) + ",\"x\":" + error(e));
        });
      }
      producer.flush();
      if ("commit".equals(transaction)) {
        producer.commitTransaction();
        emit("\"e\":\"committed\"");
      } else if ("abort".equals(transaction)) {
        producer.abortTransaction();
        emit("\"e\":\"aborted\"");
      }
    }
    emit("\"e\":\"done\"");
  }

  private static void dump(Map<String, String> o, Properties props) {
    props.putIfAbsent("key.deserializer", StringDeserializer.class.getName());
    props.putIfAbsent("value.deserializer", StringDeserializer.class.getName());
    props.put("enable.auto.commit", "false");
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props)) {
      List<TopicPartition> parts = consumer.partitionsFor(o.get("topic")).stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList();
      consumer.assign(parts);
      consumer.seekToBeginning(parts);
      Map<TopicPartition, Long> end = consumer.endOffsets(parts);
      long deadline = System.currentTimeMillis() + Long.parseLong(o.getOrDefault("timeout-ms", "20000"));
      while (parts.stream().anyMatch(p -> consumer.position(p) < end.get(p)) && System.currentTimeMillis() < deadline) {
        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
          emit(record(r));
        }
      }
      emit("\"e\":\"end\",\"complete\":" + parts.stream().allMatch(p -> consumer.position(p) >= end.get(p)));
    }
  }

  /**
   * The coordinator of each group, as the client finds it (FindCoordinator, then DescribeGroups).
   * With topic=T each group first commits offset 0 of T's partition 0, which makes it exist on
   * its coordinator without joining it.
   */
  private static void coordinators(Map<String, String> o, Properties props) throws Exception {
    try (Admin admin = Admin.create(props)) {
      List<String> groups = List.of(o.get("groups").split(","));
      if (o.containsKey("topic")) {
        Map<TopicPartition, OffsetAndMetadata> zero = Map.of(new TopicPartition(o.get("topic"), 0), new OffsetAndMetadata(0));
        List<KafkaFuture<Void>> commits = groups.stream().map(g -> admin.alterConsumerGroupOffsets(g, zero).all()).toList();
        for (KafkaFuture<Void> c : commits) c.get(30, TimeUnit.SECONDS);
      }
      Map<String, KafkaFuture<ConsumerGroupDescription>> found = admin.describeConsumerGroups(groups).describedGroups();
      for (String g : groups) {
        try {
          emit("\"e\":\"coordinator\",\"g\":" + str(g) + ",\"node\":" + found.get(g).get(30, TimeUnit.SECONDS).coordinator().id());
        } catch (ExecutionException e) {
          emit("\"e\":\"err\",\"g\":" + str(g) + ",\"x\":" + error(e));
        }
      }
    }
  }

  private static void partitionsOf(Map<String, String> o, Properties props) throws Exception {
    try (Admin admin = Admin.create(props)) {
      TopicDescription d = admin.describeTopics(List.of(o.get("topic"))).allTopicNames().get(30, TimeUnit.SECONDS).get(o.get("topic"));
      for (TopicPartitionInfo p : d.partitions()) {
        StringJoiner isr = new StringJoiner(",", "[", "]");
        p.isr().forEach(n -> isr.add(String.valueOf(n.id())));
        emit("\"e\":\"partition\",\"p\":" + p.partition() + ",\"leader\":" + (p.leader() == null ? -1 : p.leader().id()) + ",\"isr\":" + isr);
      }
    }
  }
}
