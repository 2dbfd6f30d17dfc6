import { section } from '../claim.ts';

export const dockerClaims = [
  ...section('Docker › 隔离机制', [
    ['docker.isolation.three-pillars', 'Docker container isolation rests on three core Linux kernel technologies, namespaces, cgroups and a union file system (Union FS), isolating processes, network, file system and resources in many dimensions; together they let containers share the host kernel while achieving a high degree of isolation and security.', 'Docker 容器隔离基于 Linux 内核的三大核心技术：命名空间（Namespace）、控制组（Cgroups）和联合文件系统（Union FS），实现进程、网络、文件系统、资源的多维度隔离；这些技术共同作用，使容器能够在共享宿主内核的同时，实现高度的隔离性和安全性。'],
  ]),
  ...section('Docker › 隔离机制 › Namespace（命名空间）- 视图隔离', [
    ['docker.ns.pid', 'In its PID namespace a container\'s processes are numbered from 1.', '容器在 PID 命名空间中进程号从 1 开始。'],
    ['docker.ns.net', 'A container has its own network stack: interfaces, addresses, routes, iptables rules and ports.', '容器拥有独立网络栈：网卡、IP、路由表、iptables 规则和端口。'],
    ['docker.ns.mount', 'Mounts inside a container do not affect the host.', '容器内的挂载操作不影响宿主机。'],
    ['docker.ns.uts', 'A container has its own hostname.', '容器拥有独立的主机名。'],
    ['docker.ns.ipc', 'A container has its own IPC namespace.', '容器拥有独立的 IPC 命名空间。'],
    ['docker.ns.user', 'Containers use a user namespace, so container UIDs differ from host UIDs.', '容器使用用户命名空间，容器内 UID 与宿主机不同。'],
  ]),
  ...section('Docker › 隔离机制 › Cgroup Namespace（控制组隔离，Linux 4.6+）', [
    ['docker.cgroup.limits', 'cgroups limit the total resources a group of processes may use, assign groups priorities, account the resources a group uses, and pause/resume a group or kill processes that exceed a resource limit.', 'cgroup 限制进程组可以使用的资源总量，为不同进程组分配资源使用优先级，统计进程组使用的资源量，暂停/恢复进程组，或终止超出资源限制的进程。'],
    ['docker.cgroup.ns-view', 'With a cgroup namespace, /sys/fs/cgroup inside a container shows only its own cgroup.', '使用 cgroup 命名空间时，容器内 /sys/fs/cgroup 只显示自己的 cgroup。'],
    ['docker.cgroup.no-host-access', 'Inside a container one can neither see nor modify the host\'s cgroup configuration.', '容器内无法查看或修改宿主机的 Cgroup 配置。'],
    ['docker.cgroup.own-limits-only', 'A container can only manage its own resource limits.', '容器只能管理自己的资源限制。'],
  ]),
  ...section('Docker › 隔离机制 › Union FS（联合文件系统）- 文件隔离', [
    ['docker.unionfs.layers', 'Image layers are read-only and shared between containers; each container gets a writable layer.', '镜像层只读并在容器间共享，每个容器有自己的可写层。'],
    ['docker.unionfs.copy-on-write', 'Modifying an image file copies it up into the container layer first.', '修改镜像中的文件时先将其复制到容器层（写时复制）。'],
    ['docker.unionfs.cow-benefits', 'Copy-on-write saves disk space (several containers share the image layers), speeds up container start because the whole image need not be copied, and keeps the image intact, protected against accidental modification.', '写时复制的优势：节省磁盘空间，多个容器共享镜像层；提高容器启动速度，无需复制整个镜像；保证镜像的完整性，防止被意外修改。'],
  ]),
  ...section('Docker › docker容器创建流程', [
    ['docker.run.flow', 'docker run: the daemon pulls the image if missing, creates namespaces and cgroups, a veth pair on docker0 and port mappings, mounts layers and volumes, and starts the process through containerd and runc.', 'docker run：守护进程缺镜像时拉取，创建命名空间与 cgroup、docker0 上的 veth 和端口映射，挂载层和卷，经 containerd 与 runc 启动进程。'],
  ]),
];

export const kafkaClaims = [
  ...section('kafka › 文件结构', [
    ['kafka.log.segment-files', 'Each partition is a series of segments, each a .log, .index and .timeindex file named after its base offset.', '每个分区由多个段组成，每段包含以起始 offset 命名的 .log、.index、.timeindex 文件。'],
    ['kafka.log.message-format', 'A message is CRC32 (4 bytes), magic byte (1 byte), attributes (1 byte: compression type, timestamp type), timestamp (8 bytes), key length (4 bytes), key (variable), value length (4 bytes), value (variable).', '消息格式：CRC32（4 字节）、Magic Byte（1 字节）、Attributes（1 字节：压缩类型、时间戳类型）、Timestamp（8 字节）、Key Length（4 字节）、Key（变长）、Value Length（4 字节）、Value（变长）。'],
    ['kafka.retention.time', 'log.retention.hours=168 keeps data for 7 days.', 'log.retention.hours=168 保留 7 天。'],
    ['kafka.retention.size', 'log.retention.bytes limits the size kept.', 'log.retention.bytes 限制保留的数据量。'],
    ['kafka.segment.roll', 'A new segment starts when the active one reaches log.segment.bytes; retention is checked every log.retention.check.interval.ms.', '活动段达到 log.segment.bytes 时创建新段，按 log.retention.check.interval.ms 检查清理。'],
  ]),
  ...section('kafka › 9. kafka的Rebalance（重平衡）是什么？', [
    ['kafka.rebalance.stop-the-world', 'During a rebalance every consumer of the group stops consuming.', 'Rebalance 期间消费者组的所有消费者停止消费。'],
    ['kafka.rebalance.duplicates', 'A rebalance can cause messages to be consumed twice.', 'Rebalance 可能导致重复消费。'],
    ['kafka.rebalance.new-coordinator', 'A rebalance elects a new coordinator node, the Group Coordinator, which then tells every member the new assignment.', 'Rebalance 时选举新的协调节点 Group Coordinator，新的 Coordinator 通知所有消费者组成员新的分配方案。'],
    ['kafka.coordinator.hash', "The group coordinator is the broker found by hashing the group id modulo the number of brokers in the cluster, which spreads the groups' coordinators evenly over all brokers.", '消费者组的 Coordinator 由组 ID 的哈希值对集群 Broker 总数取模得到，不同消费者组的 Coordinator 均匀分布在各个 Broker 上。'],
  ]),
  ...section('kafka › kafka 如何保证数据不丢？', [
    ['kafka.durability.acks-all', 'To keep Kafka from losing data, on the broker side: enable replication (replication.factor >= 3), set ACK=all (the producer waits for every ISR replica to acknowledge) and configure min.insync.replicas >= 2 (at least 2 replicas in sync).', 'Kafka 保证数据不丢，Broker 端：启用多副本复制（replication.factor >= 3），设置 ACK=all（producer 等待所有 ISR 副本确认），配置 min.insync.replicas >= 2（确保至少 2 个副本同步）。'],
    ['kafka.durability.unclean-election', 'Disabling unclean leader election keeps out-of-sync replicas from becoming leader.', '禁用 unclean leader election 可防止非 ISR 副本成为 leader。'],
    ['kafka.producer.idempotence', 'enable.idempotence=true prevents duplicates from producer retries.', 'enable.idempotence=true 防止生产者重试产生重复消息。'],
    ['kafka.broker.persistence', 'On the broker, enable persistence for topics and partitions.', '启用 Topic 和 Partition 的持久化。'],
    ['kafka.producer.retries', 'Enabling producer retries (retries > 0, with a sensible retry.backoff.ms) keeps data from being lost.', '启用重试机制（retries > 0, retry.backoff.ms 合理设置）。'],
    ['kafka.producer.transactions', 'Enabling transactions (transactional.id) makes a batch of messages atomic.', '启用事务（transactional.id）确保批量消息的原子性。'],
    ['kafka.consumer.manual-commit', 'Committing offsets after processing (enable.auto.commit=false) avoids losing messages on failure.', '处理完成后手动提交 Offset 可避免故障时丢消息。'],
  ]),
  ...section('kafka › kafka 如何实现消息延迟', [
    ['kafka.delay.not-native', 'Kafka has no native delayed messages.', 'Kafka 原生不支持延迟消息。'],
  ]),
];

export const rocketmqClaims = [
  ...section('RocketMQ › 存储结构', [
    ['rocketmq.store.commitlog', 'All messages are appended to one CommitLog in 1 GiB files named by their start offset.', '所有消息顺序写入 CommitLog，每个文件 1 GiB，以起始偏移命名。'],
    ['rocketmq.store.consumequeue', 'Each topic queue has a ConsumeQueue of index entries pointing into the CommitLog.', '每个 Topic 队列有一个指向 CommitLog 的 ConsumeQueue 索引。'],
    ['rocketmq.store.indexfile', 'IndexFile entries let messages be found by key.', 'IndexFile 支持按 Key 查找消息。'],
    ['rocketmq.store.commitlog-names', 'CommitLog files are named 00000000000000000000, then 0000000000001073741824 where the next segment starts.', 'CommitLog 文件名为 00000000000000000000，下一个 Segment 开始位置为 0000000000001073741824。'],
    ['rocketmq.store.indexfile-names', 'IndexFile files are named 00000000000000000000, 00000000000000000001, and so on.', 'IndexFile 文件名为 00000000000000000000、00000000000000000001 等。'],
  ]),
];
