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
 * The socket is PODNET_CNI_SOCKET, else the config's top-level "agentSocket" string (runtimes such
 * as podman do not pass their environment on to plugins), else /run/podnet/cni.sock; "none" forces
 * the standalone plugin. The config is read whole first, so the standalone plugin gets it back on
 * its stdin from a memfd. Runtimes call plugins without arguments; with arguments (`podnet-cni agent --socket PATH`) the shim passes them
 * to the Node bundle, which then runs the agent itself.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
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

/* read_fd reads a whole stream (the config on stdin, the agent's answer) into a NUL-terminated buffer. */
static char *read_fd(int fd, size_t *len, const char *what) {
  size_t cap = 65536;
  char *buf = malloc(cap + 1);
  *len = 0;
  for (;;) {
    if (buf == NULL) fail(what, "out of memory");
    if (*len == cap) {
      if (cap >= MAX_REPLY) fail(what, "too large");
      cap *= 2;
      buf = realloc(buf, cap + 1);
      continue;
    }
    ssize_t r = read(fd, buf + *len, cap - *len);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) fail(what, strerror(errno));
    if (r == 0) break;
    *len += (size_t)r;
  }
  buf[*len] = 0;
  return buf;
}

/* conf_socket finds `"agentSocket": "<path>"` in the config: a plain absolute path (no escapes) or "none". */
static const char *conf_socket(const char *conf, char *out, size_t size) {
  const char *p = strstr(conf, "\"agentSocket\"");
  if (p == NULL) return NULL;
  p += strlen("\"agentSocket\"");
  while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
  if (*p++ != ':') return NULL;
  while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
  if (*p++ != '"' || (*p != '/' && strncmp(p, "none\"", 5) != 0)) return NULL;
  size_t n = strcspn(p, "\"\\");
  if (p[n] != '"' || n >= size) return NULL;
  memcpy(out, p, n);
  out[n] = 0;
  return out;
}

/* stdin_from puts the config already read back on stdin, for the process this one becomes. */
static void stdin_from(const char *conf, size_t len) {
  int fd = memfd_create("podnet-cni-conf", 0);
  if (fd < 0 || write(fd, conf, len) != (ssize_t)len || lseek(fd, 0, SEEK_SET) != 0 || dup2(fd, 0) < 0)
    fail("hand the network configuration to the standalone plugin", strerror(errno));
  close(fd);
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

static void send_request(int fd, const char *sock, const char *conf, size_t conf_len) {
  for (char **e = environ; *e != NULL; e++)
    if (strncmp(*e, "CNI_", 4) == 0 && send_all(fd, *e, strlen(*e) + 1) < 0) fail("send the call to the podnet-cni agent", sock);
  struct stat ns;
  char self[64] = {0};
  int len = snprintf(self, sizeof self, "PODNET_SHIM_NETNS=%llu", stat("/proc/self/ns/net", &ns) == 0 ? (unsigned long long)ns.st_ino : 0ULL);
  if (send_all(fd, self, (size_t)len + 2) < 0) fail("send the call to the podnet-cni agent", sock); /* entry NUL + empty entry */
  if (send_all(fd, conf, conf_len) < 0) fail("send the network configuration to the podnet-cni agent", sock);
  shutdown(fd, SHUT_WR);
}

int main(int argc, char **argv) {
  if (argc > 1) standalone(argv); /* `podnet-cni agent …`: not a CNI call */
  size_t conf_len, len;
  char *conf = read_fd(0, &conf_len, "read the network configuration");
  static char from_conf[sizeof(((struct sockaddr_un *)0)->sun_path)];
  const char *sock = getenv("PODNET_CNI_SOCKET");
  if (sock == NULL || sock[0] == 0) sock = conf_socket(conf, from_conf, sizeof from_conf);
  if (sock == NULL) sock = DEFAULT_SOCKET;
  int fd = connect_agent(sock);
  if (fd < 0) {
    stdin_from(conf, conf_len);
    standalone(argv);
  }
  send_request(fd, sock, conf, conf_len);
  char *reply = read_fd(fd, &len, "read the podnet-cni agent's answer");
  char *nl = memchr(reply, '\n', len);
  if (nl == NULL || nl == reply) fail("read the podnet-cni agent's answer", "the agent closed the connection without an answer");
  int code = atoi(reply);
  size_t head = (size_t)(nl - reply) + 1;
  if (len > head && fwrite(nl + 1, 1, len - head, stdout) != len - head) return 1;
  return code;
}
