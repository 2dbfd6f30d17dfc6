/*
 * The labs' RocketMQ workload and inspection client, on RocketMQ's own remoting client (the one that
 * talks to the name server and the brokers directly, without a proxy). It prints one JSON object per
 * line, each stamped with the wall clock in ms ("t"), so that the lab can put every event on its timeline.
 *
 *   java RocketLabClient <mode> [namesrv=HOST:9876] [topic=T] [option=value ...]
 *
 * namesrv defaults to $ROCKETMQ_NAMESRV_ADDR, then localhost:9876. A failure prints an err event and exits 1.
 *   produce   count=N [prefix=k] [size=B] [tag=T] [queue=Q] [rate=R] [group=G]
 *             one synchronous send after another: events sent (msgId = the producer's unique id,
 *             offsetMsgId = the broker's id, which encodes its address and the commit log offset, decoded
 *             as storeHost and commitLogOffset; broker, queueId, queueOffset), err, done. Message i has the key
 *             <prefix><i> and a body of B bytes (default 500); queue=Q sends them all to queue Q.
 *   consume   group=G [count=N] [idle-ms=M] : pull-consumes the topic from its first offset: events rec, done;
 *             stops after N messages, after M ms without one (default 10000), or when standard input closes
 *   query-key key=K [max=M] [begin=ms] [end=ms] : the messages whose key is K, found through the brokers'
 *             index files (QUERY_MESSAGE): events msg, done (or err, "no message", when nothing matches)
 *   view      id=ID : one message by its msgId (unique id, looked up in the index) or offsetMsgId (read at its
 *             commit log offset): event msg
 *   route     : the topic's brokers and queues as the name server has them: events broker, queues
 *   create-topic [queues=N] [broker=HOST:10911] : creates or updates the topic with N read and write queues
 *             (default 4) on that broker, or on every master the name server knows: events created, done.
 *             The broker tells the name server at once, but a name server ignores a single topic from a
 *             broker that has not registered yet (in its first 10 s): the route then comes with that
 *             broker's first registration.
 *
 * Only consume shuts its client down politely (committing its offsets); the other modes exit as soon as
 * they are done, since a RocketMQ client's shutdown waits up to 3 s for an idle thread of its own.
 */
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.*;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.rocketmq.client.QueryResult;
import org.apache.rocketmq.client.consumer.DefaultLitePullConsumer;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.MessageQueueSelector;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.common.TopicConfig;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.*;
import org.apache.rocketmq.remoting.protocol.route.BrokerData;
import org.apache.rocketmq.remoting.protocol.route.QueueData;
import org.apache.rocketmq.remoting.protocol.route.TopicRouteData;
import org.apache.rocketmq.tools.admin.DefaultMQAdminExt;

public final class RocketLabClient {
  private static synchronized void emit(String body) {
    System.out.println("{\"t\":" + System.currentTimeMillis() + "," + body + "}");
    System.out.flush();
  }

  private static String str(String s) {
    if (s == null) return "null";
    StringBuilder b = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        default -> {
          if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
          else b.append(c);
        }
      }
    }
    return b.append('"').toString();
  }

  private static String error(Throwable e) {
    Throwable cause = e.getCause() != null && e.getMessage() == null ? e.getCause() : e;
    return str(cause.getClass().getSimpleName() + ": " + cause.getMessage());
  }

  /** The offsetMsgId's store host and commit log offset, as fields. */
  private static String offsetId(String offsetMsgId) {
    if (offsetMsgId == null) return "";
    try {
      MessageId id = MessageDecoder.decodeMessageId(offsetMsgId);
      InetSocketAddress a = (InetSocketAddress) id.getAddress();
      return ",\"storeHost\":" + str(a.getAddress().getHostAddress() + ":" + a.getPort()) + ",\"commitLogOffset\":" + id.getOffset();
    } catch (Exception e) {
      return "";
    }
  }

  private static String message(MessageExt m) {
    String offsetMsgId = m instanceof MessageClientExt c ? c.getOffsetMsgId() : m.getMsgId();
    String uniq = MessageClientIDSetter.getUniqID(m);
    StringJoiner props = new StringJoiner(",", "{", "}");
    new TreeMap<>(m.getProperties()).forEach((k, v) -> props.add(str(k) + ":" + str(v)));
    return "\"msgId\":" + str(uniq != null ? uniq : m.getMsgId()) + ",\"offsetMsgId\":" + str(offsetMsgId)
        + ",\"topic\":" + str(m.getTopic()) + ",\"keys\":" + str(m.getKeys()) + ",\"tags\":" + str(m.getTags())
        + ",\"queueId\":" + m.getQueueId() + ",\"queueOffset\":" + m.getQueueOffset()
        + ",\"commitLogOffset\":" + m.getCommitLogOffset() + ",\"storeSize\":" + m.getStoreSize()
        + ",\"bodySize\":" + (m.getBody() == null ? 0 : m.getBody().length)
        + ",\"bornTimestamp\":" + m.getBornTimestamp() + ",\"storeTimestamp\":" + m.getStoreTimestamp()
        + ",\"storeHost\":" + str(String.valueOf(m.getStoreHost())) + ",\"properties\":" + props;
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> o = new HashMap<>();
    for (int i = 1; i < args.length; i++) {
      String[] kv = args[i].split("=", 2);
      if (kv.length != 2) throw new IllegalArgumentException("expected name=value, not " + args[i]);
      o.put(kv[0], kv[1]);
    }
    String env = System.getenv("ROCKETMQ_NAMESRV_ADDR");
    o.putIfAbsent("namesrv", env != null && !env.isEmpty() ? env : "localhost:9876");
    try {
      switch (args.length > 0 ? args[0] : "") {
        case "produce" -> produce(o);
        case "consume" -> consume(o);
        case "query-key" -> admin(o, a -> queryKey(a, o));
        case "view" -> admin(o, a -> emit("\"e\":\"msg\"," + message(a.viewMessage(o.get("topic"), o.get("id")))));
        case "route" -> admin(o, a -> route(a, o));
        case "create-topic" -> admin(o, a -> createTopic(a, o));
        default -> throw new IllegalArgumentException("mode: produce, consume, query-key, view, route or create-topic");
      }
    } catch (Throwable e) {
      emit("\"e\":\"err\",\"x\":" + error(e));
      System.exit(1);
    }
    System.exit(0); // without waiting for the client's shutdown, nor for its threads, which are not all daemons
  }

  private static void produce(Map<String, String> o) throws Exception {
    String topic = o.get("topic");
    String prefix = o.getOrDefault("prefix", "k");
    String tag = o.get("tag");
    int count = Integer.parseInt(o.getOrDefault("count", "100"));
    int size = Integer.parseInt(o.getOrDefault("size", "500"));
    double rate = Double.parseDouble(o.getOrDefault("rate", "0"));
    Integer queue = o.containsKey("queue") ? Integer.valueOf(o.get("queue")) : null;
    MessageQueueSelector pick = (mqs, msg, arg) -> mqs.stream().filter(q -> q.getQueueId() == (Integer) arg).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no queue " + arg + " in " + mqs));
    DefaultMQProducer producer = new DefaultMQProducer(o.getOrDefault("group", "lab-producer"));
    producer.setNamesrvAddr(o.get("namesrv"));
    producer.setSendMsgTimeout(Integer.parseInt(o.getOrDefault("timeout-ms", "10000")));
    producer.start();
    int sent = 0, failed = 0;
    long start = System.nanoTime();
    for (int i = 0; i < count; i++) {
      if (rate > 0) {
        long wait = start + (long) (i * 1e9 / rate) - System.nanoTime();
        if (wait > 0) Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
      }
      String key = prefix + i;
      StringBuilder body = new StringBuilder("message " + i + " key " + key + " ");
      while (body.length() < size) body.append((char) ('a' + body.length() % 26));
      body.setLength(size);
      Message msg = new Message(topic, tag, key, body.toString().getBytes(StandardCharsets.UTF_8));
      try {
        SendResult r = queue == null ? producer.send(msg) : producer.send(msg, pick, queue);
        sent++;
        emit("\"e\":\"sent\",\"i\":" + i + ",\"k\":" + str(key) + ",\"status\":" + str(String.valueOf(r.getSendStatus()))
            + ",\"msgId\":" + str(r.getMsgId()) + ",\"offsetMsgId\":" + str(r.getOffsetMsgId())
            + ",\"broker\":" + str(r.getMessageQueue().getBrokerName()) + ",\"queueId\":" + r.getMessageQueue().getQueueId()
            + ",\"queueOffset\":" + r.getQueueOffset() + offsetId(r.getOffsetMsgId()));
      } catch (Exception e) {
        failed++;
        emit("\"e\":\"err\",\"i\":" + i + ",\"k\":" + str(key) + ",\"x\":" + error(e));
      }
    }
    emit("\"e\":\"done\",\"sent\":" + sent + ",\"failed\":" + failed);
  }

  private static void consume(Map<String, String> o) throws Exception {
    DefaultLitePullConsumer consumer = new DefaultLitePullConsumer(o.getOrDefault("group", "lab-consumer"));
    consumer.setNamesrvAddr(o.get("namesrv"));
    consumer.setConsumeFromWhere(ConsumeFromWhere.CONSUME_FROM_FIRST_OFFSET);
    consumer.subscribe(o.get("topic"), o.getOrDefault("filter", "*"));
    long count = Long.parseLong(o.getOrDefault("count", "0"));
    long idle = Long.parseLong(o.getOrDefault("idle-ms", "10000"));
    AtomicBoolean running = new AtomicBoolean(true);
    Thread stdin = new Thread(() -> {
      try {
        while (System.in.read() >= 0) { }
      } catch (Exception ignored) { }
      running.set(false);
    });
    stdin.setDaemon(true);
    stdin.start();
    consumer.start();
    emit("\"e\":\"subscribed\"");
    long received = 0, last = System.currentTimeMillis();
    try {
      while (running.get() && (count == 0 || received < count) && System.currentTimeMillis() - last < idle) {
        for (MessageExt m : consumer.poll(200)) {
          received++;
          last = System.currentTimeMillis();
          emit("\"e\":\"rec\"," + message(m));
        }
      }
    } finally {
      consumer.shutdown();
    }
    emit("\"e\":\"done\",\"received\":" + received);
  }

  private interface AdminCall {
    void run(DefaultMQAdminExt admin) throws Exception;
  }

  private static void admin(Map<String, String> o, AdminCall call) throws Exception {
    DefaultMQAdminExt admin = new DefaultMQAdminExt();
    admin.setNamesrvAddr(o.get("namesrv"));
    admin.setInstanceName("lab-admin-" + ProcessHandle.current().pid());
    admin.start();
    call.run(admin);
  }

  private static void createTopic(DefaultMQAdminExt admin, Map<String, String> o) throws Exception {
    int queues = Integer.parseInt(o.getOrDefault("queues", "4"));
    List<String> brokers = new ArrayList<>();
    if (o.containsKey("broker")) brokers.add(o.get("broker"));
    else for (BrokerData b : admin.examineBrokerClusterInfo().getBrokerAddrTable().values()) {
      String master = b.getBrokerAddrs().get(0L);
      if (master != null) brokers.add(master);
    }
    for (String broker : brokers) {
      admin.createAndUpdateTopicConfig(broker, new TopicConfig(o.get("topic"), queues, queues));
      emit("\"e\":\"created\",\"broker\":" + str(broker) + ",\"queues\":" + queues);
    }
    emit("\"e\":\"done\",\"brokers\":" + brokers.size());
  }

  private static void queryKey(DefaultMQAdminExt admin, Map<String, String> o) throws Exception {
    QueryResult r = admin.queryMessage(o.get("topic"), o.get("key"), Integer.parseInt(o.getOrDefault("max", "32")),
        Long.parseLong(o.getOrDefault("begin", "0")), Long.parseLong(o.getOrDefault("end", String.valueOf(Long.MAX_VALUE))));
    for (MessageExt m : r.getMessageList()) emit("\"e\":\"msg\"," + message(m));
    emit("\"e\":\"done\",\"found\":" + r.getMessageList().size() + ",\"indexLastUpdateTimestamp\":" + r.getIndexLastUpdateTimestamp());
  }

  private static void route(DefaultMQAdminExt admin, Map<String, String> o) throws Exception {
    TopicRouteData route = admin.examineTopicRouteInfo(o.get("topic"));
    for (BrokerData b : route.getBrokerDatas()) {
      StringJoiner addrs = new StringJoiner(",", "{", "}");
      new TreeMap<>(b.getBrokerAddrs()).forEach((id, addr) -> addrs.add(str(String.valueOf(id)) + ":" + str(addr)));
      emit("\"e\":\"broker\",\"cluster\":" + str(b.getCluster()) + ",\"broker\":" + str(b.getBrokerName()) + ",\"addrs\":" + addrs);
    }
    for (QueueData q : route.getQueueDatas()) {
      emit("\"e\":\"queues\",\"broker\":" + str(q.getBrokerName()) + ",\"read\":" + q.getReadQueueNums()
          + ",\"write\":" + q.getWriteQueueNums() + ",\"perm\":" + q.getPerm());
    }
  }
}
