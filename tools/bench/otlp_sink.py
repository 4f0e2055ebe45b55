#!/usr/bin/env python3
"""A stand-in OpenTelemetry collector for benchmarks: accepts OTLP/HTTP exports on
POST /v1/traces (loopback, the given port), answers 200 with an empty ExportTraceServiceResponse,
and counts requests and bytes (printed on stop), so a benchmark pays for real export without a collector.
Usage: otlp_sink.py PORT"""
import http.server
import signal
import sys

requests = 0
received = 0


class Sink(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        global requests, received
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        requests += 1
        received += len(body)
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def stop(*_):
    print(f"otlp sink: {requests} export requests, {received} bytes", flush=True)
    sys.exit(0)


signal.signal(signal.SIGTERM, stop)
server = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Sink)
print(f"otlp sink listening on 127.0.0.1:{sys.argv[1]}", flush=True)
server.serve_forever()
