/*
 * podnet-cni: the executable a container runtime starts for every CNI call.
 *
 * A runtime pays for a whole process start on every ADD and DEL, and starting Node.js alone costs
 * twice the reference plugin's entire ADD. So this small native program only carries the call to
 * the node's podnet-cni agent (`podnet cni agent`, a long-running Node process that runs the very
 * same plugin code) over a unix socket, as kube-ovn's and Cilium's CNI binaries hand calls to their
 * daemons. When no agent answers, it becomes the standalone plugin: it execs Node on the bundled
 * plugin (dist/podnet-cni.cjs) without NODE_EXTRA_CA_CERTS, which would cost ~40 ms per start.
 *
 * Wire format (see src/cni/agent.ts): the request is the CNI_* environment as NUL-terminated
 * KEY=VALUE entries, then PODNET_SHIM_NETNS=<inode of this process's network namespace>, then an
 * empty entry, then the network configuration exactly as read from stdin; the shim half-closes.
 * The reply is the exit code in decimal, a newline, and what the plugin prints on stdout.
 *
 * PODNET_CNI_SOCKET overrides the socket path; "none" forces the standalone plugin. Runtimes call
 * plugins without arguments; with arguments (`podnet-cni agent --socket PATH`) the shim passes them
 * to the Node bundle, which then runs the agent itself.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#ifndef PODNET_BUNDLE
#define PODNET_BUNDLE ""
#endif
#define DEFAULT_SOCKET "/run/podnet/cni.sock"
#define MAX_REPLY (64 << 20)

extern char **environ;

/* fail prints the spec's error JSON (code 999: a plugin-specific failure) and exits 1. */
static void fail(const char *what, const char *detail) {
  printf("{\"cniVersion\":\"1.1.0\",\"code\":999,\"msg\":\"failed to %s\",\"details\":\"", what);
  for (const unsigned char *c = (const unsigned char *)detail; *c != 0; c++)
    if (*c == '"' || *c == '\\') printf("\\%c", *c);
    else if (*c < 0x20) printf("\\u%04x", *c);
    else putchar(*c);
  printf("\"}\n");
  exit(1);
}

static int send_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

/* standalone replaces this process with the Node plugin: the bundle beside this executable, else the
 * one this executable was built for. */
static void standalone(char **argv) {
  static char exe[PATH_MAX], bundle[PATH_MAX + 32];
  const char *path = NULL;
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n > 0) {
    exe[n] = 0;
    snprintf(bundle, sizeof bundle, "%s/podnet-cni.cjs", dirname(exe));
    if (access(bundle, R_OK) == 0) path = bundle;
  }
  if (path == NULL && PODNET_BUNDLE[0] != 0 && access(PODNET_BUNDLE, R_OK) == 0) path = PODNET_BUNDLE;
  if (path == NULL) fail("find the podnet-cni bundle", "no podnet-cni.cjs beside the executable; run scripts/setup.sh");
  unsetenv("NODE_EXTRA_CA_CERTS");
  int argc = 0;
  while (argv[argc] != NULL) argc++;
  char **args = calloc((size_t)argc + 2, sizeof *args);
  if (args == NULL) fail("start node for the standalone plugin", "out of memory");
  args[0] = "node";
  args[1] = (char *)path;
  for (int i = 1; i < argc; i++) args[i + 1] = argv[i];
  execvp("node", args);
  fail("start node for the standalone plugin", strerror(errno));
}

/* connect_agent returns a connected socket, or -1 when no agent serves the path. */
static int connect_agent(const char *path) {
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  if (strcmp(path, "none") == 0 || strlen(path) >= sizeof a.sun_path) return -1;
  memcpy(a.sun_path, path, strlen(path) + 1);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (connect(fd, (struct sockaddr *)&a, sizeof a) == 0) return fd;
  close(fd);
  return -1;
}

static void send_request(int fd, const char *sock) {
  for (char **e = environ; *e != NULL; e++)
    if (strncmp(*e, "CNI_", 4) == 0 && send_all(fd, *e, strlen(*e) + 1) < 0) fail("send the call to the podnet-cni agent", sock);
  struct stat ns;
  char self[64] = {0};
  int len = snprintf(self, sizeof self, "PODNET_SHIM_NETNS=%llu", stat("/proc/self/ns/net", &ns) == 0 ? (unsigned long long)ns.st_ino : 0ULL);
  if (send_all(fd, self, (size_t)len + 2) < 0) fail("send the call to the podnet-cni agent", sock); /* entry NUL + empty entry */
  char buf[65536];
  for (;;) {
    ssize_t r = read(0, buf, sizeof buf);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    if (send_all(fd, buf, (size_t)r) < 0) fail("send the network configuration to the podnet-cni agent", sock);
  }
  shutdown(fd, SHUT_WR);
}

int main(int argc, char **argv) {
  const char *sock = getenv("PODNET_CNI_SOCKET");
  if (sock == NULL || sock[0] == 0) sock = DEFAULT_SOCKET;
  int fd = argc > 1 ? -1 : connect_agent(sock);
  if (fd < 0) standalone(argv);
  send_request(fd, sock);
  size_t cap = 65536, len = 0;
  char *reply = malloc(cap);
  for (;;) {
    if (reply == NULL) fail("read the podnet-cni agent's answer", "out of memory");
    if (len == cap) {
      if (cap >= MAX_REPLY) fail("read the podnet-cni agent's answer", "answer too large");
      cap *= 2;
      reply = realloc(reply, cap);
      continue;
    }
    ssize_t r = read(fd, reply + len, cap - len);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) fail("read the podnet-cni agent's answer", strerror(errno));
    if (r == 0) break;
    len += (size_t)r;
  }
  char *nl = memchr(reply, '\n', len);
  if (nl == NULL || nl == reply) fail("read the podnet-cni agent's answer", "the agent closed the connection without an answer");
  int code = atoi(reply);
  size_t head = (size_t)(nl - reply) + 1;
  if (len > head && fwrite(nl + 1, 1, len - head, stdout) != len - head) return 1;
  return code;
}
