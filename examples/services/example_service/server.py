"""example_service: answers greetings over HTTP.

GET /        -> "<GREETING> from <PAASTA_SERVICE>.<PAASTA_INSTANCE> (git <sha>)"
GET /status  -> "ok" (the health check and hacheck's target)

Listens on $PORT (set by the agent; Marathon sets it too).
"""
import http.server
import os


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/status":
            body = "ok\n"
        else:
            body = "{} from {}.{} ({})\n".format(
                os.environ.get("GREETING", "hello"),
                os.environ.get("PAASTA_SERVICE", "?"),
                os.environ.get("PAASTA_INSTANCE", "?"),
                os.environ.get("PAASTA_DOCKER_IMAGE", "?"),
            )
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, fmt, *args):
        pass


if __name__ == "__main__":
    port = int(os.environ.get("PORT", "8888"))
    http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
