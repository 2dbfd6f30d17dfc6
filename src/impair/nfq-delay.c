/*
 * nfq-delay: holds every packet of one NFQUEUE for a fixed time, then accepts it.
 * The user-space stand-in for `tc netem delay` on kernels without netem.
 * Usage: nfq-delay QUEUE DELAY_MS. Prints "ready" once bound; on SIGTERM prints "delayed N".
 * A constant delay keeps arrival order, so a ring buffer of (packet id, due time) suffices.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <math.h>
#include <linux/netfilter.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define RING 65536

static struct { uint32_t id; double due; } ring[RING];
static unsigned head, tail;
static double delay_s;
static unsigned long delayed;
static volatile sig_atomic_t stop;

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

static int on_packet(struct nfq_q_handle *qh, struct nfgenmsg *msg, struct nfq_data *nfa, void *data) {
  (void)msg; (void)data;
  uint32_t id = ntohl(nfq_get_msg_packet_hdr(nfa)->packet_id);
  if (tail - head == RING) return nfq_set_verdict(qh, id, NF_DROP, 0, NULL);
  ring[tail % RING].id = id;
  ring[tail % RING].due = now() + delay_s;
  tail++;
  return 0;
}

static void on_signal(int sig) { (void)sig; stop = 1; }

int main(int argc, char **argv) {
  if (argc != 3) { fprintf(stderr, "usage: nfq-delay QUEUE DELAY_MS\n"); return 2; }
  delay_s = atof(argv[2]) / 1000.0;
  struct nfq_handle *h = nfq_open();
  if (!h) { perror("nfq_open"); return 1; }
  struct nfq_q_handle *qh = nfq_create_queue(h, atoi(argv[1]), on_packet, NULL);
  if (!qh) { perror("nfq_create_queue"); return 1; }
  nfq_set_mode(qh, NFQNL_COPY_META, 0);
  nfq_set_queue_maxlen(qh, RING);
  nfnl_rcvbufsiz(nfq_nfnlh(h), 16 << 20);
  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);
  printf("ready\n");
  fflush(stdout);
  char buf[65536];
  struct pollfd pfd = { .fd = nfq_fd(h), .events = POLLIN };
  while (!stop) {
    double t = now();
    while (head != tail && ring[head % RING].due <= t) {
      nfq_set_verdict(qh, ring[head % RING].id, NF_ACCEPT, 0, NULL);
      head++;
      delayed++;
    }
    /* Rounded up: a packet is released at most 1 ms late, and the loop never spins waiting for it. */
    int wait_ms = head == tail ? 200 : (int)ceil((ring[head % RING].due - t) * 1000);
    if (poll(&pfd, 1, wait_ms < 0 ? 0 : wait_ms) > 0) {
      int n = recv(pfd.fd, buf, sizeof buf, 0);
      if (n > 0) nfq_handle_packet(h, buf, n);
      else if (n < 0 && errno != ENOBUFS && errno != EINTR) { perror("recv"); break; }
    }
  }
  printf("delayed %lu\n", delayed);
  fflush(stdout);
  nfq_destroy_queue(qh);
  nfq_close(h);
  return 0;
}
