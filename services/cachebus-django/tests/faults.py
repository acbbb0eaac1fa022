"""
Servers of a test's own to break: a throwaway redis-server with a password, a TCP listener that accepts and never
answers (a black-holed broker), and a tap that forwards to a real server and counts the connections made through
it. Never the shared servers: others run tests on them at the same time.
"""
import os
import pathlib
import signal
import socket
import subprocess
import threading
import time
import uuid


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def within(seconds, action):
    """
    Runs action() in a thread and returns (its result, the seconds it took); fails when it is still running after
    `seconds`, so a hang shows as a failure instead of a stuck test. The thread is left to finish on its own.
    """
    outcome = {}

    def run():
        from django.db import connections
        started = time.monotonic()
        try:
            outcome["result"] = action()
        except BaseException as error:  # noqa: BLE001 - handed to the test's thread, which raises it
            outcome["error"] = error
        finally:
            outcome["elapsed"] = time.monotonic() - started
            connections.close_all()  # the thread's own database connection

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        raise AssertionError(f"still running after {seconds} s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"], outcome["elapsed"]


class ThrowawayRedis:
    """A redis-server on a free port with a password, in a directory of its own; pause() black-holes it (SIGSTOP)."""

    def __init__(self, directory: pathlib.Path):
        self.port, self.password, self.directory = free_port(), uuid.uuid4().hex, directory
        self.url = f"redis://:{self.password}@127.0.0.1:{self.port}/0"
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--requirepass", self.password,
             "--save", "", "--appendonly", "no", "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while not self._answers():
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError(f"redis-server on port {self.port} did not start")
            time.sleep(0.05)
        return self

    def _answers(self):
        import redis
        try:
            return self.client().ping()
        except redis.RedisError:
            return False

    def client(self):
        import redis
        return redis.Redis.from_url(self.url, socket_timeout=2, socket_connect_timeout=2)

    def pause(self):
        os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self):
        os.kill(self.process.pid, signal.SIGCONT)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.resume()
            self.process.terminate()
            self.process.wait(timeout=10)


class BlackHole:
    """Accepts TCP connections and never answers, as a partitioned or frozen server looks to a client."""

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.held = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            self.held.append(connection)

    def close(self):
        self.listener.close()
        for connection in self.held:
            connection.close()


class CountingProxy:
    """Forwards every connection to a real server and counts them: how many connections a client really opened."""

    def __init__(self, host, port):
        self.target = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.connections = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            server = socket.create_connection(self.target, timeout=5)
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                try:
                    end.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self):
        self.listener.close()
