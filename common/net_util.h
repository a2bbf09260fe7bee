// Small network helpers.
#ifndef PAASTA_COMMON_NET_UTIL_H_
#define PAASTA_COMMON_NET_UTIL_H_

namespace paasta {

// A TCP port free on 127.0.0.1 now, released at once for the caller to hand
// on (a task's PORT, a listener another daemon must be told of before it
// starts). 0 if none could be found.
//
// The port is picked at random from the ports just below the kernel's
// ephemeral range (net.ipv4.ip_local_port_range), as Mesos hands out tasks'
// ports from 31000-32000: the kernel never gives those to a socket bound to
// port 0 or to an outgoing connection, so no gRPC channel or port-0 listener
// of this platform can take the port before its owner binds it. (A pick from
// the ephemeral range lost that race under load: Prometheus found its port
// taken by a daemon started after the pick.) Ports this process handed out
// recently are not handed out again. Callers that can should still bind port
// 0 themselves and read the port back.
int FreeLoopbackPort();

// FreeLoopbackPort's pick, held until this process exits: a socket stays
// bound to it, not listening. A bind without SO_REUSEADDR (every other
// FreeLoopbackPort or ReserveLoopbackPort, of any process) is refused it,
// while the listener it is meant for binds and listens beside it, as long as
// that sets SO_REUSEADDR or SO_REUSEPORT (gRPC, civetweb, HAProxy, Go's and
// Python's HTTP servers, `git daemon --reuseaddr` do). For ports named to a
// listener before it starts, and kept while it restarts: nobody else can pick
// the port meanwhile (as kubelet holds a pod's host ports). 0 if none.
int ReserveLoopbackPort();

}  // namespace paasta

#endif  // PAASTA_COMMON_NET_UTIL_H_
