"""httpcore's network backend on asyncio's streams: a big answer is handed to httpcore in a
few large reads (whatever has arrived, up to READ_AT_ONCE), not 64 KiB at a time; over a
real loopback socket, with no clock involved."""

from __future__ import annotations

import asyncio

from gateway.upstream.network import READ_AT_ONCE, AsyncioBackend


async def test_a_read_hands_over_everything_that_has_arrived_up_to_read_at_once() -> None:
    payload = bytes(range(256)) * (3 * 4096)  # 3 MiB
    done = asyncio.Event()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(payload)
        await writer.drain()
        await done.wait()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    stream = await AsyncioBackend().connect_tcp("127.0.0.1", port, timeout=5.0)
    try:
        got = bytearray()
        sizes = []
        while len(got) < len(payload):
            chunk = await stream.read(64 * 1024, timeout=5.0)
            assert chunk
            sizes.append(len(chunk))
            got += chunk
        assert bytes(got) == payload
        assert max(sizes) <= READ_AT_ONCE
        assert max(sizes) > 64 * 1024  # more than httpcore's 64 KiB when more had arrived
    finally:
        done.set()
        await stream.aclose()
        server.close()
        await server.wait_closed()
