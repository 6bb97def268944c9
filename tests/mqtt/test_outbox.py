"""The outbox: latest value per retained topic, bounded one-off messages, never blocking."""

from __future__ import annotations

import asyncio

from companion.mqtt.outbox import Outbox, Outgoing


def state(n: int) -> Outgoing:
    return Outgoing("hub/state", str(n).encode(), retain=True)


def event(n: int) -> Outgoing:
    return Outgoing("hub/event", str(n).encode())


async def drain(box: Outbox) -> list[bytes]:
    sent = []
    while box.peek() is not None:
        message = await box.wait()
        sent.append(message.payload)
        box.pop(message)
    return sent


async def test_a_retained_topic_keeps_only_its_latest_value_in_time_order() -> None:
    box = Outbox()
    for n in range(1000):
        box.put_latest(state(n))
    box.put(event(1))
    box.put_latest(state(1000))
    assert box.topics() == ["hub/event", "hub/state"]
    assert await drain(box) == [b"1", b"1000"]


async def test_one_off_messages_queue_in_order_and_the_oldest_go_first_when_full() -> None:
    box = Outbox(max_messages=3)
    box.put_latest(state(0))
    for n in range(5):
        box.put(event(n))
    assert box.dropped == 2
    assert await drain(box) == [b"0", b"2", b"3", b"4"]


async def test_a_value_replaced_while_being_sent_is_still_sent_afterwards() -> None:
    box = Outbox()
    box.put_latest(state(1))
    sending = await box.wait()
    box.put_latest(state(2))  # arrives while 1 is on the wire
    box.pop(sending)
    assert await drain(box) == [b"2"]


async def test_wait_blocks_until_something_is_put_and_discard_forgets() -> None:
    box = Outbox()
    waiter = asyncio.create_task(box.wait())
    await asyncio.sleep(0)
    assert not waiter.done()
    box.put_latest(state(7))
    assert (await asyncio.wait_for(waiter, 1)).payload == b"7"
    box.discard("hub/state")
    assert len(box) == 0
    assert box.peek() is None
