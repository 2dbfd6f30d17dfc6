import { section } from '../claim.ts';

export const nginxClaims = [
  ...section('Nginx', [
    ['nginx.event.single-thread-many-connections', 'nginx is known for its event-driven, asynchronous, non-blocking architecture, and handles large numbers of concurrent connections efficiently.', 'Nginx 以事件驱动、异步非阻塞的架构设计而闻名，能够高效处理大量并发连接。'],
    ['nginx.mail-proxy', 'nginx is an HTTP and reverse-proxy server, and also an IMAP/POP3/SMTP proxy server.', 'Nginx 是 HTTP 和反向代理服务器，也是一个 IMAP/POP3/SMTP 代理服务器。'],
  ]),
  ...section('Nginx › 调度算法', [
    ['nginx.lb.round-robin', 'Round robin (the default) hands requests to the backends in turn.', '轮询（默认）按顺序依次把请求分配给后端。'],
    ['nginx.lb.weighted', 'Weighted round robin gives backends requests in proportion to their weights.', '加权轮询按权重分配请求，权重大的获得更多请求。'],
    ['nginx.lb.ip-hash', 'ip_hash sends all requests from one client IP to the same backend.', 'ip_hash 让同一客户端 IP 的请求始终到同一后端。'],
    ['nginx.lb.least-conn', 'least_conn sends a request to the backend with the fewest active connections.', 'least_conn 把请求分配给活跃连接数最少的后端。'],
    ['nginx.lb.weighted-least-conn', 'Weighted least connections prefers the backend with the highest weight-to-connections ratio.', '加权最少连接优先选择权重/连接数比值最大的后端。'],
    ['nginx.lb.least-time', 'least_time (NGINX Plus) sends a request to the backend with the lowest average response time.', 'least_time（NGINX Plus）把请求分配给平均响应时间最短的后端。'],
    ['nginx.lb.url-hash', 'Hashing the URL sends the same URL to the same backend.', 'URL 哈希让同一 URL 的请求始终到同一后端。'],
    ['nginx.lb.random', 'random picks a backend at random.', 'random 随机选择一台后端。'],
  ]),
  ...section('Nginx › Nginx的架构设计', [
    ['nginx.process.master-workers', 'nginx runs one master process that reads configuration and handles signals but serves no requests, and worker processes that serve them.', 'nginx 由一个 master 进程（读取配置、处理信号、不处理请求）和处理请求的 worker 进程组成。'],
    ['nginx.process.master-validates', 'The master process reads and validates the configuration file.', 'Master 进程读取并验证配置文件。'],
    ['nginx.process.three-kinds', 'nginx uses a multi-process model with mainly three kinds of process (master, workers and cache manager); the master manages the worker processes and the cache manager process.', 'Nginx 采用多进程模型，主要包含三类进程：Master、Worker、Cache Manager；Master 进程负责管理 Worker 进程和 Cache Manager 进程。'],
    ['nginx.process.worker-count', 'The number of workers usually equals the number of CPU cores (configurable).', 'worker 数量通常等于 CPU 核数（可配置）。'],
    ['nginx.process.worker-crash', 'Workers are independent: one dying does not affect the others, and the master starts a replacement.', 'worker 相互独立，某个异常退出不影响其他 worker，master 会拉起新的。'],
    ['nginx.process.reload', 'A reload re-reads the configuration without dropping requests; old workers finish theirs.', '重载配置不丢请求，旧 worker 处理完已有请求后退出。'],
    ['nginx.process.cache-manager', 'A cache manager process keeps the cache within its size limit and removes expired entries.', 'Cache Manager 进程清理过期缓存并控制缓存大小。'],
    ['nginx.event.epoll', 'nginx collects events with epoll on Linux, kqueue on BSD, select elsewhere.', 'nginx 在 Linux 用 epoll、BSD 用 kqueue 等收集事件。'],
    ['nginx.event.components', 'The main components of nginx\'s event-driven model are an event queue storing pending network events, an event collector, an event dispatcher handing events to the corresponding processing modules, and event handlers processing specific network events (connection set-up, data receipt, data sending and so on).', 'Nginx 事件驱动模型的主要组件包括：事件队列（存储待处理的网络事件）、事件收集器（Event Collector）、事件分发器（Event Dispatcher，将事件分发给对应的处理模块）、事件处理器（Event Handler，处理具体的网络事件，如连接建立、数据接收、数据发送等）。'],
  ]),
];

export const mysqlClaims = [
  ...section('MySQL › B+树索引', [
    ['mysql.btree.engines', 'Almost every storage engine (InnoDB, MyISAM) supports B+ tree indexes.', '几乎所有存储引擎（InnoDB、MyISAM）都支持 B+ 树索引。'],
    ['mysql.btree.most-common', 'The B+ tree is the most commonly used index data structure in MySQL.', 'B+ 树是 MySQL 中最常用的索引数据结构。'],
  ]),
  ...section('MySQL › B+树索引 › B+树的基本结构', [
    ['mysql.btree.internal-keys-only', 'Root and internal nodes hold only keys and pointers to child nodes.', '根节点和中间节点只存储键值和指向子节点的指针。'],
    ['mysql.btree.leaf-data', 'Leaf nodes hold the keys with the rows (clustered index) or pointers to them (secondary index).', '叶子节点存储键值及数据记录（聚簇索引）或指向记录的指针（二级索引）。'],
    ['mysql.btree.balanced', 'All leaves are at the same depth and the tree is shallow.', '所有叶子节点在同一层，树高较低。'],
    ['mysql.btree.leaf-links', 'Leaves are linked in a doubly linked list in key order.', '叶子节点按键序以双向链表相连。'],
  ]),
  ...section('MySQL › B+树索引 › B+树的查询过程', [
    ['mysql.btree.lookup-path', 'A lookup starts at the root, descends level by level to a leaf, finds the key there and takes the pointer to the data record, then reads the record through that pointer.', '查询从根节点开始，逐层向下直到叶子节点，在叶子节点中找到键值并获取指向数据记录的指针，再通过指针访问实际的数据记录。'],
  ]),
  ...section('MySQL › B+树索引 › B+树索引的特点', [
    ['mysql.index.ordered', 'Index keys are kept in order, so ORDER BY on the index needs no sort.', '索引键有序，按索引排序无需额外排序。'],
    ['mysql.index.range-query', 'Range queries are efficient: they walk the linked leaves.', '范围查询高效：沿叶子链表扫描。'],
    ['mysql.index.leftmost-prefix', 'A composite index is used for a leftmost prefix of its columns.', '复合索引支持最左前缀匹配。'],
    ['mysql.index.prefix-match', "LIKE 'abc%' can use an index; LIKE '%abc' cannot.", "LIKE 'abc%' 可以使用索引，LIKE '%abc' 不能。"],
    ['mysql.btree.page-size', 'A node is one page, sized like a disk page, to reduce I/O.', '一个节点就是一页，大小与磁盘页一致，减少 I/O。'],
    ['mysql.btree.height', 'The tree stays low even for large tables.', '即使数据量大，树的高度也较低。'],
  ]),
];

export const k8sClaims = [
  ...section('Kubernetes › 就绪探针和存活探针的区别', [
    ['k8s.probe.liveness-restarts', 'A failing liveness probe restarts the container.', '存活探针失败会重启容器。'],
    ['k8s.probe.readiness-endpoints', 'A failing readiness probe removes the pod from the Service endpoints without restarting it.', '就绪探针失败会把 Pod 从 Service Endpoints 中移除，但不重启。'],
  ]),
  ...section('Kubernetes › 核心概念', [
    ['k8s.probe.startup', 'Pods have probe mechanisms (liveness, readiness, startup) that keep their containers healthy.', 'Pod 支持探针机制（liveness、readiness、startup）确保容器健康。'],
    ['k8s.pod.shared-network', 'Containers of a pod share a network namespace and reach each other on localhost.', '同一 Pod 的容器共享网络命名空间，通过 localhost 通信。'],
    ['k8s.pod.smallest-unit', 'The pod is the smallest deployable unit in K8s, containing one or more closely related containers.', 'Pod 是 K8s 最小部署单元，包含一个或多个紧密关联的容器。'],
    ['k8s.pod.shared-volumes', 'Containers of a pod can mount the same volume.', '同一 Pod 的容器可挂载相同的卷。'],
    ['k8s.pod.shared-pid-optional', 'Containers of a pod can optionally share the PID and IPC namespaces.', '同一 Pod 的容器可共享 PID 和 IPC 命名空间（可选）。'],
    ['k8s.pod.init-containers', 'Init containers run to completion before the main containers start.', 'Init 容器在主容器启动前执行完毕。'],
    ['k8s.service.stable-endpoint', 'A Service gives pods a stable IP and DNS name and follows them by label selector.', 'Service 为 Pod 提供固定 IP 和 DNS 名，通过标签选择器关联 Pod。'],
    ['k8s.service.types', 'Services come in several types: ClusterIP (in-cluster access, the default), NodePort (a port exposed on every node), LoadBalancer (with the cloud platform\'s load balancer), ExternalName (a DNS CNAME to an outside service) and Headless (a headless service, no ClusterIP, used for StatefulSet service discovery).', 'Service 支持多种类型：ClusterIP（集群内部访问，默认）、NodePort（暴露端口到所有节点）、LoadBalancer（结合云平台负载均衡器）、ExternalName（通过 DNS CNAME 指向外部服务）、Headless（无头服务，不分配 ClusterIP，用于 StatefulSet 服务发现）。'],
    ['k8s.deployment.replicaset', 'A Deployment controls the number of pod replicas through a ReplicaSet, supports rolling updates (RollingUpdate) and blue-green deployment (Blue-Green), can roll back to an earlier version, and its update strategy (maxSurge, maxUnavailable) controls the update.', 'Deployment 通过 ReplicaSet 控制 Pod 副本数量，支持滚动更新（RollingUpdate）和蓝绿部署（Blue-Green），支持回滚到之前的版本，并通过更新策略（maxSurge、maxUnavailable）控制更新过程。'],
    ['k8s.statefulset.identity', 'A StatefulSet gives its pods stable network identities (hostname and domain name), stable persistent storage, and ordered deployment and deletion (by ordinal).', 'StatefulSet 为 Pod 提供稳定的网络标识（主机名、域名）、稳定的持久化存储，并按序号有序部署和删除。'],
    ['k8s.daemonset.per-node', 'A DaemonSet runs one pod per node and follows nodes joining and leaving.', 'DaemonSet 在每个节点运行一个 Pod，并随节点增减自动调整。'],
    ['k8s.job.run-to-completion', 'A Job runs to completion; a CronJob runs Jobs on a schedule.', 'Job 执行一次性任务，CronJob 按计划执行。'],
    ['k8s.namespace.quota-limits', 'A namespace provides resource quotas (ResourceQuota) and limit ranges (LimitRange).', '命名空间提供资源配额（ResourceQuota）和限制范围（LimitRange）。'],
    ['k8s.namespace.defaults', 'A cluster starts with the default, kube-system, kube-public and kube-node-lease namespaces.', '集群默认有 default、kube-system、kube-public、kube-node-lease 命名空间。'],
    ['k8s.namespace.roles', 'Of the default namespaces, default is the default user space, kube-system the system-component space, kube-public a public space readable by all users, and kube-node-lease holds node heartbeat information.', '默认命名空间中，default 为默认用户空间，kube-system 为系统组件空间，kube-public 为公共空间（所有用户可读），kube-node-lease 为节点心跳信息。'],
    ['k8s.secret.base64', 'Secrets are only base64 encoded by default, not encrypted.', 'Secret 默认只是 Base64 编码，并未加密。'],
    ['k8s.secret.types', 'Secret types are Opaque (generic), docker-registry (image registry credentials) and tls (TLS certificates).', 'Secret 类型有 Opaque（通用）、docker-registry（Docker 镜像仓库认证）、tls（TLS 证书）。'],
    ['k8s.configmap.env-and-files', 'A ConfigMap stores non-sensitive configuration and supports environment variables and file mounts.', 'ConfigMap 存储非敏感配置信息，支持环境变量和文件挂载。'],
    ['k8s.volume.lifecycle', 'A Volume is a persistent storage abstraction whose lifetime is independent of the pod.', 'Volume 是持久化存储抽象，生命周期与 Pod 无关。'],
    ['k8s.volume.backends', 'Volumes support many backends: local storage, cloud storage and distributed storage (e.g. Ceph, GlusterFS).', 'Volume 支持多种后端：本地存储、云存储、分布式存储（如 Ceph、GlusterFS）。'],
    ['k8s.volume.pvc-pv', 'A PVC (PersistentVolumeClaim) requests storage dynamically; a PV (PersistentVolume) is the storage resource pool.', 'PVC（PersistentVolumeClaim）用于动态申请存储，PV（PersistentVolume）是存储资源池。'],
  ]),
  ...section('Kubernetes › 控制平面组件（Master）', [
    ['k8s.apiserver.authn-authz-admission', 'kube-apiserver handles and validates every client request, with authentication, authorization and admission control.', 'kube-apiserver 处理和验证所有客户端请求，实现认证（Authentication）、授权（Authorization）和准入控制（Admission Control）。'],
    ['k8s.apiserver.rest-entry', 'kube-apiserver is the cluster\'s single entry point and provides a RESTful API.', 'kube-apiserver 是集群的统一入口，提供 RESTful API 接口。'],
    ['k8s.apiserver.only-etcd-client', 'Every component talks through the API server, the only one that reads and writes etcd.', '所有组件都通过 API Server 通信，只有它读写 etcd。'],
    ['k8s.etcd.source-of-truth', 'etcd stores all cluster state.', 'etcd 保存集群所有配置和状态数据。'],
    ['k8s.etcd.kv-strong-consistency', 'etcd is a distributed key-value (KV) store; it provides a strong consistency guarantee and is the cluster\'s “single source of truth”.', 'etcd 是分布式键值对（KV）存储系统，提供强一致性保证，是集群的“唯一事实来源”。'],
    ['k8s.etcd.odd-members', 'etcd is deployed for high availability, usually with an odd number of members (3, 5, 7).', 'etcd 支持高可用部署（通常为奇数个节点，如 3、5、7 个）。'],
    ['k8s.scheduler.filters', 'The scheduler places pods by resources, affinity, taints and tolerations, and topology constraints.', '调度器根据资源、亲和性、污点和容忍度、拓扑约束选择节点。'],
    ['k8s.scheduler.anti-affinity', 'The scheduler chooses a node according to resource requirements (CPU, memory, GPU and so on), node resource availability, and affinity and anti-affinity rules, among other factors.', 'kube-scheduler 根据资源需求（CPU、内存、GPU 等）、节点资源可用性、亲和力（Affinity）和反亲和力（Anti-Affinity）规则等因素选择合适节点。'],
    ['k8s.controllers.reconcile', 'Controllers drive the actual state to the desired state.', '控制器确保实际状态与期望状态一致。'],
    ['k8s.kcm.controllers', 'kube-controller-manager is the component that runs the various controller processes; its main controllers are the Node Controller (manages the node lifecycle), the Replication Controller (keeps the number of pod replicas), the Deployment Controller (manages Deployment resources), the StatefulSet Controller (manages stateful applications), the Endpoints Controller (maintains the association between Services and pods) and the Service Account & Token Controller (manages service accounts and tokens).', 'kube-controller-manager 是运行各种控制器进程的组件，包含的主要控制器：Node Controller（管理节点生命周期）、Replication Controller（维持 Pod 副本数量）、Deployment Controller（管理 Deployment 资源）、StatefulSet Controller（管理有状态应用）、Endpoints Controller（维护 Service 与 Pod 的关联）、Service Account & Token Controller（管理服务账号和令牌）。'],
    ['k8s.ccm.controllers', "The cloud-controller-manager's main controllers are the Node Controller (nodes with the cloud platform), the Route Controller (network routes), the Service Controller (cloud load balancers) and the Volume Controller (cloud storage volumes).", 'cloud-controller-manager 包括的主要控制器：Node Controller（与云平台交互管理节点）、Route Controller（配置网络路由）、Service Controller（管理云平台负载均衡器）、Volume Controller（管理云存储卷）。'],
  ]),
  ...section('Kubernetes › Node 组件', [
    ['k8s.kubelet.probes', 'The kubelet runs the probes and reports pod status to the API server.', 'kubelet 执行探针并向 API Server 报告 Pod 状态。'],
    ['k8s.kubelet.pod-lifecycle', 'The kubelet is the core agent running on every node; it manages every stage of the pod lifecycle (create, start, monitor, stop and destroy), and communicates with kube-apiserver, receiving pod specs and making sure the containers running on the node match them.', 'kubelet 是运行在每个节点上的核心代理组件，负责管理 Pod 生命周期的各个阶段：创建、启动、监控、停止和销毁；与 kube-apiserver 通信，接收 Pod 规范并确保节点上运行的容器与规范一致。'],
    ['k8s.kubelet.node-status', 'The kubelet reports node and pod status and resource usage to kube-apiserver.', 'kubelet 向 kube-apiserver 报告节点和 Pod 的状态、资源使用情况。'],
    ['k8s.kubelet.volumes-network', 'The kubelet manages the volumes and the network on its node.', 'kubelet 管理节点上的卷（Volume）和网络。'],
    ['k8s.kube-proxy.dnat', 'kube-proxy implements ClusterIP with DNAT rules (iptables or IPVS).', 'kube-proxy 通过 DNAT 规则（iptables 或 IPVS）实现 ClusterIP。'],
    ['k8s.kube-proxy.round-robin', 'kube-proxy balances with round robin.', 'kube-proxy 使用轮询算法做负载均衡。'],
    ['k8s.kube-proxy.session-affinity', 'kube-proxy supports session affinity.', 'kube-proxy 支持会话亲和性（Session Affinity）。'],
    ['k8s.kube-proxy.per-node-nodeport', 'kube-proxy is a network proxy running on every node; for the NodePort type it opens port forwarding on every node, and for the LoadBalancer type it works with the cloud platform\'s load balancer.', 'kube-proxy 是运行在每个节点上的网络代理组件；NodePort 类型在每个节点上打开端口转发，LoadBalancer 类型配合云平台负载均衡器。'],
    ['k8s.runtime.cri', 'The container runtime talks to the kubelet through the Container Runtime Interface (CRI) and comes in several implementations: Docker (the most used container runtime, though Kubernetes depends on Docker less and less directly), containerd (a lightweight container runtime focused on core features), CRI-O (a container runtime designed for Kubernetes) and rkt (a container runtime developed by CoreOS).', '容器运行时通过容器运行时接口（CRI）与 kubelet 交互，支持多种实现：Docker（最常用的容器运行时，但 Kubernetes 已逐渐减少对 Docker 的直接依赖）、containerd（轻量级容器运行时，专注于核心功能）、CRI-O（专门为 Kubernetes 设计的容器运行时）、rkt（由 CoreOS 开发的容器运行时）。'],
    ['k8s.runtime.responsibilities', 'The container runtime is responsible for pulling container images and for creating, running, stopping and deleting containers, and manages the containers\' network, storage and resource isolation.', '容器运行时负责容器镜像的拉取、容器的创建、运行、停止和删除，管理容器的网络、存储和资源隔离。'],
  ]),
  ...section('Kubernetes › Pod 拉不起应该怎么排查', [
    ['k8s.pod.status-causes', 'Each pod status in the troubleshooting table has the meaning and common causes the table gives: Pending (the pod is created but not scheduled: insufficient resources, node selector, taints and tolerations), ImagePullBackOff (image pull failed: image missing, authentication failure, network problem), CrashLoopBackOff (the container crashes again and again: application error, configuration error, failing health check), Error (the container exited abnormally: application crash, OOM, start failure), Running (running but not healthy: application logic error, failing probe), Terminated (the container has terminated: task finished or abnormal exit), Unknown (status unknown: node lost, kubelet problem), CreateContainerConfigError (container configuration error: ConfigMap/Secret missing) and Init:Error (init container failed: init container error).', '常见 Pod 状态的说明和常见原因如表所述：Pending（Pod 已创建但未调度：资源不足、节点选择器、污点容忍）、ImagePullBackOff（镜像拉取失败：镜像不存在、认证失败、网络问题）、CrashLoopBackOff（容器反复崩溃：应用错误、配置错误、健康检查失败）、Error（容器异常退出：应用崩溃、OOM、启动失败）、Running（运行中但不正常：应用逻辑错误、探针失败）、Terminated（容器已终止：任务完成或异常退出）、Unknown（状态未知：节点失联、kubelet 问题）、CreateContainerConfigError（容器配置错误：ConfigMap/Secret 缺失）、Init:Error（Init 容器失败：Init 容器异常）。'],
  ]),
  ...section('Kubernetes › Pod跨节点访问的完整流程', [
    ['k8s.network.cross-node-path', 'A packet between pods on different nodes crosses the veth pair, the cni0 bridge, the node stack and the overlay.', '跨节点 Pod 访问经过 veth pair、cni0 网桥、节点网络栈和 Overlay 网络。'],
  ]),
  ...section('Kubernetes › Deployment实现Pod部署的详细流程', [
    ['k8s.deployment.flow', 'kubectl apply stores the Deployment in etcd, the controller creates a ReplicaSet, which creates pods that the scheduler binds and kubelets start.', 'apply 后 Deployment 存入 etcd，控制器创建 ReplicaSet，再创建 Pod，由调度器绑定、kubelet 启动。'],
    ['k8s.deployment.apiserver-parses', 'On kubectl apply -f deployment.yaml, the Kubernetes API server parses the Deployment YAML file, checks the YAML syntax and the fields\' validity, and verifies that the user has permission to create Deployments.', '执行 kubectl apply -f deployment.yaml 时，Kubernetes API 服务器解析 Deployment YAML 文件，检查 YAML 语法和字段合法性，验证用户是否有创建 Deployment 的权限。'],
    ['k8s.deployment.available', 'A Deployment becomes Available when all its pods are Running and have passed their health checks.', '当所有 Pod 都处于 Running 状态且通过健康检查后，Deployment 状态变为 Available。'],
  ]),
  ...section('Kubernetes › Pod调度的大致流程', [
    ['k8s.scheduling.flow', 'A pod is created, validated and admitted, scheduled, bound to a node, then started by that node\'s kubelet.', 'Pod 创建、验证准入、调度、绑定节点，然后由 kubelet 启动。'],
  ]),
];
