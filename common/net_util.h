// Small network helpers.
#ifndef PAASTA_COMMON_NET_UTIL_H_
#define PAASTA_COMMON_NET_UTIL_H_

namespace paasta {

// A TCP port free on 127.0.0.1 now: the kernel's pick for a socket bound to
// port 0, released at once for the caller to hand on (a task's PORT, a
// listener another daemon must be told of before it starts). 0 if no socket
// could be bound. Another process may take it in between; callers that can
// should bind port 0 themselves and read the port back.
int FreeLoopbackPort();

}  // namespace paasta

#endif  // PAASTA_COMMON_NET_UTIL_H_
