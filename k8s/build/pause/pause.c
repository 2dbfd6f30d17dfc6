/*
 * The sandbox ("pause") process of every pod: it holds the pod's namespaces open,
 * reaps orphaned children (it is PID 1 of the pod when the PID namespace is shared)
 * and exits cleanly on SIGINT/SIGTERM. Same behaviour as Kubernetes'
 * build/pause/linux/pause.c, written for this project; built with gcc -static so
 * that the image holds nothing but this one file.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef VERSION
#define VERSION "unknown"
#endif

static void on_stop(int sig) {
  (void)sig;
  _exit(0);
}

static void on_child(int sig) {
  (void)sig;
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
}

int main(int argc, char **argv) {
  struct sigaction stop = {.sa_handler = on_stop};
  struct sigaction child = {.sa_handler = on_child, .sa_flags = SA_NOCLDSTOP | SA_RESTART};

  if (argc > 1 && strcmp(argv[1], "-v") == 0) {
    printf("pause %s\n", VERSION);
    return 0;
  }
  if (getpid() != 1) fprintf(stderr, "pause: not PID 1 (running outside a pod sandbox?)\n");
  if (sigaction(SIGINT, &stop, NULL) < 0 || sigaction(SIGTERM, &stop, NULL) < 0) return 1;
  if (sigaction(SIGCHLD, &child, NULL) < 0) return 2;
  for (;;) pause();
}
