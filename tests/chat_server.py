"""A real HTTP server on 127.0.0.1 speaking the OpenAI chat-completions protocol, for the runner
tests and bench/judge_bench.py.

`POST /v1/chat/completions` answers deterministically from the request: a judge prompt (it has a
"# Rubric item" section) gets `{"explanation", "criteria_met"}` with criteria_met true when the
rubric item's text has an even sha256; any other prompt gets a text naming the model and a digest
of the messages. Faults are injected by substring: `server.faults[marker] = fault` applies `fault`
to every request whose messages contain `marker` ("" matches every request):

- "500": HTTP 500;  "401": HTTP 401;  "429": HTTP 429 with `Retry-After` (`server.retry_after`);
- "slow": the answer comes after `server.slow_seconds`;
- "malformed": HTTP 200 with a body that is not JSON;
- "garbage": a chat completion whose content is not JSON (for a judge: unparseable);
- "echo": HTTP 400 whose body repeats the Authorization header it received (a careless server);
- "429-once": HTTP 429 with `Retry-After` the first time a prompt is seen, then the answer.

`server.api_key`, when set, is required as the bearer token (else 401). Every request is counted
in `server.requests`, and the authorization headers seen are kept in `server.auth_headers`.
"""

import hashlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

JUDGE_MARKER = "# Rubric item"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def expected_met(rubric_item: str) -> bool:
    """The fake judge's verdict on a rubric item (tests compare labels with it)."""
    return int(_digest(rubric_item.strip()), 16) % 2 == 0


def expected_answer(model: str, messages: list[dict]) -> str:
    """The fake model's answer to a conversation."""
    key = _digest(json.dumps(messages, sort_keys=True, ensure_ascii=False))[:10]
    return f"[{model}] answer {key}: rest, fluids, and see a doctor if it gets worse."


def _judge_answer(prompt: str) -> str:
    rubric = prompt.split(JUDGE_MARKER, 1)[1].split("# Instructions", 1)[0]
    met = expected_met(rubric)
    return json.dumps({"explanation": "Checked against the rubric item.", "criteria_met": met})


class ChatServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, latency: float = 0.0):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.latency = latency
        self.faults: dict[str, str] = {}
        self.api_key: str | None = None
        self.retry_after = "0.05"
        self.slow_seconds = 2.0
        self.requests = 0
        self.auth_headers: list[str] = []
        self.seen: set[str] = set()
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"

    def start(self) -> "ChatServer":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()

    def handle_error(self, request, client_address) -> None:
        pass  # a client that timed out closed the socket; nothing to report

    def fault_for(self, text: str) -> str | None:
        for marker, fault in self.faults.items():
            if marker in text:
                return fault
        return None


class _Handler(BaseHTTPRequestHandler):
    server: ChatServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args) -> None:  # quiet: tests read their own logs
        pass

    def _send(self, status: int, body: bytes, headers: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _error(self, status: int, message: str, headers: dict | None = None) -> None:
        body = {"error": {"message": message, "type": "fake", "code": status}}
        self._send(status, json.dumps(body).encode(), headers)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        request = json.loads(self.rfile.read(length) or b"{}")
        server = self.server
        authorization = self.headers.get("Authorization", "")
        with server.lock:
            server.requests += 1
            server.auth_headers.append(authorization)
        if self.path != "/v1/chat/completions":
            self._error(404, "not found")
            return
        messages = request.get("messages") or []
        text = "\n".join(str(m.get("content", "")) for m in messages)
        fault = server.fault_for(text)
        if server.api_key is not None and authorization != f"Bearer {server.api_key}":
            fault = "401"
        if server.latency:
            time.sleep(server.latency)
        if fault == "429-once":
            with server.lock:
                first = text not in server.seen
                server.seen.add(text)
            fault = "429" if first else None
        if fault == "500":
            self._error(500, "internal error")
        elif fault == "401":
            self._error(401, "Incorrect API key provided.")
        elif fault == "429":
            self._error(429, "Rate limit reached.", {"Retry-After": server.retry_after})
        elif fault == "echo":
            self._error(400, f"Bad request with header {authorization!r}")
        elif fault == "malformed":
            self._send(200, b'{"id": "x", "choices": [ this is not json')
        else:
            if fault == "slow":
                time.sleep(server.slow_seconds)
            self._answer(request, messages, text, garbage=fault == "garbage")

    def _answer(self, request: dict, messages: list[dict], text: str, garbage: bool) -> None:
        model = request.get("model", "")
        if garbage:
            content = "I think it is probably fine, more or less."
        elif JUDGE_MARKER in text:
            content = _judge_answer(text)
        else:
            content = expected_answer(model, messages)
        body = {
            "id": "chatcmpl-" + _digest(text)[:12],
            "object": "chat.completion",
            "created": 1700000000,
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": "stop",
                }
            ],
            "usage": {
                "prompt_tokens": len(text.split()),
                "completion_tokens": len(content.split()),
                "total_tokens": len(text.split()) + len(content.split()),
            },
        }
        self._send(200, json.dumps(body, ensure_ascii=False).encode())
